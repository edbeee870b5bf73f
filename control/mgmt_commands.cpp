// JSON renderings of the status snapshot, and the command table.
#include "control/mgmt_commands.h"

#include "control/mgmt_isdn_commands.h"
#include "control/mgmt_session_commands.h"

#include "dataplane/api/worker_counters.h"
#include "dataplane/net_counter_layout.h"

namespace trunkgw::control {

using nlohmann::json;

json status_json(const Snapshot& s)
{
    json workers = json::array();
    for (const auto& w : s.workers) {
        workers.push_back({{"id", w.id},
                           {"lcore", w.lcore},
                           {"state", w.state},
                           {"attached", s.attached && w.state == "running" && w.responsive},
                           {"heartbeat_age_s", w.heartbeat_age_s},
                           {"ping_rtt_us", w.ping_rtt_us},
                           {"pongs", w.pongs}});
    }
    json spans = json::array();
    for (const auto& sp : s.spans) {
        spans.push_back({{"id", sp.id}, {"name", sp.name}, {"type", sp.type}, {"worker", sp.worker_id},
                         {"state", sp.state}, {"alarms", sp.alarms}});
    }
    json ports = json::array();
    for (const auto& p : s.ports) {
        ports.push_back({{"name", p.name}, {"flow_steering", p.flow_steering}, {"udp_to_worker", p.udp_to_worker}});
    }
    json dp = {{"attached", s.attached}, {"last_error", s.last_error}};
    if (s.attached) {
        dp.update({{"pid", s.dataplane_pid},
                   {"version", s.dataplane_version},
                   {"epoch", s.epoch},
                   {"uptime_s", s.dataplane_uptime_s},
                   {"heartbeat_age_s", s.dataplane_heartbeat_age_s},
                   {"attached_for_s", s.attached_for_s},
                   {"control_attaches", s.dataplane_control_attaches}});
    }
    return {{"version", s.version},
            {"abi_version", s.abi_version},
            {"mgmt_api_version", mgmt_api_version},
            {"instance", s.instance},
            {"config", s.config_source},
            {"metrics_url", s.metrics_url},
            {"control", {{"pid", s.control_pid}, {"uptime_s", s.control_uptime_s}}},
            {"dataplane", dp},
            {"ports", ports},
            {"workers", workers},
            {"spans", spans}};
}

json spans_json(const Snapshot& s)
{
    json spans = json::array();
    for (const auto& sp : s.spans) {
        json c = json::object();
        for (std::size_t i = 0; i < api::span_counter_count; ++i) {
            std::string name = api::span_counter_info[i].name;
            auto cut = name.rfind("_total");
            c[cut == std::string::npos ? name : name.substr(0, cut)] = sp.counters[i];
        }
        json row = {{"id", sp.id},
                    {"name", sp.name},
                    {"type", sp.type},
                    {"worker", sp.worker_id},
                    {"state", sp.state},
                    {"alarms", span_alarm_names(sp.alarms)},
                    {"state_changes", sp.state_changes},
                    {"counters", c}};
        if (sp.isdn) {
            const auto& k = sp.isdn->counters;
            json q931_rx = json::object();
            json q931_tx = json::object();
            for (std::size_t m = 0; m <= isdn::q931_message_names.size(); ++m) {
                std::string msg(isdn::q931_message_label(m));
                if (k.q931_rx[m] != 0) {
                    q931_rx[msg] = k.q931_rx[m];
                }
                if (k.q931_tx[m] != 0) {
                    q931_tx[msg] = k.q931_tx[m];
                }
            }
            if (!sp.isdn->nfas_group.empty()) {
                // NFAS: the group, what this span's TS24 carries, and
                // whether new calls go through its D-channel.
                row["nfas"] = {{"group", sp.isdn->nfas_group},
                               {"dchannel", sp.isdn->dchannel},
                               {"active", sp.isdn->dchannel_active}};
            }
            row["isdn"] = {{"side", sp.isdn->network_side ? "network" : "user"},
                           {"switch_type", sp.isdn->switch_type},
                           {"dchannel", sp.isdn->up ? "up" : "down"},
                           {"restarting", sp.isdn->restarting},
                           {"counters",
                            {{"q921_frames_rx", k.frames_rx},
                             {"q921_frames_tx", k.frames_tx},
                             {"q921_frames_tx_refused", k.frames_tx_refused},
                             {"q921_retransmissions", k.q921_retransmissions},
                             {"q921_frames_short", k.frames_rx_short},
                             {"q931_ignored_too_short", k.q931_rx_too_short},
                             {"q931_ignored_protocol", k.q931_rx_bad_protocol},
                             {"dchannel_up", k.dchan_up},
                             {"dchannel_down", k.dchan_down},
                             {"restarts_sent", k.restarts_sent},
                             {"restart_acks", k.restart_acks},
                             {"restart_retries", k.restart_retries},
                             {"restart_timeouts", k.restart_timeouts},
                             {"restarts_received", k.restarts_received},
                             {"setups_unrouted", k.setups_refused},
                             {"setups_no_channel", k.setups_no_channel},
                             {"setups_channel_unavailable", k.setups_channel_unavailable},
                             {"setups_bad_channel", k.setups_bad_channel},
                             {"config_errors", k.config_errors},
                             {"calls_in", k.calls_in},
                             {"calls_out", k.calls_out},
                             {"calls_out_refused", k.calls_out_refused},
                             {"calls_answered_in", k.calls_answered_in},
                             {"calls_answered_out", k.calls_answered_out},
                             {"channel_moves", k.channel_moves},
                             {"calls_lost_to_restart", k.calls_lost_to_restart},
                             {"calls_reaped", k.calls_reaped},
                             {"t302_expiries", k.t302_expiries},
                             {"t309_expiries", k.t309_expiries},
                             {"t200_expiries", k.libpri_timers.t200},
                             {"t203_expiries", k.libpri_timers.t203},
                             {"t303_expiries", k.libpri_timers.t303},
                             {"t305_expiries", k.libpri_timers.t305},
                             {"t308_expiries", k.libpri_timers.t308},
                             {"dchannel_switchovers", k.dchannel_switchovers},
                             {"calls_cleared_by_restart", k.calls_cleared_by_restart}}},
                           {"q931_rx", q931_rx},
                           {"q931_tx", q931_tx}};
        }
        spans.push_back(row);
    }
    return {{"attached", s.attached}, {"spans", spans}};
}

json counters_json(const Snapshot& s)
{
    json rings = json::array();
    for (const auto& r : s.rings) {
        rings.push_back({{"ring", r.ring},
                         {"owner", r.owner},
                         {"pushed", r.stats.pushed},
                         {"popped", r.stats.popped},
                         {"full", r.stats.full},
                         {"depth", r.stats.depth},
                         {"capacity", r.stats.capacity}});
    }
    json workers = json::array();
    for (const auto& w : s.workers) {
        json c = {{"id", w.id}};
        for (std::size_t i = 0; i < api::worker_counter_count; ++i) {
            const api::CounterInfo& info = api::worker_counter_info[i];
            std::string name = info.name;
            name = name.substr(0, name.rfind("_total"));
            if (info.scale == 1.0) {
                c[name] = w.counters[i];
            } else {
                c[name] = static_cast<double>(w.counters[i]) * info.scale;
            }
        }
        json net = json::object();
        for (std::size_t k = 0; k < dataplane::net_counter_names.size(); ++k) {
            net[std::string(dataplane::net_counter_names[k])] = w.net[dataplane::net_drop_slots + k];
        }
        json drops = json::object();
        for (std::size_t r = 1; r <= net::drop_reason_count; ++r) {
            drops[std::string(net::drop_reason_names[r])] = w.net[r];
        }
        net["drops"] = drops;
        c["net"] = net;
        workers.push_back(c);
    }
    return {{"attached", s.attached},
            {"rings", rings},
            {"workers", workers},
            {"link",
             {{"attach_attempts", s.link.attach_attempts},
              {"attaches", s.link.attaches},
              {"detaches", s.link.detaches},
              {"attach_refusals", s.link.attach_refusals},
              {"wakeups", s.link.wakeups},
              {"events", s.link.events},
              {"events_unknown", s.link.events_unknown},
              {"command_errors", s.link.cmd_errors},
              {"commands_refused", s.link.commands_refused},
              {"commands_deferred", s.link.commands_deferred},
              {"commands_backlog", s.link.commands_backlog}}},
            {"mgmt",
             {{"connections", s.mgmt_connections},
              {"requests_ok", s.mgmt_requests_ok},
              {"requests_error", s.mgmt_requests_error},
              {"requests_malformed", s.mgmt_requests_malformed}}}};
}

MgmtCommands make_mgmt_commands(std::function<Snapshot()> snapshot, SessionManager* sessions, IsdnSpans* isdn)
{
    MgmtCommands c;
    c["show status"] = {"versions, uptimes, attach state, workers, spans, metrics URL",
                        [snapshot](const json&) { return status_json(snapshot()); }};
    c["show spans"] = {"spans: state, alarms, line and pseudowire counters",
                       [snapshot](const json&) { return spans_json(snapshot()); }};
    c["show counters"] = {"ring and worker counters",
                          [snapshot](const json&) { return counters_json(snapshot()); }};
    c["show sessions"] = {"RTP sessions: channel, addresses, codec, RTP/RTCP counters, loss, jitter, RTT",
                          [snapshot](const json&) { return sessions_json(snapshot()); }};
    if (sessions != nullptr) {
        add_session_commands(c, *sessions);
    }
    if (isdn != nullptr) {
        add_isdn_commands(c, *isdn);
    }
    json list = json::object();
    for (const auto& [name, cmd] : c) {
        list[name] = cmd.help;
    }
    list["help"] = "the commands this server knows";
    c["help"] = {"the commands this server knows", [list](const json&) { return list; }};
    return c;
}

}  // namespace trunkgw::control
