// A bounded random-frame loop (fixed seed): valid frames of every kind,
// mutated (bit flips, truncation, extension, field overwrites, with and
// without checksum repair) and plain noise. Every frame gets exactly one
// verdict; offsets stay inside the frame; responders on a copy either answer
// with checksums that verify or refuse. Run under ASan/UBSan by the fuzz
// build's net_classify_fuzz target too.
#include <catch2/catch.hpp>

#include <array>
#include <cerrno>
#include <cstdint>
#include <random>
#include <vector>

#include "dataplane/net/arp.h"
#include "dataplane/net/byte_order.h"
#include "dataplane/net/checksum.h"
#include "dataplane/net/classify.h"
#include "dataplane/net/icmp.h"
#include "dataplane/net/ipv4.h"
#include "dataplane/net/responders.h"
#include "dataplane/net/udp.h"
#include "dataplane/net/udp_frame.h"
#include "tests/unit/dataplane/net/reference_frames.h"

using namespace trunkgw::net;
using namespace trunkgw::net::test;

namespace {

// Valid frames from the peer to us, untagged and on VLAN 100.
std::vector<Frame> templates()
{
    std::vector<Frame> out;
    for (std::optional<uint16_t> vlan : {std::optional<uint16_t>(), std::optional<uint16_t>(100)}) {
        Interface peer = make_ifc(mac_peer, ip_peer, vlan);
        UdpFlow flow;
        flow.dst_mac = mac_us;
        flow.src_ip = ip_peer;
        flow.dst_ip = ip_us;
        flow.src_port = 40000;
        flow.dst_port = 5004;
        for (std::size_t len : {0u, 12u, 172u}) {
            Frame payload(len, 0xd5);
            Frame f(256);
            int n = build_udp_frame(f.data(), f.size(), peer, flow, 9, payload.data(), len);
            REQUIRE(n > 0);
            f.resize(static_cast<std::size_t>(n));
            out.push_back(f);
            // The same as an ICMP echo request (protocol 1, echo header).
            Frame icmp = f;
            std::size_t l3 = vlan ? 18 : 14;
            icmp[l3 + 9] = ip_proto_icmp;
            uint8_t* m = icmp.data() + l3 + 20;
            m[0] = icmp_type_echo_request;
            m[1] = 0;
            store_be16(m + 2, 0);
            store_be16(m + 2, internet_checksum(m, 8 + len));
            store_be16(icmp.data() + l3 + 10, 0);
            store_be16(icmp.data() + l3 + 10, internet_checksum(icmp.data() + l3, 20));
            out.push_back(icmp);
        }
        Frame a(64);
        REQUIRE(build_arp_request(a.data(), a.size(), peer, ip_peer, ip_us) == 60);
        a.resize(60);
        out.push_back(a);
        REQUIRE(build_gratuitous_arp(a.data(), a.size(), peer, ip_peer) == 60);
        out.push_back(a);
        // A reply to us.
        Frame r = out[out.size() - 2];
        std::copy(mac_us.begin(), mac_us.end(), r.begin());
        r[(vlan ? 18 : 14) + 7] = arp_op_reply;
        out.push_back(r);
        // Another host announcing our address (a conflict).
        Interface thief = make_ifc(mac_peer, ip_us, vlan);
        REQUIRE(build_gratuitous_arp(a.data(), a.size(), thief, ip_us) == 60);
        out.push_back(a);
        // UDP to our address in a link-layer broadcast.
        Frame b = out[0];
        std::copy(broadcast_mac.begin(), broadcast_mac.end(), b.begin());
        out.push_back(b);
    }
    return out;
}

// Repairs whatever checksums the mutated frame still has room for, so that
// mutations reach the stages behind the checksums.
void repair(Frame& f)
{
    EthernetHeader eh = parse_ethernet(f.data(), f.size());
    if (eh.l3_offset == 0 || eh.ethertype != ethertype_ipv4 || f.size() < eh.l3_offset + 20u) {
        return;
    }
    uint8_t* ip = f.data() + eh.l3_offset;
    std::size_t avail = f.size() - eh.l3_offset;
    std::size_t hl = (ip[0] & 0x0f) * 4u;
    if (hl < 20 || hl > avail) {
        return;
    }
    store_be16(ip + 10, 0);
    store_be16(ip + 10, internet_checksum(ip, hl));
    std::size_t total = load_be16(ip + 2);
    if (total < hl || total > avail) {
        return;
    }
    uint8_t* l4 = ip + hl;
    std::size_t l4_len = total - hl;
    if (ip[9] == ip_proto_icmp && l4_len >= 8) {
        store_be16(l4 + 2, 0);
        store_be16(l4 + 2, internet_checksum(l4, l4_len));
    } else if (ip[9] == ip_proto_udp && l4_len >= 8) {
        uint16_t ulen = load_be16(l4 + 4);
        if (ulen >= 8 && ulen <= l4_len) {
            write_udp_header(l4, load_be16(l4), load_be16(l4 + 2), ulen, load_be32(ip + 12), load_be32(ip + 16),
                             UdpChecksum::full);
        }
    }
}

void mutate(Frame& f, std::mt19937& rng)
{
    switch (rng() % 6) {
    case 0:  // flip a bit
        if (!f.empty()) {
            f[rng() % f.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        }
        break;
    case 1:  // truncate
        f.resize(f.empty() ? 0 : rng() % f.size());
        break;
    case 2:  // extend with noise
        for (uint32_t n = rng() % 64; n > 0; --n) {
            f.push_back(static_cast<uint8_t>(rng()));
        }
        break;
    case 3:  // overwrite a 16-bit word with an interesting value
        if (f.size() >= 2) {
            static constexpr std::array<uint16_t, 12> values = {0,      1,      4,      5,      8,      0x0800,
                                                                0x0806, 0x8100, 0x88a8, 0x4500, 0x2000, 0xffff};
            std::size_t at = rng() % (f.size() - 1);
            store_be16(f.data() + at, values[rng() % values.size()]);
        }
        break;
    case 4:  // a random octet in the first 64
        if (!f.empty()) {
            f[rng() % std::min<std::size_t>(f.size(), 64)] = static_cast<uint8_t>(rng());
        }
        break;
    default:  // an IP length, IHL or protocol field
        if (f.size() > 24) {
            std::size_t l3 = load_be16(f.data() + 12) == ethertype_vlan ? 18 : 14;
            if (f.size() > l3 + 10) {
                switch (rng() % 3) {
                case 0:
                    store_be16(f.data() + l3 + 2, static_cast<uint16_t>(rng() % 300));
                    break;
                case 1:
                    f[l3] = static_cast<uint8_t>(0x40 | (rng() % 16));
                    break;
                default:
                    f[l3 + 9] = static_cast<uint8_t>(rng() % 20);
                    break;
                }
            }
        }
        break;
    }
}

}  // namespace

TEST_CASE("1e6 random frames: one verdict each, offsets in bounds, replies verify", "[net][random]")
{
    const Interface ifcs[] = {make_ifc(mac_us, ip_us, std::nullopt), make_ifc(mac_us, ip_us, 100)};
    const std::vector<Frame> base = templates();
    std::mt19937 rng(0x7e1eca11);
    ClassifyCounters counters;
    uint64_t replies = 0;
    constexpr int frames = 1'000'000;
    for (int i = 0; i < frames; ++i) {
        Frame f;
        if (i % 16 == 0) {
            f.resize(rng() % 128);
            for (auto& b : f) {
                b = static_cast<uint8_t>(rng());
            }
        } else {
            f = base[rng() % base.size()];
            for (uint32_t k = rng() % 4; k > 0; --k) {
                mutate(f, rng);
            }
            if (rng() % 2 == 0) {
                repair(f);
            }
        }
        const Interface& ifc = ifcs[rng() % 2];
        RxOffload off;
        off.ip_checksum_good = rng() % 8 == 0;
        Verdict v = classify(f.data(), f.size(), ifc, off);
        counters.count(v);
        REQUIRE((v.kind == VerdictKind::drop) == (v.reason != DropReason::none));
        REQUIRE(static_cast<std::size_t>(v.reason) <= drop_reason_count);
        if (v.kind == VerdictKind::udp_for_us || v.kind == VerdictKind::icmp_echo_for_us) {
            REQUIRE(v.l3_offset < v.l4_offset);
            REQUIRE(v.l4_offset < v.payload_offset);
            REQUIRE(static_cast<std::size_t>(v.payload_offset) + v.payload_len <= f.size());
        }
        // Responders on a copy with room behind it.
        Frame copy = f;
        copy.resize(f.size() + 64, 0);
        int n = arp_reply_in_place(copy.data(), f.size(), copy.size(), v, ifc);
        if (v.kind == VerdictKind::arp_request_for_us) {
            REQUIRE(n >= 42);
            REQUIRE(static_cast<std::size_t>(n) <= copy.size());
            ++replies;
        } else {
            REQUIRE(n == -EINVAL);
        }
        copy = f;
        n = icmp_echo_reply_in_place(copy.data(), copy.size(), v, ifc);
        if (v.kind == VerdictKind::icmp_echo_for_us) {
            REQUIRE(n > 0);
            REQUIRE(static_cast<std::size_t>(n) <= copy.size());
            const uint8_t* ip = copy.data() + v.l3_offset;
            REQUIRE(checksum_verifies(checksum_add(0, ip, 20)));
            REQUIRE(checksum_verifies(checksum_add(0, ip + 20, load_be16(ip + 2) - 20u)));
            ++replies;
        } else {
            REQUIRE(n == -EINVAL);
        }
    }
    uint64_t total = 0;
    for (uint64_t c : counters.verdicts) {
        total += c;
    }
    CHECK(total == frames);
    uint64_t drops = 0;
    for (uint64_t c : counters.drops) {
        drops += c;
    }
    CHECK(drops == counters.verdicts[0]);
    // The generator reaches every verdict and every drop reason.
    for (std::size_t k = 0; k < verdict_kind_count; ++k) {
        INFO(verdict_kind_names[k]);
        CHECK(counters.verdicts[k] > 0);
    }
    for (std::size_t r = 1; r <= drop_reason_count; ++r) {
        INFO(drop_reason_names[r]);
        CHECK(counters.drops[r] > 0);
    }
    CHECK(replies == counters.verdicts[1] + counters.verdicts[3]);
}
