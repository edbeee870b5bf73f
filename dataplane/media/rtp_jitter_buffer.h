// RTP -> TDM for one channel: G.711 RTP packets in, 8 samples per 1 ms tick
// out, in the channel's law.
//
// Storage is a ring of samples indexed by RTP timestamp, so packets of any
// size (not only our ptime) land where their timestamp says; each 1 ms
// block's samples and received flags share a 16-octet slot. The playout
// point P is the timestamp of the next sample to play; each tick plays
// [P, P + 8) and advances P by 8.
//
// Start and resynchronisation: the first packet of a stream (and after an
// SSRC change, a timestamp jump past the buffer, or 100 ms of nothing but
// late packets) sets P = T - target, so that packet plays `target` samples
// after it arrived.
//
// Depth and its adjustment. For each accepted packet, h = T - P at arrival
// is how long it will wait. The least-delayed packet in a sliding window
// gives the depth H = max(h): two halves of 1 s (adaptive) or 4 s (fixed:
// robust against jitter noise; drift of 100 ppm moves H 0.8 ms in 8 s).
// The policy moves H towards the target in 1 ms (8-sample) steps:
// - target: fixed mode, the configured delay; adaptive mode,
//   clamp(3 * J rounded up to 1 ms, delay_ms, max_delay_ms) where J is the
//   RFC 3550 A.8 interarrival jitter, its peak over the same window (J
//   averages 16 packets: it rises at once with new jitter, and holding the
//   peak keeps its noise from moving the target). Uniform arrival noise of
//   width X gives J ~= X/3, so 3 J covers X (the peak adds the margin).
// - shrink (skip one block) when H >= target + 2 ms and the block at P is
//   missing (free: it would be concealed) or silent (every level under
//   -48 dBov), at most one silent block per tick; otherwise one forced step
//   per 100 ms (a 1 % speed-up).
// - grow (play 1 ms of concealment without consuming) when
//   H <= target - 2 ms, at most one step per 5 ms.
// The 2 ms dead band keeps jitter noise in H from hunting. The same
// mechanism absorbs clock drift between the far end and our TDM clock.
// H follows a rise at once but a fall only as the window slides; a large
// fall (the network delay stepped up by more than the buffer holds) shows
// as packets that are all late, and 100 ms of those resynchronises.
//
// Loss: a missing block is concealed with SpanDSP's PLC (plc_fillin on
// 16-bit linear, encoded back to the channel's law); real audio is fed to
// plc_rx so the concealer has history and blends the resumption: lazily,
// from the ring, when a fill-in needs it (the same history as feeding every
// block, without touching the PLC state on every tick). (SpanDSP
// 0.0.6's first plc_fillin() of a gap writes up to 30 samples whatever the
// length asked: each gap starts with a 32-sample fill-in drawn 8 a tick.) After
// 50 ms of concealment (where SpanDSP's fade reaches zero), before the first
// packet and between a resynchronisation and the new stream's first sample,
// the idle code plays (0xD5 A-law, 0xFF u-law). Without loss
// the output is bit-exact (law-converted with G.711 Tables 3/4 when the
// laws differ).
//
// Receiver statistics follow RFC 3550 A.1/A.3/A.8 (receiver_stats.h). A
// packet in A.1 probation still plays (the header, PT and SSRC checks have
// passed; losing the start of a stream is worse); the first packet of a
// very large sequence jump is discarded as A.1 does.
//
// Everything is allocated in the constructor, the ring sized for the
// largest max_delay_ms the buffer will be configured with (its limits);
// configure(), receive() and play() never allocate, throw or make a syscall.
// A config with a smaller max_delay_ms uses the front of the ring, exactly
// as large as a buffer constructed for that config (so behaviour does not
// depend on the limits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include <spandsp.h>

#include "dataplane/media/config_check.h"
#include "dataplane/media/g711_codec.h"
#include "dataplane/media/receiver_stats.h"
#include "dataplane/media/rtp_header.h"

