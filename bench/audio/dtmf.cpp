// DTMF detection in G.711 audio; see dtmf.h.
#include "bench/audio/dtmf.h"

#include <memory>
#include <stdexcept>
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

std::vector<uint8_t> dtmf_keyed(const std::string& digits, Law law, int on_ms, int off_ms, int level_dbm0)
{
    if (digits.find_first_not_of("0123456789*#ABCD") != std::string::npos) {
        throw std::invalid_argument("DTMF digits: only 0-9, *, #, A-D, not \"" + digits + "\"");
    }
    std::unique_ptr<dtmf_tx_state_t, int (*)(dtmf_tx_state_t*)> tx(dtmf_tx_init(nullptr), dtmf_tx_free);
    dtmf_tx_set_timing(tx.get(), on_ms, off_ms);
    dtmf_tx_set_level(tx.get(), level_dbm0, 0);  // no twist: both tones at the level
    dtmf_tx_put(tx.get(), digits.c_str(), static_cast<int>(digits.size()));
    std::vector<uint8_t> out;
    int16_t lin[160];
    for (int n; (n = dtmf_tx(tx.get(), lin, 160)) > 0;) {
        for (int i = 0; i < n; ++i) {
            out.push_back(encode(law, lin[i]));
        }
    }
    return out;
}

}  // namespace trunkgw::audio
