// LapdPcapWriter judged by tshark: the capture must decode as LAPD with the
// right direction and frame types, and as Q.931 for SAPI 0 I-frames, with no
// malformed packet and no expert warning.
#include "tdm/hdlc/lapd_pcap.h"

#include <catch2/catch.hpp>

#include "tests/support/shell.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

using trunkgw::tdm::LapdPcapWriter;
using trunkgw::test::shell_output;

namespace {

using Frame = std::vector<uint8_t>;

constexpr const char* tshark = "/usr/bin/tshark";

// Without the judge there is nothing to check.
void require_tshark()
{
    // deploy/install-deps installs tshark: its absence is a failure, not a
    // skip that would hide the HDLC cases of this binary.
    REQUIRE(::access(tshark, X_OK) == 0);
}

std::filesystem::path temp_capture(const std::string& name)
{
    return std::filesystem::temp_directory_path() / ("trunkgw-" + name + "-" + std::to_string(::getpid()) + ".pcap");
}

// Q.921 3.2 address field for SAPI 0 (call control), TEI 0 (the only TEI
// on a PRI). Q.921 3.3.2 table 1: C/R is 1 in commands from the network
// and in responses from the user, 0 otherwise.
Frame address(bool cr)
{
    return {static_cast<uint8_t>((0 << 2) | (cr ? 0x02 : 0x00) | 0x00), static_cast<uint8_t>((0 << 1) | 0x01)};
}

Frame cat(Frame a, const Frame& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// Q.931 SETUP for a speech call on B-channel 1 of an E1 PRI.
Frame q931_setup(uint16_t call_ref, const std::string& called)
{
    // 4.2 protocol discriminator: Q.931; 4.3 call reference, 2 octets, flag
    // 0 (sent by the side that chose it); 4.4 message type: SETUP.
    Frame m = {0x08, 0x02, static_cast<uint8_t>(call_ref >> 8), static_cast<uint8_t>(call_ref), 0x05};
    // 4.5.5 bearer capability: ITU-T coding, speech; circuit mode 64 kbit/s;
    // layer 1 G.711 A-law.
    m = cat(m, {0x04, 0x03, 0x80, 0x90, 0xA3});
    // 4.5.13 channel identification: implicit interface, primary rate,
    // exclusive, not the D-channel; B-channel units by number; channel 1.
    m = cat(m, {0x18, 0x03, 0xA9, 0x83, 0x81});
    // 4.5.8 called party number: unknown type, ISDN/telephony numbering
    // plan (E.164), then the digits in IA5.
    m = cat(m, {0x70, static_cast<uint8_t>(1 + called.size()), 0x81});
    m.insert(m.end(), called.begin(), called.end());
    return m;
}

struct Sent {
    Frame frame;
    bool from_network;
};

// Link setup and one call in each direction. The octets do not depend on
// which side captures them; only the direction does.
std::vector<Sent> exchange()
{
    return {
        // SABME, P=1: a command from the user.
        {cat(address(false), {0x7F}), false},
        // UA, F=1: the network's response.
        {cat(address(false), {0x73}), true},
        // I-frame N(S)=0 N(R)=0 from the network: SETUP to 5551234.
        {cat(cat(address(true), {0x00, 0x00}), q931_setup(0x0001, "5551234")), true},
        // RR N(R)=1: the user's response.
        {cat(address(true), {0x01, 0x02}), false},
        // I-frame N(S)=0 N(R)=1 from the user: SETUP to 4007.
        {cat(cat(address(false), {0x00, 0x02}), q931_setup(0x0002, "4007")), false},
    };
}

bool contains(const std::string& haystack, const std::string& needle)
{
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("lapd pcap: tshark decodes LAPD and Q.931 SETUP in both directions")
{
    require_tshark();
    for (bool network_side : {true, false}) {
        CAPTURE(network_side);
        std::filesystem::path path = temp_capture(network_side ? "lapd-net" : "lapd-user");
        const uint64_t t0 = 1'700'000'000'123'456'789ull;
        {
            LapdPcapWriter w(path.string(), network_side);
            uint64_t t = t0;
            for (const Sent& s : exchange()) {
                w.write(s.frame.data(), s.frame.size(), s.from_network == network_side, t);
                t += 20'000'000;  // 20 ms apart
            }
            CHECK(w.frames_written() == 5);
            CHECK(w.write_errors() == 0);
        }

        std::string v = shell_output(std::string(tshark) + " -r " + path.string() + " -V");
        INFO(v);
        CHECK(contains(v, "Link Access Procedure, Channel D (LAPD)"));
        CHECK(contains(v, "Direction: User->Network"));
        CHECK(contains(v, "Direction: Network->User"));
        // "P" and "F" show that the direction and C/R were read together as
        // Q.921 3.3.2 has it: SABME a command (poll), UA a response (final).
        CHECK(contains(v, "Control field: U P, func=SABME (0x7F)"));
        CHECK(contains(v, "Control field: U F, func=UA (0x73)"));
        CHECK(contains(v, "Control field: S, func=RR, N(R)=1"));
        CHECK(contains(v, "Q.931"));
        CHECK(contains(v, "Message type: SETUP (0x05)"));
        CHECK(contains(v, "Called party number: '5551234'"));
        CHECK(contains(v, "Called party number: '4007'"));
        // Nanosecond timestamps survive.
        CHECK(contains(v, "Epoch Time: 1700000000.123456789 seconds"));

        std::string bad = shell_output(std::string(tshark) + " -r " + path.string() +
                                       " -Y '_ws.malformed || _ws.expert.severity >= \"warning\"'");
        CHECK(bad == "");
        std::filesystem::remove(path);
    }
}

TEST_CASE("lapd pcap: the file and record headers are laid out as documented")
{
    std::filesystem::path path = temp_capture("lapd-layout");
    const Frame ua = {0x00, 0x01, 0x73};
    {
        LapdPcapWriter w(path.string(), true);
        w.write(ua.data(), ua.size(), true, 2'000'000'001ull);
    }
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> f((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::filesystem::remove(path);
    REQUIRE(f.size() == 24 + 16 + 16 + ua.size());
    // File header: nanosecond magic, version 2.4, link type 177.
    CHECK(f[0] == 0x4d);
    CHECK(f[1] == 0x3c);
    CHECK(f[2] == 0xb2);
    CHECK(f[3] == 0xa1);
    CHECK(f[20] == 177);
    // Record header: 2 s + 1 ns, captured = original = 16 + 3.
    CHECK(f[24] == 2);
    CHECK(f[28] == 1);
    CHECK(f[32] == 19);
    CHECK(f[36] == 19);
    // LAPD header: pkttype 4 (outgoing), ARPHRD_LAPD 8445, halen 1,
    // network side, ETH_P_LAPD.
    const std::vector<uint8_t> sll(f.begin() + 40, f.begin() + 56);
    CHECK(sll == std::vector<uint8_t>{0x00, 0x04, 0x20, 0xFD, 0x00, 0x01, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x30});
    CHECK(std::vector<uint8_t>(f.begin() + 56, f.end()) == ua);
}

TEST_CASE("lapd pcap: a file that cannot be created throws")
{
    CHECK_THROWS_AS(LapdPcapWriter("/nonexistent-dir/x.pcap", true), std::runtime_error);
}
