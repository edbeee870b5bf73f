// Snapshot -> Prometheus families; see metrics_exporter.h.
#include "control/metrics_exporter.h"

#include <map>

#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>

#include <fmt/format.h>

#include "dataplane/net_counter_layout.h"

namespace trunkgw::control {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

class Families {
public:
    MetricFamily& family(const std::string& name, const std::string& help, MetricType type)
    {
        for (auto& f : _families) {
            if (f.name == name) {
                return f;
            }
        }
        _families.push_back({name, help, type, {}});
        return _families.back();
    }
    void gauge(const std::string& name, const std::string& help, double v, Labels labels = {})
    {
        ClientMetric m;
        m.label = std::move(labels);
        m.gauge.value = v;
        family(name, help, MetricType::Gauge).metric.push_back(m);
    }
    void counter(const std::string& name, const std::string& help, double v, Labels labels = {})
    {
        ClientMetric m;
        m.label = std::move(labels);
        m.counter.value = v;
        family(name, help, MetricType::Counter).metric.push_back(m);
    }
    std::vector<MetricFamily> take() { return std::move(_families); }

private:
    std::vector<MetricFamily> _families;
};

}  // namespace

// SIP: per trunk, and the INVITEs no trunk claimed.
void sip_families(Families& f, const sip::SipStatus& st)
{
    f.counter("trunkgw_sip_refused_acl_total",
              "INVITEs from a source no SIP trunk lists, refused with 403 (scanners, toll-fraud attempts).",
              static_cast<double>(st.refused_acl));
    f.counter("trunkgw_sip_sdp_refused_unsafe_total",
              "SDP bodies kept from Sofia-SIP's parser: an m= line outside RFC 4566's grammar, on which Sofia-SIP "
              "1.12 loops allocating memory without end (a remote memory-exhaustion attack).",
              static_cast<double>(st.sdp_refused_unsafe));
    f.counter("trunkgw_sip_refused_auth_blocked_total",
              "INVITEs from a source blocked after failing digest authentication too often in a row (403, no "
              "challenge).",
              static_cast<double>(st.refused_auth_blocked));
    f.counter("trunkgw_sip_auth_blocks_total", "Sources blocked for failing digest authentication (brute force).",
              static_cast<double>(st.auth_blocks));
    f.gauge("trunkgw_sip_auth_blocked_sources", "Sources blocked now for failing digest authentication.",
            static_cast<double>(st.blocked_sources));
    for (const auto& [name, k] : st.trunks) {
        const char* auth_help = "Digest authentication on the trunk (RFC 3261 22): challenge (401 sent), accepted, "
                                "failed (403/400 sent), answered (the peer's 401/407 answered with our credentials).";
        f.counter("trunkgw_sip_auth_total", auth_help, static_cast<double>(k.auth_challenges),
                  {{"trunk", name}, {"result", "challenge"}});
        f.counter("trunkgw_sip_auth_total", auth_help, static_cast<double>(k.auth_accepted),
                  {{"trunk", name}, {"result", "accepted"}});
        f.counter("trunkgw_sip_auth_total", auth_help, static_cast<double>(k.auth_failures),
                  {{"trunk", name}, {"result", "failed"}});
        f.counter("trunkgw_sip_auth_total", auth_help, static_cast<double>(k.auth_answered),
                  {{"trunk", name}, {"result", "answered"}});
        f.counter("trunkgw_sip_invites_tls_total", "INVITEs received on the trunk over TLS.",
                  static_cast<double>(k.invites_in_tls), {{"trunk", name}});
        if (k.registers) {
            const sip::RegistrationCounters& reg = k.registration;
            f.gauge("trunkgw_sip_registered", "1 while the trunk's REGISTER binding is in force (RFC 3261 10).",
                    reg.registered ? 1 : 0, {{"trunk", name}});
            f.gauge("trunkgw_sip_registration_expires_seconds", "The expiry the registrar granted.",
                    static_cast<double>(reg.granted_expires_s), {{"trunk", name}});
            const char* reg_help = "REGISTER transactions of the trunk, refreshes included, by result.";
            f.counter("trunkgw_sip_registrations_total", reg_help, static_cast<double>(reg.succeeded),
                      {{"trunk", name}, {"result", "ok"}});
            f.counter("trunkgw_sip_registrations_total", reg_help, static_cast<double>(reg.failed),
                      {{"trunk", name}, {"result", "failed"}});
            f.counter("trunkgw_sip_registrations_total", reg_help, static_cast<double>(reg.challenges),
                      {{"trunk", name}, {"result", "challenged"}});
        }
        const char* inv_help = "INVITEs on the SIP trunk, by direction (in: received from a trusted peer).";
        f.counter("trunkgw_sip_invites_total", inv_help, static_cast<double>(k.invites_in),
                  {{"trunk", name}, {"direction", "in"}});
        f.counter("trunkgw_sip_invites_total", inv_help, static_cast<double>(k.invites_out),
                  {{"trunk", name}, {"direction", "out"}});
        const char* ans_help = "Calls answered on the SIP trunk (200 OK), by direction.";
        f.counter("trunkgw_sip_answered_total", ans_help, static_cast<double>(k.answered_in),
                  {{"trunk", name}, {"direction", "in"}});
        f.counter("trunkgw_sip_answered_total", ans_help, static_cast<double>(k.answered_out),
                  {{"trunk", name}, {"direction", "out"}});
        f.gauge("trunkgw_sip_calls_active", "SIP calls on the trunk now, both directions.",
                static_cast<double>(k.active), {{"trunk", name}});
        f.gauge("trunkgw_sip_trunk_up",
                "1 while the trunk's peer answers OPTIONS (always 1 without keepalive); 0: calls to it are refused "
                "with cause 38 and routes fail over.",
                k.up ? 1 : 0, {{"trunk", name}});
        f.counter("trunkgw_sip_options_total", "OPTIONS keepalives sent to the trunk's peer, by result.",
                  static_cast<double>(k.options_answered), {{"trunk", name}, {"result", "answered"}});
        f.counter("trunkgw_sip_options_total", "OPTIONS keepalives sent to the trunk's peer, by result.",
                  static_cast<double>(k.options_failed), {{"trunk", name}, {"result", "failed"}});
        const char* ref_help = "Incoming INVITEs refused before routing, by reason: limit (max_calls or calls per "
                               "second: 503), no_media (no G.711 audio in the offer: 488).";
        f.counter("trunkgw_sip_refused_total", ref_help, static_cast<double>(k.refused_limit),
                  {{"trunk", name}, {"reason", "limit"}});
        f.counter("trunkgw_sip_refused_total", ref_help, static_cast<double>(k.refused_no_media),
                  {{"trunk", name}, {"reason", "no_media"}});
        f.counter("trunkgw_sip_srtp_refused_total",
                  "SDP that did not fit the trunk's srtp setting (RFC 4568 SDES): INVITEs refused with 488, answers "
                  "and re-offers cleared with 88, early media not played.",
                  static_cast<double>(k.srtp_refused), {{"trunk", name}});
        const char* fr_help = "Final failure responses on the trunk, by direction (tx: sent by us) and status.";
        for (const auto& [status, n] : k.final_responses_out) {
            f.counter("trunkgw_sip_final_responses_total", fr_help, static_cast<double>(n),
                      {{"trunk", name}, {"direction", "tx"}, {"status", std::to_string(status)}});
        }
        for (const auto& [status, n] : k.final_responses_in) {
            f.counter("trunkgw_sip_final_responses_total", fr_help, static_cast<double>(n),
                      {{"trunk", name}, {"direction", "rx"}, {"status", std::to_string(status)}});
        }
    }
}

