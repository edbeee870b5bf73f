// RTP -> TDM jitter buffer; see rtp_jitter_buffer.h for the policy.
#include "dataplane/media/rtp_jitter_buffer.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace trunkgw::media {

namespace {

constexpr uint32_t block = samples_per_ms;             // 8 samples, one tick
constexpr uint64_t all_valid = RtpJitterBuffer::slot_all_received;
constexpr int32_t step_threshold = 2 * block;          // 2 ms dead band
constexpr uint32_t grow_interval_ticks = 5;
constexpr uint32_t forced_shrink_interval_ticks = 100;
constexpr uint32_t window_half_ticks_adaptive = 1000;
constexpr uint32_t window_half_ticks_fixed = 4000;
constexpr uint32_t max_conceal_ticks = 50;  // SpanDSP's PLC fades to 0 in 400 samples
constexpr uint32_t late_resync_samples = 100 * samples_per_ms;
constexpr uint32_t stale_ssrc_samples = 100 * samples_per_ms;
constexpr uint32_t adaptive_jitter_factor = 3;
constexpr int silence_level = 128;  // |x| < 128 of 32768: under -48 dBov
// SpanDSP 0.0.6's plc_fillin() writes pitch/4 samples (up to
// PLC_PITCH_OVERLAP_MAX = 30) on the first call of a gap whatever `len` is:
// a gap starts with a 32-sample fill-in that later ticks draw from.
constexpr uint32_t plc_first_fill = 32;
static_assert(plc_first_fill >= PLC_PITCH_OVERLAP_MAX, "the first fill-in must hold SpanDSP's overlap");

constexpr uint32_t next_pow2(uint32_t v)
{
    uint32_t p = 1;
    while (p < v) {
        p <<= 1;
    }
    return p;
}

// The ring for a max_delay_ms (<= max_delay_limit_ms): the deepest playout
// plus room for a packet either side.
constexpr uint32_t ring_samples(uint32_t max_delay_ms)
{
    return next_pow2(max_delay_ms * samples_per_ms + 2 * RtpJitterBuffer::max_payload_samples);
}
// The tick's line keeps the ring mask and the target in 16 bits.
static_assert(ring_samples(RtpJitterBuffer::max_delay_limit_ms) - 1 <= UINT16_MAX);
static_assert(RtpJitterBuffer::max_delay_limit_ms * samples_per_ms <= UINT16_MAX);

// The constructor's config is its own limit; refused before sizing the ring.
JitterBufferLimits limits_of(const JitterBufferConfig& config)
{
    JitterBufferLimits l{config.max_delay_ms};
    ConfigCheck c = RtpJitterBuffer::check(config, l);
    if (!c.ok()) {
        throw std::invalid_argument(c.reason);
    }
    return l;
}

JitterBufferConfig default_config(const JitterBufferLimits& limits)
{
    JitterBufferConfig c;
    c.max_delay_ms = limits.max_delay_ms;
    c.delay_ms = std::min(c.delay_ms, limits.max_delay_ms);
    return c;
}

}  // namespace

const char* rx_verdict_name(RxVerdict v)
{
    switch (v) {
    case RxVerdict::accepted:
        return "accepted";
    case RxVerdict::srtp_refused:
        return "srtp_refused";
    case RxVerdict::too_short:
        return "too_short";
    case RxVerdict::bad_version:
        return "bad_version";
    case RxVerdict::bad_extension:
        return "bad_extension";
    case RxVerdict::bad_padding:
        return "bad_padding";
    case RxVerdict::bad_payload_type:
        return "bad_payload_type";
    case RxVerdict::oversize:
        return "oversize";
    case RxVerdict::stale_ssrc:
        return "stale_ssrc";
    case RxVerdict::seq_jump:
        return "seq_jump";
    case RxVerdict::duplicate:
        return "duplicate";
    case RxVerdict::late:
        return "late";
    case RxVerdict::idle:
        return "idle";
    }
    return "unknown";
}

RtpJitterBuffer::RtpJitterBuffer(const JitterBufferConfig& config) : RtpJitterBuffer(limits_of(config))
{
    configure(config);  // cannot fail: checked against these limits
}

