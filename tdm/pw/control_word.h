// The pseudowire control word shared by SAToP (RFC 4553 5.2) and CESoPSN
// (RFC 5086 5.2), both built on the generic PW control word of RFC 4385:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |0 0 0 0|L|R|RSV|FRG|   LEN     |       Sequence number         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// L: local TDM failure ("TDM data invalid"); the CE-bound side plays AIS.
// R: the sender's receive direction is in "loss of packets" state.
// RSV (SAToP) / M (CESoPSN, RFC 5086 5.2): with L = 0, M = 10b signals RDI
//   of the attachment circuit; M = 00 is normal.
// FRG: fragmentation, always 00 for TDM pseudowires (a packet carrying
//   FRG != 0 is refused).
// LEN: CW + payload length when that is under 64 octets (Ethernet
//   padding), else 0 (RFC 4553 5.2, RFC 5086 5.2).
#pragma once

#include <cstddef>
#include <cstdint>

namespace trunkgw::tdm {

inline constexpr std::size_t pw_control_word_bytes = 4;

struct PwControlWord {
    bool l = false;
    bool r = false;
    uint8_t m = 0;  // 2 bits; 0 for SAToP
    uint8_t len = 0;
    uint16_t seq = 0;
};

enum class PwDecodeError {
    ok = 0,
    truncated,       // shorter than the control word
    bad_nibble,      // first nibble not 0000: not a PW control word (RFC 4385 3)
    fragmented,      // FRG != 0
    bad_len,         // LEN set but disagreeing with the packet length
};

void pw_encode_control_word(const PwControlWord& cw, std::size_t packet_len, uint8_t* out);

struct PwDecoded {
    PwDecodeError error = PwDecodeError::ok;
    PwControlWord cw;
    std::size_t payload_len = 0;  // what the packet really carries (LEN strips Ethernet padding)
};

// Decodes the control word of a packet of `len` octets (CW + payload).
PwDecoded pw_decode_control_word(const uint8_t* pkt, std::size_t len);

}  // namespace trunkgw::tdm
