// T1 framing: framer -> deframer round trips, alignment, loss, CRC-6,
// yellow, AIS and LOS with exact counts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "tdm/bits/bitstream.h"
#include "tdm/t1/crc6.h"
#include "tdm/t1/t1_deframer.h"
#include "tdm/t1/t1_framer.h"

using namespace trunkgw::tdm;

namespace {

// A payload no candidate position can mistake for FPS or Ft/Fs: every bit
// of it is periodic in a power of two frames, the patterns are not.
uint8_t payload(std::size_t frame, std::size_t ts)
{
    return static_cast<uint8_t>(frame * 7 + ts * 13 + 1);
}

struct Line {
    std::vector<uint8_t> bytes;
    std::size_t lead_bits = 0;
    std::size_t frames = 0;

    // Bit index of frame j's F bit, and of bit b (0 = MSB) of its timeslot s.
    std::size_t f_bit(std::size_t j) const { return lead_bits + 193 * j; }
    std::size_t ts_bit(std::size_t j, std::size_t s, std::size_t b) const { return f_bit(j) + 1 + 8 * s + b; }
    void flip(std::size_t bit) { bytes[bit >> 3] ^= static_cast<uint8_t>(0x80u >> (bit & 7)); }
};

using FrameHook = std::function<void(std::size_t frame, T1Framer& tx, uint8_t* ts)>;

// `lead` bits (MSB first from lead_bytes, cycling) then `frames` frames.
// The last octet is completed with the bits of one more frame, so no pad bit
// is ever taken for a (wrong) F bit.
Line make_line(T1Framing framing, std::size_t frames, std::size_t lead_bits = 0,
               const std::vector<uint8_t>& lead_bytes = {}, const FrameHook& hook = {})
{
    Line line;
    line.lead_bits = lead_bits;
    line.frames = frames;
    line.bytes.assign((lead_bits + 193 * (frames + 1) + 7) / 8, 0);
    BitWriter w(line.bytes.data(), line.bytes.size());
    for (std::size_t i = 0; i < lead_bits; ++i) {
        uint8_t b = lead_bytes.empty() ? 0 : lead_bytes[(i / 8) % lead_bytes.size()];
        REQUIRE(w.put((b >> (7 - i % 8)) & 1u, 1));
    }
    T1Framer tx(framing);
    uint8_t ts[t1_timeslots];
    for (std::size_t j = 0; j <= frames; ++j) {
        for (std::size_t s = 0; s < t1_timeslots; ++s) {
            ts[s] = payload(j, s);
        }
        if (hook) {
            hook(j, tx, ts);
        }
        REQUIRE(tx.build_frame(ts, w));
    }
    REQUIRE(w.bits() == lead_bits + 193 * (frames + 1));
    line.bytes.resize((line.f_bit(frames) + 7) / 8);
    return line;
}

// Feeds `in` in chunks of `chunk` octets and collects every frame.
std::vector<uint8_t> feed_all(T1Deframer& rx, const std::vector<uint8_t>& in, std::size_t chunk = 4096,
                              std::size_t from = 0, std::size_t to = SIZE_MAX)
{
    std::vector<uint8_t> out;
    to = std::min(to, in.size());
    std::vector<uint8_t> tmp;
    for (std::size_t off = from; off < to; off += chunk) {
        std::size_t len = std::min(chunk, to - off);
        std::size_t room = len / 24 + 2;
        tmp.assign(room * t1_timeslots, 0);
        std::size_t got = rx.feed(in.data() + off, len, tmp.data(), room);
        REQUIRE(got <= room);
        out.insert(out.end(), tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(got * t1_timeslots));
    }
    return out;
}

// True when `got` is exactly the payload of frames [first, first + count).
bool payload_matches(const std::vector<uint8_t>& got, std::size_t first, uint8_t mask = 0xff)
{
    for (std::size_t k = 0; k < got.size(); ++k) {
        std::size_t j = first + k / t1_timeslots;
        std::size_t s = k % t1_timeslots;
        if (got[k] != static_cast<uint8_t>(payload(j, s) & mask)) {
            return false;
        }
    }
    return true;
}

// ESF: a candidate detected on frame `detect` (its 24th FPS bit) is
// confirmed by the CRC-6 check of the first whole ESF after it, on the e6
// bit (frame 22) of the ESF after that.
constexpr std::size_t esf_confirm_frame(std::size_t detect)
{
    return detect - detect % 24 + 48 + 21;
}

// With the stream starting on frame 1 of a multiframe, the real position
// shows its 24th FPS bit on frame 96 and is confirmed on frame 142; D4 needs
// 48 F bits, frame 48. 0-based indexes below.
constexpr std::size_t esf_detect_frame = 95;
constexpr std::size_t esf_align_frame = esf_confirm_frame(esf_detect_frame);
static_assert(esf_align_frame == 141);
constexpr std::size_t d4_align_frame = 47;

}  // namespace

TEST_CASE("CRC-6 table matches the bit-serial long division", "[t1][crc6]")
{
    std::mt19937 rng(6);
    for (int round = 0; round < 200; ++round) {
        std::vector<uint8_t> msg(1 + rng() % 600);
        for (auto& b : msg) {
            b = static_cast<uint8_t>(rng());
        }
        uint8_t reg = crc6_init;
        for (uint8_t b : msg) {
            reg = crc6_octet(reg, b);
        }
        uint8_t crc = crc6_value(reg);
        REQUIRE(crc == crc6_reference(msg.data(), msg.size() * 8));
        // M(x) x^6 + R(x) is a multiple of x^6 + x + 1.
        std::vector<uint8_t> with_crc = msg;
        with_crc.push_back(static_cast<uint8_t>(crc << 2));
        REQUIRE(crc6_reference(with_crc.data(), msg.size() * 8 + 6) == 0);
    }
    // Bit steps agree with octet steps.
    uint8_t a = crc6_init;
    for (int i = 7; i >= 0; --i) {
        a = crc6_bit(a, (0xa5u >> i) & 1u);
    }
    REQUIRE(a == crc6_octet(crc6_init, 0xa5));
    // A single 1: x^6 mod (x^6 + x + 1) = x + 1.
    uint8_t one[1] = {0x80};
    REQUIRE(crc6_reference(one, 1) == 0x03);
}

