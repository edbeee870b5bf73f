// RTP -> TDM jitter buffer: playout delay, loss concealed by SpanDSP's PLC,
// reordering, duplication, late packets, random arrival jitter, SSRC
// change, payload-type mismatch, malformed packets, timestamp and sequence
// jumps, clock drift, and the adaptive delay.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "dataplane/media/rtp_jitter_buffer.h"
#include "tdm/g711/g711.h"

using namespace trunkgw::media;
namespace g711 = trunkgw::tdm::g711;

// The whole file in its own namespace: the test binary is built as one unit
// (meson unity, tests/meson.build) and each file has its own helpers.
namespace rtp_jitter_buffer_test {

constexpr double pi = 3.14159265358979323846;

// A 1004 Hz tone at half of full scale, A-law or u-law encoded.
std::vector<uint8_t> tone(std::size_t n, Law law, double freq = 1004.0)
{
    std::vector<uint8_t> v(n);
    for (std::size_t k = 0; k < n; ++k) {
        auto x = static_cast<int16_t>(std::lround(16384.0 * std::sin(2 * pi * freq * static_cast<double>(k) / 8000.0)));
        v[k] = law == Law::alaw ? g711::linear_to_alaw(x) : g711::linear_to_ulaw(x);
    }
    return v;
}

struct Stream {
    uint32_t ssrc = 0x51515151;
    uint16_t seq0 = 1000;
    uint32_t ts0 = 100000;
    uint8_t pt = payload_type_pcma;
    uint32_t ptime = 160;  // samples per packet
    std::vector<uint8_t> samples;

    std::vector<uint8_t> packet(uint32_t i) const
    {
        return packet_at(i, static_cast<uint16_t>(seq0 + i), ts0 + i * ptime);
    }

    std::vector<uint8_t> packet_at(uint32_t i, uint16_t seq, uint32_t ts) const
    {
        std::vector<uint8_t> p(rtp_fixed_header_len + ptime);
        RtpHeaderFields h;
        h.payload_type = pt;
        h.sequence = seq;
        h.timestamp = ts;
        h.ssrc = ssrc;
        rtp_build_header(h, p.data(), p.size());
        std::memcpy(p.data() + rtp_fixed_header_len, samples.data() + static_cast<std::size_t>(i) * ptime, ptime);
        return p;
    }
};

struct Arrival {
    uint32_t tick;
    std::vector<uint8_t> pkt;
};

struct Rig {
    explicit Rig(const JitterBufferConfig& c) : jb(c) {}

    RtpJitterBuffer jb;
    uint32_t tick = 0;
    std::vector<uint8_t> out;
    std::vector<RxVerdict> verdicts;

    // Arrival times run on an 8 kHz clock with an arbitrary origin.
    uint32_t now() const { return 0xFFFF0000u + 8 * tick; }

    RxVerdict rx(const std::vector<uint8_t>& p)
    {
        RxVerdict v = jb.receive(p.data(), p.size(), now());
        verdicts.push_back(v);
        return v;
    }

    void play(uint32_t ticks)
    {
        for (uint32_t t = 0; t < ticks; ++t) {
            uint8_t o[8];
            jb.play(o);
            out.insert(out.end(), o, o + 8);
            ++tick;
        }
    }

