// G.711 codecs and A-law <-> u-law conversion as look-up tables built at compile
// time from the quantizing rules of G.711 Tables 1 and 2 (in the form G.191's
// g711.c computes them) and from G.711 Tables 3 and 4.
#include "tdm/g711/g711.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <array>
#include <bit>
#include <cstring>

namespace trunkgw::tdm::g711 {
namespace {

// --- A-law, G.711 Table 1a/1b -------------------------------------------------

// Segment and step of a magnitude on the 12-bit A-law scale (0..2047, i.e. the
// 16-bit magnitude >> 4). Segments 0 and 1 share the smallest step (A-law's
// linear part near zero); each later segment doubles the step. Returns the 7
// bits after the sign: 3 bits of segment, 4 bits of step within the segment.
constexpr unsigned alaw_segment_step(unsigned ix)
{
    unsigned segment = std::bit_width(ix >> 4);  // 0 for ix < 16, 7 for ix >= 1024
    unsigned shift = segment == 0 ? 0 : segment - 1;
    return (segment << 4) | ((ix >> shift) & 0x0F);
}

// G.711 Table 1 lists the A-law "character signal before inversion of the even
// bits": bits 2, 4, 6 and 8 (0x55) are inverted for transmission, so that low
// levels, whose codes are mostly zeros, do not send long runs of zeros.
constexpr unsigned alaw_even_bits = 0x55;
constexpr unsigned sign_positive = 0x80;  // Tables 1a and 2a: bit 1 = 1 for positive

// The A-law code depends only on the 12 MSBs of x (the sign and 11 bits of
// magnitude), so a table indexed by uint16_t(x) >> 4 holds every answer: 4 KiB,
// one load per sample and no sign arithmetic. (Measured against a 2048-entry
// magnitude table plus sign fix-up and against computing the segment with
// bit_width: 0.31 vs 0.57 vs 1.6 ns/sample.)
constexpr std::array<uint8_t, 4096> alaw_encode_table = [] {
    std::array<uint8_t, 4096> t{};
    for (unsigned i = 0; i < t.size(); ++i) {
        auto x = static_cast<int16_t>(i << 4);
        // G.191 quantizes a negative sample as its one's complement, not its
        // negation: ~x >> 4 equals ~(x >> 4), so the 12 MSBs still decide.
        bool negative = x < 0;
        unsigned magnitude = static_cast<unsigned>(negative ? ~x : x) >> 4;
        unsigned code = alaw_segment_step(magnitude) | (negative ? 0u : sign_positive);
        t[i] = static_cast<uint8_t>(code ^ alaw_even_bits);
    }
    return t;
}();

// "Decoder output value" of Table 1: the middle of the quantizing interval, on
// the 16-bit scale.
constexpr int16_t alaw_decode_one(uint8_t a)
{
    unsigned k = (a ^ alaw_even_bits) & 0x7F;
    unsigned segment = k >> 4;
    unsigned step = k & 0x0F;
    // Segment 0 has no implied leading one; segments 1..7 do, and from
    // segment 2 on each doubles the interval. +8 is half a step at 16 bits.
    unsigned value = segment == 0 ? (step << 4) + 8 : (((step + 16) << 4) + 8) << (segment - 1);
    auto v = static_cast<int>(value);
    return static_cast<int16_t>((a & sign_positive) != 0 ? v : -v);
}

constexpr std::array<int16_t, 256> alaw_decode_table = [] {
    std::array<int16_t, 256> t{};
    for (unsigned a = 0; a < t.size(); ++a) {
        t[a] = alaw_decode_one(static_cast<uint8_t>(a));
    }
    return t;
}();

// --- u-law, G.711 Table 2a/2b -------------------------------------------------

// 7 bits after the sign for a magnitude on the 14-bit u-law scale (0..8191).
// Adding 33 (the bias of the u-law curve, in 14-bit steps) turns the segment
// ends 31, 95, 223, ... into powers of two times 64, so the segment is a bit
// count; G.191 then saturates at 8191. u-law sends the segment and step
// complemented (Table 2: larger levels have smaller codes).
constexpr unsigned ulaw_segment_step(unsigned magnitude)
{
    unsigned biased = magnitude + 33;
    if (biased > 0x1FFF) {
        biased = 0x1FFF;
    }
    unsigned segment = std::bit_width(biased >> 6);  // 0..7
    unsigned step = (biased >> (segment + 1)) & 0x0F;
    return 0x7F ^ ((segment << 4) | step);
}

// As for A-law, the 14 MSBs decide: 16 KiB, one load per sample (0.31 ns/sample
// vs 0.57 for an 8192-entry magnitude table and 1.9 for computing it).
constexpr std::array<uint8_t, 16384> ulaw_encode_table = [] {
    std::array<uint8_t, 16384> t{};
    for (unsigned i = 0; i < t.size(); ++i) {
        auto x = static_cast<int16_t>(i << 2);
        bool negative = x < 0;  // one's complement, as for A-law
        unsigned magnitude = static_cast<unsigned>(negative ? ~x : x) >> 2;
        t[i] = static_cast<uint8_t>(ulaw_segment_step(magnitude) | (negative ? 0u : sign_positive));
    }
    return t;
}();

// "Decoder output value" of Table 2 on the 16-bit scale: segment e,
// step m gives ((2m + 33) << (e + 2)) - 132, i.e. the middle of the interval
// with the 33-step bias (132 at 16 bits) taken off again.
constexpr int16_t ulaw_decode_one(uint8_t u)
{
    unsigned n = (u ^ 0xFFu) & 0x7F;  // decoder output value number, 0..127
    unsigned segment = n >> 4;
    unsigned step = n & 0x0F;
    int value = static_cast<int>((2 * step + 33) << (segment + 2)) - 132;
    return static_cast<int16_t>((u & sign_positive) != 0 ? value : -value);
}

constexpr std::array<int16_t, 256> ulaw_decode_table = [] {
    std::array<int16_t, 256> t{};
    for (unsigned u = 0; u < t.size(); ++u) {
        t[u] = ulaw_decode_one(static_cast<uint8_t>(u));
    }
    return t;
}();

// --- A-law <-> u-law, G.711 Tables 3 and 4 ------------------------------------
// Both tables map "decoder output value numbers" of one law to the other and
// keep the sign. Numbers: u-law 0..127 (character signal complemented, without
// sign), A-law 1..128 (even bits re-inverted, without sign, plus one). The
// tables are not "decode then re-encode" (they differ from it on 19 and 17
// magnitudes, by one step each), and a double conversion changes only bit 8
// where it changes anything (Notes 2 of both). Written here as runs, ranges of
// input numbers over which out = to + (in - from) * mul / div; the unit test
// checks the Notes, the G.191 vectors and an independent transcription.
struct number_run {
    unsigned from;  // first input number of the run
    unsigned last;  // last input number of the run
    unsigned to;    // output number for `from`
    unsigned mul;
    unsigned div;
};

// Table 3, u-law -> A-law.
constexpr std::array<number_run, 8> table_3_ulaw_to_alaw = {{
    {0, 15, 1, 1, 2},    // u-law's first segment has half A-law's step: two u per A
    {16, 32, 9, 1, 1},   // equal steps, one to one
    {33, 36, 27, 2, 1},  // 27, 29, 31, 33: A-law's finer step, every other number
    {37, 47, 34, 1, 1},
    {48, 48, 46, 1, 1},  // 45 and 46 both convert back to u 48 (Table 4); 46 is sent
    {49, 63, 48, 1, 1},
    {64, 79, 64, 1, 1},
    {80, 127, 81, 1, 1},  // A-law 80 is never sent (it converts back to u 79)
}};

// Table 4, A-law -> u-law.
constexpr std::array<number_run, 10> table_4_alaw_to_ulaw = {{
    {1, 8, 1, 2, 1},  // 1, 3, 5, ..., 15: u-law's finer first segment
    {9, 24, 16, 1, 1},
    {25, 32, 32, 1, 2},  // A-law's finer step here: two A per u
    {33, 44, 36, 1, 1},
    {45, 48, 48, 1, 2},  // 48, 48, 49, 49
    {49, 63, 50, 1, 1},
    {64, 64, 64, 1, 1},  // 63 and 64 both give u 64
    {65, 79, 65, 1, 1},
    {80, 80, 79, 1, 1},  // 79 and 80 both give u 79
    {81, 128, 80, 1, 1},
}};

template <std::size_t N>
constexpr unsigned convert_number(const std::array<number_run, N>& runs, unsigned number)
{
    for (const number_run& r : runs) {
        if (number >= r.from && number <= r.last) {
            return r.to + (number - r.from) * r.mul / r.div;
        }
    }
    return 0;  // outside the table: caught by the static_asserts below
}

// The runs must tile the whole input range in order, without gaps.
template <std::size_t N>
constexpr bool runs_tile(const std::array<number_run, N>& runs, unsigned first, unsigned last)
{
    unsigned next = first;
    for (const number_run& r : runs) {
        if (r.from != next || r.last < r.from) {
            return false;
        }
        next = r.last + 1;
    }
    return next == last + 1;
}
static_assert(runs_tile(table_3_ulaw_to_alaw, 0, 127), "Table 3 covers u-law numbers 0..127");
static_assert(runs_tile(table_4_alaw_to_ulaw, 1, 128), "Table 4 covers A-law numbers 1..128");

constexpr std::array<uint8_t, 256> ulaw_to_alaw_table = [] {
    std::array<uint8_t, 256> t{};
    for (unsigned u = 0; u < t.size(); ++u) {
        unsigned bits = u ^ 0xFF;  // sign bit 1 = negative, low 7 bits = number
        unsigned a_number = convert_number(table_3_ulaw_to_alaw, bits & 0x7F);
        t[u] = static_cast<uint8_t>(((bits & 0x80) | (a_number - 1)) ^ (sign_positive | alaw_even_bits));
    }
    return t;
}();

constexpr std::array<uint8_t, 256> alaw_to_ulaw_table = [] {
    std::array<uint8_t, 256> t{};
    for (unsigned a = 0; a < t.size(); ++a) {
        unsigned bits = a ^ (sign_positive | alaw_even_bits);  // sign bit 1 = negative
        unsigned u_number = convert_number(table_4_alaw_to_ulaw, (bits & 0x7F) + 1);
        t[a] = static_cast<uint8_t>(((bits & 0x80) | u_number) ^ 0xFF);
    }
    return t;
}();

static_assert(alaw_decode_table[alaw_silence] == 8 && ulaw_decode_table[ulaw_silence] == 0);
static_assert(alaw_to_ulaw_table[alaw_silence] == 0xFE, "A-law number 1 is u-law number 1 (Table 4)");
static_assert(ulaw_to_alaw_table[ulaw_silence] == alaw_silence, "u-law number 0 is A-law number 1 (Table 3)");

}  // namespace

uint8_t linear_to_alaw(int16_t x)
{
    return alaw_encode_table[static_cast<uint16_t>(x) >> 4];
}

int16_t alaw_to_linear(uint8_t a)
{
    return alaw_decode_table[a];
}

uint8_t linear_to_ulaw(int16_t x)
{
    return ulaw_encode_table[static_cast<uint16_t>(x) >> 2];
}

int16_t ulaw_to_linear(uint8_t u)
{
    return ulaw_decode_table[u];
}

uint8_t alaw_to_ulaw(uint8_t a)
{
    return alaw_to_ulaw_table[a];
}

uint8_t ulaw_to_alaw(uint8_t u)
{
    return ulaw_to_alaw_table[u];
}

namespace {

// Maps n octets through a 256-entry table; in == out is allowed. Eight at a
// time through one word: at -O3 GCC "vectorised" the plain byte loop by
// gathering 16 lookups in two general registers, spilling them and reloading
// them as one 16-octet vector, a load its two 8-octet stores cannot forward
// to (a stall per 16 samples, 3 % of the data plane's worker at 10,000
// sessions). The word's octets keep their places on either byte order.
void map_octets_words(const std::array<uint8_t, 256>& table, const uint8_t* in, uint8_t* out, std::size_t n)
{
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        std::memcpy(&w, in + i, sizeof(w));
        uint64_t r = 0;
        for (unsigned k = 0; k < 64; k += 8) {
            r |= static_cast<uint64_t>(table[(w >> k) & 0xff]) << k;
        }
        std::memcpy(out + i, &r, sizeof(r));
    }
    for (; i < n; ++i) {
        out[i] = table[in[i]];
    }
}

// Both conversions keep the sign and map a magnitude to a magnitude (G.711
// Tables 3 and 4 are tables of numbers 1..128 "with the same sign"): an
// octet's sign (0x80) passes through and its other seven bits depend on its
// own seven alone. So the table is 8 rows of 16, which VPSHUFB can index.
// (Bits here are masks, not G.711's numbering, where bit 1 is the sign.)
constexpr bool keeps_sign(const std::array<uint8_t, 256>& t)
{
    for (unsigned x = 0; x < 256; ++x) {
        if ((t[x] & 0x80) != (x & 0x80) || t[x ^ 0x80] != (t[x] ^ 0x80)) {
            return false;
        }
    }
    return true;
}
static_assert(keeps_sign(ulaw_to_alaw_table) && keeps_sign(alaw_to_ulaw_table));

#if defined(__x86_64__)
// Row h (the magnitude's 0x70 bits = h << 4) twice: VPSHUFB looks up within each
// 128-bit lane.
struct alignas(32) MagnitudeRows {
    std::array<std::array<uint8_t, 32>, 8> row;
};

constexpr MagnitudeRows magnitude_rows(const std::array<uint8_t, 256>& t)
{
    MagnitudeRows r{};
    for (unsigned h = 0; h < 8; ++h) {
        for (unsigned j = 0; j < 32; ++j) {
            r.row[h][j] = static_cast<uint8_t>(t[(h << 4) | (j & 0x0F)] & 0x7F);
        }
    }
    return r;
}
constexpr MagnitudeRows ulaw_to_alaw_rows = magnitude_rows(ulaw_to_alaw_table);
constexpr MagnitudeRows alaw_to_ulaw_rows = magnitude_rows(alaw_to_ulaw_table);

// 32 octets at a time: the low nibble indexes all eight rows, the 0x10,
// 0x20 and 0x40 bits pick one in three rounds of blends (VPBLENDVB looks at
// each octet's top bit: the bit is shifted there), the sign is kept. Under
// an instruction an octet, where the word loop takes 6: the law conversion
// was half the instructions of a law-converting session (bench
// media_sessions --pcmu under cachegrind).
[[gnu::target("avx2")]] void map_octets_avx2(const std::array<uint8_t, 256>& table, const MagnitudeRows& rows,
                                             const uint8_t* in, uint8_t* out, std::size_t n)
{
    const __m256i low_nibble = _mm256_set1_epi8(0x0F);
    const __m256i sign = _mm256_set1_epi8(static_cast<char>(0x80));
    __m256i row[8];
    for (unsigned h = 0; h < 8; ++h) {
        row[h] = _mm256_load_si256(reinterpret_cast<const __m256i*>(rows.row[h].data()));
    }
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
        const __m256i lo = _mm256_and_si256(x, low_nibble);
        // An octet's 0x10 bit to its top (0x80), then 0x20, then 0x40
        // (16-bit shifts: what crosses into the next octet lands below its
        // top bit).
        const __m256i b5 = _mm256_slli_epi16(x, 3);
        const __m256i b6 = _mm256_slli_epi16(x, 2);
        const __m256i b7 = _mm256_slli_epi16(x, 1);
        const __m256i r01 = _mm256_blendv_epi8(_mm256_shuffle_epi8(row[0], lo), _mm256_shuffle_epi8(row[1], lo), b5);
        const __m256i r23 = _mm256_blendv_epi8(_mm256_shuffle_epi8(row[2], lo), _mm256_shuffle_epi8(row[3], lo), b5);
        const __m256i r45 = _mm256_blendv_epi8(_mm256_shuffle_epi8(row[4], lo), _mm256_shuffle_epi8(row[5], lo), b5);
        const __m256i r67 = _mm256_blendv_epi8(_mm256_shuffle_epi8(row[6], lo), _mm256_shuffle_epi8(row[7], lo), b5);
        const __m256i r03 = _mm256_blendv_epi8(r01, r23, b6);
        const __m256i r47 = _mm256_blendv_epi8(r45, r67, b6);
        const __m256i magnitude = _mm256_blendv_epi8(r03, r47, b7);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_or_si256(magnitude, _mm256_and_si256(x, sign)));
    }
    map_octets_words(table, in + i, out + i, n - i);
}
#else
struct MagnitudeRows {};
constexpr MagnitudeRows ulaw_to_alaw_rows{};
constexpr MagnitudeRows alaw_to_ulaw_rows{};
#endif

