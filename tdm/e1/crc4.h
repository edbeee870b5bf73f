// CRC-4 of the E1 CRC-4 multiframe (G.704 2.3.3.5): generator x^4 + x + 1,
// no preset, no final inversion; a sub-multiframe (SMF, 8 frames = 2048
// bits) taken MSB first, multiplied by x^4 and divided by the generator
// (2.3.3.5.2); the remainder's x^3 term is C1, the first check bit sent.
//
// Two ways to run it:
// - crc4_octet(): the classic 256-entry table, one octet per look-up, each
//   look-up waiting for the one before (a 32-step chain per frame);
// - crc4_frame() + crc4_append_frame(): one frame's remainder from
//   look-ups that do not depend on each other, then frames chained with one
//   shift. x^4 + x + 1 is primitive, so x^15 = 1 (mod G): an octet's
//   contribution depends only on its distance from the end of the block
//   modulo 15, and 15 tables of 256 entries cover every distance. A frame is
//   256 bits and 256 = 1 (mod 15), so appending a frame multiplies what came
//   before by x. Same result, no dependency chain: about 6 ns a frame
//   against 32 ns for the chain, what a thousand spans per core need.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace trunkgw::tdm {

namespace crc4_detail {

// r * x mod (x^4 + x + 1), r < 16.
constexpr uint8_t mul_x(uint8_t r)
{
    r = static_cast<uint8_t>(r << 1);
    return (r & 0x10) != 0 ? static_cast<uint8_t>(r ^ 0x13) : r;
}

// b(x) * x^(4 + e) mod G: an octet b followed by e zero bits, times x^4.
constexpr uint8_t octet_times_x(uint8_t b, unsigned e)
{
    uint8_t r = 0;
    for (int i = 7; i >= 0; --i) {
        r = static_cast<uint8_t>(mul_x(r) ^ ((b >> i) & 1u));
    }
    for (unsigned i = 0; i < 4 + e; ++i) {
        r = mul_x(r);
    }
    return r;
}

using Table = std::array<uint8_t, 256>;

constexpr Table make_table(unsigned e)
{
    Table t{};
    for (unsigned b = 0; b < 256; ++b) {
        t[b] = octet_times_x(static_cast<uint8_t>(b), e);
    }
    return t;
}

constexpr std::array<Table, 15> make_distance_tables()
{
    std::array<Table, 15> t{};
    for (unsigned e = 0; e < 15; ++e) {
        t[e] = make_table(e);
    }
    return t;
}

// Octet i of a 32-octet frame is followed by 8 * (31 - i) bits.
constexpr std::array<uint8_t, 32> make_frame_distance()
{
    std::array<uint8_t, 32> d{};
    for (unsigned i = 0; i < 32; ++i) {
        d[i] = static_cast<uint8_t>((8 * (31 - i)) % 15);
    }
    return d;
}

inline constexpr std::array<Table, 15> distance_tables = make_distance_tables();
inline constexpr std::array<uint8_t, 32> frame_distance = make_frame_distance();

}  // namespace crc4_detail

// table[b] = b(x) * x^4 mod G.
inline constexpr crc4_detail::Table crc4_table = crc4_detail::make_table(0);

// Chained form: reg is the CRC-4 of the octets so far (0 for none).
inline uint8_t crc4_octet(uint8_t reg, uint8_t octet)
{
    return crc4_table[static_cast<uint8_t>((reg << 4) ^ octet)];
}

// The CRC-4 of one frame given as four big-endian words (octet 0 in the
// top byte of w0): the look-up is linear (T[a] ^ T[b] = T[a ^ b]) and
// octets 15 apart share a table, so octets j, j + 15 and j + 30 are XORed
// in registers first: 15 look-ups. Word-aligned loads keep a frame just
// stored by 64-bit words readable without a store-forwarding stall.
inline uint8_t crc4_frame_words(uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3)
{
    using crc4_detail::distance_tables;
    using crc4_detail::frame_distance;
    // Octets 0..7 ^ 15..22 ^ (30, 31), octet 0 in the top byte.
    const uint64_t lo = w0 ^ ((w1 << 56) | (w2 >> 8)) ^ (w3 << 48);
    // Octets 7..14 ^ 22..29; the top byte repeats lo's last and is skipped.
    const uint64_t hi = ((w0 << 56) | (w1 >> 8)) ^ ((w2 << 48) | (w3 >> 16));
    uint8_t r = 0;
#pragma GCC unroll 8
    for (unsigned j = 0; j < 8; ++j) {
        r = static_cast<uint8_t>(r ^ distance_tables[frame_distance[j]][(lo >> (56 - 8 * j)) & 0xff]);
    }
#pragma GCC unroll 8
    for (unsigned j = 1; j < 8; ++j) {
        r = static_cast<uint8_t>(r ^ distance_tables[frame_distance[7 + j]][(hi >> (56 - 8 * j)) & 0xff]);
    }
    return r;
}

namespace crc4_detail {

inline uint64_t load_be64(const uint8_t* p)
{
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    if constexpr (std::endian::native == std::endian::little) {
        v = __builtin_bswap64(v);
    }
    return v;
}

}  // namespace crc4_detail

// The CRC-4 of one 32-octet frame alone, with `ts0` standing in for
// frame[0] (the receiver and transmitter pass TS0 with the C bit cleared,
// G.704 2.3.3.5.2).
inline uint8_t crc4_frame(uint8_t ts0, const uint8_t* frame)
{
    using crc4_detail::load_be64;
    const uint64_t w0 = (load_be64(frame) & 0x00ffffffffffffffu) | (static_cast<uint64_t>(ts0) << 56);
    return crc4_frame_words(w0, load_be64(frame + 8), load_be64(frame + 16), load_be64(frame + 24));
}

// CRC-4 of (block so far || frame), given crc4(block so far) and
// crc4_frame(frame): x^256 = x (mod G).
constexpr uint8_t crc4_append_frame(uint8_t block_crc, uint8_t frame_crc)
{
    return static_cast<uint8_t>(crc4_detail::mul_x(block_crc) ^ frame_crc);
}

// Bit-serial long division over `nbits` bits of an MSB-first buffer: the
// textbook definition, for tests to hold the tables against.
uint8_t crc4_reference(const uint8_t* bits, std::size_t nbits);

}  // namespace trunkgw::tdm
