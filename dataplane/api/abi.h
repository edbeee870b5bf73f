// The versioned ABI between trunkgw-control and trunkgw-dataplane: message
// numbers, message layouts and the table of sizes both sides compare at attach.
//
// Rules (STYLE.md practice 5):
//  - every message is a trivially copyable struct of values and indexes, never
//    pointers (the two processes map the segment at different addresses);
//  - a retired message number is never reused: mark it retired in MsgType;
//  - any change to a layout bumps abi_version.
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

namespace trunkgw::api {

inline constexpr uint64_t segment_magic = 0x31574754'4b4e5254ULL;  // "TRNKTGW1"
// 2: SpanBlock gained its counter block. 3: WorkerBlock gained net_counters.
inline constexpr uint32_t abi_version = 3;

// Message numbers. Direction in the name: cmd_* control -> worker,
// evt_* worker -> control.
enum class MsgType : uint16_t {
    none = 0,
    // cmd_ping: control asks a worker to prove it is alive and reading its ring.
    //   in: nonce. out: evt_pong with the same nonce. error reply: none.
    cmd_ping = 1,
    // evt_pong: a worker's answer to cmd_ping.
    evt_pong = 2,
    // cmd_span_admin: put a span administratively up or down.
    //   in: span index, up flag. out: evt_span_state. error reply:
    //   evt_cmd_error (span not owned by this worker).
    cmd_span_admin = 3,
    // evt_span_state: a span's operational state or alarms changed.
    evt_span_state = 4,
    // evt_cmd_error: a command could not be applied; carries the command's
    //   type and sequence number and a negative errno.
    evt_cmd_error = 5,
    count_ = 6,  // first unused number; never lower it
};

struct MsgHeader {
    uint16_t type;  // MsgType
    uint16_t size;  // payload size in bytes (checked against msg_sizes)
    uint32_t seq;   // sender's sequence number, echoed in replies
};
static_assert(sizeof(MsgHeader) == 8);

inline constexpr std::size_t msg_payload_max = 56;

struct PingPayload {
    uint64_t nonce;
};

struct PongPayload {
    uint64_t nonce;
    uint32_t worker_id;
    uint32_t pad;
    uint64_t worker_mono_ns;  // worker's CLOCK_MONOTONIC when it answered
};

struct SpanAdminPayload {
    uint32_t span_index;
    uint32_t up;  // 1 = administratively up, 0 = down
};

struct SpanStatePayload {
    uint32_t span_index;
    uint32_t oper_state;  // SpanOperState
    uint32_t alarms;      // bit set of SpanAlarm
    uint32_t pad;
};

struct CmdErrorPayload {
    uint16_t cmd_type;
    uint16_t pad;
    uint32_t cmd_seq;
    int32_t error;  // negative errno
    uint32_t pad2;
};

// One ring slot: a header and a payload union, exactly one cache line.
struct alignas(64) Message {
    MsgHeader hdr;
    union {
        uint8_t raw[msg_payload_max];
        PingPayload ping;
        PongPayload pong;
        SpanAdminPayload span_admin;
        SpanStatePayload span_state;
        CmdErrorPayload cmd_error;
    } u;
};
static_assert(sizeof(Message) == 64);
static_assert(std::is_trivially_copyable_v<Message>);

// Payload size per message number; both sides compare this table at attach.
inline constexpr std::array<uint32_t, static_cast<std::size_t>(MsgType::count_)> msg_sizes = {
    0,                         // none
    sizeof(PingPayload),       // cmd_ping
    sizeof(PongPayload),       // evt_pong
    sizeof(SpanAdminPayload),  // cmd_span_admin
    sizeof(SpanStatePayload),  // evt_span_state
    sizeof(CmdErrorPayload),   // evt_cmd_error
};
static_assert(std::size(msg_sizes) == static_cast<std::size_t>(MsgType::count_));

template <class Payload>
Message make_message(MsgType type, uint32_t seq, const Payload& payload)
{
    static_assert(sizeof(Payload) <= msg_payload_max);
    static_assert(std::is_trivially_copyable_v<Payload>);
    Message m{};
    m.hdr.type = static_cast<uint16_t>(type);
    m.hdr.size = sizeof(Payload);
    m.hdr.seq = seq;
    __builtin_memcpy(m.u.raw, &payload, sizeof(Payload));
    return m;
}

// A D-channel frame ring slot. Q.921 5.9.3: N201 (max information field) is
// 260 octets; with address, control and FCS a frame stays below 270 bytes.
inline constexpr std::size_t dchan_frame_max = 560;
struct alignas(64) DchanFrame {
    uint16_t len;    // bytes used in data (without FCS)
    uint16_t flags;  // DchanFlag bits
    uint32_t seq;    // per-direction frame number (for traces)
    uint64_t mono_ns;
    uint8_t data[dchan_frame_max];
};
static_assert(sizeof(DchanFrame) == 576);
static_assert(std::is_trivially_copyable_v<DchanFrame>);

}  // namespace trunkgw::api
