// ISDN PRI spans in control; see isdn_spans.h.
#include "control/isdn_spans.h"

#include <cstring>

#include <spdlog/spdlog.h>

#include "signaling/isdn/switch_types.h"

namespace trunkgw::control {

namespace {

isdn::ChannelHunting hunting_of(config::ChannelHunting h)
{
    switch (h) {
    case config::ChannelHunting::ascending: return isdn::ChannelHunting::ascending;
    case config::ChannelHunting::descending: return isdn::ChannelHunting::descending;
    case config::ChannelHunting::round_robin: return isdn::ChannelHunting::round_robin;
    }
    return isdn::ChannelHunting::descending;
}

}  // namespace

IsdnSpans::IsdnSpans(EventLoop& loop, const config::Config& cfg, isdn::PriCallHandler* calls)
    : _loop(loop), _timer(loop)
{
    isdn::PriLink::set_log_sink([](const std::string& span, bool error, const std::string& text) {
        if (error) {
            spdlog::warn("span {}: libpri: {}", span, text);
        } else {
            spdlog::debug("span {}: libpri: {}", span, text);
        }
    });
    for (uint32_t i = 0; i < cfg.spans.size(); ++i) {
        const config::Span& s = cfg.spans[i];
        if (!s.has_isdn) {
            continue;
        }
        auto e = std::make_unique<Entry>();
        e->span_index = i;
        e->switch_type = s.isdn.switch_type;
        Entry* ep = e.get();
        // The config refused unknown names: the lookup cannot fail here.
        int st = *isdn::switch_type_value(s.isdn.switch_type);
        isdn::PriLinkConfig pc{s.name,
                               s.isdn.network_side,
                               st,
                               s.type == config::SpanType::e1,
                               hunting_of(s.isdn.hunting),
                               s.isdn.overlap_timeout_ms};
        e->link = std::make_unique<isdn::PriLink>(
            pc,
            [ep](const uint8_t* f, std::size_t n) {
                if (!ep->tx || n > api::dchan_frame_max) {
                    return false;
                }
                api::DchanFrame frame{};
                frame.len = static_cast<uint16_t>(n);
                frame.seq = ++ep->tx_seq;
                frame.mono_ns = api::mono_ns();
                std::memcpy(frame.data, f, n);
                return ep->tx->push(frame);
            },
            calls);
        spdlog::info("span {}: ISDN PRI, {} side, switch type {}", s.name, s.isdn.network_side ? "network" : "user",
                     s.isdn.switch_type);
        _spans.push_back(std::move(e));
    }
    publish_status();
}

isdn::PriLink* IsdnSpans::link(const std::string& span)
{
    Entry* e = entry(span);
    return e != nullptr ? e->link.get() : nullptr;
}

void IsdnSpans::attached(const api::Segment& seg)
{
    for (auto& e : _spans) {
        const api::SpanBlock& b = seg.span(e->span_index);
        e->rx.emplace(seg.ring_at(b.dchan_rx_off));
        e->tx.emplace(seg.ring_at(b.dchan_tx_off));
    }
    poll();
}

void IsdnSpans::detached()
{
    for (auto& e : _spans) {
        e->rx.reset();
        e->tx.reset();
    }
}

void IsdnSpans::poll()
{
    if (_spans.empty()) {
        return;
    }
    bool again = true;
    while (again) {
        again = false;
        for (auto& e : _spans) {
            if (e->rx) {
                api::DchanFrame f;
                while (e->rx->pop(f)) {
                    e->link->receive(f.data, f.len);
                }
            }
            e->link->run_timers();
        }
        // Sleep only when every ring is armed and still empty.
        for (auto& e : _spans) {
            if (e->rx && !e->rx->arm_wakeup()) {
                again = true;
            }
        }
    }
    for (auto& e : _spans) {
        const auto& name = e->link->config().name;
        if (e->link->up() != e->was_up) {
            e->was_up = e->link->up();
            spdlog::info("span {}: D-channel {}", name, e->was_up ? "up (Q.921 multiple frame established)" : "down");
        }
        if (e->link->restarting() != e->was_restarting) {
            e->was_restarting = e->link->restarting();
            const auto& c = e->link->counters();
            if (!e->was_restarting) {
                spdlog::info("span {}: B-channel restart complete: {} acknowledged in all, {} sent again, {} timed out",
                             name, c.restart_acks, c.restart_retries, c.restart_timeouts);
            }
        }
    }
    int64_t next = -1;
    for (auto& e : _spans) {
        int64_t ms = e->link->ms_to_next_timer();
        if (ms >= 0 && (next < 0 || ms < next)) {
            next = ms;
        }
    }
    if (next >= 0) {
        _timer.start(static_cast<unsigned>(next < 1 ? 1 : next), [this] { poll(); });
    }
    publish_status();
}

void IsdnSpans::publish_status()
{
    std::vector<IsdnSpanStatus> v;
    for (auto& e : _spans) {
        const auto& c = e->link->config();
        v.push_back({c.name, c.network_side, e->switch_type, e->link->up(), e->link->restarting(), e->link->counters(),
                     e->link->channels()});
    }
    std::lock_guard lock(_mutex);
    _status = std::move(v);
}

IsdnSpans::Entry* IsdnSpans::entry(const std::string& span)
{
    for (auto& e : _spans) {
        if (e->link->config().name == span) {
            return e.get();
        }
    }
    return nullptr;
}

IsdnSpans::Entry& IsdnSpans::find(const std::string& span)
{
    if (Entry* e = entry(span)) {
        return *e;
    }
    throw std::runtime_error("no span " + span + " with ISDN ([span.isdn])");
}

int IsdnSpans::set_service(const std::string& span, int channel, bool in_service)
{
    Entry& e = find(span);
    int n = e.link->set_service(channel, in_service);
    if (n < 0) {
        throw std::runtime_error("span " + span + " has no B-channel " + std::to_string(channel));
    }
    spdlog::info("span {}: {} {} by the operator{}", span, channel == 0 ? "every B-channel" : "channel " + std::to_string(channel),
                 in_service ? "back in service" : "out of service",
                 e.link->service_messages() ? " (SERVICE sent)" : "");
    publish_status();
    return n;
}

void IsdnSpans::start_trace(const std::string& span, const std::string& path)
{
    Entry& e = find(span);
    if (e.trace) {
        throw std::runtime_error("span " + span + " is being traced already");
    }
    e.trace = std::make_unique<tdm::LapdPcapWriter>(path, e.link->config().network_side);
    tdm::LapdPcapWriter* w = e.trace.get();
    e.link->set_frame_tap([w](const uint8_t* f, std::size_t n, bool outgoing) {
        w->write(f, n, outgoing, api::realtime_ns());
    });
    spdlog::info("span {}: D-channel trace to {}", span, path);
}

uint64_t IsdnSpans::stop_trace(const std::string& span)
{
    Entry& e = find(span);
    if (!e.trace) {
        throw std::runtime_error("span " + span + " has no trace running");
    }
    e.link->set_frame_tap({});
    e.trace->flush();
    uint64_t n = e.trace->frames_written();
    e.trace.reset();
    spdlog::info("span {}: D-channel trace stopped, {} frames", span, n);
    return n;
}

std::vector<IsdnSpanStatus> IsdnSpans::status() const
{
    std::lock_guard lock(_mutex);
    return _status;
}

}  // namespace trunkgw::control
