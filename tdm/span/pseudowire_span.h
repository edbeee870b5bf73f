// A span whose line is a TDM pseudowire over UDP/IPv4: SAToP (RFC 4553,
// unstructured: the whole 2048/1544 kbit/s bit stream, framing included,
// travels and our deframer runs on what arrives) or CESoPSN (RFC 5086 basic
// structured mode: N x 64 kbit/s, only the configured timeslots travel).
//
// Packet I/O belongs to the caller (the DPDK worker, pstn-sim, a test): the
// span hands UDP payloads (control word + TDM payload) to a PacketSink and
// takes received ones through receive(). Nothing here allocates after
// construction or blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tdm/pw/control_word.h"
#include "tdm/pw/jitter_buffer.h"
#include "tdm/span/line_codec.h"
#include "tdm/span/span_driver.h"

namespace trunkgw::tdm {

enum class PwMode { satop, cesopsn };

struct PseudowireConfig {
    PwMode mode = PwMode::satop;
    LineCodecConfig line;
    // Frames per packet: 8 = 1 ms (RFC 4553 5.1: E1 default payload 256
    // octets). SAToP on T1 needs a multiple of 8 so packets hold whole
    // octets (193 octets per 8 frames).
    uint32_t frames_per_packet = 8;
    uint32_t jitter_target_packets = 4;     // playout delay in packets
    uint32_t jitter_capacity_packets = 64;  // power of two >= 2 * target
    // CESoPSN: timeslots carried, ascending (E1 1..31, T1 1..24).
    std::vector<uint8_t> timeslots;
    // RFC 5086 6.2 / RFC 4553 5.3: consecutive lost packets that enter the
    // "loss of packets" state (we then send R = 1), and consecutive good
    // packets that leave it.
    uint32_t loss_enter_packets = 3;
    uint32_t loss_exit_packets = 2;
    uint16_t first_sequence = 0;  // RFC 4553 5.2: SHOULD be random; the caller picks
};

class PacketSink {
public:
    virtual ~PacketSink() = default;
    virtual void send(const uint8_t* pkt, std::size_t len) = 0;
};

class PseudowireSpan : public SpanDriver {
public:
    // Throws std::invalid_argument for an impossible config (set-up time,
    // control side); the data path never throws.
    PseudowireSpan(const PseudowireConfig& cfg, PacketSink& sink);

    const SpanInfo& info() const override { return _info; }
    int open() override;
    void close() override;
    int advance(uint32_t frames, const uint8_t* tx, uint8_t* rx) override;
    uint32_t alarms() const override;
    SpanCounters counters() const override;

    // A received UDP payload. Bad ones are counted (pw_malformed), never
    // trusted.
    void receive(const uint8_t* pkt, std::size_t len);

    // Sends RAI (E1 A bit / T1 yellow in SAToP; M = 10 in CESoPSN).
    void set_rai(bool on);
    std::size_t payload_octets() const { return _payload_octets; }

private:
    void tx_frames(const uint8_t* tx, uint32_t n);
    void flush_packet();
    void play_one_packet();

    PseudowireConfig _cfg;
    PacketSink& _sink;
    SpanInfo _info;
    LineCodec _codec;
    JitterBuffer _jitter;
    bool _open = false;
    bool _rai = false;
    std::size_t _payload_octets;
    // TX packet being assembled.
    std::vector<uint8_t> _tx_pkt;
    std::size_t _tx_fill = 0;        // payload octets in _tx_pkt
    uint16_t _tx_seq;
    // RX state.
    int64_t _rx_credit = 0;         // frames of playout owed to the clock
    uint32_t _consecutive_lost = 0;
    uint32_t _rx_since_play = 0;    // packets received since the last playout period
    uint32_t _consecutive_good = 0;
    bool _loss_state = false;
    bool _rx_l = false;
    bool _rx_r = false;
    bool _rx_rdi = false;
    std::vector<uint8_t> _fill_frames;  // CESoPSN frames rebuilt from a payload
    SpanCounters _c;
};

}  // namespace trunkgw::tdm
