// The classifier: a frame built by our own builders (from a peer's point of
// view) comes back as the right verdict with exact offsets and addresses;
// every drop reason is produced by one crafted frame and counted exactly
// once; 802.1Q tagging and NIC offload hints.
#include "dataplane/net/classify.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dataplane/net/byte_order.h"
#include "dataplane/net/checksum.h"
#include "dataplane/net/icmp.h"
#include "dataplane/net/ipv4.h"
#include "dataplane/net/responders.h"
#include "dataplane/net/udp.h"
#include "dataplane/net/udp_frame.h"
#include "tests/unit/dataplane/net/reference_frames.h"

using namespace trunkgw::net;
using namespace trunkgw::net::test;

namespace {

constexpr uint32_t ip_us2 = ipv4_address(198, 51, 100, 1);
constexpr uint32_t ip_other = ipv4_address(192, 0, 2, 99);

Interface us(std::optional<uint16_t> vlan = std::nullopt)
{
    Interface ifc = make_ifc(mac_us, ip_us, vlan);
    REQUIRE(ifc.add_address(ip_us2) == 0);
    return ifc;
}

// A UDP frame from the peer to us (or to dst_ip), payload_len octets of 0xd5.
Frame udp_to_us(std::size_t payload_len, std::optional<uint16_t> vlan = std::nullopt, uint32_t dst_ip = ip_us,
                bool checksum = true)
{
    Interface peer = make_ifc(mac_peer, ip_peer, vlan);
    UdpFlow flow;
    flow.dst_mac = mac_us;
    flow.src_ip = ip_peer;
    flow.dst_ip = dst_ip;
    flow.src_port = 40000;
    flow.dst_port = 5004;
    flow.udp_checksum = checksum;
    Frame payload(payload_len, 0xd5);
    Frame f(2048);
    int n = build_udp_frame(f.data(), f.size(), peer, flow, 7, payload.data(), payload.size());
    REQUIRE(n > 0);
    f.resize(static_cast<std::size_t>(n));
    return f;
}

// An ICMP message from the peer to us: type, 8-octet header, data_len octets.
Frame icmp_to_us(uint8_t type, std::size_t data_len, std::size_t l3 = 14)
{
    Frame f(l3 + 20 + 8 + data_len, 0);
    REQUIRE(write_ethernet(f.data(), f.size(), mac_us, mac_peer, std::nullopt, ethertype_ipv4) == 14);
    Ipv4Fields ip;
    ip.protocol = ip_proto_icmp;
    ip.src = ip_peer;
    ip.dst = ip_us;
    ip.id = 0x1c46;
    write_ipv4_header(f.data() + l3, ip, static_cast<uint16_t>(28 + data_len));
    uint8_t* icmp = f.data() + l3 + 20;
    icmp[0] = type;
    store_be16(icmp + 4, 0x1234);
    store_be16(icmp + 6, 9);
    for (std::size_t i = 0; i < data_len; ++i) {
        icmp[8 + i] = static_cast<uint8_t>('a' + i % 26);
    }
    store_be16(icmp + 2, internet_checksum(icmp, 8 + data_len));
    return f;
}

Frame arp_frame(uint16_t op, MacAddress sender_mac, uint32_t sender_ip, uint32_t target_ip,
                MacAddress dst = broadcast_mac, std::optional<uint16_t> vlan = std::nullopt)
{
    Frame f(60, 0);
    int l2 = write_ethernet(f.data(), f.size(), dst, mac_peer,
                            vlan ? std::optional<VlanTag>(VlanTag{*vlan, 0}) : std::nullopt, ethertype_arp);
    REQUIRE(l2 > 0);
    ArpPacket a;
    a.op = op;
    a.sender_mac = sender_mac;
    a.sender_ip = sender_ip;
    a.target_ip = target_ip;
    if (op == arp_op_reply) {
        a.target_mac = mac_us;
    }
    write_arp(f.data() + l2, a);
    return f;
}

void fix_ip_checksum(Frame& f, std::size_t l3 = 14)
{
    std::size_t hl = (f[l3] & 0x0f) * 4u;
    store_be16(f.data() + l3 + 10, 0);
    store_be16(f.data() + l3 + 10, internet_checksum(f.data() + l3, hl));
}

void fix_udp_checksum(Frame& f, std::size_t l3 = 14)
{
    std::size_t hl = (f[l3] & 0x0f) * 4u;
    uint8_t* u = f.data() + l3 + hl;
    uint16_t len = load_be16(u + 4);
    write_udp_header(u, load_be16(u), load_be16(u + 2), len, load_be32(f.data() + l3 + 12),
                     load_be32(f.data() + l3 + 16), UdpChecksum::full);
}

}  // namespace

