// Ethernet/IPv4/UDP framing for transmit; see udp_frame.h.
#include "dataplane/net/udp_frame.h"

#include <cerrno>
#include <cstring>

#include "dataplane/net/udp.h"

namespace trunkgw::net {

int write_udp_headers(uint8_t* frame, std::size_t cap, const Interface& ifc, const UdpFlow& flow, uint16_t ip_id,
                      std::size_t payload_len)
{
    if (flow.ttl == 0 || flow.dscp > 63 || flow.vlan_pcp > 7 || !ifc.has_address(flow.src_ip)) {
        return -EINVAL;
    }
    std::size_t hdrs = udp_headers_len(ifc);
    std::size_t l2 = link_header_len(ifc);
    std::size_t ip_len = ipv4_min_header_len + udp_header_len + payload_len;
    if (ip_len > 0xffff || hdrs + payload_len > cap) {
        return -EMSGSIZE;
    }
    std::size_t total = hdrs + payload_len;
    if (total < ethernet_min_frame_len) {
        if (cap < ethernet_min_frame_len) {
            return -EMSGSIZE;
        }
        std::memset(frame + total, 0, ethernet_min_frame_len - total);
        total = ethernet_min_frame_len;
    }
    int n = write_ethernet(frame, cap, flow.dst_mac, ifc.mac, ifc.tag(flow.vlan_pcp), ethertype_ipv4);
    if (n < 0) {
        return n;
    }
    Ipv4Fields f;
    f.dscp = flow.dscp;
    f.id = ip_id;
    f.ttl = flow.ttl;
    f.protocol = ip_proto_udp;
    f.src = flow.src_ip;
    f.dst = flow.dst_ip;
    f.checksum = !flow.nic_checksums;
    write_ipv4_header(frame + l2, f, static_cast<uint16_t>(ip_len));
    UdpChecksum uc = !flow.udp_checksum ? UdpChecksum::none
                     : flow.nic_checksums ? UdpChecksum::offload
                                          : UdpChecksum::full;
    write_udp_header(frame + l2 + ipv4_min_header_len, flow.src_port, flow.dst_port,
                     static_cast<uint16_t>(udp_header_len + payload_len), flow.src_ip, flow.dst_ip, uc);
    return static_cast<int>(total);
}

int build_udp_frame(uint8_t* frame, std::size_t cap, const Interface& ifc, const UdpFlow& flow, uint16_t ip_id,
                    const uint8_t* payload, std::size_t payload_len)
{
    std::size_t hdrs = udp_headers_len(ifc);
    if (hdrs + payload_len > cap) {
        return -EMSGSIZE;
    }
    if (payload_len != 0) {
        std::memmove(frame + hdrs, payload, payload_len);
    }
    return write_udp_headers(frame, cap, ifc, flow, ip_id, payload_len);
}

}  // namespace trunkgw::net
