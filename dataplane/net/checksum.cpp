// Internet checksum; see checksum.h.
#include "dataplane/net/checksum.h"

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
    // Bulk: native-order 64-bit words added with end-around carry (RFC 1071
    // 2.(B) "Byte Order Independence": the sum of byte-swapped words is the
    // byte-swapped sum; 2.(C) "Parallel Summation": words of any multiple of
    // 16 bits may be summed, the carries added back, since 2^64 = 1 modulo
    // 2^16 - 1). Two chains, each an add and an add-with-carry per word (the
    // loop before took a mask, a shift and two adds per word).
    uint64_t acc0 = 0;
    uint64_t acc1 = 0;
    uint64_t carries = 0;
    std::size_t i = 0;
    for (; i + 16 <= len; i += 16) {
        uint64_t w0;
        uint64_t w1;
        std::memcpy(&w0, data + i, sizeof(w0));
        std::memcpy(&w1, data + i + 8, sizeof(w1));
        carries += __builtin_add_overflow(acc0, w0, &acc0) ? 1 : 0;
        carries += __builtin_add_overflow(acc1, w1, &acc1) ? 1 : 0;
    }
    if (i + 8 <= len) {
        uint64_t w;
        std::memcpy(&w, data + i, sizeof(w));
        carries += __builtin_add_overflow(acc0, w, &acc0) ? 1 : 0;
        i += 8;
    }
    carries += __builtin_add_overflow(acc0, acc1, &acc0) ? 1 : 0;
    // The carries go back in (end-around). That add carries at most once,
    // and when it does the sum is below the carry count: one more cannot.
    uint64_t acc = 0;
    if (__builtin_add_overflow(acc0, carries, &acc)) {
        ++acc;
    }
    uint32_t bulk = checksum_fold_native(acc);
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
