// UDP header checks and writer; see udp.h.
#include "dataplane/net/udp.h"

#include "dataplane/net/byte_order.h"
#include "dataplane/net/checksum.h"
#include "dataplane/net/ipv4.h"

namespace trunkgw::net {

uint32_t udp_pseudo_header_sum(uint32_t src_ip, uint32_t dst_ip, uint16_t udp_length)
{
    uint32_t s = checksum_add32(0, src_ip);
    s = checksum_add32(s, dst_ip);
    s = checksum_add16(s, ip_proto_udp);
    return checksum_add16(s, udp_length);
}

UdpParse parse_udp(const uint8_t* p, std::size_t ip_payload_len, uint32_t src_ip, uint32_t dst_ip,
                   bool checksum_verified)
{
    UdpParse r;
    if (ip_payload_len < udp_header_len) {
        r.reason = DropReason::bad_udp_length;
        return r;
    }
    uint16_t length = load_be16(p + 4);
    if (length < udp_header_len || length > ip_payload_len) {
        r.reason = DropReason::bad_udp_length;
        return r;
    }
    uint16_t check = load_be16(p + 6);
    if (check != 0 && !checksum_verified &&
        !checksum_verifies(checksum_add(udp_pseudo_header_sum(src_ip, dst_ip, length), p, length))) {
        r.reason = DropReason::bad_udp_checksum;
        return r;
    }
    r.src_port = load_be16(p);
    r.dst_port = load_be16(p + 2);
    r.length = length;
    return r;
}

void write_udp_header(uint8_t* p, uint16_t src_port, uint16_t dst_port, uint16_t udp_length, uint32_t src_ip,
                      uint32_t dst_ip, UdpChecksum checksum)
{
    store_be16(p, src_port);
    store_be16(p + 2, dst_port);
    store_be16(p + 4, udp_length);
    store_be16(p + 6, 0);
    if (checksum == UdpChecksum::full) {
        // RFC 768: pseudo-header, header (its checksum field 0) and data.
        // The header's words come from the values, not read back from p
        // (see write_ipv4_header: a load across the stores just made
        // waits for them).
        uint32_t sum = udp_pseudo_header_sum(src_ip, dst_ip, udp_length);
        sum = checksum_add16(sum, src_port);
        sum = checksum_add16(sum, dst_port);
        sum = checksum_add16(sum, udp_length);
        std::size_t data_len = udp_length > udp_header_len ? udp_length - udp_header_len : 0;
        uint16_t c = checksum_finish(checksum_add(sum, p + udp_header_len, data_len));
        // RFC 768: "If the computed checksum is zero, it is transmitted as
        // all ones".
        store_be16(p + 6, c == 0 ? 0xffff : c);
    } else if (checksum == UdpChecksum::offload) {
        store_be16(p + 6, static_cast<uint16_t>(~checksum_finish(udp_pseudo_header_sum(src_ip, dst_ip, udp_length))));
    }
}

}  // namespace trunkgw::net
