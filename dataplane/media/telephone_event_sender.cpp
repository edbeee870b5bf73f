// DTMF on the channel sent as RFC 4733 telephone-events; see
// telephone_event_sender.h.
#include "dataplane/media/telephone_event_sender.h"

#include <algorithm>

#include "dataplane/media/telephone_event.h"
#include "tdm/bits/byte_order.h"

namespace trunkgw::media {

namespace {

constexpr uint32_t samples_per_ms_u = samples_per_ms;

}  // namespace

TelephoneEventSender::TelephoneEventSender() : _rx{}, _reports{}, _out{}
{
    reset(Law::ulaw, 0);
}

void TelephoneEventSender::reset(Law codec_law, uint8_t payload_type)
{
    _c = {};
    _law = codec_law;
    _pt = payload_type;
    _deaf_samples = 0;
    _have_next_ts = false;
    _next_ts = 0;
    _out_count = 0;
    restart_detector();
}

void TelephoneEventSender::restart_detector()
{
    dtmf_rx_init(&_rx, nullptr, nullptr);
    _report_count = 0;
    _active = false;
    _marker = false;
    _segmented = false;
    _final_left = 0;
}

void TelephoneEventSender::set_payload_type(uint8_t payload_type)
{
    if (payload_type != _pt) {
        _pt = payload_type;
        restart_detector();
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

void TelephoneEventSender::emit_finals(uint32_t n)
{
    for (uint32_t k = 0; k < n; ++k) {
        emit(_final_event, _final_volume, _final_ts, _final_duration, false, _final_end);
    }
    _final_left -= n;
}

void TelephoneEventSender::set_final(uint32_t duration, bool event_end)
{
    // A segment's final still being repeated goes first, all of it.
    emit_finals(_final_left);
    _final_event = _event;
    _final_volume = _volume;
    _final_ts = _ts;
    _final_duration = std::clamp(duration, 1u, max_event_duration);  // 2.3.5: not zero
    _final_end = event_end;
    _final_left = final_transmissions;
}

void TelephoneEventSender::end_event(uint32_t end_ts, bool cut_short)
{
    uint32_t duration = end_ts - _ts;
    if (!cut_short && !_segmented) {
        duration = std::max(duration, min_reported_ms * samples_per_ms_u);
    }
    set_final(duration, true);
    _active = false;
}

bool TelephoneEventSender::take_report(uint32_t ts, uint32_t end_ts)
{
    const Report r = _reports[0];
    std::copy(_reports + 1, _reports + _report_count, _reports);
    --_report_count;
    if (r.key == 0) {  // the tone ended
        if (_active) {
            end_event(end_ts, false);
        }
        return false;
    }
    const int event = dtmf_event_of(static_cast<char>(r.key));  // SpanDSP reports the key's character
    if (event < 0 || (_active && event == _event)) {
        return false;
    }
    if (_active) {
        end_event(ts, true);  // another key without a pause: the last one ends where this packet begins
    }
    _active = true;
    _marker = true;
    _segmented = false;
    _event = static_cast<uint8_t>(event);
    _volume = static_cast<uint8_t>(std::clamp(-static_cast<int>(r.level), 0, 63));
    _ts = ts;
    ++_c.events;
    return true;
}

int TelephoneEventSender::process(const uint8_t* pkt, std::size_t len, bool far_end_dtmf)
{
    if (len <= rtp_fixed_header_len || _pt == 0) {
        return 0;
    }
    const auto samples = static_cast<uint32_t>(std::min(len - rtp_fixed_header_len, max_audio_samples));
    _seq = bytes::load_be16(pkt + 2);
    const uint32_t ts = bytes::load_be32(pkt + 4);
    _ssrc = bytes::load_be32(pkt + 8);
    const uint32_t end_ts = ts + samples;
    if (_have_next_ts && ts != _next_ts) {
        // Audio missing in between (hold, a span without frames): what the
        // detector had is stale, and an event cannot report the gap.
        restart_detector();
    }
    _have_next_ts = true;
    _next_ts = end_ts;

    if (far_end_dtmf) {
        _deaf_samples = echo_hangover_ms * samples_per_ms_u + samples;
    }
    const bool deaf = _deaf_samples > 0;
    _deaf_samples -= std::min(_deaf_samples, samples);
    const uint8_t* payload = pkt + rtp_fixed_header_len;
    if (detector_idle() && (deaf || sum_of_squares(_law, payload, samples) < quiet_mean_square * samples)) {
        // Not listened to. The block the detector has begun holds quiet
        // audio too; it goes on with the next packet heard, as if the
        // silence had been shorter.
        ++_c.quiet;
    } else {
        int16_t lin[max_audio_samples];
        if (deaf) {
            // Silence ends the digit it is in (or weighing).
            std::fill_n(lin, samples, int16_t{0});
        } else {
            decode_law(_law, payload, lin, samples);
        }
        // The callback's user pointer is set each time: a sender is a value
        // (the detector's state inside it) and may have been moved since
        // reset().
        dtmf_rx_set_realtime_callback(&_rx, on_tone, this);
        dtmf_rx(&_rx, lin, static_cast<int>(samples));
    }

    _out_count = 0;
    const bool started = _report_count > 0 && take_report(ts, end_ts);
    // The final packet: once per interval until sent three times, or all
    // that are left at once when a new event starts.
    if (_final_left > 0) {
        emit_finals(started ? _final_left : 1);
    }
    if (_active) {
        const uint32_t duration = end_ts - _ts;
        if (duration >= max_event_duration) {
            // 2.5.1.3: the segment ends at the field's limit, its final
            // packet without E; the next segment starts there, without M.
            set_final(max_event_duration, false);
            emit_finals(1);
            _ts += max_event_duration;
            _segmented = true;
        } else {
            emit(_event, _volume, _ts, duration, _marker, false);
        }
        _marker = false;
    }
    return static_cast<int>(_out_count);
}

}  // namespace trunkgw::media