TEST_CASE("Framer writes 193 bits per frame, all or nothing", "[t1][framer]")
{
    uint8_t ts[t1_timeslots] = {};
    SECTION("no room for a whole frame writes nothing")
    {
        uint8_t buf[24];
        BitWriter w(buf, sizeof(buf));
        T1Framer tx(T1Framing::esf);
        REQUIRE_FALSE(tx.build_frame(ts, w));
        REQUIRE(w.bits() == 0);
    }
    SECTION("exactly one frame fits in 25 octets")
    {
        uint8_t buf[25];
        BitWriter w(buf, sizeof(buf));
        T1Framer tx(T1Framing::d4);
        REQUIRE(tx.build_frame(ts, w));
        REQUIRE(w.bits() == 193);
        REQUIRE_FALSE(tx.build_frame(ts, w));
        REQUIRE(w.bits() == 193);
    }
    SECTION("8 frames are exactly 193 octets, the F bits where G.704 puts them")
    {
        Line line = make_line(T1Framing::d4, 24);
        REQUIRE(line.bytes.size() == 579);
        for (std::size_t j = 0; j < 24; ++j) {
            std::size_t bit = line.f_bit(j);
            unsigned f = (line.bytes[bit >> 3] >> (7 - bit % 8)) & 1u;
            REQUIRE(f == t1_d4_f[j % 12]);
            for (std::size_t s = 0; s < t1_timeslots; ++s) {
                uint8_t o = 0;
                for (std::size_t b = 0; b < 8; ++b) {
                    std::size_t x = line.ts_bit(j, s, b);
                    o = static_cast<uint8_t>((o << 1) | ((line.bytes[x >> 3] >> (7 - x % 8)) & 1u));
                }
                REQUIRE(o == payload(j, s));
            }
        }
    }
    SECTION("ESF F bits: FPS 001011, e1..e6 the previous ESF's CRC-6, idle FDL flags")
    {
        Line line = make_line(T1Framing::esf, 48);
        auto bit_at = [&](std::size_t x) { return (line.bytes[x >> 3] >> (7 - x % 8)) & 1u; };
        // The CRC-6 of ESF 0 computed independently: its bits with F = 1.
        std::vector<uint8_t> cmb(579, 0);
        for (std::size_t x = 0; x < 4632; ++x) {
            unsigned v = x % 193 == 0 ? 1u : bit_at(x);
            cmb[x >> 3] = static_cast<uint8_t>(cmb[x >> 3] | (v << (7 - x % 8)));
        }
        uint8_t crc = crc6_reference(cmb.data(), 4632);
        unsigned fdl = 0;
        unsigned e = 0;
        for (std::size_t j = 24; j < 48; ++j) {
            unsigned f = bit_at(line.f_bit(j));
            unsigned n = static_cast<unsigned>(j % 24) + 1;  // G.704 frame number
            if (n % 4 == 0) {
                REQUIRE(f == t1_esf_fps[n / 4 - 1]);
            } else if (n % 4 == 2) {
                e = (e << 1) | f;
            } else {
                fdl = (fdl << 1) | f;
            }
        }
        REQUIRE(e == crc);
        // HDLC flags 0111 1110 repeated; ESF 1 carries FDL bits 12..23: 1110 0111 1110.
        REQUIRE(fdl == 0b111001111110u);
    }
    SECTION("AIS is 193 ones per frame")
    {
        Line line = make_line(T1Framing::esf, 8, 0, {}, [](std::size_t, T1Framer& tx, uint8_t*) { tx.set_ais(true); });
        REQUIRE(line.bytes.size() == 193);
        REQUIRE(std::all_of(line.bytes.begin(), line.bytes.end(), [](uint8_t b) { return b == 0xff; }));
    }
}

TEST_CASE("ESF round trip: payload intact, no errors", "[t1][esf]")
{
    const std::size_t n = 600;
    Line line = make_line(T1Framing::esf, n);
    for (std::size_t chunk :
         {std::size_t{1}, std::size_t{7}, std::size_t{24}, std::size_t{25}, std::size_t{193}, std::size_t{4096}}) {
        T1Deframer rx(T1Framing::esf);
        std::vector<uint8_t> got = feed_all(rx, line.bytes, chunk);
        INFO("chunk " << chunk);
        REQUIRE(got.size() == (n - esf_align_frame) * t1_timeslots);
        REQUIRE(payload_matches(got, esf_align_frame));
        REQUIRE(rx.in_frame());
        REQUIRE(rx.alarms() == 0);
        const DeframerCounters& c = rx.counters();
        REQUIRE(c.frames == n - esf_align_frame);
        REQUIRE(c.framing_errors == 0);
        REQUIRE(c.crc_errors == 0);
        REQUIRE(c.lof_events == 0);
        REQUIRE(c.los_events == 0);
        REQUIRE(c.ais_events == 0);
        REQUIRE(c.rai_events == 0);
        REQUIRE(c.bits_discarded == esf_align_frame * 193 + 1);
    }
}

