// Plain ticks: the milliseconds in which a joined session only moves its 8
// octets each way, run from a dense per-span table without visiting the
// session.
//
// Why: at 10,000 sessions a worker's 1 ms tick visited every session, and
// each visit touched two or three of the session's own cache lines (its hot
// fields, the jitter buffer's) besides the audio itself: ~2.4 lines per
// session-millisecond, all misses, which filled the core's miss buffers for
// a third of its time (DEVELOPERS.md, issue 4). In most milliseconds
// nothing happens but "append 8 samples to the packet being gathered" and
// either "play the 8 that arrived for now" or, in a gap the concealment has
// given up on (the far end silent: silence suppression, hold without a
// re-INVITE, a one-way call) or before the far end's first packet, "play
// the idle code": a PlainRun says where the samples go and come from, 32
// octets a session, so that a span's sessions' runs are one table the size
// of a few lines.
//
// The session grants a run at every call into it (MediaSession
// attach_plain_run()): the number of ticks ahead in which its own tick()
// would do exactly that, no more. Not granted: a tick that completes a
// packet, turns the jitter buffer's window or may step its depth, blends
// out of concealment, plays a DTMF tone, reaches a ring's end, or has an
// event to report; a deadline (RTP timeout, RTCP report) is checked here
// each tick. A block that has not arrived whole ends a playing run at that
// tick (the session then ticks and conceals, as always); a silent run is
// granted only while nothing has been written from the playout point on,
// and a packet's arrival ends it, so it never reads the ring. Every other
// call into the session that depends on the run first takes in what it did
// (the packetizer's fill, the playout point, the counters), so nothing can
// tell the two apart; the media unit tests and the media fuzzer compare
// sessions ticked both ways octet for octet.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "dataplane/media/g711_codec.h"
#include "dataplane/media/rtp_jitter_buffer.h"

namespace trunkgw::media {

// 32 octets, aligned so that none straddles two lines of its table.
struct alignas(32) PlainRun {
    uint8_t* tx = nullptr;     // where the channel's next 8 samples go (the packet being gathered)
    uint8_t* rx = nullptr;     // the jitter buffer's next slot: 8 samples, then their 8 received flags
    uint64_t until_ns = 0;     // the session's next deadline (RTP timeout, RTCP report)
    uint32_t ticks = 0;        // plain ticks left; 0: the next tick visits the session
    bool silent = false;       // false: whole blocks play; true: the idle code plays (the blocks are missing)
    uint8_t idle = 0;          // the channel's idle code (G.711 silence of its law)
};
static_assert(sizeof(PlainRun) == 32);

// Whether the run's slots (the next `ticks`) lie inside `ring` (the jitter
// buffer's ring_in_use()): what the tests and the fuzzer check after each
// call.
inline bool plain_run_inside(const PlainRun& r, std::span<const uint8_t> ring)
{
    return r.ticks == 0 ||
           (r.rx >= ring.data() && r.rx + std::size_t{r.ticks} * 2 * samples_per_ms <= ring.data() + ring.size());
}

// One millisecond of a session through its run: in8 the channel's samples,
// out8 the 8 it plays. True when done; false (nothing changed) when the
// session must tick this millisecond itself.
[[gnu::always_inline]] inline bool plain_tick(PlainRun& r, const uint8_t* in8, uint8_t* out8, uint64_t now_ns)
{
    if (r.ticks == 0 || now_ns >= r.until_ns) {
        return false;
    }
    if (r.silent) {
        // Granted only while nothing was written from the playout point on:
        // the ring need not be read (a packet's arrival ends the run).
        std::memset(out8, r.idle, samples_per_ms);
    } else {
        uint64_t received;
        std::memcpy(&received, r.rx + samples_per_ms, sizeof(received));
        if (received != RtpJitterBuffer::slot_all_received) {
            return false;
        }
        std::memcpy(out8, r.rx, samples_per_ms);
        std::memset(r.rx + samples_per_ms, 0, samples_per_ms);
    }
    std::memcpy(r.tx, in8, samples_per_ms);
    r.tx += samples_per_ms;
    r.rx += 2 * samples_per_ms;
    --r.ticks;
    return true;
}

}  // namespace trunkgw::media
