// pw-peer: the far end of a TDM pseudowire over a kernel UDP socket, as a
// channel bank or SDH mux would be: a tdm/ PseudowireSpan clocked at 8000
// frames/s from CLOCK_MONOTONIC, HDLC flags (and optionally Q.921 frames)
// on the D-channel timeslot. It is the line side that pstn-sim (issue 5)
// builds on, and the peer the integration tests judge the gateway against.
//
// usage: pw-peer --local IP:PORT --remote IP:PORT [--mode satop|cesopsn]
//                [--type e1|t1] [--seconds N] [--send-frames N]
//                [--tone-ts LIST [--tone-hz HZ] [--tone-dbm0 DBM0]]
//                [--record-ts TS --record FILE]
// Plays a test tone (A-law on E1, u-law on T1) on the --tone-ts timeslots of
// the frames it sends, and records the octets received on --record-ts to FILE
// (raw G.711, one octet per frame, from the first frame, before alignment
// too). Prints one JSON line with its view of the line when it ends; when
// recording, with the recording's length and the SINAD, level and frequency
// of the --tone-hz tone in its best 1 s window (bench/audio).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/audio/sinad.h"
#include "bench/audio/tone.h"
#include "signaling/isdn/pri_link.h"
#include "signaling/isdn/switch_types.h"
#include "tdm/hdlc/hdlc_channel.h"
#include "tdm/span/pseudowire_span.h"
#include "tdm/span/virtual_span_pair.h"

using namespace trunkgw::tdm;
namespace isdn = trunkgw::isdn;
namespace audio = trunkgw::audio;

namespace {

volatile std::sig_atomic_t g_stop = 0;

bool parse_endpoint(const std::string& s, sockaddr_in& out)
{
    auto colon = s.rfind(':');
    if (colon == std::string::npos) {
        return false;
    }
    out = sockaddr_in{};
    out.sin_family = AF_INET;
    out.sin_port = htons(static_cast<uint16_t>(std::stoi(s.substr(colon + 1))));
    return inet_pton(AF_INET, s.substr(0, colon).c_str(), &out.sin_addr) == 1;
}

struct UdpSink : PacketSink {
    int fd;
    sockaddr_in to;
    uint64_t errors = 0;
    void send(const uint8_t* pkt, std::size_t len) override
    {
        if (sendto(fd, pkt, len, 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) < 0) {
            ++errors;
        }
    }
};

uint64_t g_dchan_rx = 0;

// A timeslot that carries audio: a bearer channel (E1 1..31 but 16, T1
// 1..23; the D-channel is E1 TS16 and T1 TS24).
bool is_bearer(const SpanInfo& info, int ts)
{
    return ts >= static_cast<int>(info.first_timeslot) && ts <= static_cast<int>(info.last_timeslot) &&
           ts != static_cast<int>(info.dchannel_timeslot);
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"pw-peer: far end of a SAToP/CESoPSN pseudowire over UDP"};
    std::string local;
    std::string remote;
    std::string mode = "satop";
    std::string type = "e1";
    double seconds = 5;
    int send_frames = 0;
    uint32_t jitter_packets = 4;
    app.add_option("--local", local, "our IP:PORT")->required();
    app.add_option("--remote", remote, "the gateway's IP:PORT")->required();
    app.add_option("--mode", mode, "satop or cesopsn")->check(CLI::IsMember({"satop", "cesopsn"}));
    app.add_option("--type", type, "e1 or t1")->check(CLI::IsMember({"e1", "t1"}));
    app.add_option("--seconds", seconds, "how long to run (bounded)")->check(CLI::Range(0.1, 3600.0));
    app.add_option("--send-frames", send_frames, "Q.921 UI frames to send on the D-channel once aligned");
    app.add_option("--jitter-packets", jitter_packets, "playout delay in packets")->check(CLI::Range(1, 32));
    std::vector<int> tone_ts;
    double tone_hz = 1004;
    double tone_dbm0 = -10;
    int record_ts = 0;
    std::string record_path;
    app.add_option("--tone-ts", tone_ts, "timeslots to play the tone on, comma-separated (E1 1..31 but 16, T1 1..23)")
        ->delimiter(',');
    app.add_option("--tone-hz", tone_hz, "tone frequency; also the one the recording is judged at")
        ->check(CLI::Range(1.0, 3999.0));
    app.add_option("--tone-dbm0", tone_dbm0, "tone level")->check(CLI::Range(-60.0, 3.0));
    auto* rec_ts_opt = app.add_option("--record-ts", record_ts, "timeslot to record (E1 1..31 but 16, T1 1..23)");
    auto* rec_opt = app.add_option("--record", record_path, "file for the raw G.711 octets received on --record-ts");
    rec_ts_opt->needs(rec_opt);
    rec_opt->needs(rec_ts_opt);
    std::string isdn_side;
    std::string switch_type;
    app.add_option("--isdn", isdn_side, "run ISDN PRI (libpri) on the D-channel: network (the carrier) or user")
        ->check(CLI::IsMember({"network", "user"}));
    app.add_option("--switch-type", switch_type, "with --isdn: euroisdn_e1 (E1 default), ni2 (T1 default), ...");
    std::vector<std::string> calls;
    int call_channel = 0;
    bool call_exclusive = false;
    app.add_option("--call", calls, "with --isdn: place a call to this number once the link is up and idle "
                                    "(repeatable: one after the other clears); its cause goes in the JSON");
    app.add_option("--call-channel", call_channel, "B-channel the calls ask for (0: any)")->check(CLI::Range(0, 31));
    app.add_flag("--call-exclusive", call_exclusive, "ask for --call-channel exclusively (else preferred)");
    CLI11_PARSE(app, argc, argv);

