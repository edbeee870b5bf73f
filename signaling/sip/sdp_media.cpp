// SDP audio parsing and our session description; see sdp_media.h.
#include "signaling/sip/sdp_media.h"

#include <arpa/inet.h>
#include <strings.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include "dataplane/api/srtp_suite.h"
#include "dataplane/media/g711_codec.h"
#include "dataplane/net/ipv4.h"

namespace trunkgw::sip {

namespace {

struct Home {
    su_home_t* h = static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)));
    ~Home() { su_home_unref(h); }
};

bool has_attribute(sdp_attribute_t const* a, const char* name)
{
    return sdp_attribute_find(a, name) != nullptr;
}

// An a=crypto key lifetime (RFC 4568 9.1: "2^" 1*(DIGIT) or 1*(DIGIT))
// of at least 2^20 packets.
bool long_enough(const std::string& lifetime)
{
    constexpr unsigned long long at_least = 1ull << 20;
    const bool power = lifetime.rfind("2^", 0) == 0;
    const std::string digits = power ? lifetime.substr(2) : lifetime;
    if (digits.empty() || digits.size() > 15 || digits.find_first_not_of("0123456789") != std::string::npos) {
        return false;
    }
    const unsigned long long v = std::strtoull(digits.c_str(), nullptr, 10);
    return power ? v >= 20 && v <= 63 : v >= at_least;
}

}  // namespace

std::optional<RemoteMedia> parse_audio(const std::string& text, bool srtp)
{
    Home home;
    sdp_parser_t* p = sdp_parse(home.h, text.c_str(), static_cast<issize_t>(text.size()), 0);
    if (p == nullptr) {
        return std::nullopt;
    }
    sdp_session_t* s = sdp_session(p);
    std::optional<RemoteMedia> out;
    if (s != nullptr && sdp_parsing_error(p) == nullptr) {
        // The first audio line of the profile wanted; else the first of the
        // other (which the caller then refuses, counted). An offer of both,
        // SRTP first ("best effort"), still reaches a plain trunk.
        const sdp_proto_e wanted = srtp ? sdp_proto_srtp : sdp_proto_rtp;
        sdp_media_t* chosen = nullptr;
        sdp_media_t* other = nullptr;
        for (sdp_media_t* m = s->sdp_media; m != nullptr && chosen == nullptr; m = m->m_next) {
            if (m->m_type == sdp_media_audio && m->m_proto == wanted) {
                chosen = m;
            } else if (other == nullptr && m->m_type == sdp_media_audio &&
                       (m->m_proto == sdp_proto_rtp || m->m_proto == sdp_proto_srtp)) {
                other = m;
            }
        }
        chosen = chosen != nullptr ? chosen : other;
        for (sdp_media_t* m = s->sdp_media; m != nullptr; m = m->m_next) {
            if (m != chosen) {
                continue;
            }
            // RFC 4566 5.14: "<port> is the transport port to which the
            // media stream is sent" -- a UDP port, 16 bits. Sofia's parser
            // takes any unsigned long; a larger number is malformed, not a
            // port to truncate (70000 would send our RTP to 4464).
            if (m->m_port > UINT16_MAX) {
                break;
            }
            RemoteMedia r;
            r.port = static_cast<uint16_t>(m->m_port);
            sdp_connection_t* c = m->m_connections != nullptr ? m->m_connections : s->sdp_connection;
            in_addr a{};
            const bool ipv4 = c != nullptr && c->c_address != nullptr && inet_pton(AF_INET, c->c_address, &a) == 1;
            r.ipv4 = ipv4 ? ntohl(a.s_addr) : 0;
            if (ipv4 && r.ipv4 == 0) {
                // RFC 3264 8.4: "c=IN IP4 0.0.0.0" is RFC 2543's hold,
                // which an answerer must still understand. No address to
                // send to, so no port either: a call keeps the remote it
                // had (CallManager), a new one learns it by latching.
                r.inactive = true;
                r.port = 0;
            } else if (!net::ipv4_source_valid(r.ipv4)) {
                // No address we can send to (a name, IPv6, or one RFC
                // 1122 3.2.1.3 keeps off the wire: 0/8, loopback,
                // multicast, class E and broadcast): the port means
                // nothing without one. Port 0 leaves the far end unknown
                // until its RTP arrives and is latched (symmetric RTP).
                r.ipv4 = 0;
                r.port = 0;
            }
            for (sdp_rtpmap_t* rm = m->m_rtpmaps; rm != nullptr; rm = rm->rm_next) {
                r.payload_types.push_back(static_cast<int>(rm->rm_pt));
                // RFC 4733 7.1.1: "a=rtpmap:<pt> telephone-event/8000"
                // (media type names are case-insensitive, RFC 4855 3).
                if (r.telephone_event_pt == 0 && rm->rm_encoding != nullptr &&
                    strcasecmp(rm->rm_encoding, "telephone-event") == 0 && rm->rm_rate == 8000 &&
                    media::is_dynamic_payload_type(rm->rm_pt)) {
                    r.telephone_event_pt = static_cast<int>(rm->rm_pt);
                }
            }
            if (sdp_attribute_t* pt = sdp_attribute_find(m->m_attributes, "ptime"); pt != nullptr && pt->a_value) {
                r.ptime_ms = static_cast<uint32_t>(std::strtoul(pt->a_value, nullptr, 10));
            }
            // RFC 3264 8.4 hold: the peer sends only, or nothing. Sofia's
            // parser turns the direction attributes into m_mode (sendrecv
            // when none is given).
            // RFC 3264 5.1: a port of zero means the stream is not to be
            // used: nothing is sent on it either.
            r.inactive = r.inactive || m->m_port == 0 || has_attribute(m->m_attributes, "inactive") ||
                         has_attribute(m->m_attributes, "sendonly") || m->m_mode == sdp_inactive ||
                         m->m_mode == sdp_sendonly;
            // RFC 4568 5: "the crypto attribute ... MUST only be used with
            // the SRTP transport" (RTP/SAVP); on RTP/AVP it means nothing.
            r.savp = m->m_proto == sdp_proto_srtp;
            if (r.savp) {
                std::vector<std::string> crypto;
                for (sdp_attribute_t* at = m->m_attributes; at != nullptr; at = at->a_next) {
                    if (at->a_name != nullptr && strcasecmp(at->a_name, "crypto") == 0 && at->a_value != nullptr) {
                        crypto.emplace_back(at->a_value);
                    }
                }
                r.sdes = choose_sdes(crypto);
            }
            out = r;
            break;
        }
    }
    sdp_parser_free(p);
    return out;
}

