// CRC-6 of the T1 extended superframe (G.704 2.1.3.1.2): generator
// x^6 + x + 1, no preset, no final inversion, the message taken MSB first
// and multiplied by x^6 before division, so the remainder's x^5 term is e1,
// the first check bit sent. The register is kept left-aligned in an octet
// (remainder << 2) so a whole received octet costs one table look-up.
//
// Two ways to run it:
// - crc6_octet(): the classic 256-entry table, one octet per look-up, each
//   look-up waiting for the one before (a 24-step chain per frame);
// - crc6_append_words(): a frame's 24 octets at once. x^6 + x + 1 is
//   primitive, so x^63 = 1 (mod G): the message can first be folded modulo
//   x^63 + 1 with shifts and XORs (bit e goes to bit e mod 63), and the
//   63-bit fold then costs 8 look-ups that do not depend on each other. The
//   register carried in is folded in too, so frames chain without a step.
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

// What is left of 2^63 - 1 bits: a polynomial modulo x^63 + 1.
inline constexpr uint64_t fold_mask = (uint64_t{1} << 63) - 1;

// v(x) mod (x^63 + 1) for any 64-bit v: x^63 folds onto x^0.
constexpr uint64_t fold(uint64_t v)
{
    return (v & fold_mask) ^ (v >> 63);
}

// v(x) * x^k mod (x^63 + 1), v < 2^63, 0 < k < 63.
constexpr uint64_t rotl63(uint64_t v, unsigned k)
{
    return ((v << k) | (v >> (63 - k))) & fold_mask;
}

using Table = std::array<uint8_t, 256>;

// fold_tables[j][b] = b(x) * x^(8j) * x^6 mod G, left-aligned: the
// contribution of byte j (bits 8j..8j+7) of a 63-bit fold.
constexpr std::array<Table, 8> make_fold_tables()
{
    std::array<Table, 8> t{};
    const Table base = make_table();  // b(x) * x^6 mod G
    for (unsigned j = 0; j < 8; ++j) {
        for (unsigned b = 0; b < 256; ++b) {
            uint8_t reg = base[b];
            for (unsigned i = 0; i < 8 * j; ++i) {
                reg = step_bit(reg, 0);  // times x
            }
            t[j][b] = reg;
        }
    }
    return t;
}

inline constexpr std::array<Table, 8> fold_tables = make_fold_tables();

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

// The register after 24 more octets, given as three big-endian words (the
// first octet in the top byte of w0): the same as 24 crc6_octet() calls.
// The message so far is M with reg = M(x) * x^6 mod G; the new one is
// M(x) * x^192 + W(x), and M(x) * x^192 * x^6 = reg(x) * x^192 = reg(x) *
// x^(192 - 6) * x^6 with 186 = 60 (mod 63).
inline uint8_t crc6_append_words(uint8_t reg, uint64_t w0, uint64_t w1, uint64_t w2)
{
    using crc6_detail::fold;
    using crc6_detail::fold_tables;
    using crc6_detail::rotl63;
    // W(x) = w0 x^128 + w1 x^64 + w2, and 128 = 2, 64 = 1 (mod 63).
    const uint64_t v = fold(w2) ^ rotl63(fold(w1), 1) ^ rotl63(fold(w0), 2) ^ rotl63(crc6_value(reg), 60);
    uint8_t r = 0;
#pragma GCC unroll 8
    for (unsigned j = 0; j < 8; ++j) {
        r = static_cast<uint8_t>(r ^ fold_tables[j][(v >> (8 * j)) & 0xff]);
    }
    return r;
}

// Bit-serial reference over `nbits` bits of an MSB-first buffer: the
// textbook long division, for tests to hold the table against.
uint8_t crc6_reference(const uint8_t* bits, std::size_t nbits);

}  // namespace trunkgw::tdm
