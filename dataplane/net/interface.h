// What the packet layer knows of one of our ports: its MAC address, the IPv4
// addresses we answer for on it (up to 8) and the VLAN it is on, if any.
// Built by control-side code from config; read-only on the data path.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "dataplane/net/ethernet.h"

namespace trunkgw::net {

inline constexpr std::size_t max_interface_addresses = 8;

struct Interface {
    MacAddress mac{};
    std::array<uint32_t, max_interface_addresses> ipv4{};  // host order; the first ipv4_count are ours
    uint8_t ipv4_count = 0;
    std::optional<uint16_t> vlan_id;  // 1..4094; unset: the port is untagged

    bool has_address(uint32_t ip) const
    {
        for (std::size_t i = 0; i < ipv4_count; ++i) {
            if (ipv4[i] == ip) {
                return true;
            }
        }
        return false;
    }

    // Adds an address: 0, -EEXIST if it is already there, -ENOSPC when 8
    // are configured, -EINVAL for one that cannot be a host's own
    // (ipv4_source_valid(), RFC 1122 3.2.1.3).
    int add_address(uint32_t ip);

    // The tag our frames carry (PCP 0), if the port is tagged.
    std::optional<VlanTag> tag(uint8_t pcp = 0) const
    {
        if (!vlan_id) {
            return std::nullopt;
        }
        return VlanTag{*vlan_id, pcp};
    }
};

}  // namespace trunkgw::net
