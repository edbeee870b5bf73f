// Creation (data plane) and attach (control) of the shared-memory segment.
#include "dataplane/api/segment.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <utility>

namespace trunkgw::api {

namespace {

constexpr uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

std::array<uint32_t, layout_struct_count> expected_struct_sizes()
{
    return {sizeof(SegmentHeader), sizeof(WorkerBlock), sizeof(SpanBlock),
            sizeof(ChannelMirror), sizeof(SessionBlock), sizeof(RingHeader),
            sizeof(Message), sizeof(DchanFrame)};
}

const char* struct_name(std::size_t i)
{
    static constexpr const char* names[] = {"SegmentHeader", "WorkerBlock", "SpanBlock",
                                            "ChannelMirror", "SessionBlock", "RingHeader",
                                            "Message", "DchanFrame"};
    static_assert(std::size(names) == layout_struct_count);
    return names[i];
}

std::string errno_text(const char* what, const std::string& name)
{
    return std::string(what) + " " + name + ": " + std::strerror(errno);
}

void copy_name(char* dst, std::size_t cap, std::string_view src)
{
    std::size_t n = src.size() < cap - 1 ? src.size() : cap - 1;
    std::memcpy(dst, src.data(), n);
    dst[n] = '\0';
}

}  // namespace

std::string segment_name(std::string_view instance)
{
    return "/trunkgw-" + std::string(instance);
}

uint32_t span_channel_count(SpanKind kind) { return kind == SpanKind::e1 ? 31 : 24; }

// G.704 / Q.931 Annex A: the PRI D-channel is TS16 on E1 and TS24 on T1.
uint32_t span_dchannel_timeslot(SpanKind kind) { return kind == SpanKind::e1 ? 16 : 24; }

uint64_t mono_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t realtime_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

Segment::~Segment()
{
    if (_base != nullptr) {
        munmap(_base, _size);
    }
}

Segment::Segment(Segment&& o) noexcept
    : _base(std::exchange(o._base, nullptr)), _size(std::exchange(o._size, 0)),
      _name(std::move(o._name))
{
}

Segment& Segment::operator=(Segment&& o) noexcept
{
    if (this != &o) {
        if (_base != nullptr) {
            munmap(_base, _size);
        }
        _base = std::exchange(o._base, nullptr);
        _size = std::exchange(o._size, 0);
        _name = std::move(o._name);
    }
    return *this;
}

WorkerBlock& Segment::worker(uint32_t i) const
{
    auto* p = static_cast<uint8_t*>(_base) + header().workers_off;
    return reinterpret_cast<WorkerBlock*>(p)[i];
}

SpanBlock& Segment::span(uint32_t i) const
{
    auto* p = static_cast<uint8_t*>(_base) + header().spans_off;
    return reinterpret_cast<SpanBlock*>(p)[i];
}

ChannelMirror& Segment::channel(uint32_t i) const
{
    auto* p = static_cast<uint8_t*>(_base) + header().channels_off;
    return reinterpret_cast<ChannelMirror*>(p)[i];
}

SessionBlock& Segment::session(uint32_t i) const
{
    auto* p = static_cast<uint8_t*>(_base) + header().sessions_off;
    return reinterpret_cast<SessionBlock*>(p)[i];
}

RingHeader* Segment::ring_at(uint64_t off) const
{
    return reinterpret_cast<RingHeader*>(static_cast<uint8_t*>(_base) + off);
}

void Segment::unlink() const
{
    if (!_name.empty()) {
        shm_unlink(_name.c_str());
    }
}

Segment Segment::create(const SegmentSpec& spec)
{
    if (!ring_capacity_valid(spec.cmd_ring_capacity) || !ring_capacity_valid(spec.evt_ring_capacity) ||
        !ring_capacity_valid(spec.dchan_ring_capacity)) {
        throw std::runtime_error("ring capacities must be powers of two between 2 and 16777216");
    }
    uint32_t n_workers = static_cast<uint32_t>(spec.workers.size());
    uint32_t n_spans = static_cast<uint32_t>(spec.spans.size());
    uint32_t n_channels = 0;
    for (const auto& s : spec.spans) {
        n_channels += span_channel_count(s.kind);
    }

    // Lay out the regions, each cache-line aligned.
    uint64_t off = align_up(sizeof(SegmentHeader), cache_line);
    uint64_t workers_off = off;
    off = align_up(off + uint64_t{n_workers} * sizeof(WorkerBlock), cache_line);
    uint64_t spans_off = off;
    off = align_up(off + uint64_t{n_spans} * sizeof(SpanBlock), cache_line);
    uint64_t channels_off = off;
    off = align_up(off + uint64_t{n_channels} * sizeof(ChannelMirror), cache_line);
    uint32_t n_sessions = spec.sessions_per_worker * n_workers;
    uint64_t sessions_off = off;
    off = align_up(off + uint64_t{n_sessions} * sizeof(SessionBlock), cache_line);
    std::vector<std::pair<uint64_t, uint64_t>> worker_rings;  // cmd, evt
    for (uint32_t i = 0; i < n_workers; ++i) {
        uint64_t cmd = off;
        off = align_up(off + ring_bytes<Message>(spec.cmd_ring_capacity), cache_line);
        uint64_t evt = off;
        off = align_up(off + ring_bytes<Message>(spec.evt_ring_capacity), cache_line);
        worker_rings.emplace_back(cmd, evt);
    }
    std::vector<std::pair<uint64_t, uint64_t>> span_rings;  // rx, tx
    for (uint32_t i = 0; i < n_spans; ++i) {
        uint64_t rx = off;
        off = align_up(off + ring_bytes<DchanFrame>(spec.dchan_ring_capacity), cache_line);
        uint64_t tx = off;
        off = align_up(off + ring_bytes<DchanFrame>(spec.dchan_ring_capacity), cache_line);
        span_rings.emplace_back(rx, tx);
    }
    uint64_t size = align_up(off, 4096);

    std::string name = segment_name(spec.instance);
    // A segment left by a data plane that died is stale and is replaced; one
    // whose data plane is alive belongs to a running instance.
    if (int pid = running_dataplane_pid(spec.instance); pid != 0) {
        throw std::runtime_error("instance " + spec.instance + " is already running (trunkgw-dataplane pid " +
                                 std::to_string(pid) + ")");
    }
    shm_unlink(name.c_str());
    int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0) {
        throw std::runtime_error(errno_text("shm_open", name));
    }
    if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
        std::string e = errno_text("ftruncate", name);
        close(fd);
        shm_unlink(name.c_str());
        throw std::runtime_error(e);
    }
    void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) {
        std::string e = errno_text("mmap", name);
        shm_unlink(name.c_str());
        throw std::runtime_error(e);
    }

    Segment seg;
    seg._base = base;
    seg._size = size;
    seg._name = name;

    // ftruncate zero-fills; construct the objects in place.
    auto* h = new (base) SegmentHeader{};
    h->abi_version = abi_version;
    h->msg_type_count = static_cast<uint32_t>(msg_sizes.size());
    for (std::size_t i = 0; i < msg_sizes.size(); ++i) {
        h->msg_sizes[i] = msg_sizes[i];
    }
    auto sizes = expected_struct_sizes();
    for (std::size_t i = 0; i < layout_struct_count; ++i) {
        h->struct_sizes[i] = sizes[i];
    }
    h->segment_size = size;
    copy_name(h->instance, sizeof(h->instance), spec.instance);
    copy_name(h->version, sizeof(h->version), TRUNKGW_VERSION);
    h->epoch = realtime_ns();
    h->dataplane_pid = getpid();
    h->dataplane_start_realtime_ns = realtime_ns();
    h->dataplane_start_mono_ns = mono_ns();
    h->n_workers = n_workers;
    h->n_spans = n_spans;
    h->n_channels = n_channels;
    h->n_sessions = n_sessions;
    h->sessions_per_worker = spec.sessions_per_worker;
    h->cmd_ring_capacity = spec.cmd_ring_capacity;
    h->evt_ring_capacity = spec.evt_ring_capacity;
    h->dchan_ring_capacity = spec.dchan_ring_capacity;
    h->workers_off = workers_off;
    h->spans_off = spans_off;
    h->channels_off = channels_off;
    h->sessions_off = sessions_off;
    h->dataplane_heartbeat_mono_ns.store(mono_ns(), std::memory_order_relaxed);

    for (uint32_t i = 0; i < n_workers; ++i) {
        auto* w = new (&seg.worker(i)) WorkerBlock{};
        w->worker_id = spec.workers[i].id;
        w->lcore = spec.workers[i].lcore;
        w->cmd_ring_off = worker_rings[i].first;
        w->evt_ring_off = worker_rings[i].second;
        ring_init<Message>(seg.ring_at(w->cmd_ring_off), spec.cmd_ring_capacity);
        ring_init<Message>(seg.ring_at(w->evt_ring_off), spec.evt_ring_capacity);
    }
    uint32_t ch = 0;
    for (uint32_t i = 0; i < n_spans; ++i) {
        const auto& s = spec.spans[i];
        auto* b = new (&seg.span(i)) SpanBlock{};
        b->mirror.span_id = s.id;
        b->mirror.worker_index = s.worker_index;
        b->mirror.kind = static_cast<uint32_t>(s.kind);
        b->mirror.first_channel = ch;
        b->mirror.channel_count = span_channel_count(s.kind);
        b->mirror.dchannel_ts = s.has_dchannel ? span_dchannel_timeslot(s.kind) : 0;
        copy_name(b->mirror.name, sizeof(b->mirror.name), s.name);
        b->mirror.oper_state.store(static_cast<uint32_t>(SpanOperState::starting));
        b->dchan_rx_off = span_rings[i].first;
        b->dchan_tx_off = span_rings[i].second;
        ring_init<DchanFrame>(seg.ring_at(b->dchan_rx_off), spec.dchan_ring_capacity);
        ring_init<DchanFrame>(seg.ring_at(b->dchan_tx_off), spec.dchan_ring_capacity);
        // Timeslots 1..31 on E1 (TS0 carries framing), 1..24 on T1.
        for (uint32_t c = 0; c < b->mirror.channel_count; ++c, ++ch) {
            auto* m = new (&seg.channel(ch)) ChannelMirror{};
            m->span_index = i;
            m->timeslot = c + 1;
        }
    }
    for (uint32_t i = 0; i < n_sessions; ++i) {
        auto* b = new (&seg.session(i)) SessionBlock{};
        b->mirror.worker_index = i / spec.sessions_per_worker;
    }
    // Publish: the magic goes in last.
    h->magic.store(segment_magic, std::memory_order_release);
    return seg;
}

