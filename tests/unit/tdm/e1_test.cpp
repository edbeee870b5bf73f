// E1 framing (G.704 2.3), alignment and CRC-4 procedures (G.706 4) and line
// defects (G.775): the framer's TS0 bit by bit, framer -> deframer round
// trips at every bit offset, the exact frame on which alignment is lost and
// regained, CRC-4 block errors and their E bits back through a second pair,
// RAI, AIS, LOS, the CRC-4 multiframe rules (8 ms, 400 ms, 915 of 1000), and
// a random bit stream. CRC-4 is held against a bit-serial division and
// libosmocore's generic CRC.
#include <catch2/catch.hpp>

// libosmocore's headers carry no extern "C" of their own.
extern "C" {
#include <osmocom/core/bits.h>
#include <osmocom/core/crc8gen.h>
}

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "tdm/e1/crc4.h"
#include "tdm/e1/e1_deframer.h"
#include "tdm/e1/e1_framer.h"

namespace tdm = trunkgw::tdm;
using tdm::E1Deframer;
using tdm::E1Framer;

namespace {

constexpr std::size_t fo = tdm::e1_timeslots;  // octets per frame

// Payload octets of the form 1a1b1c1d carry a nibble and never hold two
// zeros in a row, so no payload can imitate the FAS 0011011 (G.704 2.3.2):
// alignment times below are exact, not "eventually".
uint8_t spread(unsigned nibble)
{
    return static_cast<uint8_t>(0xaa | ((nibble & 8) << 3) | ((nibble & 4) << 2) | ((nibble & 2) << 1) | (nibble & 1));
}

// TS1..TS8 hold the frame index, TS9..TS31 a pattern derived from it.
void fill_payload(uint32_t index, uint8_t* ts)
{
    ts[0] = 0;
    for (unsigned i = 0; i < 8; ++i) {
        ts[1 + i] = spread((index >> (28 - 4 * i)) & 15);
    }
    uint32_t h = index * 2654435761u + 12345;
    for (unsigned i = 9; i < fo; ++i) {
        h = h * 1103515245u + 12345;
        ts[i] = spread(h >> 28);
    }
}

// A transmitter and every frame it built, by index.
struct Tx {
    E1Framer framer;
    std::vector<uint8_t> sent;
    explicit Tx(bool crc4) : framer(crc4) {}

    uint32_t count() const { return static_cast<uint32_t>(sent.size() / fo); }
    const uint8_t* frame(uint32_t i) const { return &sent[std::size_t{i} * fo]; }
    // Builds `n` frames and appends them (octet aligned) to `line` too.
    void build(std::size_t n, std::vector<uint8_t>* line = nullptr)
    {
        uint8_t ts[fo];
        for (std::size_t k = 0; k < n; ++k) {
            fill_payload(count(), ts);
            std::size_t at = sent.size();
            sent.resize(at + fo);
            framer.build_frame(ts, &sent[at]);
            if (line != nullptr) {
                line->insert(line->end(), sent.begin() + static_cast<std::ptrdiff_t>(at), sent.end());
            }
        }
    }
};

// MSB-first bit appender.
struct Bits {
    std::vector<uint8_t> octets;
    std::size_t n = 0;

    void bit(unsigned b)
    {
        if (n % 8 == 0) {
            octets.push_back(0);
        }
        if (b != 0) {
            octets.back() = static_cast<uint8_t>(octets.back() | (0x80u >> (n % 8)));
        }
        ++n;
    }
    void ones(std::size_t count)
    {
        for (std::size_t i = 0; i < count; ++i) {
            bit(1);
        }
    }
    // Bits [from, from + count) of an MSB-first buffer.
    void take(const uint8_t* p, std::size_t from, std::size_t count)
    {
        for (std::size_t i = from; i < from + count; ++i) {
            bit((p[i >> 3] >> (7 - (i & 7))) & 1u);
        }
    }
    // Pads the last octet with ones (an idle line) and returns the octets.
    const std::vector<uint8_t>& padded()
    {
        while (n % 8 != 0) {
            bit(1);
        }
        return octets;
    }
};

// A receiver and every frame it delivered.
struct Rx {
    E1Deframer d;
    std::vector<uint8_t> out;
    explicit Rx(bool crc4) : d(crc4) {}

    std::size_t frames() const { return out.size() / fo; }
    const uint8_t* frame(std::size_t i) const { return &out[i * fo]; }
    // Feeds in slices of `chunk` octets with room for every frame.
    std::size_t feed(const uint8_t* p, std::size_t n, std::size_t chunk = 256)
    {
        std::size_t got_total = 0;
        std::vector<uint8_t> buf;
        for (std::size_t off = 0; off < n; off += chunk) {
            std::size_t len = std::min(chunk, n - off);
            std::size_t room = len / fo + 1;
            buf.resize(room * fo);
            std::size_t got = d.feed(p + off, len, buf.data(), room);
            REQUIRE(got <= room);
            out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(got * fo));
            got_total += got;
        }
        return got_total;
    }
    std::size_t feed(const std::vector<uint8_t>& v, std::size_t chunk = 256) { return feed(v.data(), v.size(), chunk); }
};

// Delivered frames [first_out, first_out + n) must be the n frames at
// `expected` (32 octets each), octet for octet.
void require_frames(const Rx& rx, std::size_t first_out, const uint8_t* expected, std::size_t n)
{
    REQUIRE(rx.frames() >= first_out + n);
    for (std::size_t i = 0; i < n; ++i) {
        INFO("delivered frame " << first_out + i);
        REQUIRE(std::memcmp(rx.frame(first_out + i), expected + i * fo, fo) == 0);
    }
}

