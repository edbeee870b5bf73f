// Routing decisions from [[route]] (control/calls/call_routing.h): first
// match in config order, source filter, called and calling prefixes,
// strip/prepend, failover causes and their defaults from the config.
#include <catch2/catch.hpp>

#include "control/calls/call_routing.h"
#include "control/calls/toll_fraud.h"
#include "control/config/config.h"

using namespace trunkgw;
using namespace trunkgw::control;

namespace {

config::Config with_routes(const std::string& routes)
{
    std::string text = R"(
[instance]
name = "routes"
run_dir = "/tmp/trunkgw-routes"
[dataplane]
main_lcore = 0
[[dataplane.worker]]
id = 1
lcore = 1
[[span]]
id = 1
name = "a"
type = "e1"
worker = 1
[span.isdn]
side = "user"
switch_type = "euroisdn_e1"
[[span]]
id = 2
name = "b"
type = "e1"
worker = 1
[span.isdn]
side = "network"
switch_type = "euroisdn_e1"
[control]
socket = "/tmp/trunkgw-routes/control.sock"
metrics_listen = "127.0.0.1:9464"
)" + routes;
    return config::load_string(text, "routes.toml");
}

}  // namespace

TEST_CASE("routes: first match in order; source, called and calling prefixes", "[routing]")
{
    config::Config c = with_routes(R"(
[[route]]
name = "premium-blocked-from-b"
from = ["b"]
called_prefix = "0900"
to = ["a"]
[[route]]
name = "intl"
called_prefix = "00"
to = ["b", "a"]
strip = 2
prepend = "9"
[[route]]
name = "from-4930"
calling_prefix = "4930"
to = ["b"]
failover_causes = [17]
[[route]]
name = "rest"
to = ["a"]
)");
    REQUIRE(c.routes.size() == 4);
    CHECK(match_route(c.routes, "b", "0900123", "")->name == "premium-blocked-from-b");
    CHECK(match_route(c.routes, "a", "0900123", "")->name == "rest");  // from a: the first route does not apply
    CHECK(match_route(c.routes, "a", "0049301234", "")->name == "intl");
    CHECK(match_route(c.routes, "a", "0301234", "4930555")->name == "from-4930");
    CHECK(match_route(c.routes, "a", "0301234", "4940555")->name == "rest");
    CHECK(match_route(c.routes, "a", "", "")->name == "rest");

    const config::Route& intl = c.routes[1];
    CHECK(manipulate_called(intl, "0049301234") == "949301234");
    CHECK(manipulate_called(intl, "0") == "9");  // shorter than strip: all digits go
    CHECK(manipulate_called(c.routes[3], "123") == "123");
    // Defaults: the destination could not take the call (Q.850 34 38 41 42 44 47).
    for (int cause : {34, 38, 41, 42, 44, 47}) {
        CHECK(fails_over(intl, cause));
    }
    for (int cause : {1, 16, 17, 21, 28}) {
        CHECK_FALSE(fails_over(intl, cause));
    }
    CHECK(fails_over(c.routes[2], 17));
    CHECK_FALSE(fails_over(c.routes[2], 34));
}

TEST_CASE("routes: none configured matches nothing", "[routing]")
{
    config::Config c = with_routes("");
    CHECK(c.routes.empty());
    CHECK(match_route(c.routes, "a", "123", "") == nullptr);
}

TEST_CASE("causes crossing legs: channel and call reference causes of one interface become 34/41", "[routing]")
{
    CHECK(cause_across_legs(6) == 34);
    CHECK(cause_across_legs(44) == 34);
    CHECK(cause_across_legs(82) == 34);
    CHECK(cause_across_legs(81) == 41);
    for (int c : {1, 16, 17, 18, 19, 21, 27, 28, 31, 34, 38, 41, 42, 47, 102, 127}) {
        CHECK(cause_across_legs(c) == c);
    }
}

