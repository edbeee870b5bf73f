// SINAD, level and frequency of a test tone (see sinad.h).
#include "bench/audio/sinad.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

namespace trunkgw::audio {

namespace {

constexpr std::size_t min_samples = 32;  // 4 ms

void check_hz(double hz)
{
    if (!(hz > 0 && hz < sample_rate_hz / 2)) {
        throw std::invalid_argument("tone frequency must lie between 0 and 4000 Hz");
    }
}

struct Fit {
    double dc = 0;
    double a = 0;  // cos amplitude
    double b = 0;  // sin amplitude
    double tone_energy = 0;
    double residual_energy = 0;

    double peak() const { return std::hypot(a, b); }
    double sinad_db() const
    {
        if (peak() < 1.0) {
            return -measure_limit_db;
        }
        if (residual_energy <= 0) {
            return measure_limit_db;
        }
        return std::clamp(10 * std::log10(tone_energy / residual_energy), -measure_limit_db, measure_limit_db);
    }
};

// Least squares over a window of n samples with the regressors 1, cos(w k)
// and sin(w k) (IEEE 1057's three-parameter fit at a known frequency): the
// tables and the inverse of their Gram matrix are built once per window
// length, so sliding the window costs two passes over its samples.
class SineBasis {
public:
    SineBasis(double hz, std::size_t n) : _cos(n), _sin(n)
    {
        const double w = 2 * std::numbers::pi * hz / sample_rate_hz;
        double g[3][3] = {};
        for (std::size_t k = 0; k < n; ++k) {
            _cos[k] = std::cos(w * static_cast<double>(k));
            _sin[k] = std::sin(w * static_cast<double>(k));
            const double v[3] = {1.0, _cos[k], _sin[k]};
            for (int i = 0; i < 3; ++i) {
                for (int j = 0; j < 3; ++j) {
                    g[i][j] += v[i] * v[j];
                }
            }
        }
        _gcc = g[1][1];
        _gcs = g[1][2];
        _gss = g[2][2];
        // The inverse by cofactors (g is symmetric and, for 0 < hz < 4000
        // and n >= 32, well conditioned).
        const double c00 = g[1][1] * g[2][2] - g[1][2] * g[2][1];
        const double c01 = g[1][2] * g[2][0] - g[1][0] * g[2][2];
        const double c02 = g[1][0] * g[2][1] - g[1][1] * g[2][0];
        const double det = g[0][0] * c00 + g[0][1] * c01 + g[0][2] * c02;
        _inv[0][0] = c00 / det;
        _inv[0][1] = c01 / det;
        _inv[0][2] = c02 / det;
        _inv[1][1] = (g[0][0] * g[2][2] - g[0][2] * g[2][0]) / det;
        _inv[1][2] = (g[0][2] * g[1][0] - g[0][0] * g[1][2]) / det;
        _inv[2][2] = (g[0][0] * g[1][1] - g[0][1] * g[1][0]) / det;
        _inv[1][0] = _inv[0][1];
        _inv[2][0] = _inv[0][2];
        _inv[2][1] = _inv[1][2];
    }

    std::size_t size() const { return _cos.size(); }