// Flips bit `bit` (0 = MSB) of octet `octet` of frame `frame` in a line of
// octet-aligned frames.
void flip(std::vector<uint8_t>& line, std::size_t frame, unsigned octet, unsigned bit)
{
    line[frame * fo + octet] = static_cast<uint8_t>(line[frame * fo + octet] ^ (0x80u >> bit));
}

// Sets bit 1 (Si) of TS0 of frame `frame`.
void set_si(std::vector<uint8_t>& line, std::size_t frame, unsigned si)
{
    line[frame * fo] = static_cast<uint8_t>((line[frame * fo] & 0x7f) | (si << 7));
}

}  // namespace

TEST_CASE("CRC-4 tables, chained and per frame, agree with long division and libosmocore")
{
    // x^7 * x^4 = x^11 = x^3 + x^2 + x (mod x^4 + x + 1), by hand.
    const uint8_t one_bit[1] = {0x80};
    CHECK(tdm::crc4_reference(one_bit, 8) == 0x0e);
    CHECK(tdm::crc4_octet(0, 0x80) == 0x0e);

    const osmo_crc8gen_code osmo_crc4 = {4, 0x03, 0x00, 0x00};
    std::mt19937 rng(4);
    std::vector<uint8_t> buf(300);
    std::vector<ubit_t> ubits(buf.size() * 8);
    for (std::size_t len = 1; len <= buf.size(); len += 7) {
        for (auto& b : buf) {
            b = static_cast<uint8_t>(rng());
        }
        uint8_t reg = 0;
        for (std::size_t i = 0; i < len; ++i) {
            reg = tdm::crc4_octet(reg, buf[i]);
        }
        osmo_pbit2ubit(ubits.data(), buf.data(), static_cast<unsigned>(len * 8));
        INFO("length " << len);
        CHECK(reg == tdm::crc4_reference(buf.data(), len * 8));
        CHECK(reg == osmo_crc8gen_compute_bits(&osmo_crc4, ubits.data(), static_cast<int>(len * 8)));
    }

    // A whole SMF (8 frames, 2048 bits) frame by frame.
    std::vector<uint8_t> smf(8 * fo);
    for (int round = 0; round < 50; ++round) {
        for (auto& b : smf) {
            b = static_cast<uint8_t>(rng());
        }
        uint8_t acc = 0;
        for (unsigned f = 0; f < 8; ++f) {
            acc = tdm::crc4_append_frame(acc, tdm::crc4_frame(smf[f * fo], &smf[f * fo]));
        }
        CHECK(acc == tdm::crc4_reference(smf.data(), smf.size() * 8));
    }
}

TEST_CASE("Framer: TS0 per G.704 2.3.2 and the CRC-4 multiframe of 2.3.3")
{
    SECTION("without CRC-4: FAS x0011011 / NFAS x1ASSSSS, Si = 1, payload copied")
    {
        Tx tx(false);
        tx.framer.set_sa_bits(0x15);  // Sa4..Sa8 = 10101
        tx.build(2);
        tx.framer.set_rai(true);
        tx.build(2);
        CHECK(tx.frame(0)[0] == 0x9b);  // 1 0011011
        CHECK(tx.frame(1)[0] == 0xd5);  // 1 1 0 10101
        CHECK(tx.frame(2)[0] == 0x9b);
        CHECK(tx.frame(3)[0] == 0xf5);  // A = 1
        uint8_t ts[fo];
        fill_payload(3, ts);
        CHECK(std::memcmp(tx.frame(3) + 1, ts + 1, fo - 1) == 0);
    }
    SECTION("default Sa bits are ones; AIS is unframed all ones")
    {
        Tx tx(false);
        tx.build(2);
        CHECK(tx.frame(1)[0] == 0xdf);
        tx.framer.set_ais(true);
        tx.build(2);
        for (unsigned i = 0; i < 2 * fo; ++i) {
            CHECK(tx.frame(2)[i] == 0xff);
        }
        tx.framer.set_ais(false);
        tx.build(1);
        CHECK(tx.frame(4)[0] == 0x9b);  // framing resumes in phase
    }
    SECTION("with CRC-4: MF alignment 001011, E bits, C1..C4 = CRC-4 of the previous SMF")
    {
        Tx tx(true);
        tx.build(48);
        tx.framer.report_remote_crc_errors(3);
        tx.build(48);
        auto si = [&tx](uint32_t f) { return static_cast<unsigned>(tx.frame(f)[0] >> 7); };
        for (uint32_t mf = 0; mf < 6; ++mf) {
            const uint32_t b = mf * 16;
            const unsigned mfas[6] = {0, 0, 1, 0, 1, 1};
            for (unsigned k = 0; k < 6; ++k) {
                CHECK(si(b + 1 + 2 * k) == mfas[k]);
            }
            // Three E bits at 0 in the multiframes after the report, then 1.
            const unsigned e13 = mf == 3 ? 0u : mf == 4 ? 0u : 1u;
            const unsigned e15 = mf == 3 ? 0u : 1u;
            INFO("multiframe " << mf);
            CHECK(si(b + 13) == e13);
            CHECK(si(b + 15) == e15);
        }
        // SMF N's C bits carry the remainder of SMF N-1 with its C bits at 0.
        for (uint32_t smf = 1; smf < 12; ++smf) {
            std::vector<uint8_t> prev(tx.frame((smf - 1) * 8), tx.frame((smf - 1) * 8) + 8 * fo);
            for (unsigned f = 0; f < 8; f += 2) {
                prev[f * fo] &= 0x7f;
            }
            const uint8_t crc = tdm::crc4_reference(prev.data(), prev.size() * 8);
            const uint8_t c = static_cast<uint8_t>((si(smf * 8) << 3) | (si(smf * 8 + 2) << 2) |
                                                   (si(smf * 8 + 4) << 1) | si(smf * 8 + 6));
            INFO("SMF " << smf);
            CHECK(c == crc);
        }
    }
}

