// The receive classifier; see classify.h.
#include "dataplane/net/classify.h"

#include "dataplane/net/ethernet.h"
#include "dataplane/net/icmp.h"
#include "dataplane/net/ipv4.h"
#include "dataplane/net/udp.h"

namespace trunkgw::net {

namespace {

// The verdict is built in the caller's object (classify's return value,
// constructed once: copying a 52-octet Verdict per frame was half of the
// classifier's time). A drop leaves the fields it had not set yet at their
// defaults, as before.
void drop(Verdict& v, DropReason r)
{
    v.kind = VerdictKind::drop;
    v.reason = r;
}

// IEEE 802.1Q: the frame must be on the interface's VLAN. A priority-tagged
// frame (VID 0, "the null VLAN ID", 802.1Q 9.6) belongs to the untagged
// port. A tag stripped by the NIC counts as the frame's tag; a second tag
// (inner 0x8100, or an 802.1ad S-tag outside) is never ours.
bool vlan_matches(const EthernetHeader& eh, const Interface& ifc, const RxOffload& offload)
{
    if (eh.ethertype == ethertype_vlan || eh.ethertype == ethertype_qinq) {
        return false;
    }
    bool tagged = eh.tagged;
    uint16_t tci = eh.tci;
    if (offload.vlan_stripped) {
        if (tagged) {
            return false;  // stripped one tag and still tagged: stacked
        }
        tagged = true;
        tci = offload.vlan_tci;
    }
    uint16_t vid = tagged ? tci_vid(tci) : 0;
    if (ifc.vlan_id) {
        return vid == *ifc.vlan_id;
    }
    return vid == 0;
}

void classify_arp(Verdict& v, const uint8_t* frame, std::size_t len, const EthernetHeader& eh, const Interface& ifc)
{
    ArpParse ap = parse_arp(frame + eh.l3_offset, len - eh.l3_offset);
    if (ap.reason != DropReason::none) {
        drop(v, ap.reason);
        return;
    }
    // Our reply goes to the sender hardware address (RFC 826 "Send the
    // packet to the (new) target hardware address"): never to a group.
    if (is_group_mac(ap.packet.sender_mac)) {
        drop(v, DropReason::bad_arp);
        return;
    }
    v.l3_offset = eh.l3_offset;
    v.arp = ap.packet;
    v.arp_target_is_us = ifc.has_address(ap.packet.target_ip);
    // RFC 5227 2.4 (conflict detection): "any ARP packet (Request *or*
    // Reply) where the packet's 'sender IP address' is (one of) the host's
    // own IP address(es) ... but the packet's 'sender hardware address'
    // does not match any of the host's own interface addresses". Our own
    // frames came back are looped_back (Ethernet source) before this.
    if (ifc.has_address(ap.packet.sender_ip) && ap.packet.sender_mac != ifc.mac) {
        drop(v, DropReason::arp_address_conflict);
        return;
    }
    if (ap.packet.op == arp_op_reply) {
        v.kind = VerdictKind::arp_reply;
        return;
    }
    // RFC 826: "?Am I the target protocol address? ... Yes: ... ?Is the
    // opcode ares_op$REQUEST? Yes: Swap ...". Not the target: merge only.
    if (!v.arp_target_is_us) {
        drop(v, DropReason::arp_not_for_us);
        return;
    }
    v.kind = VerdictKind::arp_request_for_us;
}

void classify_ipv4(Verdict& v, const uint8_t* frame, std::size_t len, const EthernetHeader& eh,
                   const Interface& ifc, const RxOffload& offload)
{
    const uint8_t* ip = frame + eh.l3_offset;
    Ipv4Parse ih = parse_ipv4(ip, len - eh.l3_offset, offload.ip_checksum_good);
    if (ih.reason != DropReason::none) {
        drop(v, ih.reason);
        return;
    }
    // RFC 1122 3.2.1.3; a source that is one of our own addresses is as
    // false as a loopback one (our datagrams never come back to us from the
    // wire; a hairpin never left).
    if (!ipv4_source_valid(ih.src) || (ifc.has_address(ih.src) && !offload.hairpin)) {
        drop(v, DropReason::bad_ip_source);
        return;
    }
    // RFC 1122 3.2.1.3: "A host MUST silently discard an incoming datagram
    // that is not destined for the host." We join no multicast group and
    // answer no broadcast: only our unicast addresses are for us.
    if (!ifc.has_address(ih.dst)) {
        drop(v, DropReason::ip_not_for_us);
        return;
    }
    // RFC 1122 3.3.6: "A host SHOULD silently discard a datagram that is
    // received via a link-layer broadcast (see Section 2.4) but does not
    // specify an IP multicast or broadcast destination address."
    if (is_broadcast_mac(eh.dst)) {
        drop(v, DropReason::ip_link_broadcast);
        return;
    }
    const uint8_t* l4 = ip + ih.header_len;
    std::size_t l4_len = ih.total_length - ih.header_len;
    // The addressing of a frame that is for us (set once its L4 parsed).
    auto for_us = [&v, &eh, &ih](VerdictKind kind) {
        v.kind = kind;
        v.l3_offset = eh.l3_offset;
        v.l4_offset = static_cast<uint16_t>(eh.l3_offset + ih.header_len);
        v.src_ip = ih.src;
        v.dst_ip = ih.dst;
    };
    if (ih.protocol == ip_proto_udp) {
        UdpParse up = parse_udp(l4, l4_len, ih.src, ih.dst, offload.udp_checksum_good);
        if (up.reason != DropReason::none) {
            drop(v, up.reason);
            return;
        }
        for_us(VerdictKind::udp_for_us);
        v.payload_offset = static_cast<uint16_t>(v.l4_offset + udp_header_len);
        v.payload_len = static_cast<uint16_t>(up.length - udp_header_len);
        v.src_port = up.src_port;
        v.dst_port = up.dst_port;
        return;
    }
    if (ih.protocol == ip_proto_icmp) {
        IcmpEchoParse cp = parse_icmp_echo_request(l4, l4_len);
        if (cp.reason != DropReason::none) {
            drop(v, cp.reason);
            return;
        }
        for_us(VerdictKind::icmp_echo_for_us);
        v.payload_offset = static_cast<uint16_t>(v.l4_offset + icmp_echo_header_len);
        v.payload_len = static_cast<uint16_t>(l4_len - icmp_echo_header_len);
        return;
    }
    // RFC 1122 3.2.2.1 would have us send Protocol Unreachable; we send no
    // ICMP errors (a documented deviation: none of our peers needs them).
    drop(v, DropReason::unsupported_ip_protocol);
}

}  // namespace

Verdict classify(const uint8_t* frame, std::size_t len, const Interface& ifc, const RxOffload& offload)
{
    Verdict v;  // every return is this object: built in the caller's (NRVO)
    EthernetHeader eh = parse_ethernet(frame, len);
    if (eh.l3_offset == 0) {
        drop(v, DropReason::too_short);
    } else if (eh.dst != ifc.mac && !is_broadcast_mac(eh.dst)) {
        drop(v, DropReason::mac_not_for_us);
    } else if (is_group_mac(eh.src)) {
        drop(v, DropReason::bad_src_mac);
    } else if (eh.src == ifc.mac && !offload.hairpin) {
        drop(v, DropReason::looped_back);
    } else if (!vlan_matches(eh, ifc, offload)) {
        drop(v, DropReason::vlan_mismatch);
    } else if (eh.ethertype == ethertype_ipv4) {
        classify_ipv4(v, frame, len, eh, ifc, offload);
    } else if (eh.ethertype == ethertype_arp) {
        classify_arp(v, frame, len, eh, ifc);
    } else {
        drop(v, DropReason::not_ipv4_or_arp);
    }
    return v;
}

}  // namespace trunkgw::net
