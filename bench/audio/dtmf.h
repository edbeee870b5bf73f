// The DTMF digits heard in G.711 audio: the judge of tests that send
// digits through the gateway (RFC 4733 events played on a B-channel, in-band
// tones). SpanDSP's detector (Goertzel filters with ITU-T Q.24's twist,
// level and duration checks) is independent of the tone generator the
// data plane plays with.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bench/audio/tone.h"

namespace trunkgw::audio {

// The digits ("0"-"9", "*", "#", "A"-"D") detected in `octets`, in order.
std::string dtmf_digits(std::span<const uint8_t> octets, Law law);

// `digits` keyed as a keypad sends them, by SpanDSP's generator (ITU-T
// Q.23 pairs, each tone at level_dbm0: its default is -10): on_ms of each
// tone, off_ms of silence after it; G.711 octets. Throws
// std::invalid_argument for a character that is no key.
std::vector<uint8_t> dtmf_keyed(const std::string& digits, Law law, int on_ms, int off_ms, int level_dbm0 = -10);

}  // namespace trunkgw::audio
