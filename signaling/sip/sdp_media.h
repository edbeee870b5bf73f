// The audio part of SDP (RFC 4566) as the gateway uses it: what a peer's
// offer or answer says about its RTP (address, port, payload types, ptime),
// parsed with Sofia's SDP parser, and our own description of one session
// (the data plane's address and port, one G.711 codec: RFC 3551 payload
// type 8 PCMA or 0 PCMU). Offer/answer itself is Sofia's SOA (sip_agent).
// SRTP keys travel in the SDP (SDES, RFC 4568: a=crypto on an RTP/SAVP
// m= line), so they are read and written here too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/net/ipv4.h"

namespace trunkgw::sip {

// One a=crypto line (RFC 4568 9.1: "a=crypto:<tag> <crypto-suite>
// <key-params>"), as we can use it: a suite of RFC 4568 6.2.1 that the data
// plane has, one inline key (key||salt, base64) without an MKI, and no
// session parameters.
struct SdesKey {
    uint32_t tag = 0;        // an answer names the tag of the offer's line it takes (RFC 4568 5.1.2)
    std::string suite;       // AES_CM_128_HMAC_SHA1_80 or _32
    std::string key_base64;  // the 30-octet master key and salt, 40 base64 characters
};

// The first a=crypto value of `values` we can use (in the offerer's order
// of preference, RFC 4568 5.1.1); nullopt when none. Skipped: unknown
// suites, several keys or an MKI (RFC 4568 6.1: we send no MKI), a key
// that is not 40 base64 characters, any session parameter (6.3: we support
// none, so such a line is not acceptable).
std::optional<SdesKey> choose_sdes(const std::vector<std::string>& values);

struct RemoteMedia {
    uint32_t ipv4 = 0;  // host order; 0: no unicast address to send to (c=0.0.0.0, a name, IPv6, ...)
    uint16_t port = 0;  // 0: no address to send to, or a stream not to be used (m=audio 0)
    std::vector<int> payload_types;  // the m=audio line's formats, in order
    uint32_t ptime_ms = 0;           // a=ptime, 0: not given
    // Send nothing: a=inactive, a=sendonly, c=0.0.0.0 (RFC 3264 8.4: hold)
    // or m=audio 0 (5.1).
    bool inactive = false;
    // The PT its a=rtpmap binds to telephone-event/8000 (RFC 4733 7.1.1:
    // DTMF events), 0: none.
    int telephone_event_pt = 0;
    // m=audio ... RTP/SAVP (RFC 3711 14.2): SRTP, its key in sdes.
    bool savp = false;
    std::optional<SdesKey> sdes{};  // RTP/SAVP only: the a=crypto line we take (choose_sdes)
};

struct LocalMedia {
    uint32_t ipv4 = 0;  // host order
    uint16_t port = 0;
    int payload_type = 8;
    uint32_t ptime_ms = 20;
    // telephone-event/8000 with this PT and events 0-15 (RFC 4733 7.1.1:
    // we receive DTMF as events), 0: not offered.
    int telephone_event_pt = 0;
    // RTP/SAVP with this a=crypto line (our key: what we send with);
    // none: RTP/AVP.
    std::optional<SdesKey> sdes{};
};

// The first m=audio over RTP/AVP (`srtp`: RTP/SAVP), else the first over
// the other of the two; nullopt when the SDP does
// not parse, has none, or that line's port is not a 16-bit number (the
// caller refuses with 488).
std::optional<RemoteMedia> parse_audio(const std::string& sdp, bool srtp = false);

// The first payload type of `offer` we can carry (PCMA or PCMU; the
// preferred one when the offer has both), -1 for none.
int choose_g711(const RemoteMedia& offer, int preferred);

using net::ipv4_text;  // "a.b.c.d", as SDP and SIP URIs write it

// Our SDP for one session. `version` increments with every change (RFC
// 3264 8: o= version).
std::string describe(const LocalMedia& m, uint64_t session_id, uint64_t version);

}  // namespace trunkgw::sip
