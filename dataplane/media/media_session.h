// One RTP session joined to one B-channel: the packetizer (TDM -> RTP), the
// jitter buffer (RTP -> TDM), RTCP reports, symmetric RTP latching and the
// RTP timeout, driven by one tick per millisecond.
//
// Addresses: the session holds its local address and ports for its whole
// life; every packet it emits carries them as its source. Only the remote
// can move: with symmetric RTP on (RFC 4961 "Symmetric RTP"; the SBC
// practice of "latching"), the remote RTP address follows the source of
// the valid RTP packets actually seen (counted each time), and the remote
// RTCP address follows the source of valid RTCP. Until RTCP has been heard,
// an RTP latch also points RTCP at the new address, port + 1 (RFC 3550 11).
//
// RTCP: a compound SR or RR + SDES CNAME (RFC 3550 6.1) every rtcp interval,
// randomised over [0.5, 1.5] of it (6.3.1; no timer reconsideration: a
// unicast session has two members, and at G.711's 64 kbit/s the 5 %
// bandwidth rule gives well under the 5 s minimum of 6.2). The first report
// goes after half an interval (6.2: "MAY be set to half the minimum").
//
// RTP timeout: raised once (an event, counted) when no valid RTP arrived
// for rtp_timeout_ms; cleared (another event) when packets return.
//
// Life cycle: a session is built once, at start-up, for capacity limits
// (MediaSessionLimits: the jitter ring's size, the longest CNAME) and is
// idle. configure() starts it with a config within those limits, resetting
// every piece of state (packetizer, jitter buffer and PLC, receiver
// statistics, RTCP timers, latching, RTP timeout, counters); release()
// returns it to idle, ready to be configured again (SessionPool keeps such
// sessions). An idle session's tick() does nothing (tdm_out8 untouched),
// its receive_*() return the `idle` verdict, its send_bye() sends nothing;
// its counters and stats() stay readable until the next configure().
// The MediaSessionConfig constructor does both steps at once, its limits
// taken from the config.
//
// Everything is allocated in the constructors, except SRTP's: the first
// configure() of a slot with srtp makes its SrtpSession, set_srtp_keys()
// its libsrtp contexts, and libsrtp makes a received SSRC's stream on its
// first packet (RFC 3711 3.2.3: per-SSRC state). Otherwise configure(),
// release(), tick(), receive_rtp(), receive_rtcp() and send_bye() never
// allocate, throw or make a syscall.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "dataplane/media/config_check.h"
#include "dataplane/media/g711_codec.h"
#include "dataplane/media/ntp_time.h"
#include "dataplane/media/packetizer.h"
#include "dataplane/media/plain_run.h"
#include "dataplane/media/rtcp.h"
#include "dataplane/media/rtp_jitter_buffer.h"
#include "dataplane/media/srtp_session.h"
#include "dataplane/media/telephone_event.h"
#include "dataplane/media/telephone_event_sender.h"

namespace trunkgw::media {

// An IPv4 address (as on the wire; compared, never interpreted) and a port.
struct Endpoint {
    uint32_t ipv4 = 0;
    uint16_t port = 0;

