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
// NFAS (Non-Facility Associated Signalling, T1 PRI): one link controls the
// B-channels of several spans ("interfaces", Q.931 4.5.13 octet 3.1 names
// them) through one D-channel, with an optional backup D-channel on another
// span. Both are libpri instances sharing one call pool (pri_enslave); the
// link sends through the active one: the primary when its Layer 2 is up,
// else the backup. libpri keeps a call on the D-channel it last heard it
// on, and queues what it sends for a call there, even when that D-channel
// is down (libpri-notes.md section 8): a call we clear while its D-channel
// is down and another is up is ended by RESTART of its channel through the
// active D-channel (Q.931 5.5.1: restart returns a channel to idle at both
// ends). And libpri leaves T309 to us for NFAS: with every D-channel down,
// calls last T309 (libpri's value), then end with cause 27.
//
// Channel numbers: on a one-span link the Q.931 channel number (the
// timeslot); on an NFAS link interface id << 8 | timeslot. locate() turns
// either into (span, timeslot).
//
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
#include <memory>
#include <string>
#include <vector>

#include "signaling/isdn/pri_call.h"
#include "signaling/isdn/pri_timer_limits.h"
#include "signaling/isdn/q931_message.h"
#include "signaling/isdn/timer_watch.h"

#include "signaling/isdn/libpri_c.h"

namespace trunkgw::isdn {

// How a free B-channel is picked when the far end (or our caller) names
// none. The two sides of a link should hunt from opposite ends, which keeps
// glare rare: networks usually hunt ascending, so a CPE descending.
enum class ChannelHunting { ascending, descending, round_robin };
const char* channel_hunting_name(ChannelHunting h);

// One span whose B-channels a link controls.
struct PriInterface {
    std::string span;
    int id = 0;            // NFAS interface identifier (Q.931 4.5.13)
    bool dchannel = true;  // TS16/TS24 is a D-channel (not a B-channel)
};

struct PriLinkConfig {
    std::string name;       // the span's (or NFAS group's) name, for logs
    bool network_side = false;
    int switch_type = 0;    // PRI_SWITCH_* (switch_types.h)
    bool e1 = true;         // E1: B-channels 1-15, 17-31; T1: 1-23
    ChannelHunting hunting = ChannelHunting::descending;
    // T302 (Q.931 Table 9-2: 10-15 s): overlap receiving waits this long
    // for the next INFORMATION.
    uint32_t overlap_timeout_ms = 10000;
    // NFAS: `interfaces` lists the group's spans. Otherwise one interface,
    // the span `name` (filled in when empty).
    bool nfas = false;
    std::vector<PriInterface> interfaces;
    // T309 (Q.931 5.8.8, Table 9-1): how long connected calls survive the
    // loss of the D-channel's data link before they are cleared (cause 27).
    // libpri's default is 6 s; Q.931's is 90 s. The two ends can notice an
    // outage up to T203 + N200 x T200 (13 s) apart.
    uint32_t t309_ms = pri_timer::t309_ms.default_value;
    // Q.921 data link (Q.921 5.9, libpri's defaults): T200 waits for an
    // acknowledgement before a retransmission (5.9.1: 1 s), N200 is how
    // many retransmissions are tried (5.9.2: 3), T203 is the longest a
    // link stays silent before it is polled (5.9.8: 10 s). A dead link is
    // noticed after T203 + N200 x T200 (13 s): shorter timers notice an
    // outage sooner at the price of more polling; T203 must exceed T200.
    uint32_t t200_ms = pri_timer::t200_ms.default_value;
    uint32_t n200 = pri_timer::n200.default_value;
    uint32_t t203_ms = pri_timer::t203_ms.default_value;
};

// A D-channel of a link: the span carrying it and where its frames go.
struct PriDchannelStatus {
    std::string span;
    bool up;      // Q.921 multiple frame established
    bool active;  // the link sends new calls through it
    uint64_t frames_rx;
    uint64_t frames_tx;
    uint64_t up_count;    // came up
    uint64_t down_count;  // went down
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
    // NFAS: the active D-channel changed while the link stayed up (primary
    // lost -> backup, or back to the primary).
    uint64_t dchannel_switchovers = 0;
    // NFAS: calls cleared by RESTART of their channel because the D-channel
    // libpri keeps them on was down (see above).
    uint64_t calls_cleared_by_restart = 0;
    uint64_t t309_expiries = 0;      // NFAS: calls ended after T309 with every D-channel down
    // libpri's own timers, read off the wire (timer_watch.h), every D-channel.
    TimerExpiries libpri_timers;
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
    int channel;  // the link's channel number (see above)
    ChannelState state;
    bool blocked_here;    // out of service by our operator
    bool blocked_there;   // out of service by the far end's SERVICE message
};

class PriLink {
public:
    // Puts a frame on the line; false (with errno saying why, for libpri's
    // log) when the line took nothing.
    using FrameOut = std::function<bool(const uint8_t* frame, std::size_t len)>;
    struct DchannelOut {
        std::string span;  // the span carrying the D-channel
        FrameOut out;
    };
    // Where libpri's text goes (process-wide: libpri's hooks are global).
    using LogSink = std::function<void(const std::string& span, bool error, const std::string& text)>;
    // Sees every frame both ways (a D-channel trace): outgoing = sent by us.
    using FrameTap = std::function<void(const uint8_t* frame, std::size_t len, bool outgoing)>;
    static void set_log_sink(LogSink sink);
    // The link a libpri instance belongs to (its userdata).
    static PriLink* of_libpri(struct pri* p);

