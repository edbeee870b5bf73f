// A worker's RTP sessions; see worker_sessions.h.
#include "dataplane/worker_sessions.h"

#include <cerrno>
#include <cstring>

#include "dataplane/worker_span.h"
#include "tdm/span/span_driver.h"
#include "tdm/span/timeslot_words.h"

namespace trunkgw::dataplane {

namespace {

using api::SessionCounter;

constexpr bool same_bit(api::SessionEventBit a, media::SessionEvent b)
{
    return static_cast<uint32_t>(a) == static_cast<uint32_t>(b);
}
static_assert(same_bit(api::session_event_rtp_timeout, media::session_event_rtp_timeout) &&
              same_bit(api::session_event_rtp_resumed, media::session_event_rtp_resumed) &&
              same_bit(api::session_event_rtp_latched, media::session_event_rtp_latched) &&
              same_bit(api::session_event_rtcp_bye, media::session_event_rtcp_bye));

// Counters reach the segment about once a second per session, spread over
// the second so that no tick publishes them all.
constexpr uint64_t publish_period_ticks = 1000;

media::MediaSessionLimits limits_of(const config::Media& m)
{
    media::MediaSessionLimits l;
    l.max_jitter_delay_ms = m.jitter_max_delay_ms;
    l.max_cname_len = 32;
    return l;
}

media::NtpClock wall_clock_now()
{
    timespec mono{};
    timespec real{};
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    media::NtpClock c;
    c.ref_ns = static_cast<uint64_t>(mono.tv_sec) * 1000000000ull + static_cast<uint64_t>(mono.tv_nsec);
    c.ref_ntp = media::ntp_from_unix_ns(static_cast<uint64_t>(real.tv_sec) * 1000000000ull +
                                        static_cast<uint64_t>(real.tv_nsec));
    return c;
}

}  // namespace

WorkerSessions::WorkerSessions(uint32_t worker_index, api::Segment& segment, const config::Config& cfg,
                               std::vector<PortIo*> ports, UdpDispatch* dispatch, EventSink events)
    : _worker(worker_index), _segment(segment),
      _first_slot(worker_index * segment.header().sessions_per_worker), _ports(std::move(ports)),
      _dispatch(dispatch), _events(events), _media(cfg.media), _ntp(wall_clock_now()),
      _pool(segment.header().sessions_per_worker, limits_of(cfg.media)),
      _slots(segment.header().sessions_per_worker), _span_pos_of(segment.header().n_spans, -1),
      _by_port(new int32_t[65536]())
{
    _unjoined.reserve(_slots.size());
    for (auto& s : _slots) {
        s.owner = this;
    }
}

void WorkerSessions::add_span(uint32_t span_index, WorkerSpan* span)
{
    _span_pos_of[span_index] = static_cast<int32_t>(_spans.size());
    SpanRef r{};
    r.span_index = span_index;
    r.span = span;
    r.idle = span->idle_code();
    r.law = span->is_e1() ? media::Law::alaw : media::Law::ulaw;
    r.session.fill(-1);
    r.runs = std::make_unique<media::PlainRun[]>(r.session.size());
    _spans.push_back(std::move(r));
}

int32_t WorkerSessions::pool_index(uint32_t session_index) const
{
    if (session_index < _first_slot || session_index - _first_slot >= _slots.size()) {
        return -ERANGE;
    }
    return static_cast<int32_t>(session_index - _first_slot);
}

int WorkerSessions::create(const api::SessionCreatePayload& p, uint64_t now_ns)
{
    int32_t idx = pool_index(p.session_index);
    if (idx < 0) {
        return idx;
    }
    if (_pool.acquired(idx)) {
        return -EBUSY;
    }
    // The local address picks the port queue the session sends on.
    PortIo* port = nullptr;
    for (PortIo* io : _ports) {
        for (uint32_t a = 0; a < io->interface().ipv4_count; ++a) {
            if (io->interface().ipv4[a] == p.local_ipv4) {
                port = io;
            }
        }
    }
    if (port == nullptr) {
        return -EADDRNOTAVAIL;
    }
    if (p.local_port == 0 || p.local_port % 2 != 0) {
        return -EINVAL;
    }
    // The channel: one of this worker's spans, a bearer timeslot, free.
    int32_t span_pos = -1;
    uint32_t ts = 0;
    media::Law law = media::Law::alaw;
    if (p.channel_index != 0) {
        uint32_t ch = p.channel_index - 1;
        if (ch >= _segment.header().n_channels) {
            return -ENOENT;
        }
        const api::ChannelMirror& cm = _segment.channel(ch);
        span_pos = _span_pos_of[cm.span_index];
        if (span_pos < 0) {
            return -ENOENT;
        }
        ts = cm.timeslot;
        const SpanRef& sr = _spans[static_cast<std::size_t>(span_pos)];
        if (ts == _segment.span(cm.span_index).mirror.dchannel_ts) {
            return -EINVAL;  // the D-channel carries no voice
        }
        if ((sr.joined_mask & (1u << ts)) != 0) {
            return -EALREADY;
        }
        law = sr.law;
    }

    media::MediaSessionConfig mc;
    mc.payload_type = p.payload_type;
    mc.channel_law = law;
    mc.ptime_ms = p.ptime_ms;
    mc.ssrc = p.ssrc;
    mc.first_sequence = p.first_sequence;
    mc.first_timestamp = p.first_timestamp;
    mc.jitter_mode = (p.flags & api::session_adaptive_jitter) != 0 ? media::JitterMode::adaptive
                                                                    : media::JitterMode::fixed;
    mc.jitter_delay_ms = p.jitter_delay_ms;
    mc.jitter_max_delay_ms = p.jitter_max_delay_ms;
    mc.rtp_timeout_ms = p.rtp_timeout_ms;
    mc.symmetric_rtp = (p.flags & api::session_symmetric_rtp) != 0;
    mc.rtcp_interval_ms = p.rtcp_interval_ms;
    mc.telephone_event_pt = p.telephone_event_pt;
    mc.srtp = (p.flags & api::session_srtp) != 0;
    mc.local_rtp = {p.local_ipv4, p.local_port};
    mc.remote_rtp = {p.remote_ipv4, p.remote_port};
    mc.cname = "trunkgw";
    mc.ntp_clock = _ntp;
    media::ConfigCheck chk = media::MediaSession::check(mc, _pool.limits());
    if (chk.error != 0) {
        return chk.error;
    }
    // Both ports, RTP and RTCP, across all workers.
    if (_dispatch->bind(p.local_port, _worker) != 0) {
        return -EADDRINUSE;
    }
    if (_dispatch->bind(static_cast<uint16_t>(p.local_port + 1), _worker) != 0) {
        _dispatch->unbind(p.local_port);
        return -EADDRINUSE;
    }
    _pool.acquire_at(idx);
    media::MediaSession& s = _pool.at(idx);
    s.configure(mc, now_ns);  // checked above
    s.set_sending((p.flags & api::session_send) != 0);

    Slot& slot = _slots[static_cast<std::size_t>(idx)];
    slot.port = port;
    slot.local_ipv4 = p.local_ipv4;
    slot.local_port = p.local_port;
    slot.dscp = p.dscp;
    slot.tx_no_route = 0;
    slot.offered_remote = {p.remote_ipv4, p.remote_port};
    slot.joined = span_pos >= 0;
    _by_port[p.local_port] = idx + 1;         // RTP
    _by_port[p.local_port + 1] = -(idx + 1);  // RTCP (RFC 3550 11: the next port)
    if (slot.joined) {
        slot.span_pos = static_cast<uint32_t>(span_pos);
        slot.timeslot = ts;
        SpanRef& sr = _spans[static_cast<std::size_t>(span_pos)];
        sr.joined_mask |= 1u << ts;
        sr.session[ts] = idx;
        s.attach_plain_run(&sr.runs[ts]);
    } else {
        slot.unjoined_pos = static_cast<uint32_t>(_unjoined.size());
        _unjoined.push_back(idx);
    }

    api::SessionMirror& m = _segment.session(p.session_index).mirror;
    m.channel_index.store(p.channel_index, std::memory_order_relaxed);
    m.local_ipv4.store(p.local_ipv4, std::memory_order_relaxed);
    m.local_port.store(p.local_port, std::memory_order_relaxed);
    m.remote_ipv4.store(p.remote_ipv4, std::memory_order_relaxed);
    m.remote_port.store(p.remote_port, std::memory_order_relaxed);
    m.payload_type.store(p.payload_type, std::memory_order_relaxed);
    m.ssrc.store(p.ssrc, std::memory_order_relaxed);
    m.flags.store(p.flags, std::memory_order_relaxed);
    m.ptime_ms.store(p.ptime_ms, std::memory_order_relaxed);
    m.rtp_timed_out.store(0, std::memory_order_relaxed);
    m.created_mono_ns.store(now_ns, std::memory_order_relaxed);
    m.generation.fetch_add(1, std::memory_order_relaxed);
    if (slot.joined) {
        _segment.channel(p.channel_index - 1).session_index.store(p.session_index + 1, std::memory_order_relaxed);
        _segment.channel(p.channel_index - 1).state.store(static_cast<uint32_t>(api::ChannelState::busy),
                                                          std::memory_order_relaxed);
    }
    publish(idx);
    m.state.store(static_cast<uint32_t>(api::SessionState::active), std::memory_order_release);
    ++_c.creates;
    return 0;
}

int WorkerSessions::modify(const api::SessionModifyPayload& p)
{
    const int32_t idx = active_index(p.session_index);
    if (idx < 0) {
        return idx;
    }
    const bool set_te = (p.flags & api::session_set_telephone_event) != 0;
    if (set_te && p.telephone_event_pt != 0 && !media::is_dynamic_payload_type(p.telephone_event_pt)) {
        return -EINVAL;  // refused whole, before anything changes
    }
    media::MediaSession& s = _pool.at(idx);
    Slot& slot = _slots[static_cast<std::size_t>(idx)];
    // Only a new address from signaling moves the remote: a hold or resume
    // that repeats the old one must keep what symmetric RTP latched onto
    // (a far end behind NAT).
    media::Endpoint offered{p.remote_ipv4, p.remote_port};
    if (!(offered == slot.offered_remote)) {
        // A remote the session cannot send to refuses the whole command
        // (the session keeps its remote and its sending state).
        if (int rc = s.set_remote(offered, (p.flags & api::session_symmetric_rtp) != 0); rc != 0) {
            return rc;
        }
        slot.offered_remote = offered;
    }
    if (set_te) {
        (void)s.set_telephone_event_send_pt(p.telephone_event_pt);  // checked above
    }
    s.set_sending((p.flags & api::session_send) != 0);
    api::SessionMirror& m = _segment.session(p.session_index).mirror;
    m.remote_ipv4.store(s.remote_rtp().ipv4, std::memory_order_relaxed);
    m.remote_port.store(s.remote_rtp().port, std::memory_order_relaxed);
    uint32_t keep = m.flags.load(std::memory_order_relaxed) & (api::session_adaptive_jitter | api::session_srtp);
    m.flags.store(keep | (p.flags & (api::session_send | api::session_symmetric_rtp)), std::memory_order_relaxed);
    return 0;
}

int32_t WorkerSessions::active_index(uint32_t session_index) const
{
    const int32_t idx = pool_index(session_index);
    if (idx < 0) {
        return idx;
    }
    return _pool.acquired(idx) ? idx : -ENOENT;
}

int WorkerSessions::srtp_key(const api::SessionSrtpPayload& p)
{
    const int32_t idx = active_index(p.session_index);
    if (idx < 0) {
        return idx;
    }
    const auto suite = static_cast<media::SrtpSuite>(p.suite);
    if (media::srtp_suite_name(suite).empty() || p.direction > static_cast<uint8_t>(media::SrtpDirection::theirs)) {
        return -EINVAL;
    }
    media::SrtpMasterKey key;
    static_assert(sizeof(p.master) == key.size());
    std::copy(std::begin(p.master), std::end(p.master), key.begin());
    const int rc = _pool.at(idx).set_srtp_key(static_cast<media::SrtpDirection>(p.direction), suite, key);
    explicit_bzero(key.data(), key.size());
    return rc;
}

void WorkerSessions::unjoin(int32_t idx)
{
    Slot& slot = _slots[static_cast<std::size_t>(idx)];
    if (slot.joined) {
        SpanRef& sr = _spans[slot.span_pos];
        sr.joined_mask &= ~(1u << slot.timeslot);
        sr.session[slot.timeslot] = -1;
        _pool.at(idx).attach_plain_run(nullptr);
        // The channel goes back to idle code (G.711 silence of its law).
        uint8_t* tx = sr.span->tx_frames();
        for (uint32_t f = 0; f < 8; ++f) {
            tx[f * tdm::span_frame_octets + slot.timeslot] = sr.idle;
        }
        slot.joined = false;
        return;
    }
    // Swap-remove from the unjoined list.
    int32_t last = _unjoined.back();
    _unjoined[slot.unjoined_pos] = last;
    _slots[static_cast<std::size_t>(last)].unjoined_pos = slot.unjoined_pos;
    _unjoined.pop_back();
}

int WorkerSessions::remove(const api::SessionDeletePayload& p, uint64_t now_ns)
{
    const int32_t idx = active_index(p.session_index);
    if (idx < 0) {
        return idx;
    }
    Slot& slot = _slots[static_cast<std::size_t>(idx)];
    media::MediaSession& s = _pool.at(idx);
    _now_ns = now_ns;
    if (p.send_bye != 0) {
        s.send_bye(now_ns, {on_packet, &slot});
    }
    api::SessionMirror& m = _segment.session(p.session_index).mirror;
    uint32_t ch = m.channel_index.load(std::memory_order_relaxed);
    if (ch != 0) {
        _segment.channel(ch - 1).session_index.store(0, std::memory_order_relaxed);
        _segment.channel(ch - 1).state.store(static_cast<uint32_t>(api::ChannelState::idle),
                                             std::memory_order_relaxed);
    }
    unjoin(idx);
    _by_port[slot.local_port] = 0;
    _by_port[slot.local_port + 1] = 0;
    _dispatch->unbind(slot.local_port);
    _dispatch->unbind(static_cast<uint16_t>(slot.local_port + 1));
    publish(idx);  // the final figures stay readable until the slot is reused
    _pool.release(idx);
    m.channel_index.store(0, std::memory_order_relaxed);
    m.state.store(static_cast<uint32_t>(api::SessionState::free), std::memory_order_release);
    ++_c.deletes;
    return 0;
}

bool WorkerSessions::receive(const net::Verdict& v, const uint8_t* frame, uint64_t now_ns)
{
    int32_t e = _by_port[v.dst_port];
    if (e == 0) {
        return false;
    }
    // The sign says RTP or RTCP, so a packet does not read its session's
    // slot (a cache line of its own) to compare ports.
    int32_t idx = (e > 0 ? e : -e) - 1;
    media::MediaSession& s = _pool.at(idx);
    media::Endpoint src{v.src_ip, v.src_port};
    if (e > 0) {
        ++_c.rtp_rx;
        s.receive_rtp(frame + v.payload_offset, v.payload_len, src, now_ns);
    } else {
        ++_c.rtcp_rx;
        s.receive_rtcp(frame + v.payload_offset, v.payload_len, src, now_ns);
    }
    return true;
}

void WorkerSessions::on_packet(void* user, const media::TxPacket& pkt)
{
    auto* slot = static_cast<Slot*>(user);
    PortIo::UdpSend to;
    to.src_ip = pkt.src.ipv4;
    to.dst_ip = pkt.dst.ipv4;
    to.src_port = pkt.src.port;
    to.dst_port = pkt.dst.port;
    to.dscp = slot->dscp;
    if (slot->port->send_udp(to, pkt.data, pkt.len, slot->owner->_now_ns) == -EHOSTUNREACH) {
        ++slot->tx_no_route;
    }
}

void WorkerSessions::handle_events(int32_t idx, uint32_t events)
{
    media::MediaSession& s = _pool.at(idx);
    uint32_t global = _first_slot + static_cast<uint32_t>(idx);
    api::SessionMirror& m = _segment.session(global).mirror;
    if ((events & media::session_event_rtp_latched) != 0) {
        m.remote_ipv4.store(s.remote_rtp().ipv4, std::memory_order_relaxed);
        m.remote_port.store(s.remote_rtp().port, std::memory_order_relaxed);
    }
    m.rtp_timed_out.store(s.rtp_timed_out() ? 1 : 0, std::memory_order_relaxed);
    api::SessionEventPayload e{global, events, s.remote_rtp().ipv4, s.remote_rtp().port};
    _events.fn(_events.user, api::make_message(api::MsgType::evt_session_event, ++_event_seq, e));
}

void WorkerSessions::tick_span(uint32_t span_pos, const uint8_t* rx, uint8_t* tx, uint64_t now_ns)
{
    _now_ns = now_ns;
    SpanRef& sr = _spans[span_pos];
    uint32_t mask = sr.joined_mask;
    if (mask == 0) {
        return;
    }
    // Each session takes its timeslot's 8 octets and plays 8 back: the
    // span's millisecond transposed to one word per timeslot and back
    // (tdm/span/timeslot_words.h), rather than 16 single-octet accesses per
    // session. The words read from tx keep the octets of timeslots without
    // a session (the D-channel, TS0, idle channels) as they were.
    alignas(64) uint64_t in[tdm::timeslot_words_per_ms];
    alignas(64) uint64_t out[tdm::timeslot_words_per_ms];
    tdm::frames_to_timeslot_words(rx, in);
    tdm::frames_to_timeslot_words(tx, out);
    _c.session_ticks += static_cast<uint64_t>(__builtin_popcount(mask));
    while (mask != 0) {
        auto ts = static_cast<uint32_t>(__builtin_ctz(mask));
        mask &= mask - 1;
        auto* in8 = reinterpret_cast<const uint8_t*>(&in[ts]);
        auto* out8 = reinterpret_cast<uint8_t*>(&out[ts]);
        if (media::plain_tick(sr.runs[ts], in8, out8, now_ns)) {
            ++_c.plain_ticks;
            continue;
        }
        int32_t idx = sr.session[ts];
        uint32_t ev = _pool.at(idx).tick(in8, out8, now_ns, {on_packet, &_slots[static_cast<std::size_t>(idx)]});
        if (ev != 0) {
            handle_events(idx, ev);
        }
    }
    tdm::timeslot_words_to_frames(out, tx);
}

void WorkerSessions::tick_unjoined(uint64_t now_ns, uint64_t tick_number)
{
    _now_ns = now_ns;
    for (int32_t idx : _unjoined) {
        uint32_t ev = _pool.at(idx).tick(nullptr, nullptr, now_ns, {on_packet, &_slots[static_cast<std::size_t>(idx)]});
        if (ev != 0) {
            handle_events(idx, ev);
        }
    }
    for (std::size_t i = tick_number % publish_period_ticks; i < _slots.size(); i += publish_period_ticks) {
        if (_pool.acquired(static_cast<int32_t>(i))) {
            publish(static_cast<int32_t>(i));
        }
    }
}

void WorkerSessions::publish(int32_t idx)
{
    const media::MediaSession& s = _pool.at(idx);
    media::MediaSessionStats st = s.stats();
    const Slot& slot = _slots[static_cast<std::size_t>(idx)];
    api::SessionCounterValues v{};
    auto set = [&v](SessionCounter k, uint64_t x) { v[static_cast<std::size_t>(k)] = x; };
    const auto& c = st.session;
    const auto& jb = st.jitter_buffer;
    set(SessionCounter::rtp_packets_out, c.rtp_packets_out);
    set(SessionCounter::rtp_octets_out, c.rtp_payload_octets_out);
    set(SessionCounter::rtp_packets_in, c.rtp_packets_in);
    set(SessionCounter::rtp_octets_in, c.rtp_payload_octets_in);
    set(SessionCounter::rtp_unsent_no_remote, c.rtp_unsent_no_remote);
    set(SessionCounter::rtp_tx_no_route, slot.tx_no_route);
    set(SessionCounter::rtp_stray_source, c.rtp_stray_source);
    set(SessionCounter::rtp_latches, c.rtp_latches);
    set(SessionCounter::rtcp_latches, c.rtcp_latches);
    set(SessionCounter::rtp_timeouts, c.rtp_timeouts);
    set(SessionCounter::rtp_too_short, jb.too_short);
    set(SessionCounter::rtp_bad_version, jb.bad_version);
    set(SessionCounter::rtp_bad_extension, jb.bad_extension);
    set(SessionCounter::rtp_bad_padding, jb.bad_padding);
    set(SessionCounter::rtp_bad_payload_type, jb.bad_payload_type);
    set(SessionCounter::rtp_oversize, jb.oversize);
    set(SessionCounter::rtp_stale_ssrc, jb.stale_ssrc);
    set(SessionCounter::rtp_seq_jump, jb.seq_jump);
    set(SessionCounter::rtp_duplicate, jb.duplicate);
    set(SessionCounter::rtp_late, jb.late);
    set(SessionCounter::rtp_overflow, jb.overflow);
    set(SessionCounter::rtp_reordered, jb.reordered);
    set(SessionCounter::rtp_ssrc_changes, jb.ssrc_changes);
    set(SessionCounter::played_ms, jb.played_ticks);
    set(SessionCounter::concealed_ms, jb.concealed_ticks);
    set(SessionCounter::silence_ms, jb.silence_ticks);
    set(SessionCounter::rtcp_packets_out, c.rtcp_packets_out);
    set(SessionCounter::rtcp_packets_in, c.rtcp_packets_in);
    set(SessionCounter::rtcp_malformed, c.rtcp_too_short + c.rtcp_bad_version + c.rtcp_bad_first_packet +
                                            c.rtcp_bad_length + c.rtcp_bad_padding);
    set(SessionCounter::rtcp_bye_in, c.rtcp_bye_in);
    set(SessionCounter::lost, static_cast<uint64_t>(st.lost));
    set(SessionCounter::expected, st.expected);
    set(SessionCounter::jitter_us, st.jitter_us);
    set(SessionCounter::rtt_us, st.rtt_us < 0 ? 0 : static_cast<uint64_t>(st.rtt_us));
    set(SessionCounter::delay_ms, st.delay_ms);
    set(SessionCounter::jitter_grow_ms, jb.grow_steps);
    set(SessionCounter::jitter_shrink_ms, jb.shrink_steps);
    set(SessionCounter::rtp_events_in, jb.events);
    set(SessionCounter::dtmf_played, st.telephone_events.events);
    set(SessionCounter::rtp_events_unsupported, st.telephone_events.unsupported);
    set(SessionCounter::rtp_events_out, st.telephone_events_sent.packets);
    set(SessionCounter::dtmf_detected, st.telephone_events_sent.events);
    set(SessionCounter::srtp_auth_failed, st.srtp.auth_failed);
    set(SessionCounter::srtp_replayed, st.srtp.replayed);
    set(SessionCounter::srtp_failed, st.srtp.failed);
    set(SessionCounter::srtp_no_keys, st.srtp.no_keys);
    _segment.session(_first_slot + static_cast<uint32_t>(idx)).counters.publish(v);
}

}  // namespace trunkgw::dataplane
