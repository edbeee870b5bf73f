// pw-peer: the far end of a TDM pseudowire over a kernel UDP socket, as a
// channel bank or SDH mux would be: a tdm/ PseudowireSpan clocked at 8000
// frames/s from CLOCK_MONOTONIC, HDLC flags (and optionally Q.921 frames)
// on the D-channel timeslot. It is the line side that pstn-sim (issue 5)
// builds on, and the peer the integration tests judge the gateway against.
//
// usage: pw-peer --local IP:PORT --remote IP:PORT [--mode satop|cesopsn]
//                [--type e1|t1] [--seconds N] [--send-frames N]
// Prints one JSON line with its view of the line when it ends.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include <CLI/CLI.hpp>

#include "tdm/hdlc/hdlc_channel.h"
#include "tdm/span/pseudowire_span.h"
#include "tdm/span/virtual_span_pair.h"

using namespace trunkgw::tdm;

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
    HdlcChannel dchan([](void*, const uint8_t*, std::size_t) { ++g_dchan_rx; }, nullptr);

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
        span.advance(due, tx, rx);
        for (uint32_t f = 0; f < due; ++f) {
            d[f] = rx[f * span_frame_octets + dts];
        }
        dchan.rx_octets(d, due);
    }
    SpanCounters c = span.counters();
    std::printf("{\"alarms\": %u, \"aligned_after_ms\": %.1f, \"frames\": %llu, \"crc_errors\": %llu, "
                "\"pw_rx\": %llu, \"pw_tx\": %llu, \"pw_lost\": %llu, \"pw_malformed\": %llu, \"slips\": %llu, "
                "\"dchan_frames_rx\": %llu, \"dchan_frames_tx\": %d, \"send_errors\": %llu}\n",
                span.alarms(), aligned_at / 8.0, static_cast<unsigned long long>(c.line.frames),
                static_cast<unsigned long long>(c.line.crc_errors), static_cast<unsigned long long>(c.pw_packets_rx),
                static_cast<unsigned long long>(c.pw_packets_tx), static_cast<unsigned long long>(c.pw_lost),
                static_cast<unsigned long long>(c.pw_malformed), static_cast<unsigned long long>(c.pw_slips),
                static_cast<unsigned long long>(g_dchan_rx), sent_frames,
                static_cast<unsigned long long>(sink.errors));
    close(fd);
    return 0;
}
