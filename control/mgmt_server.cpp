// Management socket: accept, read lines, dispatch, reply; see mgmt_server.h.
#include "control/mgmt_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace trunkgw::control {

namespace {

constexpr std::size_t request_max = 64 * 1024;
constexpr std::size_t max_connections = 64;

sockaddr_un unix_addr(const std::string& path)
{
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
    return a;
}

bool someone_listens(const std::string& path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a = unix_addr(path);
    bool yes = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    close(fd);
    return yes;
}

// The event loop makes registered sockets non-blocking, so a reply larger
// than the socket buffer (show sessions with thousands of sessions) waits
// for the client with poll(), at most 1 s without progress.
bool write_all(int fd, const std::string& s)
{
    std::size_t off = 0;
    while (off < s.size()) {
        ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{fd, POLLOUT, 0};
            int r = poll(&p, 1, 1000);
            if (r > 0 && (p.revents & POLLOUT) != 0) {
                continue;
            }
            errno = r == 0 ? ETIMEDOUT : EPIPE;
            return false;  // the client stalled for a second, or went away
        }
        if (n <= 0) {
            return false;  // the client went away
        }
        off += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

MgmtServer::MgmtServer(EventLoop& loop, std::string path, const MgmtCommands& commands, MgmtCounters& counters)
    : _loop(loop), _path(std::move(path)), _commands(commands), _counters(counters)
{
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(_path).parent_path(), ec);
    if (someone_listens(_path)) {
        throw std::runtime_error(fmt::format("another trunkgw-control already serves {}", _path));
    }
    unlink(_path.c_str());
    _listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un a = unix_addr(_path);
    if (bind(_listen_fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(_listen_fd, 16) != 0) {
        int e = errno;
        close(_listen_fd);
        throw std::runtime_error(fmt::format("cannot listen on {}: {}", _path, std::strerror(e)));
    }
    // Operators in the trunkgw group may drive the gateway; others may not.
    chmod(_path.c_str(), 0660);
    _listen_watch = _loop.add_fd(_listen_fd, POLLIN, [this](int) { on_accept(); });
}

MgmtServer::~MgmtServer()
{
    while (!_conns.empty()) {
        close_conn(_conns.begin()->first);
    }
    _loop.remove_fd(_listen_watch);
    close(_listen_fd);
    unlink(_path.c_str());
}

void MgmtServer::on_accept()
{
    for (;;) {
        if (_conns.size() >= max_connections) {
            // Refuse rather than let the listen fd (level-triggered) spin
            // the loop or the fd table fill.
            int fd = accept4(_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) {
                close(fd);
                ++_counters.requests_malformed;
            }
            return;
        }
        int fd = accept4(_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            return;
        }
        // Blocking for writes with a send timeout: a reply goes out whole or
        // the connection is closed; a client that stops reading stalls the
        // loop at most one second. Reads use MSG_DONTWAIT.
        timeval tv{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        ++_counters.connections;
        int watch = _loop.add_fd(fd, POLLIN, [this, fd](int) { on_readable(fd); });
        _conns.emplace(fd, Conn{fd, watch, {}});
    }
}

void MgmtServer::close_conn(int fd)
{
    auto it = _conns.find(fd);
    if (it == _conns.end()) {
        return;
    }
    _loop.remove_fd(it->second.watch);
    close(fd);
    _conns.erase(it);
}

void MgmtServer::on_readable(int fd)
{
    auto it = _conns.find(fd);
    if (it == _conns.end()) {
        return;
    }
    char tmp[4096];
    ssize_t n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close_conn(fd);
        return;
    }
    if (n < 0) {
        return;
    }
    std::string& buf = it->second.buf;
    buf.append(tmp, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
        std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        bool malformed = false;
        nlohmann::json reply = mgmt_dispatch(_commands, line, malformed);
        if (malformed) {
            ++_counters.requests_malformed;
        } else if (reply["ok"].get<bool>()) {
            ++_counters.requests_ok;
        } else {
            ++_counters.requests_error;
        }
        // Replies may hold operator-typed strings: replace invalid UTF-8
        // rather than throw.
        if (!write_all(fd, reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n")) {
            // Half a reply on the stream would corrupt every later one.
            spdlog::warn("management client stopped reading ({}); closing its connection", std::strerror(errno));
            close_conn(fd);
            return;
        }
    }
    if (buf.size() > request_max) {
        ++_counters.requests_malformed;
        spdlog::warn("management client sent over {} bytes without a newline; closing", request_max);
        close_conn(fd);
    }
}

}  // namespace trunkgw::control
