// TDM -> RTP: sequence numbers, timestamps and the marker bit at every
// ptime, across the 16- and 32-bit wraps, and A <-> u conversion checked
// against tdm::g711.
#include <catch2/catch.hpp>

#include <array>
#include <cerrno>
#include <stdexcept>
#include <vector>

#include "dataplane/media/packetizer.h"
#include "tdm/g711/g711.h"

using namespace trunkgw::media;
namespace g711 = trunkgw::tdm::g711;

// The whole file in its own namespace: the test binary is built as one unit
// (meson unity, tests/meson.build) and each file has its own helpers.
namespace packetizer_test {

struct Sent {
    RtpHeader h;
    std::vector<uint8_t> payload;
};

// A packetizer and the buffer its packets gather in: push() accumulates a
// packet's payload in its caller's buffer across calls (packetizer.h), so
// the buffer lives as long as the stream. (It was a local of run(): a second
// run() continuing a packet read a new, uninitialised array, which an LTO
// build placed elsewhere on the stack.)
struct Stream {
    explicit Stream(const PacketizerConfig& c) : p(c) {}
    Packetizer p;
    std::array<uint8_t, Packetizer::max_packet> buf{};
};

// Pushes `ticks` ticks of a counting pattern (sample k of the stream is
// k & 0xFF, starting at `first`); returns the packets that came out.
std::vector<Sent> run(Stream& st, uint32_t ticks, uint32_t first = 0)
{
    std::vector<Sent> out;
    for (uint32_t t = 0; t < ticks; ++t) {
        uint8_t s[8];
        for (uint32_t i = 0; i < 8; ++i) {
            s[i] = static_cast<uint8_t>(first + t * 8 + i);
        }
        int len = st.p.push(s, st.buf.data());
        REQUIRE(len >= 0);
        if (len > 0) {
            RtpPacketView v = rtp_parse(st.buf.data(), static_cast<std::size_t>(len));
            REQUIRE(v.ok());
            out.push_back({v.header, std::vector<uint8_t>(v.payload, v.payload + v.payload_len)});
        }
    }
    return out;
}

TEST_CASE("packetizer: one packet per ptime with exact seq, timestamp, marker", "[packetizer]")
{
    for (uint32_t ptime : {10u, 20u, 30u, 40u}) {
        PacketizerConfig c;
        c.payload_type = payload_type_pcma;
        c.channel_law = Law::alaw;
        c.ptime_ms = ptime;
        c.ssrc = 0x12345678;
        c.first_sequence = 1000;
        c.first_timestamp = 50000;
        Stream st(c);
        Packetizer& p = st.p;
        REQUIRE(p.ptime_samples() == ptime * 8);
        // ptime - 1 ticks: nothing yet.
        REQUIRE(run(st, ptime - 1).empty());
        std::vector<Sent> pk = run(st, 1 + 4 * ptime, (ptime - 1) * 8);
        REQUIRE(pk.size() == 5);
        for (std::size_t i = 0; i < pk.size(); ++i) {
            REQUIRE(pk[i].h.sequence == 1000 + i);
            REQUIRE(pk[i].h.timestamp == 50000 + i * ptime * 8);
            REQUIRE(pk[i].h.marker == (i == 0));
            REQUIRE(pk[i].h.payload_type == 8);
            REQUIRE(pk[i].h.ssrc == 0x12345678);
            REQUIRE(pk[i].h.csrc_count == 0);
            REQUIRE(pk[i].payload.size() == ptime * 8);
            // Same law: the samples pass bit-exact, in order.
            for (std::size_t k = 0; k < pk[i].payload.size(); ++k) {
                REQUIRE(pk[i].payload[k] == static_cast<uint8_t>(i * ptime * 8 + k));
            }
        }
        REQUIRE(p.next_timestamp() == 50000 + 5 * ptime * 8);
        REQUIRE(p.next_sequence() == 1005);
    }
}

TEST_CASE("packetizer: sequence and timestamp wrap", "[packetizer]")
{
    PacketizerConfig c;
    c.payload_type = payload_type_pcmu;
    c.channel_law = Law::ulaw;
    c.ptime_ms = 20;
    c.first_sequence = 65534;
    c.first_timestamp = 0xFFFFFF00u;  // 256 samples before the wrap
    Stream st(c);
    std::vector<Sent> pk = run(st, 80);
    REQUIRE(pk.size() == 4);
    REQUIRE(pk[0].h.sequence == 65534);
    REQUIRE(pk[1].h.sequence == 65535);
    REQUIRE(pk[2].h.sequence == 0);
    REQUIRE(pk[3].h.sequence == 1);
    REQUIRE(pk[0].h.timestamp == 0xFFFFFF00u);
    REQUIRE(pk[1].h.timestamp == 0xFFFFFFA0u);
    REQUIRE(pk[2].h.timestamp == 0x00000040u);
    REQUIRE(pk[3].h.timestamp == 0x000000E0u);
    REQUIRE(pk[0].h.marker);
    REQUIRE_FALSE(pk[1].h.marker);
    REQUIRE_FALSE(pk[2].h.marker);
    REQUIRE_FALSE(pk[3].h.marker);
}

TEST_CASE("packetizer: a discontinuity drops the partial packet, keeps time, marks the next", "[packetizer]")
{
    PacketizerConfig c;
    c.ptime_ms = 20;
    c.first_sequence = 7;
    c.first_timestamp = 1000;
    Stream st(c);
    Packetizer& p = st.p;
    std::vector<Sent> pk = run(st, 25);  // one packet, 5 ticks pending
    REQUIRE(pk.size() == 1);
    REQUIRE(p.skip());        // the 5 pending ticks are abandoned
    REQUIRE_FALSE(p.skip());  // nothing pending any more
    REQUIRE(p.next_timestamp() == 1000 + 27 * 8);
    pk = run(st, 40);
    REQUIRE(pk.size() == 2);
    // The first sample after the gap was sampled 27 ms after the start.
    REQUIRE(pk[0].h.timestamp == 1000 + 27 * 8);
    REQUIRE(pk[0].h.sequence == 8);  // seq counts packets sent, not time
    REQUIRE(pk[0].h.marker);
    REQUIRE(pk[1].h.timestamp == 1000 + 47 * 8);
    REQUIRE(pk[1].h.sequence == 9);
    REQUIRE_FALSE(pk[1].h.marker);
}

TEST_CASE("packetizer: A-law channel to PCMU and u-law channel to PCMA use G.711 Tables 3/4", "[packetizer]")
{
    for (Law ch : {Law::alaw, Law::ulaw}) {
        PacketizerConfig c;
        c.channel_law = ch;
        c.payload_type = ch == Law::alaw ? payload_type_pcmu : payload_type_pcma;
        c.ptime_ms = 40;
        Stream st(c);
        // The counting pattern covers all 256 codes (320 samples).
        std::vector<Sent> pk = run(st, 40);
        REQUIRE(pk.size() == 1);
        REQUIRE(pk[0].h.payload_type == c.payload_type);
        for (std::size_t k = 0; k < 320; ++k) {
            uint8_t in = static_cast<uint8_t>(k);
            uint8_t expect = ch == Law::alaw ? g711::alaw_to_ulaw(in) : g711::ulaw_to_alaw(in);
            REQUIRE(pk[0].payload[k] == expect);
        }
    }
}

TEST_CASE("packetizer: refuses other payload types and ptimes", "[packetizer]")
{
    PacketizerConfig c;
    c.payload_type = 18;
    REQUIRE_THROWS_AS(Packetizer(c), std::invalid_argument);
    c.payload_type = 0;
    for (uint32_t bad : {0u, 5u, 15u, 50u, 60u}) {
        c.ptime_ms = bad;
        REQUIRE_THROWS_AS(Packetizer(c), std::invalid_argument);
    }
}

}  // namespace packetizer_test
