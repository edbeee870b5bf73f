// ARP packet format; see arp.h.
#include "dataplane/net/arp.h"

#include <cstring>

#include "dataplane/net/byte_order.h"

namespace trunkgw::net {

ArpParse parse_arp(const uint8_t* p, std::size_t len)
{
    ArpParse r;
    if (len < arp_packet_len || load_be16(p) != arp_hrd_ethernet || load_be16(p + 2) != ethertype_ipv4 || p[4] != 6 ||
        p[5] != 4) {
        r.reason = DropReason::bad_arp;
        return r;
    }
    r.packet.op = load_be16(p + 6);
    if (r.packet.op != arp_op_request && r.packet.op != arp_op_reply) {
        r.reason = DropReason::bad_arp;
        return r;
    }
    std::memcpy(r.packet.sender_mac.data(), p + 8, 6);
    r.packet.sender_ip = load_be32(p + 14);
    std::memcpy(r.packet.target_mac.data(), p + 18, 6);
    r.packet.target_ip = load_be32(p + 24);
    return r;
}

void write_arp(uint8_t* p, const ArpPacket& a)
{
    store_be16(p, arp_hrd_ethernet);
    store_be16(p + 2, ethertype_ipv4);
    p[4] = 6;
    p[5] = 4;
    store_be16(p + 6, a.op);
    std::memcpy(p + 8, a.sender_mac.data(), 6);
    store_be32(p + 14, a.sender_ip);
    std::memcpy(p + 18, a.target_mac.data(), 6);
    store_be32(p + 24, a.target_ip);
}

}  // namespace trunkgw::net