TEST_CASE("Round trip without CRC-4 at every bit offset: G.706 4.1.2 aligns on the third TS0")
{
    for (unsigned offset = 0; offset < 8; ++offset) {
        Tx tx(false);
        tx.build(64);
        Bits line;
        line.ones(offset);
        line.take(tx.sent.data(), 0, tx.sent.size() * 8);
        Rx rx(false);
        rx.feed(line.padded(), 37);  // slices that cut frames anywhere
        INFO("offset " << offset);
        // FAS in frame 0, bit 2 = 1 in frame 1, FAS in frame 2: frames 2..63.
        REQUIRE(rx.frames() == 62);
        require_frames(rx, 0, tx.frame(2), 62);
        const auto& c = rx.d.counters();
        CHECK(c.frames == 62);
        CHECK(c.bits_discarded == offset + 512);
        CHECK(c.framing_errors == 0);
        CHECK(c.crc_errors == 0);
        CHECK(c.lof_events == 0);
        CHECK(rx.d.alarms() == 0);
        CHECK(rx.d.in_frame());
        CHECK_FALSE(rx.d.multiframe_aligned());
    }
}

TEST_CASE("Round trip with CRC-4: multiframe alignment on the second MF signal (G.706 4.2), no errors")
{
    for (unsigned offset : {0u, 3u, 7u}) {
        INFO("offset " << offset);
        Tx tx(true);
        tx.build(320);
        Bits line;
        line.ones(offset);
        line.take(tx.sent.data(), 0, tx.sent.size() * 8);
        const auto& octets = line.padded();
        Rx rx(true);
        // Search from frame 2: 001011 completes in frame 27 (MF 1, frame 11)
        // and again 2 ms later in frame 43.
        auto octets_through = [offset](std::size_t frame) { return ((frame + 1) * 256 + offset + 7) / 8; };
        rx.feed(octets.data(), octets_through(42));
        CHECK_FALSE(rx.d.multiframe_aligned());
        rx.feed(octets.data() + octets_through(42), octets_through(43) - octets_through(42));
        CHECK(rx.d.multiframe_aligned());
        rx.feed(octets.data() + octets_through(43), octets.size() - octets_through(43));
        REQUIRE(rx.frames() == 318);
        require_frames(rx, 0, tx.frame(2), 318);
        const auto& c = rx.d.counters();
        // First check at frame 63 (SMF 48..55, the first whole one), then
        // one per SMF through frame 319.
        CHECK(rx.d.e1_counters().crc_blocks == 33);
        CHECK(rx.d.e1_counters().mf_alignments == 1);
        CHECK(rx.d.e1_counters().mf_search_restarts == 0);
        CHECK(c.crc_errors == 0);
        CHECK(c.far_end_errors == 0);
        CHECK(c.framing_errors == 0);
        CHECK(rx.d.alarms() == 0);
        CHECK(rx.d.take_errored_smfs() == 0);
    }
}

TEST_CASE("Alignment after random garbage prefixes, fed in random slices")
{
    std::mt19937 rng(77);
    for (int round = 0; round < 40; ++round) {
        Tx tx(true);
        tx.build(200);
        Bits line;
        const std::size_t garbage = rng() % 1200;
        for (std::size_t i = 0; i < garbage; ++i) {
            line.bit(rng() & 1);
        }
        line.take(tx.sent.data(), 0, tx.sent.size() * 8);
        const auto& octets = line.padded();
        Rx rx(true);
        for (std::size_t off = 0; off < octets.size();) {
            std::size_t len = std::min<std::size_t>(1 + rng() % 300, octets.size() - off);
            rx.feed(octets.data() + off, len, len);
            off += len;
        }
        INFO("round " << round << ", " << garbage << " garbage bits");
        REQUIRE(rx.d.in_frame());
        REQUIRE(rx.d.multiframe_aligned());
        // The delivered frames end with an unbroken run of the sent ones; a
        // candidate FAS in the garbage costs at most a few frames of search.
        std::size_t n = 0;
        while (n < rx.frames() && n < 200 &&
               std::memcmp(rx.frame(rx.frames() - 1 - n), tx.frame(199 - static_cast<uint32_t>(n)), fo) == 0) {
            ++n;
        }
        CHECK(n >= 194);  // aligned by frame 6 at the latest
        CHECK(rx.d.counters().crc_errors == 0);
    }
}

