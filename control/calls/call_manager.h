// The call model: one call = an incoming leg and an outgoing leg, joined by
// a route ([[route]], call_routing.h). A leg is a PRI call on a span or a
// SIP call on a trunk; either side may be either. Runs on the control
// loop, as the PriCallHandler of every ISDN span and the SipCallHandler of
// the SIP agent. With PRI on both sides:
//
//   incoming SETUP --(overlap: digits until Sending Complete or T302)-->
//   route (none: cause 1; T302 with no route: cause 28, Q.931 5.2.4.3) -->
//   CALL PROCEEDING to the caller --> SETUP on the first destination that
//   takes it (a refusal with one of the route's failover causes, before
//   answer, moves on to the next) --> ALERTING / PROGRESS / CONNECT passed
//   back --> either side's clearing cause passed to the other.
//
// With SIP on one side the same steps map onto INVITE: 100 Trying when
// it arrives, 180 for ALERTING, 183 with our SDP when the PRI side offers
// in-band information (PI #1/#8, RFC 3960 early media), 200 with SDP for
// CONNECT; a failure response, CANCEL or BYE carries its Q.850 cause
// (interwork/cause_mapping.h) in both directions. The media of such a call
// is one RTP session on the PRI leg's B-channel, sending to the SIP peer's
// SDP address.
//
// Call states: routing (overlap digits or choosing), dialing (SETUP or
// INVITE out), alerting, connected. Calls end with a Q.850 cause and who
// cleared.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>


#include "control/calls/call_leg_status.h"
#include "control/calls/call_routing.h"
#include "control/calls/cdr_record.h"
#include "control/calls/cdr_writer.h"
#include "control/calls/toll_fraud.h"
#include "control/config/config.h"
#include "control/session_manager.h"
#include "signaling/isdn/pri_call.h"
#include "signaling/isdn/pri_link.h"
#include "signaling/sip/sip_agent.h"

namespace trunkgw::control {

// One call as `show calls` shows it.
struct CallStatus {
    uint64_t id;
    std::string state;  // routing, dialing, alerting, connected; or how it ended
    CallLegStatus in;
    CallLegStatus out;   // span empty: no outgoing leg (yet)
    std::string called;      // as received
    std::string called_out;  // after the route's manipulation
    std::string calling;
    std::string route;
    int64_t setup_unix_ms = 0;
    int64_t answer_unix_ms = 0;  // 0: not answered
    int64_t end_unix_ms = 0;     // 0: still up
    int cause = 0;               // Q.850, when ended
    std::string cleared_by;      // "caller", "callee", "gateway", "operator"
    // The media: one RTP session per B-channel, each sending to the other
    // (a hairpin inside the data plane): session slot + 1; 0 = none (yet).
    uint32_t media_in = 0;
    uint32_t media_out = 0;
};

// Counters the metrics thread reads (atomics: written on the loop).
struct CallCounters {
    std::atomic<uint64_t> offered{0};     // incoming calls handed to the model
    std::atomic<uint64_t> routed{0};      // a route matched
    std::atomic<uint64_t> no_route{0};    // none matched: cause 1 (28 after T302)
    std::atomic<uint64_t> attempts{0};    // outgoing SETUPs placed
    std::atomic<uint64_t> failovers{0};   // a destination refused with a failover cause; the next was tried
    std::atomic<uint64_t> answered{0};
    std::atomic<uint64_t> ended{0};
    std::atomic<uint64_t> dropped{0};     // by the operator (call drop)
    std::atomic<uint64_t> active{0};
    std::atomic<uint64_t> media_connected{0};  // calls whose B-channels were joined
    std::atomic<uint64_t> media_failed{0};     // ... could not be (no session slot or port): no audio
    std::atomic<uint64_t> media_orphans{0};    // sessions no call owned, deleted after an attach
    std::array<std::atomic<uint64_t>, 128> ended_by_cause{};  // the cause the caller got (Q.850)
    // Toll fraud: calls to a restricted destination class, allowed, and
    // refused (cause 21) by reason.
    std::atomic<uint64_t> toll_allowed{0};
    std::atomic<uint64_t> toll_refused_not_allowed{0};  // neither route nor source allowance lists the class
    std::atomic<uint64_t> toll_refused_concurrent{0};   // the source's max_concurrent reached
    std::atomic<uint64_t> toll_refused_hourly{0};       // the source's max_per_hour reached
    std::atomic<uint64_t> group_hunts{0};               // a span of a group refused; the group's next span was tried
};

class CallManager : public isdn::PriCallHandler, public sip::SipCallHandler {
public:
    // The PriLink of an ISDN span by name (nullptr: none).
    using FindLink = std::function<isdn::PriLink*(const std::string& span)>;
    static constexpr std::size_t history_size = 200;