TEST_CASE("UDP for us: offsets, addresses and ports are exact", "[net][classify]")
{
    Interface ifc = us();
    Frame f = udp_to_us(172);  // RTP: 12-octet header + 160 octets of G.711 (20 ms)
    REQUIRE(f.size() == 214);
    Verdict v = classify(f.data(), f.size(), ifc);
    REQUIRE(v.kind == VerdictKind::udp_for_us);
    CHECK(v.reason == DropReason::none);
    CHECK(v.l3_offset == 14);
    CHECK(v.l4_offset == 34);
    CHECK(v.payload_offset == 42);
    CHECK(v.payload_len == 172);
    CHECK(v.src_ip == ip_peer);
    CHECK(v.dst_ip == ip_us);
    CHECK(v.src_port == 40000);
    CHECK(v.dst_port == 5004);
    CHECK_FALSE(verdict_wants_arp_merge(v));

    // Our second address, without a UDP checksum.
    f = udp_to_us(4, std::nullopt, ip_us2, false);
    REQUIRE(f.size() == 60);  // padded: 46 octets of frame
    v = classify(f.data(), f.size(), ifc);
    REQUIRE(v.kind == VerdictKind::udp_for_us);
    CHECK(v.dst_ip == ip_us2);
    CHECK(v.payload_len == 4);  // the padding is not payload
}

TEST_CASE("UDP for us through IPv4 options (skipped) and with TTL 0 and 1", "[net][classify]")
{
    Interface ifc = us();
    Frame f = udp_to_us(16);
    // Insert 4 octets of options (NOP NOP NOP EOL, RFC 791 3.1) after the
    // fixed header: IHL 6, total length + 4.
    const uint8_t opts[] = {1, 1, 1, 0};
    f.insert(f.begin() + 34, opts, opts + 4);
    f[14] = 0x46;
    store_be16(f.data() + 16, static_cast<uint16_t>(load_be16(f.data() + 16) + 4));
    fix_ip_checksum(f);
    Verdict v = classify(f.data(), f.size(), ifc);
    REQUIRE(v.kind == VerdictKind::udp_for_us);
    CHECK(v.l4_offset == 38);
    CHECK(v.payload_offset == 46);
    CHECK(v.payload_len == 16);

    for (uint8_t ttl : {0, 1}) {
        Frame t = udp_to_us(16);
        t[22] = ttl;
        fix_ip_checksum(t);
        CHECK(classify(t.data(), t.size(), ifc).kind == VerdictKind::udp_for_us);
    }
}

TEST_CASE("ICMP echo request for us", "[net][classify]")
{
    Interface ifc = us();
    Frame f = icmp_to_us(icmp_type_echo_request, 56);  // ping's default size
    Verdict v = classify(f.data(), f.size(), ifc);
    REQUIRE(v.kind == VerdictKind::icmp_echo_for_us);
    CHECK(v.l3_offset == 14);
    CHECK(v.l4_offset == 34);
    CHECK(v.payload_offset == 42);
    CHECK(v.payload_len == 56);
    CHECK(v.src_ip == ip_peer);
    CHECK(v.dst_ip == ip_us);
}

