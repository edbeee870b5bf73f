#include "control/cli/render.h"

#include <chrono>

#include <fmt/format.h>

#include "control/cli/text_table.h"

namespace trunkgw::cli {

using nlohmann::json;

std::string format_duration(double seconds)
{
    auto s = static_cast<long long>(seconds);
    long long d = s / 86400, h = (s / 3600) % 24, m = (s / 60) % 60, sec = s % 60;
    if (d > 0) {
        return fmt::format("{}d{:02}h{:02}m{:02}s", d, h, m, sec);
    }
    if (h > 0) {
        return fmt::format("{}h{:02}m{:02}s", h, m, sec);
    }
    if (m > 0) {
        return fmt::format("{}m{:02}s", m, sec);
    }
    return fmt::format("{:.1f}s", seconds);
}

std::string render_status(const json& r)
{
    std::string out = fmt::format("trunkgw {} (ABI {}, management API {}), instance {}\n",
                                  r["version"].get<std::string>(), r["abi_version"].get<int>(),
                                  r["mgmt_api_version"].get<int>(), r["instance"].get<std::string>());
    TextTable info({"", ""});
    info.add({"config", r["config"].get<std::string>()});
    info.add({"metrics", r["metrics_url"].get<std::string>()});
    info.add({"control", fmt::format("pid {}, up {}", r["control"]["pid"].get<int>(),
                                     format_duration(r["control"]["uptime_s"].get<double>()))});
    const json& dp = r["dataplane"];
    if (dp["attached"].get<bool>()) {
        info.add({"dataplane", fmt::format("attached: pid {}, version {}, up {}, epoch {}",
                                           dp["pid"].get<int>(), dp["version"].get<std::string>(),
                                           format_duration(dp["uptime_s"].get<double>()),
                                           dp["epoch"].get<uint64_t>())});
        info.add({"", fmt::format("attached for {}, heartbeat {:.3f}s ago, {} attach(es) since start",
                                  format_duration(dp["attached_for_s"].get<double>()),
                                  dp["heartbeat_age_s"].get<double>(), dp["control_attaches"].get<uint64_t>())});
    } else {
        info.add({"dataplane", "NOT attached: " + dp["last_error"].get<std::string>()});
    }
    std::string t = info.render();
    out += t.substr(t.find('\n') + 1);  // no header row for key/value lines

    out += "\n";
    TextTable workers({"WORKER", "LCORE", "STATE", "ATTACHED", "HEARTBEAT", "PING RTT"});
    for (const auto& w : r["workers"]) {
        workers.add({std::to_string(w["id"].get<int>()), std::to_string(w["lcore"].get<int>()),
                     w["state"].get<std::string>(), w["attached"].get<bool>() ? "yes" : "no",
                     fmt::format("{:.3f}s ago", w["heartbeat_age_s"].get<double>()),
                     fmt::format("{:.0f}us", w["ping_rtt_us"].get<double>())});
    }
    out += workers.render();

    if (r.contains("ports") && !r["ports"].empty()) {
        out += "\n";
        TextTable ports({"PORT", "UDP TO ITS WORKER"});
        for (const auto& p : r["ports"]) {
            ports.add({p["name"].get<std::string>(), p["udp_to_worker"].get<std::string>()});
        }
        out += ports.render();
    }

    out += "\n";
    TextTable spans({"SPAN", "NAME", "TYPE", "WORKER", "STATE", "ALARMS"});
    for (const auto& s : r["spans"]) {
        spans.add({std::to_string(s["id"].get<int>()), s["name"].get<std::string>(), s["type"].get<std::string>(),
                   std::to_string(s["worker"].get<int>()), s["state"].get<std::string>(),
                   fmt::format("{:#x}", s["alarms"].get<uint32_t>())});
    }
    out += spans.render();
    return out;
}

// "up", "down", "-" (no ISDN); NFAS: "up (g1 primary, active)", "up (g1
// backup)", "up (g1 none)" for a span whose D-channel is elsewhere.
std::string dchannel_cell(const json& s)
{
    if (!s.contains("isdn")) {
        return "-";
    }
    std::string cell = s["isdn"]["dchannel"].get<std::string>();
    if (s.contains("nfas")) {
        const json& n = s["nfas"];
        cell += " (" + n["group"].get<std::string>() + " " + n["dchannel"].get<std::string>() +
                (n["active"].get<bool>() ? ", active)" : ")");
    }
    return cell;
}

std::string render_spans(const json& r)
{
    std::string out;
    if (!r["attached"].get<bool>()) {
        return "dataplane NOT attached: span state unavailable\n";
    }
    TextTable t({"SPAN", "NAME", "TYPE", "WORKER", "STATE", "ALARMS", "D-CHAN", "FRAMES", "CRC ERR", "PW RX", "PW TX",
                 "LOST", "SLIPS", "JITTER"});
    for (const auto& s : r["spans"]) {
        const json& c = s["counters"];
        std::string alarms = s["alarms"].get<std::string>();
        t.add({std::to_string(s["id"].get<int>()), s["name"].get<std::string>(), s["type"].get<std::string>(),
               std::to_string(s["worker"].get<int>()), s["state"].get<std::string>(), alarms.empty() ? "-" : alarms,
               dchannel_cell(s),
               std::to_string(c["frames"].get<uint64_t>()), std::to_string(c["crc_errors"].get<uint64_t>()),
               std::to_string(c["pw_packets_rx"].get<uint64_t>()), std::to_string(c["pw_packets_tx"].get<uint64_t>()),
               std::to_string(c["pw_lost"].get<uint64_t>()), std::to_string(c["pw_slips"].get<uint64_t>()),
               std::to_string(c["pw_jitter_depth_packets"].get<uint64_t>())});
    }
    out += t.render();
    return out;
}

std::string render_sessions(const json& r)
{
    if (!r["attached"].get<bool>()) {
        return "dataplane NOT attached: sessions unavailable\n";
    }
    std::string out = fmt::format("{} active of {} slots\n", r["active"].get<uint64_t>(), r["slots"].get<uint64_t>());
    TextTable t({"ID", "WORKER", "CHANNEL", "LOCAL", "REMOTE", "CODEC", "PTIME", "STATE", "RTP OUT", "RTP IN", "LOST",
                 "LATE", "JITTER", "RTT", "AGE"});
    for (const auto& s : r["sessions"]) {
        const json& c = s["counters"];
        std::string state = s["rtp_timed_out"].get<bool>() ? "rtp-timeout" : (s["sending"].get<bool>() ? "active" : "hold");
        std::string channel = s["channel"].get<std::string>();
        t.add({std::to_string(s["id"].get<uint32_t>()), std::to_string(s["worker"].get<uint32_t>()),
               channel.empty() ? "-" : channel, s["local"].get<std::string>(), s["remote"].get<std::string>(),
               s["codec"].get<std::string>() + (s.value("srtp", false) ? " srtp" : ""), fmt::format("{}ms", s["ptime_ms"].get<uint32_t>()), state,
               std::to_string(c["rtp_packets_out"].get<uint64_t>()), std::to_string(c["rtp_packets_in"].get<uint64_t>()),
               std::to_string(c["lost"].get<int64_t>()), std::to_string(c["rtp_late"].get<uint64_t>()),
               fmt::format("{:.1f}ms", static_cast<double>(c["jitter_microseconds"].get<uint64_t>()) / 1000.0),
               c["rtt_microseconds"].get<uint64_t>() == 0
                   ? "-"
                   : fmt::format("{:.1f}ms", static_cast<double>(c["rtt_microseconds"].get<uint64_t>()) / 1000.0),
               format_duration(s["age_s"].get<double>())});
    }
    out += t.render();
    return out;
}

std::string render_channels(const json& r)
{
    std::string out = fmt::format("span {}: D-channel {}\n", r["span"].get<std::string>(), r["dchannel"].get<std::string>());
    TextTable t({"CH", "STATE", "BLOCKED HERE", "BLOCKED THERE"});
    for (const auto& c : r["channels"]) {
        t.add({std::to_string(c["channel"].get<int>()), c["state"].get<std::string>(),
               c["blocked_here"].get<bool>() ? "yes" : "no", c["blocked_there"].get<bool>() ? "yes" : "no"});
    }
    return out + t.render();
}

namespace {

std::string leg_text(const json& call, const char* key)
{
    if (!call.contains(key)) {
        return "-";
    }
    const json& leg = call[key];
    if (leg.contains("sip_trunk")) {
        return "sip:" + leg["sip_trunk"].get<std::string>();
    }
    return fmt::format("{}/{}", leg["span"].get<std::string>(), leg["channel"].get<int>());
}

std::string call_duration(const json& c)
{
    int64_t answer = c["answer_unix_ms"].get<int64_t>();
    if (answer == 0) {
        return "-";
    }
    int64_t end = c.contains("end_unix_ms") ? c["end_unix_ms"].get<int64_t>()
                                             : std::chrono::duration_cast<std::chrono::milliseconds>(
                                                   std::chrono::system_clock::now().time_since_epoch())
                                                   .count();
    return fmt::format("{:.1f}s", static_cast<double>(end - answer) / 1000.0);
}

}  // namespace

std::string render_calls(const json& r)
{
    const json& k = r["totals"];
    std::string out = fmt::format("{} call(s) up; offered {}, answered {}, ended {}, no route {}, failovers {}\n",
                                  k["active"].get<uint64_t>(), k["offered"].get<uint64_t>(),
                                  k["answered"].get<uint64_t>(), k["ended"].get<uint64_t>(),
                                  k["no_route"].get<uint64_t>(), k["failovers"].get<uint64_t>());
    if (k.contains("toll_fraud")) {
        const json& tf = k["toll_fraud"];
        out += fmt::format("span group hunts {}; toll fraud: allowed {}, refused {} (not allowed {}, concurrent cap {}, "
                           "hourly cap {})\n",
                           k["group_hunts"].get<uint64_t>(), tf["allowed"].get<uint64_t>(),
                           tf["not_allowed"].get<uint64_t>() + tf["concurrent"].get<uint64_t>() +
                               tf["hourly"].get<uint64_t>(),
                           tf["not_allowed"].get<uint64_t>(), tf["concurrent"].get<uint64_t>(),
                           tf["hourly"].get<uint64_t>());
    }
    if (k.contains("cdr")) {
        const json& w = k["cdr"];
        out += fmt::format("CDRs: {} written, {} queued, {} errors ({})\n", w["records"].get<uint64_t>(),
                           w["queued"].get<uint64_t>(), w["errors"].get<uint64_t>(), w["path"].get<std::string>());
    }
    TextTable t({"ID", "STATE", "IN", "OUT", "CALLING", "CALLED", "DIALLED", "ROUTE", "CONNECTED"});
    for (const auto& c : r["calls"]) {
        t.add({std::to_string(c["id"].get<uint64_t>()), c["state"].get<std::string>(), leg_text(c, "in"),
               leg_text(c, "out"), c["calling"].get<std::string>(), c["called"].get<std::string>(),
               c["called_out"].get<std::string>(), c["route"].get<std::string>(), call_duration(c)});
    }
    out += t.render();
    if (r.contains("ended")) {
        out += "\nended:\n";
        TextTable e({"ID", "IN", "OUT", "CALLING", "CALLED", "ROUTE", "CONNECTED", "CAUSE", "CLEARED BY"});
        for (const auto& c : r["ended"]) {
            e.add({std::to_string(c["id"].get<uint64_t>()), leg_text(c, "in"), leg_text(c, "out"),
                   c["calling"].get<std::string>(), c["called"].get<std::string>(), c["route"].get<std::string>(),
                   call_duration(c), std::to_string(c["cause"].get<int>()), c["cleared_by"].get<std::string>()});
        }
        out += e.render();
    }
    return out;
}

std::string render_sip_trunks(const json& r)
{
    std::string out = fmt::format("SIP on {} ({}{}); INVITEs from unlisted sources refused (403): {}; "
                                  "failed digest authentication: {} source(s) blocked now, {} block(s), {} INVITE(s) "
                                  "refused while blocked; SDP bodies refused before parsing (malformed m= line): {}\n",
                                  r["listen"].get<std::string>(), r["transport"].get<std::string>(),
                                  r["tls_port"].is_null() ? std::string() : fmt::format(", tls port {}", r["tls_port"].get<int>()),
                                  r["refused_acl"].get<uint64_t>(), r["blocked_sources"].get<uint64_t>(),
                                  r["auth_blocks"].get<uint64_t>(), r["refused_auth_blocked"].get<uint64_t>(),
                                  r["sdp_refused_unsafe"].get<uint64_t>());
    TextTable t({"TRUNK", "PEERS", "STATE", "REGISTRATION", "ACTIVE", "MAX", "CPS", "IN", "OUT", "ANSWERED IN/OUT",
                 "REFUSED LIMIT", "SRTP (REFUSED)", "AUTH CHAL/OK/FAIL/ANSWERED", "FAILURES SENT", "FAILURES RECEIVED"});
    auto finals = [](const json& m) {
        std::string s;
        for (const auto& [status, n] : m.items()) {
            s += s.empty() ? "" : " ";
            s += status + "x" + std::to_string(n.get<uint64_t>());
        }
        return s.empty() ? std::string("-") : s;
    };
    for (const auto& k : r["trunks"]) {
        std::string peers;
        for (const auto& p : k["peers"]) {
            // Appended in two steps: `"," + string` (an insert at the
            // front) trips GCC 12's -Wstringop-overflow false positive in an
            // LTO build.
            peers += peers.empty() ? "" : ",";
            peers += p.get<std::string>();
        }
        const json& reg = k["registration"];
        const std::string registration =
            reg.is_null() ? std::string("-")
                          : fmt::format("{} ({}s, last {})", reg["state"].get<std::string>(), reg["expires_s"].get<uint64_t>(),
                                        reg["last_status"].get<int>());
        const json& a = k["auth"];
        const std::string auth = fmt::format("{}/{}/{}/{}", a["challenges"].get<uint64_t>(), a["accepted"].get<uint64_t>(),
                                             a["failed"].get<uint64_t>(), a["answered"].get<uint64_t>());
        t.add({k["name"].get<std::string>(), peers + (k["transport"] == "udp" ? "" : " (" + k["transport"].get<std::string>() + ")"),
               k["state"].get<std::string>(), registration, std::to_string(k["active"].get<uint64_t>()),
               std::to_string(k["max_calls"].get<uint64_t>()), fmt::format("{:g}", k["calls_per_second"].get<double>()),
               std::to_string(k["invites_in"].get<uint64_t>()), std::to_string(k["invites_out"].get<uint64_t>()),
               fmt::format("{}/{}", k["answered_in"].get<uint64_t>(), k["answered_out"].get<uint64_t>()),
               std::to_string(k["refused_limit"].get<uint64_t>()),
               fmt::format("{} ({})", k["srtp"].get<std::string>(), k["srtp_refused"].get<uint64_t>()), auth,
               finals(k["final_responses_sent"]),
               finals(k["final_responses_received"])});
    }
    out += t.render();
    return out;
}

std::string render_reload_result(const json& r)
{
    return fmt::format("reloaded: {} route(s), {} span group(s), {} toll-fraud class(es), {} SIP trunk(s)\n",
                       r["routes"].get<uint64_t>(), r["span_groups"].get<uint64_t>(), r["toll_classes"].get<uint64_t>(),
                       r["sip_trunks"].get<uint64_t>());
}

std::string render_drop_result(const json& r)
{
    return fmt::format("call {} dropped\n", r["id"].get<uint64_t>());
}

std::string render_service_result(const json& r)
{
    return fmt::format("span {}: {} channel(s) changed\n", r["span"].get<std::string>(), r["changed"].get<int>());
}

std::string render_session_result(const json& r)
{
    if (r.contains("local")) {
        return fmt::format("session {} on worker {}, local {}\n", r["id"].get<uint32_t>(), r["worker"].get<uint32_t>(),
                           r["local"].get<std::string>());
    }
    return fmt::format("session {}: done\n", r["id"].get<uint32_t>());
}

std::string render_counters(const json& r)
{
    std::string out;
    if (!r["attached"].get<bool>()) {
        out += "dataplane NOT attached: ring and worker counters unavailable\n\n";
    }
    TextTable rings({"RING", "OWNER", "PUSHED", "POPPED", "FULL", "DEPTH", "CAPACITY"});
    for (const auto& x : r["rings"]) {
        rings.add({x["ring"].get<std::string>(), x["owner"].get<std::string>(),
                   std::to_string(x["pushed"].get<uint64_t>()), std::to_string(x["popped"].get<uint64_t>()),
                   std::to_string(x["full"].get<uint64_t>()), std::to_string(x["depth"].get<uint64_t>()),
                   std::to_string(x["capacity"].get<uint64_t>())});
    }
    out += rings.render();

    // Workers as columns, counters as rows: any number of counters fits.
    const json& ws = r["workers"];
    if (!ws.empty()) {
        std::vector<std::string> head = {"WORKER COUNTER"};
        for (const auto& w : ws) {
            head.push_back("worker " + std::to_string(w["id"].get<int>()));
        }
        TextTable workers(head);
        for (const auto& [k, v] : ws[0].items()) {
            if (k == "id" || k == "net") {
                continue;
            }
            std::vector<std::string> row = {k};
            for (const auto& w : ws) {
                const json& x = w[k];
                row.push_back(x.is_number_integer() ? std::to_string(x.get<uint64_t>()) : fmt::format("{:.3f}", x.get<double>()));
            }
            workers.add(row);
        }
        out += "\n" + workers.render();
        // The packet layer: port I/O, ARP, and the drop reasons that occurred.
        std::vector<std::string> nhead = {"NET COUNTER"};
        for (const auto& w : ws) {
            nhead.push_back("worker " + std::to_string(w["id"].get<int>()));
        }
        TextTable net(nhead);
        if (ws[0].contains("net")) {
            for (const auto& [k, v] : ws[0]["net"].items()) {
                if (k == "drops") {
                    continue;
                }
                std::vector<std::string> row = {k};
                for (const auto& w : ws) {
                    row.push_back(std::to_string(w["net"][k].get<uint64_t>()));
                }
                net.add(row);
            }
            for (const auto& [k, v] : ws[0]["net"]["drops"].items()) {
                uint64_t any = 0;
                for (const auto& w : ws) {
                    any += w["net"]["drops"][k].get<uint64_t>();
                }
                if (any == 0) {
                    continue;
                }
                std::vector<std::string> row = {"drop." + k};
                for (const auto& w : ws) {
                    row.push_back(std::to_string(w["net"]["drops"][k].get<uint64_t>()));
                }
                net.add(row);
            }
            out += "\n" + net.render();
        }
    }

    TextTable link({"CONTROL COUNTER", "VALUE"});
    for (const auto& [k, v] : r["link"].items()) {
        link.add({"link." + k, std::to_string(v.get<uint64_t>())});
    }
    for (const auto& [k, v] : r["mgmt"].items()) {
        link.add({"mgmt." + k, std::to_string(v.get<uint64_t>())});
    }
    out += "\n" + link.render();
    return out;
}

}  // namespace trunkgw::cli
