// Calls on a PriLink: what a call carries (numbers, bearer, channel) and
// the interface through which the call model hears about them. The model
// answers through PriLink's call_* functions; it never sees libpri.
#pragma once

#include <cstdint>
#include <string>

namespace trunkgw::isdn {

class PriLink;

// A party number (Q.931 4.5.8 called, 4.5.10 calling; redirecting as Q.952
// 8.2.1.1): digits, octet 3 (type of number, numbering plan) and, where the
// IE has it, octet 3a (presentation, screening).
struct PartyNumber {
    std::string digits;
    // Octet 3 bits 7-5: 0 unknown, 1 international, 2 national, 3 network
    // specific, 4 subscriber, 6 abbreviated.
    uint8_t ton = 0;
    // Octet 3 bits 4-1: 0 unknown, 1 ISDN/telephony (E.164), 9 private.
    uint8_t npi = 1;
    // Octet 3a bits 7-6: 0 allowed, 1 restricted, 2 not available.
    uint8_t presentation = 0;
    // Octet 3a bits 2-1: 0 user-provided not screened, 1 user-provided
    // verified and passed, 2 user-provided verified and failed, 3 network
    // provided.
    uint8_t screening = 0;

    // libpri's "plan" integer: TON in bits 6-4, NPI in bits 3-0.
    int plan() const { return (ton & 0x7) << 4 | (npi & 0xf); }
    // libpri's "pres" integer (PRI_PRES_*): restriction | screening.
    int pres() const { return (presentation & 0x3) << 5 | (screening & 0x3); }
    static PartyNumber from_libpri(const char* digits, int plan, int pres);
};

// One call as the call model sees it.
struct PriCallInfo {
    PartyNumber called;
    PartyNumber calling;
    std::string calling_name;
    PartyNumber redirecting;      // digits empty: none
    int redirecting_reason = -1;  // Q.952 reason (PRI_REDIR_*), -1: none
    bool sending_complete = false;  // Q.931 4.5.27
    // Incoming: the B-channel reserved for the call. Outgoing: the one to
    // ask for (0: hunt by the span's policy).
    int channel = 0;
    bool exclusive = false;  // outgoing: ask for `channel` exclusively
};

// Progress of a call we placed.
enum class PriCallProgress {
    setup_acknowledged,  // SETUP ACKNOWLEDGE (the far end wants more digits)
    proceeding,          // CALL PROCEEDING
    alerting,            // ALERTING
    progress,            // PROGRESS
};
const char* pri_call_progress_name(PriCallProgress p);

// Where a call is, as PriLink tracks it.
enum class PriCallState {
    overlap,      // incoming SETUP, collecting digits (SETUP ACKNOWLEDGE sent)
    received,     // incoming SETUP handed to the call model, no answer yet
    proceeding,   // CALL PROCEEDING sent (incoming) or received (outgoing)
    alerting,     // ALERTING
    dialing,      // outgoing SETUP sent, nothing back yet
    connected,    // CONNECT
    releasing,    // clearing started; the channel is busy until it completes
};
const char* pri_call_state_name(PriCallState s);

struct PriCallStatus {
    uint32_t id;
    bool outgoing;
    int channel;
    PriCallState state;
    std::string called;
};

// The call model. Each function runs on the link's thread, inside
// receive() or run_timers(); it may call the link's call_* functions.
class PriCallHandler {
public:
    virtual ~PriCallHandler() = default;
    // An incoming SETUP, its B-channel reserved (info.channel). The model
    // answers with call_proceeding / call_need_more_info / call_alerting /
    // call_answer, or clears it with call_hangup, now or later.
    virtual void call_incoming(PriLink& link, uint32_t call, const PriCallInfo& info) = 0;
    // Overlap receiving (after call_need_more_info): the called number so
    // far, and whether Sending Complete came with it.
    virtual void call_digits(PriLink& link, uint32_t call, const std::string& called, bool complete) = 0;
    // T302 expired without a complete number (Q.931 5.2.4.3).
    virtual void call_digit_timeout(PriLink& link, uint32_t call) = 0;
    // A call we placed progressed; `inband`: the far end has in-band
    // information or tones (progress indicator #1 or #8, Q.931 4.5.23).
    virtual void call_progress(PriLink& link, uint32_t call, PriCallProgress what, bool inband) = 0;
    virtual void call_answered(PriLink& link, uint32_t call) = 0;
    // The call is over from this link's side: the far end cleared it, the
    // data link was lost, or a RESTART took its channel. `cause` is Q.850.
    // Not called for clearing the model started with call_hangup.
    virtual void call_cleared(PriLink& link, uint32_t call, int cause) = 0;
};

}  // namespace trunkgw::isdn
