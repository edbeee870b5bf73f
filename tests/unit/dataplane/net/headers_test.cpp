// Header views and writers one layer at a time: Ethernet and 802.1Q, ARP,
// IPv4, ICMP echo, UDP, and the interface address list. Reference frames
// were made with Python's struct and checked with tshark -V (every checksum
// "[correct]"); the checksum values are written out here.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <random>
#include <vector>

#include "dataplane/net/arp.h"
#include "dataplane/net/byte_order.h"
#include "dataplane/net/checksum.h"
#include "dataplane/net/ethernet.h"
#include "dataplane/net/icmp.h"
#include "dataplane/net/interface.h"
#include "dataplane/net/ipv4.h"
#include "dataplane/net/udp.h"
#include "tests/unit/dataplane/net/reference_frames.h"

using namespace trunkgw::net;
using namespace trunkgw::net::test;

TEST_CASE("Ethernet: untagged, tagged, too short", "[net][headers]")
{
    EthernetHeader h = parse_ethernet(ref_udp.data(), ref_udp.size());
    CHECK(h.l3_offset == 14);
    CHECK(h.dst == mac_us);
    CHECK(h.src == mac_peer);
    CHECK_FALSE(h.tagged);
    CHECK(h.ethertype == ethertype_ipv4);

    uint8_t f[18];
    REQUIRE(write_ethernet(f, sizeof(f), broadcast_mac, mac_us, VlanTag{100, 5}, ethertype_arp) == 18);
    const uint8_t want[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,    0,
                            0,    0,    0x01, 0x81, 0x00, 0xa0, 0x64, 0x08, 0x06};
    CHECK(std::vector<uint8_t>(f, f + 18) == std::vector<uint8_t>(want, want + 18));
    h = parse_ethernet(f, 18);
    CHECK(h.l3_offset == 18);
    CHECK(h.tagged);
    CHECK(tci_vid(h.tci) == 100);
    CHECK(tci_pcp(h.tci) == 5);
    CHECK(h.ethertype == ethertype_arp);

    CHECK(parse_ethernet(f, 17).l3_offset == 0);  // tag without its EtherType
    CHECK(parse_ethernet(f, 13).l3_offset == 0);
    CHECK(parse_ethernet(ref_udp.data(), 14).l3_offset == 14);

    CHECK(write_ethernet(f, 17, broadcast_mac, mac_us, VlanTag{100, 0}, ethertype_arp) == -ENOSPC);
    CHECK(write_ethernet(f, 13, broadcast_mac, mac_us, std::nullopt, ethertype_arp) == -ENOSPC);
    CHECK(write_ethernet(f, 18, broadcast_mac, mac_us, VlanTag{4095, 0}, ethertype_arp) == -EINVAL);
    CHECK(write_ethernet(f, 18, broadcast_mac, mac_us, VlanTag{1, 8}, ethertype_arp) == -EINVAL);
    CHECK(write_ethernet(f, 14, mac_peer, mac_us, std::nullopt, ethertype_ipv4) == 14);

    CHECK(is_group_mac(broadcast_mac));
    CHECK(is_group_mac({0x01, 0x00, 0x5e, 0, 0, 1}));
    CHECK_FALSE(is_group_mac(mac_us));
    CHECK(is_broadcast_mac(broadcast_mac));
    CHECK_FALSE(is_broadcast_mac({0x01, 0x00, 0x5e, 0, 0, 1}));
    for (std::size_t i = 0; i < 6; ++i) {  // one octet short of all ones anywhere
        MacAddress m = broadcast_mac;
        m[i] = 0xfe;
        CHECK_FALSE(is_broadcast_mac(m));
    }
    CHECK_FALSE(is_broadcast_mac(mac_us));
}

