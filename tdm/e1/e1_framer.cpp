// E1 transmit side; see e1_framer.h.
#include "tdm/e1/e1_framer.h"

#include <cstring>

#include "tdm/e1/crc4.h"

namespace trunkgw::tdm {

E1Framer::E1Framer(bool crc4) : _crc4(crc4)
{
}

void E1Framer::report_remote_crc_errors(uint32_t n)
{
    _e_pending = n >= max_pending_e_bits - _e_pending ? max_pending_e_bits : _e_pending + n;
}

uint8_t E1Framer::next_ts0()
{
    const bool fas_frame = (_frame & 1) == 0;
    unsigned si = 1;
    if (_crc4) {
        if (fas_frame) {
            // G.704 2.3.3.3: C1..C4 in frames 0, 2, 4, 6 of each SMF, C1 (the
            // x^3 term of the previous SMF's remainder) first.
            unsigned k = (_frame & 7) >> 1;
            si = (_crc_sent >> (3 - k)) & 1u;
        } else if (_frame == 13 || _frame == 15) {
            // G.704 2.3.3.4: one E bit at 0 per errored SMF reported.
            si = 1;
            if (_e_pending > 0) {
                si = 0;
                --_e_pending;
            }
        } else {
            // G.704 2.3.3.2: multiframe alignment signal 001011.
            si = e1_mf_si[_frame >> 1];
        }
    }
    if (fas_frame) {
        return static_cast<uint8_t>((si << 7) | e1_fas);
    }
    return static_cast<uint8_t>((si << 7) | e1_nfas_bit2 | (_rai ? e1_nfas_a : 0) | _sa);
}

void E1Framer::build_frame(const uint8_t* ts, uint8_t* out)
{
    if (_ais) {
        std::memset(out, 0xff, e1_timeslots);
        // The SMF on the line is not ours: start the next one afresh.
        _crc_acc = 0;
        _frame = (_frame + 1) % e1_mf_frames;
        return;
    }
    const uint8_t ts0 = next_ts0();
    if (_crc4) {
        // G.704 2.3.3.5.2: the C bits count as 0 in the SMF they travel in.
        // Read from ts, not from out just written, and before out is written
        // in case they are the same buffer.
        const bool fas_frame = (_frame & 1) == 0;
        const uint8_t ts0_for_crc = fas_frame ? static_cast<uint8_t>(ts0 & 0x7f) : ts0;
        _crc_acc = crc4_append_frame(_crc_acc, crc4_frame(ts0_for_crc, ts));
        if ((_frame & 7) == 7) {
            // G.704 2.3.3.5.2: the CRC-4 of SMF N is sent in SMF N+1.
            _crc_sent = _crc_acc;
            _crc_acc = 0;
        }
    }
    // All 32 octets (a fixed size the compiler inlines), then TS0 over ts[0].
    std::memmove(out, ts, e1_timeslots);
    out[0] = ts0;
    _frame = (_frame + 1) % e1_mf_frames;
}

}  // namespace trunkgw::tdm
