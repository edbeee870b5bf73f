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

TEST_CASE("sip tls: a call over TLS with certificates verified; Contact says transport=tls", "[sip][tls]")
{
    const std::string dir = std::string(TRUNKGW_SOURCE_DIR) + "/tests/unit/signaling_sip/tls";
    Pair p(0, [&](SipAgentConfig& ca, SipAgentConfig& cb) {
        ca.tls_bind_url = "sips:127.0.0.1:25071";
        cb.tls_bind_url = "sips:127.0.0.1:25072";
        ca.tls_contact_host = "127.0.0.1:25071";
        cb.tls_contact_host = "127.0.0.1:25072";
        ca.tls_certificate_dir = cb.tls_certificate_dir = dir;
        ca.trunks[0].transport = "tls";
        ca.trunks[0].peers[0].port = 25072;
        cb.trunks[0].transport = "tls";
        cb.trunks[0].peers[0].port = 25071;
    });
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
