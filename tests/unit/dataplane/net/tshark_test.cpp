// tshark judges what the packet layer sends: ARP and ICMP echo replies made
// in place, ARP requests and announcements, and UDP frames (untagged and
// 802.1Q, with and without checksum, padded minimum frames). They go to a
// pcap of link type 1 (Ethernet); tshark, with IP and UDP checksum checks
// on, must find no malformed packet and no expert warning, and must decode
// the fields we meant.
#include <catch2/catch.hpp>

#include "tests/support/shell.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "dataplane/net/byte_order.h"
#include "dataplane/net/checksum.h"
#include "dataplane/net/classify.h"
#include "dataplane/net/icmp.h"
#include "dataplane/net/ipv4.h"
#include "dataplane/net/responders.h"
#include "dataplane/net/udp_frame.h"
#include "tests/unit/dataplane/net/reference_frames.h"

using namespace trunkgw::net;
using namespace trunkgw::net::test;
using trunkgw::test::shell_output;

namespace {

constexpr const char* tshark = "/usr/bin/tshark";

// A classic libpcap file (microsecond timestamps), LINKTYPE_ETHERNET (1).
class EthernetPcap {
public:
    explicit EthernetPcap(const std::string& path) : _f(path, std::ios::binary | std::ios::trunc)
    {
        REQUIRE(_f.good());
        const uint32_t hdr[] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};  // magic, v2.4, zone, sigfigs, snaplen, link
        _f.write(reinterpret_cast<const char*>(hdr), sizeof(hdr));
    }

    void write(const uint8_t* frame, std::size_t len)
    {
        _usec += 1000;
        const uint32_t rec[] = {1'700'000'000, _usec, static_cast<uint32_t>(len), static_cast<uint32_t>(len)};
        _f.write(reinterpret_cast<const char*>(rec), sizeof(rec));
        _f.write(reinterpret_cast<const char*>(frame), static_cast<std::streamsize>(len));
        REQUIRE(_f.good());
    }

private:
    std::ofstream _f;
    uint32_t _usec = 0;
};

// An echo request from the peer, as Linux ping sends it (56 data octets),
// optionally on a VLAN and with 4 octets of IP options.
Frame echo_request(std::optional<uint16_t> vlan, bool options)
{
    std::size_t l3 = vlan ? 18 : 14;
    std::size_t hl = options ? 24 : 20;
    Frame f(l3 + hl + 64, 0);
    REQUIRE(write_ethernet(f.data(), f.size(), mac_us, mac_peer,
                           vlan ? std::optional<VlanTag>(VlanTag{*vlan, 0}) : std::nullopt,
                           ethertype_ipv4) == static_cast<int>(l3));
    uint8_t* ip = f.data() + l3;
    ip[0] = static_cast<uint8_t>(0x40 | (hl / 4));
    store_be16(ip + 2, static_cast<uint16_t>(hl + 64));
    store_be16(ip + 4, 0x4242);
    store_be16(ip + 6, ipv4_flag_df);
    ip[8] = 64;
    ip[9] = ip_proto_icmp;
    store_be32(ip + 12, ip_peer);
    store_be32(ip + 16, ip_us);
    if (options) {
        ip[20] = 1;  // NOP x3, EOL
        ip[21] = 1;
        ip[22] = 1;
    }
    store_be16(ip + 10, internet_checksum(ip, hl));
    uint8_t* icmp = ip + hl;
    icmp[0] = icmp_type_echo_request;
    store_be16(icmp + 4, 0x0777);
    store_be16(icmp + 6, 3);
    for (std::size_t i = 0; i < 56; ++i) {
        icmp[8 + i] = static_cast<uint8_t>(i);
    }
    store_be16(icmp + 2, internet_checksum(icmp, 64));
    return f;
}

Frame arp_request_from_peer(std::optional<uint16_t> vlan)
{
    Frame f(64);
    Interface peer = make_ifc(mac_peer, ip_peer, vlan);
    int n = build_arp_request(f.data(), f.size(), peer, ip_peer, ip_us);
    REQUIRE(n == 60);
    f.resize(60);
    return f;
}

}  // namespace

