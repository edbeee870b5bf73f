// The control process's heap: kept once grown, and optionally faulted in
// at start-up.
//
// Every SIP message and call allocates and frees (Sofia's homes and
// messages, libpri's calls, our records), and Sofia keeps each completed
// transaction for 64*T1 = 32 s (RFC 3261 17.2.2 Timer J; RFC 6026 for
// accepted INVITEs): about 15 KB per call, so the heap grows by some
// 30 MB/s for the first half minute of 2,000 calls/s. Each new page is a
// fault taken on the event loop's thread, the thread that limits the call
// rate: page faults were 8-11 % of it while a bench step ramped to 1,500
// calls/s (perf record --call-graph dwarf). [control] heap_reserve_mb
// faults that much heap in before the first call, so a surge (a failover,
// the busy hour) finds it resident; it costs that much memory from the
// start. Size: calls/s x 32 s x 15 KB at the rate to absorb.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trunkgw::control {

// Sets glibc's trim, top pad and mmap thresholds (the heap is given back
// only above the reserve + 256 MB) and faults `reserve_mb` MB of heap in.
// Returns the bytes faulted in (less than asked when malloc failed).
std::size_t configure_heap(uint32_t reserve_mb);

}  // namespace trunkgw::control
