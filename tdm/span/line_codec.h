// One line's framing in both directions, E1 or T1 behind one face: frames
// from the 32-octet span layout into the line bit stream, and the received
// bit stream back into frames through a small FIFO that absorbs the odd
// frame a slip or realignment adds or removes. Used by the SAToP span
// (the framing bits travel, RFC 4553 1) and the virtual span pair.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "tdm/e1/e1_deframer.h"
#include "tdm/e1/e1_framer.h"
#include "tdm/line_status.h"
#include "tdm/span/span_driver.h"
#include "tdm/t1/t1_deframer.h"
#include "tdm/t1/t1_framer.h"

namespace trunkgw::tdm {

struct LineCodecConfig {
    LineType type = LineType::e1;
    bool crc4 = true;                   // E1
    T1Framing t1_framing = T1Framing::esf;
};

class LineCodec {
public:
    static constexpr std::size_t fifo_frames = 64;
    static constexpr std::size_t max_frames_per_call = 64;
    static constexpr uint32_t prime_frames = 8;  // 1 ms of reserve

    explicit LineCodec(const LineCodecConfig& cfg);

    uint32_t bits_per_frame() const { return _type == LineType::e1 ? 256 : 193; }

    // Frames `n` (<= max_frames_per_call) frames of span layout and appends
    // their bits to the TX bit stream. Whole octets are then available from
    // tx_octets()/tx_consume().
    void frame(const uint8_t* frames, uint32_t n);
    const uint8_t* tx_octets() const { return _tx; }
    std::size_t tx_octet_count() const { return _tx_bits / 8; }
    void tx_consume();  // drops the whole octets, keeps a partial one

    // Deframes received line octets into the RX FIFO.
    void deframe(const uint8_t* in, std::size_t n);
    // Adds frames already in span layout (a structured pseudowire rebuilds
    // them itself).
    void push_frames(const uint8_t* frames, uint32_t n);
    bool in_frame() const;
    // Adds `n` frames of all ones (AIS) to the FIFO: what a span plays where
    // the line gave nothing.
    void fill_ais(uint32_t n);
    // Takes n frames into rx; missing frames are AIS (counted by the caller
    // through the return value: frames filled).
    uint32_t take(uint32_t n, uint8_t* rx);
    std::size_t fifo_depth() const { return _fifo_count; }

    void set_rai(bool on);
    void set_ais(bool on);
    uint32_t alarms() const;
    const DeframerCounters& counters() const;
    uint64_t fifo_dropped() const { return _fifo_dropped; }

private:
    void push_frame(const uint8_t* frame32);

    LineType _type;
    E1Framer _e1_tx;
    E1Deframer _e1_rx;
    T1Framer _t1_tx;
    T1Deframer _t1_rx;
    // TX bit stream staging: enough for max_frames_per_call E1 frames plus
    // a partial octet.
    uint8_t _tx[max_frames_per_call * 32 + 8] = {};
    std::size_t _tx_bits = 0;
    // RX frames in span layout.
    std::array<uint8_t, fifo_frames * span_frame_octets> _fifo{};
    std::size_t _fifo_head = 0;
    std::size_t _fifo_count = 0;
    uint64_t _fifo_dropped = 0;
    bool _primed = false;
    // Deframer output scratch.
    uint8_t _scratch[(max_frames_per_call + 8) * 32] = {};
};

}  // namespace trunkgw::tdm
