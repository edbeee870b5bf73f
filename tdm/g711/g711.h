// G.711 A-law and u-law (ITU-T G.711 (11/88)): the 64 kbit/s companding of every
// E1/T1 voice timeslot. Bit-exact to the ITU-T G.191 Software Tool Library
// (src/g711/g711.c) for all 65,536 16-bit inputs, plus the direct A-law <-> u-law
// conversions of G.711 Tables 3 and 4. Tables are built at compile time; nothing
// here allocates, throws or keeps state, so every function is safe on any core.
//
// Linear samples are 16-bit and left-justified, as in G.191: A-law looks at the 13
// most significant bits (a range of +/-4096 steps), u-law at the 14 most
// significant bits (+/-8159), so one scale serves both laws and a file's level in
// dBov does not depend on the law.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trunkgw::tdm::g711 {

// G.711 Table 1a (A-law, positive): decoder output value number 1, character
// signal 1000 0000 sent with the even bits inverted: the code an idle A-law
// channel carries. Decodes to +8 (A-law has no zero level).
inline constexpr uint8_t alaw_silence = 0xD5;
// G.711 Table 2a (u-law, positive): decoder output value number 0, character
// signal 1111 1111. Decodes to 0.
inline constexpr uint8_t ulaw_silence = 0xFF;

// --- Scalar codecs -----------------------------------------------------------

// A-law encoder, G.711 Table 1a/1b. Quantizes the 13 MSBs of x; a negative x is
// quantized as its one's complement (~x), as G.191 does, so negative decision
// values sit one LSB below the mirror of the positive ones (-1 codes like 0,
// -16 like 15). Returns the character signal with the even bits already
// inverted, as sent on the line.
uint8_t linear_to_alaw(int16_t x);

// A-law decoder, G.711 Table 1a/1b ("decoder output value"): the middle of the
// quantizing interval, left-justified to 16 bits (+/-8 .. +/-32256).
int16_t alaw_to_linear(uint8_t a);

// u-law encoder, G.711 Table 2a/2b. Quantizes the 14 MSBs of x; a negative x is
// quantized as its one's complement (~x), as G.191 does.
// Why not SpanDSP's linear_to_ulaw(): it negates (-x) where G.191 complements
// (~x), so it returns the neighbouring code on the 127 negative inputs that sit
// exactly on a decision value (e.g. -31612: SpanDSP 0x00, G.191 0x01). (Its
// A-law encoder agrees with G.191 on every input; we keep both laws here.)
// Like G.191 this returns 0x00 for the most negative step; G.711 lets networks
// that must suppress the all-0 character send 0000 0010 instead (Table 2b,
// note). That is the T1 line side's choice (AMI without B8ZS), not done here.
uint8_t linear_to_ulaw(int16_t x);

// u-law decoder, G.711 Table 2a/2b ("decoder output value"), left-justified to
// 16 bits (0 .. +/-32124). Both 0xFF and 0x7F decode to 0.
int16_t ulaw_to_linear(uint8_t u);

// Direct conversion, G.711 Table 4 ("A-law - u-law conversion"): maps the
// A-law decoder output value number to a u-law one, keeping the sign. Not the
// same as linear_to_ulaw(alaw_to_linear(a)) on 17 of 128 magnitudes: the table
// is built so that A -> u -> A is transparent except for A-law numbers 26, 28,
// 30, 32, 45, 47, 63 and 80, where only bit 8 changes (Table 4, Note 2).
uint8_t alaw_to_ulaw(uint8_t a);

// Direct conversion, G.711 Table 3 ("u-law - A-law conversion"). Not the same as
// linear_to_alaw(ulaw_to_linear(u)) on 19 of 128 magnitudes; u -> A -> u is
// transparent except for u-law numbers 0, 2, 4, ..., 14, which gain 1 (only bit
// 8 changes; Table 3, Note 2).
uint8_t ulaw_to_alaw(uint8_t u);

// --- Buffer converters for the data plane ------------------------------------
// One table look-up per sample, no branch per sample, no allocation. `in` and
// `out` may be the same buffer for the byte-to-byte converters; otherwise they
// must not overlap. Every sample is converted (there is no partial result).

void alaw_to_ulaw_buf(const uint8_t* in, uint8_t* out, std::size_t n);
void ulaw_to_alaw_buf(const uint8_t* in, uint8_t* out, std::size_t n);
void alaw_decode_buf(const uint8_t* in, int16_t* out, std::size_t n);
void ulaw_decode_buf(const uint8_t* in, int16_t* out, std::size_t n);
void alaw_encode_buf(const int16_t* in, uint8_t* out, std::size_t n);
void ulaw_encode_buf(const int16_t* in, uint8_t* out, std::size_t n);

}  // namespace trunkgw::tdm::g711
