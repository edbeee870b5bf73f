// One worker's view of one DPDK port queue: our addresses on it (the
// net::Interface), its ARP cache, the classifier's counters and a TX batch.
// The worker receives a burst, answers ARP and ICMP echo in place, hands UDP
// for us to a dispatcher, and sends UDP payloads framed for the next hop.
//
// The port belongs to one worker queue: nothing here is shared, nothing
// locks, and mbufs come from the port's preallocated pool.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "control/config/config.h"
#include "dataplane/net/arp_cache.h"
#include "dataplane/net/classify.h"
#include "dataplane/net/interface.h"
#include "dataplane/net/udp_frame.h"

struct rte_mbuf;
struct rte_mempool;

namespace trunkgw::dataplane {

struct PortIoCounters {
    uint64_t rx_frames = 0;
    uint64_t tx_frames = 0;
    uint64_t tx_dropped_full = 0;   // the TX queue refused them
    uint64_t tx_no_mbuf = 0;        // the pool was empty
    uint64_t tx_no_arp = 0;         // next hop not resolved yet (an ARP request went or is pending)
    uint64_t arp_replies_sent = 0;
    uint64_t icmp_replies_sent = 0;
    uint64_t arp_requests_sent = 0;
    uint64_t hairpin_frames = 0;    // UDP we sent to one of our own addresses, received locally
    uint64_t hairpin_dropped = 0;   // ... dropped: the hairpin queue was full
    // The port's own statistics (rte_eth_stats), kept by the worker that
    // polls its queue 0 and zero elsewhere, so that sums over workers count
    // each port once: what the NIC or PMD lost before any worker saw it.
    uint64_t nic_rx_missed = 0;  // imissed: the receive ring was full
    uint64_t nic_rx_errors = 0;  // ierrors: bad frames the NIC discarded
    uint64_t nic_rx_nombuf = 0;  // rx_nombuf: no mbuf to receive into
    uint64_t nic_tx_errors = 0;  // oerrors: frames the NIC failed to send
};

class PortIo {
public:
    static constexpr uint16_t burst = 32;
    // handle() asks for a frame's first lines this many frames ahead, so
    // that the classifier and the checksum find it in L1 (Ethernet to the
    // end of a G.711 20 ms RTP packet: 214 octets). dataplane_pps at 100
    // sessions +1.6 % in 3 of 3 alternating pairs; at 10,000 no change.
    static constexpr uint16_t prefetch_ahead = 2;
    static constexpr std::size_t prefetch_octets = 256;

    // Handler for UDP addressed to us: (verdict, mbuf, frame, len). Returns
    // true when it kept the mbuf (handed it to another worker), false to
    // have it freed. A function and its context, called once per frame
    // (a std::function's call cost ~4 % of a worker at 5 Mpps).
    struct UdpHandler {
        bool (*fn)(void* user, const net::Verdict& v, rte_mbuf* m, const uint8_t* frame, std::size_t len);
        void* user;
    };
    // Gets every received ARP packet that teaches the cache, so that the
    // other workers' caches for this port learn it too (with several
    // workers, a reply reaches whichever queue the PMD picked). It must
    // take its own references to the mbuf; the caller frees its own.
    using ArpFanout = std::function<void(rte_mbuf*)>;

    PortIo(uint16_t port_id, uint16_t queue_id, rte_mempool* pool, const config::Port& cfg);

    // The device was configured to compute IPv4 and UDP checksums on send
    // (OpenPort::tx_checksum_offload): send_udp() leaves them to it.
    void set_tx_checksum_offload(bool on) { _tx_checksum_offload = on; }

    // Receives and handles one burst; returns frames received.
    uint16_t poll(uint64_t now_ns, const UdpHandler& on_udp);
    // Handles frames another worker received on this port for us (ARP is
    // not fanned out again). Consumes the mbufs.
    void handle_forwarded(rte_mbuf** pkts, uint16_t n, uint64_t now_ns, const UdpHandler& on_udp);
    void set_arp_fanout(ArpFanout f) { _arp_fanout = std::move(f); }

    struct UdpSend {
        uint32_t src_ip = 0;  // one of our addresses; 0 = the port's first
        uint32_t dst_ip = 0;
        uint16_t src_port = 0;
        uint16_t dst_port = 0;
        uint8_t dscp = net::dscp_ef;
    };
    // Frames payload in UDP/IPv4/Ethernet and queues it. 0, -EHOSTUNREACH
    // (no ARP entry yet: counted, resolution started), -ENOBUFS (no mbuf /
    // queue full: counted). To one of our own addresses (a hairpin: the two
    // RTP sessions of a call between two of our B-channels) the frame is
    // not sent but received by the next poll(), as if it came from the
    // wire (but without a UDP checksum: it never left memory): the
    // classifier and the dispatcher treat it like any other.
    int send_udp(const UdpSend& to, const uint8_t* payload, std::size_t len, uint64_t now_ns);
    uint16_t port_id() const { return _port_id; }

    void flush();
    void housekeeping(uint64_t now_ns);  // ARP ageing and the port's statistics, once a second

    const net::Interface& interface() const { return _ifc; }
    const net::ClassifyCounters& classify_counters() const { return _classify; }
    const net::ArpCacheCounters& arp_counters() const { return _arp.counters(); }
    const PortIoCounters& counters() const { return _c; }
    uint32_t primary_address() const { return _ifc.ipv4_count > 0 ? _ifc.ipv4[0] : 0; }

private:
    uint32_t next_hop(uint32_t dst_ip) const;
    // ARP for the next hop towards dst_ip, sending a request or poll when due.
    net::ArpResolution resolve_next_hop(uint32_t dst_ip, uint64_t now_ns);
    void queue_tx(rte_mbuf* m);
    void handle(rte_mbuf** pkts, uint16_t n, uint64_t now_ns, const UdpHandler& on_udp, bool fan_out);
    void send_arp_request(uint32_t target, const net::MacAddress& dst);

    uint16_t _port_id;
    uint16_t _queue_id;
    rte_mempool* _pool;
    net::Interface _ifc;
    std::vector<config::Ipv4Prefix> _prefixes;
    uint32_t _gateway;
    net::ArpCache _arp;
    net::ClassifyCounters _classify;
    PortIoCounters _c;
    rte_mbuf* _tx[burst] = {};
    uint16_t _tx_count = 0;
    uint16_t _ip_id = 0;
    bool _tx_checksum_offload = false;  // the device computes IPv4 and UDP checksums on send
    ArpFanout _arp_fanout;
    // A tick's hairpinned sends wait here for the next poll: sized for a
    // worker whose tick sends a packet for thousands of sessions at once
    // (10,000 sessions at 20 ms send ~500 a millisecond, unevenly).
    static constexpr uint16_t hairpin_capacity = 4096;
    // Two queues: poll() hands the one sends filled to the classifier and
    // sends go on into the other (no copy, no 32 KiB stack frame a poll).
    rte_mbuf* _hairpin[2][hairpin_capacity] = {};
    uint8_t _hairpin_filling = 0;  // the queue send_udp() appends to
    uint16_t _hairpin_count = 0;
};

}  // namespace trunkgw::dataplane