    Fit fit(const int16_t* y) const
    {
        const std::size_t n = size();
        double r[3] = {};
        for (std::size_t k = 0; k < n; ++k) {
            r[0] += y[k];
            r[1] += y[k] * _cos[k];
            r[2] += y[k] * _sin[k];
        }
        Fit f;
        f.dc = _inv[0][0] * r[0] + _inv[0][1] * r[1] + _inv[0][2] * r[2];
        f.a = _inv[1][0] * r[0] + _inv[1][1] * r[1] + _inv[1][2] * r[2];
        f.b = _inv[2][0] * r[0] + _inv[2][1] * r[1] + _inv[2][2] * r[2];
        f.tone_energy = f.a * f.a * _gcc + 2 * f.a * f.b * _gcs + f.b * f.b * _gss;
        for (std::size_t k = 0; k < n; ++k) {
            const double e = y[k] - f.dc - f.a * _cos[k] - f.b * _sin[k];
            f.residual_energy += e * e;
        }
        return f;
    }

private:
    std::vector<double> _cos;
    std::vector<double> _sin;
    double _inv[3][3];
    double _gcc;
    double _gcs;
    double _gss;
};

// The frequency of whatever dominates y: upward zero crossings of y - dc
// with hysteresis (re-armed only below -rms/2, so noise near zero does not
// add crossings), each interpolated between its two samples. 0 with fewer
// than two crossings.
double estimate_freq_hz(const int16_t* y, std::size_t n, double dc)
{
    double energy = 0;
    for (std::size_t k = 0; k < n; ++k) {
        energy += (y[k] - dc) * (y[k] - dc);
    }
    const double threshold = 0.5 * std::sqrt(energy / static_cast<double>(n));
    if (threshold <= 0) {
        return 0;
    }
    bool armed = false;
    std::size_t crossings = 0;
    double first = 0;
    double last = 0;
    for (std::size_t k = 1; k < n; ++k) {
        const double v = y[k] - dc;
        if (v < -threshold) {
            armed = true;
        } else if (armed && v >= 0) {
            const double prev = y[k - 1] - dc;  // < 0, or we had crossed at k - 1
            const double t = static_cast<double>(k - 1) + (-prev) / (v - prev);
            if (crossings == 0) {
                first = t;
            }
            last = t;
            ++crossings;
            armed = false;
        }
    }
    if (crossings < 2 || last <= first) {
        return 0;
    }
    return static_cast<double>(crossings - 1) * sample_rate_hz / (last - first);
}

ToneMeasurement measure_at(const std::vector<int16_t>& y, std::size_t offset, const SineBasis& basis, Law law,
                           double hz, double freq_tolerance_hz)
{
    const Fit f = basis.fit(y.data() + offset);
    ToneMeasurement m;
    m.offset = offset;
    m.samples = basis.size();
    m.sinad_db = f.sinad_db();
    m.level_dbm0 = f.peak() > 0 ? std::max(dbm0_of_peak(f.peak(), law), -measure_limit_db) : -measure_limit_db;
    m.freq_hz = estimate_freq_hz(y.data() + offset, basis.size(), f.dc);
    m.freq_ok = std::abs(m.freq_hz - hz) <= freq_tolerance_hz;
    return m;
}

std::vector<int16_t> decode_all(std::span<const uint8_t> octets, Law law)
{
    std::vector<int16_t> y(octets.size());
    for (std::size_t k = 0; k < octets.size(); ++k) {
        y[k] = decode(law, octets[k]);
    }
    return y;
}

}  // namespace

std::size_t whole_cycle_window(double hz, std::size_t max_samples)
{
    check_hz(hz);
    const double cycles_per_sample = hz / sample_rate_hz;
    for (std::size_t n = max_samples; n > max_samples / 2; --n) {
        const double cycles = static_cast<double>(n) * cycles_per_sample;
        if (std::abs(cycles - std::round(cycles)) < 1e-9 * cycles) {
            return n;
        }
    }
    return max_samples;
}

ToneMeasurement measure_tone(std::span<const int16_t> x, Law law, double hz, double freq_tolerance_hz)
{
    check_hz(hz);
    if (x.size() < min_samples) {
        return {};
    }
    const std::vector<int16_t> y(x.begin(), x.end());
    return measure_at(y, 0, SineBasis(hz, whole_cycle_window(hz, y.size())), law, hz, freq_tolerance_hz);
}

ToneMeasurement measure_tone(std::span<const uint8_t> octets, Law law, double hz, double freq_tolerance_hz)
{
    const std::vector<int16_t> y = decode_all(octets, law);
    return measure_tone(std::span<const int16_t>(y), law, hz, freq_tolerance_hz);
}

ToneMeasurement best_tone_window(std::span<const uint8_t> octets, Law law, double hz, std::size_t window,
                                 std::size_t step, double freq_tolerance_hz)
{
    check_hz(hz);
    if (octets.size() < min_samples || window < min_samples) {
        return {};
    }
    if (step == 0) {
        step = std::max<std::size_t>(1, window / 20);
    }
    const std::vector<int16_t> y = decode_all(octets, law);
    const SineBasis basis(hz, whole_cycle_window(hz, std::min(window, y.size())));
    std::size_t best_offset = 0;
    double best_sinad = -measure_limit_db - 1;
    for (std::size_t offset = 0; offset + basis.size() <= y.size(); offset += step) {
        const double s = basis.fit(y.data() + offset).sinad_db();
        if (s > best_sinad) {
            best_sinad = s;
            best_offset = offset;
        }
    }
    return measure_at(y, best_offset, basis, law, hz, freq_tolerance_hz);
}

}  // namespace trunkgw::audio
