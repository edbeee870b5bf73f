// DTMF heard on the channel, sent as RFC 4733 telephone-events by a session
// in place of its audio. The digits are made by SpanDSP's DTMF generator
// (dtmf_tx), not by anything the session uses; what the session sends is
// judged packet by packet against RFC 4733 2.5.1's sending rules.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bench/audio/dtmf.h"
#include "dataplane/media/media_session.h"

using namespace trunkgw::media;
namespace audio = trunkgw::audio;

namespace {

constexpr uint8_t te_pt = 101;

// `digits` as a keypad sends them (each on_ms of tone, off_ms of silence),
// then tail_ms of silence: A-law octets, 8 a millisecond.
std::vector<uint8_t> keyed_alaw(const char* digits, int on_ms, int off_ms, int tail_ms)
{
    std::vector<uint8_t> out = audio::dtmf_keyed(digits, audio::Law::alaw, on_ms, off_ms);
    out.resize((out.size() + static_cast<std::size_t>(tail_ms) * 8 + 7) / 8 * 8, silence_octet(Law::alaw));
    return out;
}

MediaSessionConfig sender_config(uint8_t telephone_event_pt)
{
    MediaSessionConfig c;
    c.payload_type = payload_type_pcmu;  // u-law on the wire, A-law on the channel: converted
    c.channel_law = Law::alaw;
    c.ptime_ms = 20;
    c.ssrc = 0xD7F00001;
    c.first_sequence = 65530;  // wraps during the test
    c.first_timestamp = 0xFFFFF000;
    c.local_rtp = {0x0A000001, 20000};
    c.remote_rtp = {0x0A000002, 30000};
    c.rtcp_interval_ms = 0;
    c.telephone_event_pt = telephone_event_pt;
    return c;
}

struct Sent {
    RtpHeader h;
    std::vector<uint8_t> payload;

    bool event() const { return h.payload_type == te_pt; }
    uint8_t code() const { return payload[0]; }
    bool end() const { return (payload[1] & 0x80) != 0; }
    uint8_t volume() const { return payload[1] & 0x3F; }
    uint32_t duration() const { return static_cast<uint32_t>(payload[2]) << 8 | payload[3]; }
};

void collect(void* user, const TxPacket& p)
{
    RtpPacketView v = rtp_parse(p.data, p.len);
    REQUIRE(v.ok());
    static_cast<std::vector<Sent>*>(user)->push_back({v.header, {v.payload, v.payload + v.payload_len}});
}

// Ticks `s` through `channel` (8 octets a millisecond) and returns what it sent.
std::vector<Sent> run(MediaSession& s, const std::vector<uint8_t>& channel, uint64_t& now_ms)
{
    std::vector<Sent> sent;
    for (std::size_t i = 0; i + 8 <= channel.size(); i += 8) {
        s.tick(channel.data() + i, nullptr, now_ms++ * 1000000, {collect, &sent});
    }
    return sent;
}

// One event as the packets tell it.
struct EventSeen {
    uint8_t code = 0;
    uint32_t ts = 0;
    std::vector<const Sent*> packets;
};

// The events in `sent`, each with its packets in order; checks every
// packet against RFC 4733 2.5.1 on the way.
std::vector<EventSeen> events_of(const std::vector<Sent>& sent)
{
    std::vector<EventSeen> events;
    for (const Sent& p : sent) {
        if (!p.event()) {
            continue;
        }
        REQUIRE(p.payload.size() == 4);
        CHECK((p.payload[1] & 0x40) == 0);  // 2.3.3: R zero
        if (p.h.marker) {                   // 2.5.1.2: the first packet of an event, and only it
            events.push_back({p.code(), p.h.timestamp, {}});
        }
        REQUIRE(!events.empty());
        events.back().packets.push_back(&p);
    }
    return events;
}

std::string keys_of(const std::vector<EventSeen>& events)
{
    static const char keys[] = "0123456789*#ABCD";
    std::string s;
    for (const EventSeen& e : events) {
        s += e.code < 16 ? keys[e.code] : '?';
    }
    return s;
}

// The audio octets of the audio packets (u-law), in order.
std::vector<uint8_t> audio_of(const std::vector<Sent>& sent)
{
    std::vector<uint8_t> a;
    for (const Sent& p : sent) {
        if (!p.event()) {
            a.insert(a.end(), p.payload.begin(), p.payload.end());
        }
    }
    return a;
}

}  // namespace

