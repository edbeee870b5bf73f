// SIP trunks through Sofia-SIP nua; see sip_agent.h.
#include "signaling/sip/sip_agent.h"

#include "signaling/sip/sdp_guard.h"

#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/soa_tag.h>
#include <sofia-sip/su_string.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>

namespace trunkgw::sip {

namespace {

// Sofia's SOA answers with the best common codec only (SOA_RTP_SELECT_SINGLE);
// its "auxiliary" codecs ride beside it when both sides name them: RFC 4733
// telephone-event. Given with every offer and answer: a call's SOA session
// is cloned from nua's without this (soa_static's own) parameter.
constexpr const char* audio_aux = "telephone-event";

int64_t mono_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void on_nua_event(nua_event_t event, int status, char const*, nua_t*, nua_magic_t* magic, nua_handle_t* nh,
                  nua_hmagic_t*, sip_t const* sip, tagi_t tags[])
{
    static_cast<SipAgent*>(magic)->handle_event(event, status, nh, sip, tags);
}

void on_keepalive_timer(su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg)
{
    static_cast<SipAgent*>(arg)->keepalive();
}

// SDP that fits: SRTP (`srtp`: a new call on a trunk with srtp
// "mandatory", an SRTP offer on one with "optional", or a call that agreed
// SDES) takes RTP/SAVP with a key we can use; plain
// RTP/AVP only (an RTP/SAVP offer's keys would go unused, and its media
// would fail). Within a call, the line agreed (`agreed`: the line we
// offered, or the offer's we took) keeps its tag and suite (RFC 4568
// 5.1.2: an answer names the offer's tag; our re-INVITE answers are our
// last SDP, so a re-offer must keep them), and the peer's key is never
// ours (`ours`): with one key both ways, our own packets reflected back
// would pass as the peer's (RFC 4568 6.1: each direction its own). A call
// is judged by what it agreed, not by the trunk as a reload left it.
bool media_fits(bool srtp, const RemoteMedia& m, const std::optional<SdesKey>& agreed = std::nullopt,
                const std::optional<SdesKey>& ours = std::nullopt)
{
    if (!srtp) {
        return !m.savp;
    }
    if (!m.savp || !m.sdes) {
        return false;
    }
    if (ours && m.sdes->key_base64 == ours->key_base64) {
        return false;
    }
    return !agreed || (m.sdes->tag == agreed->tag && m.sdes->suite == agreed->suite);
}

std::string body_of(sip_t const* sip)
{
    if (sip == nullptr || sip->sip_payload == nullptr || sip->sip_payload->pl_data == nullptr) {
        return {};
    }
    return std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

std::string reason_of(sip_t const* sip)
{
    std::string r;
    for (sip_reason_t const* re = sip != nullptr ? sip->sip_reason : nullptr; re != nullptr; re = re->re_next) {
        if (re->re_protocol == nullptr) {
            continue;
        }
        if (!r.empty()) {
            r += ", ";
        }
        r += re->re_protocol;
        if (re->re_cause != nullptr) {
            r += std::string(";cause=") + re->re_cause;
        }
    }
    return r;
}

// Values of an extension header Sofia does not parse (Diversion,
// History-Info), in message order.
std::vector<std::string> unknown_headers(sip_t const* sip, const char* name)
{
    std::vector<std::string> out;
    for (sip_unknown_t const* u = sip != nullptr ? sip->sip_unknown : nullptr; u != nullptr; u = u->un_next) {
        if (u->un_name != nullptr && u->un_value != nullptr && su_casematch(u->un_name, name)) {
            out.emplace_back(u->un_value);
        }
    }
    return out;
}

}  // namespace

SipAgent::SipAgent(su_root_t* root, SipAgentConfig cfg, interwork::CauseMap causes, SipCallHandler* handler)
    : _cfg(std::move(cfg)),
      _causes(std::move(causes)),
      _handler(handler),
      _root(root),
      _auth_guard(_cfg.auth_max_failures, _cfg.auth_block_ms)
{
    if (!sdp_guard_active(_root)) {
        throw std::runtime_error("sip: Sofia-SIP's own SDP parsing does not pass through our guard (sdp_guard.h: "
                                 "the program must export sdp_parse); refusing to take SDP from the network");
    }
    const bool tls = !_cfg.tls_bind_url.empty();
    _nua = nua_create(_root, on_nua_event, this, NUTAG_URL(_cfg.bind_url.c_str()),
                      // RFC 3261 26.2: TLS on its own port, our certificate
                      // from agent.pem; the peers we connect to are verified
                      // against cafile.pem (clients authenticate by digest).
                      TAG_IF(tls, NUTAG_SIPS_URL(_cfg.tls_bind_url.c_str())),
                      TAG_IF(tls, TPTAG_CERTIFICATE(_cfg.tls_certificate_dir.c_str())),
                      TAG_IF(tls, TPTAG_TLS_VERIFY_POLICY(_cfg.tls_verify_peer ? TPTLS_VERIFY_OUTGOING : TPTLS_VERIFY_NONE)),
                      NTATAG_SIP_T1X64(_cfg.transaction_timeout_ms),
                      TAG_IF(_cfg.udp_buffer_bytes != 0, TPTAG_UDP_RMEM(_cfg.udp_buffer_bytes)),
                      TAG_IF(_cfg.udp_buffer_bytes != 0, TPTAG_UDP_WMEM(_cfg.udp_buffer_bytes)),
                      // Offer/answer by SOA; we answer ourselves (no auto answer, no auto alert).
                      NUTAG_MEDIA_ENABLE(1), NUTAG_AUTOANSWER(0), NUTAG_AUTOALERT(0),
                      // A 503 with Retry-After to our INVITE is a refusal the
                      // route may fail over on, not a request to wait and resend.
                      NUTAG_MAX_RETRY_AFTER(0),
                      // RFC 3262 100rel: early media and every 18x reliable
                      // when the peer supports it; RFC 4028 session timers.
                      NUTAG_EARLY_MEDIA(_cfg.reliable_provisional ? 1 : 0),
                      NUTAG_ONLY183_100REL(0),
                      TAG_IF(_cfg.reliable_provisional, SIPTAG_SUPPORTED_STR("100rel, timer")),
                      TAG_IF(!_cfg.reliable_provisional, SIPTAG_SUPPORTED_STR("timer")),
                      NUTAG_SESSION_TIMER(_cfg.session_expires_s), NUTAG_MIN_SE(_cfg.min_se_s),
                      NUTAG_SESSION_REFRESHER(nua_any_refresher),
                      SIPTAG_USER_AGENT_STR("trunkgw"), TAG_END());
    if (_nua == nullptr) {
        throw std::runtime_error("sip: cannot bind " + _cfg.bind_url + (tls ? " and " + _cfg.tls_bind_url : "") +
                                 " (address in use or not ours? TLS certificate unreadable?)");
    }
    // What we serve, and only that (NUTAG_ALLOW would add to Sofia's list,
    // which names MESSAGE, SUBSCRIBE, REFER... that we answer with 405/501).
    // PRACK: RFC 3262; UPDATE: nua answers it from our SDP (RFC 3311,
    // session refreshes of RFC 4028).
    nua_set_params(_nua, SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE"), TAG_END());
    start_trunks();
}

void SipAgent::start_trunks()
{
    bool any_timer = false;
    std::vector<RegistrationTarget> registrations;
    _challengers.clear();
    for (const auto& t : _cfg.trunks) {
        _st.trunks[t.name].registers = false;  // set again below if it (still) registers
        if (!_tokens.count(t.name)) {
            _tokens[t.name] = t.calls_per_second > 1 ? t.calls_per_second : 1;
            _tokens_at_ms[t.name] = mono_ms();
        }
        if (t.options_interval_s != 0 && !t.peers.empty()) {
            _keepalive[t.name];  // kept when it was there: its next_ms, failures
            any_timer = true;
        }
        if (t.inbound_auth) {
            _challengers[t.name] = std::make_unique<DigestChallenger>(_root, *t.inbound_auth);
        }
        if (t.register_ && t.outbound_auth && !t.peers.empty()) {
            const SipPeer& p = t.peers.front();
            const std::string host = ipv4_text(p.ipv4) + ":" + std::to_string(p.port);
            registrations.push_back({t.name, request_uri(t, ""), "sip:" + t.outbound_auth->username + "@" + host,
                                     contact_for(t.transport, t.outbound_auth->username), t.register_expires_s,
                                     *t.outbound_auth});
            _st.trunks[t.name].registers = true;
            any_timer = true;
        }
    }
    if (!_registrations || _registrations->targets() != registrations) {
        _registrations.reset();  // its handles go; nua_shutdown un-registers live ones at exit
        for (auto& [name, k] : _st.trunks) {
            k.registration = {};  // a new binding starts from nothing
        }
        if (!registrations.empty()) {
            _registrations = std::make_unique<Registrations>(_nua, std::move(registrations));
        }
    }
    any_timer = any_timer || !_challengers.empty();  // blocks end on their own: the count must follow
    if (any_timer && _keepalive_timer == nullptr) {
        su_timer_t* timer = su_timer_create(su_root_task(_root), 200);
        _keepalive_timer = timer;
        su_timer_run(timer, on_keepalive_timer, this);  // every 200 ms (su_timer_set_interval is one-shot)
    }
}

void SipAgent::reconfigure(std::vector<SipTrunkConfig> trunks, interwork::CauseMap causes)
{
    auto same_target = [](const SipTrunkConfig& a, const SipTrunkConfig& b) {
        return !a.peers.empty() && !b.peers.empty() && a.peers.front().ipv4 == b.peers.front().ipv4 &&
               a.peers.front().port == b.peers.front().port && a.options_interval_s == b.options_interval_s &&
               a.transport == b.transport;
    };
    for (auto it = _keepalive.begin(); it != _keepalive.end();) {
        const SipTrunkConfig* old = trunk(it->first);
        auto fresh = std::find_if(trunks.begin(), trunks.end(), [&](const SipTrunkConfig& t) { return t.name == it->first; });
        if (fresh == trunks.end() || old == nullptr || !same_target(*old, *fresh) || fresh->options_interval_s == 0) {
            if (it->second.nh != nullptr) {
                nua_handle_destroy(it->second.nh);
            }
            it = _keepalive.erase(it);
        } else {
            ++it;
        }
    }
    for (const SipTrunkConfig& t : trunks) {
        if (t.options_interval_s != 0 && !t.peers.empty() && !_keepalive.count(t.name)) {
            _keepalive[t.name].next_ms = mono_ms();
            _st.trunks[t.name].up = true;  // a new target: up until its keepalive says otherwise
        }
    }
    _cfg.trunks = std::move(trunks);
    _causes = std::move(causes);
    for (auto it = _st.trunks.begin(); it != _st.trunks.end();) {
        if (trunk(it->first) == nullptr && it->second.active == 0) {
            _tokens.erase(it->first);
            _tokens_at_ms.erase(it->first);
            it = _st.trunks.erase(it);
        } else {
            ++it;
        }
    }
    start_trunks();
}

void SipAgent::keepalive()
{
    const int64_t now = mono_ms();
    if (_registrations) {
        _registrations->tick(now);
    }
    _st.blocked_sources = _auth_guard.blocked_sources(now);  // blocks run out
    for (auto& [name, k] : _keepalive) {
        const SipTrunkConfig* t = trunk(name);
        // No answer within the interval (at most 5 s): a failure. Waiting
        // for the transaction's own timeout (64 x T1 = 32 s) would leave
        // calls going to a dead peer for half a minute.
        const int64_t patience = std::min<int64_t>(5000, static_cast<int64_t>(t->options_interval_s) * 1000);
        if (k.nh != nullptr && now - k.sent_ms >= patience) {
            nua_handle_destroy(k.nh);
            k.nh = nullptr;
            keepalive_result(name, k, false);
        }
        if (k.nh != nullptr || now < k.next_ms) {
            continue;  // one outstanding at a time
        }
        k.next_ms = now + static_cast<int64_t>(t->options_interval_s) * 1000;
        const std::string uri = request_uri(*t, "");
        k.nh = nua_handle(_nua, nullptr, NUTAG_URL(uri.c_str()), SIPTAG_TO_STR(("<" + uri + ">").c_str()), TAG_END());
        if (k.nh != nullptr) {
            k.sent_ms = now;
            ++_st.trunks[name].options_sent;
            nua_options(k.nh, TAG_END());
        }
    }
}

void SipAgent::keepalive_result(const std::string& name, Keepalive& k, bool alive)
{
    SipTrunkCounters& c = _st.trunks[name];
    if (alive) {
        k.failures = 0;
        ++c.options_answered;
    } else {
        ++c.options_failed;
        ++k.failures;
    }
    const bool up = alive || (c.up && k.failures < 2);
    if (up != c.up) {
        c.up = up;
        ++c.state_changes;
    }
}

void SipAgent::options_response(nua_handle_t* nh, int status)
{
    for (auto& [name, k] : _keepalive) {
        if (k.nh != nh) {
            continue;
        }
        if (status < 200) {
            return;
        }
        nua_handle_destroy(nh);
        k.nh = nullptr;
        keepalive_result(name, k, status < 500 && status != 408);
        return;
    }
}

SipAgent::~SipAgent()
{
    if (_keepalive_timer != nullptr) {
        su_timer_destroy(static_cast<su_timer_t*>(_keepalive_timer));
    }
    if (_nua == nullptr) {
        return;
    }
    nua_shutdown(_nua);
    // Bounded: an unreachable peer must not hold the process.
    const int64_t until = mono_ms() + 3000;
    while (!_shutdown_done && mono_ms() < until) {
        su_root_step(_root, 100);
    }
    _registrations.reset();  // its handles, while nua still exists
    nua_destroy(_nua);
}

bool SipAgent::has_trunk(const std::string& name) const
{
    return trunk(name) != nullptr;
}

bool SipAgent::offers_srtp(const std::string& name) const
{
    const SipTrunkConfig* t = trunk(name);
    return t != nullptr && t->srtp == "mandatory";  // ("optional" offers plain)
}

const SipTrunkConfig* SipAgent::trunk(const std::string& name) const
{
    for (const auto& t : _cfg.trunks) {
        if (t.name == name) {
            return &t;
        }
    }
    return nullptr;
}

// The peer's URI with `user` (none: the peer itself). RFC 3261 19.1.1:
// the transport parameter picks TCP or TLS; with a plain sip: URI over
// TLS (not sips:, which would demand TLS on every hop beyond the peer).
std::string SipAgent::request_uri(const SipTrunkConfig& t, const std::string& user) const
{
    const SipPeer& peer = t.peers.front();
    std::string uri = "sip:" + (user.empty() ? std::string() : user + "@") + ipv4_text(peer.ipv4) + ":" +
                      std::to_string(peer.port);
    if (t.transport != "udp") {
        uri += ";transport=" + t.transport;
    }
    return uri;
}

// Our Contact (RFC 3261 8.1.1.8, 12.1.1): a sip: URI on the transport the
// dialog or binding uses, given on every INVITE, 18x/200 and REGISTER we
// send. Left to nua it would be the sips: URI whenever TLS is on (RFC 3261
// 26.2.2: TLS on every hop, which a UDP peer cannot reach), and carry the
// user of any account we registered (leaking it to other trunks). `user`:
// only for a REGISTER binding, so that the provider's INVITEs name it.
std::string SipAgent::contact_for(const std::string& transport, const std::string& user) const
{
    const bool tls = transport == "tls" && !_cfg.tls_contact_host.empty();
    return "<sip:" + (user.empty() ? std::string() : user + "@") + (tls ? _cfg.tls_contact_host : _cfg.contact_host) +
           (transport == "udp" ? std::string() : ";transport=" + transport) + ">";
}

const SipTrunkConfig* SipAgent::trunk_of_source(uint32_t ipv4) const
{
    for (const auto& t : _cfg.trunks) {
        for (const auto& p : t.peers) {
            if (p.ipv4 == ipv4) {
                return &t;
            }
        }
    }
    return nullptr;
}

SipAgent::Call* SipAgent::by_handle(nua_handle_t* nh)
{
    auto it = _call_of_handle.find(nh);
    return it == _call_of_handle.end() ? nullptr : by_id(it->second);
}

SipAgent::Call* SipAgent::by_id(uint32_t id)
{
    auto it = _calls.find(id);
    return it == _calls.end() ? nullptr : &it->second;
}

// max_calls, then a token bucket of calls_per_second (burst: one second's).
bool SipAgent::admit(const SipTrunkConfig& t)
{
    if (t.max_calls != 0 && _st.trunks[t.name].active >= t.max_calls) {
        return false;
    }
    if (t.calls_per_second <= 0) {
        return true;
    }
    const int64_t now = mono_ms();
    double& tokens = _tokens[t.name];
    const double cap = t.calls_per_second > 1 ? t.calls_per_second : 1;
    tokens += static_cast<double>(now - _tokens_at_ms[t.name]) * t.calls_per_second / 1000.0;
    tokens = tokens > cap ? cap : tokens;
    _tokens_at_ms[t.name] = now;
    if (tokens < 1) {
        return false;
    }
    tokens -= 1;
    return true;
}

void SipAgent::count_final_out(const std::string& trunk, int status)
{
    if (status >= 300) {
        ++_st.trunks[trunk].final_responses_out[status];
    }
}

void SipAgent::handle_event(int event, int status, nua_handle_t* nh, void const* sip_v, void const* tags_v)
{
    auto const* sip = static_cast<sip_t const*>(sip_v);
    auto const* tags = static_cast<tagi_t const*>(tags_v);
    switch (event) {
    case nua_i_invite:
        if (Call* c = by_handle(nh)) {
            (void)c;  // a re-INVITE: nua answers it with SOA from our last SDP
            break;
        }
        incoming_invite(nh, sip);
        break;
    case nua_r_invite:
        if (Call* c = by_handle(nh)) {
            invite_response(*c, status, sip);
        }
        break;
    case nua_i_cancel:
    case nua_i_bye:
        if (Call* c = by_handle(nh)) {
            auto q = interwork::q850_from_reason(reason_of(sip));
            ended_by_peer(*c, q ? *q : 16);
        }
        break;
    case nua_i_state: {
        int state = nua_callstate_init;
        char const* remote_sdp = nullptr;
        tl_gets(tags, NUTAG_CALLSTATE_REF(state), SOATAG_REMOTE_SDP_STR_REF(remote_sdp), TAG_END());
        if (state == nua_callstate_terminated) {
            call_terminated(nh);
            break;
        }
        Call* c = by_handle(nh);
        if (c == nullptr || remote_sdp == nullptr) {
            break;
        }
        const bool changed = !c->remote_sdp.empty() && c->remote_sdp != remote_sdp;
        c->remote_sdp = remote_sdp;
        if (changed && c->answered && !c->ended && _handler != nullptr) {
            const bool srtp = c->agreed_sdes.has_value();
            auto m = parse_audio(remote_sdp, srtp);
            if (m && !media_fits(srtp, *m, c->agreed_sdes, c->our_sdes)) {
                // nua has answered it from our last SDP already; media the
                // trunk does not allow (plain RTP, another tag, our own key)
                // must not go on under a 200: the call is cleared.
                ++_st.trunks[c->trunk].srtp_refused;
                const uint32_t id = c->id;
                call_hangup(id, 88);
                _handler->sip_cleared(*this, id, 88);
                break;
            }
            if (m) {
                ++_st.trunks[c->trunk].media_changes;
                _handler->sip_media_changed(*this, c->id, *m);
            }
        }
        break;
    }
    case nua_r_shutdown:
        if (status >= 200) {
            _shutdown_done = true;
        }
        break;
    case nua_r_options:
        options_response(nh, status);  // 401/407 too: a live peer that wants credentials
        break;
    case nua_r_register:
    case nua_r_unregister:
        if (_registrations) {
            _registrations->response(nh, status, sip, mono_ms());
            const auto& rc = _registrations->counters();
            for (auto& [name, k] : _st.trunks) {
                if (auto it = rc.find(name); it != rc.end()) {
                    k.registration = it->second;
                }
            }
        }
        break;
    case nua_i_options:
    case nua_i_ack:
    case nua_r_bye:
    case nua_r_cancel:
    case nua_i_active:
    case nua_i_terminated:
    case nua_r_set_params:
    case nua_i_prack:
    case nua_r_prack:
        break;
    default:
        if (status == 0 && nh != nullptr && by_handle(nh) == nullptr && event < nua_r_set_params) {
            // An incoming request we do not serve: nua answered it
            // (405/501); forget the handle.
            ++_st.requests_unhandled;
            nua_handle_destroy(nh);
        }
        break;
    }
}

void SipAgent::incoming_invite(nua_handle_t* nh, void const* sip_v)
{
    auto const* sip = static_cast<sip_t const*>(sip_v);
    uint32_t src = 0;
    if (msg_t* m = nua_current_request(_nua)) {
        su_sockaddr_t* a = msg_addr(m);
        if (a != nullptr && a->su_family == AF_INET) {
            src = ntohl(a->su_sin.sin_addr.s_addr);
        }
    }
    const SipTrunkConfig* t = trunk_of_source(src);
    if (t == nullptr) {
        // Not a trusted source: RFC 3261 21.4.4 403 Forbidden. Counted, and
        // never routed (scanners and toll fraud start here).
        ++_st.refused_acl;
        nua_respond(nh, SIP_403_FORBIDDEN, TAG_END());
        nua_handle_destroy(nh);
        return;
    }
    SipTrunkCounters& k = _st.trunks[t->name];
    ++k.invites_in;
    std::string arrived_on = "udp";  // our Contact answers on the transport the INVITE came over
    if (sip->sip_via != nullptr && sip->sip_via->v_protocol != nullptr) {
        const std::string proto = sip->sip_via->v_protocol;
        arrived_on = proto.find("TLS") != std::string::npos   ? "tls"
                     : proto.find("TCP") != std::string::npos ? "tcp"
                                                              : "udp";
        k.invites_in_tcp += arrived_on == "tcp" ? 1 : 0;
        k.invites_in_tls += arrived_on == "tls" ? 1 : 0;
    }
    if (!authenticate_invite(*t, src, nh, sip)) {
        return;
    }
    if (!admit(*t)) {
        ++k.refused_limit;
        count_final_out(t->name, 503);
        nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, SIPTAG_RETRY_AFTER_STR("5"),
                    SIPTAG_REASON_STR(interwork::reason_header(34).c_str()), TAG_END());
        nua_handle_destroy(nh);
        return;
    }
    SipCallInfo info;
    info.trunk = t->name;
    if (sip->sip_request != nullptr && sip->sip_request->rq_url->url_user != nullptr) {
        info.called = sip->sip_request->rq_url->url_user;
    }
    if (sip->sip_from != nullptr) {
        if (sip->sip_from->a_url->url_user != nullptr) {
            info.calling = sip->sip_from->a_url->url_user;
        }
        if (sip->sip_from->a_display != nullptr) {
            info.calling_name = sip->sip_from->a_display;
        }
    }
    // RFC 3325: a trusted peer's P-Asserted-Identity is the caller.
    if (sip_p_asserted_identity_t const* pai = sip_p_asserted_identity(sip);
        pai != nullptr && pai->paid_url->url_user != nullptr) {
        info.calling = pai->paid_url->url_user;
    }
    // RFC 3323: Privacy: id -> presentation restricted.
    if (sip_privacy_t const* pv = sip_privacy(sip); pv != nullptr && pv->priv_values != nullptr) {
        for (msg_param_t const* v = pv->priv_values; *v != nullptr; ++v) {
            if (std::string(*v) == "id") {
                info.privacy = true;
            }
        }
    }
    if (sip->sip_contact != nullptr) {
        char buf[512];
        if (url_e(buf, sizeof buf, sip->sip_contact->m_url) > 0) {
            info.contact = buf;
        }
    }
    info.redirecting = interwork::from_diversion(unknown_headers(sip, "Diversion"));
    if (info.redirecting.number.empty()) {
        info.redirecting = interwork::from_history_info(unknown_headers(sip, "History-Info"));
    }
    const std::string body = body_of(sip);
    auto media = parse_audio(body, t->srtp != "off");
    // RFC 4568 8.3: SDES keys only over a secure transport, both ways (our
    // answer carries ours).
    auto takes = [&](const RemoteMedia& m) {
        const bool srtp = t->srtp == "mandatory" || (t->srtp == "optional" && m.savp);
        return media_fits(srtp, m) && (!srtp || arrived_on == "tls");
    };
    bool srtp_ok = !media || takes(*media);
    if (!srtp_ok && t->srtp == "optional") {
        // An SRTP line we cannot take: the offer's plain one, if it has one.
        if (auto plain = parse_audio(body, false); plain && !plain->savp) {
            media = plain;
            srtp_ok = true;
        }
    }
    if (!media || choose_g711(*media, 8) < 0 || !srtp_ok) {
        ++(srtp_ok ? k.refused_no_media : k.srtp_refused);
        count_final_out(t->name, 488);
        nua_respond(nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
        nua_handle_destroy(nh);
        return;
    }
    info.remote = *media;
    uint32_t id = _next_id++;
    _calls[id] = Call{id, nh, false, t->name};
    _calls[id].agreed_sdes = media->sdes;  // the line our answer takes
    _call_of_handle[nh] = id;
    _calls[id].contact = contact_for(arrived_on, "");
    ++k.active;
    if (_handler != nullptr) {
        _handler->sip_incoming(*this, id, info);
    } else {
        call_hangup(id, 1);
    }
}

// RFC 3261 22: a trunk with inbound_auth takes INVITEs that carry the
// right digest credentials only. The first INVITE gets 401 with a
// challenge; the retry with credentials passes, or gets 403 and counts as
// a failure of its source; a source failing auth_max_failures times in a
// row gets 403 without a challenge for auth_block_ms (brute force).
// Returns false when the INVITE was answered here.
bool SipAgent::authenticate_invite(const SipTrunkConfig& t, uint32_t source, nua_handle_t* nh, void const* sip)
{
    auto it = _challengers.find(t.name);
    if (it == _challengers.end()) {
        return true;
    }
    SipTrunkCounters& k = _st.trunks[t.name];
    const int64_t now = mono_ms();
    if (_auth_guard.blocked(source, now)) {
        ++_st.refused_auth_blocked;
        count_final_out(t.name, 403);
        nua_respond(nh, SIP_403_FORBIDDEN, TAG_END());
        nua_handle_destroy(nh);
        return false;
    }
    const DigestChallenger::Outcome out = it->second->check(sip, now);
    switch (out.verdict) {
    case DigestChallenger::Verdict::accepted:
        ++k.auth_accepted;
        _auth_guard.succeeded(source);
        return true;
    case DigestChallenger::Verdict::challenge:
        ++k.auth_challenges;
        k.auth_replays += out.replay ? 1 : 0;
        nua_respond(nh, SIP_401_UNAUTHORIZED, SIPTAG_WWW_AUTHENTICATE_STR(out.challenge.c_str()), TAG_END());
        nua_handle_destroy(nh);
        return false;
    case DigestChallenger::Verdict::refused:
        break;
    }
    ++k.auth_failures;
    if (_auth_guard.failed(source, now)) {
        ++_st.auth_blocks;
    }
    _st.blocked_sources = _auth_guard.blocked_sources(now);
    count_final_out(t.name, out.status);
    nua_respond(nh, out.status, sip_status_phrase(out.status), TAG_END());
    nua_handle_destroy(nh);
    return false;
}

// A 401/407 to our INVITE: answered once with the trunk's credentials
// (nua resends the INVITE with Authorization); true when it was.
bool SipAgent::answer_challenge(Call& c, int status, void const* sip)
{
    const SipTrunkConfig* t = trunk(c.trunk);
    if ((status != 401 && status != 407) || t == nullptr || !t->outbound_auth || c.auth_answered) {
        return false;
    }
    const std::string answer = digest_answer(sip, *t->outbound_auth);
    if (answer.empty()) {
        return false;
    }
    c.auth_answered = true;
    ++_st.trunks[c.trunk].auth_answered;
    nua_authenticate(c.nh, NUTAG_AUTH(answer.c_str()), TAG_END());
    return true;
}

void SipAgent::invite_response(Call& c, int status, void const* sip_v)
{
    auto const* sip = static_cast<sip_t const*>(sip_v);
    if (c.ended || status < 180) {
        return;
    }
    if (status < 200) {
        if (sip != nullptr && sip->sip_rseq != nullptr) {
            ++_st.trunks[c.trunk].reliable_provisionals_in;  // nua sends the PRACK
        }
        std::string body = body_of(sip);
        const bool srtp = c.agreed_sdes.has_value();
        auto early = body.empty() ? std::nullopt : parse_audio(body, srtp);
        if (early && !media_fits(srtp, *early, c.agreed_sdes, c.our_sdes)) {
            ++_st.trunks[c.trunk].srtp_refused;
            early.reset();  // early media we could not open: the caller hears its own ringback
        }
        if (_handler != nullptr) {
            _handler->sip_progress(*this, c.id, status, early ? &*early : nullptr);
        }
        return;
    }
    if (status < 300) {
        if (c.answered) {
            return;  // a retransmitted 200 (nua ACKs it)
        }
        c.answered = true;
        ++_st.trunks[c.trunk].answered_out;
        if (sip != nullptr && sip->sip_session_expires != nullptr) {
            ++_st.trunks[c.trunk].session_timers_in;
        }
        const bool srtp = c.agreed_sdes.has_value();
        auto media = parse_audio(body_of(sip), srtp);
        if (media && !media_fits(srtp, *media, c.agreed_sdes, c.our_sdes)) {
            ++_st.trunks[c.trunk].srtp_refused;
            media.reset();  // cleared with 88, as an answer without audio
        }
        if (!media) {
            // RFC 3264: an answer is required; without one there is no audio.
            call_hangup(c.id, 88);
            if (_handler != nullptr) {
                _handler->sip_cleared(*this, c.id, 88);
            }
            return;
        }
        if (_handler != nullptr) {
            _handler->sip_answered(*this, c.id, *media);
        }
        return;
    }
    if (answer_challenge(c, status, sip)) {
        return;
    }
    ++_st.trunks[c.trunk].final_responses_in[status];
    ended_by_peer(c, interwork::q850_for_response(_causes, status, reason_of(sip)));
    if (status == 401 || status == 407) {
        // nua holds a challenged INVITE waiting for credentials and never
        // terminates it by itself: we do.
        forget(c.id);
    }
}

void SipAgent::ended_by_peer(Call& c, int q850)
{
    if (c.ended) {
        return;
    }
    c.ended = true;
    if (_handler != nullptr) {
        _handler->sip_cleared(*this, c.id, q850);
    }
}

void SipAgent::call_terminated(nua_handle_t* nh)
{
    Call* c = by_handle(nh);
    if (c == nullptr) {
        nua_handle_destroy(nh);
        return;
    }
    const uint32_t id = c->id;
    if (!c->ended) {
        // Terminated without a BYE/CANCEL/final we saw (a transaction
        // timeout, transport error): over, cause 41 temporary failure.
        ended_by_peer(*c, 41);
    }
    forget(id);
}

void SipAgent::forget(uint32_t id)
{
    Call* c = by_id(id);
    if (c == nullptr) {
        return;
    }
    SipTrunkCounters& k = _st.trunks[c->trunk];
    if (k.active > 0) {
        --k.active;
    }
    nua_handle_destroy(c->nh);
    _call_of_handle.erase(c->nh);
    _calls.erase(id);
}

int64_t SipAgent::call_setup(const std::string& name, const SipCallInfo& info, const LocalMedia& local)
{
    const SipTrunkConfig* t = trunk(name);
    if (t == nullptr || t->peers.empty()) {
        return -38;
    }
    SipTrunkCounters& k = _st.trunks[t->name];
    if (!k.up) {
        return -38;  // the OPTIONS keepalive says the peer is gone
    }
    if (t->max_calls != 0 && k.active >= t->max_calls) {
        return -34;
    }
    // (The model's mistake, counted:) keys for a trunk without srtp, none
    // for one with, or keys over anything but TLS (RFC 4568 8.3).
    if (offers_srtp(name) != local.sdes.has_value() || (local.sdes && t->transport != "tls")) {
        ++k.srtp_refused;
        return -65;  // bearer capability not implemented
    }
    const SipPeer& peer = t->peers.front();
    const std::string host = ipv4_text(peer.ipv4) + ":" + std::to_string(peer.port);
    const std::string to = "<sip:" + info.called + "@" + host + ">";
    const std::string from =
        (info.calling_name.empty() ? "" : "\"" + info.calling_name + "\" ") + "<sip:" +
        (info.calling.empty() || info.privacy ? std::string("anonymous") : info.calling) + "@" + _cfg.contact_host + ">";
    nua_handle_t* nh = nua_handle(_nua, nullptr, SIPTAG_TO_STR(to.c_str()), SIPTAG_FROM_STR(from.c_str()), TAG_END());
    if (nh == nullptr) {
        return -47;
    }
    uint32_t id = _next_id++;
    Call& c = _calls[id] = Call{id, nh, true, t->name};
    c.agreed_sdes = c.our_sdes = local.sdes;
    _call_of_handle[nh] = id;
    ++k.invites_out;
    ++k.active;
    const std::string sdp = describe(local, id, ++c.sdp_version);
    // RFC 3325/3323: the real number in P-Asserted-Identity for a trusted
    // trunk, hidden from the called party by Privacy: id.
    std::string extra;
    if (!info.calling.empty()) {
        extra = "P-Asserted-Identity: <sip:" + info.calling + "@" + _cfg.contact_host + ">";
        if (info.privacy) {
            extra += "\r\nPrivacy: id";
        }
    }
    if (!info.redirecting.number.empty()) {
        extra += std::string(extra.empty() ? "" : "\r\n") +
                 "Diversion: " + interwork::diversion_header(info.redirecting, _cfg.contact_host) +
                 "\r\nHistory-Info: " + interwork::history_info_header(info.redirecting, info.called, host);
    }
    const std::string uri = request_uri(*t, info.called);
    const std::string contact = c.contact = contact_for(t->transport, "");
    // SOATAG_ADDRESS: Sofia's SOA would otherwise put a kernel interface's
    // address in o= (the media address is the data plane's, which the
    // kernel does not own), exposing the host's address to peers.
    const std::string media_ip = ipv4_text(local.ipv4);
    nua_invite(nh, NUTAG_URL(uri.c_str()), SOATAG_USER_SDP_STR(sdp.c_str()), SOATAG_ADDRESS(media_ip.c_str()), SOATAG_AUDIO_AUX(audio_aux),
               SIPTAG_CONTACT_STR(contact.c_str()), TAG_IF(!extra.empty(), SIPTAG_HEADER_STR(extra.c_str())), TAG_END());
    return id;
}

int SipAgent::call_ringing(uint32_t call, const LocalMedia* early)
{
    Call* c = by_id(call);
    if (c == nullptr || c->outgoing || c->ended || c->final_sent) {
        return -1;
    }
    const std::string& contact = c->contact;
    if (early != nullptr) {
        c->our_sdes = early->sdes;
        const std::string sdp = describe(*early, call, ++c->sdp_version);
        const std::string media_ip = ipv4_text(early->ipv4);
        nua_respond(c->nh, SIP_183_SESSION_PROGRESS, SOATAG_USER_SDP_STR(sdp.c_str()), SOATAG_ADDRESS(media_ip.c_str()), SOATAG_AUDIO_AUX(audio_aux),
                    SIPTAG_CONTACT_STR(contact.c_str()), TAG_END());
    } else {
        nua_respond(c->nh, SIP_180_RINGING, SIPTAG_CONTACT_STR(contact.c_str()), TAG_END());
    }
    return 0;
}

int SipAgent::call_answer(uint32_t call, const LocalMedia& local)
{
    Call* c = by_id(call);
    if (c == nullptr || c->outgoing || c->ended || c->final_sent) {
        return -1;
    }
    c->our_sdes = local.sdes;
    const std::string sdp = describe(local, call, ++c->sdp_version);
    const std::string media_ip = ipv4_text(local.ipv4);
    nua_respond(c->nh, SIP_200_OK, SOATAG_USER_SDP_STR(sdp.c_str()), SOATAG_ADDRESS(media_ip.c_str()), SOATAG_AUDIO_AUX(audio_aux),
                SIPTAG_CONTACT_STR(c->contact.c_str()), TAG_END());
    c->final_sent = true;
    c->answered = true;
    ++_st.trunks[c->trunk].answered_in;
    return 0;
}

int SipAgent::call_hangup(uint32_t call, int q850)
{
    Call* c = by_id(call);
    if (c == nullptr || c->ended) {
        return -1;
    }
    c->ended = true;
    const std::string reason = interwork::reason_header(q850);
    if (c->answered) {
        nua_bye(c->nh, SIPTAG_REASON_STR(reason.c_str()), TAG_END());
    } else if (c->outgoing) {
        nua_cancel(c->nh, SIPTAG_REASON_STR(reason.c_str()), TAG_END());
    } else if (!c->final_sent) {
        const int status = _causes.to_sip(q850);
        count_final_out(c->trunk, status);
        nua_respond(c->nh, status, sip_status_phrase(status), SIPTAG_REASON_STR(reason.c_str()), TAG_END());
        c->final_sent = true;
    }
    return 0;
}

void SipAgent::publish()
{
    std::lock_guard lock(_mutex);
    _published = _st;
}

SipStatus SipAgent::status() const
{
    SipStatus st;
    if (std::this_thread::get_id() == _owner) {
        st = _st;
    } else {
        std::lock_guard lock(_mutex);
        st = _published;
    }
    st.sdp_refused_unsafe = sdp_guard_refusals();  // process-wide, read fresh
    return st;
}

}  // namespace trunkgw::sip
