// One E1/T1 line as the far end sees it: a tdm/ PseudowireSpan (SAToP or
// CESoPSN) over a kernel UDP socket it may share with other lines
// (PwSocket), with SpanDSP HDLC on the D-channel
// timeslot. The owner clocks it (one SpanClock for every line of a
// process), writes the audio it sends into tx_frames() before advance()
// and reads what arrived from rx_frames() after. pw-peer drives one line
// for the tests; pstn-sim drives N with libpri on each D-channel.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bench/audio/tone.h"
#include "bench/pstn_sim/pw_socket.h"
#include "tdm/hdlc/hdlc_channel.h"
#include "tdm/span/pseudowire_span.h"

namespace trunkgw::pstnsim {

struct FarEndLineConfig {
    sockaddr_in local{};
    sockaddr_in remote{};
    tdm::PwMode mode = tdm::PwMode::satop;
    tdm::LineType type = tdm::LineType::e1;
    uint32_t jitter_packets = 4;
    // Frames per pseudowire packet (8 = 1 ms, RFC 4553's E1 default);
    // must match the gateway's [span.pseudowire] frames_per_packet.
    uint32_t frames_per_packet = 8;
    // TS16 (E1) / TS24 (T1) carries a D-channel; false: an NFAS span whose
    // D-channel is on another, TS24 a B-channel.
    bool dchannel = true;
};

// "IPV4:PORT" -> address; false when malformed.
bool parse_endpoint(const std::string& text, sockaddr_in& out);

class FarEndLine {
public:
    // Good D-channel frames (address, control, information; no FCS).
    using DchanSink = std::function<void(const uint8_t* frame, std::size_t len)>;
    static constexpr uint32_t max_frames_per_advance = 64;

    // Its packets go out and come in through `socket` (bound to
    // cfg.local; from cfg.remote); throws std::invalid_argument when the
    // socket already has a line for that remote.
    FarEndLine(const FarEndLineConfig& cfg, PwSocket& socket, DchanSink dchan_sink);
    FarEndLine(const FarEndLine&) = delete;
    FarEndLine& operator=(const FarEndLine&) = delete;

    // The frames the next advance() sends: frame f, timeslot ts at
    // [f * span_frame_octets + ts]. Bearer timeslots hold the idle code
    // unless the owner writes audio; the D-channel timeslot is ours.
    uint8_t* tx_frames() { return _tx; }
    // Sends `due` frames (<= max_frames_per_advance: queued in the socket,
    // out at its flush()) and takes as many received ones (what the
    // socket's receive() delivered): D-channel octets go through HDLC.
    void advance(uint32_t due);
    const uint8_t* rx_frames() const { return _rx; }

    // Queues a D-channel frame (without FCS); false when the queue is full.
    bool send_dchan(const uint8_t* frame, std::size_t len);
    std::size_t dchan_pending() const { return _dchan.tx_pending(); }

    const tdm::SpanInfo& info() const { return _info; }
    bool is_bearer(int ts) const;
    uint8_t idle_code() const { return _idle; }
    audio::Law law() const { return _cfg.type == tdm::LineType::e1 ? audio::Law::alaw : audio::Law::ulaw; }
    const tdm::PseudowireSpan& span() const { return *_span; }
    uint64_t dchan_frames_rx() const { return _dchan_rx; }
    const tdm::HdlcCounters& dchan_counters() const { return _dchan.counters(); }
    uint64_t dchan_refused() const { return _dchan_refused; }  // send_dchan() said no

private:
    struct SocketSink : tdm::PacketSink {
        PwSocket* socket = nullptr;
        sockaddr_in to{};
        void send(const uint8_t* pkt, std::size_t len) override { socket->queue(to, pkt, len); }
    };
    static void on_dchan_frame(void* user, const uint8_t* frame, std::size_t len);

    FarEndLineConfig _cfg;
    tdm::SpanInfo _info;
    uint8_t _idle;
    DchanSink _dchan_sink;
    SocketSink _sink;
    std::unique_ptr<tdm::PseudowireSpan> _span;
    tdm::HdlcChannel _dchan;
    uint64_t _dchan_rx = 0;
    uint64_t _dchan_refused = 0;
    uint8_t _tx[max_frames_per_advance * tdm::span_frame_octets];
    uint8_t _rx[max_frames_per_advance * tdm::span_frame_octets];
};

}  // namespace trunkgw::pstnsim
