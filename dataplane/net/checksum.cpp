// Internet checksum; see checksum.h.
#include "dataplane/net/checksum.h"

#include <bit>
#include <cstring>

#include "dataplane/net/byte_order.h"

namespace trunkgw::net {

namespace {

uint32_t fold(uint64_t acc)
{
    while (acc >> 16) {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    return static_cast<uint32_t>(acc);
}

}  // namespace

uint32_t checksum_add(uint32_t sum, const uint8_t* data, std::size_t len)
{
    // Bulk: native-order 32-bit halves of 64-bit loads into a 64-bit
    // accumulator (RFC 1071 2.(B) "Byte Order Independence" and 2.(C)
    // "Parallel Summation": the sum of byte-swapped words is the byte-swapped
    // sum, and carries may be deferred). 2^31 iterations cannot overflow.
    uint64_t acc = 0;
    std::size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        std::memcpy(&w, data + i, sizeof(w));
        acc += (w & 0xffffffffu) + (w >> 32);
    }
    uint32_t bulk = fold(acc);
    if constexpr (std::endian::native == std::endian::little) {
        bulk = ((bulk & 0xff) << 8) | (bulk >> 8);
    }
    uint64_t total = static_cast<uint64_t>(sum) + bulk;
    for (; i + 2 <= len; i += 2) {
        total += load_be16(data + i);
    }
    if (i < len) {
        // RFC 1071 1.(1): "If the total length is odd, the received data is
        // padded with one octet of zeros for computing the checksum."
        total += static_cast<uint32_t>(data[i]) << 8;
    }
    return fold(total);
}

uint16_t checksum_update16(uint16_t check, uint16_t old_word, uint16_t new_word)
{
    uint32_t s = static_cast<uint16_t>(~check);
    s += static_cast<uint16_t>(~old_word);
    s += new_word;
    return checksum_finish(s);
}

uint16_t checksum_update32(uint16_t check, uint32_t old_value, uint32_t new_value)
{
    check = checksum_update16(check, static_cast<uint16_t>(old_value >> 16), static_cast<uint16_t>(new_value >> 16));
    return checksum_update16(check, static_cast<uint16_t>(old_value), static_cast<uint16_t>(new_value));
}

}  // namespace trunkgw::net
