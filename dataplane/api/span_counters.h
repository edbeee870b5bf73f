// Per-span counters: line (framing, CRC, alarms), pseudowire and clock.
// The owning worker publishes them once per tick under the block's seqlock;
// control reads them for Prometheus and trunkctl. Add at the end only (the
// order is ABI).
#pragma once

#include <array>
#include <cstdint>

#include "dataplane/api/seqlock.h"

namespace trunkgw::api {

enum class SpanCounter : uint32_t {
    frames,
    framing_errors,
    crc_errors,
    far_end_errors,
    lof_events,
    lomf_events,
    los_events,
    ais_events,
    rai_events,
    rx_frames_filled,
    rx_frames_dropped,
    pw_packets_rx,
    pw_packets_tx,
    pw_malformed,
    pw_lost,
    pw_reordered,
    pw_duplicate,
    pw_late,
    pw_slips,
    pw_l_bit_rx,
    pw_r_bit_rx,
    pw_jitter_depth,
    pw_tx_no_route,
    dchan_frames_rx,
    dchan_frames_tx,
    dchan_crc_errors,
    dchan_aborts,
    dchan_overlong,
    dchan_ring_full,
    count_,
};

inline constexpr std::size_t span_counter_count = static_cast<std::size_t>(SpanCounter::count_);

struct SpanCounterInfo {
    const char* name;  // Prometheus name without the trunkgw_span_ prefix
    const char* help;
    bool gauge;
};

inline constexpr std::array<SpanCounterInfo, span_counter_count> span_counter_info = {{
    {"frames_total", "Frames received in frame alignment.", false},
    {"framing_errors_total", "Framing bits received wrong while in frame (FAS/NFAS, Ft/FPS).", false},
    {"crc_errors_total", "CRC-4 (E1) or CRC-6 (T1 ESF) block errors received.", false},
    {"far_end_errors_total", "Far-end block errors reported by the E bits (E1 CRC-4).", false},
    {"lof_events_total", "Entries into loss of frame alignment.", false},
    {"lomf_events_total", "Entries into loss of CRC-4 multiframe alignment.", false},
    {"los_events_total", "Entries into loss of signal.", false},
    {"ais_events_total", "Entries into AIS received.", false},
    {"rai_events_total", "Entries into RAI (yellow) received.", false},
    {"rx_frames_filled_total", "Frames played as AIS because the line delivered none.", false},
    {"rx_frames_dropped_total", "Received frames discarded because more arrived than the clock took.", false},
    {"pw_packets_rx_total", "Pseudowire packets received.", false},
    {"pw_packets_tx_total", "Pseudowire packets sent.", false},
    {"pw_malformed_total", "Pseudowire packets refused: truncated, bad control word or payload size.", false},
    {"pw_lost_total", "Pseudowire packets lost (replaced by AIS/idle).", false},
    {"pw_reordered_total", "Pseudowire packets that arrived out of order.", false},
    {"pw_duplicate_total", "Duplicate pseudowire packets dropped.", false},
    {"pw_late_total", "Pseudowire packets that arrived after their playout time.", false},
    {"pw_slips_total", "Clock slips: jitter buffer underruns and overflows.", false},
    {"pw_l_bit_rx_total", "Packets received with L set (far-end TDM failure).", false},
    {"pw_r_bit_rx_total", "Packets received with R set (far end losing our packets).", false},
    {"pw_jitter_depth_packets", "Pseudowire packets buffered for playout now.", true},
    {"pw_tx_no_route_total", "Pseudowire packets not sent: no ARP entry for the next hop yet.", false},
    {"dchan_frames_rx_total", "D-channel HDLC frames received with a good FCS.", false},
    {"dchan_frames_tx_total", "D-channel HDLC frames sent.", false},
    {"dchan_crc_errors_total", "D-channel frames dropped for a bad FCS (Q.921 2.9).", false},
    {"dchan_aborts_total", "D-channel HDLC aborts received (Q.921 2.10).", false},
    {"dchan_overlong_total", "D-channel frames dropped for exceeding N201 (Q.921 5.9.3).", false},
    {"dchan_ring_full_total", "D-channel frames lost because the ring to or from control was full.", false},
}};

using SpanCounterBlock = SeqlockBlock<span_counter_count>;
using SpanCounterValues = std::array<uint64_t, span_counter_count>;

}  // namespace trunkgw::api
