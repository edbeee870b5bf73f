// Responders: ARP and ICMP echo replies made in place from reference
// requests match replies written out by hand (Python struct, checked with
// tshark -V: "Opcode: reply", checksums "[correct]"); built ARP requests and
// announcements are exact; refusals return -EINVAL / -ENOSPC.
#include "dataplane/net/responders.h"

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "dataplane/net/byte_order.h"
#include "dataplane/net/checksum.h"
#include "dataplane/net/classify.h"
#include "dataplane/net/icmp.h"
#include "dataplane/net/ipv4.h"
#include "tests/unit/dataplane/net/reference_frames.h"

using namespace trunkgw::net;
using namespace trunkgw::net::test;

namespace {

// The replies: the echo reply keeps IP checksum 0x9a87 (the swap does not
// change the sum), ICMP checksum 0xa27f + 0x0800 = 0xaa7f.
const Frame want_icmp_reply = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45,
                               0x00, 0x00, 0x2c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x01, 0x9a, 0x87, 0xc0, 0x00, 0x02, 0x01,
                               0xc0, 0x00, 0x02, 0x02, 0x00, 0x00, 0xaa, 0x7f, 0x12, 0x34, 0x00, 0x01, 0x61, 0x62, 0x63,
                               0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70};
const Frame want_arp_reply = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00,
                              0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0, 0x00,
                              0x02, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00,
                              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

}  // namespace

TEST_CASE("ARP reply in place equals the hand-made reply (RFC 826 swap)", "[net][responders]")
{
    Interface ifc = make_ifc(mac_us, ip_us);
    Frame f = ref_arp;
    Verdict v = classify(f.data(), f.size(), ifc);
    REQUIRE(v.kind == VerdictKind::arp_request_for_us);
    int n = arp_reply_in_place(f.data(), f.size(), f.size(), v, ifc);
    REQUIRE(n == 60);
    CHECK(f == want_arp_reply);

    // The requester sees a reply for it, from us.
    Interface peer = make_ifc(mac_peer, ip_peer);
    Verdict back = classify(f.data(), f.size(), peer);
    CHECK(back.kind == VerdictKind::arp_reply);
    CHECK(back.arp.sender_mac == mac_us);
    CHECK(back.arp.sender_ip == ip_us);
    CHECK(back.arp_target_is_us);
}

TEST_CASE("ARP reply: short requests are padded to 60 when room allows; tags are kept", "[net][responders]")
{
    Interface ifc = make_ifc(mac_us, ip_us);
    Frame f(ref_arp.begin(), ref_arp.begin() + 42);  // a tap delivers no padding
    f.resize(64, 0xee);                              // buffer room holds junk
    Verdict v = classify(f.data(), 42, ifc);
    REQUIRE(v.kind == VerdictKind::arp_request_for_us);
    REQUIRE(arp_reply_in_place(f.data(), 42, 64, v, ifc) == 60);
    CHECK(Frame(f.begin(), f.begin() + 60) == want_arp_reply);

    Frame g(ref_arp.begin(), ref_arp.begin() + 42);
    v = classify(g.data(), g.size(), ifc);
    CHECK(arp_reply_in_place(g.data(), 42, 42, v, ifc) == 42);
    CHECK(g == Frame(want_arp_reply.begin(), want_arp_reply.begin() + 42));

    // 802.1Q: the tag (VID 7, PCP 6) stays as it came.
    Interface tagged = make_ifc(mac_us, ip_us, 7);
    Frame t = ref_arp;
    const uint8_t tag[] = {0x81, 0x00, 0xc0, 0x07};
    t.insert(t.begin() + 12, tag, tag + 4);
    v = classify(t.data(), t.size(), tagged);
    REQUIRE(v.kind == VerdictKind::arp_request_for_us);
    REQUIRE(arp_reply_in_place(t.data(), t.size(), t.size(), v, tagged) == 64);
    Frame want = want_arp_reply;
    want.insert(want.begin() + 12, tag, tag + 4);
    CHECK(t == want);
}

