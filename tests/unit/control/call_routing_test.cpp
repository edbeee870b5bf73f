// Routing decisions from [[route]] (control/calls/call_routing.h): first
// match in config order, source filter, called and calling prefixes,
// strip/prepend, failover causes and their defaults from the config.
#include <catch2/catch.hpp>

#include "control/calls/call_routing.h"
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
