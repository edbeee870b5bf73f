// MediaSession's idle/configure/release life cycle and SessionPool: a
// reused session behaves exactly like a freshly built one (nothing leaks
// from its previous use), bad configs are refused with an errno and leave
// it idle, and a pool of 1,000 sessions runs 100,000 acquire / configure /
// tick / release cycles without one allocation.
//
// Allocations are counted by replacing operator new and, outside
// sanitizer builds, by interposing malloc/calloc/realloc (which also sees
// C libraries such as SpanDSP).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <new>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/media/media_session.h"
#include "dataplane/media/session_pool.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TRUNKGW_COUNT_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define TRUNKGW_COUNT_MALLOC 0
#endif
#endif
#ifndef TRUNKGW_COUNT_MALLOC
#define TRUNKGW_COUNT_MALLOC 1
#endif

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// The replaced operator delete frees what the replaced operator new got
// from malloc; GCC cannot tell once they are inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

// Replaced allocation functions ([replacement.functions]): count, then
// allocate as usual.
void* operator new(std::size_t n)
{
    ++g_allocations;
    if (void* p = std::malloc(n == 0 ? 1 : n)) {
        return p;
    }
    throw std::bad_alloc();
}

void* operator new(std::size_t n, std::align_val_t a)
{
    ++g_allocations;
    std::size_t al = static_cast<std::size_t>(a);
    if (void* p = std::aligned_alloc(al, (n + al - 1) / al * al)) {
        return p;
    }
    throw std::bad_alloc();
}

void operator delete(void* p) noexcept
{
    std::free(p);
}

void operator delete(void* p, std::size_t) noexcept
{
    std::free(p);
}

void operator delete(void* p, std::align_val_t) noexcept
{
    std::free(p);
}

void operator delete(void* p, std::size_t, std::align_val_t) noexcept
{
    std::free(p);
}

#if TRUNKGW_COUNT_MALLOC
// glibc's own entry points; defining malloc here interposes it for the
// whole process, shared libraries included.
extern "C" {
void* __libc_malloc(std::size_t n);
void* __libc_calloc(std::size_t n, std::size_t size);
void* __libc_realloc(void* p, std::size_t n);

void* malloc(std::size_t n) noexcept
{
    ++g_allocations;
    return __libc_malloc(n);
}

void* calloc(std::size_t n, std::size_t size) noexcept
{
    ++g_allocations;
    return __libc_calloc(n, size);
}

void* realloc(void* p, std::size_t n) noexcept
{
    ++g_allocations;
    return __libc_realloc(p, n);
}
}
#endif

using namespace trunkgw::media;

// The whole file in its own namespace: the test binary is built as one unit
// (meson unity, tests/meson.build) and each file has its own helpers.
namespace session_pool_test {

constexpr uint64_t ms = 1000000;

const Endpoint a_addr{0x0A000001, 20000};
const Endpoint b_addr{0x0A000002, 30000};
const Endpoint c_addr{0x0A000003, 40000};  // where use 1's far end really sends from
const Endpoint d_addr{0x0A000004, 50000};
const Endpoint e_addr{0x0A000005, 60000};  // where use 2's far end really sends from

Endpoint plus1(Endpoint e)
{
    return {e.ipv4, static_cast<uint16_t>(e.port + 1)};
}

MediaSessionConfig config1()
{
    MediaSessionConfig c;
    c.payload_type = payload_type_pcma;
    c.channel_law = Law::alaw;
    c.ptime_ms = 20;
    c.ssrc = 0x11111111;
    c.first_sequence = 100;
    c.first_timestamp = 1000;
    c.jitter_mode = JitterMode::adaptive;
    c.jitter_delay_ms = 40;
    c.jitter_max_delay_ms = 500;
    c.rtp_timeout_ms = 100;
    c.rtcp_interval_ms = 500;
    c.local_rtp = a_addr;
    c.remote_rtp = b_addr;
    c.cname = "use-one@trunkgw";
    c.ntp_clock = NtpClock{0, 0x1234567800000000ull};
    return c;
}

MediaSessionConfig config2()
{
    MediaSessionConfig c;
    c.payload_type = payload_type_pcmu;
    c.channel_law = Law::ulaw;
    c.ptime_ms = 30;
    c.ssrc = 0x22222222;
    c.first_sequence = 5000;
    c.first_timestamp = 77777;
    c.jitter_mode = JitterMode::fixed;
    c.jitter_delay_ms = 60;
    c.jitter_max_delay_ms = 200;
    c.rtp_timeout_ms = 100;
    c.rtcp_interval_ms = 1000;
    c.local_rtp = {0x0A000001, 22000};
    c.remote_rtp = d_addr;
    c.cname = "two";
    c.ntp_clock = NtpClock{0, 0x2234567800000000ull};
    return c;
}

struct Sent {
    PacketKind kind;
    std::vector<uint8_t> data;
    Endpoint src;
    Endpoint dst;

