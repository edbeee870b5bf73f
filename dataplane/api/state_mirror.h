// The state mirror: what the data plane holds about spans, channels and media
// sessions, kept in the segment so that a restarted control process can
// resynchronise without asking (ARCHITECTURE.md "Two processes, one contract").
//
// Every entry is written by the worker that owns it (spans at start-up by the
// service lcore, before any worker runs) and only read by control. Entries are
// plain atomics: each field is meaningful on its own.
#pragma once

#include <atomic>
#include <cstdint>

namespace trunkgw::api {

enum class SpanKind : uint32_t { e1 = 1, t1 = 2 };

enum class SpanOperState : uint32_t {
    unconfigured = 0,
    down = 1,     // administratively down
    starting = 2, // configured, no frame alignment yet
    up = 3,       // in frame, no alarms
    alarm = 4,    // in service but with an alarm (see alarms)
};

enum SpanAlarm : uint32_t {
    alarm_los = 1u << 0,
    alarm_lof = 1u << 1,
    alarm_ais = 1u << 2,
    alarm_rai = 1u << 3,
    alarm_lomf = 1u << 4,  // E1 CRC-4 multiframe lost (same bits as tdm/line_status.h)
};

inline constexpr uint32_t span_name_max = 32;

struct alignas(64) SpanMirror {
    uint32_t span_id;        // config id; written once at creation
    uint32_t worker_index;   // owning worker; written once at creation
    uint32_t kind;           // SpanKind; written once at creation
    uint32_t first_channel;  // index of its first ChannelMirror
    uint32_t channel_count;  // 31 (E1) or 24 (T1)
    uint32_t dchannel_ts;    // timeslot of the D-channel (16 or 24); 0: none (NFAS)
    char name[span_name_max];
    std::atomic<uint32_t> oper_state;  // SpanOperState; owner worker
    std::atomic<uint32_t> alarms;      // SpanAlarm bits; owner worker
    std::atomic<uint64_t> state_changes;
};
static_assert(sizeof(SpanMirror) % 64 == 0);

enum class ChannelState : uint32_t { idle = 0, busy = 1, out_of_service = 2 };

struct ChannelMirror {
    uint32_t span_index;  // written once at creation
    uint32_t timeslot;    // written once at creation
    std::atomic<uint32_t> state;          // ChannelState; owner worker
    std::atomic<uint32_t> session_index;  // joined session + 1, 0 = none
};
static_assert(sizeof(ChannelMirror) == 16);

enum class SessionState : uint32_t { free = 0, active = 1 };

// Session slots are partitioned: worker w owns [w * per_worker, (w + 1) *
// per_worker); worker_index is written once at creation.
struct alignas(64) SessionMirror {
    std::atomic<uint32_t> state;  // SessionState; owner worker
    uint32_t worker_index;
    std::atomic<uint32_t> channel_index;  // + 1, 0 = not joined
    std::atomic<uint32_t> local_ipv4;     // host order
    std::atomic<uint32_t> local_port;
    std::atomic<uint32_t> remote_ipv4;    // host order; follows latching
    std::atomic<uint32_t> remote_port;
    std::atomic<uint32_t> payload_type;
    std::atomic<uint32_t> ssrc;
    std::atomic<uint32_t> flags;           // api::SessionFlag
    std::atomic<uint32_t> ptime_ms;
    std::atomic<uint32_t> rtp_timed_out;   // 1 while timed out
    std::atomic<uint64_t> created_mono_ns;
    std::atomic<uint64_t> generation;      // bumped by every create of this slot
};
static_assert(sizeof(SessionMirror) == 64);

}  // namespace trunkgw::api
