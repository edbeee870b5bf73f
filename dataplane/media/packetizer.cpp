// TDM -> RTP packetizer; see packetizer.h.
#include "dataplane/media/packetizer.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace trunkgw::media {

Packetizer::Packetizer(const PacketizerConfig& config)
    : _ptime_samples(config.ptime_ms * samples_per_ms), _ts_next(config.first_timestamp),
      _channel_law(config.channel_law), _codec_law(law_of_payload_type(config.payload_type)),
      _pt(config.payload_type), _ssrc(config.ssrc), _seq(config.first_sequence)
{
    ConfigCheck c = check(config);
    if (!c.ok()) {
        throw std::invalid_argument(c.reason);
    }
}

ConfigCheck Packetizer::check(const PacketizerConfig& config)
{
    if (!is_g711_payload_type(config.payload_type)) {
        return {-EINVAL, "packetizer: payload type must be 0 (PCMU) or 8 (PCMA)"};
    }
    // RFC 3551 4.5.14 / 5: G.711 frames may be any multiple of a sample; we
    // offer the ptimes a carrier SDP uses (RFC 4566 "a=ptime").
    if (config.ptime_ms != 10 && config.ptime_ms != 20 && config.ptime_ms != 30 && config.ptime_ms != 40) {
        return {-EINVAL, "packetizer: ptime must be 10, 20, 30 or 40 ms"};
    }
    return {};
}

int Packetizer::configure(const PacketizerConfig& config)
{
    ConfigCheck c = check(config);
    if (!c.ok()) {
        return c.error;
    }
    _pt = config.payload_type;
    _channel_law = config.channel_law;
    _codec_law = law_of_payload_type(config.payload_type);
    _ptime_samples = config.ptime_ms * samples_per_ms;
    _ssrc = config.ssrc;
    _seq = config.first_sequence;
    _ts_next = config.first_timestamp;
    _pkt_ts = 0;
    _fill = 0;
    _marker_pending = true;
    return 0;
}

int Packetizer::push(const uint8_t* samples8, uint8_t* pkt)
{
    if (_fill == 0) {
        _pkt_ts = _ts_next;  // RFC 3550 5.1: the sampling instant of the first octet
    }
    std::memcpy(pkt + rtp_fixed_header_len + _fill, samples8, samples_per_ms);
    _fill += samples_per_ms;
    _ts_next += samples_per_ms;  // RFC 3551 4.1: the clock runs at 8000 Hz
    if (_fill < _ptime_samples) {
        return 0;
    }
    _fill = 0;
    uint8_t* payload = pkt + rtp_fixed_header_len;
    if (_channel_law != _codec_law) {
        // The payload's older lines have left the cache since their ticks
        // (thousands of sessions tick in between): ask for all of them at
        // once rather than miss them one by one in the byte loop.
        for (uint32_t o = 0; o < _ptime_samples; o += 64) {
            __builtin_prefetch(payload + o);
        }
        __builtin_prefetch(payload + _ptime_samples - 1);
        convert_law(_channel_law, _codec_law, payload, payload, _ptime_samples);  // in place
    }
    RtpHeaderFields h;
    h.marker = _marker_pending;
    h.payload_type = _pt;
    h.sequence = _seq;
    h.timestamp = _pkt_ts;
    h.ssrc = _ssrc;
    rtp_build_header(h, pkt, rtp_fixed_header_len);
    // RFC 3550 5.1: "The sequence number increments by one for each RTP data
    // packet sent".
    _seq = static_cast<uint16_t>(_seq + 1);
    _marker_pending = false;
    return static_cast<int>(rtp_fixed_header_len + _ptime_samples);
}

void Packetizer::advance_plain(uint32_t ms)
{
    if (ms == 0) {
        return;
    }
    if (_fill == 0) {
        _pkt_ts = _ts_next;  // as push() does for a packet's first samples
    }
    _fill += ms * samples_per_ms;
    _ts_next += ms * samples_per_ms;
}

bool Packetizer::skip()
{
    bool dropped = _fill != 0;
    _fill = 0;
    _ts_next += samples_per_ms;
    _marker_pending = true;
    return dropped;
}

}  // namespace trunkgw::media
