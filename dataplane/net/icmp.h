// ICMP echo (RFC 792 "Echo or Echo Reply Message"), the only ICMP we answer:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Type      |     Code      |          Checksum             |
//   |           Identifier          |        Sequence Number        |
//   |     Data ...
//
// Type 8 echo request, 0 echo reply. RFC 792: "The checksum is the 16-bit
// ones's complement of the one's complement sum of the ICMP message starting
// with the ICMP Type."
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/net/drop_reason.h"

namespace trunkgw::net {

inline constexpr std::size_t icmp_echo_header_len = 8;
inline constexpr uint8_t icmp_type_echo_reply = 0;
inline constexpr uint8_t icmp_type_echo_request = 8;

struct IcmpEchoParse {
    DropReason reason = DropReason::none;
    uint8_t code = 0;
    uint16_t identifier = 0;
    uint16_t sequence = 0;
};

// Checks the ICMP message of len octets at p (the IP payload):
//   icmp_too_short     fewer than 8 octets
//   bad_icmp_checksum  RFC 1122 3.2.2 does not say; we verify always (no NIC
//                      checks ICMP) so that a reply never echoes corruption
//   icmp_not_echo      any type but 8 (RFC 1122 3.2.2: "If an ICMP message
//                      of unknown type is received, it MUST be silently
//                      discarded"; the known ones we do not act upon either)
// Any code is accepted (RFC 792 gives echo only code 0).
IcmpEchoParse parse_icmp_echo_request(const uint8_t* p, std::size_t len);

}  // namespace trunkgw::net
