// A worker's preallocated media sessions; see session_pool.h.
#include "dataplane/media/session_pool.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace trunkgw::media {

namespace {

std::size_t checked_count(std::size_t count)
{
    if (count == 0 || count > static_cast<std::size_t>(INT32_MAX)) {
        throw std::invalid_argument("session pool: the session count must be 1..2147483647");
    }
    return count;
}

}  // namespace

SessionPool::SessionPool(std::size_t count, const MediaSessionLimits& limits)
    : _limits(limits), _free(new int32_t[checked_count(count)]), _used(new uint8_t[count])
{
    _sessions.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        _sessions.emplace_back(limits);
    }
    // Hand out 0, 1, 2, ... first.
    for (std::size_t i = 0; i < count; ++i) {
        _free[i] = static_cast<int32_t>(count - 1 - i);
    }
    _free_count = count;
    std::memset(_used.get(), 0, count);
}

int32_t SessionPool::acquire()
{
    if (_free_count == 0) {
        return -ENOSPC;
    }
    int32_t index = _free[--_free_count];
    _used[static_cast<std::size_t>(index)] = 1;
    return index;
}

int SessionPool::release(int32_t index)
{
    if (!acquired(index)) {
        return -EINVAL;
    }
    _sessions[static_cast<std::size_t>(index)].release();
    _used[static_cast<std::size_t>(index)] = 0;
    _free[_free_count++] = index;
    return 0;
}

}  // namespace trunkgw::media