std::vector<MetricFamily> snapshot_families(const Snapshot& s)
{
    Families f;
    f.gauge("trunkgw_build_info", "trunkgw version and ABI version of this control process.", 1,
            {{"version", s.version}, {"abi_version", std::to_string(s.abi_version)}, {"instance", s.instance}});
    f.gauge("trunkgw_control_uptime_seconds", "Seconds since trunkgw-control started.", s.control_uptime_s);
    f.gauge("trunkgw_dataplane_attached", "1 while control is attached to the data plane segment.",
            s.attached ? 1 : 0);
    f.counter("trunkgw_dataplane_attach_attempts_total", "Attempts to attach to the data plane.",
              static_cast<double>(s.link.attach_attempts));
    f.counter("trunkgw_dataplane_attaches_total", "Successful attaches to the data plane.",
              static_cast<double>(s.link.attaches));
    f.counter("trunkgw_dataplane_detaches_total", "Detaches from the data plane (it stopped or restarted).",
              static_cast<double>(s.link.detaches));
    f.counter("trunkgw_dataplane_attach_refusals_total",
              "Attaches refused for an ABI, size or handshake mismatch.", static_cast<double>(s.link.attach_refusals));
    for (const auto& p : s.ports) {
        f.gauge("trunkgw_port_flow_steering",
                "1 when flow rules put each worker's UDP on its own queue of the port; 0: the software dispatcher "
                "hands frames from the wrong queue to their worker.",
                p.flow_steering ? 1 : 0, {{"port", p.name}});
    }
    f.counter("trunkgw_control_wakeups_total", "Times the data plane woke control through the eventfd.",
              static_cast<double>(s.link.wakeups));
    f.counter("trunkgw_control_events_total", "Events read from the workers' event rings.",
              static_cast<double>(s.link.events));
    f.counter("trunkgw_control_events_unknown_total", "Events of a type control does not handle.",
              static_cast<double>(s.link.events_unknown));
    f.counter("trunkgw_control_command_errors_total", "Commands a worker refused (evt_cmd_error).",
              static_cast<double>(s.link.cmd_errors));
    f.counter("trunkgw_control_commands_refused_total",
              "Commands not sent: detached, or the worker's ring and backlog both full.",
              static_cast<double>(s.link.commands_refused));
    f.counter("trunkgw_control_commands_deferred_total",
              "Commands that waited in control's backlog for room in a worker's command ring.",
              static_cast<double>(s.link.commands_deferred));
    f.gauge("trunkgw_control_commands_backlog", "Commands waiting in control's backlog now (all workers).",
            static_cast<double>(s.link.commands_backlog));
    f.counter("trunkgw_mgmt_connections_total", "Management API connections accepted.",
              static_cast<double>(s.mgmt_connections));
    const char* req_help = "Management API requests by result.";
    f.counter("trunkgw_mgmt_requests_total", req_help, static_cast<double>(s.mgmt_requests_ok), {{"result", "ok"}});
    f.counter("trunkgw_mgmt_requests_total", req_help, static_cast<double>(s.mgmt_requests_error),
              {{"result", "error"}});
    f.counter("trunkgw_mgmt_requests_total", req_help, static_cast<double>(s.mgmt_requests_malformed),
              {{"result", "malformed"}});
    const auto& sm = s.session_manager;
    const char* sm_help = "RTP session commands by control's session manager, by what happened.";
    f.counter("trunkgw_session_commands_total", sm_help, static_cast<double>(sm.creates), {{"command", "create"}});
    f.counter("trunkgw_session_commands_total", sm_help, static_cast<double>(sm.modifies), {{"command", "modify"}});
    f.counter("trunkgw_session_commands_total", sm_help, static_cast<double>(sm.deletes), {{"command", "delete"}});
    f.counter("trunkgw_session_refusals_total", "Session commands refused, by who refused them.",
              static_cast<double>(sm.refused), {{"by", "control"}});
    f.counter("trunkgw_session_refusals_total", "Session commands refused, by who refused them.",
              static_cast<double>(sm.worker_refused), {{"by", "worker"}});
    f.counter("trunkgw_session_events_total", "Session events (RTP timeout, resumed, latched, BYE) received.",
              static_cast<double>(sm.events));
    f.counter("trunkgw_session_rtp_timeouts_total", "RTP timeouts reported by the data plane.",
              static_cast<double>(sm.rtp_timeouts));
    f.gauge("trunkgw_rtp_ports_free", "Local RTP ports free in media.rtp_port_min..max.",
            static_cast<double>(sm.ports_free));
    if (s.sip) {
        sip_families(f, *s.sip);
    }
    const auto& cm = s.calls;
    f.gauge("trunkgw_calls_active", "Calls in progress (routing, dialing, alerting or connected).",
            static_cast<double>(cm.active));
    f.counter("trunkgw_calls_offered_total", "Incoming calls handed to the call model.", static_cast<double>(cm.offered));
    f.counter("trunkgw_calls_routed_total", "Calls a [[route]] matched.", static_cast<double>(cm.routed));
    f.counter("trunkgw_calls_no_route_total", "Calls no [[route]] matched (cleared with cause 1, or 28 after T302).",
              static_cast<double>(cm.no_route));
    f.counter("trunkgw_call_attempts_total", "Outgoing legs placed (one per destination tried).",
              static_cast<double>(cm.attempts));
    f.counter("trunkgw_call_failovers_total",
              "Destinations that refused a call with a failover cause, so the next one was tried.",
              static_cast<double>(cm.failovers));
    f.counter("trunkgw_calls_answered_total", "Calls answered end to end.", static_cast<double>(cm.answered));
    f.counter("trunkgw_calls_media_total",
              "Calls whose B-channels were joined by RTP sessions, or could not be (no audio), by result.",
              static_cast<double>(cm.media_connected), {{"result", "connected"}});
    f.counter("trunkgw_calls_media_total",
              "Calls whose B-channels were joined by RTP sessions, or could not be (no audio), by result.",
              static_cast<double>(cm.media_failed), {{"result", "failed"}});
    f.counter("trunkgw_calls_media_orphans_total",
              "RTP sessions on ISDN channels that no call owned after an attach (left by an earlier control): deleted.",
              static_cast<double>(cm.media_orphans));
    f.counter("trunkgw_cdr_records_total", "Call detail records written (cdr.path).",
              static_cast<double>(cm.cdr_records));
    f.counter("trunkgw_cdr_write_errors_total", "Call detail records that could not be written or synced.",
              static_cast<double>(cm.cdr_errors));
    f.gauge("trunkgw_cdr_queued", "Call detail records of ended calls waiting for the writer thread (the disk).",
            static_cast<double>(cm.cdr_queued));
    const char* toll_help = "Calls to a toll-fraud destination class ([[toll_fraud.class]]), by result: allowed, or "
                            "refused with cause 21 because no route or source allowance lists the class "
                            "(not_allowed) or the source's allowance is used up (concurrent, hourly).";
    f.counter("trunkgw_calls_toll_fraud_total", toll_help, static_cast<double>(cm.toll_allowed), {{"result", "allowed"}});
    f.counter("trunkgw_calls_toll_fraud_total", toll_help, static_cast<double>(cm.toll_refused_not_allowed),
              {{"result", "not_allowed"}});
    f.counter("trunkgw_calls_toll_fraud_total", toll_help, static_cast<double>(cm.toll_refused_concurrent),
              {{"result", "concurrent"}});
    f.counter("trunkgw_calls_toll_fraud_total", toll_help, static_cast<double>(cm.toll_refused_hourly),
              {{"result", "hourly"}});
    f.counter("trunkgw_call_group_hunts_total",
              "Spans of a [[span_group]] that refused a call (no channel or link), so the group's next span was tried.",
              static_cast<double>(cm.group_hunts));
    f.counter("trunkgw_calls_dropped_total", "Calls cleared by the operator (trunkctl call drop).",
              static_cast<double>(cm.dropped));
    for (std::size_t cause = 0; cause < cm.ended_by_cause.size(); ++cause) {
        if (cm.ended_by_cause[cause] != 0) {
            f.counter("trunkgw_calls_ended_total", "Calls that ended, by the Q.850 cause the caller got.",
                      static_cast<double>(cm.ended_by_cause[cause]), {{"cause", std::to_string(cause)}});
        }
    }
    if (!s.attached) {
        return f.take();
    }
    f.gauge("trunkgw_session_slots", "Preallocated RTP session slots (all workers).",
            static_cast<double>(s.session_slots));
    std::map<uint32_t, uint64_t> active_by_worker;
    for (const auto& w : s.workers) {
        active_by_worker[w.id] = 0;
    }
    for (const auto& r : s.sessions) {
        ++active_by_worker[r.worker_id];
    }
    for (const auto& [id, n] : active_by_worker) {
        f.gauge("trunkgw_sessions_active", "RTP sessions active, per worker.", static_cast<double>(n),
                {{"worker", std::to_string(id)}});
    }
    // Per-session series while the session lives (they vanish with it).
    for (const auto& r : s.sessions) {
        Labels l{{"session", std::to_string(r.slot)}, {"channel", r.channel}};
        for (std::size_t i = 0; i < api::session_counter_count; ++i) {
            const auto& info = api::session_counter_info[i];
            std::string metric = fmt::format("trunkgw_session_{}", info.prom_name);
            double v = i == static_cast<std::size_t>(api::SessionCounter::lost)
                           ? static_cast<double>(static_cast<int64_t>(r.counters[i]))
                           : static_cast<double>(r.counters[i]) * info.prom_scale;
            if (info.gauge) {
                f.gauge(metric, info.help, v, l);
            } else {
                f.counter(metric, info.help, v, l);
            }
        }
    }
    f.gauge("trunkgw_dataplane_uptime_seconds", "Seconds since trunkgw-dataplane started.", s.dataplane_uptime_s);
    f.gauge("trunkgw_dataplane_heartbeat_age_seconds", "Seconds since the data plane service loop last beat.",
            s.dataplane_heartbeat_age_s);
    f.gauge("trunkgw_dataplane_info", "The attached data plane's identity.", 1,
            {{"version", s.dataplane_version}, {"pid", std::to_string(s.dataplane_pid)},
             {"epoch", std::to_string(s.epoch)}});
    for (const auto& w : s.workers) {
        Labels l{{"worker", std::to_string(w.id)}, {"lcore", std::to_string(w.lcore)}};
        f.gauge("trunkgw_worker_up", "1 when the worker runs and answered a ping within 3 s.",
                w.state == "running" && w.responsive ? 1 : 0, l);
        f.gauge("trunkgw_worker_heartbeat_age_seconds", "Seconds since the worker last ran a tick.",
                w.heartbeat_age_s, l);
        for (std::size_t i = 0; i < api::worker_counter_count; ++i) {
            f.counter(fmt::format("trunkgw_worker_{}", api::worker_counter_info[i].name),
                      api::worker_counter_info[i].help,
                      static_cast<double>(w.counters[i]) * api::worker_counter_info[i].scale, l);
        }
        Labels wl{{"worker", std::to_string(w.id)}};
        for (std::size_t r = 1; r <= net::drop_reason_count; ++r) {
            Labels dl = wl;
            dl.push_back({"reason", std::string(net::drop_reason_names[r])});
            f.counter("trunkgw_net_drops_total", "Received frames the packet layer dropped, by reason.",
                      static_cast<double>(w.net[r]), dl);
        }
        for (std::size_t k = 0; k < dataplane::net_counter_names.size(); ++k) {
            f.counter(fmt::format("trunkgw_net_{}_total", dataplane::net_counter_names[k]),
                      "Packet layer: port I/O and ARP (see dataplane/net_counter_layout.h).",
                      static_cast<double>(w.net[dataplane::net_drop_slots + k]), wl);
        }
    }
    for (const auto& r : s.rings) {
        Labels l{{"ring", r.ring}, {r.owner_kind, r.owner_id}};
        f.counter("trunkgw_ring_pushed_total", "Messages pushed into a shared-memory ring.",
                  static_cast<double>(r.stats.pushed), l);
        f.counter("trunkgw_ring_popped_total", "Messages popped from a shared-memory ring.",
                  static_cast<double>(r.stats.popped), l);
        f.counter("trunkgw_ring_full_total", "Messages refused because the ring was full.",
                  static_cast<double>(r.stats.full), l);
        f.gauge("trunkgw_ring_depth", "Messages waiting in a ring.", r.stats.depth, l);
        f.gauge("trunkgw_ring_capacity", "Slots in a ring.", r.stats.capacity, l);
    }
    static constexpr const char* states[] = {"unconfigured", "down", "starting", "up", "alarm"};
    for (const auto& sp : s.spans) {
        for (const char* st : states) {
            f.gauge("trunkgw_span_state", "1 for the span's current operational state.", sp.state == st ? 1 : 0,
                    {{"span", sp.name}, {"state", st}});
        }
        f.counter("trunkgw_span_state_changes_total", "Operational state changes of the span.",
                  static_cast<double>(sp.state_changes), {{"span", sp.name}});
        for (const auto& [bit, name] : span_alarms) {
            f.gauge("trunkgw_span_alarm", "1 while the span has this alarm.", (sp.alarms & bit) ? 1 : 0,
                    {{"span", sp.name}, {"alarm", name}});
        }
        if (sp.isdn) {
            const auto& k = sp.isdn->counters;
            Labels l{{"span", sp.name}};
            auto with = [&l](const char* key, const char* value) {
                Labels x = l;
                x.push_back({key, value});
                return x;
            };
            f.gauge("trunkgw_span_dchannel_up", "1 while the span's Q.921 data link is established (NFAS: this span's own D-channel; on a span without one, its group's signaling).",
                    sp.isdn->up ? 1 : 0, l);
            f.counter("trunkgw_span_dchannel_down_total", "Times the Q.921 data link went down (flaps).",
                      static_cast<double>(k.dchan_down), l);
            const char* q921_help = "Q.921 frames on the D-channel, by direction.";
            f.counter("trunkgw_span_q921_frames_total", q921_help, static_cast<double>(k.frames_rx), with("direction", "rx"));
            f.counter("trunkgw_span_q921_frames_total", q921_help, static_cast<double>(k.frames_tx), with("direction", "tx"));
            f.counter("trunkgw_span_q921_retransmissions_total",
                      "I-frames the gateway sent again (Q.921 5.6: T200 expired or REJ received).",
                      static_cast<double>(k.q921_retransmissions), l);
            f.counter("trunkgw_span_q921_frames_refused_total",
                      "Q.921 frames not queued because the D-channel ring was full (Q.921 retransmits them).",
                      static_cast<double>(k.frames_tx_refused), l);
            const char* rs_help = "B-channel RESTARTs (Q.931 5.5), by what happened.";
            f.counter("trunkgw_span_restarts_total", rs_help, static_cast<double>(k.restarts_sent), with("what", "sent"));
            f.counter("trunkgw_span_restarts_total", rs_help, static_cast<double>(k.restart_acks), with("what", "acknowledged"));
            f.counter("trunkgw_span_restarts_total", rs_help, static_cast<double>(k.restart_retries),
                      with("what", "sent_again"));
            f.counter("trunkgw_span_restarts_total", rs_help, static_cast<double>(k.restart_timeouts),
                      with("what", "timed_out"));
            f.counter("trunkgw_span_restarts_total", rs_help, static_cast<double>(k.restarts_received),
                      with("what", "received"));
            const char* q931_help = "Q.931 messages on the D-channel, by direction and message type (Q.931 Table 4-2).";
            for (std::size_t m = 0; m <= isdn::q931_message_names.size(); ++m) {
                std::string msg(isdn::q931_message_label(m));
                for (auto [dir, n] : {std::pair{"rx", k.q931_rx[m]}, std::pair{"tx", k.q931_tx[m]}}) {
                    Labels ml = with("direction", dir);
                    ml.push_back({"message", msg});
                    f.counter("trunkgw_span_q931_messages_total", q931_help, static_cast<double>(n), ml);
                }
            }
            std::map<std::string, int> by_state;
            for (auto st : {isdn::ChannelState::idle, isdn::ChannelState::busy, isdn::ChannelState::restarting,
                            isdn::ChannelState::out_of_service, isdn::ChannelState::unavailable}) {
                by_state[isdn::channel_state_name(st)] = 0;
            }
            for (const auto& ch : sp.isdn->channels) {
                ++by_state[isdn::channel_state_name(ch.state)];
            }
            for (const auto& [state, n] : by_state) {
                f.gauge("trunkgw_span_channels", "B-channels of the span by state.", n, with("state", state.c_str()));
            }
            f.counter("trunkgw_span_service_messages_total", "SERVICE messages (NI-2/4ESS/5ESS maintenance), by direction.",
                      static_cast<double>(k.service_sent), with("direction", "tx"));
            f.counter("trunkgw_span_service_messages_total", "SERVICE messages (NI-2/4ESS/5ESS maintenance), by direction.",
                      static_cast<double>(k.service_received), with("direction", "rx"));
            const char* sr_help = "Incoming SETUPs refused, by Q.850 cause: 1 no route here, 34 no channel free, "
                                  "44 the exclusive channel not free, 82 no such channel.";
            const char* ig_help = "Q.931 messages ignored as Q.931 5.8 says, by reason.";
            f.counter("trunkgw_span_q931_ignored_total", ig_help, static_cast<double>(k.q931_rx_too_short),
                      with("reason", "too_short"));
            f.counter("trunkgw_span_q931_ignored_total", ig_help, static_cast<double>(k.q931_rx_bad_protocol),
                      with("reason", "protocol_discriminator"));
            const char* calls_help = "Calls on the span, by direction (in: SETUPs from the far end handed to the call "
                                     "model; out: SETUPs we sent).";
            f.counter("trunkgw_span_calls_total", calls_help, static_cast<double>(k.calls_in), with("direction", "in"));
            f.counter("trunkgw_span_calls_total", calls_help, static_cast<double>(k.calls_out), with("direction", "out"));
            const char* ans_help = "Calls on the span that were answered (CONNECT), by direction.";
            f.counter("trunkgw_span_calls_answered_total", ans_help, static_cast<double>(k.calls_answered_in),
                      with("direction", "in"));
            f.counter("trunkgw_span_calls_answered_total", ans_help, static_cast<double>(k.calls_answered_out),
                      with("direction", "out"));
            f.counter("trunkgw_span_calls_out_refused_total",
                      "Outgoing calls refused before any SETUP (no channel free, D-channel down).",
                      static_cast<double>(k.calls_out_refused), l);
            // Only causes that occurred: 128 x 2 mostly-zero series per span would drown the rest.
            const char* cl_help = "Calls on the span that ended, by direction and Q.850 cause (including SETUPs "
                                  "refused before the call model saw them).";
            for (std::size_t cause = 0; cause < k.cleared_in.size(); ++cause) {
                for (auto [dir, n] : {std::pair{"in", k.cleared_in[cause]}, std::pair{"out", k.cleared_out[cause]}}) {
                    if (n != 0) {
                        Labels cl = with("direction", dir);
                        cl.push_back({"cause", std::to_string(cause)});
                        f.counter("trunkgw_span_calls_cleared_total", cl_help, static_cast<double>(n), cl);
                    }
                }
            }
            f.counter("trunkgw_span_channel_moves_total",
                      "Outgoing calls the far end moved to another B-channel (glare or a preferred channel refused).",
                      static_cast<double>(k.channel_moves), l);
            f.counter("trunkgw_span_calls_lost_to_restart_total",
                      "Calls ended because the far end RESTARTed their B-channel (Q.931 5.5).",
                      static_cast<double>(k.calls_lost_to_restart), l);
            f.counter("trunkgw_span_calls_reaped_total",
                      "Clearing calls libpri freed without telling (found and forgotten, so their channels are free).",
                      static_cast<double>(k.calls_reaped), l);
            const char* tm_help = "Expiries of the timers the gateway runs, by name: T302 (overlap receiving, "
                                  "Q.931 9.1), T316 (RESTART without acknowledgement, Q.931 5.5.1), T309 (NFAS: every D-channel down, "
                                  "calls ended, Q.931 5.8.8); libpri's, read off the D-channel: T200 and T203 "
                                  "(Q.921 5.6: no acknowledgement, link idle), T303 (SETUP unanswered), T305 "
                                  "(DISCONNECT unanswered), T308 (RELEASE unanswered).";
            f.counter("trunkgw_span_timer_expiries_total", tm_help, static_cast<double>(k.t302_expiries),
                      with("timer", "T302"));
            f.counter("trunkgw_span_timer_expiries_total", tm_help,
                      static_cast<double>(k.restart_retries + k.restart_timeouts), with("timer", "T316"));
            f.counter("trunkgw_span_timer_expiries_total", tm_help, static_cast<double>(k.t309_expiries),
                      with("timer", "T309"));
            for (auto [name, n] : {std::pair{"T200", k.libpri_timers.t200}, std::pair{"T203", k.libpri_timers.t203},
                                   std::pair{"T303", k.libpri_timers.t303}, std::pair{"T305", k.libpri_timers.t305},
                                   std::pair{"T308", k.libpri_timers.t308}}) {
                f.counter("trunkgw_span_timer_expiries_total", tm_help, static_cast<double>(n), with("timer", name));
            }
            if (!sp.isdn->nfas_group.empty()) {
                Labels nl{{"span", sp.name}, {"group", sp.isdn->nfas_group}, {"dchannel", sp.isdn->dchannel}};
                f.gauge("trunkgw_span_nfas_dchannel_active",
                        "NFAS: 1 while new calls of the group go through this span's D-channel.",
                        sp.isdn->dchannel_active ? 1 : 0, nl);
                f.counter("trunkgw_span_nfas_switchovers_total",
                          "NFAS: times the group's active D-channel changed with the group staying up (counted on "
                          "the primary span).",
                          static_cast<double>(k.dchannel_switchovers), l);
                f.counter("trunkgw_span_nfas_calls_cleared_by_restart_total",
                          "NFAS: calls cleared by RESTART of their channel because libpri kept them on a D-channel "
                          "that was down (counted on the primary span).",
                          static_cast<double>(k.calls_cleared_by_restart), l);
            }
            f.counter("trunkgw_span_setups_refused_total", sr_help, static_cast<double>(k.setups_refused), with("cause", "1"));
            f.counter("trunkgw_span_setups_refused_total", sr_help, static_cast<double>(k.setups_no_channel),
                      with("cause", "34"));
            f.counter("trunkgw_span_setups_refused_total", sr_help, static_cast<double>(k.setups_channel_unavailable),
                      with("cause", "44"));
            f.counter("trunkgw_span_setups_refused_total", sr_help, static_cast<double>(k.setups_bad_channel),
                      with("cause", "82"));
        }
        for (std::size_t i = 0; i < api::span_counter_count; ++i) {
            const auto& info = api::span_counter_info[i];
            std::string metric = fmt::format("trunkgw_span_{}", info.name);
            if (info.gauge) {
                f.gauge(metric, info.help, static_cast<double>(sp.counters[i]), {{"span", sp.name}});
            } else {
                f.counter(metric, info.help, static_cast<double>(sp.counters[i]), {{"span", sp.name}});
            }
        }
    }
    return f.take();
}

std::vector<MetricFamily> SnapshotCollectable::Collect() const { return snapshot_families(_snapshot()); }

MetricsExporter::MetricsExporter(const std::string& host, uint16_t port, std::function<Snapshot()> snapshot)
    : _collectable(std::make_shared<SnapshotCollectable>(std::move(snapshot)))
{
    std::string addr = fmt::format("{}:{}", host, port);
    try {
        _exposer = std::make_unique<prometheus::Exposer>(addr, 2);
    } catch (const std::exception& e) {
        throw std::runtime_error(fmt::format("cannot serve metrics on {} (control.metrics_listen): {}", addr,
                                             e.what()));
    }
    _exposer->RegisterCollectable(_collectable);
}

MetricsExporter::~MetricsExporter()
{
    if (_exposer) {
        _exposer->RemoveCollectable(_collectable);
    }
}

}  // namespace trunkgw::control
