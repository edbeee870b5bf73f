// Per-worker counters: their names, help texts and slots in the seqlock
// block. The worker publishes them once per TDM tick; control reads them for
// Prometheus and trunkctl. Add at the end only (the order is ABI).
#pragma once

#include <array>
#include <cstdint>

#include "dataplane/api/seqlock.h"

namespace trunkgw::api {

enum class WorkerCounter : uint32_t {
    loops,            // iterations of the worker loop
    sleeps,           // adaptive mode: times the worker slept until its next tick
    ticks,            // 1 ms TDM ticks run
    ticks_late,       // ticks that started more than one tick period late
    ticks_skipped,    // ticks lost to lateness beyond the catch-up limit
    rx_packets,       // packets received on the worker's port queues
    rx_dropped_unclassified,  // received frames the classifier dropped (not for us, malformed)
    tx_packets,       // packets sent
    tx_dropped_full,  // packets the TX queue refused
    commands,         // commands taken from the command ring
    commands_bad,     // commands refused (unknown type, wrong size, not owned)
    events_dropped,   // events lost because the event ring was full
    udp_no_listener,  // UDP for one of our addresses on a port no span or session uses
    session_creates,  // sessions created
    session_deletes,  // sessions deleted
    rtp_rx,           // RTP packets handed to a session
    rtcp_rx,          // RTCP packets handed to a session
    dispatched_out,   // frames received here for another worker's port, handed over
    dispatched_in,    // frames another worker handed to this one
    dispatch_ring_full,  // frames dropped: the owner's dispatch ring was full
    tick_busy_ns,        // time spent running ticks (per 1,000,000,000 ns of wall time: the ticks' share of the core)
    dispatch_no_port,    // handed-over frames dropped: from a port this worker does not poll
    session_ticks,       // joined sessions' milliseconds ticked (one per session per tick)
    plain_ticks,         // of them, run from the span's table without visiting the session (media/plain_run.h)
    count_,
};

inline constexpr std::size_t worker_counter_count = static_cast<std::size_t>(WorkerCounter::count_);

struct CounterInfo {
    const char* name;  // Prometheus name without the trunkgw_worker_ prefix
    const char* help;
    double scale = 1.0;  // counted unit -> the name's unit (ns -> seconds: 1e-9)
};

inline constexpr std::array<CounterInfo, worker_counter_count> worker_counter_info = {{
    {"loops_total", "Iterations of the worker poll loop."},
    {"sleeps_total", "Times an idle worker slept until its next tick (adaptive poll mode)."},
    {"ticks_total", "1 ms TDM ticks run."},
    {"ticks_late_total", "Ticks that started more than one tick period late."},
    {"ticks_skipped_total", "Ticks skipped because the worker fell too far behind."},
    {"rx_packets_total", "Packets received on the worker's port queues."},
    {"rx_dropped_unclassified_total", "Received frames the classifier dropped (not for us, malformed)."},
    {"tx_packets_total", "Packets transmitted."},
    {"tx_dropped_full_total", "Packets dropped because the TX queue was full."},
    {"commands_total", "Commands taken from the command ring."},
    {"commands_bad_total", "Commands refused (unknown type, wrong size, object not owned)."},
    {"events_dropped_total", "Events lost because the event ring to control was full."},
    {"udp_no_listener_total", "UDP packets for our addresses on a port no span or session uses."},
    {"session_creates_total", "RTP sessions created."},
    {"session_deletes_total", "RTP sessions deleted."},
    {"rtp_rx_total", "RTP packets handed to a session."},
    {"rtcp_rx_total", "RTCP packets handed to a session."},
    {"dispatched_out_total", "Frames received on this worker's queue for another worker's UDP port, handed over."},
    {"dispatched_in_total", "Frames another worker received for this worker and handed over (software dispatch)."},
    {"dispatch_ring_full_total", "Frames dropped because the owning worker's dispatch ring was full."},
    {"tick_busy_seconds_total",
     "Time the worker spent running 1 ms TDM ticks (spans and sessions); its rate is the tick's share of the core.",
     1e-9},
    {"dispatch_no_port_total", "Handed-over frames dropped because they came from a port this worker does not poll."},
    {"session_ticks_total", "Milliseconds of sessions joined to a B-channel ticked (one per session per tick)."},
    {"plain_ticks_total",
     "Of those, milliseconds that only moved the samples, run without visiting the session (its plain run)."},
}};

using WorkerCounterBlock = SeqlockBlock<worker_counter_count>;

// The packet layer's counters (drops by reason, port I/O, ARP): a block of
// slots whose meaning dataplane/net_counter_layout.h gives.
inline constexpr std::size_t net_counter_slots = 64;
using NetCounterBlock = SeqlockBlock<net_counter_slots>;
using NetCounterValues = std::array<uint64_t, net_counter_slots>;
using WorkerCounterValues = std::array<uint64_t, worker_counter_count>;

inline uint64_t& at(WorkerCounterValues& v, WorkerCounter c)
{
    return v[static_cast<std::size_t>(c)];
}
inline uint64_t at(const WorkerCounterValues& v, WorkerCounter c)
{
    return v[static_cast<std::size_t>(c)];
}

}  // namespace trunkgw::api
