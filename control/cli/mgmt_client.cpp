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

nlohmann::json mgmt_call(const std::string& socket_path, const std::string& command, const nlohmann::json& args)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
    }
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, socket_path.c_str(), sizeof(a.sun_path) - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
        int e = errno;
        close(fd);
        throw std::runtime_error(fmt::format("cannot reach trunkgw-control at {}: {}", socket_path, std::strerror(e)));
    }
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string req = nlohmann::json{{"api", control::mgmt_api_version}, {"command", command}, {"args", args}}.dump() + "\n";
    if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
        int e = errno;
        close(fd);
        throw std::runtime_error(fmt::format("send to {}: {}", socket_path, std::strerror(e)));
    }
    std::string buf;
    char tmp[65536];
    while (buf.find('\n') == std::string::npos) {
        ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int e = errno;
            close(fd);
            throw std::runtime_error(n == 0 ? "trunkgw-control closed the connection without replying"
                                            : fmt::format("no reply from trunkgw-control: {}", std::strerror(e)));
        }
        buf.append(tmp, static_cast<std::size_t>(n));
    }
    close(fd);
    nlohmann::json reply = nlohmann::json::parse(buf.substr(0, buf.find('\n')), nullptr, false);
    if (reply.is_discarded() || !reply.is_object() || !reply.contains("ok")) {
        throw std::runtime_error("trunkgw-control sent a malformed reply");
    }
    if (!reply["ok"].get<bool>()) {
        throw std::runtime_error(reply.value("error", std::string("unspecified error")));
    }
    return reply.value("result", nlohmann::json::object());
}

}  // namespace trunkgw::cli
