// G.711 against the ITU-T G.191 reference vectors (every one of the 65,536
// 16-bit inputs, both laws: encode, decode, encode+decode) and the A-law <->
// u-law conversions against G.711 Tables 3 and 4 (Notes 2), the vectors and an
// independent transcription (SpanDSP's). Without the vectors the binary exits 77
// (SKIPPED): it never passes without having checked them.
#include <catch2/catch.hpp>

#include <spandsp.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "tdm/g711/g711.h"

namespace g711 = trunkgw::tdm::g711;

namespace {

constexpr std::size_t sweep_words = 65536;

const std::string vector_dir = TRUNKGW_SOURCE_DIR "/../shared/testdata/itu-g711/";

// One G.191 vector file: 65,536 little-endian 16-bit words (see its README.md;
// the STL's note says big-endian, the files and their CRCs say little-endian).
std::vector<int16_t> load_vector(const std::string& name)
{
    if (!std::filesystem::is_directory(vector_dir)) {
        std::printf("SKIP: G.191 G.711 vectors not found at %s\n", vector_dir.c_str());
        std::fflush(stdout);
        std::_Exit(77);
    }
    std::ifstream f(vector_dir + name, std::ios::binary);
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    REQUIRE(bytes.size() == 2 * sweep_words);
    std::vector<int16_t> words(sweep_words);
    for (std::size_t i = 0; i < sweep_words; ++i) {
        words[i] = static_cast<int16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
    }
    return words;
}

struct law_vectors {
    std::vector<int16_t> src;      // sweep.src: the input sweep
    std::vector<int16_t> code;     // sweep-r.a / sweep-r.u: the code, low byte
    std::vector<int16_t> decoded;  // sweep-r.a-a / sweep-r.u-u: `code` decoded
    std::vector<int16_t> round;    // sweep-r.rea / sweep-r.reu: src encoded and decoded
};

const law_vectors& alaw_vectors()
{
    static const law_vectors v{load_vector("sweep.src"), load_vector("sweep-r.a"), load_vector("sweep-r.a-a"),
                               load_vector("sweep-r.rea")};
    return v;
}

const law_vectors& ulaw_vectors()
{
    static const law_vectors v{load_vector("sweep.src"), load_vector("sweep-r.u"), load_vector("sweep-r.u-u"),
                               load_vector("sweep-r.reu")};
    return v;
}

// Index of the sweep word whose input is x (the sweep runs -32768 .. 32767).
std::size_t sweep_index(int x)
{
    return static_cast<std::size_t>(x + 32768);
}

// Decoder output value numbers and signs (G.711 Tables 1 and 2): u-law numbers
// 0..127 are the complemented code without its sign; A-law numbers 1..128 are
// the code with the even bits re-inverted, without its sign, plus one.
unsigned ulaw_number(uint8_t u)
{
    return (u ^ 0xFFu) & 0x7F;
}
unsigned alaw_number(uint8_t a)
{
    return ((a ^ 0xD5u) & 0x7F) + 1;
}
bool ulaw_positive(uint8_t u)
{
    return (u & 0x80) != 0;
}
bool alaw_positive(uint8_t a)
{
    return (a & 0x80) != 0;
}

bool contains(std::initializer_list<unsigned> list, unsigned v)
{
    for (unsigned x : list) {
        if (x == v) {
            return true;
        }
    }
    return false;
}

template <typename F>
std::size_t check_law(const law_vectors& v, F encode, int16_t (*decode)(uint8_t))
{
    std::size_t checked = 0;
    for (std::size_t i = 0; i < sweep_words; ++i) {
        REQUIRE(v.src[i] == static_cast<int>(i) - 32768);  // the sweep is what its README says
        REQUIRE((v.code[i] & 0xFF00) == 0);                // codes sit in the low byte
        auto code = static_cast<uint8_t>(v.code[i]);
        INFO("sweep word " << i << ", input " << v.src[i]);
        REQUIRE(encode(v.src[i]) == code);
        REQUIRE(decode(code) == v.decoded[i]);
        REQUIRE(decode(encode(v.src[i])) == v.round[i]);
        checked += 3;
    }
    return checked;
}

}  // namespace

