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
}

CdrWriter::~CdrWriter()
{
    if (_fd >= 0) {
        ::close(_fd);
    }
}

bool CdrWriter::write(const std::string& json)
{
    std::string line = json + "\n";
    std::size_t done = 0;
    while (done < line.size()) {
        ssize_t n = ::write(_fd, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            _errors.fetch_add(1, std::memory_order_relaxed);
            spdlog::error("CDR file {}: write failed: {}", _path, std::strerror(errno));
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    if (_fsync && ::fdatasync(_fd) != 0) {
        _errors.fetch_add(1, std::memory_order_relaxed);
        spdlog::error("CDR file {}: fdatasync failed: {}", _path, std::strerror(errno));
        return false;
    }
    _records.fetch_add(1, std::memory_order_relaxed);
    return true;
}

}  // namespace trunkgw::control