    bool known() const { return port != 0; }
    bool operator==(const Endpoint&) const = default;
};

struct MediaSessionConfig {
    uint8_t payload_type = payload_type_pcma;  // 0 (PCMU) or 8 (PCMA), both directions
    // RFC 4733 telephone-events with this dynamic PT (96-127; the one our
    // SDP named, and the peer's until set_telephone_event_send_pt() says
    // otherwise): received ones are played into the channel as DTMF, and
    // DTMF heard on the channel is sent as events instead of audio; 0: none
    // (DTMF stays in-band; event packets are bad_payload_type drops).
    uint8_t telephone_event_pt = 0;
    Law channel_law = Law::alaw;               // the B-channel's law (A-law E1, u-law T1)
    uint32_t ptime_ms = 20;                    // 10, 20, 30 or 40
    uint32_t ssrc = 0;                         // ours; random, chosen by control (RFC 3550 8.1)
    uint16_t first_sequence = 0;               // random (RFC 3550 5.1)
    uint32_t first_timestamp = 0;              // random (RFC 3550 5.1)
    JitterMode jitter_mode = JitterMode::fixed;
    uint32_t jitter_delay_ms = 40;  // fixed: the delay; adaptive: the start and floor
    uint32_t jitter_max_delay_ms = 200;
    uint32_t rtp_timeout_ms = 0;       // 0: no RTP timeout
    bool symmetric_rtp = true;         // latch the remote to the observed source
    uint32_t rtcp_interval_ms = 5000;  // 0: no RTCP reports (RFC 3550 6.2: 5 s minimum)
    Endpoint local_rtp;                // ours for the session's life; RTCP is port + 1
    Endpoint remote_rtp;               // from SDP; may be unknown (port 0) until latched
    Endpoint remote_rtcp;              // port 0: remote_rtp port + 1
    const char* cname = "trunkgw";     // SDES CNAME (copied; at most 255 octets)
    // SRTP (RFC 3711): nothing is sent and nothing received is taken until
    // set_srtp_keys() (counted as SrtpCounters::no_keys).
    bool srtp = false;
    NtpClock ntp_clock;                // maps now_ns to NTP for SR timestamps and RTT
};

// What a session can be configured with; fixed when it is built.
struct MediaSessionLimits {
    uint32_t max_jitter_delay_ms = 200;  // the largest jitter_max_delay_ms (<= 2000); sizes the ring
    std::size_t max_cname_len = 255;     // the longest CNAME (1..255; stored inline whatever it is)
};

enum class PacketKind : uint8_t { rtp, rtcp };

struct TxPacket {
    PacketKind kind;
    const uint8_t* data;  // valid during the callback only
    std::size_t len;
    Endpoint src;  // always our local RTP or RTCP endpoint
    Endpoint dst;
};

// Where the session's packets go (fn must be set). The data plane copies
// each packet into an mbuf.
struct PacketSink {
    void (*fn)(void* user, const TxPacket& pkt) = nullptr;
    void* user = nullptr;

    void operator()(const TxPacket& p) const { fn(user, p); }
};

// Events, a bit each, returned by tick() (everything since the last tick).
enum SessionEvent : uint32_t {
    session_event_rtp_timeout = 1u << 0,  // no valid RTP for rtp_timeout_ms
    session_event_rtp_resumed = 1u << 1,  // RTP came back after a timeout
    session_event_rtp_latched = 1u << 2,  // the remote RTP endpoint moved
    session_event_rtcp_bye = 1u << 3,     // the far end sent RTCP BYE
};

struct MediaSessionCounters {
    uint64_t rtp_packets_out = 0;
    uint64_t rtp_payload_octets_out = 0;
    uint64_t rtp_packets_in = 0;  // accepted by the jitter buffer
    uint64_t rtp_payload_octets_in = 0;
    uint64_t rtp_unsent_no_remote = 0;  // a packet was due but no remote is known
    uint64_t rtp_stray_source = 0;      // valid RTP from another source, not latched (symmetric off)
    uint64_t rtp_latches = 0;
    uint64_t rtcp_latches = 0;
    uint64_t rtp_timeouts = 0;
    uint64_t tdm_missing_ticks = 0;      // ticks without TDM samples (tdm_in8 null)
    uint64_t rtcp_packets_out = 0;       // compound packets
    uint64_t rtcp_unsent_no_remote = 0;  // a report was due but no remote is known
    uint64_t rtcp_packets_in = 0;        // valid compound packets
    uint64_t rtcp_too_short = 0;         // one counter per RtcpParseError
    uint64_t rtcp_bad_version = 0;
    uint64_t rtcp_bad_first_packet = 0;
    uint64_t rtcp_bad_length = 0;
    uint64_t rtcp_bad_padding = 0;
    uint64_t rtcp_bye_in = 0;
    uint64_t rtt_samples = 0;  // round trips measured
};

// Everything about one session at one moment, for control (cold path).
struct MediaSessionStats {
    MediaSessionCounters session;
    JitterBufferCounters jitter_buffer;
    PacketizerCounters packetizer;
    TelephoneEventCounters telephone_events;            // received, played
    TelephoneEventSenderCounters telephone_events_sent;  // detected, sent
    SrtpCounters srtp;
    SrtpSuite srtp_suite = SrtpSuite::none;  // none: plain RTP, or SRTP still without keys
    int64_t lost = 0;  // RFC 3550 A.3 cumulative lost (expected - received)
    uint32_t expected = 0;
    uint32_t jitter_ts = 0;  // A.8, timestamp units
    uint32_t jitter_us = 0;
    int64_t rtt_us = -1;    // last 6.4.1 round trip, -1 before the first
    uint32_t delay_ms = 0;  // jitter buffer depth now
    uint32_t target_delay_ms = 0;
    bool far_end_report = false;  // the far end's view of our stream (its last report block)
    ReportBlock far_end;
    Endpoint remote_rtp;
    Endpoint remote_rtcp;
    bool rtp_timed_out = false;
};

class alignas(64) MediaSession {
public:
    static constexpr std::size_t max_cname = 255;
    // SR with one block (52) + SDES with the longest CNAME (8 + 260) + BYE (8).
    static constexpr std::size_t rtcp_buf_len = 52 + 8 + (2 + max_cname + 1 + 3) / 4 * 4 + 8;

