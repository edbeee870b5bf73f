// Q.931 message types as they cross the D-channel, for counting: the
// message type of an I-frame carrying Q.931 (Q.921 SAPI 0), and the names
// of the types a PRI uses (Q.931 Table 4-2; SERVICE and SERVICE
// ACKNOWLEDGE are the maintenance messages of Telcordia/AT&T variants with
// protocol discriminator 0x03/0x43, counted under their own names).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace trunkgw::isdn {

struct Q931MessageName {
    uint8_t type;
    std::string_view name;  // lower case, underscores (a Prometheus label value)
};

inline constexpr std::array<Q931MessageName, 20> q931_message_names = {{
    {0x01, "alerting"},       {0x02, "call_proceeding"}, {0x03, "progress"},
    {0x05, "setup"},          {0x07, "connect"},         {0x0d, "setup_acknowledge"},
    {0x0f, "connect_acknowledge"}, {0x45, "disconnect"}, {0x46, "restart"},
    {0x4d, "release"},        {0x4e, "restart_acknowledge"}, {0x5a, "release_complete"},
    {0x62, "facility"},       {0x6e, "notify"},          {0x75, "status_enquiry"},
    {0x79, "congestion_control"}, {0x7b, "information"}, {0x7d, "status"},
    {0x0f | 0x80, "service"}, {0x07 | 0x80, "service_acknowledge"},
}};

// Index into q931_message_names, or q931_message_names.size() for any other
// type ("other"). maintenance: protocol discriminator 0x03/0x43.
std::size_t q931_message_index(uint8_t type, bool maintenance);

// The name of an index: q931_message_names[index].name, or "other".
std::string_view q931_message_label(std::size_t index);

// What a D-channel frame (address, control, information; no FCS) carries
// for layer 3: an I-frame or a UI frame on SAPI 0 holds a Q.931 message
// (Q.921 3.6; libpri takes Q.931 from both).
enum class Q931FrameKind {
    not_layer3,       // supervisory or other unnumbered frame, other SAPI
    message,          // a Q.931 message: `index` says which
    too_short,        // Q.931 5.8.2: shorter than its header -> ignored
    bad_protocol,     // Q.931 5.8.1: protocol discriminator not Q.931 -> ignored
};

struct Q931FrameInfo {
    Q931FrameKind kind = Q931FrameKind::not_layer3;
    std::size_t index = 0;  // q931_message_names index (size(): other) for `message`
    // Q.931 4.3: the call reference value with its flag (bit 8 of the first
    // octet, "sent by the side that did not allocate it") as the top bit of
    // the value; -1 when absent (the global/dummy reference has length 0).
    int32_t call_reference = -1;
    uint8_t call_reference_len = 0;  // octets (2 on a PRI)
};

Q931FrameInfo q931_inspect(const uint8_t* frame, std::size_t len);

// The message index when the frame carries a Q.931 message, else nullopt.
std::optional<std::size_t> q931_message_of_frame(const uint8_t* frame, std::size_t len);

}  // namespace trunkgw::isdn
