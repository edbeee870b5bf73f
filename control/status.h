// One snapshot of everything an operator can ask about the gateway's
// plumbing: both processes, the attach, the workers, the rings, the spans.
// The management API (trunkctl) and the Prometheus exporter both render this
// one snapshot; neither reads the segment on its own.
#pragma once

#include <atomic>
#include <optional>
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "control/config/config.h"
#include "control/dataplane_link.h"
#include "control/isdn_spans.h"
#include "signaling/sip/sip_agent.h"
#include "dataplane/api/session_counters.h"
#include "dataplane/api/span_counters.h"
#include "dataplane/api/spsc_ring.h"
#include "dataplane/api/state_mirror.h"
#include "dataplane/api/worker_counters.h"

namespace trunkgw::control {

// Counters owned by the management server; atomics because the exporter
// reads them from its own thread.
struct MgmtCounters {
    std::atomic<uint64_t> connections{0};
    std::atomic<uint64_t> requests_ok{0};
    std::atomic<uint64_t> requests_error{0};
    std::atomic<uint64_t> requests_malformed{0};
};

struct RingRow {
    std::string ring;   // command, event, dchannel_rx, dchannel_tx
    std::string owner;  // "worker 1" / "span carrier-e1-1"
    std::string owner_kind;  // worker | span
    std::string owner_id;
    api::RingStats stats;
};

// A configured DPDK port as the data plane opened it.
struct PortRow {
    std::string name;
    bool flow_steering;  // flow rules put each worker's UDP on its queue
    // How UDP reaches its worker: "flow rules", "software dispatch" (frames
    // from the wrong queue handed over), or "one worker" (nothing to steer).
    std::string udp_to_worker;
};

struct WorkerRow {
    uint32_t id;
    uint32_t lcore;
    std::string state;      // absent, starting, running, stopped
    bool responsive;        // answered a ping within the last 3 s
    double heartbeat_age_s;
    uint64_t pings_sent;
    uint64_t pongs;
    double ping_rtt_us;
    api::WorkerCounterValues counters;
    api::NetCounterValues net;  // slots: dataplane/net_counter_layout.h
};

struct SpanRow {
    uint32_t id;
    std::string name;
    std::string type;   // e1 | t1
    uint32_t worker_id;
    std::string state;  // SpanOperState name
    uint32_t alarms;
    uint64_t state_changes;
    api::SpanCounterValues counters;
    std::optional<IsdnSpanStatus> isdn;  // spans with [span.isdn]
};

struct SessionRow {
    uint32_t slot;
    uint32_t worker_id;
    std::string channel;  // "span/ts", "" when not joined
    uint32_t local_ipv4;
    uint16_t local_port;
    uint32_t remote_ipv4;
    uint16_t remote_port;
    uint32_t payload_type;
    uint32_t ptime_ms;
    uint32_t ssrc;
    bool sending;
    bool srtp;  // created with SRTP (RFC 3711)
    bool rtp_timed_out;
    double age_s;
    api::SessionCounterValues counters;
};

struct Snapshot {
    std::string version;
    uint32_t abi_version;
    std::string instance;
    std::string config_source;
    int control_pid;
    double control_uptime_s;
    std::string metrics_url;

    bool attached;
    double attached_for_s;
    std::string last_error;
    LinkCounters link;

    int dataplane_pid;
    std::string dataplane_version;
    uint64_t epoch;
    double dataplane_uptime_s;
    double dataplane_heartbeat_age_s;
    uint64_t dataplane_control_attaches;
    uint64_t dataplane_control_refusals;

    std::vector<PortRow> ports;  // in config order, while attached
    std::vector<WorkerRow> workers;
    std::vector<RingRow> rings;
    std::vector<SpanRow> spans;
    std::vector<SessionRow> sessions;  // active ones
    uint32_t session_slots = 0;        // all workers
    // Control's session manager (filled by whoever owns it).
    struct {
        uint64_t creates, deletes, modifies, refused, worker_refused, events, rtp_timeouts, ports_free;
    } session_manager{};

    // The call model (filled by whoever owns it).
    struct {
        uint64_t offered, routed, no_route, attempts, failovers, answered, ended, dropped, active, media_connected,
            media_failed, media_orphans;
        std::array<uint64_t, 128> ended_by_cause;
        uint64_t cdr_records, cdr_errors, cdr_queued;
        uint64_t toll_allowed, toll_refused_not_allowed, toll_refused_concurrent, toll_refused_hourly, group_hunts;
    } calls{};

    // SIP trunks (filled by whoever owns the agent; absent without [sip]).
    std::optional<sip::SipStatus> sip;

    uint64_t mgmt_connections, mgmt_requests_ok, mgmt_requests_error, mgmt_requests_malformed;
};

const char* span_state_name(uint32_t oper_state);
const char* worker_state_name(uint32_t state);
// The SpanAlarm bits and their names, for trunkctl and Prometheus labels.
inline constexpr std::pair<uint32_t, const char*> span_alarms[] = {
    {api::alarm_los, "los"}, {api::alarm_lof, "lof"}, {api::alarm_ais, "ais"}, {api::alarm_rai, "rai"},
    {api::alarm_lomf, "lomf"}};
// "los,lof" style list of the SpanAlarm bits; "" when none.
std::string span_alarm_names(uint32_t alarms);

Snapshot take_snapshot(const DataplaneLink& link, const config::Config& cfg, uint64_t control_start_mono_ns,
                       const MgmtCounters& mgmt);

}  // namespace trunkgw::control