RtpJitterBuffer::RtpJitterBuffer(const JitterBufferLimits& limits)
    : _mask(0), _channel_law(Law::alaw), _limits(limits), _ring_capacity(0)
{
    if (limits.max_delay_ms > max_delay_limit_ms) {
        throw std::invalid_argument("jitter buffer: max_delay_ms must be at most 2000");
    }
    _ring_capacity = ring_samples(limits.max_delay_ms);
    _ring.reset(new uint8_t[2 * _ring_capacity]);  // samples and their flags
    configure(default_config(limits));
}

ConfigCheck RtpJitterBuffer::check(const JitterBufferConfig& config, const JitterBufferLimits& limits)
{
    if (!is_g711_payload_type(config.payload_type)) {
        return {-EINVAL, "jitter buffer: payload type must be 0 (PCMU) or 8 (PCMA)"};
    }
    if (config.max_delay_ms > max_delay_limit_ms) {
        return {-ERANGE, "jitter buffer: max_delay_ms must be at most 2000"};
    }
    if (config.max_delay_ms > limits.max_delay_ms) {
        return {-ERANGE, "jitter buffer: max_delay_ms is over the preallocated limit"};
    }
    if (config.delay_ms > config.max_delay_ms) {
        return {-EINVAL, "jitter buffer: delay_ms must not exceed max_delay_ms"};
    }
    return {};
}

int RtpJitterBuffer::configure(const JitterBufferConfig& config)
{
    ConfigCheck c = check(config, _limits);
    if (!c.ok()) {
        return c.error;
    }
    _rx.pt = config.payload_type;
    _rx.codec_law = law_of_payload_type(config.payload_type);
    _channel_law = config.channel_law;
    _rx.mode = config.mode;
    _rx.min_target = config.delay_ms * samples_per_ms;
    _rx.max_target = config.max_delay_ms * samples_per_ms;
    _mask = static_cast<uint16_t>(ring_samples(config.max_delay_ms) - 1);  // <= _ring_capacity: both powers of two
    for (uint32_t i = 0; i < capacity_samples(); i += block) {
        std::memset(sample_at(i), silence_octet(_channel_law), block);
        std::memset(valid_at(i), 0, block);
    }

    _rx.stats = ReceiverStats{};
    _prev_ssrc = 0;
    _have_prev_ssrc = false;
    _ssrc_change_at = 0;
    _rx.seen_max = 0;
    _rx.seen_bits = 0;

    _playing = false;
    _p = 0;
    _base = 0;
    _target = static_cast<uint16_t>(_rx.min_target);
    _gap_ticks = 0;
    _ticks_since_step = 0;
    _rx.late_run = false;
    _rx.late_since = 0;
    _win_cur = no_depth;
    _win_prev = no_depth;
    _win_left = window_half_ticks();
    _rx.jit_cur = 0;
    _rx.jit_prev = 0;
    plc_init(&_plc);  // given the state, SpanDSP only clears it (no malloc)
    std::memset(_syn, 0, sizeof(_syn));
    _syn_len = 0;
    _syn_pos = 0;
    _plc_filling = false;
    _hist_to = 0;
    _c = {};
    _rx.counts = {};
    return 0;
}

JitterBufferCounters RtpJitterBuffer::counters() const
{
    JitterBufferCounters c = _c;
    c.packets = _rx.counts.packets;
    c.payload_octets = _rx.counts.payload_octets;
    c.duplicate = _rx.counts.duplicate;
    c.late = _rx.counts.late;
    return c;
}

uint16_t RtpJitterBuffer::window_half_ticks() const
{
    return _rx.mode == JitterMode::fixed ? window_half_ticks_fixed : window_half_ticks_adaptive;
}

uint32_t RtpJitterBuffer::delay_samples() const
{
    int32_t h = depth();
    if (h == no_depth) {
        return _target;
    }
    return h < 0 ? 0 : static_cast<uint32_t>(h);
}

int32_t RtpJitterBuffer::depth() const
{
    return _win_cur > _win_prev ? _win_cur : _win_prev;
}

void RtpJitterBuffer::shift_window(int32_t by)
{
    if (_win_cur != no_depth) {
        _win_cur += by;
    }
    if (_win_prev != no_depth) {
        _win_prev += by;
    }
}

RxVerdict RtpJitterBuffer::receive(const uint8_t* pkt, std::size_t len, uint32_t arrival)
{
    return receive(rtp_parse(pkt, len), arrival);
}

