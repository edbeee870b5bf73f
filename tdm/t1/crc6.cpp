// CRC-6 reference; see crc6.h.
#include "tdm/t1/crc6.h"

namespace trunkgw::tdm {

uint8_t crc6_reference(const uint8_t* bits, std::size_t nbits)
{
    // G.704 2.1.3.1.2: the CMB multiplied by x^6 and divided (modulo 2) by
    // x^6 + x + 1. Shift the message and then six zero bits through a 7-bit
    // dividend; what is left is the remainder.
    uint32_t rem = 0;
    auto shift_in = [&rem](unsigned bit) {
        rem = (rem << 1) | bit;
        if ((rem & 0x40) != 0) {
            rem ^= 0x43;  // x^6 + x + 1
        }
    };
    for (std::size_t i = 0; i < nbits; ++i) {
        shift_in((bits[i >> 3] >> (7 - (i & 7))) & 1u);
    }
    for (int i = 0; i < 6; ++i) {
        shift_in(0);
    }
    return static_cast<uint8_t>(rem & 0x3f);
}

}  // namespace trunkgw::tdm
