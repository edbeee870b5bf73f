// The pseudowire control word (RFC 4553 5.2 / RFC 5086 5.2).
#include <catch2/catch.hpp>

#include "tdm/pw/control_word.h"

using namespace trunkgw::tdm;

TEST_CASE("control words encode bit for bit", "[pw]")
{
    uint8_t b[4];
    PwControlWord cw;
    cw.l = true;
    cw.r = false;
    cw.m = 0;
    cw.seq = 0x1234;
    pw_encode_control_word(cw, 260, b);
    REQUIRE(b[0] == 0x08);
    REQUIRE(b[1] == 0x00);  // LEN 0: packet of 64 octets or more
    REQUIRE(b[2] == 0x12);
    REQUIRE(b[3] == 0x34);
    cw = PwControlWord{};
    cw.r = true;
    cw.m = 2;
    cw.seq = 0xfffe;
    pw_encode_control_word(cw, 12, b);  // CESoPSN, one timeslot, 8 frames
    REQUIRE(b[0] == 0x06);
    REQUIRE(b[1] == 12);
    REQUIRE(b[2] == 0xff);
    REQUIRE(b[3] == 0xfe);
}

TEST_CASE("control words round-trip and LEN strips padding", "[pw]")
{
    uint8_t pkt[64] = {};
    PwControlWord in;
    in.l = false;
    in.r = true;
    in.m = 2;
    in.seq = 777;
    pw_encode_control_word(in, 12, pkt);
    // Arrives padded to 46 octets (minimum Ethernet payload minus IP/UDP).
    PwDecoded d = pw_decode_control_word(pkt, 46);
    REQUIRE(d.error == PwDecodeError::ok);
    REQUIRE(d.payload_len == 8);
    const PwControlWord& out = d.cw;
    REQUIRE(out.r);
    REQUIRE_FALSE(out.l);
    REQUIRE(out.m == 2);
    REQUIRE(out.seq == 777);
}

TEST_CASE("bad control words are refused with a reason", "[pw]")
{
    uint8_t short_pkt[3] = {0, 0, 0};
    REQUIRE(pw_decode_control_word(short_pkt, 3).error == PwDecodeError::truncated);
    uint8_t ip_like[8] = {0x45, 0, 0, 0, 0, 0, 0, 0};
    REQUIRE(pw_decode_control_word(ip_like, 8).error == PwDecodeError::bad_nibble);
    uint8_t frag[8] = {0x00, 0x40, 0, 1, 0, 0, 0, 0};
    REQUIRE(pw_decode_control_word(frag, 8).error == PwDecodeError::fragmented);
    uint8_t long_len[8] = {0x00, 40, 0, 1, 0, 0, 0, 0};
    REQUIRE(pw_decode_control_word(long_len, 8).error == PwDecodeError::bad_len);
    uint8_t tiny_len[8] = {0x00, 2, 0, 1, 0, 0, 0, 0};
    REQUIRE(pw_decode_control_word(tiny_len, 8).error == PwDecodeError::bad_len);
}
