// T1 receive framing; see t1_deframer.h.
#include "tdm/t1/t1_deframer.h"

#include <array>
#include <bit>
#include <cstring>

#include "tdm/t1/crc6.h"

namespace trunkgw::tdm {

namespace {

constexpr unsigned esf_frames = 24;
constexpr unsigned d4_frames = 12;

// Hunting compares a candidate position's F-bit history (newest bit in bit
// 0) with the multiframe pattern in each phase. Phase k means the newest bit
// is FPS number k (ESF: frame 4k + 4, 1-based) or the F bit of frame k + 1
// (D4).
constexpr uint64_t history_for(const uint8_t* pattern, unsigned period, unsigned k, unsigned bits)
{
    uint64_t h = 0;
    for (unsigned j = 0; j < bits; ++j) {
        unsigned idx = (k + period * bits - j) % period;
        h |= static_cast<uint64_t>(pattern[idx]) << j;
    }
    return h;
}

constexpr unsigned esf_hist_bits = T1Deframer::esf_align_fps_bits;
constexpr unsigned d4_hist_bits = T1Deframer::d4_align_f_bits;
static_assert(esf_hist_bits <= 64 && d4_hist_bits <= 64, "one uint64_t of history per candidate");
constexpr uint64_t esf_hist_mask = esf_hist_bits == 64 ? ~0ull : (1ull << esf_hist_bits) - 1;
constexpr uint64_t d4_hist_mask = d4_hist_bits == 64 ? ~0ull : (1ull << d4_hist_bits) - 1;

struct PhaseTables {
    // The 6 (ESF) or 12 (D4) phases differ already in their newest 6 or 12
    // bits (001011 and 100011011100 are primitive), so one look-up on those
    // names the only phase worth a full compare.
    std::array<int8_t, 64> esf_lut{};
    std::array<uint64_t, 6> esf_expect{};
    std::array<int8_t, 4096> d4_lut{};
    std::array<uint64_t, 12> d4_expect{};
};

constexpr PhaseTables make_phase_tables()
{
    PhaseTables t{};
    for (auto& v : t.esf_lut) {
        v = -1;
    }
    for (auto& v : t.d4_lut) {
        v = -1;
    }
    for (unsigned k = 0; k < 6; ++k) {
        t.esf_expect[k] = history_for(t1_esf_fps, 6, k, esf_hist_bits);
        t.esf_lut[history_for(t1_esf_fps, 6, k, 6)] = static_cast<int8_t>(k);
    }
    for (unsigned k = 0; k < 12; ++k) {
        t.d4_expect[k] = history_for(t1_d4_f, 12, k, d4_hist_bits);
        t.d4_lut[history_for(t1_d4_f, 12, k, 12)] = static_cast<int8_t>(k);
    }
    return t;
}

constexpr PhaseTables phase_tables = make_phase_tables();

}  // namespace

T1Deframer::T1Deframer(T1Framing f) : _framing(f)
{
    reset_hunt();
}

uint32_t T1Deframer::alarms() const
{
    uint32_t a = 0;
    if (_los) {
        a |= alarm_los;
    }
    if (!_in_frame) {
        a |= alarm_lof;
    }
    if (_ais) {
        a |= alarm_ais;
    }
    if (_rai) {
        a |= alarm_rai;
    }
    return a;
}

std::size_t T1Deframer::feed(const uint8_t* in, std::size_t n, uint8_t* frames_out, std::size_t max_frames)
{
    Sink sink{frames_out, max_frames, 0};
    // LOS looks at pulses only, whatever the framing does.
    los_scan(in, n);
    if (_framing == T1Framing::esf) {
        run<T1Framing::esf>(in, n, sink);
    } else {
        run<T1Framing::d4>(in, n, sink);
    }
    return sink.count;
}

template <T1Framing F>
void T1Deframer::run(const uint8_t* in, std::size_t n, Sink& sink)
{
    // A frame needs at most 25 input octets: 24 plus one if no bit of the
    // next octet is already in _acc for the F bit.
    constexpr std::size_t whole_frame_octets = t1_timeslots + 1;
    std::size_t i = 0;
    while (i < n) {
        if (!_in_frame) {
            i = hunt<F>(in, i, n);
            continue;
        }
        if (_slot >= 0 || n - i < whole_frame_octets) {
            slow_octet<F>(in[i++], sink);
            continue;
        }
        // Fast path: a whole frame from the input at a fixed bit shift.
        uint32_t acc = _acc;
        unsigned k = _acc_bits;
        if (k == 0) {
            acc = in[i++];
            k = 8;
        }
        --k;
        if (!f_bit<F>((acc >> k) & 1u)) {
            hunt_bits<F>(acc, k);
            continue;
        }
        // k bits of the first timeslot are in acc; the next 24 input octets
        // hold the other 192 - k and k bits of the next frame. Three words
        // shifted left by k are the frame (k = 0 shifts the lead bits out).
        bool direct = sink.count < sink.max;
        uint8_t* dst = direct ? sink.out + sink.count * t1_timeslots : _frame_buf;
        const uint64_t lead = acc & ((1u << k) - 1);
        const uint64_t q0 = bytes::load_be64(in + i);
        const uint64_t q1 = bytes::load_be64(in + i + 8);
        const uint64_t q2 = bytes::load_be64(in + i + 16);
        const uint64_t w0 = ((lead << (63 - k)) << 1) | (q0 >> k);
        const uint64_t w1 = ((q0 << (63 - k)) << 1) | (q1 >> k);
        const uint64_t w2 = ((q1 << (63 - k)) << 1) | (q2 >> k);
        bytes::store_be64(dst, w0);
        bytes::store_be64(dst + 8, w1);
        bytes::store_be64(dst + 16, w2);
        i += t1_timeslots;
        uint8_t reg = _crc_reg;
        unsigned ones = 0;
        if constexpr (F == T1Framing::esf) {
            reg = crc6_append_words(reg, w0, w1, w2);
        } else {
            // Bit 2 (0x40) of each octet, summed a byte lane at a time.
            constexpr uint64_t lanes = 0x0101010101010101u;
            const uint64_t b2 = ((w0 >> 6) & lanes) + ((w1 >> 6) & lanes) + ((w2 >> 6) & lanes);
            ones = static_cast<unsigned>((b2 * lanes) >> 56);
        }
        _acc = static_cast<uint32_t>(q2 & ((1u << k) - 1));
        _acc_bits = k;
        frame_done<F>(reg, ones, sink, direct);
    }
}

template <T1Framing F>
void T1Deframer::slow_octet(uint8_t b, Sink& sink)
{
    _acc = (_acc << 8) | b;
    _acc_bits += 8;
    for (;;) {
        if (_slot < 0) {
            if (_acc_bits == 0) {
                break;
            }
            --_acc_bits;
            if (!f_bit<F>((_acc >> _acc_bits) & 1u)) {
                hunt_bits<F>(_acc, _acc_bits);
                return;
            }
            _slot = 0;
            _bit2_ones = 0;
            continue;
        }
        if (_acc_bits < 8) {
            break;
        }
        _acc_bits -= 8;
        uint8_t o = static_cast<uint8_t>(_acc >> _acc_bits);
        _frame_buf[_slot++] = o;
        if constexpr (F == T1Framing::esf) {
            _crc_reg = crc6_octet(_crc_reg, o);
        } else {
            _bit2_ones += (o >> 6) & 1u;
        }
        if (_slot == static_cast<int>(t1_timeslots)) {
            frame_done<F>(_crc_reg, _bit2_ones, sink, false);
        }
    }
    _acc &= (1u << _acc_bits) - 1;
}

template <T1Framing F>
void T1Deframer::frame_done(uint8_t crc_reg, unsigned bit2_ones, Sink& sink, bool in_sink)
{
    if (in_sink) {
        ++sink.count;
        ++_counters.frames;
    } else if (sink.count < sink.max) {
        std::memcpy(sink.out + sink.count * t1_timeslots, _frame_buf, t1_timeslots);
        ++sink.count;
        ++_counters.frames;
    } else {
        ++_frames_dropped;
    }
    _slot = -1;
    if constexpr (F == T1Framing::esf) {
        _crc_reg = crc_reg;
        if (_frame == esf_frames - 1) {
            // One CMB complete (G.704 2.1.3.1.2): its check bits arrive in
            // the next ESF. Only a CMB received whole in frame is checked.
            _crc_prev = crc6_value(crc_reg);
            _crc_prev_valid = _crc_cur_valid;
            _crc_cur_valid = true;
        }
        _frame = _frame + 1 == esf_frames ? 0 : _frame + 1;
    } else {
        // D4 yellow (T1.403): bit 2 of every channel 0. Voice and data can
        // hold bit 2 at 0 in every channel for a while (a counting pattern
        // does for 40 frames in 256), hence the long integration.
        _d4y_ones += bit2_ones;
        if (++_d4y_frames == d4_yellow_window_frames) {
            if (_d4y_ones <= d4_yellow_max_ones) {
                _d4y_clear_windows = 0;
                if (++_d4y_yellow_windows >= d4_yellow_set_windows) {
                    set_rai(true);
                }
            } else {
                _d4y_yellow_windows = 0;
                if (++_d4y_clear_windows >= d4_yellow_clear_windows) {
                    set_rai(false);
                }
            }
            _d4y_frames = 0;
            _d4y_ones = 0;
        }
        _frame = _frame + 1 == d4_frames ? 0 : _frame + 1;
    }
}

template <T1Framing F>
bool T1Deframer::f_bit(unsigned f)
{
    if constexpr (F == T1Framing::esf) {
        // G.704 2.1.3.1.2: the CMB is the ESF with its F bits replaced by 1.
        if (_frame == 0) {
            _crc_reg = crc6_init;
        }
        _crc_reg = crc6_bit(_crc_reg, 1);
        switch (_frame & 3) {
        case 3: {
            // FPS (G.704 2.1.3.1, Table 1). G.706 2.1.1: frame alignment is
            // lost when 2 of 4 consecutive frame alignment bits are wrong.
            unsigned err = f != t1_esf_fps[_frame >> 2] ? 1u : 0u;
            _counters.framing_errors += err;
            _f_errors = ((_f_errors << 1) | err) & 0xfu;
            if (std::popcount(_f_errors) >= 2) {
                lose_frame();
                return false;
            }
            break;
        }
        case 1:
            // e1..e6 in frames 2, 6, ..., 22 carry the previous CMB's CRC-6
            // (G.704 2.1.3.1.2); G.706 2.2.1 counts each mismatch.
            _crc_rx = static_cast<uint8_t>((_crc_rx << 1) | f);
            if (_frame == 21 && _crc_prev_valid && (_crc_rx & 0x3fu) != _crc_prev) {
                ++_counters.crc_errors;
            }
            break;
        default:
            fdl_bit(f);
            break;
        }
    } else {
        // G.704 2.1.3.2: Ft in odd frames, Fs in even ones. Every wrong F bit
        // is counted; only Ft decides loss (G.706 2.1.1: 2 of 4 consecutive
        // frame alignment bits), Fs only locates the superframe.
        unsigned err = f != t1_d4_f[_frame] ? 1u : 0u;
        _counters.framing_errors += err;
        if ((_frame & 1) == 0) {
            _f_errors = ((_f_errors << 1) | err) & 0xfu;
            if (std::popcount(_f_errors) >= 2) {
                lose_frame();
                return false;
            }
        }
    }
    return true;
}

template <T1Framing F>
std::size_t T1Deframer::hunt(const uint8_t* in, std::size_t i, std::size_t n)
{
    for (; i < n; ++i) {
        uint8_t b = in[i];
        ais_octet(b);
        _counters.bits_discarded += 8;
        for (int k = 7; k >= 0; --k) {
            if (hunt_bit<F>((b >> k) & 1u)) {
                // The k bits after the aligning F bit start TS1.
                _counters.bits_discarded -= static_cast<unsigned>(k);
                _acc = b & ((1u << k) - 1);
                _acc_bits = static_cast<unsigned>(k);
                return i + 1;
            }
        }
    }
    return n;
}

template <T1Framing F>
void T1Deframer::hunt_bits(uint32_t bits, unsigned n)
{
    // What was left of the octet in which alignment was lost. A fresh hunt
    // cannot align within 7 bits, but keep the bookkeeping honest anyway.
    _counters.bits_discarded += n;
    for (unsigned k = n; k-- > 0;) {
        if (hunt_bit<F>((bits >> k) & 1u)) {
            _counters.bits_discarded -= k;
            _acc = bits & ((1u << k) - 1);
            _acc_bits = k;
            return;
        }
    }
    _acc = 0;
    _acc_bits = 0;
}

template <T1Framing F>
bool T1Deframer::hunt_bit(unsigned bit)
{
    // G.706 2.1.2: alignment is recovered once the frame alignment signal is
    // found; every one of the 193 candidate positions is tracked at once and
    // a candidate must show the pattern for esf_align_fps_bits FPS bits
    // (ESF) or d4_align_f_bits F bits (D4) before it is believed. With a
    // random payload a 24-bit FPS match is false once in about 2.8e6
    // candidate tests (6 phases x 2^-24), about once per 1.8 s of random
    // data; the CRC-6 check then rejects it (63 times in 64).
    unsigned pos = _hunt_pos;
    int phase = -1;
    if constexpr (F == T1Framing::esf) {
        uint64_t& h = _hunt[pos][_hunt_windows & 3];
        h = (h << 1) | bit;
        // The history of phase (_hunt_windows & 3) holds _hunt_windows/4 + 1 bits.
        if (_hunt_windows >= 4 * (esf_hist_bits - 1)) {
            phase = phase_tables.esf_lut[h & 0x3f];
            if (phase >= 0 && (h & esf_hist_mask) != phase_tables.esf_expect[phase]) {
                phase = -1;
            }
        }
    } else {
        uint64_t& h = _hunt[pos][0];
        h = (h << 1) | bit;
        if (_hunt_windows >= d4_hist_bits - 1) {
            phase = phase_tables.d4_lut[h & 0xfff];
            if (phase >= 0 && (h & d4_hist_mask) != phase_tables.d4_expect[phase]) {
                phase = -1;
            }
        }
    }
    if (++_hunt_pos == frame_bits) {
        _hunt_pos = 0;
        ++_hunt_windows;
    }
    if constexpr (F == T1Framing::esf) {
        if (_n_candidates == 0 && phase < 0) {
            return false;
        }
        return esf_candidates(pos, bit, phase);
    } else {
        // D4 has no CRC: 48 F bits are all the evidence there is.
        if (phase < 0) {
            return false;
        }
        enter_frame(static_cast<unsigned>(phase));
        return true;
    }
}

bool T1Deframer::esf_candidates(unsigned pos, unsigned bit, int phase)
{
    for (unsigned i = 0; i < _n_candidates;) {
        Candidate& c = _candidates[i];
        if (c.pos != pos) {
            c.crc_reg = crc6_bit(c.crc_reg, bit);
            ++i;
            continue;
        }
        // The candidate's F bit: the same bookkeeping f_bit() does in frame.
        c.frame = c.frame + 1 == esf_frames ? 0 : c.frame + 1;
        if (c.frame == 0) {
            c.crc_prev = crc6_value(c.crc_reg);
            c.prev_valid = c.cur_valid;
            c.cur_valid = true;
            c.crc_reg = crc6_init;
        }
        c.crc_reg = crc6_bit(c.crc_reg, 1);
        bool drop = false;
        if ((c.frame & 3) == 3) {
            drop = bit != t1_esf_fps[c.frame >> 2];
        } else if ((c.frame & 3) == 1) {
            c.e_rx = static_cast<uint8_t>((c.e_rx << 1) | bit);
            if (c.frame == 21 && c.prev_valid) {
                bool pass = (c.e_rx & 0x3fu) == c.crc_prev;
                if (!pass && c.pos == _reject_pos && _reject_count + 1 >= esf_crc_rejects_before_accept) {
                    pass = true;
                }
                if (pass) {
                    Candidate won = c;
                    enter_frame(won.frame);
                    // Carry the CRC-6 state on: this ESF's check is done,
                    // the next one continues from the candidate's register.
                    _crc_reg = won.crc_reg;
                    _crc_prev = won.crc_prev;
                    _crc_rx = won.e_rx;
                    _crc_cur_valid = won.cur_valid;
                    _crc_prev_valid = true;
                    return true;
                }
                // A false alignment (or errors): forget the position's history
                // so it has to show 24 FPS bits again.
                ++_candidates_rejected;
                _reject_count = c.pos == _reject_pos ? _reject_count + 1 : 1;
                _reject_pos = c.pos;
                std::memset(_hunt[c.pos], 0, sizeof(_hunt[c.pos]));
                drop = true;
            }
        }
        if (drop) {
            c = _candidates[--_n_candidates];
            continue;
        }
        ++i;
    }
    if (phase < 0 || _n_candidates == esf_max_candidates) {
        return false;
    }
    for (unsigned i = 0; i < _n_candidates; ++i) {
        if (_candidates[i].pos == pos) {
            return false;  // already under check; its FPS just matched again
        }
    }
    // This bit is FPS number `phase`: the F bit of frame 4 * phase + 4.
    _candidates[_n_candidates++] = Candidate{pos, 4 * static_cast<unsigned>(phase) + 3, crc6_init, 0, 0, false, false};
    return false;
}

void T1Deframer::enter_frame(unsigned frame_index)
{
    // The F bit of frame `frame_index` has just been taken; TS1 follows.
    _in_frame = true;
    _frame = frame_index;
    _slot = 0;
    _f_errors = 0;
    _crc_reg = crc6_init;
    _crc_rx = 0;
    _crc_cur_valid = false;  // this ESF began before alignment
    _crc_prev_valid = false;
    _bit2_ones = 0;
    _fdl_reg = 0;
    _fdl_since = 0;
    _fdl_good = 0;
    _d4y_frames = 0;
    _d4y_ones = 0;
    _d4y_yellow_windows = 0;
    _d4y_clear_windows = 0;
    // A framed signal is not AIS (AIS is unframed by definition).
    _ais = false;
    _ais_octets = 0;
    _ais_zeros = 0;
    _n_candidates = 0;
}

void T1Deframer::lose_frame()
{
    _in_frame = false;
    ++_counters.lof_events;
    // Yellow is carried by the framing; without it there is nothing to see.
    _rai = false;
    _slot = -1;
    reset_hunt();
    _ais_octets = 0;
    _ais_zeros = 0;
}

void T1Deframer::reset_hunt()
{
    std::memset(_hunt, 0, sizeof(_hunt));
    _hunt_pos = 0;
    _hunt_windows = 0;
    _n_candidates = 0;
    // Positions are relative to where the hunt began: a new hunt, new names.
    _reject_pos = frame_bits;
    _reject_count = 0;
}

void T1Deframer::set_rai(bool on)
{
    if (on && !_rai) {
        ++_counters.rai_events;
    }
    _rai = on;
}

void T1Deframer::fdl_bit(unsigned bit)
{
    // T1.403 ESF yellow alarm: 1111111100000000 repeated in the FDL. The
    // pattern cannot match itself at a shift of 1..15 bits, so a match marks
    // a codeword boundary; 16 FDL bits without one are a bad codeword.
    _fdl_reg = (_fdl_reg << 1) | bit;
    ++_fdl_since;
    unsigned good;
    if ((_fdl_reg & 0xffffu) == t1_esf_yellow_pattern) {
        good = 1;
    } else if (_fdl_since == 16) {
        good = 0;
    } else {
        return;
    }
    _fdl_since = 0;
    _fdl_good = static_cast<uint16_t>((_fdl_good << 1) | good);
    int n = std::popcount(_fdl_good);
    if (n == static_cast<int>(esf_yellow_codewords)) {
        set_rai(true);
    } else if (n <= static_cast<int>(esf_yellow_codewords) - 2) {
        set_rai(false);
    }
}

void T1Deframer::los_scan(const uint8_t* in, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i) {
        // Eight octets at a time while no octet is zero and the run carried
        // in is too short to reach 175 with the next octet's leading zeros:
        // then only the last octet's trailing zeros matter.
        if (!_los && _zero_run + 7 < los_zero_bits && n - i >= 8) {
            uint64_t w;
            std::memcpy(&w, in + i, sizeof(w));
            constexpr uint64_t ones = 0x0101010101010101ull;
            if (((w - ones) & ~w & (ones << 7)) == 0) {
                _zero_run = static_cast<unsigned>(std::countr_zero(in[i + 7]));
                i += 7;
                continue;
            }
        }
        uint8_t b = in[i];
        if (!_los) {
            // T1.231: LOS is 175 +/- 75 contiguous bit periods without a
            // pulse; we take the nominal 175. Legal AMI signals have at most
            // 15 zeros in a row; B8ZS clear-channel zeros come back as zeros
            // here, so a framed all-zero payload also trips it (a line
            // driver that sees real pulses should say so instead).
            if (b == 0) {
                _zero_run += 8;
            } else {
                _zero_run += static_cast<unsigned>(std::countl_zero(b));
            }
            if (_zero_run >= los_zero_bits) {
                _los = true;
                ++_counters.los_events;
                _los_clear_octets = 0;
                _los_clear_ones = 0;
                _zero_run = 0;
                continue;
            }
            if (b != 0) {
                _zero_run = static_cast<unsigned>(std::countr_zero(b));
            }
            continue;
        }
        // T1.231: LOS ends on >= 12.5% pulse density over 175 +/- 75 bits
        // starting with a pulse: a 22-octet window from an octet with one.
        if (_los_clear_octets == 0 && b == 0) {
            continue;
        }
        _los_clear_ones += static_cast<unsigned>(std::popcount(b));
        if (++_los_clear_octets == los_clear_octets) {
            if (_los_clear_ones >= los_clear_ones) {
                _los = false;
                _zero_run = static_cast<unsigned>(std::countr_zero(b));
            }
            _los_clear_octets = 0;
            _los_clear_ones = 0;
        }
    }
}

void T1Deframer::ais_octet(uint8_t b)
{
    // Only called while out of frame: AIS is an unframed all-ones signal
    // (T1.231: >= 99.9% ones, no framing). A framed all-ones signal keeps
    // at least the FPS/Ft zeros and is never taken for AIS.
    _ais_zeros += 8u - static_cast<unsigned>(std::popcount(b));
    if (++_ais_octets == ais_window_octets) {
        bool ais = _ais_zeros <= ais_max_zeros;
        if (ais && !_ais) {
            ++_counters.ais_events;
        }
        _ais = ais;
        _ais_octets = 0;
        _ais_zeros = 0;
    }
}

}  // namespace trunkgw::tdm
