// The software dispatcher: which worker serves each local UDP port, and one
// ring per worker of frames that other workers received for it.
//
// A span's pseudowire and a session's RTP/RTCP ports belong to one worker
// (ARCHITECTURE.md: a span, its channels and their sessions live on one
// lcore). Where the device takes flow rules (flow_steering.h) each frame
// arrives on its owner's queue and this table only confirms it; elsewhere
// (net_tap, net_af_packet: the kernel picks the queue by its own flow hash;
// RSS on a NIC knows nothing of owners) frames land anywhere, and the
// worker that received a frame for another's port gathers it with the
// others of its burst for that worker (DispatchBatch) and hands them over
// in one ring operation (counted both sides), marked checksum-checked. ARP
// that teaches a cache is handed to every other worker, so each worker's
// cache for a port learns what any queue of it heard.
//
// bind/unbind are called by the owning worker only (a port is created and
// deleted by its owner's commands), owner() by any worker: relaxed atomics,
// each entry meaningful on its own. Rings are multi-producer, single
// consumer (rte_ring), sized at start-up; nothing here allocates later.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

struct rte_mbuf;
struct rte_ring;

namespace trunkgw::dataplane {

// One worker's frames for another, gathered over a receive burst and
// handed over in one ring operation (an MP ring's enqueue is a
// compare-and-swap on the shared head: one per burst, not per frame).
struct DispatchBatch {
    static constexpr unsigned capacity = 32;
    rte_mbuf* frames[capacity];
    unsigned count = 0;
};

class UdpDispatch {
public:
    static constexpr int no_owner = -1;

    // Throws std::runtime_error when a ring cannot be created.
    UdpDispatch(uint32_t n_workers, uint32_t ring_size);
    ~UdpDispatch();
    UdpDispatch(const UdpDispatch&) = delete;
    UdpDispatch& operator=(const UdpDispatch&) = delete;

    // 0, or -EADDRINUSE when another worker (or this one) holds the port.
    int bind(uint16_t udp_port, uint32_t worker);
    void unbind(uint16_t udp_port);
    int owner(uint16_t udp_port) const
    {
        return static_cast<int>(_owner[udp_port].load(std::memory_order_relaxed)) - 1;
    }

    // Hands up to n frames to `worker` in one ring operation; returns how
    // many it took (the caller frees the rest: the ring is full).
    unsigned forward(uint32_t worker, rte_mbuf* const* m, unsigned n);
    // Gives m (with one more reference each) to every worker but `from`;
    // returns how many rings refused it.
    uint32_t fan_out(uint32_t from, rte_mbuf* m);
    // Up to n frames handed to `worker`.
    unsigned take(uint32_t worker, rte_mbuf** out, unsigned n);

    uint32_t workers() const { return static_cast<uint32_t>(_rings.size()); }

private:
    std::unique_ptr<std::atomic<uint16_t>[]> _owner;  // worker + 1 per UDP port; 0 = none
    std::vector<rte_ring*> _rings;
};

}  // namespace trunkgw::dataplane
