// The far end of a session in the media unit tests: RTP packets as a peer
// sends them (one SSRC, sequence numbers in turn, any PT and timestamp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "dataplane/media/rtp_header.h"

namespace trunkgw::media::test {

struct FarEndRtp {
    uint16_t seq = 1;
    uint32_t ts = 160;  // for callers that keep the audio's clock here
    uint32_t ssrc = 0x5EED;

    std::vector<uint8_t> packet(uint8_t pt, bool marker, uint32_t timestamp, const std::vector<uint8_t>& payload)
    {
        std::vector<uint8_t> pkt(rtp_fixed_header_len + payload.size());
        RtpHeaderFields h;
        h.payload_type = pt;
        h.marker = marker;
        h.ssrc = ssrc;
        h.sequence = seq++;
        h.timestamp = timestamp;
        rtp_build_header(h, pkt.data(), pkt.size());
        std::copy(payload.begin(), payload.end(), pkt.begin() + rtp_fixed_header_len);
        return pkt;
    }
};

}  // namespace trunkgw::media::test
