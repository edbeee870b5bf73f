// MediaSession: two sessions wired back to back carrying a 1004 Hz tone
// (SINAD at the far end), RTCP round trip and the far end's report, the
// RTP timeout event, symmetric RTP latching, BYE, and missing TDM ticks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>
#include <stdexcept>
#include <vector>

#include "bench/audio/sinad.h"
#include "dataplane/media/media_session.h"
#include "tdm/g711/g711.h"

using namespace trunkgw::media;
namespace audio = trunkgw::audio;
namespace g711 = trunkgw::tdm::g711;

// The whole file in its own namespace: the test binary is built as one unit
// (meson unity, tests/meson.build) and each file has its own helpers.
namespace media_session_test {

constexpr double pi = 3.14159265358979323846;
constexpr uint64_t ms = 1000000;
// A realistic wall clock for NTP: 2024-01-01T00:00:00Z.
constexpr uint64_t unix_2024_ns = 1704067200ull * 1000000000ull;

const Endpoint a_addr{0x0A000001, 20000};
const Endpoint b_addr{0x0A000002, 30000};

// One tick (8 samples) of a 1004 Hz tone at half of full scale.
void tone_tick(uint64_t tick, Law law, uint8_t* out8)
{
    for (uint64_t i = 0; i < 8; ++i) {
        double t = static_cast<double>(tick * 8 + i) / 8000.0;
        auto x = static_cast<int16_t>(std::lround(16384.0 * std::sin(2 * pi * 1004.0 * t)));
        out8[i] = law == Law::alaw ? g711::linear_to_alaw(x) : g711::linear_to_ulaw(x);
    }
}

// SINAD of the 1004 Hz tone in 8000 samples (1 s: exactly 1004 cycles)
// from `from`: bench/audio fits the tone and DC; what is left is noise and
// distortion.
double sinad_db(const std::vector<uint8_t>& v, std::size_t from, Law law)
{
    const audio::Law a = law == Law::alaw ? audio::Law::alaw : audio::Law::ulaw;
    return audio::measure_tone(std::span<const uint8_t>(v).subspan(from, 8000), a, 1004.0).sinad_db;
}

struct Sent {
    uint64_t at_ns;
    PacketKind kind;
    std::vector<uint8_t> data;
    Endpoint src;
    Endpoint dst;
};

// The network between sessions: a fixed one-way delay, optional NAT of one
// source address, and a log of every packet sent.
struct Wire {
    uint64_t now_ns = 0;
    uint64_t delay_ns = 0;
    std::vector<Sent> queue;
    std::vector<Sent> log;
    Endpoint nat_from;  // packets from here...
    Endpoint nat_to;    // ... appear to come from here

    static void on_tx(void* user, const TxPacket& p)
    {
        auto* w = static_cast<Wire*>(user);
        Sent s{w->now_ns + w->delay_ns, p.kind, std::vector<uint8_t>(p.data, p.data + p.len), p.src, p.dst};
        w->log.push_back(s);
        w->queue.push_back(s);
    }

    PacketSink sink() { return {&Wire::on_tx, this}; }

    // Hands every due packet to the session it is addressed to.
    void deliver(std::vector<MediaSession*> sessions)
    {
        std::vector<Sent> later;
        for (Sent& s : queue) {
            if (s.at_ns > now_ns) {
                later.push_back(s);
                continue;
            }
            Endpoint src = s.src;
            if (nat_from.known() && src.ipv4 == nat_from.ipv4 &&
                (src.port == nat_from.port || src.port == nat_from.port + 1)) {
                src = {nat_to.ipv4, static_cast<uint16_t>(nat_to.port + (src.port - nat_from.port))};
            }
            for (MediaSession* m : sessions) {
                if (s.kind == PacketKind::rtp && s.dst == m->local_rtp()) {
                    m->receive_rtp(s.data.data(), s.data.size(), src, now_ns);
                } else if (s.kind == PacketKind::rtcp && s.dst == m->local_rtcp()) {
                    m->receive_rtcp(s.data.data(), s.data.size(), src, now_ns);
                }
            }
        }
        queue = later;
    }
};

MediaSessionConfig config(Endpoint local, Endpoint remote, Law channel, uint8_t pt)
{
    MediaSessionConfig c;
    c.payload_type = pt;
    c.channel_law = channel;
    c.ptime_ms = 20;
    c.ssrc = local.ipv4 * 2654435761u;
    c.first_sequence = static_cast<uint16_t>(local.port * 7);
    c.first_timestamp = local.port * 100003u;
    c.jitter_mode = JitterMode::fixed;
    c.jitter_delay_ms = 40;
    c.local_rtp = local;
    c.remote_rtp = remote;
    c.rtcp_interval_ms = 500;
    c.ntp_clock = NtpClock{0, ntp_from_unix_ns(unix_2024_ns)};
    return c;
}

struct BackToBack {
    MediaSession a;
    MediaSession b;
    Wire wire;
    Law law_a;
    Law law_b;
    std::vector<uint8_t> out_a;  // what A's channel plays (B's tone)
    std::vector<uint8_t> out_b;  // what B's channel plays (A's tone)
    uint32_t events_a = 0;
    uint32_t events_b = 0;
    uint64_t tick = 0;

    BackToBack(const MediaSessionConfig& ca, const MediaSessionConfig& cb)
        : a(ca), b(cb), law_a(ca.channel_law), law_b(cb.channel_law)
    {
    }

