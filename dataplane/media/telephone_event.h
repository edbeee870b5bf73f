// RFC 4733 telephone-events received on a session, played into its
// B-channel as DTMF: the gateway "re-creates the DTMF tones" on the circuit
// side (RFC 4733 3.1), as ITU-T Q.23 tone pairs, for as long as the events
// say.
//
// The payload (RFC 4733 2.3):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     event     |E|R| volume    |          duration             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// An event is named by its RTP timestamp (2.3.1: "the instant at which the
// event began"); every packet of it repeats that timestamp with the
// duration so far (2.3.5), and the last ones set E (2.3.2; sent three
// times, 2.5.1.4). An event longer than the 16-bit duration goes on in
// segments (2.5.1.3): the same event, no E, a timestamp one full duration
// on; they continue the tone. Events 0-15 are DTMF (3.2: 0-9, *, #, A-D);
// others are counted and not played. The tone starts when the event's
// first packet arrives and lasts until E is seen and the reported duration
// has played, or until the event has been silent for
// event_silence_timeout_ms past its reported duration (its end packets
// lost); at most max_event_ms. A new event that cuts a tone short gets
// inter_digit_gap_ms of silence first (Q.24's pause, so that "1" "1" stays
// two digits). Not handled: several events packed in one payload (2.5.1.5:
// the first is taken).
//
// Allocation-free; one per MediaSession, touched only when an event packet
// arrives or while a tone plays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <spandsp.h>
// The tone generator's state is embedded (no allocation per session), as
// the jitter buffer embeds its PLC state; 0.0.6 defines it here only.
#include <spandsp/private/tone_generate.h>

#include "dataplane/media/g711_codec.h"

namespace trunkgw::media {

// RFC 4733 3.2 Table 3: DTMF events 0-15 are these keys, in this order.
inline constexpr std::string_view dtmf_event_keys = "0123456789*#ABCD";

// The event code of a DTMF key, -1 for anything else.
constexpr int dtmf_event_of(char key)
{
    const std::size_t i = dtmf_event_keys.find(key);
    return i == std::string_view::npos ? -1 : static_cast<int>(i);
}

// 2.3.5: the duration is a 16-bit field; a longer event goes on in
// segments (2.5.1.3).
inline constexpr uint32_t max_event_duration = 0xFFFF;

struct TelephoneEventCounters {
    uint64_t events = 0;       // DTMF events started (digits played)
    uint64_t unsupported = 0;  // packets not played: an event other than 0-15, or a payload under 4 octets
};

class TelephoneEventPlayer {
public:
    // Stops waiting for an end packet this long after the reported
    // duration (RFC 4733 2.5.1.2 sends updates every 50 ms or so).
    static constexpr uint32_t event_silence_timeout_ms = 150;
    // A tone stops here whatever the packets say (2.5.1.3 splits longer
    // events into segments; a stuck key must not hold a trunk's tone).
    static constexpr uint32_t max_event_ms = 8000;
    // Silence before a tone that follows another without a pause.
    static constexpr uint32_t inter_digit_gap_ms = 40;
    // A timestamp this far behind the current event's is a reordered older
    // event; further behind, the stream jumped (a new SSRC, a restart).
    static constexpr uint32_t old_event_window = 0x10000;

    enum class Verdict : uint8_t {
        started,      // a new DTMF event: its tone starts now
        updated,      // the event playing (or just ended): duration or E taken
        old,          // an event before the current one, or one already over
        unsupported,  // not DTMF, or too short (counted)
    };

    TelephoneEventPlayer();

    // Idle, for a channel of `law`.
    void reset(Law channel_law);

    // One telephone-event payload, its packet's RTP timestamp, and the
    // arrival time (8 kHz samples, the session's clock). The caller has
    // accepted the packet as part of the stream (SSRC, sequence,
    // duplicates).
    Verdict receive(uint32_t rtp_timestamp, const uint8_t* payload, std::size_t len, uint32_t now);

    // One millisecond of the channel: writes the tone's 8 samples and
    // returns true while a tone plays; false (out8 untouched) once it has
    // ended.
    bool play(uint8_t* out8, uint32_t now);

    bool playing() const { return _playing; }
    int digit() const { return _playing ? _event : -1; }  // the event code playing (or about to), -1 none
    const TelephoneEventCounters& counters() const { return _c; }

private:
    void start(uint8_t event, uint8_t volume);

    tone_gen_state_t _tone;
    TelephoneEventCounters _c;
    Law _law = Law::alaw;
    bool _playing = false;
    bool _have_event = false;  // _ts names the last event started
    bool _end_seen = false;
    uint8_t _event = 0;
    uint32_t _ts = 0;           // the current (or last) event's RTP timestamp (its segment's)
    uint32_t _offset = 0;       // samples from the event's start to its current segment's
    uint32_t _duration = 0;     // samples, the largest reported in the current segment
    uint32_t _played = 0;       // samples of tone played
    uint32_t _gap = 0;          // samples of silence still to play before the tone
    uint32_t _last_heard = 0;   // arrival of its last packet
};

}  // namespace trunkgw::media