TEST_CASE("ARP: the reference request parses; every malformation is bad_arp", "[net][headers]")
{
    ArpParse p = parse_arp(ref_arp.data() + 14, ref_arp.size() - 14);
    REQUIRE(p.reason == DropReason::none);
    CHECK(p.packet.op == arp_op_request);
    CHECK(p.packet.sender_mac == mac_peer);
    CHECK(p.packet.sender_ip == ip_peer);
    CHECK(p.packet.target_mac == MacAddress{});
    CHECK(p.packet.target_ip == ip_us);

    uint8_t out[28];
    write_arp(out, p.packet);
    CHECK(std::vector<uint8_t>(out, out + 28) == std::vector<uint8_t>(ref_arp.begin() + 14, ref_arp.begin() + 42));

    CHECK(parse_arp(ref_arp.data() + 14, 27).reason == DropReason::bad_arp);
    for (int field = 0; field < 5; ++field) {
        std::vector<uint8_t> a(ref_arp.begin() + 14, ref_arp.begin() + 42);
        switch (field) {
        case 0:
            a[1] = 6;
            break;  // ar$hrd IEEE 802 (6), not Ethernet (1)
        case 1:
            a[2] = 0x86;
            break;  // ar$pro 0x86dd
        case 2:
            a[4] = 8;
            break;  // ar$hln
        case 3:
            a[5] = 16;
            break;  // ar$pln
        case 4:
            a[7] = 3;
            break;  // RARP request opcode
        }
        INFO("field " << field);
        CHECK(parse_arp(a.data(), a.size()).reason == DropReason::bad_arp);
    }
}

TEST_CASE("IPv4: the reference headers parse with their exact fields", "[net][headers]")
{
    Ipv4Parse p = parse_ipv4(ref_udp.data() + 14, ref_udp.size() - 14, false);
    REQUIRE(p.reason == DropReason::none);
    CHECK(p.header_len == 20);
    CHECK(p.total_length == 44);
    CHECK(p.tos == 0xb8);
    CHECK(p.ttl == 64);
    CHECK(p.protocol == ip_proto_udp);
    CHECK(p.id == 1);
    CHECK(p.src == ip_peer);
    CHECK(p.dst == ip_us);

    Ipv4Fields f;
    f.dscp = dscp_ef;
    f.id = 1;
    f.protocol = ip_proto_udp;
    f.src = ip_peer;
    f.dst = ip_us;
    uint8_t h[20];
    write_ipv4_header(h, f, 44);
    CHECK(load_be16(h + 10) == 0xb604);
    CHECK(std::vector<uint8_t>(h, h + 20) == std::vector<uint8_t>(ref_udp.begin() + 14, ref_udp.begin() + 34));

    p = parse_ipv4(ref_icmp.data() + 14, ref_icmp.size() - 14, false);
    REQUIRE(p.reason == DropReason::none);
    CHECK(p.id == 0x1c46);
    CHECK(p.protocol == ip_proto_icmp);
}

TEST_CASE("IPv4: each malformation names its reason", "[net][headers]")
{
    auto check = [](std::vector<uint8_t> ip, std::size_t avail, DropReason want, bool fix_checksum = true) {
        if (fix_checksum && ip.size() >= 20) {
            std::size_t hl = std::min<std::size_t>((ip[0] & 0x0f) * 4u, ip.size());
            hl = hl < 20 ? 20 : hl;
            store_be16(ip.data() + 10, 0);
            store_be16(ip.data() + 10, internet_checksum(ip.data(), hl));
        }
        return parse_ipv4(ip.data(), avail, false).reason == want;
    };
    const std::vector<uint8_t> good(ref_udp.begin() + 14, ref_udp.end());
    std::vector<uint8_t> ip = good;
    CHECK(check(ip, 19, DropReason::bad_ip_header_length));
    ip[0] = 0x65;
    CHECK(check(ip, ip.size(), DropReason::bad_ip_version));
    ip[0] = 0x44;
    CHECK(check(ip, ip.size(), DropReason::bad_ip_header_length));
    ip[0] = 0x4f;  // 60 octets of header in a 44-octet datagram
    CHECK(check(ip, ip.size(), DropReason::bad_ip_header_length, false));
    ip = good;
    store_be16(ip.data() + 2, 45);  // one more than the frame holds
    CHECK(check(ip, ip.size(), DropReason::bad_ip_total_length));
    store_be16(ip.data() + 2, 19);
    CHECK(check(ip, ip.size(), DropReason::bad_ip_total_length));
    ip = good;
    ip[8] = 63;  // TTL changed, checksum not
    CHECK(check(ip, ip.size(), DropReason::bad_ip_checksum, false));
    CHECK(parse_ipv4(ip.data(), ip.size(), true).reason == DropReason::none);  // NIC said good
    ip = good;
    store_be16(ip.data() + 6, ipv4_flag_mf);
    CHECK(check(ip, ip.size(), DropReason::ip_fragment));
    store_be16(ip.data() + 6, 1);  // offset 8, last fragment
    CHECK(check(ip, ip.size(), DropReason::ip_fragment));
    store_be16(ip.data() + 6, 0);  // DF clear: still a whole datagram
    CHECK(check(ip, ip.size(), DropReason::none));
    ip[8] = 0;  // RFC 1122 3.2.1.7: TTL 0 is not a reason to discard
    CHECK(check(ip, ip.size(), DropReason::none));
    // Ethernet padding after the datagram is fine.
    ip = good;
    ip.resize(60, 0);
    CHECK(check(ip, ip.size(), DropReason::none));
}

