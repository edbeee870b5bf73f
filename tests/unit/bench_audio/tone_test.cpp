// bench/audio tone generator and level convention: the G.711 digital
// milliwatt (Tables 5 and 6) measures 0 dBm0 in both laws, the generator's
// phase is continuous across calls, and impossible tones are refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include "bench/audio/sinad.h"
#include "bench/audio/tone.h"

using namespace trunkgw::audio;

TEST_CASE("tone: 0 dBm0 is 3.14 dB (A-law) / 3.17 dB (u-law) below the coder's end", "[bench_audio]")
{
    REQUIRE(dbm0_peak(Law::alaw) == Approx(22827.06).margin(0.01));
    REQUIRE(dbm0_peak(Law::ulaw) == Approx(22656.71).margin(0.01));
    REQUIRE(peak_of_dbm0(-10, Law::alaw) == Approx(dbm0_peak(Law::alaw) / std::sqrt(10.0)));
    REQUIRE(dbm0_of_peak(peak_of_dbm0(-23.5, Law::ulaw), Law::ulaw) == Approx(-23.5));
}

TEST_CASE("tone: the G.711 digital milliwatt measures 0 dBm0 at 1000 Hz", "[bench_audio]")
{
    // G.711 Tables 5 (A-law) and 6 (u-law), as sent on the line.
    const std::array<uint8_t, 8> alaw_dmw = {0x34, 0x21, 0x21, 0x34, 0xB4, 0xA1, 0xA1, 0xB4};
    const std::array<uint8_t, 8> ulaw_dmw = {0x1E, 0x0B, 0x0B, 0x1E, 0x9E, 0x8B, 0x8B, 0x9E};
    for (auto [law, dmw] : {std::pair{Law::alaw, alaw_dmw}, std::pair{Law::ulaw, ulaw_dmw}}) {
        std::vector<uint8_t> v;
        for (int i = 0; i < 1000; ++i) {
            v.insert(v.end(), dmw.begin(), dmw.end());
        }
        ToneMeasurement m = measure_tone(std::span<const uint8_t>(v), law, 1000.0);
        INFO("law " << static_cast<int>(law) << ": " << m.level_dbm0 << " dBm0, SINAD " << m.sinad_db << " dB");
        REQUIRE(m.samples == 8000);
        REQUIRE(m.level_dbm0 == Approx(0.0).margin(0.05));
        REQUIRE(m.freq_hz == Approx(1000.0).margin(0.01));
        REQUIRE(m.freq_ok);
    }
}

TEST_CASE("tone: the phase is continuous across calls and follows the closed form", "[bench_audio]")
{
    for (Law law : {Law::alaw, Law::ulaw}) {
        ToneGenerator one(1004, -10, law);
        ToneGenerator pieces(1004, -10, law);
        ToneGenerator linear(1004, -10, law);
        std::vector<uint8_t> a(80000);
        std::vector<uint8_t> b(80000);
        one.fill(a);
        for (std::size_t at = 0, i = 0; at < b.size(); ++i) {  // ragged pieces of 1..13
            std::size_t n = std::min<std::size_t>(i % 13 + 1, b.size() - at);
            pieces.fill(std::span<uint8_t>(b).subspan(at, n));
            at += n;
        }
        REQUIRE(a == b);
        const double peak = peak_of_dbm0(-10, law);
        for (std::size_t k = 0; k < 80000; ++k) {
            double want = peak * std::sin(2 * std::numbers::pi * 1004.0 * static_cast<double>(k) / 8000.0);
            int16_t x = linear.next_linear();
            REQUIRE(std::abs(x - want) <= 0.5 + 1e-6);
            REQUIRE(a[k] == encode(law, x));
        }
    }
}

TEST_CASE("tone: frequencies outside (0, 4000) Hz and levels beyond the scale are refused", "[bench_audio]")
{
    REQUIRE_THROWS_AS(ToneGenerator(0, -10, Law::alaw), std::invalid_argument);
    REQUIRE_THROWS_AS(ToneGenerator(4000, -10, Law::alaw), std::invalid_argument);
    REQUIRE_THROWS_AS(ToneGenerator(1004, 3.2, Law::alaw), std::invalid_argument);
    REQUIRE_NOTHROW(ToneGenerator(1004, 3.1, Law::alaw));
    REQUIRE_NOTHROW(ToneGenerator(1004, 3.17, Law::ulaw));
}
