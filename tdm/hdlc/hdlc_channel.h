// The PRI D-channel's HDLC framing (Q.921 clause 2, after ISO/IEC 13239)
// over the octets of one 64 kbit/s timeslot: flags, zero-bit insertion, the
// 16-bit FCS, aborts. Built on SpanDSP's hdlc_rx/hdlc_tx; one HdlcChannel per
// D-channel, owned and driven by one thread.
//
// Octet convention: every octet passed to rx_octets() or produced by
// tx_octets() is the octet carried in the E1/T1 timeslot, bit 1 (the MSB)
// first on the line (G.704: bit 1 of a timeslot is sent first). HDLC itself
// sends each of its octets low-order bit first (Q.921 2.8.2: "inside an
// octet, bit 1 is the first bit to be transmitted", where Q.921's bit 1 is
// the least significant), so the first HDLC bit of a frame travels in the
// timeslot octet's MSB. SpanDSP's hdlc_rx_put_byte/hdlc_tx_get_byte use
// exactly this order (they shift the line octet MSB first and assemble data
// octets LSB first), so no bit-reverse table is needed; the unit test pins
// the order against an encoder written from Q.921 and against osmo_isdnhdlc
// with OSMO_HDLC_F_BITREVERSE (its MSB-first mode).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

// SpanDSP's state (spandsp/hdlc.h); opaque here so callers need no SpanDSP.
struct hdlc_rx_state_s;
struct hdlc_tx_state_s;

namespace trunkgw::tdm {

// Written by the thread that owns the HdlcChannel, read by it (and by
// whoever it copies them to). Each reason a frame is refused or dropped has
// its own field; an abort is counted wherever it occurs, also between frames.
struct HdlcCounters {
    uint64_t frames_rx = 0;      // good frames handed to the sink
    uint64_t frames_tx = 0;      // frames completely sent (closing flag out)
    uint64_t octets_rx = 0;      // octets of good frames, FCS not counted
    uint64_t octets_tx = 0;      // octets of sent frames, FCS not counted
    uint64_t crc_errors = 0;     // Q.921 2.9 d): FCS error
    uint64_t aborts = 0;         // Q.921 2.10: 7+ contiguous ones
    uint64_t overlong = 0;       // more than max_frame octets before the FCS
    uint64_t too_short = 0;      // Q.921 2.9 b): fewer than 3 octets before the FCS
    uint64_t tx_queue_full = 0;  // tx_queue_frame refused: -ENOBUFS
    uint64_t tx_too_long = 0;    // tx_queue_frame refused: len > max_frame (-EMSGSIZE)
    uint64_t non_octet = 0;      // Q.921 2.9 c): not an integral number of octets
    uint64_t tx_too_short = 0;   // tx_queue_frame refused: len < min_frame (-EMSGSIZE)
};

class HdlcChannel {
public:
    // Called from inside rx_octets() for each good frame: address, control
    // and information fields, FCS already checked and removed. The pointer
    // is valid only during the call.
    using FrameSink = void (*)(void* user, const uint8_t* frame, std::size_t len);

    // Q.921 5.9.3: N201, the largest information field, is 260 octets; plus
    // the 2-octet address field (Q.921 3.2) and the control field, 2 octets
    // for I and S frames in modulo-128 operation (Q.921 3.4) = 264.
    static constexpr std::size_t max_frame = 264;
    // Q.921 2.9 b): a frame with fewer than 5 octets between flags (FCS
    // included) is invalid: address (2) + control (1) at least.
    static constexpr std::size_t min_frame = 3;

    // Allocates everything (SpanDSP state, the TX queue) here; the rx/tx
    // calls below never allocate and never throw. tx_queue_frames frames can
    // wait (0 is taken as 1); one more can be on the line at the same time.
    HdlcChannel(FrameSink sink, void* user, std::size_t tx_queue_frames = 32);
    ~HdlcChannel();
    // SpanDSP keeps `this` for its callbacks: the object stays where it is.
    HdlcChannel(const HdlcChannel&) = delete;
    HdlcChannel& operator=(const HdlcChannel&) = delete;

    // Octets of the timeslot in arrival order (see the octet convention at
    // the top). Frames may start at any bit offset and span calls.
    void rx_octets(const uint8_t* in, std::size_t n);

    // Queues one frame (without FCS; SpanDSP appends it). All or nothing:
    // 0 when queued, -ENOBUFS when the queue is full, -EMSGSIZE when len is
    // outside [min_frame, max_frame]; refusals are counted.
    int tx_queue_frame(const uint8_t* frame, std::size_t len);

    // Fills out with the next n octets for the timeslot: queued frames
    // separated by one shared flag (Q.921 2.2), flags when idle (a PRI
    // D-channel's interframe time fill is contiguous flags, not ones).
    void tx_octets(uint8_t* out, std::size_t n);

    // Frames queued or being sent and not yet finished.
    std::size_t tx_pending() const;

    const HdlcCounters& counters() const { return _counters; }

private:
    static void on_rx_frame(void* user, const uint8_t* pkt, int len, int ok);
    static void on_tx_underflow(void* user);
    void rx_frame(const uint8_t* pkt, int len, bool ok);
    void rx_octet_bitwise(uint8_t octet);
    void tx_load_next();

    FrameSink _sink;
    void* _user;
    hdlc_rx_state_s* _rx = nullptr;
    hdlc_tx_state_s* _tx = nullptr;
    HdlcCounters _counters;
    // SpanDSP's own CRC error count as last seen: it reports CRC and length
    // errors through the same "bad frame" callback.
    unsigned long _spandsp_crc_errors = 0;
    // The frame now in progress has already been counted as overlong.
    bool _overlong_counted = false;

    // TX ring of fixed slots of max_frame octets: head is the oldest frame.
    std::size_t _tx_slots;
    std::unique_ptr<uint8_t[]> _tx_buf;
    std::unique_ptr<uint16_t[]> _tx_len;
    std::size_t _tx_head = 0;
    std::size_t _tx_count = 0;
    // A frame handed to SpanDSP and not finished; its length for octets_tx.
    bool _tx_in_flight = false;
    std::size_t _tx_in_flight_len = 0;
};

}  // namespace trunkgw::tdm
