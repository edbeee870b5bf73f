// Ethernet II header (IEEE 802.3 3.1.1 with the EtherType interpretation of
// the Length/Type field, 3.2.6) with at most one IEEE 802.1Q tag (802.1Q
// 9.6 "VLAN Tag Control Information"):
//
//   dst MAC (6) | src MAC (6) | [0x8100 | PCP(3) DEI(1) VID(12)] | EtherType (2)
//
// Values of the Length/Type field below 0x0600 are 802.3 lengths (LLC), not
// EtherTypes (IEEE 802.3 3.2.6). Frames are handed over without the FCS, so
// the minimum frame is 60 octets (64 on the wire).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace trunkgw::net {

using MacAddress = std::array<uint8_t, 6>;

inline constexpr MacAddress broadcast_mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// IEEE 802.3 3.2.3: the I/G bit, the least significant bit of the first
// octet, is 1 for group (multicast and broadcast) addresses.
inline constexpr bool is_group_mac(const MacAddress& m)
{
    return (m[0] & 0x01) != 0;
}

// The broadcast address, all ones (IEEE 802.3 3.2.3). Tested octet by octet:
// `m == broadcast_mac` compiled to a call to memcmp in the classifier (3.5 %
// of the worker's time at 100 sessions).
inline constexpr bool is_broadcast_mac(const MacAddress& m)
{
    return (m[0] & m[1] & m[2] & m[3] & m[4] & m[5]) == 0xff;
}

inline constexpr uint16_t ethertype_ipv4 = 0x0800;
inline constexpr uint16_t ethertype_arp = 0x0806;
inline constexpr uint16_t ethertype_vlan = 0x8100;  // IEEE 802.1Q C-tag (Customer VLAN)
inline constexpr uint16_t ethertype_qinq = 0x88a8;  // IEEE 802.1ad S-tag (Service VLAN)
inline constexpr uint16_t ethertype_min = 0x0600;   // below: an 802.3 length field

inline constexpr std::size_t ethernet_header_len = 14;
inline constexpr std::size_t vlan_tag_len = 4;
inline constexpr std::size_t ethernet_min_frame_len = 60;  // 64 minus the 4-octet FCS

// IEEE 802.1Q 9.6: VID 0 is "the null VLAN ID": the tag carries only a
// priority (a "priority-tagged" frame belongs to the port's own VLAN);
// VID 0xFFF is reserved. Usable VIDs are 1..4094.
inline constexpr uint16_t vlan_id_max = 4094;

struct VlanTag {
    uint16_t vid = 0;  // 12 bits
    uint8_t pcp = 0;   // 3 bits: priority code point (IEEE 802.1Q 6.9.3)
};

struct EthernetHeader {
    MacAddress dst{};
    MacAddress src{};
    bool tagged = false;
    uint16_t tci = 0;        // tag control information, when tagged
    uint16_t ethertype = 0;  // the EtherType after the tag, if any
    uint16_t l3_offset = 0;  // 14 or 18; 0: the frame is too short for its header
};

inline constexpr uint16_t tci_vid(uint16_t tci)
{
    return tci & 0x0fff;
}

inline constexpr uint8_t tci_pcp(uint16_t tci)
{
    return static_cast<uint8_t>(tci >> 13);
}

// Reads the header of the len-octet frame. A second tag is not unwrapped: it
// shows as ethertype 0x8100 (or 0x88a8) for the caller to refuse.
EthernetHeader parse_ethernet(const uint8_t* frame, std::size_t len);

// Writes dst, src, the optional tag and the EtherType at out. Returns the
// header length (14 or 18), -ENOSPC if cap is smaller, -EINVAL for a VID
// above 4094 or a PCP above 7.
int write_ethernet(uint8_t* out, std::size_t cap, const MacAddress& dst, const MacAddress& src,
                   std::optional<VlanTag> tag, uint16_t ethertype);

}  // namespace trunkgw::net
