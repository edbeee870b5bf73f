// E1 receive side; see e1_deframer.h.
#include "tdm/e1/e1_deframer.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "tdm/e1/crc4.h"

namespace trunkgw::tdm {

namespace {

inline uint64_t load_be64(const uint8_t* p)
{
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    if constexpr (std::endian::native == std::endian::little) {
        v = __builtin_bswap64(v);
    }
    return v;
}

inline void store_be64(uint8_t* p, uint64_t v)
{
    if constexpr (std::endian::native == std::endian::little) {
        v = __builtin_bswap64(v);
    }
    std::memcpy(p, &v, sizeof(v));
}

// The 64 bits starting at bit `pos` of buf (reads 9 octets).
inline uint64_t bits64_at(const uint8_t* buf, int64_t pos)
{
    const uint8_t* p = buf + (pos >> 3);
    const unsigned sh = static_cast<unsigned>(pos & 7);
    uint64_t w = load_be64(p);
    if (sh != 0) {
        w = (w << sh) | (p[8] >> (8 - sh));
    }
    return w;
}

inline unsigned bit_at(const uint8_t* buf, int64_t pos)
{
    return (buf[pos >> 3] >> (7 - (pos & 7))) & 1u;
}

// The 7 bits starting at bit `pos` of buf (reads 2 octets).
inline uint8_t bits7_at(const uint8_t* buf, int64_t pos)
{
    const uint8_t* p = buf + (pos >> 3);
    const unsigned sh = static_cast<unsigned>(pos & 7);
    const unsigned v = (static_cast<unsigned>(p[0]) << 8) | p[1];
    return static_cast<uint8_t>((v >> (9 - sh)) & 0x7f);
}

// Bit 63 - i is set iff the 7 bits starting at bit i of w (MSB first) are
// the FAS bits 2..8, 0011011 (G.704 2.3.2). Starts 58..63 never match: the
// shifts bring in zeros where the pattern ends in 1.
inline uint64_t fas_windows(uint64_t w)
{
    return ~w & ~(w << 1) & (w << 2) & (w << 3) & ~(w << 4) & (w << 5) & (w << 6);
}

// Distances from the last bit of a FAS (bit 8 of TS0 in frame n): bit 2 of
// TS0 in frame n + 1 (256 - 8 + 2), the last FAS bit of frame n + 2, and
// back to bit 1 (Si) of the TS0 holding the FAS.
constexpr int64_t to_next_bit2 = 250;
constexpr int64_t to_next_fas = 512;
constexpr int64_t back_to_ts0 = 7;

// The AIS double frame period is two LOS clearing periods.
static_assert(E1Deframer::ais_period_bits == 2 * E1Deframer::los_clear_period_bits);

// Past this a zero run is simply "long"; keeps the counter from wrapping
// on a line that stays dark for hours.
constexpr uint32_t zero_run_cap = 1u << 30;

}  // namespace

E1Deframer::E1Deframer(bool crc4) : _crc4(crc4)
{
}

uint32_t E1Deframer::take_errored_smfs()
{
    uint32_t n = _errored_smfs;
    _errored_smfs = 0;
    return n;
}

void E1Deframer::set_alarm(uint32_t bit, uint64_t& events)
{
    if ((_alarms & bit) == 0) {
        _alarms |= bit;
        ++events;
    }
}

std::size_t E1Deframer::feed(const uint8_t* in, std::size_t n, uint8_t* frames_out, std::size_t max_frames)
{
    _out = frames_out;
    _out_room = frames_out != nullptr ? max_frames : 0;
    _out_count = 0;
    while (n > 0) {
        compact();
        const std::size_t take = std::min(n, buf_bytes - _len);
        std::memcpy(_buf + _len, in, take);
        monitor(in, take);
        _len += take;
        in += take;
        n -= take;
        process();
    }
    _out = nullptr;
    return _out_count;
}

// Drops the staged octets nothing will read again and rebases every bit
// position on the new start.
void E1Deframer::compact()
{
    int64_t need = _cursor;
    if (!_in_frame) {
        switch (_hunt) {
        case Hunt::search:
            need = _win_from;
            break;
        case Hunt::check_nfas:
            need = _cand_end + to_next_bit2;
            break;
        case Hunt::check_fas2:
            // Keeps Si, bit 1 of the TS0 that may align.
            need = _cand_end + to_next_fas - back_to_ts0;
            break;
        }
    }
    if (need < 8) {
        return;
    }
    const std::size_t drop = std::min(static_cast<std::size_t>(need >> 3), _len);
    std::memmove(_buf, _buf + drop, _len - drop);
    _len -= drop;
    const int64_t shift = static_cast<int64_t>(drop) * 8;
    _cursor -= shift;
    _win_from -= shift;
    _cand_end -= shift;
    _discard_from -= shift;
}

void E1Deframer::process()
{
    const int64_t end = static_cast<int64_t>(_len) * 8;
    for (;;) {
        if (!_in_frame && !hunt(end)) {
            return;
        }
        while (_in_frame) {
            if (_cursor + static_cast<int64_t>(e1_frame_bits) > end) {
                return;
            }
            const bool room = _out_count < _out_room;
            uint8_t* f = room ? _out + _out_count * e1_timeslots : _scratch;
            extract(_cursor, f);
            const Verdict v = on_frame(f);
            if (v == Verdict::lost_at_ts0) {
                // G.706 4.1.1: this frame is not in alignment any more; the
                // new search (4.1.2) starts at its first bit.
                lose_frame(_cursor);
                break;
            }
            if (room) {
                ++_out_count;
                ++_counters.frames;
            } else {
                ++_e1_counters.frames_dropped;
            }
            _cursor += e1_frame_bits;
            if (v == Verdict::lost_after) {
                lose_frame(_cursor);
                break;
            }
        }
    }
}

// Out of frame: G.706 4.1.2, one candidate at a time. Returns true once
// frame alignment is recovered (_cursor then points at the frame whose FAS
// completed the sequence), false when the staged bits are used up.
bool E1Deframer::hunt(int64_t end)
{
    for (;;) {
        switch (_hunt) {
        case Hunt::search: {
            // Step 1: the correct FAS for the first time, at any bit position.
            const int64_t last_start = end - 7;
            for (;;) {
                if (_win_from > last_start) {
                    _counters.bits_discarded += static_cast<uint64_t>(end - _discard_from);
                    _discard_from = end;
                    return false;
                }
                const int64_t span = std::min<int64_t>(57, last_start - _win_from);
                uint64_t m = fas_windows(bits64_at(_buf, _win_from));
                m &= ~uint64_t{0} << (63 - span);
                if (m != 0) {
                    _cand_end = _win_from + std::countl_zero(m) + 6;
                    _hunt = Hunt::check_nfas;
                    break;
                }
                _win_from += span + 1;
            }
            break;
        }
        case Hunt::check_nfas: {
            // Step 2: no FAS in the following frame, verified by bit 2 of its
            // TS0 being 1.
            const int64_t pos = _cand_end + to_next_bit2;
            if (pos >= end) {
                _counters.bits_discarded += static_cast<uint64_t>(end - _discard_from);
                _discard_from = end;
                return false;
            }
            if (bit_at(_buf, pos) != 0) {
                _hunt = Hunt::check_fas2;
            } else {
                // Not a frame alignment: search again from the next bit.
                _hunt = Hunt::search;
                _win_from = pos + 1;
            }
            break;
        }
        case Hunt::check_fas2: {
            // Step 3: the correct FAS for the second time, in the next frame.
            const int64_t last = _cand_end + to_next_fas;
            if (last >= end) {
                _counters.bits_discarded += static_cast<uint64_t>(end - _discard_from);
                _discard_from = end;
                return false;
            }
            if (bits7_at(_buf, last - 6) == e1_fas) {
                gain_frame(last - back_to_ts0);
                return true;
            }
            _hunt = Hunt::search;
            _win_from = last + 1;
            break;
        }
        }
    }
}

void E1Deframer::gain_frame(int64_t frame_start)
{
    // Bits before the frame that completed the search were never delivered;
    // those after it (already counted if the search spanned two feeds) are.
    _counters.bits_discarded += static_cast<uint64_t>(frame_start - _discard_from);
    _in_frame = true;
    _cursor = frame_start;
    clear_alarm(alarm_lof);
    // G.775: AIS is cleared "when the Frame Alignment Signal (FAS) has been found".
    clear_alarm(alarm_ais);
    _ais_low_run = 0;
    _fas_next = true;
    _bad_fas = 0;
    _bad_nfas = 0;
    _rai_run = 0;
    _mf_aligned = false;
    _mf_seen = false;
    _mf_sr = 0x3f;  // ones: no phantom 0s can complete 001011
    _mf_search_age = 0;
    _frames_aligned = 0;
    _crc_prev_valid = false;
    _smf_whole = false;
    _window_blocks = 0;
    _window_errored = 0;
}

void E1Deframer::lose_frame(int64_t search_from)
{
    _in_frame = false;
    set_alarm(alarm_lof, _counters.lof_events);
    // The A bit means nothing without frame alignment.
    clear_alarm(alarm_rai);
    // CRC-4 multiframe alignment goes with frame alignment; alarm_lomf keeps
    // its state (set by 4.3.2 or Annex B, cleared only by a new alignment).
    _mf_aligned = false;
    _hunt = Hunt::search;
    _win_from = search_from;
    _discard_from = search_from;
}

void E1Deframer::extract(int64_t pos, uint8_t* out) const
{
    const uint8_t* p = _buf + (pos >> 3);
    const unsigned sh = static_cast<unsigned>(pos & 7);
    if (sh == 0) {
        std::memcpy(out, p, e1_timeslots);
        return;
    }
    // Octets at a fixed bit offset: four 64-bit shifts, never bit by bit.
    for (unsigned k = 0; k < e1_timeslots; k += 8) {
        const uint64_t w = (load_be64(p + k) << sh) | (p[k + 8] >> (8 - sh));
        store_be64(out + k, w);
    }
}

E1Deframer::Verdict E1Deframer::on_frame(const uint8_t* f)
{
    const uint8_t ts0 = f[0];
    const bool fas_frame = _fas_next;
    _fas_next = !fas_frame;
    if (fas_frame) {
        const unsigned wrong = static_cast<unsigned>(std::popcount(static_cast<unsigned>((ts0 ^ e1_fas) & 0x7f)));
        if (wrong != 0) {
            _counters.framing_errors += wrong;
            // G.706 4.1.1: "three consecutive incorrect frame alignment signals".
            if (++_bad_fas >= lof_bad_fas) {
                return Verdict::lost_at_ts0;
            }
        } else {
            _bad_fas = 0;
        }
    } else {
        if ((ts0 & e1_nfas_bit2) == 0) {
            ++_counters.framing_errors;
            // G.706 4.1.1 (option): bit 2 of TS0 in frames without the FAS
            // received in error on 3 consecutive occasions.
            if (++_bad_nfas >= lof_bad_nfas) {
                return Verdict::lost_at_ts0;
            }
        } else {
            _bad_nfas = 0;
        }
        // G.704 2.3.2: A = 1 is a remote alarm; a change counts once it has
        // held for rai_persist NFAS frames in a row.
        const bool a = (ts0 & e1_nfas_a) != 0;
        if (a == ((_alarms & alarm_rai) != 0)) {
            _rai_run = 0;
        } else if (++_rai_run >= rai_persist) {
            _rai_run = 0;
            if (a) {
                set_alarm(alarm_rai, _counters.rai_events);
            } else {
                clear_alarm(alarm_rai);
            }
        }
    }
    if (_frames_aligned < mf_interwork_frames) {
        ++_frames_aligned;
    }
    if (!_crc4) {
        return Verdict::keep;
    }
    return on_crc4(f, ts0, fas_frame);
}

E1Deframer::Verdict E1Deframer::on_crc4(const uint8_t* f, uint8_t ts0, bool fas_frame)
{
    const unsigned si = ts0 >> 7;
    if (!_mf_aligned) {
        // G.706 4.2: the multiframe alignment signal 001011 is sought in bit 1
        // of NFAS frames only; alignment needs at least two valid signals
        // within 8 ms, 2 ms (16 frames) or a multiple of 2 ms apart.
        ++_mf_search_age;
        if (!fas_frame) {
            _mf_sr = static_cast<uint8_t>(((_mf_sr << 1) | si) & 0x3f);
            if (_mf_sr == e1_mfas) {
                // This NFAS frame is frame 11 of a multiframe.
                if (_mf_seen && (_mf_search_age - _mf_seen_at) % e1_mf_frames == 0) {
                    _mf_aligned = true;
                    _mf_pos = 12;
                    _smf_whole = false;
                    _crc_prev_valid = false;
                    _window_blocks = 0;
                    _window_errored = 0;
                    ++_e1_counters.mf_alignments;
                    clear_alarm(alarm_lomf);
                    return Verdict::keep;
                }
                _mf_seen = true;
                _mf_seen_at = _mf_search_age;
            }
        }
        if (_mf_search_age >= mf_search_frames) {
            // G.706 4.2 would now re-search basic frame alignment (a spurious
            // FAS); Annex B keeps the primary alignment while it looks. We keep
            // it and restart the 8 ms multiframe search in it.
            _mf_search_age = 0;
            _mf_seen = false;
            ++_e1_counters.mf_search_restarts;
        }
        if (_frames_aligned >= mf_interwork_frames) {
            // G.706 Annex B: no CRC-4 multiframe after 400 ms - the far end
            // does not send CRC-4. Stay in frame, say so, keep looking.
            set_alarm(alarm_lomf, _counters.lomf_events);
        }
        return Verdict::keep;
    }

    const unsigned pos = _mf_pos;
    _mf_pos = static_cast<uint8_t>((pos + 1) % e1_mf_frames);
    const unsigned k = pos % e1_smf_frames;
    if (k == 0) {
        _crc_acc = 0;
        _c_bits = 0;
        _smf_whole = true;
    }
    if (fas_frame) {
        // G.704 2.3.3.3: C1..C4 in the FAS frames of the SMF.
        _c_bits = static_cast<uint8_t>((_c_bits << 1) | si);
    } else if ((pos == 13 || pos == 15) && si == 0) {
        // G.704 2.3.3.4: an E bit at 0 is a block the far end received errored.
        ++_counters.far_end_errors;
    }
    // G.704 2.3.3.5.3: the receiver's CRC covers the SMF with its C bits at 0.
    const uint8_t ts0_for_crc = fas_frame ? static_cast<uint8_t>(ts0 & 0x7f) : ts0;
    _crc_acc = crc4_append_frame(_crc_acc, crc4_frame(ts0_for_crc, f));
    if (k != e1_smf_frames - 1) {
        return Verdict::keep;
    }

    Verdict v = Verdict::keep;
    if (_crc_prev_valid) {
        // G.704 2.3.3.5.3 / G.706 4.3.1: the C bits of SMF N carry the
        // remainder of SMF N-1; a mismatch means SMF N-1 was errored. (A
        // whole previous SMF implies a whole current one: alignment starts
        // at frame 12.)
        ++_e1_counters.crc_blocks;
        if ((_c_bits & 0x0f) != _crc_prev) {
            ++_counters.crc_errors;
            ++_errored_smfs;
            ++_window_errored;
        }
        if (++_window_blocks == false_alignment_blocks) {
            if (_window_errored >= false_alignment_errored) {
                // G.706 4.3.2: 915 or more errored CRC-4 blocks out of 1000
                // mean the frame alignment is false; search for it again.
                ++_e1_counters.false_alignments;
                set_alarm(alarm_lomf, _counters.lomf_events);
                v = Verdict::lost_after;
            }
            _window_blocks = 0;
            _window_errored = 0;
        }
    }
    _crc_prev = _crc_acc;
    _crc_prev_valid = _smf_whole;
    return v;
}

// G.775 LOS and AIS over the raw octets, in order, whatever the framing.
// The state lives in locals while the words go by: p may alias *this as far
// as the compiler knows, so member updates would cost a reload per word.
void E1Deframer::monitor(const uint8_t* p, std::size_t n)
{
    LineWatch s{_zero_run, _ais_zeros, _period_ones, (_alarms & alarm_los) != 0};
    uint32_t period_bits = _period_bits;
    while (n > 0) {
        bool dark;
        if (n >= 8 && los_clear_period_bits - period_bits >= 64) {
            dark = watch(s, load_be64(p), 64);
            p += 8;
            n -= 8;
            period_bits += 64;
        } else {
            dark = watch(s, static_cast<uint64_t>(*p) << 56, 8);
            ++p;
            --n;
            period_bits += 8;
        }
        if (dark) {
            // G.775: "no transitions ... for N consecutive pulse intervals".
            set_alarm(alarm_los, _counters.los_events);
        }
        if (period_bits == los_clear_period_bits) {
            _zero_run = s.zero_run;
            _ais_zeros = static_cast<uint8_t>(s.ais_zeros);
            _period_ones = s.ones;
            end_monitor_period();
            s = LineWatch{_zero_run, _ais_zeros, _period_ones, (_alarms & alarm_los) != 0};
            period_bits = 0;
        }
    }
    _zero_run = s.zero_run;
    _ais_zeros = static_cast<uint8_t>(s.ais_zeros);
    _period_ones = s.ones;
    _period_bits = period_bits;
}

// `bits` (64 or 8) received bits, MSB-aligned in w, the rest zero. Returns
// true when a zero run reaches los_zero_bits with LOS not yet raised.
bool E1Deframer::watch(LineWatch& s, uint64_t w, unsigned bits)
{
    bool dark;
    if (w != 0) {
        // Runs inside w are under 64 bits; only the one w ends can be long.
        dark = s.zero_run + static_cast<uint32_t>(std::countl_zero(w)) >= los_zero_bits;
        s.zero_run = static_cast<uint32_t>(std::countr_zero(w)) - (64 - bits);
    } else {
        s.zero_run = std::min(s.zero_run + bits, zero_run_cap);
        dark = s.zero_run >= los_zero_bits;
    }
    if (s.ais_zeros <= ais_max_zeros) {
        // Only "two or fewer" matters: count zeros up to three.
        uint64_t z = ~w & (~uint64_t{0} << (64 - bits));
        while (z != 0 && s.ais_zeros <= ais_max_zeros) {
            z &= z - 1;
            ++s.ais_zeros;
        }
    }
    dark = dark && !s.los;
    s.los = s.los || dark;
    if (s.los) {
        s.ones += static_cast<uint32_t>(std::popcount(w));
    }
    return dark;
}

void E1Deframer::end_monitor_period()
{
    // The line is back when the period had enough ones and is not dark at its end.
    if ((_alarms & alarm_los) != 0 && _period_ones >= los_clear_ones && _zero_run < los_zero_bits) {
        clear_alarm(alarm_los);
    }
    _period_ones = 0;
    _period_bits = 0;
    // Two 256-bit periods make one G.775 double frame period of 512 bits.
    if (_odd_period) {
        if (_ais_zeros <= ais_max_zeros) {
            _ais_high_run = 0;
            if (++_ais_low_run >= ais_periods) {
                _ais_low_run = ais_periods;
                set_alarm(alarm_ais, _counters.ais_events);
            }
        } else {
            _ais_low_run = 0;
            if (++_ais_high_run >= ais_periods) {
                _ais_high_run = ais_periods;
                clear_alarm(alarm_ais);
            }
        }
        _ais_zeros = 0;
    }
    _odd_period = !_odd_period;
}

}  // namespace trunkgw::tdm
