// TimerWatch: libpri's timer expiries recognised from the frames a
// D-channel carries (timer_watch.h), on hand-built Q.921/Q.931 frames.
#include <catch2/catch.hpp>

#include <vector>

#include "signaling/isdn/timer_watch.h"

using namespace trunkgw::isdn;

namespace {

using Frame = std::vector<uint8_t>;

// Q.921 address: SAPI 0, C/R, TEI 0. We are the user side: our commands
// carry C/R = 0 and the network's carry C/R = 1 (Q.921 3.3.3).
Frame i_frame(uint8_t ns, uint8_t nr, std::vector<uint8_t> q931 = {})
{
    Frame f = {0x00, 0x01, static_cast<uint8_t>(ns << 1), static_cast<uint8_t>(nr << 1)};
    for (uint8_t o : q931) {
        f.push_back(o);
    }
    return f;
}
Frame rr(uint8_t nr, bool poll, bool command_from_user)
{
    return {static_cast<uint8_t>(command_from_user ? 0x00 : 0x02), 0x01, 0x01,
            static_cast<uint8_t>(nr << 1 | (poll ? 1 : 0))};
}
Frame sabme() { return {0x00, 0x01, 0x7f}; }
// Q.931: discriminator 0x08, call reference length 2, value, message type.
std::vector<uint8_t> msg(uint16_t cref, uint8_t type) { return {0x08, 0x02, uint8_t(cref >> 8), uint8_t(cref), type}; }

void sent(TimerWatch& w, const Frame& f) { w.sent(f.data(), f.size()); }
void received(TimerWatch& w, const Frame& f) { w.received(f.data(), f.size()); }

}  // namespace

TEST_CASE("timer watch: T203 is a poll with nothing outstanding, T200 a poll unanswered or a frame sent again",
          "[isdn][timers]")
{
    TimerWatch w(false);
    sent(w, sabme());
    sent(w, rr(0, true, true));  // idle link polled: T203
    CHECK(w.expiries().t203 == 1);
    sent(w, rr(0, true, true));  // no answer, polled again: T200
    CHECK(w.expiries().t200 == 1);
    received(w, rr(0, false, false));  // the network's answer
    sent(w, i_frame(0, 0, msg(0x0001, 0x05)));  // SETUP
    sent(w, rr(0, true, true));  // outstanding I-frame: T200
    CHECK(w.expiries().t200 == 2);
    sent(w, i_frame(0, 0, msg(0x0001, 0x05)));  // N(S) 0 again: sent again
    CHECK(w.expiries().t200 == 3);
    // A response with F = 1 to the network's poll is no expiry of ours.
    received(w, rr(1, true, false));
    sent(w, {0x02, 0x01, 0x01, 0x03});
    CHECK(w.expiries().t200 == 3);
    CHECK(w.expiries().t203 == 1);
}

TEST_CASE("timer watch: T303, T305 and T308 from repeated call-control messages", "[isdn][timers]")
{
    TimerWatch w(true);  // the network side this time
    uint8_t ns = 0;
    auto send_msg = [&](uint16_t cref, uint8_t type) { sent(w, i_frame(ns++, 0, msg(cref, type))); };
    send_msg(0x0005, 0x05);  // SETUP
    send_msg(0x0005, 0x05);  // SETUP again, same call reference: T303
    CHECK(w.expiries().t303 == 1);
    // The far end answers (its messages carry the flag): the call is known.
    received(w, i_frame(0, ns, msg(0x8005, 0x02)));
    send_msg(0x0005, 0x45);  // DISCONNECT
    send_msg(0x0005, 0x4d);  // RELEASE with no answer between: T305
    CHECK(w.expiries().t305 == 1);
    send_msg(0x0005, 0x4d);  // RELEASE again: T308
    CHECK(w.expiries().t308 == 1);
    received(w, i_frame(1, ns, msg(0x8005, 0x5a)));  // RELEASE COMPLETE: forgotten
    // A normal clearing: DISCONNECT, the far end's RELEASE, our RELEASE COMPLETE.
    send_msg(0x0006, 0x05);
    received(w, i_frame(2, ns, msg(0x8006, 0x01)));
    send_msg(0x0006, 0x45);
    received(w, i_frame(3, ns, msg(0x8006, 0x4d)));
    send_msg(0x0006, 0x5a);
    CHECK(w.expiries().t303 == 1);
    CHECK(w.expiries().t305 == 1);
    CHECK(w.expiries().t308 == 1);
    // Our RELEASE after the far end's DISCONNECT is the normal answer.
    send_msg(0x0007, 0x05);
    received(w, i_frame(4, ns, msg(0x8007, 0x45)));
    send_msg(0x0007, 0x4d);
    CHECK(w.expiries().t305 == 1);
}
