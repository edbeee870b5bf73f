// RTCP SR/RR/SDES/BYE; see rtcp.h.
#include "dataplane/media/rtcp.h"

#include <cerrno>
#include <cstring>

#include "tdm/bits/byte_order.h"

namespace trunkgw::media {

using namespace trunkgw::bytes;

namespace {

constexpr std::size_t header_len = 4;
constexpr std::size_t sender_info_len = 20;

// 6.4.1: "version (V): 2 bits ... padding (P): 1 bit ... reception report
// count (RC): 5 bits ... packet type (PT): 8 bits ... length: 16 bits. The
// length of this RTCP packet in 32-bit words minus one, including the
// header and any padding."
void put_header(uint8_t* out, uint8_t count, uint8_t pt, std::size_t len)
{
    out[0] = static_cast<uint8_t>((2u << 6) | count);
    out[1] = pt;
    store_be16(out + 2, static_cast<uint16_t>(len / 4 - 1));
}

void put_block(uint8_t* out, const ReportBlock& b)
{
    store_be32(out, b.ssrc);
    // "fraction lost: 8 bits ... cumulative number of packets lost: 24 bits"
    uint32_t lost24 = static_cast<uint32_t>(b.cumulative_lost) & 0xFFFFFFu;
    store_be32(out + 4, (static_cast<uint32_t>(b.fraction_lost) << 24) | lost24);
    store_be32(out + 8, b.extended_highest_seq);
    store_be32(out + 12, b.jitter);
    store_be32(out + 16, b.lsr);
    store_be32(out + 20, b.dlsr);
}

ReportBlock get_block(const uint8_t* p)
{
    ReportBlock b;
    b.ssrc = load_be32(p);
    uint32_t w = load_be32(p + 4);
    b.fraction_lost = static_cast<uint8_t>(w >> 24);
    // Sign-extend the 24-bit cumulative lost.
    uint32_t lost24 = w & 0xFFFFFFu;
    b.cumulative_lost =
        (lost24 & 0x800000u) != 0 ? static_cast<int32_t>(lost24) - 0x1000000 : static_cast<int32_t>(lost24);
    b.extended_highest_seq = load_be32(p + 8);
    b.jitter = load_be32(p + 12);
    b.lsr = load_be32(p + 16);
    b.dlsr = load_be32(p + 20);
    return b;
}

}  // namespace

int rtcp_build_sr(const SenderInfo& sr, const ReportBlock* blocks, std::size_t n, uint8_t* out, std::size_t cap)
{
    if (n > rtcp_max_report_blocks) {
        return -EINVAL;
    }
    std::size_t len = header_len + 4 + sender_info_len + n * rtcp_report_block_len;
    if (cap < len) {
        return -ENOSPC;
    }
    put_header(out, static_cast<uint8_t>(n), rtcp_pt_sr, len);
    store_be32(out + 4, sr.ssrc);
    // 6.4.1 sender info: NTP timestamp (64), RTP timestamp, sender's packet
    // count, sender's octet count.
    store_be64(out + 8, sr.ntp);
    store_be32(out + 16, sr.rtp_timestamp);
    store_be32(out + 20, sr.packet_count);
    store_be32(out + 24, sr.octet_count);
    for (std::size_t i = 0; i < n; ++i) {
        put_block(out + 28 + i * rtcp_report_block_len, blocks[i]);
    }
    return static_cast<int>(len);
}

int rtcp_build_rr(uint32_t ssrc, const ReportBlock* blocks, std::size_t n, uint8_t* out, std::size_t cap)
{
    if (n > rtcp_max_report_blocks) {
        return -EINVAL;
    }
    // 6.4.2: "the same as that of the SR packet except that the packet type
    // field contains the constant 201 and the five words of sender
    // information are omitted".
    std::size_t len = header_len + 4 + n * rtcp_report_block_len;
    if (cap < len) {
        return -ENOSPC;
    }
    put_header(out, static_cast<uint8_t>(n), rtcp_pt_rr, len);
    store_be32(out + 4, ssrc);
    for (std::size_t i = 0; i < n; ++i) {
        put_block(out + 8 + i * rtcp_report_block_len, blocks[i]);
    }
    return static_cast<int>(len);
}

int rtcp_build_sdes_cname(uint32_t ssrc, const char* cname, std::size_t cname_len, uint8_t* out, std::size_t cap)
{
    if (cname_len > 255) {
        return -EINVAL;
    }
    // 6.5: one chunk (SC = 1): SSRC, item CNAME (type 1, length, text), then
    // "terminated by one or more null octets ... followed by null octets
    // to the next 32-bit boundary".
    std::size_t items = 2 + cname_len + 1;
    std::size_t len = header_len + 4 + (items + 3) / 4 * 4;
    if (cap < len) {
        return -ENOSPC;
    }
    put_header(out, 1, rtcp_pt_sdes, len);
    store_be32(out + 4, ssrc);
    out[8] = rtcp_sdes_cname;
    out[9] = static_cast<uint8_t>(cname_len);
    std::memcpy(out + 10, cname, cname_len);
    std::memset(out + 10 + cname_len, 0, len - 10 - cname_len);
    return static_cast<int>(len);
}

int rtcp_build_bye(uint32_t ssrc, uint8_t* out, std::size_t cap)
{
    // 6.6: SC = 1, no reason.
    std::size_t len = header_len + 4;
    if (cap < len) {
        return -ENOSPC;
    }
    put_header(out, 1, rtcp_pt_bye, len);
    store_be32(out + 4, ssrc);
    return static_cast<int>(len);
}

const char* rtcp_parse_error_name(RtcpParseError e)
{
    switch (e) {
    case RtcpParseError::ok:
        return "ok";
    case RtcpParseError::too_short:
        return "too_short";
    case RtcpParseError::bad_version:
        return "bad_version";
    case RtcpParseError::bad_first_packet:
        return "bad_first_packet";
    case RtcpParseError::bad_length:
        return "bad_length";
    case RtcpParseError::bad_padding:
        return "bad_padding";
    case RtcpParseError::idle:
        return "idle";
    case RtcpParseError::srtp_refused:
        return "srtp_refused";
    }
    return "unknown";
}

RtcpInfo rtcp_parse(const uint8_t* pkt, std::size_t len, uint32_t our_ssrc)
{
    RtcpInfo info;
    if (len < 8 || len % 4 != 0) {
        info.error = RtcpParseError::too_short;
        return info;
    }
    // A.2: "RTP version field must equal 2. The payload type field of the
    // first RTCP packet in a compound packet must be equal to SR or RR. The
    // padding bit (P) should be zero for the first packet of a compound RTCP
    // packet because padding should only be applied, if it is needed, to the
    // last packet."
    if ((pkt[0] >> 6) != 2) {
        info.error = RtcpParseError::bad_version;
        return info;
    }
    if ((pkt[0] & 0x20) != 0 || (pkt[1] != rtcp_pt_sr && pkt[1] != rtcp_pt_rr)) {
        info.error = RtcpParseError::bad_first_packet;
        return info;
    }
    // A.2: "The length fields of the individual RTCP packets must add up to
    // the overall length of the compound RTCP packet as received."
    std::size_t off = 0;
    while (off < len) {
        const uint8_t* p = pkt + off;
        if (len - off < header_len) {
            info.error = RtcpParseError::bad_length;
            return info;
        }
        if ((p[0] >> 6) != 2) {
            info.error = RtcpParseError::bad_version;
            return info;
        }
        std::size_t plen = (static_cast<std::size_t>(load_be16(p + 2)) + 1) * 4;
        if (plen > len - off) {
            info.error = RtcpParseError::bad_length;
            return info;
        }
        bool last = off + plen == len;
        std::size_t body = plen;  // octets before any padding
        if ((p[0] & 0x20) != 0) {
            // 6.4.1: padding "should only be applied ... to the last
            // packet"; its last octet counts the padding octets.
            uint8_t pad = p[plen - 1];
            if (!last || pad == 0 || pad > plen - header_len) {
                info.error = RtcpParseError::bad_padding;
                return info;
            }
            body -= pad;
        }
        uint8_t count = p[0] & 0x1F;
        uint8_t pt = p[1];
        if (pt == rtcp_pt_sr || pt == rtcp_pt_rr) {
            std::size_t fixed = header_len + 4 + (pt == rtcp_pt_sr ? sender_info_len : 0);
            if (body < fixed + count * rtcp_report_block_len) {
                info.error = RtcpParseError::bad_length;
                return info;
            }
            uint32_t ssrc = load_be32(p + 4);
            if (info.packets == 0) {
                info.reporter_ssrc = ssrc;
            }
            if (pt == rtcp_pt_sr && !info.has_sender_info) {
                info.has_sender_info = true;
                info.sender_info.ssrc = ssrc;
                info.sender_info.ntp = load_be64(p + 8);
                info.sender_info.rtp_timestamp = load_be32(p + 16);
                info.sender_info.packet_count = load_be32(p + 20);
                info.sender_info.octet_count = load_be32(p + 24);
            }
            for (uint8_t i = 0; i < count && !info.has_block; ++i) {
                const uint8_t* b = p + fixed + i * rtcp_report_block_len;
                if (load_be32(b) == our_ssrc) {
                    info.has_block = true;
                    info.block = get_block(b);
                }
            }
        } else if (pt == rtcp_pt_bye) {
            info.bye = true;
        }
        ++info.packets;
        off += plen;
    }
    info.error = RtcpParseError::ok;
    return info;
}

int64_t rtcp_round_trip(uint32_t a, uint32_t lsr, uint32_t dlsr)
{
    if (lsr == 0) {
        return -1;
    }
    uint32_t since = a - lsr;  // modulo 2^32, like the 16.16 fields themselves
    if (since < dlsr) {
        return -1;
    }
    return static_cast<int64_t>(since - dlsr);
}

}  // namespace trunkgw::media
