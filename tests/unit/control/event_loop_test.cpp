// EventLoop::run_on_loop (control/event_loop.h): another thread's function
// runs on the loop's thread and the caller hears when it has; nothing runs,
// and nobody waits, when the loop is not running.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "control/event_loop.h"

using trunkgw::control::EventLoop;
using trunkgw::control::Timer;

TEST_CASE("a function from another thread runs on the loop's thread", "[event_loop]")
{
    EventLoop loop;
    std::thread::id ran_on;
    int runs = 0;
    bool answered = false;
    std::thread::id loop_thread = std::this_thread::get_id();
    Timer start(loop);
    std::thread other;
    start.start(1, [&] {
        other = std::thread([&] {
            answered = loop.run_on_loop(
                [&] {
                    ran_on = std::this_thread::get_id();
                    ++runs;
                },
                5000);
            loop.run_on_loop([&] { loop.stop(); }, 5000);
        });
    });
    loop.run();
    other.join();
    CHECK(answered);
    CHECK(runs == 1);
    CHECK(ran_on == loop_thread);
}

TEST_CASE("on the loop's own thread it runs at once", "[event_loop]")
{
    EventLoop loop;
    int runs = 0;
    CHECK(loop.run_on_loop([&] { ++runs; }, 0));
    CHECK(runs == 1);
}

TEST_CASE("a loop that is not running refuses without running or waiting", "[event_loop]")
{
    EventLoop loop;
    std::atomic<int> runs{0};
    bool answered = true;
    std::thread other([&] { answered = loop.run_on_loop([&] { ++runs; }, 60000); });
    other.join();  // returns at once: a 60 s wait would time the test out
    CHECK_FALSE(answered);
    CHECK(runs == 0);
}
