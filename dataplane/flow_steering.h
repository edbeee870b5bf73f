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
//   - a span's pseudowire: one exact rule per span on the port, to its
//     worker, ahead of the masked ones (its port is outside the media
//     range, but may share those bits).
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

// The rules for config port `port_index` when each of `n_workers` workers
// polls its own queue of it (queue i = worker index i). Empty, with the
// reason in `why`, when rules cannot express the ownership (one worker: nothing
// to steer; a worker count that is not a power of two: the deal is not a
// function of a port's bits).
std::vector<UdpSteeringRule> udp_steering_rules(const config::Config& cfg, uint32_t port_index, uint32_t n_workers,
                                                std::string& why);

// Installs `rules` on the started DPDK port (IPv4 over Ethernet, with an
// 802.1Q tag when `vlan` is not 0). Each rule is validated first; on any
// refusal those already made are destroyed, the device's reason is put in
// `why`, and false returned: the software dispatcher then carries on alone.
bool install_udp_steering(uint16_t port_id, uint16_t vlan, const std::vector<UdpSteeringRule>& rules,
                          std::string& why);

}  // namespace trunkgw::dataplane
