// E1 (2048 kbit/s) transmit side: builds 256-bit frames (G.704 2.3.1), TS0
// generated, TS1..TS31 copied. TS0 alternates (G.704 2.3.2, Table 4a):
//   frames containing the frame alignment signal (FAS):  Si 0 0 1 1 0 1 1
//   frames not containing it (NFAS):                     Si 1 A Sa4..Sa8
// With CRC-4 (G.704 2.3.3, Table 5b) the Si bits carry a 16-frame
// multiframe of two 8-frame sub-multiframes (SMF): C1..C4 in the FAS frames
// of each SMF (the CRC-4 of the previous SMF), the multiframe alignment
// signal 001011 in NFAS frames 1..11 and E bits in NFAS frames 13 and 15.
// Without CRC-4 every Si bit is 1 (G.704 2.3.2: unused bits are set to 1).
#pragma once

#include <cstddef>
#include <cstdint>

namespace trunkgw::tdm {

inline constexpr std::size_t e1_timeslots = 32;  // a frame is 32 octets = 256 bits, 8000 frames/s
inline constexpr std::size_t e1_frame_bits = 256;

// G.704 2.3.2: bits 2..8 of TS0 in FAS frames, 0011011.
inline constexpr uint8_t e1_fas = 0x1b;
// G.704 2.3.2: bit 2 of TS0 in NFAS frames is 1 so a FAS cannot be imitated there.
inline constexpr uint8_t e1_nfas_bit2 = 0x40;
// G.704 2.3.2: bit 3 of TS0 in NFAS frames, A, remote alarm indication.
inline constexpr uint8_t e1_nfas_a = 0x20;
// G.704 2.3.3.2, Table 5b: the Si bits of NFAS frames 1, 3, ..., 15: the
// CRC-4 multiframe alignment signal 001011, then the two E bits (here as 1,
// "no error").
inline constexpr uint8_t e1_mf_si[8] = {0, 0, 1, 0, 1, 1, 1, 1};
inline constexpr uint8_t e1_mfas = 0x0b;  // 001011 as a 6-bit value
inline constexpr unsigned e1_mf_frames = 16;
inline constexpr unsigned e1_smf_frames = 8;

class E1Framer {
public:
    explicit E1Framer(bool crc4);

    // A = 1 in every NFAS frame (G.704 2.3.2).
    void set_rai(bool on) { _rai = on; }
    // Unframed all ones instead of frames (G.704 Note 2 to clause 1: the
    // frame structure does not apply to the all-1s maintenance signal). The
    // multiframe counter keeps running so framing resumes in phase.
    void set_ais(bool on) { _ais = on; }
    // Sa4 in bit 4 .. Sa8 in bit 0. Default all ones (G.704 2.3.2: spare bits
    // not used are set to 1).
    void set_sa_bits(uint8_t sa4_to_sa8) { _sa = static_cast<uint8_t>(sa4_to_sa8 & 0x1f); }
    // E bits to send as 0, one per errored SMF our deframer received (G.704
    // 2.3.3.4). Two E bits leave per multiframe, 1000 per second, as many as
    // SMFs arrive; the backlog is capped at one second of E bits because the
    // report should reach the far end within a second.
    void report_remote_crc_errors(uint32_t n);

    // ts[1..31] copied, TS0 generated; out = 32 octets; ts[0] ignored.
    // ts and out may be the same buffer.
    void build_frame(const uint8_t* ts, uint8_t* out);

    // Cap on queued E bits: one second's worth (2 per 2 ms multiframe).
    static constexpr uint32_t max_pending_e_bits = 1000;

private:
    uint8_t next_ts0();

    bool _crc4;
    bool _rai = false;
    bool _ais = false;
    uint8_t _sa = 0x1f;
    uint32_t _e_pending = 0;
    unsigned _frame = 0;    // frame number in the CRC-4 multiframe, 0..15 (parity alone without CRC-4)
    uint8_t _crc_acc = 0;   // CRC-4 of the SMF being sent, so far
    uint8_t _crc_sent = 0;  // CRC-4 of the previous SMF: C1..C4 of this one
};

}  // namespace trunkgw::tdm
