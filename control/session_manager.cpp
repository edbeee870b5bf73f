// RTP sessions from control's side; see session_manager.h.
#include "control/session_manager.h"

#include <algorithm>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "dataplane/media/g711_codec.h"
#include "dataplane/net/ipv4.h"

namespace trunkgw::control {

namespace {

// Why a telephone-event PT cannot be used, or empty (0: none).
std::string telephone_event_refusal(uint8_t pt)
{
    if (pt == 0 || media::is_dynamic_payload_type(pt)) {
        return {};
    }
    return fmt::format("telephone-event payload type {}: only 96-127 (dynamic), or none", pt);
}

// Why a remote cannot be given to the data plane, or empty: it sends only
// to unicast host addresses (MediaSession::remote_sendable, RFC 1122
// 3.2.1.3) and refuses the command otherwise; saying so here names the
// address at once. Port 0 leaves the far end to be learnt from its RTP.
std::string remote_refusal(uint32_t ipv4, uint16_t port)
{
    if (port == 0 || net::ipv4_source_valid(ipv4)) {
        return {};
    }
    return fmt::format("remote {}:{} is not a unicast host address", net::ipv4_text(ipv4), port);
}

// The channel index of span/timeslot in the segment's channel table, which
// lists the spans' channels in config order (E1: TS1..31, T1: TS1..24).
std::optional<uint32_t> channel_of(const config::Config& cfg, const std::string& span, uint32_t ts,
                                   uint32_t& span_index)
{
    uint32_t first = 0;
    for (uint32_t i = 0; i < cfg.spans.size(); ++i) {
        const auto& s = cfg.spans[i];
        uint32_t count = s.type == config::SpanType::e1 ? 31 : 24;
        if (s.name == span) {
            span_index = i;
            if (ts < 1 || ts > count) {
                return std::nullopt;
            }
            return first + ts - 1;
        }
        first += count;
    }
    return std::nullopt;
}

uint32_t random_u32()
{
    static std::mt19937 rng{std::random_device{}()};
    return static_cast<uint32_t>(rng());
}

}  // namespace

SessionManager::SessionManager(DataplaneLink& link, const config::Config& cfg)
    : _link(link), _cfg(cfg), _per_worker(cfg.dataplane.sessions_per_worker),
      _slots(static_cast<std::size_t>(cfg.dataplane.sessions_per_worker) * cfg.dataplane.workers.size()),
      _next_slot(cfg.dataplane.workers.size(), 0),
      _port_used((cfg.media.rtp_port_max - cfg.media.rtp_port_min) / 2 + 1, 0),
      _next_port(cfg.dataplane.workers.size(), 0)
{
    // RTCP takes port + 1: the last even port only when its odd one is in range.
    if (cfg.media.rtp_port_max % 2 == 0) {
        _port_used.back() = 1;
    }
    for (uint8_t u : _port_used) {
        _ports_free += u == 0 ? 1 : 0;
    }
    _c.ports_free.store(_ports_free);
}

int32_t SessionManager::take_slot(uint32_t worker_index)
{
    uint32_t base = worker_index * _per_worker;
    for (uint32_t n = 0; n < _per_worker; ++n) {
        uint32_t i = (_next_slot[worker_index] + n) % _per_worker;
        if (!_slots[base + i].used) {
            _next_slot[worker_index] = (i + 1) % _per_worker;
            return static_cast<int32_t>(base + i);
        }
    }
    return -1;
}

int32_t SessionManager::take_port(uint32_t worker_index)
{
    auto n = static_cast<uint32_t>(_port_used.size());
    auto workers = static_cast<uint32_t>(_next_port.size());
    uint32_t& next = _next_port[worker_index];
    // This worker's pairs, config::rtp_pair_worker's deal: worker_index,
    // worker_index + workers, ...
    uint32_t mine = n > worker_index ? (n - worker_index + workers - 1) / workers : 0;
    for (uint32_t k = 0; k < mine; ++k) {
        uint32_t i = worker_index + ((next + k) % mine) * workers;
        assert(config::rtp_pair_worker(i, workers) == worker_index);
        if (_port_used[i] == 0) {
            _port_used[i] = 1;
            --_ports_free;
            _c.ports_free.store(_ports_free, std::memory_order_relaxed);
            next = (next + k + 1) % mine;
            return static_cast<int32_t>(_cfg.media.rtp_port_min + 2 * i);
        }
    }
    return -1;
}

void SessionManager::free_slot(uint32_t slot)
{
    Slot& s = _slots[slot];
    if (!s.used) {
        return;
    }
    uint32_t pi = (s.local_port - _cfg.media.rtp_port_min) / 2;
    if (pi < _port_used.size() && _port_used[pi] != 0) {
        _port_used[pi] = 0;
        ++_ports_free;
        _c.ports_free.store(_ports_free, std::memory_order_relaxed);
    }
    s = Slot{};
    --_active;
}

SessionHandle SessionManager::create(const SessionRequest& r)
{
    auto refuse = [this](std::string why) {
        ++_c.refused;
        return SessionError(std::move(why));
    };
    uint32_t worker_index = 0;
    uint32_t channel_index = 0;
    if (!r.span.empty()) {
        uint32_t span_index = 0;
        auto ch = channel_of(_cfg, r.span, r.timeslot, span_index);
        if (!ch) {
            throw refuse(fmt::format("no channel {}/{} (unknown span or timeslot out of range)", r.span, r.timeslot));
        }
        const auto& sc = _cfg.spans[span_index];
        if (sc.has_dchannel() && r.timeslot == (sc.type == config::SpanType::e1 ? 16u : 24u)) {
            throw refuse(fmt::format("{}/{} is the D-channel", r.span, r.timeslot));
        }
        for (const Slot& s : _slots) {
            if (s.used && s.channel_index == *ch + 1) {
                throw refuse(fmt::format("channel {}/{} is joined to another session", r.span, r.timeslot));
            }
        }
        worker_index = _cfg.worker_index(sc.worker);
        channel_index = *ch + 1;
    } else if (r.worker_id != 0) {
        bool found = false;
        for (uint32_t i = 0; i < _cfg.dataplane.workers.size(); ++i) {
            if (_cfg.dataplane.workers[i].id == r.worker_id) {
                worker_index = i;
                found = true;
            }
        }
        if (!found) {
            throw refuse(fmt::format("no worker {}", r.worker_id));
        }
    }
    if (r.payload_type != 0 && r.payload_type != 8) {
        throw refuse(fmt::format("payload type {}: only 0 (PCMU) and 8 (PCMA)", r.payload_type));
    }
    if (std::string why = remote_refusal(r.remote_ipv4, r.remote_port); !why.empty()) {
        throw refuse(why);
    }
    if (std::string why = telephone_event_refusal(r.telephone_event_pt); !why.empty()) {
        throw refuse(why);
    }
    uint32_t ptime = r.ptime_ms != 0 ? r.ptime_ms : _cfg.media.ptime_ms;
    if (ptime % 10 != 0 || ptime < 10 || ptime > 40) {
        throw refuse(fmt::format("ptime {} ms: only 10, 20, 30 or 40", ptime));
    }
    uint32_t local = r.local_ipv4;
    if (local == 0) {
        if (_cfg.ports.empty() || _cfg.ports[0].addresses.empty()) {
            throw refuse("no port address to send media from");
        }
        local = _cfg.ports[0].addresses[0].address;
    }
    // A create with SRTP is three commands (the create, then each
    // direction's key; two while theirs is unknown): all are taken, or none
    // is sent.
    const uint32_t commands = r.srtp ? (r.srtp->theirs ? 3u : 2u) : 1u;
    if (_link.command_room(worker_index) < commands) {
        throw refuse("the data plane is not attached, or its command backlog is full");
    }
    int32_t slot = take_slot(worker_index);
    if (slot < 0) {
        throw refuse(fmt::format("all {} session slots of worker {} are in use", _per_worker,
                                 _cfg.dataplane.workers[worker_index].id));
    }
    int32_t port = take_port(worker_index);
    if (port < 0) {
        throw refuse(fmt::format("no free RTP port of worker {} in {}-{}", _cfg.dataplane.workers[worker_index].id,
                                 _cfg.media.rtp_port_min, _cfg.media.rtp_port_max));
    }
    const config::Media& m = _cfg.media;
    api::SessionCreatePayload p{};
    p.session_index = static_cast<uint32_t>(slot);
    p.channel_index = channel_index;
    p.local_ipv4 = local;
    p.remote_ipv4 = r.remote_ipv4;
    p.local_port = static_cast<uint16_t>(port);
    p.remote_port = r.remote_port;
    p.telephone_event_pt = r.telephone_event_pt;
    // RFC 3550 5.1 and 8.1: random SSRC, initial sequence and timestamp.
    p.ssrc = random_u32();
    p.first_timestamp = random_u32();
    p.first_sequence = static_cast<uint16_t>(random_u32());
    p.payload_type = r.payload_type;
    p.ptime_ms = static_cast<uint8_t>(ptime);
    p.flags = static_cast<uint8_t>((m.symmetric_rtp ? api::session_symmetric_rtp : 0) |
                                   (r.send ? api::session_send : 0) |
                                   (m.jitter_mode == config::JitterMode::adaptive ? api::session_adaptive_jitter : 0) |
                                   (r.srtp ? api::session_srtp : 0));
    p.dscp = m.dscp;
    p.jitter_delay_ms = static_cast<uint16_t>(m.jitter_delay_ms);
    p.jitter_max_delay_ms = static_cast<uint16_t>(m.jitter_max_delay_ms);
    p.rtp_timeout_ms = static_cast<uint16_t>(m.rtp_timeout_ms);
    p.rtcp_interval_ms = m.rtcp_interval_ms;

    Slot& s = _slots[static_cast<std::size_t>(slot)];
    s.used = true;
    s.local_port = p.local_port;
    s.channel_index = channel_index;
    s.create_seq = ++_seq;
    ++_active;
    if (!_link.send_command(worker_index, api::make_message(api::MsgType::cmd_session_create, s.create_seq, p))) {
        free_slot(static_cast<uint32_t>(slot));
        throw refuse("the data plane is not attached, or its command backlog is full");
    }
    ++_c.creates;
    if (r.srtp) {
        // On the same ring, after the create: the worker applies them in
        // order, and the session sends and takes nothing until they come.
        // Room was checked above: these cannot be refused.
        send_srtp_key(worker_index, p.session_index, r.srtp->suite, 0, r.srtp->ours);
        if (r.srtp->theirs) {
            send_srtp_key(worker_index, p.session_index, r.srtp->suite, 1, *r.srtp->theirs);
        }
    }
    return {p.session_index, _cfg.dataplane.workers[worker_index].id, local, p.local_port, channel_index};
}

void SessionManager::modify(uint32_t slot, uint32_t remote_ipv4, uint16_t remote_port, bool send,
                            std::optional<uint8_t> telephone_event_pt)
{
    require_session(slot);
    if (std::string why = remote_refusal(remote_ipv4, remote_port); !why.empty()) {
        ++_c.refused;
        throw SessionError(why);
    }
    if (std::string why = telephone_event_refusal(telephone_event_pt.value_or(0)); !why.empty()) {
        ++_c.refused;
        throw SessionError(why);
    }
    api::SessionModifyPayload p{};
    p.session_index = slot;
    p.remote_ipv4 = remote_ipv4;
    p.remote_port = remote_port;
    p.flags = static_cast<uint8_t>((_cfg.media.symmetric_rtp ? api::session_symmetric_rtp : 0) |
                                   (send ? api::session_send : 0) |
                                   (telephone_event_pt ? api::session_set_telephone_event : 0));
    p.telephone_event_pt = telephone_event_pt.value_or(0);
    if (!_link.send_command(slot / _per_worker, api::make_message(api::MsgType::cmd_session_modify, ++_seq, p))) {
        ++_c.refused;
        throw SessionError("the data plane is not attached, or its command backlog is full");
    }
    ++_c.modifies;
}

void SessionManager::require_session(uint32_t slot)
{
    if (slot >= _slots.size() || !_slots[slot].used) {
        ++_c.refused;
        throw SessionError(fmt::format("no session {}", slot));
    }
}

void SessionManager::set_their_srtp_key(uint32_t slot, api::SrtpSuite suite, const SrtpMaster& key)
{
    require_session(slot);
    const uint32_t worker_index = slot / _per_worker;
    if (_link.command_room(worker_index) < 1) {
        ++_c.refused;
        throw SessionError("the data plane is not attached, or its command backlog is full");
    }
    send_srtp_key(worker_index, slot, suite, 1, key);
}

void SessionManager::send_srtp_key(uint32_t worker_index, uint32_t slot, api::SrtpSuite suite, uint8_t direction,
                                   const SrtpMaster& key)
{
    api::SessionSrtpPayload k{};
    k.session_index = slot;
    k.suite = static_cast<uint8_t>(suite);
    k.direction = direction;
    std::copy(key.begin(), key.end(), k.master);
    api::Message m = api::make_message(api::MsgType::cmd_session_srtp, ++_seq, k);
    (void)_link.send_command(worker_index, m);
    explicit_bzero(&k, sizeof(k));
    explicit_bzero(&m, sizeof(m));
}

void SessionManager::remove(uint32_t slot, bool send_bye)
{
    require_session(slot);
    api::SessionDeletePayload p{slot, send_bye ? 1u : 0u};
    if (!_link.send_command(slot / _per_worker, api::make_message(api::MsgType::cmd_session_delete, ++_seq, p))) {
        ++_c.refused;
        throw SessionError("the data plane is not attached, or its command backlog is full");
    }
    // Commands on one ring apply in order: the slot and port may be reused
    // by the next create at once.
    free_slot(slot);
    ++_c.deletes;
}

void SessionManager::resync(const api::Segment& seg)
{
    const auto& h = seg.header();
    if (h.n_sessions != _slots.size()) {
        spdlog::error("the data plane has {} session slots, the configuration {}: sessions are not managed",
                      h.n_sessions, _slots.size());
        return;
    }
    for (uint32_t i = 0; i < _slots.size(); ++i) {
        free_slot(i);
    }
    for (uint32_t i = 0; i < h.n_sessions; ++i) {
        const api::SessionMirror& m = seg.session(i).mirror;
        if (m.state.load(std::memory_order_acquire) != static_cast<uint32_t>(api::SessionState::active)) {
            continue;
        }
        Slot& s = _slots[i];
        s.used = true;
        s.local_port = static_cast<uint16_t>(m.local_port.load());
        s.channel_index = m.channel_index.load();
        ++_active;
        uint32_t pi = (s.local_port - _cfg.media.rtp_port_min) / 2;
        if (s.local_port >= _cfg.media.rtp_port_min && pi < _port_used.size() && _port_used[pi] == 0) {
            _port_used[pi] = 1;
            --_ports_free;
        }
        _c.ports_free.store(_ports_free, std::memory_order_relaxed);
    }
}

std::vector<uint32_t> SessionManager::sessions_on_spans(const std::vector<std::string>& spans) const
{
    // Channel index ranges of those spans (the segment's channel table
    // lists the spans' channels in config order; slots hold index + 1).
    std::vector<std::pair<uint32_t, uint32_t>> ranges;
    uint32_t first = 0;
    for (const auto& sp : _cfg.spans) {
        uint32_t count = sp.type == config::SpanType::e1 ? 31 : 24;
        if (std::find(spans.begin(), spans.end(), sp.name) != spans.end()) {
            ranges.emplace_back(first + 1, first + count);
        }
        first += count;
    }
    std::vector<uint32_t> out;
    for (uint32_t i = 0; i < _slots.size(); ++i) {
        const Slot& s = _slots[i];
        if (!s.used || s.channel_index == 0) {
            continue;
        }
        for (auto [lo, hi] : ranges) {
            if (s.channel_index >= lo && s.channel_index <= hi) {
                out.push_back(i);
            }
        }
    }
    return out;
}

void SessionManager::on_command_error(const api::CmdErrorPayload& e)
{
    if (e.cmd_type == static_cast<uint16_t>(api::MsgType::cmd_session_srtp)) {
        // The session stays and sends or takes nothing in that direction
        // (its srtp_no_keys counts it); its call learns nothing, so say it.
        ++_c.worker_refused;
        spdlog::error("session {}: the data plane refused its SRTP key: {}", e.object, std::strerror(-e.error));
        return;
    }
    if (e.cmd_type != static_cast<uint16_t>(api::MsgType::cmd_session_create) || e.object >= _slots.size()) {
        return;
    }
    // Only the create that still owns the slot: a late error for an older
    // one must not free a session created since.
    if (!_slots[e.object].used || _slots[e.object].create_seq != e.cmd_seq) {
        return;
    }
    ++_c.worker_refused;
    spdlog::warn("session {}: the data plane refused it: {}", e.object, std::strerror(-e.error));
    free_slot(e.object);
}

void SessionManager::on_session_event(const api::SessionEventPayload& e)
{
    ++_c.events;
    if ((e.events & api::session_event_rtp_timeout) != 0) {
        ++_c.rtp_timeouts;
        spdlog::info("session {}: RTP timeout", e.session_index);
    }
    if ((e.events & api::session_event_rtp_latched) != 0) {
        spdlog::info("session {}: remote RTP latched to {}:{}", e.session_index, net::ipv4_text(e.remote_ipv4),
                     e.remote_port);
    }
}

std::optional<SessionManager::MediaStats> SessionManager::media_stats(uint32_t slot, std::optional<uint64_t> deleted) const
{
    return _link.with_state([&](const api::Segment* seg, auto&&...) -> std::optional<MediaStats> {
        if (seg == nullptr || slot >= seg->header().n_sessions) {
            return std::nullopt;
        }
        const api::SessionBlock& b = seg->session(slot);
        const uint32_t state = b.mirror.state.load(std::memory_order_acquire);
        const uint64_t generation = b.mirror.generation.load(std::memory_order_relaxed);
        if (deleted ? (state != static_cast<uint32_t>(api::SessionState::free) || generation != *deleted)
                    : state != static_cast<uint32_t>(api::SessionState::active)) {
            return std::nullopt;
        }
        std::array<uint64_t, api::session_counter_count> c{};
        b.counters.read(c);
        auto at = [&c](api::SessionCounter k) { return c[static_cast<std::size_t>(k)]; };
        const int64_t lost = static_cast<int64_t>(at(api::SessionCounter::lost));  // A.3: may be negative (duplicates)
        return MediaStats{at(api::SessionCounter::rtp_packets_out), at(api::SessionCounter::rtp_packets_in),
                          static_cast<uint64_t>(lost < 0 ? 0 : lost),  at(api::SessionCounter::expected),
                          at(api::SessionCounter::concealed_ms),
                          static_cast<uint32_t>(at(api::SessionCounter::jitter_us)),
                          static_cast<uint32_t>(at(api::SessionCounter::rtt_us)), generation};
    });
}

}  // namespace trunkgw::control
