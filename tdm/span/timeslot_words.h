// One millisecond of a span in the two shapes its users want: frame-major,
// as the span driver moves it (8 frames of span_frame_octets, timeslot t of
// frame f at f * 32 + t), and timeslot-major, as a channel consumes it (32
// words of 8 octets, frame f of timeslot t at octet f of word t, octets in
// memory order).
//
// The worker ticks each joined B-channel's session with its timeslot's 8
// octets and writes back the 8 it plays. Gathered one timeslot at a time that
// is 16 single-octet accesses per channel and millisecond; transposed as
// four 8x8 blocks per direction it is a few dozen vector operations per span
// (SSE2: part of every x86-64), whatever the number of channels.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "tdm/span/span_driver.h"

namespace trunkgw::tdm {

inline constexpr std::size_t timeslot_words_per_ms = span_frame_octets;

namespace detail {

// Transposes an 8x8 block of octets: row r (8 octets at in + r * in_stride)
// becomes column r (octet r of the 8 at out + c * out_stride, for each c).
inline void transpose_8x8(const uint8_t* in, std::size_t in_stride, uint8_t* out, std::size_t out_stride)
{
#if defined(__SSE2__)
    auto row = [&](std::size_t r) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in + r * in_stride)); };
    // Interleaving rows two, then four, then eight at a time: after the
    // third step each 8-octet half holds one column.
    __m128i r01 = _mm_unpacklo_epi8(row(0), row(1));
    __m128i r23 = _mm_unpacklo_epi8(row(2), row(3));
    __m128i r45 = _mm_unpacklo_epi8(row(4), row(5));
    __m128i r67 = _mm_unpacklo_epi8(row(6), row(7));
    __m128i c0123_r0123 = _mm_unpacklo_epi16(r01, r23);
    __m128i c4567_r0123 = _mm_unpackhi_epi16(r01, r23);
    __m128i c0123_r4567 = _mm_unpacklo_epi16(r45, r67);
    __m128i c4567_r4567 = _mm_unpackhi_epi16(r45, r67);
    __m128i c01 = _mm_unpacklo_epi32(c0123_r0123, c0123_r4567);
    __m128i c23 = _mm_unpackhi_epi32(c0123_r0123, c0123_r4567);
    __m128i c45 = _mm_unpacklo_epi32(c4567_r0123, c4567_r4567);
    __m128i c67 = _mm_unpackhi_epi32(c4567_r0123, c4567_r4567);
    auto store2 = [&](std::size_t c, __m128i v) {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + c * out_stride), v);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + (c + 1) * out_stride), _mm_unpackhi_epi64(v, v));
    };
    store2(0, c01);
    store2(2, c23);
    store2(4, c45);
    store2(6, c67);
#else
    for (std::size_t r = 0; r < 8; ++r) {
        for (std::size_t c = 0; c < 8; ++c) {
            out[c * out_stride + r] = in[r * in_stride + c];
        }
    }
#endif
}

}  // namespace detail

// frames: 8 x span_frame_octets octets; words: timeslot_words_per_ms.
inline void frames_to_timeslot_words(const uint8_t* frames, uint64_t* words)
{
    static_assert(frames_per_ms == 8 && span_frame_octets % 8 == 0);
    auto* out = reinterpret_cast<uint8_t*>(words);
    for (std::size_t t = 0; t < span_frame_octets; t += 8) {
        detail::transpose_8x8(frames + t, span_frame_octets, out + t * 8, 8);
    }
}

inline void timeslot_words_to_frames(const uint64_t* words, uint8_t* frames)
{
    const auto* in = reinterpret_cast<const uint8_t*>(words);
    for (std::size_t t = 0; t < span_frame_octets; t += 8) {
        detail::transpose_8x8(in + t * 8, 8, frames + t, span_frame_octets);
    }
}

}  // namespace trunkgw::tdm