    // `sessions` (may be null: signalling only) joins the two B-channels of
    // a call once the far end answers, or earlier when it offers in-band
    // tones or announcements (progress indicator #1/#8).
    // `cdr` (may be null): one JSON line per ended call.
    CallManager(const config::Config& cfg, FindLink find_link, SessionManager* sessions = nullptr,
                CdrWriter* cdr = nullptr);

    // The SIP agent calls to and from trunks use (made after the model: it
    // needs the model as its handler).
    void set_sip(sip::SipAgent* agent) { _sip = agent; }

    // Calls up now (ascending id) and the last history_size that ended.
    std::vector<CallStatus> calls() const;
    std::vector<CallStatus> history() const;
    // Clears a call on both legs with cause 16; false for an unknown id.
    bool drop(uint64_t id);
    // The config's routes, span groups, toll-fraud tables or SIP trunks
    // were replaced (trunkctl reload): calls up keep the route they took;
    // new calls use the new tables.
    void reconfigured();
    // After every attach: RTP sessions on the ISDN spans' channels that no
    // call of ours owns (left by a control that died, whose calls died
    // with it) are deleted, or they would play into channels for ever.
    // Returns how many.
    std::size_t remove_orphan_media();
    // CDRs wait (at most 500 ms) for their sessions' final media figures,
    // which the worker publishes on deletion: `defer(ms, fn)` runs fn on
    // the loop later (without one, CDRs are written at once with the last
    // published figures). flush_cdrs(true) writes every waiting one now
    // (at shutdown).
    void set_defer(std::function<void(unsigned, std::function<void()>)> defer) { _defer = std::move(defer); }
    void flush_cdrs(bool force);
    const CallCounters& counters() const { return _c; }
    const CdrWriter* cdr() const { return _cdr; }  // null without [cdr]

    // isdn::PriCallHandler
    void call_incoming(isdn::PriLink& link, uint32_t call, const isdn::PriCallInfo& info) override;
    void call_digits(isdn::PriLink& link, uint32_t call, const std::string& called, bool complete) override;
    void call_digit_timeout(isdn::PriLink& link, uint32_t call) override;
    void call_progress(isdn::PriLink& link, uint32_t call, isdn::PriCallProgress what, bool inband) override;
    void call_answered(isdn::PriLink& link, uint32_t call) override;
    void call_cleared(isdn::PriLink& link, uint32_t call, int cause) override;

    // sip::SipCallHandler
    void sip_incoming(sip::SipAgent& agent, uint32_t call, const sip::SipCallInfo& info) override;
    void sip_progress(sip::SipAgent& agent, uint32_t call, int status, const sip::RemoteMedia* early) override;
    void sip_answered(sip::SipAgent& agent, uint32_t call, const sip::RemoteMedia& remote) override;
    void sip_cleared(sip::SipAgent& agent, uint32_t call, int q850) override;
    void sip_media_changed(sip::SipAgent& agent, uint32_t call, const sip::RemoteMedia& remote) override;

private:
    // A leg: a PRI call on a link, or a SIP call of the agent.
    struct Leg {
        isdn::PriLink* link = nullptr;
        sip::SipAgent* sip = nullptr;
        uint32_t call = 0;
        bool up() const { return link != nullptr || sip != nullptr; }
        const void* owner() const { return link != nullptr ? static_cast<const void*>(link) : sip; }
    };
    struct Call {
        CallStatus st;
        isdn::PriCallInfo info;  // as received (numbers, presentation)
        Leg in;
        Leg out;
        // The route as it was when the call took it (a copy: a reload may
        // replace the table under the call).
        std::optional<config::Route> route;
        DestinationHunt hunt;  // where it is in its route's destinations
        TollVerdict toll;             // the destination's toll-fraud class and verdict
        int cause_out = 0;            // the cause the outgoing side gave (0: none / not cleared there)
        std::vector<std::string> tried;  // destinations tried, in order, with the cause each gave
        bool caller_alerted = false;  // ALERTING went to the caller (once only: Q.931 state 7)
        int media_out_channel = 0;    // the outgoing channel the media joined
        // SIP: the peer's RTP (its offer or answer) and ours (the session on
        // the PRI leg's B-channel).
        sip::RemoteMedia sip_remote;
        sip::LocalMedia sip_local;
        int sip_payload_type = -1;    // the G.711 codec agreed with the peer
    };
    using LegKey = std::pair<const void*, uint32_t>;

