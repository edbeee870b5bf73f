// Any octets as a received frame: classify() on an untagged and a tagged
// interface with the offload hints taken from the input, then the ARP and
// ICMP echo responders in place on a copy, and the ARP cache fed with what
// the verdict carries. Nothing may read or write outside the frame, and a
// reply that is made must carry checksums that verify.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dataplane/net/arp_cache.h"
#include "dataplane/net/byte_order.h"
#include "dataplane/net/checksum.h"
#include "dataplane/net/classify.h"
#include "dataplane/net/ipv4.h"
#include "dataplane/net/responders.h"
#include "dataplane/net/udp.h"

namespace {

using namespace trunkgw::net;

Interface make_ifc(std::optional<uint16_t> vlan)
{
    Interface ifc;
    ifc.mac = {0x02, 0, 0, 0, 0, 0x01};
    ifc.add_address(ipv4_address(192, 0, 2, 1));
    ifc.add_address(ipv4_address(198, 51, 100, 1));
    ifc.vlan_id = vlan;
    return ifc;
}

const Interface untagged = make_ifc(std::nullopt);
const Interface tagged = make_ifc(100);

// Recomputes the IPv4, ICMP and UDP checksums where the frame has room for
// them, so that the fuzzer reaches the stages behind the checksum checks.
void repair_checksums(std::vector<uint8_t>& f)
{
    EthernetHeader eh = parse_ethernet(f.data(), f.size());
    if (eh.l3_offset == 0 || eh.ethertype != ethertype_ipv4 || f.size() < eh.l3_offset + ipv4_min_header_len) {
        return;
    }
    uint8_t* ip = f.data() + eh.l3_offset;
    std::size_t avail = f.size() - eh.l3_offset;
    std::size_t hl = (ip[0] & 0x0f) * 4u;
    if (hl < ipv4_min_header_len || hl > avail) {
        return;
    }
    store_be16(ip + 10, 0);
    store_be16(ip + 10, internet_checksum(ip, hl));
    std::size_t total = load_be16(ip + 2);
    if (total < hl || total > avail || total - hl < 8) {
        return;
    }
    uint8_t* l4 = ip + hl;
    std::size_t l4_len = total - hl;
    if (ip[9] == ip_proto_icmp) {
        store_be16(l4 + 2, 0);
        store_be16(l4 + 2, internet_checksum(l4, l4_len));
    } else if (ip[9] == ip_proto_udp) {
        uint16_t ulen = load_be16(l4 + 4);
        if (ulen >= 8 && ulen <= l4_len) {
            write_udp_header(l4, load_be16(l4), load_be16(l4 + 2), ulen, load_be32(ip + 12), load_be32(ip + 16), UdpChecksum::full);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    if (size < 1) {
        return 0;
    }
    // First octet: which interface, which offload hints, checksum repair.
    uint8_t mode = data[0];
    const uint8_t* frame = data + 1;
    std::size_t len = size - 1;
    const Interface& ifc = (mode & 1) ? tagged : untagged;
    RxOffload off;
    off.ip_checksum_good = (mode & 2) != 0;
    off.udp_checksum_good = (mode & 4) != 0;
    off.vlan_stripped = (mode & 8) != 0;
    off.vlan_tci = (mode & 16) ? 100 : 0;

    // An exact-size heap copy, so ASan sees any read past the end.
    std::vector<uint8_t> rx(frame, frame + len);
    if (mode & 32) {
        repair_checksums(rx);
    }
    Verdict v = classify(rx.data(), rx.size(), ifc, off);
    ClassifyCounters counters;
    counters.count(v);
    if ((v.kind == VerdictKind::drop) != (v.reason != DropReason::none)) {
        std::abort();
    }

    std::vector<uint8_t> copy(rx);
    copy.resize(len + 64);
    int n = arp_reply_in_place(copy.data(), len, copy.size(), v, ifc);
    if ((n > 0) != (v.kind == VerdictKind::arp_request_for_us) || n > static_cast<int>(copy.size())) {
        std::abort();
    }

    std::vector<uint8_t> echo(rx);
    n = icmp_echo_reply_in_place(echo.data(), echo.size(), v, ifc);
    if ((n > 0) != (v.kind == VerdictKind::icmp_echo_for_us) || n > static_cast<int>(echo.size())) {
        std::abort();
    }
    if (n > 0) {
        const uint8_t* ip = echo.data() + v.l3_offset;
        if (!checksum_verifies(checksum_add(0, ip, 20)) ||
            !checksum_verifies(checksum_add(0, ip + 20, static_cast<std::size_t>(load_be16(ip + 2)) - 20))) {
            std::abort();
        }
    }

    static ArpCache cache(16);
    static uint64_t now = 0;
    now += 100'000'000;
    if (verdict_wants_arp_merge(v)) {
        cache.merge(v.arp.sender_ip, v.arp.sender_mac, v.arp_target_is_us, now);
    }
    if (v.kind == VerdictKind::udp_for_us || v.kind == VerdictKind::icmp_echo_for_us) {
        cache.resolve(v.src_ip, now);
    }
    return 0;
}
