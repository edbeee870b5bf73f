// DTMF detection in G.711 audio; see dtmf.h.
#include "bench/audio/dtmf.h"

#include <memory>
#include <vector>

#include <spandsp.h>

namespace trunkgw::audio {

std::string dtmf_digits(std::span<const uint8_t> octets, Law law)
{
    std::string digits;
    auto on_digits = [](void* user, const char* d, int len) { static_cast<std::string*>(user)->append(d, static_cast<std::size_t>(len)); };
    std::unique_ptr<dtmf_rx_state_t, int (*)(dtmf_rx_state_t*)> rx(dtmf_rx_init(nullptr, on_digits, &digits),
                                                                   dtmf_rx_free);
    std::vector<int16_t> lin(octets.size());
    for (std::size_t i = 0; i < octets.size(); ++i) {
        lin[i] = decode(law, octets[i]);
    }
    // In 160-sample pieces, as a channel would deliver them.
    for (std::size_t i = 0; i < lin.size(); i += 160) {
        std::size_t n = lin.size() - i < 160 ? lin.size() - i : 160;
        dtmf_rx(rx.get(), lin.data() + i, static_cast<int>(n));
    }
    return digits;
}

}  // namespace trunkgw::audio
