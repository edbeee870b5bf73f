// A block of 64-bit counters with one writer and any number of lock-free
// readers in other threads or processes (a sequence lock).
//
// The writer (a worker lcore) bumps `seq` to odd, stores the values, bumps
// it to even. A reader takes a snapshot and retries while `seq` was odd or
// changed underneath it, so it never sees half of an update. The writer never
// waits for readers. Values are atomics with relaxed order so that the racing
// reads are defined behaviour, not just "works on x86".
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace trunkgw::api {

template <std::size_t N>
struct alignas(64) SeqlockBlock {
    std::atomic<uint64_t> seq;
    std::atomic<uint64_t> values[N];

    // Writer only. Publishes all N values as one consistent snapshot.
    void publish(const std::array<uint64_t, N>& v)
    {
        uint64_t s = seq.load(std::memory_order_relaxed);
        seq.store(s + 1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        for (std::size_t i = 0; i < N; ++i) {
            values[i].store(v[i], std::memory_order_relaxed);
        }
        seq.store(s + 2, std::memory_order_release);
    }

    // Any reader. Returns false only if `max_tries` attempts all raced a
    // writer (the writer publishes in nanoseconds, so this is pathological).
    bool read(std::array<uint64_t, N>& out, int max_tries = 1000) const
    {
        for (int t = 0; t < max_tries; ++t) {
            uint64_t s1 = seq.load(std::memory_order_acquire);
            if (s1 & 1) {
                continue;
            }
            for (std::size_t i = 0; i < N; ++i) {
                out[i] = values[i].load(std::memory_order_relaxed);
            }
            std::atomic_thread_fence(std::memory_order_acquire);
            if (seq.load(std::memory_order_relaxed) == s1) {
                return true;
            }
        }
        return false;
    }
};

static_assert(std::atomic<uint64_t>::is_always_lock_free);

}  // namespace trunkgw::api
