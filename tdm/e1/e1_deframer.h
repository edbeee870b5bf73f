// E1 (2048 kbit/s) receive side: finds and keeps frame alignment in a bit
// stream of any octet alignment (G.706 4.1), CRC-4 multiframe alignment
// (G.706 4.2, Annex B simplified) and CRC-4 block checking (G.706 4.3),
// and reports LOS and AIS (G.775), LOF, RAI (the A bit) and loss of CRC-4
// multiframe. Frames received in alignment come out as 32 octets,
// TS0..TS31 as received.
//
// Cost model: input octets are copied into a small staging buffer (so a
// frame may straddle two feed() calls) and watched a 64-bit word at a time
// for LOS/AIS. Out of frame, the frame alignment signal is searched 58 bit
// positions per 64-bit word. In frame, a frame is four 64-bit shifts at the
// known bit offset, one TS0 check and (CRC-4) 15 independent table look-ups
// (crc4.h). Nothing is allocated; nothing throws.
//
// Simplified against G.706: the search for frame alignment is serial (one
// candidate FAS checked at a time, the search resuming with the bit after
// a failed check); when 8 ms pass without CRC-4 multiframe alignment the
// multiframe search restarts inside the current frame alignment instead of
// a parallel search for another one (4.2 / Annex B), so a FAS imitated by
// the payload is left only through 4.1.1 or, once multiframe aligned, 4.3.2.
//
// Alarm events count rising edges of the alarm bits: lof_events counts
// entries into loss of frame alignment (not the initial hunt), lomf_events
// entries into alarm_lomf, and so on.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tdm/e1/e1_framer.h"
#include "tdm/line_status.h"

namespace trunkgw::tdm {

// What only an E1 receiver counts (running totals).
struct E1Counters {
    uint64_t crc_blocks = 0;          // CRC-4 blocks (SMFs) checked
    uint64_t mf_alignments = 0;       // CRC-4 multiframe alignment found (G.706 4.2)
    uint64_t mf_search_restarts = 0;  // 8 ms without two multiframe signals (G.706 4.2)
    uint64_t false_alignments = 0;    // >= 915 of 1000 blocks errored (G.706 4.3.2)
    uint64_t frames_dropped = 0;      // frames in alignment that did not fit in frames_out
};

class E1Deframer {
public:
    explicit E1Deframer(bool crc4);

    // Consumes n received octets of the 2048 kbit/s bit stream, MSB first, at
    // any bit alignment relative to the frames. Writes each frame received in
    // frame alignment (32 octets, TS0..TS31 as received) to frames_out (room
    // for max_frames) and returns how many; nothing is output while out of
    // frame. Frames beyond max_frames are still checked but dropped (counted
    // in e1_counters().frames_dropped): n / 32 + 1 frames of room never drop.
    std::size_t feed(const uint8_t* in, std::size_t n, uint8_t* frames_out, std::size_t max_frames);

    uint32_t alarms() const { return _alarms; }  // Alarm bits (tdm/line_status.h)
    bool in_frame() const { return _in_frame; }
    bool multiframe_aligned() const { return _mf_aligned; }
    const DeframerCounters& counters() const { return _counters; }
    const E1Counters& e1_counters() const { return _e1_counters; }
    // Errored SMFs since the last call: feed these to the local framer's E
    // bits (G.704 2.3.3.4).
    uint32_t take_errored_smfs();

    // Thresholds, each with the clause it comes from (see e1_deframer.cpp).
    // G.706 4.1.1: frame alignment is lost after three consecutive incorrect
    // FAS, or (the option G.706 4.1.1 also allows) three consecutive NFAS
    // frames with bit 2 = 0.
    static constexpr unsigned lof_bad_fas = 3;
    static constexpr unsigned lof_bad_nfas = 3;
    // G.706 4.2: two multiframe alignment signals 2 ms apart (or a multiple)
    // within 8 ms; otherwise the search starts again.
    static constexpr unsigned mf_search_frames = 64;  // 8 ms
    // G.706 Annex B (simplified): no CRC-4 multiframe 400 ms after frame
    // alignment: alarm_lomf; frame alignment and traffic stay.
    static constexpr unsigned mf_interwork_frames = 3200;  // 400 ms
    // G.706 4.3.2: >= 915 errored CRC-4 blocks in 1000 mean false alignment.
    static constexpr unsigned false_alignment_blocks = 1000;
    static constexpr unsigned false_alignment_errored = 915;
    // G.775: LOS after N consecutive zeros, 10 <= N <= 255. We see the line
    // after HDB3 decoding (or a pseudowire's payload), where a healthy framed
    // signal carrying all-zero timeslots has long zero runs: with the Sa bits
    // at their default 1, up to 251 bits with CRC-4 (Sa8 to bit 4 of the next
    // FAS, C bit and E/MF bits at 0) and 248 without. 255, the largest N
    // G.775 allows, is the only choice above both. (Sa bits sent as 0 stretch
    // the run to 254 without CRC-4, still fine, and 257 with it: that line,
    // idle at all zeros, would read as LOS.)
    static constexpr unsigned los_zero_bits = 255;
    // LOS clears after a 256-bit period with at least 32 ones (12.5%: E1
    // framers clear G.775 LOS on 32 ones in 255 bit times) that does not end
    // dark.
    static constexpr unsigned los_clear_period_bits = 256;
    static constexpr unsigned los_clear_ones = 32;
    // G.775: AIS when each of two consecutive 512-bit (double frame) periods
    // has two or fewer zeros; cleared when each of two consecutive periods has
    // three or more, or when the FAS is found.
    static constexpr unsigned ais_period_bits = 512;
    static constexpr unsigned ais_max_zeros = 2;
    static constexpr unsigned ais_periods = 2;
    // RAI: the A bit must hold for three consecutive NFAS frames to be
    // declared or cleared (the persistence of O.162 2.1.4 that E1 framers
    // apply), so one errored bit does not raise it.
    static constexpr unsigned rai_persist = 3;

private:
    // Staging buffer: a partial frame (<= 33 octets) plus room to append.
    static constexpr std::size_t buf_bytes = 160;
    static constexpr std::size_t buf_pad = 16;  // word reads past the end

