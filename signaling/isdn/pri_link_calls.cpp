// Calls on a PriLink (see pri_link.h and pri_call.h): the Q.931 call
// states the model drives, channel bookkeeping, overlap receiving, and the
// hangup ordering libpri needs (libpri-notes.md sections 3 and 6).
#include <algorithm>
#include <ctime>

#include "signaling/isdn/libpri_c.h"
#include "signaling/isdn/pri_link.h"

namespace trunkgw::isdn {

namespace {

int64_t now_ms()
{
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<int64_t>(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

// Progress indicator #1 (call is not end-to-end ISDN: further call progress
// information may be available in-band) or #8 (in-band information or an
// appropriate pattern is now available), Q.931 4.5.23.
bool inband_available(int progressmask)
{
    return (progressmask & (PRI_PROG_INBAND_AVAILABLE | PRI_PROG_CALL_NOT_E2E_ISDN)) != 0;
}

int cause_index(int cause)
{
    return cause >= 0 && cause < 128 ? cause : PRI_CAUSE_NORMAL_UNSPECIFIED;
}

}  // namespace

PartyNumber PartyNumber::from_libpri(const char* digits, int plan, int pres)
{
    PartyNumber n;
    n.digits = digits != nullptr ? digits : "";
    n.ton = static_cast<uint8_t>((plan >> 4) & 0x7);
    n.npi = static_cast<uint8_t>(plan & 0xf);
    n.presentation = static_cast<uint8_t>(pres < 0 ? 0 : (pres >> 5) & 0x3);
    n.screening = static_cast<uint8_t>(pres < 0 ? 0 : pres & 0x3);
    return n;
}

const char* pri_call_progress_name(PriCallProgress p)
{
    switch (p) {
    case PriCallProgress::setup_acknowledged: return "setup_acknowledged";
    case PriCallProgress::proceeding: return "proceeding";
    case PriCallProgress::alerting: return "alerting";
    case PriCallProgress::progress: return "progress";
    }
    return "?";
}

const char* pri_call_state_name(PriCallState s)
{
    switch (s) {
    case PriCallState::overlap: return "overlap";
    case PriCallState::received: return "received";
    case PriCallState::proceeding: return "proceeding";
    case PriCallState::alerting: return "alerting";
    case PriCallState::dialing: return "dialing";
    case PriCallState::connected: return "connected";
    case PriCallState::releasing: return "releasing";
    }
    return "?";
}

PriLink::Call* PriLink::call_by_id(uint32_t id)
{
    auto it = std::find_if(_calls.begin(), _calls.end(), [id](const Call& c) { return c.id == id; });
    return it == _calls.end() ? nullptr : &*it;
}

PriLink::Call* PriLink::call_by_q(const q931_call* q)
{
    auto it = std::find_if(_calls.begin(), _calls.end(), [q](const Call& c) { return c.q == q; });
    return it == _calls.end() ? nullptr : &*it;
}

PriLink::Call* PriLink::call_on_channel(int channel)
{
    auto it = std::find_if(_calls.begin(), _calls.end(), [channel](const Call& c) { return c.channel == channel; });
    return it == _calls.end() ? nullptr : &*it;
}

// libpri frees a call inside pri_hangup() when it answers with RELEASE
// COMPLETE (a rejected SETUP: q931.c __q931_hangup), and then sends no
// HANGUP_ACK.
bool PriLink::hangup_in_libpri(Call& c, int cause)
{
    pri_hangup(ctrl(), c.q, cause);
    if (!libpri_holds(c)) {
        forget(c);
        return true;
    }
    return false;
}

// Whether libpri still has this call: pri_get_crv() validates the pointer
// against its pool (and logs an error when it is not there, which we
// filter), and a pointer it reused for a new call has another reference.
bool PriLink::libpri_holds(const Call& c)
{
    int mode = 0;
    _probing_call = true;
    int cref = pri_get_crv(ctrl(), c.q, &mode);
    _probing_call = false;
    return cref >= 0 && (c.cref < 0 || cref == c.cref);
}

// libpri frees some clearing calls without any event: an incoming call we
// cleared with RELEASE (causes 6, 7, 26) once RELEASE COMPLETE arrives
// (q931.c: no HANGUP_ACK without a DISCONNECT before). Forget them, or
// their channels would stay busy for ever.
void PriLink::reap_released()
{
    for (std::size_t i = 0; i < _calls.size();) {
        if (_calls[i].state == PriCallState::releasing && !libpri_holds(_calls[i])) {
            ++_c.calls_reaped;
            forget(_calls[i]);
        } else {
            ++i;
        }
    }
}

// libpri handed out this pointer for a new call: whatever we held under it
// is gone.
void PriLink::drop_stale(const q931_call* q)
{
    for (std::size_t i = 0; i < _calls.size();) {
        if (_calls[i].q == q) {
            ++_c.calls_reaped;
            forget(_calls[i]);
        } else {
            ++i;
        }
    }
}

void PriLink::forget(Call& c)
{
    std::size_t i = static_cast<std::size_t>(&c - _calls.data());
    _calls.erase(_calls.begin() + static_cast<std::ptrdiff_t>(i));
}

// Counts the call's end once and tells the model unless it asked for it.
void PriLink::call_ended(Call& c, int cause, bool notify)
{
    if (c.model_knows_end) {
        return;
    }
    c.model_knows_end = true;
    ++(c.outgoing ? _c.cleared_out : _c.cleared_in)[static_cast<std::size_t>(cause_index(cause))];
    if (notify && _handler != nullptr) {
        _handler->call_cleared(*this, c.id, cause);
    }
}

void PriLink::incoming_setup(pri_event* e, int channel, std::size_t dchannel)
{
    const pri_event_ring& r = e->ring;
    drop_stale(r.call);
    Call c{_next_call_id++, r.call, false, channel, PriCallState::received, r.callednum};
    int mode = 0;
    c.cref = pri_get_crv(ctrl(), r.call, &mode);
    c.dchannel = dchannel;
    _calls.push_back(c);
    ++_c.calls_in;
    PriCallInfo info;
    info.called = PartyNumber::from_libpri(r.callednum, r.calledplan, -1);
    info.calling = PartyNumber::from_libpri(r.callingnum, r.callingplan, r.callingpres);
    info.calling_name = r.callingname;
    if (r.redirectingnum[0] != '\0') {
        info.redirecting = PartyNumber::from_libpri(r.redirectingnum, r.callingplanrdnis, -1);
        info.redirecting_reason = r.redirectingreason;
    }
    info.sending_complete = r.complete != 0;
    info.channel = channel;
    info.exclusive = r.flexible == 0;
    _handler->call_incoming(*this, c.id, info);
}

// The far end may name another channel in its first answer to our SETUP
// (Q.931 5.1.2: the network's choice when ours was preferred). Follow it
// when it is free here; otherwise clear with cause 6, channel unacceptable
// (libpri-notes.md section 6: not 44).
void PriLink::follow_channel(Call& c, int channel_field, std::size_t dchannel)
{
    int ch = channel_from_libpri(channel_field, dchannel);
    if ((ch & 0xff) == 0 || ch == c.channel) {
        return;
    }
    if (is_bearer(ch) && channel_free(ch)) {
        c.channel = ch;
        ++_c.channel_moves;
        return;
    }
    uint32_t id = c.id;
    c.state = PriCallState::releasing;
    call_ended(c, PRI_CAUSE_CHANNEL_UNACCEPTABLE, true);
    if (Call* again = call_by_id(id)) {
        hangup_in_libpri(*again, PRI_CAUSE_CHANNEL_UNACCEPTABLE);
    }
}

bool PriLink::handle_call_event(pri_event* e, std::size_t dchannel)
{
    // libpri moves a call to the D-channel a message for it came on
    // (q931.c q931_getcall): so do we.
    auto heard = [dchannel](Call* c) {
        if (c != nullptr) {
            c->dchannel = dchannel;
        }
        return c;
    };
    switch (e->e) {
    case PRI_EVENT_INFO_RECEIVED: {
        Call* c = heard(call_by_q(e->ring.call));
        if (c == nullptr || c->state != PriCallState::overlap) {
            return false;
        }
        // libpri gives only the new digits (libpri-notes.md section 2).
        c->called += e->ring.callednum;
        c->t302_deadline_ms = e->ring.complete != 0 ? 0 : now_ms() + _cfg.overlap_timeout_ms;
        _handler->call_digits(*this, c->id, c->called, e->ring.complete != 0);
        return true;
    }
    case PRI_EVENT_SETUP_ACK:
    case PRI_EVENT_PROCEEDING:
    case PRI_EVENT_RINGING:
    case PRI_EVENT_PROGRESS: {
        // Each event has its own view of the union (setup_ack's fields sit
        // elsewhere than proceeding's).
        q931_call* q = e->e == PRI_EVENT_SETUP_ACK ? e->setup_ack.call
                       : e->e == PRI_EVENT_RINGING ? e->ringing.call
                                                   : e->proceeding.call;
        Call* c = heard(call_by_q(q));
        if (c == nullptr || !c->outgoing || c->state == PriCallState::releasing) {
            return false;
        }
        int channel = e->e == PRI_EVENT_SETUP_ACK ? e->setup_ack.channel
                      : e->e == PRI_EVENT_RINGING ? e->ringing.channel
                                                  : e->proceeding.channel;
        int mask = e->e == PRI_EVENT_SETUP_ACK ? e->setup_ack.progressmask
                   : e->e == PRI_EVENT_RINGING ? e->ringing.progressmask
                                               : e->proceeding.progressmask;
        uint32_t id = c->id;
        follow_channel(*c, channel, dchannel);
        c = call_by_id(id);
        if (c == nullptr || c->state == PriCallState::releasing) {
            return true;
        }
        PriCallProgress what = PriCallProgress::progress;
        if (e->e == PRI_EVENT_SETUP_ACK) {
            what = PriCallProgress::setup_acknowledged;
        } else if (e->e == PRI_EVENT_PROCEEDING) {
            what = PriCallProgress::proceeding;
            c->state = PriCallState::proceeding;
        } else if (e->e == PRI_EVENT_RINGING) {
            what = PriCallProgress::alerting;
            c->state = PriCallState::alerting;
        }
        if (_handler != nullptr) {
            _handler->call_progress(*this, c->id, what, inband_available(mask));
        }
        return true;
    }
    case PRI_EVENT_ANSWER: {
        Call* c = heard(call_by_q(e->answer.call));
        if (c == nullptr || !c->outgoing || c->state == PriCallState::releasing) {
            return false;
        }
        uint32_t id = c->id;
        follow_channel(*c, e->answer.channel, dchannel);
        c = call_by_id(id);
        if (c == nullptr || c->state == PriCallState::releasing) {
            return true;
        }
        c->state = PriCallState::connected;
        ++_c.calls_answered_out;
        if (_handler != nullptr) {
            _handler->call_answered(*this, c->id);
        }
        return true;
    }
    case PRI_EVENT_HANGUP_REQ: {
        // DISCONNECT from the far end: the call is over for the model; we
        // release at once (RELEASE), the channel stays busy until RELEASE
        // COMPLETE (HANGUP_ACK).
        Call* c = heard(call_by_q(e->hangup.call));
        if (c == nullptr) {
            pri_hangup(d_pri(dchannel), e->hangup.call, e->hangup.cause);
            return false;
        }
        c->state = PriCallState::releasing;
        c->t302_deadline_ms = 0;
        uint32_t id = c->id;
        call_ended(*c, e->hangup.cause, true);
        // The model may have touched the call list: find it again.
        if (Call* again = call_by_id(id)) {
            hangup_in_libpri(*again, e->hangup.cause);
        }
        return true;
    }
    case PRI_EVENT_HANGUP: {
        // RELEASE / RELEASE COMPLETE, or libpri's own clearing (T303, the
        // link lost): finish it so that libpri frees the call, then forget.
        Call* c = heard(call_by_q(e->hangup.call));
        pri_hangup(d_pri(dchannel), e->hangup.call, e->hangup.cause);
        if (c == nullptr) {
            return false;
        }
        uint32_t id = c->id;
        call_ended(*c, e->hangup.cause, true);
        if (Call* again = call_by_id(id)) {
            forget(*again);
        }
        return true;
    }
    case PRI_EVENT_HANGUP_ACK: {
        // Our clearing completed; libpri has freed the call already: never
        // touch its pointer again.
        if (Call* c = call_by_q(e->hangup.call)) {
            forget(*c);
            return true;
        }
        return false;
    }
    default:
        return false;
    }
}

int64_t PriLink::call_setup(const PriCallInfo& info)
{
    return call_setup(info, std::string());
}

int64_t PriLink::call_setup(const PriCallInfo& info, const std::string& span)
{
    if (!_up) {
        ++_c.calls_out_refused;
        return -PRI_CAUSE_NETWORK_OUT_OF_ORDER;
    }
    int iface = -1;
    if (_cfg.nfas && !span.empty()) {
        for (const PriInterface& i : _cfg.interfaces) {
            if (i.span == span) {
                iface = i.id;
            }
        }
        if (iface < 0) {
            ++_c.calls_out_refused;
            return -PRI_CAUSE_IDENTIFIED_CHANNEL_NOTEXIST;
        }
    }
    int ch = info.channel;
    if (ch != 0 && iface >= 0 && (ch & 0xff00) == 0) {
        ch |= iface << 8;  // a timeslot of that span
    }
    if (ch != 0) {
        if (!is_bearer(ch)) {
            ++_c.calls_out_refused;
            return -PRI_CAUSE_IDENTIFIED_CHANNEL_NOTEXIST;
        }
        if (!channel_free(ch)) {
            if (info.exclusive) {
                ++_c.calls_out_refused;
                return -PRI_CAUSE_REQUESTED_CHAN_UNAVAIL;
            }
            ch = hunt(iface);
        }
    } else {
        ch = hunt(iface);
    }
    if (ch == 0) {
        ++_c.calls_out_refused;
        return -PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;
    }
    q931_call* q = pri_new_call(ctrl());
    pri_sr* sr = pri_sr_new();
    if (q == nullptr || sr == nullptr) {
        if (sr != nullptr) {
            pri_sr_free(sr);
        }
        if (q != nullptr) {
            pri_destroycall(ctrl(), q);
        }
        ++_c.calls_out_refused;
        return -PRI_CAUSE_RESOURCE_UNAVAIL_UNSPECIFIED;
    }
    pri_sr_set_channel(sr, channel_to_libpri(ch), info.exclusive ? 1 : 0, 1);
    // libpri defaults to u-law when the layer 1 is not set
    // (libpri-notes.md section 3): always say which.
    pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH, _cfg.e1 ? PRI_LAYER_1_ALAW : PRI_LAYER_1_ULAW);
    std::string called = info.called.digits;
    std::string calling = info.calling.digits;
    std::string name = info.calling_name;
    std::string redirecting = info.redirecting.digits;
    pri_sr_set_called(sr, called.data(), info.called.plan(), info.sending_complete ? 1 : 0);
    if (!calling.empty() || !name.empty()) {
        pri_sr_set_caller(sr, calling.data(), name.empty() ? nullptr : name.data(), info.calling.plan(),
                          info.calling.pres());
    }
    if (!redirecting.empty()) {
        pri_sr_set_redirecting(sr, redirecting.data(), info.redirecting.plan(), info.redirecting.pres(),
                               info.redirecting_reason < 0 ? PRI_REDIR_UNKNOWN : info.redirecting_reason);
    }
    int rc = pri_setup(ctrl(), q, sr);
    pri_sr_free(sr);
    if (rc != 0) {
        pri_destroycall(ctrl(), q);
        ++_c.calls_out_refused;
        return -PRI_CAUSE_RESOURCE_UNAVAIL_UNSPECIFIED;
    }
    drop_stale(q);
    Call c{_next_call_id++, q, true, ch, PriCallState::dialing, info.called.digits};
    int mode = 0;
    c.cref = pri_get_crv(ctrl(), q, &mode);
    c.dchannel = static_cast<std::size_t>(_active);
    _calls.push_back(c);
    ++_c.calls_out;
    return c.id;
}

int PriLink::call_proceeding(uint32_t call, bool inband)
{
    Call* c = call_by_id(call);
    if (c == nullptr || c->outgoing || c->state == PriCallState::releasing) {
        return -1;
    }
    c->t302_deadline_ms = 0;
    // The chosen channel goes into our first answer (libpri-notes.md
    // section 3): it matters for "any" and "preferred" SETUPs.
    if (pri_proceeding(ctrl(), c->q, channel_to_libpri(c->channel), inband ? 1 : 0) != 0) {
        return -1;
    }
    c->state = PriCallState::proceeding;
    return 0;
}

int PriLink::call_need_more_info(uint32_t call)
{
    Call* c = call_by_id(call);
    if (c == nullptr || c->outgoing || c->state != PriCallState::received) {
        return -1;
    }
    if (pri_need_more_info(ctrl(), c->q, channel_to_libpri(c->channel), 1) != 0) {
        return -1;
    }
    c->state = PriCallState::overlap;
    c->t302_deadline_ms = now_ms() + _cfg.overlap_timeout_ms;
    return 0;
}

int PriLink::call_alerting(uint32_t call, bool inband)
{
    Call* c = call_by_id(call);
    if (c == nullptr || c->outgoing || c->state == PriCallState::releasing) {
        return -1;
    }
    c->t302_deadline_ms = 0;
    if (pri_acknowledge(ctrl(), c->q, channel_to_libpri(c->channel), inband ? 1 : 0) != 0) {
        return -1;
    }
    c->state = PriCallState::alerting;
    return 0;
}

int PriLink::call_progress(uint32_t call)
{
    Call* c = call_by_id(call);
    if (c == nullptr || c->outgoing || c->state == PriCallState::releasing) {
        return -1;
    }
    return pri_progress(ctrl(), c->q, channel_to_libpri(c->channel), 1) == 0 ? 0 : -1;
}

int PriLink::call_answer(uint32_t call)
{
    Call* c = call_by_id(call);
    if (c == nullptr || c->outgoing || c->state == PriCallState::releasing) {
        return -1;
    }
    c->t302_deadline_ms = 0;
    if (pri_answer(ctrl(), c->q, channel_to_libpri(c->channel), 1) != 0) {
        return -1;
    }
    c->state = PriCallState::connected;
    ++_c.calls_answered_in;
    return 0;
}

int PriLink::call_information(uint32_t call, const std::string& digits)
{
    Call* c = call_by_id(call);
    if (c == nullptr || !c->outgoing || c->state == PriCallState::releasing) {
        return -1;
    }
    for (char d : digits) {
        if (pri_information(ctrl(), c->q, d) != 0) {
            return -1;
        }
        c->called += d;
    }
    return 0;
}

int PriLink::call_hangup(uint32_t call, int cause)
{
    Call* c = call_by_id(call);
    if (c == nullptr || c->state == PriCallState::releasing) {
        return -1;
    }
    // libpri rejects an unanswered SETUP with RELEASE COMPLETE only for
    // causes 1, 34, 44, 81, 82 and 88 (5.3.2 a); for any other it would send nothing
    // at all (its DISCONNECT needs a call it has answered: q931.c
    // q931_disconnect). So such a call first gets CALL PROCEEDING and is
    // then cleared with DISCONNECT and the cause (Q.931 5.3.2).
    const bool release_complete = cause == PRI_CAUSE_UNALLOCATED || cause == PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION ||
                                  cause == PRI_CAUSE_REQUESTED_CHAN_UNAVAIL || cause == PRI_CAUSE_INVALID_CALL_REFERENCE ||
                                  cause == PRI_CAUSE_IDENTIFIED_CHANNEL_NOTEXIST ||
                                  cause == PRI_CAUSE_INCOMPATIBLE_DESTINATION;
    if (!call_reachable(*c)) {
        clear_by_restart(*c, cause);
        return 0;
    }
    if (!c->outgoing && c->state == PriCallState::received && !release_complete) {
        pri_proceeding(ctrl(), c->q, channel_to_libpri(c->channel), 0);
    }
    c->state = PriCallState::releasing;
    c->t302_deadline_ms = 0;
    call_ended(*c, cause, false);
    hangup_in_libpri(*c, cause);
    return 0;
}

int PriLink::call_channel(uint32_t call) const
{
    auto it = std::find_if(_calls.begin(), _calls.end(), [call](const Call& c) { return c.id == call; });
    return it == _calls.end() ? 0 : it->channel;
}

std::vector<PriCallStatus> PriLink::calls() const
{
    std::vector<PriCallStatus> v;
    v.reserve(_calls.size());
    for (const Call& c : _calls) {
        v.push_back({c.id, c.outgoing, c.channel, c.state, c.called});
    }
    return v;
}

void PriLink::run_call_timers(int64_t now)
{
    for (std::size_t i = 0; i < _calls.size(); ++i) {
        Call& c = _calls[i];
        if (c.t302_deadline_ms != 0 && now >= c.t302_deadline_ms) {
            c.t302_deadline_ms = 0;
            ++_c.t302_expiries;
            if (_handler != nullptr) {
                _handler->call_digit_timeout(*this, c.id);
            }
            return;  // the model may have changed the list; the next pass does the rest
        }
    }
}

int64_t PriLink::ms_to_call_timer(int64_t now) const
{
    int64_t best = -1;
    for (const Call& c : _calls) {
        if (c.t302_deadline_ms != 0) {
            int64_t ms = std::max<int64_t>(0, c.t302_deadline_ms - now);
            best = best < 0 ? ms : std::min(best, ms);
        }
    }
    return best;
}

}  // namespace trunkgw::isdn
