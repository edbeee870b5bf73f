// Alarm bits and counters shared by every framer, deframer and span driver.
// The bit values equal dataplane/api's SpanAlarm so the data plane can copy
// them into the state mirror unchanged.
#pragma once

#include <cstdint>

namespace trunkgw::tdm {

enum Alarm : uint32_t {
    alarm_los = 1u << 0,   // loss of signal (G.775: no pulses / all zeros)
    alarm_lof = 1u << 1,   // loss of frame alignment (G.706 4.1.1 / T1.403)
    alarm_ais = 1u << 2,   // alarm indication signal received (all ones, G.775)
    alarm_rai = 1u << 3,   // remote alarm indication received (E1 A bit / T1 yellow)
    alarm_lomf = 1u << 4,  // loss of CRC-4 (E1) multiframe alignment
};

// What a receiver counts. Each field is a running total.
struct DeframerCounters {
    uint64_t frames = 0;            // frames delivered while in frame
    uint64_t framing_errors = 0;    // FAS/NFAS (E1) or Ft/FPS (T1) bits wrong while in frame
    uint64_t crc_errors = 0;        // CRC-4 (E1) or CRC-6 (T1 ESF) block errors
    uint64_t far_end_errors = 0;    // E-bits received (E1 CRC-4 far-end block errors)
    uint64_t lof_events = 0;        // entries into loss of frame
    uint64_t lomf_events = 0;       // entries into loss of CRC-4 multiframe
    uint64_t los_events = 0;
    uint64_t ais_events = 0;
    uint64_t rai_events = 0;
    uint64_t bits_discarded = 0;    // bits shifted out while hunting for alignment
};

}  // namespace trunkgw::tdm
