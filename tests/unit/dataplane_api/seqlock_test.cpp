// A lock-free reader racing a writer on a counter block never sees a torn
// snapshot.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "dataplane/api/seqlock.h"
#include "dataplane/api/worker_counters.h"

using namespace trunkgw::api;

TEST_CASE("readers racing a writer see only whole snapshots", "[seqlock]")
{
    static SeqlockBlock<12> block{};
    std::atomic<bool> done{false};
    constexpr uint64_t writes = 2'000'000;

    std::thread writer([&] {
        std::array<uint64_t, 12> v{};
        for (uint64_t n = 1; n <= writes; ++n) {
            // Every field derives from n: a mix of two writes is detectable.
            for (std::size_t i = 0; i < v.size(); ++i) {
                v[i] = n * (i + 1);
            }
            block.publish(v);
        }
        done.store(true);
    });

    uint64_t reads = 0;
    uint64_t torn = 0;
    uint64_t last = 0;
    uint64_t went_back = 0;
    std::array<uint64_t, 12> out{};
    while (!done.load()) {
        if (!block.read(out)) {
            continue;
        }
        ++reads;
        for (std::size_t i = 0; i < out.size(); ++i) {
            if (out[i] != out[0] * (i + 1)) {
                ++torn;
                break;
            }
        }
        went_back += out[0] < last ? 1 : 0;
        last = out[0];
    }
    writer.join();
    REQUIRE(block.read(out));
    REQUIRE(out[0] == writes);
    REQUIRE(out[11] == writes * 12);
    REQUIRE(reads > 100);
    REQUIRE(torn == 0);
    REQUIRE(went_back == 0);
}

TEST_CASE("worker counter names are Prometheus counters", "[seqlock]")
{
    for (const auto& c : worker_counter_info) {
        std::string n = c.name;
        REQUIRE(n.size() > 6);
        REQUIRE(n.substr(n.size() - 6) == "_total");
        REQUIRE(std::string(c.help).size() > 10);
    }
}
