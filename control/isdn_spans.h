// ISDN PRI on every span whose config has [span.isdn]: one PriLink each,
// fed from the span's D-channel ring (HDLC runs in the data plane) and
// writing into the ring back, with libpri's timers on one su_timer of the
// control loop re-armed to the nearest deadline (DEVELOPERS.md: one loop).
// Links exist from start-up; while the data plane is away their frames are
// refused and Q.921 retransmits, as on a line that is down.
#pragma once

#include <cstdint>
#include <memory>
#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/config/config.h"
#include "control/event_loop.h"
#include "dataplane/api/segment.h"
#include "signaling/isdn/pri_link.h"
#include "tdm/hdlc/lapd_pcap.h"

namespace trunkgw::control {

struct IsdnSpanStatus {
    std::string span;
    bool network_side;
    std::string switch_type;
    // The span's D-channel is up (NFAS: this span's own D-channel; on a
    // span without one, the group's signaling).
    bool up;
    bool restarting;
    // The link's counters. An NFAS group counts once, on its primary
    // span's row; its other spans' rows are zero.
    isdn::PriLinkCounters counters;
    std::vector<isdn::ChannelStatus> channels;  // `channel` = timeslot
    std::string nfas_group;  // "" = not NFAS
    std::string dchannel;    // "own", or NFAS "primary", "backup", "none"
    bool dchannel_active;    // NFAS: new calls go through this span's D-channel
};

class IsdnSpans {
public:
    // Throws std::runtime_error when libpri refuses a span. `calls`: the
    // call model every span's calls go to (nullptr: incoming calls are
    // refused with cause 1).
    IsdnSpans(EventLoop& loop, const config::Config& cfg, isdn::PriCallHandler* calls);

    // A span's link (the call model places calls on it; an NFAS group's
    // spans share one); nullptr: no such ISDN span.
    isdn::PriLink* link(const std::string& span);

    void attached(const api::Segment& seg);
    void detached();
    // Drains the D-channel rings, runs due timers, re-arms the timer and
    // the rings' wake-ups. Called on every loop pass (prepoll): it reads
    // the rings only after rings_signalled() or while one is not armed,
    // and runs a link's timers only when it received or sent a frame or
    // one is due, so that a pass over a hundred quiet spans costs little.
    void poll();
    // The data plane signalled one of the rings we armed (our eventfd).
    void rings_signalled() { _rings_signalled = true; }

    // Every span's status: up to date on the loop's thread; elsewhere (the
    // metrics thread) as last published, so call publish_status() on the
    // loop first (EventLoop::run_on_loop).
    std::vector<IsdnSpanStatus> status();
    // Rebuilds what status() returns to other threads. On demand, not on
    // every D-channel wake-up: with 40 spans that cost a fifth of the
    // control's CPU per call.
    void publish_status();

    // Operator maintenance (channel 0: the whole span); returns the
    // channels changed. Throws std::runtime_error for an unknown span or
    // channel.
    int set_service(const std::string& span, int channel, bool in_service);

    // D-channel trace: every frame both ways into a pcap of link type 177
    // (LINUX_LAPD: tshark decodes Q.921 and Q.931). Throws
    // std::runtime_error naming the problem (unknown span, no ISDN, file).
    void start_trace(const std::string& span, const std::string& path);
    // Stops it; returns the frames written. Throws for an unknown span or
    // one without a trace running.
    uint64_t stop_trace(const std::string& span);

private:
    // A span carrying a D-channel: its rings.
    struct Dchannel {
        uint32_t span_index;
        std::string span;
        std::optional<api::RingConsumer<api::DchanFrame>> rx;
        std::optional<api::RingProducer<api::DchanFrame>> tx;
        uint32_t tx_seq = 0;
        bool was_up = false;
        // Armed and found empty by the last poll: the data plane's service
        // lcore clears `wakeup_armed` (and writes our eventfd) once it sees
        // a frame here, so while the flag stays set the ring need not be
        // read (reading every ring's producer line on every loop pass
        // cost a sixth of the control's CPU with 67 spans).
        bool asleep = false;
    };
    // One link: a span, or an NFAS group of spans.
    struct Entry {
        std::string switch_type;
        std::string nfas_group;
        std::vector<std::pair<std::string, std::string>> spans;  // name, D-channel role
        std::vector<std::unique_ptr<Dchannel>> dchannels;        // primary first
        std::unique_ptr<isdn::PriLink> link;
        bool was_up = false;
        bool was_restarting = false;
        std::unique_ptr<tdm::LapdPcapWriter> trace;
        int64_t due_ms = 0;    // run the link's timers by then (poll)
        bool touched = false;  // it sent a frame since its timers last ran (poll)
    };
    void log_changes(Entry& e);
    // poll(), or every link at once (every_link: the timer, when one is due).
    void pass(bool every_link);
    // Runs a link's timers and notes when they are next due.
    void service(Entry& e, int64_t now);
    void service_touched(int64_t now);
    void arm_timer(int64_t now);  // for _next_due_ms
    void add_link(const config::Config& cfg, std::vector<const config::Span*> spans, isdn::PriCallHandler* calls);
    Entry* entry(const std::string& span);  // nullptr: no such ISDN span
    Entry& find(const std::string& span);   // throws std::runtime_error naming it

    EventLoop& _loop;
    Timer _timer;
    std::vector<std::unique_ptr<Entry>> _spans;
    std::unordered_map<std::string, Entry*> _by_span;  // every member span's name -> its link
    bool _rings_signalled = true;  // read the rings at the next poll
    std::vector<Entry*> _touched;  // links that sent a frame since poll() last looked
    int64_t _next_due_ms = 0;      // the earliest due_ms of any link (0: look at all at once)
    mutable std::mutex _mutex;
    std::vector<IsdnSpanStatus> _status;
};

}  // namespace trunkgw::control
