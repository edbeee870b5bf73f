// MSB-first bit streams over byte buffers: the order in which E1/T1 bits
// leave the line (G.704: bit 1 of a timeslot is sent first and is the most
// significant bit of the octet). Framers append with BitWriter; deframers
// read at any bit offset with BitReader. No allocation: callers own buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "tdm/bits/byte_order.h"

namespace trunkgw::tdm {


class BitWriter {
public:
    BitWriter(uint8_t* buf, std::size_t bytes) : _buf(buf), _cap_bits(bytes * 8) {}
    // Continues after `start_bits` bits already in buf (a partial last octet
    // keeps its leading bits).
    BitWriter(uint8_t* buf, std::size_t bytes, std::size_t start_bits)
        : _buf(buf), _cap_bits(bytes * 8), _bits(start_bits)
    {
    }

    // Appends the low `n` bits of v (n <= 32), most significant first.
    // Returns false (writing nothing) when they do not fit.
    bool put(uint32_t v, unsigned n)
    {
        if (_bits + n > _cap_bits) {
            return false;
        }
        for (unsigned i = n; i-- > 0;) {
            std::size_t byte = _bits >> 3;
            unsigned shift = 7 - static_cast<unsigned>(_bits & 7);
            if (shift == 7) {
                _buf[byte] = 0;
            }
            _buf[byte] = static_cast<uint8_t>(_buf[byte] | (((v >> i) & 1u) << shift));
            ++_bits;
        }
        return true;
    }
    bool put_byte(uint8_t b)
    {
        if ((_bits & 7) == 0) {
            if (_bits + 8 > _cap_bits) {
                return false;
            }
            _buf[_bits >> 3] = b;
            _bits += 8;
            return true;
        }
        return put(b, 8);
    }
    // Appends the low bit of `bit` and then n whole octets at any alignment,
    // eight octets to a store: the bits put() would write, the same way (the
    // partial octet is OR'ed into, the last octet's unused bits are 0), and
    // nothing past the last octet holding one of them. Returns false
    // (writing nothing) when they do not fit. A T1 frame is one such call.
    bool put_bit_octets(unsigned bit, const uint8_t* oct, std::size_t n)
    {
        if (_bits + 1 + 8 * n > _cap_bits) {
            return false;
        }
        uint8_t* dst = _buf + (_bits >> 3);
        const unsigned off = static_cast<unsigned>(_bits & 7);
        const unsigned s = off + 1;  // 1..8: how far right of octet alignment the octets land
        const unsigned head = off != 0 ? dst[0] : 0u;
        // Bits not yet stored, the oldest in bit 63.
        uint64_t carry = static_cast<uint64_t>(head | ((bit & 1u) << (7 - off))) << 56;
        std::size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            const uint64_t w = bytes::load_be64(oct + i);
            bytes::store_be64(dst, carry | (w >> s));
            carry = w << (64 - s);
            dst += 8;
        }
        for (; i < n; ++i) {
            *dst++ = static_cast<uint8_t>((carry >> 56) | (oct[i] >> s));
            carry = static_cast<uint64_t>(oct[i]) << (64 - s);
        }
        *dst = static_cast<uint8_t>(carry >> 56);
        _bits += 1 + 8 * n;
        return true;
    }
    std::size_t bits() const { return _bits; }
    std::size_t capacity_bits() const { return _cap_bits; }
    std::size_t bytes_complete() const { return _bits >> 3; }

private:
    uint8_t* _buf;
    std::size_t _cap_bits;
    std::size_t _bits = 0;
};

class BitReader {
public:
    BitReader(const uint8_t* buf, std::size_t bytes) : _buf(buf), _len_bits(bytes * 8) {}

    std::size_t remaining() const { return _len_bits - _pos; }
    std::size_t position() const { return _pos; }
    void skip(std::size_t n) { _pos += n; }

    // Reads n bits (n <= 32) MSB first; the caller checks remaining().
    uint32_t get(unsigned n)
    {
        uint32_t v = 0;
        for (unsigned i = 0; i < n; ++i) {
            v = (v << 1) | ((_buf[_pos >> 3] >> (7 - (_pos & 7))) & 1u);
            ++_pos;
        }
        return v;
    }
    // The byte starting at the current bit position (any alignment).
    uint8_t get_byte()
    {
        unsigned off = _pos & 7;
        std::size_t i = _pos >> 3;
        _pos += 8;
        if (off == 0) {
            return _buf[i];
        }
        return static_cast<uint8_t>((_buf[i] << off) | (_buf[i + 1] >> (8 - off)));
    }

private:
    const uint8_t* _buf;
    std::size_t _len_bits;
    std::size_t _pos = 0;
};

}  // namespace trunkgw::tdm
