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

// W workers, two pseudowire spans on the port (on workers 1 and W), the
// media range from `rtp_min`.
config::Config make_config(uint32_t workers, uint32_t rtp_min)
{
    std::string t = "[instance]\nname = \"steer\"\n[dataplane]\nmain_lcore = 0\n";
    for (uint32_t w = 1; w <= workers; ++w) {
        t += "[[dataplane.worker]]\nid = " + std::to_string(w) + "\nlcore = " + std::to_string(w) + "\n";
    }
    t += "[[port]]\nid = 1\nname = \"uplink\"\nvdev = \"net_tap0\"\naddresses = [\"192.0.2.1/24\"]\n";
    for (uint32_t s = 1; s <= 2; ++s) {
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
            std::string why;
            auto rules = dataplane::udp_steering_rules(cfg, 0, workers, why);
            INFO(workers << " workers, rtp_port_min " << rtp_min);
            REQUIRE(rules.size() == workers + 2);
            for (uint32_t port = rtp_min; port <= cfg.media.rtp_port_max; port += 2) {
                auto want = static_cast<int>(config::rtp_pair_worker((port - rtp_min) / 2, workers));
                REQUIRE(steered_queue(rules, static_cast<uint16_t>(port)) == want);      // RTP
                REQUIRE(steered_queue(rules, static_cast<uint16_t>(port + 1)) == want);  // RTCP
            }
        }
    }
}

TEST_CASE("a span's pseudowire port goes to the span's worker, ahead of the media rules", "[steering]")
{
    auto cfg = make_config(4, 20000);
    std::string why;
    auto rules = dataplane::udp_steering_rules(cfg, 0, 4, why);
    // 50002 and 50004 share bits 1-2 with media pairs of workers 1 and 2;
    // the spans live on workers 1 and 4 (queues 0 and 3).
    REQUIRE(steered_queue(rules, 50002) == 0);
    REQUIRE(steered_queue(rules, 50004) == 3);
}

TEST_CASE("no rules where they cannot express the ownership, and why", "[steering]")
{
    std::string why;
    REQUIRE(dataplane::udp_steering_rules(make_config(3, 20000), 0, 3, why).empty());
    REQUIRE_THAT(why, Catch::Contains("power of two"));
    why.clear();
    REQUIRE(dataplane::udp_steering_rules(make_config(1, 20000), 0, 1, why).empty());
    REQUIRE_THAT(why, Catch::Contains("one worker"));
}
