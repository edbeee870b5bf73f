// The RTP fixed header (RFC 3550 5.1): parse a received packet down to its
// payload, and build the header of a packet we send.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                           timestamp                           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           synchronization source (SSRC) identifier            |
//   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//   |            contributing source (CSRC) identifiers             |
//   |                             ....                              |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Parsing never copies: the result points into the packet. Nothing here
// allocates or throws.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trunkgw::media {

inline constexpr std::size_t rtp_fixed_header_len = 12;
inline constexpr uint8_t rtp_version = 2;
inline constexpr std::size_t rtp_max_csrc = 15;  // the CC field has 4 bits

enum class RtpParseError : uint8_t {
    ok = 0,
    too_short,      // under 12 octets, or shorter than the CSRC list CC announces
    bad_version,    // V != 2 (RFC 3550 5.1)
    bad_extension,  // X = 1 but the extension header or its data runs past the end (5.3.1)
    bad_padding,    // P = 1 but the count is 0 or eats into the header (5.1, A.1)
};

// Names for counters and logs: "too_short", "bad_version", ...
const char* rtp_parse_error_name(RtpParseError e);

struct RtpHeader {
    bool padding = false;
    bool extension = false;
    uint8_t csrc_count = 0;
    bool marker = false;
    uint8_t payload_type = 0;
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    uint32_t ssrc = 0;
};

struct RtpPacketView {
    RtpParseError error = RtpParseError::too_short;
    RtpHeader header;
    const uint8_t* csrc = nullptr;     // csrc_count big-endian 32-bit identifiers
    uint16_t extension_profile = 0;    // "defined by profile" field (5.3.1), when X = 1
    uint16_t extension_words = 0;      // its length in 32-bit words, excluding the 4-octet header
    const uint8_t* payload = nullptr;  // after the CSRC list and extension, before padding
    std::size_t payload_len = 0;
    uint8_t padding_len = 0;  // octets stripped from the end, including the count itself

    bool ok() const { return error == RtpParseError::ok; }
    // The i-th CSRC (i < header.csrc_count).
    uint32_t csrc_at(std::size_t i) const;
};

// Parses `len` octets. On error only `error` (and whatever was read before
// the failing check) is meaningful. The payload type is not judged here: that
// is the session's business (RFC 3550 A.1 leaves it to the profile).
RtpPacketView rtp_parse(const uint8_t* pkt, std::size_t len);

// The fields of a header we send. We never send padding or an extension.
struct RtpHeaderFields {
    bool marker = false;
    uint8_t payload_type = 0;  // 7 bits
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    uint32_t ssrc = 0;
    const uint32_t* csrc = nullptr;  // host order
    uint8_t csrc_count = 0;          // at most 15
};

// Writes the header (12 + 4 * csrc_count octets) to `out`. Returns its length,
// -ENOSPC when `cap` is too small, -EINVAL for a PT over 127 or more than 15
// CSRCs.
int rtp_build_header(const RtpHeaderFields& h, uint8_t* out, std::size_t cap);

}  // namespace trunkgw::media
