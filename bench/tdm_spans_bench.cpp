// bench/run tdm_spans: how many E1 (and T1 ESF) spans one core processes in
// real time, end to end: framing with CRC-4 (ESF CRC-6), SAToP
// encapsulation, decapsulation through the jitter buffer, deframing, and
// HDLC on the D-channel timeslot, in both directions of every span.
//
// N spans run as N/2 back-to-back pairs for 10 simulated seconds (10,000
// ticks of 8 frames). The figure is spans x simulated seconds / CPU seconds.
// The baseline, measured in the same run, is the same loop moving the same
// octets with memcpy only (no framing, no CRC, no HDLC, no jitter buffer):
// the floor any implementation pays to touch the bytes.
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tdm/hdlc/hdlc_channel.h"
#include "tdm/span/pseudowire_span.h"

using namespace trunkgw::tdm;

namespace {

double cpu_seconds()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A preallocated one-packet mailbox: the bench's stand-in for a NIC queue.
struct Mailbox : PacketSink {
    uint8_t buf[4][300];
    std::size_t len[4] = {};
    std::size_t count = 0;
    void send(const uint8_t* pkt, std::size_t n) override
    {
        if (count < 4 && n <= sizeof(buf[0])) {
            std::memcpy(buf[count], pkt, n);
            len[count++] = n;
        }
    }
};

struct Side {
    Mailbox out;
    std::unique_ptr<PseudowireSpan> span;
    std::unique_ptr<HdlcChannel> hdlc;
    uint64_t frames_rx = 0;
    uint64_t frames_tx = 0;
};

void on_frame(void* user, const uint8_t*, std::size_t) { ++static_cast<Side*>(user)->frames_rx; }

struct Result {
    double spans_per_core;
    uint64_t crc_errors;
    uint64_t lost;
    uint64_t alarms;
    uint64_t hdlc_tx;
    uint64_t hdlc_rx;
};

Result run(LineType type, uint32_t n_spans, uint32_t seconds)
{
    PseudowireConfig cfg;
    cfg.mode = PwMode::satop;
    cfg.line.type = type;
    cfg.line.crc4 = true;
    cfg.line.t1_framing = T1Framing::esf;
    std::vector<Side> sides(n_spans);
    for (auto& s : sides) {
        s.span = std::make_unique<PseudowireSpan>(cfg, s.out);
        s.span->open();
        s.hdlc = std::make_unique<HdlcChannel>(on_frame, &s);
    }
    const uint32_t dts = type == LineType::e1 ? 16 : 24;
    // A Q.921 RR (supervisory, 4 octets) plus a short I-frame: what an idle
    // and a busy D-channel carry.
    const uint8_t rr[4] = {0x02, 0x01, 0x01, 0x00};
    uint8_t tx[8 * span_frame_octets];
    uint8_t rx[8 * span_frame_octets];
    std::memset(tx, 0x55, sizeof(tx));
    const uint32_t ticks = seconds * 1000;
    double t0 = cpu_seconds();
    for (uint32_t t = 0; t < ticks; ++t) {
        for (uint32_t i = 0; i < n_spans; ++i) {
            Side& s = sides[i];
            if (t % 10 == 0 && s.hdlc->tx_queue_frame(rr, sizeof(rr)) == 0) {
                ++s.frames_tx;
            }
            uint8_t d[8];
            s.hdlc->tx_octets(d, 8);
            for (uint32_t f = 0; f < 8; ++f) {
                tx[f * span_frame_octets + dts] = d[f];
            }
            s.span->advance(8, tx, rx);
            for (uint32_t f = 0; f < 8; ++f) {
                d[f] = rx[f * span_frame_octets + dts];
            }
            s.hdlc->rx_octets(d, 8);
            // Deliver to the peer (pairs: 0<->1, 2<->3, ...).
            Side& peer = sides[i ^ 1u];
            for (std::size_t k = 0; k < s.out.count; ++k) {
                peer.span->receive(s.out.buf[k], s.out.len[k]);
            }
            s.out.count = 0;
        }
    }
    double cpu = cpu_seconds() - t0;
    Result r{};
    r.spans_per_core = n_spans * static_cast<double>(seconds) / cpu;
    for (auto& s : sides) {
        SpanCounters c = s.span->counters();
        r.crc_errors += c.line.crc_errors;
        r.lost += c.pw_lost;
        r.alarms += s.span->alarms() != 0 ? 1 : 0;
        r.hdlc_tx += s.frames_tx;
        r.hdlc_rx += s.frames_rx;
    }
    return r;
}

// The same bytes moved with memcpy only.
double run_memcpy(LineType type, uint32_t n_spans, uint32_t seconds)
{
    std::size_t pkt = type == LineType::e1 ? 260 : 197;
    std::vector<uint8_t> wire(static_cast<std::size_t>(n_spans) * pkt, 0x5a);
    std::vector<uint8_t> jb(static_cast<std::size_t>(n_spans) * pkt, 0);
    uint8_t tx[8 * span_frame_octets];
    uint8_t rx[8 * span_frame_octets];
    std::memset(tx, 0x55, sizeof(tx));
    volatile uint8_t sink = 0;
    double t0 = cpu_seconds();
    for (uint32_t t = 0; t < seconds * 1000; ++t) {
        for (uint32_t i = 0; i < n_spans; ++i) {
            uint8_t* w = &wire[static_cast<std::size_t>(i) * pkt];
            uint8_t* j = &jb[static_cast<std::size_t>((i ^ 1u)) * pkt];
            std::memcpy(w + 4, tx, pkt - 4);      // frames -> packet
            std::memcpy(j, w, pkt);               // packet -> peer's buffer
            std::memcpy(rx, j + 4, pkt - 4);      // buffer -> frames
            sink = static_cast<uint8_t>(sink + rx[t % 64]);
        }
    }
    return n_spans * static_cast<double>(seconds) / (cpu_seconds() - t0);
}

}  // namespace

