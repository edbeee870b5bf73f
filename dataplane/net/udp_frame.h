// Whole Ethernet/[802.1Q]/IPv4/UDP frames around a payload: how every RTP
// packet and every UDP pseudowire packet we send is framed.
//
// The payload is written first (the worker fills it in the mbuf) and the
// headers are put in front of it: write_udp_headers() expects the payload at
// frame + udp_headers_len(ifc). build_udp_frame() copies a payload there
// first, for callers that have it elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/net/ethernet.h"
#include "dataplane/net/interface.h"
#include "dataplane/net/ipv4.h"
#include "dataplane/net/udp.h"

namespace trunkgw::net {

// One direction of one media flow. dst_mac comes from the ARP cache (for
// the peer, or the gateway towards it).
struct UdpFlow {
    MacAddress dst_mac{};
    uint32_t src_ip = 0;  // one of ifc's addresses
    uint32_t dst_ip = 0;
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    // RFC 3246 EF by default, as RFC 4594 4.1 asks for telephony; RFC 2474
    // allows 0..63.
    uint8_t dscp = dscp_ef;
    // The 802.1Q priority on a tagged port. 5 is what switches commonly map
    // EF voice to (CoS 5 = DSCP 46 >> 3); 0..7.
    uint8_t vlan_pcp = 5;
    uint8_t ttl = ipv4_default_ttl;  // RFC 1122 3.2.1.7: never 0
    // RFC 1122 4.1.3.4: checksums "MUST default to checksumming on"; a flow
    // may turn them off (0 = none, RFC 768) to save the pass over the data.
    bool udp_checksum = true;
    // The NIC computes the IPv4 header checksum and the UDP checksum (DPDK
    // transmit checksum offload): the IPv4 field is left 0 and the UDP one
    // holds the pseudo-header sum (UdpChecksum::offload) when udp_checksum
    // is on. The caller sets the mbuf's offload flags.
    bool nic_checksums = false;
};

// Octets of Ethernet header and tag in front of the IPv4 header: 14, or 18
// on a tagged port (what DPDK's mbuf l2_len counts).
inline std::size_t link_header_len(const Interface& ifc)
{
    return ethernet_header_len + (ifc.vlan_id ? vlan_tag_len : 0);
}

// Octets of Ethernet, tag, IPv4 and UDP headers in front of the payload:
// 42, or 46 on a tagged port.
inline std::size_t udp_headers_len(const Interface& ifc)
{
    return link_header_len(ifc) + ipv4_min_header_len + udp_header_len;
}

// Writes the headers for the payload_len octets already at
// frame + udp_headers_len(ifc): Ethernet (ifc.mac -> flow.dst_mac, ifc's
// tag with flow.vlan_pcp), IPv4 (flow.dscp, ECN 0, ip_id, DF, flow.ttl,
// checksum) and UDP (length, checksum if flow.udp_checksum). A frame under
// 60 octets is zero-padded to 60 (the padding is outside the IP and UDP
// lengths). Returns the frame length, -EMSGSIZE if the datagram exceeds
// 65535 octets or the frame exceeds cap, -EINVAL for a TTL of 0, a DSCP
// above 63, a PCP above 7 or a source address that is not ifc's.
int write_udp_headers(uint8_t* frame, std::size_t cap, const Interface& ifc, const UdpFlow& flow, uint16_t ip_id,
                      std::size_t payload_len);

// Copies payload to frame + udp_headers_len(ifc), then write_udp_headers().
int build_udp_frame(uint8_t* frame, std::size_t cap, const Interface& ifc, const UdpFlow& flow, uint16_t ip_id,
                    const uint8_t* payload, std::size_t payload_len);

}  // namespace trunkgw::net