TEST_CASE("A-law is bit-exact to G.191 for all 65,536 inputs", "[g711]")
{
    std::size_t checked = check_law(alaw_vectors(), g711::linear_to_alaw, g711::alaw_to_linear);
    CHECK(checked == 3 * sweep_words);
    std::printf("g711: A-law: %zu vector values checked (encode, decode, encode+decode)\n", checked);
}

TEST_CASE("u-law is bit-exact to G.191 for all 65,536 inputs", "[g711]")
{
    std::size_t checked = check_law(ulaw_vectors(), g711::linear_to_ulaw, g711::ulaw_to_linear);
    CHECK(checked == 3 * sweep_words);
    std::printf("g711: u-law: %zu vector values checked (encode, decode, encode+decode)\n", checked);
}

TEST_CASE("every code decodes to a level that encodes back to it", "[g711]")
{
    // G.191's "synchronous" check: decoder output values sit inside their own
    // quantizing interval. The one exception is u-law's negative zero (0x7F),
    // which decodes to 0 and so comes back as positive zero (0xFF).
    for (unsigned c = 0; c < 256; ++c) {
        auto code = static_cast<uint8_t>(c);
        INFO("code " << c);
        CHECK(g711::linear_to_alaw(g711::alaw_to_linear(code)) == code);
        CHECK(g711::linear_to_ulaw(g711::ulaw_to_linear(code)) == (code == 0x7F ? 0xFF : code));
    }
    CHECK(g711::alaw_to_linear(g711::alaw_silence) == 8);
    CHECK(g711::ulaw_to_linear(g711::ulaw_silence) == 0);
    CHECK(g711::linear_to_alaw(0) == g711::alaw_silence);
    CHECK(g711::linear_to_ulaw(0) == g711::ulaw_silence);
}

TEST_CASE("buffer converters equal the scalar functions", "[g711]")
{
    std::vector<int16_t> linear(sweep_words);
    for (std::size_t i = 0; i < sweep_words; ++i) {
        linear[i] = static_cast<int16_t>(static_cast<int>(i) - 32768);
    }
    std::vector<uint8_t> codes(sweep_words);

    g711::alaw_encode_buf(linear.data(), codes.data(), linear.size());
    for (std::size_t i = 0; i < sweep_words; ++i) {
        REQUIRE(codes[i] == g711::linear_to_alaw(linear[i]));
    }
    g711::ulaw_encode_buf(linear.data(), codes.data(), linear.size());
    for (std::size_t i = 0; i < sweep_words; ++i) {
        REQUIRE(codes[i] == g711::linear_to_ulaw(linear[i]));
    }

    std::array<uint8_t, 256> all{};
    for (unsigned c = 0; c < 256; ++c) {
        all[c] = static_cast<uint8_t>(c);
    }
    std::array<int16_t, 256> decoded{};
    std::array<uint8_t, 256> converted{};
    g711::alaw_decode_buf(all.data(), decoded.data(), all.size());
    g711::alaw_to_ulaw_buf(all.data(), converted.data(), all.size());
    for (unsigned c = 0; c < 256; ++c) {
        CHECK(decoded[c] == g711::alaw_to_linear(all[c]));
        CHECK(converted[c] == g711::alaw_to_ulaw(all[c]));
    }
    g711::ulaw_decode_buf(all.data(), decoded.data(), all.size());
    g711::ulaw_to_alaw_buf(all.data(), converted.data(), all.size());
    for (unsigned c = 0; c < 256; ++c) {
        CHECK(decoded[c] == g711::ulaw_to_linear(all[c]));
        CHECK(converted[c] == g711::ulaw_to_alaw(all[c]));
    }

    // In place, as the header allows for the byte-to-byte converters.
    std::array<uint8_t, 256> in_place = all;
    g711::alaw_to_ulaw_buf(in_place.data(), in_place.data(), in_place.size());
    for (unsigned c = 0; c < 256; ++c) {
        CHECK(in_place[c] == g711::alaw_to_ulaw(all[c]));
    }
    in_place = all;
    g711::ulaw_to_alaw_buf(in_place.data(), in_place.data(), in_place.size());
    for (unsigned c = 0; c < 256; ++c) {
        CHECK(in_place[c] == g711::ulaw_to_alaw(all[c]));
    }

    // Every length and alignment (the converters take eight octets at a
    // time, then the rest one by one); nothing past n is written.
    for (std::size_t off = 0; off < 8; ++off) {
        for (std::size_t n = 0; n <= 24; ++n) {
            std::array<uint8_t, 40> out{};
            out.fill(0x5A);
            g711::alaw_to_ulaw_buf(all.data() + 100 + off, out.data() + off, n);
            for (std::size_t i = 0; i < out.size(); ++i) {
                bool inside = i >= off && i < off + n;
                CHECK(out[i] == (inside ? g711::alaw_to_ulaw(all[100 + i]) : 0x5A));
            }
        }
    }

    // Lengths around the 32-octet vector path (x86-64 with AVX2) and its
    // tail, at every alignment, both ways, octets 37 apart (every row of
    // the vector path's table meets every lane); nothing past n is written.
#if defined(__x86_64__)
    if (!__builtin_cpu_supports("avx2")) {
        WARN("this CPU has no AVX2: the vector path of the A-law <-> u-law converters is not tested here");
    }
#endif
    for (std::size_t off = 0; off < 8; ++off) {
        for (std::size_t n : {31u, 32u, 33u, 63u, 64u, 95u, 160u, 161u, 200u}) {
            std::array<uint8_t, 216> in{};
            for (std::size_t i = 0; i < in.size(); ++i) {
                in[i] = static_cast<uint8_t>(i * 37 + off * 11);
            }
            for (bool a_to_u : {true, false}) {
                std::array<uint8_t, 216> out{};
                out.fill(0x5A);
                if (a_to_u) {
                    g711::alaw_to_ulaw_buf(in.data() + off, out.data() + off, n);
                } else {
                    g711::ulaw_to_alaw_buf(in.data() + off, out.data() + off, n);
                }
                for (std::size_t i = 0; i < out.size(); ++i) {
                    bool inside = i >= off && i < off + n;
                    uint8_t want = !inside ? 0x5A : a_to_u ? g711::alaw_to_ulaw(in[i]) : g711::ulaw_to_alaw(in[i]);
                    INFO("offset " << off << ", n " << n << ", octet " << i << (a_to_u ? ", A->u" : ", u->A"));
                    CHECK(out[i] == want);
                }
            }
        }
    }

    // n == 0 touches nothing.
    uint8_t sentinel = 0x5A;
    g711::alaw_to_ulaw_buf(all.data(), &sentinel, 0);
    g711::alaw_encode_buf(linear.data(), &sentinel, 0);
    CHECK(sentinel == 0x5A);
}

