// Service loop on the main lcore; see service.h.
#include "dataplane/service.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "dataplane/api/attach_socket.h"

namespace trunkgw::dataplane {

namespace {

// The service loop wakes at least this often to signal control and beat.
constexpr int service_period_ms = 1;

}  // namespace

Service::Service(api::Segment& segment, std::string socket_path)
    : _segment(segment), _path(std::move(socket_path))
{
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(_path).parent_path(), ec);
    if (ec) {
        throw std::runtime_error(fmt::format("cannot create {}: {}",
                                             std::filesystem::path(_path).parent_path().string(), ec.message()));
    }
    _listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (_listen_fd < 0) {
        throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, _path.c_str(), sizeof(addr.sun_path) - 1);
    // A socket file left by a data plane that died is stale: we hold the
    // instance's segment now, so no other data plane of this name runs.
    unlink(_path.c_str());
    if (bind(_listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(_listen_fd, 4) != 0) {
        int e = errno;
        close(_listen_fd);
        throw std::runtime_error(fmt::format("cannot listen on {}: {}", _path, std::strerror(e)));
    }
    chmod(_path.c_str(), 0600);
}

Service::~Service()
{
    if (_conn_fd >= 0) {
        detach_control("data plane shutting down");
    }
    if (_listen_fd >= 0) {
        close(_listen_fd);
        unlink(_path.c_str());
    }
}

void Service::accept_control()
{
    int fd = accept4(_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
        return;
    }
    auto& h = _segment.header();
    // The hello follows the connect at once; do not let a stuck client hold
    // the service loop.
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    api::AttachHello hello{};
    int efd = -1;
    long n = api::recv_with_fd(fd, &hello, sizeof(hello), &efd);
    api::AttachReply reply{};
    reply.abi_version = api::abi_version;
    reply.epoch = h.epoch;
    if (n != sizeof(hello) || hello.magic != api::attach_hello_magic || efd < 0) {
        reply.verdict = static_cast<uint32_t>(api::AttachVerdict::malformed);
    } else if (hello.abi_version != api::abi_version) {
        reply.verdict = static_cast<uint32_t>(api::AttachVerdict::abi_mismatch);
    } else if (hello.epoch_seen != h.epoch) {
        reply.verdict = static_cast<uint32_t>(api::AttachVerdict::epoch_mismatch);
    } else if (_conn_fd >= 0) {
        reply.verdict = static_cast<uint32_t>(api::AttachVerdict::busy);
        reply.attached_pid = h.control_pid.load();
    } else {
        reply.verdict = static_cast<uint32_t>(api::AttachVerdict::accepted);
    }
    api::send_with_fd(fd, &reply, sizeof(reply), -1);
    auto verdict = static_cast<api::AttachVerdict>(reply.verdict);
    if (verdict != api::AttachVerdict::accepted) {
        spdlog::warn("refused attach from control pid {} (ABI {}): {}", hello.control_pid,
                     hello.abi_version, api::attach_verdict_name(verdict));
        h.control_refusals.fetch_add(1, std::memory_order_relaxed);
        if (efd >= 0) {
            close(efd);
        }
        close(fd);
        return;
    }
    _conn_fd = fd;
    _wakeup_fd = efd;
    h.control_pid.store(hello.control_pid, std::memory_order_release);
    h.control_attaches.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("control pid {} attached", hello.control_pid);
    // Whatever queued up while nobody listened is waiting to be read.
    signal_control();
}

void Service::detach_control(const char* why)
{
    auto& h = _segment.header();
    spdlog::info("control pid {} detached: {}", h.control_pid.load(), why);
    close(_conn_fd);
    close(_wakeup_fd);
    _conn_fd = -1;
    _wakeup_fd = -1;
    h.control_pid.store(0, std::memory_order_release);
}

void Service::signal_control()
{
    if (_wakeup_fd < 0) {
        return;
    }
    uint64_t one = 1;
    if (write(_wakeup_fd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
        spdlog::warn("eventfd write: {}", std::strerror(errno));
    }
}

void Service::run(const std::atomic<bool>& stop)
{
    auto& h = _segment.header();
    while (!stop.load(std::memory_order_relaxed)) {
        pollfd fds[2] = {{_listen_fd, POLLIN, 0}, {_conn_fd, POLLIN, 0}};
        int n = poll(fds, _conn_fd >= 0 ? 2 : 1, service_period_ms);
        if (n > 0) {
            if (fds[0].revents & POLLIN) {
                accept_control();
            }
            if (_conn_fd >= 0 && fds[1].revents != 0) {
                char buf[64];
                ssize_t r = recv(_conn_fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                    detach_control(r == 0 ? "connection closed" : std::strerror(errno));
                }
            }
        }
        h.dataplane_heartbeat_mono_ns.store(api::mono_ns(), std::memory_order_relaxed);
        if (_wakeup_fd < 0) {
            continue;
        }
        bool wake = false;
        for (uint32_t i = 0; i < h.n_workers; ++i) {
            wake |= api::ring_take_wakeup(_segment.ring_at(_segment.worker(i).evt_ring_off));
        }
        for (uint32_t i = 0; i < h.n_spans; ++i) {
            wake |= api::ring_take_wakeup(_segment.ring_at(_segment.span(i).dchan_rx_off));
        }
        if (wake) {
            signal_control();
        }
    }
    h.stopping.store(1, std::memory_order_release);
}

}  // namespace trunkgw::dataplane
