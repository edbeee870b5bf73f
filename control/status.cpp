// Builds the operator snapshot from the segment and the link; see status.h.
#include "control/status.h"

#include <unistd.h>

#include "dataplane/api/segment.h"

namespace trunkgw::control {

namespace {

constexpr uint64_t responsive_window_ns = 3'000'000'000ULL;

double seconds_between(uint64_t from_ns, uint64_t to_ns)
{
    return to_ns > from_ns ? static_cast<double>(to_ns - from_ns) / 1e9 : 0.0;
}

std::string fixed_string(const char* s, std::size_t cap) { return std::string(s, strnlen(s, cap)); }

}  // namespace

const char* span_state_name(uint32_t oper_state)
{
    switch (static_cast<api::SpanOperState>(oper_state)) {
    case api::SpanOperState::unconfigured: return "unconfigured";
    case api::SpanOperState::down: return "down";
    case api::SpanOperState::starting: return "starting";
    case api::SpanOperState::up: return "up";
    case api::SpanOperState::alarm: return "alarm";
    }
    return "unknown";
}

const char* worker_state_name(uint32_t state)
{
    switch (static_cast<api::WorkerState>(state)) {
    case api::WorkerState::absent: return "absent";
    case api::WorkerState::starting: return "starting";
    case api::WorkerState::running: return "running";
    case api::WorkerState::stopped: return "stopped";
    }
    return "unknown";
}

std::string span_alarm_names(uint32_t alarms)
{
    std::string out;
    for (const auto& [bit, name] : span_alarms) {
        if (alarms & bit) {
            out += out.empty() ? name : std::string(",") + name;
        }
    }
    return out;
}

Snapshot take_snapshot(const DataplaneLink& link, const config::Config& cfg, uint64_t control_start_mono_ns,
                       const MgmtCounters& mgmt)
{
    Snapshot s{};
    uint64_t now = api::mono_ns();
    s.version = TRUNKGW_VERSION;
    s.abi_version = api::abi_version;
    s.instance = cfg.instance.name;
    s.config_source = cfg.source;
    s.control_pid = getpid();
    s.control_uptime_s = seconds_between(control_start_mono_ns, now);
    s.metrics_url = cfg.metrics_url();
    s.mgmt_connections = mgmt.connections.load();
    s.mgmt_requests_ok = mgmt.requests_ok.load();
    s.mgmt_requests_error = mgmt.requests_error.load();
    s.mgmt_requests_malformed = mgmt.requests_malformed.load();

    link.with_state([&](const api::Segment* seg, const std::vector<WorkerLink>& workers, const LinkCounters& lc,
                        const std::string& last_error, uint64_t attached_since) {
        s.link = lc;
        s.last_error = last_error;
        s.attached = seg != nullptr;
        if (seg == nullptr) {
            return 0;
        }
        const auto& h = seg->header();
        s.attached_for_s = seconds_between(attached_since, now);
        s.dataplane_pid = h.dataplane_pid;
        s.dataplane_version = fixed_string(h.version, sizeof(h.version));
        s.epoch = h.epoch;
        s.dataplane_uptime_s = seconds_between(h.dataplane_start_mono_ns, now);
        s.dataplane_heartbeat_age_s = seconds_between(h.dataplane_heartbeat_mono_ns.load(), now);
        s.dataplane_control_attaches = h.control_attaches.load();
        s.dataplane_control_refusals = h.control_refusals.load();
        const uint64_t steered = h.ports_flow_steered.load(std::memory_order_acquire);
        for (std::size_t p = 0; p < cfg.ports.size(); ++p) {
            bool by_rules = p < 64 && ((steered >> p) & 1) != 0;
            s.ports.push_back({cfg.ports[p].name, by_rules,
                               h.n_workers < 2 ? "one worker" : by_rules ? "flow rules" : "software dispatch"});
        }
        for (uint32_t i = 0; i < h.n_workers; ++i) {
            const api::WorkerBlock& b = seg->worker(i);
            WorkerRow w{};
            w.id = b.worker_id;
            w.lcore = b.lcore;
            w.state = worker_state_name(b.state.load());
            w.heartbeat_age_s = seconds_between(b.heartbeat_mono_ns.load(), now);
            if (i < workers.size()) {
                const WorkerLink& l = workers[i];
                w.pings_sent = l.pings_sent;
                w.pongs = l.pongs;
                w.ping_rtt_us = static_cast<double>(l.last_rtt_ns) / 1e3;
                w.responsive = l.last_pong_mono_ns != 0 && now - l.last_pong_mono_ns < responsive_window_ns;
            }
            b.counters.read(w.counters);
            b.net_counters.read(w.net);
            s.workers.push_back(w);
            std::string id = std::to_string(b.worker_id);
            s.rings.push_back({"command", "worker " + id, "worker", id, api::ring_stats(seg->ring_at(b.cmd_ring_off))});
            s.rings.push_back({"event", "worker " + id, "worker", id, api::ring_stats(seg->ring_at(b.evt_ring_off))});
        }
        for (uint32_t i = 0; i < h.n_spans; ++i) {
            const api::SpanBlock& b = seg->span(i);
            const api::SpanMirror& m = b.mirror;
            std::string name = fixed_string(m.name, sizeof(m.name));
            SpanRow row{m.span_id, name, m.kind == static_cast<uint32_t>(api::SpanKind::e1) ? "e1" : "t1",
                        seg->worker(m.worker_index).worker_id, span_state_name(m.oper_state.load()),
                        m.alarms.load(), m.state_changes.load(), {}, std::nullopt};
            b.counters.read(row.counters);
            s.spans.push_back(row);
            s.rings.push_back({"dchannel_rx", "span " + name, "span", name, api::ring_stats(seg->ring_at(b.dchan_rx_off))});
            s.rings.push_back({"dchannel_tx", "span " + name, "span", name, api::ring_stats(seg->ring_at(b.dchan_tx_off))});
        }
        s.session_slots = h.n_sessions;
        for (uint32_t i = 0; i < h.n_sessions; ++i) {
            const api::SessionBlock& b = seg->session(i);
            const api::SessionMirror& m = b.mirror;
            if (m.state.load(std::memory_order_acquire) != static_cast<uint32_t>(api::SessionState::active)) {
                continue;
            }
            SessionRow row{};
            row.slot = i;
            row.worker_id = seg->worker(m.worker_index).worker_id;
            if (uint32_t ch = m.channel_index.load(); ch != 0 && ch - 1 < h.n_channels) {
                const api::ChannelMirror& cm = seg->channel(ch - 1);
                const api::SpanMirror& sm = seg->span(cm.span_index).mirror;
                row.channel = fixed_string(sm.name, sizeof(sm.name)) + "/" + std::to_string(cm.timeslot);
            }
            row.local_ipv4 = m.local_ipv4.load();
            row.local_port = static_cast<uint16_t>(m.local_port.load());
            row.remote_ipv4 = m.remote_ipv4.load();
            row.remote_port = static_cast<uint16_t>(m.remote_port.load());
            row.payload_type = m.payload_type.load();
            row.ptime_ms = m.ptime_ms.load();
            row.ssrc = m.ssrc.load();
            row.sending = (m.flags.load() & api::session_send) != 0;
            row.srtp = (m.flags.load() & api::session_srtp) != 0;
            row.rtp_timed_out = m.rtp_timed_out.load() != 0;
            row.age_s = seconds_between(m.created_mono_ns.load(), now);
            b.counters.read(row.counters);
            s.sessions.push_back(row);
        }
        return 0;
    });
    return s;
}

}  // namespace trunkgw::control
