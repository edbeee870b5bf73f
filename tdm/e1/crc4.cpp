// CRC-4 reference; see crc4.h.
#include "tdm/e1/crc4.h"

namespace trunkgw::tdm {

uint8_t crc4_reference(const uint8_t* bits, std::size_t nbits)
{
    // G.704 2.3.3.5.1/2: the block multiplied by x^4 and divided (modulo 2)
    // by x^4 + x + 1. Shift the message and then four zero bits through a
    // 5-bit dividend; what is left is the remainder.
    uint32_t rem = 0;
    auto shift_in = [&rem](unsigned bit) {
        rem = (rem << 1) | bit;
        if ((rem & 0x10) != 0) {
            rem ^= 0x13;  // x^4 + x + 1
        }
    };
    for (std::size_t i = 0; i < nbits; ++i) {
        shift_in((bits[i >> 3] >> (7 - (i & 7))) & 1u);
    }
    for (int i = 0; i < 4; ++i) {
        shift_in(0);
    }
    return static_cast<uint8_t>(rem & 0x0f);
}

}  // namespace trunkgw::tdm