TEST_CASE("G.706 4.1.1: one or two bad FAS keep alignment, three consecutive lose it; 4.1.2 recovery")
{
    Tx tx(false);
    std::vector<uint8_t> line;
    tx.build(40, &line);

    SECTION("one bad FAS")
    {
        flip(line, 10, 0, 1);
        Rx rx(false);
        rx.feed(line);
        CHECK(rx.frames() == 38);
        CHECK(rx.d.counters().framing_errors == 1);
        CHECK(rx.d.counters().lof_events == 0);
        CHECK(rx.d.alarms() == 0);
    }
    SECTION("two consecutive bad FAS, a good one, a bad one")
    {
        flip(line, 10, 0, 1);
        flip(line, 12, 0, 4);
        flip(line, 16, 0, 7);
        Rx rx(false);
        rx.feed(line);
        CHECK(rx.frames() == 38);
        CHECK(rx.d.counters().framing_errors == 3);
        CHECK(rx.d.counters().lof_events == 0);
    }
    SECTION("three consecutive bad FAS: lost at frame 14, regained at frame 18")
    {
        flip(line, 10, 0, 1);
        flip(line, 12, 0, 2);
        flip(line, 14, 0, 3);
        Rx rx(false);
        rx.feed(line.data(), 14 * fo);
        CHECK(rx.d.in_frame());
        rx.feed(line.data() + 14 * fo, fo);
        CHECK_FALSE(rx.d.in_frame());
        CHECK((rx.d.alarms() & tdm::alarm_lof) != 0);
        CHECK(rx.d.counters().lof_events == 1);
        // The search starts over at frame 14: FAS in 16, bit 2 in 17, FAS in 18.
        rx.feed(line.data() + 15 * fo, 3 * fo);
        CHECK_FALSE(rx.d.in_frame());
        rx.feed(line.data() + 18 * fo, line.size() - 18 * fo);
        CHECK(rx.d.in_frame());
        REQUIRE(rx.frames() == 12 + 22);
        require_frames(rx, 0, line.data() + 2 * fo, 12);
        require_frames(rx, 12, tx.frame(18), 22);
        CHECK(rx.d.counters().framing_errors == 3);
        CHECK(rx.d.counters().bits_discarded == 512 + 4 * 256);
        CHECK(rx.d.alarms() == 0);
    }
    SECTION("a one-bit slip: three bad FAS, then the FAS one bit earlier")
    {
        Bits slipped;
        slipped.take(line.data(), 0, 20 * 256);
        slipped.take(line.data(), 20 * 256 + 1, 20 * 256 - 1);
        Rx rx(false);
        rx.feed(slipped.padded());
        // Frames 20..23 are read one bit late: FAS frames 20, 22 and 24 show
        // 3 wrong bits each (0110111 for 0011011), NFAS frames 21 and 23 bit 2
        // = A = 0. LOF at 24; the search from there finds frame 24's FAS at
        // once, so frame 26 is the first delivered again.
        CHECK(rx.d.counters().lof_events == 1);
        CHECK(rx.d.counters().framing_errors == 3 * 3 + 2);
        REQUIRE(rx.frames() == 18 + 4 + 14);
        require_frames(rx, 0, tx.frame(2), 18);
        require_frames(rx, 22, tx.frame(26), 14);
        CHECK(rx.d.counters().bits_discarded == 512 + (26 * 256 - 1 - 24 * 256));
        CHECK(rx.d.alarms() == 0);
    }
    SECTION("three NFAS frames with bit 2 = 0 (the G.706 4.1.1 option)")
    {
        flip(line, 11, 0, 1);
        flip(line, 13, 0, 1);
        flip(line, 15, 0, 1);
        Rx rx(false);
        rx.feed(line);
        CHECK(rx.d.counters().lof_events == 1);
        CHECK(rx.d.counters().framing_errors == 3);
        // Lost at 15; FAS in 16, bit 2 in 17, FAS in 18.
        CHECK(rx.frames() == 13 + 22);
        require_frames(rx, 13, tx.frame(18), 22);
    }
}

