// The RTP fixed header (RFC 3550 5.1): build/parse round trip, CSRC list,
// header extension (5.3.1), padding, and every malformed case.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/media/rtp_header.h"

using namespace trunkgw::media;

TEST_CASE("rtp header: built octets are exactly RFC 3550 5.1", "[rtp_header]")
{
    RtpHeaderFields h;
    h.marker = true;
    h.payload_type = 8;
    h.sequence = 0x1234;
    h.timestamp = 0xDEADBEEF;
    h.ssrc = 0x01020304;
    uint8_t out[12];
    REQUIRE(rtp_build_header(h, out, sizeof(out)) == 12);
    const uint8_t expect[12] = {0x80, 0x88, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04};
    REQUIRE(std::memcmp(out, expect, 12) == 0);
}

TEST_CASE("rtp header: build -> parse round trip with CSRCs", "[rtp_header]")
{
    const uint32_t csrc[3] = {0xAABBCCDD, 0x11223344, 0x55667788};
    RtpHeaderFields h;
    h.marker = false;
    h.payload_type = 0;
    h.sequence = 65535;
    h.timestamp = 4294967295u;
    h.ssrc = 0xCAFEF00D;
    h.csrc = csrc;
    h.csrc_count = 3;
    std::vector<uint8_t> pkt(12 + 12 + 160);
    REQUIRE(rtp_build_header(h, pkt.data(), pkt.size()) == 24);
    for (std::size_t i = 0; i < 160; ++i) {
        pkt[24 + i] = static_cast<uint8_t>(i);
    }
    RtpPacketView v = rtp_parse(pkt.data(), pkt.size());
    REQUIRE(v.ok());
    REQUIRE(v.header.padding == false);
    REQUIRE(v.header.extension == false);
    REQUIRE(v.header.csrc_count == 3);
    REQUIRE(v.header.marker == false);
    REQUIRE(v.header.payload_type == 0);
    REQUIRE(v.header.sequence == 65535);
    REQUIRE(v.header.timestamp == 4294967295u);
    REQUIRE(v.header.ssrc == 0xCAFEF00D);
    REQUIRE(v.csrc_at(0) == 0xAABBCCDD);
    REQUIRE(v.csrc_at(1) == 0x11223344);
    REQUIRE(v.csrc_at(2) == 0x55667788);
    REQUIRE(v.payload == pkt.data() + 24);
    REQUIRE(v.payload_len == 160);
    REQUIRE(v.padding_len == 0);
}

TEST_CASE("rtp header: build refuses a small buffer, a PT over 127, 16 CSRCs", "[rtp_header]")
{
    uint8_t out[64];
    RtpHeaderFields h;
    REQUIRE(rtp_build_header(h, out, 11) == -ENOSPC);
    h.payload_type = 128;
    REQUIRE(rtp_build_header(h, out, sizeof(out)) == -EINVAL);
    h.payload_type = 8;
    uint32_t csrc[16] = {};
    h.csrc = csrc;
    h.csrc_count = 16;
    REQUIRE(rtp_build_header(h, out, sizeof(out)) == -EINVAL);
    h.csrc_count = 2;
    REQUIRE(rtp_build_header(h, out, 19) == -ENOSPC);
    REQUIRE(rtp_build_header(h, out, 20) == 20);
}

TEST_CASE("rtp header: too short", "[rtp_header]")
{
    uint8_t pkt[40] = {0x80, 0x08};
    REQUIRE(rtp_parse(pkt, 0).error == RtpParseError::too_short);
    REQUIRE(rtp_parse(pkt, 11).error == RtpParseError::too_short);
    // A 12-octet header with no payload parses (the jitter buffer refuses it).
    RtpPacketView v = rtp_parse(pkt, 12);
    REQUIRE(v.ok());
    REQUIRE(v.payload_len == 0);
    // CC = 2 needs 20 octets.
    pkt[0] = 0x82;
    REQUIRE(rtp_parse(pkt, 19).error == RtpParseError::too_short);
    REQUIRE(rtp_parse(pkt, 20).ok());
    REQUIRE(std::string(rtp_parse_error_name(RtpParseError::too_short)) == "too_short");
}

