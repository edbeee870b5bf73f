// bench/audio's DTMF keying and detection: the generator the tests key
// digits with, and the judge that hears them, agree; what is no key is
// refused.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "bench/audio/dtmf.h"

namespace audio = trunkgw::audio;

TEST_CASE("dtmf: every key keyed in either law is heard back, in order", "[dtmf]")
{
    const auto law = GENERATE(audio::Law::alaw, audio::Law::ulaw);
    const std::string keys = "0123456789*#ABCD";
    const std::vector<uint8_t> octets = audio::dtmf_keyed(keys, law, 100, 100);
    CHECK(octets.size() == keys.size() * 200 * 8);  // 100 ms on and 100 ms off each
    CHECK(audio::dtmf_digits(octets, law) == keys);
}

TEST_CASE("dtmf: too short a tone is not a key (ITU-T Q.24: under 23 ms rejected)", "[dtmf]")
{
    CHECK(audio::dtmf_digits(audio::dtmf_keyed("5", audio::Law::alaw, 15, 100), audio::Law::alaw).empty());
    CHECK(audio::dtmf_digits(audio::dtmf_keyed("5", audio::Law::alaw, 60, 100), audio::Law::alaw) == "5");
}

TEST_CASE("dtmf: characters that are no key are refused", "[dtmf]")
{
    CHECK_THROWS_AS(audio::dtmf_keyed("12x", audio::Law::alaw, 100, 100), std::invalid_argument);
    CHECK_THROWS_AS(audio::dtmf_keyed("a", audio::Law::alaw, 100, 100), std::invalid_argument);
}