TEST_CASE("ARP request for us, replies, and the merge rule", "[net][classify]")
{
    Interface ifc = us();
    Frame f = arp_frame(arp_op_request, mac_peer, ip_peer, ip_us2);
    Verdict v = classify(f.data(), f.size(), ifc);
    REQUIRE(v.kind == VerdictKind::arp_request_for_us);
    CHECK(v.l3_offset == 14);
    CHECK(v.arp.op == arp_op_request);
    CHECK(v.arp.sender_mac == mac_peer);
    CHECK(v.arp.sender_ip == ip_peer);
    CHECK(v.arp.target_ip == ip_us2);
    CHECK(v.arp_target_is_us);
    CHECK(verdict_wants_arp_merge(v));

    f = arp_frame(arp_op_reply, mac_peer, ip_peer, ip_us, mac_us);
    v = classify(f.data(), f.size(), ifc);
    REQUIRE(v.kind == VerdictKind::arp_reply);
    CHECK(v.arp_target_is_us);
    CHECK(verdict_wants_arp_merge(v));

    // A gratuitous reply (target = sender, broadcast): a reply, not for us.
    f = arp_frame(arp_op_reply, mac_peer, ip_peer, ip_peer);
    v = classify(f.data(), f.size(), ifc);
    REQUIRE(v.kind == VerdictKind::arp_reply);
    CHECK_FALSE(v.arp_target_is_us);

    // A request for someone else: dropped, but the sender is merged.
    f = arp_frame(arp_op_request, mac_peer, ip_peer, ip_other);
    v = classify(f.data(), f.size(), ifc);
    CHECK(v.kind == VerdictKind::drop);
    CHECK(v.reason == DropReason::arp_not_for_us);
    CHECK(v.arp.sender_ip == ip_peer);
    CHECK(verdict_wants_arp_merge(v));

    // An RFC 5227 probe for our address (sender 0.0.0.0): answered.
    f = arp_frame(arp_op_request, mac_peer, 0, ip_us);
    CHECK(classify(f.data(), f.size(), ifc).kind == VerdictKind::arp_request_for_us);

    // Someone else claims our address: a conflict, never merged.
    f = arp_frame(arp_op_request, mac_peer, ip_us, ip_us);
    v = classify(f.data(), f.size(), ifc);
    CHECK(v.reason == DropReason::arp_address_conflict);
    CHECK_FALSE(verdict_wants_arp_merge(v));
}

