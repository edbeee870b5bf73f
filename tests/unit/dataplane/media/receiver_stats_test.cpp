// RFC 3550 A.1 (sequence tracking, wrap, probation, large jumps), A.3
// (expected, lost, fraction) and A.8 (interarrival jitter) against values
// worked out by hand.
#include <catch2/catch.hpp>

#include "dataplane/media/receiver_stats.h"

using namespace trunkgw::media;

TEST_CASE("receiver stats: probation needs two sequential packets (A.1)", "[receiver_stats]")
{
    ReceiverStats s;
    s.new_source(0xABCD, 100);
    REQUIRE(s.update_seq(100) == SeqVerdict::probation);
    REQUIRE_FALSE(s.valid());
    // Out of sequence: probation starts again from 300.
    REQUIRE(s.update_seq(300) == SeqVerdict::probation);
    REQUIRE(s.update_seq(301) == SeqVerdict::valid);
    REQUIRE(s.valid());
    // init_seq(301) then received++: the base is 301.
    REQUIRE(s.received() == 1);
    REQUIRE(s.expected() == 1);
    REQUIRE(s.extended_max_seq() == 301);
}

TEST_CASE("receiver stats: probation across the 16-bit wrap", "[receiver_stats]")
{
    ReceiverStats s;
    s.new_source(1, 65535);
    REQUIRE(s.update_seq(65535) == SeqVerdict::probation);
    REQUIRE(s.update_seq(0) == SeqVerdict::valid);
    REQUIRE(s.extended_max_seq() == 0);
}

TEST_CASE("receiver stats: extended sequence counts cycles (A.1)", "[receiver_stats]")
{
    ReceiverStats s;
    s.new_source(1, 65530);
    for (uint32_t k = 65530; k < 65536 + 10; ++k) {
        s.update_seq(static_cast<uint16_t>(k));
    }
    REQUIRE(s.extended_max_seq() == 65536 + 9);
    REQUIRE(s.expected() == 65536 + 9 - 65531 + 1);
    REQUIRE(s.received() == 15);
    REQUIRE(s.cumulative_lost() == 0);
    // A reordered packet from before the wrap does not count a cycle.
    REQUIRE(s.update_seq(65534) == SeqVerdict::valid);
    REQUIRE(s.extended_max_seq() == 65536 + 9);
    REQUIRE(s.received() == 16);
    REQUIRE(s.cumulative_lost() == -1);  // A.3: duplicates make "lost" negative
}

TEST_CASE("receiver stats: expected, lost and fraction lost per interval (A.3)", "[receiver_stats]")
{
    ReceiverStats s;
    s.new_source(7, 100);
    s.update_seq(100);
    s.update_seq(101);  // valid, base 101
    for (uint16_t q = 102; q <= 110; ++q) {
        if (q != 105 && q != 107) {
            s.update_seq(q);
        }
    }
    REQUIRE(s.expected() == 10);
    REQUIRE(s.received() == 8);
    REQUIRE(s.cumulative_lost() == 2);
    ReportBlock b = s.take_report_block(0x11112222, 0x00010000);
    REQUIRE(b.ssrc == 7);
    REQUIRE(b.fraction_lost == (2 << 8) / 10);  // 51
    REQUIRE(b.cumulative_lost == 2);
    REQUIRE(b.extended_highest_seq == 110);
    REQUIRE(b.lsr == 0x11112222);
    REQUIRE(b.dlsr == 0x00010000);
    // Next interval: 111..120 all arrive: nothing lost in it.
    for (uint16_t q = 111; q <= 120; ++q) {
        s.update_seq(q);
    }
    REQUIRE(s.received_since_report() == 10);
    b = s.take_report_block(0, 0);
    REQUIRE(b.fraction_lost == 0);
    REQUIRE(b.cumulative_lost == 2);
    // Next: 121 and 130 only: 8 of 10 lost.
    s.update_seq(121);
    s.update_seq(130);
    b = s.take_report_block(0, 0);
    REQUIRE(b.fraction_lost == (8 << 8) / 10);  // 204
    REQUIRE(b.cumulative_lost == 10);
    // Next: duplicates only: the interval lost nothing (negative -> 0).
    s.update_seq(130);
    s.update_seq(130);
    b = s.take_report_block(0, 0);
    REQUIRE(b.fraction_lost == 0);
    REQUIRE(b.cumulative_lost == 8);
}

TEST_CASE("receiver stats: a very large jump needs two sequential packets (A.1)", "[receiver_stats]")
{
    ReceiverStats s;
    s.new_source(7, 200);
    s.update_seq(200);
    s.update_seq(201);
    s.update_seq(202);
    REQUIRE(s.update_seq(10000) == SeqVerdict::jump);
    REQUIRE(s.extended_max_seq() == 202);
    REQUIRE(s.received() == 2);
    // Not the next one: still a jump (bad_seq moves to 20001).
    REQUIRE(s.update_seq(20000) == SeqVerdict::jump);
    REQUIRE(s.update_seq(20001) == SeqVerdict::restart);
    REQUIRE(s.received() == 1);
    REQUIRE(s.expected() == 1);
    REQUIRE(s.extended_max_seq() == 20001);
    // A gap under MAX_DROPOUT is no jump: 20001 + 2999.
    REQUIRE(s.update_seq(23000) == SeqVerdict::valid);
    REQUIRE(s.cumulative_lost() == 2998);
    // Within MAX_MISORDER behind: reordered, fine.
    REQUIRE(s.update_seq(22950) == SeqVerdict::valid);
}

TEST_CASE("receiver stats: interarrival jitter equals a hand computation (A.8)", "[receiver_stats]")
{
    // 20 ms packets (160 timestamp units), arrivals offset by 0, 10, 0, 30
    // and 5 units from a steady 160-unit pace:
    //   transit = 1000, 1010, 1000, 1030, 1005
    //   |D|     =       10,   10,   30,   25
    // A.8 integer form J16 += |D| - ((J16 + 8) >> 4):
    //   J16 = 0 + 10 - 0 = 10
    //       = 10 + 10 - 1 = 19
    //       = 19 + 30 - 1 = 48
    //       = 48 + 25 - 3 = 70      -> J = 70 >> 4 = 4 units
    // (the float form gives 0.625, 1.211, 3.010, 4.384 units).
    ReceiverStats s;
    s.new_source(1, 0);
    const uint32_t offset[5] = {0, 10, 0, 30, 5};
    const uint32_t expect16[5] = {0, 10, 19, 48, 70};
    for (uint32_t i = 0; i < 5; ++i) {
        uint32_t ts = 0xFFFFFE00u + 160 * i;  // across the 32-bit wrap
        s.update_jitter(ts, ts + 1000 + offset[i]);
        REQUIRE(s.jitter_x16() == expect16[i]);
    }
    REQUIRE(s.jitter() == 4);
    // A steady stream decays it: 15/16 per packet, roughly.
    for (uint32_t i = 5; i < 100; ++i) {
        s.update_jitter(160 * i, 160 * i + 1000);
    }
    REQUIRE(s.jitter() == 0);
}
