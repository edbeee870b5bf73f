// Any octet stream into the D-channel HDLC receiver.
#include <cstddef>
#include <cstdint>

#include "tdm/hdlc/hdlc_channel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    static std::size_t delivered = 0;
    trunkgw::tdm::HdlcChannel h(
        [](void*, const uint8_t* frame, std::size_t len) {
            if (len > trunkgw::tdm::HdlcChannel::max_frame || frame == nullptr) {
                __builtin_trap();
            }
            ++delivered;
        },
        nullptr);
    h.rx_octets(data, size);
    uint8_t out[64];
    h.tx_octets(out, sizeof(out));
    return 0;
}
