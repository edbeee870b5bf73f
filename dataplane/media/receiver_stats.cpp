// RFC 3550 Appendix A receiver statistics; see receiver_stats.h.
#include "dataplane/media/receiver_stats.h"

namespace trunkgw::media {

void ReceiverStats::init_seq(uint16_t seq)
{
    // A.1 init_seq().
    _base_seq = seq;
    _max_seq = seq;
    _bad_seq = rtp_seq_mod + 1;  // so seq == bad_seq is false
    _cycles = 0;
    _received = 0;
    _received_prior = 0;
    _expected_prior = 0;
}

void ReceiverStats::new_source(uint32_t ssrc, uint16_t seq)
{
    _ssrc = ssrc;
    _has_source = true;
    init_seq(seq);
    _max_seq = static_cast<uint16_t>(seq - 1);
    _probation = rtp_min_sequential;
    _have_transit = false;
    _transit = 0;
    _jitter = 0;
}

SeqVerdict ReceiverStats::update_seq(uint16_t seq)
{
    uint16_t udelta = static_cast<uint16_t>(seq - _max_seq);
    // A.1: "Source is not valid until MIN_SEQUENTIAL packets with sequential
    // sequence numbers have been received."
    if (_probation != 0) {
        // "packet is in sequence". (A.1 compares with the int max_seq + 1,
        // which never equals a 16-bit seq at the wrap; we compare mod 2^16.)
        if (seq == static_cast<uint16_t>(_max_seq + 1)) {
            --_probation;
            _max_seq = seq;
            if (_probation == 0) {
                init_seq(seq);
                ++_received;
                return SeqVerdict::valid;
            }
        } else {
            _probation = rtp_min_sequential - 1;
            _max_seq = seq;
        }
        return SeqVerdict::probation;
    }
    if (udelta < rtp_max_dropout) {
        // "in order, with permissible gap"
        if (seq < _max_seq) {
            // "Sequence number wrapped - count another 64K cycle."
            _cycles += rtp_seq_mod;
        }
        _max_seq = seq;
    } else if (udelta <= rtp_seq_mod - rtp_max_misorder) {
        // "the sequence number made a very large jump"
        if (seq == _bad_seq) {
            // "Two sequential packets -- assume that the other side
            // restarted without telling us so just re-sync (i.e., pretend
            // this was the first packet)."
            init_seq(seq);
            ++_received;
            return SeqVerdict::restart;
        } else {
            _bad_seq = (static_cast<uint32_t>(seq) + 1) & (rtp_seq_mod - 1);
            return SeqVerdict::jump;
        }
    } else {
        // "duplicate or reordered packet"
    }
    ++_received;
    return SeqVerdict::valid;
}

void ReceiverStats::update_jitter(uint32_t rtp_timestamp, uint32_t arrival)
{
    // A.8: "int transit = arrival - r->ts; int d = transit - s->transit;
    // s->transit = transit; if (d < 0) d = -d; s->jitter += d - ((s->jitter
    // + 8) >> 4);" (the integer form; the first packet only sets transit).
    int32_t transit = static_cast<int32_t>(arrival - rtp_timestamp);
    if (!_have_transit) {
        _have_transit = true;
        _transit = transit;
        return;
    }
    int32_t d = static_cast<int32_t>(static_cast<uint32_t>(transit) - static_cast<uint32_t>(_transit));
    _transit = transit;
    uint32_t ad = d < 0 ? static_cast<uint32_t>(-static_cast<int64_t>(d)) : static_cast<uint32_t>(d);
    _jitter += ad - ((_jitter + 8) >> 4);
}

ReportBlock ReceiverStats::take_report_block(uint32_t lsr, uint32_t dlsr)
{
    ReportBlock b;
    b.ssrc = _ssrc;
    // A.3.
    uint32_t expected_now = expected();
    int64_t lost = cumulative_lost();
    // 6.4.1: cumulative lost is a 24-bit signed field; clamp it.
    if (lost > 0x7FFFFF) {
        lost = 0x7FFFFF;
    } else if (lost < -0x800000) {
        lost = -0x800000;
    }
    b.cumulative_lost = static_cast<int32_t>(lost);
    uint32_t expected_interval = expected_now - _expected_prior;
    _expected_prior = expected_now;
    int64_t received_interval = static_cast<int64_t>(_received - _received_prior);
    _received_prior = _received;
    int64_t lost_interval = static_cast<int64_t>(expected_interval) - received_interval;
    if (expected_interval == 0 || lost_interval <= 0) {
        b.fraction_lost = 0;
    } else {
        // A.3 computes (lost << 8) / expected, which is 256 when every
        // packet of the interval was lost: clamp to the 8-bit field.
        int64_t f = (lost_interval << 8) / expected_interval;
        b.fraction_lost = static_cast<uint8_t>(f > 255 ? 255 : f);
    }
    b.extended_highest_seq = extended_max_seq();
    b.jitter = jitter();
    b.lsr = lsr;
    b.dlsr = dlsr;
    return b;
}

}  // namespace trunkgw::media
