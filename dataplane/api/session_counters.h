// Per-session counters and gauges: RTP both ways, every drop reason of the
// jitter buffer, RTCP, RFC 3550 receiver statistics. The owning worker
// publishes a session's block about once a second (sessions are staggered
// over the second) and once more when the session is deleted, so control
// reads final figures. Add at the end only (the order is ABI).
#pragma once

#include <array>
#include <cstdint>

#include "dataplane/api/seqlock.h"

namespace trunkgw::api {

enum class SessionCounter : uint32_t {
    rtp_packets_out,
    rtp_octets_out,
    rtp_packets_in,
    rtp_octets_in,
    rtp_unsent_no_remote,
    rtp_tx_no_route,
    rtp_stray_source,
    rtp_latches,
    rtcp_latches,
    rtp_timeouts,
    rtp_too_short,
    rtp_bad_version,
    rtp_bad_extension,
    rtp_bad_padding,
    rtp_bad_payload_type,
    rtp_oversize,
    rtp_stale_ssrc,
    rtp_seq_jump,
    rtp_duplicate,
    rtp_late,
    rtp_overflow,
    rtp_reordered,
    rtp_ssrc_changes,
    played_ms,
    concealed_ms,
    silence_ms,
    rtcp_packets_out,
    rtcp_packets_in,
    rtcp_malformed,
    rtcp_bye_in,
    lost,       // RFC 3550 A.3 cumulative packets lost (as int64)
    expected,
    jitter_us,  // A.8 interarrival jitter
    rtt_us,     // 6.4.1 round trip; 0 before the first measurement
    delay_ms,   // jitter buffer depth
    jitter_grow_ms,    // 1 ms inserted (playout delay raised, or the far end's clock slow)
    jitter_shrink_ms,  // 1 ms skipped (playout delay lowered, or the far end's clock fast)
    rtp_events_in,           // RFC 4733 telephone-event packets taken (ABI 7)
    dtmf_played,             // DTMF digits played into the channel from them
    rtp_events_unsupported,  // event packets not played: not DTMF, or too short
    rtp_events_out,          // RFC 4733 event packets sent for DTMF heard on the channel (ABI 8)
    dtmf_detected,           // DTMF digits heard on the channel and sent as events
    srtp_auth_failed,        // SRTP/SRTCP packets whose tag did not verify (RFC 3711 3.3; ABI 9)
    srtp_replayed,           // SRTP/SRTCP packets already taken or too old (3.3.2)
    srtp_failed,             // SRTP/SRTCP packets refused otherwise (too short, too long, key limit)
    srtp_no_keys,            // packets due or received before the key they need
    count_,
};

inline constexpr std::size_t session_counter_count = static_cast<std::size_t>(SessionCounter::count_);

struct SessionCounterInfo {
    const char* name;  // JSON name (trunkctl); the value as stored
    const char* help;
    bool gauge;
    const char* prom_name;  // Prometheus name without trunkgw_session_, base units
    double prom_scale;      // stored value * prom_scale = Prometheus value
};

inline constexpr std::array<SessionCounterInfo, session_counter_count> session_counter_info = {{
    {"rtp_packets_out_total", "RTP packets sent.", false, "rtp_packets_out_total", 1.0},
    {"rtp_octets_out_total", "RTP payload octets sent.", false, "rtp_octets_out_total", 1.0},
    {"rtp_packets_in_total", "RTP packets accepted: audio, and RFC 4733 events (rtp_events_in).", false, "rtp_packets_in_total", 1.0},
    {"rtp_octets_in_total", "RTP payload octets accepted.", false, "rtp_octets_in_total", 1.0},
    {"rtp_unsent_no_remote_total", "RTP packets due while no remote endpoint was known.", false, "rtp_unsent_no_remote_total", 1.0},
    {"rtp_tx_no_route_total", "RTP/RTCP packets not sent: no ARP entry for the next hop yet.", false, "rtp_tx_no_route_total", 1.0},
    {"rtp_stray_source_total", "Valid RTP from another source, not latched (symmetric RTP off).", false, "rtp_stray_source_total", 1.0},
    {"rtp_latches_total", "Times the remote RTP endpoint moved to the source seen (symmetric RTP).", false, "rtp_latches_total", 1.0},
    {"rtcp_latches_total", "Times the remote RTCP endpoint moved to the source seen.", false, "rtcp_latches_total", 1.0},
    {"rtp_timeouts_total", "RTP timeouts raised.", false, "rtp_timeouts_total", 1.0},
    {"rtp_too_short_total", "RTP dropped: shorter than its header or without payload.", false, "rtp_too_short_total", 1.0},
    {"rtp_bad_version_total", "RTP dropped: version not 2.", false, "rtp_bad_version_total", 1.0},
    {"rtp_bad_extension_total", "RTP dropped: header extension beyond the packet.", false, "rtp_bad_extension_total", 1.0},
    {"rtp_bad_padding_total", "RTP dropped: bad padding count.", false, "rtp_bad_padding_total", 1.0},
    {"rtp_bad_payload_type_total", "RTP dropped: not the negotiated payload type.", false, "rtp_bad_payload_type_total", 1.0},
    {"rtp_oversize_total", "RTP dropped: payload longer than the jitter buffer takes.", false, "rtp_oversize_total", 1.0},
    {"rtp_stale_ssrc_total", "RTP dropped: from an SSRC left less than 100 ms ago.", false, "rtp_stale_ssrc_total", 1.0},
    {"rtp_seq_jump_total", "RTP dropped: first packet of a very large sequence jump (RFC 3550 A.1).", false, "rtp_seq_jump_total", 1.0},
    {"rtp_duplicate_total", "RTP dropped: duplicate.", false, "rtp_duplicate_total", 1.0},
    {"rtp_late_total", "RTP dropped: arrived after its playout time.", false, "rtp_late_total", 1.0},
    {"rtp_overflow_total", "RTP jitter-buffer overflows (playout restarted at a jump).", false, "rtp_overflow_total", 1.0},
    {"rtp_reordered_total", "RTP packets that arrived after a higher sequence number.", false, "rtp_reordered_total", 1.0},
    {"rtp_ssrc_changes_total", "New SSRCs accepted (playout resynchronised).", false, "rtp_ssrc_changes_total", 1.0},
    {"played_ms_total", "Milliseconds played from received RTP.", false, "played_seconds_total", 0.001},
    {"concealed_ms_total", "Milliseconds concealed by packet-loss concealment.", false, "concealed_seconds_total", 0.001},
    {"silence_ms_total", "Milliseconds of idle code played (no audio yet or a long gap).", false, "silence_seconds_total", 0.001},
    {"rtcp_packets_out_total", "RTCP compound packets sent.", false, "rtcp_packets_out_total", 1.0},
    {"rtcp_packets_in_total", "Valid RTCP compound packets received.", false, "rtcp_packets_in_total", 1.0},
    {"rtcp_malformed_total", "RTCP packets refused (RFC 3550 A.2 validity checks).", false, "rtcp_malformed_total", 1.0},
    {"rtcp_bye_in_total", "RTCP BYE received.", false, "rtcp_bye_in_total", 1.0},
    {"lost_packets", "RTP packets lost, RFC 3550 A.3 (expected - received).", true, "lost_packets", 1.0},
    {"expected_packets", "RTP packets expected, RFC 3550 A.3.", true, "expected_packets", 1.0},
    {"jitter_microseconds", "Interarrival jitter, RFC 3550 A.8.", true, "jitter_seconds", 1e-6},
    {"rtt_microseconds", "Round-trip time from RTCP, RFC 3550 6.4.1 (0 before the first).", true, "rtt_seconds", 1e-6},
    {"jitter_buffer_delay_milliseconds", "Jitter buffer depth now.", true, "jitter_buffer_delay_seconds", 0.001},
    {"jitter_grow_ms_total", "Milliseconds inserted in playout (delay raised, or the sender's clock slower than ours).", false, "jitter_grow_seconds_total", 0.001},
    {"jitter_shrink_ms_total", "Milliseconds skipped in playout (delay lowered, or the sender's clock faster than ours).", false, "jitter_shrink_seconds_total", 0.001},
    {"rtp_events_in_total", "RFC 4733 telephone-event packets accepted (same SSRC and sequence space as the audio).", false, "rtp_events_in_total", 1.0},
    {"dtmf_played_total", "DTMF digits played into the channel from RFC 4733 events.", false, "dtmf_played_total", 1.0},
    {"rtp_events_unsupported_total", "RFC 4733 event packets not played: an event other than DTMF 0-15, or under 4 octets.", false, "rtp_events_unsupported_total", 1.0},
    {"rtp_events_out_total", "RFC 4733 telephone-event packets sent in place of audio for DTMF heard on the channel (retransmitted ends included; counted in rtp_packets_out too).", false, "rtp_events_out_total", 1.0},
    {"dtmf_detected_total", "DTMF digits heard on the channel and sent as RFC 4733 events.", false, "dtmf_detected_total", 1.0},
    {"srtp_auth_failed_total", "SRTP/SRTCP packets dropped: the authentication tag did not verify (RFC 3711 3.3).", false, "srtp_auth_failed_total", 1.0},
    {"srtp_replayed_total", "SRTP/SRTCP packets dropped as replays: already taken, or older than the replay window (RFC 3711 3.3.2).", false, "srtp_replayed_total", 1.0},
    {"srtp_failed_total", "SRTP/SRTCP packets refused otherwise: too short for a tag, longer than 2048 octets, or past the key's packet limit.", false, "srtp_failed_total", 1.0},
    {"srtp_no_keys_total", "Packets of an SRTP session due or received before the key they need: not sent, dropped.", false, "srtp_no_keys_total", 1.0},
}};

using SessionCounterBlock = SeqlockBlock<session_counter_count>;
using SessionCounterValues = std::array<uint64_t, session_counter_count>;

}  // namespace trunkgw::api
