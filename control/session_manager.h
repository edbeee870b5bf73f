// Control's side of RTP sessions: which slots and local RTP ports are in
// use, the commands that create, modify and delete sessions in the data
// plane, and their reconciliation with the state mirror after an attach.
//
// One logic function per operation serves every front end: the management
// API (trunkctl session ...) today, the call model (issue 6) next.
//
// Slots: worker w owns segment slots [w * per_worker, (w + 1) * per_worker);
// a session lives on the worker of its B-channel (or on a chosen worker
// when it has none). Local RTP ports: even ports of [media.rtp_port_min,
// media.rtp_port_max], handed out round robin so that a port just freed is
// reused last (a late packet of an old call never reaches a new one), and
// split between the workers (port k belongs to worker k mod n): a port is
// only ever reused on the worker that freed it, whose command ring applies
// the delete before the next create.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "control/config/config.h"
#include "control/dataplane_link.h"
#include "control/srtp_keys.h"
#include "dataplane/api/abi.h"

namespace trunkgw::control {

class SessionError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct SessionRequest {
    std::string span;       // join to span/timeslot; empty: no channel
    uint32_t timeslot = 0;
    uint32_t worker_id = 0; // without a channel: the worker (0: the first)
    uint32_t local_ipv4 = 0;   // 0: the first address of the first port
    uint32_t remote_ipv4 = 0;  // 0 and port 0: learnt by latching
    uint16_t remote_port = 0;
    uint8_t payload_type = 8;  // 8 PCMA, 0 PCMU
    uint32_t ptime_ms = 0;     // 0: media.ptime_ms
    bool send = true;
    uint8_t telephone_event_pt = 0;  // RFC 4733 events with this PT (96-127) play as DTMF; 0: none
    std::optional<SrtpKeys> srtp;    // SRTP (RFC 3711) with these keys; none: plain RTP
};

struct SessionHandle {
    uint32_t slot;
    uint32_t worker_id;
    uint32_t local_ipv4;
    uint16_t local_port;
    uint32_t channel_index;  // + 1, 0 = none
};

// Written on the control loop, read by the metrics thread: relaxed atomics.
struct SessionManagerCounters {
    std::atomic<uint64_t> creates{0};
    std::atomic<uint64_t> deletes{0};
    std::atomic<uint64_t> modifies{0};
    std::atomic<uint64_t> refused{0};         // refused here (bad request, no slot/port, ring full)
    std::atomic<uint64_t> worker_refused{0};  // refused by the worker (evt_cmd_error)
    std::atomic<uint64_t> events{0};          // evt_session_event received
    std::atomic<uint64_t> rtp_timeouts{0};
    std::atomic<uint64_t> ports_free{0};      // a gauge: local RTP ports free
};

class SessionManager {
public:
    SessionManager(DataplaneLink& link, const config::Config& cfg);

    // Each throws SessionError with the reason; nothing changes then.
    SessionHandle create(const SessionRequest& r);
    // telephone_event_pt: the peer's PT for RFC 4733 events (its SDP's):
    // our DTMF events go with it (0: none, DTMF in-band); unchanged when
    // not given.
    void modify(uint32_t slot, uint32_t remote_ipv4, uint16_t remote_port, bool send,
                std::optional<uint8_t> telephone_event_pt = std::nullopt);
    void remove(uint32_t slot, bool send_bye);
    // The peer's SRTP key, learnt after the create (the answer to our SDES
    // offer, RFC 4568; or a re-INVITE's): what the session opens with. The
    // same key again changes nothing in the data plane.
    void set_their_srtp_key(uint32_t slot, api::SrtpSuite suite, const SrtpMaster& key);

    // After every attach: slots and ports as the mirror shows them.
    void resync(const api::Segment& seg);
    // A worker refused a session command: free what the create took.
    void on_command_error(const api::CmdErrorPayload& e);
    void on_session_event(const api::SessionEventPayload& e);

    // Slots of the active sessions joined to a B-channel of one of `spans`.
    std::vector<uint32_t> sessions_on_spans(const std::vector<std::string>& spans) const;

    // RFC 3550 receiver figures of one session (for CDRs). Without
    // `deleted`: an active session's, as its worker last published them
    // (about once a second). With `deleted` (the generation an earlier
    // read returned): the final figures the worker published when it
    // deleted the session, while the slot is not reused; nullopt when
    // detached, or not (yet, or any more) that state.
    struct MediaStats {
        uint64_t packets_out, packets_in, lost_packets, expected_packets, concealed_ms;
        uint32_t jitter_us, rtt_us;
        uint64_t generation;
    };
    std::optional<MediaStats> media_stats(uint32_t slot, std::optional<uint64_t> deleted = std::nullopt) const;

    std::size_t active() const { return _active; }
    uint32_t ports_free() const { return _ports_free; }
    const SessionManagerCounters& counters() const { return _c; }

private:
    struct Slot {
        bool used = false;
        uint16_t local_port = 0;
        uint32_t channel_index = 0;
        uint32_t create_seq = 0;  // the create command that took the slot
    };
    int32_t take_slot(uint32_t worker_index);
    int32_t take_port(uint32_t worker_index);
    void free_slot(uint32_t slot);
    // Throws SessionError (counted refused) unless `slot` holds a session.
    void require_session(uint32_t slot);
    void send_srtp_key(uint32_t worker_index, uint32_t slot, api::SrtpSuite suite, uint8_t direction,
                       const SrtpMaster& key);

    DataplaneLink& _link;
    const config::Config& _cfg;
    uint32_t _per_worker;
    std::vector<Slot> _slots;
    std::vector<uint32_t> _next_slot;  // per worker: where the search starts
    std::vector<uint8_t> _port_used;   // per even port in the range
    std::vector<uint32_t> _next_port;  // per worker: where the search starts
    uint32_t _ports_free = 0;
    std::size_t _active = 0;
    uint32_t _seq = 0;
    SessionManagerCounters _c;
};

}  // namespace trunkgw::control
