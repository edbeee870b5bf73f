// A worker's media sessions: N idle MediaSessions built at start-up for the
// same limits, handed out and taken back by index through a free list.
// acquire(), release() and at() are O(1) and never allocate, throw or make
// a syscall; the index is what control's session commands carry.
//
// acquire() hands out a session still idle: the caller configure()s it
// (and release()s the index again if that fails). release() returns the
// session to idle and the index to the free list; the most recently
// released session is the next acquired (its memory is likely in cache),
// unless acquire_at() took it meanwhile: acquire_at() fills the hole it
// leaves in the free stack with the top, so the order after it is not LIFO.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/media/media_session.h"

namespace trunkgw::media {

class SessionPool {
public:
    // Builds `count` sessions (1..2^31 - 1) for `limits`; throws
    // std::invalid_argument for a bad count or limits (control side, at
    // start-up). std::bad_alloc when memory runs out.
    SessionPool(std::size_t count, const MediaSessionLimits& limits);

    // An idle session's index, or -ENOSPC when all are in use.
    int32_t acquire();
    // Acquires exactly `index` (control chose the slot): 0, -EINVAL out of
    // range, -EBUSY in use.
    int acquire_at(int32_t index);
    // Releases the session and frees its index. -EINVAL for an index out of
    // range or not in use (nothing changes), else 0.
    int release(int32_t index);

    // The session at `index` (0 <= index < capacity(), not checked).
    MediaSession& at(int32_t index) { return _sessions[static_cast<std::size_t>(index)]; }
    const MediaSession& at(int32_t index) const { return _sessions[static_cast<std::size_t>(index)]; }
    bool acquired(int32_t index) const
    {
        return index >= 0 && static_cast<std::size_t>(index) < _sessions.size() &&
               _used[static_cast<std::size_t>(index)] != 0;
    }

    // Sessions acquired now.
    std::size_t in_use() const { return _sessions.size() - _free_count; }
    std::size_t capacity() const { return _sessions.size(); }
    const MediaSessionLimits& limits() const { return _limits; }

private:
    MediaSessionLimits _limits;
    std::vector<MediaSession> _sessions;
    void take_free(std::size_t pos);

    std::unique_ptr<int32_t[]> _free;  // a stack of free indexes, _free_count deep
    std::unique_ptr<int32_t[]> _pos;   // where each free index sits in _free
    std::size_t _free_count = 0;
    std::unique_ptr<uint8_t[]> _used;  // 1 while acquired
};

}  // namespace trunkgw::media
