// The timers of a PRI link (isdn::PriLinkConfig): their defaults and the
// ranges accepted for them, in one place for the link, the gateway's config
// ([span.isdn]) and pstn-sim's options. libpri-free, like
// switch_type_names.h, so that the config library can use it.
#pragma once

#include <cstdint>

namespace trunkgw::isdn::pri_timer {

struct Limits {
    uint32_t default_value;
    uint32_t min;
    uint32_t max;
};

// T309 (Q.931 5.8.8, Table 9-1): connected calls survive the loss of the
// data link this long. Q.931's default is 90 s, libpri's 6 s.
inline constexpr Limits t309_ms{6000, 1000, 90000};
// Q.921 5.9: T200 (5.9.1, 1 s) waits for an acknowledgement before a
// retransmission, N200 (5.9.2, 3) retransmissions are tried, T203 (5.9.8,
// 10 s) is the longest a link stays silent before it is polled.
inline constexpr Limits t200_ms{1000, 100, 10000};
inline constexpr Limits n200{3, 1, 16};
inline constexpr Limits t203_ms{10000, 1000, 300000};

// T203 (how long a link may stay silent before it is polled) must be longer
// than T200 (how long an acknowledgement is waited for).
constexpr bool q921_timers_ordered(uint32_t t200, uint32_t t203)
{
    return t203 > t200;
}
inline constexpr const char* q921_order_reason = "the idle poll outlasts the acknowledgement wait";

}  // namespace trunkgw::isdn::pri_timer
