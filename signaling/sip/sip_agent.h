// SIP trunks through Sofia-SIP's nua, on the control loop's su_root: calls
// in and out, offer/answer by Sofia's SOA, trusted-source ACLs and
// per-trunk limits on incoming INVITEs. Like PriLink it knows nothing of
// the data plane: the call model hands it the RTP address and port to
// describe (LocalMedia) and hears the peer's (RemoteMedia).
//
// Calls in: an INVITE from an address no trunk lists is refused with 403
// (RFC 3261 21.4.4) and counted; over a trunk's max_calls or calls per
// second it gets 503 with Retry-After (RFC 3261 21.5.4); without usable
// audio, 488 (RFC 3261 21.4.26). Otherwise the model gets call_incoming and
// answers with call_ringing (180, or 183 with SDP for early media, RFC
// 3960), call_answer (200 with SDP) or call_hangup (a final response whose
// status comes from the Q.850 cause, RFC 3398, with a Reason header, RFC
// 3326).
// Calls out: an INVITE with our SDP offer to the trunk's first peer;
// 18x/200 reach the model; a failure response becomes a Q.850 cause (the
// received Reason's when there is one).
// Clearing: CANCEL before the answer, BYE after, both with a Reason header;
// the far end's CANCEL or BYE becomes its Reason's cause or 16.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <thread>
#include <optional>
#include <string>
#include <vector>

#include "signaling/interwork/cause_mapping.h"
#include "signaling/interwork/redirection.h"
#include "signaling/sip/sdp_media.h"
#include "signaling/sip/sip_auth.h"
#include "signaling/sip/sip_registration.h"

struct su_root_s;
struct nua_s;
struct nua_handle_s;

