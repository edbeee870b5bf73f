// [control] heap_reserve_mb: the reserve is faulted in (resident) and left
// in the heap, free for the calls, not given back to the kernel.
#include <catch2/catch.hpp>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "control/heap_reserve.h"

namespace {

// Resident pages of this process, in bytes (/proc/self/statm, field 2).
std::size_t resident_bytes()
{
    std::ifstream in("/proc/self/statm");
    std::size_t size = 0, resident = 0;
    in >> size >> resident;
    return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// Minor page faults this process has taken so far.
long minor_faults()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

}  // namespace

TEST_CASE("heap reserve: faulted in at start, kept in the heap as free space", "[heap]")
{
    constexpr std::size_t mb = std::size_t{1} << 20;
    const std::size_t rss_before = resident_bytes();
    REQUIRE(trunkgw::control::configure_heap(32) == 32 * mb);
    // At least half of it new: earlier tests may have left free, resident
    // memory in the heap that the reserve reused.
    CHECK(resident_bytes() >= rss_before + 16 * mb);
    // Freed into the heap, not unmapped: free bytes in the main arena.
    struct mallinfo2 mi = mallinfo2();
    CHECK(mi.arena >= 32 * mb);
    CHECK(mi.fordblks >= 32 * mb);
    // And used from there: 16 MB of small blocks fault (almost) nothing in
    // (without the reserve: one fault per 4 KB page, ~4,000).
    std::vector<void*> blocks;
    blocks.reserve(16 * 1024);
    const long faults_before = minor_faults();
    for (int i = 0; i < 16 * 1024; ++i) {
        blocks.push_back(malloc(1000));
        std::memset(blocks.back(), 1, 1000);
    }
    CHECK(minor_faults() - faults_before < 256);
    for (void* p : blocks) {
        free(p);
    }
    CHECK(trunkgw::control::configure_heap(0) == 0);
}
