// DTMF heard on a B-channel, sent as RFC 4733 telephone-events: the
// gateway "detects DTMF on the incoming circuits and sends the RTP payload
// described here instead of regular audio packets" (RFC 4733 3.1), so that
// a SIP peer that negotiated telephone-event (an IVR, a voicemail system,
// anything that listens for events and not for tones) gets the caller's
// digits.
//
// The detector is SpanDSP's (dtmf_rx: Goertzel filters, Q.24 twist and
// level checks), fed each audio packet's payload when the packet is
// complete; its realtime callback reports a digit's start and end. One
// report is acted on per packet (a 30 or 40 ms packet can hold two: the
// second waits for the next packet), so that every event gets its first
// packet and every final packet its three transmissions.
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
//   those of a V.18 DTMF sender (tones >=70 ms ...)"), unless the next key
//   cut it short.
// - an event longer than the 16-bit duration: "a packet reporting this
//   maximum duration" without E, then a new segment whose timestamp is
//   where the last ended, without M (2.5.1.3); the segment's final packet
//   is sent three times too (2.5.1.4: "for each event and for each
//   segment"), each retransmission before the new segment's update.
// - a digit confirmed while the last one's final packet still has
//   retransmissions due: they go first, back to back, then the new event.
// - while the session plays the far end's DTMF into the channel, and for
//   echo_hangover_ms after, the detector hears silence: a 2-wire line's
//   hybrid returns what we play (attenuated, delayed), and that echo must
//   not go back to the far end as digits of the caller's.
// - a gap in the audio (hold, a span without frames: the packet's timestamp
//   is not where the last one ended) abandons an event in progress and
//   restarts the detector: a key still held is reported afresh.
// Every event packet is a packet of the stream: the SSRC and sequence
// space of the audio (2.5.1.6: "incremented by one in each successive RTP
// packet sent ... retransmitted as well as initial instances"), which the
// caller keeps: the first event packet takes the replaced audio packet's
// sequence number, each further one the next.
//
// Allocation-free (the detector's state is embedded); one per MediaSession,
// touched only at a packet's end and only when the session takes events.
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
    uint64_t quiet = 0;    // audio packets the detector skipped: too quiet to hold a key (or deaf)
};

class TelephoneEventSender {
public:
    static constexpr std::size_t payload_len = 4;  // RFC 4733 2.3: event, E|R|volume, duration
    static constexpr std::size_t packet_len = rtp_fixed_header_len + payload_len;
    static constexpr uint32_t final_transmissions = 3;  // 2.5.1.4
    static constexpr uint32_t min_reported_ms = 70;     // 3.1, a V.18 sender's shortest tone
    // At most, in one interval: the last two transmissions of a segment's
    // final packet, the three of the final packet of its event cut short by
    // the next digit, then that digit's first packet.
    static constexpr std::size_t max_packets = 2 * final_transmissions;
    // The longest audio packet process() listens to whole (40 ms; a longer
    // one is heard up to here).
    static constexpr std::size_t max_audio_samples = 320;
    // How long after the far end's tone stopped the detector still hears
    // silence: a line's echo path is under 64 ms (ITU-T G.168's longest
    // tail), plus the pseudowire's and the far end's buffering both ways.
    static constexpr uint32_t echo_hangover_ms = 100;
    // The detector is ~1 us of Goertzel filters a 20 ms packet: more than
    // the rest of a session's work. It skips a packet whose mean power is
    // below quiet_dbm0 while it is neither inside a digit nor weighing a
    // tentative one (a digit's end is always heard): SpanDSP 0.0.6 accepts
    // a key only when each of its two tones reaches -42 dBm0 over a
    // 102-sample block (its DTMF_THRESHOLD, the default dtmf_rx_init
    // sets), so a key's packets carry at least -39 dBm0; -45 leaves 6 dB
    // for a packet that holds a block's edge. A line's idle noise (G.712:
    // at most -65 dBm0p) and the pauses of speech are skipped.
    static constexpr int quiet_dbm0 = -45;
    // Its mean square: 2^29 is +3.14 dBm0 (a full-scale sine, SpanDSP's
    // DBM0_MAX_SINE_POWER), so 2^29 x 10^((-45 - 3.14) / 10).
    static constexpr uint64_t quiet_mean_square = 8239;

    TelephoneEventSender();

    // Idle and listening again, counters zeroed: events go out with
    // `payload_type` (the telephone-event PT the peer's SDP named; 0: none)
    // and the audio packets given to process() are in `codec_law`.
    void reset(Law codec_law, uint8_t payload_type);

    // A new PT from the peer's SDP (an answer, a re-INVITE; 0: send no
    // events). A change abandons an event being sent (and its
    // retransmissions) and restarts the detector, so that a key still held
    // is reported under the new PT; the counters stay.
    void set_payload_type(uint8_t payload_type);
    uint8_t payload_type() const { return _pt; }

    // One complete audio packet about to be sent: `pkt` holds its 12-octet
    // header (no CSRC, no extension: the packetizer's) and `len` - 12
    // octets of payload in the codec's law. Listens to the payload for DTMF,
    // unless `far_end_dtmf` (the session played the far end's DTMF into the
    // channel during this packet) or shortly after.
    // Returns 0: send the audio packet as it is; n (1..max_packets): send
    // packet(0) .. packet(n - 1) instead, in order, the first with the audio
    // packet's sequence number and each further one with the next (the
    // caller advances its sequence by n - 1).
    int process(const uint8_t* pkt, std::size_t len, bool far_end_dtmf);

    const uint8_t* packet(std::size_t i) const { return _out[i]; }
    const TelephoneEventSenderCounters& counters() const { return _c; }

private:
    static void on_tone(void* user, int code, int level, int delay);
    void restart_detector();
    bool detector_idle() const { return _rx.in_digit == 0 && _rx.last_hit == 0; }
    bool take_report(uint32_t ts, uint32_t end_ts);
    void end_event(uint32_t end_ts, bool cut_short);
    void set_final(uint32_t duration, bool event_end);
    void emit_finals(uint32_t n);
    void emit(uint8_t event, uint8_t volume, uint32_t ts, uint32_t duration, bool marker, bool end);

    dtmf_rx_state_t _rx;
    TelephoneEventSenderCounters _c;
    Law _law = Law::ulaw;
    uint8_t _pt = 0;
    uint32_t _deaf_samples = 0;  // still heard as silence (the echo of the far end's DTMF)
    bool _have_next_ts = false;
    uint32_t _next_ts = 0;       // where the last packet's audio ended

    // The event being sent.
    bool _active = false;
    bool _marker = false;     // its next packet is its first
    bool _segmented = false;  // past its first segment (2.5.1.3)
    uint8_t _event = 0;
    uint8_t _volume = 0;
    uint32_t _ts = 0;         // its current segment's RTP timestamp

    // The final packet of the last event or segment, while transmissions
    // are due.
    uint32_t _final_left = 0;
    bool _final_end = false;  // E: the event's end (a segment's final has none)
    uint8_t _final_event = 0;
    uint8_t _final_volume = 0;
    uint32_t _final_ts = 0;
    uint32_t _final_duration = 0;

    // What the detector reported and process() has not acted on yet, in
    // order: a digit's start (its key and level) or its end (key 0).
    struct Report {
        uint8_t key;
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