    Call* find(const void* owner, uint32_t call, bool* incoming);
    Call* find(const isdn::PriLink& link, uint32_t call, bool* incoming) { return find(static_cast<const void*>(&link), call, incoming); }
    // What the model asks of either kind of leg (causes are Q.850).
    void leg_proceeding(Call& c, Leg& l);
    void leg_alerting(Call& c, Leg& l, bool inband);
    void leg_progress(Call& c, Leg& l);
    void leg_answer(Call& c, Leg& l);
    void leg_hangup(Leg& l, int cause);
    bool is_sip_call(const Call& c) const { return c.in.sip != nullptr || c.out.sip != nullptr; }
    // SIP <-> PRI media: the session on the PRI leg's channel (created once,
    // its remote set from the peer's SDP as it becomes known).
    bool sip_media(Call& c);
    // The telephone-event PT the call's session takes from the peer's SDP
    // (0 when the peer named none, or [media] telephone_event_pt is 0).
    uint8_t telephone_event_of(const sip::RemoteMedia& m) const;
    // False when the peer's SRTP key could not be installed (the session
    // would take nothing): the caller ends the call (drop_for_media).
    [[nodiscard]] bool update_sip_remote(Call& c, const sip::RemoteMedia& remote);
    void drop_for_media(Call& c);
    void place_sip(Call& c, const std::string& trunk, int last_cause);
    void leg_cleared(const void* owner, uint32_t call, int cause);
    void route(Call& c, bool after_t302);
    bool moves_on(const Call& c, int cause) const;
    void count_move(const Call& c);
    void try_next_destination(Call& c, int last_cause);
    void end(Call& c, int cause, const char* by);
    CdrRecord cdr_record(const Call& c) const;
    // A CDR waiting for its sessions' final media figures (flush_cdrs).
    struct PendingCdr {
        CdrRecord record;
        struct Leg {
            std::optional<CdrMedia> CdrRecord::*media;  // media_in or media_out
            uint32_t slot;
            uint64_t generation;
            bool resolved;
        };
        std::vector<Leg> legs;
        int64_t deadline_ms = 0;
    };
    static constexpr int64_t cdr_final_wait_ms = 500;
    std::deque<PendingCdr> _pending_cdrs;
    std::function<void(unsigned, std::function<void()>)> _defer;
    bool _flush_armed = false;
    void arm_flush(unsigned ms);
    void connect_media(Call& c);
    void release_media(Call& c);
    bool is_t1(const std::string& span) const;
    static int timeslot_of(const isdn::PriLink& link, uint32_t call);
    static int64_t unix_ms();

    const config::Config& _cfg;
    FindLink _find_link;
    sip::SipAgent* _sip = nullptr;
    SessionManager* _sessions;
    CdrWriter* _cdr;
    TollFraudGuard _toll;
    std::map<std::string, std::size_t> _group_next;  // round_robin: the span index to start the next hunt at
    std::map<uint64_t, Call> _calls;
    std::map<LegKey, uint64_t> _by_leg;
    std::deque<CallStatus> _history;
    uint64_t _next_id = 1;
    CallCounters _c;
};

}  // namespace trunkgw::control
