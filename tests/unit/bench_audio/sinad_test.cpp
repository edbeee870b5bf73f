// bench/audio SINAD: a generated tone measures >= 35 dB at its level in both
// laws, added white noise brings SINAD down to what the noise power says, a
// tone at another frequency scores low, windows of whole cycles, and the best
// window of a stream skips leading silence and a burst of garbage.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <stdexcept>
#include <vector>

#include "bench/audio/sinad.h"
#include "bench/audio/tone.h"

using namespace trunkgw::audio;

namespace {

std::vector<uint8_t> tone(double hz, double dbm0, Law law, std::size_t n)
{
    ToneGenerator g(hz, dbm0, law);
    std::vector<uint8_t> v(n);
    g.fill(v);
    return v;
}

// A tone plus white Gaussian noise `snr_db` below it, companded.
std::vector<uint8_t> noisy_tone(double hz, double dbm0, Law law, std::size_t n, double snr_db)
{
    ToneGenerator g(hz, dbm0, law);
    const double peak = peak_of_dbm0(dbm0, law);
    std::mt19937 rng(20240101);
    std::normal_distribution<double> noise(0.0, std::sqrt(peak * peak / 2 / std::pow(10.0, snr_db / 10)));
    std::vector<uint8_t> v(n);
    for (uint8_t& o : v) {
        double x = std::clamp(g.next_linear() + noise(rng), -32768.0, 32767.0);
        o = encode(law, static_cast<int16_t>(std::lround(x)));
    }
    return v;
}

}  // namespace

TEST_CASE("sinad: a generated tone measures >= 35 dB at its level, both laws", "[bench_audio]")
{
    for (Law law : {Law::alaw, Law::ulaw}) {
        for (double dbm0 : {0.0, -10.0, -20.0}) {
            std::vector<uint8_t> v = tone(1004, dbm0, law, 8000);
            ToneMeasurement m = measure_tone(std::span<const uint8_t>(v), law, 1004);
            INFO("law " << static_cast<int>(law) << " at " << dbm0 << " dBm0: SINAD " << m.sinad_db << " dB, "
                        << m.level_dbm0 << " dBm0, " << m.freq_hz << " Hz");
            REQUIRE(m.samples == 8000);
            REQUIRE(m.offset == 0);
            REQUIRE(m.sinad_db >= 35.0);
            REQUIRE(m.level_dbm0 == Approx(dbm0).margin(0.5));
            REQUIRE(m.freq_hz == Approx(1004).margin(0.01));
            REQUIRE(m.freq_ok);
        }
    }
}

TEST_CASE("sinad: white noise lowers SINAD to the expected value", "[bench_audio]")
{
    for (Law law : {Law::alaw, Law::ulaw}) {
        // The coder's own quantization noise adds to the noise we add.
        std::vector<uint8_t> clean = tone(1004, -10, law, 8000);
        const double q_db = measure_tone(std::span<const uint8_t>(clean), law, 1004).sinad_db;
        for (double snr_db : {10.0, 20.0, 30.0}) {
            std::vector<uint8_t> v = noisy_tone(1004, -10, law, 8000, snr_db);
            ToneMeasurement m = measure_tone(std::span<const uint8_t>(v), law, 1004);
            const double expected = -10 * std::log10(std::pow(10.0, -snr_db / 10) + std::pow(10.0, -q_db / 10));
            INFO("law " << static_cast<int>(law) << ", noise " << snr_db << " dB below, quantization " << q_db
                        << " dB: SINAD " << m.sinad_db << " dB, expected " << expected << " dB");
            REQUIRE(m.sinad_db == Approx(expected).margin(1.0));
            REQUIRE(m.level_dbm0 == Approx(-10).margin(0.5));
            REQUIRE(m.freq_ok);
        }
    }
}

TEST_CASE("sinad: a tone at another frequency scores low and fails the frequency check", "[bench_audio]")
{
    for (Law law : {Law::alaw, Law::ulaw}) {
        for (double hz : {1020.0, 1500.0, 404.0}) {
            std::vector<uint8_t> v = tone(hz, -10, law, 8000);
            ToneMeasurement m = measure_tone(std::span<const uint8_t>(v), law, 1004);
            INFO(hz << " Hz judged at 1004 Hz: SINAD " << m.sinad_db << " dB, " << m.level_dbm0 << " dBm0, "
                    << m.freq_hz << " Hz");
            REQUIRE(m.sinad_db < 0.0);
            REQUIRE(m.level_dbm0 < -30.0);
            REQUIRE(m.freq_hz == Approx(hz).margin(0.05));
            REQUIRE_FALSE(m.freq_ok);
        }
    }
}

