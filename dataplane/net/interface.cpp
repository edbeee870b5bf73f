// Interface address list; see interface.h.
#include "dataplane/net/interface.h"

#include <cerrno>

#include "dataplane/net/ipv4.h"

namespace trunkgw::net {

int Interface::add_address(uint32_t ip)
{
    if (!ipv4_source_valid(ip)) {
        return -EINVAL;
    }
    if (has_address(ip)) {
        return -EEXIST;
    }
    if (ipv4_count >= max_interface_addresses) {
        return -ENOSPC;
    }
    ipv4[ipv4_count++] = ip;
    return 0;
}

}  // namespace trunkgw::net
