// Pseudowire spans end to end: two spans joined by a packet path the test
// controls (loss, reordering, duplication, garbage, clock offsets), and the
// packets judged by tshark's own SAToP and CESoPSN dissectors.
#include <catch2/catch.hpp>

#include "tests/support/shell.h"

#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "tdm/span/pseudowire_span.h"

using namespace trunkgw::tdm;
using trunkgw::test::shell_output;

namespace {

// Collects a span's packets so the test decides when and how they arrive.
struct Queue : PacketSink {
    std::deque<std::vector<uint8_t>> packets;
    void send(const uint8_t* pkt, std::size_t len) override { packets.emplace_back(pkt, pkt + len); }
};

// Frame k carries (k + ts) in every timeslot: continuity is checkable.
void pattern_frames(uint32_t first, uint32_t n, uint8_t* out)
{
    for (uint32_t f = 0; f < n; ++f) {
        for (uint32_t ts = 0; ts < span_frame_octets; ++ts) {
            out[f * span_frame_octets + ts] = static_cast<uint8_t>(first + f + ts);
        }
    }
}

struct Link {
    PseudowireConfig cfg;
    Queue a_out;
    Queue b_out;
    PseudowireSpan a;
    PseudowireSpan b;
    uint32_t frame_no = 0;
    // Frames B received, checked for continuity on timeslot `check_ts`.
    uint32_t good_runs = 0;
    uint32_t breaks = 0;
    int last = -1;

    explicit Link(const PseudowireConfig& c) : cfg(c), a(c, a_out), b(c, b_out)
    {
        REQUIRE(a.open() == 0);
        REQUIRE(b.open() == 0);
    }

    // One 1 ms tick on both sides; `deliver` moves packets A->B.
    void tick(const std::function<void(std::deque<std::vector<uint8_t>>&, PseudowireSpan&)>& deliver,
              uint32_t check_ts)
    {
        uint8_t tx[8 * span_frame_octets];
        uint8_t rx[8 * span_frame_octets];
        pattern_frames(frame_no, 8, tx);
        frame_no += 8;
        REQUIRE(a.advance(8, tx, rx) == 0);
        deliver(a_out.packets, b);
        REQUIRE(b.advance(8, tx, rx) == 0);
        while (!b_out.packets.empty()) {
            a.receive(b_out.packets.front().data(), b_out.packets.front().size());
            b_out.packets.pop_front();
        }
        for (uint32_t f = 0; f < 8; ++f) {
            int v = rx[f * span_frame_octets + check_ts];
            if (last >= 0 && v == ((last + 1) & 0xff)) {
                ++good_runs;
            } else if (last >= 0 && good_runs > 0) {
                ++breaks;  // counted once the line first carried the pattern
            }
            last = v;
        }
    }
};

void deliver_all(std::deque<std::vector<uint8_t>>& q, PseudowireSpan& to)
{
    while (!q.empty()) {
        to.receive(q.front().data(), q.front().size());
        q.pop_front();
    }
}

PseudowireConfig satop_e1()
{
    PseudowireConfig c;
    c.mode = PwMode::satop;
    c.line.type = LineType::e1;
    c.line.crc4 = true;
    c.first_sequence = 65000;  // wraps during the tests
    return c;
}

PseudowireConfig cesopsn(LineType t, std::vector<uint8_t> ts)
{
    PseudowireConfig c;
    c.mode = PwMode::cesopsn;
    c.line.type = t;
    c.timeslots = std::move(ts);
    return c;
}

}  // namespace

TEST_CASE("SAToP E1 with CRC-4 carries every timeslot intact", "[pw][satop]")
{
    Link l(satop_e1());
    REQUIRE(l.a.payload_octets() == 256);  // RFC 4553 5.1: 1 ms of E1
    for (int i = 0; i < 2000; ++i) {
        l.tick(deliver_all, 5);
    }
    SpanCounters c = l.b.counters();
    REQUIRE(l.b.alarms() == 0);
    REQUIRE(c.pw_packets_rx == 2000);
    REQUIRE(c.pw_lost == 0);
    REQUIRE(c.pw_malformed == 0);
    REQUIRE(c.line.crc_errors == 0);
    // Start-up (jitter buffer fill, frame and multiframe alignment) is the
    // only break in continuity.
    REQUIRE(l.breaks <= 2);
    REQUIRE(l.good_runs > 15000);
}