TEST_CASE("CRC-4: one errored block per errored SMF, E bits carry them back through a second pair")
{
    SECTION("single receiver")
    {
        Tx tx(true);
        std::vector<uint8_t> line;
        tx.build(480, &line);
        flip(line, 100, 20, 1);  // SMF 96..103
        flip(line, 200, 5, 3);   // SMF 200..207, twice
        flip(line, 201, 9, 5);
        flip(line, 300, 31, 7);  // SMF 296..303
        flip(line, 308, 1, 1);   // SMF 304..311
        Rx rx(true);
        rx.feed(line);
        CHECK(rx.frames() == 478);
        CHECK(rx.d.e1_counters().crc_blocks == (479 - 63) / 8 + 1);
        CHECK(rx.d.counters().crc_errors == 4);
        CHECK(rx.d.counters().framing_errors == 0);
        CHECK(rx.d.take_errored_smfs() == 4);
        CHECK(rx.d.take_errored_smfs() == 0);
    }
    SECTION("a C bit received wrong errors the SMF it checks")
    {
        Tx tx(true);
        std::vector<uint8_t> line;
        tx.build(200, &line);
        flip(line, 104, 0, 0);  // C1 of SMF 104..111, which checks SMF 96..103
        Rx rx(true);
        rx.feed(line);
        CHECK(rx.d.counters().crc_errors == 1);
        CHECK(rx.d.counters().framing_errors == 0);
    }
    SECTION("a FAS bit error is a framing error and a CRC-4 block error")
    {
        Tx tx(true);
        std::vector<uint8_t> line;
        tx.build(200, &line);
        flip(line, 120, 0, 5);
        Rx rx(true);
        rx.feed(line);
        CHECK(rx.d.counters().framing_errors == 1);
        CHECK(rx.d.counters().crc_errors == 1);
        CHECK(rx.d.counters().lof_events == 0);
    }
    SECTION("each E bit at 0, in frame 13 or 15, is one far-end error")
    {
        Tx tx(true);
        std::vector<uint8_t> line;
        tx.build(64, &line);
        tx.framer.report_remote_crc_errors(3);  // frames 77, 79, 93
        tx.build(64, &line);
        Rx rx(true);
        rx.feed(line);
        CHECK(rx.d.counters().far_end_errors == 3);
        CHECK(rx.d.counters().crc_errors == 0);
    }
    SECTION("E bits: A -> B errors come back to A as far-end errors")
    {
        Tx tx_a(true);
        Tx tx_b(true);
        Rx rx_a(true);
        Rx rx_b(true);
        // B's multiframes run 5 frames behind A's.
        std::vector<uint8_t> head;
        tx_b.build(5, &head);
        rx_a.feed(head);
        const std::vector<uint32_t> errored = {100, 200, 201, 300, 308, 400};
        for (uint32_t f = 0; f < 640; ++f) {
            std::vector<uint8_t> a_to_b;
            std::vector<uint8_t> b_to_a;
            tx_a.build(1, &a_to_b);
            tx_b.build(1, &b_to_a);
            if (std::find(errored.begin(), errored.end(), f) != errored.end()) {
                flip(a_to_b, 0, 17, 3);
            }
            rx_b.feed(a_to_b);
            // G.704 2.3.3.4: what B's receiver found errored, B's framer reports.
            tx_b.framer.report_remote_crc_errors(rx_b.d.take_errored_smfs());
            rx_a.feed(b_to_a);
            tx_a.framer.report_remote_crc_errors(rx_a.d.take_errored_smfs());
        }
        CHECK(rx_b.d.counters().crc_errors == 5);  // 200 and 201 share an SMF
        CHECK(rx_a.d.counters().far_end_errors == 5);
        CHECK(rx_a.d.counters().crc_errors == 0);
        CHECK(rx_b.d.counters().far_end_errors == 0);
    }
}

TEST_CASE("RAI: the A bit for three NFAS frames raises and clears alarm_rai")
{
    Tx tx(false);
    std::vector<uint8_t> line;
    tx.build(10, &line);
    tx.framer.set_rai(true);
    tx.build(20, &line);
    tx.framer.set_rai(false);
    tx.build(10, &line);
    Rx rx(false);
    rx.feed(line.data(), 15 * fo);  // A = 1 in 11 and 13
    CHECK((rx.d.alarms() & tdm::alarm_rai) == 0);
    rx.feed(line.data() + 15 * fo, fo);  // and 15
    CHECK(rx.d.alarms() == tdm::alarm_rai);
    CHECK(rx.d.counters().rai_events == 1);
    rx.feed(line.data() + 16 * fo, 19 * fo);  // A = 0 in 31 and 33
    CHECK(rx.d.alarms() == tdm::alarm_rai);
    rx.feed(line.data() + 35 * fo, line.size() - 35 * fo);  // and 35
    CHECK(rx.d.alarms() == 0);
    CHECK(rx.d.counters().rai_events == 1);
    CHECK(rx.d.counters().framing_errors == 0);
}

TEST_CASE("AIS (G.775): all ones in two double-frame periods; cleared when the FAS is found")
{
    Tx tx(false);
    std::vector<uint8_t> line;
    tx.build(20, &line);
    tx.framer.set_ais(true);
    tx.build(40, &line);
    tx.framer.set_ais(false);
    tx.build(20, &line);
    Rx rx(false);
    rx.feed(line.data(), 23 * fo);  // one all-ones period (frames 20, 21) and a half
    CHECK(rx.d.alarms() == 0);
    rx.feed(line.data() + 23 * fo, fo);  // the second ends with frame 23
    CHECK(rx.d.alarms() == tdm::alarm_ais);
    CHECK(rx.d.counters().ais_events == 1);
    rx.feed(line.data() + 24 * fo, fo);  // third bad FAS
    CHECK(rx.d.alarms() == (tdm::alarm_ais | tdm::alarm_lof));
    rx.feed(line.data() + 25 * fo, 36 * fo);  // through frame 60, the first FAS
    CHECK(rx.d.alarms() == (tdm::alarm_ais | tdm::alarm_lof));
    rx.feed(line.data() + 61 * fo, fo);  // bit 2 = 1 in frame 61
    CHECK(rx.d.alarms() == (tdm::alarm_ais | tdm::alarm_lof));
    rx.feed(line.data() + 62 * fo, fo);  // FAS again in frame 62: aligned
    CHECK(rx.d.alarms() == 0);
    rx.feed(line.data() + 63 * fo, line.size() - 63 * fo);
    CHECK(rx.d.alarms() == 0);
    CHECK(rx.d.counters().ais_events == 1);
    CHECK(rx.d.counters().lof_events == 1);
    CHECK(rx.d.counters().los_events == 0);
    CHECK(rx.d.counters().framing_errors == 3 * 3);  // 1111111 against 0011011
    CHECK(rx.frames() == 22 + 18);
    require_frames(rx, 22, tx.frame(62), 18);
}

