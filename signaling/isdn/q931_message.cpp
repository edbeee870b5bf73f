// Q.931 message types on the D-channel; see q931_message.h.
#include "signaling/isdn/q931_message.h"

namespace trunkgw::isdn {

std::size_t q931_message_index(uint8_t type, bool maintenance)
{
    uint8_t key = maintenance ? static_cast<uint8_t>(type | 0x80) : static_cast<uint8_t>(type & 0x7f);
    for (std::size_t i = 0; i < q931_message_names.size(); ++i) {
        if (q931_message_names[i].type == key) {
            return i;
        }
    }
    return q931_message_names.size();
}

std::string_view q931_message_label(std::size_t index)
{
    return index < q931_message_names.size() ? q931_message_names[index].name : std::string_view("other");
}

Q931FrameInfo q931_inspect(const uint8_t* f, std::size_t len)
{
    Q931FrameInfo r;
    // Q.921 3.2: address (2 octets, SAPI in the first's upper 6 bits), then
    // the control field: 2 octets with bit 1 = 0 for an I-frame, 1 octet
    // 0x03 (P = 0) or 0x13 (P = 1) for UI.
    if (len < 3 || (f[0] >> 2) != 0) {
        return r;
    }
    std::size_t header;
    if ((f[2] & 0x01) == 0) {
        header = 4;
    } else if ((f[2] & 0xef) == 0x03) {
        header = 3;
    } else {
        return r;
    }
    if (len < header) {
        return r;
    }
    const uint8_t* q = f + header;
    std::size_t n = len - header;
    // Q.931 4.2-4.4: protocol discriminator, call reference length (low 4
    // bits) and value, message type.
    if (n < 1) {
        r.kind = Q931FrameKind::too_short;
        return r;
    }
    bool maintenance = q[0] == 0x03 || q[0] == 0x43;
    if (q[0] != 0x08 && !maintenance) {
        r.kind = Q931FrameKind::bad_protocol;
        return r;
    }
    if (n < 2 || n < 2 + static_cast<std::size_t>(q[1] & 0x0f) + 1) {
        r.kind = Q931FrameKind::too_short;
        return r;
    }
    r.kind = Q931FrameKind::message;
    r.index = q931_message_index(q[2 + (q[1] & 0x0f)], maintenance);
    const std::size_t cr_len = q[1] & 0x0f;
    if (cr_len > 0 && cr_len <= 2) {
        int32_t v = 0;
        for (std::size_t k = 0; k < cr_len; ++k) {
            v = v << 8 | q[2 + k];
        }
        r.call_reference = v;
        r.call_reference_len = static_cast<uint8_t>(cr_len);
    }
    return r;
}

std::optional<std::size_t> q931_message_of_frame(const uint8_t* f, std::size_t len)
{
    Q931FrameInfo i = q931_inspect(f, len);
    if (i.kind != Q931FrameKind::message) {
        return std::nullopt;
    }
    return i.index;
}

}  // namespace trunkgw::isdn
