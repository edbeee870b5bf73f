// ISDN PRI spans in control; see isdn_spans.h.
#include "control/isdn_spans.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
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
    // One link per span, or per NFAS group (the config checked that a
    // group has a primary D-channel and one set of link settings).
    std::vector<std::string> groups_done;
    for (const config::Span& s : cfg.spans) {
        if (!s.has_isdn) {
            continue;
        }
        const std::string& g = s.isdn.nfas_group;
        if (g.empty()) {
            add_link(cfg, {&s}, calls);
            continue;
        }
        if (std::find(groups_done.begin(), groups_done.end(), g) != groups_done.end()) {
            continue;
        }
        groups_done.push_back(g);
        std::vector<const config::Span*> members;
        for (const config::Span& m : cfg.spans) {
            if (m.has_isdn && m.isdn.nfas_group == g) {
                members.push_back(&m);
            }
        }
        add_link(cfg, members, calls);
    }
    publish_status();
}

void IsdnSpans::add_link(const config::Config& cfg, std::vector<const config::Span*> spans, isdn::PriCallHandler* calls)
{
    auto role = [](const config::Span& s) {
        if (s.isdn.nfas_group.empty()) {
            return "own";
        }
        return s.isdn.dchannel == config::SpanDchannel::primary  ? "primary"
               : s.isdn.dchannel == config::SpanDchannel::backup ? "backup"
                                                                 : "none";
    };
    // The primary D-channel first, then the backup.
    std::stable_sort(spans.begin(), spans.end(), [](const config::Span* a, const config::Span* b) {
        return static_cast<int>(a->isdn.dchannel) < static_cast<int>(b->isdn.dchannel);
    });
    const config::Span& first = *spans.front();
    const bool nfas = !first.isdn.nfas_group.empty();
    auto e = std::make_unique<Entry>();
    e->switch_type = first.isdn.switch_type;
    e->nfas_group = first.isdn.nfas_group;
    // The config refused unknown names: the lookup cannot fail here.
    isdn::PriLinkConfig pc;
    pc.name = nfas ? first.isdn.nfas_group : first.name;
    pc.network_side = first.isdn.network_side;
    pc.switch_type = *isdn::switch_type_value(first.isdn.switch_type);
    pc.e1 = first.type == config::SpanType::e1;
    pc.hunting = hunting_of(first.isdn.hunting);
    pc.overlap_timeout_ms = first.isdn.overlap_timeout_ms;
    pc.t309_ms = first.isdn.t309_ms;
    pc.t200_ms = first.isdn.t200_ms;
    pc.n200 = first.isdn.n200;
    pc.t203_ms = first.isdn.t203_ms;
    pc.nfas = nfas;
    std::vector<isdn::PriLink::DchannelOut> outs;
    for (const config::Span* s : spans) {
        pc.interfaces.push_back({s->name, static_cast<int>(s->isdn.nfas_interface), s->has_dchannel()});
        e->spans.emplace_back(s->name, role(*s));
        if (!s->has_dchannel()) {
            continue;
        }
        auto d = std::make_unique<Dchannel>();
        d->span_index = static_cast<uint32_t>(s - cfg.spans.data());
        d->span = s->name;
        Dchannel* dp = d.get();
        Entry* ep = e.get();
        // errno says why a frame was refused (libpri logs it).
        outs.push_back({s->name, [this, dp, ep](const uint8_t* f, std::size_t n) {
                            // A frame out (a call placed, answered or
                            // cleared by the call model) may have started
                            // a timer: poll() looks at the link's schedule.
                            if (!ep->touched) {
                                ep->touched = true;
                                _touched.push_back(ep);
                            }
                            if (!dp->tx) {
                                errno = ENOTCONN;  // not attached to the data plane (yet)
                                return false;
                            }
                            if (n > api::dchan_frame_max) {
                                errno = EMSGSIZE;
                                return false;
                            }
                            api::DchanFrame frame{};
                            frame.len = static_cast<uint16_t>(n);
                            frame.seq = ++dp->tx_seq;
                            frame.mono_ns = api::mono_ns();
                            std::memcpy(frame.data, f, n);
                            if (!dp->tx->push(frame)) {
                                errno = ENOBUFS;  // the span's ring is full
                                return false;
                            }
                            return true;
                        }});
        e->dchannels.push_back(std::move(d));
    }
    e->link = std::make_unique<isdn::PriLink>(pc, std::move(outs), calls);
    if (nfas) {
        std::string members;
        for (const auto& [name, r] : e->spans) {
            members += (members.empty() ? "" : ", ") + name + " (" + r + ")";
        }
        spdlog::info("NFAS group {}: ISDN PRI, {} side, switch type {}, spans {}", pc.name,
                     pc.network_side ? "network" : "user", e->switch_type, members);
    } else {
        spdlog::info("span {}: ISDN PRI, {} side, switch type {}", pc.name, pc.network_side ? "network" : "user",
                     e->switch_type);
    }
    for (const auto& member : e->spans) {
        _by_span[member.first] = e.get();
    }
    _spans.push_back(std::move(e));
}

