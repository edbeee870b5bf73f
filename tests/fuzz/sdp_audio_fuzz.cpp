// Any octets as the SDP body of an INVITE, a re-INVITE or an answer: what
// the gateway reads of it (signaling/sip/sdp_media: Sofia's SDP parser,
// then the first audio line). Sofia itself is a Debian binary and not
// instrumented; this guides on our side and catches crashes on both.
//
// What is read must survive a round trip: our own description of the media
// the peer asked for parses back to the same address, port and codec (and
// SDES key, RFC 4568). And
// the guard in front of Sofia's parser (signaling/sip/sdp_guard.h) is
// linked in, so that the fuzzer goes past the loop it keeps Sofia out of
// (libFuzzer's memory limit catches any loop it lets through).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "signaling/sip/sdp_media.h"

namespace {

// One reading (a plain or an srtp trunk's) and its round trip.
void read_and_describe(const std::string& text, bool srtp)
{
    using namespace trunkgw::sip;
    auto remote = parse_audio(text, srtp);
    if (!remote) {
        return;
    }
    int pt = choose_g711(*remote, 8);
    LocalMedia ours{remote->ipv4, remote->port, pt == -1 ? 8 : pt, remote->ptime_ms, remote->telephone_event_pt};
    ours.sdes = remote->sdes;  // an SDES answer names the offer's line (RFC 4568 5.1.2)
    const std::vector<int> formats = ours.telephone_event_pt != 0
                                         ? std::vector<int>{ours.payload_type, ours.telephone_event_pt}
                                         : std::vector<int>{ours.payload_type};
    auto back = parse_audio(describe(ours, 1, 1), srtp);
    if (!back || back->ipv4 != ours.ipv4 || back->port != ours.port || back->payload_types != formats ||
        back->telephone_event_pt != ours.telephone_event_pt || back->ptime_ms != ours.ptime_ms ||
        // port 0: a rejected stream (RFC 3264 6); address 0: c=0.0.0.0, the old hold (8.4)
        back->inactive != (ours.port == 0 || ours.ipv4 == 0) ||
        // RTP/SAVP exactly when we have a key, and the key read back as written
        back->savp != ours.sdes.has_value() || back->sdes.has_value() != ours.sdes.has_value() ||
        (ours.sdes && (back->sdes->tag != ours.sdes->tag || back->sdes->suite != ours.sdes->suite ||
                       back->sdes->key_base64 != ours.sdes->key_base64))) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    read_and_describe(text, false);
    read_and_describe(text, true);
    return 0;
}
