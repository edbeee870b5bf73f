// SRTP in MediaSession (RFC 3711 through libsrtp 2): what a session sends is
// what a far end holding its key opens to the very RTP and RTCP a session
// without SRTP sends; what it takes must carry the far end's tag, once.
// The far end here is libsrtp driven directly by the test, with the keys
// the other way round. In this process libsrtp's AES-CM and HMAC-SHA1 are
// ours (srtp_openssl.h), so a fault in them could pass both ends alike: the
// known answers at the end come from another libsrtp (Debian's, on NSS).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <srtp2/srtp.h>

#include "dataplane/media/media_session.h"
#include "dataplane/media/srtp_policy.h"
#include "tdm/g711/g711.h"

using namespace trunkgw::media;
namespace g711 = trunkgw::tdm::g711;

// The whole file in its own namespace: the test binary is built as one unit
// (meson unity, tests/meson.build) and each file has its own helpers.
namespace srtp_session_test {

constexpr uint64_t ms = 1000000;
const Endpoint our_addr{0x0A000001, 20000};
const Endpoint far_addr{0x0A000002, 30000};

SrtpMasterKey key_of(uint8_t seed)
{
    SrtpMasterKey k{};
    for (std::size_t i = 0; i < k.size(); ++i) {
        k[i] = static_cast<uint8_t>(seed * 31 + i * 7);
    }
    return k;
}
const SrtpMasterKey our_key = key_of(1);
const SrtpMasterKey far_key = key_of(2);

MediaSessionConfig config(bool srtp)
{
    MediaSessionConfig c;
    c.payload_type = payload_type_pcma;
    c.channel_law = Law::alaw;
    c.ssrc = 0x5EC0001;
    c.first_sequence = 65500;  // the rollover counter moves during the tests (RFC 3711 3.3.1)
    c.first_timestamp = 1234;
    c.local_rtp = our_addr;
    c.remote_rtp = far_addr;
    c.rtcp_interval_ms = 500;
    c.srtp = srtp;
    return c;
}

struct Sent {
    PacketKind kind;
    std::vector<uint8_t> data;
};

void collect(void* user, const TxPacket& p)
{
    static_cast<std::vector<Sent>*>(user)->push_back({p.kind, {p.data, p.data + p.len}});
}

// `ticks` ms of a 1004 Hz tone into `s`; what it sends.
std::vector<Sent> run(MediaSession& s, uint64_t from_ms, uint64_t ticks)
{
    std::vector<Sent> sent;
    for (uint64_t t = from_ms; t < from_ms + ticks; ++t) {
        uint8_t in[8];
        for (uint64_t i = 0; i < 8; ++i) {
            in[i] = g711::linear_to_alaw(static_cast<int16_t>(12000 * std::sin(2 * M_PI * 1004.0 * double(t * 8 + i) / 8000)));
        }
        uint8_t out[8];
        s.tick(in, out, t * ms, {collect, &sent});
    }
    return sent;
}

// The far end: libsrtp with the keys the other way round.
struct FarEnd {
    srtp_t rx = nullptr;  // opens what the session sends (our key)
    srtp_t tx = nullptr;  // protects what the far end sends (its key), SSRC 0xFA0001

