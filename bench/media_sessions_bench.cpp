// bench/run media_sessions: full-duplex RTP sessions per core for the media
// stage alone (dataplane/media MediaSession: packetizer, jitter buffer with
// PLC, RFC 3550 statistics, RTCP), 20 ms ptime, PCMA both ways (--pcmu:
// PCMU on A-law channels, law-converted both ways), N sessions
// wired back to back in pairs for 2 simulated seconds after a warm-up. The
// figure is 1 ms of CPU divided by the CPU cost of one session-tick (both
// directions). Baseline, measured in the same run: the same loop where a
// "session" only copies its samples into a packet buffer and the peer's
// packet back out (the cost of touching the bytes). Port I/O is not in
// either figure: that is bench/run dataplane_pps. --telephone-event: every
// session takes RFC 4733 events (PT 101), so SpanDSP's DTMF detector
// listens to each packet it sends (what a SIP call that negotiated
// telephone-event costs; the tone has no digits, so all audio goes out).
// --conversation: each channel carries one talker of ITU-T P.59's
// artificial conversation (talkspurts of 1.004 s and pauses of 1.587 s on
// average, exponential; the tone in the talkspurts, idle line noise at
// -65 dBm0 in the pauses) instead of the tone throughout: what the DTMF
// detector's quiet-packet gate leaves of its cost on speech.
// --srtp: every packet both ways through SRTP (RFC 3711,
// AES_CM_128_HMAC_SHA1_80, libsrtp 2 with its primitives on OpenSSL):
// protected by its sender, opened and authenticated by its receiver.
// Sessions tick as a worker ticks joined ones, through their plain runs
// (dataplane/media/plain_run.h); --no-plain-runs visits every session every
// millisecond instead (the engine before them: an A/B in one binary).
// --duplicates K: every RTP packet arrives K more times, each copy after a
// pass over all sessions (the traffic of dataplane_pps's replay, whose
// sessions mostly receive copies of what already played): the cost of a
// refused packet's session lines beside the rest. --one-way: the RTP of
// odd sessions is lost on the way from the warm-up's 100th tick on, so
// their even peers play silence past concealment while they send (a far
// end gone quiet, or on hold; the replay's sessions too); the check
// figures are session 1's.
#include <time.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/media/media_session.h"
#include "tdm/g711/g711.h"

using namespace trunkgw::media;

namespace {

double cpu_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

struct Slot {
    uint32_t dst;
    uint16_t len;
    PacketKind kind;
    Endpoint src;
    uint8_t data[400];
};

struct Net {
    std::vector<Slot> q;
    std::size_t n = 0;
    uint32_t cur = 0;
};

void on_tx(void* user, const TxPacket& p)
{
    auto* net = static_cast<Net*>(user);
    Slot& s = net->q[net->n++];
    s.dst = net->cur ^ 1u;  // the peer of session i is i ^ 1
    s.len = static_cast<uint16_t>(p.len);
    s.kind = p.kind;
    s.src = p.src;
    std::memcpy(s.data, p.data, p.len);
}

struct Result {
    double ns_per_tick;
    uint64_t in, out, concealed, late;
    double dtmf_listened_share;  // of the audio packets sent, those the DTMF detector heard
    double plain_share;          // of the session-ticks measured, those a plain run did
};

// One talker of ITU-T P.59 (7.): talkspurt and pause lengths drawn from
// exponentials with its means, in ticks; the state flips when `next` comes.
struct Talker {
    uint32_t next = 0;
    bool talking = false;
};

constexpr double p59_talkspurt_ms = 1004;
constexpr double p59_pause_ms = 1587;

// Uniform in (0, 1), from a 64-bit LCG (Knuth's MMIX constants).
double uniform01(uint64_t& rng)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (static_cast<double>(rng >> 11) + 0.5) / 9007199254740992.0;
}

uint32_t exponential_ms(double mean, uint64_t& rng)
{
    return 1 + static_cast<uint32_t>(-mean * std::log(uniform01(rng)));
}

