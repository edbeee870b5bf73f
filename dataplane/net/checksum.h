// The Internet checksum (RFC 1071) and its incremental update (RFC 1624),
// shared by the IPv4 header (RFC 791 3.1 "Header Checksum"), ICMP (RFC 792)
// and UDP (RFC 768). Values are host order: store them with store_be16().
//
// RFC 791 3.1: "The checksum field is the 16 bit one's complement of the
// one's complement sum of all 16 bit words in the header. For purposes of
// computing the checksum, the value of the checksum field is zero."
//
// Pure functions on byte buffers: no allocation, no exceptions, any core.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace trunkgw::net {

// Adds the len octets at data, taken as big-endian 16-bit words (a last odd
// octet is padded with a zero octet, RFC 1071 1.(1)), to the partial sum
// `sum` and returns the new partial sum, folded to 16 bits (0..0xffff).
// Partial sums chain: checksum_add(checksum_add(0, a, n), b, m) equals the
// sum over a then b as long as n is even.
uint32_t checksum_add(uint32_t sum, const uint8_t* data, std::size_t len);

// Adds a 16-bit or 32-bit host-order value (e.g. a pseudo-header field).
inline uint32_t checksum_add16(uint32_t sum, uint16_t v)
{
    uint32_t s = sum + v;
    return (s & 0xffff) + (s >> 16);
}

inline uint32_t checksum_add32(uint32_t sum, uint32_t v)
{
    return checksum_add16(checksum_add16(sum, static_cast<uint16_t>(v >> 16)), static_cast<uint16_t>(v));
}

// The value to put in a checksum field: the one's complement of the folded
// partial sum.
inline uint16_t checksum_finish(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<uint16_t>(~sum);
}

// A sum of native-order words (of any multiple of 16 bits: RFC 1071 2.(C)
// "Parallel Summation") folded to 16 bits and put in network order (2.(B)
// "Byte Order Independence"): how checksum_add's bulk loop and
// checksum_add_ipv4_header end. Any 64-bit value folds in these four steps.
inline uint32_t checksum_fold_native(uint64_t acc)
{
    acc = (acc & 0xffffffffu) + (acc >> 32);  // below 2^33
    acc = (acc & 0xffffffffu) + (acc >> 32);  // fits 32 bits
    auto s = static_cast<uint32_t>(acc);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    if constexpr (std::endian::native == std::endian::little) {
        s = ((s & 0xff) << 8) | (s >> 8);
    }
    return s;
}

// checksum_add(sum, p, 20) for a 20-octet IPv4 header (no options: every
// datagram we send and nearly every one we receive) without the general
// routine's loop and tail: five native-order 32-bit words, folded
// (checksum_fold_native). `sum` is a folded partial sum (0..0xffff), as
// checksum_add returns.
inline uint32_t checksum_add_ipv4_header(uint32_t sum, const uint8_t* p)
{
    uint64_t acc = 0;
    for (std::size_t i = 0; i < 20; i += 4) {
        uint32_t w;
        std::memcpy(&w, p + i, sizeof(w));
        acc += w;
    }
    return checksum_add16(sum, static_cast<uint16_t>(checksum_fold_native(acc)));
}

// RFC 1071 1.(2): a receiver sums the data including the checksum field; the
// result is all ones (0xffff) when the data is intact.
inline bool checksum_verifies(uint32_t sum)
{
    return checksum_finish(sum) == 0;
}

inline uint16_t internet_checksum(const uint8_t* data, std::size_t len)
{
    return checksum_finish(checksum_add(0, data, len));
}

// RFC 1624 3. eqn. 3: the new checksum field value when one 16-bit word
// covered by it changes from old_word to new_word,
//     HC' = ~(~HC + ~m + m')
// It gives what a recomputation from scratch gives (RFC 1141's eqn. 2 can
// give 0xFFFF where the true value is 0x0000, the example of RFC 1624 4.),
// with one exception: when every covered word becomes zero, the true
// checksum is 0xFFFF and eqn. 3 yields 0x0000. So a result of 0x0000 is
// ambiguous; a caller whose data can be all zeros recomputes in that case.
uint16_t checksum_update16(uint16_t check, uint16_t old_word, uint16_t new_word);

// The same for an aligned 32-bit field (an IPv4 address): two 16-bit words.
uint16_t checksum_update32(uint16_t check, uint32_t old_value, uint32_t new_value);

}  // namespace trunkgw::net
