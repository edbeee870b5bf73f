// T1 (1544 kbit/s) receive side: finds and keeps frame alignment in a bit
// stream of any octet alignment (G.706 2.1), checks CRC-6 (ESF, G.704
// 2.1.3.1.2), and reports LOS, LOF, AIS and yellow alarm (RAI). Frames
// received in alignment come out as 24 octets, TS1..TS24.
//
// Cost model: hunting for alignment goes bit by bit (every candidate bit
// position is tracked at once); once aligned, a frame is 24 octet shifts,
// 24 CRC-6 table look-ups (ESF) and one F-bit decision.
//
// ESF acquisition: a position showing 24 FPS bits in a row is only a
// candidate until one CRC-6 check over a whole ESF passes (G.706 2.2.2, CRC
// against false alignment). That rejects payload bits that mimic the FPS for
// ever, e.g. bit 8 under robbed-bit signalling, which repeats every 24
// frames. Reframe time from a clean signal: 142 frames (17.75 ms).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tdm/line_status.h"
#include "tdm/t1/t1_framer.h"

namespace trunkgw::tdm {

class T1Deframer {
public:
    explicit T1Deframer(T1Framing f);

    // Consumes n received octets of the bit stream (MSB first, any
    // alignment); writes each frame received in frame alignment as 24 octets
    // (TS1..TS24) to frames_out (room for max_frames) and returns how many.
    // Frames beyond max_frames are still checked but dropped (frames_dropped()).
    std::size_t feed(const uint8_t* in, std::size_t n, uint8_t* frames_out, std::size_t max_frames);

    uint32_t alarms() const;  // Alarm bits (tdm/line_status.h)
    bool in_frame() const { return _in_frame; }
    const DeframerCounters& counters() const { return _counters; }
    // Frames received in alignment that did not fit in frames_out.
    uint64_t frames_dropped() const { return _frames_dropped; }
    // ESF alignment candidates rejected because their CRC-6 check failed.
    uint64_t candidates_rejected() const { return _candidates_rejected; }

    // Thresholds, each with the clause it comes from (see t1_deframer.cpp).
    // T1.231 LOS: no pulse for 175 +/- 75 bit periods; 175 is the nominal.
    static constexpr unsigned los_zero_bits = 175;
    // T1.231 LOS clears on >= 12.5% ones over 175 +/- 75 bits starting with
    // a pulse: 22 ones in 22 octets (176 bits).
    static constexpr unsigned los_clear_octets = 22;
    static constexpr unsigned los_clear_ones = 22;
    // T1.231 AIS: unframed, >= 99.9% ones for 3 ms..75 ms. One ESF's worth
    // (3 ms = 4632 bits = 579 octets) with at most 5 zeros, which still
    // tolerates a 1e-3 error ratio.
    static constexpr unsigned ais_window_octets = 579;
    static constexpr unsigned ais_max_zeros = 5;
    // G.706 2.1.2 / false-alignment guard: FPS bits (ESF) or F bits (D4)
    // that must all match before alignment is declared.
    static constexpr unsigned esf_align_fps_bits = 24;  // 96 frames, 12 ms
    // ESF candidates checked at once, and how often one position may fail
    // its CRC-6 check before it is taken anyway (a far end that sends
    // wrong CRC-6 bits is still framed; its CRC errors then get counted).
    static constexpr unsigned esf_max_candidates = 8;
    static constexpr unsigned esf_crc_rejects_before_accept = 3;
    static constexpr unsigned d4_align_f_bits = 48;  // 4 superframes, 6 ms
    // ESF yellow: 16 consecutive 16-bit codewords 11111111 00000000 (64 ms)
    // declare; 2 bad codewords in the last 16 clear.
    static constexpr unsigned esf_yellow_codewords = 16;
    // D4 yellow: bit 2 = 0 in (nearly) every channel. Payload can mimic
    // that for tens of frames, so integrate: a 48 ms window (384 frames,
    // 9216 channel octets) is yellow with at most 16 octets having bit 2 = 1
    // (a 1e-3 error ratio gives ~9); 8 yellow windows in a row (384 ms)
    // declare, 2 non-yellow ones (96 ms) clear.
    static constexpr unsigned d4_yellow_window_frames = 384;
    static constexpr unsigned d4_yellow_max_ones = 16;
    static constexpr unsigned d4_yellow_set_windows = 8;
    static constexpr unsigned d4_yellow_clear_windows = 2;

private:
    static constexpr std::size_t frame_bits = t1_frame_bits;
    struct Sink {
        uint8_t* out;
        std::size_t max;
        std::size_t count;
    };
    // An ESF alignment candidate under CRC-6 check, tracked bit by bit while
    // the hunt goes on.
    struct Candidate {
        unsigned pos;      // F-bit position in the hunt window
        unsigned frame;    // 0-based frame number of its last F bit
        uint8_t crc_reg;   // CRC-6 of its current ESF (crc6.h form)
        uint8_t crc_prev;  // CRC-6 of its previous ESF
        uint8_t e_rx;      // e bits received in its current ESF
        bool cur_valid;    // its current ESF started after detection
        bool prev_valid;   // so did the previous one
    };