AttachResult attach_mapping(void* base, std::size_t size, std::string name)
{
    AttachResult r;
    auto fail = [&](AttachStatus st, std::string msg) {
        munmap(base, size);
        r.status = st;
        r.error = std::move(msg);
        return std::move(r);
    };
    auto* h = static_cast<SegmentHeader*>(base);
    uint64_t magic = h->magic.load(std::memory_order_acquire);
    if (magic == 0) {
        return fail(AttachStatus::not_ready, "segment " + name + " is not laid out yet");
    }
    if (magic != segment_magic) {
        return fail(AttachStatus::bad_magic, "segment " + name + " is not a trunkgw segment (bad magic)");
    }
    if (h->abi_version != abi_version) {
        return fail(AttachStatus::abi_mismatch,
                    "segment " + name + " has ABI version " + std::to_string(h->abi_version) +
                        " (written by trunkgw-dataplane " + std::string(h->version, strnlen(h->version, sizeof(h->version))) +
                        "), this process speaks ABI version " + std::to_string(abi_version) +
                        " (trunkgw " TRUNKGW_VERSION "): run matching versions");
    }
    if (h->msg_type_count != msg_sizes.size()) {
        return fail(AttachStatus::size_mismatch,
                    "segment " + name + " knows " + std::to_string(h->msg_type_count) +
                        " message types, this process " + std::to_string(msg_sizes.size()));
    }
    for (std::size_t i = 0; i < msg_sizes.size(); ++i) {
        if (h->msg_sizes[i] != msg_sizes[i]) {
            return fail(AttachStatus::size_mismatch,
                        "segment " + name + ": message type " + std::to_string(i) + " is " +
                            std::to_string(h->msg_sizes[i]) + " bytes there, " +
                            std::to_string(msg_sizes[i]) + " bytes here (ABI version " +
                            std::to_string(abi_version) + " on both sides: a build mismatch)");
        }
    }
    auto sizes = expected_struct_sizes();
    for (std::size_t i = 0; i < layout_struct_count; ++i) {
        if (h->struct_sizes[i] != sizes[i]) {
            return fail(AttachStatus::size_mismatch,
                        "segment " + name + ": " + struct_name(i) + " is " +
                            std::to_string(h->struct_sizes[i]) + " bytes there, " +
                            std::to_string(sizes[i]) + " bytes here");
        }
    }
    if (h->segment_size > size) {
        return fail(AttachStatus::truncated,
                    "segment " + name + " declares " + std::to_string(h->segment_size) +
                        " bytes but only " + std::to_string(size) + " are mapped");
    }
    // Every region and ring must lie inside the mapping and every ring be
    // what its slot type says: a corrupted or foreign layout is refused here,
    // not found later by a crash.
    auto region_ok = [&](uint64_t off, uint64_t bytes) { return off <= size && bytes <= size - off; };
    auto ring_ok = [&](uint64_t off, uint32_t slot, uint32_t capacity) {
        if (!region_ok(off, sizeof(RingHeader))) {
            return false;
        }
        const auto* rh = reinterpret_cast<const RingHeader*>(static_cast<const uint8_t*>(base) + off);
        return rh->slot_size == slot && rh->capacity == capacity && rh->mask == capacity - 1 &&
               ring_capacity_valid(capacity) && region_ok(off, sizeof(RingHeader) + uint64_t{capacity} * slot);
    };
    bool layout_ok = region_ok(h->workers_off, uint64_t{h->n_workers} * sizeof(WorkerBlock)) &&
                     region_ok(h->spans_off, uint64_t{h->n_spans} * sizeof(SpanBlock)) &&
                     region_ok(h->channels_off, uint64_t{h->n_channels} * sizeof(ChannelMirror)) &&
                     region_ok(h->sessions_off, uint64_t{h->n_sessions} * sizeof(SessionBlock)) &&
                     h->n_sessions == uint64_t{h->sessions_per_worker} * h->n_workers;
    for (uint32_t i = 0; layout_ok && i < h->n_workers; ++i) {
        const auto* w = reinterpret_cast<const WorkerBlock*>(static_cast<const uint8_t*>(base) + h->workers_off) + i;
        layout_ok = ring_ok(w->cmd_ring_off, sizeof(Message), h->cmd_ring_capacity) &&
                    ring_ok(w->evt_ring_off, sizeof(Message), h->evt_ring_capacity);
    }
    for (uint32_t i = 0; layout_ok && i < h->n_spans; ++i) {
        const auto* sb = reinterpret_cast<const SpanBlock*>(static_cast<const uint8_t*>(base) + h->spans_off) + i;
        layout_ok = ring_ok(sb->dchan_rx_off, sizeof(DchanFrame), h->dchan_ring_capacity) &&
                    ring_ok(sb->dchan_tx_off, sizeof(DchanFrame), h->dchan_ring_capacity) &&
                    sb->mirror.first_channel + uint64_t{sb->mirror.channel_count} <= h->n_channels;
    }
    if (!layout_ok) {
        return fail(AttachStatus::truncated, "segment " + name + " has a region or ring outside its " +
                                                 std::to_string(size) + " bytes or of the wrong slot size");
    }
    r.status = AttachStatus::ok;
    r.segment._base = base;
    r.segment._size = size;
    r.segment._name = std::move(name);
    return r;
}