TEST_CASE("routes: regular expressions on the called and calling numbers", "[routing]")
{
    config::Config c = with_routes(R"(
[[route]]
name = "emergency"
called_regex = "^(112|110)$"
to = ["a"]
[[route]]
name = "mobile-callers"
calling_regex = "^0?1[5-7][0-9]{7,9}$"
to = ["b"]
[[route]]
name = "rest"
to = ["a"]
)");
    CHECK(match_route(c.routes, "b", "112", "")->name == "emergency");
    CHECK(match_route(c.routes, "b", "1120", "")->name == "rest");  // anchored: not a prefix match
    CHECK(match_route(c.routes, "b", "5551234", "01701234567")->name == "mobile-callers");
    CHECK(match_route(c.routes, "b", "5551234", "0301234567")->name == "rest");
    CHECK(c.routes[0].called_regex_text == "^(112|110)$");
    CHECK_THROWS_WITH(with_routes("[[route]]\nname = \"x\"\ncalled_regex = \"^(12\"\nto = [\"a\"]\n"),
                      Catch::Contains("not a regular expression"));
}

TEST_CASE("routes: span groups are destinations; type of number and plan", "[routing]")
{
    config::Config c = with_routes(R"(
[[span_group]]
name = "both"
spans = ["a", "b"]
hunting = "round_robin"
[[route]]
name = "r"
called_ton = "national"
called_npi = "isdn"
to = ["both"]
)");
    REQUIRE(c.span_group("both") != nullptr);
    CHECK(c.span_group("both")->spans == std::vector<std::string>{"a", "b"});
    CHECK(c.span_group("both")->hunting == "round_robin");
    CHECK(c.routes[0].called_ton == 2);
    CHECK(c.routes[0].called_npi == 1);
    CHECK_THROWS_WITH(with_routes("[[span_group]]\nname = \"a\"\nspans = [\"b\"]\n"),
                      Catch::Contains("a span, SIP trunk or group has that name"));
    CHECK_THROWS_WITH(with_routes("[[span_group]]\nname = \"g\"\nspans = [\"a\", \"zz\"]\n"),
                      Catch::Contains("span \"zz\": no span of that name"));
}

TEST_CASE("toll fraud: classes by longest prefix; route and source allowances; caps", "[routing][toll]")
{
    config::Config c = with_routes(R"(
[toll_fraud]
[[toll_fraud.class]]
name = "international"
prefixes = ["00"]
[[toll_fraud.class]]
name = "premium"
prefixes = ["0900", "00881"]
[[toll_fraud.allowance]]
source = "a"
classes = ["international"]
max_concurrent = 2
max_per_hour = 3
[[route]]
name = "intl-ok"
called_prefix = "0044"
allow_classes = ["international"]
to = ["b"]
[[route]]
name = "any"
to = ["b"]
)");
    TollFraudGuard g(c.toll_fraud);
    CHECK(g.classify("00441234") == "international");
    CHECK(g.classify("008812345") == "premium");  // longest prefix wins
    CHECK(g.classify("0301234") == "");
    const config::Route& intl_ok = c.routes[0];
    const config::Route& any = c.routes[1];
    // A route that allows the class: any source.
    auto v = g.admit("b", intl_ok, "00441234", 0);
    CHECK(v.allowed);
    CHECK_FALSE(v.counted);
    // Premium: nobody allows it.
    v = g.admit("a", any, "09001234", 0);
    CHECK_FALSE(v.allowed);
    CHECK(v.reason == "not_allowed");
    // International from b over a route that does not allow it: refused.
    CHECK_FALSE(g.admit("b", any, "0033123", 0).allowed);
    // From a, by its allowance: two at once at most, three an hour.
    CHECK(g.admit("a", any, "0033123", 0).counted);
    CHECK(g.admit("a", any, "0033124", 0).counted);
    v = g.admit("a", any, "0033125", 0);
    CHECK_FALSE(v.allowed);
    CHECK(v.reason == "concurrent");
    g.ended("a");
    CHECK(g.concurrent("a") == 1);
    CHECK(g.admit("a", any, "0033126", 1000).allowed);
    g.ended("a");
    g.ended("a");
    v = g.admit("a", any, "0033127", 2000);
    CHECK_FALSE(v.allowed);
    CHECK(v.reason == "hourly");
    CHECK(g.admit("a", any, "0033128", 3600 * 1000 + 1).allowed);  // the first has left the hour
    CHECK(g.counters().refused.at({"international", "concurrent"}) == 1);
    CHECK(g.counters().refused.at({"premium", "not_allowed"}) == 1);
    CHECK_THROWS_WITH(with_routes("[toll_fraud]\n[[toll_fraud.allowance]]\nsource = \"a\"\nclasses = [\"nope\"]\n"),
                      Catch::Contains("class \"nope\": no [[toll_fraud.class]]"));
}

