// The control process's heap; see heap_reserve.h.
#include "control/heap_reserve.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace trunkgw::control {

namespace {

constexpr std::size_t mib = std::size_t{1} << 20;
// Requests at or above this come from mmap and go back on free; below it,
// from the heap, which is given back only above the trim threshold.
constexpr std::size_t mmap_threshold = 4 * mib;
// Faulted in a block at a time: below the mmap threshold, so from the heap.
constexpr std::size_t reserve_block = mib;

}  // namespace

std::size_t configure_heap(uint32_t reserve_mb)
{
    const std::size_t reserve = reserve_mb * mib;
    // With glibc's defaults the top of the heap went back to the kernel
    // and was faulted in again over and over (page faults were 5 % of the
    // control's CPU at 1,500 calls/s). Keep what the busy hour needed, and
    // grow in steps of 16 MB.
    mallopt(M_TRIM_THRESHOLD, static_cast<int>(256 * mib + reserve));
    mallopt(M_TOP_PAD, static_cast<int>(16 * mib));
    mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmap_threshold));
    std::vector<void*> blocks;
    blocks.reserve(reserve / reserve_block);
    std::size_t touched = 0;
    while (touched < reserve) {
        void* p = std::malloc(reserve_block);
        if (p == nullptr) {
            break;
        }
        std::memset(p, 0, reserve_block);
        // The stores must happen although the block is freed unread.
        asm volatile("" : : "r"(p) : "memory");
        blocks.push_back(p);
        touched += reserve_block;
    }
    // Freed, the blocks merge into the heap's top, which stays below the
    // trim threshold: resident and free for the calls.
    for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
        std::free(*it);
    }
    return touched;
}

}  // namespace trunkgw::control
