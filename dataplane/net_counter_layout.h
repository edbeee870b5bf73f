// Where each packet-layer counter sits in a worker's net counter block
// (WorkerBlock::net_counters): the classifier's drops by reason, then the
// port I/O and ARP counters, summed over the worker's port queues. The
// worker writes, control names them for Prometheus and trunkctl; both
// include this one table.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "dataplane/api/worker_counters.h"
#include "dataplane/net/drop_reason.h"

namespace trunkgw::dataplane {

// Slots 1..drop_reason_count: drops by net::DropReason (slot 0 unused).
inline constexpr std::size_t net_drop_slots = 32;
static_assert(net::drop_reason_count + 1 <= net_drop_slots, "more drop reasons than slots");

enum class NetCounter : std::size_t {
    rx_frames = net_drop_slots,
    tx_frames,
    tx_dropped_full,
    tx_no_mbuf,
    tx_no_arp,
    arp_replies_sent,
    icmp_replies_sent,
    arp_requests_sent,
    arp_hits,
    arp_misses,
    arp_timeouts,
    arp_evictions,
    arp_learned,
    arp_mac_changes,
    arp_refused,
    hairpin_frames,
    hairpin_dropped,
    nic_rx_missed,
    nic_rx_errors,
    nic_rx_nombuf,
    nic_tx_errors,
    // Appended where the block had room (net_counter_slots): no layout change.
    arp_updated,  // ARP: an entry refreshed by a packet (a reply to our request, a gratuitous ARP)
    arp_ignored,  // ARP: a sender address unusable (0/8, loopback, multicast, class E; group or zero MAC)
    end_,
};
static_assert(static_cast<std::size_t>(NetCounter::end_) <= api::net_counter_slots);

inline constexpr std::array<std::string_view, static_cast<std::size_t>(NetCounter::end_) - net_drop_slots>
    net_counter_names = {
        "rx_frames", "tx_frames", "tx_dropped_full", "tx_no_mbuf", "tx_no_arp", "arp_replies_sent",
        "icmp_replies_sent", "arp_requests_sent", "arp_hits", "arp_misses", "arp_timeouts", "arp_evictions",
        "arp_learned", "arp_mac_changes", "arp_refused", "hairpin_frames", "hairpin_dropped",
        "nic_rx_missed", "nic_rx_errors", "nic_rx_nombuf", "nic_tx_errors", "arp_updated", "arp_ignored",
};

}  // namespace trunkgw::dataplane