void RtpJitterBuffer::start_source(uint32_t ssrc, uint16_t seq, uint32_t arrival)
{
    if (_rx.stats.has_source()) {
        _prev_ssrc = _rx.stats.ssrc();
        _have_prev_ssrc = true;
        _ssrc_change_at = arrival;
        ++_c.ssrc_changes;
        _playing = false;  // resynchronise on this packet
    }
    _rx.stats.new_source(ssrc, seq);
    _rx.seen_max = static_cast<uint16_t>(seq - 1);
    _rx.seen_bits = 0;
}

bool RtpJitterBuffer::check_duplicate(uint16_t seq)
{
    int32_t d = static_cast<int16_t>(static_cast<uint16_t>(seq - _rx.seen_max));
    if (d > 0) {
        _rx.seen_bits = d >= 64 ? 0 : _rx.seen_bits << d;
        _rx.seen_bits |= 1;
        _rx.seen_max = seq;
        return false;
    }
    uint32_t i = static_cast<uint32_t>(-d);
    if (i >= 64) {
        ++_c.reordered;
        return false;  // too old to remember: the playout time decides (late)
    }
    uint64_t bit = 1ull << i;
    if ((_rx.seen_bits & bit) != 0) {
        return true;
    }
    _rx.seen_bits |= bit;
    ++_c.reordered;
    return false;
}

void RtpJitterBuffer::update_target(BeforePlayoutChange before)
{
    if (_rx.mode == JitterMode::fixed) {
        return;
    }
    // 3 J, peak-held over the window: J (a 16-packet average) rises at
    // once with new jitter but its noise would make the target hunt.
    uint32_t j = _rx.stats.jitter() * adaptive_jitter_factor;
    if (j > _rx.jit_cur) {
        _rx.jit_cur = j;
    }
    j = _rx.jit_cur > _rx.jit_prev ? _rx.jit_cur : _rx.jit_prev;
    j = (j + block - 1) / block * block;
    j = j < _rx.min_target ? _rx.min_target : (j > _rx.max_target ? _rx.max_target : j);
    if (j != _target) {
        before();
        _target = static_cast<uint16_t>(j);  // <= max_target
    }
}

void RtpJitterBuffer::resync(uint32_t timestamp)
{
    ++_c.resyncs;
    feed_history();  // before _base moves: the ring's old stream is addressed by it
    for (uint32_t i = 0; i < capacity_samples(); i += block) {
        clear_block(i);
    }
    _p = timestamp - _target;
    _written_to = _p;
    _base = _p;
    _hist_to = _p;
    _playing = true;
    _rx.late_run = false;
    _win_cur = static_cast<int32_t>(_target);
    _win_prev = no_depth;
    _win_left = window_half_ticks();
    _ticks_since_step = 0;
    // Until the first sample of the (new) stream plays, the idle code plays:
    // there is nothing to conceal.
    _gap_ticks = max_conceal_ticks;
}

RxVerdict RtpJitterBuffer::parse_verdict(RtpParseError e)
{
    switch (e) {
    case RtpParseError::ok:
        break;
    case RtpParseError::too_short:
        ++_c.too_short;
        return RxVerdict::too_short;
    case RtpParseError::bad_version:
        ++_c.bad_version;
        return RxVerdict::bad_version;
    case RtpParseError::bad_extension:
        ++_c.bad_extension;
        return RxVerdict::bad_extension;
    case RtpParseError::bad_padding:
        ++_c.bad_padding;
        return RxVerdict::bad_padding;
    }
    return RxVerdict::accepted;
}

RxVerdict RtpJitterBuffer::admit(const RtpHeader& h, uint32_t arrival)
{
    // RFC 3550 8.2: an SSRC change means a new source (the far end changed
    // streams or restarted). Accept it and resynchronise, but not a packet
    // of the source we just left that was reordered across the change.
    if (!_rx.stats.has_source()) {
        start_source(h.ssrc, h.sequence, arrival);
    } else if (h.ssrc != _rx.stats.ssrc()) {
        if (_have_prev_ssrc && h.ssrc == _prev_ssrc && arrival - _ssrc_change_at < stale_ssrc_samples) {
            ++_c.stale_ssrc;
            return RxVerdict::stale_ssrc;
        }
        start_source(h.ssrc, h.sequence, arrival);
    }

    // A.1 (counts the packet as received, duplicates included, as A.3 says).
    SeqVerdict sv = _rx.stats.update_seq(h.sequence);
    if (sv == SeqVerdict::jump) {
        ++_c.seq_jump;
        return RxVerdict::seq_jump;
    }
    if (sv == SeqVerdict::restart) {
        // A.1 re-synced after two sequential packets of a large jump: the
        // far end restarted. Forget the old sequence history.
        _rx.seen_max = static_cast<uint16_t>(h.sequence - 1);
        _rx.seen_bits = 0;
    }
    return RxVerdict::accepted;
}