TEST_CASE("SAToP T1 ESF: 193-octet packets, framing recovered", "[pw][satop]")
{
    PseudowireConfig c = satop_e1();
    c.line.type = LineType::t1;
    c.line.t1_framing = T1Framing::esf;
    Link l(c);
    REQUIRE(l.a.payload_octets() == 193);
    for (int i = 0; i < 2000; ++i) {
        l.tick(deliver_all, 24);
    }
    REQUIRE(l.b.alarms() == 0);
    REQUIRE(l.b.counters().line.crc_errors == 0);
    REQUIRE(l.breaks <= 2);
}

TEST_CASE("CESoPSN carries only the configured timeslots", "[pw][cesopsn]")
{
    Link l(cesopsn(LineType::e1, {1, 2, 3, 16}));
    REQUIRE(l.a.payload_octets() == 32);
    for (int i = 0; i < 500; ++i) {
        l.tick(deliver_all, 16);
    }
    REQUIRE(l.b.alarms() == 0);
    REQUIRE(l.breaks <= 1);
    REQUIRE(l.good_runs > 3900);
    // A timeslot not carried plays idle (all ones).
    uint8_t tx[8 * span_frame_octets] = {};
    uint8_t rx[8 * span_frame_octets];
    l.a.advance(8, tx, rx);
    deliver_all(l.a_out.packets, l.b);
    l.b.advance(8, tx, rx);
    REQUIRE(rx[5] == 0xff);
}

TEST_CASE("lost packets are counted once and replaced; loss state sets R", "[pw]")
{
    Link l(cesopsn(LineType::t1, {24}));
    int n = 0;
    auto lose_every_50th = [&](std::deque<std::vector<uint8_t>>& q, PseudowireSpan& to) {
        while (!q.empty()) {
            if (++n % 50 != 0) {
                to.receive(q.front().data(), q.front().size());
            }
            q.pop_front();
        }
    };
    for (int i = 0; i < 1000; ++i) {
        l.tick(lose_every_50th, 24);
    }
    // Packets 50, 100, ..., 950 were due for playout; 1000 is still inside
    // the jitter buffer's delay.
    REQUIRE(l.b.counters().pw_lost == 19);
    REQUIRE((l.b.alarms() & alarm_los) == 0);
    // Now the A->B path dies: B enters loss of packets and tells A with R.
    auto drop_all = [](std::deque<std::vector<uint8_t>>& q, PseudowireSpan&) { q.clear(); };
    for (int i = 0; i < 20; ++i) {
        l.tick(drop_all, 24);
    }
    REQUIRE((l.b.alarms() & alarm_los) != 0);
    REQUIRE((l.a.alarms() & alarm_rai) != 0);
    REQUIRE(l.a.counters().pw_r_bit_rx > 0);
    // And recovers when packets flow again.
    for (int i = 0; i < 20; ++i) {
        l.tick(deliver_all, 24);
    }
    REQUIRE((l.b.alarms() & alarm_los) == 0);
    REQUIRE((l.a.alarms() & alarm_rai) == 0);
}

TEST_CASE("reordered and duplicated packets are repaired and counted", "[pw]")
{
    Link l(satop_e1());
    int n = 0;
    auto swap_and_dup = [&](std::deque<std::vector<uint8_t>>& q, PseudowireSpan& to) {
        // Hold every other packet back one tick (swap pairs), and deliver
        // every 10th twice.
        static std::vector<uint8_t> held;
        while (!q.empty()) {
            std::vector<uint8_t> p = q.front();
            q.pop_front();
            ++n;
            if (n % 2 == 1) {
                held = p;
                continue;
            }
            to.receive(p.data(), p.size());
            to.receive(held.data(), held.size());
            if (n % 10 == 0) {
                to.receive(p.data(), p.size());
            }
        }
    };
    for (int i = 0; i < 1000; ++i) {
        l.tick(swap_and_dup, 7);
    }
    SpanCounters c = l.b.counters();
    REQUIRE(c.pw_reordered == 500);
    REQUIRE(c.pw_duplicate == 100);
    REQUIRE(c.pw_lost == 0);
    REQUIRE(l.b.alarms() == 0);
    REQUIRE(l.breaks <= 2);
}