namespace trunkgw::sip {

struct SipPeer {
    uint32_t ipv4 = 0;  // host order
    uint16_t port = 5060;
};

struct SipTrunkConfig {
    std::string name;
    std::vector<SipPeer> peers;  // the first takes our INVITEs; all are trusted sources
    uint32_t max_calls = 0;      // 0: no limit
    double calls_per_second = 0; // incoming INVITEs; 0: no limit
    // OPTIONS keepalive to the first peer every this many seconds (0: off).
    // Any response up to 499 means the peer is alive (RFC 3261 11); no
    // response, 5xx or 6xx twice in a row marks the trunk down: calls to
    // it are refused with cause 38 (network out of order, a failover
    // cause) until a response comes back.
    uint32_t options_interval_s = 0;
    // Our requests to the peer: "udp", "tcp" or "tls" (";transport=" in
    // the Request-URI, RFC 3261 19.1.1; over TLS our Contact says so too).
    std::string transport = "udp";
    // SRTP by SDES (RFC 4568). "mandatory": on every call, offers and
    // answers must be RTP/SAVP with a key we can use, and the peer's INVITEs
    // must come over TLS (8.3); anything else is refused with 488 (an
    // answer: cleared with 88). "optional": an offer's RTP/SAVP line is
    // taken on those terms, else its RTP/AVP one; our offers are plain.
    // "off": RTP/AVP only (an RTP/SAVP offer gets 488).
    std::string srtp = "off";
    // INVITEs from the peer must authenticate (RFC 3261 22): challenged
    // with 401, refused with 403 on wrong credentials.
    std::optional<SipCredentials> inbound_auth{};
    // Answers to the peer's 401/407 (INVITE, REGISTER, OPTIONS).
    std::optional<SipCredentials> outbound_auth{};
    // REGISTER to the first peer with outbound_auth's user (RFC 3261 10).
    bool register_ = false;
    uint32_t register_expires_s = 600;
};

struct SipAgentConfig {
    std::string bind_url;       // "sip:IP:PORT;transport=udp"
    std::string contact_host;   // host[:port] in our From/Contact
    std::vector<SipTrunkConfig> trunks;
    // RFC 3262: 18x sent reliably to peers that support 100rel (every
    // 18x, not only 183: a 180 after a 183 must be PRACKed too), and
    // PRACKs for the peers' reliable 18x.
    bool reliable_provisional = true;
    // RFC 4028 session timers: Session-Expires we ask for, Min-SE we take
    // (0: no session timer).
    uint32_t session_expires_s = 1800;
    uint32_t min_se_s = 90;
    // SIP over TLS (RFC 3261 26.2): "sips:IP:PORT" to listen on, and Sofia's
    // certificate directory (agent.pem, cafile.pem); empty: no TLS.
    std::string tls_bind_url{};
    std::string tls_contact_host{};  // host:port in our Contact on TLS calls
    std::string tls_certificate_dir{};
    bool tls_verify_peer = true;
    // Credential brute force: a source failing inbound authentication
    // this many times in a row is refused for auth_block_ms.
    uint32_t auth_max_failures = 5;
    int64_t auth_block_ms = 300000;
    // RFC 3261 17.1.1.2 Timer B / F (64 x T1): how long a request waits
    // for any response, e.g. a peer whose TLS handshake failed. Shorter
    // than the standard 32 s lets a route fail over sooner.
    uint32_t transaction_timeout_ms = 32000;
    // SO_RCVBUF/SO_SNDBUF of the UDP socket (Sofia forces them past
    // net.core.rmem_max when it may); 0: the kernel's default.
    uint32_t udp_buffer_bytes = 0;
};

// One call as the model sees it.
struct SipCallInfo {
    std::string trunk;
    std::string called;        // Request-URI user part
    std::string calling;       // From (or P-Asserted-Identity) user part
    std::string calling_name;  // From display name
    bool privacy = false;      // Privacy: id (RFC 3323): presentation restricted
    // Diversion (RFC 5806) / History-Info (RFC 7044): who forwarded the
    // call and why (Q.952 reason); number empty: not redirected.
    interwork::Redirection redirecting;
    std::string contact;       // the peer's Contact URI (incoming; logs, diagnostics)
    RemoteMedia remote;        // the peer's offer (incoming)
};

// Per trunk, and the refusals no trunk claims (an unknown source).
struct SipTrunkCounters {
    uint64_t invites_in = 0;
    uint64_t invites_in_tcp = 0;  // of those, over TCP (top Via's transport)
    uint64_t invites_out = 0;
    uint64_t refused_limit = 0;    // over max_calls or calls per second: 503
    uint64_t refused_no_media = 0; // 488
    // SDP that did not fit the trunk's srtp (RFC 4568 SDES): INVITEs refused
    // with 488 (RTP/SAVP on a trunk without, RTP/AVP or no usable key or
    // not over TLS on one with), answers and re-offers (another tag or
    // suite, our own key, plain RTP) cleared with 88, early media not
    // played, calls the model asked for with keys it should not send.
    uint64_t srtp_refused = 0;
    uint64_t answered_in = 0;
    uint64_t answered_out = 0;
    uint64_t active = 0;
    uint64_t media_changes = 0;  // re-INVITEs that changed the peer's media (hold, resume, new address)
    bool up = true;              // OPTIONS keepalive: the peer answers (true without keepalive)
    uint64_t options_sent = 0;
    uint64_t reliable_provisionals_in = 0;  // 18x with RSeq received (we PRACKed them)
    uint64_t session_timers_in = 0;         // 200 OKs to our INVITEs carrying Session-Expires
    uint64_t options_answered = 0;
    uint64_t options_failed = 0; // no response, 5xx, 6xx
    uint64_t state_changes = 0;  // up <-> down
    uint64_t invites_in_tls = 0;     // INVITEs received over TLS
    uint64_t auth_challenges = 0;    // 401s we sent to its INVITEs
    uint64_t auth_accepted = 0;      // INVITEs whose credentials were right
    uint64_t auth_failures = 0;      // ... wrong (403) or malformed (400; a digest-uri not the Request-URI)
    uint64_t auth_replays = 0;       // right credentials with a nonce count seen before: challenged afresh
    uint64_t auth_answered = 0;      // its 401/407 to our INVITEs answered with our credentials
    bool registers = false;          // REGISTER configured
    RegistrationCounters registration;
    std::map<int, uint64_t> final_responses_out;  // by status we sent (>= 300)
    std::map<int, uint64_t> final_responses_in;   // by status we received (>= 300)
};
struct SipStatus {
    std::map<std::string, SipTrunkCounters> trunks;
    uint64_t refused_acl = 0;  // INVITEs from a source no trunk lists: 403
    uint64_t refused_auth_blocked = 0;  // from a source blocked after failed authentication: 403
    uint64_t auth_blocks = 0;           // blocks started
    uint64_t blocked_sources = 0;       // sources blocked now
    uint64_t requests_unhandled = 0;
    uint64_t sdp_refused_unsafe = 0;    // SDP bodies kept from Sofia's parser (sdp_guard.h)
};

class SipAgent;

class SipCallHandler {
public:
    virtual ~SipCallHandler() = default;
    virtual void sip_incoming(SipAgent& agent, uint32_t call, const SipCallInfo& info) = 0;
    // 180/183 for a call we placed; `early`: the SDP it carried, if any.
    virtual void sip_progress(SipAgent& agent, uint32_t call, int status, const RemoteMedia* early) = 0;
    virtual void sip_answered(SipAgent& agent, uint32_t call, const RemoteMedia& remote) = 0;
    // A re-INVITE (or UPDATE) changed the peer's media after the answer:
    // a new address (RFC 3264 8.3.1), or hold / resume (8.4: sendonly or
    // inactive, then sendrecv). nua answers it from our last SDP, so our
    // address and port never change (no one-way audio after a re-INVITE).
    virtual void sip_media_changed(SipAgent& agent, uint32_t call, const RemoteMedia& remote) = 0;
    // Over from the SIP side: a failure response, CANCEL or BYE; Q.850.
    // Not called for clearing the model started.
    virtual void sip_cleared(SipAgent& agent, uint32_t call, int q850) = 0;
};

class SipAgent {
public:
    // Binds the transports; throws std::runtime_error naming the problem.
    SipAgent(su_root_s* root, SipAgentConfig cfg, interwork::CauseMap causes, SipCallHandler* handler);
    ~SipAgent();  // nua_shutdown, waits (bounded) for its completion
    SipAgent(const SipAgent&) = delete;
    SipAgent& operator=(const SipAgent&) = delete;

