// The IPv4 header (RFC 791 3.1 "Internet Header Format"):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version|  IHL  |Type of Service|          Total Length         |
//   |         Identification        |Flags|      Fragment Offset    |
//   |  Time to Live |    Protocol   |         Header Checksum       |
//   |                       Source Address                          |
//   |                    Destination Address                        |
//   |                    Options                    |    Padding    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The Type of Service octet is DSCP (6 bits, RFC 2474 3) and ECN (2 bits,
// RFC 3168 5). Addresses are host order here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "dataplane/net/byte_order.h"
#include "dataplane/net/checksum.h"
#include "dataplane/net/drop_reason.h"

namespace trunkgw::net {

inline constexpr std::size_t ipv4_min_header_len = 20;
inline constexpr uint8_t ip_proto_icmp = 1;
inline constexpr uint8_t ip_proto_udp = 17;

// RFC 791 3.1 Flags: bit 0 reserved, bit 1 DF, bit 2 MF; then 13 bits of
// fragment offset.
inline constexpr uint16_t ipv4_flag_df = 0x4000;
inline constexpr uint16_t ipv4_flag_mf = 0x2000;
inline constexpr uint16_t ipv4_offset_mask = 0x1fff;

// RFC 1122 3.2.1.7: "A host MUST NOT send a datagram with a Time-to-Live
// (TTL) value of zero"; 64 is the usual fixed default (RFC 1700 "IP TTL").
inline constexpr uint8_t ipv4_default_ttl = 64;

// RFC 3246 (Expedited Forwarding) code point 101110 = 46; RFC 4594 4.1
// puts the Telephony service class (VoIP and circuit emulation) in EF.
inline constexpr uint8_t dscp_ef = 46;

inline constexpr uint32_t ipv4_address(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    return (static_cast<uint32_t>(a) << 24) | (static_cast<uint32_t>(b) << 16) | (static_cast<uint32_t>(c) << 8) | d;
}

// RFC 1122 3.2.1.3: "A host MUST silently discard an incoming datagram
// containing an IP source address that is invalid by the rules of this
// section": not 0/8 ((a), (b): "this network"), not 127/8 ((g): "MUST NOT
// appear outside a host"), not 224/4 (class D, multicast) and not 240/4
// (class E, including the limited broadcast of (c)). RFC 1122 3.2.2 lists
// the same set: "a zero address, a loopback address, a broadcast address, a
// multicast address, or a Class E address".
inline constexpr bool ipv4_source_valid(uint32_t ip)
{
    uint8_t first = static_cast<uint8_t>(ip >> 24);
    return first != 0 && first != 127 && first < 224;
}

// "a.b.c.d" (dotted decimal, as SDP, SIP URIs and logs write it) for a
// host-order address.
inline std::string ipv4_text(uint32_t ip)
{
    return std::to_string(ip >> 24) + '.' + std::to_string((ip >> 16) & 255) + '.' + std::to_string((ip >> 8) & 255) +
           '.' + std::to_string(ip & 255);
}

struct Ipv4Parse {
    DropReason reason = DropReason::none;
    uint8_t header_len = 0;     // octets, 20..60 (options included)
    uint16_t total_length = 0;  // header and payload; the frame may be longer (padding)
    uint8_t tos = 0;
    uint8_t ttl = 0;
    uint8_t protocol = 0;
    uint16_t id = 0;
    uint32_t src = 0;
    uint32_t dst = 0;
};

// Checks the header at p, with avail octets from p to the end of the frame,
// in this order (the first failure is the reason):
//   bad_ip_header_length  fewer than 20 octets for the fixed header
//   bad_ip_version        version != 4 (RFC 1122 3.2.1.1: "silently discard")
//   bad_ip_header_length  IHL < 5 (RFC 791 3.1: "the minimum value for a
//                         correct header is 5") or options beyond the frame
//   bad_ip_total_length   total length < header or beyond the frame
//   bad_ip_checksum       (RFC 1122 3.2.1.2: "MUST verify the IP header
//                         checksum on every received datagram and silently
//                         discard every datagram that has a bad checksum");
//                         skipped when checksum_verified (NIC offload)
//   ip_fragment           MF set or offset != 0: RTP and pseudowires never
//                         fragment and we do not reassemble (RFC 1122 3.3.2
//                         asks hosts to; a documented deviation)
// Options are allowed and skipped. The TTL is not judged: RFC 1122 3.2.1.7
// "A host MUST NOT discard a datagram just because it was received with TTL
// less than 2."
Ipv4Parse parse_ipv4(const uint8_t* p, std::size_t avail, bool checksum_verified);

struct Ipv4Fields {
    uint8_t dscp = 0;
    uint8_t ecn = 0;
    uint16_t id = 0;
    bool dont_fragment = true;
    uint8_t ttl = ipv4_default_ttl;
    uint8_t protocol = 0;
    uint32_t src = 0;
    uint32_t dst = 0;
    // false: the checksum field is left 0 for a NIC that fills it (DPDK
    // RTE_MBUF_F_TX_IP_CKSUM wants it 0).
    bool checksum = true;
};

// Writes a 20-octet header (no options), with its checksum unless
// f.checksum is off, for a datagram of total_length octets. The caller has
// checked the room and the fields.
inline void write_ipv4_header(uint8_t* p, const Ipv4Fields& f, uint16_t total_length)
{
    const uint16_t version_tos = static_cast<uint16_t>(0x4500 | ((f.dscp & 0x3f) << 2) | (f.ecn & 0x03));  // version 4, IHL 5
    const uint16_t flags = f.dont_fragment ? ipv4_flag_df : 0;
    const uint16_t ttl_protocol = static_cast<uint16_t>((f.ttl << 8) | f.protocol);
    store_be16(p, version_tos);
    store_be16(p + 2, total_length);
    store_be16(p + 4, f.id);
    store_be16(p + 6, flags);
    store_be16(p + 8, ttl_protocol);
    store_be32(p + 12, f.src);
    store_be32(p + 16, f.dst);
    // RFC 791 3.1: the one's complement sum of the header's 16-bit words,
    // taken from the values rather than read back from p: loads spanning
    // the narrower stores just made cannot be forwarded from them and
    // waited for the stores to retire (30 ns a header in the worker).
    // Inline for the same reason: called, it read f's octets back from the
    // caller's stack the same way.
    uint16_t c = 0;
    if (f.checksum) {
        uint32_t sum = checksum_add16(0, version_tos);
        sum = checksum_add16(sum, total_length);
        sum = checksum_add16(sum, f.id);
        sum = checksum_add16(sum, flags);
        sum = checksum_add16(sum, ttl_protocol);
        sum = checksum_add32(sum, f.src);
        c = checksum_finish(checksum_add32(sum, f.dst));
    }
    store_be16(p + 10, c);
}

}  // namespace trunkgw::net