    explicit FarEnd(SrtpSuite suite)
    {
        REQUIRE(srtp_library_ready());
        rx = make(suite, our_key, ssrc_any_inbound, 0);
        tx = make(suite, far_key, ssrc_specific, 0xFA0001);
    }
    ~FarEnd()
    {
        srtp_dealloc(rx);
        srtp_dealloc(tx);
    }
    static srtp_t make(SrtpSuite suite, const SrtpMasterKey& key, srtp_ssrc_type_t type, uint32_t ssrc)
    {
        srtp_policy_t p;
        srtp_fill_policy(p, suite, key);
        p.ssrc.type = type;
        p.ssrc.value = ssrc;
        srtp_t s = nullptr;
        REQUIRE(srtp_create(&s, &p) == srtp_err_status_ok);
        return s;
    }
    std::vector<uint8_t> open(const Sent& p)
    {
        std::vector<uint8_t> v = p.data;
        int n = static_cast<int>(v.size());
        const srtp_err_status_t st = p.kind == PacketKind::rtp ? srtp_unprotect(rx, v.data(), &n)
                                                               : srtp_unprotect_rtcp(rx, v.data(), &n);
        REQUIRE(st == srtp_err_status_ok);
        v.resize(static_cast<std::size_t>(n));
        return v;
    }
    // An RTP packet of the far end's stream (PCMA, 160 octets of `fill`).
    std::vector<uint8_t> rtp(uint16_t seq, uint8_t fill)
    {
        std::vector<uint8_t> v(12 + 160 + SRTP_MAX_TRAILER_LEN, fill);
        RtpHeaderFields h;
        h.payload_type = payload_type_pcma;
        h.sequence = seq;
        h.timestamp = seq * 160u;
        h.ssrc = 0xFA0001;
        rtp_build_header(h, v.data(), 12);
        int n = 12 + 160;
        REQUIRE(srtp_protect(tx, v.data(), &n) == srtp_err_status_ok);
        v.resize(static_cast<std::size_t>(n));
        return v;
    }
};

TEST_CASE("SRTP: what the session sends opens, with its key, to exactly what a session without SRTP sends",
          "[srtp][media_session]")
{
    const SrtpSuite suite = GENERATE(SrtpSuite::aes_cm_128_hmac_sha1_80, SrtpSuite::aes_cm_128_hmac_sha1_32);
    // 40 ms: the longest packet; a 255-octet CNAME: the longest report.
    const uint32_t ptime = GENERATE(20u, 40u);
    INFO(std::string(srtp_suite_name(suite)) << ", ptime " << ptime);
    const std::string cname(255, 'c');
    MediaSessionConfig c = config(false);
    c.ptime_ms = ptime;
    c.cname = cname.c_str();
    MediaSession plain(c);
    c.srtp = true;
    MediaSession secure(c);
    REQUIRE(secure.set_srtp_keys(suite, our_key, far_key) == 0);
    FarEnd far(suite);

    // 2 s: 100 or 50 RTP packets (the sequence wraps at 65536) and RTCP
    // reports.
    const std::vector<Sent> p = run(plain, 0, 2000);
    const std::vector<Sent> s = run(secure, 0, 2000);
    REQUIRE(p.size() == s.size());
    std::size_t rtcp = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        REQUIRE(p[i].kind == s[i].kind);
        if (p[i].kind == PacketKind::rtp) {
            // RFC 3711 3.1: the header stays clear, the payload is not, and
            // the tag follows (80 or 32 bits, RFC 4568 6.2.1).
            CHECK(s[i].data.size() == p[i].data.size() + (suite == SrtpSuite::aes_cm_128_hmac_sha1_80 ? 10 : 4));
            CHECK(std::equal(p[i].data.begin(), p[i].data.begin() + 12, s[i].data.begin()));
            CHECK(!std::equal(p[i].data.begin() + 12, p[i].data.end(), s[i].data.begin() + 12));
        } else {
            // 3.4: E and the SRTCP index, then an 80-bit tag.
            CHECK(s[i].data.size() == p[i].data.size() + 4 + 10);
            ++rtcp;
        }
        CHECK(far.open(s[i]) == p[i].data);
    }
    CHECK(rtcp >= 3);
    const MediaSessionStats st = secure.stats();
    CHECK(st.srtp_suite == suite);
    CHECK(st.session.rtp_packets_out == p.size() - rtcp);
    CHECK(st.srtp.failed == 0);
}