TEST_CASE("garbage packets are counted, never trusted", "[pw]")
{
    Queue q;
    PseudowireSpan s(satop_e1(), q);
    REQUIRE(s.open() == 0);
    std::vector<uint8_t> pkt(260, 0);
    s.receive(pkt.data(), 3);                 // truncated
    pkt[0] = 0x45;
    s.receive(pkt.data(), pkt.size());        // an IPv4 header, not a control word
    pkt[0] = 0;
    pkt[1] = 0x80;
    s.receive(pkt.data(), pkt.size());        // fragmented
    pkt[1] = 0;
    s.receive(pkt.data(), 100);               // wrong payload size
    s.receive(pkt.data(), 4000 > pkt.size() ? pkt.size() - 1 : 0);
    REQUIRE(s.counters().pw_malformed == 5);
    REQUIRE(s.counters().pw_packets_rx == 0);
    uint32_t state = 7;
    for (int i = 0; i < 20000; ++i) {
        std::size_t len = (state >> 8) % 300;
        for (std::size_t k = 0; k < len; ++k) {
            state = state * 1664525 + 1013904223;
            pkt.resize(300);
            pkt[k] = static_cast<uint8_t>(state >> 24);
        }
        s.receive(pkt.data(), len);
        uint8_t tx[8 * span_frame_octets] = {};
        uint8_t rx[8 * span_frame_octets];
        REQUIRE(s.advance(8, tx, rx) == 0);
    }
    SpanCounters c = s.counters();
    REQUIRE(c.pw_malformed + c.pw_packets_rx == 20005);
}

TEST_CASE("L bit with the payload omitted plays AIS", "[pw]")
{
    Queue q;
    PseudowireConfig cfg = cesopsn(LineType::e1, {1});
    PseudowireSpan s(cfg, q);
    REQUIRE(s.open() == 0);
    uint8_t tx[8 * span_frame_octets] = {};
    uint8_t rx[8 * span_frame_octets] = {};
    for (uint16_t seq = 0; seq < 10; ++seq) {
        uint8_t pkt[4];
        PwControlWord cw;
        cw.l = true;
        cw.seq = seq;
        pw_encode_control_word(cw, 4, pkt);
        s.receive(pkt, sizeof(pkt));
        s.advance(8, tx, rx);
    }
    REQUIRE((s.alarms() & alarm_ais) != 0);
    REQUIRE(rx[1] == 0xff);
    REQUIRE(s.counters().pw_l_bit_rx == 10);
    REQUIRE(s.counters().pw_malformed == 0);
}

TEST_CASE("clock offsets slip, counted, and the span goes on", "[pw]")
{
    // B's clock runs 1/1000 faster than A's: it plays out one extra packet
    // every second, so its jitter buffer runs dry periodically.
    Link l(cesopsn(LineType::e1, {1}));
    uint8_t tx[8 * span_frame_octets] = {};
    uint8_t rx[8 * span_frame_octets];
    for (int i = 0; i < 5000; ++i) {
        l.tick(deliver_all, 1);
        if (i % 1000 == 999) {
            l.b.advance(8, tx, rx);  // the extra millisecond
        }
    }
    SpanCounters c = l.b.counters();
    REQUIRE(c.pw_slips >= 1);
    REQUIRE(c.pw_slips <= 5);
    REQUIRE(c.pw_lost == 0);
    REQUIRE((l.b.alarms() & alarm_los) == 0);
}