namespace trunkgw::media {

enum class JitterMode : uint8_t { fixed, adaptive };

struct JitterBufferConfig {
    uint8_t payload_type = payload_type_pcma;  // the only PT accepted (0 or 8)
    Law channel_law = Law::alaw;               // the law play() writes
    JitterMode mode = JitterMode::fixed;
    uint32_t delay_ms = 40;       // fixed: the delay; adaptive: the start and the floor
    uint32_t max_delay_ms = 200;  // adaptive: the ceiling; sizes the ring in both modes (<= 2000)
};

// What a buffer can be configured with; fixed at construction.
struct JitterBufferLimits {
    uint32_t max_delay_ms = 200;  // the largest config max_delay_ms (<= 2000); sizes the ring
};

// What receive() did with a packet.
enum class RxVerdict : uint8_t {
    accepted = 0,
    too_short,  // RtpParseError::too_short, or no payload
    bad_version,
    bad_extension,
    bad_padding,
    bad_payload_type,  // not the negotiated PT (RFC 3550 A.1: "the payload type must be known")
    oversize,          // payload longer than max_payload_samples
    stale_ssrc,        // from the SSRC we left less than 100 ms ago (reordered across a change)
    seq_jump,          // first packet of a very large sequence jump (A.1)
    duplicate,
    late,  // every sample's playout time has passed
    idle,  // MediaSession only: the session is not configured (the caller counts it)
    srtp_refused,  // MediaSession only: SRTP refused it (tag, replay, no keys yet; SrtpCounters)
};

const char* rx_verdict_name(RxVerdict v);

// True when the packet proves the far end sends this stream to us (for
// symmetric RTP latching): it parsed, had our PT and was not a stray.
constexpr bool rx_verdict_from_stream(RxVerdict v)
{
    return v == RxVerdict::accepted || v == RxVerdict::duplicate || v == RxVerdict::late;
}

struct JitterBufferCounters {
    // Playout, in 1 ms ticks (first: a tick increments one of them; the
    // first two follow the buffer's hot fields in their cache line).
    uint64_t played_ticks = 0;     // real audio
    uint64_t silence_ticks = 0;    // idle code: before the first packet, after a long gap
    uint64_t concealed_ticks = 0;  // PLC fill-in (whole or partial block; touches the PLC state anyway)
    uint64_t grow_steps = 0;       // 1 ms inserted
    uint64_t shrink_steps = 0;     // 1 ms skipped
    uint64_t packets = 0;          // accepted
    uint64_t payload_octets = 0;   // their payload octets
    uint64_t events = 0;           // RFC 4733 telephone-event packets taken as part of the stream (receive_event)
    uint64_t reordered = 0;        // arrived after a higher sequence number (not a drop)
    // One counter per drop reason (RxVerdict).
    uint64_t too_short = 0;
    uint64_t bad_version = 0;
    uint64_t bad_extension = 0;
    uint64_t bad_padding = 0;
    uint64_t bad_payload_type = 0;
    uint64_t oversize = 0;
    uint64_t stale_ssrc = 0;
    uint64_t seq_jump = 0;
    uint64_t duplicate = 0;
    uint64_t late = 0;
    // A packet beyond the ring (a forward timestamp jump): what was buffered
    // is dropped and playout restarts at that packet.
    uint64_t overflow = 0;
    // Stream events.
    uint64_t ssrc_changes = 0;  // a new SSRC was accepted and playout resynchronised
    uint64_t late_resyncs = 0;  // 100 ms of only late packets: playout resynchronised
    uint64_t resyncs = 0;       // every (re)start of playout, first packet included
};

// Called by RtpJitterBuffer::receive() before it first changes what play()
// will do (starts a source, moves the target, places a packet): the session
// takes in its plain run there (plain_run.h). A packet dropped before that
// (a duplicate, a parse error) leaves the run running.
struct BeforePlayoutChange {
    void (*fn)(void* user) = nullptr;
    void* user = nullptr;
    void operator()() const
    {
        if (fn != nullptr) {
            fn(user);
        }
    }
};

class RtpJitterBuffer {
public:
    // Longest payload accepted, in samples (120 ms).
    static constexpr uint32_t max_payload_samples = 120 * samples_per_ms;
    static constexpr uint32_t max_delay_limit_ms = 2000;
    // A ring slot (see _ring): 8 samples, then their 8 received flags, as
    // one word each; this word of flags is a block that arrived whole.
    static constexpr uint64_t slot_all_received = 0x0101010101010101ull;

    // Throws std::invalid_argument for a PT other than 0/8, max_delay_ms
    // over 2000 or delay_ms over max_delay_ms.
    explicit RtpJitterBuffer(const JitterBufferConfig& config);
    // Sized for `limits` (throws std::invalid_argument when max_delay_ms is
    // over 2000) and configured with the defaults, delay clamped to the
    // limit.
    explicit RtpJitterBuffer(const JitterBufferLimits& limits);

    // -EINVAL for a PT other than 0/8 or delay_ms over max_delay_ms;
    // -ERANGE for max_delay_ms over 2000 or over limits.max_delay_ms.
    static ConfigCheck check(const JitterBufferConfig& config, const JitterBufferLimits& limits);
    // Starts afresh with `config`: the ring empty, no source, receiver
    // statistics and PLC history cleared, counters zero. Returns 0, or the
    // check() error (against this buffer's limits) with nothing changed.
    int configure(const JitterBufferConfig& config);
    const JitterBufferLimits& limits() const { return _limits; }

