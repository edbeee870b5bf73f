// Flow rules (rte_flow) that make a multi-queue port deliver each UDP
// frame on the queue of the worker that owns its destination port, so that
// no frame crosses the software dispatcher (udp_dispatch.h), where the
// device offers such rules (most multi-queue NICs do; none of the virtual
// PMDs this project tests with: net_pcap, af_packet and memif have no flow
// API, and net_tap's needs the kernel's flower classifier).
//
// Ownership follows the design (ARCHITECTURE.md: a span, its channels and
// their sessions live on one worker):
//   - RTP/RTCP: control deals the media range's port pairs to the workers
//     in turn (config::rtp_pair_worker). With a power-of-two count of
//     workers W that is a function of bits 1..log2(W) of the port, so W
//     masked rules (one per worker) cover every pair, RTCP (the odd port,
//     same bits) included, however many sessions come and go;
//   - a span's pseudowire: its port is outside the media range but falls
//     in one of those masked classes; when that class is another worker's,
//     an exact rule sends it to the span's worker, ahead of the masked
//     ones. Only then are two priority levels used: rte_flow does not
//     promise more than one ("Support for multiple priority levels is not
//     guaranteed"), and some NICs refuse any but 0.
// Everything else (ARP, ICMP, unknown UDP) goes where the device's default
// sends it; ARP is fanned out to every worker anyway.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/config/config.h"

namespace trunkgw::dataplane {

struct UdpSteeringRule {
    uint16_t dst_port;  // matched under dst_mask
    uint16_t dst_mask;  // 0xffff: exactly this port
    uint16_t queue;     // the owning worker's queue (= its index)
    uint32_t priority;  // rte_flow priority: 0 is tried first
};

struct UdpSteeringPlan {
    std::vector<UdpSteeringRule> rules;  // empty: no rules can express the ownership
    std::string why_none;                // ... and why
};

// The rules for config port `port_index` when each of `n_workers` workers
// polls its own queue of it (queue i = worker index i). None for one worker
// (nothing to steer) or a worker count that is not a power of two (the
// deal is then not a function of a port's bits).
UdpSteeringPlan udp_steering_plan(const config::Config& cfg, uint32_t port_index, uint32_t n_workers);

// Installs `rules` on the started DPDK port (IPv4 over Ethernet, with an
// 802.1Q tag when `vlan` is not 0). Each rule is validated first; on any
// refusal those already made are destroyed and the device's reason is
// returned (the software dispatcher then carries on alone); "" when all
// are in place.
std::string install_udp_steering(uint16_t port_id, uint16_t vlan, const std::vector<UdpSteeringRule>& rules);

}  // namespace trunkgw::dataplane
