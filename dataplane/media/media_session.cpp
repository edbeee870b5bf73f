// One RTP session joined to one B-channel; see media_session.h.
#include "dataplane/media/media_session.h"

#include "dataplane/net/ipv4.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>

namespace trunkgw::media {

namespace {

constexpr uint64_t ns_per_ms = 1000000;
constexpr uint64_t ns_per_sample = 125000;  // 8 kHz

PacketizerConfig packetizer_config(const MediaSessionConfig& c)
{
    PacketizerConfig p;
    p.payload_type = c.payload_type;
    p.channel_law = c.channel_law;
    p.ptime_ms = c.ptime_ms;
    p.ssrc = c.ssrc;
    p.first_sequence = c.first_sequence;
    p.first_timestamp = c.first_timestamp;
    return p;
}

JitterBufferConfig jitter_config(const MediaSessionConfig& c)
{
    JitterBufferConfig j;
    j.payload_type = c.payload_type;
    j.channel_law = c.channel_law;
    j.mode = c.jitter_mode;
    j.delay_ms = c.jitter_delay_ms;
    j.max_delay_ms = c.jitter_max_delay_ms;
    return j;
}

Endpoint rtcp_of(Endpoint rtp)
{
    return {rtp.ipv4, rtp.port == 0 ? uint16_t{0} : static_cast<uint16_t>(rtp.port + 1)};
}

// The config constructor's limits: exactly what the config needs, refused
// (before anything is sized) when the config is bad.
MediaSessionLimits limits_of(const MediaSessionConfig& config)
{
    MediaSessionLimits l;
    l.max_jitter_delay_ms = std::min(config.jitter_max_delay_ms, RtpJitterBuffer::max_delay_limit_ms);
    l.max_cname_len = MediaSession::max_cname;
    ConfigCheck c = MediaSession::check(config, l);
    if (!c.ok()) {
        throw std::invalid_argument(c.reason);
    }
    return l;
}

JitterBufferLimits jitter_limits(const MediaSessionLimits& l)
{
    if (l.max_cname_len == 0 || l.max_cname_len > MediaSession::max_cname) {
        throw std::invalid_argument("media session: the CNAME limit must be 1..255 octets");
    }
    return {l.max_jitter_delay_ms};  // the jitter buffer refuses over 2000
}

}  // namespace

MediaSession::MediaSession(const MediaSessionLimits& limits)
    : _pk(PacketizerConfig{}),
      _jb(jitter_limits(limits)),
      _limits(limits),
      _cname{},
      _rtp_buf{},
      _rtcp_buf{},
      _tev_tx(std::make_unique<TelephoneEventSender>())
{
}

MediaSession::MediaSession(const MediaSessionConfig& config) : MediaSession(limits_of(config))
{
    if (config.srtp && !make_srtp_ctx()) {
        throw std::bad_alloc();  // a constructor may (configure() may not)
    }
    reset(config);  // checked by limits_of(); starts at the first tick()
}

ConfigCheck MediaSession::check(const MediaSessionConfig& config, const MediaSessionLimits& limits)
{
    ConfigCheck c = Packetizer::check(packetizer_config(config));
    if (!c.ok()) {
        return c;
    }
    c = RtpJitterBuffer::check(jitter_config(config), {limits.max_jitter_delay_ms});
    if (!c.ok()) {
        return c;
    }
    if (config.local_rtp.port == 0 || config.local_rtp.port == 0xFFFF) {
        return {-EINVAL, "media session: the local RTP port must be 1..65534 (RTCP is port + 1)"};
    }
    if (config.telephone_event_pt != 0 && !is_dynamic_payload_type(config.telephone_event_pt)) {
        return {-EINVAL, "media session: the telephone-event payload type must be dynamic (96-127), or 0 for none"};
    }
    if (!remote_sendable(config.remote_rtp) || !remote_sendable(config.remote_rtcp)) {
        return {-EINVAL, "media session: a remote address must be a unicast host address (RFC 1122 3.2.1.3), "
                         "or the port 0 (learnt from the far end's RTP)"};
    }
    std::size_t n = config.cname == nullptr ? 0 : ::strnlen(config.cname, max_cname + 1);
    if (n == 0) {
        return {-EINVAL, "media session: the CNAME must be 1..255 octets"};
    }
    if (n > max_cname || n > limits.max_cname_len) {
        return {-ERANGE, "media session: the CNAME is longer than the limit (at most 255 octets)"};
    }
    return {};
}

int MediaSession::configure(const MediaSessionConfig& config, uint64_t now_ns)
{
    RunVisit visit(*this);
    if (_configured) {
        return -EBUSY;
    }
    ConfigCheck c = check(config, _limits);
    if (!c.ok()) {
        return c.error;
    }
    if (config.srtp && !make_srtp_ctx()) {
        return -ENOMEM;
    }
    reset(config);
    _started = true;
    arm_rtp_timeout(now_ns);
    if (_rtcp_interval_ns != 0) {
        schedule_rtcp(now_ns, _rtcp_interval_ns / 2);
    }
    return 0;
}

bool MediaSession::remote_sendable(Endpoint e)
{
    return !e.known() || net::ipv4_source_valid(e.ipv4);
}

void MediaSession::release()
{
    RunVisit visit(*this);
    _configured = false;
    if (_srtp_ctx != nullptr) {
        _srtp_ctx->forget_keys();
    }
}

void MediaSession::attach_plain_run(PlainRun* run)
{
    settle();
    _run = run;
    grant();
}

void MediaSession::settle()
{
    const uint32_t done = plain_ticks_pending();
    _pk.advance_plain(done);
    _jb.advance_plain(done, plain_run_silent());
    if (_run != nullptr) {
        _run->ticks = 0;
    }
    _granted = 0;
}

void MediaSession::grant()
{
    if (_run == nullptr) {
        return;
    }
    uint32_t n = 0;
    RtpJitterBuffer::PlainPlayout jb;
    // Not granted while an event waits for tick() to report it, or a DTMF
    // tone plays over the jitter buffer's output (plain_run.h has the rest).
    if (_configured && _started && _sending && _events == 0 && (_tev_flags & tev_playing) == 0) {
        const uint32_t pk = _pk.plain_pushes_ahead();
        jb = _jb.plain_playout();
        n = pk < jb.ticks ? pk : jb.ticks;
    }
    if (n != 0) {
        _run->tx = _pk.next_samples(_rtp_buf);
        _run->rx = _jb.slot_at_playout();
        _run->until_ns = _rtp_timeout_at_ns < _next_rtcp_ns ? _rtp_timeout_at_ns : _next_rtcp_ns;
        _run->silent = jb.silent;
        _run->idle = silence_octet(_jb.channel_law());
    }
    _run->ticks = n;
    _granted = n;
}

void MediaSession::set_sending(bool on)
{
    RunVisit visit(*this);
    _sending = on;
}

int MediaSession::set_remote(Endpoint rtp, bool symmetric_rtp)
{
    RunVisit visit(*this);
    if (!remote_sendable(rtp)) {
        return -EINVAL;
    }
    _remote_rtp = rtp;
    _remote_rtcp = rtcp_of(rtp);
    _rtcp_heard = false;
    _symmetric = symmetric_rtp;
    return 0;
}

int MediaSession::set_telephone_event_send_pt(uint8_t pt)
{
    RunVisit visit(*this);
    if (pt != 0 && !is_dynamic_payload_type(pt)) {
        return -EINVAL;
    }
    _tev_tx->set_payload_type(pt);
    if (_tev_pt == 0) {
        _tev_pt = pt;  // a session that took no events until now: ours too
    }
    return 0;
}

bool MediaSession::is_event_pt(uint8_t pt) const
{
    // Ours (the PT our SDP named, RFC 3264 5.1), or the peer's where it
    // differs from ours and from the audio's: a peer that sends with its
    // own number is still understood.
    return pt == _tev_pt || (pt != _pk.payload_type() && _tev_tx->payload_type() != 0 && pt == _tev_tx->payload_type());
}

void MediaSession::reset(const MediaSessionConfig& config)
{
    _local_rtp = config.local_rtp;
    _symmetric = config.symmetric_rtp;
    _sending = true;
    _rtp_timeout_ms = config.rtp_timeout_ms;
    _rtcp_interval_ns = static_cast<uint64_t>(config.rtcp_interval_ms) * ns_per_ms;
    _ntp = config.ntp_clock;
    _pk.configure(packetizer_config(config));  // cannot fail: checked
    _jb.configure(jitter_config(config));
    _remote_rtp = config.remote_rtp;
    _remote_rtcp = config.remote_rtcp.known() ? config.remote_rtcp : rtcp_of(config.remote_rtp);
    _rtcp_heard = false;
    _tev_pt = config.telephone_event_pt;
    _tev_flags = 0;
    _tev.reset(config.channel_law);
    _tev_tx->reset(law_of_payload_type(config.payload_type), config.telephone_event_pt);
    _srtp = config.srtp;  // its SrtpSession made by the caller (make_srtp_ctx)
    if (_srtp_ctx != nullptr) {
        _srtp_ctx->reset();  // a slot's earlier session's keys never serve the next
    }

    _started = false;
    _rtp_timeout_at_ns = never;
    _timed_out = false;
    _events = 0;

    _next_rtcp_ns = never;  // scheduled when the session starts
    _rng = (config.ssrc ^ config.first_timestamp ^ 0x9E3779B9u) | 1u;
    _packets_at_last_report = 0;
    _have_lsr = false;
    _lsr = 0;
    _lsr_arrival_ntp = 0;
    _rtt_us = -1;
    _far_end_report = false;
    _far_end = {};

    std::size_t n = std::strlen(config.cname);
    std::memcpy(_cname, config.cname, n);
    _cname_len = static_cast<uint8_t>(n);
    _c = {};
    _pk_c = {};
    _configured = true;
}

uint32_t MediaSession::random()
{
    // xorshift32: only spreads report times (RFC 3550 6.3.1).
    _rng ^= _rng << 13;
    _rng ^= _rng >> 17;
    _rng ^= _rng << 5;
    return _rng;
}

void MediaSession::schedule_rtcp(uint64_t now_ns, uint64_t interval_ns)
{
    // 6.3.1: "uniformly distributed between 0.5 and 1.5 times the
    // deterministic calculated interval".
    uint64_t r = random() % 1024;
    _next_rtcp_ns = now_ns + interval_ns / 2 + interval_ns * r / 1024;
}

void MediaSession::arm_rtp_timeout(uint64_t now_ns)
{
    _rtp_timeout_at_ns = _rtp_timeout_ms == 0 ? never : now_ns + static_cast<uint64_t>(_rtp_timeout_ms) * ns_per_ms;
}

bool MediaSession::make_srtp_ctx()
{
    // The slot's first SRTP session; kept for its later ones. Without
    // throwing: configure() runs on a worker.
    if (_srtp_ctx == nullptr) {
        _srtp_ctx.reset(new (std::nothrow) SrtpSession);
    }
    return _srtp_ctx != nullptr;
}

int MediaSession::set_srtp_key(SrtpDirection dir, SrtpSuite suite, const SrtpMasterKey& key)
{
    RunVisit visit(*this);
    if (!_srtp) {
        return -EINVAL;
    }
    return _srtp_ctx->set_key(dir, suite, key, _pk.ssrc());
}

int MediaSession::set_srtp_keys(SrtpSuite suite, const SrtpMasterKey& ours, const SrtpMasterKey& theirs)
{
    const int e = set_srtp_key(SrtpDirection::ours, suite, ours);
    return e != 0 ? e : set_srtp_key(SrtpDirection::theirs, suite, theirs);
}

bool MediaSession::send_protected(PacketKind kind, const uint8_t* pkt, std::size_t len, Endpoint src, Endpoint dst,
                                  PacketSink sink)
{
    if (!_srtp_ctx->can_send()) {
        _srtp_ctx->count_no_keys();
        return false;
    }
    // A copy: the packet buffers are the session's, and what they hold
    // (the RTCP report, the payload the DTMF detector heard) stays plain.
    uint8_t buf[std::max(Packetizer::max_packet, rtcp_buf_len) + srtp_max_overhead];
    if (len + srtp_max_overhead > sizeof(buf)) {
        return false;  // cannot happen: both buffers fit
    }
    std::memcpy(buf, pkt, len);
    const int n = kind == PacketKind::rtp ? _srtp_ctx->protect_rtp(buf, len, sizeof(buf))
                                          : _srtp_ctx->protect_rtcp(buf, len, sizeof(buf));
    if (n < 0) {
        return false;  // counted (its key's limit)
    }
    sink({kind, buf, static_cast<std::size_t>(n), src, dst});
    return true;
}

void MediaSession::send_rtp(const uint8_t* pkt, std::size_t len, PacketSink sink)
{
    // The counters a packet moves share one cache line (_c's first): at
    // 10,000 sessions each further line is a miss per packet.
    if (!_srtp) {
        sink({PacketKind::rtp, pkt, len, _local_rtp, _remote_rtp});
    } else if (!send_protected(PacketKind::rtp, pkt, len, _local_rtp, _remote_rtp, sink)) {
        return;
    }
    ++_c.rtp_packets_out;
    _c.rtp_payload_octets_out += len - rtp_fixed_header_len;
}

void MediaSession::send_audio_or_events(std::size_t len, PacketSink sink)
{
    // RFC 4733 3.1: DTMF detected on the circuit goes as events "instead
    // of regular audio packets"; they are counted as RTP sent (RFC 3550
    // 6.4.1's sender's packet count: every RTP data packet).
    // A packet during which the far end's DTMF played into the channel:
    // what the channel returns may be its echo.
    const bool far_end_dtmf = _tev_flags != 0;
    _tev_flags &= tev_playing;
    int n = _tev_tx->process(_rtp_buf, len, far_end_dtmf);
    if (n == 0) {
        send_rtp(_rtp_buf, len, sink);
        return;
    }
    _pk.advance_sequence(static_cast<uint16_t>(n - 1));
    for (int i = 0; i < n; ++i) {
        send_rtp(_tev_tx->packet(static_cast<std::size_t>(i)), TelephoneEventSender::packet_len, sink);
    }
}

uint32_t MediaSession::tick(const uint8_t* tdm_in8, uint8_t* tdm_out8, uint64_t now_ns, PacketSink sink)
{
    RunVisit visit(*this);
    if (!_configured) {
        return 0;
    }
    if (!_started) {
        _started = true;
        arm_rtp_timeout(now_ns);
        if (_rtcp_interval_ns != 0) {
            schedule_rtcp(now_ns, _rtcp_interval_ns / 2);
        }
    }

    // TDM -> RTP.
    if (tdm_in8 == nullptr || !_sending) {
        _pk_c.partial_dropped += _pk.skip() ? 1 : 0;
        ++_pk_c.skipped_ticks;
        _c.tdm_missing_ticks += tdm_in8 == nullptr ? 1 : 0;
    } else {
        int len = _pk.push(tdm_in8, _rtp_buf);
        if (len > 0) {
            if (!_remote_rtp.known()) {
                ++_c.rtp_unsent_no_remote;
            } else if (_tev_pt != 0) {
                send_audio_or_events(static_cast<std::size_t>(len), sink);
            } else {
                send_rtp(_rtp_buf, static_cast<std::size_t>(len), sink);
            }
        }
    }

    // RTP -> TDM. A DTMF tone (RFC 4733) replaces the audio while it
    // plays; the jitter buffer plays on underneath, keeping its timing.
    uint8_t discard[samples_per_ms];
    uint8_t* out = tdm_out8 != nullptr ? tdm_out8 : discard;
    _jb.play(out);
    if ((_tev_flags & tev_playing) != 0) {
        const bool on = _tev.play(out, static_cast<uint32_t>(now_ns / ns_per_sample));
        _tev_flags = static_cast<uint8_t>((on ? tev_playing : 0) | tev_played);
    }

    // RTP timeout: raised once (the deadline moves to never), re-armed by
    // receive_rtp(). (A packet may carry a receive time a little after
    // this tick's: its deadline is then later still.)
    if (now_ns >= _rtp_timeout_at_ns) {
        _rtp_timeout_at_ns = never;
        _timed_out = true;
        ++_c.rtp_timeouts;
        _events |= session_event_rtp_timeout;
    }

    if (now_ns >= _next_rtcp_ns) {  // never without RTCP
        send_rtcp(now_ns, sink, false);
        schedule_rtcp(now_ns, _rtcp_interval_ns);
    }

    uint32_t ev = _events;
    _events = 0;
    return ev;
}

RxVerdict MediaSession::receive_rtp(const uint8_t* pkt, std::size_t len, Endpoint src, uint64_t now_ns)
{
    // The plain run is taken in only when the packet changes what playout
    // will do or raises an event for the next tick: a duplicate, or a
    // packet refused, leaves it running (PlayoutVisit).
    PlayoutVisit visit(*this);
    if (!_configured) {
        return RxVerdict::idle;
    }
    if (!_srtp) {
        return receive_plain_rtp(pkt, len, src, now_ns, visit);
    }
    // RFC 3711 3.3: authenticated (and not a replay) before anything of it
    // is believed: the stream checks, symmetric RTP's latch, the playout.
    uint8_t buf[srtp_max_datagram];
    const int n = unprotect(PacketKind::rtp, pkt, len, buf);
    return n < 0 ? RxVerdict::srtp_refused : receive_plain_rtp(buf, static_cast<std::size_t>(n), src, now_ns, visit);
}

int MediaSession::unprotect(PacketKind kind, const uint8_t* pkt, std::size_t len, uint8_t* buf)
{
    if (!_srtp_ctx->can_receive()) {
        _srtp_ctx->count_no_keys();
        return -1;
    }
    if (len > srtp_max_datagram) {
        _srtp_ctx->count_too_long();
        return -1;
    }
    std::memcpy(buf, pkt, len);
    return kind == PacketKind::rtp ? _srtp_ctx->unprotect_rtp(buf, len) : _srtp_ctx->unprotect_rtcp(buf, len);
}

RxVerdict MediaSession::receive_plain_rtp(const uint8_t* pkt, std::size_t len, Endpoint src, uint64_t now_ns,
                                          PlayoutVisit& visit)
{
    uint32_t arrival = static_cast<uint32_t>(now_ns / ns_per_sample);
    RtpPacketView view = rtp_parse(pkt, len);
    RxVerdict v;
    if (_tev_pt != 0 && view.ok() && is_event_pt(view.header.payload_type)) {
        // RFC 4733: an event of this stream (same SSRC and sequence space),
        // played as DTMF instead of the audio while it lasts.
        visit.settle_now();
        v = _jb.receive_event(view, arrival);
        if (v == RxVerdict::accepted &&
            _tev.receive(view.header.timestamp, view.payload, view.payload_len, arrival) ==
                TelephoneEventPlayer::Verdict::started) {
            _tev_flags |= tev_playing;
        }
    } else {
        v = _jb.receive(view, arrival, visit.before_playout_change());
    }
    if (!rx_verdict_from_stream(v)) {
        return v;
    }
    if (v == RxVerdict::accepted) {
        ++_c.rtp_packets_in;
        _c.rtp_payload_octets_in += view.payload_len;
    }
    arm_rtp_timeout(now_ns);
    if (_timed_out) {
        _timed_out = false;
        _events |= session_event_rtp_resumed;
    }
    if (!(src == _remote_rtp)) {
        if (_symmetric) {
            // RFC 4961 (symmetric RTP): send to where the far end's media
            // really comes from. Our own port never changes.
            _remote_rtp = src;
            ++_c.rtp_latches;
            _events |= session_event_rtp_latched;
            if (!_rtcp_heard) {
                _remote_rtcp = rtcp_of(src);
            }
        } else {
            ++_c.rtp_stray_source;
        }
    }
    return v;
}

RtcpParseError MediaSession::receive_rtcp(const uint8_t* pkt, std::size_t len, Endpoint src, uint64_t now_ns)
{
    RunVisit visit(*this);  // a BYE is an event for the next tick
    if (!_configured) {
        return RtcpParseError::idle;
    }
    if (!_srtp) {
        return receive_plain_rtcp(pkt, len, src, now_ns);
    }
    uint8_t buf[srtp_max_datagram];
    const int n = unprotect(PacketKind::rtcp, pkt, len, buf);
    return n < 0 ? RtcpParseError::srtp_refused : receive_plain_rtcp(buf, static_cast<std::size_t>(n), src, now_ns);
}

RtcpParseError MediaSession::receive_plain_rtcp(const uint8_t* pkt, std::size_t len, Endpoint src, uint64_t now_ns)
{
    RtcpInfo info = rtcp_parse(pkt, len, _pk.ssrc());
    switch (info.error) {
    case RtcpParseError::ok:
        break;
    case RtcpParseError::too_short:
        ++_c.rtcp_too_short;
        return info.error;
    case RtcpParseError::bad_version:
        ++_c.rtcp_bad_version;
        return info.error;
    case RtcpParseError::bad_first_packet:
        ++_c.rtcp_bad_first_packet;
        return info.error;
    case RtcpParseError::bad_length:
        ++_c.rtcp_bad_length;
        return info.error;
    case RtcpParseError::bad_padding:
        ++_c.rtcp_bad_padding;
        return info.error;
    case RtcpParseError::idle:
    case RtcpParseError::srtp_refused:
        return info.error;  // rtcp_parse() never says so
    }
    ++_c.rtcp_packets_in;
    _rtcp_heard = true;
    if (_symmetric && !(src == _remote_rtcp)) {
        _remote_rtcp = src;
        ++_c.rtcp_latches;
    }
    uint64_t ntp_now = _ntp.at(now_ns);
    if (info.has_sender_info) {
        // 6.4.1 LSR: "The middle 32 bits out of 64 in the NTP timestamp
        // received as part of the most recent RTCP sender report (SR) packet
        // from source SSRC_n"; DLSR counts from its arrival.
        _have_lsr = true;
        _lsr = ntp_middle32(info.sender_info.ntp);
        _lsr_arrival_ntp = ntp_now;
    }
    if (info.has_block) {
        _far_end_report = true;
        _far_end = info.block;
        int64_t rtt = rtcp_round_trip(ntp_middle32(ntp_now), info.block.lsr, info.block.dlsr);
        if (rtt >= 0) {
            _rtt_us = static_cast<int64_t>(ntp_short_to_us(static_cast<uint32_t>(rtt)));
            ++_c.rtt_samples;
        }
    }
    if (info.bye) {
        ++_c.rtcp_bye_in;
        _events |= session_event_rtcp_bye;
    }
    return info.error;
}

int MediaSession::build_report(uint64_t now_ns, uint8_t* out, std::size_t cap)
{
    uint64_t ntp_now = _ntp.at(now_ns);
    ReportBlock block;
    std::size_t nblocks = 0;
    ReceiverStats& rs = _jb.stats();
    // 6.4: one block per source heard "since the last report".
    if (rs.valid() && rs.received_since_report() > 0) {
        uint32_t lsr = _have_lsr ? _lsr : 0;
        // 6.4.1 DLSR: "expressed in units of 1/65536 seconds ... If no SR
        // packet has been received yet from SSRC_n, the DLSR field is set to
        // zero."
        uint32_t dlsr = _have_lsr ? static_cast<uint32_t>((ntp_now - _lsr_arrival_ntp) >> 16) : 0;
        block = rs.take_report_block(lsr, dlsr);
        nblocks = 1;
    }
    int len;
    // 6.4: SR when we sent RTP since the last report, else RR.
    if (_c.rtp_packets_out != _packets_at_last_report) {
        SenderInfo si;
        si.ssrc = _pk.ssrc();
        si.ntp = ntp_now;
        si.rtp_timestamp = _pk.next_timestamp();  // "the same time as the NTP timestamp"
        // 6.4.1: "The total number of RTP data packets transmitted by the
        // sender" and "payload octets ... transmitted": packets due while no
        // remote was known were not transmitted.
        si.packet_count = static_cast<uint32_t>(_c.rtp_packets_out);
        si.octet_count = static_cast<uint32_t>(_c.rtp_payload_octets_out);
        len = rtcp_build_sr(si, &block, nblocks, out, cap);
    } else {
        len = rtcp_build_rr(_pk.ssrc(), &block, nblocks, out, cap);
    }
    _packets_at_last_report = _c.rtp_packets_out;
    if (len < 0) {
        return len;
    }
    // 6.1: "Each compound RTCP packet MUST include ... the CNAME item".
    int sdes = rtcp_build_sdes_cname(_pk.ssrc(), _cname, _cname_len, out + len, cap - static_cast<std::size_t>(len));
    if (sdes < 0) {
        return sdes;
    }
    return len + sdes;
}

void MediaSession::send_rtcp(uint64_t now_ns, PacketSink sink, bool bye)
{
    if (!_remote_rtcp.known()) {
        ++_c.rtcp_unsent_no_remote;
        return;
    }
    int len = build_report(now_ns, _rtcp_buf, sizeof(_rtcp_buf));
    if (len < 0) {
        return;  // cannot happen: the buffer holds the largest report
    }
    if (bye) {
        int b = rtcp_build_bye(_pk.ssrc(), _rtcp_buf + len, sizeof(_rtcp_buf) - static_cast<std::size_t>(len));
        if (b > 0) {
            len += b;
        }
    }
    if (!_srtp) {
        sink({PacketKind::rtcp, _rtcp_buf, static_cast<std::size_t>(len), local_rtcp(), _remote_rtcp});
    } else if (!send_protected(PacketKind::rtcp, _rtcp_buf, static_cast<std::size_t>(len), local_rtcp(), _remote_rtcp,
                               sink)) {
        return;
    }
    ++_c.rtcp_packets_out;
}

void MediaSession::send_bye(uint64_t now_ns, PacketSink sink)
{
    RunVisit visit(*this);  // the report counts what was sent and played
    if (!_configured) {
        return;
    }
    send_rtcp(now_ns, sink, true);
}

MediaSessionStats MediaSession::stats() const
{
    MediaSessionStats s;
    s.session = _c;
    s.jitter_buffer = _jb.counters();
    // The one counter a plain tick moves.
    (plain_run_silent() ? s.jitter_buffer.silence_ticks : s.jitter_buffer.played_ticks) += plain_ticks_pending();
    s.packetizer = _pk_c;
    s.telephone_events = _tev.counters();
    s.telephone_events_sent = _tev_tx->counters();
    if (_srtp_ctx != nullptr) {
        s.srtp = _srtp_ctx->counters();
        s.srtp_suite = _srtp_ctx->suite();
    }
    const ReceiverStats& rs = _jb.stats();
    if (rs.valid()) {
        s.lost = rs.cumulative_lost();
        s.expected = rs.expected();
    }
    s.jitter_ts = rs.jitter();
    s.jitter_us = static_cast<uint32_t>(static_cast<uint64_t>(rs.jitter_x16()) * ns_per_sample / 16 / 1000);
    s.rtt_us = _rtt_us;
    s.delay_ms = _jb.delay_samples() / samples_per_ms;
    s.target_delay_ms = _jb.target_samples() / samples_per_ms;
    s.far_end_report = _far_end_report;
    s.far_end = _far_end;
    s.remote_rtp = _remote_rtp;
    s.remote_rtcp = _remote_rtcp;
    s.rtp_timed_out = _timed_out;
    return s;
}

}  // namespace trunkgw::media
