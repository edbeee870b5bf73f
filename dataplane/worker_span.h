// A span as its worker runs it: the line (a pseudowire span from tdm/),
// the D-channel HDLC on its D timeslot bridged to the D-channel rings, the
// B-channel timeslots (idle until sessions join them), and the span's mirror
// entry and counters in the segment, published once per tick.
#pragma once

#include <cstdint>
#include <memory>

#include "control/config/config.h"
#include "dataplane/api/segment.h"
#include "dataplane/port_io.h"
#include "tdm/hdlc/hdlc_channel.h"
#include "tdm/span/pseudowire_span.h"

namespace trunkgw::dataplane {

class WorkerSpan : public tdm::PacketSink {
public:
    // port is nullptr for a span without a transport (it stays "starting").
    WorkerSpan(uint32_t span_index, const config::Span& cfg, PortIo* port, api::Segment& segment);

    // One 1 ms tick: 8 frames each way, D-channel both ways, publish.
    // Returns true when the operational state or the alarms changed (the
    // worker tells control).
    bool tick(uint64_t now_ns);
    // A UDP payload for this span's local port.
    void receive(const uint8_t* payload, std::size_t len) { _line->receive(payload, len); }
    bool has_line() const { return _line != nullptr; }
    uint16_t local_udp_port() const { return _local_udp_port; }
    PortIo* port() const { return _port; }
    bool is_e1() const { return _e1; }
    uint8_t idle_code() const { return _idle; }
    // The 8 frames (32 octets each) the line received in the last tick and
    // the 8 it sends in the next: joined sessions read and write their
    // timeslot here between ticks.
    const uint8_t* rx_frames() const { return _rx; }
    uint8_t* tx_frames() { return _tx; }
    // Asks for the frames' 8 lines ahead of this span's tick: the tick
    // before it, thousands of sessions pushed them out of the cache, and
    // the first session of the span would otherwise miss them in turn.
    void prefetch_frames() const
    {
        for (std::size_t o = 0; o < sizeof(_rx); o += 64) {
            __builtin_prefetch(_rx + o);
            __builtin_prefetch(_tx + o, 1);
        }
    }

    void send(const uint8_t* pkt, std::size_t len) override;

private:
    static void on_dchannel_frame(void* user, const uint8_t* frame, std::size_t len);
    bool publish();
    api::SpanCounterValues counter_values() const;

    uint32_t _index;
    api::SpanBlock& _block;
    PortIo* _port;
    uint32_t _remote_ipv4 = 0;
    uint16_t _local_udp_port = 0;
    uint16_t _remote_udp_port = 0;
    bool _e1;
    uint32_t _dchannel_ts;  // 0: no D-channel (an NFAS span)
    uint8_t _idle;  // B-channel idle code: G.711 silence of the line's law
    std::unique_ptr<tdm::PseudowireSpan> _line;
    tdm::HdlcChannel _dchan;
    api::RingProducer<api::DchanFrame> _to_control;
    api::RingConsumer<api::DchanFrame> _from_control;
    static constexpr uint32_t counter_publish_ticks = 10;
    uint32_t _ticks_since_publish = counter_publish_ticks;  // publish at the first tick
    bool _published_once = false;
    uint64_t _now_ns = 0;
    uint32_t _dchan_seq = 0;
    uint64_t _tx_no_route = 0;
    uint64_t _dchan_ring_full = 0;
    alignas(64) uint8_t _tx[8 * tdm::span_frame_octets] = {};
    alignas(64) uint8_t _rx[8 * tdm::span_frame_octets] = {};
};

}  // namespace trunkgw::dataplane
