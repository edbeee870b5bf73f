// The ARP cache of one port (RFC 826 "translation table", kept as RFC 1122
// 2.3.2.1 "ARP Cache Validation" asks): IPv4 address -> MAC, for the peers
// and gateways our media goes to. Owned by the one worker that transmits on
// the port; fixed capacity set at construction; time comes in as now_ns (any
// monotonic clock, e.g. the TSC converted; it must never go backwards), so it
// makes no syscall, and nothing after the constructor allocates or throws.
// Lookups are O(1) (open addressing); only a new address arriving at a full
// table costs a pass over it (O(capacity)).
//
// The responders never need it: ARP and echo replies go back to the MAC the
// request came from. Only our own transmissions (media) resolve.
//
// States of an entry:
//   incomplete  a request went out, no answer yet; nothing to send to
//   reachable   confirmed within reachable_ns; used as is
//   stale       confirmed longer ago: still used, and each use polls the
//               peer with a unicast request, at most one per retransmit_ns
//               (RFC 1122 2.3.2.1 (2) "Unicast Poll")
// An incomplete entry whose max_probes requests went unanswered, or a stale
// one whose max_probes polls did, is deleted ("delete the entry if no ARP
// Reply is received from N successive polls") and counted as a timeout; the
// next resolve() starts again with a broadcast request. Requests for one
// address are never closer than retransmit_ns (RFC 1122 2.3.2.1: "A
// mechanism to prevent ARP flooding (repeatedly sending an ARP Request for
// the same IP address, at a high rate) MUST be included. The recommended
// maximum rate is 1 per second per destination.").
//
// Packets for an unresolved address are dropped, not queued: resolve()
// returns `pending` and the caller counts the drop ("no ARP entry"). RFC
// 1122 2.3.2.2 says a host "SHOULD save (rather than discard) at least one
// (the latest) packet"; we deviate because every packet we send is
// real-time media (RTP every 10-30 ms, pseudowires every 1-5 ms): the next
// one follows before any ARP reply can arrive, a held packet would be late
// when released, and holding mbufs here would tie this table to DPDK. The
// worker resolves a peer when its session is created, so the first packets
// rarely meet an unresolved address.
//
// When the table is full, a new address first makes the cache drop its
// timed-out entries, then evicts the stale entry confirmed longest ago. If
// every entry is incomplete or reachable, the new address is refused
// (counted) rather than pushing out a live peer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/net/ethernet.h"

