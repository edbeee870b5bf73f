// Any sequence of RTP and RTCP packets into one media session, interleaved
// with 1 ms ticks: the receive side of the data plane's media engine (RTP
// header parsing, the jitter buffer's timestamp-indexed ring, its depth
// adaptation and PLC, RFC 3550 receiver statistics, RTCP parsing, latching,
// the RTP timeout, RFC 4733 telephone-events played as DTMF) as the network
// can drive it; and the channel's DTMF keys, sent as RFC 4733 events in
// place of audio.
//
// The input's first octets choose the session's config; the rest is a list
// of operations: a structured RTP packet (header fields from the input, so
// that sequence and timestamp jumps, SSRC changes, reordering, odd payload
// sizes and wrong PTs are reached without first guessing a valid header), raw
// RTP octets, a compound RTCP packet with its version and length fields made
// right (so that the parser's inner checks are reached), raw RTCP octets, a
// telephone-event PT from the peer's SDP, or time passing (the channel
// carrying a count pattern, or a DTMF key).
//
// With SRTP (RFC 3711; a config bit, either suite) the far end is libsrtp
// driven here: its structured packets are protected with its key (then
// maybe an octet changed, or sent twice: a forgery, a replay), raw ones go
// as they are (garbage for SRTP to refuse), and every packet the session
// sends must open with our key before the checks below read it.
//
// The session is ticked as a joined one is (its span's table runs its plain
// milliseconds: plain_run.h), beside a twin ticked every millisecond that
// gets the same input: both must play the same octets, send the same
// packets and count the same; a run reaching past what it may (the jitter
// buffer's ring, say) shows as a memory error here.
//
// Besides memory and undefined-behaviour errors, it checks what the
// definition of done asks of bad input on the wire: every packet is counted
// under exactly one verdict, every tick plays exactly 8 samples of a known
// kind, and every RTP packet the session emits is well formed (its
// telephone-events by RFC 4733 2.5.1's rules).
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <spandsp.h>
#include <srtp2/srtp.h>

#include "dataplane/media/media_session.h"
#include "dataplane/media/rtp_header.h"
#include "dataplane/media/srtp_policy.h"

namespace {

using namespace trunkgw::media;

[[noreturn]] void invariant_broken()
{
    std::abort();
}

void check(bool ok)
{
    if (!ok) {
        invariant_broken();
    }
}

class Input {
public:
    Input(const uint8_t* data, std::size_t size) : _d(data), _n(size) {}

    bool empty() const { return _off >= _n; }
    uint8_t u8() { return _off < _n ? _d[_off++] : 0; }
    uint16_t u16()
    {
        uint8_t hi = u8();  // (the operands of | may be evaluated in either order)
        return static_cast<uint16_t>(hi << 8 | u8());
    }
    uint32_t u32()
    {
        uint32_t hi = u16();
        return hi << 16 | u16();
    }
    // `n` octets: the input's next ones, zeros past its end (so that a
    // case replays alone exactly as it ran). Returns how many were input.
    std::size_t take(uint8_t* out, std::size_t n)
    {
        std::size_t k = n < _n - _off ? n : _n - _off;
        std::memcpy(out, _d + _off, k);
        std::memset(out + k, 0, n - k);
        _off += k;
        return k;
    }

private:
    const uint8_t* _d;
    std::size_t _n;
    std::size_t _off = 0;
};

constexpr uint32_t our_ssrc = 0x11223344;
constexpr uint32_t max_delay_limit_ms = 200;

MediaSessionConfig make_config(Input& in)
{
    static constexpr uint32_t ptimes[] = {10, 20, 30, 40};
    uint8_t a = in.u8();
    uint8_t b = in.u8();
    uint8_t remote = in.u8();
    MediaSessionConfig c;
    c.payload_type = (a & 1) ? payload_type_pcma : payload_type_pcmu;
    c.channel_law = (a & 2) ? Law::alaw : Law::ulaw;
    c.ptime_ms = ptimes[(a >> 2) & 3];
    c.jitter_mode = (a & 16) ? JitterMode::adaptive : JitterMode::fixed;
    c.symmetric_rtp = (a & 32) != 0;
    c.rtcp_interval_ms = (a & 64) ? 5000 : 0;
    c.rtp_timeout_ms = (a & 128) ? 60 : 0;
    c.jitter_max_delay_ms = 1 + b % max_delay_limit_ms;
    c.jitter_delay_ms = in.u8() % (c.jitter_max_delay_ms + 1);
    c.ssrc = our_ssrc;
    c.first_sequence = in.u16();
    c.first_timestamp = in.u32();
    c.local_rtp = {0x0a000001, 20000};
    if (remote & 1) {
        c.remote_rtp = {0x0a000002, 30000};  // else unknown until latched
    }
    // RFC 4733 events with PT 101 (structured packets pick any PT now and then).
    c.telephone_event_pt = (remote & 2) ? 101 : 0;
    c.srtp = (remote & 4) != 0;
    return c;
}

// SRTP's keys: ours protects what the session sends, the far end's what it
// receives (fixed: the fuzzer explores the packets, not the keys).
SrtpMasterKey master_key(uint8_t seed)
{
    SrtpMasterKey k{};
    for (std::size_t i = 0; i < k.size(); ++i) {
        k[i] = static_cast<uint8_t>(seed + 13 * i);
    }
    return k;
}
const SrtpMasterKey our_key = master_key(1);
const SrtpMasterKey far_key = master_key(2);

// The far end's libsrtp: `tx` protects its packets (any SSRC: the
// structured packets change it), `rx` opens ours.
struct FarSrtp {
    srtp_t tx = nullptr;
    srtp_t rx = nullptr;

