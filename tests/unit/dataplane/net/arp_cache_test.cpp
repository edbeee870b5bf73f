// The ARP cache on a simulated clock: resolution, the 1-per-second request
// limit and giving up (RFC 1122 2.3.2.1), stale entries and unicast polls,
// RFC 826 merge, capacity, eviction of the oldest stale entry, and the hash
// table under random churn.
#include "dataplane/net/arp_cache.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <set>
#include <stdexcept>

#include "dataplane/net/ipv4.h"
#include "tests/unit/dataplane/net/reference_frames.h"

using namespace trunkgw::net;
using namespace trunkgw::net::test;

namespace {

constexpr uint64_t ms = 1'000'000;
constexpr uint64_t s = 1'000'000'000;
constexpr uint64_t t0 = 1000 * s;  // any monotonic origin

constexpr MacAddress mac_peer2 = {0x02, 0, 0, 0, 0, 0x22};

MacAddress mac_of(uint32_t i)
{
    return {0x02,
            0x00,
            static_cast<uint8_t>(i >> 24),
            static_cast<uint8_t>(i >> 16),
            static_cast<uint8_t>(i >> 8),
            static_cast<uint8_t>(i)};
}

}  // namespace

TEST_CASE("A miss sends one request per second, gives up after 3, then starts over", "[net][arp_cache]")
{
    ArpCache cache(16);
    ArpResolution r = cache.resolve(ip_peer, t0);
    CHECK(r.status == ArpStatus::pending);
    CHECK(r.action == ArpAction::send_request);
    CHECK(cache.find(ip_peer).state == ArpState::incomplete);
    CHECK(cache.find(ip_peer).probes == 1);

    // RTP keeps asking every 20 ms: no second request before 1 s.
    for (uint64_t t = t0 + 20 * ms; t < t0 + s; t += 20 * ms) {
        r = cache.resolve(ip_peer, t);
        REQUIRE(r.status == ArpStatus::pending);
        REQUIRE(r.action == ArpAction::none);
    }
    CHECK(cache.resolve(ip_peer, t0 + s).action == ArpAction::send_request);
    CHECK(cache.resolve(ip_peer, t0 + 2 * s - 1).action == ArpAction::none);
    CHECK(cache.resolve(ip_peer, t0 + 2 * s).action == ArpAction::send_request);
    CHECK(cache.find(ip_peer).probes == 3);
    CHECK(cache.counters().timeouts == 0);
    // One second after the third request: deleted, and a new round begins.
    r = cache.resolve(ip_peer, t0 + 3 * s);
    CHECK(r.status == ArpStatus::pending);
    CHECK(r.action == ArpAction::send_request);
    CHECK(cache.counters().timeouts == 1);
    CHECK(cache.find(ip_peer).probes == 1);
    CHECK(cache.counters().requests_sent == 4);
    CHECK(cache.counters().misses == 49 + 4 + 1);  // every resolve() here missed
    CHECK(cache.counters().hits == 0);
    CHECK(cache.size() == 1);
}

TEST_CASE("A reply resolves; the entry goes stale and is polled by unicast", "[net][arp_cache]")
{
    ArpCache cache(16);  // reachable 60 s, retransmit 1 s, 3 probes
    cache.resolve(ip_peer, t0);
    CHECK(cache.merge(ip_peer, mac_peer, true, t0 + 5 * ms) == ArpMergeResult::updated);
    ArpResolution r = cache.resolve(ip_peer, t0 + 20 * ms);
    CHECK(r.status == ArpStatus::resolved);
    CHECK(r.action == ArpAction::none);
    CHECK(r.mac == mac_peer);
    CHECK(cache.find(ip_peer).state == ArpState::reachable);

    // 60 s after the reply: stale, still used, one poll.
    uint64_t stale_at = t0 + 5 * ms + 60 * s;
    r = cache.resolve(ip_peer, stale_at - 1);
    CHECK(r.action == ArpAction::none);
    r = cache.resolve(ip_peer, stale_at);
    CHECK(r.status == ArpStatus::resolved);
    CHECK(r.mac == mac_peer);
    CHECK(r.action == ArpAction::send_poll);
    CHECK(cache.find(ip_peer).state == ArpState::stale);
    CHECK(cache.resolve(ip_peer, stale_at + 500 * ms).action == ArpAction::none);

    // The poll is answered: reachable again.
    CHECK(cache.merge(ip_peer, mac_peer, true, stale_at + 600 * ms) == ArpMergeResult::updated);
    CHECK(cache.find(ip_peer).state == ArpState::reachable);
    CHECK(cache.find(ip_peer).probes == 0);
    CHECK(cache.resolve(ip_peer, stale_at + 700 * ms).action == ArpAction::none);
    CHECK(cache.counters().requests_sent == 2);

    // Next time nobody answers 3 polls: deleted, back to broadcast.
    uint64_t t = stale_at + 600 * ms + 60 * s;
    CHECK(cache.resolve(ip_peer, t).action == ArpAction::send_poll);
    CHECK(cache.resolve(ip_peer, t + s).action == ArpAction::send_poll);
    CHECK(cache.resolve(ip_peer, t + 2 * s).action == ArpAction::send_poll);
    r = cache.resolve(ip_peer, t + 2 * s + 999 * ms);
    CHECK(r.status == ArpStatus::resolved);  // still used while polling
    CHECK(r.action == ArpAction::none);
    r = cache.resolve(ip_peer, t + 3 * s);
    CHECK(r.status == ArpStatus::pending);
    CHECK(r.action == ArpAction::send_request);
    CHECK(cache.counters().timeouts == 1);
    CHECK(cache.counters().requests_sent == 6);
}

