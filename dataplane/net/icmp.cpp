// ICMP echo request checks; see icmp.h.
#include "dataplane/net/icmp.h"

#include "dataplane/net/byte_order.h"
#include "dataplane/net/checksum.h"

namespace trunkgw::net {

IcmpEchoParse parse_icmp_echo_request(const uint8_t* p, std::size_t len)
{
    IcmpEchoParse r;
    if (len < icmp_echo_header_len) {
        r.reason = DropReason::icmp_too_short;
        return r;
    }
    if (!checksum_verifies(checksum_add(0, p, len))) {
        r.reason = DropReason::bad_icmp_checksum;
        return r;
    }
    if (p[0] != icmp_type_echo_request) {
        r.reason = DropReason::icmp_not_echo;
        return r;
    }
    r.code = p[1];
    r.identifier = load_be16(p + 4);
    r.sequence = load_be16(p + 6);
    return r;
}

}  // namespace trunkgw::net
