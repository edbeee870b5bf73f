// T1 (1544 kbit/s) transmit side: builds 193-bit frames, the F bit followed
// by TS1..TS24 (G.704 2.1.1, 2.1.2), in ESF (24-frame multiframe, G.704
// 2.1.3.1) or D4/SF (12-frame multiframe, G.704 2.1.3.2), with yellow alarm
// (RAI) and AIS on request. Timeslots are clear 64 kbit/s channels: no robbed
// bits, so the PRI D channel in TS24 (23B+D) needs nothing special here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tdm/bits/bitstream.h"

namespace trunkgw::tdm {

inline constexpr std::size_t t1_timeslots = 24;  // octets per frame after the F bit
inline constexpr std::size_t t1_frame_bits = 193;

enum class T1Framing { esf, d4 };

// G.704 2.1.3.1, Table 1: the ESF frame alignment signal (FPS), the F bits
// of frames 4, 8, 12, 16, 20 and 24. Frames 2, 6, ..., 22 carry e1..e6 and
// the odd frames the 4 kbit/s data link (FDL).
inline constexpr uint8_t t1_esf_fps[6] = {0, 0, 1, 0, 1, 1};
// G.704 2.1.3.2: the D4/SF F bits of frames 1..12: Ft = 101010 in the odd
// frames, Fs = 001110 in the even frames.
inline constexpr uint8_t t1_d4_f[12] = {1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0};
// T1.403 ESF yellow alarm: eight ones then eight zeros, repeated in the FDL.
inline constexpr uint16_t t1_esf_yellow_pattern = 0xff00;
// Idle data link: HDLC flags (Q.921 / T1.403 path messages use LAPD).
inline constexpr uint16_t t1_esf_idle_pattern = 0x7e7e;

class T1Framer {
public:
    explicit T1Framer(T1Framing f);

    // Yellow alarm (RAI): ESF sends 1111111100000000 repeated in the data
    // link; D4 forces bit 2 of every channel octet to 0.
    void set_yellow(bool on) { _yellow = on; }
    // AIS: 193 ones per frame, unframed (the multiframe counter keeps running
    // so framing resumes in phase when AIS is lifted).
    void set_ais(bool on) { _ais = on; }

    // Appends one 193-bit frame (F bit + ts[0..23]) to out. Returns false,
    // writing nothing, if out has no room for the whole frame.
    bool build_frame(const uint8_t* ts, BitWriter& out);

private:
    unsigned next_f_bit();

    T1Framing _framing;
    bool _yellow = false;
    bool _ais = false;
    unsigned _frame = 0;    // 0-based frame number in the multiframe
    uint8_t _crc_reg = 0;   // CRC-6 of the ESF being sent (left-aligned, see crc6.h)
    uint8_t _crc_sent = 0;  // CRC-6 of the previous ESF: e1..e6 of this one
    unsigned _fdl_bit = 0;  // position in the 16-bit data link pattern
};

}  // namespace trunkgw::tdm