TEST_CASE("u-law -> A-law -> u-law follows G.711 Table 3, Note 2", "[g711]")
{
    // "0, 2, 4, 6, 8, 10, 12, 14 are changed (the numbers being increased by 1)
    // ... only bit No. 8 (least significant bit in PCM) is changed"; every other
    // u-law character, of either sign, comes back unchanged.
    for (unsigned c = 0; c < 256; ++c) {
        auto u = static_cast<uint8_t>(c);
        uint8_t back = g711::alaw_to_ulaw(g711::ulaw_to_alaw(u));
        INFO("u-law code " << c << ", number " << ulaw_number(u));
        if (contains({0, 2, 4, 6, 8, 10, 12, 14}, ulaw_number(u))) {
            CHECK(back == (u ^ 0x01));
            CHECK(ulaw_number(back) == ulaw_number(u) + 1);
        } else {
            CHECK(back == u);
        }
        CHECK(alaw_positive(g711::ulaw_to_alaw(u)) == ulaw_positive(u));
    }
}

TEST_CASE("A-law -> u-law -> A-law follows G.711 Table 4, Note 2", "[g711]")
{
    // "26, 28, 30, 32, 45, 47, 63 and 80 are changed ... Again, only bit 8 is
    // changed"; every other A-law character comes back unchanged.
    for (unsigned c = 0; c < 256; ++c) {
        auto a = static_cast<uint8_t>(c);
        uint8_t back = g711::ulaw_to_alaw(g711::alaw_to_ulaw(a));
        INFO("A-law code " << c << ", number " << alaw_number(a));
        if (contains({26, 28, 30, 32, 45, 47, 63, 80}, alaw_number(a))) {
            CHECK(back == (a ^ 0x01));
        } else {
            CHECK(back == a);
        }
        CHECK(ulaw_positive(g711::alaw_to_ulaw(a)) == alaw_positive(a));
    }
}

