// A single-producer single-consumer ring of fixed-size slots that lives in
// shared memory, so the producer and the consumer may be different processes
// and either may die and be replaced without losing a published message.
//
// Layout (RingHeader followed by `capacity` slots):
//  - producer cache line: `head`, written by the producer only;
//  - consumer cache line: `tail`, written by the consumer only, and
//    `wakeup_armed`, set by the consumer before it sleeps and cleared by
//    whoever signals it;
//  - indexes are free-running 64-bit counters, so `head` is also the number
//    of messages ever pushed and `tail` the number popped.
//
// A slot is written before `head` is published with a release store, so a
// producer killed at any instant leaves either a whole message or none.
// The positions live in the segment, not in the process: a new producer or
// consumer attaches and continues where its predecessor stopped.
//
// Every call says whether it is all-or-nothing or partial:
//   push / pop             one message, all-or-nothing (bool)
//   push_bulk / pop_bulk   n messages, all-or-nothing (bool)
//   push_burst / pop_burst up to n messages, partial (count moved)
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

namespace trunkgw::api {

inline constexpr std::size_t cache_line = 64;

struct RingHeader {
    uint32_t capacity;   // slots, a power of two; written once by the creator
    uint32_t slot_size;  // sizeof(slot type); checked by every attach
    uint32_t mask;       // capacity - 1
    uint32_t pad0;
    uint8_t pad1[cache_line - 16];

    // Written by the producer only.
    alignas(cache_line) std::atomic<uint64_t> head;
    std::atomic<uint64_t> full;  // messages refused because the ring was full (a
                                 // producer that retries counts every refusal)
    uint8_t pad2[cache_line - 16];

    // Written by the consumer only (wakeup_armed: set by consumer, cleared by
    // the signaller).
    alignas(cache_line) std::atomic<uint64_t> tail;
    std::atomic<uint32_t> wakeup_armed;
    uint8_t pad3[cache_line - 12];
};
static_assert(sizeof(RingHeader) == 3 * cache_line);
static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::atomic<uint32_t>::is_always_lock_free);

constexpr bool ring_capacity_valid(uint64_t capacity)
{
    return capacity >= 2 && capacity <= (1u << 24) && (capacity & (capacity - 1)) == 0;
}

template <class T>
constexpr std::size_t ring_bytes(uint32_t capacity)
{
    return sizeof(RingHeader) + std::size_t{capacity} * sizeof(T);
}

// Formats `mem` (ring_bytes<T>(capacity) bytes, cache-line aligned) as an
// empty ring. Only the segment creator calls this.
template <class T>
RingHeader* ring_init(void* mem, uint32_t capacity)
{
    static_assert(std::is_trivially_copyable_v<T>);
    auto* h = new (mem) RingHeader{};
    h->capacity = capacity;
    h->slot_size = sizeof(T);
    h->mask = capacity - 1;
    h->head.store(0, std::memory_order_relaxed);
    h->full.store(0, std::memory_order_relaxed);
    h->tail.store(0, std::memory_order_relaxed);
    h->wakeup_armed.store(0, std::memory_order_relaxed);
    return h;
}

template <class T>
T* ring_slots(RingHeader* h)
{
    return reinterpret_cast<T*>(reinterpret_cast<uint8_t*>(h) + sizeof(RingHeader));
}

// Read-only figures for metrics and trunkctl; safe from any thread or process.
struct RingStats {
    uint64_t pushed;
    uint64_t popped;
    uint64_t full;
    uint32_t capacity;
    uint32_t depth;
};

inline RingStats ring_stats(const RingHeader* h)
{
    uint64_t popped = h->tail.load(std::memory_order_acquire);
    uint64_t pushed = h->head.load(std::memory_order_acquire);
    uint64_t depth = pushed >= popped ? pushed - popped : 0;
    return {pushed, popped, h->full.load(std::memory_order_relaxed), h->capacity,
            static_cast<uint32_t>(depth)};
}

// The producer's process-local handle. One per ring at any time.
template <class T>
class RingProducer {
public:
    RingProducer() = default;
    explicit RingProducer(RingHeader* h)
        : _h(h), _slots(ring_slots<T>(h)),
          _head(h->head.load(std::memory_order_relaxed)),
          _tail_cache(h->tail.load(std::memory_order_acquire))
    {
    }

    bool valid() const { return _h != nullptr; }
    RingHeader* header() const { return _h; }

    // Free slots as last seen; refreshes the consumer position when needed.
    uint32_t free_count(uint32_t wanted)
    {
        uint32_t free = _h->capacity - static_cast<uint32_t>(_head - _tail_cache);
        if (free < wanted) {
            _tail_cache = _h->tail.load(std::memory_order_acquire);
            free = _h->capacity - static_cast<uint32_t>(_head - _tail_cache);
        }
        return free;
    }

    // All-or-nothing: one message, or false (counted in `full`).
    bool push(const T& msg) { return push_bulk(&msg, 1); }