    enum class Hunt : uint8_t { search, check_nfas, check_fas2 };
    enum class Verdict : uint8_t { keep, lost_at_ts0, lost_after };

    void monitor(const uint8_t* p, std::size_t n);
    // The LOS/AIS monitor's per-word state, in registers across a run of words.
    struct LineWatch {
        uint32_t zero_run;
        uint32_t ais_zeros;
        uint32_t ones;
        bool los;
    };
    static bool watch(LineWatch& s, uint64_t w, unsigned bits);
    void end_monitor_period();
    void process();
    bool hunt(int64_t end);
    void compact();
    void extract(int64_t pos, uint8_t* out) const;
    Verdict on_frame(const uint8_t* f);
    Verdict on_crc4(const uint8_t* f, uint8_t ts0, bool fas_frame);
    void gain_frame(int64_t frame_start);
    void lose_frame(int64_t search_from);
    void set_alarm(uint32_t bit, uint64_t& events);
    void clear_alarm(uint32_t bit) { _alarms &= ~bit; }

    const bool _crc4;
    uint32_t _alarms = alarm_lof;
    DeframerCounters _counters{};
    E1Counters _e1_counters{};
    uint32_t _errored_smfs = 0;

    // Staging buffer; bit positions below are relative to its start.
    uint8_t _buf[buf_bytes + buf_pad] = {};
    std::size_t _len = 0;

    // Output of the feed() in progress.
    uint8_t* _out = nullptr;
    std::size_t _out_room = 0;
    std::size_t _out_count = 0;
    uint8_t _scratch[e1_timeslots] = {};

    // Frame alignment (G.706 4.1).
    bool _in_frame = false;
    int64_t _cursor = 0;  // in frame: start of the next frame
    Hunt _hunt = Hunt::search;
    int64_t _win_from = 0;      // search: first FAS window start not yet tried
    int64_t _cand_end = 0;      // checks: last bit of the candidate FAS
    int64_t _discard_from = 0;  // out of frame: bits before this are counted
    bool _fas_next = true;      // in frame: the next frame carries the FAS
    uint8_t _bad_fas = 0;
    uint8_t _bad_nfas = 0;
    uint8_t _rai_run = 0;  // consecutive NFAS frames disagreeing with alarm_rai

    // CRC-4 multiframe (G.706 4.2, 4.3).
    bool _mf_aligned = false;
    bool _mf_seen = false;        // one multiframe signal seen in this search
    uint8_t _mf_sr = 0x3f;        // Si bits of the last six NFAS frames
    uint8_t _mf_pos = 0;          // aligned: this frame's number in the multiframe
    uint32_t _mf_search_age = 0;  // frames since this 8 ms search began
    uint32_t _mf_seen_at = 0;
    uint32_t _frames_aligned = 0;  // frames since frame alignment (saturates)
    uint8_t _crc_acc = 0;          // CRC-4 of the SMF being received
    uint8_t _crc_prev = 0;         // CRC-4 of the previous SMF
    bool _crc_prev_valid = false;
    bool _smf_whole = false;      // the SMF being received is seen from frame 0
    uint8_t _c_bits = 0;          // C1..C4 received in this SMF
    uint16_t _window_blocks = 0;  // G.706 4.3.2 window
    uint16_t _window_errored = 0;

    // LOS/AIS monitor (G.775), over the raw octets.
    uint32_t _zero_run = 0;
    uint32_t _period_bits = 0;  // bits into the current 256-bit period
    uint32_t _period_ones = 0;  // counted only while LOS is raised
    bool _odd_period = false;   // second half of a 512-bit AIS period
    uint8_t _ais_zeros = 0;     // zeros in the AIS period, saturating at 3
    uint8_t _ais_low_run = 0;   // consecutive AIS periods with <= 2 zeros
    uint8_t _ais_high_run = 0;  // consecutive AIS periods with >= 3 zeros
};

}  // namespace trunkgw::tdm
