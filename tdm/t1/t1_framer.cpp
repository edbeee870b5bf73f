// T1 transmit framing; see t1_framer.h.
#include "tdm/t1/t1_framer.h"

#include "tdm/t1/crc6.h"

namespace trunkgw::tdm {

T1Framer::T1Framer(T1Framing f) : _framing(f)
{
}

unsigned T1Framer::next_f_bit()
{
    if (_framing == T1Framing::d4) {
        return t1_d4_f[_frame];
    }
    // G.704 2.1.3.1, Table 1 (frame numbers 1-based there, 0-based here).
    switch (_frame & 3) {
    case 3:  // frames 4, 8, ..., 24: FPS 001011
        return t1_esf_fps[_frame >> 2];
    case 1:  // frames 2, 6, ..., 22: e1..e6, the CRC-6 of the previous ESF
        return (_crc_sent >> (5 - (_frame >> 2))) & 1u;
    default: {  // odd frames: the 4 kbit/s data link
        uint16_t pattern = _yellow ? t1_esf_yellow_pattern : t1_esf_idle_pattern;
        unsigned bit = (pattern >> (15 - _fdl_bit)) & 1u;
        _fdl_bit = (_fdl_bit + 1) & 15;
        return bit;
    }
    }
}

bool T1Framer::build_frame(const uint8_t* ts, BitWriter& out)
{
    // All or nothing: the one call that writes the frame checks its room
    // first, so nothing else below may fail.
    if (out.bits() + t1_frame_bits > out.capacity_bits()) {
        return false;
    }
    unsigned f = next_f_bit();
    uint8_t oct[t1_timeslots];
    const uint8_t* send = ts;
    if (_framing == T1Framing::esf) {
        // G.704 2.1.3.1.2: the CRC-6 message block is the whole ESF (4632
        // bits) with every F bit taken as 1; its check bits go out in the
        // next ESF.
        if (_frame == 0) {
            _crc_reg = crc6_init;
        }
        uint8_t reg = crc6_bit(_crc_reg, 1);
        reg = crc6_append_words(reg, bytes::load_be64(ts), bytes::load_be64(ts + 8),
                                bytes::load_be64(ts + 16));
        _crc_reg = reg;
        if (_frame == 23) {
            _crc_sent = crc6_value(reg);
        }
    } else if (_yellow) {
        // D4 yellow alarm (T1.403; G.704 2.1.3.2 leaves the alarm to the
        // national standard): bit 2 of every channel octet forced to 0. Bit 1
        // is the MSB (G.704 2.1.1 numbering), so bit 2 is 0x40.
        for (std::size_t i = 0; i < t1_timeslots; ++i) {
            oct[i] = static_cast<uint8_t>(ts[i] & ~0x40u);
        }
        send = oct;
    }
    if (_ais) {
        // AIS is unframed all ones (G.775; T1.231): the F bit too.
        static constexpr uint8_t ones[t1_timeslots] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        f = 1;
        send = ones;
    }
    out.put_bit_octets(f, send, t1_timeslots);
    unsigned frames = _framing == T1Framing::esf ? 24 : 12;
    _frame = _frame + 1 == frames ? 0 : _frame + 1;
    return true;
}

}  // namespace trunkgw::tdm
