// The virtual span pair: E1 and T1 lines back to back, with impairments
// that must raise exactly the alarms and counters a real line would.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "tdm/span/virtual_span_pair.h"

using namespace trunkgw::tdm;

namespace {

struct Run {
    uint32_t breaks = 0;
    uint32_t good = 0;
    int last = -1;
    uint32_t frame = 0;
};

// Advances both sides by `ms` milliseconds, A sending a counting pattern on
// every timeslot; checks continuity of timeslot `ts` at B.
void run_ms(VirtualSpanPair& p, Run& r, int ms, uint32_t ts)
{
    uint8_t tx[8 * span_frame_octets];
    uint8_t rx[8 * span_frame_octets];
    for (int i = 0; i < ms; ++i) {
        for (uint32_t f = 0; f < 8; ++f) {
            for (uint32_t t = 0; t < span_frame_octets; ++t) {
                tx[f * span_frame_octets + t] = static_cast<uint8_t>(r.frame + f + t);
            }
        }
        r.frame += 8;
        REQUIRE(p.a().advance(8, tx, rx) == 0);
        REQUIRE(p.b().advance(8, tx, rx) == 0);
        for (uint32_t f = 0; f < 8; ++f) {
            int v = rx[f * span_frame_octets + ts];
            // Before the first in-sequence frame the line is still aligning
            // (AIS played): breaks count from there on.
            if (r.last >= 0 && v == ((r.last + 1) & 0xff)) {
                ++r.good;
            } else if (r.last >= 0 && r.good > 0) {
                ++r.breaks;
            }
            r.last = v;
        }
    }
}

}  // namespace

TEST_CASE("an E1 CRC-4 pair aligns and carries every timeslot", "[vspan]")
{
    VirtualSpanPair p({LineType::e1, true, T1Framing::esf});
    REQUIRE(p.a().open() == 0);
    REQUIRE(p.b().open() == 0);
    Run r;
    run_ms(p, r, 500, 16);
    REQUIRE(p.b().alarms() == 0);
    REQUIRE(p.a().alarms() == 0);
    REQUIRE(r.breaks == 0);
    REQUIRE(r.good > 3900);
    REQUIRE(p.b().counters().line.crc_errors == 0);
    REQUIRE(p.b().info().dchannel_timeslot == 16);
}

TEST_CASE("T1 ESF and D4 pairs align and carry TS1..TS24", "[vspan]")
{
    for (T1Framing f : {T1Framing::esf, T1Framing::d4}) {
        VirtualSpanPair p({LineType::t1, false, f});
        REQUIRE(p.a().open() == 0);
        REQUIRE(p.b().open() == 0);
        Run r;
        run_ms(p, r, 500, 24);
        REQUIRE(p.b().alarms() == 0);
        REQUIRE(r.breaks == 0);
        // ESF needs 24 FPS bits plus a passing CRC-6 (~18 ms) to align, D4
        // 48 F bits (~6 ms); 1 ms of FIFO reserve follows.
        REQUIRE(r.good > 4000 - 160);
        REQUIRE(p.b().info().dchannel_timeslot == 24);
    }
}

TEST_CASE("cutting the line raises LOS and loses frame; restoring clears both", "[vspan]")
{
    VirtualSpanPair p({LineType::e1, true, T1Framing::esf});
    REQUIRE(p.a().open() == 0);
    REQUIRE(p.b().open() == 0);
    Run r;
    run_ms(p, r, 200, 3);
    p.cut_ab(true);
    run_ms(p, r, 50, 3);
    REQUIRE((p.b().alarms() & alarm_los) != 0);
    REQUIRE((p.b().alarms() & alarm_lof) != 0);
    REQUIRE(p.b().counters().line.los_events == 1);
    REQUIRE(p.b().counters().rx_frames_filled > 0);
    p.cut_ab(false);
    run_ms(p, r, 200, 3);
    REQUIRE(p.b().alarms() == 0);
}

TEST_CASE("AIS and RAI sent are the alarms received", "[vspan]")
{
    VirtualSpanPair p({LineType::e1, true, T1Framing::esf});
    REQUIRE(p.a().open() == 0);
    REQUIRE(p.b().open() == 0);
    Run r;
    run_ms(p, r, 100, 3);
    p.a().set_rai(true);
    run_ms(p, r, 20, 3);
    REQUIRE((p.b().alarms() & alarm_rai) != 0);
    p.a().set_rai(false);
    p.a().set_ais(true);
    run_ms(p, r, 50, 3);
    REQUIRE((p.b().alarms() & alarm_ais) != 0);
    p.a().set_ais(false);
    run_ms(p, r, 200, 3);
    REQUIRE(p.b().alarms() == 0);
}

TEST_CASE("bit errors are CRC-4 errors at B and E-bits back at A", "[vspan]")
{
    VirtualSpanPair p({LineType::e1, true, T1Framing::esf});
    REQUIRE(p.a().open() == 0);
    REQUIRE(p.b().open() == 0);
    Run r;
    run_ms(p, r, 200, 3);
    REQUIRE(p.b().counters().line.crc_errors == 0);
    p.flip_bits_ab(1);  // one errored octet: one errored sub-multiframe
    run_ms(p, r, 50, 3);
    REQUIRE(p.b().counters().line.crc_errors == 1);
    REQUIRE(p.a().counters().line.far_end_errors == 1);
    REQUIRE(p.b().alarms() == 0);
}

TEST_CASE("the span clock runs at 8000 frames/s and never bursts", "[vspan]")
{
    SpanClock c;
    usleep(20000);  // 160 frames are due: more than the cap
    REQUIRE(c.due_frames() == 64);
    REQUIRE(c.due_frames() <= 8);
}
