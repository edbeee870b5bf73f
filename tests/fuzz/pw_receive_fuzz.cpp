// Any sequence of packets into a pseudowire span (SAToP and CESoPSN, E1
// and T1), interleaved with clock ticks.
#include <cstddef>
#include <cstdint>

#include "tdm/span/pseudowire_span.h"

namespace {

struct Null : trunkgw::tdm::PacketSink {
    void send(const uint8_t*, std::size_t) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    using namespace trunkgw::tdm;
    if (size < 2) {
        return 0;
    }
    PseudowireConfig cfg;
    cfg.mode = (data[0] & 1) ? PwMode::cesopsn : PwMode::satop;
    cfg.line.type = (data[0] & 2) ? LineType::t1 : LineType::e1;
    cfg.line.crc4 = (data[0] & 4) != 0;
    if (cfg.mode == PwMode::cesopsn) {
        cfg.timeslots = {1, 2, 3};
    }
    Null sink;
    PseudowireSpan span(cfg, sink);
    span.open();
    uint8_t tx[8 * span_frame_octets] = {};
    uint8_t rx[8 * span_frame_octets];
    // Each packet: one length octet, then that many octets.
    std::size_t off = 1;
    while (off < size) {
        std::size_t n = data[off++];
        n = n * 2;  // reach the 256-octet SAToP size
        if (n > size - off) {
            n = size - off;
        }
        span.receive(data + off, n);
        off += n;
        span.advance(8, tx, rx);
    }
    (void)span.counters();
    return 0;
}
