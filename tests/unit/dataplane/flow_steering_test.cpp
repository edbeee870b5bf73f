// The flow rules that steer each worker's UDP to its queue are a function
// of the config: checked here against control's deal of media ports
// (config::rtp_pair_worker) for every port of the range, since no device on
// the test machines takes rte_flow rules (flow_steering.h).
#include <catch2/catch.hpp>

#include <string>

#include "control/config/config.h"
#include "dataplane/flow_steering.h"

using namespace trunkgw;

namespace {

// W workers, `spans` pseudowire spans on the port (span 1 on worker 1,
// span 2 on worker W; local UDP ports 50002, 50004), the media range from
// `rtp_min`.
config::Config make_config(uint32_t workers, uint32_t rtp_min, uint32_t spans = 2)
{
    std::string t = "[instance]\nname = \"steer\"\n[dataplane]\nmain_lcore = 0\n";
    for (uint32_t w = 1; w <= workers; ++w) {
        t += "[[dataplane.worker]]\nid = " + std::to_string(w) + "\nlcore = " + std::to_string(w) + "\n";
    }
    t += "[[port]]\nid = 1\nname = \"uplink\"\nvdev = \"net_tap0\"\naddresses = [\"192.0.2.1/24\"]\n";
    for (uint32_t s = 1; s <= spans; ++s) {
        t += "[[span]]\nid = " + std::to_string(s) + "\nname = \"e1-" + std::to_string(s) +
             "\"\ntype = \"e1\"\nworker = " + std::to_string(s == 1 ? 1 : workers) +
             "\n[span.pseudowire]\nmode = \"satop\"\nport = \"uplink\"\nremote_address = \"192.0.2.2\"\n"
             "local_udp_port = " + std::to_string(50000 + 2 * s) + "\nremote_udp_port = 50001\n";
    }
    t += "[media]\nrtp_port_min = " + std::to_string(rtp_min) + "\nrtp_port_max = " + std::to_string(rtp_min + 999) +
         "\n[control]\nsocket = \"/tmp/steer.sock\"\nmetrics_listen = \"127.0.0.1:9464\"\n";
    return config::load_string(t, "steer.toml");
}

// The queue the rules send a datagram to: the first match in priority
// order (rte_flow: the lowest priority value wins), -1 for none.
int steered_queue(const std::vector<dataplane::UdpSteeringRule>& rules, uint16_t port)
{
    int queue = -1;
    uint32_t best = UINT32_MAX;
    for (const auto& r : rules) {
        if ((port & r.dst_mask) == r.dst_port && r.priority < best) {
            best = r.priority;
            queue = r.queue;
        }
    }
    return queue;
}

}  // namespace

TEST_CASE("every media port pair reaches the worker control deals it to", "[steering]")
{
    for (uint32_t workers : {2u, 4u, 8u}) {
        for (uint32_t rtp_min : {20000u, 20002u, 16390u}) {
            auto cfg = make_config(workers, rtp_min);
            auto plan = dataplane::udp_steering_plan(cfg, 0, workers);
            INFO(workers << " workers, rtp_port_min " << rtp_min);
            REQUIRE(plan.rules.size() >= workers);
            for (uint32_t port = rtp_min; port <= cfg.media.rtp_port_max; port += 2) {
                auto want = static_cast<int>(config::rtp_pair_worker((port - rtp_min) / 2, workers));
                REQUIRE(steered_queue(plan.rules, static_cast<uint16_t>(port)) == want);      // RTP
                REQUIRE(steered_queue(plan.rules, static_cast<uint16_t>(port + 1)) == want);  // RTCP
            }
            // The spans' ports reach their workers (ids 1 and W: queues 0
            // and W - 1), whether or not their class needed a rule.
            REQUIRE(steered_queue(plan.rules, 50002) == 0);
            REQUIRE(steered_queue(plan.rules, 50004) == static_cast<int>(workers) - 1);
        }
    }
}

TEST_CASE("an exact rule, ahead, only for a span whose port falls in another worker's class", "[steering]")
{
    // rtp_port_min 20000, 4 workers: port p's class is worker (p / 2 - 10000) % 4.
    // 50002 -> 1 (its span is on worker index 0: needs a rule), 50004 -> 2
    // (its span on index 3: needs one).
    auto plan = dataplane::udp_steering_plan(make_config(4, 20000), 0, 4);
    REQUIRE(plan.rules.size() == 4 + 2);
    REQUIRE(plan.rules[0].dst_port == 50002);
    REQUIRE(plan.rules[0].dst_mask == 0xffff);
    REQUIRE(plan.rules[0].priority == 0);
    REQUIRE(plan.rules.back().priority == 1);
    // 2 workers: 50002 -> class 1, 50004 -> class 0; spans on indexes 0 and
    // 1: both need a rule. With rtp_port_min 20002 the classes swap and
    // neither does: one priority level, as devices with only one need.
    REQUIRE(dataplane::udp_steering_plan(make_config(2, 20000), 0, 2).rules.size() == 2 + 2);
    auto aligned = dataplane::udp_steering_plan(make_config(2, 20002), 0, 2);
    REQUIRE(aligned.rules.size() == 2);
    for (const auto& r : aligned.rules) {
        REQUIRE(r.priority == 0);
    }
}

TEST_CASE("without spans on the port: one masked rule per worker, one priority level", "[steering]")
{
    auto plan = dataplane::udp_steering_plan(make_config(8, 20000, 0), 0, 8);
    REQUIRE(plan.rules.size() == 8);
    for (const auto& r : plan.rules) {
        REQUIRE(r.dst_mask == 0x000e);
        REQUIRE(r.priority == 0);
    }
}

TEST_CASE("no rules where they cannot express the ownership, and why", "[steering]")
{
    auto three = dataplane::udp_steering_plan(make_config(3, 20000), 0, 3);
    REQUIRE(three.rules.empty());
    REQUIRE_THAT(three.why_none, Catch::Contains("power of two"));
    auto one = dataplane::udp_steering_plan(make_config(1, 20000), 0, 1);
    REQUIRE(one.rules.empty());
    REQUIRE_THAT(one.why_none, Catch::Contains("one worker"));
}