TEST_CASE("sender: keyed digits leave as RFC 4733 events in place of audio (M first, updates, E three times)",
          "[telephone_event_sender][media_session]")
{
    MediaSession s(sender_config(te_pt));
    uint64_t now_ms = 0;
    const std::vector<Sent> sent = run(s, keyed_alaw("19#", 100, 100, 200), now_ms);
    REQUIRE(sent.size() > 30);

    // 2.5.1.6: one sequence space, +1 a packet, events and their
    // retransmissions included (and through the 16-bit wrap).
    for (std::size_t i = 1; i < sent.size(); ++i) {
        CHECK(sent[i].h.sequence == static_cast<uint16_t>(sent[i - 1].h.sequence + 1));
        CHECK(sent[i].h.ssrc == 0xD7F00001);
    }

    const std::vector<EventSeen> events = events_of(sent);
    CHECK(keys_of(events) == "19#");
    for (const EventSeen& e : events) {
        INFO("event " << int(e.code));
        const std::size_t n = e.packets.size();
        REQUIRE(n >= 4);
        uint32_t last = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const Sent& p = *e.packets[i];
            CHECK(p.h.timestamp == e.ts);  // 2.5.1.2: "the same RTP timestamp value as the initial packet"
            CHECK(p.code() == e.code);
            CHECK(p.duration() >= last);   // cumulative
            CHECK(p.duration() > 0);       // 2.3.5: zero is for states only
            CHECK(p.volume() >= 5);        // SpanDSP's keypad sends about -10 dBm0 a tone
            CHECK(p.volume() <= 20);
            CHECK(p.h.marker == (i == 0));
            // 2.5.1.4: the final packet, E set, three times; E on nothing else.
            CHECK(p.end() == (i + 3 >= n));
            last = p.duration();
        }
        // The updates' spacing: one per 20 ms packet interval.
        CHECK(e.packets[1]->duration() - e.packets[0]->duration() == 160);
        // A 100 ms key: confirmed some 25-40 ms in, its end as long after it;
        // reported from the confirming packet's start to the end's packet.
        const uint32_t final_duration = e.packets[n - 1]->duration();
        CHECK(final_duration >= 560);  // 3.1: at least a V.18 sender's 70 ms
        CHECK(final_duration <= 1200);
        CHECK(e.packets[n - 1]->duration() == e.packets[n - 3]->duration());
    }

    // RFC 4733 3.1: "instead of regular audio packets": no audio packet
    // covers a moment an event reports.
    for (const Sent& p : sent) {
        if (p.event()) {
            continue;
        }
        for (const EventSeen& e : events) {
            const uint32_t end = e.ts + e.packets.back()->duration();
            CHECK(!(static_cast<int32_t>(p.h.timestamp - e.ts) >= 0 && static_cast<int32_t>(p.h.timestamp - end) < 0));
        }
    }

    const MediaSessionStats st = s.stats();
    std::size_t event_packets = 0;
    for (const Sent& p : sent) {
        event_packets += p.event() ? 1 : 0;
    }
    CHECK(st.telephone_events_sent.events == 3);
    CHECK(st.telephone_events_sent.packets == event_packets);
    CHECK(st.session.rtp_packets_out == sent.size());  // events are RTP packets sent (RFC 3550 6.4.1)
    CHECK(st.session.rtp_payload_octets_out == audio_of(sent).size() + 4 * event_packets);
}

