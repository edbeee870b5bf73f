// SRTP keys as signaling and operators write them (RFC 4568 6.2.1: the
// suite's name and "inline:" base64 of the 30-octet master key and salt),
// for the data plane's cmd_session_srtp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/api/abi.h"
#include "dataplane/api/srtp_suite.h"
#include "signaling/sip/sdp_media.h"

namespace trunkgw::control {

using SrtpMaster = std::array<uint8_t, api::srtp_master_len>;

struct SrtpKeys {
    api::SrtpSuite suite = api::SrtpSuite::none;
    SrtpMaster ours{};                   // protects what we send (our a=crypto's key)
    std::optional<SrtpMaster> theirs{};  // opens what we receive (the peer's a=crypto's key);
                                         // none yet: our offer's answer brings it
};

// The suite of `name`, the keys from plain base64 (the key-params of an
// a=crypto line without "inline:" and without a |lifetime|MKI tail).
// Throws std::invalid_argument naming what is wrong.
SrtpKeys srtp_keys_from_text(std::string_view suite, std::string_view ours_b64, std::string_view theirs_b64);

// 30 octets from base64 (40 characters); throws std::invalid_argument.
SrtpMaster srtp_master_from_base64(std::string_view b64, std::string_view what);

// SDES (RFC 4568) for a call: our keys and the a=crypto line that carries
// ours. Our master key and salt are fresh for every call, from the kernel's
// CSPRNG (RFC 4568 6.1: "the key ... MUST be ... random"; RFC 3711 8.1).
struct SdesKeys {
    SrtpKeys keys;
    sip::SdesKey line;  // our a=crypto (ours in base64)
};
// Our offer: AES_CM_128_HMAC_SHA1_80 (the suite every SDES peer has, RFC
// 4568 6.2.1), tag 1, the peer's key still to come.
SdesKeys sdes_offer();
// Our answer to the peer's line (its tag and suite, RFC 4568 5.1.2), its
// key decoded; throws std::invalid_argument for a key that does not decode.
SdesKeys sdes_answer(const sip::SdesKey& theirs);

}  // namespace trunkgw::control
