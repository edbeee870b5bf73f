// The libsrtp policy of one of our suites: what SrtpSession keys a
// direction with, and what the tests' far ends (the unit test's, the
// fuzzer's) key theirs with, so that both sides always agree.
#pragma once

#include <cstring>

#include <srtp2/srtp.h>

#include "dataplane/media/srtp_session.h"

namespace trunkgw::media {

// `key` must outlive srtp_create() (libsrtp copies it there). The SSRC
// (type and value) is the caller's.
inline void srtp_fill_policy(srtp_policy_t& p, SrtpSuite suite, const SrtpMasterKey& key)
{
    std::memset(&p, 0, sizeof(p));
    if (suite == SrtpSuite::aes_cm_128_hmac_sha1_32) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
    } else {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    }
    // RFC 4568 6.2.1: "the SRTCP authentication tag is 80 bits" for both.
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    p.key = const_cast<unsigned char*>(key.data());
    p.window_size = 128;  // RFC 3711 3.3.2's replay list (libsrtp's default)
    p.allow_repeat_tx = 0;
}

}  // namespace trunkgw::media