TEST_CASE("RFC 826 merge: update any entry we hold, add only when we are the target", "[net][arp_cache]")
{
    ArpCache cache(16);
    CHECK(cache.merge(ip_peer, mac_peer, false, t0) == ArpMergeResult::not_kept);
    CHECK(cache.size() == 0);
    CHECK(cache.merge(ip_peer, mac_peer, true, t0) == ArpMergeResult::learned);
    CHECK(cache.find(ip_peer).state == ArpState::reachable);
    CHECK(cache.find(ip_peer).mac == mac_peer);
    // A request for someone else, from a new MAC (failover): updated.
    CHECK(cache.merge(ip_peer, mac_peer2, false, t0 + s) == ArpMergeResult::updated);
    CHECK(cache.find(ip_peer).mac == mac_peer2);
    CHECK(cache.find(ip_peer).confirmed_ns == t0 + s);
    CHECK(cache.merge(ip_peer, mac_peer2, true, t0 + 2 * s) == ArpMergeResult::updated);

    CHECK(cache.merge(0, mac_peer, true, t0) == ArpMergeResult::ignored);  // RFC 5227 probe
    CHECK(cache.merge(ipv4_address(224, 0, 0, 5), mac_peer, true, t0) == ArpMergeResult::ignored);
    CHECK(cache.merge(ip_peer + 1, {0x01, 0, 0x5e, 0, 0, 1}, true, t0) == ArpMergeResult::ignored);
    CHECK(cache.merge(ip_peer + 1, MacAddress{}, true, t0) == ArpMergeResult::ignored);

    const ArpCacheCounters& c = cache.counters();
    CHECK(c.learned == 1);
    CHECK(c.updated == 2);
    CHECK(c.mac_changes == 1);
    CHECK(c.ignored == 4);
    CHECK(cache.size() == 1);
}

TEST_CASE("Addresses no host can have are refused without a request", "[net][arp_cache]")
{
    ArpCache cache(4);
    for (uint32_t ip : {0u, ipv4_address(127, 0, 0, 1), ipv4_address(224, 0, 0, 1), 0xffffffffu}) {
        ArpResolution r = cache.resolve(ip, t0);
        CHECK(r.status == ArpStatus::refused);
        CHECK(r.action == ArpAction::none);
    }
    CHECK(cache.size() == 0);
    CHECK(cache.counters().refused == 4);
    CHECK(cache.counters().requests_sent == 0);
}

TEST_CASE("Full table: live entries are kept; the oldest stale one is evicted", "[net][arp_cache]")
{
    ArpCache cache(4);
    CHECK(cache.capacity() == 4);
    for (uint32_t i = 0; i < 4; ++i) {
        REQUIRE(cache.merge(ip_peer + i, mac_of(i), true, t0 + i * s) == ArpMergeResult::learned);
    }
    CHECK(cache.size() == 4);
    // All reachable: a fifth address is refused, and not learned either.
    ArpResolution r = cache.resolve(ip_peer + 10, t0 + 10 * s);
    CHECK(r.status == ArpStatus::refused);
    CHECK(cache.merge(ip_peer + 11, mac_of(11), true, t0 + 10 * s) == ArpMergeResult::refused);
    CHECK(cache.counters().refused == 2);

    // 61.5 s: entries 0 and 1 (confirmed at t0, t0 + 1 s) are stale.
    // Entry 0 was confirmed first: it goes.
    uint64_t t = t0 + 61 * s + 500 * ms;
    r = cache.resolve(ip_peer + 10, t);
    CHECK(r.status == ArpStatus::pending);
    CHECK(r.action == ArpAction::send_request);
    CHECK(cache.counters().evictions == 1);
    CHECK(cache.find(ip_peer).state == ArpState::free);
    CHECK(cache.find(ip_peer + 1).state == ArpState::stale);
    CHECK(cache.find(ip_peer + 2).state == ArpState::reachable);
    CHECK(cache.find(ip_peer + 10).state == ArpState::incomplete);
    // Then entry 1.
    CHECK(cache.merge(ip_peer + 11, mac_of(11), true, t) == ArpMergeResult::learned);
    CHECK(cache.find(ip_peer + 1).state == ArpState::free);
    CHECK(cache.counters().evictions == 2);
    CHECK(cache.size() == 4);
}