TEST_CASE("reload: only routes, span groups, toll fraud, SIP trunks and cause map change live", "[reload]")
{
    const std::string base = "[instance]\nname = \"a\"\n[sip]\nlisten = \"127.0.0.1:5060\"\n"
                             "[[sip.trunk]]\nname = \"t\"\npeers = [\"192.0.2.1\"]\n[[route]]\nname = \"r\"\nto = [\"t\"]\n";
    CHECK(config::restart_needed(base, base).empty());
    // Routes, trunks and toll fraud: live.
    std::string live = base;
    live.replace(live.find("192.0.2.1"), 9, "192.0.2.9");
    live += "[[route]]\nname = \"r2\"\nto = [\"t\"]\n[toll_fraud]\n[[toll_fraud.class]]\nname = \"x\"\nprefixes = [\"00\"]\n";
    CHECK(config::restart_needed(base, live).empty());
    // Where SIP listens, or the instance: a restart.
    std::string moved = base;
    moved.replace(moved.find("5060"), 4, "5070");
    CHECK(config::restart_needed(base, moved) == std::vector<std::string>{"sip"});
    CHECK(config::restart_needed(base, base + "[cdr]\npath = \"x\"\n") == std::vector<std::string>{"cdr"});
}

TEST_CASE("routes: a hunt walks spans, groups in their order and SIP-less destinations lazily", "[routing]")
{
    config::Config c = with_routes(R"(
[[span_group]]
name = "rr"
hunting = "round_robin"
spans = ["a", "b"]
[[span_group]]
name = "seq"
spans = ["b", "a"]
[[route]]
name = "mixed"
to = ["rr", "seq", "a"]
)");
    const config::Route& r = c.routes.at(0);
    std::map<std::string, std::size_t> group_next;
    auto walk = [&] {
        DestinationHunt h;
        std::vector<std::string> out;
        std::vector<int> in_group;  // after each: more spans of its group left
        while (auto d = next_destination(c, r, h, group_next)) {
            out.push_back(d->name + "/" + d->group);
            in_group.push_back(more_in_group(c, r, h) ? 1 : 0);
        }
        CHECK_FALSE(has_next_destination(c, r, h));
        return std::pair{out, in_group};
    };
    // First call: rr from its first span; seq always from its first,
    // whatever span rr began at; then the plain span.
    auto [first, first_in_group] = walk();
    CHECK(first == std::vector<std::string>{"a/rr", "b/rr", "b/seq", "a/seq", "a/"});
    CHECK(first_in_group == std::vector<int>{1, 0, 1, 0, 0});
    // Second call: rr begins one span on; seq does not move.
    auto [second, second_in_group] = walk();
    CHECK(second == std::vector<std::string>{"b/rr", "a/rr", "b/seq", "a/seq", "a/"});
    // The next destination exists until the last one is handed out.
    DestinationHunt h;
    REQUIRE(next_destination(c, r, h, group_next));
    CHECK(has_next_destination(c, r, h));
}
