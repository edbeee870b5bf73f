// G.711 laws as RTP codecs; see g711_codec.h.
#include "dataplane/media/g711_codec.h"

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

}  // namespace trunkgw::media
