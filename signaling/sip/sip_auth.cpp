// Digest authentication both ways; see sip_auth.h.
#include "signaling/sip/sip_auth.h"

#include <sys/random.h>

#include <stdexcept>

#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/auth_module.h>
#include <sofia-sip/auth_plugin.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/su_string.h>
#include <sofia-sip/su_wait.h>

namespace trunkgw::sip {

namespace {

// Nonces are HMACs under this key (Sofia's default key is a constant,
// "fish": anyone could mint nonces our module accepts).
std::string random_master_key()
{
    unsigned char raw[24];
    std::size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n <= 0) {
            throw std::runtime_error("sip auth: getrandom failed");
        }
        got += static_cast<std::size_t>(n);
    }
    static const char hex[] = "0123456789abcdef";
    std::string key;
    for (unsigned char b : raw) {
        key += hex[b >> 4];
        key += hex[b & 15];
    }
    return key;
}

}  // namespace

DigestChallenger::DigestChallenger(su_root_t* root, const SipCredentials& expected)
{
    const std::string key = random_master_key();
    const std::string realm = expected.realm.empty() ? std::string("trunkgw") : expected.realm;
    // qop=auth (RFC 2617 3.2.1): the client's cnonce and nonce count go
    // into the response, so a captured response cannot be replayed.
    // FORBIDDEN: a wrong password gets 403, not another challenge to try
    // the next one with (RFC 3261 22.2 lets a server decide this).
    // Every method but ACK and CANCEL (which cannot be challenged) and BYE
    // (in a dialog we already authenticated) is challenged.
    _module = auth_mod_create(root, AUTHTAG_METHOD("Digest"), AUTHTAG_REALM(realm.c_str()), AUTHTAG_QOP("auth"),
                              AUTHTAG_FORBIDDEN(1), AUTHTAG_MASTER_KEY(key.c_str()), AUTHTAG_EXPIRES(300),
                              AUTHTAG_ALLOW("ACK, BYE, CANCEL"), TAG_END());
    if (_module == nullptr) {
        throw std::runtime_error("sip auth: Sofia's auth_module could not be created");
    }
    auth_passwd_t* apw = auth_mod_addpass(_module, expected.username.c_str(), realm.c_str());
    if (apw == nullptr) {
        auth_mod_destroy(_module);
        throw std::runtime_error("sip auth: cannot add user " + expected.username);
    }
    // Kept in the module's home: addpass only sets user and realm.
    apw->apw_pass = su_strdup(reinterpret_cast<su_home_t*>(_module), expected.password.c_str());
}

DigestChallenger::~DigestChallenger()
{
    if (_module != nullptr) {
        auth_mod_destroy(_module);
    }
}

DigestChallenger::Outcome DigestChallenger::check(void const* sip_v) const
{
    auto const* sip = static_cast<sip_t const*>(sip_v);
    auth_status_t* as = auth_status_new(nullptr);
    if (as == nullptr) {
        return {Verdict::refused, 500, {}};
    }
    auth_mod_check(_module, as, sip, auth_server);
    Outcome out{Verdict::accepted, 0, {}};
    if (as->as_status == 0) {
        out.verdict = Verdict::accepted;
    } else if (as->as_status == 401 && as->as_response != nullptr) {
        out.verdict = Verdict::challenge;
        out.status = 401;
        // The header's value only: the caller passes it as
        // SIPTAG_WWW_AUTHENTICATE_STR.
        char buf[1024];
        issize_t n = msg_header_field_e(buf, sizeof buf, as->as_response, 0);
        if (n > 0 && static_cast<std::size_t>(n) < sizeof buf) {
            out.challenge.assign(buf, static_cast<std::size_t>(n));
        } else {
            out.verdict = Verdict::refused;
            out.status = 500;
        }
    } else {
        out.verdict = Verdict::refused;
        out.status = as->as_status >= 400 ? as->as_status : 403;
    }
    auth_status_unref(as);
    return out;
}

bool AuthFailureGuard::blocked(uint32_t source, int64_t now_ms)
{
    auto it = _sources.find(source);
    if (it == _sources.end() || it->second.blocked_until_ms == 0) {
        return false;
    }
    if (now_ms < it->second.blocked_until_ms) {
        return true;
    }
    _sources.erase(it);  // the block is over: a fresh start
    return false;
}

bool AuthFailureGuard::failed(uint32_t source, int64_t now_ms)
{
    Source& s = _sources[source];
    if (++s.failures < _max || s.blocked_until_ms != 0) {
        return false;
    }
    s.blocked_until_ms = now_ms + _block_ms;
    return true;
}

std::size_t AuthFailureGuard::blocked_sources(int64_t now_ms) const
{
    std::size_t n = 0;
    for (const auto& [addr, s] : _sources) {
        n += s.blocked_until_ms != 0 && now_ms < s.blocked_until_ms ? 1 : 0;
    }
    return n;
}

std::string digest_answer(void const* sip_v, const SipCredentials& cr)
{
    auto const* sip = static_cast<sip_t const*>(sip_v);
    if (sip == nullptr) {
        return {};
    }
    // RFC 3261 22.2 (401, WWW-Authenticate) and 22.3 (407, Proxy-Authenticate).
    msg_auth_t const* lists[] = {sip->sip_www_authenticate, sip->sip_proxy_authenticate};
    for (msg_auth_t const* au : lists) {
        for (; au != nullptr; au = au->au_next) {
            if (au->au_scheme == nullptr || !su_casematch(au->au_scheme, "Digest")) {
                continue;
            }
            char const* realm = msg_params_find(au->au_params, "realm=");
            if (realm == nullptr) {
                continue;
            }
            std::string quoted = realm;  // as the challenge has it, quotes included
            std::string bare = quoted;
            if (bare.size() >= 2 && bare.front() == '"' && bare.back() == '"') {
                bare = bare.substr(1, bare.size() - 2);
            }
            if (!cr.realm.empty() && cr.realm != bare) {
                continue;
            }
            return "Digest:" + quoted + ":" + cr.username + ":" + cr.password;
        }
    }
    return {};
}

}  // namespace trunkgw::sip