    // Starts Q.921 at once: the first SABME leaves through `out` before
    // this returns. Throws std::runtime_error when libpri refuses.
    PriLink(PriLinkConfig cfg, FrameOut out, PriCallHandler* calls = nullptr);
    // NFAS: the D-channels, primary first, then the backup.
    PriLink(PriLinkConfig cfg, std::vector<DchannelOut> dchannels, PriCallHandler* calls = nullptr);
    ~PriLink();
    PriLink(const PriLink&) = delete;
    PriLink& operator=(const PriLink&) = delete;

    // One received D-channel frame (address, control, information; no FCS).
    void receive(const uint8_t* frame, std::size_t len) { receive(0, frame, len); }
    // The same on D-channel `dchannel` (0 primary, 1 backup).
    void receive(std::size_t dchannel, const uint8_t* frame, std::size_t len);
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
    // The libpri instance new calls go through (the active D-channel's).
    struct pri* handle() { return ctrl(); }
    // The B-channel numbers of this link (see above), every interface.
    const std::vector<int>& bearer_channels() const { return _restart_channels; }
    std::vector<PriDchannelStatus> dchannels() const;

    // Channel numbers <-> (span, timeslot).
    struct Located {
        const std::string* span;  // nullptr: not a channel of this link
        int timeslot;
    };
    Located locate(int channel) const;
    // The link's channel number of span/timeslot; 0 when not one here.
    int channel_of(const std::string& span, int timeslot) const;

    // The B-channel for an incoming SETUP's channel indication (see above):
    // > 0 a channel, < 0 minus the Q.850 cause to clear with.
    int select_channel(int requested, bool exclusive) const;
    // Places a call on `span` (NFAS: hunting that interface only; "" any).
    int64_t call_setup(const PriCallInfo& info, const std::string& span);

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
    // Operator maintenance: take a channel (0 = every one; NFAS: every one
    // of `span`'s when given) out of service
    // or back. Where the switch type has SERVICE messages (NI-2, 4ESS,
    // 5ESS: Telcordia TR-NWT-001268), the far end is told too. Returns the
    // channels changed; -1 for a channel that is not a B-channel here.
    int set_service(int channel, bool in_service, const std::string& span = {});
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
        std::size_t dchannel = 0;      // the D-channel libpri keeps the call on (last heard there)
    };
    // One D-channel: its libpri instance and what receive() hands it.
    struct Dchannel {
        PriLink* link;
        std::size_t index;
        std::string span;
        int interface_id;  // its span's interface (implicit channel ids, Q.931 4.5.13)
        FrameOut out;
        struct pri* pri = nullptr;
        bool up = false;
        const uint8_t* rx = nullptr;
        std::size_t rx_len = 0;
        uint8_t next_ns = 0;  // the N(S) a new I-frame of ours carries (V(S) as seen on the wire)
        uint64_t frames_rx = 0;
        uint64_t frames_tx = 0;
        uint64_t up_count = 0;
        uint64_t down_count = 0;
        TimerWatch timers{false};
    };
    void sum_timer_expiries();

