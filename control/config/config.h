// The validated configuration: one TOML file read by trunkgw-dataplane,
// trunkgw-control and trunkctl. Everything here has passed the schema in
// config_schema.cpp; code that uses a Config never re-checks it.
//
// This folder is the one control-side library the data plane links: the
// file is a contract between the processes just like dataplane/api/, and
// both must read it the same way.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/isdn/pri_timer_limits.h"

namespace trunkgw::config {

struct Instance {
    std::string name;
    std::string run_dir;
};

enum class PollMode { adaptive, busy };

struct Worker {
    uint32_t id;
    uint32_t lcore;
    uint32_t cpu;  // CPU the lcore runs on; = lcore unless configured
    // SCHED_FIFO priority of its thread (1-99; 0: the normal scheduler):
    // on a core it shares, its 1 ms tick is then never late behind the
    // other programs there (adaptive polling only).
    uint32_t realtime_priority;
};

struct Dataplane {
    uint32_t main_lcore;
    uint32_t memory_mb;
    bool hugepages;
    PollMode poll_mode;
    uint32_t command_ring_size;
    uint32_t event_ring_size;
    uint32_t dchannel_ring_size;
    uint32_t sessions_per_worker;
    uint32_t mbufs;
    std::vector<std::string> eal_extra_args;
    std::vector<Worker> workers;
};

struct Ipv4Prefix {
    uint32_t address;  // host order
    uint8_t prefix_len;

    // True when ip is on this prefix's subnet (on-link, RFC 1122 3.3.1.1).
    bool contains(uint32_t ip) const
    {
        uint32_t mask = prefix_len == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix_len);
        return (address & mask) == (ip & mask);
    }
};

struct Port {
    uint32_t id;
    std::string name;
    std::string pci;   // one of pci / vdev is set
    std::string vdev;
    std::vector<Ipv4Prefix> addresses;  // our IPv4 addresses on this port
    uint32_t gateway = 0;               // next hop for off-link peers, 0 = none
    uint16_t vlan = 0;                  // 802.1Q VLAN id, 0 = untagged
    // Flow rules that put each worker's UDP on its own queue, where the
    // device takes them (dataplane/flow_steering.h); false leaves every
    // frame to the software dispatcher (a PMD whose rules misbehave).
    bool flow_steering = true;
};

enum class SpanType { e1, t1 };
enum class PseudowireMode { satop, cesopsn };
enum class T1Framing { esf, d4 };

// The span's line as a TDM pseudowire over UDP/IPv4 (RFC 4553 / RFC 5086).
struct SpanPseudowire {
    PseudowireMode mode;
    uint32_t port_index;          // index into Config::ports
    uint32_t local_ipv4;          // one of the port's addresses
    uint32_t remote_ipv4;
    uint16_t local_udp_port;
    uint16_t remote_udp_port;
    uint32_t frames_per_packet;   // 8 = 1 ms
    uint32_t jitter_packets;      // playout delay in packets
    std::vector<uint8_t> timeslots;  // CESoPSN: carried timeslots, ascending
};

// Which free B-channel a call gets when nobody names one.
enum class ChannelHunting { ascending, descending, round_robin };

enum class SpanDchannel { primary, backup, none };

