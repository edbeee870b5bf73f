// UDP steering by flow rules; see flow_steering.h.
#include "dataplane/flow_steering.h"

#include <rte_byteorder.h>
#include <rte_flow.h>

#include <fmt/format.h>

namespace trunkgw::dataplane {

namespace {

bool power_of_two(uint32_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

UdpSteeringPlan udp_steering_plan(const config::Config& cfg, uint32_t port_index, uint32_t n_workers)
{
    UdpSteeringPlan plan;
    if (n_workers < 2) {
        plan.why_none = "one worker polls the port";
        return plan;
    }
    if (!power_of_two(n_workers)) {
        plan.why_none = fmt::format(
            "{} workers: the deal of media ports is a function of a port's bits only for a power of two", n_workers);
        return plan;
    }
    // Pair i (port rtp_port_min + 2i, and its RTCP port + 1) belongs to
    // worker rtp_pair_worker(i, W) = i % W. rtp_port_min is even, so
    // port >> 1 = rtp_port_min / 2 + i, and for W a power of two
    // i % W = ((port >> 1) - rtp_port_min / 2) % W: worker w's ports are
    // those whose bits 1..log2(W) equal (rtp_port_min / 2 + w) % W.
    const uint32_t base = cfg.media.rtp_port_min / 2u;
    auto masked_class_worker = [&](uint16_t port) { return ((port >> 1) - base) & (n_workers - 1); };
    for (const auto& span : cfg.spans) {
        if (!span.has_pseudowire || span.pseudowire.port_index != port_index) {
            continue;
        }
        uint32_t owner = cfg.worker_index(span.worker);
        if (masked_class_worker(span.pseudowire.local_udp_port) != owner) {
            plan.rules.push_back({span.pseudowire.local_udp_port, 0xffff, static_cast<uint16_t>(owner), 0});
        }
    }
    // Behind the spans' exact rules when there are any; else all at the
    // one level every device has.
    const uint32_t media_priority = plan.rules.empty() ? 0 : 1;
    const auto mask = static_cast<uint16_t>((n_workers - 1) << 1);
    for (uint32_t w = 0; w < n_workers; ++w) {
        plan.rules.push_back({static_cast<uint16_t>(((base + w) & (n_workers - 1)) << 1), mask,
                              static_cast<uint16_t>(w), media_priority});
    }
    return plan;
}

std::string install_udp_steering(uint16_t port_id, uint16_t vlan, const std::vector<UdpSteeringRule>& rules)
{
    std::vector<rte_flow*> made;
    auto undo = [&]() {
        for (rte_flow* f : made) {
            rte_flow_error e{};
            rte_flow_destroy(port_id, f, &e);
        }
    };
    for (const auto& r : rules) {
        rte_flow_attr attr{};
        attr.ingress = 1;
        attr.priority = r.priority;

        rte_flow_item_vlan vlan_spec{};
        rte_flow_item_vlan vlan_mask{};
        vlan_spec.hdr.vlan_tci = rte_cpu_to_be_16(vlan);
        vlan_mask.hdr.vlan_tci = rte_cpu_to_be_16(0x0fff);  // the VLAN id, not the priority bits
        rte_flow_item_udp udp_spec{};
        rte_flow_item_udp udp_mask{};
        udp_spec.hdr.dst_port = rte_cpu_to_be_16(r.dst_port);
        udp_mask.hdr.dst_port = rte_cpu_to_be_16(r.dst_mask);

        std::vector<rte_flow_item> pattern;
        pattern.push_back({RTE_FLOW_ITEM_TYPE_ETH, nullptr, nullptr, nullptr});
        if (vlan != 0) {
            pattern.push_back({RTE_FLOW_ITEM_TYPE_VLAN, &vlan_spec, nullptr, &vlan_mask});
        }
        pattern.push_back({RTE_FLOW_ITEM_TYPE_IPV4, nullptr, nullptr, nullptr});
        pattern.push_back({RTE_FLOW_ITEM_TYPE_UDP, &udp_spec, nullptr, &udp_mask});
        pattern.push_back({RTE_FLOW_ITEM_TYPE_END, nullptr, nullptr, nullptr});

        rte_flow_action_queue queue{};
        queue.index = r.queue;
        rte_flow_action actions[] = {{RTE_FLOW_ACTION_TYPE_QUEUE, &queue}, {RTE_FLOW_ACTION_TYPE_END, nullptr}};

        rte_flow_error err{};
        rte_flow* f = nullptr;
        if (rte_flow_validate(port_id, &attr, pattern.data(), actions, &err) == 0) {
            f = rte_flow_create(port_id, &attr, pattern.data(), actions, &err);
        }
        if (f == nullptr) {
            undo();
            return fmt::format("UDP port {:#06x}/{:#06x} to queue {}: {}", r.dst_port, r.dst_mask, r.queue,
                               err.message != nullptr ? err.message : "refused without a reason");
        }
        made.push_back(f);
    }
    return {};
}

}  // namespace trunkgw::dataplane
