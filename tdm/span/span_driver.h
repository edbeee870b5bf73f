// The span driver interface: what every E1/T1 span offers its worker,
// whether its bits come from a pseudowire (SAToP/CESoPSN), a virtual span
// pair, or (later) a local TDM card. Callers never know which.
//
// Frames cross the interface timeslot-indexed, 32 octets per frame for E1
// and T1 alike (E1: TS0..TS31; T1: index 1..24 hold TS1..TS24, the rest are
// unused), so channel code is the same for both line types.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tdm/line_status.h"

namespace trunkgw::tdm {

inline constexpr std::size_t span_frame_octets = 32;  // per frame across this interface
inline constexpr uint32_t frames_per_ms = 8;          // 8000 frames/s

enum class LineType { e1, t1 };

struct SpanInfo {
    LineType type;
    uint32_t bearer_channels;   // 30 (E1 PRI) or 23 (T1 PRI)
    uint32_t dchannel_timeslot; // 16 (E1, G.704 / Q.931 Annex A) or 24 (T1)
    uint32_t first_timeslot;    // 1
    uint32_t last_timeslot;     // 31 (E1) or 24 (T1)
};

SpanInfo span_info(LineType type);

struct SpanCounters {
    DeframerCounters line;          // framing, CRC, alarms
    uint64_t frames_advanced = 0;   // clock: frames moved in each direction
    uint64_t rx_frames_filled = 0;  // frames played as AIS/idle because none were received
    uint64_t rx_frames_dropped = 0; // received frames discarded because more arrived than the clock took
    // Pseudowire spans only (zero elsewhere).
    uint64_t pw_packets_rx = 0;
    uint64_t pw_packets_tx = 0;
    uint64_t pw_malformed = 0;      // truncated, bad control word, wrong payload size
    uint64_t pw_lost = 0;
    uint64_t pw_reordered = 0;
    uint64_t pw_duplicate = 0;
    uint64_t pw_late = 0;
    uint64_t pw_slips = 0;          // jitter buffer under/overflows
    uint64_t pw_l_bit_rx = 0;       // packets with L set (far-end TDM failure)
    uint64_t pw_r_bit_rx = 0;       // packets with R set (far end losing our packets)
    uint32_t pw_jitter_depth = 0;   // packets buffered now (a gauge)
};

class SpanDriver {
public:
    virtual ~SpanDriver() = default;

    virtual const SpanInfo& info() const = 0;

    // Starts (0) or refuses (negative errno) the span; close stops it.
    virtual int open() = 0;
    virtual void close() = 0;

    // Moves the span's clock on by `frames` frames: transmits the frames in
    // `tx` (frames * span_frame_octets) and fills `rx` with as many received
    // frames. Where the line delivered none (out of frame, packets lost)
    // rx holds all ones (AIS), counted in rx_frames_filled. Returns 0 or a
    // negative errno; never throws.
    virtual int advance(uint32_t frames, const uint8_t* tx, uint8_t* rx) = 0;

    virtual uint32_t alarms() const = 0;  // Alarm bits
    virtual SpanCounters counters() const = 0;
};

}  // namespace trunkgw::tdm
