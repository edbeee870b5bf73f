// Q.850 <-> SIP status; see cause_mapping.h.
#include "signaling/interwork/cause_mapping.h"

#include <cctype>
#include <charconv>

namespace trunkgw::interwork {

namespace {

// RFC 3398 8.2.6.1.
int default_sip_status(int q850)
{
    switch (q850) {
    case 1: case 2: case 3: return 404;  // unallocated number, no route to network / destination
    case 17: return 486;                  // user busy
    case 18: return 408;                  // no user responding
    case 19: return 480;                  // no answer from user (user alerted)
    case 20: return 480;                  // subscriber absent
    case 21: return 403;                  // call rejected
    case 22: return 410;                  // number changed (without diagnostic)
    case 23: return 410;                  // redirection to new destination
    case 26: return 404;                  // non-selected user clearing
    case 27: return 502;                  // destination out of order
    case 28: return 484;                  // address incomplete
    case 29: return 501;                  // facility rejected
    case 31: return 480;                  // normal, unspecified
    case 34: return 503;                  // no circuit/channel available
    case 38: return 503;                  // network out of order
    case 41: return 503;                  // temporary failure
    case 42: return 503;                  // switching equipment congestion
    case 47: return 503;                  // resource unavailable, unspecified
    case 55: return 403;                  // incoming calls barred within CUG
    case 57: return 403;                  // bearer capability not authorized
    case 58: return 503;                  // bearer capability not presently available
    case 65: return 488;                  // bearer capability not implemented
    case 70: return 488;                  // only restricted digital information available
    case 79: return 501;                  // service or option not implemented
    case 87: return 403;                  // user not member of CUG
    case 88: return 503;                  // incompatible destination
    case 102: return 504;                 // recovery on timer expiry
    case 111: return 500;                 // protocol error, unspecified
    case 127: return 500;                 // interworking, unspecified
    default: break;
    }
    // Unlisted: by class (Q.850 Table 1): normal events 480, resource
    // unavailable 503, anything else 500.
    if (q850 >= 1 && q850 <= 31) {
        return 480;
    }
    if (q850 >= 32 && q850 <= 47) {
        return 503;
    }
    return 500;
}

// RFC 3398 7.2.4.1 / Q.1912.5.
int default_q850_cause(int sip)
{
    switch (sip) {
    case 400: return 41;   // bad request: temporary failure
    case 401: return 21;   // unauthorized: call rejected
    case 402: return 21;
    case 403: return 21;
    case 404: return 1;    // not found: unallocated number
    case 405: return 63;   // method not allowed: service or option unavailable
    case 406: return 79;
    case 407: return 21;
    case 408: return 102;  // request timeout: recovery on timer expiry
    case 410: return 22;   // gone: number changed
    case 413: return 127;
    case 414: return 127;
    case 415: return 79;
    case 416: return 127;
    case 420: return 127;
    case 421: return 127;
    case 423: return 127;
    case 480: return 18;   // temporarily unavailable: no user responding
    case 481: return 41;
    case 482: return 25;   // loop detected: exchange routing error
    case 483: return 25;
    case 484: return 28;   // address incomplete: invalid number format
    case 485: return 1;
    case 486: return 17;   // busy here: user busy
    case 487: return 127;  // request terminated
    case 488: return 65;   // not acceptable here: bearer capability not implemented
    case 500: return 41;
    case 501: return 79;
    case 502: return 38;   // bad gateway: network out of order
    case 503: return 34;   // service unavailable: no circuit/channel available
    case 504: return 102;
    case 505: return 127;
    case 513: return 127;
    case 600: return 17;   // busy everywhere
    case 603: return 21;   // decline: call rejected
    case 604: return 1;    // does not exist anywhere
    case 606: return 58;   // not acceptable
    default: break;
    }
    return 127;  // interworking, unspecified (Q.1912.5: responses not listed)
}

}  // namespace

int CauseMap::to_sip(int q850) const
{
    auto it = _q850_to_sip.find(q850);
    return it != _q850_to_sip.end() ? it->second : default_sip_status(q850);
}

int CauseMap::to_q850(int sip) const
{
    auto it = _sip_to_q850.find(sip);
    return it != _sip_to_q850.end() ? it->second : default_q850_cause(sip);
}

std::string reason_header(int q850)
{
    return "Q.850;cause=" + std::to_string(q850);
}

std::optional<int> q850_from_reason(std::string_view h)
{
    // reason-value = protocol *(SEMI reason-params), RFC 3326 section 2;
    // several are separated by commas.
    while (!h.empty()) {
        std::size_t comma = h.find(',');
        std::string_view one = h.substr(0, comma);
        h = comma == std::string_view::npos ? std::string_view() : h.substr(comma + 1);
        while (!one.empty() && std::isspace(static_cast<unsigned char>(one.front()))) {
            one.remove_prefix(1);
        }
        if (one.size() < 5 || (one.substr(0, 5) != "Q.850" && one.substr(0, 5) != "q.850")) {
            continue;
        }
        std::size_t at = one.find("cause=");
        if (at == std::string_view::npos) {
            continue;
        }
        std::string_view digits = one.substr(at + 6);
        int v = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
        if (ec == std::errc() && end != digits.data() && v >= 1 && v <= 127) {
            return v;
        }
    }
    return std::nullopt;
}

int q850_for_response(const CauseMap& map, int sip_status, std::string_view reason)
{
    if (auto c = q850_from_reason(reason)) {
        return *c;
    }
    return map.to_q850(sip_status);
}

}  // namespace trunkgw::interwork
