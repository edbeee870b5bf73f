// Any bit stream into the E1 deframer: no crash, no overflow, no UB.
#include <cstddef>
#include <cstdint>

#include "tdm/e1/e1_deframer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    if (size < 1) {
        return 0;
    }
    trunkgw::tdm::E1Deframer d((data[0] & 1) != 0);
    static uint8_t frames[64 * 32];
    // Feed in uneven slices, as packets arrive.
    std::size_t off = 1;
    while (off < size) {
        std::size_t n = 1 + (data[off] % 200);
        if (n > size - off) {
            n = size - off;
        }
        std::size_t got = d.feed(data + off, n, frames, 64);
        if (got > 64) {
            __builtin_trap();
        }
        off += n;
    }
    (void)d.alarms();
    (void)d.take_errored_smfs();
    return 0;
}