// The span's D-channel: ISDN PRI through libpri (signaling/isdn).
struct SpanIsdn {
    bool network_side = false;  // "network" (we are the exchange) or "user" (CPE)
    std::string switch_type;    // one of signaling/isdn/switch_type_names.h
    // Default: descending on the user side, ascending on the network side
    // (the two ends hunt from opposite ends: glare stays rare).
    ChannelHunting hunting = ChannelHunting::descending;
    // Overlap receiving (Q.931 5.2.4): a SETUP without Sending Complete is
    // answered with SETUP ACKNOWLEDGE and digits are collected until
    // Sending Complete or T302 (overlap_timeout_ms) expires; routed then.
    bool overlap_receiving = false;
    uint32_t overlap_timeout_ms = 5000;
    // T309 (Q.931 5.8.8): connected calls survive a D-channel outage this
    // long, then end with cause 27 (isdn::PriLinkConfig::t309_ms).
    uint32_t t309_ms = isdn::pri_timer::t309_ms.default_value;
    // Q.921 data link timers (isdn::PriLinkConfig: T200, N200, T203); a
    // silent link is declared down after T203 + N200 x T200.
    uint32_t t200_ms = isdn::pri_timer::t200_ms.default_value;
    uint32_t n200 = isdn::pri_timer::n200.default_value;
    uint32_t t203_ms = isdn::pri_timer::t203_ms.default_value;
    // NFAS (Non-Facility Associated Signalling, T1 PRI: one D-channel
    // controls the B-channels of several spans, a backup D-channel on
    // another): the group this span belongs to ("" = none), its interface
    // identifier in the group (Q.931 4.5.13 octet 3.1) and what its
    // timeslot 24 carries: the group's primary D-channel, its backup, or
    // none (then it is a 24th B-channel).
    std::string nfas_group;
    uint32_t nfas_interface = 0;
    SpanDchannel dchannel = SpanDchannel::primary;
    uint32_t line = 0;  // where [span.isdn] is, for problems across spans
};

struct Span {
    uint32_t id;
    std::string name;
    SpanType type;
    uint32_t worker;  // Worker::id
    bool crc4 = true;                  // E1: CRC-4 multiframe (G.704 2.3.3)
    T1Framing framing = T1Framing::esf;  // T1
    bool has_pseudowire = false;
    SpanPseudowire pseudowire{};
    bool has_isdn = false;
    SpanIsdn isdn{};

    // Whether timeslot 16 (E1) / 24 (T1) is a D-channel: always, except on
    // an NFAS span whose D-channel is elsewhere.
    bool has_dchannel() const { return !has_isdn || isdn.dchannel != SpanDchannel::none; }
};

enum class JitterMode { fixed, adaptive };

// RTP media defaults: what control puts in every session it creates, and
// the limits the data plane sizes its preallocated sessions for.
struct Media {
    uint16_t rtp_port_min;  // even; local RTP ports come from [min, max], RTCP = RTP + 1
    uint16_t rtp_port_max;
    uint32_t ptime_ms;      // 10, 20, 30, 40
    JitterMode jitter_mode;
    uint32_t jitter_delay_ms;
    uint32_t jitter_max_delay_ms;  // also sizes every session's jitter ring
    uint32_t rtp_timeout_ms;       // 0: none
    uint32_t rtcp_interval_ms;     // 0: none; else >= 5000 (RFC 3550 6.2)
    uint8_t dscp;                  // 46 = EF (RFC 3246)
    bool symmetric_rtp;
    uint8_t telephone_event_pt;    // RFC 4733 in our SIP offers, DTMF both ways (96-127); 0: DTMF stays in-band only
};

// The media range's port pairs (rtp_port_min + 2i for RTP, + 1 for RTCP)
// are dealt to the workers in turn: pair i belongs to the worker at index
// i % n_workers. Control hands ports out so (session_manager.cpp), and a
// NIC's flow rules steer by it (dataplane/flow_steering.h).
inline uint32_t rtp_pair_worker(uint32_t pair_index, uint32_t n_workers) { return pair_index % n_workers; }

// A call route ([[route]]): calls from `from` whose numbers match go to the
// first destination in `to` that takes them; the next one is tried when a
// destination refuses with one of `failover_causes` (before answer).
struct Route {
    std::string name;
    uint32_t line;                    // where it was defined (logs)
    std::string called_prefix;        // "" matches every called number
    std::string calling_prefix;       // "" matches every calling number (and none)
    // ECMAScript regular expressions searched in the numbers (anchor them
    // with ^ and $ for a whole-number match); null: no condition.
    std::shared_ptr<const std::regex> called_regex;
    std::shared_ptr<const std::regex> calling_regex;
    std::string called_regex_text;    // as written (show, logs)
    std::string calling_regex_text;
    std::vector<std::string> from;    // source span names; empty: any
    std::vector<std::string> to;      // destination spans, span groups or SIP trunks, in order
    uint32_t strip = 0;               // leading called digits removed
    std::string prepend;              // then put in front
    // Q.931 4.5.8 called party number octet 3 on a PRI destination: type of
    // number and numbering plan (-1: keep what came in).
    int called_ton = -1;
    int called_npi = -1;
    std::vector<int> failover_causes; // Q.850 causes that move on to the next destination
    // Toll-fraud destination classes ([[toll_fraud.class]]) this route may
    // carry; a call to any other class is refused (cause 21).
    std::vector<std::string> allow_classes;
};

