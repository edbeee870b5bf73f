// Attach, handshake, event draining and detach; see dataplane_link.h.
#include "control/dataplane_link.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "control/status.h"
#include "dataplane/api/attach_socket.h"

namespace trunkgw::control {

namespace {

constexpr unsigned ping_period_ms = 1000;
constexpr uint32_t drain_burst = 64;

}  // namespace

DataplaneLink::DataplaneLink(EventLoop& loop, const config::Config& cfg)
    : _loop(loop), _cfg(cfg), _retry(loop), _ping(loop), _backlog_timer(loop)
{
}

DataplaneLink::~DataplaneLink()
{
    if (_conn_fd >= 0) {
        detach("control shutting down");
    }
}

void DataplaneLink::start() { try_attach(); }

void DataplaneLink::schedule_retry()
{
    _retry.start(_cfg.control.attach_retry_ms, [this] { try_attach(); });
}

void DataplaneLink::try_attach()
{
    {
        std::lock_guard lock(_mutex);
        ++_counters.attach_attempts;
    }
    api::AttachResult r = api::attach_segment(_cfg.instance.name);
    std::string error;
    if (r.status == api::AttachStatus::ok && handshake(r.segment, error)) {
        {
            std::lock_guard lock(_mutex);
            _segment = std::move(r.segment);
            _last_error.clear();
        }
        on_attached();
        return;
    }
    if (r.status != api::AttachStatus::ok) {
        error = r.error;
    }
    bool retryable = r.retryable() || (r.status == api::AttachStatus::ok && error.find("connect") == 0);
    {
        std::lock_guard lock(_mutex);
        if (!retryable) {
            ++_counters.attach_refusals;
        }
        _last_error = error;
    }
    if (!retryable) {
        spdlog::error("cannot attach to the data plane: {}", error);
    } else if (!_waiting_logged) {
        spdlog::info("waiting for the data plane: {}", error);
        _waiting_logged = true;
    }
    schedule_retry();
}

bool DataplaneLink::handshake(const api::Segment& seg, std::string& error)
{
    std::string path = api::attach_socket_path(_cfg.instance.run_dir, _cfg.instance.name);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = fmt::format("socket: {}", std::strerror(errno));
        return false;
    }
    // Bounded waits: a data plane that stopped accepting must not freeze the
    // control loop (Linux honours SO_SNDTIMEO for a unix connect).
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        error = fmt::format("connect {}: {}", path, std::strerror(errno));
        close(fd);
        return false;
    }
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) {
        error = fmt::format("eventfd: {}", std::strerror(errno));
        close(fd);
        return false;
    }
    api::AttachHello hello{api::attach_hello_magic, api::abi_version, getpid(), 0, seg.header().epoch};
    int rc = api::send_with_fd(fd, &hello, sizeof(hello), efd);
    api::AttachReply reply{};
    int dummy = -1;
    long n = rc == 0 ? api::recv_with_fd(fd, &reply, sizeof(reply), &dummy) : rc;
    if (n != static_cast<long>(sizeof(reply))) {
        error = fmt::format("handshake on {} failed: {}", path,
                            n < 0 ? std::strerror(static_cast<int>(-n)) : "short reply");
        close(efd);
        close(fd);
        return false;
    }
    auto verdict = static_cast<api::AttachVerdict>(reply.verdict);
    if (verdict != api::AttachVerdict::accepted) {
        error = fmt::format("the data plane refused the attach: {} (data plane ABI {}, ours {}{})",
                            api::attach_verdict_name(verdict), reply.abi_version, api::abi_version,
                            verdict == api::AttachVerdict::busy
                                ? fmt::format("; control pid {} is attached", reply.attached_pid)
                                : "");
        close(efd);
        close(fd);
        return false;
    }
    _conn_fd = fd;
    _event_fd = efd;
    return true;
}