    // Idle, sized for `limits` (control side, at start-up). Throws
    // std::invalid_argument for limits out of range.
    explicit MediaSession(const MediaSessionLimits& limits);

    // Configured with `config`, sized for exactly it; starts at the first
    // tick(). Throws std::invalid_argument with check()'s reason on a bad
    // config.
    explicit MediaSession(const MediaSessionConfig& config);

    // Validates a config against `limits`: -EINVAL for a bad value or
    // combination (see Packetizer::check and RtpJitterBuffer::check, a
    // local RTP port of 0 or 65535, no CNAME, a remote that is not
    // remote_sendable()), -ERANGE for a value over a limit
    // (jitter_max_delay_ms, CNAME length).
    static ConfigCheck check(const MediaSessionConfig& config, const MediaSessionLimits& limits);

    // Whether `e` can be a remote: unknown (port 0: the far end is learnt
    // from its RTP), or a unicast host address. RFC 1122 3.2.1.3 keeps 0/8,
    // loopback, multicast and class E (the limited broadcast) off the wire
    // as sources; a session must not send to them either (an offer's
    // c=0.0.0.0 is hold, RFC 3264 8.4, not an address). Control checks
    // the same before asking; this is the data plane's own line.
    static bool remote_sendable(Endpoint e);

    // Starts an idle session with `config` at now_ns (the RTP timeout and
    // the first RTCP report count from here). Returns 0; -EBUSY when the
    // session is configured already (release() it first); or check()'s
    // error, the session left idle and unchanged.
    int configure(const MediaSessionConfig& config, uint64_t now_ns);

    // Back to idle (O(1)); send_bye() first if the far end should know.
    // SRTP keys are forgotten (wiped) here; the counters stay readable.
    void release();

    // Plain ticks (plain_run.h): `run` is this session's entry in its
    // span's table, from which the span's tick runs the milliseconds the
    // session grants it at each call (tick() for the others). The calls
    // below take in what the run did first, where it matters (a received
    // duplicate leaves the run running), and stats() counts it; the
    // accessors counters(), jitter_buffer() and packetizer() show the
    // session as of the last call. nullptr detaches (the run is left with
    // nothing granted).
    void attach_plain_run(PlainRun* run);

    bool configured() const { return _configured; }
    const MediaSessionLimits& limits() const { return _limits; }

    // A new remote from a re-INVITE (address change, resume): RTP to `rtp`,
    // RTCP to rtp port + 1 until RTCP is heard from it. Local endpoint,
    // SSRC, sequence and timestamp all continue (RFC 3550 8.2: the SSRC
    // only changes with the source); only the remote moves. Returns 0, or
    // -EINVAL (the session unchanged) when `rtp` is not remote_sendable().
    [[nodiscard]] int set_remote(Endpoint rtp, bool symmetric_rtp);
    // Hold and resume (RFC 3264 8.4): off stops sending RTP (RTCP
    // continues, RFC 3264 5.1); timestamps keep advancing, and the first
    // packet after resuming carries the marker bit (RFC 3551 4.1).
    void set_sending(bool on);
    bool sending() const { return _sending; }

    // The telephone-event PT of the peer's SDP, from an answer or a
    // re-INVITE (RFC 3264 5.1: its numbers say what it receives): our DTMF
    // events go with it (0: the peer takes none; DTMF stays in-band). A
    // change abandons an event being sent. Events received with it are
    // taken too, beside ours; a session created without events takes it
    // as its own as well. Returns 0, or -EINVAL (unchanged) for a PT
    // outside 96-127.
    [[nodiscard]] int set_telephone_event_send_pt(uint8_t pt);