    // One received packet and its arrival time on an 8 kHz clock (any
    // origin, wrapping: the session passes now_ns / 125000).
    RxVerdict receive(const uint8_t* pkt, std::size_t len, uint32_t arrival);
    // The same for a packet the caller has parsed already.
    RxVerdict receive(const RtpPacketView& pkt, uint32_t arrival, BeforePlayoutChange before = {});
    // An RFC 4733 telephone-event packet of this stream (its PT is the
    // caller's business): "the same SSRC" and sequence number space as the
    // audio (RFC 4733 2.1), so it takes part in the SSRC, RFC 3550 A.1
    // sequence and duplicate checks and in the receiver statistics, but
    // not in the jitter estimate (its timestamp is the event's start, not
    // the packet's time: 2.3.1) nor in playout. Returns accepted (counted
    // in events) or the drop verdict.
    RxVerdict receive_event(const RtpPacketView& pkt, uint32_t arrival);

    // One tick: writes 8 samples in the channel's law to out8.
    void play(uint8_t* out8);

    // Plain ticks (plain_run.h): how many of the next ticks play() would
    // spend only on playing the block at P unchanged, should it have
    // arrived whole, or (silent) on playing the idle code for it, should it
    // be missing in a gap past concealment: no window turn, no depth step,
    // no blending out of concealment, no ring wrap. Before the first
    // packet, silent up to the ring's end.
    struct PlainPlayout {
        uint32_t ticks = 0;
        bool silent = false;
    };
    PlainPlayout plain_playout() const;
    // The ring slot at P (8 samples, then 8 received flags); the next
    // plain ticks' slots follow it.
    uint8_t* slot_at_playout() const { return sample_at(index(_p)); }
    // The ring's slots in use (tests check that a run stays inside them).
    std::span<const uint8_t> ring_in_use() const { return {_ring.get(), std::size_t{capacity_samples()} * 2}; }
    // The caller played `ms` plain ticks from those slots (copied each
    // one's samples out and cleared its flags; silent: played the idle code
    // for them): counts and moves what play() would have.
    void advance_plain(uint32_t ms, bool silent);

    bool playing() const { return _playing; }
    Law channel_law() const { return _channel_law; }
    // The depth H and the target, in samples (see the header comment).
    uint32_t delay_samples() const;
    uint32_t target_samples() const { return _target; }
    // Samples in use, a power of two (from max_delay_ms).
    uint32_t capacity_samples() const { return _mask + 1; }

    JitterBufferCounters counters() const;
    const ReceiverStats& stats() const { return _rx.stats; }
    // RTCP takes report blocks from here (which updates A.3's priors).
    ReceiverStats& stats() { return _rx.stats; }

private:
    void start_source(uint32_t ssrc, uint16_t seq, uint32_t arrival);
    // The verdicts every packet of the stream gets before its payload is
    // looked at: parse errors, then SSRC and RFC 3550 A.1 sequence checks.
    // (Inlined: receive() is the per-packet path.)
    [[gnu::always_inline]] inline RxVerdict parse_verdict(RtpParseError e);
    [[gnu::always_inline]] inline RxVerdict admit(const RtpHeader& h, uint32_t arrival);
    void resync(uint32_t timestamp);
    bool check_duplicate(uint16_t seq);
    void update_target(BeforePlayoutChange before = {});
    void write(uint32_t timestamp, const uint8_t* payload, uint32_t n);
    uint32_t index(uint32_t timestamp) const { return (timestamp - _base) & _mask; }
    // Ring index i's sample and its valid flag (see _ring).
    uint8_t* sample_at(uint32_t i) const { return &_ring[(i & ~(block_samples - 1)) * 2 + (i & (block_samples - 1))]; }
    uint8_t* valid_at(uint32_t i) const { return sample_at(i) + block_samples; }
    void read_ring(uint32_t i, uint8_t* out, uint32_t n) const;
    uint64_t block_valid(uint32_t i) const;
    bool block_silent(uint32_t i) const;
    void clear_block(uint32_t i);
    void play_block(uint8_t* out8);
    void fillin(int16_t* lin, uint32_t n);
    void feed_history();
    void real(int16_t* lin, uint32_t n);
    void conceal(uint8_t* out8);
    void insert(uint8_t* out8);
    void shift_window(int32_t by);
    int32_t depth() const;  // H, or no_depth
    uint16_t window_half_ticks() const;

    static constexpr int32_t no_depth = INT32_MIN;
    static constexpr uint32_t block_samples = samples_per_ms;  // one tick, one ring slot