TEST_CASE("Every drop reason from one crafted frame, each counted once", "[net][classify]")
{
    struct Case {
        std::string what;
        Frame frame;
        DropReason want;
        Interface ifc;
        RxOffload offload{};
    };
    const Frame udp = udp_to_us(20);
    std::vector<Case> cases;
    auto add = [&](std::string what, Frame f, DropReason want, Interface ifc = us(), RxOffload off = {}) {
        cases.push_back({std::move(what), std::move(f), want, ifc, off});
    };

    add("13 octets", Frame(udp.begin(), udp.begin() + 13), DropReason::too_short);
    {
        Frame f = udp;
        f[5] = 0x99;
        add("unicast to another MAC", f, DropReason::mac_not_for_us);
        f = udp;
        f[0] = 0x01, f[1] = 0x00, f[2] = 0x5e, f[3] = 0x00, f[4] = 0x00, f[5] = 0xfb;  // mDNS group
        add("IPv4 multicast MAC", f, DropReason::mac_not_for_us);
        f = udp;
        f[6] = 0x03;
        add("group source MAC", f, DropReason::bad_src_mac);
        f = udp;
        std::copy(mac_us.begin(), mac_us.end(), f.begin() + 6);
        add("our own source MAC", f, DropReason::looped_back);
        add("tagged frame on an untagged port", udp_to_us(20, 100), DropReason::vlan_mismatch);
        f = udp;
        store_be16(f.data() + 12, 0x86dd);
        add("IPv6", f, DropReason::not_ipv4_or_arp);
        f = udp;
        store_be16(f.data() + 12, 0x0026);
        add("802.3 length field (LLC)", f, DropReason::not_ipv4_or_arp);
    }
    {
        Frame f = arp_frame(arp_op_request, mac_peer, ip_peer, ip_us);
        f[18] = 8;
        add("ARP hln 8", f, DropReason::bad_arp);
        f = arp_frame(arp_op_request, {0x01, 0, 0x5e, 0, 0, 1}, ip_peer, ip_us);
        add("ARP group sender MAC", f, DropReason::bad_arp);
        add("ARP truncated", Frame(f.begin(), f.begin() + 41), DropReason::bad_arp);
        add("ARP claims our address", arp_frame(arp_op_reply, mac_peer, ip_us, ip_peer),
            DropReason::arp_address_conflict);
        add("ARP for another host", arp_frame(arp_op_request, mac_peer, ip_peer, ip_other), DropReason::arp_not_for_us);
    }
    {
        Frame f = udp;
        f[14] = 0x65;
        fix_ip_checksum(f);
        add("version 6 in an IPv4 EtherType", f, DropReason::bad_ip_version);
        f = udp;
        f[14] = 0x44;
        add("IHL 4", f, DropReason::bad_ip_header_length);
        f = udp;
        store_be16(f.data() + 16, 1000);
        fix_ip_checksum(f);
        add("total length beyond the frame", f, DropReason::bad_ip_total_length);
        f = udp;
        f[24] ^= 0x01;
        add("header checksum", f, DropReason::bad_ip_checksum);
        f = udp;
        store_be16(f.data() + 20, ipv4_flag_mf);
        fix_ip_checksum(f);
        add("first fragment", f, DropReason::ip_fragment);
        f = udp;
        store_be32(f.data() + 26, ipv4_address(127, 0, 0, 1));
        fix_ip_checksum(f);
        fix_udp_checksum(f);
        add("loopback source", f, DropReason::bad_ip_source);
        add("to another address", udp_to_us(20, std::nullopt, ip_other), DropReason::ip_not_for_us);
        f = udp;
        std::copy(broadcast_mac.begin(), broadcast_mac.end(), f.begin());
        add("our unicast IP in a link broadcast", f, DropReason::ip_link_broadcast);
        f = udp;
        f[23] = 6;  // TCP
        fix_ip_checksum(f);
        add("TCP", f, DropReason::unsupported_ip_protocol);
    }
    {
        Frame f = icmp_to_us(icmp_type_echo_request, 0);
        store_be16(f.data() + 16, 24);  // 4 octets of ICMP
        fix_ip_checksum(f);
        add("4 octets of ICMP", f, DropReason::icmp_too_short);
        f = icmp_to_us(icmp_type_echo_request, 8);
        f.back() ^= 0xff;
        add("ICMP checksum", f, DropReason::bad_icmp_checksum);
        add("echo reply", icmp_to_us(icmp_type_echo_reply, 8), DropReason::icmp_not_echo);
    }
    {
        Frame f = udp;
        store_be16(f.data() + 38, 4);
        add("UDP length 4", f, DropReason::bad_udp_length);
        f = udp;
        f[45] ^= 0x01;
        add("UDP checksum", f, DropReason::bad_udp_checksum);
    }

    ClassifyCounters counters;
    std::map<DropReason, int> expected;
    for (const Case& c : cases) {
        Verdict v = classify(c.frame.data(), c.frame.size(), c.ifc, c.offload);
        INFO(c.what << ": got " << drop_reason_name(v.reason) << ", want " << drop_reason_name(c.want));
        CHECK(v.kind == VerdictKind::drop);
        CHECK(v.reason == c.want);
        counters.count(v);
        ++expected[c.want];
    }
    // Every reason has a case, and each count is exactly its cases.
    for (std::size_t r = 1; r <= drop_reason_count; ++r) {
        auto reason = static_cast<DropReason>(r);
        INFO("reason " << drop_reason_name(reason));
        CHECK(expected[reason] >= 1);
        CHECK(counters.drops[r] == static_cast<uint64_t>(expected[reason]));
    }
    CHECK(counters.drops[0] == 0);
    CHECK(counters.verdicts[0] == cases.size());
    for (std::size_t k = 1; k < verdict_kind_count; ++k) {
        CHECK(counters.verdicts[k] == 0);
    }
}

