// A span's millisecond between frame-major and timeslot-major: every octet
// lands where the definition puts it, both ways, and the two are inverses.
#include <catch2/catch.hpp>

#include <array>
#include <random>

#include "tdm/span/timeslot_words.h"

using namespace trunkgw::tdm;

namespace {

constexpr std::size_t ms_octets = frames_per_ms * span_frame_octets;

// Octet f of word t, in memory order (the header's definition).
uint8_t octet(const std::array<uint64_t, timeslot_words_per_ms>& words, std::size_t t, std::size_t f)
{
    return reinterpret_cast<const uint8_t*>(words.data())[t * 8 + f];
}

}  // namespace

TEST_CASE("timeslot words: frame f of timeslot t is octet f of word t, and back", "[span][timeslot_words]")
{
    std::mt19937 rng(5086);
    for (int round = 0; round < 50; ++round) {
        std::array<uint8_t, ms_octets> frames{};
        for (auto& o : frames) {
            o = static_cast<uint8_t>(rng());
        }
        std::array<uint64_t, timeslot_words_per_ms> words{};
        frames_to_timeslot_words(frames.data(), words.data());
        for (std::size_t t = 0; t < span_frame_octets; ++t) {
            for (std::size_t f = 0; f < frames_per_ms; ++f) {
                REQUIRE(octet(words, t, f) == frames[f * span_frame_octets + t]);
            }
        }
        std::array<uint8_t, ms_octets> back{};
        timeslot_words_to_frames(words.data(), back.data());
        REQUIRE(back == frames);
    }
}

TEST_CASE("timeslot words: one timeslot's word changes only that timeslot's octets", "[span][timeslot_words]")
{
    std::array<uint8_t, ms_octets> frames{};
    for (std::size_t i = 0; i < frames.size(); ++i) {
        frames[i] = static_cast<uint8_t>(i);
    }
    std::array<uint64_t, timeslot_words_per_ms> words{};
    frames_to_timeslot_words(frames.data(), words.data());
    auto* w17 = reinterpret_cast<uint8_t*>(&words[17]);
    for (uint8_t f = 0; f < 8; ++f) {
        w17[f] = static_cast<uint8_t>(0xA0 + f);
    }
    std::array<uint8_t, ms_octets> out{};
    timeslot_words_to_frames(words.data(), out.data());
    for (std::size_t f = 0; f < frames_per_ms; ++f) {
        for (std::size_t t = 0; t < span_frame_octets; ++t) {
            uint8_t want = t == 17 ? static_cast<uint8_t>(0xA0 + f) : frames[f * span_frame_octets + t];
            REQUIRE(out[f * span_frame_octets + t] == want);
        }
    }
}
