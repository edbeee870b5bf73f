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

// A reply waits in the connection's output buffer while the client is slow
// to read; the loop never blocks on a client (libpri's timers and the data
// plane's rings run on it). A client that lets this much pile up is cut off.
constexpr std::size_t reply_backlog_max = 256u * 1024 * 1024;

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
        ++_counters.connections;
        int w = _loop.add_fd(fd, POLLIN, [this, fd](int) { on_readable(fd); });
        _conns.emplace(fd, Conn{fd, w, {}, {}, false});
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

void MgmtServer::watch(Conn& c, bool for_writing)
{
    _loop.remove_fd(c.watch);
    int fd = c.fd;
    if (for_writing) {
        c.watch = _loop.add_fd(fd, POLLOUT, [this, fd](int) { on_writable(fd); });
    } else {
        c.watch = _loop.add_fd(fd, POLLIN, [this, fd](int) { on_readable(fd); });
    }
    c.writing = for_writing;
}

bool MgmtServer::flush(Conn& c)
{
    while (!c.out.empty()) {
        ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c.out.erase(0, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c.writing) {
                watch(c, true);  // resume when the client has read some
            }
            return true;
        }
        close_conn(c.fd);  // the client went away
        return false;
    }
    if (c.writing) {
        watch(c, false);
    }
    return true;
}

void MgmtServer::on_writable(int fd)
{
    auto it = _conns.find(fd);
    if (it == _conns.end()) {
        return;
    }
    if (flush(it->second) && !it->second.writing) {
        serve_lines(it->second);  // requests that arrived meanwhile
    }
}

void MgmtServer::serve_lines(Conn& c)
{
    std::size_t nl;
    // One reply at a time on the wire: while one waits, requests wait too.
    while (!c.writing && (nl = c.buf.find('\n')) != std::string::npos) {
        std::string line = c.buf.substr(0, nl);
        c.buf.erase(0, nl + 1);
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
        c.out += reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        if (c.out.size() > reply_backlog_max) {
            spdlog::warn("management client is not reading its replies ({} bytes waiting); closing", c.out.size());
            close_conn(c.fd);
            return;
        }
        if (!flush(c)) {
            return;
        }
    }
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
    Conn& c = it->second;
    c.buf.append(tmp, static_cast<std::size_t>(n));
    if (c.buf.size() > request_max && c.buf.find('\n') == std::string::npos) {
        ++_counters.requests_malformed;
        spdlog::warn("management client sent over {} bytes without a newline; closing", request_max);
        close_conn(fd);
        return;
    }
    serve_lines(c);
}

}  // namespace trunkgw::control
