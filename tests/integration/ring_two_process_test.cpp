// Two processes on one ring: a child producer pushes over 10 million messages
// through a command ring of a real segment while the parent pops them. The
// producer is killed with SIGKILL midway; a new one attaches through the
// normal attach path and continues. No message may be lost, duplicated or
// reordered.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "dataplane/api/segment.h"

using namespace trunkgw::api;

namespace {

constexpr uint64_t total_messages = 10'500'000;
constexpr uint64_t kill_after = 3'000'000;

std::string instance() { return "it-ring-" + std::to_string(getpid()); }

uint64_t check_of(uint64_t seq) { return seq * 0x9E3779B97F4A7C15ULL; }

// The producer: attaches like trunkgw-control does and pushes messages whose
// sequence number continues from the ring's published head.
[[noreturn]] void producer(const std::string& inst)
{
    alarm(120);  // never outlive a broken parent
    AttachResult r = attach_segment(inst);
    if (r.status != AttachStatus::ok) {
        _exit(3);
    }
    RingProducer<Message> p(r.segment.ring_at(r.segment.worker(0).cmd_ring_off));
    uint64_t seq = p.header()->head.load(std::memory_order_acquire);
    Message burst[32];
    while (seq < total_messages) {
        uint32_t n = 0;
        for (; n < 32 && seq + n < total_messages; ++n) {
            burst[n] = make_message(MsgType::cmd_ping, static_cast<uint32_t>(seq + n), PingPayload{seq + n});
            // Fill the rest of the slot so a torn copy would show.
            uint64_t c = check_of(seq + n);
            __builtin_memcpy(burst[n].u.raw + 8, &c, sizeof(c));
            __builtin_memcpy(burst[n].u.raw + 48, &c, sizeof(c));
        }
        seq += p.push_burst(burst, n);
    }
    _exit(0);
}

pid_t spawn_producer(const std::string& inst)
{
    pid_t pid = fork();
    if (pid == 0) {
        producer(inst);
    }
    return pid;
}

}  // namespace

TEST_CASE("10 million messages cross processes, surviving a SIGKILLed producer", "[ring][process]")
{
    SegmentSpec spec;
    spec.instance = instance();
    spec.workers = {{1, 1}};
    spec.sessions_per_worker = 1;
    spec.cmd_ring_capacity = 4096;
    spec.evt_ring_capacity = 64;
    spec.dchan_ring_capacity = 4;
    Segment seg = Segment::create(spec);
    RingConsumer<Message> c(seg.ring_at(seg.worker(0).cmd_ring_off));

    pid_t child = spawn_producer(spec.instance);
    REQUIRE(child > 0);
    bool killed = false;
    uint64_t expected = 0;
    uint64_t bad = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    Message msgs[64];
    while (expected < total_messages && std::chrono::steady_clock::now() < deadline) {
        uint32_t n = c.pop_burst(msgs, 64);
        for (uint32_t i = 0; i < n; ++i) {
            uint64_t c1 = 0;
            uint64_t c2 = 0;
            __builtin_memcpy(&c1, msgs[i].u.raw + 8, sizeof(c1));
            __builtin_memcpy(&c2, msgs[i].u.raw + 48, sizeof(c2));
            if (msgs[i].u.ping.nonce != expected || c1 != check_of(expected) || c2 != c1 ||
                msgs[i].hdr.seq != static_cast<uint32_t>(expected)) {
                ++bad;
            }
            ++expected;
        }
        if (!killed && expected >= kill_after) {
            kill(child, SIGKILL);
            int status = 0;
            waitpid(child, &status, 0);
            REQUIRE(WIFSIGNALED(status));
            killed = true;
            child = spawn_producer(spec.instance);
            REQUIRE(child > 0);
        }
    }
    int status = 0;
    waitpid(child, &status, 0);
    seg.unlink();
    REQUIRE(killed);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    REQUIRE(expected == total_messages);
    REQUIRE(bad == 0);
    auto st = ring_stats(seg.ring_at(seg.worker(0).cmd_ring_off));
    REQUIRE(st.pushed == total_messages);
    REQUIRE(st.popped == total_messages);
    REQUIRE(c.empty());
}
