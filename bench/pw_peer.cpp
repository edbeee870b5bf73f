// pw-peer: the far end of a TDM pseudowire over a kernel UDP socket, as a
// channel bank or SDH mux would be: one FarEndLine (bench/pstn_sim) clocked
// at 8000 frames/s from CLOCK_MONOTONIC, HDLC flags (and optionally Q.921
// UI frames) on the D-channel timeslot. The tests judge the gateway's line
// side against it; pstn-sim adds libpri and calls on the same line class.
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
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/audio/sinad.h"
#include "bench/audio/tone.h"
#include "bench/pstn_sim/far_end_line.h"
#include "tdm/span/virtual_span_pair.h"

using namespace trunkgw::tdm;
using trunkgw::pstnsim::FarEndLine;
using trunkgw::pstnsim::FarEndLineConfig;
namespace audio = trunkgw::audio;

namespace {

volatile std::sig_atomic_t g_stop = 0;

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
    CLI11_PARSE(app, argc, argv);

    FarEndLineConfig cfg;
    if (!trunkgw::pstnsim::parse_endpoint(local, cfg.local) || !trunkgw::pstnsim::parse_endpoint(remote, cfg.remote)) {
        std::fprintf(stderr, "pw-peer: endpoints are IPV4:PORT\n");
        return 2;
    }
    cfg.mode = mode == "satop" ? PwMode::satop : PwMode::cesopsn;
    cfg.type = type == "e1" ? LineType::e1 : LineType::t1;
    cfg.jitter_packets = jitter_packets;
    std::unique_ptr<trunkgw::pstnsim::PwSocket> socket;
    std::unique_ptr<FarEndLine> line;
    try {
        socket = std::make_unique<trunkgw::pstnsim::PwSocket>(cfg.local);
        line = std::make_unique<FarEndLine>(cfg, *socket, nullptr);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pw-peer: %s\n", e.what());
        return 1;
    }
    for (int ts : tone_ts) {
        if (!line->is_bearer(ts)) {
            std::fprintf(stderr, "pw-peer: --tone-ts %d is not a bearer timeslot of %s\n", ts, type.c_str());
            return 2;
        }
    }
    const bool recording = !record_path.empty();
    if (recording && !line->is_bearer(record_ts)) {
        std::fprintf(stderr, "pw-peer: --record-ts %d is not a bearer timeslot of %s\n", record_ts, type.c_str());
        return 2;
    }
    const audio::Law law = line->law();
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
    std::signal(SIGTERM, [](int) { g_stop = 1; });
    std::signal(SIGINT, [](int) { g_stop = 1; });

    SpanClock clock;
    const uint64_t total_frames = static_cast<uint64_t>(seconds * 8000);
    uint64_t aligned_at = 0;
    int sent_frames = 0;
    while (!g_stop && clock.frames_total() < total_frames) {
        socket->receive();
        uint32_t due = clock.due_frames();
        if (due == 0) {
            timespec ts{0, 250'000};  // pacing, not synchronisation: the clock decides
            nanosleep(&ts, nullptr);
            continue;
        }
        const PseudowireSpan& span = line->span();
        if (aligned_at == 0 && span.alarms() == 0 && span.counters().line.frames > 0) {
            aligned_at = clock.frames_total();
        }
        // Q.921 UI frames (SAPI 0, TEI 127 broadcast), once the line is up.
        if (aligned_at != 0 && sent_frames < send_frames && line->dchan_pending() == 0) {
            const uint8_t ui[] = {0x02, 0xff, 0x03, 0x08, 0x01, 0x00, 0x7d};
            if (line->send_dchan(ui, sizeof(ui))) {
                ++sent_frames;
            }
        }
        uint8_t* tx = line->tx_frames();
        if (tone) {
            for (uint32_t f = 0; f < due; ++f) {
                const uint8_t s = tone->next();
                for (int ts : tone_ts) {
                    tx[f * span_frame_octets + static_cast<uint32_t>(ts)] = s;
                }
            }
        }
        line->advance(due);
        socket->flush();
        if (recording) {
            const uint8_t* rx = line->rx_frames();
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
    const PseudowireSpan& span = line->span();
    SpanCounters c = span.counters();
    std::printf("{\"alarms\": %u, \"aligned_after_ms\": %.1f, \"frames\": %llu, \"crc_errors\": %llu, "
                "\"pw_rx\": %llu, \"pw_tx\": %llu, \"pw_lost\": %llu, \"pw_malformed\": %llu, \"slips\": %llu, "
                "\"dchan_frames_rx\": %llu, \"dchan_frames_tx\": %d, \"send_errors\": %llu%s}\n",
                span.alarms(), aligned_at / 8.0, static_cast<unsigned long long>(c.line.frames),
                static_cast<unsigned long long>(c.line.crc_errors), static_cast<unsigned long long>(c.pw_packets_rx),
                static_cast<unsigned long long>(c.pw_packets_tx), static_cast<unsigned long long>(c.pw_lost),
                static_cast<unsigned long long>(c.pw_malformed), static_cast<unsigned long long>(c.pw_slips),
                static_cast<unsigned long long>(line->dchan_frames_rx()), sent_frames,
                static_cast<unsigned long long>(socket->send_errors()), record_json.c_str());
    return 0;
}
