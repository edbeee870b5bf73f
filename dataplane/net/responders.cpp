// ARP and ICMP echo replies, ARP requests; see responders.h.
#include "dataplane/net/responders.h"

#include <cerrno>
#include <cstring>

#include "dataplane/net/arp.h"
#include "dataplane/net/byte_order.h"
#include "dataplane/net/checksum.h"
#include "dataplane/net/icmp.h"
#include "dataplane/net/ipv4.h"

namespace trunkgw::net {

namespace {

// The Ethernet header of a reply: to `to`, from us, tag and EtherType as
// they were.
void turn_ethernet(uint8_t* frame, const MacAddress& to, const MacAddress& from)
{
    std::memcpy(frame, to.data(), 6);
    std::memcpy(frame + 6, from.data(), 6);
}

void pad(uint8_t* frame, std::size_t from, std::size_t to)
{
    if (from < to) {
        std::memset(frame + from, 0, to - from);
    }
}

int build_arp(uint8_t* out, std::size_t cap, const Interface& ifc, const MacAddress& dst, const ArpPacket& a)
{
    if (cap < ethernet_min_frame_len) {
        return -ENOSPC;
    }
    int l2 = write_ethernet(out, cap, dst, ifc.mac, ifc.tag(), ethertype_arp);
    if (l2 < 0) {
        return l2;
    }
    std::size_t end = static_cast<std::size_t>(l2) + arp_packet_len;
    if (cap < end) {
        return -ENOSPC;
    }
    write_arp(out + l2, a);
    // Zero padding: never send stale buffer bytes (the "Etherleak" flaw).
    std::size_t total = end < ethernet_min_frame_len ? ethernet_min_frame_len : end;
    pad(out, end, total);
    return static_cast<int>(total);
}

}  // namespace

int arp_reply_in_place(uint8_t* frame, std::size_t len, std::size_t cap, const Verdict& v, const Interface& ifc)
{
    std::size_t end = static_cast<std::size_t>(v.l3_offset) + arp_packet_len;
    if (v.kind != VerdictKind::arp_request_for_us || v.l3_offset < ethernet_header_len || end > len || cap < len ||
        !ifc.has_address(v.arp.target_ip)) {
        return -EINVAL;
    }
    ArpPacket reply;
    reply.op = arp_op_reply;
    reply.sender_mac = ifc.mac;
    reply.sender_ip = v.arp.target_ip;
    reply.target_mac = v.arp.sender_mac;
    reply.target_ip = v.arp.sender_ip;
    write_arp(frame + v.l3_offset, reply);
    turn_ethernet(frame, reply.target_mac, ifc.mac);
    // The request's own padding (len - end octets) goes back as it came;
    // a short frame is padded up to the Ethernet minimum with zeros.
    std::size_t total = len;
    if (total < ethernet_min_frame_len && cap >= ethernet_min_frame_len) {
        pad(frame, total, ethernet_min_frame_len);
        total = ethernet_min_frame_len;
    }
    return static_cast<int>(total);
}

int icmp_echo_reply_in_place(uint8_t* frame, std::size_t len, const Verdict& v, const Interface& ifc)
{
    if (v.kind != VerdictKind::icmp_echo_for_us || v.l3_offset < ethernet_header_len ||
        v.l4_offset < v.l3_offset + ipv4_min_header_len || v.payload_offset != v.l4_offset + icmp_echo_header_len ||
        static_cast<std::size_t>(v.payload_offset) + v.payload_len > len || !ifc.has_address(v.dst_ip) ||
        ipv4_min_header_len + icmp_echo_header_len + v.payload_len > 0xffff) {
        return -EINVAL;
    }
    uint8_t* ip = frame + v.l3_offset;
    std::size_t icmp_len = icmp_echo_header_len + v.payload_len;
    uint8_t* icmp = ip + ipv4_min_header_len;
    if (v.l4_offset != v.l3_offset + ipv4_min_header_len) {
        std::memmove(icmp, frame + v.l4_offset, icmp_len);
    }
    // Echo request -> reply: the first word (type, code) changes from
    // (8, code) to (0, 0); RFC 1624 eqn. 3 updates the checksum.
    uint16_t old_word = load_be16(icmp);
    icmp[0] = icmp_type_echo_reply;
    icmp[1] = 0;
    uint16_t check = checksum_update16(load_be16(icmp + 2), old_word, 0);
    if (check == 0) {
        // Possibly an all-zero message, whose checksum is 0xFFFF (see
        // checksum_update16()): recompute.
        store_be16(icmp + 2, 0);
        check = internet_checksum(icmp, icmp_len);
    }
    store_be16(icmp + 2, check);

    Ipv4Fields f;
    f.dscp = static_cast<uint8_t>(ip[1] >> 2);
    f.ecn = 0;  // Not-ECT: ICMP does not react to congestion marks (RFC 3168 5)
    f.id = load_be16(ip + 4);
    f.protocol = ip_proto_icmp;
    f.src = v.dst_ip;
    f.dst = v.src_ip;
    std::size_t ip_len = ipv4_min_header_len + icmp_len;
    write_ipv4_header(ip, f, static_cast<uint16_t>(ip_len));

    MacAddress requester;
    std::memcpy(requester.data(), frame + 6, 6);
    turn_ethernet(frame, requester, ifc.mac);

    std::size_t total = v.l3_offset + ip_len;
    if (total < ethernet_min_frame_len) {
        std::size_t padded = len < ethernet_min_frame_len ? len : ethernet_min_frame_len;
        pad(frame, total, padded);
        total = padded;
    }
    return static_cast<int>(total);
}

int build_arp_request(uint8_t* out, std::size_t cap, const Interface& ifc, uint32_t sender_ip, uint32_t target_ip,
                      const MacAddress& dst)
{
    if (!ifc.has_address(sender_ip)) {
        return -EINVAL;
    }
    ArpPacket a;
    a.op = arp_op_request;
    a.sender_mac = ifc.mac;
    a.sender_ip = sender_ip;
    a.target_ip = target_ip;
    return build_arp(out, cap, ifc, dst, a);
}

int build_gratuitous_arp(uint8_t* out, std::size_t cap, const Interface& ifc, uint32_t ip)
{
    return build_arp_request(out, cap, ifc, ip, ip, broadcast_mac);
}

}  // namespace trunkgw::net
