// SIP security with real Sofia-SIP on both sides (agent_pair.h): digest
// authentication both ways (RFC 3261 22; a trunk's INVITEs challenged with
// 401, the peer answering with its credentials), wrong credentials refused
// with 403 and their source blocked after too many; SIP over TLS (RFC 3261
// 26.2) with certificates verified; redirection crossing as Diversion /
// History-Info.
#include <catch2/catch.hpp>

#include "tests/unit/signaling_sip/agent_pair.h"

using namespace trunkgw::sip;
using namespace trunkgw_test;

namespace {

const SipCredentials gw_user{"pbx-trunk", "s3cret-passw0rd", "trunkgw"};

// B demands credentials from A; A holds `a_password`.
Pair auth_pair(const std::string& a_password, uint32_t max_failures = 5)
{
    return Pair(0, [&](SipAgentConfig& ca, SipAgentConfig& cb) {
        ca.trunks[0].outbound_auth = SipCredentials{gw_user.username, a_password, ""};
        cb.trunks[0].inbound_auth = gw_user;
        cb.auth_max_failures = max_failures;
        cb.auth_block_ms = 60000;
    });
}

}  // namespace

TEST_CASE("sip auth: a trunk's INVITE is challenged with 401 and passes with the right credentials", "[sip][auth]")
{
    Pair p = auth_pair(gw_user.password);
    REQUIRE(p.call() > 0);
    REQUIRE(p.run(5.0, [&] { return !p.a_model.answered.empty() || !p.a_model.cleared.empty(); }));
    REQUIRE(p.a_model.answered.size() == 1);
    const auto gw = p.b->status().trunks.at("to-a");
    CHECK(gw.auth_challenges == 1);
    CHECK(gw.auth_accepted == 1);
    CHECK(gw.auth_failures == 0);
    CHECK(p.a->status().trunks.at("to-b").auth_answered == 1);
    CHECK(p.b_model.incoming.size() == 1);  // the model saw only the authenticated INVITE
}

TEST_CASE("sip auth: wrong credentials get 403 (cause 21); a source failing too often is blocked", "[sip][auth]")
{
    Pair p = auth_pair("not-the-password", 2);
    REQUIRE(p.call() > 0);
    REQUIRE(p.run(5.0, [&] { return p.a_model.cleared.size() == 1; }));
    CHECK(p.a_model.cleared[0].second == 21);  // 403 -> call rejected (RFC 3398 7.2.4.1)
    CHECK(p.b->status().trunks.at("to-a").auth_failures == 1);
    CHECK(p.b->status().auth_blocks == 0);
    REQUIRE(p.call() > 0);
    REQUIRE(p.run(5.0, [&] { return p.a_model.cleared.size() == 2; }));
    CHECK(p.b->status().auth_blocks == 1);  // the second failure in a row starts the block
    CHECK(p.b->status().blocked_sources == 1);
    // Blocked: refused at once, not even challenged.
    const uint64_t challenges = p.b->status().trunks.at("to-a").auth_challenges;
    REQUIRE(p.call() > 0);
    REQUIRE(p.run(5.0, [&] { return p.a_model.cleared.size() == 3; }));
    CHECK(p.a_model.cleared[2].second == 21);
    CHECK(p.b->status().refused_auth_blocked == 1);
    CHECK(p.b->status().trunks.at("to-a").auth_challenges == challenges);
    CHECK(p.b_model.incoming.empty());
    REQUIRE(p.run(5.0, [&] { return p.a->status().trunks.at("to-b").active == 0; }));
}

TEST_CASE("sip auth: a challenge we hold no credentials for ends the call with the response's cause", "[sip][auth]")
{
    Pair p(0, [](SipAgentConfig&, SipAgentConfig& cb) { cb.trunks[0].inbound_auth = gw_user; });
    REQUIRE(p.call() > 0);
    REQUIRE(p.run(5.0, [&] { return p.a_model.cleared.size() == 1; }));
    CHECK(p.a_model.cleared[0].second == 21);  // 401 -> 21
    CHECK(p.a->status().trunks.at("to-b").final_responses_in.at(401) == 1);
    CHECK(p.a->status().trunks.at("to-b").active == 0);  // nua's waiting request was dropped
}

