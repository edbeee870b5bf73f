// The CE-bound jitter buffer of a TDM pseudowire (RFC 4553 5.3 / RFC 5086
// 6.2): packets are placed by sequence number, played out one per packet
// period, and what is missing is replaced and counted.
//
// - Reordered packets are put back in order as long as they arrive before
//   their playout time; later ones are "late" and dropped.
// - A packet seen twice is a "duplicate" and dropped.
// - A packet whose playout time passed without it is "lost": the caller
//   plays filler (all ones: RFC 4553 5.3, RFC 5086 6.2 default).
// - Clock differences between the far end and our TDM clock surface as the
//   buffer running dry (underrun: frames inserted) or overflowing (frames
//   deleted). Both are slips (G.822 uses the same word for the TDM effect)
//   and are counted; the buffer then re-centres on its target depth.
//
// Storage is allocated once at construction; push and pop never allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace trunkgw::tdm {

struct JitterCounters {
    uint64_t received = 0;    // packets accepted into the buffer
    uint64_t played = 0;      // packets played out
    uint64_t lost = 0;        // playout slots with no packet (replaced by filler)
    uint64_t reordered = 0;   // packets that arrived after a higher sequence number
    uint64_t duplicate = 0;   // packets already buffered
    uint64_t late = 0;        // packets that arrived after their playout time
    uint64_t overflows = 0;   // packets too far ahead: the buffer was re-centred
    uint64_t underruns = 0;   // the buffer ran dry: playout waits for the target depth
    uint64_t slips = 0;       // overflows + underruns: a TDM clock slip each
    uint64_t filler = 0;      // packet periods filled while (re)filling
};

struct PlayoutSlot {
    const uint8_t* payload;  // nullptr: nothing to play (lost or filling)
    std::size_t len;
    bool l;
    bool r;
    uint8_t m;
};

class JitterBuffer {
public:
    // `target` packets are buffered before playout starts (the configured
    // depth); up to `capacity` (a power of two >= 2 * target) are held.
    JitterBuffer(uint32_t target, uint32_t capacity, std::size_t payload_max);

    // Places a packet. Returns false when it was dropped (late, duplicate,
    // oversized), which the counters say.
    bool push(uint16_t seq, const uint8_t* payload, std::size_t len, bool l, bool r, uint8_t m);

    // The next packet period's payload. The returned pointer is valid until
    // the next push or pop.
    PlayoutSlot pop();

    uint32_t depth() const;  // packets buffered ahead of the playout point
    bool playing() const { return _playing; }
    uint32_t target() const { return _target; }
    const JitterCounters& counters() const { return _c; }
    void reset();

private:
    struct Slot {
        bool valid;
        uint16_t seq;
        bool l;
        bool r;
        uint8_t m;
        std::size_t len;
    };
    uint8_t* data(uint32_t i) { return &_data[static_cast<std::size_t>(i) * _payload_max]; }

    uint32_t _target;
    uint32_t _capacity;
    uint32_t _mask;
    std::size_t _payload_max;
    std::vector<Slot> _slots;
    std::vector<uint8_t> _data;
    bool _started = false;   // a first packet fixed the sequence origin
    bool _playing = false;   // playout running (else filling to target)
    uint16_t _next = 0;      // sequence number played next
    uint16_t _highest = 0;   // highest sequence number received
    JitterCounters _c;
};

}  // namespace trunkgw::tdm
