// SRTP keys from their RFC 4568 text; see srtp_keys.h.
#include "control/srtp_keys.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <sofia-sip/base64.h>

namespace trunkgw::control {

SrtpMaster srtp_master_from_base64(std::string_view b64, std::string_view what)
{
    if (!api::srtp_master_text(b64)) {
        throw std::invalid_argument(
            fmt::format("{}: {} base64 characters; a master key and salt are 40 (30 octets)", what, b64.size()));
    }
    const std::string text(b64);
    char buf[64];
    const isize_t n = base64_d(buf, sizeof(buf), text.c_str());
    if (n != static_cast<isize_t>(api::srtp_master_len)) {
        throw std::invalid_argument(fmt::format("{}: not 30 octets of base64", what));
    }
    SrtpMaster m;
    for (std::size_t i = 0; i < m.size(); ++i) {
        m[i] = static_cast<uint8_t>(buf[i]);
    }
    return m;
}

SrtpKeys srtp_keys_from_text(std::string_view suite, std::string_view ours_b64, std::string_view theirs_b64)
{
    SrtpKeys k;
    k.suite = api::srtp_suite_of(suite);
    if (k.suite == api::SrtpSuite::none) {
        throw std::invalid_argument(fmt::format("SRTP suite \"{}\": AES_CM_128_HMAC_SHA1_80 or AES_CM_128_HMAC_SHA1_32",
                                                suite));
    }
    k.ours = srtp_master_from_base64(ours_b64, "our SRTP key");
    k.theirs = srtp_master_from_base64(theirs_b64, "their SRTP key");
    if (k.ours == *k.theirs) {
        // RFC 4568 6.1: each direction its own key. With one key for both,
        // our own packets reflected back to us would pass as the far end's.
        throw std::invalid_argument("our and their SRTP keys are the same: each direction needs its own");
    }
    return k;
}

namespace {

SrtpMaster random_master()
{
    SrtpMaster m;
    std::size_t got = 0;
    while (got < m.size()) {
        const ssize_t n = getrandom(m.data() + got, m.size() - got, 0);
        if (n < 0 && errno != EINTR) {
            throw std::runtime_error(fmt::format("getrandom: {}", std::strerror(errno)));
        }
        got += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    return m;
}

std::string base64_of(const SrtpMaster& m)
{
    char text[64];
    base64_e(text, sizeof(text), const_cast<uint8_t*>(m.data()), m.size());
    std::string s(text);
    explicit_bzero(text, sizeof(text));
    return s;
}

SdesKeys sdes_keys(api::SrtpSuite suite, uint32_t tag, std::optional<SrtpMaster> theirs)
{
    SdesKeys s;
    s.keys.suite = suite;
    do {
        s.keys.ours = random_master();
    } while (theirs && s.keys.ours == *theirs);  // each direction its own key (RFC 4568 6.1)
    s.keys.theirs = theirs;
    s.line = {tag, std::string(api::srtp_suite_name(suite)), base64_of(s.keys.ours)};
    return s;
}

}  // namespace

SdesKeys sdes_offer()
{
    return sdes_keys(api::SrtpSuite::aes_cm_128_hmac_sha1_80, 1, std::nullopt);
}

SdesKeys sdes_answer(const sip::SdesKey& theirs)
{
    const api::SrtpSuite suite = api::srtp_suite_of(theirs.suite);
    if (suite == api::SrtpSuite::none) {
        throw std::invalid_argument(fmt::format("SRTP suite \"{}\" is not one we have", theirs.suite));
    }
    return sdes_keys(suite, theirs.tag, srtp_master_from_base64(theirs.key_base64, "the peer's SRTP key"));
}

}  // namespace trunkgw::control
