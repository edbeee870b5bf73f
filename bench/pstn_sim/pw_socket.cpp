// Pseudowires of several far-end lines over one UDP socket; see pw_socket.h.
#include "bench/pstn_sim/pw_socket.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace trunkgw::pstnsim {

namespace {

std::string endpoint_text(const sockaddr_in& a)
{
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip));
    return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

}  // namespace

PwSocket::PwSocket(const sockaddr_in& local)
{
    _fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (_fd < 0 || bind(_fd, reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) {
        int err = errno;
        if (_fd >= 0) {
            close(_fd);
        }
        throw std::runtime_error("bind " + endpoint_text(local) + ": " + std::strerror(err));
    }
    // Room for every line's packets between two drains (a stall of the
    // process is what the lines' jitter buffers are there for).
    // The kernel caps the request at net.core.rmem_max / wmem_max (and
    // doubles what it grants): say so when that is less than asked.
    const int bytes = 4 << 20;
    for (int opt : {SO_RCVBUF, SO_SNDBUF}) {
        setsockopt(_fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
        int got = 0;
        socklen_t len = sizeof(got);
        if (getsockopt(_fd, SOL_SOCKET, opt, &got, &len) == 0 && got < bytes) {
            std::fprintf(stderr, "pstn-sim: %s: %s buffer %d octets of %d asked (net.core.%s caps it)\n",
                         endpoint_text(local).c_str(), opt == SO_RCVBUF ? "receive" : "send", got, bytes,
                         opt == SO_RCVBUF ? "rmem_max" : "wmem_max");
        }
    }
}

PwSocket::~PwSocket()
{
    close(_fd);
}

void PwSocket::attach(const sockaddr_in& remote, tdm::PseudowireSpan& span)
{
    if (!_by_remote.emplace(key(remote), &span).second) {
        throw std::invalid_argument("two lines with the remote " + endpoint_text(remote) +
                                    " on one local endpoint: their packets could not be told apart");
    }
}

void PwSocket::receive()
{
    mmsghdr msgs[batch]{};
    iovec iov[batch];
    sockaddr_in from[batch];
    for (;;) {
        for (std::size_t i = 0; i < batch; ++i) {
            iov[i] = {_rx[i], max_packet};
            msgs[i].msg_hdr = {};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &from[i];
            msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
        }
        const int n = recvmmsg(_fd, msgs, batch, MSG_DONTWAIT, nullptr);
        if (n <= 0) {
            return;
        }
        for (int i = 0; i < n; ++i) {
            if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
                ++_truncated;
                continue;
            }
            auto it = _by_remote.find(key(from[i]));
            if (it == _by_remote.end()) {
                ++_unknown_source;
                continue;
            }
            it->second->receive(_rx[i], msgs[i].msg_len);
        }
        if (static_cast<std::size_t>(n) < batch) {
            return;
        }
    }
}

void PwSocket::queue(const sockaddr_in& to, const uint8_t* pkt, std::size_t len)
{
    if (len > max_packet) {
        ++_send_errors;
        return;
    }
    if (_tx_n == batch) {
        flush();
    }
    std::memcpy(_tx[_tx_n], pkt, len);
    _tx_to[_tx_n] = to;
    _tx_len[_tx_n] = len;
    ++_tx_n;
}

void PwSocket::flush()
{
    mmsghdr msgs[batch]{};
    iovec iov[batch];
    std::size_t done = 0;
    while (done < _tx_n) {
        const std::size_t n = _tx_n - done;
        for (std::size_t i = 0; i < n; ++i) {
            iov[i] = {_tx[done + i], _tx_len[done + i]};
            msgs[i].msg_hdr = {};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &_tx_to[done + i];
            msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        }
        const int sent = sendmmsg(_fd, msgs, static_cast<unsigned>(n), MSG_DONTWAIT);
        if (sent <= 0) {
            // The first of them was refused (a full queue, no route): it is
            // lost, as on a congested network; the rest are tried again.
            ++_send_errors;
            ++done;
            continue;
        }
        done += static_cast<std::size_t>(sent);
    }
    _tx_n = 0;
}

}  // namespace trunkgw::pstnsim
