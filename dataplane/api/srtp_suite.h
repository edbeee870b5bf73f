// The SRTP crypto suites of RFC 4568 6.2.1 that trunkgw speaks, by the
// number cmd_session_srtp carries and by the name SDES and trunkctl use.
#pragma once

#include <cstdint>
#include <string_view>

namespace trunkgw::api {

enum class SrtpSuite : uint8_t {
    none = 0,
    aes_cm_128_hmac_sha1_80 = 1,
    aes_cm_128_hmac_sha1_32 = 2,
};

// RFC 4568's name of a suite ("AES_CM_128_HMAC_SHA1_80"); "" for none.
constexpr std::string_view srtp_suite_name(SrtpSuite s)
{
    switch (s) {
    case SrtpSuite::aes_cm_128_hmac_sha1_80:
        return "AES_CM_128_HMAC_SHA1_80";
    case SrtpSuite::aes_cm_128_hmac_sha1_32:
        return "AES_CM_128_HMAC_SHA1_32";
    case SrtpSuite::none:
        break;
    }
    return "";
}

// The suite of a name; none for a name that is not one of ours.
constexpr SrtpSuite srtp_suite_of(std::string_view name)
{
    for (SrtpSuite s : {SrtpSuite::aes_cm_128_hmac_sha1_80, SrtpSuite::aes_cm_128_hmac_sha1_32}) {
        if (name == srtp_suite_name(s)) {
            return s;
        }
    }
    return SrtpSuite::none;
}

// RFC 4568 6.2.1: a suite's key-params carry "the base64 encoding of the
// concatenated master key and salt": 30 octets, exactly 40 characters of
// the base64 alphabet, no padding. True when `b64` looks like one (SDP
// reading and trunkctl's keys both check it; decoding is the caller's).
constexpr bool srtp_master_text(std::string_view b64)
{
    return b64.size() == 40 &&
           b64.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") ==
               std::string_view::npos;
}

}  // namespace trunkgw::api