namespace {

const std::string key_a = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpBQkNE";  // 30 octets, base64
const std::string key_b = "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXphYmNk";

// A and B over TLS (B's INVITEs too), each trunk with the srtp setting given.
Pair tls_pair(const char* a_srtp, const char* b_srtp)
{
    const std::string dir = std::string(TRUNKGW_SOURCE_DIR) + "/tests/unit/signaling_sip/tls";
    return Pair(0, [&](SipAgentConfig& ca, SipAgentConfig& cb) {
        ca.tls_bind_url = "sips:127.0.0.1:25071";
        cb.tls_bind_url = "sips:127.0.0.1:25072";
        ca.tls_contact_host = "127.0.0.1:25071";
        cb.tls_contact_host = "127.0.0.1:25072";
        ca.tls_certificate_dir = cb.tls_certificate_dir = dir;
        ca.trunks[0].transport = "tls";
        ca.trunks[0].peers[0].port = 25072;
        cb.trunks[0].transport = "tls";
        cb.trunks[0].peers[0].port = 25071;
        ca.trunks[0].srtp = a_srtp;
        cb.trunks[0].srtp = b_srtp;
    });
}

int64_t call_with(Pair& p, std::optional<SdesKey> sdes)
{
    SipCallInfo info;
    info.called = "5551234";
    info.calling = "301234567";
    LocalMedia local{media_address, 30000, 8, 20};
    local.sdes = sdes;
    return p.a->call_setup("to-b", info, local);
}

}  // namespace

TEST_CASE("sip tls: a call over TLS with certificates verified; Contact says transport=tls", "[sip][tls]")
{
    Pair p = tls_pair("off", "off");
    REQUIRE(p.call() > 0);
    REQUIRE(p.run(8.0, [&] { return !p.a_model.answered.empty() || !p.a_model.cleared.empty(); }));
    REQUIRE(p.a_model.answered.size() == 1);
    CHECK(p.b->status().trunks.at("to-a").invites_in_tls == 1);
    REQUIRE(p.b_model.infos.size() == 1);
    // RFC 3261 26.2.2 would make a sips: Contact oblige TLS past the peer.
    CHECK(p.b_model.infos[0].contact == "sip:127.0.0.1:25071;transport=tls");
    p.b->call_hangup(p.b_model.incoming[0], 16);
    REQUIRE(p.run(5.0, [&] { return !p.a_model.cleared.empty(); }));
    CHECK(p.a_model.cleared[0].second == 16);
}

TEST_CASE("sip tls: a peer whose certificate our CA did not sign is refused", "[sip][tls]")
{
    // A trusts only the system's CAs (an empty cafile would refuse all):
    // B's test certificate does not chain to them.
    const std::string dir = std::string(TRUNKGW_SOURCE_DIR) + "/tests/unit/signaling_sip/tls";
    Pair p(0, [&](SipAgentConfig& ca, SipAgentConfig& cb) {
        ca.tls_bind_url = "sips:127.0.0.1:25073";
        cb.tls_bind_url = "sips:127.0.0.1:25074";
        ca.transaction_timeout_ms = 3000;
        ca.tls_certificate_dir = std::string(TRUNKGW_SOURCE_DIR) + "/tests/unit/signaling_sip/tls-untrusting";
        cb.tls_certificate_dir = dir;
        ca.trunks[0].transport = "tls";
        ca.trunks[0].peers[0].port = 25074;
    });
    REQUIRE(p.call() > 0);
    // The handshake fails; nothing answers the INVITE, so it ends at
    // Timer B (3 s here): 408 -> cause 102 (RFC 3398 7.2.4.1), a cause a
    // route can fail over on.
    REQUIRE(p.run(8.0, [&] { return !p.a_model.cleared.empty() || !p.a_model.answered.empty(); }));
    CHECK(p.a_model.answered.empty());
    REQUIRE(p.a_model.cleared.size() == 1);
    CHECK(p.a_model.cleared[0].second == 102);
    CHECK(p.b_model.incoming.empty());
}

TEST_CASE("sip: a redirecting number crosses as Diversion and History-Info", "[sip]")
{
    Pair p;
    REQUIRE(p.call("5551234", {"301112222", trunkgw::interwork::q952::busy}) > 0);
    REQUIRE(p.run(5.0, [&] { return !p.b_model.infos.empty(); }));
    CHECK(p.b_model.infos[0].redirecting.number == "301112222");
    CHECK(p.b_model.infos[0].redirecting.reason == trunkgw::interwork::q952::busy);
}

