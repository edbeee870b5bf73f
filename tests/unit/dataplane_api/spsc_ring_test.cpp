// SPSC ring: wrap-around, full and empty, all-or-nothing versus partial
// calls, and a producer replaced mid-stream.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <vector>

#include "dataplane/api/spsc_ring.h"

using namespace trunkgw::api;

namespace {

struct Slot {
    uint64_t seq;
    uint64_t check;
};

Slot slot(uint64_t seq) { return {seq, ~seq}; }

struct RingMem {
    explicit RingMem(uint32_t capacity)
        : mem(static_cast<uint8_t*>(std::aligned_alloc(64, ring_bytes<Slot>(capacity)))),
          h(ring_init<Slot>(mem, capacity))
    {
    }
    ~RingMem() { std::free(mem); }
    uint8_t* mem;
    RingHeader* h;
};

}  // namespace

TEST_CASE("an empty ring pops nothing and a full ring refuses", "[ring]")
{
    RingMem r(8);
    RingProducer<Slot> p(r.h);
    RingConsumer<Slot> c(r.h);
    Slot out{};
    REQUIRE_FALSE(c.pop(out));
    REQUIRE(c.empty());
    for (uint64_t i = 0; i < 8; ++i) {
        REQUIRE(p.push(slot(i)));
    }
    REQUIRE_FALSE(p.push(slot(8)));
    REQUIRE(ring_stats(r.h).full == 1);
    REQUIRE(ring_stats(r.h).depth == 8);
    for (uint64_t i = 0; i < 8; ++i) {
        REQUIRE(c.pop(out));
        REQUIRE(out.seq == i);
    }
    REQUIRE_FALSE(c.pop(out));
}

TEST_CASE("indexes wrap around the slots many times in order", "[ring]")
{
    RingMem r(4);
    RingProducer<Slot> p(r.h);
    RingConsumer<Slot> c(r.h);
    uint64_t next_in = 0;
    uint64_t next_out = 0;
    // Uneven push/pop sizes so every slot offset is crossed in every phase.
    for (int round = 0; round < 1000; ++round) {
        uint32_t want = 1 + static_cast<uint32_t>(round % 3);
        Slot in[3] = {slot(next_in), slot(next_in + 1), slot(next_in + 2)};
        next_in += p.push_burst(in, want);
        Slot out[4];
        uint32_t n = c.pop_burst(out, 1 + static_cast<uint32_t>(round % 4));
        for (uint32_t i = 0; i < n; ++i) {
            REQUIRE(out[i].seq == next_out);
            REQUIRE(out[i].check == ~next_out);
            ++next_out;
        }
    }
    REQUIRE(next_in > 1000);
    auto st = ring_stats(r.h);
    REQUIRE(st.pushed == next_in);
    REQUIRE(st.popped == next_out);
}

TEST_CASE("bulk calls are all-or-nothing, burst calls are partial", "[ring]")
{
    RingMem r(8);
    RingProducer<Slot> p(r.h);
    RingConsumer<Slot> c(r.h);
    std::vector<Slot> six = {slot(0), slot(1), slot(2), slot(3), slot(4), slot(5)};
    REQUIRE(p.push_bulk(six.data(), 6));
    // 2 slots free: a bulk of 6 moves nothing, a burst of 6 moves 2.
    REQUIRE_FALSE(p.push_bulk(six.data(), 6));
    REQUIRE(ring_stats(r.h).pushed == 6);
    REQUIRE(ring_stats(r.h).full == 6);
    REQUIRE(p.push_burst(six.data(), 6) == 2);
    REQUIRE(ring_stats(r.h).full == 10);

    Slot out[16];
    REQUIRE_FALSE(c.pop_bulk(out, 9));
    REQUIRE(ring_stats(r.h).popped == 0);
    REQUIRE(c.pop_bulk(out, 3));
    REQUIRE(out[2].seq == 2);
    REQUIRE(c.pop_burst(out, 16) == 5);
    REQUIRE(out[4].seq == 1);  // the two of the partial burst: seq 0 and 1
}

TEST_CASE("a new producer continues where a dead one stopped", "[ring]")
{
    RingMem r(16);
    RingConsumer<Slot> c(r.h);
    {
        RingProducer<Slot> first(r.h);
        for (uint64_t i = 0; i < 5; ++i) {
            REQUIRE(first.push(slot(i)));
        }
    }  // the first producer is gone; its position is in the ring header
    RingProducer<Slot> second(r.h);
    for (uint64_t i = 5; i < 10; ++i) {
        REQUIRE(second.push(slot(i)));
    }
    Slot out[16];
    REQUIRE(c.pop_burst(out, 16) == 10);
    for (uint64_t i = 0; i < 10; ++i) {
        REQUIRE(out[i].seq == i);
    }
}

TEST_CASE("wakeup arming: armed only when empty, taken once", "[ring]")
{
    RingMem r(8);
    RingProducer<Slot> p(r.h);
    RingConsumer<Slot> c(r.h);
    REQUIRE(c.arm_wakeup());          // empty: safe to sleep
    REQUIRE_FALSE(ring_take_wakeup(r.h));  // armed, but nothing to read yet
    REQUIRE(p.push(slot(1)));
    REQUIRE(ring_take_wakeup(r.h));
    REQUIRE_FALSE(ring_take_wakeup(r.h));  // cleared by the first take
    REQUIRE_FALSE(c.arm_wakeup());    // not empty: do not sleep
}

TEST_CASE("capacity validation", "[ring]")
{
    REQUIRE(ring_capacity_valid(2));
    REQUIRE(ring_capacity_valid(4096));
    REQUIRE_FALSE(ring_capacity_valid(0));
    REQUIRE_FALSE(ring_capacity_valid(1));
    REQUIRE_FALSE(ring_capacity_valid(1000));
    REQUIRE_FALSE(ring_capacity_valid(1u << 25));
}

TEST_CASE("a scrubbing consumer leaves no message behind in the ring's memory", "[ring]")
{
    RingMem r(4);
    RingProducer<Slot> p(r.h);
    RingConsumer<Slot> plain(r.h);
    REQUIRE(p.push(slot(7)));
    Slot out{};
    REQUIRE(plain.pop(out));
    const Slot* slots = ring_slots<Slot>(r.h);
    CHECK(slots[0].seq == 7);  // an ordinary consumer leaves the copy

    RingConsumer<Slot> scrubbing(r.h, true);
    for (uint64_t i = 1; i <= 4; ++i) {  // around the slots, with each pop call
        REQUIRE(p.push(slot(i * 0x0101010101010101ull)));
    }
    REQUIRE(scrubbing.pop(out));
    CHECK(out.seq == 0x0101010101010101ull);
    Slot burst[8];
    REQUIRE(scrubbing.pop_burst(burst, 8) == 3);
    CHECK(burst[2].seq == 4 * 0x0101010101010101ull);
    REQUIRE(p.push(slot(5 * 0x0101010101010101ull)));
    REQUIRE(p.push(slot(6 * 0x0101010101010101ull)));
    REQUIRE(scrubbing.pop_bulk(burst, 2));
    CHECK(burst[1].check == ~(6 * 0x0101010101010101ull));
    for (uint32_t i = 0; i < 4; ++i) {
        CHECK(slots[i].seq == 0);
        CHECK(slots[i].check == 0);
    }
}
