// The receive classifier: one verdict per frame, from Ethernet to UDP, for
// one of our interfaces. It reads the frame, never writes it; it keeps no
// state, allocates nothing and never throws, so it runs on any worker core
// and under a fuzzer.
//
// What comes in, and what goes out (ARCHITECTURE.md "ARP/ICMP for its own
// addresses"):
//   arp_request_for_us  answer it (arp_reply_in_place), and learn the sender
//   arp_reply           learn the sender (ArpCache::merge)
//   icmp_echo_for_us    answer it (icmp_echo_reply_in_place)
//   udp_for_us          hand the payload to the session lookup
//   drop                count `reason` and free the frame
// Every frame gets exactly one of these; a drop names the first check the
// frame failed (drop_reason.h gives the order).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/net/arp.h"
#include "dataplane/net/drop_reason.h"
#include "dataplane/net/interface.h"

namespace trunkgw::net {

enum class VerdictKind : uint8_t {
    drop = 0,
    arp_request_for_us,
    arp_reply,
    icmp_echo_for_us,
    udp_for_us,
};

inline constexpr std::size_t verdict_kind_count = 5;
inline constexpr std::array<std::string_view, verdict_kind_count> verdict_kind_names = {
    "drop", "arp_request_for_us", "arp_reply", "icmp_echo_for_us", "udp_for_us",
};

// What the NIC already did, from the mbuf's offload flags (DPDK
// RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_GOOD,
// RTE_MBUF_F_RX_VLAN_STRIPPED with mbuf->vlan_tci). All false: check
// everything in software, the tag is in the frame.
struct RxOffload {
    bool ip_checksum_good = false;
    bool udp_checksum_good = false;
    bool vlan_stripped = false;
    uint16_t vlan_tci = 0;
    // We sent this frame to ourselves (a hairpin between two of our RTP
    // sessions): our own Ethernet source is expected, not a loop.
    bool hairpin = false;
};

struct Verdict {
    VerdictKind kind = VerdictKind::drop;
    DropReason reason = DropReason::none;  // set when kind == drop
    uint16_t l3_offset = 0;                // ARP packet or IPv4 header
    uint16_t l4_offset = 0;                // ICMP or UDP header
    uint16_t payload_offset = 0;           // UDP data, or ICMP echo data after the 8-octet header
    uint16_t payload_len = 0;
    uint32_t src_ip = 0;  // IPv4 verdicts, host order
    uint32_t dst_ip = 0;
    uint16_t src_port = 0;  // udp_for_us
    uint16_t dst_port = 0;
    // Filled for every ARP packet that parsed: the arp_* kinds and the drops
    // arp_not_for_us and arp_address_conflict.
    ArpPacket arp{};
    bool arp_target_is_us = false;
};

// RFC 826 "Packet reception" merges the sender into an existing table entry
// before it asks "Am I the target protocol address?", so a request for
// another host still refreshes an entry we hold. Merge these verdicts (never
// an address conflict: that sender claims our address).
inline bool verdict_wants_arp_merge(const Verdict& v)
{
    return v.kind == VerdictKind::arp_request_for_us || v.kind == VerdictKind::arp_reply ||
           (v.kind == VerdictKind::drop && v.reason == DropReason::arp_not_for_us);
}

// Classifies the len-octet frame (Ethernet header first, no FCS) received
// on ifc.
Verdict classify(const uint8_t* frame, std::size_t len, const Interface& ifc, const RxOffload& offload = {});

// Frames per verdict and drops per reason, written only by the worker that
// owns the port (a plain struct: the worker copies it to shared memory).
struct ClassifyCounters {
    std::array<uint64_t, verdict_kind_count> verdicts{};
    std::array<uint64_t, drop_reason_count + 1> drops{};  // indexed by DropReason; [0] stays 0

    void count(const Verdict& v)
    {
        ++verdicts[static_cast<std::size_t>(v.kind)];
        if (v.kind == VerdictKind::drop) {
            ++drops[static_cast<std::size_t>(v.reason)];
        }
    }
};

}  // namespace trunkgw::net