namespace trunkgw::net {

// Timers by spec name (STYLE.md practice 7); all in nanoseconds.
struct ArpTimers {
    // RFC 1122 2.3.2.1 (1) "Timeout": "periodically time out cache entries,
    // even if they are in use ... the timeout should be on the order of a
    // minute". Time from the last confirmation to stale. Range 1 s .. 1 h.
    uint64_t reachable_ns = 60'000'000'000;
    // RFC 1122 2.3.2.1 flood prevention: time between two requests for one
    // address. Range 100 ms .. 60 s (below 1 s only for tests of a lab).
    uint64_t retransmit_ns = 1'000'000'000;
    // RFC 1122 2.3.2.1 (2) "N successive polls", "typically N is 2"; we
    // send 3, as Linux does (ucast_solicit, mcast_solicit). Range 1 .. 10.
    uint32_t max_probes = 3;
};

enum class ArpState : uint8_t { free = 0, incomplete, reachable, stale };

enum class ArpStatus : uint8_t {
    resolved,  // mac is valid: send
    pending,   // no MAC yet: drop the packet ("no ARP entry")
    refused,   // not resolvable: invalid address or table full of live entries
};

enum class ArpAction : uint8_t {
    none,
    send_request,  // broadcast build_arp_request() now
    send_poll,     // unicast build_arp_request() to mac now
};

struct ArpResolution {
    ArpStatus status = ArpStatus::refused;
    ArpAction action = ArpAction::none;
    MacAddress mac{};
};

enum class ArpMergeResult : uint8_t {
    updated,   // an entry existed: MAC and confirmation refreshed (RFC 826 Merge_flag)
    learned,   // none existed and we are the target: added
    not_kept,  // none existed and we are not the target (RFC 826: nothing to do)
    refused,   // table full of live entries
    ignored,   // sender address unusable: 0/8, loopback, multicast, class E, group MAC
};

struct ArpCacheCounters {
    uint64_t hits = 0;           // resolve() found a MAC
    uint64_t misses = 0;         // resolve() found none (pending or refused)
    uint64_t requests_sent = 0;  // send_request + send_poll actions returned
    uint64_t timeouts = 0;       // entries deleted after max_probes unanswered requests
    uint64_t evictions = 0;      // stale entries pushed out by a new address
    uint64_t learned = 0;        // entries added by merge()
    uint64_t updated = 0;        // entries refreshed by merge()
    uint64_t mac_changes = 0;    // of those, with a different MAC (failover, or spoofing)
    uint64_t refused = 0;        // new addresses refused: table full of live entries
    uint64_t ignored = 0;        // merge() of an unusable sender
};

// A copy of one entry, for tests and for trunkctl.
struct ArpEntryInfo {
    ArpState state = ArpState::free;
    MacAddress mac{};
    uint32_t probes = 0;        // requests sent since the last confirmation
    uint64_t confirmed_ns = 0;  // last confirmation (incomplete: creation)
};

class ArpCache {
public:
    // Control-side: allocates the table; throws std::invalid_argument for a
    // capacity of 0 or above 65536, or timers outside their ranges.
    explicit ArpCache(std::size_t capacity, ArpTimers timers = {});

    // The MAC to send to ip at now_ns, and the ARP request the caller must
    // send now, if any. Creates an incomplete entry for a new address.
    ArpResolution resolve(uint32_t ip, uint64_t now_ns);

    // RFC 826 "Packet reception" for a received ARP packet (request or
    // reply, see verdict_wants_arp_merge()): "If the pair <protocol type,
    // sender protocol address> is already in my translation table, update
    // the sender hardware address field of the entry with the new
    // information in the packet and set Merge_flag to true. ?Am I the target
    // protocol address? Yes: If Merge_flag is false, add the triplet
    // <protocol type, sender protocol address, sender hardware address> to
    // the translation table." Either way the entry becomes reachable.
    ArpMergeResult merge(uint32_t sender_ip, const MacAddress& sender_mac, bool target_is_us, uint64_t now_ns);

    // Ages every entry (reachable -> stale, deletes timed-out ones) and
    // returns how many were deleted. O(capacity): call it from housekeeping
    // (e.g. once a second), not per packet; resolve() ages what it touches.
    std::size_t expire(uint64_t now_ns);

    // The entry for ip as it is (no ageing, no counting); state free if none.
    ArpEntryInfo find(uint32_t ip) const;

    std::size_t size() const { return _size; }
    std::size_t capacity() const { return _capacity; }
    const ArpTimers& timers() const { return _timers; }
    const ArpCacheCounters& counters() const { return _counters; }

private:
    struct Entry {
        uint32_t ip = 0;
        ArpState state = ArpState::free;
        uint8_t probes = 0;
        MacAddress mac{};
        uint64_t confirmed_ns = 0;
        uint64_t requested_ns = 0;
    };
    static constexpr std::size_t npos = ~std::size_t{0};

    std::size_t home(uint32_t ip) const;
    std::size_t slot_of(uint32_t ip) const;
    std::size_t insert(uint32_t ip);
    void erase(std::size_t slot);
    bool age(std::size_t slot, uint64_t now_ns);  // true if the entry was deleted
    bool make_room(uint64_t now_ns);

    std::size_t _capacity;
    ArpTimers _timers;
    std::vector<Entry> _slots;  // open addressing, linear probing; size a power of two >= 2 * capacity
    std::size_t _mask;
    unsigned _shift;
    std::size_t _size = 0;
    ArpCacheCounters _counters;
};

}  // namespace trunkgw::net
