// What an RTP receiver keeps about the one source it hears, exactly as
// RFC 3550 Appendix A does it: sequence tracking with 16-bit wrap and
// probation (A.1), expected and lost packets (A.3), and the interarrival
// jitter estimate (A.8). An RTCP report block (6.4.1) is made from it.
#pragma once

#include <cstdint>

namespace trunkgw::media {

// RFC 3550 A.1.
inline constexpr uint32_t rtp_seq_mod = 1u << 16;
inline constexpr uint16_t rtp_max_dropout = 3000;
inline constexpr uint16_t rtp_max_misorder = 100;
inline constexpr uint16_t rtp_min_sequential = 2;

enum class SeqVerdict : uint8_t {
    valid,      // update_seq() returned 1
    probation,  // the source is not yet valid (fewer than MIN_SEQUENTIAL in sequence)
    jump,       // first packet after a very large jump: A.1 discards it
    restart,    // the second of two sequential packets after a jump: A.1
                // re-synced (the far end restarted); counted like valid
};

// A reception report block (RFC 3550 6.4.1), host order.
struct ReportBlock {
    uint32_t ssrc = 0;            // SSRC_n: the source this block is about
    uint8_t fraction_lost = 0;    // fixed point, binary point at the left edge
    int32_t cumulative_lost = 0;  // 24-bit signed
    uint32_t extended_highest_seq = 0;
    uint32_t jitter = 0;  // timestamp units
    uint32_t lsr = 0;     // middle 32 bits of the last SR's NTP timestamp, 0 if none
    uint32_t dlsr = 0;    // 1/65536 s since that SR arrived, 0 if none
};

class ReceiverStats {
public:
    // A new source was heard for the first time (A.1: "init_seq(s, seq);
    // s->max_seq = seq - 1; s->probation = MIN_SEQUENTIAL;"). Also clears
    // the jitter estimate.
    void new_source(uint32_t ssrc, uint16_t seq);

    // A.1 update_seq(). Counts the packet as received unless it returns
    // probation or jump.
    SeqVerdict update_seq(uint16_t seq);

    // A.8: one packet's RTP timestamp and its arrival time on the same 8 kHz
    // clock (any origin). The first call after new_source() only records the
    // transit time.
    void update_jitter(uint32_t rtp_timestamp, uint32_t arrival);

    // A.3.
    uint32_t extended_max_seq() const { return _cycles + _max_seq; }
    uint32_t expected() const { return extended_max_seq() - _base_seq + 1; }
    uint64_t received() const { return _received; }
    int64_t cumulative_lost() const { return static_cast<int64_t>(expected()) - static_cast<int64_t>(_received); }
    // A.8: the estimate in timestamp units (the value an RR carries).
    uint32_t jitter() const { return _jitter >> 4; }
    // ... with 4 more fraction bits (A.8 keeps it scaled by 16).
    uint32_t jitter_x16() const { return _jitter; }
    uint32_t ssrc() const { return _ssrc; }
    bool has_source() const { return _has_source; }
    bool valid() const { return _has_source && _probation == 0; }
    // Packets counted since the last report block (6.4: a block is sent for
    // each source heard "since the last report").
    uint64_t received_since_report() const { return _received - _received_prior; }

    // A.3: the report block for this source; updates the "prior" counters
    // so the next fraction covers the next interval.
    ReportBlock take_report_block(uint32_t lsr, uint32_t dlsr);

private:
    void init_seq(uint16_t seq);

    uint32_t _ssrc = 0;
    bool _has_source = false;
    uint16_t _max_seq = 0;
    uint32_t _cycles = 0;  // shifted count of sequence number cycles
    uint32_t _base_seq = 0;
    uint32_t _bad_seq = rtp_seq_mod + 1;
    uint32_t _probation = 0;
    uint64_t _received = 0;
    uint64_t _received_prior = 0;
    uint32_t _expected_prior = 0;
    bool _have_transit = false;
    int32_t _transit = 0;
    uint32_t _jitter = 0;  // scaled by 16 (A.8, integer version)
};

}  // namespace trunkgw::media