isdn::PriLink* IsdnSpans::link(const std::string& span)
{
    Entry* e = entry(span);
    return e != nullptr ? e->link.get() : nullptr;
}

void IsdnSpans::attached(const api::Segment& seg)
{
    for (auto& e : _spans) {
        for (auto& d : e->dchannels) {
            const api::SpanBlock& b = seg.span(d->span_index);
            d->rx.emplace(seg.ring_at(b.dchan_rx_off));
            d->tx.emplace(seg.ring_at(b.dchan_tx_off));
            d->asleep = false;
        }
    }
    _rings_signalled = true;
    poll();
}

void IsdnSpans::detached()
{
    for (auto& e : _spans) {
        for (auto& d : e->dchannels) {
            d->rx.reset();
            d->tx.reset();
        }
    }
}

// What an operator wants in the log about a link: its D-channels going up
// or down and the end of its restart procedure. Looked at when the link
// did something (a frame in, its timers run), not on every loop pass.
void IsdnSpans::log_changes(Entry& e)
{
    const auto& name = e.link->config().name;
    if (!e.nfas_group.empty()) {
        for (const auto& d : e.link->dchannels()) {
            for (auto& mine : e.dchannels) {
                if (mine->span == d.span && mine->was_up != d.up) {
                    mine->was_up = d.up;
                    spdlog::info("NFAS group {}: D-channel on span {} {}", name, d.span,
                                 d.up ? "up (Q.921 multiple frame established)" : "down");
                }
            }
        }
    }
    if (e.link->up() != e.was_up) {
        e.was_up = e.link->up();
        spdlog::info("{} {}: {}", e.nfas_group.empty() ? "span" : "NFAS group", name,
                     e.was_up ? "D-channel up (Q.921 multiple frame established)" : "D-channel down");
    }
    if (e.link->restarting() != e.was_restarting) {
        e.was_restarting = e.link->restarting();
        const auto& c = e.link->counters();
        if (!e.was_restarting) {
            spdlog::info("{} {}: B-channel restart complete: {} acknowledged in all, {} sent again, {} timed out",
                         e.nfas_group.empty() ? "span" : "NFAS group", name, c.restart_acks, c.restart_retries,
                         c.restart_timeouts);
        }
    }
}

void IsdnSpans::service(Entry& e, int64_t now)
{
    e.touched = false;  // before: a frame its timers send marks it again
    e.link->run_timers();
    const int64_t ms = e.link->ms_to_next_timer();
    e.due_ms = now + (ms < 0 || ms > 250 ? 250 : ms);
    _next_due_ms = std::min(_next_due_ms, e.due_ms);
    log_changes(e);
}

// The links that sent a frame since they were last serviced, until none
// is left (servicing one may make another send: a call cleared across).
void IsdnSpans::service_touched(int64_t now)
{
    while (!_touched.empty()) {
        std::vector<Entry*> touched;
        touched.swap(_touched);
        for (Entry* e : touched) {
            if (e->touched) {
                service(*e, now);
            }
        }
    }
}

void IsdnSpans::arm_timer(int64_t now)
{
    _timer.start(static_cast<unsigned>(std::max<int64_t>(1, _next_due_ms - now)), [this] { pass(true); });
}