    FarSrtp(SrtpSuite suite)
    {
        tx = make(suite, far_key, ssrc_any_outbound);
        rx = make(suite, our_key, ssrc_any_inbound);
    }
    ~FarSrtp()
    {
        srtp_dealloc(tx);
        srtp_dealloc(rx);
    }
    FarSrtp(const FarSrtp&) = delete;
    FarSrtp& operator=(const FarSrtp&) = delete;

    static srtp_t make(SrtpSuite suite, const SrtpMasterKey& key, srtp_ssrc_type_t type)
    {
        srtp_policy_t p;
        srtp_fill_policy(p, suite, key);
        p.ssrc.type = type;
        srtp_t s = nullptr;
        check(srtp_create(&s, &p) == srtp_err_status_ok);
        return s;
    }
};

// The source of a received packet: the remote, or another address.
Endpoint source(uint8_t sel)
{
    return (sel & 1) ? Endpoint{0x0a000002, 30000} : Endpoint{0x0a000003, static_cast<uint16_t>(30000 + (sel >> 1))};
}

// An RTP header from the input: each field near the stream's last value
// (small steps forward and back) or anywhere.
struct StreamState {
    uint16_t seq = 0;
    uint32_t ts = 0;
};

std::size_t structured_rtp(Input& in, StreamState& st, uint8_t pt, uint8_t* pkt, std::size_t cap)
{
    uint8_t flags = in.u8();
    uint8_t form = in.u8();
    if (form & 1) {
        st.seq = in.u16();
        st.ts = in.u32();
    } else {
        st.seq = static_cast<uint16_t>(st.seq + static_cast<int8_t>(in.u8()));
        st.ts += static_cast<uint32_t>(static_cast<int16_t>(in.u16()));
    }
    RtpHeaderFields h;
    h.marker = (flags & 1) != 0;
    h.payload_type = (flags & 2) ? static_cast<uint8_t>(in.u8() & 0x7f) : pt;
    h.sequence = st.seq;
    h.timestamp = st.ts;
    h.ssrc = (flags & 4) ? in.u32() : ((flags & 8) ? 0xabcdef01u : 0x55667788u);
    uint32_t csrc[rtp_max_csrc] = {};
    h.csrc = csrc;
    h.csrc_count = static_cast<uint8_t>((flags >> 4) & 3);
    int n = rtp_build_header(h, pkt, cap);
    check(n > 0);
    std::size_t len = static_cast<std::size_t>(n);
    if (flags & 64) {  // an extension (RFC 3550 5.3.1), its length from the input
        pkt[0] |= 0x10;
        uint8_t words = in.u8() & 7;
        pkt[len++] = 0xbe;
        pkt[len++] = 0xde;
        pkt[len++] = 0;
        pkt[len++] = words;
        std::memset(pkt + len, 0, 4u * words);
        len += 4u * words;
    }
    // Payload: a ptime's worth or any size up to beyond the largest accepted.
    std::size_t payload = (form & 2) ? (form & 4 ? 160u : 80u) : in.u16() % 1200;
    if (payload > cap - len - 256) {
        payload = cap - len - 256;
    }
    for (std::size_t i = 0; i < payload; ++i) {
        pkt[len + i] = static_cast<uint8_t>(i * 37 + form);
    }
    len += payload;
    if (flags & 128) {  // padding (5.1), its count from the input: maybe wrong
        pkt[0] |= 0x20;
        uint8_t pad = in.u8();
        std::memset(pkt + len, 0, pad);
        len += pad;
        if (pad != 0) {
            pkt[len - 1] = (form & 8) ? pad : in.u8();
        }
    }
    return len;
}

// A compound RTCP packet whose sub-packets have version 2 and length fields
// that match (unless the input says otherwise), their bodies from the input.
std::size_t structured_rtcp(Input& in, uint8_t* pkt, std::size_t cap)
{
    static constexpr uint8_t types[] = {200, 201, 202, 203, 204, 205, 206, 199};
    std::size_t len = 0;
    uint8_t count = 1 + (in.u8() & 3);
    for (uint8_t k = 0; k < count; ++k) {
        uint8_t sel = in.u8();
        std::size_t words = in.u8() % 40;
        if (len + 4 + 4 * words > cap) {
            break;
        }
        uint8_t* p = pkt + len;
        p[0] = static_cast<uint8_t>(0x80 | (sel & 0x20) | (in.u8() & 0x1f));  // V=2, P from sel, RC/SC
        p[1] = types[sel & 7];
        p[2] = static_cast<uint8_t>(words >> 8);
        p[3] = static_cast<uint8_t>(words);
        in.take(p + 4, 4 * words);
        if ((sel & 0x40) && words >= 3 && p[1] == 201) {
            // A report block about our stream, so that RTT and the far
            // end's view are computed.
            p[8] = our_ssrc >> 24;
            p[9] = our_ssrc >> 16 & 0xff;
            p[10] = our_ssrc >> 8 & 0xff;
            p[11] = our_ssrc & 0xff;
        }
        if (sel & 0x80) {
            p[3] ^= 1;  // a length that lies
        }
        len += 4 + 4 * words;
    }
    return len;
}

// One second of each DTMF key in each law (SpanDSP's generator), built once.
const std::vector<uint8_t>& key_tone(Law law, unsigned key)
{
    static std::vector<uint8_t> tones[2][16];
    std::vector<uint8_t>& t = tones[law == Law::alaw ? 0 : 1][key & 15];
    if (t.empty()) {
        dtmf_tx_state_t* tx = dtmf_tx_init(nullptr);
        dtmf_tx_set_timing(tx, 1000, 0);
        dtmf_tx_put(tx, &dtmf_event_keys[key & 15], 1);
        int16_t lin[8000] = {};
        dtmf_tx(tx, lin, 8000);
        dtmf_tx_free(tx);
        t.resize(8000);
        encode_law(law, lin, t.data(), t.size());
    }
    return t;
}

// FNV-1a over every packet a session sends, its kind included.
struct Digest {
    uint64_t h = 1469598103934665603ull;
    void add(const TxPacket& p)
    {
        h = (h ^ static_cast<uint8_t>(p.kind)) * 1099511628211ull;
        for (std::size_t i = 0; i < p.len; ++i) {
            h = (h ^ p.data[i]) * 1099511628211ull;
        }
    }
};

void on_twin_packet(void* user, const TxPacket& sent)
{
    static_cast<Digest*>(user)->add(sent);
}

struct Emitted {
    Digest digest;
    const MediaSessionConfig* config;
    uint8_t send_pt;  // the telephone-event PT our events go with
    FarSrtp* srtp;    // opens what we send, with SRTP
    uint64_t rtp = 0;
    uint64_t rtcp = 0;
    uint64_t events = 0;
    bool have_seq = false;
    uint16_t next_seq = 0;
    // The last event packet: RFC 4733 2.5.1's rules hold across packets.
    bool have_event = false;
    uint32_t event_ts = 0;  // its segment's timestamp
    uint32_t duration = 0;
    bool end = false;
};

// RFC 4733 2.5.1 on the event packets we send, one after another: M starts
// an event; otherwise the packet updates the current segment (the same
// timestamp, a duration no shorter; after E only E's repeats), starts the
// next segment (0xFFFF on, the last one at the limit, 2.5.1.3), or repeats
// the last segment's final packet (2.5.1.4).
void check_event_rules(Emitted& e, const RtpPacketView& v)
{
    const uint32_t ts = v.header.timestamp;
    const uint32_t duration = static_cast<uint32_t>(v.payload[2]) << 8 | v.payload[3];
    const bool end = (v.payload[1] & 0x80) != 0;
    if (!v.header.marker) {
        check(e.have_event);
        if (ts == e.event_ts) {
            check(duration >= e.duration);
            check(!e.end || (end && duration == e.duration));
        } else if (ts == e.event_ts + 0xFFFF) {
            check(e.duration == 0xFFFF && !e.end);
        } else {
            check(ts == e.event_ts - 0xFFFF && duration == 0xFFFF && !end);
            return;  // a repeat of the last segment's final: the current one stays
        }
    }
    e.have_event = true;
    e.event_ts = ts;
    e.duration = duration;
    e.end = end;
}

void on_packet(void* user, const TxPacket& sent)
{
    auto& e = *static_cast<Emitted*>(user);
    check(sent.data != nullptr && sent.len >= 4);
    e.digest.add(sent);
    TxPacket p = sent;
    static uint8_t opened[2048];
    if (e.srtp != nullptr) {
        // Every packet we send opens with our key (RFC 3711 3.3).
        check(sent.len <= sizeof opened);
        std::memcpy(opened, sent.data, sent.len);
        int n = static_cast<int>(sent.len);
        check((sent.kind == PacketKind::rtp ? srtp_unprotect(e.srtp->rx, opened, &n)
                                            : srtp_unprotect_rtcp(e.srtp->rx, opened, &n)) == srtp_err_status_ok);
        p.data = opened;
        p.len = static_cast<std::size_t>(n);
    }
    check(p.src.ipv4 == e.config->local_rtp.ipv4);
    if (p.kind == PacketKind::rtp) {
        RtpPacketView v = rtp_parse(p.data, p.len);
        check(v.ok());
        check(v.header.ssrc == our_ssrc);
        if (is_dynamic_payload_type(v.header.payload_type)) {
            // RFC 4733 2.3: a DTMF event (3.2), R zero, a duration (2.3.5:
            // zero only for states), with the peer's PT.
            check(e.send_pt != 0 && v.header.payload_type == e.send_pt);
            check(v.payload_len == 4 && v.payload[0] <= 15 && (v.payload[1] & 0x40) == 0);
            check((v.payload[2] | v.payload[3]) != 0);
            check_event_rules(e, v);
            ++e.events;
        } else {
            check(v.header.payload_type == e.config->payload_type);
            check(v.payload_len == e.config->ptime_ms * samples_per_ms);
        }
        check(p.src.port == e.config->local_rtp.port);
        // Consecutive sequence numbers (RFC 3550 5.1), whatever arrived.
        check(!e.have_seq || v.header.sequence == e.next_seq);
        e.have_seq = true;
        e.next_seq = static_cast<uint16_t>(v.header.sequence + 1);
        ++e.rtp;
    } else {
        check(p.len % 4 == 0 && p.len <= MediaSession::rtcp_buf_len);
        check(p.src.port == e.config->local_rtp.port + 1);
        ++e.rtcp;
    }
}

// With SRTP, the far end protects a structured packet in place (when `cap`
// leaves room for libsrtp's trailer) and the input may change one octet of
// it (a forgery) or have it sent twice (a replay): each must be refused
// (RFC 3711 3.3: the tag covers every octet; 3.3.2: a packet is taken
// once), whatever the first copy's fate.
struct Sending {
    int copies = 1;
    bool forged = false;
    bool replayed = false;  // the second copy must be refused
};

Sending protect(FarSrtp* far, Input& in, PacketKind kind, uint8_t* pkt, std::size_t& len, std::size_t cap)
{
    if (far == nullptr) {
        return {};
    }
    const uint8_t how = in.u8();
    if (len + 4 + SRTP_MAX_TRAILER_LEN > cap) {
        return {};  // sent plain, as garbage
    }
    int n = static_cast<int>(len);
    const srtp_err_status_t st = kind == PacketKind::rtp ? srtp_protect(far->tx, pkt, &n)
                                                         : srtp_protect_rtcp(far->tx, pkt, &n);
    if (st != srtp_err_status_ok) {
        return {};  // (libsrtp refuses some headers: sent plain, as garbage)
    }
    len = static_cast<std::size_t>(n);
    Sending s;
    if (how & 1) {
        pkt[in.u16() % len] ^= static_cast<uint8_t>(1 | in.u8());
        s.forged = true;
    }
    if (how & 2) {
        s.copies = 2;
        s.replayed = true;
    }
    return s;
}

uint64_t verdicts_counted(const JitterBufferCounters& c)
{
    return c.packets + c.events + c.too_short + c.bad_version + c.bad_extension + c.bad_padding +
           c.bad_payload_type + c.oversize + c.stale_ssrc + c.seq_jump + c.duplicate + c.late;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    Input in(data, size);
    MediaSessionConfig config = make_config(in);
    MediaSessionLimits limits;
    limits.max_jitter_delay_ms = max_delay_limit_ms;
    static MediaSession session(limits);  // built once, as the data plane's pool does
    static PlainRun run;
    static MediaSession twin(limits);  // the same input, ticked every millisecond
    session.release();
    session.attach_plain_run(&run);
    twin.release();
    uint64_t now_ns = 1'000'000'000ull * (1 + in.u8());
    check(session.configure(config, now_ns) == 0);
    check(twin.configure(config, now_ns) == 0);
    std::unique_ptr<FarSrtp> far;
    if (config.srtp) {
        const SrtpSuite suite = (in.u8() & 1) ? SrtpSuite::aes_cm_128_hmac_sha1_32 : SrtpSuite::aes_cm_128_hmac_sha1_80;
        check(session.set_srtp_keys(suite, our_key, far_key) == 0);
        check(twin.set_srtp_keys(suite, our_key, far_key) == 0);
        far = std::make_unique<FarSrtp>(suite);
    }

    Emitted emitted{{}, &config, config.telephone_event_pt, far.get()};
    Digest twin_sent;
    PacketSink twin_sink{on_twin_packet, &twin_sent};
    bool events_ever = config.telephone_event_pt != 0;
    PacketSink sink{on_packet, &emitted};
    StreamState stream;
    uint64_t ticks = 0;
    uint64_t rtp_in = 0;
    uint64_t rtp_refused = 0;  // by SRTP: counted in its counters, not the jitter buffer's
    static uint8_t pkt[2048];
    uint8_t tdm_in[samples_per_ms];
    uint8_t tdm_out[samples_per_ms];

    while (!in.empty()) {
        uint8_t op = in.u8();
        Endpoint src = source(in.u8());
        uint64_t rx_ns = now_ns + (op >> 3) * 31'250ull;  // within the millisecond
        switch (op & 7) {
        case 0:
        case 1: {
            std::size_t n = structured_rtp(in, stream, config.payload_type, pkt, sizeof pkt);
            const Sending s = protect(far.get(), in, PacketKind::rtp, pkt, n, sizeof pkt);
            for (int k = 0; k < s.copies; ++k) {
                RxVerdict v = session.receive_rtp(pkt, n, src, rx_ns);
                check(v == twin.receive_rtp(pkt, n, src, rx_ns));
                check(v != RxVerdict::idle);
                check(!(s.forged || (s.replayed && k == 1)) || v == RxVerdict::srtp_refused);
                rtp_refused += v == RxVerdict::srtp_refused ? 1 : 0;
                ++rtp_in;
            }
            break;
        }
        case 2: {
            std::size_t n = in.take(pkt, in.u8());
            const RxVerdict v = session.receive_rtp(pkt, n, src, rx_ns);
            check(v == twin.receive_rtp(pkt, n, src, rx_ns));
            rtp_refused += v == RxVerdict::srtp_refused ? 1 : 0;
            ++rtp_in;
            break;
        }
        case 3: {
            std::size_t n = structured_rtcp(in, pkt, sizeof pkt);
            const Sending s = protect(far.get(), in, PacketKind::rtcp, pkt, n, sizeof pkt);
            for (int k = 0; k < s.copies; ++k) {
                const RtcpParseError e = session.receive_rtcp(pkt, n, src, rx_ns);
                check(e == twin.receive_rtcp(pkt, n, src, rx_ns));
                check(e != RtcpParseError::idle);
                check(!(s.forged || (s.replayed && k == 1)) || e == RtcpParseError::srtp_refused);
            }
            break;
        }
        case 4: {
            std::size_t n = in.take(pkt, in.u8());
            check(session.receive_rtcp(pkt, n, src, rx_ns) == twin.receive_rtcp(pkt, n, src, rx_ns));
            break;
        }
        case 5: {
            // An answer or a re-INVITE names the peer's telephone-event PT
            // (any octet: static ones are refused).
            const uint8_t pt = in.u8();
            const bool ok = pt == 0 || is_dynamic_payload_type(pt);
            check(session.set_telephone_event_send_pt(pt) == (ok ? 0 : -EINVAL));
            check(twin.set_telephone_event_send_pt(pt) == (ok ? 0 : -EINVAL));
            if (ok) {
                emitted.send_pt = pt;
                events_ever = events_ever || pt != 0;
            }
            break;
        }
        default: {
            // Time passes: 1..64 ticks, the channel's samples present or
            // missing (a span without frames), sending on or off (hold).
            uint8_t t = in.u8();
            const uint8_t key = in.u8();  // 0x80: the channel carries DTMF key (key & 15)
            session.set_sending((t & 0x80) == 0);
            twin.set_sending((t & 0x80) == 0);
            const uint8_t* tin = (t & 0x40) ? nullptr : tdm_in;
            for (uint32_t k = 0; k <= (t & 0x3f); ++k) {
                if (key & 0x80) {
                    const std::vector<uint8_t>& tone = key_tone(config.channel_law, key);
                    std::memcpy(tdm_in, tone.data() + (ticks * samples_per_ms) % tone.size(), sizeof tdm_in);
                } else {
                    std::memset(tdm_in, static_cast<int>(ticks), sizeof tdm_in);
                }
                std::memset(tdm_out, 0x5a, sizeof tdm_out);
                now_ns += 1'000'000;
                if (tin == nullptr || !plain_tick(run, tin, tdm_out, now_ns)) {
                    (void)session.tick(tin, tdm_out, now_ns, sink);
                }
                uint8_t twin_out[samples_per_ms];
                (void)twin.tick(tin, twin_out, now_ns, twin_sink);
                check(std::memcmp(tdm_out, twin_out, sizeof twin_out) == 0);
                ++ticks;
            }
            break;
        }
        }
        // Every RTP packet is counted under exactly one verdict.
        const JitterBufferCounters jb = session.stats().jitter_buffer;  // with the run's ticks
        check(verdicts_counted(jb) + rtp_refused == rtp_in);
        check(far != nullptr || rtp_refused == 0);
        // Every tick played once: audio, idle code, concealment, or a grow
        // step's inserted millisecond.
        check(jb.played_ticks + jb.silence_ticks + jb.concealed_ticks + jb.grow_steps == ticks);
        check(session.jitter_buffer().delay_samples() <= session.jitter_buffer().capacity_samples());
        check(plain_run_inside(run, session.jitter_buffer().ring_in_use()));
        // The twin did the same.
        const MediaSessionStats a = session.stats();
        const MediaSessionStats b = twin.stats();
        check(std::memcmp(&a.session, &b.session, sizeof a.session) == 0);
        check(std::memcmp(&a.jitter_buffer, &b.jitter_buffer, sizeof a.jitter_buffer) == 0);
        check(std::memcmp(&a.packetizer, &b.packetizer, sizeof a.packetizer) == 0);
        check(emitted.digest.h == twin_sent.h);
        check(session.counters().rtp_packets_out == emitted.rtp);
        check(session.counters().rtcp_packets_out == emitted.rtcp);
    }
    MediaSessionStats s = session.stats();
    check(s.jitter_buffer.packets + s.jitter_buffer.events == s.session.rtp_packets_in);
    // A digit starts only from an event packet the stream took.
    check(s.telephone_events.events <= s.jitter_buffer.events);
    check(events_ever || s.jitter_buffer.events == 0);
    // Events go only with a PT, each counted; a digit's packets are at
    // least its first one.
    check(s.telephone_events_sent.packets == emitted.events);
    check(events_ever || emitted.events == 0);
    check(s.telephone_events_sent.events <= s.telephone_events_sent.packets);
    return 0;
}
