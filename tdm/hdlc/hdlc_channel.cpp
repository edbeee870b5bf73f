// HdlcChannel: SpanDSP 0.0.6's HDLC engine plus what a D-channel needs from
// it that it does not do itself: a TX queue, per-reason drop counters, and
// the Q.921 2.9 length rules.
#include "tdm/hdlc/hdlc_channel.h"

#include <cerrno>
#include <cstring>
#include <new>

#include <spandsp.h>
// The receiver's state is read (never written) for two things SpanDSP 0.0.6
// does not report: an overlong frame is abandoned without a callback or a
// counter, and CRC and length errors arrive through the same "bad frame"
// callback. Only this file sees the layout; the header keeps it opaque.
#include <spandsp/private/hdlc.h>

namespace trunkgw::tdm {

namespace {

// SpanDSP's receiver has consumed 7 bits of a flag (0111111) as data by the
// time it sees the flag's last 0: num_bits == 7 at the closing flag means
// the frame ended on an octet boundary (Q.921 2.9 c).
constexpr int aligned_num_bits = 7;

static_assert(HdlcChannel::max_frame <= HDLC_MAXFRAME_LEN, "SpanDSP's frame buffer is smaller than a Q.921 frame");

}  // namespace

HdlcChannel::HdlcChannel(FrameSink sink, void* user, std::size_t tx_queue_frames)
    : _sink(sink), _user(user), _tx_slots(tx_queue_frames == 0 ? 1 : tx_queue_frames),
      _tx_buf(new uint8_t[_tx_slots * max_frame]), _tx_len(new uint16_t[_tx_slots])
{
    // CRC-16 (Q.921 2.7), bad frames reported so each gets a counter, one
    // flag enough to start framing (Q.921 2.2: receivers accept one or more
    // consecutive flags).
    _rx = hdlc_rx_init(nullptr, false, true, 1, &HdlcChannel::on_rx_frame, this);
    // One flag between frames: Q.921 2.2 lets the closing flag serve as the
    // opening flag of the next frame. Not progressive: whole frames only.
    _tx = hdlc_tx_init(nullptr, false, 1, false, &HdlcChannel::on_tx_underflow, this);
    if (_rx == nullptr || _tx == nullptr) {
        if (_rx != nullptr) {
            hdlc_rx_free(_rx);
        }
        if (_tx != nullptr) {
            hdlc_tx_free(_tx);
        }
        throw std::bad_alloc();
    }
    // Frames longer than max_frame (+ FCS) overrun SpanDSP's limit and are
    // abandoned there; rx_octets() notices and counts them.
    hdlc_rx_set_max_frame_len(_rx, max_frame);
    hdlc_tx_set_max_frame_len(_tx, max_frame);
    // SpanDSP 0.0.6 starts with no opening flag: without a timed burst of
    // flags first, the first frame goes out unframed and is lost.
    hdlc_tx_flags(_tx, 2);
}

HdlcChannel::~HdlcChannel()
{
    hdlc_rx_free(_rx);
    hdlc_tx_free(_tx);
}

void HdlcChannel::on_rx_frame(void* user, const uint8_t* pkt, int len, int ok)
{
    static_cast<HdlcChannel*>(user)->rx_frame(pkt, len, ok != 0);
}

void HdlcChannel::rx_frame(const uint8_t* pkt, int len, bool ok)
{
    if (len < 0) {
        // Status reports come as negative lengths with no buffer; only the
        // abort matters here (Q.921 2.10: the frame in progress is ignored).
        if (len == SIG_STATUS_ABORT) {
            ++_counters.aborts;
        }
        return;
    }
    if (!ok) {
        // SpanDSP counts a CRC error before this call and a length error
        // after it, and checks alignment before the CRC.
        if (_rx->rx_crc_errors != _spandsp_crc_errors) {
            _spandsp_crc_errors = _rx->rx_crc_errors;
            ++_counters.crc_errors;  // Q.921 2.9 d)
        } else if (_rx->num_bits != aligned_num_bits) {
            ++_counters.non_octet;  // Q.921 2.9 c)
        } else {
            ++_counters.too_short;  // fewer octets than the FCS itself
        }
        return;
    }
    auto n = static_cast<std::size_t>(len);
    if (n < min_frame) {
        ++_counters.too_short;  // Q.921 2.9 b)
        return;
    }
    if (n > max_frame) {
        // Not reached while SpanDSP enforces max_frame; kept so that a
        // change there cannot hand the sink a frame it cannot hold.
        ++_counters.overlong;
        return;
    }
    ++_counters.frames_rx;
    _counters.octets_rx += n;
    _sink(_user, pkt, n);
}

void HdlcChannel::rx_octets(const uint8_t* in, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i) {
        // 8 line bits complete at most one octet, so with two or more octets
        // of room left no overrun can happen inside this octet: feed it whole.
        if (_rx->len + 1 < _rx->max_frame_len) {
            _overlong_counted = false;
            hdlc_rx_put_byte(_rx, in[i]);
        } else {
            rx_octet_bitwise(in[i]);
        }
    }
}

