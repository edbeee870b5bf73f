// Every reason the receive path drops a frame, one counter each (STYLE.md
// practice 8), in pipeline order: the first check a frame fails names its
// drop, so every dropped frame is counted exactly once. The names are the
// Prometheus label values of trunkgw_net_rx_dropped_total{reason="..."}.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace trunkgw::net {

enum class DropReason : uint8_t {
    none = 0,  // not dropped; not a counter

    // Ethernet II and IEEE 802.1Q (ethernet.h)
    too_short,        // shorter than the Ethernet header (14 octets, 18 with a tag)
    mac_not_for_us,   // destination neither our MAC nor broadcast (promiscuous port, multicast)
    bad_src_mac,      // source MAC is a group address (IEEE 802.3 3.2.3: never a source)
    looped_back,      // source MAC is ours: our own frame came back
    vlan_mismatch,    // tag presence or VID differs from the interface's, or a second tag
    not_ipv4_or_arp,  // any other EtherType (IPv6, LLDP, ...) or an 802.3 length field

    // ARP, RFC 826 (arp.h)
    bad_arp,               // truncated, not Ethernet/IPv4, opcode not request/reply, group sender MAC
    arp_address_conflict,  // RFC 5227 2.4: sender IP is ours, sender MAC is not
    arp_not_for_us,        // request for another host's address (merged, not answered)

    // IPv4, RFC 791 3.1 and RFC 1122 3.2.1 (ipv4.h)
    bad_ip_version,           // version != 4
    bad_ip_header_length,     // IHL < 5 or header beyond the frame
    bad_ip_total_length,      // total length < header length or beyond the frame
    bad_ip_checksum,          // header checksum does not verify
    ip_fragment,              // MF set or fragment offset != 0: we never reassemble
    bad_ip_source,            // RFC 1122 3.2.1.3: 0/8, 127/8, multicast, class E, ours
    ip_not_for_us,            // destination is not one of our unicast addresses
    ip_link_broadcast,        // RFC 1122 3.3.6: our unicast address in a link broadcast
    unsupported_ip_protocol,  // neither ICMP nor UDP

    // ICMP, RFC 792 (icmp.h)
    icmp_too_short,     // fewer than the 8 octets of an echo header
    bad_icmp_checksum,  // ICMP checksum does not verify
    icmp_not_echo,      // any type but echo request (8)

    // UDP, RFC 768 (udp.h)
    bad_udp_length,    // shorter than 8, or UDP length outside 8..IP payload
    bad_udp_checksum,  // non-zero checksum that does not verify
};

inline constexpr std::size_t drop_reason_count = static_cast<std::size_t>(DropReason::bad_udp_checksum);

// Names indexed by DropReason (index 0 is "none").
inline constexpr std::array<std::string_view, drop_reason_count + 1> drop_reason_names = {
    "none",
    "too_short",
    "mac_not_for_us",
    "bad_src_mac",
    "looped_back",
    "vlan_mismatch",
    "not_ipv4_or_arp",
    "bad_arp",
    "arp_address_conflict",
    "arp_not_for_us",
    "bad_ip_version",
    "bad_ip_header_length",
    "bad_ip_total_length",
    "bad_ip_checksum",
    "ip_fragment",
    "bad_ip_source",
    "ip_not_for_us",
    "ip_link_broadcast",
    "unsupported_ip_protocol",
    "icmp_too_short",
    "bad_icmp_checksum",
    "icmp_not_echo",
    "bad_udp_length",
    "bad_udp_checksum",
};

static_assert(!drop_reason_names.back().empty(), "a drop reason has no name");

inline constexpr std::string_view drop_reason_name(DropReason r)
{
    auto i = static_cast<std::size_t>(r);
    return i < drop_reason_names.size() ? drop_reason_names[i] : std::string_view("unknown");
}

}  // namespace trunkgw::net
