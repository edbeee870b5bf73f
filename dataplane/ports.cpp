// Port bring-up; see ports.h.
#include "dataplane/ports.h"

#include "dataplane/flow_steering.h"

#include <algorithm>

#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_mbuf.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace trunkgw::dataplane {

namespace {

constexpr uint16_t rx_desc = 1024;
constexpr uint16_t tx_desc = 1024;
// Each lcore's mempool cache: as large as DPDK allows (512), but small
// enough that the caches of every lcore taking from the pool (the workers
// and the service lcore), each full to DPDK's flush threshold of 1.5 x its
// size, hold at most a quarter of the pool. A worker's tick allocates a
// packet for every session whose packet is due (~500 a millisecond at
// 10,000 sessions) and frees as many received: a cache of 256 overflowed
// into the pool's ring, whose other end hands out the mbufs freed longest
// ago (cold: several cache misses to build a frame in one). Measured in
// DEVELOPERS.md (session 15).
unsigned mbuf_cache_size(uint32_t mbufs, uint32_t n_workers)
{
    return std::min<unsigned>(RTE_MEMPOOL_CACHE_MAX_SIZE, mbufs / (6 * (n_workers + 1)));
}

std::string device_name(const config::Port& p)
{
    return p.pci.empty() ? p.vdev.substr(0, p.vdev.find(',')) : p.pci;
}

}  // namespace

Ports::Ports(const config::Config& cfg, uint32_t n_workers)
{
    if (cfg.ports.empty()) {
        return;
    }
    unsigned cache = mbuf_cache_size(cfg.dataplane.mbufs, n_workers);
    _pool = rte_pktmbuf_pool_create("trunkgw_mbufs", cfg.dataplane.mbufs, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    static_cast<int>(rte_socket_id()));
    if (_pool == nullptr) {
        throw std::runtime_error(fmt::format("cannot create a pool of {} mbufs: {} (raise dataplane.memory_mb "
                                             "or lower dataplane.mbufs)",
                                             cfg.dataplane.mbufs, rte_strerror(rte_errno)));
    }
    spdlog::info("mbuf pool: {} mbufs, {} cached per lcore", cfg.dataplane.mbufs, cache);
    for (const auto& p : cfg.ports) {
        std::string dev = device_name(p);
        uint16_t port_id = 0;
        if (rte_eth_dev_get_port_by_name(dev.c_str(), &port_id) != 0) {
            throw std::runtime_error(fmt::format("port {} ({}): no DPDK device of that name was probed",
                                                 p.name, dev));
        }
        rte_eth_dev_info info{};
        int rc = rte_eth_dev_info_get(port_id, &info);
        if (rc != 0) {
            throw std::runtime_error(fmt::format("port {} ({}): dev_info: {}", p.name, dev, rte_strerror(-rc)));
        }
        uint16_t q = static_cast<uint16_t>(n_workers);
        q = std::min<uint16_t>(q, info.max_rx_queues);
        q = std::min<uint16_t>(q, info.max_tx_queues);
        if (q == 0) {
            throw std::runtime_error(fmt::format("port {} ({}) offers no queues", p.name, dev));
        }
        if (q < n_workers) {
            spdlog::warn("port {} ({}) has {} queue(s) for {} workers: workers above {} do not poll it",
                         p.name, dev, q, n_workers, q);
        }
        rte_eth_conf conf{};
        // A device that verifies IPv4 and UDP checksums marks each frame
        // (RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_GOOD) and the
        // classifier skips its own sums for it (PortIo::handle; a frame not
        // marked good is still checked in software). On net_pcap the
        // checksums were ~15 % of the worker at 10,000 sessions.
        conf.rxmode.offloads = info.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
        spdlog::info("port {} ({}): receive checksum offload {}", p.name, dev,
                     conf.rxmode.offloads == 0 ? "not offered: checked in software" : "on");
        // Transmit: a device that computes both the IPv4 header checksum and
        // the UDP checksum takes them off the worker (PortIo::send_udp marks
        // each frame; both or neither).
        constexpr uint64_t tx_checksums = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
        conf.txmode.offloads = (info.tx_offload_capa & tx_checksums) == tx_checksums ? tx_checksums : 0;
        spdlog::info("port {} ({}): transmit checksum offload {}", p.name, dev,
                     conf.txmode.offloads == 0 ? "not offered: computed in software" : "on");
        rc = rte_eth_dev_configure(port_id, q, q, &conf);
        if (rc != 0) {
            throw std::runtime_error(fmt::format("port {} ({}): configure: {}", p.name, dev, rte_strerror(-rc)));
        }
        int socket = rte_eth_dev_socket_id(port_id);
        unsigned sock = socket < 0 ? 0u : static_cast<unsigned>(socket);
        for (uint16_t i = 0; i < q; ++i) {
            rc = rte_eth_rx_queue_setup(port_id, i, rx_desc, sock, nullptr, _pool);
            if (rc != 0) {
                throw std::runtime_error(fmt::format("port {} ({}): rx queue {}: {}", p.name, dev, i, rte_strerror(-rc)));
            }
            rc = rte_eth_tx_queue_setup(port_id, i, tx_desc, sock, nullptr);
            if (rc != 0) {
                throw std::runtime_error(fmt::format("port {} ({}): tx queue {}: {}", p.name, dev, i, rte_strerror(-rc)));
            }
        }
        rc = rte_eth_dev_start(port_id);
        if (rc != 0) {
            throw std::runtime_error(fmt::format("port {} ({}): start: {}", p.name, dev, rte_strerror(-rc)));
        }
        spdlog::info("port {} ({}) started as DPDK port {} with {} queue pair(s)", p.name, dev, port_id, q);
        // Each worker's UDP on its own queue where the device takes flow
        // rules; else (and always as the fallback) the software dispatcher
        // hands frames from the wrong queue to their owner.
        std::string why;
        bool steered = false;
        if (!p.flow_steering) {
            why = "flow_steering = false in the config";
        } else if (q != n_workers) {
            why = fmt::format("{} queue(s) for {} workers", q, n_workers);
        } else {
            UdpSteeringPlan plan = udp_steering_plan(cfg, static_cast<uint32_t>(_ports.size()), n_workers);
            why = plan.rules.empty() ? plan.why_none : install_udp_steering(port_id, p.vlan, plan.rules);
            steered = why.empty();
            if (steered) {
                spdlog::info("port {} ({}): flow rules steer UDP to its owner's queue ({} rules)", p.name, dev,
                             plan.rules.size());
            }
        }
        if (!steered && n_workers > 1) {
            spdlog::info("port {} ({}): UDP reaches its worker through the software dispatcher ({})", p.name, dev,
                         why);
        }
        _ports.push_back({p.id, p.name, dev, port_id, q, conf.txmode.offloads != 0, steered});
    }
}

Ports::~Ports()
{
    for (const auto& p : _ports) {
        if (p.flow_steering) {
            rte_flow_error err{};
            rte_flow_flush(p.port_id, &err);
        }
        rte_eth_dev_stop(p.port_id);
        rte_eth_dev_close(p.port_id);
    }
    if (_pool != nullptr) {
        rte_mempool_free(_pool);
    }
}

}  // namespace trunkgw::dataplane