TEST_CASE("sinad: windows hold whole cycles when they can", "[bench_audio]")
{
    REQUIRE(whole_cycle_window(1004, 8000) == 8000);  // 1004 cycles
    REQUIRE(whole_cycle_window(1004, 7999) == 6000);  // 753 cycles
    REQUIRE(whole_cycle_window(1004, 2000) == 2000);  // 251 cycles
    REQUIRE(whole_cycle_window(1000, 8005) == 8000);
    REQUIRE(whole_cycle_window(1020, 1000) == 800);     // 102 cycles
    REQUIRE(whole_cycle_window(1004.3, 8000) == 8000);  // needs 80000: none, the whole window
    REQUIRE_THROWS_AS(whole_cycle_window(0, 8000), std::invalid_argument);
    REQUIRE_THROWS_AS(whole_cycle_window(4000, 8000), std::invalid_argument);

    // Not whole cycles: the least-squares fit is exact all the same.
    std::vector<uint8_t> v = tone(1004.3, -10, Law::alaw, 8000);
    ToneMeasurement m = measure_tone(std::span<const uint8_t>(v), Law::alaw, 1004.3);
    REQUIRE(m.samples == 8000);
    REQUIRE(m.sinad_db >= 35.0);
    REQUIRE(m.level_dbm0 == Approx(-10).margin(0.5));
    REQUIRE(m.freq_hz == Approx(1004.3).margin(0.02));
}

TEST_CASE("sinad: the best window skips leading silence and a burst of garbage", "[bench_audio]")
{
    for (Law law : {Law::alaw, Law::ulaw}) {
        const uint8_t idle = law == Law::alaw ? 0xD5 : 0xFF;
        std::vector<uint8_t> v(3000, idle);  // 375 ms of start-up
        std::vector<uint8_t> t = tone(1004, -10, law, 3 * 8000);
        for (std::size_t k = 12000; k < 12040; ++k) {
            t[k] = static_cast<uint8_t>(k * 37);  // 5 ms of garbage at 1.5 s into the tone
        }
        v.insert(v.end(), t.begin(), t.end());
        ToneMeasurement whole = measure_tone(std::span<const uint8_t>(v).subspan(0, 8000), law, 1004);
        REQUIRE(whole.sinad_db < 10.0);
        ToneMeasurement m = best_tone_window(v, law, 1004);
        INFO("best window at " << m.offset << ": SINAD " << m.sinad_db << " dB");
        REQUIRE(m.samples == 8000);
        REQUIRE(m.offset >= 3000);
        REQUIRE((m.offset + m.samples <= 3000 + 12000 || m.offset >= 3000 + 12040));
        REQUIRE(m.sinad_db >= 35.0);
        REQUIRE(m.level_dbm0 == Approx(-10).margin(0.5));
        REQUIRE(m.freq_ok);
    }
}

TEST_CASE("sinad: silence, short input and a short stream", "[bench_audio]")
{
    std::vector<uint8_t> idle(16000, 0xD5);
    ToneMeasurement m = best_tone_window(idle, Law::alaw, 1004);
    REQUIRE(m.samples == 8000);
    REQUIRE(m.sinad_db == -measure_limit_db);
    REQUIRE(m.level_dbm0 == -measure_limit_db);
    REQUIRE(m.freq_hz == 0);
    REQUIRE_FALSE(m.freq_ok);

    std::vector<uint8_t> few = tone(1004, -10, Law::alaw, 31);
    REQUIRE(measure_tone(std::span<const uint8_t>(few), Law::alaw, 1004).samples == 0);
    REQUIRE(best_tone_window(few, Law::alaw, 1004).samples == 0);

    // Shorter than the window: measured whole (in whole cycles: 4000 of 5000).
    std::vector<uint8_t> half = tone(1004, -10, Law::ulaw, 5000);
    ToneMeasurement h = best_tone_window(half, Law::ulaw, 1004);
    REQUIRE(h.samples == 4000);
    REQUIRE(h.sinad_db >= 35.0);
}
