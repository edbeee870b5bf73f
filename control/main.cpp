// trunkgw-control: the signaling and management process. One event loop
// (event_loop.h), attached to the data plane through the shared segment,
// serving the management API and the Prometheus endpoint.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <poll.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "control/config/config.h"
#include "control/calls/call_manager.h"
#include "control/config/program_start.h"
#include "control/dataplane_link.h"
#include "control/event_loop.h"
#include "control/heap_reserve.h"
#include "control/isdn_spans.h"
#include "control/metrics_exporter.h"
#include "control/mgmt_call_commands.h"
#include "control/mgmt_commands.h"
#include "control/mgmt_sip_commands.h"
#include "control/session_manager.h"
#include "control/sip_setup.h"
#include "control/config_reload.h"
#include "control/mgmt_server.h"
#include "control/status.h"

namespace {

int run(trunkgw::config::Config& cfg)
{
    using namespace trunkgw::control;
    uint64_t start_ns = trunkgw::api::mono_ns();

    // Block the signals before any thread starts so that only the signalfd
    // in the loop sees them.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);  // reload routes and trunks
    pthread_sigmask(SIG_BLOCK, &mask, nullptr);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

    EventLoop loop;
    DataplaneLink link(loop, cfg);
    MgmtCounters mgmt_counters;
    SessionManager sessions(link, cfg);
    std::unique_ptr<CdrWriter> cdr;
    if (cfg.cdr.enabled) {
        try {
            cdr = std::make_unique<CdrWriter>(cfg.cdr.path, cfg.cdr.fsync);
        } catch (const std::exception& e) {
            spdlog::critical("{}", e.what());
            return 1;
        }
        spdlog::info("call detail records to {}{}", cfg.cdr.path, cfg.cdr.fsync ? " (written and synced by a writer thread)" : " (not synced)");
    }
    std::unique_ptr<IsdnSpans> isdn;
    CallManager calls(
        cfg, [&isdn](const std::string& span) { return isdn ? isdn->link(span) : nullptr; }, &sessions, cdr.get());
    try {
        isdn = std::make_unique<IsdnSpans>(loop, cfg, &calls);
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    // SIP binds its transport after the management socket and the metrics
    // port: a second control on the same config is told that one serves.
    std::unique_ptr<trunkgw::sip::SipAgent> sip;
    auto snapshot = [&] {
        // The SIP agent and the ISDN links publish their state for other
        // threads only when asked: the metrics thread asks the loop (and
        // waits for it); on the loop, status() reads them as they are.
        if (!loop.on_loop_thread()) {
            loop.run_on_loop(
                [&] {
                    if (isdn) {
                        isdn->publish_status();
                    }
                    if (sip) {
                        sip->publish();
                    }
                },
                1000);
        }
        Snapshot s = take_snapshot(link, cfg, start_ns, mgmt_counters);
        const SessionManagerCounters& c = sessions.counters();
        s.session_manager = {c.creates.load(),        c.deletes.load(), c.modifies.load(),
                             c.refused.load(),        c.worker_refused.load(), c.events.load(),
                             c.rtp_timeouts.load(),   c.ports_free.load()};
        const CallCounters& k = calls.counters();
        s.calls = {k.offered.load(),  k.routed.load(), k.no_route.load(),        k.attempts.load(),
                   k.failovers.load(), k.answered.load(), k.ended.load(),         k.dropped.load(),
                   k.active.load(),    k.media_connected.load(), k.media_failed.load(), k.media_orphans.load(), {},
                   cdr ? cdr->records() : 0, cdr ? cdr->errors() : 0, cdr ? cdr->queued() : 0,
                   k.toll_allowed.load(), k.toll_refused_not_allowed.load(), k.toll_refused_concurrent.load(),
                   k.toll_refused_hourly.load(), k.group_hunts.load()};
        for (std::size_t i = 0; i < k.ended_by_cause.size(); ++i) {
            s.calls.ended_by_cause[i] = k.ended_by_cause[i].load();
        }
        if (sip) {
            s.sip = sip->status();
        }
        for (IsdnSpanStatus& st : isdn->status()) {
            for (SpanRow& row : s.spans) {
                if (row.name == st.span) {
                    row.isdn = std::move(st);
                }
            }
        }
        return s;
    };
    link.set_observers({[&](const trunkgw::api::Segment& seg) {
                            sessions.resync(seg);
                            calls.remove_orphan_media();
                            isdn->attached(seg);
                        },
                        [&] { isdn->detached(); },
                        [&](const trunkgw::api::CmdErrorPayload& e) { sessions.on_command_error(e); },
                        [&](const trunkgw::api::SessionEventPayload& e) { sessions.on_session_event(e); },
                        [&] { isdn->rings_signalled(); }});
    MgmtCommands commands = make_mgmt_commands(snapshot, &sessions, isdn.get());
    add_call_commands(commands, calls);

    std::unique_ptr<MgmtServer> mgmt;
    std::unique_ptr<MetricsExporter> metrics;
    try {
        mgmt = std::make_unique<MgmtServer>(loop, cfg.control.socket, commands, mgmt_counters);
        metrics = std::make_unique<MetricsExporter>(cfg.control.metrics_host, cfg.control.metrics_port, snapshot);
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    try {
        sip = make_sip_agent(loop, cfg, &calls);
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    calls.set_sip(sip.get());
    Timer cdr_timer(loop);
    calls.set_defer([&cdr_timer](unsigned ms, std::function<void()> fn) { cdr_timer.start(ms, std::move(fn)); });
    if (sip) {
        add_sip_commands(commands, cfg, *sip);  // the server holds the table by reference
    }
    auto reload = [&] { return reload_config(cfg, calls, sip.get()); };
    commands["reload"] = {"read the config file again and apply its routes, span groups, toll-fraud tables, SIP trunks "
                          "and cause map without dropping calls",
                          [reload](const nlohmann::json&) {
                              ReloadResult r = reload();
                              if (!r.applied) {
                                  std::string why;
                                  for (const std::string& p : r.problems) {
                                      why += (why.empty() ? "" : "\n") + p;
                                  }
                                  throw MgmtError("reload refused, nothing changed:\n" + why);
                              }
                              return nlohmann::json{{"applied", true},
                                                    {"routes", r.routes},
                                                    {"span_groups", r.span_groups},
                                                    {"toll_classes", r.toll_classes},
                                                    {"sip_trunks", r.sip_trunks}};
                          }};
    int sig_watch = loop.add_fd(sfd, POLLIN, [&](int) {
        signalfd_siginfo si{};
        if (read(sfd, &si, sizeof(si)) != sizeof(si)) {
            return;
        }
        if (si.ssi_signo == SIGHUP) {
            ReloadResult r = reload();
            for (const std::string& p : r.problems) {
                spdlog::error("SIGHUP: reload refused: {}", p);
            }
            return;
        }
        spdlog::info("signal {}: stopping", si.ssi_signo);
        loop.stop();
    });
    loop.set_prepoll([&] {
        link.drain_events();
        isdn->poll();
    });
    link.start();
    spdlog::info("trunkgw-control {} ready (instance {}, pid {}): management API {}, metrics {}", TRUNKGW_VERSION,
                 cfg.instance.name, getpid(), cfg.control.socket, cfg.metrics_url());
    loop.run();
    // The metrics thread reads the SIP agent and the ISDN links: it goes
    // before they do.
    metrics.reset();
    // The observers point at objects destroyed before the link (which
    // detaches in its destructor): they must not run after this.
    link.set_observers({});
    calls.flush_cdrs(true);
    calls.set_defer({});  // from here a call's record is written as it ends
    calls.set_sip(nullptr);
    sip.reset();  // nua_shutdown: BYE/CANCEL sent, transports closed (calls it clears get their records)
    if (cdr) {
        cdr->drain();  // durable: no record lost to a shutdown
        spdlog::info("call detail records: {} written, {} lost to write errors ({})", cdr->records(), cdr->errors(),
                     cdr->path());
    }
    loop.remove_fd(sig_watch);
    close(sfd);
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    auto start = trunkgw::config::start_program(
        argc, argv, "control", "trunkgw-control: signaling, routing and management for the trunkgw E1/T1 gateway");
    if (!start.config) {
        return start.exit_code;
    }
    signal(SIGPIPE, SIG_IGN);
    const std::size_t reserved = trunkgw::control::configure_heap(start.config->control.heap_reserve_mb);
    if (reserved < std::size_t{start.config->control.heap_reserve_mb} << 20) {
        spdlog::warn("heap: {} of the {} MB of control.heap_reserve_mb faulted in (malloc refused the rest)",
                     reserved >> 20, start.config->control.heap_reserve_mb);
    } else if (reserved != 0) {
        spdlog::info("heap: {} MB faulted in and kept for calls (control.heap_reserve_mb)", reserved >> 20);
    }
    return run(*start.config);
}