void HdlcChannel::rx_octet_bitwise(uint8_t octet)
{
    // Near the limit, bit by bit: on overrun SpanDSP marks the frame by
    // setting len past its buffer and drops it at the next flag or abort,
    // which can come within the same octet.
    for (int bit = 7; bit >= 0; --bit) {
        hdlc_rx_put_bit(_rx, (octet >> bit) & 1);
        if (_rx->len > _rx->max_frame_len) {
            if (!_overlong_counted) {
                _overlong_counted = true;
                ++_counters.overlong;
            }
        } else {
            _overlong_counted = false;
        }
    }
}

int HdlcChannel::tx_queue_frame(const uint8_t* frame, std::size_t len)
{
    if (len > max_frame) {
        ++_counters.tx_too_long;
        return -EMSGSIZE;
    }
    if (len < min_frame) {
        ++_counters.tx_too_short;
        return -EMSGSIZE;
    }
    if (_tx_count == _tx_slots) {
        ++_counters.tx_queue_full;
        return -ENOBUFS;
    }
    std::size_t slot = (_tx_head + _tx_count) % _tx_slots;
    std::memcpy(&_tx_buf[slot * max_frame], frame, len);
    _tx_len[slot] = static_cast<uint16_t>(len);
    ++_tx_count;
    return 0;
}

void HdlcChannel::tx_load_next()
{
    if (_tx_in_flight || _tx_count == 0) {
        return;
    }
    // SpanDSP copies the frame and computes its FCS now; it refuses while
    // another frame is still going out, which _tx_in_flight rules out.
    if (hdlc_tx_frame(_tx, &_tx_buf[_tx_head * max_frame], _tx_len[_tx_head]) != 0) {
        return;
    }
    _tx_in_flight = true;
    _tx_in_flight_len = _tx_len[_tx_head];
    _tx_head = (_tx_head + 1) % _tx_slots;
    --_tx_count;
}

void HdlcChannel::on_tx_underflow(void* user)
{
    // Called from inside hdlc_tx_get_byte when a frame (or the initial timed
    // flags) has gone out: loading the next frame here lets its opening flag
    // be the previous frame's closing flag.
    auto* self = static_cast<HdlcChannel*>(user);
    if (self->_tx_in_flight) {
        self->_tx_in_flight = false;
        ++self->_counters.frames_tx;
        self->_counters.octets_tx += self->_tx_in_flight_len;
    }
    self->tx_load_next();
}

void HdlcChannel::tx_octets(uint8_t* out, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i) {
        // A frame queued while the line idled waits for the next octet
        // boundary; SpanDSP rotates its idle flags to keep the bit phase.
        tx_load_next();
        int octet = hdlc_tx_get_byte(_tx);
        // Negative only after an end-of-data request, which is never made.
        out[i] = octet < 0 ? 0x7E : static_cast<uint8_t>(octet);
    }
}

std::size_t HdlcChannel::tx_pending() const
{
    return _tx_count + (_tx_in_flight ? 1 : 0);
}

}  // namespace trunkgw::tdm
