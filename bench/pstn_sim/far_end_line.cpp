// One far-end E1/T1 line over a pseudowire; see far_end_line.h.
#include "bench/pstn_sim/far_end_line.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace trunkgw::pstnsim {

bool parse_endpoint(const std::string& text, sockaddr_in& out)
{
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon + 1 >= text.size()) {
        return false;
    }
    char* end = nullptr;
    unsigned long port = std::strtoul(text.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port == 0 || port > 65535) {
        return false;
    }
    out = sockaddr_in{};
    out.sin_family = AF_INET;
    out.sin_port = htons(static_cast<uint16_t>(port));
    return inet_pton(AF_INET, text.substr(0, colon).c_str(), &out.sin_addr) == 1;
}

void FarEndLine::on_dchan_frame(void* user, const uint8_t* frame, std::size_t len)
{
    auto* self = static_cast<FarEndLine*>(user);
    ++self->_dchan_rx;
    if (self->_dchan_sink) {
        self->_dchan_sink(frame, len);
    }
}

FarEndLine::FarEndLine(const FarEndLineConfig& cfg, PwSocket& socket, DchanSink dchan_sink)
    : _cfg(cfg),
      _info(tdm::span_info(cfg.type)),
      _idle(cfg.type == tdm::LineType::e1 ? 0xD5 : 0xFF),
      _dchan_sink(std::move(dchan_sink)),
      _dchan(on_dchan_frame, this)
{
    _sink.socket = &socket;
    _sink.to = cfg.remote;
    tdm::PseudowireConfig pw;
    pw.mode = cfg.mode;
    pw.line.type = cfg.type;
    pw.line.crc4 = true;
    pw.jitter_target_packets = cfg.jitter_packets;
    pw.frames_per_packet = cfg.frames_per_packet;
    pw.jitter_capacity_packets = 64;
    if (pw.mode == tdm::PwMode::cesopsn) {
        for (uint32_t ts = _info.first_timeslot; ts <= _info.last_timeslot; ++ts) {
            pw.timeslots.push_back(static_cast<uint8_t>(ts));
        }
    }
    _span = std::make_unique<tdm::PseudowireSpan>(pw, _sink);
    _span->open();
    socket.attach(cfg.remote, *_span);
    std::memset(_tx, _idle, sizeof(_tx));
    std::memset(_rx, _idle, sizeof(_rx));
}

bool FarEndLine::is_bearer(int ts) const
{
    return ts >= static_cast<int>(_info.first_timeslot) && ts <= static_cast<int>(_info.last_timeslot) &&
           (!_cfg.dchannel || ts != static_cast<int>(_info.dchannel_timeslot));
}

bool FarEndLine::send_dchan(const uint8_t* frame, std::size_t len)
{
    // A short queue: libpri's Q.921 retransmits what does not fit, as on a
    // busy line.
    if (_dchan.tx_pending() < 32 && _dchan.tx_queue_frame(frame, len) == 0) {
        return true;
    }
    ++_dchan_refused;
    errno = ENOBUFS;  // for libpri's "Short write" log
    return false;
}

void FarEndLine::advance(uint32_t due)
{
    if (due > max_frames_per_advance) {
        due = max_frames_per_advance;
    }
    if (!_cfg.dchannel) {
        _span->advance(due, _tx, _rx);
        return;
    }
    const uint32_t dts = _info.dchannel_timeslot;
    uint8_t d[max_frames_per_advance];
    _dchan.tx_octets(d, due);
    for (uint32_t f = 0; f < due; ++f) {
        _tx[f * tdm::span_frame_octets + dts] = d[f];
    }
    _span->advance(due, _tx, _rx);
    for (uint32_t f = 0; f < due; ++f) {
        d[f] = _rx[f * tdm::span_frame_octets + dts];
    }
    _dchan.rx_octets(d, due);
}

}  // namespace trunkgw::pstnsim