// `quiet`: the channels' audio in pauses; empty: the tone throughout.
Result run_sessions(uint32_t n, uint32_t ticks, const std::vector<uint8_t>& tone, const std::vector<uint8_t>& quiet,
                    uint8_t payload_type, uint8_t telephone_event_pt, bool srtp, bool plain_runs, uint32_t duplicates,
                    bool one_way)
{
    SrtpMasterKey k1{};
    SrtpMasterKey k2{};
    for (std::size_t i = 0; i < k1.size(); ++i) {
        k1[i] = static_cast<uint8_t>(i * 11 + 1);
        k2[i] = static_cast<uint8_t>(i * 13 + 2);
    }
    std::vector<std::unique_ptr<MediaSession>> s;
    for (uint32_t i = 0; i < n; ++i) {
        MediaSessionConfig c;
        c.payload_type = payload_type;
        c.telephone_event_pt = telephone_event_pt;
        c.channel_law = Law::alaw;
        c.ptime_ms = 20;
        c.ssrc = 0x1000 + i;
        c.first_sequence = static_cast<uint16_t>(i * 77);
        c.first_timestamp = i * 1234567u;
        c.local_rtp = {0x0A000000u + i, static_cast<uint16_t>(10000 + 2 * (i % 20000))};
        c.remote_rtp = {0x0A000000u + (i ^ 1u), static_cast<uint16_t>(10000 + 2 * ((i ^ 1u) % 20000))};
        c.srtp = srtp;
        s.push_back(std::make_unique<MediaSession>(c));
        // A pair's two ends hold each other's keys.
        if (srtp && s.back()->set_srtp_keys(SrtpSuite::aes_cm_128_hmac_sha1_80, i % 2 == 0 ? k1 : k2,
                                            i % 2 == 0 ? k2 : k1) != 0) {
            std::fprintf(stderr, "media_sessions: libsrtp refused the keys\n");
            std::exit(1);
        }
    }
    std::vector<Talker> talkers(quiet.empty() ? 0 : n);
    uint64_t rng = 59;
    for (Talker& k : talkers) {
        // Started in the stationary mix of talkspurts and pauses.
        k.talking = uniform01(rng) < p59_talkspurt_ms / (p59_talkspurt_ms + p59_pause_ms);
        k.next = exponential_ms(k.talking ? p59_talkspurt_ms : p59_pause_ms, rng);
    }
    // One table, as a span's (a worker's runs are per span; here one span).
    std::vector<PlainRun> runs(n);
    if (plain_runs) {
        for (uint32_t i = 0; i < n; ++i) {
            s[i]->attach_plain_run(&runs[i]);
        }
    }
    uint64_t plain_ticks = 0;
    Net net;
    net.q.resize(n * 2 + 16);
    std::vector<Slot> pending(n * 2 + 16);
    std::size_t npending = 0;
    uint8_t out[8];
    auto run = [&](uint32_t from, uint32_t to) {
        for (uint32_t t = from; t < to; ++t) {
            uint64_t now = static_cast<uint64_t>(t) * 1000000ull;
            for (uint32_t pass = 0; pass <= duplicates; ++pass) {
                for (std::size_t k = 0; k < npending; ++k) {
                    Slot& p = pending[k];
                    if (p.kind == PacketKind::rtp) {
                        if (one_way && p.dst % 2 == 0 && t >= 100) {
                            continue;  // from an odd session
                        }
                        s[p.dst]->receive_rtp(p.data, p.len, p.src, now);
                    } else if (pass == 0) {
                        s[p.dst]->receive_rtcp(p.data, p.len, p.src, now);
                    }
                }
            }
            npending = 0;
            net.n = 0;
            const uint8_t* tin = &tone[(t % 1000) * 8];
            const uint8_t* qin = quiet.empty() ? tin : &quiet[(t % 1000) * 8];
            for (uint32_t i = 0; i < n; ++i) {
                net.cur = i;
                const uint8_t* in = tin;
                if (!talkers.empty()) {
                    Talker& k = talkers[i];
                    if (t >= k.next) {
                        k.talking = !k.talking;
                        k.next = t + exponential_ms(k.talking ? p59_talkspurt_ms : p59_pause_ms, rng);
                    }
                    in = k.talking ? tin : qin;
                }
                if (plain_tick(runs[i], in, out, now)) {
                    ++plain_ticks;
                } else {
                    s[i]->tick(in, out, now, PacketSink{&on_tx, &net});
                }
            }
            std::swap(net.q, pending);
            npending = net.n;
        }
    };
    // Audio packets sent, and of them those the DTMF detector skipped.
    auto detector_counts = [&] {
        std::pair<uint64_t, uint64_t> sent_quiet{0, 0};
        for (const auto& m : s) {
            const MediaSessionStats st = m->stats();
            sent_quiet.first += st.session.rtp_packets_out - st.telephone_events_sent.packets;
            sent_quiet.second += st.telephone_events_sent.quiet;
        }
        return sent_quiet;
    };
    run(0, 500);  // warm up: jitter buffers primed
    const std::size_t checked = one_way ? 1 : 0;
    MediaSessionStats before = s[checked]->stats();
    const auto counts_before = detector_counts();
    plain_ticks = 0;
    double t0 = cpu_ns();
    run(500, 500 + ticks);
    double ns = cpu_ns() - t0;
    MediaSessionStats st = s[checked]->stats();
    const auto counts = detector_counts();
    const double sent = static_cast<double>(counts.first - counts_before.first);
    const double skipped = static_cast<double>(counts.second - counts_before.second);
    return {ns / (static_cast<double>(n) * ticks), st.session.rtp_packets_in, st.session.rtp_packets_out,
            st.jitter_buffer.concealed_ticks - before.jitter_buffer.concealed_ticks, st.jitter_buffer.late,
            telephone_event_pt != 0 && sent > 0 ? 1.0 - skipped / sent : 0.0,
            static_cast<double>(plain_ticks) / (static_cast<double>(n) * ticks)};
}

