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
    CHECK(k.ours != *k.theirs);
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

TEST_CASE("SDES keys: ours fresh for every call, the offer's line tag 1 and _80, the answer's the peer's tag and suite",
          "[srtp_keys]")
{
    using namespace trunkgw::control;
    const SdesKeys a = sdes_offer();
    const SdesKeys b = sdes_offer();
    CHECK(a.keys.ours != b.keys.ours);  // from the CSPRNG, never repeated
    CHECK_FALSE(a.keys.theirs);         // the answer brings it
    CHECK(a.keys.suite == trunkgw::api::SrtpSuite::aes_cm_128_hmac_sha1_80);
    CHECK((a.line.tag == 1 && a.line.suite == "AES_CM_128_HMAC_SHA1_80"));
    CHECK(srtp_master_from_base64(a.line.key_base64, "ours") == a.keys.ours);  // the line carries our key

    const SdesKeys ans = sdes_answer({7, "AES_CM_128_HMAC_SHA1_32", rfc_key});
    CHECK((ans.line.tag == 7 && ans.line.suite == "AES_CM_128_HMAC_SHA1_32"));
    CHECK(ans.keys.suite == trunkgw::api::SrtpSuite::aes_cm_128_hmac_sha1_32);
    REQUIRE(ans.keys.theirs);
    CHECK(*ans.keys.theirs == srtp_master_from_base64(rfc_key, "theirs"));
    CHECK(ans.keys.ours != *ans.keys.theirs);
    CHECK(srtp_master_from_base64(ans.line.key_base64, "ours") == ans.keys.ours);
    CHECK_THROWS_AS(sdes_answer({1, "AES_CM_128_HMAC_SHA1_80", "not base64"}), std::invalid_argument);
    CHECK_THROWS_AS(sdes_answer({1, "F8_128_HMAC_SHA1_80", rfc_key}), std::invalid_argument);
}
