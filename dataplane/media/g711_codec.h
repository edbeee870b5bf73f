// The two G.711 laws as RTP codecs: which law a static payload type carries
// (RFC 3551 6, Table 4: PT 0 = PCMU, PT 8 = PCMA, both 8000 Hz, 1 channel),
// the idle code of each law, and copying samples from one law to the other.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trunkgw::media {

// A channel's or a codec's companding law: A-law on E1, u-law on T1.
enum class Law : uint8_t { alaw, ulaw };

// RFC 3551 6, Table 4.
inline constexpr uint8_t payload_type_pcmu = 0;
inline constexpr uint8_t payload_type_pcma = 8;

// RFC 3551 4.5.14: G.711 is sampled at 8000 Hz; 8 samples per 1 ms tick.
inline constexpr uint32_t samples_per_ms = 8;

// RFC 3551 6: 96-127 are the dynamic payload types, bound by SDP (RFC 4733
// 7.1's telephone-event is one of them).
constexpr bool is_dynamic_payload_type(unsigned pt)
{
    return pt >= 96 && pt <= 127;
}

// True for the two static G.711 payload types.
constexpr bool is_g711_payload_type(uint8_t pt)
{
    return pt == payload_type_pcmu || pt == payload_type_pcma;
}

// The law of a G.711 payload type (call only with 0 or 8).
constexpr Law law_of_payload_type(uint8_t pt)
{
    return pt == payload_type_pcma ? Law::alaw : Law::ulaw;
}

// G.711 Tables 1a/2a: 0xD5 (A-law) and 0xFF (u-law) are the idle codes.
constexpr uint8_t silence_octet(Law law)
{
    return law == Law::alaw ? 0xD5 : 0xFF;
}

// Copies n samples from law `from` to law `to`: a plain copy when the laws
// agree, else G.711 Tables 3/4 (tdm::g711). `in` and `out` may be the same.
void convert_law(Law from, Law to, const uint8_t* in, uint8_t* out, std::size_t n);

// Decodes/encodes n samples between a law and 16-bit linear (tdm::g711).
void decode_law(Law law, const uint8_t* in, int16_t* out, std::size_t n);
void encode_law(Law law, const int16_t* in, uint8_t* out, std::size_t n);

// The sum of the squares of n samples' linear values: n times their mean
// power (a sine of amplitude 32768 has a mean square of 2^29, +3.14 dBm0,
// G.711's maximum). One table look-up a sample, no decode.
uint64_t sum_of_squares(Law law, const uint8_t* in, std::size_t n);

}  // namespace trunkgw::media
