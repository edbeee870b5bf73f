// Q.850 <-> SIP status (RFC 3398, Q.1912.5) and the Reason header (RFC 3326).
#include <catch2/catch.hpp>

#include "signaling/interwork/cause_mapping.h"

using namespace trunkgw::interwork;

TEST_CASE("cause mapping: Q.850 -> SIP per RFC 3398 8.2.6.1", "[interwork]")
{
    CauseMap m;
    CHECK(m.to_sip(1) == 404);
    CHECK(m.to_sip(17) == 486);
    CHECK(m.to_sip(18) == 408);
    CHECK(m.to_sip(19) == 480);
    CHECK(m.to_sip(21) == 403);
    CHECK(m.to_sip(27) == 502);
    CHECK(m.to_sip(28) == 484);
    CHECK(m.to_sip(34) == 503);
    CHECK(m.to_sip(102) == 504);
    // Unlisted, by class: normal 480, resource unavailable 503, else 500.
    CHECK(m.to_sip(30) == 480);
    CHECK(m.to_sip(45) == 503);
    CHECK(m.to_sip(99) == 500);
}

TEST_CASE("cause mapping: SIP -> Q.850 per RFC 3398 7.2.4.1 / Q.1912.5", "[interwork]")
{
    CauseMap m;
    CHECK(m.to_q850(486) == 17);
    CHECK(m.to_q850(404) == 1);
    CHECK(m.to_q850(503) == 34);
    CHECK(m.to_q850(480) == 18);
    CHECK(m.to_q850(484) == 28);
    CHECK(m.to_q850(603) == 21);
    CHECK(m.to_q850(408) == 102);
    CHECK(m.to_q850(499) == 127);  // unlisted: interworking, unspecified
}

TEST_CASE("cause mapping: config overrides single rows", "[interwork]")
{
    CauseMap m;
    m.override_q850_to_sip(34, 486);
    m.override_sip_to_q850(503, 41);
    CHECK(m.to_sip(34) == 486);
    CHECK(m.to_sip(17) == 486);
    CHECK(m.to_q850(503) == 41);
    CHECK(m.to_q850(486) == 17);
}

TEST_CASE("cause mapping: the Reason header wins over the status (RFC 3326)", "[interwork]")
{
    CauseMap m;
    CHECK(reason_header(17) == "Q.850;cause=17");
    CHECK(q850_from_reason("Q.850;cause=17;text=\"User busy\"") == 17);
    CHECK(q850_from_reason("SIP;cause=200;text=\"x\", Q.850 ;cause=34") == 34);
    CHECK(q850_from_reason("SIP;cause=487") == std::nullopt);
    CHECK(q850_from_reason("Q.850;cause=999") == std::nullopt);
    CHECK(q850_from_reason("Q.850;cause=") == std::nullopt);
    CHECK(q850_from_reason("") == std::nullopt);
    CHECK(q850_for_response(m, 503, "Q.850;cause=41") == 41);
    CHECK(q850_for_response(m, 503, "") == 34);
}
