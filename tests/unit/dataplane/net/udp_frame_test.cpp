// TX framing: the reference UDP frame rebuilt byte for byte, padding,
// 802.1Q with PCP, no-checksum flows, limits; and classify accepts what
// build_udp_frame makes for every payload length 0..1472; frames whose
// checksums a NIC completes (transmit offload).
#include "dataplane/net/udp_frame.h"

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "dataplane/net/byte_order.h"
#include "dataplane/net/checksum.h"
#include "dataplane/net/classify.h"
#include "tests/unit/dataplane/net/reference_frames.h"

using namespace trunkgw::net;
using namespace trunkgw::net::test;

namespace {

UdpFlow peer_to_us()
{
    UdpFlow flow;
    flow.dst_mac = mac_us;
    flow.src_ip = ip_peer;
    flow.dst_ip = ip_us;
    flow.src_port = 40000;
    flow.dst_port = 5004;
    return flow;
}

}  // namespace

TEST_CASE("The reference frame, rebuilt: EF, TTL 64, DF, checksums, padded to 60", "[net][udp_frame]")
{
    Interface peer = make_ifc(mac_peer, ip_peer);
    Frame payload(ref_udp.begin() + 42, ref_udp.end());
    Frame f(128, 0xee);
    int n = build_udp_frame(f.data(), f.size(), peer, peer_to_us(), 1, payload.data(), payload.size());
    REQUIRE(n == 60);
    Frame want = ref_udp;
    want.resize(60, 0);
    CHECK(Frame(f.begin(), f.begin() + 60) == want);

    // The same with the payload already in place.
    Frame g(128, 0);
    std::copy(payload.begin(), payload.end(), g.begin() + static_cast<long>(udp_headers_len(peer)));
    REQUIRE(write_udp_headers(g.data(), g.size(), peer, peer_to_us(), 1, payload.size()) == 60);
    CHECK(Frame(g.begin(), g.begin() + 60) == want);
}

TEST_CASE("Tagged port: 802.1Q with the flow's PCP; no-checksum flows", "[net][udp_frame]")
{
    Interface peer = make_ifc(mac_peer, ip_peer, 300);
    CHECK(udp_headers_len(peer) == 46);
    UdpFlow flow = peer_to_us();
    flow.udp_checksum = false;
    flow.dscp = 26;  // AF31, for signalling-like media
    Frame payload(172, 0x55);
    Frame f(256);
    int n = build_udp_frame(f.data(), f.size(), peer, flow, 0xbeef, payload.data(), payload.size());
    REQUIRE(n == 46 + 172);
    CHECK(load_be16(f.data() + 12) == ethertype_vlan);
    CHECK(load_be16(f.data() + 14) == ((5 << 13) | 300));
    CHECK(load_be16(f.data() + 16) == ethertype_ipv4);
    CHECK(f[19] == (26 << 2));
    CHECK(load_be16(f.data() + 22) == 0xbeef);
    CHECK(load_be16(f.data() + 44) == 0);  // no UDP checksum

    Interface us_ifc = make_ifc(mac_us, ip_us, 300);
    Verdict v = classify(f.data(), static_cast<std::size_t>(n), us_ifc);
    REQUIRE(v.kind == VerdictKind::udp_for_us);
    CHECK(v.payload_offset == 46);
    CHECK(v.payload_len == 172);
}

TEST_CASE("Every payload length 0..1472 classifies back as udp_for_us", "[net][udp_frame]")
{
    Interface peer = make_ifc(mac_peer, ip_peer);
    Interface us_ifc = make_ifc(mac_us, ip_us);
    Frame payload(1472);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<uint8_t>(i * 7 + 3);
    }
    Frame f(1514);
    for (std::size_t len = 0; len <= 1472; ++len) {
        int n =
            build_udp_frame(f.data(), f.size(), peer, peer_to_us(), static_cast<uint16_t>(len), payload.data(), len);
        INFO("payload " << len);
        REQUIRE(n == static_cast<int>(std::max<std::size_t>(60, 42 + len)));
        Verdict v = classify(f.data(), static_cast<std::size_t>(n), us_ifc);
        REQUIRE(v.kind == VerdictKind::udp_for_us);
        REQUIRE(v.payload_len == len);
        REQUIRE(std::equal(payload.begin(), payload.begin() + static_cast<long>(len), f.begin() + 42));
    }
}

