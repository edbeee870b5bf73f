// audio-judge: the SINAD, level and frequency of a test tone in G.711 audio,
// and the DTMF digits heard in it (in-band),
// from a raw octet file (pw-peer --record) or from RTP payloads as tshark
// prints them, one packet a line:
//   tshark -r cap.pcap -Y rtp -T fields -e rtp.payload | audio-judge --rtp-hex - --law alaw
//   tshark -r cap.pcap -Y rtp -T fields -e rtp.p_type -e rtp.payload | audio-judge --rtp-hex -
// Payload bytes may be plain hex ("d5d4") or colon-separated ("d5:d4"); with
// a payload type field before a tab (0 = PCMU, 8 = PCMA, RFC 3551 Table 4)
// the first line's type gives the law unless --law does. The measurement is
// bench/audio's best window (1 s by default) at --hz.
//
// Prints one JSON line and exits 0:
//   {"samples":N,"sinad_db":X,"level_dbm0":Y,"freq_hz":F,"freq_ok":B,
//    "window_offset":O,"window_samples":W,"dtmf":"D"}
// (N samples read; the best window starts at sample O and holds W; D the
// digits SpanDSP's detector heard in all N, in order, "" for none). On
// unreadable input or too few samples (< 32) prints a message to stderr and
// exits 1; 2 for bad usage.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/audio/dtmf.h"
#include "bench/audio/sinad.h"

namespace audio = trunkgw::audio;

namespace {

std::optional<audio::Law> parse_law(const std::string& s)
{
    if (s == "alaw" || s == "pcma" || s == "8") {
        return audio::Law::alaw;
    }
    if (s == "ulaw" || s == "pcmu" || s == "0") {
        return audio::Law::ulaw;
    }
    return std::nullopt;
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

struct HexInput {
    std::vector<uint8_t> octets;
    std::optional<audio::Law> law;  // from the first line's payload type, if any
};

// Lines of "[PT<TAB>]HEX": HEX is pairs of hex digits, optionally separated
// by ':' (tshark's bytes format); ',' separates several payloads of one
// packet. Blank lines are skipped. Throws std::runtime_error naming the line.
HexInput read_rtp_hex(std::istream& in)
{
    HexInput r;
    std::string line;
    std::size_t line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        std::string payload = line;
        auto tab = line.find('\t');
        if (tab != std::string::npos) {
            const std::string pt = line.substr(0, tab);
            payload = line.substr(tab + 1);
            auto law = parse_law(pt);
            if (!law) {
                throw std::runtime_error("line " + std::to_string(line_no) + ": payload type '" + pt +
                                         "' is not G.711 (0 or 8)");
            }
            if (!r.law) {
                r.law = law;
            }
        }
        int high = -1;
        for (char c : payload) {
            if (c == ':' || c == ',' || c == ' ') {
                if (high >= 0) {
                    throw std::runtime_error("line " + std::to_string(line_no) + ": odd number of hex digits");
                }
                continue;
            }
            const int v = hex_value(c);
            if (v < 0) {
                throw std::runtime_error("line " + std::to_string(line_no) + ": not hex: '" + std::string(1, c) + "'");
            }
            if (high < 0) {
                high = v;
            } else {
                r.octets.push_back(static_cast<uint8_t>(high << 4 | v));
                high = -1;
            }
        }
        if (high >= 0) {
            throw std::runtime_error("line " + std::to_string(line_no) + ": odd number of hex digits");
        }
    }
    if (in.bad()) {
        throw std::runtime_error("read error");
    }
    return r;
}

std::vector<uint8_t> read_raw(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        throw std::runtime_error("cannot open " + path);
    }
    std::vector<uint8_t> v((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (f.bad()) {
        throw std::runtime_error("read error on " + path);
    }
    return v;
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"audio-judge: SINAD, level and frequency of a test tone in G.711 audio"};
    std::string raw_path;
    std::string hex_path;
    std::string law_name;
    double hz = 1004;
    double window_ms = 1000;
    double tolerance_hz = audio::default_freq_tolerance_hz;
    auto* raw_opt = app.add_option("--raw", raw_path, "raw G.711 octets (e.g. pw-peer --record)");
    auto* hex_opt = app.add_option("--rtp-hex", hex_path, "RTP payloads as hex lines from tshark ('-' = stdin)");
    raw_opt->excludes(hex_opt);
    app.add_option("--law", law_name, "alaw|ulaw (also pcma|pcmu or payload type 8|0)")
        ->check(CLI::IsMember({"alaw", "ulaw", "pcma", "pcmu", "8", "0"}));
    app.add_option("--hz", hz, "tone frequency to judge")->check(CLI::Range(1.0, 3999.0));
    app.add_option("--window-ms", window_ms, "measurement window (the best one is reported)")
        ->check(CLI::Range(4.0, 60000.0));
    app.add_option("--freq-tolerance", tolerance_hz, "Hz; freq_ok is false beyond it")->check(CLI::Range(0.0, 1000.0));
    CLI11_PARSE(app, argc, argv);
    if (raw_path.empty() == hex_path.empty()) {
        std::fprintf(stderr, "audio-judge: give one of --raw FILE or --rtp-hex FILE|-\n");
        return 2;
    }

    std::vector<uint8_t> octets;
    std::optional<audio::Law> law = parse_law(law_name);
    try {
        if (!raw_path.empty()) {
            if (!law) {
                std::fprintf(stderr, "audio-judge: --raw needs --law\n");
                return 2;
            }
            octets = read_raw(raw_path);
        } else {
            HexInput in;
            if (hex_path == "-") {
                in = read_rtp_hex(std::cin);
            } else {
                std::ifstream f(hex_path);
                if (!f) {
                    throw std::runtime_error("cannot open " + hex_path);
                }
                in = read_rtp_hex(f);
            }
            octets = std::move(in.octets);
            if (!law) {
                law = in.law;
            }
            if (!law) {
                std::fprintf(stderr, "audio-judge: no payload type in the input: give --law\n");
                return 2;
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "audio-judge: %s\n", e.what());
        return 1;
    }

    const auto window = static_cast<std::size_t>(window_ms * audio::sample_rate_hz / 1000);
    const audio::ToneMeasurement m = audio::best_tone_window(octets, *law, hz, window, 0, tolerance_hz);
    if (m.samples == 0) {
        std::fprintf(stderr, "audio-judge: %zu samples: too few to measure\n", octets.size());
        return 1;
    }
    // Digits are 0-9, *, #, A-D: nothing to escape in the JSON string.
    const std::string digits = audio::dtmf_digits(octets, *law);
    std::printf("{\"samples\":%zu,\"sinad_db\":%.2f,\"level_dbm0\":%.2f,\"freq_hz\":%.2f,\"freq_ok\":%s,"
                "\"window_offset\":%zu,\"window_samples\":%zu,\"dtmf\":\"%s\"}\n",
                octets.size(), m.sinad_db, m.level_dbm0, m.freq_hz, m.freq_ok ? "true" : "false", m.offset, m.samples,
                digits.c_str());
    return 0;
}
