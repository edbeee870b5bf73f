// The Internet checksum against published values: the worked example of
// RFC 1071 3, a well-known IPv4 header, the example of RFC 1624 4, and a
// brute-force comparison with the textbook 16-bit loop.
#include "dataplane/net/checksum.h"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "dataplane/net/byte_order.h"

using namespace trunkgw::net;

namespace {

// RFC 1071 4.1's C loop, the reference.
uint16_t reference_checksum(const uint8_t* p, std::size_t n)
{
    uint32_t sum = 0;
    while (n > 1) {
        sum += static_cast<uint32_t>((p[0] << 8) | p[1]);
        p += 2;
        n -= 2;
    }
    if (n > 0) {
        sum += static_cast<uint32_t>(p[0] << 8);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<uint16_t>(~sum);
}

}  // namespace

TEST_CASE("RFC 1071 3 worked example: sum ddf2, checksum 220d", "[net][checksum]")
{
    const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK(checksum_add(0, bytes, sizeof(bytes)) == 0xddf2);
    CHECK(internet_checksum(bytes, sizeof(bytes)) == 0x220d);
}

TEST_CASE("A known IPv4 header verifies and recomputes to b861", "[net][checksum]")
{
    // 192.168.0.1 -> 192.168.0.199, UDP, total length 115, DF, TTL 64.
    uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    CHECK(checksum_verifies(checksum_add(0, h, sizeof(h))));
    h[10] = h[11] = 0;
    CHECK(internet_checksum(h, sizeof(h)) == 0xb861);
}

TEST_CASE("Odd lengths pad with a zero octet (RFC 1071 1.(1))", "[net][checksum]")
{
    const uint8_t odd[] = {0x01, 0x02, 0x03};
    CHECK(checksum_add(0, odd, 3) == 0x0402);
    CHECK(internet_checksum(odd, 3) == 0xfbfd);
}

TEST_CASE("Partial sums chain over even pieces; 16- and 32-bit adds", "[net][checksum]")
{
    const uint8_t a[] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22};
    uint32_t whole = checksum_add(0, a, sizeof(a));
    CHECK(checksum_add(checksum_add(0, a, 4), a + 4, 6) == whole);
    CHECK(checksum_add32(0, 0x12345678) == checksum_add(0, a, 4));
    CHECK(checksum_add16(0xffff, 0x0001) == 0x0001);  // end-around carry
}

TEST_CASE("The bulk path agrees with the 16-bit loop for every length 0..300 and offset", "[net][checksum]")
{
    std::mt19937 rng(1071);
    std::vector<uint8_t> buf(320);
    for (auto& b : buf) {
        b = static_cast<uint8_t>(rng());
    }
    for (std::size_t off = 0; off < 8; ++off) {
        for (std::size_t n = 0; n <= 300; ++n) {
            INFO("offset " << off << " length " << n);
            REQUIRE(internet_checksum(buf.data() + off, n) == reference_checksum(buf.data() + off, n));
        }
    }
    // All ones: the accumulator's carries at their largest.
    std::vector<uint8_t> ones(9000, 0xff);
    CHECK(internet_checksum(ones.data(), ones.size()) == reference_checksum(ones.data(), ones.size()));
}

TEST_CASE("The 20-octet IPv4 header sum equals the general one for any header and partial sum", "[net][checksum]")
{
    std::mt19937 rng(791);
    std::array<uint8_t, 24> h{};
    auto check = [&](std::size_t off) {
        for (uint32_t sum : {0u, 1u, 0x1234u, 0xfffeu, 0xffffu}) {
            INFO("offset " << off << " partial sum " << sum);
            REQUIRE(checksum_finish(checksum_add_ipv4_header(sum, h.data() + off)) ==
                    checksum_finish(checksum_add(sum, h.data() + off, 20)));
            REQUIRE(checksum_add_ipv4_header(sum, h.data() + off) <= 0xffff);
        }
    };
    for (int round = 0; round < 2000; ++round) {
        for (auto& b : h) {
            b = static_cast<uint8_t>(rng());
        }
        check(round % 5);
    }
    h.fill(0xff);  // the folds at their largest
    check(0);
    h.fill(0);
    check(0);
}

TEST_CASE("The bulk path's end-around carries: each place a 64-bit add can overflow", "[net][checksum]")
{
    // Words of all ones with small words between them: the two chains
    // overflow, their sum overflows, and the carries added back overflow
    // (ff..ff + ff..ff leaves ff..fe and one carry; + 01 gives ff..ff; the
    // carry back then wraps to zero and must be carried once more).
    const std::vector<uint8_t> ones(8, 0xff);
    const std::vector<uint8_t> one = {1, 0, 0, 0, 0, 0, 0, 0};
    const std::vector<uint8_t> zero(8, 0);
    for (const auto& pattern : {std::vector{ones, one, ones}, std::vector{ones, ones, ones, one, ones},
                                std::vector{one, ones, ones}, std::vector{ones, zero, ones, zero, ones}}) {
        std::vector<uint8_t> buf;
        for (const auto& w : pattern) {
            buf.insert(buf.end(), w.begin(), w.end());
        }
        for (std::size_t n = buf.size() - 2; n <= buf.size(); ++n) {
            INFO("length " << n);
            CHECK(internet_checksum(buf.data(), n) == reference_checksum(buf.data(), n));
        }
    }
}

TEST_CASE("RFC 1624 4 example: eqn. 3 gives 0x0000 where eqn. 2 gave 0xFFFF", "[net][checksum]")
{
    // Other header octets sum to 0xCD7A; m = 0x5555 -> m' = 0x3285;
    // HC = ~(0xCD7A + 0x5555) = 0xDD2F; recomputed HC' = ~0xFFFF = 0x0000.
    CHECK(checksum_update16(0xdd2f, 0x5555, 0x3285) == 0x0000);
}

TEST_CASE("The one ambiguity of eqn. 3: data that becomes all zeros", "[net][checksum]")
{
    // An ICMP echo request header with identifier, sequence and data 0:
    // words 0x0800 and checksum 0xF7FF. As a reply its only word is 0x0000,
    // whose true checksum is 0xFFFF; eqn. 3 yields 0x0000 (see checksum.h).
    uint8_t reply[8] = {};
    CHECK(internet_checksum(reply, 8) == 0xffff);
    CHECK(checksum_update16(0xf7ff, 0x0800, 0x0000) == 0x0000);
}

TEST_CASE("Incremental updates equal recomputation for random rewrites", "[net][checksum]")
{
    std::mt19937 rng(1624);
    for (int round = 0; round < 10000; ++round) {
        uint8_t h[20];
        for (auto& b : h) {
            b = static_cast<uint8_t>(rng());
        }
        store_be16(h + 10, 0);
        store_be16(h + 10, internet_checksum(h, 20));
        // A 16-bit field (the TTL/protocol word) and a 32-bit one (an address).
        uint16_t old16 = load_be16(h + 8);
        uint16_t new16 = static_cast<uint16_t>(rng());
        store_be16(h + 8, new16);
        uint16_t c = checksum_update16(load_be16(h + 10), old16, new16);
        uint32_t old32 = load_be32(h + 12);
        uint32_t new32 = static_cast<uint32_t>(rng());
        store_be32(h + 12, new32);
        c = checksum_update32(c, old32, new32);
        store_be16(h + 10, c);
        INFO("round " << round);
        REQUIRE(checksum_verifies(checksum_add(0, h, 20)));
        store_be16(h + 10, 0);
        REQUIRE(c == internet_checksum(h, 20));
    }
}