TEST_CASE("Tables 3 and 4 against decode-then-encode taken from the vectors", "[g711]")
{
    // Expected values from the G.191 vectors alone: the level a code decodes to
    // (sweep-r.a-a / sweep-r.u-u) and the code of the other law for that level
    // (sweep-r.u / sweep-r.a). Tables 3 and 4 are not decode-then-encode: they
    // send the next level up at u-law numbers 48, 49, 64 and 80..95, and the
    // next level down at A-law numbers 80..96 (always one step, so a double
    // conversion keeps bits 1-7). Everywhere else they agree with it. Magnitudes
    // are compared through the positive level: G.191 quantizes a negative level
    // as its one's complement, which moves -16 (u-law number 2) into A-law's
    // first step, while Tables 3 and 4 are symmetric in the sign.
    const law_vectors& av = alaw_vectors();
    const law_vectors& uv = ulaw_vectors();
    std::array<int, 256> alaw_level{};
    std::array<int, 256> ulaw_level{};
    std::array<bool, 256> alaw_seen{};
    std::array<bool, 256> ulaw_seen{};
    for (std::size_t i = 0; i < sweep_words; ++i) {
        auto a = static_cast<uint8_t>(av.code[i]);
        auto u = static_cast<uint8_t>(uv.code[i]);
        alaw_level[a] = av.decoded[i];
        ulaw_level[u] = uv.decoded[i];
        alaw_seen[a] = true;
        ulaw_seen[u] = true;
    }
    for (unsigned c = 0; c < 256; ++c) {
        REQUIRE(alaw_seen[c]);  // the sweep reaches every code of both laws
        REQUIRE(ulaw_seen[c]);
    }

    for (unsigned c = 0; c < 256; ++c) {
        auto u = static_cast<uint8_t>(c);
        auto via_linear = static_cast<uint8_t>(av.code[sweep_index(std::abs(ulaw_level[u]))]);
        uint8_t table = g711::ulaw_to_alaw(u);
        INFO("u-law code " << c << ", number " << ulaw_number(u));
        CHECK(alaw_positive(table) == ulaw_positive(u));
        unsigned n = ulaw_number(u);
        bool up = n == 48 || n == 49 || n == 64 || (n >= 80 && n <= 95);
        CHECK(alaw_number(table) == alaw_number(via_linear) + (up ? 1 : 0));
    }
    for (unsigned c = 0; c < 256; ++c) {
        auto a = static_cast<uint8_t>(c);
        auto via_linear = static_cast<uint8_t>(uv.code[sweep_index(std::abs(alaw_level[a]))]);
        uint8_t table = g711::alaw_to_ulaw(a);
        INFO("A-law code " << c << ", number " << alaw_number(a));
        CHECK(ulaw_positive(table) == alaw_positive(a));
        unsigned n = alaw_number(a);
        bool down = n >= 80 && n <= 96;
        CHECK(ulaw_number(table) + (down ? 1 : 0) == ulaw_number(via_linear));
    }
}

TEST_CASE("Tables 3 and 4 against SpanDSP's transcription of G.711", "[g711]")
{
    // SpanDSP copied the same two tables from the Recommendation independently;
    // it agrees on every code but one magnitude: it pairs u-law number 80 with
    // A-law number 80 (codes u 0x2F/0xAF <-> A 0x1A/0x9A). That pairing would make
    // A-law 81 come back from a double conversion as 80, changing bits 2-8,
    // which Table 4 Note 2 rules out; we follow the Notes. Accepting either
    // there keeps this test valid if SpanDSP corrects its table.
    for (unsigned c = 0; c < 256; ++c) {
        auto code = static_cast<uint8_t>(c);
        INFO("code " << c);
        if (c == 0x2F || c == 0xAF) {
            CHECK(ulaw_number(code) == 80);
        } else {
            CHECK(g711::ulaw_to_alaw(code) == ::ulaw_to_alaw(code));
        }
        if (c == 0x1A || c == 0x9A) {
            CHECK(alaw_number(code) == 80);
        } else {
            CHECK(g711::alaw_to_ulaw(code) == ::alaw_to_ulaw(code));
        }
    }
}
