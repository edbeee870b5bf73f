// NTP timestamps (RFC 3550 4: "the number of seconds relative to 0h UTC on
// 1 January 1900 ... a 32-bit unsigned integer part and a 32-bit fraction")
// made from a caller-supplied clock, so the data path never makes a syscall.
#pragma once

#include <cstdint>

namespace trunkgw::media {

// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (the Unix epoch).
inline constexpr uint64_t ntp_unix_offset_s = 2208988800ull;

// Nanoseconds as a 32.32 fixed-point NTP duration.
constexpr uint64_t ns_to_ntp(uint64_t ns)
{
    uint64_t s = ns / 1000000000ull;
    uint64_t frac = ((ns % 1000000000ull) << 32) / 1000000000ull;
    return (s << 32) | frac;
}

// Unix time in nanoseconds as an NTP timestamp.
constexpr uint64_t ntp_from_unix_ns(uint64_t unix_ns)
{
    return ns_to_ntp(unix_ns) + (ntp_unix_offset_s << 32);
}

// RFC 3550 4: "The middle 32 bits out of 64 in the NTP timestamp" (the
// compact form LSR, DLSR and round-trip times use: 1/65536 s units).
constexpr uint32_t ntp_middle32(uint64_t ntp)
{
    return static_cast<uint32_t>(ntp >> 16);
}

// 1/65536 s units as microseconds.
constexpr uint64_t ntp_short_to_us(uint32_t v)
{
    return (static_cast<uint64_t>(v) * 1000000ull) >> 16;
}

// A monotonic clock (the worker's TSC-derived now_ns) mapped onto NTP: the
// caller reads the wall clock once, off the data path, and stores the pair.
struct NtpClock {
    uint64_t ref_ns = 0;   // a monotonic reading...
    uint64_t ref_ntp = 0;  // ... and the NTP time at that moment

    uint64_t at(uint64_t now_ns) const
    {
        return now_ns >= ref_ns ? ref_ntp + ns_to_ntp(now_ns - ref_ns) : ref_ntp - ns_to_ntp(ref_ns - now_ns);
    }
};

}  // namespace trunkgw::media
