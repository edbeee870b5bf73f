// REGISTER to a provider's registrar (RFC 3261 10), one binding per trunk
// that asks for it, kept alive by nua's own refresh (it re-registers
// before the granted expiry, RFC 3261 10.2.4). A challenge (401/407) is
// answered once with the trunk's credentials; a failure is retried after
// retry_ms; the state and counters go to `show sip trunks` and metrics.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "signaling/sip/sip_auth.h"

struct nua_s;
struct nua_handle_s;

namespace trunkgw::sip {

struct RegistrationTarget {
    std::string trunk;
    std::string registrar;  // Request-URI: "sip:HOST:PORT[;transport=tcp|tls]"
    std::string aor;        // To/From: "sip:USER@HOST:PORT"
    std::string contact;    // our binding: "<sip:USER@OURHOST:PORT[;transport=...]>"
    uint32_t expires_s = 600;
    SipCredentials credentials;
    bool operator==(const RegistrationTarget&) const = default;
};

struct RegistrationCounters {
    bool registered = false;
    uint32_t granted_expires_s = 0;  // what the registrar's 200 allowed
    uint64_t sent = 0;               // REGISTERs answered, refreshes included
    uint64_t succeeded = 0;
    uint64_t failed = 0;             // final failures (after our one answer to a challenge)
    uint64_t challenges = 0;         // 401/407 answered with credentials
    int last_status = 0;
};

class Registrations {
public:
    static constexpr int64_t retry_ms = 30000;

    Registrations(nua_s* nua, std::vector<RegistrationTarget> targets);
    // Registers what is due (at start, and retries after failures).
    void tick(int64_t now_ms);
    // A response to one of our REGISTERs; false when the handle is not ours.
    bool response(nua_handle_s* nh, int status, void const* sip, int64_t now_ms);
    const std::map<std::string, RegistrationCounters>& counters() const { return _counters; }
    std::vector<RegistrationTarget> targets() const;
    ~Registrations();  // destroys its handles (no un-REGISTER: the binding expires)

private:
    struct Binding {
        RegistrationTarget target;
        nua_handle_s* nh = nullptr;
        int64_t next_ms = 0;       // 0: in progress (nua refreshes it)
        bool answered_challenge = false;
    };
    nua_s* _nua;
    std::vector<Binding> _bindings;
    std::map<std::string, RegistrationCounters> _counters;
};

}  // namespace trunkgw::sip