TEST_CASE("AIS threshold (G.775): two zeros in each 512-bit period are AIS, three are not")
{
    for (unsigned zeros : {2u, 3u}) {
        // All ones with `zeros` zeros spread over every 512-bit period.
        std::vector<uint8_t> line(64 * 8, 0xff);
        for (std::size_t period = 0; period < 8; ++period) {
            for (unsigned z = 0; z < zeros; ++z) {
                line[period * 64 + 5 + 20 * z] = 0xf7;
            }
        }
        Rx rx(false);
        rx.feed(line);
        INFO(zeros << " zeros per period");
        CHECK(rx.d.counters().ais_events == (zeros <= 2 ? 1u : 0u));
        CHECK(rx.d.alarms() == (zeros <= 2 ? (tdm::alarm_lof | tdm::alarm_ais) : tdm::alarm_lof));
    }
}

TEST_CASE("LOS (G.775): 255 consecutive zeros; cleared by a period with 12.5% ones")
{
    SECTION("from power-up: LOS after 255 zero bits, with LOF")
    {
        Rx rx(true);
        const std::vector<uint8_t> zeros(64, 0);
        rx.feed(zeros.data(), 31);  // 248 bits
        CHECK(rx.d.alarms() == tdm::alarm_lof);
        rx.feed(zeros.data(), 1);  // 256
        CHECK(rx.d.alarms() == (tdm::alarm_lof | tdm::alarm_los));
        rx.feed(zeros.data(), 64);
        CHECK(rx.d.counters().los_events == 1);
        CHECK(rx.d.counters().ais_events == 0);
    }
    SECTION("a line that goes dark and comes back")
    {
        Tx tx(false);
        std::vector<uint8_t> line;
        tx.build(20, &line);
        const unsigned trailing = static_cast<unsigned>(__builtin_ctz(line.back() | 0x100));
        Rx rx(false);
        rx.feed(line);
        // The run starts with frame 19's trailing zeros.
        const std::size_t bytes_to_los = (255 - trailing + 7) / 8;
        const std::vector<uint8_t> zeros(40 * fo, 0);
        rx.feed(zeros.data(), bytes_to_los - 1);
        CHECK((rx.d.alarms() & tdm::alarm_los) == 0);
        rx.feed(zeros.data(), 1);
        CHECK((rx.d.alarms() & tdm::alarm_los) != 0);
        rx.feed(zeros.data(), zeros.size() - bytes_to_los);
        CHECK(rx.d.alarms() == (tdm::alarm_los | tdm::alarm_lof));
        CHECK(rx.d.counters().lof_events == 1);
        std::vector<uint8_t> back;
        tx.build(40, &back);
        rx.feed(back.data(), fo);  // one 256-bit period of signal
        CHECK((rx.d.alarms() & tdm::alarm_los) == 0);
        rx.feed(back.data() + fo, back.size() - fo);
        CHECK(rx.d.alarms() == 0);
        CHECK(rx.d.counters().los_events == 1);
        CHECK(rx.d.counters().ais_events == 0);
    }
}

TEST_CASE("G.706 Annex B: no CRC-4 multiframe in 400 ms raises alarm_lomf in frame; found later, cleared")
{
    Tx plain(false);
    std::vector<uint8_t> line;
    plain.build(3300, &line);
    Rx rx(true);
    rx.feed(line.data(), 3201 * fo);  // frames 2..3200 in alignment: 3199
    CHECK(rx.d.alarms() == 0);
    rx.feed(line.data() + 3201 * fo, fo);  // the 3200th
    CHECK(rx.d.alarms() == tdm::alarm_lomf);
    CHECK(rx.d.counters().lomf_events == 1);
    rx.feed(line.data() + 3202 * fo, line.size() - 3202 * fo);
    CHECK(rx.d.in_frame());
    CHECK(rx.frames() == 3298);
    // G.706 4.2: the 8 ms search restarted every 64 frames.
    CHECK(rx.d.e1_counters().mf_search_restarts == 3298 / 64);

    // The far end turns CRC-4 on (its frame 0 lands on our FAS frame 3300):
    // 001011 completes in 3311 and 3327, inside one 8 ms window.
    Tx crc(true);
    std::vector<uint8_t> more;
    crc.build(60, &more);
    rx.feed(more.data(), 27 * fo);
    CHECK_FALSE(rx.d.multiframe_aligned());
    rx.feed(more.data() + 27 * fo, fo);
    CHECK(rx.d.multiframe_aligned());
    CHECK(rx.d.alarms() == 0);
    rx.feed(more.data() + 28 * fo, more.size() - 28 * fo);
    CHECK(rx.d.counters().lomf_events == 1);
    CHECK(rx.d.e1_counters().mf_alignments == 1);
    CHECK(rx.d.counters().crc_errors == 0);
}