TEST_CASE("D4 round trip: payload intact, no errors", "[t1][d4]")
{
    const std::size_t n = 400;
    Line line = make_line(T1Framing::d4, n);
    for (std::size_t chunk : {std::size_t{1}, std::size_t{5}, std::size_t{25}, std::size_t{4096}}) {
        T1Deframer rx(T1Framing::d4);
        std::vector<uint8_t> got = feed_all(rx, line.bytes, chunk);
        INFO("chunk " << chunk);
        REQUIRE(got.size() == (n - d4_align_frame) * t1_timeslots);
        REQUIRE(payload_matches(got, d4_align_frame));
        REQUIRE(rx.in_frame());
        REQUIRE(rx.alarms() == 0);
        REQUIRE(rx.counters().frames == n - d4_align_frame);
        REQUIRE(rx.counters().framing_errors == 0);
        REQUIRE(rx.counters().crc_errors == 0);
        REQUIRE(rx.counters().bits_discarded == d4_align_frame * 193 + 1);
    }
}

TEST_CASE("Alignment is found at every bit offset", "[t1][align]")
{
    for (T1Framing framing : {T1Framing::esf, T1Framing::d4}) {
        std::size_t align = framing == T1Framing::esf ? esf_align_frame : d4_align_frame;
        for (std::size_t offset = 0; offset < 8; ++offset) {
            INFO("framing " << (framing == T1Framing::esf ? "esf" : "d4") << " offset " << offset);
            Line line = make_line(framing, 300, offset, {0xa5});
            T1Deframer rx(framing);
            std::vector<uint8_t> got = feed_all(rx, line.bytes, 97);
            REQUIRE(got.size() == (300 - align) * t1_timeslots);
            REQUIRE(payload_matches(got, align));
            REQUIRE(rx.counters().bits_discarded == offset + align * 193 + 1);
            REQUIRE(rx.counters().framing_errors == 0);
        }
    }
}

TEST_CASE("Alignment is found after random garbage", "[t1][align]")
{
    std::mt19937 rng(1544);
    for (T1Framing framing : {T1Framing::esf, T1Framing::d4}) {
        std::size_t align = framing == T1Framing::esf ? esf_align_frame : d4_align_frame;
        for (int round = 0; round < 4; ++round) {
            std::vector<uint8_t> garbage(3000);
            for (auto& b : garbage) {
                b = static_cast<uint8_t>(rng());
            }
            std::size_t lead = 8 * 1000 + rng() % 8000;
            const std::size_t n = 400;
            Line line = make_line(framing, n, lead, garbage);
            T1Deframer rx(framing);
            std::vector<uint8_t> got = feed_all(rx, line.bytes, 61);
            INFO("round " << round << " lead " << lead);
            REQUIRE(rx.in_frame());
            REQUIRE(rx.counters().lof_events == 0);
            REQUIRE(rx.counters().framing_errors == 0);
            REQUIRE(rx.counters().crc_errors == 0);
            // Garbage bits at the real position that happen to match may
            // complete the history a few multiframes early, never late.
            std::size_t frames = got.size() / t1_timeslots;
            REQUIRE(frames >= n - align);
            REQUIRE(frames <= n);
            REQUIRE(payload_matches(got, n - frames));
        }
    }
}

TEST_CASE("ESF loses alignment on 2 FPS errors in 4 consecutive, not on fewer", "[t1][esf][lof]")
{
    const std::size_t n = 500;
    // FPS frames after alignment at frame 141: 143, 147, 151, 155, 159, ...
    struct Case {
        std::vector<std::size_t> bad;
        bool lost;
    };
    for (const Case& c : {Case{{143}, false}, Case{{143, 147}, true}, Case{{143, 155}, true}, Case{{143, 159}, false},
                          Case{{143, 159, 175, 191}, false}}) {
        Line line = make_line(T1Framing::esf, n);
        for (std::size_t j : c.bad) {
            line.flip(line.f_bit(j));
        }
        T1Deframer rx(T1Framing::esf);
        std::vector<uint8_t> got = feed_all(rx, line.bytes, 100);
        INFO("first bad " << c.bad.front() << " errors " << c.bad.size());
        REQUIRE(rx.counters().lof_events == (c.lost ? 1u : 0u));
        REQUIRE(rx.counters().framing_errors == c.bad.size());
        REQUIRE(rx.counters().crc_errors == 0);  // F bits count as 1 in the CMB
        REQUIRE(rx.in_frame());
        std::size_t last = c.bad.back();
        if (c.lost) {
            // Frames 141..last-1 came out; the hunt restarts after frame
            // last's F bit, finds the FPS 96 frames later and confirms it
            // by CRC-6 two ESFs on.
            std::size_t realign = esf_confirm_frame(last + 96);
            std::size_t before = last - esf_align_frame;
            std::size_t after = n - realign;
            REQUIRE(got.size() == (before + after) * t1_timeslots);
            std::vector<uint8_t> head(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(before * t1_timeslots));
            std::vector<uint8_t> tail(got.begin() + static_cast<std::ptrdiff_t>(before * t1_timeslots), got.end());
            REQUIRE(payload_matches(head, esf_align_frame));
            REQUIRE(payload_matches(tail, realign));
        } else {
            REQUIRE(got.size() == (n - esf_align_frame) * t1_timeslots);
            REQUIRE(payload_matches(got, esf_align_frame));
        }
    }
}

