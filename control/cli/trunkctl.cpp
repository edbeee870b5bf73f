// trunkctl: the operator's command line. Talks JSON to trunkgw-control's
// management socket; --json prints the reply's result as it came.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "control/cli/mgmt_client.h"
#include "control/cli/render.h"
#include "control/config/config.h"

namespace {

struct Command {
    std::string api_name;
    std::string (*render)(const nlohmann::json&);
    nlohmann::json args = nlohmann::json::object();
};

// trunkctl batch: one JSON request per stdin line ({"command": ..., "args":
// {...}}) over one connection, one JSON reply per stdout line. Returns the
// number of requests that failed.
// trunkctl trace dchannel: start, wait, stop (the trace also stops if
// trunkctl is interrupted: SIGINT/SIGTERM end the wait early).
volatile std::sig_atomic_t g_interrupted = 0;

int run_trace(const std::string& socket_path, const std::string& span, const std::string& file, double seconds)
{
    trunkgw::cli::mgmt_call(socket_path, "trace dchannel start", {{"span", span}, {"file", file}});
    std::signal(SIGINT, [](int) { g_interrupted = 1; });
    std::signal(SIGTERM, [](int) { g_interrupted = 1; });
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!g_interrupted && std::chrono::steady_clock::now() < end) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the trace's duration, not synchronisation
    }
    nlohmann::json r = trunkgw::cli::mgmt_call(socket_path, "trace dchannel stop", {{"span", span}});
    std::cout << fmt::format("{} frames of span {} written to {}\n", r["frames"].get<uint64_t>(), span, file);
    return 0;
}

