// One ISDN PRI D-channel through libpri: Q.921 and Q.931 for one span, on
// either side (user/CPE or network). The link knows nothing about the data
// plane or sockets: D-channel frames come in through receive() (good-FCS
// HDLC frames, FCS stripped, from the span's HDLC) and go out through the
// FrameOut callback; timers run when the owner calls run_timers() at
// ms_to_next_timer(). Not thread-safe (libpri is not): one thread owns a
// link.
//
// Maintenance done here, for every switch type:
//  - Q.931 5.5 restart procedure: once the data link is up, and again after
//    every Layer 2 recovery, every B-channel is RESTARTed, one at a time,
//    each waiting for its RESTART ACKNOWLEDGE; without one within 4 s (our
//    T316) the RESTART is sent once more (5.5.1: "one or more RESTART
//    messages may be sent"), then the channel is counted as timed out, so
//    no channel is ever left stuck in a state the far end forgot.
//  - libpri answers the far end's RESTART itself; we count it.
// An incoming SETUP first gets a B-channel (Q.931 5.2.3.1): the one it
// indicates if that is free; another when it said "preferred"; cause 44
// (requested circuit/channel not available) when it said "exclusive" and
// that one is busy or out of service; cause 34 (no circuit/channel
// available) when none is free; cause 82 (identified channel does not
// exist) for a channel that is not a B-channel here. A SETUP with a
// channel then goes to the EventHook (the call model, issue 6); without
// one it is cleared with cause 1 (unallocated number: nothing here routes
// it), with RELEASE COMPLETE as Q.931 5.2.5.1 rejects a SETUP.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "signaling/isdn/pri_call.h"
#include "signaling/isdn/q931_message.h"

#include "signaling/isdn/libpri_c.h"

namespace trunkgw::isdn {

// How a free B-channel is picked when the far end (or our caller) names
// none. The two sides of a link should hunt from opposite ends, which keeps
// glare rare: networks usually hunt ascending, so a CPE descending.
enum class ChannelHunting { ascending, descending, round_robin };
const char* channel_hunting_name(ChannelHunting h);

struct PriLinkConfig {
    std::string name;       // the span's name, for logs
    bool network_side = false;
    int switch_type = 0;    // PRI_SWITCH_* (switch_types.h)
    bool e1 = true;         // E1: B-channels 1-15, 17-31; T1: 1-23
    ChannelHunting hunting = ChannelHunting::descending;
    // T302 (Q.931 Table 9-2: 10-15 s): overlap receiving waits this long
    // for the next INFORMATION.
    uint32_t overlap_timeout_ms = 10000;
};

struct PriLinkCounters {
    uint64_t frames_rx = 0;
    uint64_t frames_tx = 0;
    uint64_t frames_tx_refused = 0;  // FrameOut said no (ring full): Q.921 retransmits
    uint64_t frames_rx_short = 0;    // under 3 octets: dropped before libpri
    // I-frames sent again (Q.921 5.6: T200 expired or REJ received): an
    // N(S) that is not the next in sequence since the link was established.
    uint64_t q921_retransmissions = 0;
    uint64_t q931_rx_too_short = 0;  // Q.931 5.8.2: message too short (ignored)
    uint64_t q931_rx_bad_protocol = 0;  // Q.931 5.8.1: not Q.931's protocol discriminator (ignored)
    uint64_t dchan_up = 0;
    uint64_t dchan_down = 0;
    uint64_t dchan_reestablished = 0;  // the far end re-established a link that was up
    uint64_t restarts_sent = 0;
    uint64_t restart_acks = 0;
    uint64_t restart_retries = 0;    // a RESTART sent again: no RESTART ACKNOWLEDGE within 4 s
    uint64_t restart_timeouts = 0;   // channels given up on after the retry
    uint64_t restarts_received = 0;  // the far end restarted a channel (or all)
    uint64_t setups_refused = 0;     // SETUP cleared: no route (no call handler yet)
    uint64_t setups_no_channel = 0;  // cause 34: no B-channel free
    uint64_t setups_channel_unavailable = 0;  // cause 44: the exclusive channel is not free
    uint64_t setups_bad_channel = 0;  // cause 82: not a B-channel of this span
    uint64_t config_errors = 0;
    uint64_t service_sent = 0;       // SERVICE messages we sent
    uint64_t service_received = 0;   // SERVICE messages from the far end
    // Calls.
    uint64_t calls_in = 0;           // incoming SETUPs handed to the call model
    uint64_t calls_out = 0;          // SETUPs we sent
    uint64_t calls_out_refused = 0;  // call_setup() refused before any SETUP (no channel, link down)
    uint64_t calls_answered_in = 0;
    uint64_t calls_answered_out = 0;
    uint64_t channel_moves = 0;      // the far end moved our call to another channel (accepted)
    uint64_t t302_expiries = 0;      // overlap receiving timed out
    uint64_t calls_lost_to_restart = 0;  // the far end RESTARTed a channel with a call
    // Clearing calls libpri freed without an event (a RELEASE we sent on an
    // incoming call, answered by RELEASE COMPLETE), found by asking libpri,
    // so that their channels are free again.
    uint64_t calls_reaped = 0;
    // Calls ended, by Q.850 cause (0-127), by direction.
    std::array<uint64_t, 128> cleared_in{};
    std::array<uint64_t, 128> cleared_out{};
    std::array<uint64_t, 32> events{};  // by PRI_EVENT_* number
    // Q.931 messages by q931_message_names index (+1 slot: other types).
    std::array<uint64_t, q931_message_names.size() + 1> q931_rx{};
    std::array<uint64_t, q931_message_names.size() + 1> q931_tx{};
};

// A B-channel as this link sees it.
enum class ChannelState {
    idle,
    busy,            // a call holds it
    restarting,      // RESTART sent, no acknowledgement yet
    out_of_service,  // blocked here, or taken out of service by the far end (SERVICE)
    unavailable,     // the D-channel is down
};
const char* channel_state_name(ChannelState s);

struct ChannelStatus {
    int channel;  // Q.931 channel number (the timeslot)
    ChannelState state;
    bool blocked_here;    // out of service by our operator
    bool blocked_there;   // out of service by the far end's SERVICE message
};

class PriLink {
public:
    using FrameOut = std::function<bool(const uint8_t* frame, std::size_t len)>;
    // Where libpri's text goes (process-wide: libpri's hooks are global).
    using LogSink = std::function<void(const std::string& span, bool error, const std::string& text)>;
    // Sees every frame both ways (a D-channel trace): outgoing = sent by us.
    using FrameTap = std::function<void(const uint8_t* frame, std::size_t len, bool outgoing)>;
    static void set_log_sink(LogSink sink);

