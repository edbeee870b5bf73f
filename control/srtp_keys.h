// SRTP keys as signaling and operators write them (RFC 4568 6.2.1: the
// suite's name and "inline:" base64 of the 30-octet master key and salt),
// for the data plane's cmd_session_srtp.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/api/abi.h"
#include "dataplane/api/srtp_suite.h"

namespace trunkgw::control {

using SrtpMaster = std::array<uint8_t, api::srtp_master_len>;

struct SrtpKeys {
    api::SrtpSuite suite = api::SrtpSuite::none;
    SrtpMaster ours{};    // protects what we send (our a=crypto's key)
    SrtpMaster theirs{};  // opens what we receive (the peer's a=crypto's key)
};

// The suite of `name`, the keys from plain base64 (the key-params of an
// a=crypto line without "inline:" and without a |lifetime|MKI tail).
// Throws std::invalid_argument naming what is wrong.
SrtpKeys srtp_keys_from_text(std::string_view suite, std::string_view ours_b64, std::string_view theirs_b64);

// 30 octets from base64 (40 characters); throws std::invalid_argument.
SrtpMaster srtp_master_from_base64(std::string_view b64, std::string_view what);

}  // namespace trunkgw::control
