// Network byte order (big-endian: RFC 791 Appendix B, RFC 3550 4, and the
// order G.704 bits leave the line) loads and stores on unaligned octet
// pointers. A frame handed over by a NIC may start at any address, so
// nothing here casts a byte pointer to a wider type: memcpy plus a byte
// swap compiles to one load or store. The one copy for tdm/, dataplane/net
// and dataplane/media.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace trunkgw::bytes {

namespace detail {

// std::byteswap is C++23; GCC and Clang have the builtins.
inline uint16_t bswap(uint16_t v) { return __builtin_bswap16(v); }
inline uint32_t bswap(uint32_t v) { return __builtin_bswap32(v); }
inline uint64_t bswap(uint64_t v) { return __builtin_bswap64(v); }

template <class T>
inline T load_be(const uint8_t* p)
{
    T v;
    std::memcpy(&v, p, sizeof(v));
    if constexpr (std::endian::native == std::endian::little) {
        v = bswap(v);
    }
    return v;
}

template <class T>
inline void store_be(uint8_t* p, T v)
{
    if constexpr (std::endian::native == std::endian::little) {
        v = bswap(v);
    }
    std::memcpy(p, &v, sizeof(v));
}

}  // namespace detail

inline uint16_t load_be16(const uint8_t* p) { return detail::load_be<uint16_t>(p); }
inline uint32_t load_be32(const uint8_t* p) { return detail::load_be<uint32_t>(p); }
inline uint64_t load_be64(const uint8_t* p) { return detail::load_be<uint64_t>(p); }
inline void store_be16(uint8_t* p, uint16_t v) { detail::store_be(p, v); }
inline void store_be32(uint8_t* p, uint32_t v) { detail::store_be(p, v); }
inline void store_be64(uint8_t* p, uint64_t v) { detail::store_be(p, v); }

}  // namespace trunkgw::bytes