    template <T1Framing F>
    void run(const uint8_t* in, std::size_t n, Sink& sink);
    template <T1Framing F>
    std::size_t hunt(const uint8_t* in, std::size_t i, std::size_t n);
    template <T1Framing F>
    bool hunt_bit(unsigned bit);
    template <T1Framing F>
    bool f_bit(unsigned f);
    template <T1Framing F>
    void hunt_bits(uint32_t bits, unsigned n);
    template <T1Framing F>
    void frame_done(uint8_t crc_reg, unsigned bit2_ones, Sink& sink, bool in_sink);
    template <T1Framing F>
    void slow_octet(uint8_t b, Sink& sink);

    bool esf_candidates(unsigned pos, unsigned bit, int phase);
    void enter_frame(unsigned frame_index);
    void lose_frame();
    void reset_hunt();
    void los_scan(const uint8_t* in, std::size_t n);
    void ais_octet(uint8_t b);
    void fdl_bit(unsigned bit);
    void set_rai(bool on);

    T1Framing _framing;
    bool _in_frame = false;

    // Hunting: per candidate F-bit position (0..192) a history of the bits
    // seen there, one history per frame phase modulo 4 for ESF (the FPS is
    // every 4th F bit) and a single one for D4.
    uint64_t _hunt[frame_bits][4];
    unsigned _hunt_pos = 0;      // candidate position of the next bit
    uint64_t _hunt_windows = 0;  // 193-bit windows completed since the hunt began
    Candidate _candidates[esf_max_candidates] = {};
    unsigned _n_candidates = 0;
    unsigned _reject_pos = frame_bits;  // the position last rejected, and how often in a row
    unsigned _reject_count = 0;

    // In frame.
    uint32_t _acc = 0;       // received bits not yet used, the oldest highest
    unsigned _acc_bits = 0;  // how many of _acc's low bits are valid
    int _slot = -1;          // next: -1 the F bit, 0..23 that timeslot's octet
    unsigned _frame = 0;     // 0-based frame number in the multiframe
    unsigned _f_errors = 0;  // error flags of the last 4 FPS (ESF) / Ft (D4) bits
    uint8_t _frame_buf[t1_timeslots] = {};
    uint8_t _crc_reg = 0;          // CRC-6 of the ESF being received (crc6.h form)
    uint8_t _crc_prev = 0;         // CRC-6 computed over the previous ESF
    uint8_t _crc_rx = 0;           // e bits received so far in this ESF
    bool _crc_cur_valid = false;   // this ESF was received whole in frame
    bool _crc_prev_valid = false;  // so was the previous one: e1..e6 can be checked
    unsigned _bit2_ones = 0;       // D4: octets with bit 2 = 1 in the current frame (slow path)

    // ESF yellow detector over the FDL bits.
    uint32_t _fdl_reg = 0;
    unsigned _fdl_since = 0;  // FDL bits since the last codeword boundary
    uint16_t _fdl_good = 0;   // last 16 codewords: 1 = yellow pattern
    // D4 yellow detector.
    unsigned _d4y_frames = 0;
    unsigned _d4y_ones = 0;
    unsigned _d4y_yellow_windows = 0;  // consecutive
    unsigned _d4y_clear_windows = 0;   // consecutive

    bool _los = false;
    unsigned _zero_run = 0;
    unsigned _los_clear_octets = 0;  // octets into the clearing window (0: waiting for a pulse)
    unsigned _los_clear_ones = 0;

    bool _ais = false;
    unsigned _ais_octets = 0;
    unsigned _ais_zeros = 0;

    bool _rai = false;

    DeframerCounters _counters;
    uint64_t _frames_dropped = 0;
    uint64_t _candidates_rejected = 0;
};

}  // namespace trunkgw::tdm