// A group of ISDN spans that a route names as one destination
// ([[span_group]]): a new call hunts across its spans, moving to the next
// when one has no channel or no link (causes 34 38 41 42 44 47).
struct SpanGroup {
    std::string name;
    uint32_t line;
    std::vector<std::string> spans;
    std::string hunting = "sequential";  // sequential: always from the first; round_robin: from the one after the last used
};

// Toll fraud (IRSF): destination classes by prefix of the called number
// as it leaves (after manipulation), refused unless the route or the
// source's allowance permits them; an allowance also caps how many such
// calls a source may have up at once and per hour.
struct TollClass {
    std::string name;
    uint32_t line;
    std::vector<std::string> prefixes;
};
struct TollAllowance {
    std::string source;               // a span or SIP trunk calls come from
    uint32_t line;
    std::vector<std::string> classes; // permitted from this source
    uint32_t max_concurrent = 0;      // restricted calls up at once; 0: no cap
    uint32_t max_per_hour = 0;        // restricted calls in any 60 minutes; 0: no cap
};
struct TollFraud {
    std::vector<TollClass> classes;
    std::vector<TollAllowance> allowances;
};

// Digest credentials (RFC 3261 22.4): a user name and password; the realm
// is ours when we challenge ("" = "trunkgw"), and when we answer a
// challenge, empty means "the realm the peer names".
struct SipCredentials {
    std::string username;
    std::string password;
    std::string realm;
};

// A SIP trunk ([[sip.trunk]]): the peers our INVITEs go to (the first)
// and the only sources whose INVITEs are accepted on it (the ACL).
struct SipTrunk {
    std::string name;
    uint32_t line;
    struct Peer {
        uint32_t ipv4;  // host order
        uint16_t port;
    };
    std::vector<Peer> peers;
    uint32_t max_calls = 0;          // concurrent calls both ways; 0: no limit
    double calls_per_second = 0;     // incoming INVITEs; 0: no limit
    uint32_t options_interval_s = 30;  // OPTIONS keepalive (trunk up/down); 0: off
    std::string transport = "udp";     // our requests to the peer: udp, tcp or tls (RFC 3261 18, 26.2)
    // srtp = "mandatory": every call's media is SRTP (RFC 3711), its keys in
    // the SDP (SDES, RFC 4568: RTP/SAVP with a=crypto); plain RTP offers and
    // answers are refused. "optional": SRTP when the peer offers it, plain
    // RTP otherwise; our offers are plain. Both need transport "tls": RFC
    // 4568 8.3, the keys travel only over a secure transport. "off" (the
    // default): RTP/AVP only.
    std::string srtp = "off";
    // [sip.trunk.inbound_auth]: the peer's INVITEs must carry these digest
    // credentials (RFC 3261 22); its source must still be a listed peer.
    std::optional<SipCredentials> inbound_auth;
    // [sip.trunk.outbound_auth]: what we answer the peer's 401/407 with.
    std::optional<SipCredentials> outbound_auth;
    // REGISTER to the first peer (a provider's registrar) and keep it
    // refreshed; needs outbound_auth (its username is the AOR's user).
    bool register_ = false;
    uint32_t register_expires_s = 600;
};

// A row of the Q.850 <-> SIP table overridden ([[sip.cause_map]]).
struct SipCauseOverride {
    int q850;
    int sip;
    bool to_sip;   // Q.850 -> SIP status
    bool to_q850;  // SIP status -> Q.850
};

