// RTP fixed header; see rtp_header.h.
#include "dataplane/media/rtp_header.h"

#include <cerrno>

#include "tdm/bits/byte_order.h"

namespace trunkgw::media {

using namespace trunkgw::bytes;

const char* rtp_parse_error_name(RtpParseError e)
{
    switch (e) {
    case RtpParseError::ok:
        return "ok";
    case RtpParseError::too_short:
        return "too_short";
    case RtpParseError::bad_version:
        return "bad_version";
    case RtpParseError::bad_extension:
        return "bad_extension";
    case RtpParseError::bad_padding:
        return "bad_padding";
    }
    return "unknown";
}

uint32_t RtpPacketView::csrc_at(std::size_t i) const
{
    return load_be32(csrc + 4 * i);
}

RtpPacketView rtp_parse(const uint8_t* pkt, std::size_t len)
{
    RtpPacketView v;
    if (len < rtp_fixed_header_len) {
        v.error = RtpParseError::too_short;
        return v;
    }
    // RFC 3550 5.1: "version (V): 2 bits. This field identifies the version
    // of RTP. The version defined by this specification is two (2)."
    if ((pkt[0] >> 6) != rtp_version) {
        v.error = RtpParseError::bad_version;
        return v;
    }
    RtpHeader& h = v.header;
    h.padding = (pkt[0] & 0x20) != 0;
    h.extension = (pkt[0] & 0x10) != 0;
    h.csrc_count = pkt[0] & 0x0F;
    h.marker = (pkt[1] & 0x80) != 0;
    h.payload_type = pkt[1] & 0x7F;
    h.sequence = load_be16(pkt + 2);
    h.timestamp = load_be32(pkt + 4);
    h.ssrc = load_be32(pkt + 8);

    // 5.1: "CSRC count (CC): 4 bits. The CSRC count contains the number of
    // CSRC identifiers that follow the fixed header."
    std::size_t off = rtp_fixed_header_len + 4u * h.csrc_count;
    if (len < off) {
        v.error = RtpParseError::too_short;
        return v;
    }
    v.csrc = pkt + rtp_fixed_header_len;

    // 5.3.1: "If the X bit in the RTP header is one, a variable-length header
    // extension MUST be appended to the RTP header, following the CSRC list
    // if present. The header extension contains a 16-bit length field that
    // counts the number of 32-bit words in the extension, excluding the
    // four-octet extension header". We skip it.
    if (h.extension) {
        if (len < off + 4) {
            v.error = RtpParseError::bad_extension;
            return v;
        }
        v.extension_profile = load_be16(pkt + off);
        v.extension_words = load_be16(pkt + off + 2);
        off += 4 + 4u * v.extension_words;
        if (len < off) {
            v.error = RtpParseError::bad_extension;
            return v;
        }
    }

    std::size_t end = len;
    // 5.1: "padding (P): 1 bit. If the padding bit is set, the packet
    // contains one or more additional padding octets at the end which are not
    // part of the payload. The last octet of the padding contains a count of
    // how many padding octets should be ignored, including itself."
    // A.1: "If the P bit is set, then the last octet of the packet must
    // contain a valid octet count, in particular, less than the total packet
    // length minus the header size."
    if (h.padding) {
        uint8_t pad = pkt[len - 1];
        if (pad == 0 || pad > len - off) {
            v.error = RtpParseError::bad_padding;
            return v;
        }
        v.padding_len = pad;
        end -= pad;
    }
    v.payload = pkt + off;
    v.payload_len = end - off;
    v.error = RtpParseError::ok;
    return v;
}

int rtp_build_header(const RtpHeaderFields& h, uint8_t* out, std::size_t cap)
{
    if (h.payload_type > 0x7F || h.csrc_count > rtp_max_csrc) {
        return -EINVAL;
    }
    std::size_t len = rtp_fixed_header_len + 4u * h.csrc_count;
    if (cap < len) {
        return -ENOSPC;
    }
    out[0] = static_cast<uint8_t>((rtp_version << 6) | h.csrc_count);  // P = 0, X = 0
    out[1] = static_cast<uint8_t>((h.marker ? 0x80 : 0x00) | h.payload_type);
    store_be16(out + 2, h.sequence);
    store_be32(out + 4, h.timestamp);
    store_be32(out + 8, h.ssrc);
    for (std::size_t i = 0; i < h.csrc_count; ++i) {
        store_be32(out + rtp_fixed_header_len + 4 * i, h.csrc[i]);
    }
    return static_cast<int>(len);
}

}  // namespace trunkgw::media