TEST_CASE("SRTP: the far end's packets play; a changed octet, a replay, or a packet before the keys is dropped "
          "and counted",
          "[srtp][media_session]")
{
    MediaSession s(config(true));
    FarEnd far(SrtpSuite::aes_cm_128_hmac_sha1_80);

    // Before the keys: nothing goes out, nothing is taken.
    const std::vector<uint8_t> early = far.rtp(1, 0x55);
    CHECK(s.receive_rtp(early.data(), early.size(), far_addr, 1 * ms) == RxVerdict::srtp_refused);
    CHECK(run(s, 0, 100).empty());
    CHECK(s.stats().srtp.no_keys == 1 + 5);  // the packet received, the five due
    CHECK(s.stats().srtp_suite == SrtpSuite::none);

    REQUIRE(s.set_srtp_keys(SrtpSuite::aes_cm_128_hmac_sha1_80, our_key, far_key) == 0);
    const std::vector<uint8_t> good = far.rtp(2, 0x55);
    CHECK(s.receive_rtp(good.data(), good.size(), far_addr, 100 * ms) == RxVerdict::accepted);
    CHECK(s.stats().session.rtp_packets_in == 1);

    // RFC 3711 3.3: a packet whose tag does not verify is discarded.
    std::vector<uint8_t> bent = far.rtp(3, 0x55);
    bent[40] ^= 0x01;
    CHECK(s.receive_rtp(bent.data(), bent.size(), far_addr, 120 * ms) == RxVerdict::srtp_refused);
    CHECK(s.stats().srtp.auth_failed == 1);
    // 3.3.2: the same packet again is a replay.
    CHECK(s.receive_rtp(good.data(), good.size(), far_addr, 140 * ms) == RxVerdict::srtp_refused);
    CHECK(s.stats().srtp.replayed == 1);
    // Shorter than an RTP header; then a header and too little for a tag.
    const std::vector<uint8_t> next = far.rtp(5, 0x55);
    CHECK(s.receive_rtp(next.data(), 11, far_addr, 150 * ms) == RxVerdict::srtp_refused);
    CHECK(s.receive_rtp(next.data(), 14, far_addr, 150 * ms) == RxVerdict::srtp_refused);
    CHECK(s.stats().srtp.failed == 2);
    CHECK(s.stats().session.rtp_packets_in == 1);

    // A plain RTP packet is not SRTP.
    std::vector<uint8_t> plain(12 + 160, 0x55);
    RtpHeaderFields h;
    h.payload_type = payload_type_pcma;
    h.sequence = 4;
    h.timestamp = 640;
    h.ssrc = 0xFA0001;
    rtp_build_header(h, plain.data(), 12);
    CHECK(s.receive_rtp(plain.data(), plain.size(), far_addr, 160 * ms) == RxVerdict::srtp_refused);
    CHECK(s.stats().srtp.auth_failed == 2);
}

TEST_CASE("SRTP: two sessions with each other's keys carry the tone and their RTCP; a new session in the slot "
          "forgets the keys",
          "[srtp][media_session]")
{
    MediaSessionConfig ca = config(true);
    MediaSessionConfig cb = config(true);
    cb.ssrc = 0x5EC0002;
    cb.local_rtp = far_addr;
    cb.remote_rtp = our_addr;
    MediaSession a(ca);
    MediaSession b(cb);
    REQUIRE(a.set_srtp_keys(SrtpSuite::aes_cm_128_hmac_sha1_32, our_key, far_key) == 0);
    REQUIRE(b.set_srtp_keys(SrtpSuite::aes_cm_128_hmac_sha1_32, far_key, our_key) == 0);
    std::vector<uint8_t> heard;
    for (uint64_t t = 0; t < 2000; ++t) {
        std::vector<Sent> sent = run(a, t, 1);
        for (const Sent& p : sent) {
            if (p.kind == PacketKind::rtp) {
                CHECK(b.receive_rtp(p.data.data(), p.data.size(), our_addr, t * ms) == RxVerdict::accepted);
            } else {
                CHECK(b.receive_rtcp(p.data.data(), p.data.size(), {our_addr.ipv4, uint16_t(our_addr.port + 1)},
                                     t * ms) == RtcpParseError::ok);
            }
        }
        uint8_t out[8];
        std::vector<Sent> ignored;
        b.tick(nullptr, out, t * ms, {collect, &ignored});
        heard.insert(heard.end(), out, out + 8);
    }
    const MediaSessionStats st = b.stats();
    CHECK(st.session.rtp_packets_in == 100);
    CHECK(st.session.rtcp_packets_in >= 3);
    CHECK(st.jitter_buffer.concealed_ticks == 0);
    CHECK(st.srtp.auth_failed + st.srtp.replayed + st.srtp.failed == 0);
    // The tone, after the jitter buffer's delay: no idle code in the last second.
    CHECK(std::count(heard.end() - 8000, heard.end(), uint8_t{0xD5}) < 80);

    // The slot's next session starts without keys.
    REQUIRE(a.configure(ca, 0) == -EBUSY);
    a.release();
    REQUIRE(a.configure(ca, 3000 * ms) == 0);
    CHECK(a.stats().srtp_suite == SrtpSuite::none);
    CHECK(a.stats().srtp.no_keys == 0);
    CHECK(run(a, 3000, 100).empty());
}