    // Starts Q.921 at once: the first SABME leaves through `out` before
    // this returns. Throws std::runtime_error when libpri refuses.
    PriLink(PriLinkConfig cfg, FrameOut out, PriCallHandler* calls = nullptr);
    PriLink(const PriLink&) = delete;
    PriLink& operator=(const PriLink&) = delete;

    // One received D-channel frame (address, control, information; no FCS).
    void receive(const uint8_t* frame, std::size_t len);
    // Runs what is due: libpri's timers and the restart procedure.
    void run_timers();
    // Milliseconds until run_timers() has work; -1 when nothing is scheduled.
    int64_t ms_to_next_timer() const;

    bool up() const { return _up; }
    bool restarting() const { return _restart_next < _restart_channels.size() || _restart_pending != 0; }
    const PriLinkCounters& counters() const { return _c; }
    void set_frame_tap(FrameTap tap) { _tap = std::move(tap); }
    const PriLinkConfig& config() const { return _cfg; }
    // True while hangup_in_libpri() asks libpri about a call it may have
    // freed (libpri logs an error for that; it is expected).
    bool probing_call() const { return _probing_call; }
    struct pri* handle() { return _pri; }
    // The B-channel numbers of this span (Q.931 channel numbers = timeslots).
    const std::vector<int>& bearer_channels() const { return _restart_channels; }

    // The B-channel for an incoming SETUP's channel indication (see above):
    // > 0 a channel, < 0 minus the Q.850 cause to clear with.
    int select_channel(int requested, bool exclusive) const;