TEST_CASE("G.706 4.3.2: 915 or more errored blocks in 1000 lose multiframe and frame alignment; both regained")
{
    Tx tx(true);
    std::vector<uint8_t> line;
    tx.build(8128, &line);
    // Every SMF from 48..55 (the first one checked) to 8040..8047 errored:
    // the 1000th block closes with frame 8055.
    for (std::size_t f = 48; f <= 8040; f += 8) {
        flip(line, f + 3, 12, 3);
    }
    Rx rx(true);
    rx.feed(line.data(), 8055 * fo);
    CHECK(rx.d.in_frame());
    CHECK(rx.d.alarms() == 0);
    rx.feed(line.data() + 8055 * fo, fo);
    CHECK_FALSE(rx.d.in_frame());
    CHECK(rx.d.alarms() == (tdm::alarm_lof | tdm::alarm_lomf));
    CHECK(rx.d.counters().lomf_events == 1);
    CHECK(rx.d.counters().lof_events == 1);
    CHECK(rx.d.e1_counters().false_alignments == 1);
    CHECK(rx.d.counters().crc_errors == 1000);
    // The search resumes after frame 8055: FAS 8056, bit 2 in 8057, FAS 8058.
    rx.feed(line.data() + 8056 * fo, 3 * fo);
    CHECK(rx.d.alarms() == tdm::alarm_lomf);
    // Frame 8058 is multiframe frame 10; 001011 completes in 8075 and 8091.
    rx.feed(line.data() + 8059 * fo, (8091 - 8059) * fo);
    CHECK(rx.d.alarms() == tdm::alarm_lomf);
    rx.feed(line.data() + 8091 * fo, fo);
    CHECK(rx.d.alarms() == 0);
    CHECK(rx.d.multiframe_aligned());
    rx.feed(line.data() + 8092 * fo, line.size() - 8092 * fo);
    CHECK(rx.d.e1_counters().mf_alignments == 2);
    // Checked again from frame 8111 (SMF 8096..8103) to 8127, clean.
    CHECK(rx.d.e1_counters().crc_blocks == 1000 + 3);
    CHECK(rx.d.counters().crc_errors == 1000);
    CHECK(rx.d.counters().lomf_events == 1);
    CHECK(rx.frames() == 8054 + 70);
}

TEST_CASE("G.706 4.1.2: after a failed check the search resumes with the next bit")
{
    // A lone 0011011 ahead of the frames, on a line of ones: the candidate
    // whose checks fall into the frames.
    Tx tx(false);
    tx.build(40);
    constexpr std::size_t lead = 20;  // ones before the imitation

    SECTION("bit 2 = 0 where the NFAS should be: search again from the bit after it")
    {
        // The 0 at candidate + 250 is the bit just ahead of frame 0, whose
        // FAS starts 2 bits later and is the next found: aligned on frame 2,
        // not (had the candidate gone on to its FAS check at +512, inside
        // frame 0, or the search skipped a few bits) on frame 4.
        constexpr std::size_t real = lead + 6 + 250 + 1;
        Bits line;
        line.ones(lead);
        const uint8_t imitation[1] = {0x36};  // 0011011 then 0
        line.take(imitation, 0, 7);
        line.ones(real - lead - 7);
        line.octets[(lead + 6 + 250) / 8] &= static_cast<uint8_t>(~(0x80u >> ((lead + 6 + 250) % 8)));
        line.take(tx.sent.data(), 0, tx.sent.size() * 8);
        Rx rx(false);
        rx.feed(line.padded());
        REQUIRE(rx.frames() == 38);
        require_frames(rx, 0, tx.frame(2), 38);
        CHECK(rx.d.counters().bits_discarded == real + 512);
    }
    SECTION("no FAS 512 bits on: search again after that window, past frame 0's FAS")
    {
        // candidate + 250 is a fixed 1 of TS18 in frame 0; candidate + 512
        // ends in frame 1's payload. The search resumes after it and finds
        // frame 2's FAS: aligned on frame 4.
        constexpr std::size_t real = lead + 108;
        Bits line;
        line.ones(lead);
        const uint8_t imitation[1] = {0x36};
        line.take(imitation, 0, 7);
        line.ones(real - lead - 7);
        line.take(tx.sent.data(), 0, tx.sent.size() * 8);
        Rx rx(false);
        rx.feed(line.padded());
        REQUIRE(rx.frames() == 36);
        require_frames(rx, 0, tx.frame(4), 36);
        CHECK(rx.d.counters().bits_discarded == real + 4 * 256);
    }
}

TEST_CASE("G.706 4.2: multiframe signals must be 2 ms (16 frames) or a multiple apart")
{
    // A non-CRC-4 line (Si = 1) with 001011 written into the Si bits of NFAS
    // frames ending at frame 27 and again `gap` frames later.
    auto line_with_signals = [](uint32_t gap) {
        Tx tx(false);
        std::vector<uint8_t> line;
        tx.build(120, &line);
        for (uint32_t end : {27u, 27u + gap}) {
            const unsigned mfas[6] = {0, 0, 1, 0, 1, 1};
            for (unsigned k = 0; k < 6; ++k) {
                set_si(line, end - 10 + 2 * k, mfas[k]);
            }
        }
        return line;
    };
    SECTION("24 frames apart: no alignment")
    {
        Rx rx(true);
        rx.feed(line_with_signals(24));
        CHECK_FALSE(rx.d.multiframe_aligned());
        CHECK(rx.d.e1_counters().mf_alignments == 0);
    }
    SECTION("32 frames apart, inside one 8 ms search: aligned on the second")
    {
        const auto line = line_with_signals(32);
        Rx rx(true);
        rx.feed(line.data(), 59 * fo);
        CHECK_FALSE(rx.d.multiframe_aligned());
        rx.feed(line.data() + 59 * fo, fo);
        CHECK(rx.d.multiframe_aligned());
    }
    SECTION("64 frames apart: the 8 ms search restarted in between, no alignment")
    {
        Rx rx(true);
        rx.feed(line_with_signals(64));
        CHECK_FALSE(rx.d.multiframe_aligned());
        CHECK(rx.d.e1_counters().mf_search_restarts == 1);
    }
}

