// TDM -> RTP for one channel: collects the 8 samples of each 1 ms tick and
// emits a G.711 RTP packet every ptime.
//
// - Sequence number: starts where the caller says (RFC 3550 5.1: "The
//   initial value of the sequence number SHOULD be random"), +1 per packet
//   sent.
// - Timestamp: the sampling instant of the packet's first sample on the
//   8 kHz clock (RFC 3551 4.5.14, 4.1: "the RTP clock rate ... 8,000 Hz"),
//   +8 per 1 ms tick whether or not a packet went out (RFC 3550 5.1: "the
//   timestamp reflects the sampling instant").
// - Marker: set on the first packet of the stream and on the first packet
//   after ticks without samples (RFC 3551 4.1: "the first packet of a
//   talkspurt, that is, the first packet after a silence period during
//   which packets have not been transmitted contiguously, SHOULD be
//   distinguished by setting the marker bit").
// - Payload: PT 0 (PCMU) or 8 (PCMA); samples are converted A <-> u (G.711
//   Tables 3/4) when the channel's law differs from the codec's.
//
// The payload gathers in the caller's packet buffer, in the channel's law,
// 8 samples a tick; the packet that completes gets its header and its
// payload converted in place, in one pass. The packetizer holds only its
// stream state (28 octets) and its owner counts what push() and skip()
// report (PacketizerCounters): so it shares the session's hot cache lines
// (media_session.h) with no payload array or counters between them.
//
// Nothing here allocates, throws after construction or makes a syscall;
// configure() restarts the stream in place.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/media/config_check.h"
#include "dataplane/media/g711_codec.h"
#include "dataplane/media/rtp_header.h"

namespace trunkgw::media {

struct PacketizerConfig {
    uint8_t payload_type = payload_type_pcma;  // 0 (PCMU) or 8 (PCMA)
    Law channel_law = Law::alaw;               // the law of the samples given to push()
    uint32_t ptime_ms = 20;                    // 10, 20, 30 or 40
    uint32_t ssrc = 0;
    uint16_t first_sequence = 0;
    uint32_t first_timestamp = 0;
};

// Counted by the packetizer's owner from skip() (MediaSession; the packets
// push() completes are counted where they go: sent, or unsent for want of
// a remote).
struct PacketizerCounters {
    uint64_t skipped_ticks = 0;    // ticks without samples (skip())
    uint64_t partial_dropped = 0;  // incomplete packets abandoned by a skip
};

class Packetizer {
public:
    static constexpr uint32_t max_ptime_ms = 40;
    static constexpr std::size_t max_payload = max_ptime_ms * samples_per_ms;
    static constexpr std::size_t max_packet = rtp_fixed_header_len + max_payload;

    // Throws std::invalid_argument for a payload type other than 0 or 8 or a
    // ptime other than 10, 20, 30 or 40 ms.
    explicit Packetizer(const PacketizerConfig& config);

    // -EINVAL for a payload type other than 0 or 8 or a ptime other than
    // 10, 20, 30 or 40 ms.
    static ConfigCheck check(const PacketizerConfig& config);
    // Starts a new stream from `config`: sequence, timestamp, SSRC and
    // marker as given, nothing pending. Returns 0, or the
    // check() error with nothing changed.
    int configure(const PacketizerConfig& config);

    // One tick: 8 samples in the channel's law, gathered into `pkt`, the
    // packet being built: the caller passes the same buffer of at least
    // max_packet octets on every push and leaves it alone until a packet
    // completes. Returns that packet's length (header and payload in the
    // codec's law in pkt[0, len)) when this tick completed one, 0 when not.
    int push(const uint8_t* samples8, uint8_t* pkt);

    // One tick without samples (the channel delivered none). The partial
    // packet is abandoned, the timestamp still advances 8 samples, and the
    // next packet carries the marker. Returns true when a partial packet
    // was abandoned.
    bool skip();

    // `n` packets were sent after the last one push() completed, with the
    // sequence numbers that follow it (RFC 4733 2.5.1.6: telephone-events
    // in the audio's sequence space).
    void advance_sequence(uint16_t n) { _seq = static_cast<uint16_t>(_seq + n); }

    // Plain ticks (plain_run.h): how many of the next pushes complete no
    // packet, and where the next push's samples go in `pkt`.
    uint32_t plain_pushes_ahead() const { return (_ptime_samples - _fill) / samples_per_ms - 1; }
    uint8_t* next_samples(uint8_t* pkt) const { return pkt + rtp_fixed_header_len + _fill; }
    // The caller wrote `ms` pushes' samples there: moves what push() would
    // have.
    void advance_plain(uint32_t ms);

    // The timestamp of the next sample push() takes: "now" on the RTP clock,
    // as an RTCP SR needs (RFC 3550 6.4.1).
    uint32_t next_timestamp() const { return _ts_next; }
    uint16_t next_sequence() const { return _seq; }
    uint32_t ssrc() const { return _ssrc; }
    uint8_t payload_type() const { return _pt; }
    uint32_t ptime_samples() const { return _ptime_samples; }

private:
    // What a tick reads and writes first, then what a packet adds.
    uint32_t _fill = 0;
    uint32_t _ptime_samples;
    uint32_t _ts_next;
    Law _channel_law;
    Law _codec_law;
    uint8_t _pt;
    bool _marker_pending = true;
    uint32_t _pkt_ts = 0;
    uint32_t _ssrc;
    uint16_t _seq;
};

}  // namespace trunkgw::media
