// IPv4 header checks and writer; see ipv4.h.
#include "dataplane/net/ipv4.h"

#include "dataplane/net/byte_order.h"
#include "dataplane/net/checksum.h"

namespace trunkgw::net {

Ipv4Parse parse_ipv4(const uint8_t* p, std::size_t avail, bool checksum_verified)
{
    Ipv4Parse r;
    if (avail < ipv4_min_header_len) {
        r.reason = DropReason::bad_ip_header_length;
        return r;
    }
    if ((p[0] >> 4) != 4) {
        r.reason = DropReason::bad_ip_version;
        return r;
    }
    std::size_t hl = static_cast<std::size_t>(p[0] & 0x0f) * 4;
    if (hl < ipv4_min_header_len || hl > avail) {
        r.reason = DropReason::bad_ip_header_length;
        return r;
    }
    uint16_t total = load_be16(p + 2);
    if (total < hl || total > avail) {
        r.reason = DropReason::bad_ip_total_length;
        return r;
    }
    if (!checksum_verified &&
        !checksum_verifies(hl == ipv4_min_header_len ? checksum_add_ipv4_header(0, p) : checksum_add(0, p, hl))) {
        r.reason = DropReason::bad_ip_checksum;
        return r;
    }
    uint16_t frag = load_be16(p + 6);
    if ((frag & (ipv4_flag_mf | ipv4_offset_mask)) != 0) {
        r.reason = DropReason::ip_fragment;
        return r;
    }
    r.header_len = static_cast<uint8_t>(hl);
    r.total_length = total;
    r.tos = p[1];
    r.id = load_be16(p + 4);
    r.ttl = p[8];
    r.protocol = p[9];
    r.src = load_be32(p + 12);
    r.dst = load_be32(p + 16);
    return r;
}

}  // namespace trunkgw::net
