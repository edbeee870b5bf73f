// trunkgw-dataplane: the DPDK media process. Creates the shared-memory
// segment, starts the ports and the worker lcores the config names, and
// serves control attaches until SIGTERM/SIGINT. It keeps running when control
// dies: media state lives here.
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include <csignal>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "control/config/config.h"
#include "control/config/program_start.h"
#include "dataplane/api/attach_socket.h"
#include "dataplane/api/segment.h"
#include "dataplane/eal_args.h"
#include "dataplane/media/srtp_session.h"
#include "dataplane/port_io.h"
#include "dataplane/ports.h"
#include "dataplane/service.h"
#include "dataplane/worker.h"

namespace {

std::atomic<bool> g_stop{false};

// Frames one worker can hold for another (software dispatch) at a time.
constexpr uint32_t dispatch_ring_size = 4096;

void on_signal(int) { g_stop.store(true); }

// Never called: see keep_rx_signals_from_tap().
void on_unused_rt_signal(int) {}

// DPDK's TAP PMD (net_tap, 22.11) takes the first free real-time signal and
// has the kernel raise it on every packet that reaches its queue (O_ASYNC,
// F_SETSIG), only to skip the read(2) of an empty queue. The signal lands
// on whichever of our threads does not block it (the main thread in
// poll(), EAL's interrupt and IPC threads): each one a wake-up and a
// restarted system call, 20,000 a second with 40 pseudowire spans. When no
// real-time signal is free the PMD goes without ("No Rx trigger signal
// available") and the worker reads the queue when it polls, which it does
// anyway, sleeping between ticks when idle. So every free real-time signal
// gets a handler of ours before EAL probes the port (and for as long as
// queues may be set up); nothing in this process uses them otherwise.
void keep_rx_signals_from_tap()
{
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) {
        struct sigaction old {};
        if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) {
            struct sigaction sa {};
            sa.sa_handler = on_unused_rt_signal;
            sigaction(sig, &sa, nullptr);
        }
    }
}

trunkgw::api::SegmentSpec segment_spec(const trunkgw::config::Config& cfg)
{
    trunkgw::api::SegmentSpec spec;
    spec.instance = cfg.instance.name;
    for (const auto& w : cfg.dataplane.workers) {
        spec.workers.push_back({w.id, w.lcore});
    }
    for (const auto& s : cfg.spans) {
        spec.spans.push_back({s.id, s.name,
                              s.type == trunkgw::config::SpanType::e1 ? trunkgw::api::SpanKind::e1
                                                                      : trunkgw::api::SpanKind::t1,
                              cfg.worker_index(s.worker), s.has_dchannel()});
    }
    spec.sessions_per_worker = cfg.dataplane.sessions_per_worker;
    spec.cmd_ring_capacity = cfg.dataplane.command_ring_size;
    spec.evt_ring_capacity = cfg.dataplane.event_ring_size;
    spec.dchan_ring_capacity = cfg.dataplane.dchannel_ring_size;
    return spec;
}

