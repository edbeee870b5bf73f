// Control word encoding and decoding; see control_word.h.
#include "tdm/pw/control_word.h"

namespace trunkgw::tdm {

void pw_encode_control_word(const PwControlWord& cw, std::size_t packet_len, uint8_t* out)
{
    // LEN: "the length of the ... packet (CW + payload) if it is less than
    // 64 bytes, and MUST be set to zero otherwise" (RFC 4553 5.2).
    uint8_t len = packet_len < 64 ? static_cast<uint8_t>(packet_len) : 0;
    out[0] = static_cast<uint8_t>((cw.l ? 0x08 : 0) | (cw.r ? 0x04 : 0) | (cw.m & 0x03));
    out[1] = static_cast<uint8_t>(len & 0x3f);  // FRG = 00
    out[2] = static_cast<uint8_t>(cw.seq >> 8);
    out[3] = static_cast<uint8_t>(cw.seq & 0xff);
}

PwDecoded pw_decode_control_word(const uint8_t* pkt, std::size_t len)
{
    PwDecoded d;
    if (len < pw_control_word_bytes) {
        d.error = PwDecodeError::truncated;
        return d;
    }
    if ((pkt[0] & 0xf0) != 0) {
        d.error = PwDecodeError::bad_nibble;
        return d;
    }
    if ((pkt[1] & 0xc0) != 0) {
        d.error = PwDecodeError::fragmented;
        return d;
    }
    d.cw.l = (pkt[0] & 0x08) != 0;
    d.cw.r = (pkt[0] & 0x04) != 0;
    d.cw.m = pkt[0] & 0x03;
    d.cw.len = pkt[1] & 0x3f;
    d.cw.seq = static_cast<uint16_t>((pkt[2] << 8) | pkt[3]);
    std::size_t total = len;
    if (d.cw.len != 0) {
        // A short packet padded by Ethernet: trust LEN, but it cannot exceed
        // what arrived nor be shorter than the control word.
        if (d.cw.len > len || d.cw.len < pw_control_word_bytes) {
            d.error = PwDecodeError::bad_len;
            return d;
        }
        total = d.cw.len;
    }
    d.payload_len = total - pw_control_word_bytes;
    return d;
}

}  // namespace trunkgw::tdm
