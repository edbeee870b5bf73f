// DPDK ports named in the config: found by device name after EAL probing,
// configured with one RX and one TX queue per worker, started, and given
// flow rules that steer each worker's UDP to its queue where the device
// takes them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/config/config.h"

struct rte_mempool;

namespace trunkgw::dataplane {

struct OpenPort {
    uint32_t config_id;
    std::string name;
    std::string device;
    uint16_t port_id;
    uint16_t queues;  // RX = TX queues actually configured
    bool tx_checksum_offload;  // configured with IPv4 and UDP transmit checksum offload
    bool flow_steering;        // flow rules put each worker's UDP on its queue (flow_steering.h)
};

class Ports {
public:
    // Throws std::runtime_error naming the port and the DPDK error.
    Ports(const config::Config& cfg, uint32_t n_workers);
    ~Ports();
    Ports(const Ports&) = delete;
    Ports& operator=(const Ports&) = delete;

    const std::vector<OpenPort>& ports() const { return _ports; }  // in config order
    rte_mempool* pool() const { return _pool; }

private:
    rte_mempool* _pool = nullptr;
    std::vector<OpenPort> _ports;
};

}  // namespace trunkgw::dataplane
