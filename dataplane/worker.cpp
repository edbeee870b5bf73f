// The worker loop; see worker.h.
#include "dataplane/worker.h"

#include "dataplane/net_counter_layout.h"

#include <pthread.h>
#include <sched.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <spdlog/spdlog.h>

namespace trunkgw::dataplane {

namespace {

using api::WorkerCounter;

constexpr uint16_t burst_size = 32;
// A worker more than this many ticks behind skips ahead (and counts it)
// rather than running a burst of stale ticks back to back.
constexpr uint64_t max_catch_up_ticks = 50;

void emit(WorkerContext& w, const api::Message& m)
{
    if (!w.events.push(m)) {
        ++at(w.counters, WorkerCounter::events_dropped);
    }
}

void set_span_state(WorkerContext& w, uint32_t span_index, api::SpanOperState st)
{
    auto& mirror = w.segment->span(span_index).mirror;
    uint32_t old = mirror.oper_state.exchange(static_cast<uint32_t>(st), std::memory_order_release);
    if (old == static_cast<uint32_t>(st)) {
        return;
    }
    mirror.state_changes.fetch_add(1, std::memory_order_relaxed);
    api::SpanStatePayload p{span_index, static_cast<uint32_t>(st),
                            mirror.alarms.load(std::memory_order_relaxed), 0};
    emit(w, api::make_message(api::MsgType::evt_span_state, ++w.event_seq, p));
}

bool owns_span(const WorkerContext& w, uint32_t span_index)
{
    for (uint32_t s : w.spans) {
        if (s == span_index) {
            return true;
        }
    }
    return false;
}

// Per-tick work: every span moves 8 frames (1 ms at 8000 frames/s) each way.
void run_tick(WorkerContext& w, uint64_t now_ns)
{
    uint64_t tick_number = ++at(w.counters, WorkerCounter::ticks);
    for (std::size_t i = 0; i < w.span_lines.size(); ++i) {
        WorkerSpan& span = *w.span_lines[i];
        if (i + 1 < w.span_lines.size()) {
            w.span_lines[i + 1]->prefetch_frames();
        }
        w.sessions->tick_span(static_cast<uint32_t>(i), span.rx_frames(), span.tx_frames(), now_ns);
        if (span.tick(now_ns)) {
            const auto& m = w.segment->span(w.spans[i]).mirror;
            api::SpanStatePayload p{w.spans[i], m.oper_state.load(), m.alarms.load(), 0};
            emit(w, api::make_message(api::MsgType::evt_span_state, ++w.event_seq, p));
        }
    }
    w.sessions->tick_unjoined(now_ns, tick_number);
    for (auto& p : w.ports) {
        p->flush();
    }
    // ARP ageing once a second.
    if (at(w.counters, WorkerCounter::ticks) % 1000 == 0) {
        for (auto& p : w.ports) {
            p->housekeeping(now_ns);
        }
    }
}

// UDP for a port of this worker: its session, or the span whose
// pseudowire uses it.
void deliver_local(WorkerContext& w, PortIo* p, const net::Verdict& v, const uint8_t* frame, uint64_t now_ns)
{
    if (w.sessions->receive(v, frame, now_ns)) {
        return;
    }
    auto it = w.span_by_udp_port.find(v.dst_port);
    if (it != w.span_by_udp_port.end() && it->second->has_line() && it->second->port() == p) {
        it->second->receive(frame + v.payload_offset, v.payload_len);
        return;
    }
    ++at(w.counters, WorkerCounter::udp_no_listener);
}

// Hands `owner`'s gathered frames over; those its full ring refuses are
// dropped and counted.
void flush_handover(WorkerContext& w, uint32_t owner)
{
    DispatchBatch& b = w.handover[owner];
    unsigned sent = w.dispatch->forward(owner, b.frames, b.count);
    at(w.counters, WorkerCounter::dispatched_out) += sent;
    if (sent < b.count) {
        at(w.counters, WorkerCounter::dispatch_ring_full) += b.count - sent;
        rte_pktmbuf_free_bulk(&b.frames[sent], b.count - sent);
    }
    b.count = 0;
}

void flush_handovers(WorkerContext& w)
{
    for (uint32_t o = 0; o < w.handover.size(); ++o) {
        if (w.handover[o].count != 0) {
            flush_handover(w, o);
        }
    }
}

// UDP for one of our addresses: hand it to the worker that owns the port,
// else to our session or span on it. True when the mbuf was taken for
// another worker (it leaves with the burst's hand-over: a full ring may
// still drop it, counted in dispatch_ring_full).
bool deliver_udp(WorkerContext& w, PortIo* p, const net::Verdict& v, rte_mbuf* m, const uint8_t* frame,
                 uint64_t now_ns)
{
    int owner = w.dispatch->owner(v.dst_port);
    if (owner >= 0 && static_cast<uint32_t>(owner) != w.index) {
        // The classifier has checked both checksums (or trusted the NIC's
        // word, or found a hairpinned frame's zero UDP checksum): say so in
        // the mbuf as a NIC would (rte_mbuf_core.h: "RTE_MBUF_F_RX_IP_CKSUM_GOOD:
        // the IP checksum in the packet is valid", likewise L4), so that the
        // owner's classifier does not sum the datagram a second time.
        m->ol_flags = (m->ol_flags & ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK)) |
                      RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
        DispatchBatch& b = w.handover[static_cast<uint32_t>(owner)];
        b.frames[b.count++] = m;
        if (b.count == DispatchBatch::capacity) {
            flush_handover(w, static_cast<uint32_t>(owner));
        }
        return true;
    }
    deliver_local(w, p, v, frame, now_ns);
    return false;
}

// A poll's context for the UDP handlers below.
struct UdpContext {
    WorkerContext* w;
    PortIo* p;
    uint64_t now_ns;
};

bool on_udp_received(void* user, const net::Verdict& v, rte_mbuf* m, const uint8_t* frame, std::size_t)
{
    auto* c = static_cast<UdpContext*>(user);
    return deliver_udp(*c->w, c->p, v, m, frame, c->now_ns);
}

bool on_udp_forwarded(void* user, const net::Verdict& v, rte_mbuf*, const uint8_t* frame, std::size_t)
{
    // Never handed on twice: the owner table named us.
    auto* c = static_cast<UdpContext*>(user);
    deliver_local(*c->w, c->p, v, frame, c->now_ns);
    return false;
}

void poll_ports(WorkerContext& w, uint32_t& work, uint64_t now_ns)
{
    for (auto& port : w.ports) {
        PortIo* p = port.get();
        UdpContext ctx{&w, p, now_ns};
        uint16_t n = p->poll(now_ns, {on_udp_received, &ctx});
        work += n;
        at(w.counters, WorkerCounter::rx_packets) += n;
    }
    flush_handovers(w);
}

// Frames other workers received for us (software dispatch).
void poll_dispatch(WorkerContext& w, uint32_t& work, uint64_t now_ns)
{
    rte_mbuf* pkts[burst_size];
    unsigned n = w.dispatch->take(w.index, pkts, burst_size);
    work += n;
    at(w.counters, WorkerCounter::dispatched_in) += n;
    // Runs of frames from one port go to its PortIo together (one call and
    // one bulk free per run, not per frame).
    for (unsigned i = 0; i < n;) {
        unsigned end = i + 1;
        while (end < n && pkts[end]->port == pkts[i]->port) {
            ++end;
        }
        PortIo* p = nullptr;
        for (auto& port : w.ports) {
            if (port->port_id() == pkts[i]->port) {
                p = port.get();
            }
        }
        if (p == nullptr) {
            at(w.counters, WorkerCounter::dispatch_no_port) += end - i;
            rte_pktmbuf_free_bulk(&pkts[i], end - i);
        } else {
            UdpContext ctx{&w, p, now_ns};
            p->handle_forwarded(&pkts[i], static_cast<uint16_t>(end - i), now_ns, {on_udp_forwarded, &ctx});
        }
        i = end;
    }
}

void publish_net_counters(WorkerContext& w)
{
    api::NetCounterValues v{};
    auto add = [&v](NetCounter c, uint64_t x) { v[static_cast<std::size_t>(c)] += x; };
    for (auto& p : w.ports) {
        const auto& drops = p->classify_counters().drops;
        for (std::size_t r = 1; r < drops.size(); ++r) {
            v[r] += drops[r];
        }
        const PortIoCounters& c = p->counters();
        add(NetCounter::rx_frames, c.rx_frames);
        add(NetCounter::tx_frames, c.tx_frames);
        add(NetCounter::tx_dropped_full, c.tx_dropped_full);
        add(NetCounter::tx_no_mbuf, c.tx_no_mbuf);
        add(NetCounter::tx_no_arp, c.tx_no_arp);
        add(NetCounter::arp_replies_sent, c.arp_replies_sent);
        add(NetCounter::icmp_replies_sent, c.icmp_replies_sent);
        add(NetCounter::arp_requests_sent, c.arp_requests_sent);
        add(NetCounter::hairpin_frames, c.hairpin_frames);
        add(NetCounter::hairpin_dropped, c.hairpin_dropped);
        add(NetCounter::nic_rx_missed, c.nic_rx_missed);
        add(NetCounter::nic_rx_errors, c.nic_rx_errors);
        add(NetCounter::nic_rx_nombuf, c.nic_rx_nombuf);
        add(NetCounter::nic_tx_errors, c.nic_tx_errors);
        const net::ArpCacheCounters& a = p->arp_counters();
        add(NetCounter::arp_hits, a.hits);
        add(NetCounter::arp_misses, a.misses);
        add(NetCounter::arp_timeouts, a.timeouts);
        add(NetCounter::arp_evictions, a.evictions);
        add(NetCounter::arp_learned, a.learned);
        add(NetCounter::arp_mac_changes, a.mac_changes);
        add(NetCounter::arp_refused, a.refused);
        add(NetCounter::arp_updated, a.updated);
        add(NetCounter::arp_ignored, a.ignored);
    }
    w.block->net_counters.publish(v);
    // The worker's own summary counters are the same sums.
    uint64_t drops = 0;
    for (std::size_t r = 1; r <= net::drop_reason_count; ++r) {
        drops += v[r];
    }
    at(w.counters, WorkerCounter::rx_dropped_unclassified) = drops;
    at(w.counters, WorkerCounter::tx_packets) = v[static_cast<std::size_t>(NetCounter::tx_frames)];
    at(w.counters, WorkerCounter::tx_dropped_full) = v[static_cast<std::size_t>(NetCounter::tx_dropped_full)];
}

// The span or session a command named (the first word of every payload
// that names one), for the error event.
uint32_t command_object(const api::Message& m)
{
    uint32_t v = 0;
    if (m.hdr.size >= sizeof(v)) {
        __builtin_memcpy(&v, m.u.raw, sizeof(v));
    }
    return v;
}

void poll_commands(WorkerContext& w, uint32_t& work)
{
    api::Message msgs[burst_size];
    uint32_t n = w.commands.pop_burst(msgs, burst_size);
    work += n;
    for (uint32_t i = 0; i < n; ++i) {
        ++at(w.counters, WorkerCounter::commands);
        int rc = worker_handle_command(w, msgs[i]);
        if (rc < 0) {
            ++at(w.counters, WorkerCounter::commands_bad);
            api::CmdErrorPayload e{msgs[i].hdr.type, 0, msgs[i].hdr.seq, rc, command_object(msgs[i])};
            emit(w, api::make_message(api::MsgType::evt_cmd_error, ++w.event_seq, e));
        }
        if (msgs[i].hdr.type == static_cast<uint16_t>(api::MsgType::cmd_session_srtp)) {
            explicit_bzero(&msgs[i], sizeof(msgs[i]));  // libsrtp holds the key now
        }
    }
}

void sleep_ns(uint64_t ns)
{
    timespec ts{static_cast<time_t>(ns / 1'000'000'000ULL), static_cast<long>(ns % 1'000'000'000ULL)};
    nanosleep(&ts, nullptr);
}

}  // namespace