TEST_CASE("UDP framing refuses impossible flows and sizes", "[net][udp_frame]")
{
    Interface peer = make_ifc(mac_peer, ip_peer);
    Frame f(70000);
    Frame payload(65508);
    UdpFlow flow = peer_to_us();
    // 65507 is the largest UDP payload in IPv4 (65535 - 20 - 8).
    CHECK(build_udp_frame(f.data(), f.size(), peer, flow, 0, payload.data(), 65507) == 42 + 65507);
    CHECK(build_udp_frame(f.data(), f.size(), peer, flow, 0, payload.data(), 65508) == -EMSGSIZE);
    CHECK(build_udp_frame(f.data(), 100, peer, flow, 0, payload.data(), 59) == -EMSGSIZE);
    CHECK(build_udp_frame(f.data(), 59, peer, flow, 0, payload.data(), 4) == -EMSGSIZE);  // no room to pad
    flow.ttl = 0;
    CHECK(build_udp_frame(f.data(), f.size(), peer, flow, 0, payload.data(), 4) == -EINVAL);
    flow = peer_to_us();
    flow.dscp = 64;
    CHECK(build_udp_frame(f.data(), f.size(), peer, flow, 0, payload.data(), 4) == -EINVAL);
    flow = peer_to_us();
    flow.vlan_pcp = 8;
    CHECK(build_udp_frame(f.data(), f.size(), peer, flow, 0, payload.data(), 4) == -EINVAL);
    flow = peer_to_us();
    flow.src_ip = ip_us;  // not the sending interface's address
    CHECK(build_udp_frame(f.data(), f.size(), peer, flow, 0, payload.data(), 4) == -EINVAL);
}

TEST_CASE("Checksums left to the NIC: IPv4 field 0, UDP field the pseudo-header sum; completed they verify",
          "[net][udp_frame]")
{
    // What a device with DPDK's IPv4/UDP transmit checksum offload does
    // with the frame: sums the IPv4 header, and the UDP datagram starting
    // from the pseudo-header sum already in the field (RFC 1071 sums are
    // order-free), then writes the complements.
    auto complete_like_a_nic = [](Frame& f, std::size_t l2) {
        uint8_t* ip = f.data() + l2;
        CHECK(load_be16(ip + 10) == 0);
        store_be16(ip + 10, checksum_finish(checksum_add(0, ip, ipv4_min_header_len)));
        uint8_t* udp = ip + ipv4_min_header_len;
        uint16_t c = checksum_finish(checksum_add(0, udp, load_be16(udp + 4)));
        store_be16(udp + 6, c == 0 ? 0xffff : c);
    };
    for (std::optional<uint16_t> vlan : {std::optional<uint16_t>{}, std::optional<uint16_t>{300}}) {
        Interface peer = make_ifc(mac_peer, ip_peer, vlan);
        Interface us_ifc = make_ifc(mac_us, ip_us, vlan);
        std::size_t l2 = link_header_len(peer);
        REQUIRE(l2 == (vlan ? 18u : 14u));
        for (std::size_t len : {0u, 1u, 17u, 172u, 1472u}) {
            Frame payload(len);
            for (std::size_t k = 0; k < len; ++k) {
                payload[k] = static_cast<uint8_t>(k * 37 + 5);
            }
            UdpFlow flow = peer_to_us();
            Frame soft(1600);
            int ns = build_udp_frame(soft.data(), soft.size(), peer, flow, 7, payload.data(), len);
            flow.nic_checksums = true;
            Frame nic(1600);
            int n = build_udp_frame(nic.data(), nic.size(), peer, flow, 7, payload.data(), len);
            REQUIRE(n == ns);
            CAPTURE(len, vlan.has_value());
            // Not yet valid: software classification refuses it ...
            CHECK(classify(nic.data(), static_cast<std::size_t>(n), us_ifc).kind != VerdictKind::udp_for_us);
            uint8_t* udp = nic.data() + l2 + ipv4_min_header_len;
            CHECK(load_be16(udp + 6) == static_cast<uint16_t>(~checksum_finish(
                                            udp_pseudo_header_sum(ip_peer, ip_us, static_cast<uint16_t>(8 + len)))));
            // ... and once the NIC's part is done it is the software frame.
            complete_like_a_nic(nic, l2);
            CHECK(nic == soft);
            CHECK(classify(nic.data(), static_cast<std::size_t>(n), us_ifc).kind == VerdictKind::udp_for_us);

            // A flow without a UDP checksum: the IPv4 field still 0 for the
            // NIC, the UDP field 0 ("none", RFC 768), not the pseudo sum.
            flow.udp_checksum = false;
            Frame bare(1600);
            REQUIRE(build_udp_frame(bare.data(), bare.size(), peer, flow, 7, payload.data(), len) == n);
            CHECK(load_be16(bare.data() + l2 + 10) == 0);
            CHECK(load_be16(bare.data() + l2 + ipv4_min_header_len + 6) == 0);
        }
    }
}
