// SipAgent with real Sofia-SIP on both sides: two agents on loopback, each
// the other's trunk, driven by one su_root. INVITE with SDP offer/answer,
// 180/183, 200, BYE with Reason; a refusal crosses as SIP status and Q.850
// (RFC 3398 / RFC 3326); CANCEL; an untrusted source gets 403; a trunk over
// its calls per second gets 503. Plus SDP parsing on its own.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <vector>

#include <sofia-sip/su_wait.h>

#include "tests/unit/signaling_sip/agent_pair.h"

using namespace trunkgw::sip;
using namespace trunkgw_test;
using trunkgw::interwork::CauseMap;


TEST_CASE("sdp: the audio line of an offer, and ours", "[sip]")
{
    const std::string offer = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
                              "m=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
                              "a=rtpmap:101 telephone-event/8000\r\na=ptime:30\r\n";
    auto m = parse_audio(offer);
    REQUIRE(m);
    CHECK(m->ipv4 == 0xc0000209);
    CHECK(m->port == 49170);
    CHECK(m->payload_types == std::vector<int>{0, 8, 101});
    CHECK(m->ptime_ms == 30);
    CHECK_FALSE(m->inactive);
    CHECK(choose_g711(*m, 8) == 8);
    CHECK(choose_g711(*m, 0) == 0);
    CHECK(choose_g711(RemoteMedia{0, 1, {18, 9}, 0, false}, 8) == -1);
    for (const char* mode : {"sendonly", "inactive"}) {
        auto held = parse_audio(offer + "a=" + mode + "\r\n");
        REQUIRE(held);
        CHECK(held->inactive);
    }
    auto recvonly = parse_audio(offer + "a=recvonly\r\n");
    REQUIRE(recvonly);
    CHECK_FALSE(recvonly->inactive);
    CHECK_FALSE(parse_audio("garbage"));
    // A port beyond 16 bits is refused, not truncated (70000 is 4464 + 65536).
    const std::string head = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n";
    CHECK_FALSE(parse_audio(head + "m=audio 70000 RTP/AVP 8\r\n"));
    CHECK_FALSE(parse_audio(head + "m=audio 4294967297 RTP/AVP 8\r\n"));
    auto top = parse_audio(head + "m=audio 65535 RTP/AVP 8\r\n");
    REQUIRE(top);
    CHECK(top->port == 65535);
    // RFC 3264 8.4: c=0.0.0.0 is the old (RFC 2543) hold: no address to
    // send to, so no port either (the session must not send there).
    auto old_hold = parse_audio("v=0\r\no=- 1 2 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
                                "m=audio 49170 RTP/AVP 8\r\n");
    REQUIRE(old_hold);
    CHECK(old_hold->inactive);
    CHECK(old_hold->ipv4 == 0);
    CHECK(old_hold->port == 0);
    // RFC 3264 5.1: port 0, a stream not to be used: nothing is sent on it.
    auto unused = parse_audio(head + "m=audio 0 RTP/AVP 8\r\n");
    REQUIRE(unused);
    CHECK(unused->port == 0);
    CHECK(unused->ipv4 == 0xc0000209);
    CHECK(unused->inactive);
    // No unicast IPv4 address to send to: the port is dropped (latching
    // finds the far end), whatever the port said.
    for (const char* c : {"c=IN IP4 pbx.example.net", "c=IN IP6 2001:db8::1", "c=IN IP4 127.0.0.1",
                          "c=IN IP4 224.2.3.4/127", "c=IN IP4 255.255.255.255", "c=IN IP4 0.1.2.3"}) {
        INFO(c);
        auto none = parse_audio(std::string("v=0\r\no=- 1 2 IN IP4 192.0.2.9\r\ns=-\r\n") + c +
                                "\r\nt=0 0\r\nm=audio 49170 RTP/AVP 8\r\n");
        REQUIRE(none);
        CHECK(none->ipv4 == 0);
        CHECK(none->port == 0);
        CHECK_FALSE(none->inactive);
    }
    CHECK_FALSE(parse_audio("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n"));
    // RFC 4733 7.1.1: telephone-event/8000 names the DTMF events' PT (the
    // media type is case-insensitive; another rate or a static PT is not it).
    CHECK(m->telephone_event_pt == 101);
    auto te = [&head](const std::string& rtpmap) {
        auto r = parse_audio(head + "m=audio 5000 RTP/AVP 8 96\r\na=rtpmap:8 PCMA/8000\r\n" + rtpmap + "\r\n");
        REQUIRE(r);
        return r->telephone_event_pt;
    };
    CHECK(te("a=rtpmap:96 Telephone-Event/8000") == 96);
    CHECK(te("a=rtpmap:96 telephone-event/16000") == 0);
    CHECK(te("a=rtpmap:96 opus/48000/2") == 0);
    CHECK(te("a=rtpmap:13 telephone-event/8000") == 0);
    // Ours: offered with events 0-15 when asked, else not named at all.
    const std::string with = describe(LocalMedia{0x0a000001, 20000, 8, 20, 101}, 7, 1);
    CHECK(with.find("m=audio 20000 RTP/AVP 8 101\r\n") != std::string::npos);
    CHECK(with.find("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n") != std::string::npos);
    CHECK(parse_audio(with)->telephone_event_pt == 101);
    const std::string without = describe(LocalMedia{0x0a000001, 20000, 8, 20}, 7, 1);
    CHECK(without.find("telephone-event") == std::string::npos);
    CHECK(without.find("m=audio 20000 RTP/AVP 8\r\n") != std::string::npos);
    // SRTP (RFC 4568): ours is RTP/SAVP with our a=crypto line.
    LocalMedia srtp{0x0a000001, 20000, 8, 20};
    srtp.sdes = SdesKey{3, "AES_CM_128_HMAC_SHA1_32", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpBQkNE"};
    const std::string savp = describe(srtp, 7, 1);
    CHECK(savp.find("m=audio 20000 RTP/SAVP 8\r\n") != std::string::npos);
    CHECK(savp.find("a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpBQkNE\r\n") !=
          std::string::npos);
    auto back = parse_audio(savp);
    REQUIRE(back);
    CHECK(back->savp);
    REQUIRE(back->sdes);
    CHECK((back->sdes->tag == 3 && back->sdes->suite == "AES_CM_128_HMAC_SHA1_32"));
    CHECK_FALSE(parse_audio(with)->savp);
    auto ours = parse_audio(describe(LocalMedia{0x0a000001, 20000, 0, 20}, 7, 1));
    REQUIRE(ours);
    CHECK(ours->ipv4 == 0x0a000001);
    CHECK(ours->payload_types == std::vector<int>{0});
}

TEST_CASE("sip agent: INVITE, 180, 200 with SDP both ways, BYE with its Q.850 Reason", "[sip]")
{
    Pair p;
    int64_t id = p.call();
    REQUIRE(id > 0);
    REQUIRE(p.run(5.0, [&] { return !p.a_model.answered.empty(); }));
    REQUIRE(p.b_model.infos.size() == 1);
    CHECK(p.b_model.infos[0].trunk == "to-a");
    CHECK(p.b_model.infos[0].called == "5551234");
    CHECK(p.b_model.infos[0].calling == "301234567");
    CHECK(p.b_model.infos[0].remote.port == 30000);  // A's offer
    CHECK(p.a_model.progress == std::vector<int>{180});
    // RFC 3262: both support 100rel, so the 180 came reliably (and was
    // PRACKed); RFC 4028: the 200 carried Session-Expires.
    CHECK(p.a->status().trunks.at("to-b").reliable_provisionals_in == 1);
    CHECK(p.a->status().trunks.at("to-b").session_timers_in == 1);
    CHECK(p.a_model.answered[0].port == 40000);  // B's answer
    CHECK(p.a_model.answered[0].payload_types == std::vector<int>{8});
    CHECK(p.a->status().trunks.at("to-b").active == 1);
    // B hangs up with cause 16: A hears BYE with Reason Q.850 16.
    p.b->call_hangup(p.b_model.incoming[0], 16);
    REQUIRE(p.run(5.0, [&] { return !p.a_model.cleared.empty(); }));
    CHECK(p.a_model.cleared[0].second == 16);
    REQUIRE(p.run(5.0, [&] { return p.a->status().trunks.at("to-b").active == 0 && p.b->status().trunks.at("to-a").active == 0; }));
}

TEST_CASE("sip agent: a refusal crosses as 486 with Reason Q.850 17; early media is a 183 with SDP", "[sip]")
{
    Pair p;
    p.b_model.on_invite = Recorder::OnInvite::reject;
    p.b_model.reject_cause = 17;
    REQUIRE(p.call() > 0);
    REQUIRE(p.run(5.0, [&] { return !p.a_model.cleared.empty(); }));
    CHECK(p.a_model.cleared[0].second == 17);
    CHECK(p.b->status().trunks.at("to-a").final_responses_out.at(486) == 1);
    CHECK(p.a->status().trunks.at("to-b").final_responses_in.at(486) == 1);

    p.b_model.on_invite = Recorder::OnInvite::early_answer;
    int64_t id = p.call();
    REQUIRE(p.run(5.0, [&] { return !p.a_model.progress.empty(); }));
    CHECK(p.a_model.progress.back() == -183);  // with SDP
    // A gives up before the answer: CANCEL; B hears it with the cause.
    p.a->call_hangup(static_cast<uint32_t>(id), 16);
    REQUIRE(p.run(5.0, [&] { return !p.b_model.cleared.empty(); }));
    CHECK(p.b_model.cleared[0].second == 16);
    REQUIRE(p.run(5.0, [&] { return p.b->status().trunks.at("to-a").active == 0; }));
}

TEST_CASE("sip agent: calls per second over the limit get 503, the next second is served", "[sip]")
{
    Pair p(1.0);  // B admits one INVITE per second from A
    p.b_model.on_invite = Recorder::OnInvite::ring_answer;
    REQUIRE(p.call() > 0);
    REQUIRE(p.call() > 0);
    p.run(5.0, [&] { return p.a_model.answered.size() + p.a_model.cleared.size() == 2; });
    INFO("answered " << p.a_model.answered.size() << " cleared " << p.a_model.cleared.size() << " b incoming " << p.b_model.incoming.size() << " refused " << p.b->status().trunks.at("to-a").refused_limit);
    REQUIRE(p.a_model.answered.size() + p.a_model.cleared.size() == 2);
    CHECK(p.a_model.answered.size() == 1);
    REQUIRE(p.a_model.cleared.size() == 1);
    CHECK(p.a_model.cleared[0].second == 34);  // 503 with Reason Q.850 34
    CHECK(p.b->status().trunks.at("to-a").refused_limit == 1);
}

TEST_CASE("sip agent: an INVITE from a source no trunk lists is refused with 403 and counted", "[sip]")
{
    su_init();
    su_root_t* root = su_root_create(nullptr);
    {
        Recorder m_gw, m_stranger;
        SipAgent gw(root, {"sip:127.0.0.1:25063;transport=udp", "127.0.0.1:25063", {trunk_to("pbx", 0x7f000009, 5060)}},
                    CauseMap{}, &m_gw);
        SipAgent stranger(root,
                          {"sip:127.0.0.1:25064;transport=udp", "127.0.0.1:25064", {trunk_to("gw", loopback, 25063)}},
                          CauseMap{}, &m_stranger);
        SipCallInfo info;
        info.called = "900123";
        REQUIRE(stranger.call_setup("gw", info, LocalMedia{media_address, 30002, 8, 20}) > 0);
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (m_stranger.cleared.empty() && std::chrono::steady_clock::now() < end) {
            su_root_step(root, 10);
        }
        REQUIRE(m_stranger.cleared.size() == 1);
        CHECK(m_stranger.cleared[0].second == 21);  // 403 -> call rejected
        CHECK(gw.status().refused_acl == 1);
        CHECK(m_gw.incoming.empty());
    }
    su_root_destroy(root);
    su_deinit();
}

TEST_CASE("sip agent: OPTIONS keepalive marks a silent trunk down (calls refused with 38) and a live one up",
          "[sip]")
{
    su_init();
    su_root_t* root = su_root_create(nullptr);
    {
        Recorder m_a, m_b;
        // Trunk "live" is agent B (nua answers OPTIONS); "dead" a port
        // nothing listens on.
        SipAgent a(root,
                   {"sip:127.0.0.1:25065;transport=udp", "127.0.0.1:25065",
                    {trunk_to("live", loopback, 25066, 0, 1), trunk_to("dead", loopback, 25099, 0, 1)}},
                   CauseMap{}, &m_a);
        SipAgent b(root, {"sip:127.0.0.1:25066;transport=udp", "127.0.0.1:25066", {trunk_to("a", loopback, 25065, 0, 0)}},
                   CauseMap{}, &m_b);
        auto run = [&](double seconds, auto done) {
            auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
            while (std::chrono::steady_clock::now() < end) {
                su_root_step(root, 10);
                if (done()) {
                    return true;
                }
            }
            return false;
        };
        REQUIRE(run(10.0, [&] { return !a.status().trunks.at("dead").up; }));
        CHECK(a.status().trunks.at("dead").options_failed >= 2);
        CHECK(a.status().trunks.at("dead").state_changes == 1);
        REQUIRE(run(5.0, [&] { return a.status().trunks.at("live").options_sent >= 2; }));
        CHECK(a.status().trunks.at("live").up);
        CHECK(a.status().trunks.at("live").options_failed == 0);
        SipCallInfo info;
        info.called = "5551234";
        CHECK(a.call_setup("dead", info, LocalMedia{media_address, 30004, 8, 20}) == -38);
    }
    su_root_destroy(root);
    su_deinit();
}

TEST_CASE("sip agent: a call over TCP (RFC 3261 18) to a trunk with transport tcp", "[sip]")
{
    su_init();
    su_root_t* root = su_root_create(nullptr);
    {
        Recorder m_a, m_b;
        SipTrunkConfig to_b = trunk_to("to-b", loopback, 25068);
        to_b.transport = "tcp";
        // No transport parameter: both listen on UDP and TCP.
        SipAgent a(root, {"sip:127.0.0.1:25067", "127.0.0.1:25067", {to_b}}, CauseMap{}, &m_a);
        SipAgent b(root, {"sip:127.0.0.1:25068", "127.0.0.1:25068", {trunk_to("a", loopback, 25067, 0, 0)}},
                   CauseMap{}, &m_b);
        SipCallInfo info;
        info.called = "5551234";
        REQUIRE(a.call_setup("to-b", info, LocalMedia{media_address, 30006, 8, 20}) > 0);
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (m_a.answered.empty() && std::chrono::steady_clock::now() < end) {
            su_root_step(root, 10);
        }
        REQUIRE(m_a.answered.size() == 1);
        // B took it from the trusted address, though the TCP source port is ephemeral.
        REQUIRE(m_b.infos.size() == 1);
        CHECK(m_b.infos[0].trunk == "a");
        CHECK(b.status().trunks.at("a").invites_in_tcp == 1);
    }
    su_root_destroy(root);
    su_deinit();
}

TEST_CASE("sdp: the a=crypto line we can use (RFC 4568 9.1), in the offer's order", "[sip][srtp]")
{
    const std::string k = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpBQkNE";  // 40 characters: 30 octets
    auto pick = [](std::vector<std::string> lines) { return choose_sdes(lines); };
    auto one = pick({"1 AES_CM_128_HMAC_SHA1_80 inline:" + k});
    REQUIRE(one);
    CHECK((one->tag == 1 && one->suite == "AES_CM_128_HMAC_SHA1_80" && one->key_base64 == k));
    // Unknown suites, an MKI, several keys, session parameters, a short key,
    // no tag: skipped; the next usable line is taken.
    auto later = pick({"1 AEAD_AES_256_GCM inline:" + k, "2 AES_CM_128_HMAC_SHA1_80 inline:" + k + "|2^20|1:4",
                       "3 AES_CM_128_HMAC_SHA1_80 inline:" + k + ";inline:" + k,
                       "4 AES_CM_128_HMAC_SHA1_80 inline:" + k + " UNENCRYPTED_SRTP",
                       "5 AES_CM_128_HMAC_SHA1_80 inline:" + k.substr(4), "AES_CM_128_HMAC_SHA1_80 inline:" + k,
                       "6 aes_cm_128_hmac_sha1_80 inline:" + k, "7 AES_CM_128_HMAC_SHA1_32 inline:" + k + "|2^31"});
    REQUIRE(later);
    CHECK(later->tag == 7);
    CHECK(later->suite == "AES_CM_128_HMAC_SHA1_32");
    CHECK(later->key_base64 == k);
    // Lifetimes (RFC 4568 6.1): 2^20 packets or more (5.8 h at 50 a second;
    // we never re-key); shorter or malformed ones are not usable.
    for (const char* lifetime : {"|2^20", "|2^31", "|1048576", "|2^48"}) {
        INFO(lifetime);
        CHECK(pick({"1 AES_CM_128_HMAC_SHA1_80 inline:" + k + lifetime}));
    }
    for (const char* lifetime : {"|2^10", "|1000", "|garbage", "|", "|2^", "|2^x"}) {
        INFO(lifetime);
        CHECK_FALSE(pick({"1 AES_CM_128_HMAC_SHA1_80 inline:" + k + lifetime}));
    }
    CHECK_FALSE(pick({}));
    CHECK_FALSE(pick({"1 AES_CM_128_HMAC_SHA1_80 " + k}));
    // On RTP/AVP a=crypto means nothing (RFC 4568 5).
    const std::string head = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n";
    auto avp = parse_audio(head + "m=audio 5000 RTP/AVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + k + "\r\n");
    REQUIRE(avp);
    CHECK_FALSE(avp->savp);
    CHECK_FALSE(avp->sdes);
    // Both profiles offered (SRTP first, "best effort"): each kind of trunk
    // reads its own line; given only the other, that one (refused later).
    const std::string both = head + "m=audio 5002 RTP/SAVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + k +
                             "\r\nm=audio 5000 RTP/AVP 8\r\n";
    CHECK(parse_audio(both)->port == 5000);
    CHECK_FALSE(parse_audio(both)->savp);
    CHECK(parse_audio(both, true)->port == 5002);
    CHECK(parse_audio(both, true)->sdes);
    CHECK(parse_audio(head + "m=audio 5000 RTP/AVP 8\r\n", true)->savp == false);
    auto savp_no_key = parse_audio(head + "m=audio 5000 RTP/SAVP 8\r\n");
    REQUIRE(savp_no_key);
    CHECK(savp_no_key->savp);
    CHECK_FALSE(savp_no_key->sdes);
}