TEST_CASE("ARP reply refuses what is not an ARP request for us", "[net][responders]")
{
    Interface ifc = make_ifc(mac_us, ip_us);
    Frame f = ref_arp;
    Verdict v = classify(f.data(), f.size(), ifc);
    Verdict wrong = v;
    wrong.kind = VerdictKind::arp_reply;
    CHECK(arp_reply_in_place(f.data(), f.size(), f.size(), wrong, ifc) == -EINVAL);
    wrong = v;
    wrong.l3_offset = 40;  // ARP would end beyond the frame
    CHECK(arp_reply_in_place(f.data(), f.size(), f.size(), wrong, ifc) == -EINVAL);
    Interface other = make_ifc(mac_us, ip_peer + 10);
    CHECK(arp_reply_in_place(f.data(), f.size(), f.size(), v, other) == -EINVAL);
    CHECK(arp_reply_in_place(f.data(), f.size(), f.size() - 1, v, ifc) == -EINVAL);
    CHECK(f == ref_arp);  // untouched
}

TEST_CASE("ICMP echo reply in place equals the hand-made reply", "[net][responders]")
{
    Interface ifc = make_ifc(mac_us, ip_us);
    Frame f = ref_icmp;
    Verdict v = classify(f.data(), f.size(), ifc);
    REQUIRE(v.kind == VerdictKind::icmp_echo_for_us);
    int n = icmp_echo_reply_in_place(f.data(), f.size(), v, ifc);
    REQUIRE(n == 58);
    CHECK(f == want_icmp_reply);
    CHECK(load_be16(f.data() + 36) == 0xaa7f);
    // The peer sees checksums that verify: its only complaint is that a
    // reply is not a request.
    Interface peer = make_ifc(mac_peer, ip_peer);
    CHECK(classify(f.data(), f.size(), peer).reason == DropReason::icmp_not_echo);
}

TEST_CASE("ICMP echo reply of an all-zero message gets checksum 0xFFFF (found by the fuzzer)", "[net][responders]")
{
    Interface ifc = make_ifc(mac_us, ip_us);
    // Identifier 0, sequence 0, 16 zero octets: request checksum 0xF7FF.
    Frame f = ref_icmp;
    std::fill(f.begin() + 38, f.end(), 0);
    store_be16(f.data() + 36, 0);
    store_be16(f.data() + 36, internet_checksum(f.data() + 34, 24));
    REQUIRE(load_be16(f.data() + 36) == 0xf7ff);
    Verdict v = classify(f.data(), f.size(), ifc);
    REQUIRE(v.kind == VerdictKind::icmp_echo_for_us);
    REQUIRE(icmp_echo_reply_in_place(f.data(), f.size(), v, ifc) == 58);
    CHECK(load_be16(f.data() + 36) == 0xffff);
    CHECK(checksum_verifies(checksum_add(0, f.data() + 34, 24)));
}

TEST_CASE("ICMP echo reply drops IP options, keeps DSCP and data, zeroes ECN", "[net][responders]")
{
    Interface ifc = make_ifc(mac_us, ip_us);
    // ref_icmp with 8 octets of options (Record Route with room for one
    // address: type 7, length 7, pointer 4, then an EOL), DSCP AF41 + ECT(0).
    Frame f = ref_icmp;
    const uint8_t rr[] = {7, 7, 4, 0, 0, 0, 0, 0};
    f.insert(f.begin() + 34, rr, rr + 8);
    f[14] = 0x47;
    f[15] = static_cast<uint8_t>((34 << 2) | 2);
    store_be16(f.data() + 16, 52);
    store_be16(f.data() + 24, 0);
    store_be16(f.data() + 24, internet_checksum(f.data() + 14, 28));
    Verdict v = classify(f.data(), f.size(), ifc);
    REQUIRE(v.kind == VerdictKind::icmp_echo_for_us);
    CHECK(v.l4_offset == 42);
    // 58 octets of reply in a 66-octet frame: zero-padded to 60.
    int n = icmp_echo_reply_in_place(f.data(), f.size(), v, ifc);
    REQUIRE(n == 60);
    f.resize(60);
    Frame want = want_icmp_reply;
    want.resize(60, 0);
    want[15] = 34 << 2;
    store_be16(want.data() + 24, 0);
    store_be16(want.data() + 24, internet_checksum(want.data() + 14, 20));
    CHECK(f == want);
}