    sockaddr_in la{};
    sockaddr_in ra{};
    if (!parse_endpoint(local, la) || !parse_endpoint(remote, ra)) {
        std::fprintf(stderr, "pw-peer: endpoints are IPV4:PORT\n");
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&la), sizeof(la)) != 0) {
        std::fprintf(stderr, "pw-peer: bind %s: %s\n", local.c_str(), std::strerror(errno));
        return 1;
    }
    std::signal(SIGTERM, [](int) { g_stop = 1; });
    std::signal(SIGINT, [](int) { g_stop = 1; });

    PseudowireConfig cfg;
    cfg.mode = mode == "satop" ? PwMode::satop : PwMode::cesopsn;
    cfg.line.type = type == "e1" ? LineType::e1 : LineType::t1;
    cfg.line.crc4 = true;
    cfg.jitter_target_packets = jitter_packets;
    cfg.jitter_capacity_packets = 64;
    const SpanInfo info = span_info(cfg.line.type);
    for (int ts : tone_ts) {
        if (!is_bearer(info, ts)) {
            std::fprintf(stderr, "pw-peer: --tone-ts %d is not a bearer timeslot of %s\n", ts, type.c_str());
            return 2;
        }
    }
    const bool recording = !record_path.empty();
    if (recording && !is_bearer(info, record_ts)) {
        std::fprintf(stderr, "pw-peer: --record-ts %d is not a bearer timeslot of %s\n", record_ts, type.c_str());
        return 2;
    }
    const audio::Law law = cfg.line.type == LineType::e1 ? audio::Law::alaw : audio::Law::ulaw;
    std::optional<audio::ToneGenerator> tone;
    if (!tone_ts.empty()) {
        tone.emplace(tone_hz, tone_dbm0, law);
    }
    std::FILE* record_file = nullptr;
    std::vector<uint8_t> recorded;
    if (recording) {
        record_file = std::fopen(record_path.c_str(), "wb");
        if (record_file == nullptr) {
            std::fprintf(stderr, "pw-peer: %s: %s\n", record_path.c_str(), std::strerror(errno));
            return 1;
        }
        recorded.reserve(static_cast<std::size_t>(seconds * 8000) + 64);
    }
    if (cfg.mode == PwMode::cesopsn) {
        for (uint32_t ts = info.first_timeslot; ts <= info.last_timeslot; ++ts) {
            cfg.timeslots.push_back(static_cast<uint8_t>(ts));
        }
    }
    UdpSink sink;
    sink.fd = fd;
    sink.to = ra;
    PseudowireSpan span(cfg, sink);
    span.open();
    // With --isdn, libpri runs the D-channel: our HDLC's good frames go to
    // it and its frames go out through our HDLC.
    std::unique_ptr<isdn::PriLink> pri;
    std::vector<int> call_results;  // Q.850 cause per placed call
    bool call_in_progress = false;
    std::size_t calls_placed = 0;
    uint64_t idle_since_ns = 0;  // our restarts done, link up
    auto mono_ns_now = [] {
        timespec t{};
        clock_gettime(CLOCK_MONOTONIC, &t);
        return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(t.tv_nsec);
    };
    HdlcChannel dchan(
        [](void* user, const uint8_t* f, std::size_t n) {
            ++g_dchan_rx;
            if (auto* link = static_cast<std::unique_ptr<isdn::PriLink>*>(user); *link) {
                (*link)->receive(f, n);
            }
        },
        &pri);
    if (!isdn_side.empty()) {
        if (switch_type.empty()) {
            switch_type = cfg.line.type == LineType::e1 ? "euroisdn_e1" : "ni2";
        }
        auto st = isdn::switch_type_value(switch_type);
        if (!st) {
            std::fprintf(stderr, "pw-peer: unknown --switch-type %s (known: %s)\n", switch_type.c_str(),
                         std::string(isdn::switch_type_names()).c_str());
            return 2;
        }
        isdn::PriLink::set_log_sink([](const std::string&, bool error, const std::string& text) {
            if (error) {
                std::fprintf(stderr, "pw-peer: libpri: %s\n", text.c_str());
            }
        });
        pri = std::make_unique<isdn::PriLink>(
            isdn::PriLinkConfig{"far-end", isdn_side == "network", *st, cfg.line.type == LineType::e1},
            [&dchan](const uint8_t* f, std::size_t n) { return dchan.tx_pending() < 8 && dchan.tx_queue_frame(f, n) == 0; },
            [&call_results, &call_in_progress](isdn::PriLink& l, pri_event* e) {
                if (e->e == PRI_EVENT_HANGUP || e->e == PRI_EVENT_HANGUP_REQ) {
                    if (call_in_progress) {
                        call_results.push_back(e->hangup.cause);
                        call_in_progress = false;
                        std::fprintf(stderr, "pw-peer: call %zu cleared, cause %d\n", call_results.size(),
                                     e->hangup.cause);
                    }
                    pri_hangup(l.handle(), e->hangup.call, e->hangup.cause);
                }
            });
    }

    uint8_t tx[64 * span_frame_octets];
    uint8_t rx[64 * span_frame_octets];
    std::memset(tx, cfg.line.type == LineType::e1 ? 0xD5 : 0xFF, sizeof(tx));
    const uint32_t dts = info.dchannel_timeslot;
    SpanClock clock;
    uint64_t total_frames = static_cast<uint64_t>(seconds * 8000);
    uint64_t aligned_at = 0;
    int sent_frames = 0;
    uint8_t pkt[2048];
    while (!g_stop && clock.frames_total() < total_frames) {
        ssize_t n;
        while ((n = recv(fd, pkt, sizeof(pkt), 0)) > 0) {
            span.receive(pkt, static_cast<std::size_t>(n));
        }
        if (pri) {
            pri->run_timers();
            // One call at a time, once the link is up and both sides'
            // restarts are over (a RESTART would clear it).
            // The gateway restarts every channel too: wait for its restarts,
            // or 3 s of none after ours.
            if (pri->up() && !pri->restarting() && idle_since_ns == 0) {
                idle_since_ns = mono_ns_now();
            } else if (!pri->up() || pri->restarting()) {
                idle_since_ns = 0;
            }
            const bool far_restarts_done = pri->counters().restarts_received >= pri->bearer_channels().size() ||
                                           (idle_since_ns != 0 && mono_ns_now() - idle_since_ns > 3'000'000'000ULL);
            if (!call_in_progress && calls_placed < calls.size() && idle_since_ns != 0 && far_restarts_done) {
                q931_call* call = pri_new_call(pri->handle());
                pri_sr* sr = pri_sr_new();
                // -1: any channel (0 would encode "no channel", Q.931 4.5.13).
                pri_sr_set_channel(sr, call_channel == 0 ? -1 : call_channel, call_exclusive ? 1 : 0, 0);
                pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH,
                                  cfg.line.type == LineType::e1 ? PRI_LAYER_1_ALAW : PRI_LAYER_1_ULAW);
                pri_sr_set_called(sr, calls[calls_placed].data(), PRI_NATIONAL_ISDN, 1);
                if (call != nullptr && pri_setup(pri->handle(), call, sr) == 0) {
                    call_in_progress = true;
                } else {
                    call_results.push_back(-1);
                }
                pri_sr_free(sr);
                ++calls_placed;
            }
        }
        uint32_t due = clock.due_frames();
        if (due == 0) {
            timespec ts{0, 250'000};  // pacing, not synchronisation: the clock decides
            nanosleep(&ts, nullptr);
            continue;
        }
        if (aligned_at == 0 && span.alarms() == 0 && span.counters().line.frames > 0) {
            aligned_at = clock.frames_total();
        }
        // Q.921 UI frames (SAPI 0, TEI 127 broadcast), once the line is up.
        if (aligned_at != 0 && sent_frames < send_frames && dchan.tx_pending() == 0) {
            const uint8_t ui[] = {0x02, 0xff, 0x03, 0x08, 0x01, 0x00, 0x7d};
            if (dchan.tx_queue_frame(ui, sizeof(ui)) == 0) {
                ++sent_frames;
            }
        }
        uint8_t d[64];
        dchan.tx_octets(d, due);
        for (uint32_t f = 0; f < due; ++f) {
            tx[f * span_frame_octets + dts] = d[f];
        }
        if (tone) {
            for (uint32_t f = 0; f < due; ++f) {
                const uint8_t s = tone->next();
                for (int ts : tone_ts) {
                    tx[f * span_frame_octets + static_cast<uint32_t>(ts)] = s;
                }
            }
        }
        span.advance(due, tx, rx);
        for (uint32_t f = 0; f < due; ++f) {
            d[f] = rx[f * span_frame_octets + dts];
        }
        dchan.rx_octets(d, due);
        if (recording) {
            for (uint32_t f = 0; f < due; ++f) {
                recorded.push_back(rx[f * span_frame_octets + static_cast<uint32_t>(record_ts)]);
            }
            std::fwrite(recorded.data() + recorded.size() - due, 1, due, record_file);  // checked at the end
        }
    }
    std::string record_json;
    if (recording) {
        const bool write_error = std::ferror(record_file) != 0;
        if (std::fclose(record_file) != 0 || write_error) {
            std::fprintf(stderr, "pw-peer: writing %s failed\n", record_path.c_str());
            return 1;
        }
        const audio::ToneMeasurement m = audio::best_tone_window(recorded, law, tone_hz);
        char buf[160];
        std::snprintf(buf, sizeof(buf),
                      ", \"record_octets\": %zu, \"record_sinad_db\": %.2f, \"record_level_dbm0\": %.2f, "
                      "\"record_freq_hz\": %.2f",
                      recorded.size(), m.sinad_db, m.level_dbm0, m.freq_hz);
        record_json = buf;
    }
    std::string isdn_json;
    if (pri) {
        const isdn::PriLinkCounters& ic = pri->counters();
        char buf[320];
        std::snprintf(buf, sizeof(buf),
                      ", \"isdn\": {\"up\": %s, \"dchan_up\": %llu, \"dchan_down\": %llu, \"frames_rx\": %llu, "
                      "\"frames_tx\": %llu, \"restarts_sent\": %llu, \"restart_acks\": %llu, "
                      "\"restarts_received\": %llu}",
                      pri->up() ? "true" : "false", static_cast<unsigned long long>(ic.dchan_up),
                      static_cast<unsigned long long>(ic.dchan_down), static_cast<unsigned long long>(ic.frames_rx),
                      static_cast<unsigned long long>(ic.frames_tx), static_cast<unsigned long long>(ic.restarts_sent),
                      static_cast<unsigned long long>(ic.restart_acks),
                      static_cast<unsigned long long>(ic.restarts_received));
        isdn_json = buf;
        isdn_json.pop_back();  // the closing brace: the calls go inside
        isdn_json += ", \"calls\": [";
        for (std::size_t k = 0; k < call_results.size(); ++k) {
            isdn_json += (k == 0 ? "" : ", ") + std::string("{\"called\": \"") + calls[k] +
                         "\", \"cause\": " + std::to_string(call_results[k]) + "}";
        }
        isdn_json += "]}";
    }
    record_json += isdn_json;
    SpanCounters c = span.counters();
    std::printf("{\"alarms\": %u, \"aligned_after_ms\": %.1f, \"frames\": %llu, \"crc_errors\": %llu, "
                "\"pw_rx\": %llu, \"pw_tx\": %llu, \"pw_lost\": %llu, \"pw_malformed\": %llu, \"slips\": %llu, "
                "\"dchan_frames_rx\": %llu, \"dchan_frames_tx\": %d, \"send_errors\": %llu%s}\n",
                span.alarms(), aligned_at / 8.0, static_cast<unsigned long long>(c.line.frames),
                static_cast<unsigned long long>(c.line.crc_errors), static_cast<unsigned long long>(c.pw_packets_rx),
                static_cast<unsigned long long>(c.pw_packets_tx), static_cast<unsigned long long>(c.pw_lost),
                static_cast<unsigned long long>(c.pw_malformed), static_cast<unsigned long long>(c.pw_slips),
                static_cast<unsigned long long>(g_dchan_rx), sent_frames, static_cast<unsigned long long>(sink.errors),
                record_json.c_str());
    close(fd);
    return 0;
}