    // All-or-nothing: all n messages, or none and false (n counted in `full`).
    bool push_bulk(const T* msgs, uint32_t n)
    {
        if (free_count(n) < n) {
            _h->full.fetch_add(n, std::memory_order_relaxed);
            return false;
        }
        copy_in(msgs, n);
        return true;
    }

    // Partial: as many of n as fit; returns that count (the rest are counted
    // in `full`).
    uint32_t push_burst(const T* msgs, uint32_t n)
    {
        uint32_t free = free_count(n);
        uint32_t k = n < free ? n : free;
        if (k < n) {
            _h->full.fetch_add(n - k, std::memory_order_relaxed);
        }
        if (k > 0) {
            copy_in(msgs, k);
        }
        return k;
    }

private:
    void copy_in(const T* msgs, uint32_t n)
    {
        for (uint32_t i = 0; i < n; ++i) {
            std::memcpy(&_slots[(_head + i) & _h->mask], &msgs[i], sizeof(T));
        }
        _head += n;
        // Publish: the slots above become visible before the new head.
        _h->head.store(_head, std::memory_order_release);
    }

    RingHeader* _h = nullptr;
    T* _slots = nullptr;
    uint64_t _head = 0;        // our own position (authoritative copy in shm)
    uint64_t _tail_cache = 0;  // consumer position as last read
};

// The consumer's process-local handle. One per ring at any time.
template <class T>
class RingConsumer {
public:
    RingConsumer() = default;
    // `scrub`: zero each slot once it is copied out, before the producer may
    // reuse it -- for a ring that carries secrets (the command ring's SRTP
    // master keys), so that none stays behind in the shared memory.
    explicit RingConsumer(RingHeader* h, bool scrub = false)
        : _h(h), _slots(ring_slots<T>(h)),
          _tail(h->tail.load(std::memory_order_relaxed)),
          _head_cache(h->head.load(std::memory_order_acquire)), _scrub(scrub)
    {
    }

    bool valid() const { return _h != nullptr; }
    RingHeader* header() const { return _h; }

    // Messages ready as last seen; refreshes the producer position when needed.
    uint32_t ready_count(uint32_t wanted)
    {
        uint32_t ready = static_cast<uint32_t>(_head_cache - _tail);
        if (ready < wanted) {
            _head_cache = _h->head.load(std::memory_order_acquire);
            ready = static_cast<uint32_t>(_head_cache - _tail);
        }
        return ready;
    }

    bool empty() { return ready_count(1) == 0; }

    // All-or-nothing: one message, or false when empty.
    bool pop(T& out) { return pop_bulk(&out, 1); }

    // All-or-nothing: exactly n messages, or none and false.
    bool pop_bulk(T* out, uint32_t n)
    {
        if (ready_count(n) < n) {
            return false;
        }
        copy_out(out, n);
        return true;
    }

    // Partial: up to n messages; returns how many were taken.
    uint32_t pop_burst(T* out, uint32_t n)
    {
        uint32_t ready = ready_count(n);
        uint32_t k = n < ready ? n : ready;
        if (k > 0) {
            copy_out(out, k);
        }
        return k;
    }

    // Before sleeping: ask to be signalled, then look once more (the producer
    // may have pushed between our last pop and the arm). Returns true when it
    // is safe to sleep.
    bool arm_wakeup()
    {
        _h->wakeup_armed.store(1, std::memory_order_seq_cst);
        if (ready_count(1) > 0) {
            _h->wakeup_armed.store(0, std::memory_order_relaxed);
            return false;
        }
        return true;
    }

private:
    void copy_out(T* out, uint32_t n)
    {
        for (uint32_t i = 0; i < n; ++i) {
            T* slot = &_slots[(_tail + i) & _h->mask];
            std::memcpy(&out[i], slot, sizeof(T));
            if (_scrub) {
                std::memset(static_cast<void*>(slot), 0, sizeof(T));
            }
        }
        _tail += n;
        // Release: our reads of the slots complete before the producer may
        // overwrite them.
        _h->tail.store(_tail, std::memory_order_release);
    }

    RingHeader* _h = nullptr;
    T* _slots = nullptr;
    uint64_t _tail = 0;
    uint64_t _head_cache = 0;
    bool _scrub = false;
};

// For the signaller (the data plane's service lcore): true when the consumer
// asked to be woken and there is something to read; clears the request.
inline bool ring_take_wakeup(RingHeader* h)
{
    if (h->wakeup_armed.load(std::memory_order_seq_cst) == 0) {
        return false;
    }
    uint64_t head = h->head.load(std::memory_order_seq_cst);
    uint64_t tail = h->tail.load(std::memory_order_seq_cst);
    if (head == tail) {
        return false;
    }
    return h->wakeup_armed.exchange(0, std::memory_order_seq_cst) != 0;
}

}  // namespace trunkgw::api
