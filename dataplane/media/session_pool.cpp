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
    : _limits(limits), _free(new int32_t[checked_count(count)]), _pos(new int32_t[count]), _used(new uint8_t[count])
{
    _sessions.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        _sessions.emplace_back(limits);
    }
    // Hand out 0, 1, 2, ... first.
    for (std::size_t i = 0; i < count; ++i) {
        _free[i] = static_cast<int32_t>(count - 1 - i);
        _pos[count - 1 - i] = static_cast<int32_t>(i);
    }
    _free_count = count;
    std::memset(_used.get(), 0, count);
}

int32_t SessionPool::acquire()
{
    if (_free_count == 0) {
        return -ENOSPC;
    }
    int32_t index = _free[_free_count - 1];
    take_free(_free_count - 1);
    return index;
}

int SessionPool::acquire_at(int32_t index)
{
    if (index < 0 || static_cast<std::size_t>(index) >= _sessions.size()) {
        return -EINVAL;
    }
    if (_used[static_cast<std::size_t>(index)] != 0) {
        return -EBUSY;
    }
    take_free(static_cast<std::size_t>(_pos[static_cast<std::size_t>(index)]));
    return 0;
}

void SessionPool::take_free(std::size_t pos)
{
    // Swap the top of the stack into the hole.
    int32_t index = _free[pos];
    int32_t top = _free[_free_count - 1];
    _free[pos] = top;
    _pos[static_cast<std::size_t>(top)] = static_cast<int32_t>(pos);
    --_free_count;
    _used[static_cast<std::size_t>(index)] = 1;
}

int SessionPool::release(int32_t index)
{
    if (!acquired(index)) {
        return -EINVAL;
    }
    _sessions[static_cast<std::size_t>(index)].release();
    _used[static_cast<std::size_t>(index)] = 0;
    _pos[static_cast<std::size_t>(index)] = static_cast<int32_t>(_free_count);
    _free[_free_count++] = index;
    return 0;
}

}  // namespace trunkgw::media
