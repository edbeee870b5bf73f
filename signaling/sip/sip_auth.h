// Digest authentication both ways (RFC 3261 22, RFC 2617 MD5 with
// qop=auth), by Sofia's iptsec:
//   - DigestChallenger checks the credentials in a trunk's incoming INVITEs
//     against its configured user (Sofia's auth_module) and, when they are
//     missing or stale, makes the 401 challenge;
//   - AuthFailureGuard refuses a source that failed too often in a row
//     (credential brute force: scanners try thousands of passwords);
//   - digest_answer() turns a peer's 401/407 challenge into the
//     "Digest:realm:user:password" string nua_authenticate() takes.
#pragma once

#include <cstdint>
#include <map>
#include <string>

struct su_root_s;
struct auth_mod_t;

namespace trunkgw::sip {

struct SipCredentials {
    std::string username;
    std::string password;
    std::string realm;  // challenging: ours; answering: "" = whatever the peer names
    bool operator==(const SipCredentials&) const = default;
};

class DigestChallenger {
public:
    // Throws std::runtime_error when Sofia's module cannot be made.
    DigestChallenger(su_root_s* root, const SipCredentials& expected);
    ~DigestChallenger();
    DigestChallenger(const DigestChallenger&) = delete;
    DigestChallenger& operator=(const DigestChallenger&) = delete;

    enum class Verdict {
        accepted,    // valid credentials for our user
        challenge,   // none, or a stale nonce: answer 401 with `challenge`
        refused,     // wrong user or password (403), malformed credentials (400)
    };
    struct Outcome {
        Verdict verdict;
        int status = 0;         // the response to send unless accepted
        std::string challenge;  // the WWW-Authenticate value, for 401
        bool replay = false;    // valid credentials seen before: challenged afresh
    };
    // `sip` is the request (sip_t const*); `now_ms` a monotonic clock.
    //
    // Sofia's module checks the response hash and the nonce's age only.
    // On top of it, against replay (RFC 7616 3.4, 5.10): the digest-uri
    // must be the Request-URI (else 400); qop=auth with a nonce count is
    // required; and the count must grow per nonce: credentials that
    // verify but repeat a count (a captured INVITE sent again, to any
    // number) get a fresh challenge, never a call.
    Outcome check(void const* sip, int64_t now_ms);

private:
    Outcome challenge_afresh();

    auth_mod_t* _module = nullptr;
    std::string _realm;
    static constexpr int64_t nonce_life_ms = 300000;  // AUTHTAG_EXPIRES
    struct NonceUse {
        unsigned long nc;
        int64_t first_ms;
    };
    std::map<std::string, NonceUse> _nonces;  // highest count accepted per nonce, while it lives
};

// Per source address: failures in a row; at `max_failures` the source is
// blocked for `block_ms` (refused with 403 and no challenge). A success
// clears the count.
class AuthFailureGuard {
public:
    AuthFailureGuard(uint32_t max_failures, int64_t block_ms) : _max(max_failures), _block_ms(block_ms) {}
    bool blocked(uint32_t source, int64_t now_ms);
    // Returns true when this failure started a block.
    bool failed(uint32_t source, int64_t now_ms);
    void succeeded(uint32_t source) { _sources.erase(source); }
    std::size_t blocked_sources(int64_t now_ms) const;

private:
    struct Source {
        uint32_t failures = 0;
        int64_t blocked_until_ms = 0;
    };
    uint32_t _max;
    int64_t _block_ms;
    std::map<uint32_t, Source> _sources;
};

// The answer nua_authenticate() wants for the challenges in a 401/407
// (`sip`: the response): "Digest:\"REALM\":USER:PASSWORD" for the first
// Digest challenge whose realm matches `cr.realm` (any when empty); ""
// when none does.
std::string digest_answer(void const* sip, const SipCredentials& cr);

}  // namespace trunkgw::sip
