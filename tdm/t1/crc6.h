// CRC-6 of the T1 extended superframe (G.704 2.1.3.1.2): generator
// x^6 + x + 1, no preset, no final inversion, the message taken MSB first
// and multiplied by x^6 before division, so the remainder's x^5 term is e1,
// the first check bit sent. The register is kept left-aligned in an octet
// (remainder << 2) so a whole received octet costs one table look-up.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace trunkgw::tdm {

namespace crc6_detail {

// x^6 + x + 1 without the x^6 term (0b000011), left-aligned in 8 bits.
inline constexpr uint8_t poly_left = 0x03 << 2;

constexpr uint8_t step_bit(uint8_t reg, unsigned bit)
{
    reg = static_cast<uint8_t>(reg ^ (bit << 7));
    bool carry = (reg & 0x80) != 0;
    reg = static_cast<uint8_t>(reg << 1);
    return carry ? static_cast<uint8_t>(reg ^ poly_left) : reg;
}

constexpr std::array<uint8_t, 256> make_table()
{
    std::array<uint8_t, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
        uint8_t reg = static_cast<uint8_t>(i);
        for (int b = 0; b < 8; ++b) {
            reg = step_bit(reg, 0);
        }
        t[i] = reg;
    }
    return t;
}

}  // namespace crc6_detail

inline constexpr std::array<uint8_t, 256> crc6_table = crc6_detail::make_table();

// A CRC-6 register in its left-aligned form; start each CRC-6 message block
// (CMB) from crc6_init.
inline constexpr uint8_t crc6_init = 0;

inline uint8_t crc6_octet(uint8_t reg, uint8_t octet)
{
    return crc6_table[reg ^ octet];
}
constexpr uint8_t crc6_bit(uint8_t reg, unsigned bit)
{
    return crc6_detail::step_bit(reg, bit & 1u);
}
// The six check bits e1..e6, e1 in bit 5.
constexpr uint8_t crc6_value(uint8_t reg)
{
    return static_cast<uint8_t>(reg >> 2);
}

// Bit-serial reference over `nbits` bits of an MSB-first buffer: the
// textbook long division, for tests to hold the table against.
uint8_t crc6_reference(const uint8_t* bits, std::size_t nbits);

}  // namespace trunkgw::tdm