    // Delivers each packet at the start of its tick (before that tick
    // plays), until `until` ticks have played.
    void run(std::vector<Arrival> arrivals, uint32_t until)
    {
        std::stable_sort(arrivals.begin(), arrivals.end(),
                         [](const Arrival& a, const Arrival& b) { return a.tick < b.tick; });
        std::size_t next = 0;
        while (next < arrivals.size() && arrivals[next].tick < tick) {
            ++next;  // delivered by an earlier run()
        }
        while (tick < until) {
            while (next < arrivals.size() && arrivals[next].tick <= tick) {
                rx(arrivals[next].pkt);
                ++next;
            }
            play(1);
        }
    }
};

// Packet i arrives at tick 20 * i (+ start).
std::vector<Arrival> on_time(const Stream& s, uint32_t packets, uint32_t start = 0)
{
    std::vector<Arrival> a;
    for (uint32_t i = 0; i < packets; ++i) {
        a.push_back({start + i * (s.ptime / 8), s.packet(i)});
    }
    return a;
}

// Counts samples of out[from..from+n) that differ from ref[ref_from..).
std::size_t mismatches(const std::vector<uint8_t>& out, std::size_t from, const std::vector<uint8_t>& ref,
                       std::size_t ref_from, std::size_t n)
{
    std::size_t bad = 0;
    for (std::size_t k = 0; k < n; ++k) {
        bad += out[from + k] != ref[ref_from + k] ? 1 : 0;
    }
    return bad;
}

bool all_equal(const std::vector<uint8_t>& out, std::size_t from, std::size_t n, uint8_t v)
{
    return std::all_of(out.begin() + static_cast<std::ptrdiff_t>(from),
                       out.begin() + static_cast<std::ptrdiff_t>(from + n), [v](uint8_t x) { return x == v; });
}

double rms_alaw(const std::vector<uint8_t>& v, std::size_t from, std::size_t n)
{
    double e = 0;
    for (std::size_t k = 0; k < n; ++k) {
        double x = g711::alaw_to_linear(v[from + k]);
        e += x * x;
    }
    return std::sqrt(e / static_cast<double>(n));
}

JitterBufferConfig fixed(uint32_t delay_ms, Law ch = Law::alaw, uint8_t pt = payload_type_pcma)
{
    JitterBufferConfig c;
    c.payload_type = pt;
    c.channel_law = ch;
    c.mode = JitterMode::fixed;
    c.delay_ms = delay_ms;
    c.max_delay_ms = 200;
    return c;
}

Stream tone_stream(uint32_t packets, Law law = Law::alaw)
{
    Stream s;
    s.pt = law == Law::alaw ? payload_type_pcma : payload_type_pcmu;
    s.samples = tone(packets * s.ptime, law);
    return s;
}

TEST_CASE("jitter buffer: the idle code plays before the first packet", "[jitter_buffer]")
{
    for (Law law : {Law::alaw, Law::ulaw}) {
        Rig r(fixed(40, law, payload_type_pcmu));
        r.play(10);
        REQUIRE_FALSE(r.jb.playing());
        REQUIRE(all_equal(r.out, 0, 80, law == Law::alaw ? 0xD5 : 0xFF));
        REQUIRE(r.jb.counters().silence_ticks == 10);
    }
}

TEST_CASE("jitter buffer: in-order packets play bit-exact after exactly the delay", "[jitter_buffer]")
{
    Stream s = tone_stream(50);
    Rig r(fixed(40));
    r.run(on_time(s, 50), 40 + 1000);
    // Packet 0 arrived at tick 0; its first sample plays at tick 40.
    REQUIRE(all_equal(r.out, 0, 40 * 8, 0xD5));
    REQUIRE(mismatches(r.out, 40 * 8, s.samples, 0, 8000) == 0);
    const JitterBufferCounters& c = r.jb.counters();
    REQUIRE(c.packets == 50);
    REQUIRE(c.payload_octets == 8000);
    REQUIRE(c.played_ticks == 1000);
    REQUIRE(c.silence_ticks == 40);
    REQUIRE(c.concealed_ticks == 0);
    REQUIRE(c.resyncs == 1);
    REQUIRE(c.grow_steps == 0);
    REQUIRE(c.shrink_steps == 0);
    REQUIRE(r.jb.delay_samples() == 320);
    REQUIRE(r.jb.target_samples() == 320);
    REQUIRE(r.jb.stats().cumulative_lost() == 0);
    REQUIRE(r.jb.stats().expected() == 49);  // A.1: the probation packet is not counted
    REQUIRE(r.jb.stats().jitter() == 0);
}

TEST_CASE("jitter buffer: PCMU into an A-law channel and PCMA into a u-law one", "[jitter_buffer]")
{
    for (Law ch : {Law::alaw, Law::ulaw}) {
        Law codec = ch == Law::alaw ? Law::ulaw : Law::alaw;
        Stream s;
        s.pt = codec == Law::alaw ? payload_type_pcma : payload_type_pcmu;
        s.samples.resize(20 * 160);
        for (std::size_t k = 0; k < s.samples.size(); ++k) {
            s.samples[k] = static_cast<uint8_t>(k * 7);
        }
        Rig r(fixed(20, ch, s.pt));
        r.run(on_time(s, 20), 20 + 400);
        for (std::size_t k = 0; k < 3200; ++k) {
            uint8_t expect = ch == Law::alaw ? g711::ulaw_to_alaw(s.samples[k]) : g711::alaw_to_ulaw(s.samples[k]);
            REQUIRE(r.out[160 + k] == expect);
        }
    }
}

TEST_CASE("jitter buffer: a lost packet is concealed by PLC and counted", "[jitter_buffer]")
{
    Stream s = tone_stream(50);
    std::vector<Arrival> a = on_time(s, 50);
    a.erase(a.begin() + 10);
    Rig r(fixed(40));
    r.run(a, 40 + 1000);
    const JitterBufferCounters& c = r.jb.counters();
    REQUIRE(c.concealed_ticks == 20);
    REQUIRE(c.played_ticks == 980);
    REQUIRE(r.jb.stats().cumulative_lost() == 1);
    // Before the gap: exact. The gap (stream samples 1600..1759) is
    // synthetic but carries the tone's energy, not silence.
    REQUIRE(mismatches(r.out, 320, s.samples, 0, 1600) == 0);
    double tone_rms = rms_alaw(s.samples, 1600, 160);
    double plc_rms = rms_alaw(r.out, 320 + 1600, 160);
    REQUIRE(plc_rms > 0.5 * tone_rms);
    REQUIRE(plc_rms < 1.1 * tone_rms);
    // The first 8 samples after the gap are blended (plc_rx); then exact.
    REQUIRE(mismatches(r.out, 320 + 1768, s.samples, 1768, 8000 - 1768) == 0);
}

TEST_CASE("jitter buffer: odd-sized packets play bit-exact; a loss conceals part of a block", "[jitter_buffer]")
{
    // A far end sending 12.5 ms (100-sample) packets: they straddle our
    // 8-sample ticks. Packet i arrives once its last sample exists.
    Stream s;
    s.ptime = 100;
    s.samples = tone(40 * 100, Law::alaw);
    auto arrivals = [&](bool lose7) {
        std::vector<Arrival> a;
        for (uint32_t i = 0; i < 40; ++i) {
            if (!(lose7 && i == 7)) {
                a.push_back({13 + (100 * i + 7) / 8, s.packet(i)});
            }
        }
        return a;
    };
    {
        Rig r(fixed(40));
        r.run(arrivals(false), 13 + 40 + 500);
        REQUIRE(mismatches(r.out, (13 + 40) * 8, s.samples, 0, 4000) == 0);
        REQUIRE(r.jb.counters().concealed_ticks == 0);
        REQUIRE(r.jb.counters().played_ticks == 500);
        REQUIRE(r.jb.counters().grow_steps + r.jb.counters().shrink_steps == 0);
    }
    {
        Rig r(fixed(40));
        r.run(arrivals(true), 13 + 40 + 500);
        // Samples 700..799 are missing: block 87 (696..703) is half real,
        // blocks 88..99 wholly concealed, block 100 blends back.
        REQUIRE(r.jb.counters().concealed_ticks == 13);
        REQUIRE(mismatches(r.out, (13 + 40) * 8, s.samples, 0, 700) == 0);
        REQUIRE(mismatches(r.out, (13 + 40) * 8 + 808, s.samples, 808, 4000 - 808) == 0);
        REQUIRE(rms_alaw(r.out, (13 + 40) * 8 + 700, 100) > 0.5 * rms_alaw(s.samples, 700, 100));
    }
}

TEST_CASE("jitter buffer: reordered packets within the delay are put back in order", "[jitter_buffer]")
{
    Stream s = tone_stream(50);
    std::vector<Arrival> a = on_time(s, 50);
    // 1 after 2; 5 and 6 after 7; 20 after 21 (each still before its
    // playout time with 60 ms of delay).
    a[1].tick = 45;
    a[5].tick = 145;
    a[6].tick = 145;
    a[20].tick = 425;
    Rig r(fixed(60));
    r.run(a, 60 + 1000);
    const JitterBufferCounters& c = r.jb.counters();
    REQUIRE(c.reordered == 4);
    REQUIRE(c.late == 0);
    REQUIRE(c.concealed_ticks == 0);
    REQUIRE(c.grow_steps == 0);
    REQUIRE(c.shrink_steps == 0);
    REQUIRE(mismatches(r.out, 480, s.samples, 0, 8000) == 0);
    REQUIRE(r.jb.stats().cumulative_lost() == 0);
}

TEST_CASE("jitter buffer: duplicates are dropped and counted", "[jitter_buffer]")
{
    Stream s = tone_stream(50);
    std::vector<Arrival> a = on_time(s, 50);
    std::vector<Arrival> twice = a;
    for (Arrival& x : twice) {
        x.tick += 3;
    }
    a.insert(a.end(), twice.begin(), twice.end());
    Rig r(fixed(40));
    r.run(a, 40 + 1000);
    REQUIRE(r.jb.counters().duplicate == 50);
    REQUIRE(r.jb.counters().packets == 50);
    REQUIRE(mismatches(r.out, 320, s.samples, 0, 8000) == 0);
    // A.3: duplicates count as received, so "lost" goes negative.
    REQUIRE(r.jb.stats().expected() == 49);
    REQUIRE(r.jb.stats().received() == 98);
    REQUIRE(r.jb.stats().cumulative_lost() == -49);
}

TEST_CASE("jitter buffer: late packets are dropped; partly late ones play their rest", "[jitter_buffer]")
{
    Stream s = tone_stream(50);
    SECTION("wholly late")
    {
        std::vector<Arrival> a = on_time(s, 50);
        // Packet 10 plays over ticks 240..259; it arrives at tick 262.
        a[10].tick = 262;
        Rig r(fixed(40));
        r.run(a, 40 + 1000);
        REQUIRE(r.jb.counters().late == 1);
        REQUIRE(r.jb.counters().concealed_ticks == 20);
        REQUIRE(r.jb.stats().cumulative_lost() == 0);  // A.3 counts it received
    }
    SECTION("partly late")
    {
        std::vector<Arrival> a = on_time(s, 50);
        a[10].tick = 250;  // its first 10 ms are past
        Rig r(fixed(40));
        r.run(a, 40 + 1000);
        REQUIRE(r.jb.counters().late == 0);
        REQUIRE(r.jb.counters().concealed_ticks == 10);
        REQUIRE(r.jb.counters().played_ticks == 990);
        REQUIRE(mismatches(r.out, 320 + 1688, s.samples, 1688, 8000 - 1688) == 0);
    }
}

TEST_CASE("jitter buffer: random arrival jitter inside the delay loses nothing", "[jitter_buffer]")
{
    // 500 packets (10 s), each delayed 0..39 ms (mt19937, seed 4711), the
    // first one not at all; the delay is 60 ms.
    Stream s = tone_stream(500);
    std::vector<Arrival> a = on_time(s, 500);
    std::mt19937 rng(4711);
    std::vector<uint32_t> offset(500, 0);
    for (std::size_t i = 1; i < a.size(); ++i) {
        offset[i] = rng() % 40;
        a[i].tick += offset[i];
    }
    Rig r(fixed(60));
    r.run(a, 60 + 10000);
    const JitterBufferCounters& c = r.jb.counters();
    REQUIRE(c.late == 0);
    REQUIRE(c.concealed_ticks == 0);
    REQUIRE(c.grow_steps == 0);
    REQUIRE(c.shrink_steps == 0);
    REQUIRE(c.reordered > 0);
    REQUIRE(mismatches(r.out, 480, s.samples, 0, 80000) == 0);

    // A.8 over the arrival order, recomputed here in floating point.
    std::vector<std::pair<uint32_t, uint32_t>> order;  // (arrival tick, packet)
    for (uint32_t i = 0; i < 500; ++i) {
        order.emplace_back(i * 20 + offset[i], i);
    }
    std::stable_sort(order.begin(), order.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    double j = 0;
    double prev = 0;
    bool first = true;
    for (auto [tick, i] : order) {
        double transit = 8.0 * tick - 160.0 * i;
        if (!first) {
            j += (std::fabs(transit - prev) - j) / 16.0;
        }
        prev = transit;
        first = false;
    }
    REQUIRE(std::fabs(r.jb.stats().jitter_x16() / 16.0 - j) < 1.0);
}

TEST_CASE("jitter buffer: an SSRC change is accepted and resynchronised", "[jitter_buffer]")
{
    Stream a = tone_stream(20);
    Stream b = tone_stream(20);
    b.ssrc = 0x0B0B0B0B;
    b.seq0 = 60000;
    b.ts0 = 0x7FFFFFF0;
    for (uint8_t& x : b.samples) {
        x ^= 0x0F;  // different content
    }
    std::vector<Arrival> arr = on_time(a, 20);
    // B starts when A's last packet has played (tick 440).
    std::vector<Arrival> brr = on_time(b, 20, 440);
    arr.insert(arr.end(), brr.begin(), brr.end());
    // A's packet 19 again, 10 ms after the change: reordered across it.
    arr.push_back({450, a.packet(19)});
    Rig r(fixed(40));
    r.run(arr, 440 + 40 + 400);
    const JitterBufferCounters& c = r.jb.counters();
    REQUIRE(c.ssrc_changes == 1);
    REQUIRE(c.resyncs == 2);
    REQUIRE(c.stale_ssrc == 1);
    REQUIRE(r.jb.stats().ssrc() == 0x0B0B0B0B);
    // A played out completely, then B after its own 40 ms.
    REQUIRE(mismatches(r.out, 320, a.samples, 0, 3200) == 0);
    REQUIRE(mismatches(r.out, (440 + 40) * 8, b.samples, 0, 3200) == 0);
    // Between them, B's own 40 ms of delay: the idle code.
    REQUIRE(all_equal(r.out, 440 * 8, 320, 0xD5));
}

TEST_CASE("jitter buffer: a payload type we did not negotiate is dropped", "[jitter_buffer]")
{
    Stream s = tone_stream(5, Law::ulaw);  // PT 0
    Rig r(fixed(20));                      // expects PT 8
    r.run(on_time(s, 5), 200);
    REQUIRE(r.jb.counters().bad_payload_type == 5);
    REQUIRE(r.jb.counters().packets == 0);
    REQUIRE_FALSE(r.jb.playing());
    REQUIRE(all_equal(r.out, 0, 1600, 0xD5));
    REQUIRE(r.verdicts[0] == RxVerdict::bad_payload_type);
}

TEST_CASE("jitter buffer: malformed packets are dropped, one counter each", "[jitter_buffer]")
{
    Stream s = tone_stream(2);
    Rig r(fixed(20));
    std::vector<uint8_t> p = s.packet(0);
    REQUIRE(r.rx(std::vector<uint8_t>(p.begin(), p.begin() + 11)) == RxVerdict::too_short);
    REQUIRE(r.rx(std::vector<uint8_t>(p.begin(), p.begin() + 12)) == RxVerdict::too_short);  // no payload
    std::vector<uint8_t> q = p;
    q[0] = 0x40;
    REQUIRE(r.rx(q) == RxVerdict::bad_version);
    q = p;
    q[0] = 0xA0;
    q.back() = 0;
    REQUIRE(r.rx(q) == RxVerdict::bad_padding);
    q = p;
    q[0] = 0x90;
    q[14] = 0x40;  // extension length 0x40xx words
    REQUIRE(r.rx(q) == RxVerdict::bad_extension);
    std::vector<uint8_t> big(12 + 961, 0xD5);
    std::copy(p.begin(), p.begin() + 12, big.begin());
    REQUIRE(r.rx(big) == RxVerdict::oversize);
    const JitterBufferCounters& c = r.jb.counters();
    REQUIRE(c.too_short == 2);
    REQUIRE(c.bad_version == 1);
    REQUIRE(c.bad_padding == 1);
    REQUIRE(c.bad_extension == 1);
    REQUIRE(c.oversize == 1);
    REQUIRE(c.packets == 0);
    REQUIRE(r.rx(p) == RxVerdict::accepted);
    REQUIRE(std::string(rx_verdict_name(RxVerdict::oversize)) == "oversize");
}

TEST_CASE("jitter buffer: a long gap conceals 50 ms then plays silence, and recovers", "[jitter_buffer]")
{
    Stream s = tone_stream(50);
    std::vector<Arrival> a = on_time(s, 50);
    // Packets 10..19 (200 ms) never arrive.
    a.erase(a.begin() + 10, a.begin() + 20);
    Rig r(fixed(40));
    r.run(a, 40 + 1000);
    const JitterBufferCounters& c = r.jb.counters();
    REQUIRE(c.concealed_ticks == 50);
    REQUIRE(c.silence_ticks == 40 + 150);
    // The last 150 ms of the gap are the idle code.
    REQUIRE(all_equal(r.out, (40 + 250) * 8, 150 * 8, 0xD5));
    // After the gap: the first block is blended, then exact.
    REQUIRE(mismatches(r.out, (40 + 400) * 8 + 8, s.samples, 3208, 8000 - 3208) == 0);
}

TEST_CASE("jitter buffer: timestamp jumps resynchronise", "[jitter_buffer]")
{
    Stream s = tone_stream(40);
    SECTION("forward past the ring: overflow")
    {
        std::vector<Arrival> a;
        for (uint32_t i = 0; i < 40; ++i) {
            uint32_t ts = s.ts0 + i * 160 + (i >= 20 ? 100000u : 0u);
            a.push_back({i * 20, s.packet_at(i, static_cast<uint16_t>(s.seq0 + i), ts)});
        }
        Rig r(fixed(40));
        r.run(a, 40 + 800);
        REQUIRE(r.jb.counters().overflow == 1);
        REQUIRE(r.jb.counters().resyncs == 2);
        REQUIRE(r.jb.counters().late == 0);
        // Packet 20 arrived at tick 400 and plays 40 ms later.
        REQUIRE(mismatches(r.out, 440 * 8, s.samples, 3200, 3200) == 0);
    }
    SECTION("backward: late until 100 ms of only late packets")
    {
        std::vector<Arrival> a;
        for (uint32_t i = 0; i < 40; ++i) {
            uint32_t ts = s.ts0 + i * 160 - (i >= 20 ? 50000u : 0u);
            a.push_back({i * 20, s.packet_at(i, static_cast<uint16_t>(s.seq0 + i), ts)});
        }
        Rig r(fixed(40));
        r.run(a, 40 + 800);
        // Packets 20..25 are late (ticks 400..500); at 500, 100 ms have
        // passed: packet 25 restarts playout.
        REQUIRE(r.jb.counters().late == 5);
        REQUIRE(r.jb.counters().late_resyncs == 1);
        REQUIRE(r.jb.counters().resyncs == 2);
        // (after the first block, which fades in from the concealment)
        REQUIRE(mismatches(r.out, 540 * 8 + 8, s.samples, 25 * 160 + 8, 15 * 160 - 8) == 0);
    }
}

TEST_CASE("jitter buffer: a sequence jump drops one packet, then follows (A.1)", "[jitter_buffer]")
{
    Stream s = tone_stream(40);
    std::vector<Arrival> a;
    for (uint32_t i = 0; i < 40; ++i) {
        auto seq = static_cast<uint16_t>(s.seq0 + i + (i >= 20 ? 20000 : 0));
        a.push_back({i * 20, s.packet_at(i, seq, s.ts0 + i * 160)});
    }
    Rig r(fixed(40));
    r.run(a, 40 + 800);
    REQUIRE(r.jb.counters().seq_jump == 1);
    REQUIRE(r.jb.counters().packets == 39);
    REQUIRE(r.jb.counters().concealed_ticks == 20);
    REQUIRE(r.jb.stats().extended_max_seq() == static_cast<uint32_t>(s.seq0 + 39 + 20000));
    REQUIRE(r.jb.stats().expected() == 19);  // re-synced at packet 21
}

TEST_CASE("jitter buffer: clock drift is absorbed in 1 ms steps", "[jitter_buffer]")
{
    // 60 s of 20 ms packets from a far end 0.1 % fast or slow: 60 ms of
    // drift against a 40 ms delay.
    for (int sign : {+1, -1}) {
        Stream s = tone_stream(3000);
        std::vector<Arrival> a;
        for (uint32_t i = 0; i < 3000; ++i) {
            a.push_back({static_cast<uint32_t>(i * 20 * (1000 + sign * -1) / 1000), s.packet(i)});
        }
        Rig r(fixed(40));
        r.run(a, 60100);  // not right at a window turn (every 4000 ticks)
        const JitterBufferCounters& c = r.jb.counters();
        INFO("sign " << sign << " grow " << c.grow_steps << " shrink " << c.shrink_steps);
        REQUIRE(c.late == 0);
        REQUIRE(c.overflow == 0);
        REQUIRE(c.resyncs == 1);
        if (sign > 0) {
            REQUIRE(c.grow_steps == 0);
            REQUIRE(c.shrink_steps >= 50);
            REQUIRE(c.shrink_steps <= 62);
        } else {
            REQUIRE(c.shrink_steps == 0);
            // Fewer: H lags a falling depth by up to 8 s x 0.1 %.
            REQUIRE(c.grow_steps >= 45);
            REQUIRE(c.grow_steps <= 62);
        }
        // The depth stays within the 2 ms dead band.
        REQUIRE(r.jb.delay_samples() >= 320 - 24);
        REQUIRE(r.jb.delay_samples() <= 320 + 24);
    }
}

TEST_CASE("jitter buffer: adaptive delay grows under jitter and shrinks back", "[jitter_buffer]")
{
    JitterBufferConfig c;
    c.payload_type = payload_type_pcma;
    c.channel_law = Law::alaw;
    c.mode = JitterMode::adaptive;
    c.delay_ms = 20;
    c.max_delay_ms = 200;
    // 10 s with 0..59 ms of arrival jitter (seed 99), then 10 s without.
    Stream s = tone_stream(1000);
    std::vector<Arrival> a = on_time(s, 1000);
    std::mt19937 rng(99);
    for (std::size_t i = 1; i < 500; ++i) {
        a[i].tick += rng() % 60;
    }
    Rig r(c);
    REQUIRE(r.jb.target_samples() == 160);
    r.run(a, 10000);
    INFO("target " << r.jb.target_samples() << " delay " << r.jb.delay_samples() << " J " << r.jb.stats().jitter()
                   << " late " << r.jb.counters().late << " grow " << r.jb.counters().grow_steps << " shrink "
                   << r.jb.counters().shrink_steps);
    // J ~ 60/3 ms = 160 units; 4 J ~ 80 ms.
    REQUIRE(r.jb.target_samples() >= 8 * 60);
    REQUIRE(r.jb.target_samples() <= 8 * 110);
    REQUIRE(r.jb.delay_samples() + 16 >= r.jb.target_samples());
    uint64_t grown = r.jb.counters().grow_steps;
    REQUIRE(grown >= 40);
    uint64_t late_under_jitter = r.jb.counters().late;
    // Once grown, (almost) nothing was late: the late ones came while growing.
    REQUIRE(late_under_jitter < 25);

    r.run(a, 20000 + 40);
    INFO("after: target " << r.jb.target_samples() << " delay " << r.jb.delay_samples() << " shrink "
                          << r.jb.counters().shrink_steps << " late " << r.jb.counters().late);
    REQUIRE(r.jb.target_samples() == 160);
    REQUIRE(r.jb.delay_samples() <= 160 + 15);
    REQUIRE(r.jb.counters().shrink_steps >= 40);
    REQUIRE(r.jb.counters().late == late_under_jitter);
}

TEST_CASE("jitter buffer: refuses bad configs", "[jitter_buffer]")
{
    JitterBufferConfig c;
    c.payload_type = 3;
    REQUIRE_THROWS_AS(RtpJitterBuffer(c), std::invalid_argument);
    c.payload_type = 0;
    c.max_delay_ms = 2001;
    REQUIRE_THROWS_AS(RtpJitterBuffer(c), std::invalid_argument);
    c.max_delay_ms = 100;
    c.delay_ms = 101;
    REQUIRE_THROWS_AS(RtpJitterBuffer(c), std::invalid_argument);
    c.delay_ms = 100;
    RtpJitterBuffer ok(c);
    REQUIRE(ok.capacity_samples() == 4096);  // 800 + 2 * 960 -> 4096
}

}  // namespace rtp_jitter_buffer_test