TEST_CASE("IPv4: RFC 1122 3.2.1.3 source address rules", "[net][headers]")
{
    CHECK(ipv4_source_valid(ipv4_address(192, 0, 2, 1)));
    CHECK(ipv4_source_valid(ipv4_address(1, 0, 0, 0)));
    CHECK(ipv4_source_valid(ipv4_address(223, 255, 255, 255)));
    CHECK_FALSE(ipv4_source_valid(0));
    CHECK_FALSE(ipv4_source_valid(ipv4_address(0, 1, 2, 3)));
    CHECK_FALSE(ipv4_source_valid(ipv4_address(127, 0, 0, 1)));
    CHECK_FALSE(ipv4_source_valid(ipv4_address(224, 0, 0, 1)));
    CHECK_FALSE(ipv4_source_valid(ipv4_address(240, 0, 0, 1)));
    CHECK_FALSE(ipv4_source_valid(0xffffffff));
}

TEST_CASE("ICMP: echo request parses; short, corrupt and other types are named", "[net][headers]")
{
    std::vector<uint8_t> icmp(ref_icmp.begin() + 34, ref_icmp.end());
    IcmpEchoParse p = parse_icmp_echo_request(icmp.data(), icmp.size());
    REQUIRE(p.reason == DropReason::none);
    CHECK(p.identifier == 0x1234);
    CHECK(p.sequence == 1);
    CHECK(load_be16(icmp.data() + 2) == 0xa27f);

    CHECK(parse_icmp_echo_request(icmp.data(), 7).reason == DropReason::icmp_too_short);
    CHECK(parse_icmp_echo_request(icmp.data(), icmp.size() - 1).reason == DropReason::bad_icmp_checksum);
    icmp[0] = icmp_type_echo_reply;
    store_be16(icmp.data() + 2, 0);
    store_be16(icmp.data() + 2, internet_checksum(icmp.data(), icmp.size()));
    CHECK(parse_icmp_echo_request(icmp.data(), icmp.size()).reason == DropReason::icmp_not_echo);
}

TEST_CASE("UDP: reference datagram; lengths; checksum zero means none", "[net][headers]")
{
    std::vector<uint8_t> u(ref_udp.begin() + 34, ref_udp.end());
    UdpParse p = parse_udp(u.data(), u.size(), ip_peer, ip_us, false);
    REQUIRE(p.reason == DropReason::none);
    CHECK(p.src_port == 40000);
    CHECK(p.dst_port == 5004);
    CHECK(p.length == 24);

    // Writing the same header reproduces checksum 0x36f4.
    std::vector<uint8_t> w = u;
    write_udp_header(w.data(), 40000, 5004, 24, ip_peer, ip_us, UdpChecksum::full);
    CHECK(w == u);
    write_udp_header(w.data(), 40000, 5004, 24, ip_peer, ip_us, UdpChecksum::none);
    CHECK(load_be16(w.data() + 6) == 0);
    CHECK(parse_udp(w.data(), w.size(), ip_peer, ip_us, false).reason == DropReason::none);

    CHECK(parse_udp(u.data(), 7, ip_peer, ip_us, false).reason == DropReason::bad_udp_length);
    CHECK(parse_udp(u.data(), 23, ip_peer, ip_us, false).reason == DropReason::bad_udp_length);
    std::vector<uint8_t> shortlen = u;
    store_be16(shortlen.data() + 4, 7);
    CHECK(parse_udp(shortlen.data(), shortlen.size(), ip_peer, ip_us, false).reason == DropReason::bad_udp_length);
    // Another source address: the pseudo header no longer matches.
    CHECK(parse_udp(u.data(), u.size(), ip_peer + 1, ip_us, false).reason == DropReason::bad_udp_checksum);
    CHECK(parse_udp(u.data(), u.size(), ip_peer + 1, ip_us, true).reason == DropReason::none);
    // IP payload longer than the UDP length: the tail is ignored.
    std::vector<uint8_t> longer = u;
    longer.push_back(0xee);
    CHECK(parse_udp(longer.data(), longer.size(), ip_peer, ip_us, false).reason == DropReason::none);
}

