// The DTMF digits heard in G.711 audio: the judge of tests that send
// digits through the gateway (RFC 4733 events played on a B-channel, in-band
// tones). SpanDSP's detector (Goertzel filters with ITU-T Q.24's twist,
// level and duration checks) is independent of the tone generator the
// data plane plays with.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "bench/audio/tone.h"

namespace trunkgw::audio {

// The digits ("0"-"9", "*", "#", "A"-"D") detected in `octets`, in order.
std::string dtmf_digits(std::span<const uint8_t> octets, Law law);

}  // namespace trunkgw::audio
