// SINAD of a test tone in G.711 audio: fit the expected tone by least squares
// and compare its power with what is left (noise and distortion), as a notch
// filter test set does (ITU-T O.132 measures the same ratio with a notch).
// Also the tone's level in dBm0 (tone.h's convention) and its frequency, and
// the best window of a longer stream (leading silence, start-up, slips).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bench/audio/tone.h"

namespace trunkgw::audio {

// Reported values are clamped to +/- this so that they stay finite JSON
// numbers: SINAD of a window with no residual, or with no tone, and the level
// of no tone.
inline constexpr double measure_limit_db = 150.0;
// Default for ToneMeasurement::freq_ok. A digital path reproduces the
// frequency exactly; the estimator is good to ~0.02 Hz at 20 dB SINAD.
inline constexpr double default_freq_tolerance_hz = 1.0;

struct ToneMeasurement {
    std::size_t offset = 0;   // first sample of the window measured
    std::size_t samples = 0;  // window length; 0 = too few samples to measure
    // 10 log10(tone power / residual power), where the tone is the sinusoid
    // at exactly the expected frequency fitted by least squares (amplitude and
    // phase free) and the residual is what remains after removing it and the
    // window's mean. DC is not counted as noise (an idle A-law channel
    // decodes to +8). A tone below one 16-bit step (-87 dBm0) counts as none:
    // -measure_limit_db.
    double sinad_db = -measure_limit_db;
    double level_dbm0 = -measure_limit_db;  // level of the fitted tone
    // Measured from the signal (hysteresis zero crossings, interpolated), not
    // assumed: 0 when the window has fewer than two cycles of anything.
    double freq_hz = 0;
    bool freq_ok = false;  // |freq_hz - expected| <= the tolerance
};

// The window length for a tone at `hz`: the largest n <= max_samples, and
// more than max_samples / 2, holding a whole number of cycles (8000 Hz
// sampling), so that the tone and DC are orthogonal over it; max_samples
// itself when there is none (the fit is exact either way). For 1004 Hz:
// multiples of 2000 samples (251 cycles). Throws std::invalid_argument unless
// 0 < hz < 4000.
std::size_t whole_cycle_window(double hz, std::size_t max_samples);

// Measures the first whole_cycle_window(hz, x.size()) samples of `x` (16-bit
// linear; `law` only sets the dBm0 reference) or of G.711 `octets`. Fewer
// than 32 samples measure nothing (samples = 0). Throws std::invalid_argument
// unless 0 < hz < 4000.
ToneMeasurement measure_tone(std::span<const int16_t> x, Law law, double hz,
                             double freq_tolerance_hz = default_freq_tolerance_hz);
ToneMeasurement measure_tone(std::span<const uint8_t> octets, Law law, double hz,
                             double freq_tolerance_hz = default_freq_tolerance_hz);

// The window of `window` samples (shortened to whole cycles by
// whole_cycle_window) with the highest SINAD among those starting every
// `step` samples (0: window / 20, i.e. 50 ms for 1 s) in `octets`, so leading
// silence, start-up and isolated slips are skipped. A stream shorter than the
// window is measured whole. Ties go to the earliest window.
ToneMeasurement best_tone_window(std::span<const uint8_t> octets, Law law, double hz, std::size_t window = 8000,
                                 std::size_t step = 0, double freq_tolerance_hz = default_freq_tolerance_hz);

}  // namespace trunkgw::audio