namespace {

// Wraps UDP payloads in Ethernet/IPv4/UDP and writes a pcap (link type 1).
class UdpPcap {
public:
    explicit UdpPcap(const std::string& path) : _f(path, std::ios::binary)
    {
        const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                 0xff, 0xff, 0, 0, 1, 0, 0, 0};
        _f.write(reinterpret_cast<const char*>(hdr), sizeof(hdr));
    }
    void write(const uint8_t* udp_payload, std::size_t len, uint16_t port)
    {
        std::vector<uint8_t> p(14 + 20 + 8 + len, 0);
        const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
        std::memcpy(p.data(), eth, 14);
        uint8_t* ip = p.data() + 14;
        uint16_t tot = static_cast<uint16_t>(20 + 8 + len);
        const uint8_t iph[20] = {0x45, 0xb8, static_cast<uint8_t>(tot >> 8), static_cast<uint8_t>(tot), 0, 0, 0x40,
                                 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2};
        std::memcpy(ip, iph, 20);
        uint32_t sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += static_cast<uint32_t>((ip[i] << 8) | ip[i + 1]);
        }
        while (sum >> 16) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        ip[10] = static_cast<uint8_t>(~sum >> 8);
        ip[11] = static_cast<uint8_t>(~sum);
        uint8_t* udp = ip + 20;
        uint16_t ulen = static_cast<uint16_t>(8 + len);
        const uint8_t uh[8] = {static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port),
                               static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port),
                               static_cast<uint8_t>(ulen >> 8), static_cast<uint8_t>(ulen), 0, 0};
        std::memcpy(udp, uh, 8);
        std::memcpy(udp + 8, udp_payload, len);
        if (p.size() < 60) {
            p.resize(60, 0);  // Ethernet minimum: LEN in the CW tells the real size
        }
        uint32_t rec[4] = {_sec, _usec, static_cast<uint32_t>(p.size()), static_cast<uint32_t>(p.size())};
        _usec += 1000;
        if (_usec >= 1'000'000) {
            _usec = 0;
            ++_sec;
        }
        _f.write(reinterpret_cast<const char*>(rec), sizeof(rec));
        _f.write(reinterpret_cast<const char*>(p.data()), static_cast<std::streamsize>(p.size()));
    }

private:
    std::ofstream _f;
    uint32_t _sec = 1'700'000'000;
    uint32_t _usec = 0;
};

// Runs `ticks` ms of a span with its R bit exercised, captured to a pcap.
std::string capture(const PseudowireConfig& cfg, const std::string& name, int ticks)
{
    std::string path = "/tmp/trunkgw-pw-" + name + "-" + std::to_string(getpid()) + ".pcap";
    Queue q;
    PseudowireSpan s(cfg, q);
    REQUIRE(s.open() == 0);
    UdpPcap pcap(path);
    uint8_t tx[8 * span_frame_octets];
    uint8_t rx[8 * span_frame_octets];
    for (int i = 0; i < ticks; ++i) {
        pattern_frames(static_cast<uint32_t>(i * 8), 8, tx);
        s.set_rai(i > ticks / 2);
        s.advance(8, tx, rx);  // nothing received: R goes up after 3 packets
        while (!q.packets.empty()) {
            pcap.write(q.packets.front().data(), q.packets.front().size(), 50000);
            q.packets.pop_front();
        }
    }
    return path;
}

}  // namespace

TEST_CASE("tshark's SAToP and CESoPSN dissectors accept our packets", "[pw][tshark]")
{
    // deploy/install-deps installs tshark: its absence is a failure, not a
    // skip that would hide the other cases of this binary.
    REQUIRE_FALSE(shell_output("command -v tshark").empty());
    struct Case {
        std::string name;
        PseudowireConfig cfg;
        std::string dissector;
        std::string proto;  // tshark's filter name for the protocol
        std::string field;  // and the prefix of its fields
    };
    PseudowireConfig t1 = satop_e1();
    t1.line.type = LineType::t1;
    std::vector<Case> cases = {
        {"satop-e1", satop_e1(), "pwsatopcw", "pwsatopcw", "pwsatop"},
        {"satop-t1", t1, "pwsatopcw", "pwsatopcw", "pwsatop"},
        {"cesopsn-e1-31", cesopsn(LineType::e1, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
                                                20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}),
         "pwcesopsn", "pwcesopsn", "pwcesopsn"},
        {"cesopsn-t1-1", cesopsn(LineType::t1, {24}), "pwcesopsn", "pwcesopsn", "pwcesopsn"},  // 12-octet packets: LEN set
    };
    for (const auto& c : cases) {
        INFO(c.name);
        std::string path = capture(c.cfg, c.name, 200);
        std::string decode = " -d udp.port==50000," + c.dissector + " ";
        std::string bad = shell_output("tshark -r " + path + decode +
                                       "-Y '_ws.malformed || _ws.expert.severity >= \"warning\"' 2>/dev/null");
        CHECK(bad.empty());
        std::string count = shell_output("tshark -r " + path + decode + "-Y " + c.proto + " 2>/dev/null | wc -l");
        CHECK(std::stoi(count) == 200);
        std::string r_bits = shell_output("tshark -r " + path + decode + "-Y '" + c.field + ".cw.rbit == 1' 2>/dev/null | wc -l");
        CHECK(std::stoi(r_bits) >= 190);
        std::remove(path.c_str());
    }
}