TEST_CASE("LOS at exactly 255 zeros; a framed line with zero timeslots never looks lost")
{
    SECTION("254 zeros are not LOS, 255 are")
    {
        Bits line;
        line.ones(100);
        for (int i = 0; i < 254; ++i) {
            line.bit(0);
        }
        line.ones(100);
        for (int i = 0; i < 255; ++i) {
            line.bit(0);
        }
        const auto& octets = line.padded();
        Rx rx(false);
        const std::size_t before_second = (100 + 254 + 100) / 8;
        rx.feed(octets.data(), before_second);
        CHECK((rx.d.alarms() & tdm::alarm_los) == 0);
        rx.feed(octets.data() + before_second, octets.size() - before_second);
        CHECK((rx.d.alarms() & tdm::alarm_los) != 0);
        CHECK(rx.d.counters().los_events == 1);
    }
    SECTION("all-zero payload, Sa bits at their default 1: runs of at most 251 zeros")
    {
        for (bool crc4 : {false, true}) {
            E1Framer framer(crc4);
            std::vector<uint8_t> line(1000 * fo);
            const uint8_t zeros[fo] = {};
            for (std::size_t f = 0; f < 1000; ++f) {
                framer.build_frame(zeros, &line[f * fo]);
            }
            Rx rx(crc4);
            rx.feed(line);
            INFO("crc4 " << crc4);
            CHECK(rx.d.counters().los_events == 0);
            CHECK(rx.d.alarms() == 0);
            CHECK(rx.frames() == 998);
        }
    }
}

TEST_CASE("Output room: frames past max_frames are checked but dropped and counted")
{
    Tx tx(false);
    std::vector<uint8_t> line;
    tx.build(10, &line);
    E1Deframer d(false);
    std::vector<uint8_t> out(3 * fo);
    CHECK(d.feed(line.data(), line.size(), out.data(), 3) == 3);
    CHECK(std::memcmp(out.data(), tx.frame(2), 3 * fo) == 0);
    CHECK(d.counters().frames == 3);
    CHECK(d.e1_counters().frames_dropped == 5);
    CHECK(d.feed(line.data(), 0, nullptr, 0) == 0);
}

TEST_CASE("Feeding in any slices gives the same frames and counters")
{
    Tx tx(true);
    std::vector<uint8_t> frames;
    tx.build(600, &frames);
    flip(frames, 100, 3, 3);
    flip(frames, 300, 0, 2);
    flip(frames, 302, 0, 2);
    flip(frames, 304, 0, 2);
    Bits line;
    line.take(frames.data(), 0, 400 * 256 + 5);
    line.take(frames.data(), 400 * 256 + 6, 200 * 256 - 6);
    const auto& octets = line.padded();

    auto run = [&octets](std::size_t chunk) {
        Rx rx(true);
        rx.feed(octets, chunk);
        return rx;
    };
    const Rx whole = run(octets.size());
    CHECK(whole.d.counters().lof_events == 2);
    for (std::size_t chunk : {1u, 7u, 32u, 33u, 255u}) {
        INFO("slices of " << chunk);
        const Rx rx = run(chunk);
        CHECK(rx.out == whole.out);
        const auto& a = rx.d.counters();
        const auto& b = whole.d.counters();
        CHECK(a.frames == b.frames);
        CHECK(a.framing_errors == b.framing_errors);
        CHECK(a.crc_errors == b.crc_errors);
        CHECK(a.lof_events == b.lof_events);
        CHECK(a.bits_discarded == b.bits_discarded);
        CHECK(rx.d.e1_counters().crc_blocks == whole.d.e1_counters().crc_blocks);
        CHECK(rx.d.alarms() == whole.d.alarms());
    }
}

TEST_CASE("A random bit stream never crashes and never holds alignment for long")
{
    std::mt19937 rng(12345);
    std::vector<uint8_t> noise(1 << 20);
    for (auto& b : noise) {
        b = static_cast<uint8_t>(rng());
    }
    Rx rx(true);
    std::size_t longest = 0;  // octets fed without a break in alignment
    std::size_t run = 0;
    for (std::size_t off = 0; off < noise.size();) {
        std::size_t len = std::min<std::size_t>(1 + rng() % 64, noise.size() - off);
        rx.feed(noise.data() + off, len, len);
        off += len;
        run = rx.d.in_frame() ? run + len : 0;
        longest = std::max(longest, run);
        REQUIRE_FALSE(rx.d.multiframe_aligned());
    }
    const auto& c = rx.d.counters();
    const uint64_t total_bits = uint64_t{noise.size()} * 8;
    INFO("longest " << longest << " octets, " << c.frames << " frames, " << c.lof_events << " LOF");
    // A false alignment lasts until three FAS (or NFAS bit 2) in a row fail.
    CHECK(longest < 64 * fo);
    CHECK(c.frames < total_bits / 256 / 50);
    CHECK(rx.d.e1_counters().mf_alignments == 0);
    CHECK(c.crc_errors == 0);
    CHECK(c.los_events == 0);
    CHECK(c.ais_events == 0);
    // Every bit was delivered, discarded, or is a frame still arriving.
    CHECK(c.frames * 256 + c.bits_discarded <= total_bits);
    CHECK(total_bits - (c.frames * 256 + c.bits_discarded) < 256);
}
