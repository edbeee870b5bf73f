// ARP for IPv4 over Ethernet (RFC 826 "Packet format"), the only pairing we
// speak:
//
//   ar$hrd 2  hardware space: 1 (Ethernet, "ares_hrd$Ethernet")
//   ar$pro 2  protocol space: 0x0800 (IPv4, the EtherType)
//   ar$hln 1  6      ar$pln 1  4
//   ar$op  2  1 = ares_op$REQUEST, 2 = ares_op$REPLY
//   ar$sha 6  ar$spa 4  ar$tha 6  ar$tpa 4
//
// 28 octets; in a minimum-size Ethernet frame, followed by padding.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/net/drop_reason.h"
#include "dataplane/net/ethernet.h"

namespace trunkgw::net {

inline constexpr std::size_t arp_packet_len = 28;
inline constexpr uint16_t arp_hrd_ethernet = 1;
inline constexpr uint16_t arp_op_request = 1;
inline constexpr uint16_t arp_op_reply = 2;

struct ArpPacket {
    uint16_t op = 0;
    MacAddress sender_mac{};
    uint32_t sender_ip = 0;  // host order
    MacAddress target_mac{};
    uint32_t target_ip = 0;
};

struct ArpParse {
    DropReason reason = DropReason::none;  // none or bad_arp
    ArpPacket packet;
};

// Reads the ARP packet at p (len octets to the end of the frame). bad_arp
// when shorter than 28 octets, when not Ethernet/IPv4 (RFC 826: "?Do I have
// the hardware type in ar$hrd? ... ?Do I speak the protocol in ar$pro?", with
// the optional length checks made), or when the opcode is neither request
// nor reply.
ArpParse parse_arp(const uint8_t* p, std::size_t len);

// Writes the 28-octet packet at p; the caller has checked the room.
void write_arp(uint8_t* p, const ArpPacket& a);

}  // namespace trunkgw::net
