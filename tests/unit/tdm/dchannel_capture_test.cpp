// The whole D-channel path of a span: Q.921 frames through HDLC on TS16 of
// a virtual E1 pair (TS24 of a T1 pair), captured on arrival to a LINUX_LAPD
// pcap that tshark decodes as LAPD and Q.931.
#include <catch2/catch.hpp>

#include "tests/support/shell.h"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tdm/hdlc/hdlc_channel.h"
#include "tdm/hdlc/lapd_pcap.h"
#include "tdm/span/virtual_span_pair.h"

using namespace trunkgw::tdm;
using trunkgw::test::shell_output;

namespace {

struct Capture {
    LapdPcapWriter* pcap;
    std::vector<std::vector<uint8_t>> frames;
};

void on_frame(void* user, const uint8_t* f, std::size_t len)
{
    auto* c = static_cast<Capture*>(user);
    c->frames.emplace_back(f, f + len);
    c->pcap->write(f, len, false, 1'700'000'000'000'000'000ULL + c->frames.size() * 1'000'000ULL);
}

}  // namespace

TEST_CASE("Q.921/Q.931 over TS16 of a virtual E1 reach a pcap tshark decodes", "[dchannel][tshark]")
{
    // deploy/install-deps installs tshark: its absence is a failure, not a
    // skip that would hide the other cases of this binary.
    REQUIRE_FALSE(shell_output("command -v tshark").empty());
    for (LineType type : {LineType::e1, LineType::t1}) {
        std::string path = "/tmp/trunkgw-dchan-" + std::to_string(getpid()) + ".pcap";
        VirtualSpanPair pair({type, true, T1Framing::esf});
        REQUIRE(pair.a().open() == 0);
        REQUIRE(pair.b().open() == 0);
        const uint32_t ts = pair.a().info().dchannel_timeslot;
        Capture cap;
        {
            LapdPcapWriter pcap(path, true);
            cap.pcap = &pcap;
            HdlcChannel tx_side([](void*, const uint8_t*, std::size_t) {}, nullptr);
            HdlcChannel rx_side(on_frame, &cap);
            // SABME (SAPI 0, TEI 0, command from the user side), then an
            // I-frame carrying a Q.931 SETUP: speech, B-channel 1 exclusive,
            // called number 5551234.
            const std::vector<uint8_t> sabme = {0x00, 0x01, 0x7f};
            const std::vector<uint8_t> setup = {0x00, 0x01, 0x00, 0x00,
                                                0x08, 0x02, 0x00, 0x01, 0x05,
                                                0x04, 0x03, 0x80, 0x90, 0xa3,
                                                0x18, 0x03, 0xa9, 0x83, 0x81,
                                                0x70, 0x08, 0x81, '5', '5', '5', '1', '2', '3', '4'};
            uint8_t tx[8 * span_frame_octets];
            uint8_t rx[8 * span_frame_octets];
            std::fill(std::begin(tx), std::end(tx), 0xff);
            for (int ms = 0; ms < 300; ++ms) {
                // Like Q.921 after layer 1 comes up: frames go once the
                // line is aligned (before that they would be lost as AIS).
                if (ms == 100) {
                    REQUIRE(pair.b().alarms() == 0);
                    REQUIRE(tx_side.tx_queue_frame(sabme.data(), sabme.size()) == 0);
                    REQUIRE(tx_side.tx_queue_frame(setup.data(), setup.size()) == 0);
                }
                uint8_t d[8];
                tx_side.tx_octets(d, 8);
                for (int f = 0; f < 8; ++f) {
                    tx[f * span_frame_octets + ts] = d[f];
                }
                pair.a().advance(8, tx, rx);
                pair.b().advance(8, tx, rx);
                for (int f = 0; f < 8; ++f) {
                    d[f] = rx[f * span_frame_octets + ts];
                }
                rx_side.rx_octets(d, 8);
            }
            REQUIRE(cap.frames.size() == 2);
            REQUIRE(cap.frames[1] == setup);
            REQUIRE(rx_side.counters().crc_errors == 0);
        }
        std::string v = shell_output("tshark -r " + path + " -V 2>/dev/null");
        CHECK(v.find("Link Access Procedure, Channel D (LAPD)") != std::string::npos);
        CHECK(v.find("SABME") != std::string::npos);
        CHECK(v.find("Message type: SETUP (0x05)") != std::string::npos);
        CHECK(v.find("5551234") != std::string::npos);
        std::string bad = shell_output("tshark -r " + path + " -Y '_ws.malformed || _ws.expert.severity >= \"warning\"' 2>/dev/null");
        CHECK(bad.empty());
        std::remove(path.c_str());
    }
}
