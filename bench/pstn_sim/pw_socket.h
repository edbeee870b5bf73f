// One UDP socket carrying the pseudowires of every far-end line bound to
// the same local endpoint. A received packet goes to the line whose
// remote endpoint sent it (RFC 4553 section 5: over UDP/IP a PW is told
// apart by its ports; here the gateway's port, as the gateway tells ours
// apart by its own local port). Packets are taken with recvmmsg and sent
// with sendmmsg in batches: with a hundred lines, a recv() and a sendto()
// per packet and line were most of pstn-sim's CPU (system calls, not the
// lines' work).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "tdm/span/pseudowire_span.h"

namespace trunkgw::pstnsim {

class PwSocket {
public:
    static constexpr std::size_t batch = 64;             // packets per recvmmsg / sendmmsg
    static constexpr std::size_t max_packet = 2048;      // octets; larger ones are cut and counted

    // Binds `local`; throws std::runtime_error naming the endpoint and why.
    explicit PwSocket(const sockaddr_in& local);
    ~PwSocket();
    PwSocket(const PwSocket&) = delete;
    PwSocket& operator=(const PwSocket&) = delete;

    // Packets from `remote` go to `span`; throws std::invalid_argument when
    // another line already takes that remote's packets here.
    void attach(const sockaddr_in& remote, tdm::PseudowireSpan& span);
    // Drains the socket (non-blocking) into the attached lines.
    void receive();
    // Queues a packet for `to` (sent by flush(), or at once when the
    // batch is full).
    void queue(const sockaddr_in& to, const uint8_t* pkt, std::size_t len);
    void flush();

    uint64_t unknown_source() const { return _unknown_source; }  // received from no attached remote
    uint64_t truncated() const { return _truncated; }            // received larger than max_packet
    uint64_t send_errors() const { return _send_errors; }        // queued but refused by the kernel

private:
    static uint64_t key(const sockaddr_in& a) { return (uint64_t{a.sin_addr.s_addr} << 16) | a.sin_port; }

    int _fd = -1;
    std::unordered_map<uint64_t, tdm::PseudowireSpan*> _by_remote;
    uint8_t _rx[batch][max_packet];
    uint8_t _tx[batch][max_packet];
    sockaddr_in _tx_to[batch]{};
    std::size_t _tx_len[batch]{};
    std::size_t _tx_n = 0;
    uint64_t _unknown_source = 0;
    uint64_t _truncated = 0;
    uint64_t _send_errors = 0;
};

}  // namespace trunkgw::pstnsim
