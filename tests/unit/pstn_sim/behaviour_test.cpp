// pstn-sim's behaviour scripts: every option parsed, every bad one refused
// with a reason that names it.
#include <catch2/catch.hpp>

#include "bench/pstn_sim/scripted_calls.h"

using namespace trunkgw::pstnsim;

TEST_CASE("pstn-sim behaviours: actions and options", "[pstn-sim]")
{
    Behaviour b = parse_behaviour("answer");
    CHECK(b.action == Behaviour::Action::answer);
    CHECK(b.answer_ms == 100);
    CHECK(b.hangup_ms == 0);
    b = parse_behaviour("answer,alert=200,answer=1500,hangup=3000,early_media=1,overlap=7,echo=1");
    CHECK(b.alert_ms == 200);
    CHECK(b.answer_ms == 1500);
    CHECK(b.hangup_ms == 3000);
    CHECK(b.early_media);
    CHECK(b.overlap_digits == 7);
    CHECK(b.echo);
    CHECK(parse_behaviour("ring").action == Behaviour::Action::ring);
    CHECK(parse_behaviour("busy,alert=50").action == Behaviour::Action::busy);
    b = parse_behaviour("reject,cause=21");
    CHECK(b.action == Behaviour::Action::reject);
    CHECK(b.cause == 21);
}

TEST_CASE("pstn-sim behaviours: bad scripts are refused, naming the part", "[pstn-sim]")
{
    auto refused = [](const std::string& text, const std::string& names) {
        try {
            parse_behaviour(text);
        } catch (const std::invalid_argument& e) {
            INFO(e.what());
            return std::string(e.what()).find(names) != std::string::npos;
        }
        return false;
    };
    CHECK(refused("hangup", "'hangup'"));
    CHECK(refused("answer,delay=5", "'delay'"));
    CHECK(refused("answer,alert", "'alert'"));
    CHECK(refused("answer,alert=-1", "alert=-1"));
    CHECK(refused("answer,alert=9999999", "alert=9999999"));
    CHECK(refused("reject,cause=0", "cause=0"));
    CHECK(refused("reject,cause=128", "cause=128"));
    CHECK(refused("answer,answer=1x", "answer=1x"));
}