TEST_CASE("Full table of unanswered requests: timed-out ones make room first", "[net][arp_cache]")
{
    ArpCache cache(2);
    for (uint64_t k = 0; k < 3; ++k) {
        cache.resolve(ip_peer, t0 + k * s);
        cache.resolve(ip_peer + 1, t0 + 500 * ms + k * s);
    }
    CHECK(cache.resolve(ip_peer + 2, t0 + 2 * s + 600 * ms).status == ArpStatus::refused);
    // At t0 + 3 s the first has waited out its third request.
    ArpResolution r = cache.resolve(ip_peer + 2, t0 + 3 * s);
    CHECK(r.status == ArpStatus::pending);
    CHECK(r.action == ArpAction::send_request);
    CHECK(cache.counters().timeouts == 1);
    CHECK(cache.counters().evictions == 0);
    CHECK(cache.find(ip_peer).state == ArpState::free);
    CHECK(cache.find(ip_peer + 1).state == ArpState::incomplete);
}

TEST_CASE("expire() ages the whole table", "[net][arp_cache]")
{
    ArpCache cache(8);
    cache.merge(ip_peer, mac_peer, true, t0);
    cache.resolve(ip_peer + 1, t0);
    CHECK(cache.expire(t0 + 500 * ms) == 0);
    CHECK(cache.expire(t0 + 60 * s) == 0);  // the incomplete one sent 1 request only
    CHECK(cache.find(ip_peer).state == ArpState::stale);
    cache.resolve(ip_peer + 1, t0 + 61 * s);
    cache.resolve(ip_peer + 1, t0 + 62 * s);
    CHECK(cache.expire(t0 + 63 * s) == 1);
    CHECK(cache.counters().timeouts == 1);
    CHECK(cache.size() == 1);
    // A stale entry nobody uses stays (until evicted).
    CHECK(cache.expire(t0 + 3600 * s) == 0);
    CHECK(cache.find(ip_peer).state == ArpState::stale);
}

TEST_CASE("Timers outside their ranges and bad capacities are refused", "[net][arp_cache]")
{
    CHECK_THROWS_AS(ArpCache(0), std::invalid_argument);
    CHECK_THROWS_AS(ArpCache(65537), std::invalid_argument);
    ArpTimers t;
    t.retransmit_ns = 10 * ms;
    CHECK_THROWS_AS(ArpCache(4, t), std::invalid_argument);
    t = {};
    t.max_probes = 0;
    CHECK_THROWS_AS(ArpCache(4, t), std::invalid_argument);
    t = {};
    t.reachable_ns = 500 * ms;
    CHECK_THROWS_AS(ArpCache(4, t), std::invalid_argument);
    t = {};
    t.max_probes = 1;
    t.retransmit_ns = 200 * ms;
    ArpCache quick(4, t);
    CHECK(quick.resolve(ip_peer, t0).action == ArpAction::send_request);
    CHECK(quick.resolve(ip_peer, t0 + 200 * ms).action == ArpAction::send_request);  // a new round
    CHECK(quick.counters().timeouts == 1);
}

TEST_CASE("Random churn: every entry stays findable (backward-shift deletion)", "[net][arp_cache]")
{
    ArpTimers timers;
    timers.reachable_ns = s;
    timers.retransmit_ns = 100 * ms;
    timers.max_probes = 2;
    ArpCache cache(64, timers);
    std::mt19937 rng(826);
    // Addresses close together and spread out, to make probe runs collide.
    std::set<uint32_t> pool;
    while (pool.size() < 300) {
        pool.insert(rng() % 3 == 0 ? ipv4_address(10, 0, 0, 1) + rng() % 200
                                   : ipv4_address(10, 0, 0, 0) + (rng() & 0xffffff));
    }
    std::vector<uint32_t> ips(pool.begin(), pool.end());
    uint64_t now = t0;
    for (int step = 0; step < 200000; ++step) {
        now += rng() % (20 * ms);
        uint32_t ip = ips[rng() % ips.size()];
        switch (rng() % 4) {
        case 0:
        case 1: {
            ArpResolution r = cache.resolve(ip, now);
            if (r.status == ArpStatus::resolved) {
                REQUIRE(cache.find(ip).mac == r.mac);
            }
            break;
        }
        case 2:
            cache.merge(ip, mac_of(ip), rng() % 2 == 0, now);
            break;
        default:
            if (step % 100 == 0) {
                cache.expire(now);
            }
            break;
        }
        if (step % 997 == 0) {
            std::size_t found = 0;
            for (uint32_t a : ips) {
                found += cache.find(a).state != ArpState::free ? 1 : 0;
            }
            REQUIRE(found == cache.size());
            REQUIRE(cache.size() <= 64);
        }
    }
    const ArpCacheCounters& c = cache.counters();
    CHECK(c.timeouts > 0);
    CHECK(c.evictions > 0);
    CHECK(c.learned > 0);
    CHECK(c.hits > 0);
}
