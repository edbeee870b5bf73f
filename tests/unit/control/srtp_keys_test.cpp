// SRTP keys from their RFC 4568 text (control/srtp_keys): what trunkctl and
// SDES hand the data plane, and what they refuse.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "control/srtp_keys.h"

using trunkgw::control::srtp_keys_from_text;
using trunkgw::control::SrtpKeys;

namespace {

// RFC 4568 6.2's example key-params (key||salt, 30 octets) and another.
const char* const rfc_key = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
const char* const other_key = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

std::string refusal(const char* suite, const char* ours, const char* theirs)
{
    try {
        (void)srtp_keys_from_text(suite, ours, theirs);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("SRTP keys: RFC 4568 suite names and 30 octets of base64 each way", "[srtp_keys]")
{
    const SrtpKeys k = srtp_keys_from_text("AES_CM_128_HMAC_SHA1_32", rfc_key, other_key);
    CHECK(k.suite == trunkgw::api::SrtpSuite::aes_cm_128_hmac_sha1_32);
    // "PS1u" is 0x3D 0x2D 0x6E.
    CHECK(k.ours[0] == 0x3D);
    CHECK(k.ours[1] == 0x2D);
    CHECK(k.ours[2] == 0x6E);
    CHECK(k.ours != k.theirs);
}

TEST_CASE("SRTP keys: a wrong suite, length, alphabet or one key for both directions is refused with the reason",
          "[srtp_keys]")
{
    CHECK(refusal("AES_CM_128_HMAC_SHA1_80", rfc_key, other_key).empty());
    CHECK(refusal("F8_128_HMAC_SHA1_80", rfc_key, other_key).find("SRTP suite \"F8_128_HMAC_SHA1_80\"") == 0);
    CHECK(refusal("AES_CM_128_HMAC_SHA1_80", "abc", other_key) ==
          "our SRTP key: 3 base64 characters; a master key and salt are 40 (30 octets)");
    CHECK(refusal("AES_CM_128_HMAC_SHA1_80", rfc_key, "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaV") ==
          "their SRTP key: 45 base64 characters; a master key and salt are 40 (30 octets)");
    CHECK(refusal("AES_CM_128_HMAC_SHA1_80", rfc_key, "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaV=R").find(
              "their SRTP key") == 0);
    CHECK(refusal("AES_CM_128_HMAC_SHA1_80", rfc_key, rfc_key) ==
          "our and their SRTP keys are the same: each direction needs its own");
}
