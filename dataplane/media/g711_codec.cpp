// G.711 laws as RTP codecs; see g711_codec.h.
#include "dataplane/media/g711_codec.h"

#include <array>
#include <cstring>

#include "tdm/g711/g711.h"

namespace trunkgw::media {

namespace g711 = trunkgw::tdm::g711;

void convert_law(Law from, Law to, const uint8_t* in, uint8_t* out, std::size_t n)
{
    if (from == to) {
        if (in != out) {
            std::memmove(out, in, n);
        }
    } else if (from == Law::alaw) {
        g711::alaw_to_ulaw_buf(in, out, n);
    } else {
        g711::ulaw_to_alaw_buf(in, out, n);
    }
}

void decode_law(Law law, const uint8_t* in, int16_t* out, std::size_t n)
{
    if (law == Law::alaw) {
        g711::alaw_decode_buf(in, out, n);
    } else {
        g711::ulaw_decode_buf(in, out, n);
    }
}

void encode_law(Law law, const int16_t* in, uint8_t* out, std::size_t n)
{
    if (law == Law::alaw) {
        g711::alaw_encode_buf(in, out, n);
    } else {
        g711::ulaw_encode_buf(in, out, n);
    }
}

namespace {

using SquareTable = std::array<uint32_t, 256>;

SquareTable squares_of(int16_t (*decode)(uint8_t))
{
    SquareTable t{};
    for (unsigned c = 0; c < 256; ++c) {
        const int32_t v = decode(static_cast<uint8_t>(c));
        t[c] = static_cast<uint32_t>(v * v);  // at most 32,256^2 (A-law), 32,124^2 (u-law)
    }
    return t;
}

const SquareTable alaw_squares = squares_of(g711::alaw_to_linear);
const SquareTable ulaw_squares = squares_of(g711::ulaw_to_linear);

}  // namespace

uint64_t sum_of_squares(Law law, const uint8_t* in, std::size_t n)
{
    const SquareTable& t = law == Law::alaw ? alaw_squares : ulaw_squares;
    uint64_t sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sum += t[in[i]];
    }
    return sum;
}

}  // namespace trunkgw::media
