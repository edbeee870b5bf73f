// DTMF heard on the channel, sent as RFC 4733 telephone-events by a session
// in place of its audio. The digits are made by SpanDSP's DTMF generator
// (dtmf_tx), not by anything the session uses; what the session sends is
// judged packet by packet against RFC 4733 2.5.1's sending rules.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bench/audio/dtmf.h"
#include "dataplane/media/media_session.h"
#include "tests/unit/dataplane/media/far_end_rtp.h"

using namespace trunkgw::media;
namespace audio = trunkgw::audio;

// The whole file in its own namespace: the test binary is built as one unit
// (meson unity, tests/meson.build) and each file has its own helpers.
namespace telephone_event_sender_test {

constexpr uint8_t te_pt = 101;

// `digits` as a keypad sends them (each on_ms of tone at level_dbm0 a
// tone, off_ms of silence), then tail_ms of silence: A-law octets, 8 a
// millisecond.
std::vector<uint8_t> keyed_alaw(const char* digits, int on_ms, int off_ms, int tail_ms, int level_dbm0 = -10)
{
    std::vector<uint8_t> out = audio::dtmf_keyed(digits, audio::Law::alaw, on_ms, off_ms, level_dbm0);
    out.resize((out.size() + static_cast<std::size_t>(tail_ms) * 8 + 7) / 8 * 8, silence_octet(Law::alaw));
    return out;
}

MediaSessionConfig sender_config(uint8_t telephone_event_pt, uint32_t ptime_ms = 20)
{
    MediaSessionConfig c;
    c.payload_type = payload_type_pcmu;  // u-law on the wire, A-law on the channel: converted
    c.channel_law = Law::alaw;
    c.ptime_ms = ptime_ms;
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
    uint64_t at_ms = 0;  // when it was sent

    bool event() const { return is_dynamic_payload_type(h.payload_type); }
    uint8_t code() const { return payload[0]; }
    bool end() const { return (payload[1] & 0x80) != 0; }
    uint8_t volume() const { return payload[1] & 0x3F; }
    uint32_t duration() const { return static_cast<uint32_t>(payload[2]) << 8 | payload[3]; }
};

struct Collector {
    std::vector<Sent> sent;
    uint64_t now_ms = 0;
};

void collect(void* user, const TxPacket& p)
{
    auto* c = static_cast<Collector*>(user);
    RtpPacketView v = rtp_parse(p.data, p.len);
    REQUIRE(v.ok());
    c->sent.push_back({v.header, {v.payload, v.payload + v.payload_len}, c->now_ms});
}

// Ticks `s` through `channel` (8 octets a millisecond); what it sends
// gathers in `c`.
void run(MediaSession& s, const std::vector<uint8_t>& channel, Collector& c)
{
    for (std::size_t i = 0; i + 8 <= channel.size(); i += 8) {
        s.tick(channel.data() + i, nullptr, c.now_ms * 1000000, {collect, &c});
        ++c.now_ms;
    }
}

// One event (all its segments) as the packets tell it.
struct EventSeen {
    uint8_t code = 0;
    uint32_t ts = 0;  // its first segment's
    std::vector<const Sent*> packets;
};

// The events in `sent`, each with its packets in order, every packet
// checked against RFC 4733's sending rules on the way: M on an event's
// first packet only (2.5.1.2), the event's timestamp or a later segment's
// one 0xFFFF on (2.5.1.3), durations cumulative and never zero (2.3.5),
// R zero (2.3.3); an event's E packets last and alike (2.5.1.4).
std::vector<EventSeen> events_of(const std::vector<Sent>& sent)
{
    std::vector<EventSeen> events;
    uint32_t segment_ts = 0;
    std::map<uint32_t, const Sent*> last;  // per segment timestamp, its last packet
    for (const Sent& p : sent) {
        if (!p.event()) {
            continue;
        }
        REQUIRE(p.payload.size() == 4);
        CHECK((p.payload[1] & 0x40) == 0);
        CHECK(p.duration() > 0);
        if (p.h.marker) {
            events.push_back({p.code(), p.h.timestamp, {}});
            segment_ts = p.h.timestamp;
            last.clear();
        }
        REQUIRE(!events.empty());
        EventSeen& e = events.back();
        CHECK(p.code() == e.code);
        const uint32_t ts = p.h.timestamp;
        if (ts == static_cast<uint32_t>(segment_ts + 0xFFFF)) {
            // A new segment: the last one reached the limit first.
            REQUIRE(last.count(segment_ts) == 1);
            CHECK(last[segment_ts]->duration() == 0xFFFF);
            segment_ts = ts;
        }
        if (ts == static_cast<uint32_t>(segment_ts - 0xFFFF) && last.count(ts) == 1) {
            // The last segment's final packet, repeated (2.5.1.4).
            CHECK(p.duration() == 0xFFFF);
            CHECK(!p.end());
        } else {
            CHECK(ts == segment_ts);
        }
        if (last.count(ts) == 1) {
            CHECK(p.duration() >= last[ts]->duration());
            if (last[ts]->end()) {  // after E only E's own repeats
                CHECK(p.end());
                CHECK(p.duration() == last[ts]->duration());
            }
        }
        last[ts] = &p;
        e.packets.push_back(&p);
    }
    return events;
}

// What an ended event's packets must end with: its final packet, E set,
// three times (2.5.1.4), the same duration.
void check_ended(const EventSeen& e)
{
    const std::size_t n = e.packets.size();
    REQUIRE(n >= 4);
    for (std::size_t i = 0; i < n; ++i) {
        CHECK(e.packets[i]->end() == (i + 3 >= n));
    }
    CHECK(e.packets[n - 1]->duration() == e.packets[n - 3]->duration());
}

std::string keys_of(const std::vector<EventSeen>& events)
{
    std::string s;
    for (const EventSeen& e : events) {
        s += e.code < dtmf_event_keys.size() ? dtmf_event_keys[e.code] : '?';
    }
    return s;
}

void check_one_sequence(const std::vector<Sent>& sent)
{
    // 2.5.1.6: +1 a packet, events and their retransmissions included.
    for (std::size_t i = 1; i < sent.size(); ++i) {
        CHECK(sent[i].h.sequence == static_cast<uint16_t>(sent[i - 1].h.sequence + 1));
        CHECK(sent[i].h.ssrc == 0xD7F00001);
    }
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

TEST_CASE("sender: keyed digits leave as RFC 4733 events in place of audio (M first, updates, E three times), "
          "at every ptime",
          "[telephone_event_sender][media_session]")
{
    const uint32_t ptime = GENERATE(10u, 20u, 30u, 40u);
    INFO("ptime " << ptime);
    MediaSession s(sender_config(te_pt, ptime));
    Collector c;
    run(s, keyed_alaw("19#", 100, 100, 200), c);
    const std::vector<Sent>& sent = c.sent;
    REQUIRE(sent.size() > 15);
    check_one_sequence(sent);

    const std::vector<EventSeen> events = events_of(sent);
    CHECK(keys_of(events) == "19#");
    for (const EventSeen& e : events) {
        INFO("event " << int(e.code));
        check_ended(e);
        for (const Sent* p : e.packets) {
            CHECK(p->h.payload_type == te_pt);
            CHECK(p->volume() >= 5);  // SpanDSP's keypad sends about -10 dBm0 a tone
            CHECK(p->volume() <= 20);
        }
        // An update per packet interval.
        CHECK(e.packets[1]->duration() - e.packets[0]->duration() == ptime * 8);
        // A 100 ms key: confirmed some 25-40 ms in, its end as long after it;
        // reported from the confirming packet's start to the end's packet.
        const uint32_t final_duration = e.packets.back()->duration();
        CHECK(final_duration >= 560);  // 3.1: at least a V.18 sender's 70 ms
        CHECK(final_duration <= (160 + 2 * ptime) * 8);
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
    Collector c;
    run(s, keyed_alaw("19#", 100, 100, 200), c);
    for (const Sent& p : c.sent) {
        CHECK(p.h.payload_type == payload_type_pcmu);
    }
    CHECK(audio::dtmf_digits(audio_of(c.sent), audio::Law::ulaw) == "19#");
    CHECK(s.stats().telephone_events_sent.events == 0);
}

// ms milliseconds of a 1004 Hz tone at level_dbm0 (a sine of amplitude
// 32768 is +3.14 dBm0), or with `noise` of white noise at that level: A-law.
std::vector<uint8_t> channel_at(int level_dbm0, int ms, bool noise)
{
    const double rms = std::sqrt(double(1 << 29) * std::pow(10.0, (level_dbm0 - 3.14) / 10));
    std::vector<int16_t> lin(static_cast<std::size_t>(ms) * 8);
    uint32_t r = 12345;
    for (std::size_t i = 0; i < lin.size(); ++i) {
        r = r * 1664525u + 1013904223u;  // uniform in [-1, 1): variance 1/3
        const double u = static_cast<double>(static_cast<int32_t>(r)) / 2147483648.0;
        lin[i] = static_cast<int16_t>(noise ? rms * std::sqrt(3.0) * u
                                            : rms * std::sqrt(2.0) * std::sin(2 * M_PI * 1004 * double(i) / 8000));
    }
    std::vector<uint8_t> out(lin.size());
    encode_law(Law::alaw, lin.data(), out.data(), out.size());
    return out;
}

TEST_CASE("sender: the detector skips packets too quiet to hold a key, never a key at its lowest level, never a "
          "digit's end",
          "[telephone_event_sender]")
{
    MediaSession s(sender_config(te_pt, 20));
    Collector c;
    // A line's idle noise (G.712 allows -65 dBm0p; -55 here) and a tone
    // under the gate: not listened to. A tone over it: every packet.
    run(s, channel_at(-55, 1000, true), c);
    CHECK(s.stats().telephone_events_sent.quiet == 50);
    run(s, channel_at(-48, 1000, false), c);
    CHECK(s.stats().telephone_events_sent.quiet == 100);
    run(s, channel_at(-42, 1000, false), c);
    CHECK(s.stats().telephone_events_sent.quiet == 100);

    // Keys at -40 dBm0 a tone (SpanDSP's detector takes -42 and above),
    // after the quiet: each sent, each ended (its end was heard though the
    // packets after it are quiet), the pauses between them skipped.
    const std::size_t before = c.sent.size();
    run(s, keyed_alaw("19#", 100, 100, 300, -40), c);
    const std::vector<Sent> keyed(c.sent.begin() + static_cast<std::ptrdiff_t>(before), c.sent.end());
    const std::vector<EventSeen> events = events_of(keyed);
    CHECK(keys_of(events) == "19#");
    for (const EventSeen& e : events) {
        check_ended(e);
    }
    const uint64_t quiet = s.stats().telephone_events_sent.quiet - 100;
    // Of 45 packets, 15 hold tone and each digit's end is heard in the
    // packet after it at least; the rest of the silence is skipped.
    CHECK(quiet >= 20);
    CHECK(quiet <= 45 - 15 - 3);
}

TEST_CASE("sender: fast keying (50 ms tones, 45 and 25 ms pauses) keeps every digit and every final packet",
          "[telephone_event_sender]")
{
    const uint32_t ptime = GENERATE(20u, 40u);
    INFO("ptime " << ptime);
    MediaSession s(sender_config(te_pt, ptime));
    Collector c;
    // 45 ms pauses, then 25 ms ones: the next key is confirmed while the
    // last one's final packet still has transmissions due.
    std::vector<uint8_t> channel = keyed_alaw("12345", 50, 45, 0);
    const std::vector<uint8_t> faster = keyed_alaw("6789", 50, 25, 200);
    channel.insert(channel.end(), faster.begin(), faster.end());
    run(s, channel, c);
    check_one_sequence(c.sent);
    const std::vector<EventSeen> events = events_of(c.sent);
    CHECK(keys_of(events) == "123456789");
    for (const EventSeen& e : events) {
        INFO("event " << int(e.code));
        check_ended(e);
    }
}

TEST_CASE("sender: a short key that starts and ends within one 40 ms packet still gets its first packet (M) and "
          "its three finals",
          "[telephone_event_sender]")
{
    MediaSession s(sender_config(te_pt, 40));
    Collector c;
    run(s, keyed_alaw("123", 35, 60, 200), c);
    check_one_sequence(c.sent);
    const std::vector<EventSeen> events = events_of(c.sent);
    CHECK(keys_of(events) == "123");
    for (const EventSeen& e : events) {
        INFO("event " << int(e.code));
        check_ended(e);
    }
}

TEST_CASE("sender: a key straight after another (no pause) ends the first where the second's packet begins",
          "[telephone_event_sender]")
{
    MediaSession s(sender_config(te_pt));
    Collector c;
    run(s, keyed_alaw("12", 150, 0, 200), c);
    check_one_sequence(c.sent);
    const std::vector<EventSeen> events = events_of(c.sent);
    REQUIRE(keys_of(events) == "12");
    check_ended(events[0]);
    check_ended(events[1]);
    // The first's reported end does not reach into the second.
    CHECK(events[0].packets.back()->duration() <= events[1].ts - events[0].ts);
}

TEST_CASE("sender: a key held past the 16-bit duration goes on in segments (RFC 4733 2.5.1.3)",
          "[telephone_event_sender]")
{
    MediaSession s(sender_config(te_pt));
    Collector c;
    // 9 s of "5": more than 0xFFFF samples (8.19 s).
    run(s, keyed_alaw("5", 9000, 0, 200), c);
    check_one_sequence(c.sent);
    const std::vector<EventSeen> events = events_of(c.sent);
    REQUIRE(keys_of(events) == "5");
    const EventSeen& e = events[0];
    check_ended(e);
    std::vector<const Sent*> first;
    std::vector<const Sent*> second;
    for (const Sent* p : e.packets) {
        (p->h.timestamp == e.ts ? first : second).push_back(p);
    }
    REQUIRE(first.size() + second.size() == e.packets.size());
    REQUIRE(!second.empty());
    CHECK(second.front()->h.timestamp == e.ts + 0xFFFF);
    // "a packet reporting this maximum duration but ... not ... the E bit",
    // sent three times (2.5.1.4: "for each event and for each segment"),
    // the new segment's first packet without M.
    std::size_t at_max = 0;
    for (const Sent* p : first) {
        at_max += p->duration() == 0xFFFF ? 1 : 0;
        CHECK(!p->end());
    }
    CHECK(at_max == 3);
    // ... "at the interval used by the source for updates".
    std::vector<uint64_t> at_max_ms;
    for (const Sent* p : first) {
        if (p->duration() == 0xFFFF) {
            at_max_ms.push_back(p->at_ms);
        }
    }
    REQUIRE(at_max_ms.size() == 3);
    CHECK(at_max_ms[1] - at_max_ms[0] == 20);
    CHECK(at_max_ms[2] - at_max_ms[1] == 20);
    CHECK(!second.front()->h.marker);
    // ~9 s in all: 72,000 samples, less the detector's delay at the start,
    // plus its delay at the end.
    CHECK(second.back()->duration() > 72000u - 0xFFFFu - 400u);
    CHECK(second.back()->duration() < 72000u - 0xFFFFu + 600u);
    CHECK(s.stats().telephone_events_sent.events == 1);
}

TEST_CASE("sender: hold in the middle of a key abandons its event; the key still held after resuming is a new "
          "one, no duration spans the hold",
          "[telephone_event_sender]")
{
    MediaSession s(sender_config(te_pt));
    Collector c;
    const std::vector<uint8_t> key = keyed_alaw("5", 1000, 0, 200);
    const std::vector<uint8_t> before(key.begin(), key.begin() + 300 * 8);
    const std::vector<uint8_t> held(key.begin() + 300 * 8, key.begin() + 500 * 8);
    const std::vector<uint8_t> after(key.begin() + 500 * 8, key.end());
    run(s, before, c);
    s.set_sending(false);
    run(s, held, c);
    s.set_sending(true);
    run(s, after, c);
    check_one_sequence(c.sent);
    const std::vector<EventSeen> events = events_of(c.sent);
    REQUIRE(keys_of(events) == "55");
    CHECK(events[0].packets.back()->duration() < 300 * 8);  // reported up to the hold only
    check_ended(events[1]);
    CHECK(events[1].packets.back()->duration() < 600 * 8);
    CHECK(s.stats().telephone_events_sent.events == 2);
}

TEST_CASE("sender: the peer's PT from an answer or re-INVITE applies at once; 0 puts the digits back in-band",
          "[telephone_event_sender][media_session]")
{
    MediaSession s(sender_config(te_pt));
    Collector c;
    CHECK(s.set_telephone_event_send_pt(8) == -EINVAL);  // a static PT
    // A key held across the change: reported again under the new PT.
    const std::vector<uint8_t> key = keyed_alaw("4", 600, 0, 200);
    run(s, std::vector<uint8_t>(key.begin(), key.begin() + 200 * 8), c);
    CHECK(s.set_telephone_event_send_pt(96) == 0);
    run(s, std::vector<uint8_t>(key.begin() + 200 * 8, key.end()), c);
    check_one_sequence(c.sent);
    const std::vector<EventSeen> events = events_of(c.sent);
    REQUIRE(keys_of(events) == "44");
    for (const Sent* p : events[0].packets) {
        CHECK(p->h.payload_type == te_pt);
    }
    for (const Sent* p : events[1].packets) {
        CHECK(p->h.payload_type == 96);
    }
    check_ended(events[1]);

    CHECK(s.set_telephone_event_send_pt(0) == 0);
    Collector c2;
    c2.now_ms = c.now_ms;
    run(s, keyed_alaw("7", 100, 100, 100), c2);
    for (const Sent& p : c2.sent) {
        CHECK(p.h.payload_type == payload_type_pcmu);
    }
    CHECK(audio::dtmf_digits(audio_of(c2.sent), audio::Law::ulaw) == "7");
    CHECK(s.stats().telephone_events_sent.events == 2);  // the counters stay
}

namespace {

// The far end's RTP: 20 ms of u-law silence, or an RFC 4733 event packet.
struct FarEnd : test::FarEndRtp {
    // What the far end sends at t ms (a packet each 20 ms): key `key` from
    // key_at_ms for 200 ms as events with `pt` (RFC 4733 2.5.1), else audio.
    std::vector<uint8_t> at(uint32_t t, uint8_t pt, uint8_t key, uint32_t key_at_ms)
    {
        if (t >= key_at_ms && t < key_at_ms + 260) {
            const uint32_t d = std::min<uint32_t>(t - key_at_ms + 20, 200) * 8;
            const bool end = t >= key_at_ms + 200;
            return packet(pt, t == key_at_ms, key_at_ms * 8,
                          {key, static_cast<uint8_t>((end ? 0x80 : 0) | 10), static_cast<uint8_t>(d >> 8),
                           static_cast<uint8_t>(d)});
        }
        return packet(payload_type_pcmu, false, t * 8, std::vector<uint8_t>(160, 0xFF));
    }
};

const Endpoint far_end_src{0x0A000002, 30000};

}  // namespace

TEST_CASE("sender: the far end's DTMF played into the channel and returned by the line (an echo) is not sent back; "
          "the caller's own key later is",
          "[telephone_event_sender][media_session]")
{
    const uint32_t ptime = GENERATE(10u, 20u);
    const uint32_t echo_delay_ms = GENERATE(20u, 64u);
    INFO("ptime " << ptime << ", echo path " << echo_delay_ms << " ms");
    MediaSession s(sender_config(te_pt, ptime));
    FarEnd fe;
    Collector c;
    // The line: what we play comes back echo_delay_ms later, 6 dB down.
    std::vector<uint8_t> line(echo_delay_ms * 8, silence_octet(Law::alaw));
    const std::vector<uint8_t> caller_key = keyed_alaw("8", 150, 0, 0);
    const uint32_t caller_at_ms = 1500;
    for (uint32_t t = 0; t < 2000; ++t) {
        if (t % 20 == 10) {
            const std::vector<uint8_t> p = fe.at(t - 10, te_pt, 5, 100);
            s.receive_rtp(p.data(), p.size(), far_end_src, uint64_t{t} * 1000000);
        }
        uint8_t in[8];
        std::copy_n(line.begin() + (t * 8) % line.size(), 8, in);
        if (t >= caller_at_ms && (t - caller_at_ms) * 8 < caller_key.size()) {
            std::copy_n(caller_key.begin() + (t - caller_at_ms) * 8, 8, in);
        }
        uint8_t out[8];
        c.now_ms = t;
        s.tick(in, out, uint64_t{t} * 1000000, {collect, &c});
        for (int i = 0; i < 8; ++i) {
            int16_t x = 0;
            decode_law(Law::alaw, &out[i], &x, 1);
            x = static_cast<int16_t>(x / 2);
            encode_law(Law::alaw, &x, &line[(t * 8 + static_cast<uint32_t>(i)) % line.size()], 1);
        }
    }
    const MediaSessionStats st = s.stats();
    CHECK(st.telephone_events.events == 1);  // the far end's key played
    const std::vector<EventSeen> events = events_of(c.sent);
    CHECK(keys_of(events) == "8");           // its echo not sent back; the caller's key is
    for (const EventSeen& e : events) {
        CHECK(e.packets.front()->at_ms >= caller_at_ms);
    }
}

TEST_CASE("sender: events the peer sends with its own PT (its SDP's) are played too", "[telephone_event_sender]")
{
    MediaSession s(sender_config(te_pt));
    REQUIRE(s.set_telephone_event_send_pt(96) == 0);
    FarEnd fe;
    Collector c;
    uint8_t in[8];
    std::fill_n(in, 8, silence_octet(Law::alaw));
    for (uint32_t t = 0; t < 1200; ++t) {
        if (t % 20 == 10) {
            // Key 3 with the peer's 96 at 100 ms, key 6 with our 101 at 600 ms.
            const std::vector<uint8_t> p = t < 500 ? fe.at(t - 10, 96, 3, 100) : fe.at(t - 10, te_pt, 6, 600);
            s.receive_rtp(p.data(), p.size(), far_end_src, uint64_t{t} * 1000000);
        }
        uint8_t out[8];
        s.tick(in, out, uint64_t{t} * 1000000, {collect, &c});
    }
    const MediaSessionStats st = s.stats();
    CHECK(st.telephone_events.events == 2);
    CHECK(st.jitter_buffer.bad_payload_type == 0);
}

}  // namespace telephone_event_sender_test