namespace {

// One a=crypto value into `k`; false when it is not one we can use.
bool read_crypto(const std::string& v, SdesKey& k)
{
    // <tag> 1*9DIGIT, one space, <crypto-suite>, one space, <key-params>
    // (several joined by ';'), then session parameters, if any, each
    // after a space (RFC 4568 9.1: "WSP").
    std::size_t i = 0;
    while (i < v.size() && i < 9 && v[i] >= '0' && v[i] <= '9') {
        ++i;
    }
    if (i == 0 || i >= v.size() || v[i] != ' ') {
        return false;
    }
    k.tag = static_cast<uint32_t>(std::strtoul(v.substr(0, i).c_str(), nullptr, 10));
    const std::size_t suite_end = v.find(' ', i + 1);
    if (suite_end == std::string::npos) {
        return false;
    }
    k.suite = v.substr(i + 1, suite_end - i - 1);
    if (api::srtp_suite_of(k.suite) == api::SrtpSuite::none) {
        return false;  // not one of ours (names are case-sensitive: RFC 4568 9.1's literal strings)
    }
    const std::string params = v.substr(suite_end + 1);
    // One key, no session parameters: nothing after it but a lifetime.
    if (params.find_first_of("; \t") != std::string::npos || params.rfind("inline:", 0) != 0) {
        return false;
    }
    const std::string key = params.substr(7);
    const std::size_t bar = key.find('|');
    k.key_base64 = key.substr(0, bar);
    // "|MKI:length" must not follow (we send no MKI); "|lifetime" may
    // (RFC 4568 6.1: the key's packet count, 2^n or a decimal) when a
    // call could not outlive it: we never re-key, and 2^20 packets
    // last 5.8 hours at 50 a second (libsrtp's own limit is 2^48).
    if (bar != std::string::npos) {
        const std::string lifetime = key.substr(bar + 1);
        if (lifetime.find_first_of(":|") != std::string::npos || !long_enough(lifetime)) {
            return false;
        }
    }
    return api::srtp_master_text(k.key_base64);
}

}  // namespace

std::optional<SdesKey> choose_sdes(const std::vector<std::string>& values)
{
    std::optional<SdesKey> out(std::in_place);  // filled in place (GCC 12 warns falsely on a copy)
    for (const std::string& v : values) {
        if (read_crypto(v, *out)) {
            return out;
        }
    }
    return std::nullopt;
}

int choose_g711(const RemoteMedia& offer, int preferred)
{
    int first = -1;
    for (int pt : offer.payload_types) {
        if (pt == preferred) {
            return pt;
        }
        if (first < 0 && (pt == 0 || pt == 8)) {
            first = pt;
        }
    }
    return first;
}

std::string describe(const LocalMedia& m, uint64_t session_id, uint64_t version)
{
    const std::string ip = ipv4_text(m.ipv4);
    const char* codec = m.payload_type == 0 ? "PCMU" : "PCMA";
    std::string s;
    s += "v=0\r\n";
    s += "o=trunkgw " + std::to_string(session_id) + " " + std::to_string(version) + " IN IP4 " + ip + "\r\n";
    s += "s=trunkgw\r\n";
    s += std::string("c=IN IP4 ") + ip + "\r\n";
    s += "t=0 0\r\n";
    const std::string te = m.telephone_event_pt != 0 ? std::to_string(m.telephone_event_pt) : std::string();
    s += "m=audio " + std::to_string(m.port) + (m.sdes ? " RTP/SAVP " : " RTP/AVP ") + std::to_string(m.payload_type);
    if (!te.empty()) {
        s += ' ';
        s += te;
    }
    s += "\r\n";
    s += "a=rtpmap:" + std::to_string(m.payload_type) + " " + codec + "/8000\r\n";
    if (!te.empty()) {
        // RFC 4733 7.1.1; events 0-15 (the DTMF of 3.2) are what we play.
        s += "a=rtpmap:" + te + " telephone-event/8000\r\n";
        s += "a=fmtp:" + te + " 0-15\r\n";
    }
    s += "a=ptime:" + std::to_string(m.ptime_ms) + "\r\n";
    if (m.sdes) {
        s += "a=crypto:" + std::to_string(m.sdes->tag) + " " + m.sdes->suite + " inline:" + m.sdes->key_base64 + "\r\n";
    }
    s += "a=sendrecv\r\n";
    return s;
}

}  // namespace trunkgw::sip