int main(int argc, char** argv)
{
    bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    uint32_t spans = quick ? 16 : 64;
    uint32_t seconds = quick ? 2 : 10;
    std::printf("tdm_spans: %u spans (%u pairs), %u simulated seconds each, SAToP + framing + HDLC\n", spans,
                spans / 2, seconds);
    Result e1 = run(LineType::e1, spans, seconds);
    std::printf("E1 CRC-4: %.0f spans per core (crc errors %llu, lost %llu, spans in alarm %llu, hdlc %llu/%llu)\n",
                e1.spans_per_core, static_cast<unsigned long long>(e1.crc_errors),
                static_cast<unsigned long long>(e1.lost), static_cast<unsigned long long>(e1.alarms),
                static_cast<unsigned long long>(e1.hdlc_rx), static_cast<unsigned long long>(e1.hdlc_tx));
    Result t1 = run(LineType::t1, spans, seconds);
    std::printf("T1 ESF:   %.0f spans per core (crc errors %llu, lost %llu, spans in alarm %llu, hdlc %llu/%llu)\n",
                t1.spans_per_core, static_cast<unsigned long long>(t1.crc_errors),
                static_cast<unsigned long long>(t1.lost), static_cast<unsigned long long>(t1.alarms),
                static_cast<unsigned long long>(t1.hdlc_rx), static_cast<unsigned long long>(t1.hdlc_tx));
    double base = run_memcpy(LineType::e1, spans, seconds);
    std::printf("baseline: memcpy of the same E1 octets: %.0f spans per core\n", base);
    // Correctness is part of the figure: a fast wrong answer fails.
    bool ok = e1.crc_errors == 0 && t1.crc_errors == 0 && e1.lost == 0 && t1.lost == 0 && e1.alarms == 0 &&
              t1.alarms == 0 && e1.hdlc_rx + 4 * spans >= e1.hdlc_tx && t1.hdlc_rx + 4 * spans >= t1.hdlc_tx &&
              e1.hdlc_rx > 0;
    std::printf("{\"bench\": \"tdm_spans\", \"metric\": \"e1_spans_per_core\", \"value\": %.0f, \"unit\": \"spans\", "
                "\"baseline\": %.0f, \"ratio\": %.4f, \"baseline_name\": \"memcpy_same_octets\", "
                "\"t1_esf_spans_per_core\": %.0f, \"goal\": 1000, \"correct\": %s}\n",
                e1.spans_per_core, base, e1.spans_per_core / base, t1.spans_per_core, ok ? "true" : "false");
    return ok ? 0 : 1;
}
