// MSB-first bit streams over byte buffers: the order in which E1/T1 bits
// leave the line (G.704: bit 1 of a timeslot is sent first and is the most
// significant bit of the octet). Framers append with BitWriter; deframers
// read at any bit offset with BitReader. No allocation: callers own buffers.
#pragma once

#include <cstddef>
#include <cstdint>

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
    std::size_t bits() const { return _bits; }
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
