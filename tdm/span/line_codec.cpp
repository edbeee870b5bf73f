// E1/T1 framing behind one face; see line_codec.h.
#include "tdm/span/line_codec.h"

#include <cstring>

namespace trunkgw::tdm {

LineCodec::LineCodec(const LineCodecConfig& cfg)
    : _type(cfg.type), _e1_tx(cfg.crc4), _e1_rx(cfg.crc4), _t1_tx(cfg.t1_framing), _t1_rx(cfg.t1_framing)
{
}

void LineCodec::frame(const uint8_t* frames, uint32_t n)
{
    // Never past the staging buffer, whatever the caller forgot to consume.
    std::size_t room_frames = (sizeof(_tx) - (_tx_bits + 7) / 8) / 32;
    if (n > room_frames) {
        n = static_cast<uint32_t>(room_frames);
    }
    if (_type == LineType::e1) {
        // E1 frames are 32 octets: the stream stays octet aligned.
        for (uint32_t i = 0; i < n; ++i) {
            _e1_tx.build_frame(frames + i * span_frame_octets, _tx + _tx_bits / 8);
            _tx_bits += 256;
        }
        return;
    }
    // T1 frames are 193 bits: keep the partial octet between calls.
    BitWriter w(_tx, sizeof(_tx), _tx_bits);
    for (uint32_t i = 0; i < n; ++i) {
        _t1_tx.build_frame(frames + i * span_frame_octets + 1, w);  // TS1..TS24
    }
    _tx_bits = w.bits();
}

void LineCodec::tx_consume()
{
    std::size_t whole = _tx_bits / 8;
    std::size_t rest = _tx_bits % 8;
    if (rest != 0) {
        _tx[0] = _tx[whole];
    }
    _tx_bits = rest;
}

void LineCodec::push_frame(const uint8_t* frame32)
{
    if (_fifo_count == fifo_frames) {
        // The far end's clock outran ours by a whole FIFO: drop the oldest.
        _fifo_head = (_fifo_head + 1) % fifo_frames;
        --_fifo_count;
        ++_fifo_dropped;
    }
    std::size_t tail = (_fifo_head + _fifo_count) % fifo_frames;
    std::memcpy(&_fifo[tail * span_frame_octets], frame32, span_frame_octets);
    ++_fifo_count;
}

void LineCodec::deframe(const uint8_t* in, std::size_t n)
{
    // Feed in slices so the scratch output can never overflow.
    const std::size_t slice = _type == LineType::e1 ? max_frames_per_call * 32 : max_frames_per_call * 24;
    for (std::size_t off = 0; off < n; off += slice) {
        std::size_t len = n - off < slice ? n - off : slice;
        if (_type == LineType::e1) {
            std::size_t got = _e1_rx.feed(in + off, len, _scratch, max_frames_per_call + 8);
            for (std::size_t i = 0; i < got; ++i) {
                push_frame(&_scratch[i * 32]);
            }
            // G.704 2.3.3.4: each errored sub-multiframe we receive is
            // reported back to the far end in an E bit.
            uint32_t errored = _e1_rx.take_errored_smfs();
            if (errored != 0) {
                _e1_tx.report_remote_crc_errors(errored);
            }
        } else {
            std::size_t got = _t1_rx.feed(in + off, len, _scratch, max_frames_per_call + 8);
            uint8_t frame[span_frame_octets];
            for (std::size_t i = 0; i < got; ++i) {
                std::memset(frame, 0xff, sizeof(frame));
                std::memcpy(frame + 1, &_scratch[i * 24], 24);
                push_frame(frame);
            }
        }
    }
}

void LineCodec::push_frames(const uint8_t* frames, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i) {
        push_frame(frames + static_cast<std::size_t>(i) * span_frame_octets);
    }
}

bool LineCodec::in_frame() const { return _type == LineType::e1 ? _e1_rx.in_frame() : _t1_rx.in_frame(); }

void LineCodec::fill_ais(uint32_t n)
{
    uint8_t ones[span_frame_octets];
    std::memset(ones, 0xff, sizeof(ones));
    for (uint32_t i = 0; i < n; ++i) {
        push_frame(ones);
    }
}

uint32_t LineCodec::take(uint32_t n, uint8_t* rx)
{
    // Play nothing until a reserve of prime_frames beyond this call is
    // buffered: the deframer delivers frames in bursts (alignment, packet
    // boundaries) and the reserve keeps those from becoming slips. An empty
    // FIFO later re-primes.
    if (!_primed) {
        if (_fifo_count < n + prime_frames) {
            std::memset(rx, 0xff, static_cast<std::size_t>(n) * span_frame_octets);
            return n;
        }
        _primed = true;
    }
    uint32_t filled = 0;
    for (uint32_t i = 0; i < n; ++i) {
        uint8_t* out = rx + static_cast<std::size_t>(i) * span_frame_octets;
        if (_fifo_count == 0) {
            std::memset(out, 0xff, span_frame_octets);
            ++filled;
            _primed = false;
            continue;
        }
        std::memcpy(out, &_fifo[_fifo_head * span_frame_octets], span_frame_octets);
        _fifo_head = (_fifo_head + 1) % fifo_frames;
        --_fifo_count;
    }
    return filled;
}

void LineCodec::set_rai(bool on)
{
    _e1_tx.set_rai(on);
    _t1_tx.set_yellow(on);
}

void LineCodec::set_ais(bool on)
{
    _e1_tx.set_ais(on);
    _t1_tx.set_ais(on);
}

uint32_t LineCodec::alarms() const { return _type == LineType::e1 ? _e1_rx.alarms() : _t1_rx.alarms(); }

const DeframerCounters& LineCodec::counters() const
{
    return _type == LineType::e1 ? _e1_rx.counters() : _t1_rx.counters();
}

}  // namespace trunkgw::tdm