    bool has_trunk(const std::string& name) const;
    // Our offers on the trunk carry an SDES key (srtp "mandatory"):
    // call_setup() wants LocalMedia::sdes exactly then.
    bool offers_srtp(const std::string& name) const;
    // New trunks and cause table (reload). Calls up stay on their handles;
    // counters of trunks that remain are kept; a removed trunk's counters
    // go when its last call ends. Keepalive state is kept for a trunk whose
    // first peer and interval are unchanged; registrations restart when
    // any registering trunk changed.
    void reconfigure(std::vector<SipTrunkConfig> trunks, interwork::CauseMap causes);
    // An INVITE to the trunk's first peer: the call id (> 0), or minus a
    // Q.850 cause (38: no such trunk, no peer, or the trunk is down; 34:
    // its max_calls).
    int64_t call_setup(const std::string& trunk, const SipCallInfo& info, const LocalMedia& local);
    // 180 Ringing, or 183 Session Progress with our SDP when `early`.
    int call_ringing(uint32_t call, const LocalMedia* early);
    int call_answer(uint32_t call, const LocalMedia& local);
    int call_hangup(uint32_t call, int q850);

    // Counters and trunk states: up to date on the thread that runs the
    // agent; on any other (the metrics thread) as of the last publish(),
    // which that thread has the agent's own run (EventLoop::run_on_loop).
    SipStatus status() const;
    void publish();
    const interwork::CauseMap& causes() const { return _causes; }

    // nua's callback lands here (sip_agent.cpp); not for other callers.
    void handle_event(int event, int status, nua_handle_s* nh, void const* sip, void const* tags);
    // The keepalive timer lands here (every 200 ms): sends what is due.
    void keepalive();

private:
    struct Call {
        uint32_t id;
        nua_handle_s* nh;
        bool outgoing;
        std::string trunk;
        bool answered = false;
        bool ended = false;        // the model knows it is over
        bool final_sent = false;   // incoming: a final response went out
        uint64_t sdp_version = 0;
        std::string remote_sdp{};  // the peer's last SDP, to notice a change
        bool auth_answered = false;  // we answered one challenge (a second means wrong credentials)
        std::string contact{};       // ours in this dialog (contact_for)
        // SRTP (SDES): the a=crypto line agreed (the one we offered, or the
        // offer's we took; none: a plain call), and ours (our key, to refuse
        // it coming back).
        std::optional<SdesKey> agreed_sdes{};
        std::optional<SdesKey> our_sdes{};
    };
    void incoming_invite(nua_handle_s* nh, void const* sip);
    void invite_response(Call& c, int status, void const* sip);
    void ended_by_peer(Call& c, int q850);
    void call_terminated(nua_handle_s* nh);
    void forget(uint32_t id);
    bool authenticate_invite(const SipTrunkConfig& t, uint32_t source, nua_handle_s* nh, void const* sip);
    bool answer_challenge(Call& c, int status, void const* sip);
    std::string request_uri(const SipTrunkConfig& t, const std::string& user) const;
    std::string contact_for(const std::string& transport, const std::string& user) const;
    Call* by_handle(nua_handle_s* nh);
    Call* by_id(uint32_t id);
    const SipTrunkConfig* trunk_of_source(uint32_t ipv4) const;
    const SipTrunkConfig* trunk(const std::string& name) const;
    bool admit(const SipTrunkConfig& t);
    void count_final_out(const std::string& trunk, int status);
    void options_response(nua_handle_s* nh, int status);
    void start_trunks();  // challengers, keepalives, registrations of _cfg.trunks

    SipAgentConfig _cfg;
    interwork::CauseMap _causes;
    SipCallHandler* _handler;
    su_root_s* _root;
    nua_s* _nua = nullptr;
    bool _shutdown_done = false;
    std::map<uint32_t, Call> _calls;
    std::unordered_map<nua_handle_s*, uint32_t> _call_of_handle;  // every call's nua handle
    uint32_t _next_id = 1;
    std::map<std::string, double> _tokens;        // per trunk: calls-per-second bucket
    std::map<std::string, int64_t> _tokens_at_ms;
    // OPTIONS keepalive: per trunk, when the next is due, the handle of the
    // one outstanding, and failures in a row.
    struct Keepalive {
        int64_t next_ms = 0;
        nua_handle_s* nh = nullptr;
        int64_t sent_ms = 0;
        uint32_t failures = 0;
    };
    void keepalive_result(const std::string& trunk, Keepalive& k, bool alive);
    std::map<std::string, Keepalive> _keepalive;
    void* _keepalive_timer = nullptr;  // su_timer_t (keepalives and registrations)
    std::map<std::string, std::unique_ptr<DigestChallenger>> _challengers;  // per trunk with inbound_auth
    AuthFailureGuard _auth_guard;
    std::unique_ptr<Registrations> _registrations;
    SipStatus _st;
    std::thread::id _owner = std::this_thread::get_id();  // the thread that made and runs us
    mutable std::mutex _mutex;
    SipStatus _published;
};

}  // namespace trunkgw::sip