    // --- Calls (pri_link_calls.cpp). Each returns 0, or -1 for a call id
    // this link does not hold (or one already clearing) or libpri refusing.
    void set_call_handler(PriCallHandler* h) { _handler = h; }
    // Places a call: SETUP on info.channel, or on a channel hunted by the
    // configured policy, indicated exclusively when info.exclusive (a
    // network side usually does: it assigns channels). Returns the call id (> 0), or minus
    // the Q.850 cause it could not be placed with: 38 (network out of
    // order) with the link down, 34 none free, 44 the named one busy, 82
    // not a B-channel here, 47 libpri refused.
    int64_t call_setup(const PriCallInfo& info);
    // CALL PROCEEDING with the channel (Q.931 5.2.5.2); `inband`: PI #8.
    int call_proceeding(uint32_t call, bool inband);
    // SETUP ACKNOWLEDGE (Q.931 5.2.4): overlap receiving; starts T302.
    int call_need_more_info(uint32_t call);
    // ALERTING (sends CALL PROCEEDING first if needed); `inband`: PI #8.
    int call_alerting(uint32_t call, bool inband);
    // PROGRESS with PI #8, in-band information available (Q.931 5.2.6).
    int call_progress(uint32_t call);
    int call_answer(uint32_t call);
    // Overlap sending (Q.931 5.1.3): more called-number digits for a call
    // we placed without Sending Complete, one INFORMATION per digit.
    int call_information(uint32_t call, const std::string& digits);
    // Clears the call with a Q.850 cause (DISCONNECT, RELEASE or RELEASE
    // COMPLETE as its state requires). Its channel stays busy until the
    // far end completes the clearing.
    int call_hangup(uint32_t call, int cause);
    std::vector<PriCallStatus> calls() const;
    // The B-channel a call holds now (the far end may have moved it); 0
    // for a call id this link does not hold.
    int call_channel(uint32_t call) const;
    std::size_t call_count() const { return _calls.size(); }

    // Every B-channel's state, ascending.
    std::vector<ChannelStatus> channels() const;
    // Operator maintenance: take a channel (0 = every one) out of service
    // or back. Where the switch type has SERVICE messages (NI-2, 4ESS,
    // 5ESS: Telcordia TR-NWT-001268), the far end is told too. Returns the
    // channels changed; -1 for a channel that is not a B-channel here.
    int set_service(int channel, bool in_service);
    bool service_messages() const { return _service_messages; }

private:
    struct Call {
        uint32_t id;
        q931_call* q;
        bool outgoing;
        int channel;
        PriCallState state;
        std::string called;
        int64_t t302_deadline_ms = 0;  // overlap: CLOCK_MONOTONIC ms; 0 = not running
        bool model_knows_end = false;  // the model cleared it, or was told it ended
        int cref = -1;                 // libpri's call reference, to tell a reused pointer
    };

    static int io_read(struct pri* p, void* buf, int len);
    static int io_write(struct pri* p, void* buf, int len);
    void handle_event(pri_event* e);
    void count_retransmission(const uint8_t* frame, int len);
    // pri_link_calls.cpp
    bool handle_call_event(pri_event* e);
    void incoming_setup(pri_event* e, int channel);
    Call* call_by_id(uint32_t id);
    Call* call_by_q(const q931_call* q);
    Call* call_on_channel(int channel);
    void forget(Call& c);
    bool hangup_in_libpri(Call& c, int cause);
    bool libpri_holds(const Call& c);
    void reap_released();
    void drop_stale(const q931_call* q);
    void call_ended(Call& c, int cause, bool notify);
    void follow_channel(Call& c, int channel_field);
    void run_call_timers(int64_t now_ms);
    int64_t ms_to_call_timer(int64_t now_ms) const;
    int hunt() const;
    bool channel_free(int ch) const;
    bool is_bearer(int ch) const;
    void start_restarts();
    void restart_next();

    PriLinkConfig _cfg;
    FrameOut _out;
    PriCallHandler* _handler;
    FrameTap _tap;
    struct pri* _pri = nullptr;
    const uint8_t* _rx = nullptr;
    std::size_t _rx_len = 0;
    bool _up = false;
    std::vector<int> _restart_channels;
    std::size_t _restart_next = 0;    // next channel to restart
    int _restart_pending = 0;         // channel waiting for its ACK, 0 = none
    int64_t _restart_deadline_ms = 0; // CLOCK_MONOTONIC ms
    int _restart_attempts = 0;        // for the pending channel
    bool _in_maintenance_frame = false;  // receive() is handling a SERVICE / SERVICE ACK
    uint8_t _next_ns = 0;  // the N(S) a new I-frame of ours carries (V(S) as seen on the wire)
    bool _service_messages = false;
    std::array<uint8_t, 32> _blocked_here{};
    std::array<uint8_t, 32> _blocked_there{};
    std::vector<Call> _calls;
    uint32_t _next_call_id = 1;
    bool _probing_call = false;
    mutable int _hunt_last = 0;  // round robin: the channel hunted last
    PriLinkCounters _c;
};

}  // namespace trunkgw::isdn
