// A worker lcore: owns its spans (and later their channels and sessions),
// polls its port queues and its command ring, runs the 1 ms TDM tick from
// the TSC, and publishes its counters once per tick.
//
// Nothing in the loop takes a lock or allocates; the only syscall is the
// adaptive-mode sleep of an idle worker until its next tick.
#pragma once

#include <atomic>
#include <memory>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "dataplane/api/abi.h"
#include "dataplane/api/segment.h"
#include "dataplane/port_io.h"
#include "dataplane/ports.h"
#include "dataplane/udp_dispatch.h"
#include "dataplane/worker_sessions.h"
#include "dataplane/worker_span.h"

namespace trunkgw::dataplane {

struct alignas(64) WorkerContext {
    uint32_t index = 0;  // position in the segment's worker table
    uint32_t id = 0;     // config id
    uint32_t lcore = 0;
    bool busy_poll = false;
    uint32_t realtime_priority = 0;  // SCHED_FIFO priority of the lcore's thread (0: none)
    api::WorkerBlock* block = nullptr;
    api::Segment* segment = nullptr;
    api::RingConsumer<api::Message> commands;
    api::RingProducer<api::Message> events;
    std::vector<std::unique_ptr<PortIo>> ports;     // this worker's queue of each port it polls
    std::vector<std::unique_ptr<WorkerSpan>> span_lines;  // parallel to spans
    std::vector<uint32_t> spans;  // span indexes in the segment
    // Pseudowire spans by local UDP port (unique across workers:
    // UdpDispatch::bind refuses a port twice), for the receive path.
    std::unordered_map<uint16_t, WorkerSpan*> span_by_udp_port;
    std::unique_ptr<WorkerSessions> sessions;
    UdpDispatch* dispatch = nullptr;  // shared by all workers
    // Frames received here for each other worker, handed over after each
    // receive burst (sized to the dispatcher's workers by worker_main).
    std::vector<DispatchBatch> handover;
    api::WorkerCounterValues counters{};
    uint32_t event_seq = 0;
    const std::atomic<bool>* stop = nullptr;
};

// The lcore entry point (rte_eal_remote_launch); arg is a WorkerContext*.
int worker_main(void* arg);

// Pushes an event to control (counted when the ring is full); user is a
// WorkerContext*. For components that raise events (WorkerSessions).
void worker_emit(void* user, const api::Message& m);

// Applies one command; exposed for tests. Returns 0 or a negative errno.
int worker_handle_command(WorkerContext& w, const api::Message& m);

}  // namespace trunkgw::dataplane