TEST_CASE("D4 loses alignment on 2 Ft errors in 4 consecutive; Fs errors only count", "[t1][d4][lof]")
{
    const std::size_t n = 300;
    // Ft frames (G.704 odd frames) are the even 0-based ones: 48, 50, 52, ...
    struct Case {
        std::vector<std::size_t> bad;
        bool lost;
    };
    for (const Case& c : {Case{{48}, false}, Case{{48, 50}, true}, Case{{48, 54}, true}, Case{{48, 56}, false},
                          Case{{49, 51, 53, 55, 57}, false}}) {
        Line line = make_line(T1Framing::d4, n);
        for (std::size_t j : c.bad) {
            line.flip(line.f_bit(j));
        }
        T1Deframer rx(T1Framing::d4);
        std::vector<uint8_t> got = feed_all(rx, line.bytes, 100);
        INFO("first bad " << c.bad.front() << " errors " << c.bad.size());
        REQUIRE(rx.counters().lof_events == (c.lost ? 1u : 0u));
        REQUIRE(rx.counters().framing_errors == c.bad.size());
        REQUIRE(rx.in_frame());
        std::size_t last = c.bad.back();
        if (c.lost) {
            std::size_t before = last - d4_align_frame;
            std::size_t after = n - (last + 48);
            REQUIRE(got.size() == (before + after) * t1_timeslots);
            std::vector<uint8_t> tail(got.begin() + static_cast<std::ptrdiff_t>(before * t1_timeslots), got.end());
            REQUIRE(payload_matches(tail, last + 48));
        } else {
            REQUIRE(got.size() == (n - d4_align_frame) * t1_timeslots);
        }
    }
}

TEST_CASE("CRC-6 errors are counted exactly", "[t1][esf][crc]")
{
    const std::size_t n = 400;
    // Detected on frame 95, ESF 4 (frames 96..119) is the candidate's CRC-6
    // check, passed on frame 141 (ESF 5); from then on every ESF is checked
    // in the next one.
    SECTION("one payload bit error in a checked ESF")
    {
        Line line = make_line(T1Framing::esf, n);
        line.flip(line.ts_bit(200, 23, 5));
        T1Deframer rx(T1Framing::esf);
        std::vector<uint8_t> got = feed_all(rx, line.bytes);
        REQUIRE(rx.counters().crc_errors == 1);
        REQUIRE(rx.counters().framing_errors == 0);
        REQUIRE(rx.counters().lof_events == 0);
        REQUIRE(got.size() == (n - esf_align_frame) * t1_timeslots);
    }
    SECTION("one error in each of three ESFs, two in a fourth")
    {
        Line line = make_line(T1Framing::esf, n);
        line.flip(line.ts_bit(130, 0, 0));
        line.flip(line.ts_bit(150, 11, 7));
        line.flip(line.ts_bit(170, 3, 3));
        line.flip(line.ts_bit(200, 1, 1));  // ESF 8 ...
        line.flip(line.ts_bit(210, 2, 2));  // ... once
        T1Deframer rx(T1Framing::esf);
        feed_all(rx, line.bytes, 33);
        REQUIRE(rx.counters().crc_errors == 4);
    }
    SECTION("an error in e1..e6 is a CRC error, one in the FDL is not")
    {
        Line line = make_line(T1Framing::esf, n);
        line.flip(line.f_bit(169));  // frame 2 of ESF 7: e1
        line.flip(line.f_bit(192));  // frame 1 of ESF 8: FDL
        T1Deframer rx(T1Framing::esf);
        feed_all(rx, line.bytes);
        REQUIRE(rx.counters().crc_errors == 1);
        REQUIRE(rx.counters().framing_errors == 0);
    }
    SECTION("errors before alignment or in the partial first ESF are not counted")
    {
        Line line = make_line(T1Framing::esf, n);
        line.flip(line.ts_bit(10, 0, 0));
        line.flip(line.ts_bit(95, 4, 4));  // the detecting frame: ESF 3, never checked
        T1Deframer rx(T1Framing::esf);
        std::vector<uint8_t> got = feed_all(rx, line.bytes);
        REQUIRE(rx.counters().crc_errors == 0);
        REQUIRE(rx.candidates_rejected() == 0);
        REQUIRE(got.size() == (n - esf_align_frame) * t1_timeslots);
    }
    SECTION("an error in the candidate's check ESF rejects it; it is found again")
    {
        Line line = make_line(T1Framing::esf, n);
        line.flip(line.ts_bit(100, 0, 0));  // ESF 4
        T1Deframer rx(T1Framing::esf);
        std::vector<uint8_t> got = feed_all(rx, line.bytes);
        REQUIRE(rx.candidates_rejected() == 1);
        REQUIRE(rx.counters().crc_errors == 0);  // not in frame yet
        REQUIRE(rx.counters().lof_events == 0);
        REQUIRE(rx.in_frame());
        // The position has to show 22..24 FPS bits again after frame 141
        // (its oldest history bits are zeros, as is the FPS now and then),
        // then pass a check two ESFs on.
        std::size_t frames = got.size() / t1_timeslots;
        REQUIRE(frames <= n - esf_confirm_frame(141 + 4 * 21));
        REQUIRE(frames >= n - esf_confirm_frame(141 + 4 * 24));
        REQUIRE(payload_matches(got, n - frames));
    }
}

TEST_CASE("ESF: a payload bit mimicking the FPS for ever is not taken for it", "[t1][esf][align]")
{
    // Bit 8 of TS1 carries 001011 in every 4th frame, in all four phases, as
    // robbed-bit signalling patterns that repeat every 24 frames can. That
    // candidate is seen first (frame 92) but fails its CRC-6 check.
    const std::size_t n = 600;
    auto mimic = [](std::size_t j, T1Framer&, uint8_t* ts) {
        ts[0] = static_cast<uint8_t>((ts[0] & 0xfe) | t1_esf_fps[((j >> 2) + 2) % 6]);
    };
    Line line = make_line(T1Framing::esf, n, 0, {}, mimic);
    T1Deframer rx(T1Framing::esf);
    std::vector<uint8_t> got = feed_all(rx, line.bytes, 50);
    REQUIRE(rx.in_frame());
    REQUIRE(got.size() == (n - esf_align_frame) * t1_timeslots);
    for (std::size_t k = 0; k < got.size(); ++k) {
        std::size_t j = esf_align_frame + k / t1_timeslots;
        uint8_t ts[t1_timeslots];
        for (std::size_t s = 0; s < t1_timeslots; ++s) {
            ts[s] = payload(j, s);
        }
        T1Framer dummy(T1Framing::esf);
        mimic(j, dummy, ts);
        REQUIRE(got[k] == ts[k % t1_timeslots]);
    }
    REQUIRE(rx.counters().crc_errors == 0);
    REQUIRE(rx.counters().framing_errors == 0);
}

