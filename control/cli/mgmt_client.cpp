#include "control/cli/mgmt_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "control/mgmt_api.h"

namespace trunkgw::cli {

MgmtConnection::MgmtConnection(const std::string& socket_path) : _path(socket_path)
{
    _fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (_fd < 0) {
        throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
    }
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, socket_path.c_str(), sizeof(a.sun_path) - 1);
    if (connect(_fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
        int e = errno;
        close(_fd);
        _fd = -1;
        throw std::runtime_error(fmt::format("cannot reach trunkgw-control at {}: {}", socket_path, std::strerror(e)));
    }
    timeval tv{10, 0};
    setsockopt(_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

MgmtConnection::~MgmtConnection()
{
    if (_fd >= 0) {
        close(_fd);
    }
}

nlohmann::json MgmtConnection::request(nlohmann::json req)
{
    if (!req.contains("api")) {
        req["api"] = control::mgmt_api_version;
    }
    return exchange(req.dump());
}

nlohmann::json MgmtConnection::request_line(const std::string& line)
{
    nlohmann::json req = nlohmann::json::parse(line, nullptr, false);
    if (req.is_discarded() || !req.is_object()) {
        return exchange(line);
    }
    return request(std::move(req));
}

nlohmann::json MgmtConnection::exchange(const std::string& line)
{
    std::string req = line + "\n";
    if (send(_fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
        throw std::runtime_error(fmt::format("send to {}: {}", _path, std::strerror(errno)));
    }
    char tmp[65536];
    while (_buf.find('\n') == std::string::npos) {
        ssize_t n = recv(_fd, tmp, sizeof(tmp), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            throw std::runtime_error(n == 0 ? "trunkgw-control closed the connection without replying"
                                            : fmt::format("no reply from trunkgw-control: {}", std::strerror(errno)));
        }
        _buf.append(tmp, static_cast<std::size_t>(n));
    }
    auto nl = _buf.find('\n');
    nlohmann::json reply = nlohmann::json::parse(_buf.substr(0, nl), nullptr, false);
    _buf.erase(0, nl + 1);
    if (reply.is_discarded() || !reply.is_object() || !reply.contains("ok")) {
        throw std::runtime_error("trunkgw-control sent a malformed reply");
    }
    return reply;
}

nlohmann::json mgmt_call(const std::string& socket_path, const std::string& command, const nlohmann::json& args)
{
    MgmtConnection conn(socket_path);
    nlohmann::json reply = conn.request({{"command", command}, {"args", args}});
    if (!reply["ok"].get<bool>()) {
        throw std::runtime_error(reply.value("error", std::string("unspecified error")));
    }
    return reply.value("result", nlohmann::json::object());
}

}  // namespace trunkgw::cli