TEST_CASE("tshark accepts every frame the packet layer sends", "[net][tshark]")
{
    // deploy/install-deps installs tshark: its absence is a failure, not a skip.
    REQUIRE(::access(tshark, X_OK) == 0);
    auto path = std::filesystem::temp_directory_path() / ("trunkgw-net-" + std::to_string(::getpid()) + ".pcap");
    std::vector<std::string> want;  // tshark -T fields lines, one per frame
    {
        EthernetPcap pcap(path.string());
        for (std::optional<uint16_t> vlan : {std::optional<uint16_t>(), std::optional<uint16_t>(42)}) {
            Interface us = make_ifc(mac_us, ip_us, vlan);
            std::string vid = vlan ? "42" : "";
            // 1. ARP reply in place.
            Frame f = arp_request_from_peer(vlan);
            Verdict v = classify(f.data(), f.size(), us);
            REQUIRE(v.kind == VerdictKind::arp_request_for_us);
            int n = arp_reply_in_place(f.data(), f.size(), f.size(), v, us);
            REQUIRE(n == 60);
            pcap.write(f.data(), static_cast<std::size_t>(n));
            want.push_back(vid + "\t2\t\t\t\t\t");
            // 2. ICMP echo replies in place, with and without IP options.
            for (bool options : {false, true}) {
                f = echo_request(vlan, options);
                v = classify(f.data(), f.size(), us);
                REQUIRE(v.kind == VerdictKind::icmp_echo_for_us);
                n = icmp_echo_reply_in_place(f.data(), f.size(), v, us);
                REQUIRE(n == static_cast<int>(v.l3_offset + 20 + 64));
                pcap.write(f.data(), static_cast<std::size_t>(n));
                want.push_back(vid + "\t\t0\t0\t1\t0\t");  // DSCP of the request: 0
            }
            // 3. ARP request, unicast poll, announcement.
            f.assign(64, 0);
            REQUIRE(build_arp_request(f.data(), f.size(), us, ip_us, ip_peer) == 60);
            pcap.write(f.data(), 60);
            want.push_back(vid + "\t1\t\t\t\t\t");
            REQUIRE(build_arp_request(f.data(), f.size(), us, ip_us, ip_peer, mac_peer) == 60);
            pcap.write(f.data(), 60);
            want.push_back(vid + "\t1\t\t\t\t\t");
            REQUIRE(build_gratuitous_arp(f.data(), f.size(), us, ip_us) == 60);
            pcap.write(f.data(), 60);
            want.push_back(vid + "\t1\t\t\t\t\t");
            // 4. UDP: RTP-sized, odd-sized, empty (padded), without checksum.
            UdpFlow flow;
            flow.dst_mac = mac_peer;
            flow.src_ip = ip_us;
            flow.dst_ip = ip_peer;
            flow.src_port = 5004;
            flow.dst_port = 40000;
            for (std::size_t len : {172u, 33u, 0u, 256u}) {
                flow.udp_checksum = len != 256;
                Frame payload(len);
                for (std::size_t i = 0; i < len; ++i) {
                    payload[i] = static_cast<uint8_t>(0xd5 ^ i);
                }
                f.assign(2048, 0xee);
                n = build_udp_frame(f.data(), f.size(), us, flow, static_cast<uint16_t>(len), payload.data(), len);
                REQUIRE(n > 0);
                pcap.write(f.data(), static_cast<std::size_t>(n));
                want.push_back(vid + "\t\t\t\t1\t46\t" + std::to_string(8 + len));
            }
        }
    }
    std::string opts = " -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE";
    std::string bad = shell_output(std::string(tshark) + " -r " + path.string() + opts +
                                   " -Y '_ws.malformed || _ws.expert.severity >= \"warning\"'");
    INFO(bad);
    CHECK(bad.empty());
    // Per frame: VLAN ID, ARP opcode, ICMP type and code, IP checksum status
    // (1 = good), DSCP, UDP length.
    std::string fields = shell_output(std::string(tshark) + " -r " + path.string() + opts +
                                      " -T fields -e vlan.id -e arp.opcode -e icmp.type -e icmp.code"
                                      " -e ip.checksum.status -e ip.dsfield.dscp -e udp.length");
    std::string expected;
    for (const auto& line : want) {
        expected += line + "\n";
    }
    CHECK(fields == expected);
    // And the checksums tshark computed itself agree: none flagged bad.
    std::string bad_sums =
        shell_output(std::string(tshark) + " -r " + path.string() + opts +
                     " -Y 'ip.checksum.status != 1 || udp.checksum.status == 0 || icmp.checksum.status != 1'");
    CHECK(bad_sums.empty());
    if (bad.empty() && fields == expected) {
        std::filesystem::remove(path);
    }
}

TEST_CASE("The tshark judge is not vacuous: a corrupted frame is flagged", "[net][tshark]")
{
    REQUIRE(::access(tshark, X_OK) == 0);
    auto path = std::filesystem::temp_directory_path() / ("trunkgw-net-bad-" + std::to_string(::getpid()) + ".pcap");
    Interface us = make_ifc(mac_us, ip_us);
    UdpFlow flow;
    flow.dst_mac = mac_peer;
    flow.src_ip = ip_us;
    flow.dst_ip = ip_peer;
    flow.src_port = 5004;
    flow.dst_port = 40000;
    Frame payload(20, 0x55);
    Frame f(128);
    int n = build_udp_frame(f.data(), f.size(), us, flow, 1, payload.data(), payload.size());
    REQUIRE(n == 62);
    f[50] ^= 0x01;  // one payload bit: the UDP checksum no longer matches
    {
        EthernetPcap pcap(path.string());
        pcap.write(f.data(), static_cast<std::size_t>(n));
    }
    std::string bad = shell_output(std::string(tshark) + " -r " + path.string() +
                                   " -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE"
                                   " -Y '_ws.malformed || _ws.expert.severity >= \"warning\"'");
    CHECK_FALSE(bad.empty());
    std::filesystem::remove(path);
}
