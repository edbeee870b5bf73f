// Jitter buffer; see jitter_buffer.h.
#include "tdm/pw/jitter_buffer.h"

#include <cstring>

namespace trunkgw::tdm {

namespace {

// Sequence numbers are a 16-bit circular space (RFC 4553 5.2, RFC 3550
// A.1): the signed difference tells ahead from behind.
int32_t seq_diff(uint16_t a, uint16_t b) { return static_cast<int16_t>(static_cast<uint16_t>(a - b)); }

}  // namespace

JitterBuffer::JitterBuffer(uint32_t target, uint32_t capacity, std::size_t payload_max)
    : _target(target < 1 ? 1 : target), _capacity(capacity), _mask(capacity - 1), _payload_max(payload_max),
      _slots(capacity), _data(static_cast<std::size_t>(capacity) * payload_max)
{
    reset();
}

void JitterBuffer::reset()
{
    for (auto& s : _slots) {
        s = Slot{};
    }
    _started = false;
    _playing = false;
}

uint32_t JitterBuffer::depth() const
{
    if (!_started) {
        return 0;
    }
    int32_t d = seq_diff(_highest, _next) + 1;
    return d > 0 ? static_cast<uint32_t>(d) : 0;
}

bool JitterBuffer::push(uint16_t seq, const uint8_t* payload, std::size_t len, bool l, bool r, uint8_t m)
{
    if (len > _payload_max) {
        return false;  // the caller counts malformed sizes before this
    }
    if (!_started) {
        _started = true;
        _next = seq;
        _highest = seq;
    }
    int32_t ahead = seq_diff(seq, _next);
    if (ahead < 0 && !_playing && static_cast<uint32_t>(-ahead) + depth() < _capacity) {
        // Nothing has been played yet: a packet that arrived after a later
        // one (the first one fixed the origin) is early enough. Move the
        // origin back to it.
        _next = seq;
        ahead = 0;
    }
    if (ahead < 0) {
        // Its playout time has passed (or it was played already).
        ++_c.late;
        return false;
    }
    if (static_cast<uint32_t>(ahead) >= _capacity) {
        // Far ahead of the playout point: the far end's clock runs faster
        // than ours (or a burst arrived after a long gap). Drop what is
        // buffered and refill from this packet to the target depth, as at
        // start: the periods until then are filler, not lost packets.
        ++_c.overflows;
        ++_c.slips;
        for (auto& s : _slots) {
            s.valid = false;
        }
        _next = seq;
        _highest = seq;
        _playing = false;
        ahead = 0;
    }
    Slot& s = _slots[seq & _mask];
    if (s.valid && s.seq == seq) {
        ++_c.duplicate;
        return false;
    }
    if (seq_diff(seq, _highest) < 0) {
        ++_c.reordered;
    } else {
        _highest = seq;
    }
    s = Slot{true, seq, l, r, m, len};
    if (len > 0) {
        std::memcpy(data(seq & _mask), payload, len);
    }
    ++_c.received;
    if (!_playing && depth() >= _target) {
        _playing = true;
    }
    return true;
}

PlayoutSlot JitterBuffer::pop()
{
    if (!_playing) {
        ++_c.filler;
        return {nullptr, 0, false, false, 0};
    }
    uint16_t seq = _next;
    Slot& s = _slots[seq & _mask];
    bool have = s.valid && s.seq == seq;
    if (!have && seq_diff(_highest, seq) < 0) {
        // Nothing at or after the playout point: the far end's clock runs
        // slower than ours. Stop and refill to the target depth.
        ++_c.underruns;
        ++_c.slips;
        ++_c.filler;
        _playing = false;
        _started = false;
        return {nullptr, 0, false, false, 0};
    }
    _next = static_cast<uint16_t>(seq + 1);
    if (!have) {
        ++_c.lost;
        return {nullptr, 0, false, false, 0};
    }
    s.valid = false;
    ++_c.played;
    return {data(seq & _mask), s.len, s.l, s.r, s.m};
}

}  // namespace trunkgw::tdm
