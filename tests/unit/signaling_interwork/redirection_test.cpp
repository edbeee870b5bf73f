// Redirecting number <-> Diversion (RFC 5806) / History-Info (RFC 7044 with
// RFC 4458 causes), reasons mapped as RFC 6044.
#include <catch2/catch.hpp>

#include "signaling/interwork/redirection.h"

using namespace trunkgw::interwork;

TEST_CASE("redirection: Q.952 reasons <-> Diversion reasons and History-Info causes", "[interwork]")
{
    CHECK(diversion_reason(q952::busy) == "user-busy");
    CHECK(diversion_reason(q952::no_reply) == "no-answer");
    CHECK(diversion_reason(q952::unconditional) == "unconditional");
    CHECK(diversion_reason(99) == "unknown");
    CHECK(q952_from_diversion_reason("User-Busy") == q952::busy);
    CHECK(q952_from_diversion_reason("do-not-disturb") == q952::by_called_dte);
    CHECK(q952_from_diversion_reason("nonsense") == q952::unknown);
    CHECK(history_cause(q952::no_reply) == 408);
    CHECK(q952_from_history_cause(302) == q952::unconditional);
    CHECK(q952_from_history_cause(999) == q952::unknown);
}

TEST_CASE("redirection: the most recent Diversion entry is the redirecting party", "[interwork]")
{
    // RFC 5806 4: the topmost entry is the last redirection.
    auto r = from_diversion({"<sip:2001@pbx.example>;reason=no-answer;counter=1, <sip:1001@pbx.example>;reason=user-busy",
                             "<sip:999@x>;reason=unconditional"});
    CHECK(r.number == "2001");
    CHECK(r.reason == q952::no_reply);
    auto tel = from_diversion({"<tel:+4930123>;reason=unconditional"});
    CHECK(tel.number == "+4930123");
    CHECK(tel.reason == q952::unconditional);
    CHECK(from_diversion({"garbage without a uri"}).number.empty());
    CHECK(from_diversion({}).number.empty());
}

TEST_CASE("redirection: History-Info names the entry before the retargeted one", "[interwork]")
{
    auto r = from_history_info({"<sip:1001@gw.example>;index=1",
                                "<sip:2002@gw.example;cause=486>;index=1.1"});
    CHECK(r.number == "1001");
    CHECK(r.reason == q952::busy);
    // Our own header reads back the same.
    Redirection ours{"301112222", q952::no_reply};
    auto back = from_history_info({history_info_header(ours, "5551234", "192.0.2.1:5060")});
    CHECK(back.number == "301112222");
    CHECK(back.reason == q952::no_reply);
    auto div = from_diversion({diversion_header(ours, "192.0.2.1:5060")});
    CHECK(div.number == "301112222");
    CHECK(div.reason == q952::no_reply);
    // Entries without a cause: no redirection.
    CHECK(from_history_info({"<sip:1@a>;index=1, <sip:2@a>;index=1.1"}).number.empty());
}
