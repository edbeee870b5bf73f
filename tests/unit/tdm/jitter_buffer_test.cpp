// The pseudowire jitter buffer under loss, reordering, duplication, late
// arrival and clock slips.
#include <catch2/catch.hpp>

#include <vector>

#include "tdm/pw/jitter_buffer.h"

using namespace trunkgw::tdm;

namespace {

void push(JitterBuffer& jb, uint16_t seq)
{
    uint8_t p[4] = {static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq), 0xAA, 0x55};
    jb.push(seq, p, sizeof(p), false, false, 0);
}

// Plays one packet; returns its sequence number, or -1 for filler.
int play(JitterBuffer& jb)
{
    PlayoutSlot s = jb.pop();
    if (s.payload == nullptr) {
        return -1;
    }
    return (s.payload[0] << 8) | s.payload[1];
}

}  // namespace

TEST_CASE("playout waits for the target depth, then plays in order", "[jitter]")
{
    JitterBuffer jb(3, 16, 4);
    push(jb, 100);
    REQUIRE(play(jb) == -1);
    push(jb, 101);
    REQUIRE(play(jb) == -1);
    push(jb, 102);
    REQUIRE(jb.depth() == 3);
    REQUIRE(play(jb) == 100);
    push(jb, 103);
    REQUIRE(play(jb) == 101);
    REQUIRE(play(jb) == 102);
    REQUIRE(play(jb) == 103);
    REQUIRE(jb.counters().filler == 2);
    REQUIRE(jb.counters().played == 4);
    REQUIRE(jb.counters().lost == 0);
}

TEST_CASE("reordered packets are put back in order; late ones dropped", "[jitter]")
{
    JitterBuffer jb(3, 16, 4);
    for (uint16_t s : {10, 12, 11, 13}) {
        push(jb, s);
    }
    REQUIRE(jb.counters().reordered == 1);
    std::vector<int> out;
    for (int i = 0; i < 4; ++i) {
        out.push_back(play(jb));
    }
    REQUIRE(out == std::vector<int>{10, 11, 12, 13});
    push(jb, 11);  // its time has passed
    REQUIRE(jb.counters().late == 1);
}

TEST_CASE("duplicates are dropped and counted", "[jitter]")
{
    JitterBuffer jb(2, 16, 4);
    push(jb, 1);
    push(jb, 2);
    push(jb, 2);
    REQUIRE(jb.counters().duplicate == 1);
    REQUIRE(jb.counters().received == 2);
}

TEST_CASE("a missing packet is lost once, replaced, and playout goes on", "[jitter]")
{
    JitterBuffer jb(2, 16, 4);
    push(jb, 50);
    push(jb, 51);
    push(jb, 53);
    push(jb, 54);
    REQUIRE(play(jb) == 50);
    REQUIRE(play(jb) == 51);
    REQUIRE(play(jb) == -1);  // 52 lost
    REQUIRE(play(jb) == 53);
    REQUIRE(jb.counters().lost == 1);
    REQUIRE(jb.counters().slips == 0);
}

TEST_CASE("sequence numbers wrap through zero", "[jitter]")
{
    JitterBuffer jb(2, 16, 4);
    push(jb, 65534);
    push(jb, 65535);
    push(jb, 0);
    push(jb, 1);
    REQUIRE(play(jb) == 65534);
    REQUIRE(play(jb) == 65535);
    REQUIRE(play(jb) == 0);
    REQUIRE(play(jb) == 1);
    REQUIRE(jb.counters().reordered == 0);
    REQUIRE(jb.counters().late == 0);
}

TEST_CASE("a slow far-end clock underruns: one slip, then refill", "[jitter]")
{
    JitterBuffer jb(2, 16, 4);
    push(jb, 0);
    push(jb, 1);
    REQUIRE(play(jb) == 0);
    REQUIRE(play(jb) == 1);
    REQUIRE(play(jb) == -1);  // nothing at or after 2: underrun
    REQUIRE(jb.counters().underruns == 1);
    REQUIRE(jb.counters().slips == 1);
    REQUIRE(jb.counters().lost == 0);
    REQUIRE_FALSE(jb.playing());
    push(jb, 2);
    push(jb, 3);
    REQUIRE(play(jb) == 2);
}

TEST_CASE("a fast far-end clock overflows: one slip, re-centred on target", "[jitter]")
{
    JitterBuffer jb(2, 8, 4);
    push(jb, 0);
    push(jb, 1);
    REQUIRE(play(jb) == 0);
    push(jb, 20);  // 19 ahead of the playout point, capacity 8
    REQUIRE(jb.counters().overflows == 1);
    REQUIRE(jb.counters().slips == 1);
    REQUIRE_FALSE(jb.playing());  // refilling from 20 to the target depth
    REQUIRE(play(jb) == -1);
    push(jb, 21);
    REQUIRE(play(jb) == 20);
    REQUIRE(play(jb) == 21);
    REQUIRE(jb.counters().lost == 0);  // refill periods are filler, not loss
}

TEST_CASE("random arrival orders never lose a packet that arrives in time", "[jitter]")
{
    // Packets arrive in windows of 4 shuffled; the buffer holds 8 and plays
    // with a target of 6, so every packet is in time.
    JitterBuffer jb(6, 16, 4);
    uint32_t state = 12345;
    uint16_t next_push = 0;
    int expected = 0;
    int got = 0;
    for (int round = 0; round < 2000; ++round) {
        uint16_t w[4] = {next_push, static_cast<uint16_t>(next_push + 1), static_cast<uint16_t>(next_push + 2),
                         static_cast<uint16_t>(next_push + 3)};
        for (int i = 3; i > 0; --i) {
            state = state * 1103515245 + 12345;
            std::swap(w[i], w[(state >> 16) % (i + 1)]);
        }
        for (uint16_t s : w) {
            push(jb, s);
        }
        next_push = static_cast<uint16_t>(next_push + 4);
        for (int i = 0; i < 4; ++i) {
            int p = play(jb);
            if (p >= 0) {
                REQUIRE(p == static_cast<uint16_t>(expected));
                ++expected;
                ++got;
            }
        }
    }
    REQUIRE(got >= 2000 * 4 - 8);
    REQUIRE(jb.counters().lost == 0);
    REQUIRE(jb.counters().late == 0);
    REQUIRE(jb.counters().slips == 0);
}
