// The control process's one event loop, and the decision behind it.
//
// Decision (issue 2): the loop IS a Sofia-SIP su_root, run on the main
// thread. Sofia's nua/nta (issue 6) need their su_root to be driven by the
// thread that created it, so rather than run Sofia in a thread of its own and
// post work across, everything else joins Sofia's loop:
//  - file descriptors (management API, the data plane's eventfd and attach
//    socket, signalfd, later SIP transports) are su_wait_t registrations;
//  - timers (attach retry, libpri's Q.921/Q.931 timers in issue 5) are
//    su_timer_t. libpri's scheduler gives one absolute deadline
//    (pri_schedule_next); after every call into libpri one su_timer is
//    re-armed to it, and its expiry runs pri_schedule_run;
//  - a prepoll hook runs just before every wait: it drains the data plane's
//    event rings and re-arms their wakeup flags, so no event is lost between
//    the last read and the sleep; it also runs Sofia's queued messages (nua
//    requests and events) to the end of their chain, so that the loop polls
//    once per wake-up rather than once per message (event_loop.cpp).
// The only other threads are prometheus-cpp's HTTP threads, which read the
// shared segment lock-free and control state through a snapshot lock.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <sofia-sip/su_wait.h>

namespace trunkgw::control {

class EventLoop;

// A one-shot or periodic timer bound to the loop.
class Timer {
public:
    explicit Timer(EventLoop& loop);
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    void start(unsigned ms, std::function<void()> fn);  // fires once
    void cancel();

private:
    static void on_timer(su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg);
    su_timer_t* _t = nullptr;
    std::function<void()> _fn;
};

class EventLoop {
public:
    using FdHandler = std::function<void(int revents)>;

    EventLoop();  // su_init + su_root_create; throws on failure
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Watches fd for `events` (POLLIN, POLLOUT); returns a handle for remove_fd.
    int add_fd(int fd, int events, FdHandler fn);
    void remove_fd(int handle);
    void set_prepoll(std::function<void()> fn);

    void run();   // until stop()
    void stop();

    // Runs `fn` on the loop's thread and returns once it has run: at once
    // when called there, else through an eventfd the loop watches (the
    // metrics thread refreshing the state the loop publishes for it, rather
    // than the loop republishing on every event). False, without running
    // it, when the loop is not running; false when it did not get to it
    // within `timeout_ms` (it may still run later: `fn` must stay valid).
    bool run_on_loop(std::function<void()> fn, unsigned timeout_ms);
    bool on_loop_thread() const { return std::this_thread::get_id() == _loop_thread.load(); }

    su_root_t* root() const { return _root; }

private:
    struct Watch {
        su_wait_t wait;
        int fd;
        FdHandler fn;
    };
    static int on_wakeup(su_root_magic_t*, su_wait_t* w, su_wakeup_arg_t* arg);
    static void on_prepoll(su_prepoll_magic_t* magic, su_root_t*);

    struct CrossCall {
        std::function<void()> fn;
        bool done = false;       // under _cross_mutex
        bool cancelled = false;  // the loop stopped first; under _cross_mutex
    };
    void run_cross_calls();

    su_root_t* _root = nullptr;
    std::unordered_map<int, std::unique_ptr<Watch>> _watches;
    std::function<void()> _prepoll;
    std::atomic<std::thread::id> _loop_thread{std::this_thread::get_id()};  // the creator's until run()
    std::mutex _cross_mutex;
    std::condition_variable _cross_done;
    std::deque<std::shared_ptr<CrossCall>> _cross;  // under _cross_mutex
    bool _running = false;                          // under _cross_mutex
    int _cross_fd = -1;                             // eventfd
};

}  // namespace trunkgw::control
