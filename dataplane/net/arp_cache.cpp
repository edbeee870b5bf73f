// The ARP cache; see arp_cache.h.
#include "dataplane/net/arp_cache.h"

#include <stdexcept>

#include "dataplane/net/ipv4.h"

namespace trunkgw::net {

namespace {

constexpr uint64_t second_ns = 1'000'000'000;

}  // namespace

ArpCache::ArpCache(std::size_t capacity, ArpTimers timers) : _capacity(capacity), _timers(timers)
{
    if (capacity == 0 || capacity > 65536) {
        throw std::invalid_argument("ARP cache capacity must be 1..65536");
    }
    if (timers.reachable_ns < second_ns || timers.reachable_ns > 3600 * second_ns) {
        throw std::invalid_argument("ARP reachable time must be 1 s .. 1 h");
    }
    if (timers.retransmit_ns < second_ns / 10 || timers.retransmit_ns > 60 * second_ns) {
        throw std::invalid_argument("ARP retransmit time must be 100 ms .. 60 s");
    }
    if (timers.max_probes < 1 || timers.max_probes > 10) {
        throw std::invalid_argument("ARP max probes must be 1..10");
    }
    std::size_t n = 2;
    unsigned bits = 1;
    while (n < 2 * capacity) {
        n *= 2;
        ++bits;
    }
    _slots.resize(n);
    _mask = n - 1;
    _shift = 32 - bits;
}

std::size_t ArpCache::home(uint32_t ip) const
{
    // Fibonacci hashing (Knuth, TAOCP 6.4): the top bits of ip * 2^32/phi.
    return static_cast<std::size_t>((ip * 2654435769u) >> _shift);
}

std::size_t ArpCache::slot_of(uint32_t ip) const
{
    for (std::size_t i = home(ip);; i = (i + 1) & _mask) {
        const Entry& e = _slots[i];
        if (e.state == ArpState::free) {
            return npos;
        }
        if (e.ip == ip) {
            return i;
        }
    }
}

std::size_t ArpCache::insert(uint32_t ip)
{
    // The table is at most half full, so a free slot is always found.
    std::size_t i = home(ip);
    while (_slots[i].state != ArpState::free) {
        i = (i + 1) & _mask;
    }
    _slots[i] = Entry{};
    _slots[i].ip = ip;
    ++_size;
    return i;
}

void ArpCache::erase(std::size_t slot)
{
    // Backward-shift deletion (Knuth, TAOCP 6.4 Algorithm R): move later
    // members of the probe run into the hole so lookups need no tombstones.
    std::size_t hole = slot;
    for (std::size_t j = (hole + 1) & _mask; _slots[j].state != ArpState::free; j = (j + 1) & _mask) {
        std::size_t h = home(_slots[j].ip);
        // j may move to hole unless its home lies cyclically in (hole, j].
        bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
        if (!stays) {
            _slots[hole] = _slots[j];
            hole = j;
        }
    }
    _slots[hole] = Entry{};
    --_size;
}

bool ArpCache::age(std::size_t slot, uint64_t now_ns)
{
    Entry& e = _slots[slot];
    if (e.state == ArpState::reachable && now_ns - e.confirmed_ns >= _timers.reachable_ns) {
        e.state = ArpState::stale;
        e.probes = 0;
    }
    if ((e.state == ArpState::incomplete || e.state == ArpState::stale) && e.probes >= _timers.max_probes &&
        now_ns - e.requested_ns >= _timers.retransmit_ns) {
        erase(slot);
        ++_counters.timeouts;
        return true;
    }
    return false;
}

bool ArpCache::make_room(uint64_t now_ns)
{
    if (_size < _capacity) {
        return true;
    }
    expire(now_ns);
    if (_size < _capacity) {
        return true;
    }
    std::size_t oldest = npos;
    for (std::size_t i = 0; i < _slots.size(); ++i) {
        const Entry& e = _slots[i];
        if (e.state == ArpState::stale && (oldest == npos || e.confirmed_ns < _slots[oldest].confirmed_ns)) {
            oldest = i;
        }
    }
    if (oldest == npos) {
        ++_counters.refused;
        return false;
    }
    erase(oldest);
    ++_counters.evictions;
    return true;
}

ArpResolution ArpCache::resolve(uint32_t ip, uint64_t now_ns)
{
    ArpResolution r;
    std::size_t slot = slot_of(ip);
    if (slot != npos && age(slot, now_ns)) {
        slot = npos;
    }
    if (slot != npos) {
        Entry& e = _slots[slot];
        bool due = e.probes == 0 || now_ns - e.requested_ns >= _timers.retransmit_ns;
        if (e.state == ArpState::incomplete) {
            ++_counters.misses;
            r.status = ArpStatus::pending;
        } else {
            ++_counters.hits;
            r.status = ArpStatus::resolved;
            r.mac = e.mac;
        }
        if (e.state != ArpState::reachable && due) {
            r.action = e.state == ArpState::incomplete ? ArpAction::send_request : ArpAction::send_poll;
            ++e.probes;
            e.requested_ns = now_ns;
            ++_counters.requests_sent;
        }
        return r;
    }
    ++_counters.misses;
    // Never ask the link for an address no host can have (RFC 1122
    // 3.2.1.3): it would be a broadcast nobody answers.
    if (!ipv4_source_valid(ip)) {
        ++_counters.refused;
        return r;
    }
    if (!make_room(now_ns)) {
        return r;  // refused, counted by make_room()
    }
    Entry& e = _slots[insert(ip)];
    e.state = ArpState::incomplete;
    e.confirmed_ns = now_ns;
    e.requested_ns = now_ns;
    e.probes = 1;
    ++_counters.requests_sent;
    r.status = ArpStatus::pending;
    r.action = ArpAction::send_request;
    return r;
}

ArpMergeResult ArpCache::merge(uint32_t sender_ip, const MacAddress& sender_mac, bool target_is_us, uint64_t now_ns)
{
    if (!ipv4_source_valid(sender_ip) || is_group_mac(sender_mac) || sender_mac == MacAddress{}) {
        ++_counters.ignored;
        return ArpMergeResult::ignored;
    }
    std::size_t slot = slot_of(sender_ip);
    ArpMergeResult result = ArpMergeResult::updated;
    if (slot != npos) {
        Entry& e = _slots[slot];
        if (e.state != ArpState::incomplete && e.mac != sender_mac) {
            ++_counters.mac_changes;
        }
        ++_counters.updated;
    } else {
        if (!target_is_us) {
            return ArpMergeResult::not_kept;
        }
        if (!make_room(now_ns)) {
            return ArpMergeResult::refused;
        }
        slot = insert(sender_ip);
        ++_counters.learned;
        result = ArpMergeResult::learned;
    }
    Entry& e = _slots[slot];
    e.state = ArpState::reachable;
    e.mac = sender_mac;
    e.confirmed_ns = now_ns;
    e.probes = 0;
    return result;
}

std::size_t ArpCache::expire(uint64_t now_ns)
{
    std::size_t deleted = 0;
    std::size_t i = 0;
    while (i < _slots.size()) {
        // A deletion shifts later entries into slot i: look at it again.
        if (_slots[i].state != ArpState::free && age(i, now_ns)) {
            ++deleted;
            continue;
        }
        ++i;
    }
    return deleted;
}

ArpEntryInfo ArpCache::find(uint32_t ip) const
{
    ArpEntryInfo info;
    std::size_t slot = slot_of(ip);
    if (slot != npos) {
        const Entry& e = _slots[slot];
        info.state = e.state;
        info.mac = e.mac;
        info.probes = e.probes;
        info.confirmed_ns = e.confirmed_ns;
    }
    return info;
}

}  // namespace trunkgw::net
