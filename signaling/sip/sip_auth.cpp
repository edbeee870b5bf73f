// Digest authentication both ways; see sip_auth.h.
#include "signaling/sip/sip_auth.h"

#include <sys/random.h>

#include <cstdlib>
#include <iterator>
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
    _realm = realm;
    // Kept in the module's home: addpass only sets user and realm.
    apw->apw_pass = su_strdup(reinterpret_cast<su_home_t*>(_module), expected.password.c_str());
}

DigestChallenger::~DigestChallenger()
{
    if (_module != nullptr) {
        auth_mod_destroy(_module);
    }
}

namespace {

// RFC 3261 22.4's challenger: 401 with WWW-Authenticate.
auth_challenger_t const server_challenger = {401, "Unauthorized", sip_www_authenticate_class,
                                             sip_authentication_info_class};

std::string unquoted(char const* v)
{
    std::string s = v != nullptr ? v : "";
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
        s = s.substr(1, s.size() - 2);
    }
    return s;
}

std::string header_value(msg_header_t const* h)
{
    char buf[1024];
    issize_t n = msg_header_field_e(buf, sizeof buf, h, 0);
    return n > 0 && static_cast<std::size_t>(n) < sizeof buf ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

DigestChallenger::Outcome DigestChallenger::challenge_afresh()
{
    auth_status_t* as = auth_status_new(nullptr);
    if (as == nullptr) {
        return {Verdict::refused, 500, {}};
    }
    as->as_realm = _realm.c_str();
    as->as_stale = 1;  // RFC 7616 3.3: the client may retry with a new nonce
    auth_mod_challenge(_module, as, &server_challenger);
    Outcome out{Verdict::challenge, 401, header_value(as->as_response)};
    if (as->as_response == nullptr || out.challenge.empty()) {
        out = {Verdict::refused, 500, {}};
    }
    auth_status_unref(as);
    return out;
}

DigestChallenger::Outcome DigestChallenger::check(void const* sip_v, int64_t now_ms)
{
    auto const* sip = static_cast<sip_t const*>(sip_v);
    for (auto it = _nonces.begin(); it != _nonces.end();) {
        it = now_ms - it->second.first_ms > nonce_life_ms ? _nonces.erase(it) : std::next(it);
    }
    msg_auth_t const* au = sip->sip_authorization;
    while (au != nullptr && !(au->au_scheme != nullptr && su_casematch(au->au_scheme, "Digest") &&
                              unquoted(msg_params_find(au->au_params, "realm=")) == _realm)) {
        au = au->au_next;
    }
    std::string nonce;
    unsigned long nc = 0;
    if (au != nullptr) {
        // RFC 7616 3.4.6: a digest-uri that is not the Request-URI is a bad
        // request, whatever the hash says.
        su_home_t home[1] = {SU_HOME_INIT(home)};
        url_t* uri = url_make(home, unquoted(msg_params_find(au->au_params, "uri=")).c_str());
        const bool same_uri = uri != nullptr && sip->sip_request != nullptr && url_cmp(uri, sip->sip_request->rq_url) == 0;
        su_home_deinit(home);
        if (!same_uri) {
            return {Verdict::refused, 400, {}};
        }
        char const* qop = msg_params_find(au->au_params, "qop=");
        char const* ncv = msg_params_find(au->au_params, "nc=");
        if (qop == nullptr || ncv == nullptr) {
            return challenge_afresh();  // without a count a response replays for the nonce's life
        }
        nonce = unquoted(msg_params_find(au->au_params, "nonce="));
        nc = std::strtoul(ncv, nullptr, 16);
    }
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
        out.challenge = header_value(as->as_response);  // for SIPTAG_WWW_AUTHENTICATE_STR
        if (out.challenge.empty()) {
            out = {Verdict::refused, 500, {}};
        }
    } else {
        out.verdict = Verdict::refused;
        out.status = as->as_status >= 400 ? as->as_status : 403;
    }
    auth_status_unref(as);
    if (out.verdict == Verdict::accepted) {
        auto [it, fresh] = _nonces.try_emplace(nonce, NonceUse{nc, now_ms});
        if (!fresh && nc <= it->second.nc) {
            Outcome replay = challenge_afresh();
            replay.replay = true;
            return replay;
        }
        it->second.nc = nc;
    }
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
