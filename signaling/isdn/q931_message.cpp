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

std::optional<std::size_t> q931_message_of_frame(const uint8_t* f, std::size_t len)
{
    // Q.921 3.2: address (2 octets, SAPI in the first's upper 6 bits),
    // then a 2-octet control field whose bit 1 is 0 for an I-frame.
    if (len < 4 || (f[0] >> 2) != 0 || (f[2] & 0x01) != 0) {
        return std::nullopt;
    }
    const uint8_t* q = f + 4;
    std::size_t n = len - 4;
    // Q.931 4.2-4.4: protocol discriminator, call reference length (low 4
    // bits) and value, message type.
    if (n < 3) {
        return std::nullopt;
    }
    bool maintenance = q[0] == 0x03 || q[0] == 0x43;
    if (q[0] != 0x08 && !maintenance) {
        return std::nullopt;
    }
    std::size_t cref_len = q[1] & 0x0f;
    if (n < 2 + cref_len + 1) {
        return std::nullopt;
    }
    return q931_message_index(q[2 + cref_len], maintenance);
}

}  // namespace trunkgw::isdn
