// The guard in front of Sofia-SIP's SDP parser; see sdp_guard.h.
#include "signaling/sip/sdp_guard.h"

#include <dlfcn.h>
#include <strings.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <sofia-sip/sdp.h>
#include <sofia-sip/soa.h>

namespace trunkgw::sip {

namespace {

std::atomic<uint64_t> refusals{0};
std::atomic<uint64_t> calls{0};  // every call of our sdp_parse: proof that Sofia's reach it

// Sofia's sdp_parse.c: SPACE, TAB and TOKEN (RFC 4566's token characters).
#define SDP_TOKEN_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`{|}~"
constexpr std::string_view space = " ";
constexpr std::string_view space_tab = " \t";
constexpr std::string_view token_chars = SDP_TOKEN_CHARS;
constexpr std::string_view proto_chars = "/" SDP_TOKEN_CHARS;  // parse_media()'s protocol: "/" TOKEN
#undef SDP_TOKEN_CHARS

using SdpParse = sdp_parser_t* (*)(su_home_t*, char const[], issize_t, int);

SdpParse library_sdp_parse()
{
    // The next definition after ours: the library's. Resolved once (a
    // function-local static: thread-safe).
    static const auto fn = reinterpret_cast<SdpParse>(dlsym(RTLD_NEXT, "sdp_parse"));
    if (fn == nullptr) {
        std::fputs("trunkgw: sdp_guard: no sdp_parse after ours (Sofia-SIP not linked?)\n", stderr);
        std::abort();
    }
    return fn;
}

// How many of `r`'s first characters are in `set` (strspn on a view).
std::size_t span(std::string_view r, std::string_view set)
{
    std::size_t n = r.find_first_not_of(set);
    return n == std::string_view::npos ? r.size() : n;
}

// Sofia's token(&r, sep, legal, strip): skips `strip`, takes the longest
// run of `legal` (none: no token, and r is NOT moved), then swallows the
// one character that ended it, whatever it is, and any `sep` after it.
// Returns false for no token; `taken` gets the token.
bool take_token(std::string_view& r, std::string_view sep, std::string_view legal, std::string_view strip,
                std::string_view* taken = nullptr)
{
    std::string_view p = r.substr(span(r, strip));
    std::size_t n = span(p, legal);
    if (n == 0) {
        return false;
    }
    if (taken != nullptr) {
        *taken = p.substr(0, n);
    }
    if (n < p.size()) {
        ++n;
        n += span(p.substr(n), sep);
    }
    r = p.substr(n);
    return true;
}

// Sofia's parse_ul(): spaces and tabs, then strtoul(), which skips any C
// white space and a sign before the digits; false where Sofia reports the
// field invalid (no digits).
bool take_number(std::string_view& r)
{
    std::string_view p = r.substr(span(r, space_tab));
    p.remove_prefix(span(p, " \t\n\v\f\r"));
    if (!p.empty() && (p[0] == '+' || p[0] == '-')) {
        p.remove_prefix(1);
    }
    std::size_t digits = span(p, "0123456789");
    if (digits == 0) {
        return false;
    }
    p.remove_prefix(digits);
    r = p.substr(span(p, space_tab));
    return true;
}

// Whether the library reads `proto`'s list as RTP payload types
// (parse_payload(), which ends: a number or an error), asked of the
// library itself; a bare "RTP" is RTP too unless the parse is strict.
bool rtp_protocol(std::string_view proto, bool strict)
{
    char name[32];
    if (proto.size() >= sizeof name) {
        return false;  // longer than any protocol Sofia knows: its sdp_proto_x
    }
    proto.copy(name, proto.size());
    name[proto.size()] = '\0';
    if (!strict && strcasecmp(name, "RTP") == 0) {
        return true;
    }
    sdp_media_t m{};
    m.m_size = sizeof m;
    sdp_media_transport(&m, name);
    return sdp_media_has_rtp(&m) != 0;
}

// Follows Sofia 1.12's parse_media() over one m= field (`r`: after "m="
// and, unless strict, the spaces and tabs it skips) to its format list, and
// says whether the list's loop would end. That loop ("while (r && *r)", a
// list element allocated, then token(&r, SPACE TAB, TOKEN, SPACE TAB))
// never moves r when no token starts there: a format starting with a
// character outside TOKEN ("/", "@", ...), or a rest of nothing but white
// space that starts with a tab ("udptl \t": the space after the protocol
// is swallowed, the tab is not), loops for good. A field Sofia rejects
// before its format list is safe: Sofia reports the error.
bool format_list_loops(std::string_view r, bool strict)
{
    if (!take_token(r, space, token_chars, {})) {  // media
        return false;
    }
    if (!take_number(r)) {  // port
        return false;
    }
    if (!r.empty() && r[0] == '/') {  // "/" number of ports
        r.remove_prefix(1);
        if (!take_number(r)) {
            return false;
        }
    }
    std::string_view proto;
    if (!take_token(r, space, proto_chars, space, &proto)) {
        return false;
    }
    if (rtp_protocol(proto, strict)) {
        return false;
    }
    while (!r.empty()) {
        if (!take_token(r, space_tab, token_chars, space_tab)) {
            return true;
        }
    }
    return false;
}

}  // namespace

bool sdp_makes_sofia_loop(std::string_view sdp, int sdp_flags)
{
    // Strict parsing skips no white space before or inside a field's start.
    const bool strict = (sdp_flags & sdp_f_strict) != 0;
    const std::string_view skip = strict ? std::string_view() : space_tab;
    // Sofia copies the body with strncpy: nothing after a NUL is parsed.
    sdp = sdp.substr(0, sdp.find('\0'));
    while (!sdp.empty()) {
        std::size_t end = sdp.find_first_of("\r\n");
        std::string_view line = sdp.substr(0, end);
        sdp = end == std::string_view::npos ? std::string_view() : sdp.substr(end + 1);
        line.remove_prefix(span(line, skip));
        if (line.size() >= 2 && line[0] == 'm' && line[1] == '=') {
            line.remove_prefix(2);
            line.remove_prefix(span(line, skip));
            if (format_list_loops(line, strict)) {
                return true;
            }
        }
    }
    return false;
}

uint64_t sdp_guard_refusals()
{
    return refusals.load(std::memory_order_relaxed);
}

bool sdp_guard_active(su_root_t* root)
{
    // The way nua takes an INVITE's offer: SOA's soa_set_remote_sdp()
    // parses it. Our sdp_parse must have seen that call.
    static constexpr char offer[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                                    "m=audio 9 RTP/AVP 8\r\n";
    soa_session_t* ss = soa_create(nullptr, root, nullptr);
    if (ss == nullptr) {
        return false;
    }
    uint64_t before = calls.load(std::memory_order_relaxed);
    int parsed = soa_set_remote_sdp(ss, nullptr, offer, -1);
    bool seen = calls.load(std::memory_order_relaxed) != before;
    soa_destroy(ss);
    return parsed >= 0 && seen;
}

}  // namespace trunkgw::sip

// Our sdp_parse, bound ahead of the library's (see sdp_guard.h). Same
// contract: always a parser handle, with a session or an error. It runs
// inside Sofia's C code: nothing here throws or allocates.
extern "C" sdp_parser_t* sdp_parse(su_home_t* home, char const msg[], issize_t msgsize, int flags)
{
    using namespace trunkgw::sip;
    calls.fetch_add(1, std::memory_order_relaxed);
    if (msg != nullptr && msgsize >= -1) {
        // -1: a NUL-terminated body (the library measures it the same way).
        std::size_t len = msgsize == -1 ? std::strlen(msg) : static_cast<std::size_t>(msgsize);
        if (sdp_makes_sofia_loop(std::string_view(msg, len), flags)) {
            refusals.fetch_add(1, std::memory_order_relaxed);
            return library_sdp_parse()(home, "", 0, flags);  // its "bad SDP message"
        }
    }
    return library_sdp_parse()(home, msg, msgsize, flags);
}
