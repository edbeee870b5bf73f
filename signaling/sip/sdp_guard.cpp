// The guard in front of Sofia-SIP's SDP parser; see sdp_guard.h.
#include "signaling/sip/sdp_guard.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include <strings.h>

#include <sofia-sip/sdp.h>

namespace trunkgw::sip {

namespace {

std::atomic<uint64_t> refusals{0};

// Sofia's sdp_parse.c: SPACE, SPACE TAB and TOKEN (RFC 4566's token
// characters).
constexpr const char* space = " ";
constexpr const char* space_tab = " \t";
constexpr const char* token_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`{|}~";
constexpr const char* proto_chars = "/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`{|}~";

using SdpParse = sdp_parser_t* (*)(su_home_t*, char const[], issize_t, int);

SdpParse library_sdp_parse()
{
    // Resolved once: the next definition after ours, the library's.
    static const auto fn = reinterpret_cast<SdpParse>(dlsym(RTLD_NEXT, "sdp_parse"));
    return fn;
}

// Sofia's token(&r, sep, legal, strip): skips `strip`, takes the longest
// run of `legal` (none: no token, and r is NOT moved), then swallows the
// one character that ended it, whatever it is, and any `sep` after it.
// Returns false for no token; `taken` gets the token.
bool take_token(const char*& r, const char* sep, const char* legal, const char* strip, std::string* taken = nullptr)
{
    const char* p = r + (strip != nullptr ? std::strspn(r, strip) : 0);
    std::size_t n = std::strspn(p, legal);
    if (n == 0) {
        return false;
    }
    if (taken != nullptr) {
        taken->assign(p, n);
    }
    if (p[n] != '\0') {
        ++n;
        n += std::strspn(p + n, sep);
    }
    r = p + n;
    return true;
}

// Sofia's parse_ul(): false where it reports "invalid port".
bool take_number(const char*& r)
{
    const char* ul = r + std::strspn(r, space_tab);
    char* end = nullptr;
    (void)std::strtoul(ul, &end, 10);
    if (end == ul) {
        return false;
    }
    r = end + std::strspn(end, space_tab);
    return true;
}

// Follows Sofia 1.12's parse_media() over one m= field (`r`: after "m="
// and the spaces and tabs it skips) to its format list, and says whether
// the list's loop would end. That loop ("while (r && *r)", a list element
// allocated, then token(&r, SPACE TAB, TOKEN, SPACE TAB)) never moves r
// when no token starts there: a format starting with a character outside
// TOKEN ("/", "@", ...), or a tab left after the protocol, loops for good.
// An RTP protocol's list is read by parse_payload() instead, which ends
// (a number, or an error); whether the protocol is one is asked of the
// library itself (sdp_media_transport(), sdp_media_has_rtp(); a bare
// "RTP" is RTP too unless the parse is strict). A field Sofia rejects
// before its format list is safe: Sofia reports the error.
bool format_list_loops(const char* r, bool strict)
{
    if (!take_token(r, space, token_chars, nullptr)) {  // media
        return false;
    }
    if (!take_number(r)) {  // port
        return false;
    }
    if (*r == '/') {  // "/" number of ports
        ++r;
        if (!take_number(r)) {
            return false;
        }
    }
    std::string proto;
    if (!take_token(r, space, proto_chars, space, &proto)) {
        return false;
    }
    sdp_media_t m{};
    m.m_size = sizeof m;
    sdp_media_transport(&m, proto.c_str());
    if (sdp_media_has_rtp(&m) || (!strict && strcasecmp(proto.c_str(), "RTP") == 0)) {
        return false;
    }
    while (*r != '\0') {
        if (!take_token(r, space_tab, token_chars, space_tab)) {
            return true;
        }
    }
    return false;
}

}  // namespace

const char* sdp_unsafe_reason(std::string_view sdp, int sdp_flags)
{
    // Strict parsing skips no white space before or inside a field's start.
    const bool strict = (sdp_flags & sdp_f_strict) != 0;
    const char* skip = strict ? "" : space_tab;
    // Sofia copies the body with strncpy: nothing after a NUL is parsed.
    sdp = sdp.substr(0, sdp.find('\0'));
    std::string line;
    while (!sdp.empty()) {
        std::size_t end = sdp.find_first_of("\r\n");
        line.assign(sdp.substr(0, end));
        sdp = end == std::string_view::npos ? std::string_view() : sdp.substr(end + 1);
        const char* r = line.c_str();
        r += std::strspn(r, skip);
        if (r[0] == 'm' && r[1] == '=') {
            r += 2;
            r += std::strspn(r, skip);
            if (format_list_loops(r, strict)) {
                return "an m= line whose format list Sofia-SIP 1.12 cannot leave (a format starting with a "
                       "character outside RFC 4566's token, or a tab after the protocol)";
            }
        }
    }
    return nullptr;
}

uint64_t sdp_guard_refusals()
{
    return refusals.load(std::memory_order_relaxed);
}

bool sdp_guard_active()
{
    return dlsym(RTLD_DEFAULT, "sdp_parse") == reinterpret_cast<void*>(&::sdp_parse) && library_sdp_parse() != nullptr;
}

}  // namespace trunkgw::sip

// Our sdp_parse, bound ahead of the library's (see sdp_guard.h). Same
// contract: always a parser handle, with a session or an error.
extern "C" sdp_parser_t* sdp_parse(su_home_t* home, char const msg[], issize_t msgsize, int flags)
{
    using namespace trunkgw::sip;
    // (A size of -1 is refused by the library itself: "invalid input message".)
    if (msg != nullptr && msgsize > 0 &&
        sdp_unsafe_reason(std::string_view(msg, static_cast<std::size_t>(msgsize)), flags) != nullptr) {
        refusals.fetch_add(1, std::memory_order_relaxed);
        return library_sdp_parse()(home, "", 0, flags);  // its "bad SDP message"
    }
    return library_sdp_parse()(home, msg, msgsize, flags);
}