void worker_emit(void* user, const api::Message& m) { emit(*static_cast<WorkerContext*>(user), m); }

int worker_handle_command(WorkerContext& w, const api::Message& m)
{
    auto type = static_cast<api::MsgType>(m.hdr.type);
    if (m.hdr.type >= api::msg_sizes.size() || m.hdr.size != api::msg_sizes[m.hdr.type]) {
        return -EBADMSG;
    }
    switch (type) {
    case api::MsgType::cmd_ping: {
        api::PongPayload p{m.u.ping.nonce, w.id, 0, api::mono_ns()};
        emit(w, api::make_message(api::MsgType::evt_pong, m.hdr.seq, p));
        return 0;
    }
    case api::MsgType::cmd_span_admin: {
        uint32_t s = m.u.span_admin.span_index;
        if (!owns_span(w, s)) {
            return -ENOENT;
        }
        set_span_state(w, s, m.u.span_admin.up ? api::SpanOperState::starting : api::SpanOperState::down);
        return 0;
    }
    case api::MsgType::cmd_session_create: {
        int rc = w.sessions->create(m.u.session_create, api::mono_ns());
        at(w.counters, WorkerCounter::session_creates) = w.sessions->counters().creates;
        return rc;
    }
    case api::MsgType::cmd_session_modify:
        return w.sessions->modify(m.u.session_modify);
    case api::MsgType::cmd_session_srtp:
        return w.sessions->srtp_key(m.u.session_srtp);
    case api::MsgType::cmd_session_delete: {
        int rc = w.sessions->remove(m.u.session_delete, api::mono_ns());
        at(w.counters, WorkerCounter::session_deletes) = w.sessions->counters().deletes;
        return rc;
    }
    default:
        return -EOPNOTSUPP;
    }
}