TEST_CASE("SRTP: keys only for a session configured with SRTP; suite names are RFC 4568's", "[srtp]")
{
    MediaSession s(config(false));
    CHECK(s.set_srtp_keys(SrtpSuite::aes_cm_128_hmac_sha1_80, our_key, far_key) == -EINVAL);
    MediaSession t(config(true));
    CHECK(t.set_srtp_keys(SrtpSuite::none, our_key, far_key) == -EINVAL);
    CHECK(srtp_suite_of("AES_CM_128_HMAC_SHA1_80") == SrtpSuite::aes_cm_128_hmac_sha1_80);
    CHECK(srtp_suite_of("AES_CM_128_HMAC_SHA1_32") == SrtpSuite::aes_cm_128_hmac_sha1_32);
    CHECK(srtp_suite_of("F8_128_HMAC_SHA1_80") == SrtpSuite::none);
}

TEST_CASE("SRTP: the same key again keeps the context (its rollover counter goes on); a new key takes over; "
          "release() forgets the keys",
          "[srtp][media_session]")
{
    MediaSession s(config(true));
    REQUIRE(s.set_srtp_keys(SrtpSuite::aes_cm_128_hmac_sha1_80, our_key, far_key) == 0);
    FarEnd far(SrtpSuite::aes_cm_128_hmac_sha1_80);
    // 1 s: the sequence wraps (from 65500) and both ends' ROC is 1.
    for (const Sent& p : run(s, 0, 1000)) {
        (void)far.open(p);  // REQUIREs the tag
    }
    // A re-INVITE repeating the same a=crypto: a new context would start
    // again at ROC 0 and the far end would refuse every packet.
    REQUIRE(s.set_srtp_keys(SrtpSuite::aes_cm_128_hmac_sha1_80, our_key, far_key) == 0);
    std::size_t opened = 0;
    for (const Sent& p : run(s, 1000, 1000)) {
        (void)far.open(p);
        ++opened;
    }
    CHECK(opened >= 50);

    // A new key of ours (RFC 4568 7.1.4): a far end holding it opens what
    // follows; the old key opens nothing any more.
    const SrtpMasterKey next_key = key_of(3);
    REQUIRE(s.set_srtp_key(SrtpDirection::ours, SrtpSuite::aes_cm_128_hmac_sha1_80, next_key) == 0);
    srtp_t fresh = FarEnd::make(SrtpSuite::aes_cm_128_hmac_sha1_80, next_key, ssrc_any_inbound, 0);
    std::size_t rtp = 0;
    for (const Sent& p : run(s, 2000, 500)) {
        if (p.kind != PacketKind::rtp) {
            continue;
        }
        std::vector<uint8_t> a = p.data;
        std::vector<uint8_t> b = p.data;
        int na = static_cast<int>(a.size());
        int nb = static_cast<int>(b.size());
        CHECK(srtp_unprotect(fresh, a.data(), &na) == srtp_err_status_ok);
        CHECK(srtp_unprotect(far.rx, b.data(), &nb) != srtp_err_status_ok);
        ++rtp;
    }
    srtp_dealloc(fresh);
    CHECK(rtp == 25);

    const uint64_t failed_before = s.stats().srtp.auth_failed;
    s.release();
    CHECK(s.stats().srtp_suite == SrtpSuite::none);
    CHECK(s.stats().srtp.auth_failed == failed_before);  // the ended session's figures stay readable
}

