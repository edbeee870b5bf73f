// SAToP / CESoPSN span; see pseudowire_span.h.
#include "tdm/span/pseudowire_span.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace trunkgw::tdm {

namespace {

std::size_t payload_size(const PseudowireConfig& c)
{
    if (c.mode == PwMode::cesopsn) {
        // RFC 5086 4.1: N octets (one per timeslot) per frame, frames in order.
        return c.timeslots.size() * c.frames_per_packet;
    }
    uint32_t bits = c.line.type == LineType::e1 ? 256 : 193;
    return static_cast<std::size_t>(bits) * c.frames_per_packet / 8;
}

}  // namespace

PseudowireSpan::PseudowireSpan(const PseudowireConfig& cfg, PacketSink& sink)
    : _cfg(cfg), _sink(sink), _info(span_info(cfg.line.type)), _codec(cfg.line),
      _jitter(cfg.jitter_target_packets, cfg.jitter_capacity_packets, payload_size(cfg)),
      _payload_octets(payload_size(cfg)), _tx_seq(cfg.first_sequence)
{
    if (cfg.frames_per_packet < 1 || cfg.frames_per_packet > LineCodec::max_frames_per_call) {
        throw std::invalid_argument("frames_per_packet must be 1..64");
    }
    if (cfg.mode == PwMode::satop && cfg.line.type == LineType::t1 && cfg.frames_per_packet % 8 != 0) {
        throw std::invalid_argument("SAToP on T1 needs frames_per_packet a multiple of 8 (whole octets)");
    }
    uint32_t cap = cfg.jitter_capacity_packets;
    if (cap < 2 || (cap & (cap - 1)) != 0 || cap < 2 * cfg.jitter_target_packets) {
        throw std::invalid_argument("jitter capacity must be a power of two >= 2 x target");
    }
    if (cfg.mode == PwMode::cesopsn) {
        if (cfg.timeslots.empty()) {
            throw std::invalid_argument("CESoPSN needs at least one timeslot");
        }
        uint8_t prev = 0;
        for (uint8_t ts : cfg.timeslots) {
            if (ts <= prev || ts < _info.first_timeslot || ts > _info.last_timeslot) {
                throw std::invalid_argument("CESoPSN timeslots must ascend within the line's range");
            }
            prev = ts;
        }
    }
    _tx_pkt.assign(pw_control_word_bytes + _payload_octets, 0);
    _fill_frames.assign(static_cast<std::size_t>(cfg.frames_per_packet) * span_frame_octets, 0xff);
}

int PseudowireSpan::open()
{
    _open = true;
    _jitter.reset();
    _rx_credit = _cfg.frames_per_packet;
    return 0;
}

void PseudowireSpan::close() { _open = false; }

void PseudowireSpan::set_rai(bool on)
{
    _rai = on;
    _codec.set_rai(on);
}

void PseudowireSpan::flush_packet()
{
    PwControlWord cw;
    // L: our TDM side (the gateway itself) has no local failure to report.
    cw.l = false;
    // R: "set by the PSN-bound IWF ... if its local CE-bound IWF is in the
    // packet loss state" (RFC 4553 5.2, RFC 5086 5.2).
    cw.r = _loss_state;
    // M = 10: RDI of the attachment circuit (RFC 5086 5.2). SAToP carries
    // RAI inside the framed bit stream instead and keeps RSV = 0.
    cw.m = (_cfg.mode == PwMode::cesopsn && _rai) ? 0x2 : 0x0;
    cw.seq = _tx_seq++;
    pw_encode_control_word(cw, _tx_pkt.size(), _tx_pkt.data());
    _sink.send(_tx_pkt.data(), _tx_pkt.size());
    ++_c.pw_packets_tx;
    _tx_fill = 0;
}

void PseudowireSpan::tx_frames(const uint8_t* tx, uint32_t n)
{
    uint8_t* payload = _tx_pkt.data() + pw_control_word_bytes;
    for (uint32_t i = 0; i < n; ++i) {
        const uint8_t* frame = tx + static_cast<std::size_t>(i) * span_frame_octets;
        if (_cfg.mode == PwMode::cesopsn) {
            for (uint8_t ts : _cfg.timeslots) {
                payload[_tx_fill++] = frame[ts];
            }
        } else {
            _codec.frame(frame, 1);
            std::size_t whole = _codec.tx_octet_count();
            std::size_t room = _payload_octets - _tx_fill;
            std::size_t take = whole < room ? whole : room;
            std::memcpy(payload + _tx_fill, _codec.tx_octets(), take);
            _tx_fill += take;
            if (take < whole) {
                // Cannot happen with whole-octet packets; keep the stream
                // intact rather than drop bits if it ever does.
                std::memmove(const_cast<uint8_t*>(_codec.tx_octets()), _codec.tx_octets() + take, whole - take);
            }
            _codec.tx_consume();
        }
        if (_tx_fill == _payload_octets) {
            flush_packet();
        }
    }
}

