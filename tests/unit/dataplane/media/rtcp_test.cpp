// RTCP SR/RR/SDES/BYE: build -> parse round trips, the RFC 3550 6.4.1
// round-trip example, and every validity check of 6.1 / A.2.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/media/ntp_time.h"
#include "dataplane/media/rtcp.h"

using namespace trunkgw::media;

// The whole file in its own namespace: the test binary is built as one unit
// (meson unity, tests/meson.build) and each file has its own helpers.
namespace rtcp_test {

ReportBlock sample_block(uint32_t ssrc)
{
    ReportBlock b;
    b.ssrc = ssrc;
    b.fraction_lost = 51;
    b.cumulative_lost = -5;  // negative: duplicates
    b.extended_highest_seq = 0x00012345;
    b.jitter = 77;
    b.lsr = 0xB7052000;
    b.dlsr = 0x00054000;
    return b;
}

void require_same(const ReportBlock& a, const ReportBlock& b)
{
    REQUIRE(a.ssrc == b.ssrc);
    REQUIRE(a.fraction_lost == b.fraction_lost);
    REQUIRE(a.cumulative_lost == b.cumulative_lost);
    REQUIRE(a.extended_highest_seq == b.extended_highest_seq);
    REQUIRE(a.jitter == b.jitter);
    REQUIRE(a.lsr == b.lsr);
    REQUIRE(a.dlsr == b.dlsr);
}

TEST_CASE("rtcp: SR octets and build -> parse round trip", "[rtcp]")
{
    SenderInfo si;
    si.ssrc = 0x11223344;
    si.ntp = 0xB7108000'12345678ull;
    si.rtp_timestamp = 0xCAFEBABE;
    si.packet_count = 1000;
    si.octet_count = 160000;
    ReportBlock b = sample_block(0x55667788);
    uint8_t buf[128];
    int len = rtcp_build_sr(si, &b, 1, buf, sizeof(buf));
    REQUIRE(len == 52);
    // V=2, RC=1, PT=200, length = 52/4 - 1 = 12.
    REQUIRE(buf[0] == 0x81);
    REQUIRE(buf[1] == 200);
    REQUIRE(buf[2] == 0);
    REQUIRE(buf[3] == 12);
    // fraction 51 then -5 as 24 bits: 0x33 FF FF FB.
    REQUIRE(buf[32] == 0x33);
    REQUIRE(buf[33] == 0xFF);
    REQUIRE(buf[34] == 0xFF);
    REQUIRE(buf[35] == 0xFB);

    RtcpInfo info = rtcp_parse(buf, static_cast<std::size_t>(len), 0x55667788);
    REQUIRE(info.ok());
    REQUIRE(info.packets == 1);
    REQUIRE(info.reporter_ssrc == 0x11223344);
    REQUIRE(info.has_sender_info);
    REQUIRE(info.sender_info.ssrc == 0x11223344);
    REQUIRE(info.sender_info.ntp == 0xB7108000'12345678ull);
    REQUIRE(info.sender_info.rtp_timestamp == 0xCAFEBABE);
    REQUIRE(info.sender_info.packet_count == 1000);
    REQUIRE(info.sender_info.octet_count == 160000);
    REQUIRE(info.has_block);
    require_same(info.block, b);
    REQUIRE_FALSE(info.bye);

    // A block about someone else is not ours.
    info = rtcp_parse(buf, static_cast<std::size_t>(len), 0x99999999);
    REQUIRE(info.ok());
    REQUIRE_FALSE(info.has_block);
}

TEST_CASE("rtcp: compound RR + SDES CNAME + BYE round trip", "[rtcp]")
{
    uint8_t buf[256];
    ReportBlock blocks[2] = {sample_block(0xAAAA0001), sample_block(0xAAAA0002)};
    blocks[1].jitter = 999;
    int rr = rtcp_build_rr(0x0BADF00D, blocks, 2, buf, sizeof(buf));
    REQUIRE(rr == 8 + 48);
    int sdes = rtcp_build_sdes_cname(0x0BADF00D, "trunkgw@10.0.0.1", 16, buf + rr, sizeof(buf) - rr);
    // 8 + (2 + 16 + 1 -> 20) = 28.
    REQUIRE(sdes == 28);
    REQUIRE(buf[rr] == 0x81);
    REQUIRE(buf[rr + 1] == 202);
    REQUIRE(buf[rr + 8] == 1);   // CNAME
    REQUIRE(buf[rr + 9] == 16);  // its length
    REQUIRE(std::string(reinterpret_cast<char*>(buf + rr + 10), 16) == "trunkgw@10.0.0.1");
    REQUIRE(buf[rr + 26] == 0);  // the null item and padding
    REQUIRE(buf[rr + 27] == 0);
    int bye = rtcp_build_bye(0x0BADF00D, buf + rr + sdes, sizeof(buf) - rr - sdes);
    REQUIRE(bye == 8);
    std::size_t len = static_cast<std::size_t>(rr + sdes + bye);

    RtcpInfo info = rtcp_parse(buf, len, 0xAAAA0002);
    REQUIRE(info.ok());
    REQUIRE(info.packets == 3);
    REQUIRE(info.reporter_ssrc == 0x0BADF00D);
    REQUIRE_FALSE(info.has_sender_info);
    REQUIRE(info.has_block);
    require_same(info.block, blocks[1]);
    REQUIRE(info.bye);
}

TEST_CASE("rtcp: builders refuse small buffers and bad arguments", "[rtcp]")
{
    uint8_t buf[64];
    SenderInfo si;
    ReportBlock b;
    REQUIRE(rtcp_build_sr(si, &b, 1, buf, 51) == -ENOSPC);
    REQUIRE(rtcp_build_sr(si, nullptr, 0, buf, 28) == 28);
    REQUIRE(rtcp_build_rr(1, &b, 32, buf, sizeof(buf)) == -EINVAL);
    REQUIRE(rtcp_build_rr(1, nullptr, 0, buf, 7) == -ENOSPC);
    std::string long_name(256, 'x');
    REQUIRE(rtcp_build_sdes_cname(1, long_name.data(), long_name.size(), buf, sizeof(buf)) == -EINVAL);
    REQUIRE(rtcp_build_sdes_cname(1, "abc", 3, buf, 15) == -ENOSPC);
    REQUIRE(rtcp_build_sdes_cname(1, "abc", 3, buf, 16) == 16);
    REQUIRE(rtcp_build_bye(1, buf, 7) == -ENOSPC);
}

TEST_CASE("rtcp: round-trip time, the RFC 3550 6.4.1 example", "[rtcp]")
{
    // "A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s),
    // DLSR = 0x0005:4000 (5.250 s), delay = 0x0006:2000 (6.125 s)".
    REQUIRE(rtcp_round_trip(0xB7108000, 0xB7052000, 0x00054000) == 0x00062000);
    REQUIRE(ntp_short_to_us(0x00062000) == 6125000);
    // No SR received yet.
    REQUIRE(rtcp_round_trip(0xB7108000, 0, 0) == -1);
    // DLSR larger than A - LSR: no measurement.
    REQUIRE(rtcp_round_trip(0xB7108000, 0xB7052000, 0x000C0000) == -1);
    // Across the 32-bit wrap of the middle bits.
    REQUIRE(rtcp_round_trip(0x00001000, 0xFFFFF000, 0x00000800) == 0x1800);
}

TEST_CASE("rtcp: NTP time from a caller clock", "[rtcp]")
{
    REQUIRE(ns_to_ntp(1500000000ull) == ((1ull << 32) | 0x80000000ull));
    REQUIRE(ntp_from_unix_ns(0) == (2208988800ull << 32));
    NtpClock c{1000, 5ull << 32};
    REQUIRE(c.at(1000) == 5ull << 32);
    REQUIRE(c.at(1000 + 250000000ull) == ((5ull << 32) | 0x40000000ull));
    REQUIRE(ntp_middle32(0xB7108000'12345678ull) == 0x80001234u);
}

TEST_CASE("rtcp: validity checks (RFC 3550 6.1, A.2)", "[rtcp]")
{
    uint8_t buf[128];
    ReportBlock b = sample_block(5);
    int rr = rtcp_build_rr(9, &b, 1, buf, sizeof(buf));
    int sdes = rtcp_build_sdes_cname(9, "x", 1, buf + rr, sizeof(buf) - rr);
    std::size_t len = static_cast<std::size_t>(rr + sdes);
    REQUIRE(rtcp_parse(buf, len, 5).ok());

    SECTION("too short or not a multiple of 4")
    {
        REQUIRE(rtcp_parse(buf, 4, 5).error == RtcpParseError::too_short);
        REQUIRE(rtcp_parse(buf, len - 2, 5).error == RtcpParseError::too_short);
    }
    SECTION("version of the first and of a later packet")
    {
        buf[0] = 0x41;
        REQUIRE(rtcp_parse(buf, len, 5).error == RtcpParseError::bad_version);
        buf[0] = 0x81;
        buf[rr] = 0xC1;
        REQUIRE(rtcp_parse(buf, len, 5).error == RtcpParseError::bad_version);
    }
    SECTION("the first packet must be SR or RR without padding")
    {
        REQUIRE(rtcp_parse(buf + rr, static_cast<std::size_t>(sdes), 5).error == RtcpParseError::bad_first_packet);
        buf[0] |= 0x20;
        REQUIRE(rtcp_parse(buf, len, 5).error == RtcpParseError::bad_first_packet);
    }
    SECTION("lengths must add up")
    {
        buf[len] = 0;
        buf[len + 1] = 0;
        buf[len + 2] = 0;
        buf[len + 3] = 0;
        // 4 stray octets after the last packet: a "packet" with V=0.
        REQUIRE(rtcp_parse(buf, len + 4, 5).error == RtcpParseError::bad_version);
        // The RR's length field one word too long.
        buf[3] = static_cast<uint8_t>(buf[3] + 1);
        REQUIRE(rtcp_parse(buf, len, 5).error == RtcpParseError::bad_version);
        buf[3] = 0xFF;
        REQUIRE(rtcp_parse(buf, len, 5).error == RtcpParseError::bad_length);
    }
    SECTION("RC must fit in the packet")
    {
        buf[0] = 0x82;  // two blocks claimed, one present
        REQUIRE(rtcp_parse(buf, len, 5).error == RtcpParseError::bad_length);
    }
    SECTION("padding only on the last packet, with a sane count")
    {
        buf[0] = 0x81;
        buf[rr] |= 0x20;  // SDES is last: its last octet is the count
        buf[len - 1] = 4;
        REQUIRE(rtcp_parse(buf, len, 5).ok());
        buf[len - 1] = 0;
        REQUIRE(rtcp_parse(buf, len, 5).error == RtcpParseError::bad_padding);
        buf[len - 1] = 13;  // more than the body after the header
        REQUIRE(rtcp_parse(buf, len, 5).error == RtcpParseError::bad_padding);
        // Padding on an RR that is followed by another packet.
        uint8_t two[128];
        int n1 = rtcp_build_rr(9, nullptr, 0, two, sizeof(two));
        int n2 = rtcp_build_bye(9, two + n1, sizeof(two) - n1);
        REQUIRE(rtcp_parse(two, static_cast<std::size_t>(n1 + n2), 5).ok());
        two[n1] |= 0x20;
        two[n1 + n2 - 1] = 4;
        REQUIRE(rtcp_parse(two, static_cast<std::size_t>(n1 + n2), 5).ok());  // BYE is last: fine
        two[n1] &= static_cast<uint8_t>(~0x20);
        two[0] |= 0x20;  // the first packet: refused by A.2
        REQUIRE(rtcp_parse(two, static_cast<std::size_t>(n1 + n2), 5).error == RtcpParseError::bad_first_packet);
    }
}

}  // namespace rtcp_test
