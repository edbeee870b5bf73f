// Test tones as G.711 octets: the companding law, the dBm0 level convention
// (ITU-T G.711 (11/88) clause 5) and a sine generator with continuous phase.
// Shared by the unit and integration tests, benchmarks, pw-peer and pstn-sim.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace trunkgw::audio {

// G.711 channels carry 8000 samples/s.
inline constexpr double sample_rate_hz = 8000.0;

// A channel's companding law: A-law on E1, u-law on T1. tdm/g711 has none of
// its own, and bench/audio must not depend on dataplane/ (media::Law has the
// same two values in the same order).
enum class Law : uint8_t { alaw, ulaw };

// One sample through tdm/g711 (16-bit left-justified linear, G.191 scale).
uint8_t encode(Law law, int16_t x);
int16_t decode(Law law, uint8_t octet);

// The level convention. G.711 clause 5 defines 0 dBm0 by the digital
// milliwatt (the 1 kHz sequences of Tables 5 and 6) and gives the resulting
// theoretical load capacity Tmax: +3.14 dBm0 for A-law, +3.17 dBm0 for u-law,
// i.e. the level of the sine whose peak reaches the end of the coder's range.
// That end is the outermost decision value: 4096 (A-law, 13-bit units, Table
// 1a) and 8159 (u-law, 14-bit units, Table 2a), which on tdm/g711's 16-bit
// scale are 32768 and 32636. So a 0 dBm0 sine has a peak of
// 32768 * 10^(-3.14/20) = 22827 (A-law) or 32636 * 10^(-3.17/20) = 22657
// (u-law), and the digital milliwatt of either law measures 0.00 dBm0 (a unit
// test checks both). Levels are of a sine: dBm0 = 20 log10(peak / dbm0_peak).
double dbm0_peak(Law law);

// The peak (16-bit linear) of a sine at `level_dbm0`, and back.
double peak_of_dbm0(double level_dbm0, Law law);
double dbm0_of_peak(double peak, Law law);

// A sine at `hz` and `level_dbm0` as G.711 octets, one sample per call, with
// continuous phase across calls (a phase accumulator in cycles, starting at
// 0). Throws std::invalid_argument unless 0 < hz < 4000 and the peak fits the
// 16-bit scale (level_dbm0 <= +3.1). Samples are rounded to the nearest
// 16-bit value, then companded by tdm/g711.
class ToneGenerator {
public:
    ToneGenerator(double hz, double level_dbm0, Law law);

    // The next sample before companding.
    int16_t next_linear();
    // The next sample as a G.711 octet.
    uint8_t next();
    // The next out.size() samples as octets.
    void fill(std::span<uint8_t> out);

    double hz() const { return _hz; }
    double level_dbm0() const { return _level_dbm0; }
    Law law() const { return _law; }

private:
    double _hz;
    double _level_dbm0;
    Law _law;
    double _peak;
    double _step;       // cycles per sample
    double _phase = 0;  // cycles, in [0, 1)
};

}  // namespace trunkgw::audio
