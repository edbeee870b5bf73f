// Test tones as G.711 octets (see tone.h for the level convention).
#include "bench/audio/tone.h"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "tdm/g711/g711.h"

namespace trunkgw::audio {

namespace g711 = trunkgw::tdm::g711;

namespace {

// G.711 clause 5: Tmax of each law, in dBm0.
constexpr double alaw_tmax_dbm0 = 3.14;
constexpr double ulaw_tmax_dbm0 = 3.17;
// The outermost decision values on the 16-bit scale: 4096 * 8 (Table 1a,
// 13-bit) and 8159 * 4 (Table 2a, 14-bit).
constexpr double alaw_top = 4096.0 * 8;
constexpr double ulaw_top = 8159.0 * 4;

}  // namespace

uint8_t encode(Law law, int16_t x)
{
    return law == Law::alaw ? g711::linear_to_alaw(x) : g711::linear_to_ulaw(x);
}

int16_t decode(Law law, uint8_t octet)
{
    return law == Law::alaw ? g711::alaw_to_linear(octet) : g711::ulaw_to_linear(octet);
}

double dbm0_peak(Law law)
{
    return law == Law::alaw ? alaw_top * std::pow(10.0, -alaw_tmax_dbm0 / 20)
                            : ulaw_top * std::pow(10.0, -ulaw_tmax_dbm0 / 20);
}

double peak_of_dbm0(double level_dbm0, Law law)
{
    return dbm0_peak(law) * std::pow(10.0, level_dbm0 / 20);
}

double dbm0_of_peak(double peak, Law law)
{
    return 20 * std::log10(peak / dbm0_peak(law));
}

ToneGenerator::ToneGenerator(double hz, double level_dbm0, Law law)
    : _hz(hz), _level_dbm0(level_dbm0), _law(law), _peak(peak_of_dbm0(level_dbm0, law)), _step(hz / sample_rate_hz)
{
    if (!(hz > 0 && hz < sample_rate_hz / 2)) {
        throw std::invalid_argument("tone frequency must lie between 0 and 4000 Hz");
    }
    if (!(_peak <= 32767.0)) {
        throw std::invalid_argument("tone level above the 16-bit scale (+3.1 dBm0)");
    }
}

int16_t ToneGenerator::next_linear()
{
    double x = _peak * std::sin(2 * std::numbers::pi * _phase);
    _phase += _step;
    if (_phase >= 1.0) {
        _phase -= 1.0;
    }
    return static_cast<int16_t>(std::lround(x));
}

uint8_t ToneGenerator::next()
{
    return encode(_law, next_linear());
}

void ToneGenerator::fill(std::span<uint8_t> out)
{
    for (uint8_t& o : out) {
        o = next();
    }
}

}  // namespace trunkgw::audio
