// Port queue I/O for one worker; see port_io.h.
#include "dataplane/port_io.h"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "dataplane/net/responders.h"

namespace trunkgw::dataplane {

namespace {

// Per worker per port: peers, gateways and a few hosts on the subnet.
constexpr std::size_t arp_capacity = 256;

// An mbuf flag (a DPDK dynamic flag, registered once per process) marking
// frames we sent to ourselves: they keep it when the dispatcher hands them
// to another worker, whose classifier must not take them for a loop.
uint64_t hairpin_flag()
{
    static const uint64_t flag = [] {
        rte_mbuf_dynflag desc{};
        std::snprintf(desc.name, sizeof(desc.name), "%s", "trunkgw_hairpin");
        int bit = rte_mbuf_dynflag_register(&desc);
        if (bit < 0) {
            throw std::runtime_error("cannot register the hairpin mbuf flag");
        }
        return uint64_t{1} << bit;
    }();
    return flag;
}

}  // namespace

PortIo::PortIo(uint16_t port_id, uint16_t queue_id, rte_mempool* pool, const config::Port& cfg)
    : _port_id(port_id), _queue_id(queue_id), _pool(pool), _prefixes(cfg.addresses), _gateway(cfg.gateway),
      _arp(arp_capacity)
{
    rte_ether_addr mac{};
    rte_eth_macaddr_get(port_id, &mac);
    std::memcpy(_ifc.mac.data(), mac.addr_bytes, 6);
    hairpin_flag();  // registered before any worker runs
    for (const auto& a : cfg.addresses) {
        if (_ifc.add_address(a.address) != 0) {
            throw std::runtime_error("port " + cfg.name + ": unusable or too many addresses");
        }
    }
    if (cfg.vlan != 0) {
        _ifc.vlan_id = cfg.vlan;
    }
}

uint32_t PortIo::next_hop(uint32_t dst_ip) const
{
    // RFC 1122 3.3.1.1: on-link destinations directly, the rest through the
    // gateway.
    for (const auto& p : _prefixes) {
        if (p.contains(dst_ip)) {
            return dst_ip;
        }
    }
    return _gateway != 0 ? _gateway : dst_ip;
}

void PortIo::queue_tx(rte_mbuf* m)
{
    _tx[_tx_count++] = m;
    if (_tx_count == burst) {
        flush();
    }
}

void PortIo::flush()
{
    if (_tx_count == 0) {
        return;
    }
    uint16_t sent = rte_eth_tx_burst(_port_id, _queue_id, _tx, _tx_count);
    _c.tx_frames += sent;
    if (sent < _tx_count) {
        _c.tx_dropped_full += _tx_count - sent;
        rte_pktmbuf_free_bulk(&_tx[sent], _tx_count - sent);
    }
    _tx_count = 0;
}

void PortIo::send_arp_request(uint32_t target, const net::MacAddress& dst)
{
    rte_mbuf* m = rte_pktmbuf_alloc(_pool);
    if (m == nullptr) {
        ++_c.tx_no_mbuf;
        return;
    }
    auto* data = rte_pktmbuf_mtod(m, uint8_t*);
    int len = net::build_arp_request(data, rte_pktmbuf_tailroom(m), _ifc, primary_address(), target, dst);
    if (len < 0) {
        rte_pktmbuf_free(m);
        return;
    }
    m->data_len = static_cast<uint16_t>(len);
    m->pkt_len = static_cast<uint32_t>(len);
    ++_c.arp_requests_sent;
    queue_tx(m);
}

int PortIo::send_udp(const UdpSend& to, const uint8_t* payload, std::size_t len, uint64_t now_ns)
{
    const bool hairpin = _ifc.has_address(to.dst_ip);
    if (hairpin && _hairpin_count == hairpin_capacity) {
        ++_c.hairpin_dropped;
        return -ENOBUFS;
    }
    net::ArpResolution r;
    if (hairpin) {
        r.status = net::ArpStatus::resolved;
        r.mac = _ifc.mac;
    } else {
        r = resolve_next_hop(to.dst_ip, now_ns);
        if (r.status != net::ArpStatus::resolved) {
            ++_c.tx_no_arp;
            return -EHOSTUNREACH;
        }
    }
    rte_mbuf* m = rte_pktmbuf_alloc(_pool);
    if (m == nullptr) {
        ++_c.tx_no_mbuf;
        return -ENOBUFS;
    }
    net::UdpFlow flow;
    flow.dst_mac = r.mac;
    flow.src_ip = to.src_ip != 0 ? to.src_ip : primary_address();
    flow.dst_ip = to.dst_ip;
    flow.src_port = to.src_port;
    flow.dst_port = to.dst_port;
    flow.dscp = to.dscp;
    // A hairpinned frame never leaves memory: like a loopback packet it
    // carries no UDP checksum (RFC 768: zero means none, so the receiving
    // side verifies nothing; 180 octets summed twice a packet saved), and
    // never reaches the device, so its IPv4 header sum is ours.
    flow.udp_checksum = !hairpin;
    flow.nic_checksums = _tx_checksum_offload && !hairpin;
    auto* data = rte_pktmbuf_mtod(m, uint8_t*);
    int n = net::build_udp_frame(data, rte_pktmbuf_tailroom(m), _ifc, flow, _ip_id++, payload, len);
    if (n < 0) {
        rte_pktmbuf_free(m);
        return n;
    }
    m->data_len = static_cast<uint16_t>(n);
    m->pkt_len = static_cast<uint32_t>(n);
    if (flow.nic_checksums) {
        // DPDK's contract for IPv4/UDP checksum offload: the header lengths,
        // RTE_MBUF_F_TX_IPV4 with the checksum flags, the IPv4 field 0 and
        // the UDP field the pseudo-header sum (build_udp_frame wrote both;
        // a flow without a UDP checksum keeps its 0 and no UDP flag).
        m->l2_len = static_cast<uint8_t>(net::link_header_len(_ifc));
        m->l3_len = net::ipv4_min_header_len;
        m->l4_len = net::udp_header_len;  // not required for a checksum alone; some PMDs read it
        m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | (flow.udp_checksum ? RTE_MBUF_F_TX_UDP_CKSUM : 0);
    }
    if (hairpin) {
        ++_c.hairpin_frames;
        m->ol_flags |= hairpin_flag();
        // Received on this port as far as anyone can tell: the worker that
        // owns the destination finds its PortIo by it when the dispatcher
        // hands the frame over (a fresh mbuf's port is RTE_MBUF_PORT_INVALID).
        m->port = _port_id;
        _hairpin[_hairpin_filling][_hairpin_count++] = m;
        return 0;
    }
    queue_tx(m);
    return 0;
}

net::ArpResolution PortIo::resolve_next_hop(uint32_t dst_ip, uint64_t now_ns)
{
    uint32_t hop = next_hop(dst_ip);
    net::ArpResolution r = _arp.resolve(hop, now_ns);
    if (r.action == net::ArpAction::send_request) {
        send_arp_request(hop, net::broadcast_mac);
    } else if (r.action == net::ArpAction::send_poll) {
        send_arp_request(hop, r.mac);
    }
    return r;
}

uint16_t PortIo::poll(uint64_t now_ns, const UdpHandler& on_udp)
{
    if (_hairpin_count != 0) {
        // Taken out first: handling them may hairpin more (never here:
        // receiving does not send UDP, but the queue must not be shared).
        rte_mbuf** looped = _hairpin[_hairpin_filling];
        uint16_t n = _hairpin_count;
        _hairpin_filling ^= 1;
        _hairpin_count = 0;
        handle(looped, n, now_ns, on_udp, false);
    }
    rte_mbuf* pkts[burst];
    uint16_t n = rte_eth_rx_burst(_port_id, _queue_id, pkts, burst);
    _c.rx_frames += n;
    handle(pkts, n, now_ns, on_udp, true);
    return n;
}

void PortIo::handle_forwarded(rte_mbuf** pkts, uint16_t n, uint64_t now_ns, const UdpHandler& on_udp)
{
    handle(pkts, n, now_ns, on_udp, false);
}

void PortIo::handle(rte_mbuf** pkts, uint16_t n, uint64_t now_ns, const UdpHandler& on_udp, bool fan_out)
{
    // Frames done with go back to the pool in one bulk call per burst.
    rte_mbuf* done[burst];
    uint16_t n_done = 0;
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        auto* data = rte_pktmbuf_mtod(m, uint8_t*);
        std::size_t len = rte_pktmbuf_data_len(m);
        if (i + prefetch_ahead < n) {
            const auto* next = rte_pktmbuf_mtod(pkts[i + prefetch_ahead], const uint8_t*);
            for (std::size_t o = 0; o < prefetch_octets; o += RTE_CACHE_LINE_SIZE) {
                rte_prefetch0(next + o);
            }
        }
        // A NIC that checked the checksums (or stripped the VLAN tag) says
        // so in the mbuf; the classifier then skips its own checks.
        net::RxOffload off;
        off.ip_checksum_good = (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
        off.udp_checksum_good = (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
        off.vlan_stripped = (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) != 0;
        off.vlan_tci = m->vlan_tci;
        off.hairpin = (m->ol_flags & hairpin_flag()) != 0;
        net::Verdict v = net::classify(data, len, _ifc, off);
        _classify.count(v);
        if (net::verdict_wants_arp_merge(v)) {
            _arp.merge(v.arp.sender_ip, v.arp.sender_mac, v.arp_target_is_us, now_ns);
            // Not a request for us: its in-place reply rewrites the
            // buffer the other workers would read.
            if (fan_out && _arp_fanout && v.kind != net::VerdictKind::arp_request_for_us) {
                _arp_fanout(m);
            }
        }
        switch (v.kind) {
        case net::VerdictKind::arp_request_for_us: {
            int r = net::arp_reply_in_place(data, len, rte_pktmbuf_tailroom(m) + len, v, _ifc);
            if (r > 0) {
                m->data_len = static_cast<uint16_t>(r);
                m->pkt_len = static_cast<uint32_t>(r);
                ++_c.arp_replies_sent;
                queue_tx(m);
                continue;
            }
            break;
        }
        case net::VerdictKind::icmp_echo_for_us: {
            int r = net::icmp_echo_reply_in_place(data, len, v, _ifc);
            if (r > 0) {
                m->data_len = static_cast<uint16_t>(r);
                m->pkt_len = static_cast<uint32_t>(r);
                ++_c.icmp_replies_sent;
                queue_tx(m);
                continue;
            }
            break;
        }
        case net::VerdictKind::udp_for_us:
            if (on_udp.fn(on_udp.user, v, m, data, len)) {
                continue;
            }
            break;
        default:
            break;
        }
        done[n_done++] = m;
        if (n_done == burst) {
            rte_pktmbuf_free_bulk(done, n_done);
            n_done = 0;
        }
    }
    rte_pktmbuf_free_bulk(done, n_done);
}

void PortIo::housekeeping(uint64_t now_ns)
{
    _arp.expire(now_ns);
    // Once a second, not per tick: on a PCI NIC this reads registers.
    rte_eth_stats st{};
    if (_queue_id == 0 && rte_eth_stats_get(_port_id, &st) == 0) {
        _c.nic_rx_missed = st.imissed;
        _c.nic_rx_errors = st.ierrors;
        _c.nic_rx_nombuf = st.rx_nombuf;
        _c.nic_tx_errors = st.oerrors;
    }
}

}  // namespace trunkgw::dataplane
