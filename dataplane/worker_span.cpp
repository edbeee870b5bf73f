// A span inside its worker; see worker_span.h.
#include "dataplane/worker_span.h"

#include <cstring>

#include "tdm/g711/g711.h"

namespace trunkgw::dataplane {

namespace {

tdm::PseudowireConfig line_config(const config::Span& cfg)
{
    tdm::PseudowireConfig c;
    c.mode = cfg.pseudowire.mode == config::PseudowireMode::satop ? tdm::PwMode::satop : tdm::PwMode::cesopsn;
    c.line.type = cfg.type == config::SpanType::e1 ? tdm::LineType::e1 : tdm::LineType::t1;
    c.line.crc4 = cfg.crc4;
    c.line.t1_framing = cfg.framing == config::T1Framing::d4 ? tdm::T1Framing::d4 : tdm::T1Framing::esf;
    c.frames_per_packet = cfg.pseudowire.frames_per_packet;
    c.jitter_target_packets = cfg.pseudowire.jitter_packets;
    uint32_t cap = 2;
    while (cap < 2 * c.jitter_target_packets || cap < 16) {
        cap *= 2;
    }
    c.jitter_capacity_packets = cap;
    c.timeslots = cfg.pseudowire.timeslots;
    // RFC 4553 5.2: the initial sequence number SHOULD be random.
    c.first_sequence = static_cast<uint16_t>(api::mono_ns() ^ (cfg.id * 2654435761u));
    return c;
}

}  // namespace

WorkerSpan::WorkerSpan(uint32_t span_index, const config::Span& cfg, PortIo* port, api::Segment& segment)
    : _index(span_index), _block(segment.span(span_index)), _port(port),
      _e1(cfg.type == config::SpanType::e1),
      _dchannel_ts(!cfg.has_dchannel() ? 0 : _e1 ? 16 : 24),
      // G.711 silence: A-law on E1, u-law on T1 lines.
      _idle(cfg.type == config::SpanType::e1 ? tdm::g711::alaw_silence : tdm::g711::ulaw_silence),
      _dchan(on_dchannel_frame, this),
      _to_control(segment.ring_at(segment.span(span_index).dchan_rx_off)),
      _from_control(segment.ring_at(segment.span(span_index).dchan_tx_off))
{
    std::memset(_tx, _idle, sizeof(_tx));
    if (cfg.has_pseudowire && port != nullptr) {
        _remote_ipv4 = cfg.pseudowire.remote_ipv4;
        _local_udp_port = cfg.pseudowire.local_udp_port;
        _remote_udp_port = cfg.pseudowire.remote_udp_port;
        _line = std::make_unique<tdm::PseudowireSpan>(line_config(cfg), *this);
        _line->open();
    }
}

void WorkerSpan::send(const uint8_t* pkt, std::size_t len)
{
    PortIo::UdpSend to;
    to.dst_ip = _remote_ipv4;
    to.src_port = _local_udp_port;
    to.dst_port = _remote_udp_port;
    if (_port->send_udp(to, pkt, len, _now_ns) == -EHOSTUNREACH) {
        ++_tx_no_route;
    }
}

void WorkerSpan::on_dchannel_frame(void* user, const uint8_t* frame, std::size_t len)
{
    auto* self = static_cast<WorkerSpan*>(user);
    api::DchanFrame f{};
    f.len = static_cast<uint16_t>(len);
    f.seq = ++self->_dchan_seq;
    f.mono_ns = self->_now_ns;
    std::memcpy(f.data, frame, len);
    if (!self->_to_control.push(f)) {
        ++self->_dchan_ring_full;
    }
}

bool WorkerSpan::tick(uint64_t now_ns)
{
    _now_ns = now_ns;
    if (_line != nullptr) {
        if (_dchannel_ts == 0) {
            // An NFAS span: its D-channel is on another span, TS24 is a
            // B-channel like the others.
            _line->advance(8, _tx, _rx);
            return publish();
        }
        // Frames queued by control (Q.921 from libpri) go to HDLC.
        api::DchanFrame f;
        while (_dchan.tx_pending() < 4 && _from_control.pop(f)) {
            if (_dchan.tx_queue_frame(f.data, f.len) != 0) {
                ++_dchan_ring_full;
            }
        }
        uint8_t d[8];
        _dchan.tx_octets(d, 8);
        for (uint32_t i = 0; i < 8; ++i) {
            _tx[i * tdm::span_frame_octets + _dchannel_ts] = d[i];
        }
        _line->advance(8, _tx, _rx);
        for (uint32_t i = 0; i < 8; ++i) {
            d[i] = _rx[i * tdm::span_frame_octets + _dchannel_ts];
        }
        _dchan.rx_octets(d, 8);
    }
    return publish();
}

bool WorkerSpan::publish()
{
    auto& m = _block.mirror;
    api::SpanOperState st = api::SpanOperState::starting;
    uint32_t alarms = 0;
    if (_line != nullptr) {
        alarms = _line->alarms();
        st = alarms == 0 ? api::SpanOperState::up : api::SpanOperState::alarm;
    }
    // This worker is the mirror's only writer: plain loads, and a store only
    // on a change (a locked exchange per span per tick cost more than the
    // span's line).
    bool changed = false;
    uint32_t old = m.oper_state.load(std::memory_order_relaxed);
    // An administratively down span stays down whatever its line does.
    if (old != static_cast<uint32_t>(api::SpanOperState::down) && old != static_cast<uint32_t>(st)) {
        m.state_changes.fetch_add(1, std::memory_order_relaxed);
        m.oper_state.store(static_cast<uint32_t>(st), std::memory_order_release);
        changed = true;
    }
    if (m.alarms.load(std::memory_order_relaxed) != alarms) {
        m.alarms.store(alarms, std::memory_order_release);
        changed = true;
    }
    // Counters every 10 ms (control reads them at human or scrape pace); a
    // span without a line has nothing that moves after the first.
    if (_line != nullptr ? ++_ticks_since_publish >= counter_publish_ticks : !_published_once) {
        _block.counters.publish(counter_values());
        _ticks_since_publish = 0;
        _published_once = true;
    }
    return changed;
}

api::SpanCounterValues WorkerSpan::counter_values() const
{
    api::SpanCounterValues v{};
    if (_line == nullptr) {
        return v;
    }
    tdm::SpanCounters c = _line->counters();
    const tdm::HdlcCounters& h = _dchan.counters();
    auto set = [&v](api::SpanCounter k, uint64_t x) { v[static_cast<std::size_t>(k)] = x; };
    set(api::SpanCounter::frames, c.line.frames);
    set(api::SpanCounter::framing_errors, c.line.framing_errors);
    set(api::SpanCounter::crc_errors, c.line.crc_errors);
    set(api::SpanCounter::far_end_errors, c.line.far_end_errors);
    set(api::SpanCounter::lof_events, c.line.lof_events);
    set(api::SpanCounter::lomf_events, c.line.lomf_events);
    set(api::SpanCounter::los_events, c.line.los_events);
    set(api::SpanCounter::ais_events, c.line.ais_events);
    set(api::SpanCounter::rai_events, c.line.rai_events);
    set(api::SpanCounter::rx_frames_filled, c.rx_frames_filled);
    set(api::SpanCounter::rx_frames_dropped, c.rx_frames_dropped);
    set(api::SpanCounter::pw_packets_rx, c.pw_packets_rx);
    set(api::SpanCounter::pw_packets_tx, c.pw_packets_tx);
    set(api::SpanCounter::pw_malformed, c.pw_malformed);
    set(api::SpanCounter::pw_lost, c.pw_lost);
    set(api::SpanCounter::pw_reordered, c.pw_reordered);
    set(api::SpanCounter::pw_duplicate, c.pw_duplicate);
    set(api::SpanCounter::pw_late, c.pw_late);
    set(api::SpanCounter::pw_slips, c.pw_slips);
    set(api::SpanCounter::pw_l_bit_rx, c.pw_l_bit_rx);
    set(api::SpanCounter::pw_r_bit_rx, c.pw_r_bit_rx);
    set(api::SpanCounter::pw_jitter_depth, c.pw_jitter_depth);
    set(api::SpanCounter::pw_tx_no_route, _tx_no_route);
    set(api::SpanCounter::dchan_frames_rx, h.frames_rx);
    set(api::SpanCounter::dchan_frames_tx, h.frames_tx);
    set(api::SpanCounter::dchan_crc_errors, h.crc_errors);
    set(api::SpanCounter::dchan_aborts, h.aborts);
    set(api::SpanCounter::dchan_overlong, h.overlong);
    set(api::SpanCounter::dchan_ring_full, _dchan_ring_full);
    return v;
}

}  // namespace trunkgw::dataplane