void DataplaneLink::on_attached()
{
    const auto& h = _segment.header();
    {
        std::lock_guard lock(_mutex);
        _commands.clear();
        _events.clear();
        _backlog.assign(h.n_workers, {});
        _counters.commands_backlog = 0;
        for (uint32_t i = 0; i < h.n_workers; ++i) {
            _commands.emplace_back(_segment.ring_at(_segment.worker(i).cmd_ring_off));
            _events.emplace_back(_segment.ring_at(_segment.worker(i).evt_ring_off));
        }
        _workers.assign(h.n_workers, WorkerLink{});
        ++_counters.attaches;
        _attached_since_mono_ns = api::mono_ns();
    }
    _waiting_logged = false;
    _event_watch = _loop.add_fd(_event_fd, POLLIN, [this](int) {
        uint64_t v = 0;
        if (read(_event_fd, &v, sizeof(v)) > 0) {
            std::lock_guard lock(_mutex);
            ++_counters.wakeups;
        }
        if (_observers.woken) {
            _observers.woken();
        }
        drain_events();
    });
    _conn_watch = _loop.add_fd(_conn_fd, POLLIN, [this](int) {
        char buf[64];
        ssize_t r = recv(_conn_fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
            detach(r == 0 ? "the data plane closed the connection" : std::strerror(errno));
        }
    });

    // Resynchronise from the state mirror: the data plane owns media state,
    // so what it says is what is.
    uint32_t spans_up = 0;
    uint32_t sessions = 0;
    for (uint32_t i = 0; i < h.n_spans; ++i) {
        auto st = static_cast<api::SpanOperState>(_segment.span(i).mirror.oper_state.load());
        spans_up += st == api::SpanOperState::up ? 1 : 0;
    }
    for (uint32_t i = 0; i < h.n_sessions; ++i) {
        sessions +=
            _segment.session(i).mirror.state.load() == static_cast<uint32_t>(api::SessionState::active) ? 1 : 0;
    }
    spdlog::info("attached to data plane pid {} (epoch {}, ABI {}): {} worker(s), {} span(s) ({} up), "
                 "{} active session(s) resynchronised",
                 h.dataplane_pid, h.epoch, h.abi_version, h.n_workers, h.n_spans, spans_up, sessions);
    if (_observers.attached) {
        _observers.attached(_segment);
    }
    ping_workers();
}

void DataplaneLink::detach(const std::string& why)
{
    spdlog::warn("detached from the data plane: {}", why);
    _ping.cancel();
    _backlog_timer.cancel();
    if (_observers.detached) {
        _observers.detached();
    }
    if (_event_watch != 0) {
        _loop.remove_fd(_event_watch);
        _event_watch = 0;
    }
    if (_conn_watch != 0) {
        _loop.remove_fd(_conn_watch);
        _conn_watch = 0;
    }
    close(_event_fd);
    close(_conn_fd);
    _event_fd = -1;
    _conn_fd = -1;
    {
        std::lock_guard lock(_mutex);
        _commands.clear();
        _events.clear();
        // What waited for a worker that is gone is dropped; the mirror is
        // the truth after the next attach.
        _counters.commands_refused += _counters.commands_backlog;
        _counters.commands_backlog = 0;
        for (auto& q : _backlog) {
            for (api::Message& m : q) {
                explicit_bzero(&m, sizeof(m));  // cmd_session_srtp carries keys
            }
        }
        _backlog.clear();
        _segment = api::Segment{};
        ++_counters.detaches;
        _last_error = why;
        _attached_since_mono_ns = 0;
    }
    schedule_retry();
}

std::size_t DataplaneLink::command_room(uint32_t worker_index) const
{
    if (worker_index >= _commands.size()) {
        return 0;
    }
    std::lock_guard lock(_mutex);
    return backlog_max - _backlog[worker_index].size();
}

bool DataplaneLink::send_command(uint32_t worker_index, const api::Message& m)
{
    if (worker_index >= _commands.size()) {
        std::lock_guard lock(_mutex);
        ++_counters.commands_refused;
        return false;
    }
    auto& q = _backlog[worker_index];
    // Order matters (a delete must not overtake its create): once commands
    // wait, new ones wait behind them.
    if (q.empty() && _commands[worker_index].push(m)) {
        return true;
    }
    std::lock_guard lock(_mutex);
    if (q.size() >= backlog_max) {
        ++_counters.commands_refused;
        return false;
    }
    q.push_back(m);
    ++_counters.commands_deferred;
    ++_counters.commands_backlog;
    if (_counters.commands_backlog == 1) {
        _backlog_timer.start(1, [this] { flush_backlog(); });
    }
    return true;
}

