// Two spans wired back to back through an in-memory line: what A frames, B
// deframes, and the other way round, bit for bit (osmo-e1d's vpair idea).
// Each side advances with its own clock calls, like two ends of a real
// cable; the wire holds what one side sent until the other reads it.
// Impairments make alarms testable: cut the line (LOS), send AIS, flip bits.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "tdm/span/line_codec.h"
#include "tdm/span/span_driver.h"

namespace trunkgw::tdm {

class VirtualSpanPair;

class VirtualSpan : public SpanDriver {
public:
    const SpanInfo& info() const override { return _info; }
    int open() override;
    void close() override;
    int advance(uint32_t frames, const uint8_t* tx, uint8_t* rx) override;
    uint32_t alarms() const override { return _codec.alarms(); }
    SpanCounters counters() const override;

    void set_rai(bool on) { _codec.set_rai(on); }
    void set_ais(bool on) { _codec.set_ais(on); }

private:
    friend class VirtualSpanPair;
    // A one-direction wire: octets written by one side, read by the other.
    struct Wire {
        static constexpr std::size_t capacity = 64 * 1024;
        std::array<uint8_t, capacity> buf{};
        std::size_t head = 0;
        std::size_t count = 0;
        bool cut = false;         // the line carries nothing (all zeros: LOS)
        uint64_t flip_bits = 0;   // flip one bit of the next N octets written
    };
    VirtualSpan(const LineCodecConfig& cfg, Wire& out, Wire& in);

    SpanInfo _info;
    LineCodec _codec;
    Wire& _out;
    Wire& _in;
    bool _open = false;
    SpanCounters _c;
};

class VirtualSpanPair {
public:
    explicit VirtualSpanPair(const LineCodecConfig& cfg);

    VirtualSpan& a() { return *_a; }
    VirtualSpan& b() { return *_b; }

    // Impairments on the A -> B direction (and B -> A with the _ba variants).
    void cut_ab(bool on) { _ab.cut = on; }
    void cut_ba(bool on) { _ba.cut = on; }
    void flip_bits_ab(uint64_t octets) { _ab.flip_bits += octets; }

private:
    VirtualSpan::Wire _ab;
    VirtualSpan::Wire _ba;
    std::unique_ptr<VirtualSpan> _a;
    std::unique_ptr<VirtualSpan> _b;
};

// The 8000 frames/s clock from CLOCK_MONOTONIC: how many frames are due
// since the last call. Callers advance their spans by that many.
class SpanClock {
public:
    SpanClock();
    uint32_t due_frames();  // frames since the previous call (capped at 64)
    uint64_t frames_total() const { return _frames; }

private:
    uint64_t _start_ns;
    uint64_t _frames = 0;
};

}  // namespace trunkgw::tdm
