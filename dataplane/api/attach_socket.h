// The attach handshake on the data plane's unix socket.
//
// The segment carries the data; this socket carries the things shared memory
// cannot: who is attached (the data plane notices control's death as EOF, at
// once, without heartbeats) and the eventfd the data plane writes to wake
// control when events arrive (passed with SCM_RIGHTS), so control never
// busy-polls its event rings.
//
//   control -> data plane: AttachHello + eventfd (SCM_RIGHTS)
//   data plane -> control: AttachReply
// The connection then stays open and silent for the life of the attach.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trunkgw::api {

inline constexpr uint32_t attach_hello_magic = 0x544c4548;  // "HELT"

struct AttachHello {
    uint32_t magic;
    uint32_t abi_version;
    int32_t control_pid;
    uint32_t pad;
    uint64_t epoch_seen;  // segment epoch control mapped (0: first attach)
};
static_assert(sizeof(AttachHello) == 24);

enum class AttachVerdict : uint32_t {
    accepted = 0,
    abi_mismatch = 1,
    epoch_mismatch = 2,  // control mapped a segment of an earlier data plane
    busy = 3,            // another control process is attached
    malformed = 4,
};

struct AttachReply {
    uint32_t verdict;  // AttachVerdict
    uint32_t abi_version;
    uint64_t epoch;
    int32_t attached_pid;  // when busy: the control already attached
    uint32_t pad;
};
static_assert(sizeof(AttachReply) == 24);

const char* attach_verdict_name(AttachVerdict v);

// "<run_dir>/<instance>-dataplane.sock"
std::string attach_socket_path(std::string_view run_dir, std::string_view instance);

// Sends `len` bytes and, if fd >= 0, the descriptor. Returns 0 or -errno.
int send_with_fd(int sock, const void* buf, std::size_t len, int fd);

// Receives exactly `len` bytes (one message) and at most one descriptor into
// *fd (-1 when none). Returns bytes read (0 on EOF) or -errno.
long recv_with_fd(int sock, void* buf, std::size_t len, int* fd);

}  // namespace trunkgw::api
