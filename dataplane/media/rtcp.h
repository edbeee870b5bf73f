// RTCP for one RTP session (RFC 3550 6): build the sender and receiver
// reports we send (6.4.1 SR, 6.4.2 RR) with the SDES CNAME every compound
// packet carries (6.5.1) and BYE (6.6); parse received compound packets
// (6.1, A.2 validity checks) down to what a session needs: the far end's
// sender info (for our LSR/DLSR), the report block about our stream, and
// BYE. Round-trip time per 6.4.1.
//
// Timestamps come from the caller (ntp_time.h); nothing here makes a
// syscall, allocates or throws.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/media/receiver_stats.h"

namespace trunkgw::media {

// RFC 3550 12.1.
inline constexpr uint8_t rtcp_pt_sr = 200;
inline constexpr uint8_t rtcp_pt_rr = 201;
inline constexpr uint8_t rtcp_pt_sdes = 202;
inline constexpr uint8_t rtcp_pt_bye = 203;
inline constexpr uint8_t rtcp_pt_app = 204;
inline constexpr uint8_t rtcp_sdes_cname = 1;  // 6.5: item type CNAME
inline constexpr std::size_t rtcp_report_block_len = 24;
inline constexpr std::size_t rtcp_max_report_blocks = 31;  // RC is 5 bits

// 6.4.1 sender info, host order.
struct SenderInfo {
    uint32_t ssrc = 0;           // SSRC of the sender
    uint64_t ntp = 0;            // NTP timestamp, 32.32
    uint32_t rtp_timestamp = 0;  // the same instant on the RTP clock
    uint32_t packet_count = 0;   // sender's packet count
    uint32_t octet_count = 0;    // sender's payload octet count
};

// Builders: each writes one RTCP packet to `out` and returns its length, or
// -ENOSPC when `cap` is too small, -EINVAL for more than 31 blocks or a
// CNAME over 255 octets.
int rtcp_build_sr(const SenderInfo& sr, const ReportBlock* blocks, std::size_t n, uint8_t* out, std::size_t cap);
int rtcp_build_rr(uint32_t ssrc, const ReportBlock* blocks, std::size_t n, uint8_t* out, std::size_t cap);
int rtcp_build_sdes_cname(uint32_t ssrc, const char* cname, std::size_t cname_len, uint8_t* out, std::size_t cap);
int rtcp_build_bye(uint32_t ssrc, uint8_t* out, std::size_t cap);

enum class RtcpParseError : uint8_t {
    ok = 0,
    too_short,         // under 8 octets, or not a multiple of 4
    bad_version,       // some packet's V != 2
    bad_first_packet,  // the first packet is not SR or RR, or has P set (A.2)
    bad_length,        // the length fields do not sum to the compound length, or
                       // an SR/RR is shorter than its RC report blocks
    bad_padding,       // P set on a packet that is not the last, or a bad count
    idle,              // MediaSession only: the session is not configured (not parsed)
    srtp_refused,      // MediaSession only: SRTCP refused it (tag, replay, no keys yet; not parsed)
};

const char* rtcp_parse_error_name(RtcpParseError e);

struct RtcpInfo {
    RtcpParseError error = RtcpParseError::too_short;
    uint8_t packets = 0;         // RTCP packets in the compound
    uint32_t reporter_ssrc = 0;  // SSRC of the first SR's/RR's sender
    bool has_sender_info = false;
    SenderInfo sender_info;  // from the first SR
    bool has_block = false;
    ReportBlock block;  // the first report block about `our_ssrc`
    bool bye = false;   // a BYE was present

    bool ok() const { return error == RtcpParseError::ok; }
};

// Checks and reads a compound RTCP packet received on a session whose own
// SSRC is `our_ssrc`.
RtcpInfo rtcp_parse(const uint8_t* pkt, std::size_t len, uint32_t our_ssrc);

// 6.4.1: "the sender of this receiver report can compute the total
// round-trip time A-LSR using the last SR timestamp (LSR) field, and then
// subtracting this field to leave the round-trip propagation delay as
// (A - LSR - DLSR)", all in 1/65536 s. `a` is the middle 32 bits of our NTP
// clock when the report arrived. Returns -1 when there is no measurement
// (LSR 0: "If no SR has been received yet, the field is set to zero") or
// when the result would be negative (clocks or a bogus report).
int64_t rtcp_round_trip(uint32_t a, uint32_t lsr, uint32_t dlsr);

}  // namespace trunkgw::media