void map_octets(const std::array<uint8_t, 256>& table, const MagnitudeRows& rows, const uint8_t* in, uint8_t* out,
                std::size_t n)
{
#if defined(__x86_64__)
    // Debian's build targets every x86-64: AVX2 is asked of the CPU (a load
    // and a test of libgcc's CPU model).
    if (n >= 32 && __builtin_cpu_supports("avx2")) {
        map_octets_avx2(table, rows, in, out, n);
        return;
    }
#endif
    (void)rows;
    map_octets_words(table, in, out, n);
}

}  // namespace

void alaw_to_ulaw_buf(const uint8_t* in, uint8_t* out, std::size_t n)
{
    map_octets(alaw_to_ulaw_table, alaw_to_ulaw_rows, in, out, n);
}

void ulaw_to_alaw_buf(const uint8_t* in, uint8_t* out, std::size_t n)
{
    map_octets(ulaw_to_alaw_table, ulaw_to_alaw_rows, in, out, n);
}

void alaw_decode_buf(const uint8_t* in, int16_t* out, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = alaw_decode_table[in[i]];
    }
}

void ulaw_decode_buf(const uint8_t* in, int16_t* out, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = ulaw_decode_table[in[i]];
    }
}

void alaw_encode_buf(const int16_t* in, uint8_t* out, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = alaw_encode_table[static_cast<uint16_t>(in[i]) >> 4];
    }
}

void ulaw_encode_buf(const int16_t* in, uint8_t* out, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = ulaw_encode_table[static_cast<uint16_t>(in[i]) >> 2];
    }
}

}  // namespace trunkgw::tdm::g711