void PseudowireSpan::receive(const uint8_t* pkt, std::size_t len)
{
    PwDecoded d = pw_decode_control_word(pkt, len);
    if (d.error != PwDecodeError::ok) {
        ++_c.pw_malformed;
        return;
    }
    const PwControlWord& cw = d.cw;
    const std::size_t payload_len = d.payload_len;
    // RFC 4553 5.2: with L set the payload MAY be omitted; otherwise it must
    // be exactly the configured size.
    bool omitted = cw.l && payload_len == 0;
    if (!omitted && payload_len != _payload_octets) {
        ++_c.pw_malformed;
        return;
    }
    ++_c.pw_packets_rx;
    ++_rx_since_play;
    _c.pw_l_bit_rx += cw.l ? 1 : 0;
    _c.pw_r_bit_rx += cw.r ? 1 : 0;
    _jitter.push(cw.seq, pkt + pw_control_word_bytes, omitted ? 0 : payload_len, cw.l, cw.r, cw.m);
}

void PseudowireSpan::play_one_packet()
{
    PlayoutSlot s = _jitter.pop();
    if (s.payload == nullptr && _jitter.playing()) {
        // A lost packet (the playout point passed it).
        ++_consecutive_lost;
        _consecutive_good = 0;
    } else if (s.payload != nullptr) {
        _consecutive_good = s.l ? 0 : _consecutive_good + 1;
        _consecutive_lost = 0;
    } else if (_rx_since_play == 0) {
        // Filling and nothing arrives: the pseudowire is silent.
        ++_consecutive_lost;
        _consecutive_good = 0;
    } else {
        // Refilling after a slip while packets keep arriving: neither loss
        // nor recovery, so a slip never raises a loss-of-packets alarm.
        _consecutive_lost = 0;
    }
    _rx_since_play = 0;
    if (!_loss_state && _consecutive_lost >= _cfg.loss_enter_packets) {
        _loss_state = true;
    } else if (_loss_state && _consecutive_good >= _cfg.loss_exit_packets) {
        _loss_state = false;
    }
    if (s.payload != nullptr) {
        _rx_l = s.l;
        _rx_r = s.r;
        _rx_rdi = _cfg.mode == PwMode::cesopsn && !s.l && s.m == 0x2;
    }

    const uint32_t fpp = _cfg.frames_per_packet;
    bool usable = s.payload != nullptr && s.len == _payload_octets;
    if (_cfg.mode == PwMode::satop) {
        if (usable) {
            _codec.deframe(s.payload, s.len);
        } else {
            // RFC 4553 5.3: lost packets and packets with L set (payload
            // omitted or invalid) play out as AIS, all ones, so our
            // deframer sees what a real line would carry.
            uint8_t ais[64];
            std::memset(ais, 0xff, sizeof(ais));
            for (std::size_t left = _payload_octets; left > 0;) {
                std::size_t n = left < sizeof(ais) ? left : sizeof(ais);
                _codec.deframe(ais, n);
                left -= n;
            }
        }
        return;
    }
    // CESoPSN: the payload holds our timeslots frame by frame; the rest of
    // each frame is idle (all ones). RFC 5086 6.2: lost packets, and packets
    // whose L bit says the TDM data is invalid, play out all ones.
    std::memset(_fill_frames.data(), 0xff, _fill_frames.size());
    if (usable && !s.l) {
        std::size_t k = 0;
        for (uint32_t f = 0; f < fpp; ++f) {
            uint8_t* frame = &_fill_frames[static_cast<std::size_t>(f) * span_frame_octets];
            for (uint8_t ts : _cfg.timeslots) {
                frame[ts] = s.payload[k++];
            }
        }
    }
    _codec.push_frames(_fill_frames.data(), fpp);
}

int PseudowireSpan::advance(uint32_t frames, const uint8_t* tx, uint8_t* rx)
{
    if (!_open) {
        return -ENOTCONN;
    }
    uint32_t done = 0;
    while (done < frames) {
        uint32_t n = frames - done;
        if (n > LineCodec::max_frames_per_call) {
            n = LineCodec::max_frames_per_call;
        }
        tx_frames(tx + static_cast<std::size_t>(done) * span_frame_octets, n);
        // Packets play out at OUR clock: one per frames_per_packet frames.
        // The credit starts one packet ahead so the FIFO keeps a packet of
        // frames in reserve against the deframer's phase.
        _rx_credit += n;
        while (_rx_credit >= static_cast<int64_t>(_cfg.frames_per_packet)) {
            play_one_packet();
            _rx_credit -= _cfg.frames_per_packet;
        }
        _c.rx_frames_filled += _codec.take(n, rx + static_cast<std::size_t>(done) * span_frame_octets);
        done += n;
    }
    _c.frames_advanced += frames;
    return 0;
}

uint32_t PseudowireSpan::alarms() const
{
    uint32_t a = 0;
    if (_cfg.mode == PwMode::satop) {
        a = _codec.alarms();
    }
    if (_rx_l) {
        a |= alarm_ais;  // RFC 4553 5.2 / RFC 5086 5.2: far-end TDM failure
    }
    if (_rx_r || _rx_rdi) {
        a |= alarm_rai;  // the far end loses our packets, or signals RDI
    }
    if (_loss_state) {
        a |= alarm_los;  // loss of packets: the pseudowire's loss of signal
    }
    return a;
}

SpanCounters PseudowireSpan::counters() const
{
    SpanCounters c = _c;
    c.line = _codec.counters();
    c.rx_frames_dropped = _codec.fifo_dropped();
    const JitterCounters& j = _jitter.counters();
    c.pw_lost = j.lost;
    c.pw_reordered = j.reordered;
    c.pw_duplicate = j.duplicate;
    c.pw_late = j.late;
    c.pw_slips = j.slips;
    c.pw_jitter_depth = _jitter.depth();
    return c;
}

}  // namespace trunkgw::tdm
