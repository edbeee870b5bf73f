// DTMF on the channel sent as RFC 4733 telephone-events; see
// telephone_event_sender.h.
#include "dataplane/media/telephone_event_sender.h"

#include <algorithm>

namespace trunkgw::media {

namespace {

constexpr uint32_t samples_per_ms_u = samples_per_ms;
constexpr uint32_t max_duration = 0xFFFF;  // 2.3.5: a 16-bit field

// RFC 4733 3.2 Table 3: the event code of a DTMF key (SpanDSP reports the
// key's character); -1 for anything else.
int event_of(uint8_t key)
{
    if (key >= '0' && key <= '9') {
        return key - '0';
    }
    if (key >= 'A' && key <= 'D') {
        return 12 + (key - 'A');
    }
    return key == '*' ? 10 : key == '#' ? 11 : -1;
}

uint16_t load16(const uint8_t* p)
{
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

uint32_t load32(const uint8_t* p)
{
    return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 |
           p[3];
}

}  // namespace

TelephoneEventSender::TelephoneEventSender() : _rx{}, _reports{}, _out{}
{
    reset(Law::ulaw, 0);
}

void TelephoneEventSender::reset(Law codec_law, uint8_t payload_type)
{
    dtmf_rx_init(&_rx, nullptr, nullptr);
    _c = {};
    _law = codec_law;
    _pt = payload_type;
    _deaf_packets = 0;
    _active = false;
    _marker = false;
    _event = 0;
    _volume = 0;
    _ts = 0;
    _final_left = 0;
    _final_event = 0;
    _final_volume = 0;
    _final_ts = 0;
    _final_duration = 0;
    _report_count = 0;
    _out_count = 0;
}

void TelephoneEventSender::set_payload_type(uint8_t payload_type)
{
    if (payload_type != _pt) {
        _pt = payload_type;
        _active = false;
        _final_left = 0;
    }
}

void TelephoneEventSender::on_tone(void* user, int code, int level, int /*delay*/)
{
    auto* self = static_cast<TelephoneEventSender*>(user);
    if (self->_report_count < max_reports) {
        self->_reports[self->_report_count++] = {static_cast<uint8_t>(code),
                                                 static_cast<int8_t>(std::clamp(level, -99, 3))};
    }
}

void TelephoneEventSender::end_active(uint32_t end_ts)
{
    _active = false;
    _final_event = _event;
    _final_volume = _volume;
    _final_ts = _ts;
    const uint32_t duration = end_ts - _ts;
    _final_duration = std::clamp(duration, min_reported_ms * samples_per_ms_u, max_duration);
    _final_left = final_transmissions;
}

void TelephoneEventSender::emit(uint8_t event, uint8_t volume, uint32_t ts, uint32_t duration, bool marker, bool end)
{
    uint8_t* p = _out[_out_count];
    RtpHeaderFields h;
    h.marker = marker;
    h.payload_type = _pt;
    h.sequence = static_cast<uint16_t>(_seq + _out_count);
    h.timestamp = ts;
    h.ssrc = _ssrc;
    rtp_build_header(h, p, rtp_fixed_header_len);
    uint8_t* payload = p + rtp_fixed_header_len;
    payload[0] = event;
    // E; R stays 0 (2.3.3: "The sender MUST set it to zero"); the volume is
    // the tone's level "in dBm0 after dropping the sign" (2.3.4).
    payload[1] = static_cast<uint8_t>((end ? 0x80 : 0) | (volume & 0x3F));
    payload[2] = static_cast<uint8_t>(duration >> 8);
    payload[3] = static_cast<uint8_t>(duration);
    ++_out_count;
    ++_c.packets;
}

int TelephoneEventSender::process(const uint8_t* pkt, std::size_t len, bool far_end_dtmf)
{
    if (len <= rtp_fixed_header_len || _pt == 0) {
        return 0;
    }
    const std::size_t samples = std::min(len - rtp_fixed_header_len, max_audio_samples);
    _seq = load16(pkt + 2);
    const uint32_t ts = load32(pkt + 4);
    _ssrc = load32(pkt + 8);
    const uint32_t end_ts = ts + static_cast<uint32_t>(samples);

    int16_t lin[max_audio_samples];
    if (far_end_dtmf) {
        _deaf_packets = echo_hangover_packets + 1;
    }
    if (_deaf_packets > 0) {
        --_deaf_packets;
        // Silence keeps the detector's timing, and ends a digit it had.
        std::fill_n(lin, samples, int16_t{0});
    } else {
        decode_law(_law, pkt + rtp_fixed_header_len, lin, samples);
    }
    _report_count = 0;
    // The callback's user pointer is set each time: the session holding
    // this sender may have been moved since reset().
    dtmf_rx_set_realtime_callback(&_rx, on_tone, this);
    dtmf_rx(&_rx, lin, static_cast<int>(samples));

    _out_count = 0;
    bool started = false;
    for (uint8_t i = 0; i < _report_count; ++i) {
        const Report r = _reports[i];
        if (r.code == 0) {  // the tone ended
            if (_active) {
                end_active(end_ts);
            }
            continue;
        }
        const int event = event_of(r.code);
        if (event < 0 || (_active && event == _event)) {
            continue;
        }
        if (_active) {
            end_active(ts);  // another key without a pause: the last one ends where this packet begins
        }
        _active = true;
        _marker = true;
        _event = static_cast<uint8_t>(event);
        _volume = static_cast<uint8_t>(std::clamp(-static_cast<int>(r.level), 0, 63));
        _ts = ts;
        started = true;
        ++_c.events;
    }

    // The final packet of the last event: once per interval until sent
    // three times, or all that are left at once when a new event starts.
    if (_final_left > 0) {
        const uint32_t now = started ? _final_left : 1;
        for (uint32_t k = 0; k < now; ++k) {
            emit(_final_event, _final_volume, _final_ts, _final_duration, false, true);
        }
        _final_left -= now;
    }
    if (_active) {
        const uint32_t duration = end_ts - _ts;
        if (duration >= max_duration) {
            // 2.5.1.3: the segment ends at the field's limit; the next one
            // starts there.
            emit(_event, _volume, _ts, max_duration, _marker, false);
            _ts += max_duration;
        } else {
            emit(_event, _volume, _ts, duration, _marker, false);
        }
        _marker = false;
    }
    return static_cast<int>(_out_count);
}

}  // namespace trunkgw::media