// Known answers from an independent implementation: Debian's libsrtp on NSS
// (python3-pylibsrtp), in another process -- what this process's libsrtp,
// with its primitives on OpenSSL, must reproduce octet for octet. Made with
//   key = bytes.fromhex(kat_key_hex); rtp = kat_rtp (below)
//   pylibsrtp.Session(policy=pylibsrtp.Policy(key=key,
//       ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=PROFILE)).protect(rtp)
// for both profiles, then the next packet (sequence 0x1235, timestamp +160)
// on the same session (the MAC starts again for each packet), and
// protect_rtcp(80c90001cafebabe) (SRTCP: tag 80 bits).
TEST_CASE("SRTP: the packets match an independent libsrtp's octet for octet (AES-CM, HMAC-SHA1 80 and 32, SRTCP)",
          "[srtp]")
{
    REQUIRE(srtp_library_ready());
    auto bytes = [](const std::string& hex) {
        std::vector<uint8_t> v;
        for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
            v.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
        }
        return v;
    };
    const std::vector<uint8_t> master = bytes("e1f97a0d3e018be0d64fa32c06de41390ec675ad498afeebb6960b3aabe6");
    SrtpMasterKey key{};
    std::memcpy(key.data(), master.data(), key.size());
    // RTP: V=2, PT 8, sequence 0x1234, timestamp 0xdecafbad, SSRC 0xcafebabe;
    // payload octet i = 3i mod 256.
    std::vector<uint8_t> rtp = bytes("80081234decafbadcafebabe");
    for (int i = 0; i < 160; ++i) {
        rtp.push_back(static_cast<uint8_t>(i * 3));
    }
    const std::vector<uint8_t> cipher_payload = bytes(
        "e5fd71ee403dc1663f14679f1b11a584af23a5db8972e6ce19ec7965fb38d763"
        "1480010ee00d589ef94aff47313d5ae5edb74a594d5a2e628ea56a6c812f9cb1"
        "55c9bba56e9b581060d83b84b3ac0ec81a849f15fa344964ca3ce22589f73434"
        "92777e1f1dafa6f66d99fbfd3559253d125aef5a3fcb5660b5fa24adda30f9af"
        "dbb7b23e5b6fcf9b284e86d560cca0c31be4fd603088e950e7da0d8e23b38781");
    const std::vector<uint8_t> rtcp_plain = bytes("80c90001cafebabe");
    const std::vector<uint8_t> srtcp = bytes("80c90001cafebabe80000001821f85a6072e0b0d0515");

    struct Answer {
        SrtpSuite suite;
        std::string tag;       // of the first packet
        std::string next_tag;  // of the next
    };
    for (const Answer& a : {Answer{SrtpSuite::aes_cm_128_hmac_sha1_80, "69bc073c7684d5436b43", "c54c0b44ce0167ebe60a"},
                            Answer{SrtpSuite::aes_cm_128_hmac_sha1_32, "69bc073c", "c54c0b44"}}) {
        const SrtpSuite suite = a.suite;
        CAPTURE(srtp_suite_name(suite));
        SrtpSession ours;
        REQUIRE(ours.set_key(SrtpDirection::ours, suite, key, 0xcafebabe) == 0);
        std::vector<uint8_t> pkt = rtp;
        pkt.resize(rtp.size() + srtp_max_overhead);
        const int n = ours.protect_rtp(pkt.data(), rtp.size(), pkt.size());
        std::vector<uint8_t> want = rtp;  // the header stays in the clear
        std::copy(cipher_payload.begin(), cipher_payload.end(), want.begin() + 12);
        for (uint8_t octet : bytes(a.tag)) {
            want.push_back(octet);
        }
        REQUIRE(n == static_cast<int>(want.size()));
        pkt.resize(static_cast<std::size_t>(n));
        CHECK(pkt == want);

        std::vector<uint8_t> next = rtp;
        next[3] = 0x35;  // sequence 0x1235
        next[6] = 0xfc;  // timestamp 0xdecafc4d
        next[7] = 0x4d;
        const std::size_t next_len = next.size();
        next.resize(next_len + srtp_max_overhead);
        const int k = ours.protect_rtp(next.data(), next_len, next.size());
        const std::vector<uint8_t> next_tag = bytes(a.next_tag);
        REQUIRE(k == static_cast<int>(next_len + next_tag.size()));
        CHECK(std::vector<uint8_t>(next.begin() + 12, next.begin() + 28) == bytes("ba91325bf66759884b6e92634df26266"));
        CHECK(std::vector<uint8_t>(next.begin() + static_cast<long>(next_len), next.begin() + k) == next_tag);

        std::vector<uint8_t> c = rtcp_plain;
        c.resize(rtcp_plain.size() + srtp_max_overhead);
        const int m = ours.protect_rtcp(c.data(), rtcp_plain.size(), c.size());
        REQUIRE(m == static_cast<int>(srtcp.size()));
        c.resize(static_cast<std::size_t>(m));
        CHECK(c == srtcp);

        // And the other way: the independent implementation's packets open.
        SrtpSession theirs;
        REQUIRE(theirs.set_key(SrtpDirection::theirs, suite, key, 0) == 0);
        std::vector<uint8_t> in = want;
        REQUIRE(theirs.unprotect_rtp(in.data(), in.size()) == static_cast<int>(rtp.size()));
        in.resize(rtp.size());
        CHECK(in == rtp);
        std::vector<uint8_t> in_c = srtcp;
        REQUIRE(theirs.unprotect_rtcp(in_c.data(), in_c.size()) == static_cast<int>(rtcp_plain.size()));
        in_c.resize(rtcp_plain.size());
        CHECK(in_c == rtcp_plain);
        CHECK(theirs.counters().auth_failed == 0);
    }
}

}  // namespace srtp_session_test