    bool operator==(const Sent&) const = default;
};

void record(void* user, const TxPacket& p)
{
    static_cast<std::vector<Sent>*>(user)->push_back(
        {p.kind, std::vector<uint8_t>(p.data, p.data + p.len), p.src, p.dst});
}

// A far end sending G.711 (a ramp of codes) every 20 ms from `src`, losing
// every 7th packet, with an RR from src + 1 every 500 ms; and our channel
// sending a ramp the other way. Records what the session sends and plays.
struct Drive {
    Drive(Endpoint src_, uint8_t pt_, uint64_t start_ns_) : src(src_), pt(pt_), start_ns(start_ns_) {}

    Endpoint src;
    uint8_t pt;
    uint64_t start_ns;
    uint64_t tick = 0;
    std::vector<Sent> sent;
    std::vector<uint8_t> played;
    uint32_t events = 0;

    void run(MediaSession& s, uint64_t ticks, bool far_end_sends = true)
    {
        for (uint64_t end = tick + ticks; tick < end; ++tick) {
            uint64_t now = start_ns + tick * ms;
            if (far_end_sends && tick % 20 == 0 && (tick / 20) % 7 != 3) {
                uint8_t pkt[12 + 160];
                RtpHeaderFields h;
                h.payload_type = pt;
                h.sequence = static_cast<uint16_t>(900 + tick / 20);
                h.timestamp = static_cast<uint32_t>(4000 + tick * 8);
                h.ssrc = 0xABCDEF01;
                rtp_build_header(h, pkt, sizeof(pkt));
                for (int i = 0; i < 160; ++i) {
                    pkt[12 + i] = static_cast<uint8_t>(tick + static_cast<uint64_t>(i));
                }
                s.receive_rtp(pkt, sizeof(pkt), src, now);
            }
            if (far_end_sends && tick % 500 == 250) {
                uint8_t rr[8];
                int n = rtcp_build_rr(0xABCDEF01, nullptr, 0, rr, sizeof(rr));
                s.receive_rtcp(rr, static_cast<std::size_t>(n), plus1(src), now);
            }
            uint8_t in[8];
            uint8_t out[8];
            for (int i = 0; i < 8; ++i) {
                in[i] = static_cast<uint8_t>(tick * 8 + static_cast<uint64_t>(i));
            }
            events |= s.tick(in, out, now, {&record, &sent});
            played.insert(played.end(), out, out + 8);
        }
    }
};

template <typename T>
bool same_bytes(const T& a, const T& b)
{
    return std::memcmp(&a, &b, sizeof(T)) == 0;
}

void require_all_zero(const MediaSession& s)
{
    MediaSessionStats st = s.stats();
    REQUIRE(same_bytes(st.session, MediaSessionCounters{}));
    REQUIRE(same_bytes(st.jitter_buffer, JitterBufferCounters{}));
    REQUIRE(same_bytes(st.packetizer, PacketizerCounters{}));
    REQUIRE(st.lost == 0);
    REQUIRE(st.expected == 0);
    REQUIRE(st.jitter_ts == 0);
    REQUIRE(st.rtt_us == -1);
    REQUIRE_FALSE(st.far_end_report);
    REQUIRE_FALSE(st.rtp_timed_out);
    REQUIRE_FALSE(s.jitter_buffer().playing());
    REQUIRE_FALSE(s.jitter_buffer().stats().has_source());
}

TEST_CASE("session: an idle session does nothing", "[session_pool]")
{
    MediaSession s(MediaSessionLimits{});
    REQUIRE_FALSE(s.configured());
    std::vector<Sent> sent;
    uint8_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t out[8] = {0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42};
    for (uint64_t t = 0; t < 6000; ++t) {
        REQUIRE(s.tick(in, out, t * ms, {&record, &sent}) == 0);
    }
    REQUIRE(std::all_of(out, out + 8, [](uint8_t x) { return x == 0x42; }));
    uint8_t pkt[12 + 160] = {0x80, payload_type_pcma};
    REQUIRE(s.receive_rtp(pkt, sizeof(pkt), b_addr, 0) == RxVerdict::idle);
    uint8_t rr[8];
    int n = rtcp_build_rr(7, nullptr, 0, rr, sizeof(rr));
    REQUIRE(s.receive_rtcp(rr, static_cast<std::size_t>(n), b_addr, 0) == RtcpParseError::idle);
    s.send_bye(0, {&record, &sent});
    REQUIRE(sent.empty());
    require_all_zero(s);
    REQUIRE(std::string(rx_verdict_name(RxVerdict::idle)) == "idle");
    REQUIRE(std::string(rtcp_parse_error_name(RtcpParseError::idle)) == "idle");
}

TEST_CASE("session: configure, release, configure: the second use is a fresh session", "[session_pool]")
{
    MediaSession reused(MediaSessionLimits{2000, 255});

    // Use 1: latched to c_addr, RTCP heard, losses concealed, timed out, BYE.
    REQUIRE(reused.configure(config1(), 0) == 0);
    REQUIRE(reused.configured());
    Drive one{c_addr, payload_type_pcma, 0};
    one.run(reused, 3000);
    one.run(reused, 300, false);
    reused.send_bye(3300 * ms, {&record, &one.sent});
    MediaSessionStats s1 = reused.stats();
    REQUIRE(s1.session.rtp_latches == 1);
    REQUIRE(s1.session.rtcp_latches == 0);  // the RTP latch had moved RTCP to c_addr + 1 already
    REQUIRE(reused.remote_rtcp() == plus1(c_addr));
    REQUIRE(s1.session.rtp_timeouts == 1);
    REQUIRE(s1.session.rtcp_packets_in > 0);
    REQUIRE(s1.session.rtcp_packets_out > 0);
    REQUIRE(s1.jitter_buffer.packets > 0);
    REQUIRE(s1.jitter_buffer.concealed_ticks > 0);
    REQUIRE(s1.session.rtp_packets_out > 0);
    REQUIRE(s1.rtp_timed_out);
    REQUIRE(reused.remote_rtp() == c_addr);

    reused.release();
    REQUIRE_FALSE(reused.configured());
    REQUIRE(reused.counters().rtp_latches == 1);  // readable until the next configure

    // Use 2, another codec, ptime, jitter mode and addresses.
    const uint64_t t0 = 10000 * ms;
    REQUIRE(reused.configure(config2(), t0) == 0);
    require_all_zero(reused);
    REQUIRE(reused.remote_rtp() == d_addr);
    REQUIRE(reused.remote_rtcp() == plus1(d_addr));
    REQUIRE(reused.local_rtp() == config2().local_rtp);
    REQUIRE(reused.packetizer().ssrc() == 0x22222222);
    REQUIRE(reused.packetizer().next_sequence() == 5000);
    REQUIRE(reused.packetizer().next_timestamp() == 77777);
    REQUIRE(reused.packetizer().payload_type() == payload_type_pcmu);

    // The same config on a session built for it: everything it does from
    // here on must be identical, byte for byte.
    MediaSession fresh(config2());
    REQUIRE(reused.jitter_buffer().capacity_samples() == fresh.jitter_buffer().capacity_samples());
    Drive d_reused{e_addr, payload_type_pcmu, t0};
    Drive d_fresh{e_addr, payload_type_pcmu, t0};

    // The first RTP from e_addr latches RTP and, no RTCP having been heard
    // in this use, RTCP too.
    d_reused.run(reused, 100);
    d_fresh.run(fresh, 100);
    REQUIRE(reused.remote_rtp() == e_addr);
    REQUIRE(reused.remote_rtcp() == plus1(e_addr));
    REQUIRE(reused.counters().rtp_latches == 1);

    d_reused.run(reused, 2900);
    d_fresh.run(fresh, 2900);
    d_reused.run(reused, 300, false);  // and both time out
    d_fresh.run(fresh, 300, false);

    REQUIRE(d_reused.sent.size() == d_fresh.sent.size());
    REQUIRE(d_reused.sent == d_fresh.sent);
    REQUIRE(d_reused.played == d_fresh.played);
    REQUIRE(d_reused.events == d_fresh.events);
    REQUIRE((d_reused.events & session_event_rtp_timeout) != 0);
    MediaSessionStats sr = reused.stats();
    MediaSessionStats sf = fresh.stats();
    REQUIRE(same_bytes(sr.session, sf.session));
    REQUIRE(same_bytes(sr.jitter_buffer, sf.jitter_buffer));
    REQUIRE(same_bytes(sr.packetizer, sf.packetizer));
    REQUIRE(sr.lost == sf.lost);
    REQUIRE(sr.jitter_ts == sf.jitter_ts);
    REQUIRE(sr.session.rtp_timeouts == 1);

    // The first packet carries use 2's SSRC, sequence, timestamp and PT,
    // with the marker, from use 2's address.
    const Sent* first = nullptr;
    for (const Sent& s : d_reused.sent) {
        if (s.kind == PacketKind::rtp) {
            first = &s;
            break;
        }
    }
    REQUIRE(first != nullptr);
    RtpPacketView v = rtp_parse(first->data.data(), first->data.size());
    REQUIRE(v.error == RtpParseError::ok);
    REQUIRE(v.header.ssrc == 0x22222222);
    REQUIRE(v.header.sequence == 5000);
    REQUIRE(v.header.timestamp == 77777);
    REQUIRE(v.header.payload_type == payload_type_pcmu);
    REQUIRE(v.header.marker);
    REQUIRE(v.payload_len == 240);
    REQUIRE(first->src == config2().local_rtp);
    REQUIRE(first->dst == e_addr);  // latched by the far end's first packet (tick 0)
}

TEST_CASE("session: the RTP timeout and RTCP count from configure()", "[session_pool]")
{
    MediaSession s(MediaSessionLimits{});
    MediaSessionConfig c = config2();
    c.rtcp_interval_ms = 0;
    REQUIRE(s.configure(c, 1000 * ms) == 0);
    std::vector<Sent> sent;
    uint8_t in[8] = {};
    uint8_t out[8];
    REQUIRE(s.tick(in, out, 1099 * ms, {&record, &sent}) == 0);
    REQUIRE(s.tick(in, out, 1100 * ms, {&record, &sent}) == session_event_rtp_timeout);
}

TEST_CASE("session: configure() refuses bad configs with an errno and stays idle", "[session_pool]")
{
    MediaSession s(MediaSessionLimits{200, 16});
    auto refused = [&](const MediaSessionConfig& c) {
        int r = s.configure(c, 0);
        REQUIRE_FALSE(s.configured());
        std::vector<Sent> sent;
        uint8_t in[8] = {};
        uint8_t out[8] = {0x42};
        REQUIRE(s.tick(in, out, 0, {&record, &sent}) == 0);
        REQUIRE(out[0] == 0x42);
        REQUIRE(sent.empty());
        return r;
    };
    MediaSessionConfig c = config2();
    c.payload_type = 9;
    REQUIRE(refused(c) == -EINVAL);
    c = config2();
    c.ptime_ms = 25;
    REQUIRE(refused(c) == -EINVAL);
    c = config2();
    c.local_rtp.port = 0;
    REQUIRE(refused(c) == -EINVAL);
    c.local_rtp.port = 65535;
    REQUIRE(refused(c) == -EINVAL);
    c = config2();
    c.cname = "";
    REQUIRE(refused(c) == -EINVAL);
    c.cname = nullptr;
    REQUIRE(refused(c) == -EINVAL);
    c.cname = "seventeen-octets!";  // over this session's limit of 16
    REQUIRE(refused(c) == -ERANGE);
    std::string too_long(256, 'x');
    c.cname = too_long.c_str();
    REQUIRE(refused(c) == -ERANGE);
    c = config2();
    c.jitter_max_delay_ms = 201;  // over this session's ring
    REQUIRE(refused(c) == -ERANGE);
    c.jitter_max_delay_ms = 2001;
    REQUIRE(refused(c) == -ERANGE);
    c.jitter_max_delay_ms = 300000000;
    REQUIRE(refused(c) == -ERANGE);
    c = config2();
    c.jitter_delay_ms = 150;
    c.jitter_max_delay_ms = 100;
    REQUIRE(refused(c) == -EINVAL);
    require_all_zero(s);

    // A good one after all that; configuring it again is refused.
    c = config2();
    c.cname = "sixteen-octets!!";
    REQUIRE(s.configure(c, 0) == 0);
    MediaSessionConfig other = config1();
    other.jitter_max_delay_ms = 200;
    REQUIRE(s.configure(other, 0) == -EBUSY);
    REQUIRE(s.configured());
    REQUIRE(s.packetizer().ssrc() == config2().ssrc);
}

TEST_CASE("session: limits and configs refused at construction", "[session_pool]")
{
    REQUIRE_THROWS_AS(MediaSession(MediaSessionLimits{2001, 255}), std::invalid_argument);
    REQUIRE_THROWS_AS(MediaSession(MediaSessionLimits{200, 0}), std::invalid_argument);
    REQUIRE_THROWS_AS(MediaSession(MediaSessionLimits{200, 256}), std::invalid_argument);
    MediaSessionConfig c = config2();
    c.jitter_max_delay_ms = 300000000;  // refused before the ring is sized
    REQUIRE_THROWS_AS(MediaSession(c), std::invalid_argument);
    REQUIRE_THROWS_AS(
        RtpJitterBuffer(JitterBufferConfig{payload_type_pcma, Law::alaw, JitterMode::fixed, 40, 300000000}),
        std::invalid_argument);
    REQUIRE_THROWS_AS(SessionPool(0, MediaSessionLimits{}), std::invalid_argument);
}

TEST_CASE("session pool: acquire, release, exhaustion", "[session_pool]")
{
    SessionPool pool(3, MediaSessionLimits{});
    REQUIRE(pool.capacity() == 3);
    REQUIRE(pool.in_use() == 0);
    REQUIRE(pool.acquire() == 0);
    REQUIRE(pool.acquire() == 1);
    REQUIRE(pool.acquire() == 2);
    REQUIRE(pool.acquire() == -ENOSPC);
    REQUIRE(pool.in_use() == 3);
    REQUIRE(pool.acquired(1));

    REQUIRE(pool.at(1).configure(config2(), 0) == 0);
    REQUIRE(pool.release(1) == 0);
    REQUIRE_FALSE(pool.at(1).configured());
    REQUIRE_FALSE(pool.acquired(1));
    REQUIRE(pool.in_use() == 2);
    REQUIRE(pool.release(1) == -EINVAL);  // twice
    REQUIRE(pool.release(-1) == -EINVAL);
    REQUIRE(pool.release(3) == -EINVAL);
    REQUIRE(pool.in_use() == 2);

    REQUIRE(pool.acquire() == 1);  // the last released comes back first
    REQUIRE(pool.release(0) == 0);
    REQUIRE(pool.release(2) == 0);
    REQUIRE(pool.acquire() == 2);
    REQUIRE(pool.acquire() == 0);
    REQUIRE(pool.acquire() == -ENOSPC);
}

TEST_CASE("session pool: 100,000 cycles on 1,000 sessions allocate nothing", "[session_pool]")
{
    constexpr std::size_t sessions = 1000;
    constexpr int cycles = 100000;
    constexpr std::size_t held_max = 600;  // sessions kept busy while others cycle
    SessionPool pool(sessions, MediaSessionLimits{500, 64});

    // Everything the loop uses exists before counting starts.
    struct Counting {
        uint64_t packets = 0;
        uint64_t octets = 0;
        static void fn(void* user, const TxPacket& p)
        {
            auto* c = static_cast<Counting*>(user);
            ++c->packets;
            c->octets += p.len;
        }
    } sink_counts;
    PacketSink sink{&Counting::fn, &sink_counts};
    std::vector<int32_t> held(held_max, -1);
    uint8_t rtp[12 + 160];
    uint8_t rr[8];
    int rr_len = rtcp_build_rr(0xABCDEF01, nullptr, 0, rr, sizeof(rr));
    REQUIRE(rr_len == 8);
    MediaSessionConfig c = config2();
    c.ptime_ms = 20;
    c.rtcp_interval_ms = 10;  // a report within each cycle's ticks
    c.rtp_timeout_ms = 15;
    c.jitter_max_delay_ms = 500;
    uint64_t failures = 0;
    uint64_t accepted = 0;
    uint64_t events = 0;
    uint64_t peak_in_use = 0;

    uint64_t before = g_allocations.load();
    for (int i = 0; i < cycles; ++i) {
        int32_t idx = pool.acquire();
        if (idx < 0) {
            ++failures;
            break;
        }
        MediaSession& s = pool.at(idx);
        c.ssrc = static_cast<uint32_t>(i) * 2654435761u;
        c.first_sequence = static_cast<uint16_t>(i * 7);
        c.first_timestamp = static_cast<uint32_t>(i) * 100003u;
        c.local_rtp = {0x0A000001, static_cast<uint16_t>(10000 + 2 * idx)};
        c.jitter_mode = i % 2 == 0 ? JitterMode::fixed : JitterMode::adaptive;
        c.jitter_max_delay_ms = i % 3 == 0 ? 500 : 100;
        uint64_t now = static_cast<uint64_t>(i) * 25 * ms;
        if (s.configure(c, now) != 0) {
            ++failures;
        }
        RtpHeaderFields h;
        h.payload_type = payload_type_pcmu;
        h.ssrc = 0xABCDEF01;
        for (uint64_t t = 0; t < 22; ++t) {
            if (t % 10 == 0) {
                h.sequence = static_cast<uint16_t>(t / 10);
                h.timestamp = static_cast<uint32_t>(t * 8);
                rtp_build_header(h, rtp, sizeof(rtp));
                std::memset(rtp + 12, static_cast<int>(t), 80);
                if (s.receive_rtp(rtp, 12 + 80, e_addr, now + t * ms) == RxVerdict::accepted) {
                    ++accepted;
                }
            }
            if (t == 5) {
                s.receive_rtcp(rr, static_cast<std::size_t>(rr_len), plus1(e_addr), now + t * ms);
            }
            uint8_t in[8] = {static_cast<uint8_t>(t)};
            uint8_t out[8];
            events |= s.tick(t == 7 ? nullptr : in, out, now + t * ms, sink);
        }
        s.send_bye(now + 22 * ms, sink);
        // Keep some sessions for a while, so the free list is not only LIFO.
        int32_t& slot = held[static_cast<std::size_t>(i) % held_max];
        if (i % 3 == 0) {
            if (slot >= 0 && pool.release(slot) != 0) {
                ++failures;
            }
            slot = idx;
        } else if (pool.release(idx) != 0) {
            ++failures;
        }
        peak_in_use = std::max<uint64_t>(peak_in_use, pool.in_use());
    }
    uint64_t after = g_allocations.load();

    REQUIRE(failures == 0);
    REQUIRE(after - before == 0);
    // The loop did real work.
    REQUIRE(accepted == static_cast<uint64_t>(cycles) * 3);
    REQUIRE(sink_counts.packets >= static_cast<uint64_t>(cycles) * 3);  // RTP + RTCP + BYE
    REQUIRE((events & session_event_rtp_latched) != 0);
    REQUIRE(peak_in_use > 1);
    REQUIRE(peak_in_use <= held_max + 1);
    // The counter does see allocations.
    static std::vector<int>* volatile probe = nullptr;
    probe = new std::vector<int>(4);
    REQUIRE(g_allocations.load() > after);
    delete probe;
#if TRUNKGW_COUNT_MALLOC
    static void* volatile raw = nullptr;
    uint64_t m = g_allocations.load();
    raw = std::malloc(16);
    REQUIRE(g_allocations.load() > m);
    std::free(raw);
#endif
}

TEST_CASE("session pool: acquire_at refuses out of range and busy indexes and changes nothing", "[session_pool]")
{
    SessionPool pool(4, MediaSessionLimits{});
    for (int32_t bad : {-1, 4, 5, -2147483647 - 1, 2147483647}) {
        INFO("index " << bad);
        REQUIRE(pool.acquire_at(bad) == -EINVAL);
        REQUIRE(pool.in_use() == 0);
    }
    REQUIRE(pool.acquire_at(2) == 0);
    REQUIRE(pool.acquired(2));
    REQUIRE(pool.in_use() == 1);
    REQUIRE(pool.acquire_at(2) == -EBUSY);  // twice
    REQUIRE(pool.in_use() == 1);
    REQUIRE(pool.acquire_at(4) == -EINVAL);  // range checked before use
    REQUIRE(pool.in_use() == 1);

    // acquire() hands out the others, each once, never 2, then runs out.
    std::set<int32_t> handed;
    for (int k = 0; k < 3; ++k) {
        int32_t got = pool.acquire();
        REQUIRE(got >= 0);
        REQUIRE(got != 2);
        REQUIRE(handed.insert(got).second);
    }
    REQUIRE(handed == std::set<int32_t>{0, 1, 3});
    REQUIRE(pool.acquire() == -ENOSPC);
    REQUIRE(pool.in_use() == 4);
    // An index acquire() handed out is busy for acquire_at() too.
    for (int32_t i = 0; i < 4; ++i) {
        REQUIRE(pool.acquire_at(i) == -EBUSY);
    }
    REQUIRE(pool.in_use() == 4);
}

TEST_CASE("session pool: release, then acquire_at the same index again", "[session_pool]")
{
    SessionPool pool(3, MediaSessionLimits{});
    REQUIRE(pool.acquire_at(1) == 0);
    REQUIRE(pool.at(1).configure(config2(), 0) == 0);
    pool.at(1).set_sending(false);
    REQUIRE(pool.release(1) == 0);
    REQUIRE_FALSE(pool.acquired(1));
    REQUIRE(pool.in_use() == 0);
    REQUIRE(pool.release(1) == -EINVAL);

    REQUIRE(pool.acquire_at(1) == 0);
    REQUIRE(pool.acquired(1));
    REQUIRE(pool.in_use() == 1);
    REQUIRE_FALSE(pool.at(1).configured());  // handed out idle
    MediaSessionConfig c1 = config1();
    c1.jitter_max_delay_ms = 200;  // within this pool's limits
    REQUIRE(pool.at(1).configure(c1, 0) == 0);
    REQUIRE(pool.at(1).sending());  // a fresh configure() sends again
    REQUIRE(pool.at(1).packetizer().ssrc() == config1().ssrc);
    REQUIRE(pool.acquire_at(1) == -EBUSY);

    // A mix: the last released comes back first from acquire(), and an
    // index acquire_at() took from the middle of the free list is skipped.
    REQUIRE(pool.release(1) == 0);  // free: 2, 0, 1 (1 on top)
    REQUIRE(pool.acquire_at(0) == 0);
    REQUIRE(pool.acquire() == 1);
    REQUIRE(pool.acquire() == 2);
    REQUIRE(pool.acquire() == -ENOSPC);

    // Every index by acquire_at() alone, in an order that is neither the
    // stack's nor its reverse; then acquire() has nothing left.
    REQUIRE(pool.release(0) == 0);
    REQUIRE(pool.release(1) == 0);
    REQUIRE(pool.release(2) == 0);
    REQUIRE(pool.acquire_at(1) == 0);
    REQUIRE(pool.acquire_at(2) == 0);
    REQUIRE(pool.acquire_at(0) == 0);
    REQUIRE(pool.in_use() == 3);
    REQUIRE(pool.acquire() == -ENOSPC);
}

TEST_CASE("session pool: 100,000 random acquire / acquire_at / release against a set", "[session_pool]")
{
    // Small pools are full and empty often; the larger one keeps a deep,
    // well-shuffled free list.
    for (std::size_t capacity : {std::size_t{1}, std::size_t{7}, std::size_t{64}, std::size_t{1000}}) {
        SessionPool pool(capacity, MediaSessionLimits{20, 8});
        std::set<int32_t> model;
        std::mt19937 rng(static_cast<uint32_t>(capacity) * 7919u + 1u);
        const auto n = static_cast<int32_t>(capacity);
        std::string first_error;
        auto fail = [&](int op, const std::string& what) {
            if (first_error.empty()) {
                first_error = "op " + std::to_string(op) + ": " + what;
            }
        };
        uint64_t by_acquire = 0;
        uint64_t by_acquire_at = 0;
        uint64_t released = 0;
        uint64_t busy = 0;
        uint64_t einval = 0;
        uint64_t full = 0;
        uint64_t times_full = 0;
        uint64_t times_empty = 0;
        for (int op = 0; op < 100000 && first_error.empty(); ++op) {
            // Phases lean towards filling or draining (long enough to get
            // from empty to full and back).
            const bool filling = (op / (capacity >= 1000 ? 10000 : 2000)) % 2 == 0;
            const uint32_t dice = rng() % 100;
            const uint32_t acquire_share = filling ? 45 : 20;
            const uint32_t acquire_at_share = filling ? 35 : 15;
            if (dice < acquire_share) {
                int32_t got = pool.acquire();
                if (model.size() == capacity) {
                    if (got != -ENOSPC) {
                        fail(op, "acquire() on a full pool gave " + std::to_string(got));
                    }
                    ++full;
                } else if (got < 0 || got >= n) {
                    fail(op, "acquire() gave " + std::to_string(got));
                } else if (!model.insert(got).second) {
                    fail(op, "acquire() handed out " + std::to_string(got) + ", which is in use");
                } else {
                    ++by_acquire;
                }
            } else if (dice < acquire_share + acquire_at_share) {
                // Mostly in range, one in eight just outside it.
                int32_t want = rng() % 8 == 0 ? (rng() % 2 == 0 ? -1 - static_cast<int32_t>(rng() % 2)
                                                                : n + static_cast<int32_t>(rng() % 2))
                                              : static_cast<int32_t>(rng() % capacity);
                int got = pool.acquire_at(want);
                int expect = want < 0 || want >= n ? -EINVAL : model.count(want) != 0 ? -EBUSY : 0;
                if (got != expect) {
                    fail(op, "acquire_at(" + std::to_string(want) + ") gave " + std::to_string(got) + ", expected " +
                                 std::to_string(expect));
                } else if (got == 0) {
                    model.insert(want);
                    ++by_acquire_at;
                } else {
                    (got == -EBUSY ? busy : einval) += 1;
                }
            } else {
                // Mostly an index in use, sometimes any index.
                int32_t idx;
                if (!model.empty() && rng() % 4 != 0) {
                    auto it = model.begin();
                    std::advance(it, static_cast<long>(rng() % model.size()));
                    idx = *it;
                } else {
                    idx = static_cast<int32_t>(rng() % (capacity + 4)) - 2;
                }
                int got = pool.release(idx);
                int expect = model.count(idx) != 0 ? 0 : -EINVAL;
                if (got != expect) {
                    fail(op, "release(" + std::to_string(idx) + ") gave " + std::to_string(got));
                } else if (got == 0) {
                    model.erase(idx);
                    ++released;
                }
            }
            if (pool.in_use() != model.size()) {
                fail(op, "in_use() " + std::to_string(pool.in_use()) + ", the set holds " +
                             std::to_string(model.size()));
            }
            times_full += model.size() == capacity ? 1 : 0;
            times_empty += model.empty() ? 1 : 0;
            // The whole picture now and then (every operation for small pools).
            if (capacity <= 64 || op % 997 == 0) {
                for (int32_t i = -1; i <= n; ++i) {
                    if (pool.acquired(i) != (model.count(i) != 0)) {
                        fail(op, "acquired(" + std::to_string(i) + ") disagrees with the set");
                    }
                }
            }
        }
        INFO("capacity " << capacity << ": " << first_error);
        REQUIRE(first_error.empty());
        REQUIRE(pool.in_use() == model.size());

        // Drain: acquire() hands out exactly the indexes not in use, once each.
        std::set<int32_t> rest;
        for (int32_t got = pool.acquire(); got != -ENOSPC; got = pool.acquire()) {
            REQUIRE(got >= 0);
            REQUIRE(got < n);
            REQUIRE(model.count(got) == 0);
            REQUIRE(rest.insert(got).second);
        }
        REQUIRE(rest.size() + model.size() == capacity);
        REQUIRE(pool.in_use() == capacity);

        // The run did what it claims: every path taken, full and empty seen.
        INFO("acquire " << by_acquire << ", acquire_at " << by_acquire_at << ", released " << released << ", busy "
                        << busy << ", einval " << einval << ", full " << full);
        REQUIRE(by_acquire > 1000);
        REQUIRE(by_acquire_at > 1000);
        REQUIRE(released > 1000);
        REQUIRE(busy > 100);
        REQUIRE(einval > 100);
        REQUIRE(full > 0);
        REQUIRE(times_full > 0);
        REQUIRE(times_empty > 0);
    }
}

TEST_CASE("session pool: acquire_at and release allocate nothing", "[session_pool]")
{
    SessionPool pool(256, MediaSessionLimits{});
    uint64_t failures = 0;
    uint64_t before = g_allocations.load();
    for (uint32_t i = 0; i < 100000; ++i) {
        auto idx = static_cast<int32_t>((i * 2654435761u) % 256u);
        if (pool.acquire_at(idx) != 0) {
            ++failures;
        }
        int32_t other = pool.acquire();
        if (other < 0 || other == idx) {
            ++failures;
        }
        if (pool.release(idx) != 0 || pool.release(other) != 0) {
            ++failures;
        }
    }
    uint64_t after = g_allocations.load();
    REQUIRE(failures == 0);
    REQUIRE(after - before == 0);
    REQUIRE(pool.in_use() == 0);
}

}  // namespace session_pool_test