TEST_CASE("ESF: a far end sending wrong CRC-6 bits is framed after 3 tries", "[t1][esf][align]")
{
    const std::size_t n = 1200;
    Line line = make_line(T1Framing::esf, n);
    for (std::size_t j = 1; j < n; j += 24) {
        line.flip(line.f_bit(j));  // e1 of every ESF
    }
    T1Deframer rx(T1Framing::esf);
    std::vector<uint8_t> got = feed_all(rx, line.bytes);
    REQUIRE(rx.in_frame());
    REQUIRE(rx.candidates_rejected() == 2);
    std::size_t frames = got.size() / t1_timeslots;
    std::size_t accepted = n - frames;
    REQUIRE(accepted % 24 == 21);
    REQUIRE(payload_matches(got, accepted));
    // Every ESF check after acceptance fails.
    REQUIRE(rx.counters().crc_errors == (n - 1 - accepted) / 24);
    REQUIRE(rx.counters().framing_errors == 0);
}

TEST_CASE("Yellow alarm (RAI), ESF and D4", "[t1][rai]")
{
    SECTION("ESF: FDL 11111111 00000000 declares after 16 codewords, clears when it stops")
    {
        const std::size_t yellow_until = 2000;
        const std::size_t n = 2400;
        Line line = make_line(T1Framing::esf, n, 0, {},
                              [&](std::size_t j, T1Framer& tx, uint8_t*) { tx.set_yellow(j < yellow_until); });
        T1Deframer rx(T1Framing::esf);
        // 16 codewords are 256 FDL bits, 512 frames after alignment at the soonest.
        std::size_t upto = line.f_bit(esf_align_frame + 500) / 8;
        feed_all(rx, line.bytes, 4096, 0, upto);
        REQUIRE(rx.in_frame());
        REQUIRE((rx.alarms() & alarm_rai) == 0);
        std::size_t upto2 = line.f_bit(yellow_until) / 8;
        feed_all(rx, line.bytes, 4096, upto, upto2);
        REQUIRE(rx.alarms() == alarm_rai);
        REQUIRE(rx.counters().rai_events == 1);
        feed_all(rx, line.bytes, 4096, upto2);
        REQUIRE(rx.alarms() == 0);
        REQUIRE(rx.counters().rai_events == 1);
        REQUIRE(rx.counters().crc_errors == 0);
        REQUIRE(rx.counters().framing_errors == 0);
    }
    SECTION("D4: bit 2 of every channel 0, integrated over 8 windows of 48 ms")
    {
        // Windows of 384 frames from alignment at frame 47; the 8th ends
        // with frame 47 + 8 * 384 - 1 = 3118.
        const std::size_t n = 4600;
        const std::size_t yellow_until = 3600;
        Line line = make_line(T1Framing::d4, n, 0, {},
                              [&](std::size_t j, T1Framer& tx, uint8_t*) { tx.set_yellow(j < yellow_until); });
        T1Deframer rx(T1Framing::d4);
        std::size_t upto = line.f_bit(3118) / 8;
        std::vector<uint8_t> got = feed_all(rx, line.bytes, 4096, 0, upto);
        REQUIRE(rx.in_frame());
        REQUIRE(rx.alarms() == 0);
        REQUIRE(payload_matches(got, d4_align_frame, 0xbf));
        std::size_t upto2 = line.f_bit(3120) / 8;
        feed_all(rx, line.bytes, 4096, upto, upto2);
        REQUIRE(rx.alarms() == alarm_rai);
        REQUIRE(rx.counters().rai_events == 1);
        // Yellow stops at 3600: window 3503..3886 and window 3887..4270 are
        // not yellow; the second clears.
        std::size_t upto3 = line.f_bit(4270) / 8;
        feed_all(rx, line.bytes, 4096, upto2, upto3);
        REQUIRE(rx.alarms() == alarm_rai);
        feed_all(rx, line.bytes, 4096, upto3);
        REQUIRE(rx.alarms() == 0);
        REQUIRE(rx.counters().rai_events == 1);
        REQUIRE(rx.counters().framing_errors == 0);
    }
    SECTION("D4: 16 octets with bit 2 set per window are still yellow; 17 are not")
    {
        for (std::size_t set_in : {std::size_t{16}, std::size_t{17}}) {
            Line line = make_line(T1Framing::d4, 3200, 0, {}, [&](std::size_t j, T1Framer&, uint8_t* ts) {
                for (std::size_t s = 0; s < t1_timeslots; ++s) {
                    ts[s] = static_cast<uint8_t>(ts[s] & ~0x40u);
                }
                // The errored octets, in one frame of each window.
                if (j >= 48 && (j - 48) % 384 == 0) {
                    for (std::size_t s = 0; s < set_in; ++s) {
                        ts[s] |= 0x40;
                    }
                }
            });
            T1Deframer rx(T1Framing::d4);
            feed_all(rx, line.bytes);
            INFO("bit 2 set in " << set_in);
            REQUIRE(rx.counters().rai_events == (set_in == 16 ? 1u : 0u));
        }
    }
    SECTION("D4: a counting payload, bit 2 = 0 everywhere for 40 frames in 256, is not yellow")
    {
        Line line = make_line(T1Framing::d4, 4000, 0, {}, [](std::size_t j, T1Framer&, uint8_t* ts) {
            for (std::size_t s = 0; s < t1_timeslots; ++s) {
                ts[s] = static_cast<uint8_t>(j + s);
            }
        });
        T1Deframer rx(T1Framing::d4);
        feed_all(rx, line.bytes);
        REQUIRE(rx.in_frame());
        REQUIRE(rx.counters().rai_events == 0);
    }
}