TEST_CASE("sender: without a telephone-event PT the digits stay in-band, untouched", "[telephone_event_sender]")
{
    MediaSession s(sender_config(0));
    uint64_t now_ms = 0;
    const std::vector<Sent> sent = run(s, keyed_alaw("19#", 100, 100, 200), now_ms);
    for (const Sent& p : sent) {
        CHECK(p.h.payload_type == payload_type_pcmu);
    }
    CHECK(audio::dtmf_digits(audio_of(sent), audio::Law::ulaw) == "19#");
    CHECK(s.stats().telephone_events_sent.events == 0);
}

TEST_CASE("sender: fast keying (50 ms tones, 45 and 25 ms pauses) keeps every digit and every final packet",
          "[telephone_event_sender]")
{
    MediaSession s(sender_config(te_pt));
    uint64_t now_ms = 0;
    // 45 ms pauses, then 25 ms ones: the next key is confirmed while the
    // last one's final packet still has retransmissions due.
    std::vector<uint8_t> channel = keyed_alaw("12345", 50, 45, 0);
    const std::vector<uint8_t> faster = keyed_alaw("6789", 50, 25, 200);
    channel.insert(channel.end(), faster.begin(), faster.end());
    const std::vector<Sent> sent = run(s, channel, now_ms);
    for (std::size_t i = 1; i < sent.size(); ++i) {
        CHECK(sent[i].h.sequence == static_cast<uint16_t>(sent[i - 1].h.sequence + 1));
    }
    const std::vector<EventSeen> events = events_of(sent);
    CHECK(keys_of(events) == "123456789");
    for (const EventSeen& e : events) {
        INFO("event " << int(e.code));
        const std::size_t n = e.packets.size();
        REQUIRE(n >= 4);
        // Each event's three final packets come before the next event's
        // first (sent back to back when the next key was confirmed first).
        for (std::size_t i = 0; i < n; ++i) {
            CHECK(e.packets[i]->end() == (i + 3 >= n));
        }
    }
}

TEST_CASE("sender: a key held past the 16-bit duration goes on in segments (RFC 4733 2.5.1.3)",
          "[telephone_event_sender]")
{
    MediaSession s(sender_config(te_pt));
    uint64_t now_ms = 0;
    // 9 s of "5": more than 0xFFFF samples (8.19 s).
    const std::vector<Sent> sent = run(s, keyed_alaw("5", 9000, 0, 200), now_ms);
    std::vector<const Sent*> ev;
    for (const Sent& p : sent) {
        if (p.event()) {
            ev.push_back(&p);
        }
    }
    REQUIRE(ev.size() > 400);
    CHECK(ev.front()->h.marker);
    std::map<uint32_t, std::vector<const Sent*>> segments;
    for (const Sent* p : ev) {
        segments[p->h.timestamp - ev.front()->h.timestamp].push_back(p);
    }
    REQUIRE(segments.size() == 2);
    const auto& first = segments.begin()->second;
    const auto& second = std::next(segments.begin())->second;
    // "a packet reporting this maximum duration but ... not ... the E bit",
    // then a new segment "with the RTP timestamp set to the time at which
    // the previous segment ended", its first packet without M.
    CHECK(first.back()->duration() == 0xFFFF);
    CHECK(!first.back()->end());
    CHECK(std::next(segments.begin())->first == 0xFFFF);
    CHECK(!second.front()->h.marker);
    CHECK(second.back()->end());
    // ~9 s in all: 72,000 samples, less the detector's delay at the start,
    // plus its delay at the end.
    CHECK(second.back()->duration() > 72000u - 0xFFFFu - 400u);
    CHECK(second.back()->duration() < 72000u - 0xFFFFu + 600u);
    for (const Sent* p : ev) {
        CHECK(p->code() == 5);
        CHECK(p->h.marker == (p == ev.front()));
    }
    CHECK(s.stats().telephone_events_sent.events == 1);
}