RxVerdict RtpJitterBuffer::receive_event(const RtpPacketView& pkt, uint32_t arrival)
{
    if (RxVerdict v = parse_verdict(pkt.error); v != RxVerdict::accepted) {
        return v;
    }
    if (RxVerdict v = admit(pkt.header, arrival); v != RxVerdict::accepted) {
        return v;
    }
    if (check_duplicate(pkt.header.sequence)) {
        ++_rx.counts.duplicate;
        return RxVerdict::duplicate;
    }
    ++_c.events;
    return RxVerdict::accepted;
}

RxVerdict RtpJitterBuffer::receive(const RtpPacketView& pkt, uint32_t arrival, BeforePlayoutChange before)
{
    if (RxVerdict v = parse_verdict(pkt.error); v != RxVerdict::accepted) {
        return v;
    }
    const RtpHeader& h = pkt.header;
    // RFC 3550 A.1: "the payload type must be known, and in particular it
    // must not be equal to SR or RR"; we know exactly one.
    if (h.payload_type != _rx.pt) {
        ++_c.bad_payload_type;
        return RxVerdict::bad_payload_type;
    }
    if (pkt.payload_len == 0) {
        ++_c.too_short;
        return RxVerdict::too_short;
    }
    if (pkt.payload_len > max_payload_samples) {
        ++_c.oversize;
        return RxVerdict::oversize;
    }

    // Another SSRC may start a source (playout stops until this packet
    // resynchronises it).
    if (!_rx.stats.has_source() || h.ssrc != _rx.stats.ssrc()) {
        before();
    }
    if (RxVerdict v = admit(h, arrival); v != RxVerdict::accepted) {
        return v;
    }
    // A.8.
    _rx.stats.update_jitter(h.timestamp, arrival);
    update_target(before);

    if (check_duplicate(h.sequence)) {
        ++_rx.counts.duplicate;
        return RxVerdict::duplicate;
    }
    before();

    uint32_t n = static_cast<uint32_t>(pkt.payload_len);
    if (!_playing) {
        resync(h.timestamp);
    }
    int32_t off = static_cast<int32_t>(h.timestamp - _p);
    if (static_cast<int64_t>(off) + n > capacity_samples()) {
        // Past the end of the ring: the far end jumped forward in time.
        ++_c.overflow;
        resync(h.timestamp);
        off = static_cast<int32_t>(_target);
    } else if (static_cast<int64_t>(off) + n <= 0) {
        // Every sample's playout time has passed. If nothing but late
        // packets has come for 100 ms, the far end jumped back in time:
        // follow it.
        if (!_rx.late_run) {
            _rx.late_run = true;
            _rx.late_since = arrival;
        }
        if (arrival - _rx.late_since < late_resync_samples) {
            ++_rx.counts.late;
            return RxVerdict::late;
        }
        ++_c.late_resyncs;
        resync(h.timestamp);
        off = static_cast<int32_t>(_target);
    }
    _rx.late_run = false;
    if (off > _win_cur) {
        _win_cur = off;
    }
    if (static_cast<int64_t>(off) + n > static_cast<int64_t>(capacity_samples()) - PLC_HISTORY_LEN) {
        feed_history();  // the write reaches the slots of what just played
    }
    write(h.timestamp, pkt.payload, n);
    ++_rx.counts.packets;
    _rx.counts.payload_octets += n;
    return RxVerdict::accepted;
}

