// The guard in front of Sofia-SIP's SDP parser (signaling/sip/sdp_guard.h).
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <sofia-sip/sdp.h>
#include <sofia-sip/soa.h>
#include <sofia-sip/su_wait.h>

#include "signaling/sip/sdp_guard.h"
#include "signaling/sip/sdp_media.h"

using namespace trunkgw::sip;

namespace {

const std::string head = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n";
const std::string looping = head + "m=audio 49170 RT@/Ae:30\r\n";  // what the fuzzer found

// A root for SOA sessions, as the control loop has.
struct Root {
    Root()
    {
        su_init();
        root = su_root_create(nullptr);
    }
    ~Root()
    {
        su_root_destroy(root);
        su_deinit();
    }
    su_root_t* root;
};

// Runs `body` in a child whose address space is capped at 1 GiB: were the
// guard to let the looping SDP through, Sofia would take ~19 GB here, and
// the cap turns that into a failed allocation in the child, not a machine
// without memory. Returns the child's exit status (-1: it did not exit).
template <typename F>
int in_capped_child(F body)
{
    pid_t pid = fork();
    if (pid == 0) {
        rlimit cap{1ul << 30, 1ul << 30};
        setrlimit(RLIMIT_AS, &cap);
        _exit(body());
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("sdp guard: m= lines Sofia-SIP 1.12 would loop on are found, valid SDP is not", "[sip]")
{
    // Valid m= lines: RTP and not, ports with a count, several formats,
    // tabs, a line ending in CR or LF only, leading spaces.
    for (const char* m : {"m=audio 49170 RTP/AVP 0 8 101", "m=image 5000 udptl t38", "m=audio 5000/2 RTP/SAVP 8",
                          "m=audio 0 RTP/AVP 8", "m=audio\t5000\tudp\tx-fmt", "  m=video 5000 TCP/TLS/RTP/AVP 96"}) {
        INFO(m);
        CHECK_FALSE(sdp_makes_sofia_loop(head + m + "\r\na=ptime:20\r\n"));
        CHECK_FALSE(sdp_makes_sofia_loop(head + m + "\n"));
    }
    // Other lines may hold any text (Sofia's loop is in the m= line's format list).
    CHECK_FALSE(sdp_makes_sofia_loop(head + "s=@ \"quoted\"\r\na=fmtp:101 0-15\r\nm=audio 1 RTP/AVP 8\r\n"));
    // (Sofia's token() swallows the character that ends a token, so "a\"b"
    // reads as two formats and ends; a format that starts with one loops.)
    CHECK_FALSE(sdp_makes_sofia_loop(head + "m=audio 5000 udp a\"b\r\n"));
    CHECK_FALSE(sdp_makes_sofia_loop(head + "m=image 5000 udptl\t\r\n"));  // the tab ends "udptl"
    // An RTP list is read number by number: "@" there is Sofia's own error.
    CHECK_FALSE(sdp_makes_sofia_loop(head + "m=audio 5000 RTP/AVP 8 @\r\n"));
    CHECK_FALSE(parse_audio(head + "m=audio 5000 RTP/AVP 8 @\r\n"));
    // What makes Sofia-SIP 1.12 loop: no token where a format should start.
    for (const char* m : {"m=audio 49170 RT@/Ae:30", "m=audio 5000 udp @", "m=audio 1 X@/", "m=audio 5000 udp a \"b",
                          "m=audao 40971PRT /AVP 0 8 101", "m=image 5000 udptl \t", " \tm=audio 5000 udp (x)"}) {
        INFO(m);
        CHECK(sdp_makes_sofia_loop(head + m + "\r\n"));
        CHECK(sdp_makes_sofia_loop(head + m + "\ra=sendonly\n"));
    }
    // A bare "RTP" is RTP to the lenient parser (its list ends), not to the strict one.
    CHECK_FALSE(sdp_makes_sofia_loop(head + "m=audio 5000 RTP /\r\n"));
    CHECK(sdp_makes_sofia_loop(head + "m=audio 5000 RTP /\r\n", sdp_f_strict));
    // After a NUL nothing is parsed (Sofia copies with strncpy).
    CHECK_FALSE(sdp_makes_sofia_loop(head + std::string("m=audio 1 RTP/AVP 8\r\n\0m=audio 1 udp @\r\n", 40)));
    CHECK_FALSE(sdp_makes_sofia_loop(""));
}

TEST_CASE("sdp guard: bound ahead of Sofia's parser, it keeps the looping body from SOA and counts it", "[sip]")
{
    Root r;
    // nua's path: an INVITE's offer given to a SOA session reaches us.
    REQUIRE(sdp_guard_active(r.root));
    uint64_t before = sdp_guard_refusals();
    // Exit 0: SOA refused the offer and the guard counted it once.
    int status = in_capped_child([&] {
        soa_session_t* ss = soa_create(nullptr, r.root, nullptr);
        bool refused = soa_set_remote_sdp(ss, nullptr, looping.c_str(), -1) < 0;
        return refused && sdp_guard_refusals() == before + 1 ? 0 : 1;
    });
    CHECK(status == 0);
    // Our own reading goes through it too.
    CHECK(in_capped_child([&] { return !parse_audio(looping) && sdp_guard_refusals() == before + 1 ? 0 : 1; }) == 0);
    // A valid body goes through, uncounted.
    auto ok = parse_audio(head + "m=audio 49170 RTP/AVP 8\r\n");
    REQUIRE(ok);
    CHECK(ok->port == 49170);
    CHECK(sdp_guard_refusals() == before);
}
