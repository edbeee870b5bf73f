// The call model; see call_manager.h.
#include "control/calls/call_manager.h"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "control/calls/call_routing.h"
#include "control/srtp_keys.h"
#include "signaling/isdn/libpri_c.h"

namespace trunkgw::control {

namespace {

// Q.850 causes the model itself gives.
constexpr int cause_unallocated = 1;          // no route for the number
constexpr int cause_normal = 16;              // operator drop
constexpr int cause_call_rejected = 21;       // toll-fraud control refused the destination
constexpr int cause_invalid_number = 28;      // Q.931 5.2.4.3: T302 expired, number incomplete
constexpr int cause_network_out_of_order = 38;  // a destination span without ISDN running
constexpr int cause_resource_unavailable = 47;  // no RTP session for a SIP call
constexpr int cause_incompatible_destination = 88;  // SIP to SIP: no B-channel to carry it

}  // namespace

CallManager::CallManager(const config::Config& cfg, FindLink find_link, SessionManager* sessions, CdrWriter* cdr)
    : _cfg(cfg), _find_link(std::move(find_link)), _sessions(sessions), _cdr(cdr), _toll(cfg.toll_fraud)
{
}

void CallManager::reconfigured()
{
    _toll.reconfigure(_cfg.toll_fraud);
    _group_next.clear();
}

// Whether a refusal with `cause` moves the call to its next destination:
// the route's failover causes; and inside a span group, a span without a
// free channel or link always hands over to the group's next span
// (hunting, as a switch hunts a trunk group).
// Counts a move to the next destination: a hunt inside a span group, or
// a failover to the route's next destination.
void CallManager::count_move(const Call& c)
{
    ++(more_in_group(_cfg, *c.route, c.hunt) ? _c.group_hunts : _c.failovers);
}

bool CallManager::moves_on(const Call& c, int cause) const
{
    if (!has_next_destination(_cfg, *c.route, c.hunt)) {
        return false;  // the last destination
    }
    if (more_in_group(_cfg, *c.route, c.hunt)) {
        static constexpr int hunt_causes[] = {34, 38, 41, 42, 44, 47};
        if (std::find(std::begin(hunt_causes), std::end(hunt_causes), cause) != std::end(hunt_causes)) {
            return true;
        }
    }
    return fails_over(*c.route, cause);
}

// The timeslot a leg's call holds now on its span (an NFAS link numbers
// channels across its spans).
int CallManager::timeslot_of(const isdn::PriLink& link, uint32_t call)
{
    return link.locate(link.call_channel(call)).timeslot;
}

bool CallManager::is_t1(const std::string& span) const
{
    const config::Span* s = _cfg.span(span);
    return s != nullptr && s->type == config::SpanType::t1;
}

void CallManager::connect_media(Call& c)
{
    // PRI to PRI only: a SIP call's media is sip_media().
    if (_sessions == nullptr || c.in.link == nullptr || c.out.link == nullptr) {
        return;
    }
    if (c.st.media_in != 0) {
        if (c.media_out_channel == c.st.out.channel) {
            return;
        }
        // The far end moved the outgoing leg to another channel after the
        // media joined (early media, then ALERTING/CONNECT elsewhere).
        release_media(c);
    }
    // The codec between the two sessions: u-law when both lines are T1
    // (nothing to convert), else A-law (an E1 side converts nothing, a T1
    // side converts in its session).
    const uint8_t pt = is_t1(c.st.in.span) && is_t1(c.st.out.span) ? 0 : 8;
    SessionRequest a;
    a.span = c.st.in.span;
    a.timeslot = static_cast<uint32_t>(c.st.in.channel);
    a.payload_type = pt;
    SessionRequest b;
    b.span = c.st.out.span;
    b.timeslot = static_cast<uint32_t>(c.st.out.channel);
    b.payload_type = pt;
    try {
        SessionHandle ha = _sessions->create(a);
        c.st.media_in = ha.slot + 1;
        b.remote_ipv4 = ha.local_ipv4;
        b.remote_port = ha.local_port;
        SessionHandle hb = _sessions->create(b);
        c.st.media_out = hb.slot + 1;
        _sessions->modify(ha.slot, hb.local_ipv4, hb.local_port, true);
        c.media_out_channel = c.st.out.channel;
        ++_c.media_connected;
    } catch (const SessionError& e) {
        ++_c.media_failed;
        spdlog::warn("call {}: no media between {}/{} and {}/{}: {}", c.st.id, c.st.in.span, c.st.in.channel,
                     c.st.out.span, c.st.out.channel, e.what());
        release_media(c);
    }
}

void CallManager::release_media(Call& c)
{
    for (uint32_t* id : {&c.st.media_in, &c.st.media_out}) {
        if (*id != 0 && _sessions != nullptr) {
            try {
                _sessions->remove(*id - 1, false);
            } catch (const SessionError& e) {
                spdlog::warn("call {}: session {}: {}", c.st.id, *id, e.what());
            }
        }
        *id = 0;
    }
}

int64_t CallManager::unix_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

CallManager::Call* CallManager::find(const void* owner, uint32_t call, bool* incoming)
{
    auto it = _by_leg.find({owner, call});
    if (it == _by_leg.end()) {
        return nullptr;
    }
    auto ct = _calls.find(it->second);
    if (ct == _calls.end()) {
        return nullptr;
    }
    *incoming = ct->second.in.owner() == owner && ct->second.in.call == call;
    return &ct->second;
}

void CallManager::call_incoming(isdn::PriLink& link, uint32_t call, const isdn::PriCallInfo& info)
{
    uint64_t id = _next_id++;
    Call& c = _calls[id];
    c.st.id = id;
    c.st.state = "routing";
    const isdn::PriLink::Located at = link.locate(info.channel);
    c.st.in = {at.span != nullptr ? *at.span : link.config().name, at.timeslot};
    c.st.called = info.called.digits;
    c.st.calling = info.calling.digits;
    c.st.setup_unix_ms = unix_ms();
    c.info = info;
    c.in = {&link, nullptr, call};
    _by_leg[{&link, call}] = id;
    ++_c.offered;
    ++_c.active;
    const config::Span* span = _cfg.span(c.st.in.span);  // the span, not the NFAS group
    if (span != nullptr && span->isdn.overlap_receiving && !info.sending_complete) {
        // Q.931 5.2.4.1: SETUP ACKNOWLEDGE; digits follow in INFORMATION.
        if (link.call_need_more_info(call) == 0) {
            return;
        }
        // libpri refused: without T302 running the call would wait for ever.
        link.call_hangup(call, PRI_CAUSE_NORMAL_TEMPORARY_FAILURE);
        end(c, PRI_CAUSE_NORMAL_TEMPORARY_FAILURE, "gateway");
        return;
    }
    route(c, false);
}

void CallManager::call_digits(isdn::PriLink& link, uint32_t call, const std::string& called, bool complete)
{
    bool incoming = false;
    Call* c = find(link, call, &incoming);
    if (c == nullptr || !incoming) {
        return;
    }
    c->st.called = called;
    c->info.called.digits = called;
    // Q.931 5.2.4.2: Sending Complete ends the number; otherwise T302 does.
    if (complete) {
        route(*c, false);
    }
}

void CallManager::call_digit_timeout(isdn::PriLink& link, uint32_t call)
{
    bool incoming = false;
    Call* c = find(link, call, &incoming);
    if (c != nullptr && incoming) {
        route(*c, true);
    }
}

void CallManager::route(Call& c, bool after_t302)
{
    const config::Route* r = match_route(_cfg.routes, c.st.in.span, c.st.called, c.st.calling);
    if (r == nullptr) {
        ++_c.no_route;
        int cause = after_t302 ? cause_invalid_number : cause_unallocated;
        spdlog::info("call {}: {} -> {} from {}: no route, cause {}", c.st.id, c.st.calling, c.st.called, c.st.in.span,
                     cause);
        leg_hangup(c.in, cause);
        end(c, cause, "gateway");
        return;
    }
    ++_c.routed;
    c.route = *r;
    c.st.route = r->name;
    c.st.called_out = manipulate_called(*r, c.st.called);
    c.toll = _toll.admit(c.st.in.span, *r, c.st.called_out, unix_ms());
    if (!c.toll.allowed) {
        // Q.850 21 call rejected (SIP 403): refused before anything is
        // placed, and loudly: this is what a hijacked PBX looks like.
        (c.toll.reason == "concurrent" ? _c.toll_refused_concurrent
         : c.toll.reason == "hourly"   ? _c.toll_refused_hourly
                                       : _c.toll_refused_not_allowed)++;
        spdlog::warn("call {}: {} -> {} from {}: toll-fraud class \"{}\" refused ({}), cause 21", c.st.id,
                     c.st.calling, c.st.called_out, c.st.in.span, c.toll.cls, c.toll.reason);
        c.tried.push_back("toll_fraud:" + c.toll.cls + ":" + c.toll.reason);
        leg_hangup(c.in, cause_call_rejected);
        end(c, cause_call_rejected, "gateway");
        return;
    }
    if (!c.toll.cls.empty()) {
        ++_c.toll_allowed;
    }
    c.hunt = {};
    // Q.931 5.2.5.2: the call is being routed; the channel is confirmed.
    leg_proceeding(c, c.in);
    try_next_destination(c, cause_network_out_of_order);
}

void CallManager::try_next_destination(Call& c, int last_cause)
{
    while (auto next = next_destination(_cfg, *c.route, c.hunt, _group_next)) {
        const std::string& span = next->name;
        if (_cfg.sip_trunk(span) != nullptr) {
            if (c.in.link != nullptr && _sip != nullptr && _sessions != nullptr) {
                place_sip(c, span, last_cause);
                return;  // placed, or refused and moved on (or ended) there
            }
            // SIP to SIP has no B-channel for the media: not ours to carry.
            const int cause = _sip == nullptr ? cause_network_out_of_order : cause_incompatible_destination;
            c.tried.push_back(span + ":" + std::to_string(cause));
            last_cause = cause;
            if (!moves_on(c, cause)) {
                break;
            }
            count_move(c);
            continue;
        }
        isdn::PriLink* link = _find_link(span);
        int cause = cause_network_out_of_order;
        if (link != nullptr) {
            isdn::PriCallInfo out;
            out.called = c.info.called;
            out.called.digits = c.st.called_out;
            // Q.931 4.5.8: the route may set type of number / numbering plan.
            if (c.route->called_ton >= 0) {
                out.called.ton = static_cast<uint8_t>(c.route->called_ton);
            }
            if (c.route->called_npi >= 0) {
                out.called.npi = static_cast<uint8_t>(c.route->called_npi);
            }
            out.calling = c.info.calling;
            out.calling_name = c.info.calling_name;
            out.redirecting = c.info.redirecting;
            out.redirecting_reason = c.info.redirecting_reason;
            out.sending_complete = true;
            // A network side assigns the channel it offers (Q.931 5.1.2).
            out.exclusive = link->config().network_side;
            ++_c.attempts;
            int64_t id = link->call_setup(out, span);
            if (id > 0) {
                c.out = {link, nullptr, static_cast<uint32_t>(id)};
                _by_leg[{link, c.out.call}] = c.st.id;
                c.st.out.span = span;
                if (c.in.sip != nullptr) {
                    // The codec for the SIP side: the offer's G.711 closest
                    // to this span's law (nothing to convert then).
                    c.sip_payload_type = sip::choose_g711(c.sip_remote, is_t1(span) ? 0 : 8);
                }
                c.st.out.channel = timeslot_of(*link, c.out.call);
                c.st.state = "dialing";
                return;
            }
            cause = static_cast<int>(-id);
        }
        c.tried.push_back(span + ":" + std::to_string(cause));
        last_cause = cause;
        // Our own refusal (no free B-channel, the link down): debug, as a
        // hunt over a hundred busy spans would write a hundred lines per
        // call at the worst moment; the call's end line and its CDR
        // ("tried") say where it went.
        spdlog::debug("call {}: {} refused it with cause {}", c.st.id, span, cause);
        if (!moves_on(c, cause)) {
            break;
        }
        count_move(c);
    }
    c.cause_out = last_cause;  // the last destination's refusal
    const int to_caller = cause_across_legs(last_cause);
    leg_hangup(c.in, to_caller);
    end(c, to_caller, "callee");
}

void CallManager::place_sip(Call& c, const std::string& trunk, int last_cause)
{
    // The media first: our SDP offer names the session's address and port.
    const uint8_t pt = is_t1(c.st.in.span) ? 0 : 8;
    int cause = cause_resource_unavailable;
    try {
        SessionRequest r;
        r.span = c.st.in.span;
        r.timeslot = static_cast<uint32_t>(c.st.in.channel);
        r.payload_type = pt;
        // Our offer names telephone-event with this PT: the peer sends
        // its DTMF events with it (RFC 3264 5.1), played on the B-channel.
        r.telephone_event_pt = _cfg.media.telephone_event_pt;
        // A trunk with srtp = "mandatory": our offer carries our key (RFC
        // 4568), the answer brings the peer's (update_sip_remote).
        std::optional<SdesKeys> sdes;
        if (_sip->offers_srtp(trunk)) {
            sdes = sdes_offer();
            r.srtp = sdes->keys;
        }
        SessionHandle h = _sessions->create(r);
        c.st.media_in = h.slot + 1;
        c.sip_local = {h.local_ipv4, h.local_port, pt, _cfg.media.ptime_ms, _cfg.media.telephone_event_pt};
        if (sdes) {
            c.sip_local.sdes = sdes->line;
        }
        c.sip_payload_type = pt;
        sip::SipCallInfo out;
        out.called = c.st.called_out;
        out.calling = c.info.calling.digits;
        out.calling_name = c.info.calling_name;
        out.privacy = c.info.calling.presentation == 1;  // Q.931 4.5.10: presentation restricted
        // Q.952 redirecting number -> Diversion / History-Info (RFC 6044).
        out.redirecting.number = c.info.redirecting.digits;
        out.redirecting.reason = c.info.redirecting_reason < 0 ? 0 : c.info.redirecting_reason;
        ++_c.attempts;
        int64_t id = _sip->call_setup(trunk, out, c.sip_local);
        if (id > 0) {
            c.out = {nullptr, _sip, static_cast<uint32_t>(id)};
            _by_leg[{_sip, c.out.call}] = c.st.id;
            c.st.out = {trunk, 0, true};
            c.st.state = "dialing";
            ++_c.media_connected;
            return;
        }
        cause = static_cast<int>(-id);
    } catch (const std::exception& e) {  // SessionError; getrandom for our SRTP key
        ++_c.media_failed;
        spdlog::warn("call {}: no RTP session on {}/{} for SIP trunk {}: {}", c.st.id, c.st.in.span, c.st.in.channel,
                     trunk, e.what());
    }
    release_media(c);
    c.tried.push_back(trunk + ":" + std::to_string(cause));
    spdlog::info("call {}: {} refused it with cause {}", c.st.id, trunk, cause);
    if (moves_on(c, cause)) {
        count_move(c);
        try_next_destination(c, cause);
        return;
    }
    (void)last_cause;
    const int to_caller = cause_across_legs(cause);
    leg_hangup(c.in, to_caller);
    end(c, to_caller, "callee");
}

void CallManager::call_progress(isdn::PriLink& link, uint32_t call, isdn::PriCallProgress what, bool inband)
{
    bool incoming = false;
    Call* c = find(link, call, &incoming);
    if (c == nullptr || incoming) {
        return;
    }
    // The outgoing leg moved (the far end may have changed its channel).
    c->st.out.channel = timeslot_of(link, call);
    if (inband && what != isdn::PriCallProgress::setup_acknowledged) {
        // In-band tones or announcements from the far end (PI #1/#8): the
        // caller hears them before the answer (Q.931 5.1.7; a SIP caller
        // by early media, leg_alerting / leg_progress).
        connect_media(*c);
    }
    if (what == isdn::PriCallProgress::alerting) {
        c->st.state = "alerting";
        if (!c->caller_alerted) {
            c->caller_alerted = true;
            leg_alerting(*c, c->in, inband);
        } else if (inband) {
            // A second destination (after a failover) alerts: the caller
            // is in the call-received state already; its tones come
            // in-band (Q.931 5.1.7 PROGRESS).
            leg_progress(*c, c->in);
        }
    } else if (what == isdn::PriCallProgress::progress && inband) {
        leg_progress(*c, c->in);
    }
}

void CallManager::call_answered(isdn::PriLink& link, uint32_t call)
{
    bool incoming = false;
    Call* c = find(link, call, &incoming);
    if (c == nullptr || incoming) {
        return;
    }
    c->st.out.channel = timeslot_of(link, call);
    connect_media(*c);
    leg_answer(*c, c->in);
    if (_calls.find(c->st.id) == _calls.end()) {
        return;  // the SIP side could not be answered (no media): ended
    }
    c->st.state = "connected";
    c->st.answer_unix_ms = unix_ms();
    ++_c.answered;
}

void CallManager::call_cleared(isdn::PriLink& link, uint32_t call, int cause)
{
    leg_cleared(&link, call, cause);
}

void CallManager::leg_cleared(const void* owner, uint32_t call, int cause)
{
    bool incoming = false;
    Call* c = find(owner, call, &incoming);
    if (c == nullptr) {
        return;
    }
    _by_leg.erase({owner, call});
    if (incoming) {
        c->in = {};
        leg_hangup(c->out, cause_across_legs(cause));
        end(*c, cause, "caller");
        return;
    }
    const bool was_sip = c->out.sip != nullptr;
    c->out = {};
    const bool media_joined = was_sip ? false : c->st.media_in != 0;
    if (c->st.answer_unix_ms == 0 && !media_joined && c->route && moves_on(*c, cause)) {
        // Not this call's outcome: the destination's refusal is in `tried`.
        count_move(*c);
        c->tried.push_back(c->st.out.span + ":" + std::to_string(cause));
        spdlog::info("call {}: {} cleared it with cause {} before answer: next destination", c->st.id, c->st.out.span,
                     cause);
        if (was_sip) {
            release_media(*c);  // made for that trunk's offer
        }
        c->st.out = {};
        try_next_destination(*c, cause);
        return;
    }
    c->cause_out = cause;
    const int to_caller = cause_across_legs(cause);
    leg_hangup(c->in, to_caller);
    end(*c, to_caller, "callee");
}

// --- SIP legs.

void CallManager::sip_incoming(sip::SipAgent& agent, uint32_t call, const sip::SipCallInfo& info)
{
    uint64_t id = _next_id++;
    Call& c = _calls[id];
    c.st.id = id;
    c.st.state = "routing";
    c.st.in = {info.trunk, 0, true};
    c.st.called = info.called;
    c.st.calling = info.calling;
    c.st.setup_unix_ms = unix_ms();
    // The SIP caller as a Q.931 calling party number (RFC 3398 7.2.1.2):
    // unknown type, E.164 plan; Privacy: id -> presentation restricted;
    // a trusted peer's identity -> user-provided, verified and passed.
    c.info.called.digits = info.called;
    c.info.called.ton = 0;
    c.info.calling.digits = info.calling;
    c.info.calling.ton = 0;
    c.info.calling.presentation = info.privacy ? 1 : 0;
    c.info.calling.screening = 1;
    c.info.calling_name = info.calling_name;
    if (!info.redirecting.number.empty()) {
        c.info.redirecting.digits = info.redirecting.number;
        c.info.redirecting.ton = 0;
        c.info.redirecting_reason = info.redirecting.reason;
    }
    c.info.sending_complete = true;
    c.sip_remote = info.remote;
    c.in = {nullptr, &agent, call};
    _by_leg[{&agent, call}] = id;
    ++_c.offered;
    ++_c.active;
    route(c, false);
}

void CallManager::sip_progress(sip::SipAgent& agent, uint32_t call, int status, const sip::RemoteMedia* early)
{
    bool incoming = false;
    Call* c = find(&agent, call, &incoming);
    if (c == nullptr || incoming) {
        return;
    }
    if (early != nullptr && !update_sip_remote(*c, *early)) {
        early = nullptr;  // not playable: the answer's key decides (update_sip_remote again)
    }
    // 180 -> ALERTING; 183 (or 180) with SDP -> in-band information:
    // ALERTING or PROGRESS with PI #8 (Q.931 5.1.7), the audio flows now.
    const bool inband = early != nullptr;
    if (status == 180) {
        c->st.state = "alerting";
        if (!c->caller_alerted) {
            c->caller_alerted = true;
            leg_alerting(*c, c->in, inband);
            return;
        }
    }
    if (inband) {
        leg_progress(*c, c->in);
    }
}

void CallManager::sip_answered(sip::SipAgent& agent, uint32_t call, const sip::RemoteMedia& remote)
{
    bool incoming = false;
    Call* c = find(&agent, call, &incoming);
    if (c == nullptr || incoming) {
        return;
    }
    if (!update_sip_remote(*c, remote)) {
        drop_for_media(*c);
        return;
    }
    leg_answer(*c, c->in);
    c->st.state = "connected";
    c->st.answer_unix_ms = unix_ms();
    ++_c.answered;
}

void CallManager::sip_cleared(sip::SipAgent& agent, uint32_t call, int q850)
{
    leg_cleared(&agent, call, q850);
}

void CallManager::sip_media_changed(sip::SipAgent& agent, uint32_t call, const sip::RemoteMedia& remote)
{
    bool incoming = false;
    Call* c = find(&agent, call, &incoming);
    if (c == nullptr) {
        return;
    }
    // Hold (sendonly/inactive): stop sending to the peer; resume or a new
    // address: send there. Our side keeps its port (RFC 3264 8.3.1).
    if (!update_sip_remote(*c, remote)) {
        drop_for_media(*c);
        return;
    }
    spdlog::info("call {}: the SIP peer's media is now {}:{}{}{}", c->st.id, sip::ipv4_text(c->sip_remote.ipv4),
                 c->sip_remote.port, remote.inactive ? " (hold)" : "", remote.port == 0 ? " (address kept)" : "");
}

uint8_t CallManager::telephone_event_of(const sip::RemoteMedia& m) const
{
    return _cfg.media.telephone_event_pt != 0 ? static_cast<uint8_t>(m.telephone_event_pt) : 0;
}

bool CallManager::sip_media(Call& c)
{
    if (c.st.media_in != 0) {
        return true;
    }
    if (_sessions == nullptr || c.out.link == nullptr || c.sip_payload_type < 0) {
        return false;
    }
    try {
        SessionRequest r;
        r.span = c.st.out.span;
        r.timeslot = static_cast<uint32_t>(c.st.out.channel);
        r.payload_type = static_cast<uint8_t>(c.sip_payload_type);
        r.remote_ipv4 = c.sip_remote.ipv4;
        r.remote_port = c.sip_remote.port;
        r.send = !c.sip_remote.inactive;  // offered on hold (sendonly, inactive, c=0.0.0.0)
        // Our answer takes telephone-event with the offer's PT (RFC 3264
        // 6.1): the peer's DTMF events arrive with it, ours go with it.
        const uint8_t te = telephone_event_of(c.sip_remote);
        r.telephone_event_pt = te;
        // An SDES offer (the agent took it only on a trunk with srtp): our
        // answer carries our key for the line we take (RFC 4568 5.1.2).
        std::optional<SdesKeys> sdes;
        if (c.sip_remote.sdes) {
            sdes = sdes_answer(*c.sip_remote.sdes);
            r.srtp = sdes->keys;
        }
        SessionHandle h = _sessions->create(r);
        c.st.media_in = h.slot + 1;
        c.sip_local = {h.local_ipv4, h.local_port, c.sip_payload_type, _cfg.media.ptime_ms, te};
        if (sdes) {
            c.sip_local.sdes = sdes->line;
        }
        ++_c.media_connected;
        return true;
    } catch (const std::exception& e) {  // SessionError; a peer's key that does not decode; getrandom
        ++_c.media_failed;
        spdlog::warn("call {}: no RTP session on {}/{}: {}", c.st.id, c.st.out.span, c.st.out.channel, e.what());
        return false;
    }
}

void CallManager::drop_for_media(Call& c)
{
    // The SRTP key could not be installed: every packet of the peer would
    // be dropped (no_keys), so the call cannot carry audio.
    leg_hangup(c.out, cause_resource_unavailable);
    leg_hangup(c.in, cause_resource_unavailable);
    end(c, cause_resource_unavailable, "gateway");
}

bool CallManager::update_sip_remote(Call& c, const sip::RemoteMedia& remote)
{
    // An offer with no address to send to (port 0: RFC 2543's hold
    // "c=IN IP4 0.0.0.0", RFC 3264 8.4; an address parse_audio() cannot
    // use; or a stream not to be used, which parse_audio() marks inactive)
    // keeps the remote we had (and what the data plane latched onto): only
    // the direction follows it. The session is told either way, so that
    // hold stops our RTP even before a remote was known.
    sip::RemoteMedia next = remote;
    if (remote.port == 0) {
        next.ipv4 = c.sip_remote.ipv4;
        next.port = c.sip_remote.port;
    }
    c.sip_remote = next;
    if (c.st.media_in == 0 || _sessions == nullptr) {
        return true;
    }
    // The peer's SRTP key first, on its own: the answer to our offer
    // brings it; a re-INVITE may change it (RFC 4568 7.1.4). The same key
    // again changes nothing in the data plane. Without it the session
    // takes nothing, so the caller ends the call. (Our SDP carries a key
    // exactly when the session is SRTP: both are made together.)
    if (c.sip_local.sdes) {
        try {
            if (!next.sdes) {
                throw std::invalid_argument("no SRTP key in the peer's SDP");
            }
            _sessions->set_their_srtp_key(c.st.media_in - 1, api::srtp_suite_of(next.sdes->suite),
                                          srtp_master_from_base64(next.sdes->key_base64, "the peer's SRTP key"));
        } catch (const std::exception& e) {
            ++_c.media_failed;
            spdlog::warn("call {}: session {}: {}", c.st.id, c.st.media_in - 1, e.what());
            return false;
        }
    }
    try {
        // The answer to our offer, or a re-INVITE, names the PT the
        // peer takes telephone-events with, or none (then DTMF goes
        // in-band, and nothing is sent to a peer that declined them).
        _sessions->modify(c.st.media_in - 1, next.ipv4, next.port, !next.inactive, telephone_event_of(next));
    } catch (const SessionError& e) {
        spdlog::warn("call {}: session {}: {}", c.st.id, c.st.media_in - 1, e.what());
    }
    return true;
}

// --- Either kind of leg.

void CallManager::leg_proceeding(Call&, Leg& l)
{
    if (l.link != nullptr) {
        l.link->call_proceeding(l.call, false);
    }
    // SIP: 100 Trying went out when the INVITE arrived.
}

void CallManager::leg_alerting(Call& c, Leg& l, bool inband)
{
    if (l.link != nullptr) {
        l.link->call_alerting(l.call, inband);
    } else if (l.sip != nullptr) {
        // RFC 3960: 183 with SDP when the far end plays in-band tones, else
        // 180 (the caller's phone makes its own ringback).
        l.sip->call_ringing(l.call, inband && sip_media(c) ? &c.sip_local : nullptr);
    }
}

void CallManager::leg_progress(Call& c, Leg& l)
{
    if (l.link != nullptr) {
        l.link->call_progress(l.call);
    } else if (l.sip != nullptr && sip_media(c)) {
        l.sip->call_ringing(l.call, &c.sip_local);
    }
}

void CallManager::leg_answer(Call& c, Leg& l)
{
    if (l.link != nullptr) {
        l.link->call_answer(l.call);
        return;
    }
    if (l.sip == nullptr) {
        return;
    }
    if (!sip_media(c)) {
        // No RTP session: nothing could carry the audio.
        leg_hangup(c.out, cause_resource_unavailable);
        leg_hangup(c.in, cause_resource_unavailable);
        end(c, cause_resource_unavailable, "gateway");
        return;
    }
    l.sip->call_answer(l.call, c.sip_local);
}

void CallManager::leg_hangup(Leg& l, int cause)
{
    if (l.link != nullptr) {
        l.link->call_hangup(l.call, cause);
    } else if (l.sip != nullptr) {
        l.sip->call_hangup(l.call, cause);
    }
}

std::size_t CallManager::remove_orphan_media()
{
    if (_sessions == nullptr) {
        return 0;
    }
    std::vector<std::string> isdn_spans;
    for (const config::Span& s : _cfg.spans) {
        if (s.has_isdn) {
            isdn_spans.push_back(s.name);
        }
    }
    std::size_t removed = 0;
    for (uint32_t slot : _sessions->sessions_on_spans(isdn_spans)) {
        bool owned = std::any_of(_calls.begin(), _calls.end(), [slot](const auto& kv) {
            return kv.second.st.media_in == slot + 1 || kv.second.st.media_out == slot + 1;
        });
        if (owned) {
            continue;
        }
        try {
            _sessions->remove(slot, false);
            ++removed;
        } catch (const SessionError& e) {
            spdlog::warn("session {}: {}", slot, e.what());
        }
    }
    if (removed != 0) {
        _c.media_orphans += removed;
        spdlog::warn("{} RTP session(s) on ISDN channels belonged to no call (left by an earlier control): deleted",
                     removed);
    }
    return removed;
}

bool CallManager::drop(uint64_t id)
{
    auto it = _calls.find(id);
    if (it == _calls.end()) {
        return false;
    }
    Call& c = it->second;
    leg_hangup(c.in, cause_normal);
    leg_hangup(c.out, cause_normal);
    ++_c.dropped;
    end(c, cause_normal, "operator");
    return true;
}

void CallManager::end(Call& c, int cause, const char* by)
{
    c.st.cause = cause;
    c.st.cleared_by = by;
    c.st.end_unix_ms = unix_ms();
    c.st.state = "ended";
    PendingCdr pending;
    if (_cdr != nullptr) {
        pending.record = cdr_record(c);
    }
    // Media figures for the CDR: what the workers published last (within
    // a second); the final ones follow the deletion (flush_cdrs).
    if (_sessions != nullptr) {
        for (auto [slot, media] : {std::pair{c.st.media_in, &CdrRecord::media_in},
                                   std::pair{c.st.media_out, &CdrRecord::media_out}}) {
            if (slot == 0) {
                continue;
            }
            if (auto m = _sessions->media_stats(slot - 1)) {
                pending.record.*media = CdrMedia{*m, false};
                pending.legs.push_back({media, slot - 1, m->generation, false});
            }
        }
    }
    if (c.toll.counted) {
        _toll.ended(c.st.in.span);
    }
    release_media(c);
    if (c.in.up()) {
        _by_leg.erase({c.in.owner(), c.in.call});
    }
    if (c.out.up()) {
        _by_leg.erase({c.out.owner(), c.out.call});
    }
    spdlog::info("call {}: {} -> {} ({}) ended, cause {}, cleared by {}", c.st.id, c.st.calling, c.st.called,
                 c.st.route.empty() ? "no route" : c.st.route, cause, by);
    if (_cdr != nullptr) {
        if (pending.legs.empty() || !_defer) {
            _cdr->write(cdr_line(pending.record));
        } else {
            pending.deadline_ms = unix_ms() + cdr_final_wait_ms;
            _pending_cdrs.push_back(std::move(pending));
            arm_flush(2);
        }
    }
    ++_c.ended;
    ++_c.ended_by_cause[static_cast<std::size_t>(cause >= 0 && cause < 128 ? cause : 127)];
    --_c.active;
    _history.push_back(std::move(c.st));
    if (_history.size() > history_size) {
        _history.pop_front();
    }
    _calls.erase(_history.back().id);
}

// The worker publishes a session's final figures when it deletes it, a
// millisecond or so after the call ended; until then (at most
// cdr_final_wait_ms) the CDR waits, in end order. A slot reused in the
// meantime (its generation moved on) keeps the figures read at the end,
// marked final: false.
// One flush armed at a time: re-arming on every ended call would push it
// back for ever under a steady call rate.
void CallManager::arm_flush(unsigned ms)
{
    if (!_flush_armed && _defer) {
        _flush_armed = true;
        _defer(ms, [this] {
            _flush_armed = false;
            flush_cdrs(false);
        });
    }
}

void CallManager::flush_cdrs(bool force)
{
    const int64_t now = unix_ms();
    while (!_pending_cdrs.empty()) {
        PendingCdr& p = _pending_cdrs.front();
        bool all = true;
        for (auto& leg : p.legs) {
            if (leg.resolved) {
                continue;
            }
            if (auto m = _sessions->media_stats(leg.slot, leg.generation)) {
                p.record.*leg.media = CdrMedia{*m, true};
                leg.resolved = true;
            } else {
                all = false;
            }
        }
        if (!all && !force && now < p.deadline_ms) {
            break;
        }
        _cdr->write(cdr_line(p.record));
        _pending_cdrs.pop_front();
    }
    if (!_pending_cdrs.empty()) {
        arm_flush(5);
    }
}

CdrRecord CallManager::cdr_record(const Call& c) const
{
    const CallStatus& s = c.st;
    CdrRecord r;
    r.call_id = s.id;
    r.instance = _cfg.instance.name;
    r.in = s.in;
    r.out = s.out;
    r.calling = c.info.calling;
    r.called = c.info.called;
    r.called.digits = s.called;
    r.called_out = s.called_out;
    r.redirecting = c.info.redirecting;
    r.redirecting_reason = c.info.redirecting_reason;
    r.route = s.route;
    r.toll_class = c.toll.cls;
    r.setup_unix_ms = s.setup_unix_ms;
    r.answer_unix_ms = s.answer_unix_ms;
    r.end_unix_ms = s.end_unix_ms;
    r.cause_in = s.cause;
    r.cause_out = c.cause_out;
    r.cleared_by = s.cleared_by;
    r.destinations_tried = c.tried;
    return r;
}

std::vector<CallStatus> CallManager::calls() const
{
    std::vector<CallStatus> v;
    v.reserve(_calls.size());
    for (const auto& [id, c] : _calls) {
        v.push_back(c.st);
    }
    return v;
}

std::vector<CallStatus> CallManager::history() const
{
    return {_history.begin(), _history.end()};
}

}  // namespace trunkgw::control
