// Back-to-back virtual spans and the frame clock; see virtual_span_pair.h.
#include "tdm/span/virtual_span_pair.h"

#include <cerrno>
#include <cstring>
#include <ctime>

namespace trunkgw::tdm {

VirtualSpan::VirtualSpan(const LineCodecConfig& cfg, Wire& out, Wire& in)
    : _info(span_info(cfg.type)), _codec(cfg), _out(out), _in(in)
{
}

int VirtualSpan::open()
{
    _open = true;
    return 0;
}

void VirtualSpan::close() { _open = false; }

int VirtualSpan::advance(uint32_t frames, const uint8_t* tx, uint8_t* rx)
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
        // Transmit: our frames onto the wire, octet by octet.
        _codec.frame(tx + static_cast<std::size_t>(done) * span_frame_octets, n);
        const uint8_t* bits = _codec.tx_octets();
        std::size_t len = _codec.tx_octet_count();
        for (std::size_t i = 0; i < len; ++i) {
            uint8_t o = _out.cut ? 0x00 : bits[i];
            if (_out.flip_bits > 0 && !_out.cut) {
                o ^= 0x10;  // one bit in a payload position, not every octet's framing bit
                --_out.flip_bits;
            }
            if (_out.count == Wire::capacity) {
                continue;  // the other side stopped reading: the line overflows
            }
            _out.buf[(_out.head + _out.count) % Wire::capacity] = o;
            ++_out.count;
        }
        _codec.tx_consume();

        // Receive: everything the far side has put on the wire so far.
        uint8_t chunk[512];
        while (_in.count > 0) {
            std::size_t k = _in.count < sizeof(chunk) ? _in.count : sizeof(chunk);
            for (std::size_t i = 0; i < k; ++i) {
                chunk[i] = _in.buf[(_in.head + i) % Wire::capacity];
            }
            _in.head = (_in.head + k) % Wire::capacity;
            _in.count -= k;
            _codec.deframe(chunk, k);
        }
        _c.rx_frames_filled += _codec.take(n, rx + static_cast<std::size_t>(done) * span_frame_octets);
        done += n;
    }
    _c.frames_advanced += frames;
    return 0;
}

SpanCounters VirtualSpan::counters() const
{
    SpanCounters c = _c;
    c.line = _codec.counters();
    c.rx_frames_dropped = _codec.fifo_dropped();
    return c;
}

VirtualSpanPair::VirtualSpanPair(const LineCodecConfig& cfg)
    : _a(new VirtualSpan(cfg, _ab, _ba)), _b(new VirtualSpan(cfg, _ba, _ab))
{
}

namespace {

uint64_t now_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

SpanClock::SpanClock() : _start_ns(now_ns()) {}

uint32_t SpanClock::due_frames()
{
    // 8000 frames/s: one frame every 125 us.
    uint64_t should = (now_ns() - _start_ns) / 125'000;
    uint64_t due = should - _frames;
    if (due > 64) {
        // A caller that stalled does not get a burst of stale frames; the
        // skipped ones are its slip to count.
        _frames = should - 64;
        due = 64;
    }
    _frames += due;
    return static_cast<uint32_t>(due);
}

}  // namespace trunkgw::tdm
