// Call detail records: one JSON line per ended call, appended to a file
// opened once (O_APPEND: each record is one write(2), so lines never
// interleave) and, by default, made durable with fdatasync before the next
// call goes on: a crash of the host loses no ended call. Write errors are
// counted and logged, never fatal to calls.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace trunkgw::control {

class CdrWriter {
public:
    // Opens (creating, mode 0640) `path`; throws std::runtime_error naming
    // the file and the reason.
    CdrWriter(const std::string& path, bool fsync);
    ~CdrWriter();
    CdrWriter(const CdrWriter&) = delete;
    CdrWriter& operator=(const CdrWriter&) = delete;

    // Appends `json` and a newline. False (counted) when the write or the
    // sync failed.
    bool write(const std::string& json);

    const std::string& path() const { return _path; }
    uint64_t records() const { return _records.load(std::memory_order_relaxed); }
    uint64_t errors() const { return _errors.load(std::memory_order_relaxed); }

private:
    std::string _path;
    bool _fsync;
    int _fd = -1;
    std::atomic<uint64_t> _records{0};
    std::atomic<uint64_t> _errors{0};
};

}  // namespace trunkgw::control
