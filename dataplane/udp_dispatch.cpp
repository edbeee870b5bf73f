// The software dispatcher; see udp_dispatch.h.
#include "dataplane/udp_dispatch.h"

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cerrno>
#include <stdexcept>
#include <string>

namespace trunkgw::dataplane {

UdpDispatch::UdpDispatch(uint32_t n_workers, uint32_t ring_size) : _owner(new std::atomic<uint16_t>[65536])
{
    for (uint32_t p = 0; p < 65536; ++p) {
        _owner[p].store(0, std::memory_order_relaxed);
    }
    for (uint32_t w = 0; w < n_workers; ++w) {
        std::string name = "tgw_dispatch_" + std::to_string(w);
        // Multi-producer (any worker hands over), single consumer (the owner).
        rte_ring* r = rte_ring_create(name.c_str(), ring_size, static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
        if (r == nullptr) {
            for (rte_ring* x : _rings) {
                rte_ring_free(x);
            }
            throw std::runtime_error("cannot create the dispatch ring " + name + ": " + rte_strerror(rte_errno));
        }
        _rings.push_back(r);
    }
}

UdpDispatch::~UdpDispatch()
{
    for (rte_ring* r : _rings) {
        rte_mbuf* m = nullptr;
        while (rte_ring_dequeue(r, reinterpret_cast<void**>(&m)) == 0) {
            rte_pktmbuf_free(m);
        }
        rte_ring_free(r);
    }
}

int UdpDispatch::bind(uint16_t udp_port, uint32_t worker)
{
    uint16_t expected = 0;
    if (!_owner[udp_port].compare_exchange_strong(expected, static_cast<uint16_t>(worker + 1),
                                                  std::memory_order_relaxed)) {
        return -EADDRINUSE;
    }
    return 0;
}

void UdpDispatch::unbind(uint16_t udp_port) { _owner[udp_port].store(0, std::memory_order_relaxed); }

unsigned UdpDispatch::forward(uint32_t worker, rte_mbuf* const* m, unsigned n)
{
    return rte_ring_enqueue_burst(_rings[worker], reinterpret_cast<void* const*>(m), n, nullptr);
}

uint32_t UdpDispatch::fan_out(uint32_t from, rte_mbuf* m)
{
    uint32_t refused = 0;
    for (uint32_t w = 0; w < _rings.size(); ++w) {
        if (w == from) {
            continue;
        }
        rte_mbuf_refcnt_update(m, 1);
        if (rte_ring_enqueue(_rings[w], m) != 0) {
            rte_mbuf_refcnt_update(m, -1);
            ++refused;
        }
    }
    return refused;
}

unsigned UdpDispatch::take(uint32_t worker, rte_mbuf** out, unsigned n)
{
    return rte_ring_dequeue_burst(_rings[worker], reinterpret_cast<void**>(out), n, nullptr);
}

}  // namespace trunkgw::dataplane
