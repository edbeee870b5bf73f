// Plain runs (plain_run.h): a session ticked through its run (as a span's
// tick does) against the same session ticked every millisecond, fed the
// same far-end stream and the same channel. Everything either sends or
// plays must be the same octet for octet, and so must its events and
// counters: under loss, reordering, duplicates, jitter, odd packet sizes,
// an SSRC change, timestamp jumps, RFC 4733 events, hold, a new remote, an
// RTP timeout and RTCP.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "dataplane/media/media_session.h"
#include "dataplane/media/plain_run.h"
#include "dataplane/media/rtp_header.h"

using namespace trunkgw::media;

// The whole file in its own namespace: the test binary is built as one unit
// (meson unity, tests/meson.build) and each file has its own helpers.
namespace plain_run_test {

constexpr uint64_t ms = 1000000;
const Endpoint local{0x0A000001, 20000};
const Endpoint far_end{0x0A000002, 30000};

struct Sent {
    PacketKind kind;
    Endpoint dst;
    std::vector<uint8_t> data;
    bool operator==(const Sent& o) const { return kind == o.kind && dst == o.dst && data == o.data; }
};

void record(void* user, const TxPacket& p)
{
    static_cast<std::vector<Sent>*>(user)->push_back({p.kind, p.dst, std::vector<uint8_t>(p.data, p.data + p.len)});
}

constexpr uint64_t far_end_start_ms = 150;

struct Scenario {
    uint32_t seed;
    JitterMode mode;
    uint32_t ptime_ms;       // ours
    uint32_t far_samples;    // the far end's packets (not always whole milliseconds)
    uint8_t payload_type;
    Law channel_law;
    uint8_t telephone_event_pt;
    uint32_t rtp_timeout_ms;
    uint32_t rtcp_interval_ms;
};

MediaSessionConfig config_of(const Scenario& sc)
{
    MediaSessionConfig c;
    c.payload_type = sc.payload_type;
    c.channel_law = sc.channel_law;
    c.ptime_ms = sc.ptime_ms;
    c.ssrc = 0x1234567u + sc.seed;
    c.first_sequence = static_cast<uint16_t>(sc.seed * 77);
    c.first_timestamp = sc.seed * 100003u;
    c.jitter_mode = sc.mode;
    c.jitter_delay_ms = 30;
    c.jitter_max_delay_ms = 120;
    c.rtp_timeout_ms = sc.rtp_timeout_ms;
    c.rtcp_interval_ms = sc.rtcp_interval_ms;
    c.telephone_event_pt = sc.telephone_event_pt;
    c.local_rtp = local;
    c.remote_rtp = far_end;
    return c;
}

// The far end's packets, each with the millisecond it arrives in.
struct Arrival {
    uint64_t at_ms;
    PacketKind kind;
    std::vector<uint8_t> data;
};

std::vector<Arrival> far_end_stream(const Scenario& sc, uint64_t total_ms)
{
    std::mt19937 rng(sc.seed);
    auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
    std::vector<Arrival> out;
    uint32_t ssrc = 0xCAFE0000u + sc.seed;
    uint16_t seq = static_cast<uint16_t>(sc.seed * 31);
    uint32_t ts = sc.seed * 7777u;
    const Law codec = sc.payload_type == payload_type_pcmu ? Law::ulaw : Law::alaw;
    bool ssrc_changed = false;
    bool jumped = false;
    const uint32_t n = sc.far_samples;
    // RFC 4733 2.3: an event packet of the stream (digit 5, volume 10).
    auto event = [&](bool first, bool end, uint16_t duration) {
        std::vector<uint8_t> ev(rtp_fixed_header_len + 4);
        RtpHeaderFields e;
        e.payload_type = sc.telephone_event_pt;
        e.marker = first;
        e.sequence = seq++;
        e.timestamp = ts;
        e.ssrc = ssrc;
        rtp_build_header(e, ev.data(), ev.size());
        ev[rtp_fixed_header_len] = 5;
        ev[rtp_fixed_header_len + 1] = static_cast<uint8_t>((end ? 0x80 : 0) | 10);
        ev[rtp_fixed_header_len + 2] = static_cast<uint8_t>(duration >> 8);
        ev[rtp_fixed_header_len + 3] = static_cast<uint8_t>(duration);
        return ev;
    };
    for (uint64_t pkt_no = 0, t = 0; t < total_ms; ++pkt_no, t = pkt_no * n / samples_per_ms) {
        // The far end starts late (no early media): until its first
        // packet the session plays the idle code.
        if (t < far_end_start_ms) {
            ts += n;
            ++seq;
            continue;
        }
        // After a long steady stretch (the adaptive target falls as the
        // depth window turns), a silent one long enough for the RTP
        // timeout, an SSRC change and a timestamp jump forward.
        if (t >= 4000 && t < 4300) {
            ts += n;
            ++seq;
            continue;
        }
        if (t >= 5000 && !ssrc_changed) {
            ssrc_changed = true;
            ssrc ^= 0x5A5A5A5Au;
            seq = static_cast<uint16_t>(seq + 1000);
        }
        if (t >= 5600 && !jumped) {
            jumped = true;
            ts += 8000 * 3;
        }
        // With events, the far end's first packet is one (a digit at
        // answer): the source is known before playout starts.
        if (sc.telephone_event_pt != 0 && out.empty()) {
            out.push_back({t, PacketKind::rtp, event(true, false, 400)});
        }
        std::vector<uint8_t> pkt(rtp_fixed_header_len + n);
        RtpHeaderFields h;
        h.payload_type = sc.payload_type;
        h.sequence = seq++;
        h.timestamp = ts;
        h.ssrc = ssrc;
        rtp_build_header(h, pkt.data(), pkt.size());
        for (uint32_t i = 0; i < n; ++i) {
            double x = 12000.0 * std::sin(2 * 3.14159265358979 * 1004.0 * static_cast<double>(ts + i) / 8000.0);
            // Quiet passages let the adaptive buffer skip silent blocks.
            if ((t / 700) % 3 == 2) {
                x /= 400.0;
            }
            const auto lin = static_cast<int16_t>(std::lround(x));
            encode_law(codec, &lin, &pkt[rtp_fixed_header_len + i], 1);
        }
        ts += n;
        // Jitter (larger in a middle stretch, so that the adaptive target
        // moves), loss, duplicates, and a reordered neighbour.
        const uint32_t spread = t > 600 && t < 1400 ? 45 : 6;
        uint64_t at = t + std::uniform_int_distribution<uint32_t>(0, spread)(rng);
        if (chance(0.04)) {
            continue;
        }
        out.push_back({at, PacketKind::rtp, pkt});
        // Duplicates, some much later (a duplicate's arrival moves the
        // jitter estimate, so the adaptive target, like any packet's).
        if (chance(0.08)) {
            out.push_back({at + std::uniform_int_distribution<uint32_t>(1, 60)(rng), PacketKind::rtp, pkt});
        }
        if (chance(0.03) && out.size() >= 2) {
            out[out.size() - 2].at_ms = at + 1;  // overtaken by its successor
        }
        // RFC 4733: a digit now and then, in the stream's sequence space.
        if (sc.telephone_event_pt != 0 && (t + 700) % 1100 < n / samples_per_ms) {
            for (uint32_t k = 0; k < 6; ++k) {
                const uint16_t duration = static_cast<uint16_t>(std::min<uint32_t>(k + 1, 4) * 400);
                out.push_back({at + 1 + k * 5, PacketKind::rtp, event(k == 0, k >= 3, duration)});
            }
        }
    }
    // The far end's RTCP: an empty RR, then at the end an RR with a BYE.
    const uint8_t rr[] = {0x80, 201, 0, 1, 0xCA, 0xFE, 0, 0};
    const uint8_t bye[] = {0x80, 201, 0, 1, 0xCA, 0xFE, 0, 0, 0x81, 203, 0, 1, 0xCA, 0xFE, 0, 0};
    out.push_back({900, PacketKind::rtcp, std::vector<uint8_t>(rr, rr + sizeof(rr))});
    out.push_back({total_ms - 300, PacketKind::rtcp, std::vector<uint8_t>(bye, bye + sizeof(bye))});
    return out;
}

// One session, ticked either way, and everything it did.
struct Run {
    MediaSession s;
    PlainRun run;
    bool plain;
    std::vector<Sent> sent;
    std::vector<uint8_t> played;
    std::vector<uint32_t> events;  // (ms << 8 | bits) of each tick that reported any
    uint64_t plain_ticks = 0;
    uint64_t silent_plain_ticks = 0;
    uint64_t plain_ticks_before_stream = 0;