void DataplaneLink::flush_backlog()
{
    std::lock_guard lock(_mutex);
    for (uint32_t w = 0; w < _backlog.size() && w < _commands.size(); ++w) {
        auto& q = _backlog[w];
        while (!q.empty() && _commands[w].push(q.front())) {
            explicit_bzero(&q.front(), sizeof(api::Message));  // cmd_session_srtp carries keys
            q.pop_front();
            --_counters.commands_backlog;
        }
    }
    if (_counters.commands_backlog != 0) {
        _backlog_timer.start(1, [this] { flush_backlog(); });
    }
}

void DataplaneLink::ping_workers()
{
    uint64_t now = api::mono_ns();
    for (uint32_t i = 0; i < _commands.size(); ++i) {
        api::PingPayload p{now};
        if (send_command(i, api::make_message(api::MsgType::cmd_ping, ++_cmd_seq, p))) {
            std::lock_guard lock(_mutex);
            ++_workers[i].pings_sent;
            _workers[i].last_ping_mono_ns = now;
        }
    }
    _ping.start(ping_period_ms, [this] { ping_workers(); });
}

void DataplaneLink::handle_event(uint32_t worker_index, const api::Message& m)
{
    auto type = static_cast<api::MsgType>(m.hdr.type);
    switch (type) {
    case api::MsgType::evt_pong: {
        uint64_t now = api::mono_ns();
        std::lock_guard lock(_mutex);
        auto& w = _workers[worker_index];
        if (w.last_pong_mono_ns == 0) {
            spdlog::info("worker {} answered its first ping since the attach (rtt {} us)",
                         _segment.worker(worker_index).worker_id, (now - m.u.pong.nonce) / 1000);
        }
        ++w.pongs;
        w.last_pong_mono_ns = now;
        w.last_rtt_ns = now - m.u.pong.nonce;
        break;
    }
    case api::MsgType::evt_span_state: {
        uint32_t i = m.u.span_state.span_index;
        if (i < _segment.header().n_spans) {
            const auto& mirror = _segment.span(i).mirror;
            std::string alarms = span_alarm_names(m.u.span_state.alarms);
            spdlog::info("span {} {}{}{}", std::string(mirror.name, strnlen(mirror.name, sizeof(mirror.name))),
                         span_state_name(m.u.span_state.oper_state), alarms.empty() ? "" : ", alarms ", alarms);
        }
        break;
    }
    case api::MsgType::evt_cmd_error: {
        spdlog::warn("worker {} refused command type {} seq {} for object {}: {}", worker_index,
                     m.u.cmd_error.cmd_type, m.u.cmd_error.cmd_seq, m.u.cmd_error.object,
                     std::strerror(-m.u.cmd_error.error));
        {
            std::lock_guard lock(_mutex);
            ++_counters.cmd_errors;
        }
        if (_observers.command_error) {
            _observers.command_error(m.u.cmd_error);
        }
        break;
    }
    case api::MsgType::evt_session_event:
        if (_observers.session_event) {
            _observers.session_event(m.u.session_event);
        }
        break;
    default: {
        std::lock_guard lock(_mutex);
        ++_counters.events_unknown;
        break;
    }
    }
}

void DataplaneLink::drain_events()
{
    if (_events.empty()) {
        return;
    }
    // Every loop pass also moves waiting commands into rings with room.
    if (_counters.commands_backlog != 0) {
        flush_backlog();
    }
    api::Message msgs[drain_burst];
    for (;;) {
        uint64_t total = 0;
        for (uint32_t i = 0; i < _events.size(); ++i) {
            uint32_t n;
            while ((n = _events[i].pop_burst(msgs, drain_burst)) > 0) {
                total += n;
                for (uint32_t k = 0; k < n; ++k) {
                    handle_event(i, msgs[k]);
                }
            }
        }
        if (total > 0) {
            std::lock_guard lock(_mutex);
            _counters.events += total;
        }
        // Arm every ring; if one filled up meanwhile, drain again.
        bool all_armed = true;
        for (auto& e : _events) {
            all_armed &= e.arm_wakeup();
        }
        if (all_armed) {
            return;
        }
    }
}

}  // namespace trunkgw::control