int run_batch(const std::string& socket_path)
{
    trunkgw::cli::MgmtConnection conn(socket_path);
    int failed = 0;
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty()) {
            continue;
        }
        nlohmann::json reply = conn.request_line(line);
        failed += reply.value("ok", false) ? 0 : 1;
        std::cout << reply.dump() << "\n";
    }
    std::cout.flush();
    return failed;
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"trunkctl: operate a trunkgw gateway"};
    std::string config_path;
    std::string socket_path;
    bool as_json = false;
    auto* cfg_opt = app.add_option("-c,--config", config_path, "configuration file (finds the socket in it)");
    app.add_option("-s,--socket", socket_path, "management socket of trunkgw-control")->excludes(cfg_opt);
    app.add_flag("--json", as_json, "print the result as JSON");
    app.set_version_flag("--version", std::string("trunkctl ") + TRUNKGW_VERSION);
    app.require_subcommand(1);

    Command selected{};
    auto* show = app.add_subcommand("show", "show state and counters");
    show->require_subcommand(1);
    show->add_subcommand("status", "versions, uptimes, attach state, workers, spans, metrics URL")
        ->callback([&] { selected = {"show status", trunkgw::cli::render_status}; });
    show->add_subcommand("spans", "spans: state, alarms, line and pseudowire counters")
        ->callback([&] { selected = {"show spans", trunkgw::cli::render_spans}; });
    show->add_subcommand("counters", "ring pushed/popped/full, worker loops/sleeps/ticks, control counters")
        ->callback([&] { selected = {"show counters", trunkgw::cli::render_counters}; });
    show->add_subcommand("sessions", "RTP sessions: channel, addresses, codec, counters, loss, jitter, RTT")
        ->callback([&] { selected = {"show sessions", trunkgw::cli::render_sessions}; });
    auto* show_sip = show->add_subcommand("sip", "SIP state");
    show_sip->require_subcommand(1);
    show_sip->add_subcommand("trunks", "SIP trunks: peers, limits, calls, INVITEs, failure responses")
        ->callback([&] { selected = {"show sip trunks", trunkgw::cli::render_sip_trunks}; });

    auto* session = app.add_subcommand("session", "create, modify and delete RTP sessions (media tests)");
    session->require_subcommand(1);
    std::string channel;
    std::string remote;
    std::string local;
    std::string codec = "pcma";
    uint32_t ptime = 0;
    uint32_t telephone_event = 0;
    std::string srtp_suite;
    std::string srtp_ours;
    std::string srtp_theirs;
    uint32_t worker = 0;
    uint32_t id = 0;
    bool hold = false;
    bool bye = false;
    auto* create = session->add_subcommand("create", "start a session; --channel SPAN/TS joins a B-channel");
    create->add_option("--channel", channel, "SPAN/TS: the B-channel to join");
    create->add_option("--remote", remote, "IPV4:PORT of the far end (omit to learn it by latching)");
    create->add_option("--local", local, "our IPv4 address (default: the first port's first)");
    create->add_option("--codec", codec, "pcma or pcmu")->check(CLI::IsMember({"pcma", "pcmu"}));
    create->add_option("--ptime", ptime, "10, 20, 30 or 40 ms (default: media.ptime_ms)");
    create->add_option("--worker", worker, "without --channel: the worker id");
    create->add_option("--telephone-event", telephone_event,
                       "PT (96-127): RFC 4733 events received with it play as DTMF on the channel, and DTMF "
                       "heard on the channel is sent as events with it");
    auto* srtp_opt = create->add_option("--srtp", srtp_suite,
                                        "SRTP (RFC 3711) with this RFC 4568 suite: AES_CM_128_HMAC_SHA1_80 or "
                                        "AES_CM_128_HMAC_SHA1_32");
    create->add_option("--srtp-ours", srtp_ours, "base64 master key and salt (30 octets) we send with")
        ->needs(srtp_opt);
    create->add_option("--srtp-theirs", srtp_theirs, "base64 master key and salt (30 octets) the far end sends with")
        ->needs(srtp_opt);
    create->add_flag("--hold", hold, "start without sending RTP");
    create->callback([&] {
        nlohmann::json a = {{"codec", codec}, {"send", !hold}};
        if (!channel.empty()) {
            auto slash = channel.rfind('/');
            if (slash == std::string::npos) {
                throw CLI::ValidationError("--channel", "must be SPAN/TS");
            }
            a["span"] = channel.substr(0, slash);
            a["ts"] = std::stoul(channel.substr(slash + 1));
        }
        if (!remote.empty()) {
            a["remote"] = remote;
        }
        if (!local.empty()) {
            a["local"] = local;
        }
        if (ptime != 0) {
            a["ptime"] = ptime;
        }
        if (telephone_event != 0) {
            a["telephone_event"] = telephone_event;
        }
        if (worker != 0) {
            a["worker"] = worker;
        }
        if (!srtp_suite.empty()) {
            a["srtp"] = {{"suite", srtp_suite}, {"ours", srtp_ours}, {"theirs", srtp_theirs}};
        }
        selected = {"session create", trunkgw::cli::render_session_result, a};
    });
    auto* modify = session->add_subcommand("modify", "new remote and/or hold/resume");
    modify->add_option("id", id, "session id")->required();
    modify->add_option("--remote", remote, "IPV4:PORT")->required();
    modify->add_flag("--hold", hold, "stop sending RTP (resume: omit)");
    auto* modify_te = modify->add_option("--telephone-event", telephone_event,
                                         "the peer's PT (96-127) for RFC 4733 events: DTMF heard on the channel "
                                         "goes with it; 0: in-band (omit: unchanged)");
    modify->callback([&] {
        nlohmann::json a = {{"id", id}, {"remote", remote}, {"send", !hold}};
        if (modify_te->count() != 0) {
            a["telephone_event"] = telephone_event;
        }
        selected = {"session modify", trunkgw::cli::render_session_result, a};
    });
    auto* del = session->add_subcommand("delete", "stop a session");
    del->add_option("id", id, "session id")->required();
    del->add_flag("--bye", bye, "send RTCP BYE first");
    del->callback([&] {
        selected = {"session delete", trunkgw::cli::render_session_result, {{"id", id}, {"bye", bye}}};
    });
    auto* trace = app.add_subcommand("trace", "D-channel traces");
    trace->require_subcommand(1);
    auto* trace_d = trace->add_subcommand("dchannel", "trace SPAN's D-channel into FILE (pcap, link type 177: tshark "
                                                      "decodes Q.921/Q.931) for --seconds");
    std::string trace_span;
    std::string trace_file;
    double trace_seconds = 10;
    trace_d->add_option("span", trace_span, "span name")->required();
    trace_d->add_option("file", trace_file, "pcap file to write")->required();
    trace_d->add_option("--seconds", trace_seconds, "how long to trace")->check(CLI::Range(0.1, 86400.0));
    bool tracing = false;
    trace_d->callback([&] { tracing = true; });
    std::string span_name;
    auto* span_cmd = app.add_subcommand("span", "span maintenance: SPAN block|unblock");
    span_cmd->add_option("span", span_name, "span name")->required();
    span_cmd->add_subcommand("block", "take every B-channel out of service")->callback([&] {
        selected = {"span block", trunkgw::cli::render_service_result, {{"span", span_name}}};
    });
    span_cmd->add_subcommand("unblock", "put every B-channel back in service")->callback([&] {
        selected = {"span unblock", trunkgw::cli::render_service_result, {{"span", span_name}}};
    });
    span_cmd->require_subcommand(1);
    std::string channel_ref;
    auto* chan_cmd = app.add_subcommand("channel", "channel maintenance: SPAN/CH service|maintenance");
    chan_cmd->add_option("channel", channel_ref, "SPAN/CH")->required();
    auto channel_args = [&](bool in) {
        auto slash = channel_ref.rfind('/');
        if (slash == std::string::npos) {
            throw CLI::ValidationError("channel", "must be SPAN/CH");
        }
        return nlohmann::json{{"span", channel_ref.substr(0, slash)},
                              {"channel", std::stoul(channel_ref.substr(slash + 1))},
                              {"in_service", in}};
    };
    chan_cmd->add_subcommand("service", "put the channel in service")->callback([&] {
        selected = {"channel service", trunkgw::cli::render_service_result, channel_args(true)};
    });
    chan_cmd->add_subcommand("maintenance", "take the channel out of service")->callback([&] {
        selected = {"channel service", trunkgw::cli::render_service_result, channel_args(false)};
    });
    chan_cmd->require_subcommand(1);
    std::string show_span;
    auto* show_channels = show->add_subcommand("channels", "a span's B-channels: state, blocked here or there");
    show_channels->add_option("span", show_span, "span name")->required();
    show_channels->callback(
        [&] { selected = {"show channels", trunkgw::cli::render_channels, {{"span", show_span}}}; });
    bool with_history = false;
    auto* show_calls = show->add_subcommand("calls", "calls up now: legs, numbers, route, state; --history adds "
                                                     "the last ones that ended with their causes");
    show_calls->add_flag("--history", with_history, "also the last calls that ended");
    show_calls->callback(
        [&] { selected = {"show calls", trunkgw::cli::render_calls, {{"history", with_history}}}; });
    auto* call_cmd = app.add_subcommand("call", "call control: drop ID");
    call_cmd->require_subcommand(1);
    uint64_t call_id = 0;
    auto* drop = call_cmd->add_subcommand("drop", "clear a call on both legs (cause 16)");
    drop->add_option("id", call_id, "call id (show calls)")->required();
    drop->callback([&] { selected = {"call drop", trunkgw::cli::render_drop_result, {{"id", call_id}}}; });
    bool batch = false;
    app.add_subcommand("reload", "read the config file again: new routes, span groups, toll-fraud tables and SIP "
                                 "trunks apply without dropping calls (anything else needs a restart)")
        ->callback([&] { selected = {"reload", trunkgw::cli::render_reload_result}; });
    app.add_subcommand("batch", "JSON requests from stdin, one per line, over one connection; JSON replies out")
        ->callback([&] { batch = true; });
    CLI11_PARSE(app, argc, argv);

    if (socket_path.empty()) {
        try {
            socket_path = trunkgw::config::load(config_path).control.socket;
        } catch (const trunkgw::config::ConfigError& e) {
            fmt::print(stderr, "{}\n", e.what());
            return 2;
        }
    }
    try {
        if (batch) {
            return run_batch(socket_path) == 0 ? 0 : 1;
        }
        if (tracing) {
            return run_trace(socket_path, trace_span, std::filesystem::absolute(trace_file).string(), trace_seconds);
        }
        nlohmann::json result = trunkgw::cli::mgmt_call(socket_path, selected.api_name, selected.args);
        if (as_json) {
            std::cout << result.dump(2) << "\n";
        } else {
            std::cout << selected.render(result);
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "trunkctl: {}\n", e.what());
        return 1;
    }
    return 0;
}