TEST_CASE("rtp header: version must be 2", "[rtp_header]")
{
    uint8_t pkt[20] = {};
    for (uint8_t v : {0, 1, 3}) {
        pkt[0] = static_cast<uint8_t>(v << 6);
        REQUIRE(rtp_parse(pkt, sizeof(pkt)).error == RtpParseError::bad_version);
    }
    pkt[0] = 0x80;
    REQUIRE(rtp_parse(pkt, sizeof(pkt)).ok());
}

TEST_CASE("rtp header: the header extension is skipped (RFC 3550 5.3.1)", "[rtp_header]")
{
    // X = 1, CC = 1: header 12, CSRC 4, extension header 4 + 2 words, then 5
    // octets of payload.
    std::vector<uint8_t> pkt = {0x91, 0x08, 0,    1,    0,   0, 0, 2, 0, 0, 0, 3,  // fixed
                                0,    0,    0,    9,                               // CSRC
                                0xBE, 0xDE, 0x00, 0x02,                            // profile, length 2
                                1,    2,    3,    4,    5,   6, 7, 8,              // extension data
                                0xA0, 0xA1, 0xA2, 0xA3, 0xA4};                     // payload
    RtpPacketView v = rtp_parse(pkt.data(), pkt.size());
    REQUIRE(v.ok());
    REQUIRE(v.header.extension);
    REQUIRE(v.extension_profile == 0xBEDE);
    REQUIRE(v.extension_words == 2);
    REQUIRE(v.csrc_at(0) == 9);
    REQUIRE(v.payload_len == 5);
    REQUIRE(v.payload[0] == 0xA0);
    REQUIRE(v.payload[4] == 0xA4);

    // The extension's data runs past the end.
    REQUIRE(rtp_parse(pkt.data(), 27).error == RtpParseError::bad_extension);
    // Exactly the extension, no payload: fine.
    REQUIRE(rtp_parse(pkt.data(), 28).ok());
    REQUIRE(rtp_parse(pkt.data(), 28).payload_len == 0);
    // Not even the extension header fits.
    REQUIRE(rtp_parse(pkt.data(), 19).error == RtpParseError::bad_extension);
    // A huge length field.
    pkt[18] = 0xFF;
    REQUIRE(rtp_parse(pkt.data(), pkt.size()).error == RtpParseError::bad_extension);
}

TEST_CASE("rtp header: padding is stripped and validated", "[rtp_header]")
{
    // P = 1; 4 payload octets then 3 padding octets, the last one the count.
    std::vector<uint8_t> pkt = {0xA0, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x11, 0x22, 0x33, 0x44, 0, 0, 3};
    RtpPacketView v = rtp_parse(pkt.data(), pkt.size());
    REQUIRE(v.ok());
    REQUIRE(v.header.padding);
    REQUIRE(v.padding_len == 3);
    REQUIRE(v.payload_len == 4);
    REQUIRE(v.payload[3] == 0x44);

    // Count 7: everything after the header is padding (allowed).
    pkt.back() = 7;
    v = rtp_parse(pkt.data(), pkt.size());
    REQUIRE(v.ok());
    REQUIRE(v.payload_len == 0);
    // Count 8 would eat into the header.
    pkt.back() = 8;
    REQUIRE(rtp_parse(pkt.data(), pkt.size()).error == RtpParseError::bad_padding);
    // Count 0: the count includes itself, so 0 is impossible.
    pkt.back() = 0;
    REQUIRE(rtp_parse(pkt.data(), pkt.size()).error == RtpParseError::bad_padding);
    // P set on a bare header: the count octet is the last header octet.
    uint8_t bare[12] = {0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    REQUIRE(rtp_parse(bare, sizeof(bare)).error == RtpParseError::bad_padding);
}