// SIP ([sip]): where the control process listens; trunks; cause table.
struct Sip {
    bool enabled = false;
    uint32_t listen_ipv4 = 0;
    uint16_t listen_port = 5060;
    std::string transport = "udp";  // what we listen on: udp, tcp, or udp+tcp
    // [sip.tls]: SIP over TLS (RFC 3261 26.2) on its own port; the
    // directory holds Sofia's agent.pem (key + certificate) and cafile.pem
    // (the CAs peers' certificates must chain to).
    bool tls = false;
    uint16_t tls_port = 5061;
    std::string tls_certificate_dir;
    bool tls_verify_peer = true;
    // Inbound digest authentication: a source that fails this many times
    // in a row is refused with 403 without a challenge for auth_block_s
    // (credential brute force).
    uint32_t auth_max_failures = 5;
    uint32_t auth_block_s = 300;
    // RFC 3261 Timer B/F (64 x T1): a request with no response ends then.
    uint32_t transaction_timeout_ms = 32000;
    // The SIP UDP socket's receive and send buffers: the kernel's default
    // (208 KB) drops datagrams from ~1,000 INVITEs/s bursts.
    uint32_t udp_buffer_kb = 4096;
    bool prack = true;                  // RFC 3262 reliable 18x and PRACK with peers that support 100rel
    uint32_t session_expires_s = 1800;  // RFC 4028; 0: no session timer
    uint32_t min_se_s = 90;
    std::vector<SipTrunk> trunks;
    std::vector<SipCauseOverride> cause_map;
};

struct Control {
    std::string socket;
    std::string metrics_host;
    uint16_t metrics_port;
    uint32_t attach_retry_ms;
    // Heap faulted in at start-up and kept (control/heap_reserve.h); 0: none.
    uint32_t heap_reserve_mb = 0;
};

struct Log {
    std::string level;
};

// Call detail records: one JSON line per ended call, appended to `path`
// (a relative path is under instance.run_dir). Without [cdr], none.
struct Cdr {
    bool enabled = false;
    std::string path;
    bool fsync = true;  // fdatasync after every record: a crash loses none
};

struct Config {
    std::string source;  // file path, or "<embedded deploy/trunkgw.toml>"
    std::string text;    // the TOML it was read from (reload compares it)
    Instance instance;
    Dataplane dataplane;
    std::vector<Port> ports;
    std::vector<Span> spans;
    Media media;
    std::vector<Route> routes;
    std::vector<SpanGroup> span_groups;
    TollFraud toll_fraud;
    Sip sip;
    Control control;
    Log log;
    Cdr cdr;

    // Index of the worker with this id in dataplane.workers (validated to exist).
    uint32_t worker_index(uint32_t worker_id) const;
    // The span with this name; nullptr when there is none.
    const Span* span(const std::string& name) const;
    // The SIP trunk with this name; nullptr when there is none.
    const SipTrunk* sip_trunk(const std::string& name) const;
    const SpanGroup* span_group(const std::string& name) const;
    std::string metrics_url() const;
};

// One refusal: where and why.
struct Problem {
    std::string file;
    uint32_t line;  // 1-based; 0 when the whole file is concerned
    std::string reason;

    std::string text() const;  // "FILE:LINE: reason"
};

// Thrown by load_*: every problem found, in file order.
class ConfigError : public std::runtime_error {
public:
    explicit ConfigError(std::vector<Problem> problems);
    const std::vector<Problem>& problems() const { return _problems; }

private:
    std::vector<Problem> _problems;
};

// The text of deploy/trunkgw.toml, compiled in.
std::string_view embedded_default_text();
inline constexpr std::string_view embedded_default_name = "<embedded deploy/trunkgw.toml>";

Config load_file(const std::string& path);

// What a reload may change while calls are up: [[route]], [[span_group]],
// [toll_fraud], [[sip.trunk]] and [[sip.cause_map]]. The rest (instance,
// data plane, ports, spans, media, [sip] transports, control, cdr, log)
// needs a restart: this lists the tables that differ there ("" = none).
std::vector<std::string> restart_needed(std::string_view running_text, std::string_view new_text);
Config load_string(std::string_view text, const std::string& source_name);
// load_file(path) if path is not empty, else the embedded default.
Config load(const std::string& path);

}  // namespace trunkgw::config