int running_dataplane_pid(std::string_view instance)
{
    AttachResult r = attach_segment(instance);
    if (r.status != AttachStatus::ok) {
        return 0;
    }
    const auto& h = r.segment.header();
    bool beating = mono_ns() - h.dataplane_heartbeat_mono_ns.load() < 2'000'000'000ULL;
    if (h.stopping.load() == 0 && beating && h.dataplane_pid > 0 && kill(h.dataplane_pid, 0) == 0) {
        return h.dataplane_pid;
    }
    return 0;
}

AttachResult attach_segment(std::string_view instance)
{
    AttachResult r;
    std::string name = segment_name(instance);
    int fd = shm_open(name.c_str(), O_RDWR, 0);
    if (fd < 0) {
        r.status = errno == ENOENT ? AttachStatus::not_found : AttachStatus::system_error;
        r.error = errno == ENOENT ? "segment " + name + " does not exist (is trunkgw-dataplane running?)"
                                  : errno_text("shm_open", name);
        return r;
    }
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        r.error = errno_text("fstat", name);
        close(fd);
        return r;
    }
    if (static_cast<std::size_t>(st.st_size) < sizeof(SegmentHeader)) {
        close(fd);
        r.status = AttachStatus::not_ready;
        r.error = "segment " + name + " is not sized yet";
        return r;
    }
    auto size = static_cast<std::size_t>(st.st_size);
    void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) {
        r.error = errno_text("mmap", name);
        return r;
    }
    return attach_mapping(base, size, std::move(name));
}

}  // namespace trunkgw::api