    // An SRTP key of a session configured with srtp (RFC 4568: ours from
    // our a=crypto, theirs from the peer's); again to re-key (7.1.4). It
    // sends once it has ours and takes packets once it has theirs.
    // Allocates (libsrtp's context). Returns 0, -EINVAL for a session
    // without srtp or suite none, or libsrtp's refusal (that direction then
    // has no key, as before).
    [[nodiscard]] int set_srtp_key(SrtpDirection dir, SrtpSuite suite, const SrtpMasterKey& key);
    // Both at once.
    [[nodiscard]] int set_srtp_keys(SrtpSuite suite, const SrtpMasterKey& ours, const SrtpMasterKey& theirs);

    // One millisecond: 8 samples from the channel (null when the span
    // delivered none: the packetizer skips and marks the next packet), 8
    // samples to play into the channel (null: discarded). Emits due RTP
    // and RTCP through `sink`. Returns the SessionEvent bits raised since
    // the previous tick. (With a plain run attached the span gives
    // samples both ways every millisecond: its runs assume so.)
    uint32_t tick(const uint8_t* tdm_in8, uint8_t* tdm_out8, uint64_t now_ns, PacketSink sink);

    // An RTP packet received on our RTP port.
    RxVerdict receive_rtp(const uint8_t* pkt, std::size_t len, Endpoint src, uint64_t now_ns);
    // An RTCP packet received on our RTCP port.
    RtcpParseError receive_rtcp(const uint8_t* pkt, std::size_t len, Endpoint src, uint64_t now_ns);

    // Sends the final compound report with a BYE (RFC 3550 6.6: "BYE ...
    // the last packet").
    void send_bye(uint64_t now_ns, PacketSink sink);

    MediaSessionStats stats() const;
    const MediaSessionCounters& counters() const { return _c; }
    Endpoint local_rtp() const { return _local_rtp; }
    Endpoint local_rtcp() const { return {_local_rtp.ipv4, static_cast<uint16_t>(_local_rtp.port + 1)}; }
    Endpoint remote_rtp() const { return _remote_rtp; }
    Endpoint remote_rtcp() const { return _remote_rtcp; }
    bool rtp_timed_out() const { return _timed_out; }
    const RtpJitterBuffer& jitter_buffer() const { return _jb; }
    const Packetizer& packetizer() const { return _pk; }

private:
    // Takes in the attached run's plain ticks on entry and grants the next
    // run on exit: every public call that reads or moves the state a run
    // depends on opens one.
    class RunVisit {
    public:
        explicit RunVisit(MediaSession& s) : _s(s) { _s.settle(); }
        ~RunVisit() { _s.grant(); }
        RunVisit(const RunVisit&) = delete;
        RunVisit& operator=(const RunVisit&) = delete;

    private:
        MediaSession& _s;
    };
    // receive_rtp()'s: takes the run in only if the jitter buffer is about
    // to change what playout does (or the packet's handling asks, or raised
    // an event), and then grants anew on exit.
    class PlayoutVisit {
    public:
        explicit PlayoutVisit(MediaSession& s) : _s(s), _events(s._events) {}
        ~PlayoutVisit()
        {
            if (_settled || _s._events != _events) {
                _s.settle();
                _s.grant();
            }
        }
        PlayoutVisit(const PlayoutVisit&) = delete;
        PlayoutVisit& operator=(const PlayoutVisit&) = delete;
        void settle_now()
        {
            _s.settle();
            _settled = true;
        }
        BeforePlayoutChange before_playout_change()
        {
            return {[](void* v) { static_cast<PlayoutVisit*>(v)->settle_now(); }, this};
        }

    private:
        MediaSession& _s;
        uint8_t _events;
        bool _settled = false;
    };
    void settle();
    void grant();
    uint32_t plain_ticks_pending() const { return _run != nullptr ? _granted - _run->ticks : 0; }
    bool plain_run_silent() const { return _run != nullptr && _run->silent; }