TEST_CASE("ICMP echo reply of a padded minimum frame keeps 60 octets", "[net][responders]")
{
    Interface ifc = make_ifc(mac_us, ip_us);
    // Echo request with 4 data octets: 46 octets, padded to 60 with 0xee.
    Frame f = ref_icmp;
    f.resize(46);
    store_be16(f.data() + 16, 32);
    store_be16(f.data() + 24, 0);
    store_be16(f.data() + 24, internet_checksum(f.data() + 14, 20));
    store_be16(f.data() + 36, 0);
    store_be16(f.data() + 36, internet_checksum(f.data() + 34, 12));
    f.resize(60, 0xee);
    Verdict v = classify(f.data(), f.size(), ifc);
    REQUIRE(v.kind == VerdictKind::icmp_echo_for_us);
    CHECK(v.payload_len == 4);
    REQUIRE(icmp_echo_reply_in_place(f.data(), f.size(), v, ifc) == 60);
    for (std::size_t i = 46; i < 60; ++i) {
        CHECK(f[i] == 0);  // padding zeroed
    }
    Interface peer = make_ifc(mac_peer, ip_peer);
    CHECK(classify(f.data(), f.size(), peer).reason == DropReason::icmp_not_echo);

    Verdict wrong = v;
    wrong.kind = VerdictKind::udp_for_us;
    CHECK(icmp_echo_reply_in_place(f.data(), f.size(), wrong, ifc) == -EINVAL);
    wrong = v;
    wrong.payload_len = 100;
    CHECK(icmp_echo_reply_in_place(f.data(), f.size(), wrong, ifc) == -EINVAL);
}

TEST_CASE("ARP request, unicast poll and gratuitous ARP are exact", "[net][responders]")
{
    Interface ifc = make_ifc(mac_us, ip_us);
    Frame f(64, 0xee);
    REQUIRE(build_arp_request(f.data(), f.size(), ifc, ip_us, ip_peer) == 60);
    const Frame want_request = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
                                0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00,
                                0x00, 0x00, 0x00, 0x01, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00,
                                0x00, 0x00, 0xc0, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    CHECK(Frame(f.begin(), f.begin() + 60) == want_request);

    // The peer answers it.
    Interface peer = make_ifc(mac_peer, ip_peer);
    Verdict v = classify(f.data(), 60, peer);
    CHECK(v.kind == VerdictKind::arp_request_for_us);

    REQUIRE(build_arp_request(f.data(), f.size(), ifc, ip_us, ip_peer, mac_peer) == 60);
    CHECK(Frame(f.begin(), f.begin() + 6) == Frame(mac_peer.begin(), mac_peer.end()));
    CHECK(classify(f.data(), 60, peer).kind == VerdictKind::arp_request_for_us);

    REQUIRE(build_gratuitous_arp(f.data(), f.size(), ifc, ip_us) == 60);
    Frame want_garp = want_request;
    store_be32(want_garp.data() + 38, ip_us);
    CHECK(Frame(f.begin(), f.begin() + 60) == want_garp);
    // For the peer: a request for another host, merged only.
    CHECK(classify(f.data(), 60, peer).reason == DropReason::arp_not_for_us);

    // Tagged port: VID 7, PCP 0, still 60 octets of which 18 are padding.
    Interface tagged = make_ifc(mac_us, ip_us, 7);
    REQUIRE(build_gratuitous_arp(f.data(), f.size(), tagged, ip_us) == 60);
    CHECK(load_be16(f.data() + 12) == ethertype_vlan);
    CHECK(load_be16(f.data() + 14) == 7);
    CHECK(load_be16(f.data() + 16) == ethertype_arp);
    for (std::size_t i = 46; i < 60; ++i) {
        CHECK(f[i] == 0);
    }

    CHECK(build_arp_request(f.data(), 59, ifc, ip_us, ip_peer) == -ENOSPC);
    CHECK(build_arp_request(f.data(), f.size(), ifc, ip_peer, ip_us) == -EINVAL);
    CHECK(build_gratuitous_arp(f.data(), f.size(), ifc, ip_peer) == -EINVAL);
}
