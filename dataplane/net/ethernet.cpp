// Ethernet II and 802.1Q headers; see ethernet.h.
#include "dataplane/net/ethernet.h"

#include <cerrno>
#include <cstring>

#include "dataplane/net/byte_order.h"

namespace trunkgw::net {

EthernetHeader parse_ethernet(const uint8_t* frame, std::size_t len)
{
    EthernetHeader h;
    if (len < ethernet_header_len) {
        return h;
    }
    std::memcpy(h.dst.data(), frame, 6);
    std::memcpy(h.src.data(), frame + 6, 6);
    uint16_t type = load_be16(frame + 12);
    if (type != ethertype_vlan) {
        h.ethertype = type;
        h.l3_offset = ethernet_header_len;
        return h;
    }
    // IEEE 802.1Q 9.5: the tag (TPID 0x8100, then the TCI) sits between the
    // source address and the EtherType of the frame it carries.
    if (len < ethernet_header_len + vlan_tag_len) {
        return h;
    }
    h.tagged = true;
    h.tci = load_be16(frame + 14);
    h.ethertype = load_be16(frame + 16);
    h.l3_offset = ethernet_header_len + vlan_tag_len;
    return h;
}

int write_ethernet(uint8_t* out, std::size_t cap, const MacAddress& dst, const MacAddress& src,
                   std::optional<VlanTag> tag, uint16_t ethertype)
{
    std::size_t n = ethernet_header_len + (tag ? vlan_tag_len : 0);
    if (cap < n) {
        return -ENOSPC;
    }
    if (tag && (tag->vid > vlan_id_max || tag->pcp > 7)) {
        return -EINVAL;
    }
    std::memcpy(out, dst.data(), 6);
    std::memcpy(out + 6, src.data(), 6);
    uint8_t* p = out + 12;
    if (tag) {
        store_be16(p, ethertype_vlan);
        // DEI (drop eligible, 802.1Q 6.9.3) is left 0.
        store_be16(p + 2, static_cast<uint16_t>((tag->pcp << 13) | tag->vid));
        p += vlan_tag_len;
    }
    store_be16(p, ethertype);
    return static_cast<int>(n);
}

}  // namespace trunkgw::net
