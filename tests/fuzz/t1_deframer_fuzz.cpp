// Any bit stream into the T1 deframer (ESF and D4).
#include <cstddef>
#include <cstdint>

#include "tdm/t1/t1_deframer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    if (size < 1) {
        return 0;
    }
    trunkgw::tdm::T1Deframer d((data[0] & 1) != 0 ? trunkgw::tdm::T1Framing::esf : trunkgw::tdm::T1Framing::d4);
    static uint8_t frames[80 * 24];
    std::size_t off = 1;
    while (off < size) {
        std::size_t n = 1 + (data[off] % 200);
        if (n > size - off) {
            n = size - off;
        }
        std::size_t got = d.feed(data + off, n, frames, 80);
        if (got > 80) {
            __builtin_trap();
        }
        off += n;
    }
    (void)d.alarms();
    return 0;
}
