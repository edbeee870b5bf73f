// SCM_RIGHTS helpers and names for the attach handshake.
#include "dataplane/api/attach_socket.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

namespace trunkgw::api {

const char* attach_verdict_name(AttachVerdict v)
{
    switch (v) {
    case AttachVerdict::accepted: return "accepted";
    case AttachVerdict::abi_mismatch: return "ABI version mismatch";
    case AttachVerdict::epoch_mismatch: return "segment epoch mismatch";
    case AttachVerdict::busy: return "another control process is attached";
    case AttachVerdict::malformed: return "malformed hello";
    }
    return "unknown verdict";
}

std::string attach_socket_path(std::string_view run_dir, std::string_view instance)
{
    std::string p(run_dir);
    if (!p.empty() && p.back() != '/') {
        p += '/';
    }
    p += instance;
    p += "-dataplane.sock";
    return p;
}

int send_with_fd(int sock, const void* buf, std::size_t len, int fd)
{
    iovec iov{const_cast<void*>(buf), len};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof(control);
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    ssize_t n;
    do {
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -errno;
    }
    return static_cast<std::size_t>(n) == len ? 0 : -EMSGSIZE;
}

long recv_with_fd(int sock, void* buf, std::size_t len, int* fd)
{
    *fd = -1;
    iovec iov{buf, len};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -errno;
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            std::memcpy(fd, CMSG_DATA(c), sizeof(int));
        }
    }
    return n;
}

}  // namespace trunkgw::api