int worker_main(void* arg)
{
    auto& w = *static_cast<WorkerContext*>(arg);
    // The 1 ms TDM tick (8 frames at 8000 frames/s) runs on CLOCK_MONOTONIC
    // (vDSO: no system call), not on the TSC: rte_get_tsc_hz() can be the
    // CPU's nominal (P0) frequency where the TSC counts at another rate
    // (this VM: 2100 vs 2096 MHz), and a tick 0.2 % slow drains a 16 ms
    // pseudowire jitter buffer every 8 s (a loss of signal each time).
    constexpr uint64_t tick_ns = 1'000'000;
    if (w.realtime_priority > 0) {
        // Asked for in the config: a refusal (no CAP_SYS_NICE, an RT
        // budget of 0 in the worker's cgroup) is said, and the worker runs
        // on the normal scheduler (its late ticks are counted).
        sched_param sp{};
        sp.sched_priority = static_cast<int>(w.realtime_priority);
        if (int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp); rc != 0) {
            spdlog::error("worker {}: SCHED_FIFO priority {} refused: {}", w.id, w.realtime_priority,
                          std::strerror(rc));
        } else {
            spdlog::info("worker {}: SCHED_FIFO priority {}", w.id, w.realtime_priority);
        }
    }
    w.handover.assign(w.dispatch->workers(), DispatchBatch{});
    uint64_t next_tick_ns = api::mono_ns() + tick_ns;

    w.block->state.store(static_cast<uint32_t>(api::WorkerState::running), std::memory_order_release);
    while (!w.stop->load(std::memory_order_relaxed)) {
        ++at(w.counters, WorkerCounter::loops);
        uint32_t work = 0;
        uint64_t now_ns = api::mono_ns();
        poll_ports(w, work, now_ns);
        poll_dispatch(w, work, now_ns);
        poll_commands(w, work);

        const uint64_t now = api::mono_ns();
        if (now >= next_tick_ns) {
            uint64_t behind = (now - next_tick_ns) / tick_ns;
            if (behind >= 1) {
                ++at(w.counters, WorkerCounter::ticks_late);
            }
            if (behind > max_catch_up_ticks) {
                at(w.counters, WorkerCounter::ticks_skipped) += behind;
                next_tick_ns += behind * tick_ns;
            }
            run_tick(w, now_ns);
            at(w.counters, WorkerCounter::tick_busy_ns) += api::mono_ns() - now;
            next_tick_ns += tick_ns;
            w.block->heartbeat_mono_ns.store(now_ns, std::memory_order_relaxed);
            at(w.counters, WorkerCounter::rtp_rx) = w.sessions->counters().rtp_rx;
            at(w.counters, WorkerCounter::rtcp_rx) = w.sessions->counters().rtcp_rx;
            at(w.counters, WorkerCounter::session_ticks) = w.sessions->counters().session_ticks;
            at(w.counters, WorkerCounter::plain_ticks) = w.sessions->counters().plain_ticks;
            publish_net_counters(w);
            w.block->counters.publish(w.counters);
            continue;
        }
        if (work == 0 && !w.busy_poll) {
            ++at(w.counters, WorkerCounter::sleeps);
            sleep_ns(next_tick_ns - now);
        }
    }
    w.block->counters.publish(w.counters);
    w.block->state.store(static_cast<uint32_t>(api::WorkerState::stopped), std::memory_order_release);
    return 0;
}

}  // namespace trunkgw::dataplane
