// DTMF heard on a B-channel, sent as RFC 4733 telephone-events: the
// gateway "detects DTMF on the incoming circuits and sends the RTP payload
// described here instead of regular audio packets" (RFC 4733 3.1), so that
// a SIP peer that negotiated telephone-event (an IVR, a voicemail system,
// anything that listens for events and not for tones) gets the caller's
// digits.
//
// The detector is SpanDSP's (dtmf_rx: Goertzel filters, Q.24 twist and
// level checks), fed each audio packet's payload when the packet is
// complete; its realtime callback reports a digit's start and end.
//
// What goes out, per packet interval (the audio's spacing, "a natural
// interval", 2.5.1.2):
// - no digit: the audio packet, untouched;
// - a digit confirmed in this packet's audio: an event packet in its place,
//   M set (2.5.1.2: "The first packet for an event MUST have the M bit
//   set"), its RTP timestamp the replaced packet's (2.2.1: the timestamp
//   "identifies the beginning of the event"; the tone's first tens of ms
//   went out as audio before the detector could confirm it: 2.5.2.2 "the
//   first few milliseconds of a digit will arrive as regular audio");
// - while it lasts: updates in place of the audio, the same timestamp, the
//   duration "the total cumulative duration since the beginning of the
//   event", neither M nor E;
// - its end: the final packet with E, "sent a total of three times at the
//   interval used by the source for updates" (2.5.1.4), so the two packets
//   after the end carry it again instead of audio. Its duration is at
//   least min_reported_ms (3.1: "send event durations corresponding to
//   those of a V.18 DTMF sender (tones >=70 ms ...)").
// - an event longer than the 16-bit duration: "a packet reporting this
//   maximum duration" without E, then a new segment whose timestamp is
//   where the last ended, without M (2.5.1.3). (Its final 0xFFFF packet is
//   sent once, not three times.)
// - a digit confirmed while the last one's final packet still has
//   retransmissions due: they go first, back to back, then the new event.
// - while the session plays the far end's DTMF into the channel, and for
//   echo_hangover_packets after, the detector hears silence: a 2-wire
//   line's hybrid returns what we play (attenuated, delayed), and that echo
//   must not go back to the far end as digits of the caller's.
// Every event packet is a packet of the stream: the SSRC and sequence
// space of the audio (2.5.1.6: "incremented by one in each successive RTP
// packet sent ... retransmitted as well as initial instances"), which the
// caller keeps: the first event packet takes the replaced audio packet's
// sequence number, each further one the next.
//
// Allocation-free (the detector's state is embedded); one per MediaSession,
// touched only at a packet's end and only when the session sends events.
#pragma once

#include <cstddef>
#include <cstdint>

#include <spandsp.h>
// 0.0.6 defines the detector's state in private headers only; embedded, as
// the player embeds its tone generator.
#include <spandsp/private/logging.h>
#include <spandsp/private/queue.h>
#include <spandsp/private/tone_generate.h>
#include <spandsp/private/dtmf.h>

#include "dataplane/media/g711_codec.h"
#include "dataplane/media/rtp_header.h"

namespace trunkgw::media {

struct TelephoneEventSenderCounters {
    uint64_t events = 0;   // DTMF digits detected on the channel and sent as events
    uint64_t packets = 0;  // event packets sent in place of audio (or after it), retransmissions included
};

class TelephoneEventSender {
public:
    static constexpr std::size_t payload_len = 4;  // RFC 4733 2.3: event, E|R|volume, duration
    static constexpr std::size_t packet_len = rtp_fixed_header_len + payload_len;
    static constexpr uint32_t final_transmissions = 3;  // 2.5.1.4
    static constexpr uint32_t min_reported_ms = 70;     // 3.1, a V.18 sender's shortest tone
    // At most: the three transmissions of the final packet of an event cut
    // short by the next digit, then that digit's first packet.
    static constexpr std::size_t max_packets = final_transmissions + 1;
    // The longest audio packet process() listens to whole (40 ms; a longer
    // one is heard up to here).
    static constexpr std::size_t max_audio_samples = 320;
    // Packets after the far end's tone stopped that the detector still
    // hears as silence (its echo's tail; a line's echo path is under 64 ms,
    // G.168).
    static constexpr uint32_t echo_hangover_packets = 3;

    TelephoneEventSender();

    // Idle and listening again: events go out with `payload_type` (the
    // telephone-event PT the peer's SDP named); the audio packets given to
    // process() are in `codec_law`.
    void reset(Law codec_law, uint8_t payload_type);

    // A new PT from the peer's SDP (0: send no events): an event being sent
    // is dropped (its retransmissions too); the counters stay.
    void set_payload_type(uint8_t payload_type);

    // One complete audio packet about to be sent: `pkt` holds its 12-octet
    // header (no CSRC, no extension: the packetizer's) and `len` - 12
    // octets of payload in the codec's law. Listens to the payload for DTMF,
    // unless `far_end_dtmf` (the session plays the far end's DTMF into the
    // channel now) or shortly after.
    // Returns 0: send the audio packet as it is; n (1..max_packets): send
    // packet(0) .. packet(n - 1) instead, in order, the first with the audio
    // packet's sequence number and each further one with the next (the
    // caller advances its sequence by n - 1).
    int process(const uint8_t* pkt, std::size_t len, bool far_end_dtmf);

    const uint8_t* packet(std::size_t i) const { return _out[i]; }
    // The event playing on the channel (0-15, RFC 4733 3.2) or -1.
    int digit() const { return _active ? _event : -1; }
    const TelephoneEventSenderCounters& counters() const { return _c; }

private:
    static void on_tone(void* user, int code, int level, int delay);
    void end_active(uint32_t end_ts);
    void emit(uint8_t event, uint8_t volume, uint32_t ts, uint32_t duration, bool marker, bool end);

    dtmf_rx_state_t _rx;
    TelephoneEventSenderCounters _c;
    Law _law = Law::ulaw;
    uint8_t _pt = 0;
    uint32_t _deaf_packets = 0;  // packets still heard as silence (echo of the far end's DTMF)

    // The event being sent.
    bool _active = false;
    bool _marker = false;    // its next packet is its first
    uint8_t _event = 0;
    uint8_t _volume = 0;
    uint32_t _ts = 0;        // its current segment's RTP timestamp

    // The final packet of the last event, while retransmissions are due.
    uint32_t _final_left = 0;
    uint8_t _final_event = 0;
    uint8_t _final_volume = 0;
    uint32_t _final_ts = 0;
    uint32_t _final_duration = 0;

    // What the detector reported during one process() call, in order: a
    // digit's start (its code and level) or its end (code 0).
    struct Report {
        uint8_t code;
        int8_t level;
    };
    static constexpr std::size_t max_reports = 8;
    Report _reports[max_reports];
    uint8_t _report_count = 0;

    // Where process() writes the packets; the sequence is filled in from
    // the audio packet's.
    std::size_t _out_count = 0;
    uint16_t _seq = 0;
    uint32_t _ssrc = 0;
    uint8_t _out[max_packets][packet_len];
};

}  // namespace trunkgw::media