TEST_CASE("AIS: unframed all ones, not a framed all-ones signal", "[t1][ais]")
{
    for (T1Framing framing : {T1Framing::esf, T1Framing::d4}) {
        INFO("framing " << (framing == T1Framing::esf ? "esf" : "d4"));
        T1Deframer rx(framing);
        std::vector<uint8_t> ones(578, 0xff);
        feed_all(rx, ones);
        REQUIRE(rx.alarms() == alarm_lof);  // one octet short of the 3 ms window
        std::vector<uint8_t> one(1, 0xff);
        feed_all(rx, one);
        REQUIRE(rx.alarms() == (alarm_lof | alarm_ais));
        REQUIRE(rx.counters().ais_events == 1);
        std::vector<uint8_t> more(579 * 5, 0xff);
        feed_all(rx, more);
        REQUIRE(rx.counters().ais_events == 1);
        // AIS lifted: the framed signal clears it when alignment is found.
        Line line = make_line(framing, 300);
        feed_all(rx, line.bytes);
        REQUIRE(rx.in_frame());
        REQUIRE(rx.alarms() == 0);
        REQUIRE(rx.counters().ais_events == 1);
        REQUIRE(rx.counters().lof_events == 0);
    }
    SECTION("ESF with an all-ones payload and idle FDL is framed, not AIS")
    {
        Line line = make_line(T1Framing::esf, 3000, 0, {}, [](std::size_t, T1Framer&, uint8_t* ts) {
            std::fill(ts, ts + t1_timeslots, uint8_t{0xff});
        });
        T1Deframer rx(T1Framing::esf);
        feed_all(rx, line.bytes);
        REQUIRE(rx.in_frame());
        REQUIRE(rx.counters().ais_events == 0);
        REQUIRE(rx.counters().frames == 3000 - esf_align_frame);
    }
    SECTION("the framer's AIS is seen as AIS")
    {
        Line line = make_line(T1Framing::d4, 200, 0, {}, [](std::size_t, T1Framer& tx, uint8_t*) { tx.set_ais(true); });
        T1Deframer rx(T1Framing::d4);
        feed_all(rx, line.bytes);
        REQUIRE(rx.alarms() == (alarm_lof | alarm_ais));
        REQUIRE(rx.counters().frames == 0);
    }
}

TEST_CASE("LOS after 175 zeros, not 174; clears on 12.5% ones", "[t1][los]")
{
    auto stream_with_zeros = [](std::size_t zeros) {
        std::vector<uint8_t> buf(200, 0);
        BitWriter w(buf.data(), buf.size());
        for (int i = 0; i < 13; ++i) {
            w.put(0xff, 8);
        }
        w.put(0xf, 3);  // any alignment
        for (std::size_t z = zeros; z > 0;) {
            unsigned k = z > 32 ? 32u : static_cast<unsigned>(z);
            w.put(0, k);
            z -= k;
        }
        while (w.put(1, 1)) {
        }
        return buf;
    };
    SECTION("174 zeros")
    {
        T1Deframer rx(T1Framing::esf);
        feed_all(rx, stream_with_zeros(174), 1);
        REQUIRE(rx.counters().los_events == 0);
        REQUIRE((rx.alarms() & alarm_los) == 0);
    }
    SECTION("175 zeros, then pulses")
    {
        std::vector<uint8_t> buf = stream_with_zeros(175);
        // Stop inside the ones: LOS stands until 22 octets with >= 22 ones.
        std::size_t zero_end = (13 * 8 + 3 + 175) / 8;
        T1Deframer rx(T1Framing::esf);
        feed_all(rx, buf, 7, 0, zero_end + 1);
        REQUIRE(rx.counters().los_events == 1);
        REQUIRE((rx.alarms() & alarm_los) != 0);
        // The octet that completed the 175 zeros declares LOS; the window
        // starts with the next one holding a pulse.
        feed_all(rx, buf, 7, zero_end + 1, zero_end + 22);
        REQUIRE((rx.alarms() & alarm_los) != 0);
        feed_all(rx, buf, 7, zero_end + 22, zero_end + 23);
        REQUIRE((rx.alarms() & alarm_los) == 0);
        REQUIRE(rx.counters().los_events == 1);
    }
    SECTION("a framed line going silent: LOS and LOF once each")
    {
        Line line = make_line(T1Framing::esf, 200);
        T1Deframer rx(T1Framing::esf);
        feed_all(rx, line.bytes);
        REQUIRE(rx.alarms() == 0);
        std::vector<uint8_t> silence(1000, 0);
        feed_all(rx, silence);
        REQUIRE(rx.alarms() == (alarm_los | alarm_lof));
        REQUIRE(rx.counters().los_events == 1);
        REQUIRE(rx.counters().lof_events == 1);
        REQUIRE(rx.counters().ais_events == 0);
    }
}

TEST_CASE("Frames beyond max_frames are dropped and counted", "[t1]")
{
    Line line = make_line(T1Framing::esf, 200);
    T1Deframer rx(T1Framing::esf);
    std::vector<uint8_t> out(10 * t1_timeslots);
    std::size_t got = rx.feed(line.bytes.data(), line.bytes.size(), out.data(), 10);
    REQUIRE(got == 10);
    REQUIRE(rx.counters().frames == 10);
    REQUIRE(rx.frames_dropped() == 200 - esf_align_frame - 10);
    REQUIRE(payload_matches(out, esf_align_frame));
    REQUIRE(rx.feed(line.bytes.data(), 0, nullptr, 0) == 0);
}

