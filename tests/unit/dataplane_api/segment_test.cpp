// Segment creation and attach, and every refusal attach makes.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "dataplane/api/segment.h"

using namespace trunkgw::api;

namespace {

SegmentSpec test_spec(const std::string& instance)
{
    SegmentSpec s;
    s.instance = instance;
    s.workers = {{1, 1}, {2, 2}};
    s.spans = {{10, "e1-a", SpanKind::e1, 0}, {11, "t1-b", SpanKind::t1, 1}};
    s.sessions_per_worker = 64;
    s.cmd_ring_capacity = 64;
    s.evt_ring_capacity = 128;
    s.dchan_ring_capacity = 16;
    return s;
}

std::string unique_instance(const char* tag) { return std::string("ut-") + tag + "-" + std::to_string(getpid()); }

// Owns a created segment and unlinks it at the end of the test.
struct Created {
    explicit Created(const char* tag) : seg(Segment::create(test_spec(unique_instance(tag)))) {}
    ~Created() { seg.unlink(); }
    Segment seg;
};

}  // namespace

TEST_CASE("attach sees the layout the creator wrote", "[segment]")
{
    Created c("layout");
    AttachResult r = attach_segment(unique_instance("layout"));
    REQUIRE(r.status == AttachStatus::ok);
    const auto& h = r.segment.header();
    REQUIRE(h.n_workers == 2);
    REQUIRE(h.n_spans == 2);
    REQUIRE(h.n_channels == 31 + 24);
    REQUIRE(h.epoch == c.seg.header().epoch);
    REQUIRE(r.segment.worker(1).worker_id == 2);
    REQUIRE(std::string(r.segment.span(1).mirror.name) == "t1-b");
    REQUIRE(r.segment.span(0).mirror.dchannel_ts == 16);
    REQUIRE(r.segment.span(1).mirror.dchannel_ts == 24);
    REQUIRE(r.segment.channel(31).span_index == 1);
    REQUIRE(r.segment.channel(31).timeslot == 1);
    // A message pushed by one mapping is popped through the other.
    RingProducer<Message> p(c.seg.ring_at(c.seg.worker(0).cmd_ring_off));
    RingConsumer<Message> q(r.segment.ring_at(r.segment.worker(0).cmd_ring_off));
    REQUIRE(p.push(make_message(MsgType::cmd_ping, 7, PingPayload{42})));
    Message m{};
    REQUIRE(q.pop(m));
    REQUIRE(m.hdr.seq == 7);
    REQUIRE(m.u.ping.nonce == 42);
}

TEST_CASE("attach to a missing segment is retryable", "[segment]")
{
    AttachResult r = attach_segment(unique_instance("missing"));
    REQUIRE(r.status == AttachStatus::not_found);
    REQUIRE(r.retryable());
    REQUIRE_THAT(r.error, Catch::Contains("does not exist"));
}

TEST_CASE("attach refuses an ABI version mismatch naming both versions", "[segment]")
{
    Created c("abi");
    c.seg.header().abi_version = abi_version + 1;
    AttachResult r = attach_segment(unique_instance("abi"));
    REQUIRE(r.status == AttachStatus::abi_mismatch);
    REQUIRE_FALSE(r.retryable());
    REQUIRE_FALSE(r.segment.mapped());
    REQUIRE_THAT(r.error, Catch::Contains("ABI version " + std::to_string(abi_version + 1)));
    REQUIRE_THAT(r.error, Catch::Contains("ABI version " + std::to_string(abi_version) + " "));
}

TEST_CASE("attach refuses a message size mismatch", "[segment]")
{
    Created c("msgsize");
    c.seg.header().msg_sizes[static_cast<int>(MsgType::evt_pong)] += 8;
    AttachResult r = attach_segment(unique_instance("msgsize"));
    REQUIRE(r.status == AttachStatus::size_mismatch);
    REQUIRE_THAT(r.error, Catch::Contains("message type 2"));
}

TEST_CASE("attach refuses a layout struct size mismatch", "[segment]")
{
    Created c("structsize");
    c.seg.header().struct_sizes[static_cast<int>(LayoutStruct::worker_block)] += 64;
    AttachResult r = attach_segment(unique_instance("structsize"));
    REQUIRE(r.status == AttachStatus::size_mismatch);
    REQUIRE_THAT(r.error, Catch::Contains("WorkerBlock"));
}

TEST_CASE("attach refuses a foreign segment and waits for an unfinished one", "[segment]")
{
    Created c("magic");
    c.seg.header().magic.store(0x1234);
    AttachResult bad = attach_segment(unique_instance("magic"));
    REQUIRE(bad.status == AttachStatus::bad_magic);
    c.seg.header().magic.store(0);
    AttachResult early = attach_segment(unique_instance("magic"));
    REQUIRE(early.status == AttachStatus::not_ready);
    REQUIRE(early.retryable());
}

TEST_CASE("create refuses a live instance and replaces a stale one", "[segment]")
{
    Created first("stale");
    // A live data plane beats; this one stopped beating (it died).
    REQUIRE_THROWS_WITH(Segment::create(test_spec(unique_instance("stale"))),
                        Catch::Contains("is already running (trunkgw-dataplane pid " + std::to_string(getpid())));
    first.seg.header().dataplane_heartbeat_mono_ns.store(0);
    uint64_t epoch1 = first.seg.header().epoch;
    Segment second = Segment::create(test_spec(unique_instance("stale")));
    AttachResult r = attach_segment(unique_instance("stale"));
    REQUIRE(r.status == AttachStatus::ok);
    REQUIRE(r.segment.header().epoch == second.header().epoch);
    REQUIRE(r.segment.header().epoch != epoch1);
}

TEST_CASE("create refuses ring sizes that are not powers of two", "[segment]")
{
    SegmentSpec s = test_spec(unique_instance("badring"));
    s.evt_ring_capacity = 1000;
    REQUIRE_THROWS_WITH(Segment::create(s), Catch::Contains("powers of two"));
}

TEST_CASE("attach refuses rings outside the mapping or of the wrong slot size", "[segment]")
{
    Created c("rings");
    c.seg.header().spans_off = c.seg.header().segment_size;  // spans beyond the end
    AttachResult r = attach_segment(unique_instance("rings"));
    REQUIRE(r.status == AttachStatus::truncated);
    REQUIRE_THAT(r.error, Catch::Contains("outside"));
}

TEST_CASE("attach refuses a ring whose slot size disagrees", "[segment]")
{
    Created c("slot");
    c.seg.ring_at(c.seg.worker(1).evt_ring_off)->slot_size = 32;
    AttachResult r = attach_segment(unique_instance("slot"));
    REQUIRE(r.status == AttachStatus::truncated);
}