void RtpJitterBuffer::write(uint32_t timestamp, const uint8_t* payload, uint32_t n)
{
    if (static_cast<int32_t>(timestamp + n - _written_to) > 0 || static_cast<int32_t>(_p - _written_to) > 0) {
        _written_to = timestamp + n;
    }
    // Samples before P are too late to play; the rest fit (checked above).
    int32_t off = static_cast<int32_t>(timestamp - _p);
    uint32_t skip = off < 0 ? static_cast<uint32_t>(-off) : 0;
    uint32_t left = n - skip;
    uint32_t i = index(timestamp + skip);
    const uint8_t* src = payload + skip;
    // The slots were last written a ring's length ago (out of the cache at
    // thousands of sessions): ask for their lines at once, before the
    // conversion, rather than let each store's miss hold up the next (one
    // prefetch per 64 octets of slots and the last slot: every line of an
    // unwrapped run; a run that wraps may miss a line at the ring's end).
    for (uint32_t k = 0; k < left; k += 4 * block) {
        __builtin_prefetch(sample_at((i + k) & _mask), 1);
    }
    __builtin_prefetch(sample_at((i + left - 1) & _mask), 1);
    uint8_t conv[max_payload_samples];
    if (_rx.codec_law != _channel_law) {
        convert_law(_rx.codec_law, _channel_law, src, conv, left);
        src = conv;
    }
    while (left > 0) {
        uint32_t chunk = block - (i & (block - 1));  // to the end of i's slot
        if (chunk == block && left >= block) {
            // The usual case, whole slots up to the ring's end: fixed-size
            // copies, no calls.
            const uint32_t to_end = capacity_samples() - i;
            uint32_t slots = (left < to_end ? left : to_end) / block;
            uint8_t* slot = sample_at(i);
            for (uint32_t k = 0; k < slots; ++k) {
                std::memcpy(slot, src, block);
                std::memcpy(slot + block, &all_valid, block);
                slot += 2 * block;
                src += block;
            }
            left -= slots * block;
            i = (i + slots * block) & _mask;
            continue;
        }
        chunk = chunk < left ? chunk : left;
        std::memcpy(sample_at(i), src, chunk);
        std::memset(valid_at(i), 1, chunk);
        src += chunk;
        left -= chunk;
        i = (i + chunk) & _mask;
    }
}

void RtpJitterBuffer::read_ring(uint32_t i, uint8_t* out, uint32_t n) const
{
    while (n > 0) {
        uint32_t chunk = block - (i & (block - 1));
        chunk = chunk < n ? chunk : n;
        std::memcpy(out, sample_at(i), chunk);
        out += chunk;
        n -= chunk;
        i = (i + chunk) & _mask;
    }
}

uint64_t RtpJitterBuffer::block_valid(uint32_t i) const
{
    uint64_t v;
    std::memcpy(&v, valid_at(i), sizeof(v));
    return v;
}

bool RtpJitterBuffer::block_silent(uint32_t i) const
{
    int16_t lin[block];
    decode_law(_channel_law, sample_at(i), lin, block);
    for (int16_t x : lin) {
        if (x >= silence_level || x <= -silence_level) {
            return false;
        }
    }
    return true;
}

void RtpJitterBuffer::clear_block(uint32_t i)
{
    std::memset(valid_at(i), 0, block);
}

void RtpJitterBuffer::fillin(int16_t* lin, uint32_t n)
{
    static_assert(sizeof(_syn) / sizeof(_syn[0]) >= plc_first_fill);
    feed_history();
    _plc_filling = true;
    uint32_t k = 0;
    while (k < n) {
        if (_syn_pos < _syn_len) {
            uint32_t take = _syn_len - _syn_pos < n - k ? _syn_len - _syn_pos : n - k;
            std::memcpy(lin + k, _syn + _syn_pos, take * sizeof(int16_t));
            _syn_pos += take;
            k += take;
        } else if (_plc.missing_samples == 0) {
            // A gap starts. SpanDSP 0.0.6's normalise_history() memcpy()s
            // overlapping ranges (undefined behaviour): put the history in
            // order ourselves (plc_state_t is public in 0.0.6's plc.h), so
            // it finds buf_ptr == 0 and returns.
            if (_plc.buf_ptr != 0) {
                std::rotate(_plc.history, _plc.history + _plc.buf_ptr, _plc.history + PLC_HISTORY_LEN);
                _plc.buf_ptr = 0;
            }
            plc_fillin(&_plc, _syn, plc_first_fill);
            _syn_len = plc_first_fill;
            _syn_pos = 0;
        } else {
            plc_fillin(&_plc, lin + k, static_cast<int>(n - k));
            k = n;
        }
    }
}