void IsdnSpans::poll()
{
    pass(false);
}

void IsdnSpans::pass(bool every_link)
{
    if (_spans.empty()) {
        return;
    }
    // A link's timers run when it received a frame, when it sent one (a
    // call placed or cleared from the call model), or when its earliest
    // timer is due; not on every wake-up of every link: with 40 spans,
    // asking each libpri instance for its schedule twice per D-channel
    // frame was a tenth of the control's CPU per call. The due time is
    // also looked at again every 250 ms, whatever happened. The rings are
    // read only when the data plane signalled one. A loop pass where none
    // of that happened costs a comparison (it runs before every epoll).
    const int64_t now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    const bool read_rings = _rings_signalled;
    if (!every_link && !read_rings && now < _next_due_ms) {
        const int64_t due_before = _next_due_ms;
        service_touched(now);
        if (_next_due_ms < due_before) {
            arm_timer(now);
        }
        return;
    }
    _rings_signalled = false;
    _touched.clear();  // every link is looked at below
    bool again = true;
    while (again) {
        again = false;
        for (auto& e : _spans) {
            bool received = false;
            for (std::size_t k = 0; read_rings && k < e->dchannels.size(); ++k) {
                Dchannel& d = *e->dchannels[k];
                if (!d.rx || (d.asleep && d.rx->header()->wakeup_armed.load(std::memory_order_acquire) != 0)) {
                    continue;
                }
                d.asleep = false;
                api::DchanFrame f;
                while (d.rx->pop(f)) {
                    e->link->receive(k, f.data, f.len);
                    received = true;
                }
            }
            if (received || e->touched || now >= e->due_ms) {
                service(*e, now);
            }
        }
        // Sleep only when every ring is armed and still empty.
        if (read_rings) {
            for (auto& e : _spans) {
                for (auto& d : e->dchannels) {
                    if (d->rx && !d->asleep) {
                        d->asleep = d->rx->arm_wakeup();
                        again = again || !d->asleep;
                    }
                }
            }
        }
    }
    // Every ring is armed now (the loop above ends only then): until the
    // data plane signals one, the next passes need not read them. A link
    // that sent a frame after its turn above (a call on it placed or
    // cleared because of another link's frame) is looked at now.
    service_touched(now);
    _next_due_ms = _spans.front()->due_ms;
    for (auto& e : _spans) {
        _next_due_ms = std::min(_next_due_ms, e->due_ms);
    }
    arm_timer(now);
}

void IsdnSpans::publish_status()
{
    std::vector<IsdnSpanStatus> v;
    for (auto& e : _spans) {
        const isdn::PriLink& l = *e->link;
        const auto& c = l.config();
        const auto dchannels = l.dchannels();
        const auto channels = l.channels();
        for (const auto& [span, role] : e->spans) {
            IsdnSpanStatus st{span, c.network_side, e->switch_type, l.up(), l.restarting(), {}, {}, e->nfas_group, role,
                              false};
            if (role == "own" || role == "primary") {
                st.counters = l.counters();
            }
            for (const auto& d : dchannels) {
                if (d.span == span) {
                    st.up = d.up;
                    st.dchannel_active = d.active;
                }
            }
            for (isdn::ChannelStatus ch : channels) {
                isdn::PriLink::Located at = l.locate(ch.channel);
                if (at.span != nullptr && *at.span == span) {
                    ch.channel = at.timeslot;
                    st.channels.push_back(ch);
                }
            }
            v.push_back(std::move(st));
        }
    }
    std::lock_guard lock(_mutex);
    _status = std::move(v);
}

IsdnSpans::Entry* IsdnSpans::entry(const std::string& span)
{
    auto it = _by_span.find(span);
    return it != _by_span.end() ? it->second : nullptr;
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
    const int ch = channel == 0 ? 0 : e.link->channel_of(span, channel);
    int n = ch == 0 && channel != 0 ? -1 : e.link->set_service(ch, in_service, span);
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

std::vector<IsdnSpanStatus> IsdnSpans::status()
{
    if (_loop.on_loop_thread()) {
        publish_status();
    }
    std::lock_guard lock(_mutex);
    return _status;
}

}  // namespace trunkgw::control