TEST_CASE("A random bit stream never crashes", "[t1][random]")
{
    for (T1Framing framing : {T1Framing::esf, T1Framing::d4}) {
        std::mt19937 rng(20240611);
        std::vector<uint8_t> in(1 << 20);
        for (auto& b : in) {
            b = static_cast<uint8_t>(rng());
        }
        // Sprinkle runs of zeros and ones so LOS and AIS paths run too.
        for (int r = 0; r < 50; ++r) {
            std::size_t at = rng() % (in.size() - 4000);
            std::fill(in.begin() + static_cast<std::ptrdiff_t>(at),
                      in.begin() + static_cast<std::ptrdiff_t>(at + 100 + rng() % 3000), r % 2 ? 0xff : 0x00);
        }
        T1Deframer rx(framing);
        std::vector<uint8_t> out(64 * t1_timeslots);
        uint64_t total = 0;
        for (std::size_t off = 0; off < in.size();) {
            std::size_t len = std::min<std::size_t>(1 + rng() % 2000, in.size() - off);
            std::size_t room = rng() % 65;
            std::size_t got = rx.feed(in.data() + off, len, out.data(), room);
            REQUIRE(got <= room);
            total += got;
            off += len;
        }
        REQUIRE(total == rx.counters().frames);
        REQUIRE(rx.counters().los_events >= 1);
        REQUIRE(rx.counters().ais_events >= 1);
        REQUIRE(rx.counters().bits_discarded <= in.size() * 8);
    }
}

namespace {

// A bit-at-a-time T1 framer written from G.704 alone, one put() per bit and
// the CRC-6 by long division over the whole CMB: the reference the
// word-at-a-time T1Framer is held against.
struct ReferenceFramer {
    T1Framing framing;
    bool yellow = false;
    bool ais = false;
    std::size_t frame = 0;
    unsigned fdl = 0;
    uint8_t crc_sent = 0;
    std::vector<uint8_t> cmb = std::vector<uint8_t>(579, 0);
    std::size_t cmb_bits = 0;

    void cmb_bit(unsigned v)
    {
        cmb[cmb_bits >> 3] = static_cast<uint8_t>(cmb[cmb_bits >> 3] | (v << (7 - cmb_bits % 8)));
        ++cmb_bits;
    }

    void build(const uint8_t* ts, BitWriter& w)
    {
        unsigned f;
        if (framing == T1Framing::esf) {
            std::size_t n = frame + 1;  // G.704 frame number
            if (n % 4 == 0) {
                f = t1_esf_fps[n / 4 - 1];
            } else if (n % 4 == 2) {
                f = (crc_sent >> (5 - n / 4)) & 1u;
            } else {
                unsigned pattern = yellow ? 0xff00u : 0x7e7eu;
                f = (pattern >> (15 - fdl)) & 1u;
                fdl = (fdl + 1) % 16;
            }
            cmb_bit(1);
            for (std::size_t s = 0; s < t1_timeslots; ++s) {
                for (int b = 7; b >= 0; --b) {
                    cmb_bit((ts[s] >> b) & 1u);
                }
            }
            if (frame == 23) {
                crc_sent = crc6_reference(cmb.data(), cmb_bits);
                std::fill(cmb.begin(), cmb.end(), 0);
                cmb_bits = 0;
            }
        } else {
            f = t1_d4_f[frame];
        }
        REQUIRE(w.put(ais ? 1u : f, 1));
        for (std::size_t s = 0; s < t1_timeslots; ++s) {
            unsigned o = ts[s];
            if (framing == T1Framing::d4 && yellow) {
                o &= ~0x40u;
            }
            if (ais) {
                o = 0xff;
            }
            for (int b = 7; b >= 0; --b) {
                REQUIRE(w.put((o >> b) & 1u, 1));
            }
        }
        frame = (frame + 1) % (framing == T1Framing::esf ? 24 : 12);
    }
};

}  // namespace

TEST_CASE("CRC-6 folded form matches the table chain", "[t1][crc6]")
{
    std::mt19937 rng(66);
    for (int round = 0; round < 20000; ++round) {
        uint8_t oct[t1_timeslots];
        for (auto& b : oct) {
            b = static_cast<uint8_t>(rng());
        }
        if (round % 7 == 0) {
            std::fill(std::begin(oct), std::end(oct), round % 2 ? 0xff : 0x00);
        }
        uint8_t reg = static_cast<uint8_t>((rng() % 64) << 2);
        uint8_t chained = reg;
        for (uint8_t b : oct) {
            chained = crc6_octet(chained, b);
        }
        uint64_t w[3] = {};
        for (std::size_t i = 0; i < t1_timeslots; ++i) {
            w[i / 8] = (w[i / 8] << 8) | oct[i];
        }
        REQUIRE(crc6_append_words(reg, w[0], w[1], w[2]) == chained);
    }
}

