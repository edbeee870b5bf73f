// UDP (RFC 768 "Format"):
//
//    0      7 8     15 16    23 24    31
//   +--------+--------+--------+--------+
//   |     Source      |   Destination   |
//   |      Port       |      Port       |
//   +--------+--------+--------+--------+
//   |     Length      |    Checksum     |
//   +--------+--------+--------+--------+
//
// RFC 768: "Length is the length in octets of this user datagram including
// this header and the data. (This means the minimum value of the length is
// eight.)" The checksum covers a pseudo header (source and destination
// address, zero, protocol 17, UDP length), the header and the data; "An all
// zero transmitted checksum value means that the transmitter generated no
// checksum", and "If the computed checksum is zero, it is transmitted as all
// ones".
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/net/drop_reason.h"

namespace trunkgw::net {

inline constexpr std::size_t udp_header_len = 8;

// The pseudo-header part of the UDP checksum (RFC 768), as a partial sum.
uint32_t udp_pseudo_header_sum(uint32_t src_ip, uint32_t dst_ip, uint16_t udp_length);

struct UdpParse {
    DropReason reason = DropReason::none;
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint16_t length = 0;  // header and data, as the header says
};

// Checks the datagram at p, ip_payload_len octets (the IP total length minus
// the IP header), from src_ip to dst_ip:
//   bad_udp_length    ip_payload_len < 8, or Length < 8 or > ip_payload_len
//                     (a Length below ip_payload_len is allowed and the
//                     octets after it ignored, as Linux does: RFC 768 does
//                     not forbid it)
//   bad_udp_checksum  a non-zero checksum that does not verify (RFC 1122
//                     4.1.3.4: "If a UDP datagram is received with a
//                     checksum that is non-zero and invalid, UDP MUST
//                     silently discard the datagram"); skipped when
//                     checksum_verified (NIC offload)
UdpParse parse_udp(const uint8_t* p, std::size_t ip_payload_len, uint32_t src_ip, uint32_t dst_ip,
                   bool checksum_verified);

// What write_udp_header() puts in the checksum field.
enum class UdpChecksum : uint8_t {
    none,  // 0, "no checksum" (RFC 768; RFC 1122 4.1.3.4 wants it on by default)
    full,  // the checksum over the pseudo-header, header and data
    // The pseudo-header's sum alone (folded, not complemented), for a NIC
    // that completes it over the datagram: DPDK RTE_MBUF_F_TX_UDP_CKSUM
    // asks for exactly this (rte_ipv4_phdr_cksum).
    offload,
};

// Writes the 8-octet header at p for a datagram of udp_length octets whose
// data already follows it, with the checksum field as `checksum` says.
void write_udp_header(uint8_t* p, uint16_t src_port, uint16_t dst_port, uint16_t udp_length, uint32_t src_ip,
                      uint32_t dst_ip, UdpChecksum checksum);

}  // namespace trunkgw::net
