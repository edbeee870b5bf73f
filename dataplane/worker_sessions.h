// A worker's RTP sessions: the preallocated pool, the command handlers
// (create, modify, delete), RTP/RTCP delivery by local UDP port, the
// cross-connect of a session with its B-channel, and the sessions' mirror
// entries and counters in the segment.
//
// Slots are global session indexes in the worker's range of the segment
// (control chooses them, so it never waits for a reply to know a slot);
// the worker's pool index is slot - first slot.
//
// A joined session ticks inside its span's tick: it takes the 8 samples its
// timeslot received in the last millisecond and writes the 8 it plays into
// the frames the span sends next (tick_span), in most milliseconds through
// its plain run in the span's table without a visit (media/plain_run.h).
// Sessions without a channel tick once per worker tick (tick_unjoined), so
// that RTCP, RTP timeouts and their counters run for them too.
//
// Nothing here allocates, locks or makes a syscall after construction.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "control/config/config.h"
#include "dataplane/api/segment.h"
#include "dataplane/media/session_pool.h"
#include "dataplane/net/classify.h"
#include "dataplane/port_io.h"
#include "dataplane/udp_dispatch.h"

namespace trunkgw::dataplane {

class WorkerSpan;

struct WorkerSessionCounters {
    uint64_t creates = 0;
    uint64_t deletes = 0;
    uint64_t rtp_rx = 0;     // RTP packets handed to a session
    uint64_t rtcp_rx = 0;    // RTCP packets handed to a session
    uint64_t session_ticks = 0;  // joined sessions' milliseconds ticked
    uint64_t plain_ticks = 0;    // of them, run from their plain run (no visit)
};

class WorkerSessions {
public:
    // Receives the worker's events (evt_session_event).
    struct EventSink {
        void (*fn)(void* user, const api::Message& m) = nullptr;
        void* user = nullptr;
    };

    WorkerSessions(uint32_t worker_index, api::Segment& segment, const config::Config& cfg,
                   std::vector<PortIo*> ports, UdpDispatch* dispatch, EventSink events);

    // The worker's spans, in its order; index = segment span index.
    void add_span(uint32_t span_index, WorkerSpan* span);

    // Command handlers: 0 or a negative errno (see api::MsgType).
    int create(const api::SessionCreatePayload& p, uint64_t now_ns);
    int modify(const api::SessionModifyPayload& p);
    int srtp_key(const api::SessionSrtpPayload& p);
    int remove(const api::SessionDeletePayload& p, uint64_t now_ns);

    // UDP for a port this worker serves; false when no session holds it.
    bool receive(const net::Verdict& v, const uint8_t* frame, uint64_t now_ns);

    // The joined sessions of one span (its position in add_span order):
    // rx = the 8 frames it received last tick, tx = the 8 it sends next.
    void tick_span(uint32_t span_pos, const uint8_t* rx_frames, uint8_t* tx_frames, uint64_t now_ns);
    // Sessions without a channel; publishes a staggered share of counters.
    void tick_unjoined(uint64_t now_ns, uint64_t tick_number);

    std::size_t active() const { return _pool.in_use(); }
    const WorkerSessionCounters& counters() const { return _c; }

private:
    struct Slot {
        PortIo* port = nullptr;
        uint32_t local_ipv4 = 0;
        uint16_t local_port = 0;
        uint8_t dscp = 0;
        uint32_t span_pos = 0;       // joined: the span and timeslot
        uint32_t timeslot = 0;
        bool joined = false;
        uint32_t unjoined_pos = 0;   // position in _unjoined
        uint64_t tx_no_route = 0;
        media::Endpoint offered_remote;  // the remote signaling gave last
        WorkerSessions* owner = nullptr;
    };
    struct SpanRef {
        uint32_t span_index;
        WorkerSpan* span;
        uint8_t idle;                       // the line's idle code
        media::Law law;                     // the line's law
        uint32_t joined_mask = 0;           // bit per timeslot
        std::array<int32_t, 32> session{};  // pool index per timeslot
        // The joined sessions' plain runs, per timeslot: one table apart
        // from the sessions (a span's tick reads it whole).
        std::unique_ptr<media::PlainRun[]> runs;
    };

    // The pool index of a global slot, or -ERANGE when not this worker's.
    int32_t pool_index(uint32_t session_index) const;
    // The pool index of an active session: -ERANGE (not this worker's) or
    // -ENOENT (no session there) otherwise.
    int32_t active_index(uint32_t session_index) const;
    static void on_packet(void* user, const media::TxPacket& pkt);
    void publish(int32_t idx);
    void handle_events(int32_t idx, uint32_t events);
    void unjoin(int32_t idx);

    uint32_t _worker;
    api::Segment& _segment;
    uint32_t _first_slot;
    std::vector<PortIo*> _ports;
    UdpDispatch* _dispatch;
    EventSink _events;
    uint32_t _event_seq = 0;
    uint64_t _now_ns = 0;  // of the tick or command being run (ARP timers)
    const config::Media _media;
    media::NtpClock _ntp;
    media::SessionPool _pool;
    std::vector<Slot> _slots;
    std::vector<SpanRef> _spans;
    std::vector<int32_t> _span_pos_of;   // segment span index -> position, -1 = not ours
    std::vector<int32_t> _unjoined;      // pool indexes of active sessions without a channel
    std::unique_ptr<int32_t[]> _by_port; // local UDP port -> pool index + 1 (RTP port), -(index + 1) (RTCP port)
    WorkerSessionCounters _c;
};

}  // namespace trunkgw::dataplane
