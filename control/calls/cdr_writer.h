// Call detail records: one JSON line per ended call, appended to a file
// opened once (O_APPEND) by a writer thread of its own. The control loop
// only queues the line: a disk that stalls (an fdatasync takes a
// millisecond on a quiet SSD, seconds on a busy array) never holds up
// signalling. The writer takes everything queued, writes it with one
// write(2) and, by default, makes it durable with one fdatasync (group
// commit: at 1,000 calls/s one sync carries many records, where a sync per
// record capped the call rate). A record is durable within one sync of its
// call's end; the destructor writes and syncs whatever still waits, so a
// clean shutdown loses nothing. Write errors are counted and logged, never
// fatal to calls.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace trunkgw::control {

class CdrWriter {
public:
    // Opens (creating, mode 0640) `path`; throws std::runtime_error naming
    // the file and the reason.
    CdrWriter(const std::string& path, bool fsync);
    ~CdrWriter();
    CdrWriter(const CdrWriter&) = delete;
    CdrWriter& operator=(const CdrWriter&) = delete;

    // Queues `record` (one JSON line) and a newline for the writer thread.
    void write(const std::string& record);
    // Returns once every record queued so far is written (and synced).
    void drain();

    const std::string& path() const { return _path; }
    uint64_t records() const { return _records.load(std::memory_order_relaxed); }
    uint64_t errors() const { return _errors.load(std::memory_order_relaxed); }
    // Queued and not yet written: grows when the disk is slower than calls end.
    uint64_t queued() const { return _queued.load(std::memory_order_relaxed); }

private:
    void run();
    bool write_out(const std::string& batch);  // one write loop and one sync

    std::string _path;
    bool _fsync;
    int _fd = -1;
    std::mutex _mutex;
    std::condition_variable _wake;     // the writer: work or stop
    std::condition_variable _written;  // drain(): a batch is done
    std::string _pending;              // lines waiting, under _mutex
    uint64_t _pending_records = 0;     // under _mutex
    uint64_t _done_seq = 0;            // records handled (written or failed), under _mutex
    uint64_t _queued_seq = 0;          // records queued, under _mutex
    bool _stop = false;
    std::atomic<uint64_t> _records{0};
    std::atomic<uint64_t> _errors{0};
    std::atomic<uint64_t> _queued{0};
    std::thread _thread;  // last: started once the rest exists
};

}  // namespace trunkgw::control