void RtpJitterBuffer::feed_history()
{
    // The ring still holds every sample played since _hist_to (a slot is
    // only rewritten a ring's length later, and receive() feeds first when
    // a write would reach the history): SpanDSP keeps the last
    // PLC_HISTORY_LEN samples, so at most those are decoded and fed.
    uint32_t n = _p - _hist_to;
    if (n == 0) {
        return;
    }
    if (n > PLC_HISTORY_LEN) {
        n = PLC_HISTORY_LEN;
    }
    int16_t lin[PLC_HISTORY_LEN];
    uint8_t played[PLC_HISTORY_LEN];
    read_ring(index(_p - n), played, n);
    decode_law(_channel_law, played, lin, n);
    plc_rx(&_plc, lin, static_cast<int>(n));  // not concealing: history only
    _hist_to = _p;
}

void RtpJitterBuffer::real(int16_t* lin, uint32_t n)
{
    // The unused rest of a first fill-in is dropped; SpanDSP counts it as
    // missing, so its blend starts up to 24 samples further along the
    // synthetic cycle (a fade over at most 8 samples: inaudible).
    _syn_len = 0;
    _syn_pos = 0;
    _plc_filling = false;
    plc_rx(&_plc, lin, static_cast<int>(n));
}

void RtpJitterBuffer::conceal(uint8_t* out8)
{
    if (_gap_ticks >= max_conceal_ticks) {
        std::memset(out8, silence_octet(_channel_law), block);
        ++_c.silence_ticks;
        return;
    }
    int16_t lin[block];
    fillin(lin, block);
    encode_law(_channel_law, lin, out8, block);
    ++_gap_ticks;
    ++_c.concealed_ticks;
}

void RtpJitterBuffer::insert(uint8_t* out8)
{
    if (_gap_ticks >= max_conceal_ticks) {
        std::memset(out8, silence_octet(_channel_law), block);
        return;
    }
    int16_t lin[block];
    fillin(lin, block);
    encode_law(_channel_law, lin, out8, block);
}

void RtpJitterBuffer::play_block(uint8_t* out8)
{
    uint32_t i = index(_p);
    // Nothing written at or after P: the block is missing and its flags are
    // clear, since every flag set lies in [P, _written_to) (write() extends
    // _written_to over all it flags, and keeps within a ring of P; a resync
    // clears every flag; a played, skipped or plain-run block is cleared as
    // P passes it). Such a block is concealed, or silence past concealment,
    // without reading or clearing the ring's line (at 10,000 sessions a
    // miss each: a quiet far end's ticks, as in a silent plain run). The
    // fuzz build (assertions on) checks the flags.
    const bool unwritten = static_cast<int32_t>(_written_to - _p) <= 0;
    assert(!unwritten || block_valid(i) == 0);
    const uint64_t v = unwritten ? 0 : block_valid(i);
    if (v == all_valid) {
        if (_plc_filling) {
            // Resuming after concealment: plc_rx blends the real signal
            // with the synthetic one (and keeps the blend as history).
            int16_t lin[block];
            decode_law(_channel_law, sample_at(i), lin, block);
            real(lin, block);
            encode_law(_channel_law, lin, out8, block);
            _hist_to = _p + block;
        } else {
            // Plays unchanged; the PLC history is fed from the ring when
            // a gap starts (feed_history), not every tick.
            std::memcpy(out8, sample_at(i), block);
        }
        _gap_ticks = 0;
        ++_c.played_ticks;
    } else if (v == 0) {
        conceal(out8);
        _hist_to = _p + block;  // fed by fillin, or silence SpanDSP never sees
    } else {
        // Part of the block arrived (odd-sized packets or a partly late
        // one): real runs through plc_rx, missing runs through plc_fillin.
        feed_history();
        int16_t lin[block];
        decode_law(_channel_law, sample_at(i), lin, block);
        const uint8_t* valid = valid_at(i);
        uint32_t k = 0;
        while (k < block) {
            uint32_t e = k;
            uint8_t kind = valid[k];
            while (e < block && valid[e] == kind) {
                ++e;
            }
            if (kind != 0) {
                real(lin + k, e - k);
            } else {
                fillin(lin + k, e - k);
            }
            k = e;
        }
        encode_law(_channel_law, lin, out8, block);
        _gap_ticks = 0;
        ++_c.concealed_ticks;
        _hist_to = _p + block;
    }
    if (!unwritten) {
        clear_block(i);
    }
    _p += block;
    if (static_cast<int32_t>(_p - _written_to) > 0) {
        _written_to = _p;  // as advance_plain(): within a ring of P
    }
}

