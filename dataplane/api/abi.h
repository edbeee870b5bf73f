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
// 4: session commands and events; SessionBlock (mirror + counters) replaces
//    SessionMirror; CmdErrorPayload names the object.
// 5: WorkerCounter::tick_busy_ns (the worker counter block grew).
// 6: SegmentHeader::ports_flow_steered; WorkerCounter::dispatch_no_port.
// 7: SessionCreatePayload::telephone_event_pt; session counters rtp_events_in,
//    dtmf_played, rtp_events_unsupported.
// 8: SessionModifyPayload::telephone_event_pt (was padding) with
//    session_set_telephone_event; session counters rtp_events_out,
//    dtmf_detected.
// 9: cmd_session_srtp (SessionSrtpPayload) and the session_srtp flag;
//    session counters srtp_auth_failed, srtp_replayed, srtp_failed,
//    srtp_no_keys.
// 10: WorkerCounter::session_ticks and plain_ticks.
inline constexpr uint32_t abi_version = 10;

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
    //   type and sequence number, the object it named and a negative errno.
    evt_cmd_error = 5,
    // cmd_session_create: start an RTP session in a slot of the worker's
    //   range, optionally joined to a B-channel the worker owns.
    //   in: SessionCreatePayload. out: nothing (the mirror shows it active).
    //   error reply: evt_cmd_error (-ERANGE slot not this worker's, -EBUSY
    //   slot in use, -EADDRNOTAVAIL local address on no port of the worker,
    //   -EADDRINUSE local port taken, -ENOENT channel not owned, -EALREADY
    //   channel joined to another session, -EINVAL bad media parameters or
    //   a remote that is not a unicast host address).
    cmd_session_create = 6,
    // cmd_session_modify: new remote endpoint and direction (re-INVITE:
    //   hold, resume, address change); the local port never changes.
    //   in: SessionModifyPayload. error reply: evt_cmd_error (-ERANGE slot
    //   not this worker's, -ENOENT no such session, -EINVAL a remote that
    //   is not a unicast host address: nothing changed).
    cmd_session_modify = 7,
    // cmd_session_delete: stop a session (optionally with an RTCP BYE), free
    //   its slot and port, unjoin its channel. Commands on one ring apply in
    //   order, so control may reuse the slot in its next create.
    //   in: SessionDeletePayload. error reply: evt_cmd_error (-ENOENT).
    cmd_session_delete = 8,
    // evt_session_event: RTP timeout / resumed / latched / BYE received
    //   (media::SessionEvent bits) for one session.
    evt_session_event = 9,
    // cmd_session_srtp: one direction's SRTP key of a session created with
    //   session_srtp (RFC 4568: ours from our a=crypto, theirs from the
    //   peer's); again to re-key. The session sends once it has ours and
    //   takes packets once it has theirs.
    //   in: SessionSrtpPayload. error reply: evt_cmd_error (-ERANGE slot
    //   not this worker's, -ENOENT no such session, -EINVAL a session
    //   without session_srtp or an unknown suite or direction, -ENOMEM /
    //   -EIO libsrtp refused: that direction has no key).
    cmd_session_srtp = 10,
    count_ = 11,  // first unused number; never lower it
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
    int32_t error;    // negative errno
    uint32_t object;  // the span or session index the command named
};

enum SessionFlag : uint8_t {
    session_symmetric_rtp = 1u << 0,  // latch the remote to the source seen (RFC 4961)
    session_send = 1u << 1,           // send RTP (off: hold, a=recvonly/inactive)
    session_adaptive_jitter = 1u << 2,
    session_set_telephone_event = 1u << 3,  // modify: telephone_event_pt applies (else unchanged)
    session_srtp = 1u << 4,  // create: SRTP (RFC 3711); nothing sent or taken before cmd_session_srtp's keys
};

// Addresses are IPv4 in host order; ports host order.
struct SessionCreatePayload {
    uint32_t session_index;  // global slot, within the worker's range
    uint32_t channel_index;  // ChannelMirror index + 1; 0 = not joined
    uint32_t local_ipv4;     // one of the worker's port addresses
    uint32_t remote_ipv4;    // 0 with remote_port 0: unknown until latched
    uint16_t local_port;     // even; RTCP on local_port + 1
    uint16_t remote_port;
    uint32_t ssrc;
    uint32_t first_timestamp;
    uint16_t first_sequence;
    uint8_t payload_type;  // 0 PCMU, 8 PCMA
    uint8_t ptime_ms;      // 10, 20, 30, 40
    uint8_t flags;         // SessionFlag
    uint8_t dscp;          // DiffServ code point (46 = EF)
    uint16_t jitter_delay_ms;
    uint16_t jitter_max_delay_ms;
    uint16_t rtp_timeout_ms;   // 0: none
    uint32_t rtcp_interval_ms; // 0: no RTCP reports
    uint8_t telephone_event_pt;  // RFC 4733 events with this PT (96-127): received ones play as DTMF, DTMF heard is sent; 0: none
    uint8_t pad[3];
};

struct SessionModifyPayload {
    uint32_t session_index;
    uint32_t remote_ipv4;
    uint16_t remote_port;
    uint8_t flags;  // SessionFlag: session_send, session_symmetric_rtp and session_set_telephone_event apply
    uint8_t telephone_event_pt;  // with session_set_telephone_event: the peer's PT, our DTMF events go with it (96-127); 0: none
};

// RFC 4568 6.2.1: a 128-bit master key and a 112-bit salt, key first.
inline constexpr std::size_t srtp_master_len = 30;

struct SessionSrtpPayload {
    uint32_t session_index;
    uint8_t suite;      // SrtpSuite (srtp_suite.h): 1 AES_CM_128_HMAC_SHA1_80, 2 AES_CM_128_HMAC_SHA1_32
    uint8_t direction;  // media::SrtpDirection: 0 ours (what the session sends), 1 theirs
    uint8_t master[srtp_master_len];
};

struct SessionDeletePayload {
    uint32_t session_index;
    uint32_t send_bye;  // 1: RTCP BYE first (RFC 3550 6.6)
};

// evt_session_event bits (the same values as media::SessionEvent).
enum SessionEventBit : uint32_t {
    session_event_rtp_timeout = 1u << 0,  // no valid RTP for rtp_timeout_ms
    session_event_rtp_resumed = 1u << 1,  // RTP came back after a timeout
    session_event_rtp_latched = 1u << 2,  // the remote RTP endpoint moved (symmetric RTP)
    session_event_rtcp_bye = 1u << 3,     // the far end sent RTCP BYE
};

struct SessionEventPayload {
    uint32_t session_index;
    uint32_t events;  // SessionEventBit
    uint32_t remote_ipv4;  // the remote RTP endpoint now (after a latch)
    uint32_t remote_port;
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
        SessionCreatePayload session_create;
        SessionModifyPayload session_modify;
        SessionDeletePayload session_delete;
        SessionEventPayload session_event;
        SessionSrtpPayload session_srtp;
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
    sizeof(SessionCreatePayload),  // cmd_session_create
    sizeof(SessionModifyPayload),  // cmd_session_modify
    sizeof(SessionDeletePayload),  // cmd_session_delete
    sizeof(SessionEventPayload),   // evt_session_event
    sizeof(SessionSrtpPayload),    // cmd_session_srtp
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