double run_memcpy(uint32_t n, uint32_t ticks, const std::vector<uint8_t>& tone)
{
    std::vector<uint8_t> pkt(static_cast<std::size_t>(n) * 172, 0);  // 12-octet RTP header + 160
    std::vector<uint8_t> play(static_cast<std::size_t>(n) * 160, 0);
    volatile uint8_t sink = 0;
    double t0 = cpu_ns();
    for (uint32_t t = 0; t < ticks; ++t) {
        const uint8_t* tin = &tone[(t % 1000) * 8];
        uint32_t phase = (t % 20) * 8;
        for (uint32_t i = 0; i < n; ++i) {
            std::memcpy(&pkt[i * 172 + 12 + phase], tin, 8);
            if (phase == 152) {
                std::memcpy(&play[(i ^ 1u) * 160], &pkt[i * 172 + 12], 160);  // the packet to the peer
            }
            uint8_t out[8];
            std::memcpy(out, &play[i * 160 + phase], 8);
            sink = static_cast<uint8_t>(sink + out[t & 7]);
        }
    }
    return (cpu_ns() - t0) / (static_cast<double>(n) * ticks);
}

}  // namespace

int main(int argc, char** argv)
{
    // --quick: 1,000 sessions for 500 ticks (the test suite's smoke run);
    // --sessions N --ticks T: any size (a cache simulator run, say);
    // --pcmu: PCMU on the A-law channels, converted both ways (as
    // dataplane_pps runs them).
    uint32_t n = 10000;
    uint32_t ticks = 2000;
    uint8_t payload_type = payload_type_pcma;
    uint8_t telephone_event_pt = 0;
    bool conversation = false;
    bool srtp = false;
    bool plain_runs = true;
    uint32_t duplicates = 0;
    bool one_way = false;
    for (int a = 1; a < argc; ++a) {
        std::string arg = argv[a];
        if (arg == "--pcmu") {
            payload_type = payload_type_pcmu;
        } else if (arg == "--telephone-event") {
            telephone_event_pt = 101;
        } else if (arg == "--srtp") {
            srtp = true;
        } else if (arg == "--no-plain-runs") {
            plain_runs = false;
        } else if (arg == "--conversation") {
            conversation = true;
        } else if (arg == "--duplicates" && a + 1 < argc) {
            unsigned long v = std::strtoul(argv[++a], nullptr, 10);
            if (v > 50) {
                std::fprintf(stderr, "media_sessions: --duplicates must be 0..50\n");
                return 2;
            }
            duplicates = static_cast<uint32_t>(v);
        } else if (arg == "--one-way") {
            one_way = true;
        } else if (arg == "--quick") {
            n = 1000;
            ticks = 500;
        } else if ((arg == "--sessions" || arg == "--ticks") && a + 1 < argc) {
            unsigned long v = std::strtoul(argv[++a], nullptr, 10);
            if (v < 2 || v > 200000) {
                std::fprintf(stderr, "media_sessions: %s must be 2..200000\n", arg.c_str());
                return 2;
            }
            (arg == "--sessions" ? n : ticks) = static_cast<uint32_t>(v);
        } else {
            std::fprintf(stderr, "usage: media_sessions_bench [--quick] [--sessions N] [--ticks T] [--pcmu] "
                                 "[--telephone-event] [--conversation] [--srtp] [--no-plain-runs] "
                                 "[--duplicates K] [--one-way]\n");
            return 2;
        }
    }
    std::vector<uint8_t> tone(8 * 1000);
    for (std::size_t k = 0; k < tone.size(); ++k) {
        tone[k] = trunkgw::tdm::g711::linear_to_alaw(
            static_cast<int16_t>(16000 * std::sin(2 * M_PI * 1004 * static_cast<double>(k) / 8000.0)));
    }
    std::vector<uint8_t> quiet;
    if (conversation) {
        // Idle channel noise at -65 dBm0 (ITU-T G.712's limit), uniform:
        // an rms of sqrt(2^29 x 10^((-65 - 3.14) / 10)) = 12.8.
        uint64_t rng = 712;
        quiet.resize(tone.size());
        for (uint8_t& q : quiet) {
            const double u = 2 * uniform01(rng) - 1;
            q = trunkgw::tdm::g711::linear_to_alaw(static_cast<int16_t>(12.8 * std::sqrt(3.0) * u));
        }
    }
    Result r =
        run_sessions(n, ticks, tone, quiet, payload_type, telephone_event_pt, srtp, plain_runs, duplicates, one_way);
    double base = run_memcpy(n, ticks, tone);
    double per_core = 1e6 / r.ns_per_tick;
    double base_per_core = 1e6 / base;
    std::printf("media_sessions: %u sessions, %u ticks: %.1f ns per session-tick -> %.0f full-duplex sessions per "
                "core (media stage only)\n", n, ticks, r.ns_per_tick, per_core);
    std::printf("baseline memcpy of the same samples: %.1f ns -> %.0f per core\n", base, base_per_core);
    std::printf("check: session %u rtp in %llu out %llu, concealed ticks after warm-up %llu, late %llu\n",
                one_way ? 1u : 0u, static_cast<unsigned long long>(r.in), static_cast<unsigned long long>(r.out),
                static_cast<unsigned long long>(r.concealed), static_cast<unsigned long long>(r.late));
    bool ok = r.in > 0 && r.out > 0 && r.concealed == 0 && r.late == 0;
    std::printf("{\"bench\": \"media_sessions\", \"metric\": \"full_duplex_sessions_per_core\", \"value\": %.0f, "
                "\"unit\": \"sessions\", \"baseline\": %.0f, \"ratio\": %.4f, \"baseline_name\": "
                "\"memcpy_same_samples\", \"goal\": 10000, \"dtmf_detection\": %s, \"audio\": \"%s\", "
                "\"dtmf_listened_share\": %.3f, \"srtp\": %s, \"plain_runs\": %s, \"plain_share\": %.3f, "
                "\"duplicates\": %u, \"one_way\": %s, \"correct\": %s}\n",
                per_core, base_per_core, per_core / base_per_core, telephone_event_pt != 0 ? "true" : "false",
                conversation ? "p59_conversation" : "tone", r.dtmf_listened_share, srtp ? "true" : "false",
                plain_runs ? "true" : "false", r.plain_share, duplicates, one_way ? "true" : "false",
                ok ? "true" : "false");
    return ok ? 0 : 1;
}
