// RFC 4733 telephone-events played as DTMF: the player alone, and a
// session taking events between its audio packets. The judge is SpanDSP's
// DTMF detector (bench/audio/dtmf.h), not the tone generator that plays.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "bench/audio/dtmf.h"
#include "dataplane/media/media_session.h"
#include "tests/unit/dataplane/media/far_end_rtp.h"

using namespace trunkgw::media;
namespace audio = trunkgw::audio;

// The whole file in its own namespace: the test binary is built as one unit
// (meson unity, tests/meson.build) and each file has its own helpers.
namespace telephone_event_test {

constexpr uint8_t te_pt = 101;

// One RFC 4733 2.3 payload.
std::vector<uint8_t> event_payload(uint8_t event, bool end, uint8_t volume, uint16_t duration)
{
    return {event, static_cast<uint8_t>((end ? 0x80 : 0) | (volume & 0x3F)), static_cast<uint8_t>(duration >> 8),
            static_cast<uint8_t>(duration & 0xFF)};
}

// Plays `ms` milliseconds of the player from `now_ms` into `out` (idle
// code where it plays nothing).
void play_ms(TelephoneEventPlayer& p, std::vector<uint8_t>& out, uint32_t now_ms, uint32_t ms)
{
    for (uint32_t t = now_ms; t < now_ms + ms; ++t) {
        uint8_t o[8];
        std::memset(o, 0xD5, sizeof(o));
        p.play(o, t * 8);
        out.insert(out.end(), o, o + 8);
    }
}

std::string digits_in(const std::vector<uint8_t>& alaw)
{
    return audio::dtmf_digits(alaw, audio::Law::alaw);
}

// Milliseconds of tone in `octets`: 8-sample blocks with anything but the
// idle code (a tone's single samples can encode as the idle code; none of
// its milliseconds does).
std::size_t tone_ms(const std::vector<uint8_t>& octets, uint8_t idle = 0xD5)
{
    std::size_t n = 0;
    for (std::size_t i = 0; i + 8 <= octets.size(); i += 8) {
        n += std::any_of(octets.begin() + static_cast<std::ptrdiff_t>(i),
                         octets.begin() + static_cast<std::ptrdiff_t>(i + 8), [idle](uint8_t o) { return o != idle; });
    }
    return n;
}

// A key press as a sender paces it (RFC 4733 2.5.1: an update every 20 ms
// with the duration so far, then E three times), from `at_ms`; returns the
// time after it.
uint32_t press(TelephoneEventPlayer& p, std::vector<uint8_t>& out, uint32_t at_ms, uint8_t event, uint32_t ms,
               uint32_t ts)
{
    uint32_t t = at_ms;
    for (uint32_t d = 0; d < ms; d += 20, t += 20) {
        auto pl = event_payload(event, false, 10, static_cast<uint16_t>(d * 8));
        p.receive(ts, pl.data(), pl.size(), t * 8);
        play_ms(p, out, t, 20);
    }
    for (int i = 0; i < 3; ++i) {
        auto pl = event_payload(event, true, 10, static_cast<uint16_t>(ms * 8));
        p.receive(ts, pl.data(), pl.size(), t * 8);
    }
    return t;
}

TEST_CASE("telephone-event: every DTMF event (0-15) plays as its Q.23 key, for the duration sent", "[telephone_event]")
{
    TelephoneEventPlayer p;
    p.reset(Law::alaw);
    std::vector<uint8_t> out;
    uint32_t t = 0;
    for (uint8_t e = 0; e < 16; ++e) {
        t = press(p, out, t, e, 100, 1000 + e * 8000u);
        play_ms(p, out, t, 100);  // the tone's end, then a pause between keys
        t += 100;
    }
    CHECK(digits_in(out) == "0123456789*#ABCD");
    CHECK(p.counters().events == 16);
    CHECK(p.counters().unsupported == 0);
    CHECK_FALSE(p.playing());
    // Each key sounds as long as its duration said: 100 ms (the E packets'
    // duration), whatever came before.
    CHECK(tone_ms(out) == 16 * 100);
}

TEST_CASE("telephone-event: SIPp's dtmf_2833_1 shape (E at 140 ms saying 280 ms, sent thrice)", "[telephone_event]")
{
    TelephoneEventPlayer p;
    p.reset(Law::ulaw);
    std::vector<uint8_t> out;
    // The capture: timestamp 13280, durations 0..1920 every 20 ms, then E
    // with 2240 three times.
    for (uint32_t i = 0; i < 7; ++i) {
        auto pl = event_payload(1, false, 10, static_cast<uint16_t>(i * 320));
        CHECK(p.receive(13280, pl.data(), pl.size(), i * 160) ==
              (i == 0 ? TelephoneEventPlayer::Verdict::started : TelephoneEventPlayer::Verdict::updated));
        for (uint32_t t = i * 20; t < i * 20 + 20; ++t) {
            uint8_t o[8];
            std::memset(o, 0xFF, 8);
            REQUIRE(p.play(o, t * 8));
            out.insert(out.end(), o, o + 8);
        }
    }
    for (int k = 0; k < 3; ++k) {
        auto pl = event_payload(1, true, 10, 2240);
        p.receive(13280, pl.data(), pl.size(), 140 * 8);
    }
    uint32_t t = 140;
    for (; t < 1000; ++t) {
        uint8_t o[8];
        std::memset(o, 0xFF, 8);
        if (!p.play(o, t * 8)) {
            break;
        }
        out.insert(out.end(), o, o + 8);
    }
    CHECK(t == 280);  // 2240 samples
    CHECK(audio::dtmf_digits(out, audio::Law::ulaw) == "1");
    CHECK(p.counters().events == 1);
    // A late copy of the ended event's packets starts nothing.
    auto pl = event_payload(1, true, 10, 2240);
    CHECK(p.receive(13280, pl.data(), pl.size(), 300 * 8) == TelephoneEventPlayer::Verdict::old);
    CHECK_FALSE(p.playing());
}

TEST_CASE("telephone-event: lost end packets stop the tone 150 ms after the last update's duration",
          "[telephone_event]")
{
    TelephoneEventPlayer p;
    p.reset(Law::alaw);
    std::vector<uint8_t> out;
    // Updates for 100 ms (durations 0..80 ms), then nothing.
    for (uint32_t d = 0; d < 100; d += 20) {
        auto pl = event_payload(5, false, 10, static_cast<uint16_t>(d * 8));
        p.receive(7000, pl.data(), pl.size(), d * 8);
        play_ms(p, out, d, 20);
    }
    play_ms(p, out, 100, 1000);
    CHECK_FALSE(p.playing());
    // The last update (at 80 ms) said 80 ms; silence is waited out for
    // 150 ms after it was heard: the tone ends at 231 ms.
    CHECK(tone_ms(out) == 231);
    CHECK(digits_in(out) == "5");
}

TEST_CASE("telephone-event: a key held without end stops at max_event_ms", "[telephone_event]")
{
    TelephoneEventPlayer p;
    p.reset(Law::alaw);
    std::vector<uint8_t> out;
    // Updates every 50 ms for 10 s, the duration wrapping as a 16-bit field
    // would without segmenting (a sender stuck on a key).
    for (uint32_t t = 0; t < 10000; t += 50) {
        auto pl = event_payload(9, false, 10, static_cast<uint16_t>(t * 8));
        p.receive(4242, pl.data(), pl.size(), t * 8);
        play_ms(p, out, t, 50);
    }
    CHECK(tone_ms(out) == TelephoneEventPlayer::max_event_ms);
    CHECK_FALSE(p.playing());
}

TEST_CASE("telephone-event: a long event's segments (RFC 4733 2.5.1.3) continue one tone, capped at max_event_ms",
          "[telephone_event]")
{
    TelephoneEventPlayer p;
    p.reset(Law::alaw);
    std::vector<uint8_t> out;
    // Segment 1: durations up to 0xFFFF (8.19 s) every 50 ms, no E; segment
    // 2 from the timestamp 0xFFFF on, for 4 s more, then E.
    const uint32_t ts = 0xFFFF0000u;  // and the second segment's wraps past 2^32
    uint32_t t = 0;
    for (; t * 8 < 0xFFFF; t += 50) {
        auto pl = event_payload(5, false, 10, static_cast<uint16_t>(t * 8));
        p.receive(ts, pl.data(), pl.size(), t * 8);
        play_ms(p, out, t, 50);
    }
    auto last = event_payload(5, false, 10, 0xFFFF);
    p.receive(ts, last.data(), last.size(), t * 8);
    for (uint32_t d = 0; d < 4000; d += 50, t += 50) {
        auto pl = event_payload(5, d + 50 >= 4000, 10, static_cast<uint16_t>(d * 8));
        CHECK(p.receive(ts + 0xFFFF, pl.data(), pl.size(), t * 8) != TelephoneEventPlayer::Verdict::started);
        play_ms(p, out, t, 50);
    }
    play_ms(p, out, t, 500);
    CHECK(p.counters().events == 1);  // one digit, never restarted
    CHECK(tone_ms(out) == TelephoneEventPlayer::max_event_ms);
    CHECK(digits_in(out) == "5");
}

TEST_CASE("telephone-event: a stream that jumps back (a new SSRC, a restart) still starts events; a tone cut "
          "short by the next event gets a pause first",
          "[telephone_event]")
{
    TelephoneEventPlayer p;
    p.reset(Law::alaw);
    std::vector<uint8_t> out;
    uint32_t t = press(p, out, 0, 3, 100, 100000000u);
    play_ms(p, out, t, 100);
    t += 100;
    // A source whose timestamps lie far behind: a new event, not an old one.
    t = press(p, out, t, 4, 100, 1000);
    play_ms(p, out, t, 100);
    t += 100;
    CHECK(p.counters().events == 2);
    // "1" whose end packets are lost, then "1" again 60 ms later: the first
    // tone still sounds (silence timeout), so 40 ms of pause separate them.
    for (uint32_t d = 0; d < 60; d += 20, t += 20) {
        auto pl = event_payload(1, false, 10, static_cast<uint16_t>(d * 8));
        p.receive(50000, pl.data(), pl.size(), t * 8);
        play_ms(p, out, t, 20);
    }
    t = press(p, out, t, 1, 100, 50000 + 60 * 8);
    play_ms(p, out, t, 300);
    CHECK(digits_in(out) == "3411");
    CHECK(p.counters().events == 4);
}

TEST_CASE("telephone-event: non-DTMF events and short payloads are counted, not played; a new timestamp "
          "replaces the tone; an older one is ignored",
          "[telephone_event]")
{
    TelephoneEventPlayer p;
    p.reset(Law::alaw);
    auto flash = event_payload(16, false, 10, 0);  // RFC 2833's flash: not DTMF in RFC 4733
    CHECK(p.receive(100, flash.data(), flash.size(), 0) == TelephoneEventPlayer::Verdict::unsupported);
    const uint8_t three[3] = {1, 10, 0};
    CHECK(p.receive(100, three, sizeof(three), 0) == TelephoneEventPlayer::Verdict::unsupported);
    CHECK(p.counters().unsupported == 2);
    CHECK_FALSE(p.playing());

    auto two = event_payload(2, false, 10, 0);
    CHECK(p.receive(8000, two.data(), two.size(), 0) == TelephoneEventPlayer::Verdict::started);
    CHECK(p.digit() == 2);
    auto three_key = event_payload(3, false, 10, 0);
    CHECK(p.receive(9600, three_key.data(), three_key.size(), 80) == TelephoneEventPlayer::Verdict::started);
    CHECK(p.digit() == 3);
    CHECK(p.receive(8000, two.data(), two.size(), 90) == TelephoneEventPlayer::Verdict::old);
    CHECK(p.digit() == 3);
    CHECK(p.counters().events == 2);
}

namespace {

MediaSessionConfig session_config(uint8_t telephone_event_pt)
{
    MediaSessionConfig c;
    c.payload_type = payload_type_pcma;
    c.channel_law = Law::alaw;
    c.ptime_ms = 20;
    c.ssrc = 0x1234;
    c.jitter_mode = JitterMode::fixed;
    c.jitter_delay_ms = 40;
    c.local_rtp = {0x0A000001, 20000};
    c.remote_rtp = {0x0A000002, 30000};
    c.rtcp_interval_ms = 0;
    c.telephone_event_pt = telephone_event_pt;
    return c;
}

using FarEnd = test::FarEndRtp;

void sink_nothing(void*, const TxPacket&)
{
}

}  // namespace

TEST_CASE("session: RFC 4733 events between audio packets play as DTMF on the channel, in the stream's "
          "sequence space (no loss counted) and outside its jitter estimate",
          "[telephone_event][media_session]")
{
    MediaSession s(session_config(te_pt));
    FarEnd fe;
    std::vector<uint8_t> channel;
    const Endpoint src{0x0A000002, 30000};
    uint8_t in[8];
    std::memset(in, 0xD5, 8);
    uint32_t events_sent = 0;
    uint32_t jitter_before_events = 0;
    for (uint64_t t = 0; t < 2000; ++t) {
        const uint64_t now = t * 1000000;
        if (t % 20 == 0) {
            if (t >= 500 && t < 700) {
                // 200 ms of key 7, its timestamp the event's start (500 ms);
                // audio stops meanwhile, as RFC 4733 2.5.1 senders do.
                const bool end = t >= 680;
                const auto d = static_cast<uint16_t>((t - 500 + 20) * 8);
                auto pkt = fe.packet(te_pt, t == 500, 500 * 8, event_payload(7, end, 8, d));
                REQUIRE(s.receive_rtp(pkt.data(), pkt.size(), src, now) == RxVerdict::accepted);
                ++events_sent;
                if (end) {  // E thrice, the copies with the same sequence number
                    --fe.seq;
                    auto again = fe.packet(te_pt, false, 500 * 8, event_payload(7, true, 8, d));
                    CHECK(s.receive_rtp(again.data(), again.size(), src, now) == RxVerdict::duplicate);
                }
                fe.ts += 160;
            } else {
                if (t == 480) {
                    jitter_before_events = s.stats().jitter_ts;
                }
                auto pkt = fe.packet(payload_type_pcma, false, fe.ts, std::vector<uint8_t>(160, 0xD5));
                REQUIRE(s.receive_rtp(pkt.data(), pkt.size(), src, now) == RxVerdict::accepted);
                fe.ts += 160;
            }
        }
        uint8_t out[8];
        s.tick(in, out, now, {sink_nothing, nullptr});
        channel.insert(channel.end(), out, out + 8);
    }
    const MediaSessionStats st = s.stats();
    CHECK(digits_in(channel) == "7");
    CHECK(st.telephone_events.events == 1);
    CHECK(st.jitter_buffer.events == events_sent);
    CHECK(st.jitter_buffer.duplicate == 1);
    CHECK(st.jitter_buffer.bad_payload_type == 0);
    // The events are in the stream's sequence space: none counted lost; the
    // repeated end packet counts as received (RFC 3550 A.3 counts
    // duplicates), hence -1. (Counted apart, the 10 events would be 9 lost.)
    CHECK(st.lost == -1);
    // The events' constant timestamp did not enter the jitter estimate
    // (a 200 ms event read as transit time would put J in the hundreds).
    CHECK(st.jitter_ts <= jitter_before_events + 8);
    CHECK(tone_ms(channel) >= 200);
    CHECK(tone_ms(channel) <= 230);
}

TEST_CASE("session: telephone-event packets without a negotiated PT are bad_payload_type drops; the PT "
          "must be dynamic",
          "[telephone_event][media_session]")
{
    MediaSession s(session_config(0));
    FarEnd fe;
    auto pkt = fe.packet(te_pt, true, 800, event_payload(1, false, 10, 0));
    CHECK(s.receive_rtp(pkt.data(), pkt.size(), {0x0A000002, 30000}, 0) == RxVerdict::bad_payload_type);
    CHECK(s.stats().telephone_events.events == 0);
    for (uint8_t pt : {1, 8, 95, 128, 255}) {
        INFO("pt " << int(pt));
        CHECK(MediaSession::check(session_config(pt), MediaSessionLimits{}).error == -EINVAL);
    }
    for (uint8_t pt : {96, 101, 127}) {
        CHECK(MediaSession::check(session_config(pt), MediaSessionLimits{}).ok());
    }
}

}  // namespace telephone_event_test