TEST_CASE("BitWriter::put_bit_octets writes what put() writes", "[t1][bits]")
{
    std::mt19937 rng(193);
    for (unsigned off = 0; off < 8; ++off) {
        for (std::size_t n = 0; n <= 27; ++n) {
            // Garbage everywhere, the partial octet's unused bits included:
            // both ways OR into the partial octet and overwrite the rest.
            std::vector<uint8_t> a(3 + n + 4);
            for (auto& b : a) {
                b = static_cast<uint8_t>(rng());
            }
            std::vector<uint8_t> b = a;
            std::vector<uint8_t> oct(n + 1);
            for (auto& o : oct) {
                o = static_cast<uint8_t>(rng());
            }
            const uint8_t* src = oct.data() + 1;  // unaligned on purpose
            unsigned bit = rng() & 1u;
            std::size_t start = 16 + off;
            std::size_t need_bytes = (start + 1 + 8 * n + 7) / 8;
            BitWriter wa(a.data(), need_bytes, start);
            BitWriter wb(b.data(), need_bytes, start);
            REQUIRE(wa.put(bit, 1));
            for (std::size_t i = 0; i < n; ++i) {
                REQUIRE(wa.put_byte(src[i]));
            }
            REQUIRE(wb.put_bit_octets(bit, src, n));
            REQUIRE(wa.bits() == wb.bits());
            REQUIRE(a == b);
            // One bit short: nothing written.
            std::vector<uint8_t> c = b;
            std::size_t short_bits = start + 8 * n;
            BitWriter wc(c.data(), short_bits / 8, start);
            if (short_bits % 8 == 0) {
                REQUIRE_FALSE(wc.put_bit_octets(bit, src, n));
                REQUIRE(wc.bits() == start);
                REQUIRE(c == b);
            }
        }
    }
}

TEST_CASE("Framer output is bit-identical to a bit-by-bit reference framer", "[t1][framer]")
{
    for (T1Framing framing : {T1Framing::esf, T1Framing::d4}) {
        for (std::size_t lead = 0; lead < 8; ++lead) {
            std::mt19937 rng(static_cast<unsigned>(1000 + lead + (framing == T1Framing::esf ? 0 : 100)));
            constexpr std::size_t frames = 24 * 6;
            std::vector<uint8_t> pay(frames * t1_timeslots + 1);
            for (auto& b : pay) {
                b = static_cast<uint8_t>(rng());
            }
            std::vector<uint8_t> a((lead + 193 * frames + 7) / 8 + 32);
            for (auto& b : a) {
                b = static_cast<uint8_t>(rng());
            }
            std::vector<uint8_t> b = a;
            BitWriter wa(a.data(), a.size());
            BitWriter wb(b.data(), b.size());
            for (std::size_t i = 0; i < lead; ++i) {
                unsigned bit = rng() & 1u;
                REQUIRE(wa.put(bit, 1));
                REQUIRE(wb.put(bit, 1));
            }
            T1Framer fast(framing);
            ReferenceFramer ref{framing};
            bool yellow = false;
            bool ais = false;
            for (std::size_t j = 0; j < frames; ++j) {
                // Alarms come and go mid-superframe; each state lasts a few frames.
                if (rng() % 12 == 0) {
                    yellow = !yellow;
                }
                if (rng() % 20 == 0) {
                    ais = !ais;
                }
                fast.set_yellow(yellow);
                fast.set_ais(ais);
                ref.yellow = yellow;
                ref.ais = ais;
                const uint8_t* ts = pay.data() + 1 + j * t1_timeslots;  // unaligned on purpose
                REQUIRE(fast.build_frame(ts, wa));
                ref.build(ts, wb);
                REQUIRE(wa.bits() == wb.bits());
            }
            REQUIRE(wa.bits() == lead + 193 * frames);
            REQUIRE(a == b);
            // And the same stream stays identical after a writer is rebuilt
            // mid-octet (what LineCodec does between calls), through a
            // failed call on a full buffer.
            std::size_t bits = wa.bits();
            BitWriter full(a.data(), (bits + 192) / 8, bits);
            std::vector<uint8_t> before = a;
            REQUIRE_FALSE(fast.build_frame(pay.data(), full));
            REQUIRE(full.bits() == bits);
            REQUIRE(a == before);
        }
    }
}

TEST_CASE("Deframer recovers random payloads at every bit offset and chunking", "[t1][align]")
{
    for (T1Framing framing : {T1Framing::esf, T1Framing::d4}) {
        for (std::size_t lead = 0; lead < 8; ++lead) {
            std::mt19937 rng(static_cast<unsigned>(77 + lead));
            constexpr std::size_t frames = 24 * 10;
            std::vector<uint8_t> pay((frames + 1) * t1_timeslots);
            for (auto& b : pay) {
                b = static_cast<uint8_t>(rng());
            }
            std::vector<uint8_t> line((lead + 193 * (frames + 1) + 7) / 8);
            BitWriter w(line.data(), line.size());
            REQUIRE(w.put(0, static_cast<unsigned>(lead)));
            T1Framer tx(framing);
            for (std::size_t j = 0; j <= frames; ++j) {
                REQUIRE(tx.build_frame(pay.data() + j * t1_timeslots, w));
            }
            line.resize((lead + 193 * frames + 7) / 8);
            // Fed in odd chunks so frames start at every octet offset of a
            // chunk and the fast (whole frame) and slow (per octet) paths mix.
            T1Deframer rx(framing);
            std::vector<uint8_t> out;
            std::vector<uint8_t> tmp;
            for (std::size_t off = 0; off < line.size();) {
                std::size_t len = std::min<std::size_t>(1 + rng() % 97, line.size() - off);
                tmp.assign((len / 24 + 2) * t1_timeslots, 0);
                std::size_t got = rx.feed(line.data() + off, len, tmp.data(), len / 24 + 2);
                out.insert(out.end(), tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(got * t1_timeslots));
                off += len;
            }
            REQUIRE(rx.in_frame());
            REQUIRE(rx.counters().crc_errors == 0);
            REQUIRE(rx.counters().framing_errors == 0);
            REQUIRE(out.size() % t1_timeslots == 0);
            REQUIRE(out.size() > 0);
            // The frames received are the last ones sent, in order.
            std::size_t first = frames - out.size() / t1_timeslots;
            auto sent = pay.begin() + static_cast<std::ptrdiff_t>(first * t1_timeslots);
            REQUIRE(std::equal(out.begin(), out.end(), sent));
        }
    }
}
