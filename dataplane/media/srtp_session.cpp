// SRTP for one session through libsrtp 2; see srtp_session.h.
#include "dataplane/media/srtp_session.h"

#include "dataplane/media/srtp_openssl.h"
#include "dataplane/media/srtp_policy.h"

#include <cerrno>
#include <cstring>
#include <mutex>

#include <srtp2/srtp.h>

namespace trunkgw::media {

static_assert(srtp_max_overhead == 4 + SRTP_MAX_TRAILER_LEN, "protect's room: SRTCP's E|index and libsrtp's trailer");

namespace {

srtp_t ctx(void* p)
{
    return static_cast<srtp_t>(p);
}

}  // namespace

bool srtp_library_ready()
{
    static std::once_flag once;
    static bool ready = false;
    std::call_once(once, [] { ready = srtp_init() == srtp_err_status_ok && srtp_use_openssl_primitives(); });
    return ready;
}

SrtpSession::~SrtpSession()
{
    release();
}

void SrtpSession::reset()
{
    release();
    _c = {};
}

void SrtpSession::forget_keys()
{
    release();
}

void SrtpSession::release()
{
    if (_tx != nullptr) {
        srtp_dealloc(ctx(_tx));
        _tx = nullptr;
    }
    if (_rx != nullptr) {
        srtp_dealloc(ctx(_rx));
        _rx = nullptr;
    }
    explicit_bzero(&_tx_key, sizeof(_tx_key));
    explicit_bzero(&_rx_key, sizeof(_rx_key));
    _suite = SrtpSuite::none;
}

int SrtpSession::set_key(SrtpDirection dir, SrtpSuite suite, const SrtpMasterKey& key, uint32_t ssrc)
{
    const bool ours = dir == SrtpDirection::ours;
    void*& slot = ours ? _tx : _rx;
    Keyed& had = ours ? _tx_key : _rx_key;
    if (suite == SrtpSuite::none) {
        return -EINVAL;
    }
    if (slot != nullptr && had.suite == suite && had.key == key) {
        // The same a=crypto again (a re-INVITE that repeats it): the
        // context goes on. A new one would restart the rollover counter
        // (RFC 3711 3.3.1) under the same key: keystream used twice on our
        // side, and every packet failing on theirs once the far end's ROC
        // is past 0.
        return 0;
    }
    if (!srtp_library_ready()) {
        return -EIO;
    }
    srtp_policy_t p;
    srtp_fill_policy(p, suite, key);
    if (dir == SrtpDirection::ours) {
        p.ssrc.type = ssrc_specific;
        p.ssrc.value = ssrc;
    } else {
        p.ssrc.type = ssrc_any_inbound;
    }
    srtp_t s = nullptr;
    const srtp_err_status_t st = srtp_create(&s, &p);
    if (st != srtp_err_status_ok) {
        return st == srtp_err_status_alloc_fail ? -ENOMEM : -EIO;  // the old key stays
    }
    if (slot != nullptr) {
        srtp_dealloc(ctx(slot));
    }
    slot = s;
    had = {suite, key};
    _suite = suite;
    return 0;
}

int SrtpSession::protect_rtp(uint8_t* pkt, std::size_t len, std::size_t cap)
{
    // libsrtp may write up to SRTP_MAX_TRAILER_LEN past the packet.
    if (cap < len + SRTP_MAX_TRAILER_LEN) {
        ++_c.failed;
        return -ENOSPC;
    }
    int n = static_cast<int>(len);
    if (srtp_protect(ctx(_tx), pkt, &n) != srtp_err_status_ok) {
        ++_c.failed;
        return -EIO;
    }
    return n;
}

int SrtpSession::protect_rtcp(uint8_t* pkt, std::size_t len, std::size_t cap)
{
    // SRTCP adds its E|index word before the tag (RFC 3711 3.4).
    if (cap < len + SRTP_MAX_TRAILER_LEN + 4) {
        ++_c.failed;
        return -ENOSPC;
    }
    int n = static_cast<int>(len);
    if (srtp_protect_rtcp(ctx(_tx), pkt, &n) != srtp_err_status_ok) {
        ++_c.failed;
        return -EIO;
    }
    return n;
}

int SrtpSession::count_refusal(int status)
{
    switch (status) {
    case srtp_err_status_auth_fail:
        ++_c.auth_failed;
        break;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        ++_c.replayed;
        break;
    default:
        ++_c.failed;
        break;
    }
    return -1;
}

int SrtpSession::unprotect_rtp(uint8_t* pkt, std::size_t len)
{
    int n = static_cast<int>(len);
    const srtp_err_status_t s = srtp_unprotect(ctx(_rx), pkt, &n);
    return s == srtp_err_status_ok ? n : count_refusal(s);
}

int SrtpSession::unprotect_rtcp(uint8_t* pkt, std::size_t len)
{
    int n = static_cast<int>(len);
    const srtp_err_status_t s = srtp_unprotect_rtcp(ctx(_rx), pkt, &n);
    return s == srtp_err_status_ok ? n : count_refusal(s);
}

}  // namespace trunkgw::media