    int build_report(uint64_t now_ns, uint8_t* out, std::size_t cap);
    void send_rtp(const uint8_t* pkt, std::size_t len, PacketSink sink);
    bool send_protected(PacketKind kind, const uint8_t* pkt, std::size_t len, Endpoint src, Endpoint dst,
                        PacketSink sink);
    int unprotect(PacketKind kind, const uint8_t* pkt, std::size_t len, uint8_t* buf);
    bool make_srtp_ctx();
    RxVerdict receive_plain_rtp(const uint8_t* pkt, std::size_t len, Endpoint src, uint64_t now_ns,
                                PlayoutVisit& visit);
    RtcpParseError receive_plain_rtcp(const uint8_t* pkt, std::size_t len, Endpoint src, uint64_t now_ns);
    void send_audio_or_events(std::size_t len, PacketSink sink);
    bool is_event_pt(uint8_t pt) const;
    void send_rtcp(uint64_t now_ns, PacketSink sink, bool bye);
    void schedule_rtcp(uint64_t now_ns, uint64_t interval_ns);
    uint32_t random();
    void reset(const MediaSessionConfig& config);
    void arm_rtp_timeout(uint64_t now_ns);

    static constexpr uint64_t never = UINT64_MAX;
    // The longest SRTP/SRTCP datagram taken (a 2 KB mbuf's data room).
    static constexpr std::size_t srtp_max_datagram = 2048;
    static constexpr uint8_t tev_playing = 1;
    static constexpr uint8_t tev_played = 2;

    // Hot first: what every tick and every received RTP packet touch (the
    // RTP-timeout and RTCP checks are one deadline each), then the
    // packetizer (28 octets: its payload gathers in _rtp_buf) and the
    // jitter buffer (its own hot fields and tick counters lead), so that a
    // tick's fields fill the session's first two cache lines (the third
    // holds the concealment counter; concealing touches the PLC state
    // anyway). Checked with cachegrind (media_sessions). At 10,000
    // sessions each line a tick or a packet touches is a cache miss
    // (alignas(64): a session starts a line).
    bool _configured = false;
    bool _started = false;
    bool _sending = true;
    bool _timed_out = false;
    uint32_t _rtp_timeout_ms = 0;         // 0: no RTP timeout
    uint64_t _rtp_timeout_at_ns = never;  // last valid RTP + _rtp_timeout_ms; never: off or raised
    uint64_t _next_rtcp_ns = never;       // never: no RTCP reports
    Endpoint _remote_rtp;
    uint8_t _events = 0;     // SessionEvent bits
    bool _srtp = false;      // config.srtp: every packet through _srtp_ctx
    uint8_t _tev_pt = 0;     // telephone_event_pt: events received (and the sender's gate)
    uint8_t _tev_flags = 0;  // tev_playing: a DTMF tone replaces the jitter buffer's playout;
                             // tev_played: one did since the last packet sent
    Packetizer _pk;
    RtpJitterBuffer _jb;
    // One line for what a packet's end (and an accepted packet) needs
    // beyond the lines above: our source address, the run, and the
    // counters a sent and an accepted packet move (_c's first four).
    Endpoint _local_rtp;
    PlainRun* _run = nullptr;  // attach_plain_run()
    uint32_t _granted = 0;     // the ticks _run was granted at the last call
    MediaSessionCounters _c;

    uint64_t _rtcp_interval_ns = 0;
    PacketizerCounters _pk_c;  // from _pk's push() and skip()
    MediaSessionLimits _limits;
    bool _symmetric = false;
    NtpClock _ntp;
    Endpoint _remote_rtcp;
    bool _rtcp_heard = false;

    uint32_t _rng = 1;
    uint64_t _packets_at_last_report = 0;
    bool _have_lsr = false;
    uint32_t _lsr = 0;  // middle 32 bits of the far end's last SR
    uint64_t _lsr_arrival_ntp = 0;
    int64_t _rtt_us = -1;
    bool _far_end_report = false;
    ReportBlock _far_end;
    TelephoneEventPlayer _tev;

    uint8_t _cname_len = 0;
    char _cname[max_cname];
    uint8_t _rtp_buf[Packetizer::max_packet];
    uint8_t _rtcp_buf[rtcp_buf_len];
    // Allocated apart (with the session, at start-up): a session without
    // telephone-events never touches it, and its ~0.5 KB would spread the
    // pool's sessions over more pages (at 10,000 sessions every page the
    // tick walks is a TLB entry more).
    std::unique_ptr<TelephoneEventSender> _tev_tx;
    // Made when a session with SRTP is configured (set-up, not the packet
    // path), kept for the slot's later sessions.
    std::unique_ptr<SrtpSession> _srtp_ctx;
};

}  // namespace trunkgw::media