TEST_CASE("UDP: a computed checksum of zero is sent as all ones (RFC 768)", "[net][headers]")
{
    // Choose the last data word so that the sum is 0xffff -> checksum 0.
    uint8_t u[10] = {0x00, 0x01, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00};
    uint32_t s = checksum_add(udp_pseudo_header_sum(ip_peer, ip_us, 10), u, 10);
    store_be16(u + 8, static_cast<uint16_t>(0xffff - s));
    write_udp_header(u, 1, 2, 10, ip_peer, ip_us, UdpChecksum::full);
    CHECK(load_be16(u + 6) == 0xffff);
    CHECK(parse_udp(u, 10, ip_peer, ip_us, false).reason == DropReason::none);
}

TEST_CASE("Interface: up to 8 unique host addresses", "[net][headers]")
{
    Interface ifc;
    CHECK(ifc.add_address(ip_us) == 0);
    CHECK(ifc.add_address(ip_us) == -EEXIST);
    CHECK(ifc.add_address(ipv4_address(127, 0, 0, 1)) == -EINVAL);
    CHECK(ifc.add_address(0) == -EINVAL);
    for (uint32_t i = 2; i <= 8; ++i) {
        CHECK(ifc.add_address(ip_us + i * 10) == 0);
    }
    CHECK(ifc.add_address(ip_us + 200) == -ENOSPC);
    CHECK(ifc.ipv4_count == 8);
    CHECK(ifc.has_address(ip_us + 80));
    CHECK_FALSE(ifc.has_address(ip_us + 200));
    CHECK_FALSE(ifc.tag());
    ifc.vlan_id = 42;
    REQUIRE(ifc.tag(3));
    CHECK(ifc.tag(3)->vid == 42);
    CHECK(ifc.tag(3)->pcp == 3);
}

TEST_CASE("IPv4 and UDP writers: checksums from the field values equal the sum over the octets written",
          "[net][headers]")
{
    // The writers sum the values they store instead of reading the header
    // back; the definition (RFC 791 3.1, RFC 768) is the sum over the
    // octets. 2,000 random headers and payload lengths, every field drawn.
    std::mt19937 rng(791);
    for (int k = 0; k < 2000; ++k) {
        Ipv4Fields f;
        f.dscp = static_cast<uint8_t>(rng() % 64);
        f.ecn = static_cast<uint8_t>(rng() % 4);
        f.id = static_cast<uint16_t>(rng());
        f.dont_fragment = rng() % 2 == 0;
        f.ttl = static_cast<uint8_t>(1 + rng() % 255);
        f.protocol = static_cast<uint8_t>(rng());
        f.src = static_cast<uint32_t>(rng());
        f.dst = static_cast<uint32_t>(rng());
        auto total = static_cast<uint16_t>(20 + rng() % 1480);
        std::vector<uint8_t> dg(total);
        uint8_t* h = dg.data();
        write_ipv4_header(h, f, total);
        CAPTURE(k);
        CHECK(checksum_verifies(checksum_add(0, h, 20)));
        CHECK(load_be16(h + 2) == total);
        // The parser's own check agrees.
        CHECK(parse_ipv4(h, total, false).reason == DropReason::none);

        std::vector<uint8_t> u(8 + rng() % 300);
        for (auto& b : u) {
            b = static_cast<uint8_t>(rng());
        }
        auto ulen = static_cast<uint16_t>(u.size());
        auto sp = static_cast<uint16_t>(rng());
        auto dp = static_cast<uint16_t>(rng());
        write_udp_header(u.data(), sp, dp, ulen, f.src, f.dst, UdpChecksum::full);
        CHECK(checksum_verifies(checksum_add(udp_pseudo_header_sum(f.src, f.dst, ulen), u.data(), ulen)));
        CHECK(load_be16(u.data() + 6) != 0);
    }
}