    void run(uint64_t ticks, bool a_has_tdm = true)
    {
        for (uint64_t t = 0; t < ticks; ++t, ++tick) {
            wire.now_ns = tick * ms;
            wire.deliver({&a, &b});
            uint8_t in[8];
            uint8_t out[8];
            tone_tick(tick, law_a, in);
            events_a |= a.tick(a_has_tdm ? in : nullptr, out, wire.now_ns, wire.sink());
            out_a.insert(out_a.end(), out, out + 8);
            tone_tick(tick, law_b, in);
            events_b |= b.tick(in, out, wire.now_ns, wire.sink());
            out_b.insert(out_b.end(), out, out + 8);
        }
    }
};

TEST_CASE("session: back to back, A-law both ends: the tone arrives bit-exact, SINAD >= 35 dB", "[media_session]")
{
    BackToBack bb(config(a_addr, b_addr, Law::alaw, payload_type_pcma),
                  config(b_addr, a_addr, Law::alaw, payload_type_pcma));
    bb.wire.delay_ns = 5 * ms;
    bb.run(3000);
    // Start-up: 20 ms to fill a packet, 5 ms on the wire, 40 ms of jitter
    // buffer (packets sent during tick 19 arrive before tick 24 plays). B's
    // output at tick t is A's input at tick t - 64.
    std::vector<uint8_t> ref(8 * 3000);
    for (uint64_t t = 0; t < 3000; ++t) {
        tone_tick(t, Law::alaw, &ref[8 * t]);
    }
    REQUIRE(std::memcmp(&bb.out_b[8 * 64], &ref[0], 8 * (3000 - 64)) == 0);
    REQUIRE(std::memcmp(&bb.out_a[8 * 64], &ref[0], 8 * (3000 - 64)) == 0);
    // Before that, the idle code.
    REQUIRE(std::all_of(bb.out_b.begin(), bb.out_b.begin() + 8 * 64, [](uint8_t x) { return x == 0xD5; }));
    double s_b = sinad_db(bb.out_b, 8 * 1000, Law::alaw);
    double s_a = sinad_db(bb.out_a, 8 * 1000, Law::alaw);
    INFO("SINAD at B " << s_b << " dB, at A " << s_a << " dB");
    REQUIRE(s_b >= 35.0);
    REQUIRE(s_a >= 35.0);

    MediaSessionStats sa = bb.a.stats();
    MediaSessionStats sb = bb.b.stats();
    REQUIRE(sa.session.rtp_packets_out == 150);
    REQUIRE(sa.session.rtp_payload_octets_out == 150 * 160);
    // Packet 149 left at tick 2999 and is still on the wire.
    REQUIRE(sb.session.rtp_packets_in == 149);
    REQUIRE(sb.session.rtp_payload_octets_in == 149 * 160);
    REQUIRE(sb.jitter_buffer.concealed_ticks == 0);
    REQUIRE(sb.jitter_buffer.late == 0);
    REQUIRE(sb.lost == 0);
    REQUIRE(sb.jitter_ts == 0);
    REQUIRE(sb.jitter_us == 0);
    REQUIRE(sb.delay_ms == 40);
    REQUIRE(sa.session.rtp_latches == 0);
    REQUIRE(sb.session.rtp_latches == 0);
    REQUIRE_FALSE(sa.rtp_timed_out);

    // RTCP every 0.5 s (randomised): both ends measured the 2 x 5 ms round
    // trip from each other's reports, to within two 1/65536 s units.
    REQUIRE(sa.session.rtcp_packets_out >= 4);
    REQUIRE(sb.session.rtcp_packets_in >= 3);
    REQUIRE(sa.session.rtt_samples >= 2);
    REQUIRE(sb.session.rtt_samples >= 2);
    REQUIRE(sa.rtt_us >= 9960);
    REQUIRE(sa.rtt_us <= 10040);
    REQUIRE(sb.rtt_us >= 9960);
    REQUIRE(sb.rtt_us <= 10040);
    // The far end's view of our stream.
    REQUIRE(sa.far_end_report);
    REQUIRE(sa.far_end.ssrc == bb.a.packetizer().ssrc());
    REQUIRE(sa.far_end.fraction_lost == 0);
    REQUIRE(sa.far_end.cumulative_lost == 0);
    REQUIRE(sa.far_end.jitter == 0);
    REQUIRE(sa.far_end.lsr != 0);
}

TEST_CASE("session: A-law E1 to u-law T1 over PCMU: SINAD >= 35 dB both ways", "[media_session]")
{
    BackToBack bb(config(a_addr, b_addr, Law::alaw, payload_type_pcmu),
                  config(b_addr, a_addr, Law::ulaw, payload_type_pcmu));
    bb.run(3000);
    double s_b = sinad_db(bb.out_b, 8 * 1000, Law::ulaw);
    double s_a = sinad_db(bb.out_a, 8 * 1000, Law::alaw);
    INFO("SINAD at B (u-law) " << s_b << " dB, at A (A-law) " << s_a << " dB");
    REQUIRE(s_b >= 35.0);
    REQUIRE(s_a >= 35.0);
    // B's channel plays A's samples through G.711 Table 4, exactly.
    for (uint64_t t = 100; t < 3000; ++t) {
        uint8_t in[8];
        tone_tick(t - 60, Law::alaw, in);
        for (int i = 0; i < 8; ++i) {
            REQUIRE(bb.out_b[8 * t + i] == g711::alaw_to_ulaw(in[i]));
        }
    }
}

TEST_CASE("session: the RTP timeout is raised once and cleared when packets return", "[media_session]")
{
    MediaSessionConfig c = config(a_addr, b_addr, Law::alaw, payload_type_pcma);
    c.rtp_timeout_ms = 300;
    c.rtcp_interval_ms = 0;
    MediaSession s(c);
    Wire w;
    uint8_t in[8] = {};
    uint8_t out[8];
    std::vector<uint64_t> raised;
    std::vector<uint64_t> resumed;
    auto run = [&](uint64_t from, uint64_t to) {
        for (uint64_t t = from; t < to; ++t) {
            uint32_t ev = s.tick(in, out, t * ms, w.sink());
            if ((ev & session_event_rtp_timeout) != 0) {
                raised.push_back(t);
            }
            if ((ev & session_event_rtp_resumed) != 0) {
                resumed.push_back(t);
            }
        }
    };
    run(0, 1000);
    REQUIRE(raised == std::vector<uint64_t>{300});
    REQUIRE(s.rtp_timed_out());
    REQUIRE(s.counters().rtp_timeouts == 1);

    // One packet from the far end at 1000.5 ms.
    uint8_t pkt[12 + 160];
    RtpHeaderFields h;
    h.payload_type = payload_type_pcma;
    h.ssrc = 0x1234;
    rtp_build_header(h, pkt, sizeof(pkt));
    std::memset(pkt + 12, 0xD5, 160);
    REQUIRE(s.receive_rtp(pkt, sizeof(pkt), b_addr, 1000 * ms + ms / 2) == RxVerdict::accepted);
    REQUIRE_FALSE(s.rtp_timed_out());
    run(1000, 2000);
    REQUIRE(resumed == std::vector<uint64_t>{1000});
    // ... and silence again: raised once more 300 ms after that packet.
    REQUIRE(raised == std::vector<uint64_t>{300, 1301});
    REQUIRE(s.counters().rtp_timeouts == 2);

    // A packet with the wrong payload type does not count as media.
    h.payload_type = 0;
    h.sequence = 1;
    rtp_build_header(h, pkt, sizeof(pkt));
    REQUIRE(s.receive_rtp(pkt, sizeof(pkt), b_addr, 2000 * ms) == RxVerdict::bad_payload_type);
    REQUIRE(s.rtp_timed_out());
}

TEST_CASE("session: symmetric RTP latches the remote to the observed source, never our port", "[media_session]")
{
    // B signalled 10.0.0.2:30000, but a NAT makes it 192.0.2.7:40000.
    const Endpoint nat{0xC0000207, 40000};
    MediaSessionConfig ca = config(a_addr, b_addr, Law::alaw, payload_type_pcma);
    MediaSessionConfig cb = config(b_addr, a_addr, Law::alaw, payload_type_pcma);
    BackToBack bb(ca, cb);
    bb.wire.nat_from = b_addr;
    bb.wire.nat_to = nat;
    bb.run(100);
    REQUIRE(bb.a.remote_rtp() == nat);
    REQUIRE(bb.a.remote_rtcp() == Endpoint{nat.ipv4, 40001});  // no RTCP heard yet: port + 1
    REQUIRE(bb.a.counters().rtp_latches == 1);
    REQUIRE((bb.events_a & session_event_rtp_latched) != 0);
    REQUIRE(bb.b.counters().rtp_latches == 0);
    // Every packet A sent came from A's own ports; after the latch they go
    // to the NAT address (the simulated NAT maps it to nothing, so they
    // are dropped on the wire: only the source and destination matter here).
    bool seen_after = false;
    for (const Sent& s : bb.wire.log) {
        if (s.src.ipv4 != a_addr.ipv4) {
            continue;
        }
        REQUIRE(s.src == (s.kind == PacketKind::rtp ? a_addr : Endpoint{a_addr.ipv4, 20001}));
        if (s.kind == PacketKind::rtp && s.dst == nat) {
            seen_after = true;
        }
    }
    REQUIRE(seen_after);
    REQUIRE(bb.a.local_rtp() == a_addr);

    // A stray packet with another PT from elsewhere does not move it.
    uint8_t pkt[12 + 160] = {};
    RtpHeaderFields h;
    h.payload_type = 18;
    h.ssrc = 99;
    rtp_build_header(h, pkt, sizeof(pkt));
    const Endpoint evil{0x01020304, 5060};
    REQUIRE(bb.a.receive_rtp(pkt, sizeof(pkt), evil, 100 * ms) == RxVerdict::bad_payload_type);
    REQUIRE(bb.a.remote_rtp() == nat);
    REQUIRE(bb.a.counters().rtp_latches == 1);

    // RTCP from the NAT's RTCP port latches RTCP (once: it was predicted).
    bb.run(1500);
    REQUIRE(bb.a.counters().rtcp_packets_in >= 1);
    REQUIRE(bb.a.remote_rtcp() == Endpoint{nat.ipv4, 40001});
    REQUIRE(bb.a.counters().rtcp_latches == 0);
}

TEST_CASE("session: with symmetric RTP off the remote stays put; strays are counted", "[media_session]")
{
    MediaSessionConfig c = config(a_addr, b_addr, Law::alaw, payload_type_pcma);
    c.symmetric_rtp = false;
    MediaSession s(c);
    uint8_t pkt[12 + 160] = {};
    RtpHeaderFields h;
    h.payload_type = payload_type_pcma;
    h.ssrc = 5;
    rtp_build_header(h, pkt, sizeof(pkt));
    const Endpoint other{0x0A0000FE, 1234};
    REQUIRE(s.receive_rtp(pkt, sizeof(pkt), other, 0) == RxVerdict::accepted);
    REQUIRE(s.remote_rtp() == b_addr);
    REQUIRE(s.counters().rtp_latches == 0);
    REQUIRE(s.counters().rtp_stray_source == 1);
    REQUIRE(s.counters().rtp_packets_in == 1);
}

TEST_CASE("session: an unknown remote learns its address from the first packet", "[media_session]")
{
    MediaSessionConfig c = config(a_addr, Endpoint{}, Law::alaw, payload_type_pcma);
    MediaSession s(c);
    Wire w;
    uint8_t in[8] = {};
    uint8_t out[8];
    for (uint64_t t = 0; t < 40; ++t) {
        s.tick(in, out, t * ms, w.sink());
    }
    REQUIRE(w.log.empty());
    REQUIRE(s.counters().rtp_unsent_no_remote == 2);
    uint8_t pkt[12 + 160] = {};
    RtpHeaderFields h;
    h.payload_type = payload_type_pcma;
    rtp_build_header(h, pkt, sizeof(pkt));
    s.receive_rtp(pkt, sizeof(pkt), b_addr, 40 * ms);
    for (uint64_t t = 40; t < 60; ++t) {
        s.tick(in, out, t * ms, w.sink());
    }
    REQUIRE(w.log.size() == 1);
    REQUIRE(w.log[0].dst == b_addr);
    REQUIRE(w.log[0].src == a_addr);
}

TEST_CASE("session: ticks without TDM samples mark the next packet", "[media_session]")
{
    MediaSessionConfig ca = config(a_addr, b_addr, Law::alaw, payload_type_pcma);
    ca.rtcp_interval_ms = 0;
    MediaSessionConfig cb = config(b_addr, a_addr, Law::alaw, payload_type_pcma);
    cb.rtcp_interval_ms = 0;
    BackToBack bb(ca, cb);
    bb.run(45);
    bb.run(10, false);
    bb.run(50);
    REQUIRE(bb.a.counters().tdm_missing_ticks == 10);
    REQUIRE(bb.a.stats().packetizer.partial_dropped == 1);
    REQUIRE(bb.a.stats().packetizer.skipped_ticks == 10);
    std::vector<bool> markers;
    std::vector<uint32_t> stamps;
    for (const Sent& s : bb.wire.log) {
        if (s.src == a_addr) {
            RtpPacketView v = rtp_parse(s.data.data(), s.data.size());
            markers.push_back(v.header.marker);
            stamps.push_back(v.header.timestamp - ca.first_timestamp);
        }
    }
    // Packets of ticks 0-19, 20-39; 40-44 abandoned, 45-54 missing; then
    // 55-74 and 75-94.
    REQUIRE(markers == std::vector<bool>{true, false, true, false});
    REQUIRE(stamps == std::vector<uint32_t>{0, 160, 440, 600});
}

TEST_CASE("session: BYE reaches the far end as an event", "[media_session]")
{
    BackToBack bb(config(a_addr, b_addr, Law::alaw, payload_type_pcma),
                  config(b_addr, a_addr, Law::alaw, payload_type_pcma));
    bb.run(100);
    bb.a.send_bye(bb.tick * ms, bb.wire.sink());
    bb.events_b = 0;
    bb.run(2);
    REQUIRE((bb.events_b & session_event_rtcp_bye) != 0);
    REQUIRE(bb.b.counters().rtcp_bye_in == 1);
}

TEST_CASE("session: malformed RTCP is counted by reason", "[media_session]")
{
    MediaSession s(config(a_addr, b_addr, Law::alaw, payload_type_pcma));
    uint8_t junk[8] = {0x81, 202, 0, 1, 0, 0, 0, 0};  // SDES first
    REQUIRE(s.receive_rtcp(junk, sizeof(junk), b_addr, 0) == RtcpParseError::bad_first_packet);
    REQUIRE(s.receive_rtcp(junk, 6, b_addr, 0) == RtcpParseError::too_short);
    junk[0] = 0x41;
    REQUIRE(s.receive_rtcp(junk, sizeof(junk), b_addr, 0) == RtcpParseError::bad_version);
    REQUIRE(s.counters().rtcp_bad_first_packet == 1);
    REQUIRE(s.counters().rtcp_too_short == 1);
    REQUIRE(s.counters().rtcp_bad_version == 1);
    REQUIRE(s.counters().rtcp_packets_in == 0);
}

TEST_CASE("session: refuses bad configs", "[media_session]")
{
    MediaSessionConfig c = config(a_addr, b_addr, Law::alaw, payload_type_pcma);
    c.local_rtp.port = 0;
    REQUIRE_THROWS_AS(MediaSession(c), std::invalid_argument);
    c.local_rtp.port = 65535;
    REQUIRE_THROWS_AS(MediaSession(c), std::invalid_argument);
    c.local_rtp.port = 20000;
    c.cname = "";
    REQUIRE_THROWS_AS(MediaSession(c), std::invalid_argument);
    c.cname = "x";
    c.ptime_ms = 25;
    REQUIRE_THROWS_AS(MediaSession(c), std::invalid_argument);
    c.ptime_ms = 20;
    c.payload_type = 9;
    REQUIRE_THROWS_AS(MediaSession(c), std::invalid_argument);
}

namespace {

// Packets one session sent, from a Wire's log, with the tick each left at.
struct Emitted {
    uint64_t tick;
    const Sent* sent;
};

std::vector<Emitted> emitted(const Wire& w, Endpoint local, PacketKind kind)
{
    std::vector<Emitted> out;
    for (const Sent& s : w.log) {
        if (s.kind == kind && s.src.ipv4 == local.ipv4 &&
            (s.src.port == local.port || s.src.port == local.port + 1)) {
            out.push_back({(s.at_ns - w.delay_ns) / ms, &s});
        }
    }
    return out;
}

RtpPacketView rtp_of(const Emitted& e)
{
    return rtp_parse(e.sent->data.data(), e.sent->data.size());
}

RtcpInfo rtcp_of(const Emitted& e)
{
    return rtcp_parse(e.sent->data.data(), e.sent->data.size(), 0);
}

// A valid PCMA packet from the far end (SSRC 0x5EED).
void far_end_rtp(MediaSession& s, uint16_t seq, Endpoint src, uint64_t now_ns)
{
    uint8_t pkt[12 + 160];
    RtpHeaderFields h;
    h.payload_type = payload_type_pcma;
    h.ssrc = 0x5EED;
    h.sequence = seq;
    h.timestamp = static_cast<uint32_t>(seq) * 160u;
    rtp_build_header(h, pkt, sizeof(pkt));
    std::memset(pkt + 12, 0xD5, 160);
    REQUIRE(s.receive_rtp(pkt, sizeof(pkt), src, now_ns) == RxVerdict::accepted);
}

void far_end_rr(MediaSession& s, Endpoint src, uint64_t now_ns)
{
    uint8_t rr[8];
    int n = rtcp_build_rr(0x5EED, nullptr, 0, rr, sizeof(rr));
    REQUIRE(n == 8);
    REQUIRE(s.receive_rtcp(rr, static_cast<std::size_t>(n), src, now_ns) == RtcpParseError::ok);
}

}  // namespace

TEST_CASE("session: on hold no RTP goes out but RTCP does; resuming marks the next packet, sequence "
          "and timestamp continue",
          "[media_session]")
{
    const MediaSessionConfig ca = config(a_addr, b_addr, Law::alaw, payload_type_pcma);  // RTCP every 0.5 s
    BackToBack bb(ca, config(b_addr, a_addr, Law::alaw, payload_type_pcma));
    bb.wire.delay_ns = 5 * ms;
    constexpr uint64_t hold_at = 110;     // packets of ticks 0-19 ... 80-99 sent; 100-109 pending
    constexpr uint64_t resume_at = 2110;  // 2 s on hold
    constexpr uint64_t end = 3110;
    bb.run(hold_at);
    REQUIRE(bb.a.sending());
    bb.a.set_sending(false);
    REQUIRE_FALSE(bb.a.sending());
    const uint64_t rtcp_before_hold = bb.a.counters().rtcp_packets_out;
    bb.run(resume_at - hold_at);
    bb.a.set_sending(true);
    REQUIRE(bb.a.sending());
    bb.run(end - resume_at);

    std::vector<Emitted> rtp = emitted(bb.wire, a_addr, PacketKind::rtp);
    std::vector<Emitted> before;
    std::vector<Emitted> after;
    for (const Emitted& e : rtp) {
        INFO("RTP at tick " << e.tick);
        REQUIRE((e.tick < hold_at || e.tick >= resume_at));  // nothing on hold
        (e.tick < hold_at ? before : after).push_back(e);
        REQUIRE(e.sent->src == a_addr);
        REQUIRE(e.sent->dst == b_addr);
    }
    REQUIRE(before.size() == 5);
    REQUIRE(after.size() == 50);  // ticks 2110-2129 ... 3090-3109
    REQUIRE(after.front().tick == resume_at + 19);
    RtpPacketView last = rtp_of(before.back());
    REQUIRE(last.header.sequence == static_cast<uint16_t>(ca.first_sequence + 4));
    REQUIRE(last.header.timestamp == ca.first_timestamp + 80 * 8);

    // The first packet after resuming: marker, the next sequence number, the
    // timestamp of its first sample's instant (the clock ran on while held).
    RtpPacketView first = rtp_of(after.front());
    REQUIRE(first.error == RtpParseError::ok);
    REQUIRE(first.header.marker);
    REQUIRE(first.header.sequence == static_cast<uint16_t>(last.header.sequence + 1));
    REQUIRE(first.header.timestamp == last.header.timestamp + (resume_at - 80) * 8);
    REQUIRE(first.header.timestamp == ca.first_timestamp + resume_at * 8);
    REQUIRE(first.header.ssrc == last.header.ssrc);
    // ... and the stream goes on without a marker.
    for (std::size_t i = 1; i < after.size(); ++i) {
        RtpPacketView v = rtp_of(after[i]);
        RtpPacketView p = rtp_of(after[i - 1]);
        REQUIRE_FALSE(v.header.marker);
        REQUIRE(v.header.sequence == static_cast<uint16_t>(p.header.sequence + 1));
        REQUIRE(v.header.timestamp == p.header.timestamp + 160);
    }

    // RTCP went on while held: SR for the packets sent before (its RTP
    // timestamp keeps pace with the clock), RR once nothing more was sent.
    std::vector<Emitted> held_reports;
    for (const Emitted& e : emitted(bb.wire, a_addr, PacketKind::rtcp)) {
        REQUIRE(e.sent->src == Endpoint{a_addr.ipv4, 20001});
        REQUIRE(e.sent->dst == Endpoint{b_addr.ipv4, 30001});
        if (e.tick >= hold_at && e.tick < resume_at) {
            held_reports.push_back(e);
        }
    }
    REQUIRE(held_reports.size() >= 2);  // 2 s at 0.5 s randomised over [0.25, 0.75] s
    REQUIRE(bb.a.counters().rtcp_packets_out - rtcp_before_hold >= held_reports.size());
    for (std::size_t i = 0; i < held_reports.size(); ++i) {
        RtcpInfo info = rtcp_of(held_reports[i]);
        INFO("report " << i << " at tick " << held_reports[i].tick);
        REQUIRE(info.ok());
        REQUIRE(info.reporter_ssrc == ca.ssrc);
        if (info.has_sender_info) {
            REQUIRE(i == 0);  // only the first can report packets sent since the last report
            REQUIRE(info.sender_info.packet_count == 5);
            REQUIRE(info.sender_info.octet_count == 5 * 160);
            REQUIRE(info.sender_info.rtp_timestamp == ca.first_timestamp + (held_reports[i].tick + 1) * 8);
        }
    }
    REQUIRE_FALSE(rtcp_of(held_reports.back()).has_sender_info);

    // Holding is not missing TDM; the packetizer skipped the held ticks and
    // abandoned the half-filled packet of ticks 100-109.
    MediaSessionStats sa = bb.a.stats();
    REQUIRE(sa.session.tdm_missing_ticks == 0);
    REQUIRE(sa.session.rtp_packets_out == 55);
    REQUIRE(sa.packetizer.skipped_ticks == resume_at - hold_at);
    REQUIRE(sa.packetizer.partial_dropped == 1);

    // The far end sees no loss (the sequence has no gap) and no jitter (the
    // timestamp jumped exactly as far as the wall clock).
    MediaSessionStats sb = bb.b.stats();
    REQUIRE(sb.session.rtp_packets_in == 54);  // the last is still on the wire
    REQUIRE(sb.lost == 0);
    REQUIRE(sb.jitter_ts == 0);
    REQUIRE(sb.jitter_buffer.late == 0);
}

TEST_CASE("session: set_sending(false) before the first packet sends nothing until resumed", "[media_session]")
{
    MediaSessionConfig c = config(a_addr, b_addr, Law::alaw, payload_type_pcma);
    MediaSession s(c);
    Wire w;
    s.set_sending(false);
    uint8_t in[8] = {};
    uint8_t out[8];
    for (uint64_t t = 0; t < 1000; ++t) {
        w.now_ns = t * ms;
        s.tick(in, out, w.now_ns, w.sink());
    }
    REQUIRE(emitted(w, a_addr, PacketKind::rtp).empty());
    std::vector<Emitted> reports = emitted(w, a_addr, PacketKind::rtcp);
    REQUIRE(reports.size() >= 2);
    for (const Emitted& e : reports) {
        REQUIRE_FALSE(rtcp_of(e).has_sender_info);  // never sent: RR only
    }
    s.set_sending(true);
    for (uint64_t t = 1000; t < 1020; ++t) {
        w.now_ns = t * ms;
        s.tick(in, out, w.now_ns, w.sink());
    }
    std::vector<Emitted> rtp = emitted(w, a_addr, PacketKind::rtp);
    REQUIRE(rtp.size() == 1);
    RtpPacketView v = rtp_of(rtp[0]);
    REQUIRE(v.header.marker);
    REQUIRE(v.header.sequence == c.first_sequence);
    REQUIRE(v.header.timestamp == c.first_timestamp + 1000 * 8);
}

TEST_CASE("session: set_remote moves RTP and RTCP (port + 1); source, SSRC and the stream stay", "[media_session]")
{
    const MediaSessionConfig c = config(a_addr, b_addr, Law::alaw, payload_type_pcma);
    const Endpoint f_addr{0x0A000006, 40002};
    MediaSession s(c);
    Wire w;
    uint8_t in[8] = {};
    uint8_t out[8];
    constexpr uint64_t move_at = 1010;  // mid-packet
    constexpr uint64_t end = 2500;
    for (uint64_t t = 0; t < end; ++t) {
        if (t == move_at) {
            REQUIRE(s.set_remote(f_addr, false) == 0);
            REQUIRE(s.remote_rtp() == f_addr);
            REQUIRE(s.remote_rtcp() == Endpoint{f_addr.ipv4, 40003});
        }
        w.now_ns = t * ms;
        s.tick(in, out, w.now_ns, w.sink());
    }
    std::vector<Emitted> rtp = emitted(w, a_addr, PacketKind::rtp);
    REQUIRE(rtp.size() == end / 20);  // none lost to the move
    std::size_t moved = 0;
    for (std::size_t i = 0; i < rtp.size(); ++i) {
        const Emitted& e = rtp[i];
        INFO("RTP " << i << " at tick " << e.tick);
        REQUIRE(e.sent->src == a_addr);
        REQUIRE(e.sent->dst == (e.tick < move_at ? b_addr : f_addr));
        moved += e.tick < move_at ? 0 : 1;
        RtpPacketView v = rtp_of(e);
        REQUIRE(v.header.ssrc == c.ssrc);
        REQUIRE(v.header.marker == (i == 0));  // the same stream: no restart
        REQUIRE(v.header.sequence == static_cast<uint16_t>(c.first_sequence + i));
        REQUIRE(v.header.timestamp == c.first_timestamp + static_cast<uint32_t>(i) * 160);
    }
    REQUIRE(moved == (end - move_at) / 20 + 1);  // the packet of ticks 1000-1019 goes to the new remote
    std::size_t rtcp_moved = 0;
    for (const Emitted& e : emitted(w, a_addr, PacketKind::rtcp)) {
        INFO("RTCP at tick " << e.tick);
        REQUIRE(e.sent->src == Endpoint{a_addr.ipv4, 20001});
        REQUIRE(e.sent->dst == (e.tick < move_at ? Endpoint{b_addr.ipv4, 30001} : Endpoint{f_addr.ipv4, 40003}));
        rtcp_moved += e.tick < move_at ? 0 : 1;
        RtcpInfo info = rtcp_of(e);
        REQUIRE(info.ok());
        REQUIRE(info.reporter_ssrc == c.ssrc);
    }
    REQUIRE(rtcp_moved >= 2);
    REQUIRE(s.local_rtp() == a_addr);
    REQUIRE(s.local_rtcp() == Endpoint{a_addr.ipv4, 20001});
    REQUIRE(s.packetizer().ssrc() == c.ssrc);
    MediaSessionStats st = s.stats();
    REQUIRE(st.remote_rtp == f_addr);
    REQUIRE(st.remote_rtcp == Endpoint{f_addr.ipv4, 40003});
    REQUIRE(st.session.rtp_packets_out == end / 20);
    REQUIRE(st.session.rtp_latches == 0);
}

TEST_CASE("session: set_remote forgets a latched RTCP address and applies its symmetric flag", "[media_session]")
{
    const Endpoint f_addr{0x0A000006, 40002};
    const Endpoint g_addr{0x0A000007, 41000};  // where the far end really sends from
    const Endpoint x_rtcp{0x0A000009, 7777};   // an RTCP source that is not RTP + 1
    MediaSessionConfig c = config(a_addr, b_addr, Law::alaw, payload_type_pcma);
    c.rtcp_interval_ms = 0;
    MediaSession s(c);
    Wire w;
    uint8_t in[8] = {};
    uint8_t out[8];
    auto run = [&](uint64_t from, uint64_t to) {
        uint32_t ev = 0;
        for (uint64_t t = from; t < to; ++t) {
            w.now_ns = t * ms;
            ev |= s.tick(in, out, w.now_ns, w.sink());
        }
        return ev;
    };

    // Symmetric: RTCP heard from x_rtcp latches RTCP there.
    far_end_rr(s, x_rtcp, 0);
    REQUIRE(s.remote_rtcp() == x_rtcp);
    REQUIRE(s.counters().rtcp_latches == 1);

    // A new remote, symmetric off: RTCP back to the new RTP port + 1, and a
    // stray source does not move anything.
    REQUIRE(s.set_remote(f_addr, false) == 0);
    REQUIRE(s.remote_rtp() == f_addr);
    REQUIRE(s.remote_rtcp() == Endpoint{f_addr.ipv4, 40003});
    far_end_rtp(s, 1, g_addr, 1 * ms);
    REQUIRE((run(0, 40) & session_event_rtp_latched) == 0);
    REQUIRE(s.remote_rtp() == f_addr);
    REQUIRE(s.counters().rtp_stray_source == 1);
    REQUIRE(s.counters().rtp_latches == 0);
    far_end_rr(s, x_rtcp, 40 * ms);  // heard, but not latched
    REQUIRE(s.remote_rtcp() == Endpoint{f_addr.ipv4, 40003});
    REQUIRE(s.counters().rtcp_latches == 1);

    // The same remote, symmetric on: the far end's real source latches RTP
    // and, RTCP not having been heard since set_remote(), RTCP too.
    REQUIRE(s.set_remote(f_addr, true) == 0);
    far_end_rtp(s, 2, g_addr, 41 * ms);
    REQUIRE((run(40, 80) & session_event_rtp_latched) != 0);
    REQUIRE(s.remote_rtp() == g_addr);
    REQUIRE(s.remote_rtcp() == Endpoint{g_addr.ipv4, 41001});
    REQUIRE(s.counters().rtp_latches == 1);
    std::vector<Emitted> rtp = emitted(w, a_addr, PacketKind::rtp);
    REQUIRE(rtp.size() == 4);
    REQUIRE(rtp[0].sent->dst == f_addr);
    REQUIRE(rtp[1].sent->dst == f_addr);
    REQUIRE(rtp[2].sent->dst == g_addr);
    REQUIRE(rtp[3].sent->dst == g_addr);
    for (const Emitted& e : rtp) {
        REQUIRE(e.sent->src == a_addr);
    }
}

TEST_CASE("session: set_remote to an unknown endpoint sends nothing until the far end is heard", "[media_session]")
{
    const Endpoint g_addr{0x0A000007, 41000};
    MediaSession s(config(a_addr, b_addr, Law::alaw, payload_type_pcma));
    Wire w;
    uint8_t in[8] = {};
    uint8_t out[8];
    REQUIRE(s.set_remote(Endpoint{}, true) == 0);
    REQUIRE_FALSE(s.remote_rtp().known());
    REQUIRE_FALSE(s.remote_rtcp().known());
    for (uint64_t t = 0; t < 1000; ++t) {
        w.now_ns = t * ms;
        s.tick(in, out, w.now_ns, w.sink());
    }
    REQUIRE(w.log.empty());
    REQUIRE(s.counters().rtp_unsent_no_remote == 50);
    REQUIRE(s.counters().rtcp_unsent_no_remote >= 1);
    far_end_rtp(s, 1, g_addr, 1000 * ms);
    for (uint64_t t = 1000; t < 2000; ++t) {
        w.now_ns = t * ms;
        s.tick(in, out, w.now_ns, w.sink());
    }
    std::vector<Emitted> rtp = emitted(w, a_addr, PacketKind::rtp);
    REQUIRE(rtp.size() == 50);
    REQUIRE(rtp.front().sent->dst == g_addr);
    std::vector<Emitted> rtcp = emitted(w, a_addr, PacketKind::rtcp);
    REQUIRE_FALSE(rtcp.empty());
    REQUIRE(rtcp.front().sent->dst == Endpoint{g_addr.ipv4, 41001});
    // RFC 3550 6.4.1: the sender's packet and octet counts are of packets
    // "transmitted": the 50 due while no remote was known are not in them.
    // (A tick sends its RTP before its RTCP.)
    std::size_t reports_with_sender_info = 0;
    for (const Emitted& e : rtcp) {
        RtcpInfo info = rtcp_of(e);
        REQUIRE(info.ok());
        if (info.has_sender_info) {
            auto sent = static_cast<uint32_t>(
                std::count_if(rtp.begin(), rtp.end(), [&](const Emitted& r) { return r.tick <= e.tick; }));
            REQUIRE(info.sender_info.packet_count == sent);
            REQUIRE(info.sender_info.octet_count == sent * 160);
            ++reports_with_sender_info;
        }
    }
    REQUIRE(reports_with_sender_info >= 1);
}

TEST_CASE("session: a remote that is not a unicast host address is refused, at creation and by set_remote",
          "[media_session]")
{
    // RFC 1122 3.2.1.3's set (0/8, loopback, multicast, class E and the
    // limited broadcast): never a destination for our RTP or RTCP.
    const uint32_t bad[] = {0x00000000, 0x00000001, 0x7F000001, 0xE0000001, 0xEFFFFFFF, 0xF0000001, 0xFFFFFFFF};
    for (uint32_t ip : bad) {
        INFO("remote " << std::hex << ip);
        MediaSessionConfig c = config(a_addr, Endpoint{ip, 30000}, Law::alaw, payload_type_pcma);
        REQUIRE(MediaSession::check(c, MediaSessionLimits{}).error == -EINVAL);
        REQUIRE_THROWS_AS(MediaSession(c), std::invalid_argument);
        c.remote_rtp = b_addr;
        c.remote_rtcp = Endpoint{ip, 30001};
        REQUIRE(MediaSession::check(c, MediaSessionLimits{}).error == -EINVAL);
        // Without a port the address means nothing: the far end is learnt.
        c.remote_rtcp = Endpoint{};
        c.remote_rtp = Endpoint{ip, 0};
        REQUIRE(MediaSession::check(c, MediaSessionLimits{}).ok());

        MediaSession s(config(a_addr, b_addr, Law::alaw, payload_type_pcma));
        REQUIRE(s.set_remote(Endpoint{ip, 40000}, true) == -EINVAL);
        REQUIRE(s.remote_rtp() == b_addr);  // unchanged
        REQUIRE(s.remote_rtcp() == Endpoint{b_addr.ipv4, 30001});
        Wire w;
        uint8_t in[8] = {};
        uint8_t out[8];
        for (uint64_t t = 0; t < 1000; ++t) {
            w.now_ns = t * ms;
            s.tick(in, out, w.now_ns, w.sink());
        }
        for (const auto& e : w.log) {
            REQUIRE(e.dst.ipv4 == b_addr.ipv4);
        }
        REQUIRE(emitted(w, a_addr, PacketKind::rtp).size() == 50);
    }
    // The edges that are hosts: 1.0.0.1, 126.255.255.254, 128.0.0.1,
    // 223.255.255.254 (and our own addresses: PRI-to-PRI media hairpins).
    for (uint32_t ip : {0x01000001u, 0x7EFFFFFEu, 0x80000001u, 0xDFFFFFFEu}) {
        INFO("remote " << std::hex << ip);
        REQUIRE(MediaSession::check(config(a_addr, Endpoint{ip, 30000}, Law::alaw, payload_type_pcma),
                                    MediaSessionLimits{})
                    .ok());
        MediaSession s(config(a_addr, b_addr, Law::alaw, payload_type_pcma));
        REQUIRE(s.set_remote(Endpoint{ip, 40000}, false) == 0);
        REQUIRE(s.remote_rtp() == Endpoint{ip, 40000});
    }
}

}  // namespace media_session_test
