// SRTP and SRTCP (RFC 3711) for one RTP session, through libsrtp 2: the
// keys RFC 4568 (SDES) names with a crypto suite, one master key and salt
// for what we send and one for what we receive ("each direction uses its
// own key", RFC 4568 6.1: each side's a=crypto line carries the key it
// sends with).
//
// What this protects: the payload (AES counter mode) and the whole packet
// (HMAC-SHA1, 80 or 32 bits of tag; SRTCP always 80, RFC 4568 6.2.1), and
// the replay window (RFC 3711 3.3.2: 128 packets here, libsrtp's default).
// A received packet that fails its tag or repeats one already taken is
// dropped and counted, never played.
//
// libsrtp allocates: the contexts when the keys are set (on the worker, at
// session set-up, not in the packet path), and the stream of a received
// SSRC the first time it is seen (RFC 3711 3.2.3: its rollover counter and
// replay list are per SSRC); our own SSRC's stream is made with the keys.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "dataplane/api/srtp_suite.h"

namespace trunkgw::media {

// Whose key: ours protects what we send, theirs opens what we receive.
enum class SrtpDirection : uint8_t { ours = 0, theirs = 1 };

// RFC 4568 6.2.1's suites (the two every SDES peer offers); their names
// (srtp_suite_name, srtp_suite_of) are the API's, control speaks them too.
using api::SrtpSuite;
using api::srtp_suite_name;
using api::srtp_suite_of;

// libsrtp's crypto kernel is process-wide and takes one srtp_init() (a
// second fails): initialised here once, by the first caller; true when it
// is ready. Anything else in the process that uses libsrtp calls it too.
bool srtp_library_ready();

// RFC 4568 6.2.1: a 128-bit master key and a 112-bit master salt,
// concatenated ("inline:" key||salt, base64).
inline constexpr std::size_t srtp_master_len = 30;
using SrtpMasterKey = std::array<uint8_t, srtp_master_len>;

// Room a protect needs past the packet: libsrtp may write up to its
// SRTP_MAX_TRAILER_LEN (a 16-octet tag and a 128-octet MKI) there, and
// SRTCP's 4-octet E|index before it (checked against srtp.h in the .cpp).
// What it adds is less: a 10- or 4-octet tag (RFC 4568 6.2.1), and the 4.
inline constexpr std::size_t srtp_max_overhead = 4 + 16 + 128;

struct SrtpCounters {
    uint64_t auth_failed = 0;  // received packets whose tag did not verify (RFC 3711 3.3: discarded)
    uint64_t replayed = 0;     // received packets already taken, or too old for the window (3.3.2)
    uint64_t failed = 0;       // packets libsrtp refused otherwise (received: too short for a tag,
                               // too long for us; sent: past its key's packet limit)
    uint64_t no_keys = 0;      // packets due or received before the keys: not sent, dropped
};

class SrtpSession {
public:
    SrtpSession() = default;
    ~SrtpSession();
    SrtpSession(const SrtpSession&) = delete;
    SrtpSession& operator=(const SrtpSession&) = delete;

    // One direction's key: ours protects what we send (our SSRC `ssrc`),
    // theirs opens what we receive (any SSRC; `ssrc` unused). A different
    // key replaces that direction's (a re-INVITE's new a=crypto, RFC 4568
    // 7.1.4: a new context); the same one again changes nothing; the
    // counters stay. Returns 0, or -EINVAL for suite none, -ENOMEM / -EIO
    // when libsrtp refuses (the direction keeps what it had).
    int set_key(SrtpDirection dir, SrtpSuite suite, const SrtpMasterKey& key, uint32_t ssrc);
    bool can_send() const { return _tx != nullptr; }
    bool can_receive() const { return _rx != nullptr; }
    SrtpSuite suite() const { return _suite; }  // of the last key set
    // No keys, counters zeroed (a new session in the slot).
    void reset();
    // No keys (wiped), counters kept (a session that ended).
    void forget_keys();
    // A packet due or received before the key it needs (not sent, dropped).
    void count_no_keys() { ++_c.no_keys; }
    // A received packet longer than the caller's buffer (dropped).
    void count_too_long() { ++_c.failed; }

    // In place: `pkt` holds `len` octets of RTP (RTCP) and room for `cap`
    // (at least len + srtp_max_overhead). Returns the protected length, or
    // a negative errno, counted as failed (-ENOSPC: too little room; -EIO:
    // libsrtp refused).
    int protect_rtp(uint8_t* pkt, std::size_t len, std::size_t cap);
    int protect_rtcp(uint8_t* pkt, std::size_t len, std::size_t cap);
    // In place. Returns the plain length, or -1 for a packet to drop
    // (counted).
    int unprotect_rtp(uint8_t* pkt, std::size_t len);
    int unprotect_rtcp(uint8_t* pkt, std::size_t len);

    const SrtpCounters& counters() const { return _c; }

private:
    void release();
    int count_refusal(int status);

    // What a direction was keyed with: the same key again is no re-key.
    struct Keyed {
        SrtpSuite suite = SrtpSuite::none;
        SrtpMasterKey key{};
    };

    void* _tx = nullptr;  // srtp_t: our SSRC's stream
    void* _rx = nullptr;  // srtp_t: the far end's streams
    Keyed _tx_key;
    Keyed _rx_key;
    SrtpSuite _suite = SrtpSuite::none;
    SrtpCounters _c;
};

}  // namespace trunkgw::media
