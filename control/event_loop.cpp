// su_root-based event loop; see event_loop.h for why the loop is Sofia's.
#include "control/event_loop.h"

#include <sofia-sip/su.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

// Exported by libsofia-sip-ua (SOFIAPUBFUN in Sofia's internal su_port.h,
// not among the installed headers): it executes the messages queued on a
// port, and it is the su_port_getmsgs() of every socket port Sofia builds on
// Linux (epoll, poll, select). See on_prepoll() for why we call it.
extern "C" int su_base_port_getmsgs(su_port_t* port);

namespace trunkgw::control {

namespace {

// A bound on the message rounds one prepoll runs, so that a message that
// keeps queueing another cannot keep the loop from its sockets: past it the
// pass continues as Sofia's own would (a zero-timeout poll, then more).
constexpr unsigned max_message_rounds = 256;

}  // namespace

EventLoop::EventLoop()
{
    if (su_init() != 0) {
        throw std::runtime_error("su_init failed");
    }
    _root = su_root_create(nullptr);
    if (_root == nullptr) {
        throw std::runtime_error("su_root_create failed");
    }
    // nua_create() starts the SIP stack with su_clone_start(), which gives
    // it a thread of its own unless the root says otherwise: every request
    // and every event then crossed threads through a socket pair (two
    // wake-ups and context switches each way, about half the control's CPU
    // per call). Without threading the clone shares this root's port, and
    // the stack runs here, on the loop, as the design above says.
    su_root_threading(_root, 0);
    su_root_add_prepoll(_root, on_prepoll, this);
    _cross_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    try {
        if (_cross_fd < 0) {
            throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
        }
        add_fd(_cross_fd, SU_WAIT_IN, [this](int) {
            uint64_t n;
            while (::read(_cross_fd, &n, sizeof(n)) > 0) {
            }
            run_cross_calls();
        });
    } catch (...) {
        if (_cross_fd >= 0) {
            ::close(_cross_fd);
        }
        su_root_destroy(_root);
        su_deinit();
        throw;
    }
}

EventLoop::~EventLoop()
{
    for (auto& [handle, w] : _watches) {
        su_root_deregister(_root, handle);
    }
    _watches.clear();
    su_root_remove_prepoll(_root);
    su_root_destroy(_root);
    su_deinit();
    ::close(_cross_fd);
}

int EventLoop::on_wakeup(su_root_magic_t*, su_wait_t* w, su_wakeup_arg_t* arg)
{
    auto* watch = static_cast<Watch*>(arg);
    int revents = su_wait_events(w, watch->fd);
    // Copy: the handler may remove its own watch.
    FdHandler fn = watch->fn;
    fn(revents);
    return 0;
}

int EventLoop::add_fd(int fd, int events, FdHandler fn)
{
    auto w = std::make_unique<Watch>();
    w->fd = fd;
    w->fn = std::move(fn);
    if (su_wait_create(&w->wait, fd, events) != 0) {
        throw std::runtime_error("su_wait_create failed");
    }
    int handle = su_root_register(_root, &w->wait, on_wakeup, w.get(), su_pri_normal);
    if (handle <= 0) {
        su_wait_destroy(&w->wait);
        throw std::runtime_error("su_root_register failed");
    }
    _watches.emplace(handle, std::move(w));
    return handle;
}

void EventLoop::remove_fd(int handle)
{
    auto it = _watches.find(handle);
    if (it == _watches.end()) {
        return;
    }
    // su_root_deregister destroys the registered copy of the wait object.
    su_root_deregister(_root, handle);
    _watches.erase(it);
}

void EventLoop::on_prepoll(su_prepoll_magic_t* magic, su_root_t*)
{
    auto* self = static_cast<EventLoop*>(magic);
    // Sofia's loop (su_base_port_run) executes the queued messages once per
    // pass and, while more are queued, polls with a zero timeout before the
    // next pass. With nua on this thread every nua_*() request and every
    // nua event is such a message, and one call's exchange is a chain of
    // dozens: the loop made ~42 epoll_wait system calls per call (169,556
    // in 4 s at 1,000 calls/s, `perf stat -e 'syscalls:sys_enter_*'`).
    // This hook runs at the top of every pass: it runs the chain to its end
    // here (our own hook first each round: data plane events and libpri
    // may queue requests to nua), so that the pass then polls with its real
    // timeout. Ends with the hook having run and the queue found empty:
    // nothing is queued between the rings' last drain and the wait.
    su_port_t* port = su_root_task(self->_root)->sut_port;
    for (unsigned round = 0; round < max_message_rounds; ++round) {
        if (self->_prepoll) {
            self->_prepoll();
        }
        if (su_base_port_getmsgs(port) == 0) {
            break;
        }
    }
}

void EventLoop::set_prepoll(std::function<void()> fn) { _prepoll = std::move(fn); }

void EventLoop::run()
{
    {
        std::lock_guard lock(_cross_mutex);
        _loop_thread.store(std::this_thread::get_id());
        _running = true;
    }
    su_root_run(_root);
    {
        std::lock_guard lock(_cross_mutex);
        _running = false;
        for (auto& call : _cross) {
            call->cancelled = true;  // their callers return false at once
        }
        _cross.clear();
    }
    _cross_done.notify_all();
}

bool EventLoop::run_on_loop(std::function<void()> fn, unsigned timeout_ms)
{
    if (on_loop_thread()) {
        fn();
        return true;
    }
    auto call = std::make_shared<CrossCall>();
    call->fn = std::move(fn);
    std::unique_lock lock(_cross_mutex);
    if (!_running) {
        return false;
    }
    _cross.push_back(call);
    const uint64_t one = 1;
    if (::write(_cross_fd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
        _cross.pop_back();
        return false;
    }
    _cross_done.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return call->done || call->cancelled; });
    return call->done;
}

void EventLoop::run_cross_calls()
{
    std::deque<std::shared_ptr<CrossCall>> calls;
    {
        std::lock_guard lock(_cross_mutex);
        calls.swap(_cross);
    }
    for (auto& call : calls) {
        try {
            call->fn();
        } catch (const std::exception& ex) {
            // Not through Sofia's C callback; the caller still hears back.
            spdlog::error("a call run on the loop for another thread failed: {}", ex.what());
        }
    }
    {
        std::lock_guard lock(_cross_mutex);
        for (auto& call : calls) {
            call->done = true;
        }
    }
    _cross_done.notify_all();
}

void EventLoop::stop() { su_root_break(_root); }

Timer::Timer(EventLoop& loop) : _t(su_timer_create(su_root_task(loop.root()), 0))
{
    if (_t == nullptr) {
        throw std::runtime_error("su_timer_create failed");
    }
}

Timer::~Timer() { su_timer_destroy(_t); }

void Timer::on_timer(su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg)
{
    auto* self = static_cast<Timer*>(arg);
    std::function<void()> fn = std::move(self->_fn);
    self->_fn = nullptr;
    if (fn) {
        fn();
    }
}

void Timer::start(unsigned ms, std::function<void()> fn)
{
    _fn = std::move(fn);
    su_timer_set_interval(_t, on_timer, this, ms);
}

void Timer::cancel()
{
    su_timer_reset(_t);
    _fn = nullptr;
}

}  // namespace trunkgw::control