TEST_CASE("sip: reconfigure (reload) adds inbound auth to a trunk; the next INVITE is challenged", "[sip][auth]")
{
    Pair p;
    REQUIRE(p.call() > 0);
    REQUIRE(p.run(5.0, [&] { return p.a_model.answered.size() == 1; }));
    CHECK(p.b->status().trunks.at("to-a").auth_challenges == 0);
    SipTrunkConfig t = trunk_to("to-a", loopback, 25061);
    t.inbound_auth = gw_user;
    p.b->reconfigure({t, trunk_to("new-trunk", 0x7f000063, 5060)}, CauseMap{});
    CHECK(p.b->status().trunks.count("new-trunk") == 1);
    CHECK(p.b->status().trunks.at("to-a").active == 1);  // the call up stays
    REQUIRE(p.call() > 0);
    REQUIRE(p.run(5.0, [&] { return p.a_model.cleared.size() == 1; }));
    CHECK(p.a_model.cleared[0].second == 21);  // challenged; A holds no credentials
    CHECK(p.b->status().trunks.at("to-a").auth_challenges == 1);
}

TEST_CASE("sip srtp: SDES (RFC 4568) over TLS: our key in the offer, the peer's in the answer, tags matched",
          "[sip][tls][srtp]")
{
    Pair p = tls_pair("mandatory", "mandatory");
    p.b_model.media.sdes = SdesKey{1, "AES_CM_128_HMAC_SHA1_80", key_b};
    // A trunk with srtp takes no offer without a key, and one without takes no key.
    CHECK(call_with(p, std::nullopt) == -65);
    REQUIRE(call_with(p, SdesKey{1, "AES_CM_128_HMAC_SHA1_80", key_a}) > 0);
    REQUIRE(p.run(8.0, [&] { return !p.a_model.answered.empty() || !p.a_model.cleared.empty(); }));
    REQUIRE(p.b_model.infos.size() == 1);
    const RemoteMedia& offer = p.b_model.infos[0].remote;
    CHECK(offer.savp);
    REQUIRE(offer.sdes);
    CHECK((offer.sdes->tag == 1 && offer.sdes->suite == "AES_CM_128_HMAC_SHA1_80" && offer.sdes->key_base64 == key_a));
    REQUIRE(p.a_model.answered.size() == 1);
    const RemoteMedia& answer = p.a_model.answered[0];
    CHECK(answer.savp);
    REQUIRE(answer.sdes);
    CHECK((answer.sdes->tag == 1 && answer.sdes->key_base64 == key_b));
    CHECK(p.a->status().trunks.at("to-b").srtp_refused == 1);  // the call asked for without a key
    p.b->call_hangup(p.b_model.incoming[0], 16);
    REQUIRE(p.run(5.0, [&] { return !p.a_model.cleared.empty(); }));
}