    static int io_read(struct pri* p, void* buf, int len);
    static int io_write(struct pri* p, void* buf, int len);
    void handle_event(pri_event* e, std::size_t dchannel);
    void dchannel_changed(std::size_t dchannel, bool up);
    void count_retransmission(Dchannel& d, const uint8_t* frame, int len);
    struct pri* ctrl() const { return _d[_active < 0 ? 0 : static_cast<std::size_t>(_active)]->pri; }
    struct pri* d_pri(std::size_t dchannel) const { return _d[dchannel]->pri; }
    // Whether libpri would send on this call now: the D-channel it keeps
    // the call on is up, or none is (then nothing is sent anyway).
    bool call_reachable(const Call& c) const { return !_up || _d[c.dchannel]->up; }
    // libpri's channel field (bits 0-7 channel, 8-15 interface, bit 16
    // interface explicit) -> ours, and ours -> libpri's.
    int channel_from_libpri(int field, std::size_t dchannel) const;
    int channel_to_libpri(int channel) const;
    int slot_of(int channel) const;  // index into _restart_channels, -1: none
    void run_t309(int64_t now_ms);
    void clear_by_restart(Call& c, int cause);
    // pri_link_calls.cpp
    bool handle_call_event(pri_event* e, std::size_t dchannel);
    void incoming_setup(pri_event* e, int channel, std::size_t dchannel);
    Call* call_by_id(uint32_t id);
    Call* call_by_q(const q931_call* q);
    Call* call_on_channel(int channel);
    void forget(Call& c);
    bool hangup_in_libpri(Call& c, int cause);
    bool libpri_holds(const Call& c);
    void reap_released();
    void drop_stale(const q931_call* q);
    void call_ended(Call& c, int cause, bool notify);
    void follow_channel(Call& c, int channel_field, std::size_t dchannel);
    void run_call_timers(int64_t now_ms);
    int64_t ms_to_call_timer(int64_t now_ms) const;
    int hunt(int interface_id = -1) const;
    bool channel_free(int ch) const;
    // Free of blocking and restarts (not of calls): channel_free without
    // the calls, for hunt's one pass over them.
    bool channel_usable(int ch, int slot) const;
    bool is_bearer(int ch) const;
    void start_restarts();
    void restart_next();

    PriLinkConfig _cfg;
    PriCallHandler* _handler;
    FrameTap _tap;
    std::vector<std::unique_ptr<Dchannel>> _d;  // [0] primary, [1] backup
    int _active = -1;                           // the D-channel in use, -1: none up
    bool _up = false;                           // a D-channel is up
    int64_t _t309_deadline_ms = 0;              // NFAS, every D-channel down; 0: not running
    std::vector<int> _restart_channels;         // every B-channel, interface by interface
    std::vector<int> _slot_index;               // channel -> index into _restart_channels (+1), 0: none
    std::vector<int> _restart_extra;            // single channels to restart (clear_by_restart)
    std::size_t _restart_next = 0;    // next channel to restart
    int _restart_pending = 0;         // channel waiting for its ACK, 0 = none
    int64_t _restart_deadline_ms = 0; // CLOCK_MONOTONIC ms
    int _restart_attempts = 0;        // for the pending channel
    bool _in_maintenance_frame = false;  // receive() is handling a SERVICE / SERVICE ACK
    bool _service_messages = false;
    std::vector<uint8_t> _blocked_here;   // by slot
    std::vector<uint8_t> _blocked_there;  // by slot
    std::vector<Call> _calls;
    uint32_t _next_call_id = 1;
    bool _probing_call = false;
    mutable int _hunt_last = 0;  // round robin: the channel hunted last
    mutable std::vector<uint8_t> _hunt_busy;  // hunt's scratch: a call on the slot
    PriLinkCounters _c;
};

}  // namespace trunkgw::isdn