    Run(const MediaSessionConfig& c, bool use_run) : s(c), plain(use_run)
    {
        if (plain) {
            s.attach_plain_run(&run);
        }
    }

    void tick(uint64_t t, const uint8_t* in8)
    {
        uint8_t out[8];
        const uint64_t now = t * ms;
        const bool silent = run.silent;
        if (plain && plain_tick(run, in8, out, now)) {
            ++plain_ticks;
            silent_plain_ticks += silent ? 1 : 0;
            plain_ticks_before_stream += t < far_end_start_ms ? 1 : 0;
        } else if (uint32_t ev = s.tick(in8, out, now, {&record, &sent}); ev != 0) {
            events.push_back(static_cast<uint32_t>(t << 8) | ev);
        }
        played.insert(played.end(), out, out + 8);
        REQUIRE(plain_run_inside(run, s.jitter_buffer().ring_in_use()));
    }
};

void same_counters(const MediaSessionStats& a, const MediaSessionStats& b)
{
    CHECK(std::memcmp(&a.session, &b.session, sizeof(a.session)) == 0);
    CHECK(std::memcmp(&a.jitter_buffer, &b.jitter_buffer, sizeof(a.jitter_buffer)) == 0);
    CHECK(std::memcmp(&a.packetizer, &b.packetizer, sizeof(a.packetizer)) == 0);
    CHECK(a.lost == b.lost);
    CHECK(a.jitter_ts == b.jitter_ts);
    CHECK(a.delay_ms == b.delay_ms);
    CHECK(a.target_delay_ms == b.target_delay_ms);
}

TEST_CASE("plain runs: a session ticked through its run does exactly what it does ticked every millisecond",
          "[plain_run]")
{
    const Scenario scenarios[] = {
        {1, JitterMode::fixed, 20, 160, payload_type_pcma, Law::alaw, 0, 0, 0},
        {2, JitterMode::adaptive, 20, 160, payload_type_pcmu, Law::alaw, 101, 200, 700},
        {3, JitterMode::adaptive, 30, 80, payload_type_pcmu, Law::ulaw, 0, 25, 500},
        {4, JitterMode::fixed, 40, 240, payload_type_pcma, Law::ulaw, 101, 0, 1000},
        {5, JitterMode::adaptive, 10, 160, payload_type_pcma, Law::alaw, 0, 150, 0},
        // Packets of 100 samples (12.5 ms): blocks arrive in parts.
        {6, JitterMode::adaptive, 20, 100, payload_type_pcma, Law::alaw, 0, 0, 0},
        {7, JitterMode::fixed, 20, 100, payload_type_pcmu, Law::ulaw, 101, 0, 0},
    };
    for (const Scenario& sc : scenarios) {
        INFO("scenario " << sc.seed);
        const uint64_t total = 6500;
        const std::vector<Arrival> stream = far_end_stream(sc, total);
        Run with(config_of(sc), true);
        Run without(config_of(sc), false);
        for (uint64_t t = 0; t < total; ++t) {
            for (Run* r : {&with, &without}) {
                for (const Arrival& a : stream) {
                    if (a.at_ms != t) {
                        continue;
                    }
                    if (a.kind == PacketKind::rtp) {
                        r->s.receive_rtp(a.data.data(), a.data.size(), far_end, t * ms);
                    } else {
                        r->s.receive_rtcp(a.data.data(), a.data.size(), {far_end.ipv4, 30001}, t * ms);
                    }
                }
                // Hold, resume and a new remote, between ticks as control
                // would.
                if (t == 4500) {
                    r->s.set_sending(false);
                }
                if (t == 4717) {
                    r->s.set_sending(true);
                }
                if (t == 5200) {
                    REQUIRE(r->s.set_remote({0x0A000003, 40000}, true) == 0);
                }
                uint8_t in[8];
                for (uint32_t i = 0; i < 8; ++i) {
                    in[i] = static_cast<uint8_t>(t * 8 + i * 37);
                }
                r->tick(t, in);
            }
            // Counters read between ticks (as the worker publishes them)
            // count the run's ticks too.
            if (t % 250 == 0) {
                const JitterBufferCounters a = with.s.stats().jitter_buffer;
                const JitterBufferCounters b = without.s.stats().jitter_buffer;
                REQUIRE(std::memcmp(&a, &b, sizeof(a)) == 0);
            }
        }
        with.s.send_bye(total * ms, {&record, &with.sent});
        without.s.send_bye(total * ms, {&record, &without.sent});

        REQUIRE(with.played.size() == without.played.size());
        CHECK(with.played == without.played);
        CHECK(with.sent.size() == without.sent.size());
        CHECK(with.sent == without.sent);
        CHECK(with.events == without.events);
        same_counters(with.s.stats(), without.s.stats());
        // The run did the work: most milliseconds never visited the session.
        CHECK(with.plain_ticks > total / 2);
        // Some of them in the outage, past concealment (a silent run), and
        // before the far end's first packet.
        CHECK(with.silent_plain_ticks > 100);
        CHECK(with.plain_ticks_before_stream > far_end_start_ms / 2);
        // And the stream exercised what it was meant to.
        const MediaSessionStats st = without.s.stats();
        CHECK(st.jitter_buffer.concealed_ticks > 0);
        CHECK(st.jitter_buffer.ssrc_changes == 1);
        CHECK(st.session.rtcp_bye_in == 1);
        if (sc.mode == JitterMode::adaptive) {
            CHECK(st.jitter_buffer.grow_steps + st.jitter_buffer.shrink_steps > 0);
        }
        if (sc.rtp_timeout_ms != 0) {
            CHECK(st.session.rtp_timeouts >= 1);
        }
        if (sc.telephone_event_pt != 0) {
            CHECK(st.jitter_buffer.events > 0);
            CHECK(st.telephone_events.events > 0);
        }
    }
}

TEST_CASE("plain runs: detaching takes in what the run did; a detached session grants nothing", "[plain_run]")
{
    Scenario sc{9, JitterMode::fixed, 20, 160, payload_type_pcma, Law::alaw, 0, 0, 0};
    const std::vector<Arrival> stream = far_end_stream(sc, 400);
    Run with(config_of(sc), true);
    Run without(config_of(sc), false);
    uint8_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (uint64_t t = 0; t < 300; ++t) {
        for (Run* r : {&with, &without}) {
            for (const Arrival& a : stream) {
                if (a.at_ms == t && a.kind == PacketKind::rtp) {
                    r->s.receive_rtp(a.data.data(), a.data.size(), far_end, t * ms);
                }
            }
            r->tick(t, in);
        }
    }
    REQUIRE(with.plain_ticks > 0);
    with.s.attach_plain_run(nullptr);
    CHECK(with.run.ticks == 0);
    CHECK(with.s.jitter_buffer().counters().played_ticks == without.s.jitter_buffer().counters().played_ticks);
    CHECK(with.s.packetizer().next_timestamp() == without.s.packetizer().next_timestamp());
    // Detached, it ticks as any session does.
    with.plain = false;
    for (uint64_t t = 300; t < 400; ++t) {
        with.tick(t, in);
        without.tick(t, in);
    }
    CHECK(with.played == without.played);
    CHECK(with.sent == without.sent);
}

}  // namespace plain_run_test