int run(const trunkgw::config::Config& cfg, const std::string& argv0)
{
    using namespace trunkgw;
    // Before EAL: a second primary of the same instance would otherwise die
    // on EAL's lock file with a less helpful message.
    if (int pid = api::running_dataplane_pid(cfg.instance.name); pid != 0) {
        spdlog::critical("instance {} is already running (trunkgw-dataplane pid {})", cfg.instance.name, pid);
        return 1;
    }
    std::vector<std::string> args = dataplane::eal_args(cfg, argv0);
    spdlog::info("EAL: {}", fmt::join(args, " "));
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    keep_rx_signals_from_tap();
    if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
        spdlog::critical("EAL initialisation failed: {} (see the EAL messages above)", rte_strerror(rte_errno));
        return 1;
    }
    // EAL's runtime directory (/var/run/dpdk/trunkgw-<instance>) is left
    // behind by rte_eal_cleanup(). Removed at exit only when it is ours
    // alone: a primary process (EAL's lock on its config file refuses a
    // second one) under our own prefix (an extra EAL argument could name
    // another process's).
    const std::filesystem::path eal_dir = rte_eal_get_runtime_dir();
    const bool remove_eal_dir =
        rte_eal_process_type() == RTE_PROC_PRIMARY && eal_dir.filename() == "trunkgw-" + cfg.instance.name;
    int rc = 0;
    try {
        api::Segment segment = api::Segment::create(segment_spec(cfg));
        spdlog::info("segment {} created: {} bytes, ABI {}, epoch {}", api::segment_name(cfg.instance.name),
                     segment.header().segment_size, api::abi_version, segment.header().epoch);
        auto ports = std::make_unique<dataplane::Ports>(cfg, static_cast<uint32_t>(cfg.dataplane.workers.size()));
        uint64_t steered = 0;
        for (std::size_t pi = 0; pi < ports->ports().size() && pi < 64; ++pi) {
            steered |= ports->ports()[pi].flow_steering ? uint64_t{1} << pi : 0;
        }
        segment.header().ports_flow_steered.store(steered, std::memory_order_release);
        dataplane::Service service(segment, api::attach_socket_path(cfg.instance.run_dir, cfg.instance.name));
        const auto n_workers = static_cast<uint32_t>(cfg.dataplane.workers.size());
        auto dispatch_owner = std::make_unique<dataplane::UdpDispatch>(n_workers, dispatch_ring_size);
        dataplane::UdpDispatch& dispatch = *dispatch_owner;

        std::vector<std::unique_ptr<dataplane::WorkerContext>> workers;
        for (uint32_t i = 0; i < cfg.dataplane.workers.size(); ++i) {
            auto w = std::make_unique<dataplane::WorkerContext>();
            w->index = i;
            w->id = cfg.dataplane.workers[i].id;
            w->lcore = cfg.dataplane.workers[i].lcore;
            w->busy_poll = cfg.dataplane.poll_mode == config::PollMode::busy;
            w->realtime_priority = cfg.dataplane.workers[i].realtime_priority;
            w->segment = &segment;
            w->block = &segment.worker(i);
            w->block->state.store(static_cast<uint32_t>(api::WorkerState::starting));
            // Scrubbed: cmd_session_srtp carries master keys.
            w->commands = api::RingConsumer<api::Message>(segment.ring_at(w->block->cmd_ring_off), true);
            w->events = api::RingProducer<api::Message>(segment.ring_at(w->block->evt_ring_off));
            // This worker's queue of every port that has one for it, with
            // the port's addresses and ARP cache.
            std::vector<dataplane::PortIo*> port_of_config(cfg.ports.size(), nullptr);
            for (std::size_t pi = 0; pi < ports->ports().size(); ++pi) {
                const auto& op = ports->ports()[pi];
                if (i < op.queues) {
                    w->ports.push_back(std::make_unique<dataplane::PortIo>(op.port_id, static_cast<uint16_t>(i),
                                                                            ports->pool(), cfg.ports[pi]));
                    port_of_config[pi] = w->ports.back().get();
                    w->ports.back()->set_tx_checksum_offload(op.tx_checksum_offload);
                    if (n_workers > 1) {
                        w->ports.back()->set_arp_fanout(
                            [d = &dispatch, i](rte_mbuf* m) { d->fan_out(i, m); });
                    }
                }
            }
            w->dispatch = &dispatch;
            std::vector<dataplane::PortIo*> io;
            for (auto& p : w->ports) {
                io.push_back(p.get());
            }
            w->sessions = std::make_unique<dataplane::WorkerSessions>(
                i, segment, cfg, std::move(io), &dispatch,
                dataplane::WorkerSessions::EventSink{dataplane::worker_emit, w.get()});
            for (uint32_t s = 0; s < segment.header().n_spans; ++s) {
                if (segment.span(s).mirror.worker_index != i) {
                    continue;
                }
                const config::Span& sc = cfg.spans[s];
                dataplane::PortIo* port = nullptr;
                if (sc.has_pseudowire) {
                    port = port_of_config[sc.pseudowire.port_index];
                    if (port == nullptr) {
                        throw std::runtime_error(fmt::format(
                            "span {}: port {} has no queue for worker {} (the PMD offers fewer queues than workers)",
                            sc.name, cfg.ports[sc.pseudowire.port_index].name, w->id));
                    }
                }
                w->spans.push_back(s);
                w->span_lines.push_back(std::make_unique<dataplane::WorkerSpan>(s, sc, port, segment));
                w->sessions->add_span(s, w->span_lines.back().get());
                if (sc.has_pseudowire) {
                    if (dispatch.bind(sc.pseudowire.local_udp_port, i) != 0) {
                        throw std::runtime_error(fmt::format("span {}: local UDP port {} is used twice", sc.name,
                                                             sc.pseudowire.local_udp_port));
                    }
                    w->span_by_udp_port[sc.pseudowire.local_udp_port] = w->span_lines.back().get();
                }
            }
            w->stop = &g_stop;
            workers.push_back(std::move(w));
        }
        // libsrtp's one srtp_init() (its self-tests, NSS start-up) here,
        // before the workers: a worker's first SRTP key must not run it
        // inside a tick. Without it SRTP keys are refused (-EIO).
        if (!media::srtp_library_ready()) {
            spdlog::error("libsrtp did not initialise: sessions with SRTP will get no keys");
        }
        for (auto& w : workers) {
            int lrc = rte_eal_remote_launch(dataplane::worker_main, w.get(), w->lcore);
            if (lrc != 0) {
                // The workers already running use what this scope owns:
                // stop and join them before unwinding frees it.
                g_stop.store(true);
                rte_eal_mp_wait_lcore();
                throw std::runtime_error(fmt::format("cannot launch worker {} on lcore {}: {}", w->id, w->lcore,
                                                     rte_strerror(-lrc)));
            }
            spdlog::info("worker {} running on lcore {} with {} span(s), {} port queue(s), {} poll", w->id,
                         w->lcore, w->spans.size(), w->ports.size(), w->busy_poll ? "busy" : "adaptive");
        }
        spdlog::info("trunkgw-dataplane {} ready (instance {}, pid {})", TRUNKGW_VERSION, cfg.instance.name,
                     getpid());
        service.run(g_stop);
        spdlog::info("stopping");
        rte_eal_mp_wait_lcore();
        // Mbufs held in dispatch rings go back to the pool before it goes.
        workers.clear();
        dispatch_owner.reset();
        ports.reset();
        segment.unlink();
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        g_stop.store(true);
        rte_eal_mp_wait_lcore();
        rc = 1;
    }
    rte_eal_cleanup();
    if (remove_eal_dir) {
        std::error_code ec;
        std::filesystem::remove_all(eal_dir, ec);
    }
    return rc;
}

}  // namespace

int main(int argc, char** argv)
{
    auto start = trunkgw::config::start_program(argc, argv, "dataplane",
                                                "trunkgw-dataplane: the DPDK media plane of the trunkgw E1/T1 gateway");
    if (!start.config) {
        return start.exit_code;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
    return run(*start.config, argv[0]);
}
