// RFC 4733 telephone-events played as DTMF; see telephone_event.h.
#include "dataplane/media/telephone_event.h"

#include <array>
#include <cstring>

namespace trunkgw::media {

namespace {

// ITU-T Q.23 Table 1: the low-group (row) and high-group (column)
// frequencies of each key, in RFC 4733 3.2's event order: 0-9, *, #, A-D.
struct KeyFrequencies {
    int low;
    int high;
};
constexpr std::array<KeyFrequencies, 16> dtmf_keys = {{
    {941, 1336},  // 0
    {697, 1209},  // 1
    {697, 1336},  // 2
    {697, 1477},  // 3
    {770, 1209},  // 4
    {770, 1336},  // 5
    {770, 1477},  // 6
    {852, 1209},  // 7
    {852, 1336},  // 8
    {852, 1477},  // 9
    {941, 1209},  // *
    {941, 1477},  // #
    {697, 1633},  // A
    {770, 1633},  // B
    {852, 1633},  // C
    {941, 1633},  // D
}};

constexpr uint32_t samples_per_ms_u = samples_per_ms;

// A segment ends near the duration field's limit; the next starts one
// duration on, give or take a packet interval (2.5.1.3).
constexpr uint32_t segment_min = max_event_duration - 200 * samples_per_ms_u;
constexpr uint32_t segment_slack = 200 * samples_per_ms_u;

// Serial-number order of RTP timestamps (RFC 3550 A.1's arithmetic).
constexpr bool before(uint32_t a, uint32_t b)
{
    return static_cast<int32_t>(a - b) < 0;
}

}  // namespace

TelephoneEventPlayer::TelephoneEventPlayer() : _tone{}
{
}

void TelephoneEventPlayer::reset(Law channel_law)
{
    _c = {};
    _law = channel_law;
    _playing = false;
    _have_event = false;
    _end_seen = false;
    _event = 0;
    _ts = 0;
    _offset = 0;
    _duration = 0;
    _played = 0;
    _gap = 0;
    _last_heard = 0;
}

void TelephoneEventPlayer::start(uint8_t event, uint8_t volume)
{
    // 2.3.4: "the power level of the tone, expressed in dBm0 after dropping
    // the sign"; the pair's two frequencies at equal level each carry half
    // of it (-3 dB).
    const int level = -static_cast<int>(volume) - 3;
    tone_gen_descriptor_t d;
    tone_gen_descriptor_init(&d, dtmf_keys[event].low, level, dtmf_keys[event].high, level,
                             static_cast<int>(max_event_ms), 0, 0, 0, 0);
    tone_gen_init(&_tone, &d);
    // A tone cut short by this one: a pause between them first.
    _gap = _playing ? inter_digit_gap_ms * samples_per_ms_u : 0;
    _event = event;
    _playing = true;
    _played = 0;
    _offset = 0;
    ++_c.events;
}

TelephoneEventPlayer::Verdict TelephoneEventPlayer::receive(uint32_t rtp_timestamp, const uint8_t* payload,
                                                            std::size_t len, uint32_t now)
{
    if (len < 4) {
        ++_c.unsupported;
        return Verdict::unsupported;
    }
    const uint8_t event = payload[0];
    const bool end = (payload[1] & 0x80) != 0;  // E; R (0x40) is reserved, ignored (2.3.3)
    const uint8_t volume = payload[1] & 0x3F;
    const uint32_t duration = static_cast<uint32_t>(payload[2]) << 8 | payload[3];
    if (event >= dtmf_keys.size()) {
        ++_c.unsupported;
        return Verdict::unsupported;
    }
    if (_have_event && rtp_timestamp == _ts) {
        // The event named by this timestamp: an update, or one of the
        // repeated end packets (2.5.1.4) -- harmless once its tone has
        // ended, but still followed (a long event's next segment is known
        // by the last duration).
        _duration = duration > _duration ? duration : _duration;
        _end_seen = _end_seen || end;
        _last_heard = now;
        return _playing ? Verdict::updated : Verdict::old;
    }
    if (_have_event && before(rtp_timestamp, _ts) && _ts - rtp_timestamp < old_event_window) {
        return Verdict::old;  // reordered from an event we have moved past
    }
    // 2.5.1.3: the next segment of a long event (its last reported
    // duration near the 16-bit limit, no E, the same event, a timestamp
    // that far on) continues it -- even past max_event_ms, where it stays
    // silent rather than starting again.
    const uint32_t step = rtp_timestamp - _ts;
    if (_have_event && !_end_seen && event == _event && _duration >= segment_min && step > 0 &&
        step <= max_event_duration + segment_slack) {
        _offset += step;
        _ts = rtp_timestamp;
        _duration = duration;
        _end_seen = end;
        _last_heard = now;
        return Verdict::updated;
    }
    // A new event (2.5.2): a different timestamp starts it, even if the
    // previous one's end packets were all lost.
    _have_event = true;
    _ts = rtp_timestamp;
    _duration = duration;
    _end_seen = end;
    _last_heard = now;
    start(event, volume);
    return Verdict::started;
}

bool TelephoneEventPlayer::play(uint8_t* out8, uint32_t now)
{
    if (!_playing) {
        return false;
    }
    if (_gap > 0) {
        std::memset(out8, silence_octet(_law), samples_per_ms);
        _gap -= samples_per_ms_u;
        return true;
    }
    const bool reported_done = _played >= _offset + _duration;
    const bool silent = now - _last_heard > event_silence_timeout_ms * samples_per_ms_u;
    if ((reported_done && (_end_seen || silent)) || _played >= max_event_ms * samples_per_ms_u) {
        _playing = false;
        return false;
    }
    int16_t lin[samples_per_ms];
    int n = tone_gen(&_tone, lin, static_cast<int>(samples_per_ms));
    if (n < static_cast<int>(samples_per_ms)) {
        std::memset(lin + n, 0, (samples_per_ms - static_cast<std::size_t>(n)) * sizeof(int16_t));
    }
    encode_law(_law, lin, out8, samples_per_ms);
    _played += samples_per_ms_u;
    return true;
}

}  // namespace trunkgw::media
