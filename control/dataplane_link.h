// Control's side of the contract: attaches to the data plane's segment
// (retrying while the data plane is not up), performs the socket handshake,
// drains the event rings when woken, pings workers, resynchronises from the
// state mirror after every attach, and detaches cleanly when the data plane
// goes away.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "control/config/config.h"
#include "control/event_loop.h"
#include "dataplane/api/segment.h"

namespace trunkgw::control {

// Control's view of one worker, refreshed by pongs.
struct WorkerLink {
    uint64_t pings_sent = 0;
    uint64_t pongs = 0;
    uint64_t last_ping_mono_ns = 0;
    uint64_t last_pong_mono_ns = 0;  // 0: no pong since this attach
    uint64_t last_rtt_ns = 0;
};

struct LinkCounters {
    uint64_t attach_attempts = 0;
    uint64_t attaches = 0;
    uint64_t detaches = 0;
    uint64_t attach_refusals = 0;  // mismatch or handshake refused
    uint64_t wakeups = 0;          // eventfd reads
    uint64_t events = 0;           // events popped
    uint64_t events_unknown = 0;   // events of a type we do not handle
    uint64_t cmd_errors = 0;       // evt_cmd_error received
    uint64_t commands_refused = 0; // detached, or the backlog is full too
    uint64_t commands_deferred = 0; // waited in the backlog for ring space
    uint64_t commands_backlog = 0;  // waiting now (all workers)
};

class DataplaneLink {
public:
    DataplaneLink(EventLoop& loop, const config::Config& cfg);
    ~DataplaneLink();
    DataplaneLink(const DataplaneLink&) = delete;
    DataplaneLink& operator=(const DataplaneLink&) = delete;

    void start();  // first attach attempt now, then retries

    // Observers, run on the control loop: after every attach (the segment
    // is mapped: reconcile from the mirror), for every command a worker
    // refused, for every session event.
    struct Observers {
        std::function<void(const api::Segment&)> attached;
        std::function<void()> detached;  // before the segment is unmapped
        std::function<void(const api::CmdErrorPayload&)> command_error;
        std::function<void(const api::SessionEventPayload&)> session_event;
        // The data plane wrote our eventfd: a ring we armed has something
        // (called before the event rings are drained).
        std::function<void()> woken;
    };
    void set_observers(Observers o) { _observers = std::move(o); }

    // Drains every event ring and re-arms the wakeup flags (the prepoll hook).
    void drain_events();

    // Sends a command to the worker at `worker_index`. When its ring is
    // full the command waits in a bounded backlog (in order, behind any
    // already waiting) and goes as the worker makes room: a burst of
    // commands is back-pressure, not a failure. False (and counted) only
    // when detached or the backlog is full too.
    bool send_command(uint32_t worker_index, const api::Message& m);
    // How many more commands send_command() would take for that worker now
    // (0 when detached): a create that needs several asks first.
    std::size_t command_room(uint32_t worker_index) const;

    // Commands a worker's backlog holds at most.
    static constexpr std::size_t backlog_max = 65536;

    // Snapshot access for other threads (metrics) and the management API:
    // holds the lock while fn reads the segment and link state.
    template <class Fn>
    auto with_state(Fn&& fn) const
    {
        std::lock_guard lock(_mutex);
        return fn(_segment.mapped() ? &_segment : nullptr, _workers, _counters, _last_error,
                  _attached_since_mono_ns);
    }

private:
    void try_attach();
    bool handshake(const api::Segment& seg, std::string& error);
    void on_attached();
    void detach(const std::string& why);
    void schedule_retry();
    void ping_workers();
    void handle_event(uint32_t worker_index, const api::Message& m);
    void flush_backlog();

    EventLoop& _loop;
    const config::Config& _cfg;
    Observers _observers;
    Timer _retry;
    Timer _ping;
    Timer _backlog_timer;  // retries the backlog every 1 ms while it holds commands
    std::vector<std::deque<api::Message>> _backlog;  // per worker
    int _conn_fd = -1;
    int _event_fd = -1;
    int _conn_watch = 0;
    int _event_watch = 0;
    bool _waiting_logged = false;
    uint32_t _cmd_seq = 0;

    mutable std::mutex _mutex;  // guards what other threads read, below
    api::Segment _segment;
    std::vector<api::RingProducer<api::Message>> _commands;
    std::vector<api::RingConsumer<api::Message>> _events;
    std::vector<WorkerLink> _workers;
    LinkCounters _counters;
    std::string _last_error;
    uint64_t _attached_since_mono_ns = 0;
};

}  // namespace trunkgw::control