TEST_CASE("sip srtp: an answer naming another tag, or echoing our key, is cleared with 88; plain RTP to an srtp "
          "trunk gets 488",
          "[sip][tls][srtp]")
{
    {
        // RFC 4568 6.1: each direction its own key. Our key coming back
        // would let our own packets, reflected, pass as the peer's.
        Pair p = tls_pair("mandatory", "mandatory");
        p.b_model.media.sdes = SdesKey{1, "AES_CM_128_HMAC_SHA1_80", key_a};
        REQUIRE(call_with(p, SdesKey{1, "AES_CM_128_HMAC_SHA1_80", key_a}) > 0);
        REQUIRE(p.run(8.0, [&] { return !p.a_model.cleared.empty(); }));
        CHECK(p.a_model.answered.empty());
        CHECK(p.a_model.cleared[0].second == 88);
        CHECK(p.a->status().trunks.at("to-b").srtp_refused == 1);
    }
    {
        Pair p = tls_pair("mandatory", "mandatory");
        p.b_model.media.sdes = SdesKey{2, "AES_CM_128_HMAC_SHA1_80", key_b};  // RFC 4568 5.1.2: must be 1
        REQUIRE(call_with(p, SdesKey{1, "AES_CM_128_HMAC_SHA1_80", key_a}) > 0);
        REQUIRE(p.run(8.0, [&] { return !p.a_model.cleared.empty(); }));
        CHECK(p.a_model.answered.empty());
        CHECK(p.a_model.cleared[0].second == 88);
        CHECK(p.a->status().trunks.at("to-b").srtp_refused == 1);
    }
    {
        Pair p = tls_pair("off", "mandatory");
        REQUIRE(call_with(p, std::nullopt) > 0);
        REQUIRE(p.run(8.0, [&] { return !p.a_model.cleared.empty(); }));
        CHECK(p.b_model.incoming.empty());
        CHECK(p.b->status().trunks.at("to-a").srtp_refused == 1);
        CHECK(p.b->status().trunks.at("to-a").final_responses_out.at(488) == 1);
    }
    {
        // ... and keys to a trunk without srtp: 488 too (its media would fail).
        Pair p = tls_pair("mandatory", "off");
        REQUIRE(call_with(p, SdesKey{1, "AES_CM_128_HMAC_SHA1_80", key_a}) > 0);
        REQUIRE(p.run(8.0, [&] { return !p.a_model.cleared.empty(); }));
        CHECK(p.b_model.incoming.empty());
        CHECK(p.b->status().trunks.at("to-a").srtp_refused == 1);
    }
}

TEST_CASE("sip srtp: we never send an SDES key over UDP (RFC 4568 8.3: keys only over a secure transport)",
          "[sip][srtp]")
{
    // (The config refuses srtp without TLS; the agent holds to it too.)
    Pair p(0, [](SipAgentConfig& ca, SipAgentConfig& cb) {
        ca.trunks[0].srtp = "mandatory";
        cb.trunks[0].srtp = "mandatory";
    });
    CHECK(call_with(p, SdesKey{1, "AES_CM_128_HMAC_SHA1_80", key_a}) == -65);
    CHECK(p.a->status().trunks.at("to-b").srtp_refused == 1);
    CHECK(p.a->status().trunks.at("to-b").invites_out == 0);
}

TEST_CASE("sip srtp: a trunk with srtp optional takes an SDES offer as SRTP and a plain one as plain", "[sip][tls][srtp]")
{
    {
        Pair p = tls_pair("mandatory", "optional");
        p.b_model.media.sdes = SdesKey{1, "AES_CM_128_HMAC_SHA1_80", key_b};
        REQUIRE(call_with(p, SdesKey{1, "AES_CM_128_HMAC_SHA1_80", key_a}) > 0);
        REQUIRE(p.run(8.0, [&] { return !p.a_model.answered.empty() || !p.a_model.cleared.empty(); }));
        REQUIRE(p.b_model.infos.size() == 1);
        CHECK(p.b_model.infos[0].remote.sdes);
        REQUIRE(p.a_model.answered.size() == 1);
        CHECK(p.a_model.answered[0].sdes);
        CHECK(p.b->status().trunks.at("to-a").srtp_refused == 0);
        p.b->call_hangup(p.b_model.incoming[0], 16);
        REQUIRE(p.run(5.0, [&] { return !p.a_model.cleared.empty(); }));
    }
    {
        Pair p = tls_pair("off", "optional");
        REQUIRE(call_with(p, std::nullopt) > 0);
        REQUIRE(p.run(8.0, [&] { return !p.a_model.answered.empty() || !p.a_model.cleared.empty(); }));
        REQUIRE(p.b_model.infos.size() == 1);
        CHECK_FALSE(p.b_model.infos[0].remote.savp);
        REQUIRE(p.a_model.answered.size() == 1);
        CHECK_FALSE(p.a_model.answered[0].savp);
        CHECK(p.b->status().trunks.at("to-a").srtp_refused == 0);
        p.b->call_hangup(p.b_model.incoming[0], 16);
        REQUIRE(p.run(5.0, [&] { return !p.a_model.cleared.empty(); }));
    }
    {
        // Our offers on an optional trunk are plain: a key would be refused.
        Pair p = tls_pair("optional", "off");
        CHECK(call_with(p, SdesKey{1, "AES_CM_128_HMAC_SHA1_80", key_a}) == -65);
    }
}