RtpJitterBuffer::PlainPlayout RtpJitterBuffer::plain_playout() const
{
    const uint32_t to_ring_end = (capacity_samples() - index(_p)) / block;
    if (!_playing) {
        // Before the stream's first packet play() plays the idle code and
        // moves nothing, for as long as no packet comes (its receive()
        // takes the run in first): a silent run, kept inside the ring
        // only so that its slot pointer stays there.
        return {to_ring_end, true};
    }
    // Past concealment a missing block plays the idle code (conceal());
    // otherwise only a whole block without a blend is plain (play_block()).
    const bool silent = _gap_ticks >= max_conceal_ticks;
    if (!silent && _plc_filling) {
        return {};
    }
    // A silent run plays without reading the ring: only while nothing has
    // been written at or after P (a receive() ends the run and grants anew).
    if (silent && static_cast<int32_t>(_written_to - _p) > 0) {
        return {};
    }
    // play() turns the window on the tick that brings _win_left to 0 (and
    // may move the target then): that tick is not plain.
    uint32_t n = _win_left - 1u;
    // Outside the dead band play() considers a step every tick. Inside it
    // nothing moves H or the target until a packet arrives (the session
    // takes the run in before receive()) or the window turns.
    if (int32_t h = depth(); h != no_depth) {
        int32_t err = h - static_cast<int32_t>(_target);
        if (err >= step_threshold || err <= -step_threshold) {
            return {};
        }
    }
    return {n < to_ring_end ? n : to_ring_end, silent};
}

void RtpJitterBuffer::advance_plain(uint32_t ms, bool silent)
{
    if (ms == 0) {
        return;
    }
    if (!_playing) {
        assert(silent);          // plain_playout() grants nothing else before a stream
        _c.silence_ticks += ms;  // play()'s idle code
        return;
    }
    _p += ms * block;
    _win_left = static_cast<uint16_t>(_win_left - ms);  // ms < _win_left (plain_playout())
    _ticks_since_step += ms;
    if (silent) {
        // play_block()'s missing-block path past concealment, ms times:
        // silence SpanDSP never sees, so the history starts after it.
        // Nothing was written from the old P on, so none from the new:
        // keeping _written_to at P keeps its 32-bit comparisons true
        // through silences of any length.
        _hist_to = _p;
        _written_to = _p;
        _c.silence_ticks += ms;
    } else {
        // Its whole-block path: the PLC history stays in the ring (fed
        // lazily, _hist_to unchanged).
        _gap_ticks = 0;
        _c.played_ticks += ms;
    }
}

void RtpJitterBuffer::play(uint8_t* out8)
{
    if (!_playing) {
        std::memset(out8, silence_octet(_channel_law), block);
        ++_c.silence_ticks;
        return;
    }
    if (--_win_left == 0) {
        _win_prev = _win_cur;
        _win_cur = no_depth;
        _win_left = window_half_ticks();
        _rx.jit_prev = _rx.jit_cur;
        _rx.jit_cur = 0;
        update_target();
    }
    ++_ticks_since_step;
    int32_t h = depth();
    if (h != no_depth) {
        int32_t err = h - static_cast<int32_t>(_target);
        if (err >= step_threshold) {
            uint32_t i = index(_p);
            uint64_t v = block_valid(i);
            // Shrink: skip the block at P. Free when it is missing (it
            // would be concealed); when silent, one per tick; else one
            // forced step per 100 ms.
            if (v == 0 || (v == all_valid && block_silent(i)) || _ticks_since_step >= forced_shrink_interval_ticks) {
                feed_history();  // what played before the skipped block
                clear_block(i);
                _p += block;
                _hist_to = _p;
                shift_window(-static_cast<int32_t>(block));
                _ticks_since_step = 0;
                ++_c.shrink_steps;
            }
        } else if (err <= -step_threshold && _ticks_since_step >= grow_interval_ticks) {
            // Grow: play 1 ms of concealment without consuming a block.
            insert(out8);
            shift_window(static_cast<int32_t>(block));
            _ticks_since_step = 0;
            ++_c.grow_steps;
            return;
        }
    }
    play_block(out8);
}

}  // namespace trunkgw::media