    // Hot: what a tick reads and writes, first (the session puts it next
    // to its own hot fields): at 10,000 sessions every tick's line is a
    // cache miss, so the count of lines per tick is the tick's cost.
    // 48 octets, so that the first two tick counters after them share
    // their line (the session puts them in its second: media_session.h).
    //
    // The ring, indexed by timestamp: one 16-octet slot per 1 ms block, its
    // 8 samples (channel law) then their 8 valid flags (1: received), so
    // that a tick reads one slot in one cache line (separate sample and flag
    // arrays cost a tick two).
    std::unique_ptr<uint8_t[]> _ring;
    uint32_t _p = 0;                      // playout point (timestamp of the next sample)
    uint32_t _base = 0;                   // timestamp at ring index 0 (P - base stays a multiple of 8)
    uint16_t _mask;        // capacity_samples() - 1 (32767 at most)
    uint16_t _target = 0;  // samples (16000 at most)
    uint32_t _ticks_since_step = 0;
    int32_t _win_cur = no_depth;   // max h in the current half window
    int32_t _win_prev = no_depth;  // ... and in the previous one
    uint16_t _gap_ticks = 0;       // consecutive ticks without real audio (<= max_conceal_ticks)
    // Ticks until the window turns (1..the half window, 4000 at most):
    // counted down, so that a tick need not read the mode (a received
    // packet's line) to know the half window's length.
    uint16_t _win_left = 1;
    // PLC history is fed lazily: real audio played unchanged since _hist_to
    // (a timestamp <= P) is still in the ring and reaches plc_rx only when
    // SpanDSP needs it (a fill-in, a skipped block, a resync): feeding it
    // every tick touched the PLC state's three cache lines per session-tick.
    uint32_t _hist_to = 0;
    // The later of P and the end of the furthest write since the last
    // resync (a timestamp): every received flag lies in [P, _written_to),
    // so from there on every block is missing, which a silent plain run,
    // and a tick that plays a missing block, need to know without reading
    // the ring.
    uint32_t _written_to = 0;
    bool _playing = false;
    bool _plc_filling = false;  // fill-in since the last plc_rx (SpanDSP's missing_samples != 0)
    Law _channel_law;  // the law play() writes
    JitterBufferCounters _c;  // but the per-packet four, which are _rx.counts (counters() joins them)

    // What every received packet of the stream reads or writes, in two
    // lines of its own: the receiver statistics and the duplicate bitmap
    // in the first; config (PT, law, mode, the target's bounds), the
    // adaptive jitter peaks, the late-run state and the per-packet
    // counters in the second. With a fixed target a duplicate is refused
    // from these two and the session's first line, where it took five
    // lines before (the tick's line for the mode, the drop counters'
    // line, three of the group); an adaptive one also compares the target
    // (the tick's line), and a late packet reads P there. Measured with
    // cachegrind (bench media_sessions --duplicates: dataplane_pps's
    // replay mostly sends such copies).
    struct alignas(64) ReceiveGroup {
        ReceiverStats stats;
        uint64_t seen_bits = 0;  // duplicate detection: a bitmap of the 64 below seen_max (bit i = seen_max - i)
        uint16_t seen_max = 0;   // duplicate detection: the highest sequence number
        uint8_t pt = payload_type_pcma;
        Law codec_law = Law::alaw;
        bool late_run = false;  // only late packets since late_since
        JitterMode mode = JitterMode::fixed;
        uint32_t min_target = 0;
        uint32_t max_target = 0;
        uint32_t late_since = 0;
        uint32_t jit_cur = 0;   // adaptive: max 3 J in the current half window
        uint32_t jit_prev = 0;  // ... and in the previous one
        struct {
            uint64_t packets = 0;
            uint64_t payload_octets = 0;
            uint64_t duplicate = 0;
            uint64_t late = 0;
        } counts;
    } _rx;
    static_assert(offsetof(ReceiveGroup, seen_max) == 64 && sizeof(ReceiveGroup) == 128,
                  "a received packet's state fills two lines exactly");

    // What only a new SSRC needs.
    uint32_t _prev_ssrc = 0;
    uint32_t _ssrc_change_at = 0;  // arrival time of the last SSRC change
    bool _have_prev_ssrc = false;

    // Config no packet needs.
    JitterBufferLimits _limits;
    uint32_t _ring_capacity;  // allocated samples, a power of two >= capacity_samples()

    plc_state_t _plc;
    int16_t _syn[32];  // a gap's first fill-in (see fillin())
    uint32_t _syn_len = 0;
    uint32_t _syn_pos = 0;
};

}  // namespace trunkgw::media
