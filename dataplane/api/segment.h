// The shared-memory segment between trunkgw-dataplane (creator, owner) and
// trunkgw-control (attacher). A plain POSIX shm object, named from the
// config's instance name, so the control process needs no DPDK.
//
// The layout is self-describing: the header holds the counts and offsets of
// every region, the ABI version and the size of every message and layout
// struct. Attach refuses any mismatch with both values in the error.
//
//   SegmentHeader
//   WorkerBlock[n_workers]       per worker: counters, heartbeat, ring offsets
//   SpanBlock[n_spans]           per span: mirror entry, D-channel ring offsets
//   ChannelMirror[n_channels]
//   SessionBlock[n_sessions]     per session: mirror entry and counters
//   rings (command, event per worker; D-channel rx, tx per span)
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/api/abi.h"
#include "dataplane/api/session_counters.h"
#include "dataplane/api/span_counters.h"
#include "dataplane/api/spsc_ring.h"
#include "dataplane/api/state_mirror.h"
#include "dataplane/api/worker_counters.h"

namespace trunkgw::api {

// Sizes of the layout structs, compared at attach like the message sizes.
enum class LayoutStruct : uint32_t {
    segment_header, worker_block, span_block, channel_mirror, session_block,
    ring_header, message, dchan_frame, count_
};
inline constexpr std::size_t layout_struct_count = static_cast<std::size_t>(LayoutStruct::count_);
inline constexpr std::size_t msg_size_table_max = 64;

enum class WorkerState : uint32_t { absent = 0, starting = 1, running = 2, stopped = 3 };

struct alignas(64) WorkerBlock {
    uint32_t worker_id;  // config id; written once by the creator
    uint32_t lcore;      // written once by the creator
    uint64_t cmd_ring_off;  // RingHeader of Message, control -> worker
    uint64_t evt_ring_off;  // RingHeader of Message, worker -> control
    // Written by the worker.
    std::atomic<uint32_t> state;  // WorkerState
    std::atomic<uint64_t> heartbeat_mono_ns;
    alignas(64) WorkerCounterBlock counters;
    alignas(64) NetCounterBlock net_counters;
};

struct alignas(64) SpanBlock {
    SpanMirror mirror;
    uint64_t dchan_rx_off;  // RingHeader of DchanFrame, worker -> control
    uint64_t dchan_tx_off;  // RingHeader of DchanFrame, control -> worker
    alignas(64) SpanCounterBlock counters;  // written by the owning worker
};

struct alignas(64) SessionBlock {
    SessionMirror mirror;
    SessionCounterBlock counters;  // written by the owning worker
};

struct alignas(64) SegmentHeader {
    // Written last by the creator (release): an attacher that sees the magic
    // sees a complete layout.
    std::atomic<uint64_t> magic;
    uint32_t abi_version;
    uint32_t msg_type_count;
    uint32_t msg_sizes[msg_size_table_max];
    uint32_t struct_sizes[layout_struct_count];
    uint64_t segment_size;
    char instance[64];
    char version[32];  // trunkgw-dataplane version string

    // Data plane identity; written once by the creator.
    uint64_t epoch;  // differs for every data plane start
    int32_t dataplane_pid;
    uint32_t pad0;
    uint64_t dataplane_start_realtime_ns;
    uint64_t dataplane_start_mono_ns;

    uint32_t n_workers, n_spans, n_channels, n_sessions;
    uint32_t cmd_ring_capacity, evt_ring_capacity, dchan_ring_capacity;
    uint32_t sessions_per_worker;  // n_sessions = n_workers * sessions_per_worker
    uint64_t workers_off, spans_off, channels_off, sessions_off;

    // Written by the data plane's service lcore.
    alignas(64) std::atomic<uint64_t> dataplane_heartbeat_mono_ns;
    std::atomic<int32_t> control_pid;  // attached control, 0 = none
    std::atomic<uint32_t> stopping;    // data plane is shutting down
    std::atomic<uint64_t> control_attaches;  // accepted attaches since start
    std::atomic<uint64_t> control_refusals;  // refused attach attempts
    // Bit p: the p-th configured port puts each worker's UDP on that
    // worker's queue by flow rules (else the software dispatcher carries
    // it). Written once when the ports start, before the attach socket
    // opens. DPDK's RTE_MAX_ETHPORTS (32 in Debian's build) keeps p < 64.
    std::atomic<uint64_t> ports_flow_steered;
};

// What the creator needs to lay out a segment.
struct SegmentSpec {
    std::string instance;
    struct Worker {
        uint32_t id;
        uint32_t lcore;
    };
    struct Span {
        uint32_t id;
        std::string name;
        SpanKind kind;
        uint32_t worker_index;
        bool has_dchannel = true;  // false: an NFAS span, TS24 a B-channel
    };
    std::vector<Worker> workers;
    std::vector<Span> spans;
    uint32_t sessions_per_worker;
    uint32_t cmd_ring_capacity;
    uint32_t evt_ring_capacity;
    uint32_t dchan_ring_capacity;
};

// "/trunkgw-<instance>": the shm object name for an instance.
std::string segment_name(std::string_view instance);

uint32_t span_channel_count(SpanKind kind);
uint32_t span_dchannel_timeslot(SpanKind kind);

uint64_t mono_ns();
uint64_t realtime_ns();

struct AttachResult;

// A mapping of the segment; unmaps on destruction. Move-only.
class Segment {
public:
    Segment() = default;
    ~Segment();
    Segment(Segment&& o) noexcept;
    Segment& operator=(Segment&& o) noexcept;
    Segment(const Segment&) = delete;
    Segment& operator=(const Segment&) = delete;

    // Creator (data plane): removes a stale object of the same name, creates
    // and lays out a new one. Throws std::runtime_error with the reason.
    static Segment create(const SegmentSpec& spec);

    bool mapped() const { return _base != nullptr; }
    SegmentHeader& header() const { return *static_cast<SegmentHeader*>(_base); }
    WorkerBlock& worker(uint32_t i) const;
    SpanBlock& span(uint32_t i) const;
    ChannelMirror& channel(uint32_t i) const;
    SessionBlock& session(uint32_t i) const;
    RingHeader* ring_at(uint64_t off) const;

    // Creator only: remove the name (mapped processes keep their mapping).
    void unlink() const;

private:
    friend AttachResult attach_mapping(void* base, std::size_t size, std::string name);
    void* _base = nullptr;
    std::size_t _size = 0;
    std::string _name;
};

enum class AttachStatus {
    ok,
    not_found,     // no segment of that name (data plane not started): retry
    not_ready,     // created but not yet laid out: retry
    bad_magic,
    abi_mismatch,
    size_mismatch,
    truncated,
    system_error,
};

struct AttachResult {
    AttachStatus status = AttachStatus::system_error;
    std::string error;  // human-readable, names both versions/sizes on mismatch
    Segment segment;

    bool retryable() const
    {
        return status == AttachStatus::not_found || status == AttachStatus::not_ready;
    }
};

// Attacher (control): maps the named segment and checks magic, ABI version,
// message size table and layout struct sizes. All-or-nothing: on any mismatch
// nothing stays mapped.
AttachResult attach_segment(std::string_view instance);

// The pid of a live data plane (beating within 2 s) holding this instance's
// segment, or 0 when there is none or only a stale one.
int running_dataplane_pid(std::string_view instance);

// The same checks on an existing mapping (used by attach_segment and tests).
AttachResult attach_mapping(void* base, std::size_t size, std::string name);

}  // namespace trunkgw::api