TEST_CASE("sender: a re-INVITE's telephone-event PT applies at once; 0 stops the events, the audio carries the "
          "digits again",
          "[telephone_event_sender][media_session]")
{
    MediaSession s(sender_config(te_pt));
    uint64_t now_ms = 0;
    CHECK(s.set_telephone_event_pt(8) == -EINVAL);  // a static PT
    CHECK(s.set_telephone_event_pt(96) == 0);
    std::vector<Sent> sent = run(s, keyed_alaw("4", 100, 100, 0), now_ms);
    bool seen_96 = false;
    for (const Sent& p : sent) {
        seen_96 = seen_96 || p.h.payload_type == 96;
        CHECK(p.h.payload_type != te_pt);
    }
    CHECK(seen_96);

    CHECK(s.set_telephone_event_pt(0) == 0);
    sent = run(s, keyed_alaw("7", 100, 100, 100), now_ms);
    for (const Sent& p : sent) {
        CHECK(p.h.payload_type == payload_type_pcmu);
    }
    CHECK(audio::dtmf_digits(audio_of(sent), audio::Law::ulaw) == "7");
    CHECK(s.stats().telephone_events_sent.events == 1);  // the counters stay
}

TEST_CASE("sender: the far end's DTMF played into the channel and heard back (a hybrid's echo) is not sent back",
          "[telephone_event_sender][media_session]")
{
    // The channel returns a key "5" from 100 ms to 300 ms: an echo of the
    // far end's key 5, whose events arrive from 90 ms (SIP -> PRI DTMF).
    std::vector<uint8_t> echo(100 * 8, silence_octet(Law::alaw));
    const std::vector<uint8_t> tone = keyed_alaw("5", 200, 0, 300);
    echo.insert(echo.end(), tone.begin(), tone.end());

    auto run_with_far_end_events = [&echo](bool events) {
        MediaSession s(sender_config(te_pt));
        std::vector<Sent> sent;
        const Endpoint src{0x0A000002, 30000};
        uint16_t seq = 1;
        auto packet = [&seq](uint8_t pt, uint32_t ts, std::vector<uint8_t> payload) {
            std::vector<uint8_t> p(12 + payload.size());
            RtpHeaderFields h;
            h.payload_type = pt;
            h.marker = pt == te_pt && payload[3] == 160;
            h.ssrc = 0x5EED;
            h.sequence = seq++;
            h.timestamp = ts;
            rtp_build_header(h, p.data(), p.size());
            std::copy(payload.begin(), payload.end(), p.begin() + 12);
            return p;
        };
        for (uint32_t t = 0; t * 8 < echo.size(); ++t) {
            const uint64_t now = uint64_t{t} * 1000000;
            if (t % 20 == 10) {
                std::vector<uint8_t> p;
                if (events && t >= 90 && t < 330) {
                    // Key 5 from 90 ms: updates to 290 ms, then E three times.
                    const uint32_t d = std::min<uint32_t>(t - 90 + 20, 200) * 8;
                    p = packet(te_pt, 90 * 8, {5, static_cast<uint8_t>((t >= 290 ? 0x80 : 0) | 10),
                                               static_cast<uint8_t>(d >> 8), static_cast<uint8_t>(d)});
                } else {
                    p = packet(payload_type_pcmu, (t - 10) * 8, std::vector<uint8_t>(160, 0xFF));
                }
                s.receive_rtp(p.data(), p.size(), src, now);
            }
            uint8_t out[8];
            s.tick(echo.data() + t * 8, out, now, {collect, &sent});
        }
        return s.stats();
    };
    const MediaSessionStats with = run_with_far_end_events(true);
    CHECK(with.telephone_events.events == 1);       // the far end's key played
    CHECK(with.telephone_events_sent.events == 0);  // its echo not sent back
    const MediaSessionStats without = run_with_far_end_events(false);
    CHECK(without.telephone_events_sent.events == 1);  // the same tone, not an echo: the caller's key
}