TEST_CASE("Drop reason and verdict names are unique Prometheus label values", "[net][classify]")
{
    std::map<std::string_view, int> seen;
    for (auto n : drop_reason_names) {
        CHECK(++seen[n] == 1);
        CHECK_FALSE(n.empty());
        for (char ch : n) {
            CHECK(((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'));
        }
    }
    CHECK(drop_reason_names.size() == drop_reason_count + 1);
    CHECK(drop_reason_count == 23);
    CHECK(drop_reason_name(DropReason::bad_udp_checksum) == "bad_udp_checksum");
    CHECK(drop_reason_name(static_cast<DropReason>(200)) == "unknown");
    CHECK(verdict_kind_names[static_cast<std::size_t>(VerdictKind::udp_for_us)] == "udp_for_us");
}

TEST_CASE("802.1Q: VID must match; priority tags; stacked tags; stripped tags", "[net][classify]")
{
    const Interface tagged = us(100);
    const Interface untagged = us();

    Frame t100 = udp_to_us(20, 100);
    Verdict v = classify(t100.data(), t100.size(), tagged);
    REQUIRE(v.kind == VerdictKind::udp_for_us);
    CHECK(v.l3_offset == 18);
    CHECK(v.l4_offset == 38);
    CHECK(v.payload_offset == 46);

    Frame t200 = udp_to_us(20, 200);
    CHECK(classify(t200.data(), t200.size(), tagged).reason == DropReason::vlan_mismatch);
    Frame plain = udp_to_us(20);
    CHECK(classify(plain.data(), plain.size(), tagged).reason == DropReason::vlan_mismatch);
    CHECK(classify(t100.data(), t100.size(), untagged).reason == DropReason::vlan_mismatch);

    // VID 0 with a priority: the untagged port's frame (802.1Q 9.6).
    Frame prio = t100;
    store_be16(prio.data() + 14, static_cast<uint16_t>(5 << 13));
    v = classify(prio.data(), prio.size(), untagged);
    CHECK(v.kind == VerdictKind::udp_for_us);
    CHECK(v.l3_offset == 18);
    CHECK(classify(prio.data(), prio.size(), tagged).reason == DropReason::vlan_mismatch);

    // Q-in-Q: an inner C-tag, or an outer S-tag.
    Frame stacked = t100;
    const uint8_t inner[] = {0x81, 0x00, 0x00, 0x64};
    stacked.insert(stacked.begin() + 16, inner, inner + 4);
    CHECK(classify(stacked.data(), stacked.size(), tagged).reason == DropReason::vlan_mismatch);
    Frame s_tag = t100;
    store_be16(s_tag.data() + 12, ethertype_qinq);
    CHECK(classify(s_tag.data(), s_tag.size(), tagged).reason == DropReason::vlan_mismatch);

    // The NIC stripped VID 100 into the mbuf: the frame arrives untagged.
    RxOffload stripped;
    stripped.vlan_stripped = true;
    stripped.vlan_tci = 100;
    v = classify(plain.data(), plain.size(), tagged, stripped);
    CHECK(v.kind == VerdictKind::udp_for_us);
    CHECK(v.l3_offset == 14);
    CHECK(classify(plain.data(), plain.size(), untagged, stripped).reason == DropReason::vlan_mismatch);
    CHECK(classify(t100.data(), t100.size(), tagged, stripped).reason == DropReason::vlan_mismatch);

    // ARP on the tagged port.
    Frame arp = arp_frame(arp_op_request, mac_peer, ip_peer, ip_us, broadcast_mac, 100);
    v = classify(arp.data(), arp.size(), tagged);
    CHECK(v.kind == VerdictKind::arp_request_for_us);
    CHECK(v.l3_offset == 18);
}

TEST_CASE("Checksum offload hints skip the software checks", "[net][classify]")
{
    Interface ifc = us();
    Frame f = udp_to_us(20);
    f[24] ^= 0x01;  // IP checksum wrong
    f[45] ^= 0x01;  // UDP checksum wrong
    CHECK(classify(f.data(), f.size(), ifc).reason == DropReason::bad_ip_checksum);
    RxOffload off;
    off.ip_checksum_good = true;
    CHECK(classify(f.data(), f.size(), ifc, off).reason == DropReason::bad_udp_checksum);
    off.udp_checksum_good = true;
    CHECK(classify(f.data(), f.size(), ifc, off).kind == VerdictKind::udp_for_us);
}

TEST_CASE("A hairpin (our frame to ourselves) is UDP for us; the same frame off the wire is a loop", "[net][classify]")
{
    Interface ifc = us();
    // What PortIo::send_udp builds for one of our addresses: our MAC and
    // address at both ends, from our second address to the first.
    Frame f = udp_to_us(172);
    std::copy(mac_us.begin(), mac_us.end(), f.begin() + 6);
    store_be32(f.data() + 26, ip_us2);
    fix_ip_checksum(f);
    fix_udp_checksum(f);
    RxOffload wire{};
    CHECK(classify(f.data(), f.size(), ifc, wire).reason == DropReason::looped_back);
    std::copy(mac_peer.begin(), mac_peer.end(), f.begin() + 6);
    CHECK(classify(f.data(), f.size(), ifc, wire).reason == DropReason::bad_ip_source);
    std::copy(mac_us.begin(), mac_us.end(), f.begin() + 6);
    RxOffload hairpin{};
    hairpin.hairpin = true;
    Verdict v = classify(f.data(), f.size(), ifc, hairpin);
    REQUIRE(v.kind == VerdictKind::udp_for_us);
    CHECK(v.src_ip == ip_us2);
    CHECK(v.dst_ip == ip_us);
    CHECK(v.payload_len == 172);
}
