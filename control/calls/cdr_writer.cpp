// Call detail records; see cdr_writer.h.
#include "control/calls/cdr_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace trunkgw::control {

CdrWriter::CdrWriter(const std::string& path, bool fsync) : _path(path), _fsync(fsync)
{
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);  // open() reports failure
    _fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (_fd < 0) {
        throw std::runtime_error("cannot open the CDR file " + path + " (cdr.path): " + std::strerror(errno));
    }
    _thread = std::thread([this] { run(); });
}

CdrWriter::~CdrWriter()
{
    {
        std::lock_guard lock(_mutex);
        _stop = true;
    }
    _wake.notify_one();
    _thread.join();  // run() writes what is pending before it returns
    ::close(_fd);
}

void CdrWriter::write(const std::string& record)
{
    {
        std::lock_guard lock(_mutex);
        _pending += record;
        _pending += '\n';
        ++_pending_records;
        ++_queued_seq;
        // Under the lock: the writer subtracts only what it took from here.
        _queued.fetch_add(1, std::memory_order_relaxed);
    }
    _wake.notify_one();
}

void CdrWriter::drain()
{
    std::unique_lock lock(_mutex);
    const uint64_t target = _queued_seq;
    _written.wait(lock, [&] { return _done_seq >= target; });
}

void CdrWriter::run()
{
    std::string batch;
    for (;;) {
        uint64_t n = 0;
        {
            std::unique_lock lock(_mutex);
            _wake.wait(lock, [&] { return _stop || _pending_records != 0; });
            if (_pending_records == 0) {
                return;  // stopping, nothing left
            }
            batch.swap(_pending);
            _pending.clear();
            n = _pending_records;
            _pending_records = 0;
        }
        if (write_out(batch)) {
            _records.fetch_add(n, std::memory_order_relaxed);
        } else {
            _errors.fetch_add(n, std::memory_order_relaxed);
        }
        _queued.fetch_sub(n, std::memory_order_relaxed);
        {
            std::lock_guard lock(_mutex);
            _done_seq += n;
        }
        _written.notify_all();
    }
}

bool CdrWriter::write_out(const std::string& batch)
{
    std::size_t done = 0;
    while (done < batch.size()) {
        ssize_t n = ::write(_fd, batch.data() + done, batch.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            spdlog::error("CDR file {}: write failed: {}", _path, std::strerror(errno));
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    if (_fsync && ::fdatasync(_fd) != 0) {
        spdlog::error("CDR file {}: fdatasync failed: {}", _path, std::strerror(errno));
        return false;
    }
    return true;
}

}  // namespace trunkgw::control
