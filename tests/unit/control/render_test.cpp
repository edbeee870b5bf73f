// Golden renderings of trunkctl's human output.
#include <catch2/catch.hpp>

#include "control/cli/render.h"
#include "control/cli/text_table.h"

using namespace trunkgw::cli;

TEST_CASE("tables align every column to its widest cell", "[cli]")
{
    TextTable t({"A", "LONG HEADER", "C"});
    t.add({"wide cell", "1", "x"});
    t.add({"b", "22", "y"});
    REQUIRE(t.render() ==
            "A          LONG HEADER  C\n"
            "wide cell  1            x\n"
            "b          22           y\n");
}

TEST_CASE("durations read like uptime", "[cli]")
{
    REQUIRE(format_duration(2.04) == "2.0s");
    REQUIRE(format_duration(62) == "1m02s");
    REQUIRE(format_duration(3725.4) == "1h02m05s");
    REQUIRE(format_duration(90061) == "1d01h01m01s");
}

TEST_CASE("show status, golden", "[cli]")
{
    auto j = nlohmann::json::parse(R"({
      "version": "0.1.0", "abi_version": 1, "mgmt_api_version": 1, "instance": "default",
      "config": "/etc/trunkgw/trunkgw.toml", "metrics_url": "http://127.0.0.1:9464/metrics",
      "control": {"pid": 20, "uptime_s": 65.2},
      "dataplane": {"attached": true, "pid": 10, "version": "0.1.0", "epoch": 99, "uptime_s": 3725.0,
                    "heartbeat_age_s": 0.0012, "attached_for_s": 61.0, "control_attaches": 2, "last_error": ""},
      "ports": [{"name": "uplink0", "flow_steering": false, "udp_to_worker": "software dispatch"},
                {"name": "uplink1", "flow_steering": true, "udp_to_worker": "flow rules"}],
      "workers": [{"id": 1, "lcore": 1, "state": "running", "attached": true, "heartbeat_age_s": 0.0004,
                   "ping_rtt_us": 512.4, "pongs": 3}],
      "spans": [{"id": 1, "name": "carrier-e1-1", "type": "e1", "worker": 1, "state": "starting", "alarms": 0}]
    })");
    REQUIRE(render_status(j) ==
            "trunkgw 0.1.0 (ABI 1, management API 1), instance default\n"
            "config     /etc/trunkgw/trunkgw.toml\n"
            "metrics    http://127.0.0.1:9464/metrics\n"
            "control    pid 20, up 1m05s\n"
            "dataplane  attached: pid 10, version 0.1.0, up 1h02m05s, epoch 99\n"
            "           attached for 1m01s, heartbeat 0.001s ago, 2 attach(es) since start\n"
            "\n"
            "WORKER  LCORE  STATE    ATTACHED  HEARTBEAT   PING RTT\n"
            "1       1      running  yes       0.000s ago  512us\n"
            "\n"
            "PORT     UDP TO ITS WORKER\n"
            "uplink0  software dispatch\n"
            "uplink1  flow rules\n"
            "\n"
            "SPAN  NAME          TYPE  WORKER  STATE     ALARMS\n"
            "1     carrier-e1-1  e1    1       starting  0x0\n");
}

TEST_CASE("show status when detached says why", "[cli]")
{
    auto j = nlohmann::json::parse(R"({
      "version": "0.1.0", "abi_version": 1, "mgmt_api_version": 1, "instance": "default",
      "config": "x", "metrics_url": "u", "control": {"pid": 20, "uptime_s": 1},
      "dataplane": {"attached": false, "last_error": "segment /trunkgw-default does not exist"},
      "workers": [], "spans": []})");
    REQUIRE_THAT(render_status(j), Catch::Contains("dataplane  NOT attached: segment /trunkgw-default does not exist"));
}

TEST_CASE("show calls, golden: calls up, then the ended ones with causes", "[cli]")
{
    auto j = nlohmann::json::parse(R"({
      "calls": [{"id": 7, "state": "connected", "in": {"span": "span-a", "channel": 1},
                 "out": {"span": "span-b", "channel": 31}, "called": "0049301234", "called_out": "949301234",
                 "calling": "301234567", "route": "intl", "setup_unix_ms": 1000, "answer_unix_ms": 0},
                {"id": 8, "state": "routing", "in": {"span": "span-a", "channel": 2}, "called": "12",
                 "called_out": "", "calling": "", "route": "", "setup_unix_ms": 1000, "answer_unix_ms": 0}],
      "ended": [{"id": 5, "state": "ended", "in": {"span": "span-a", "channel": 3}, "called": "2002",
                 "called_out": "2002", "calling": "", "route": "to-b", "setup_unix_ms": 1000,
                 "answer_unix_ms": 2000, "end_unix_ms": 4500, "cause": 17, "cleared_by": "callee",
                 "out": {"span": "span-b", "channel": 30}}],
      "totals": {"offered": 9, "answered": 4, "ended": 7, "no_route": 1, "failovers": 1, "active": 2}
    })");
    REQUIRE(render_calls(j) ==
            "2 call(s) up; offered 9, answered 4, ended 7, no route 1, failovers 1\n"
            "ID  STATE      IN        OUT        CALLING    CALLED      DIALLED    ROUTE  CONNECTED\n"
            "7   connected  span-a/1  span-b/31  301234567  0049301234  949301234  intl   -\n"
            "8   routing    span-a/2  -                     12                            -\n"
            "\nended:\n"
            "ID  IN        OUT        CALLING  CALLED  ROUTE  CONNECTED  CAUSE  CLEARED BY\n"
            "5   span-a/3  span-b/30           2002    to-b   2.5s       17     callee\n");
}

TEST_CASE("show counters: worker counters as rows, seconds with three decimals", "[cli]")
{
    auto j = nlohmann::json::parse(R"({
      "attached": true, "rings": [],
      "workers": [{"id": 1, "ticks": 5000, "tick_busy_seconds": 0.0123456},
                  {"id": 2, "ticks": 4999, "tick_busy_seconds": 1.5}],
      "link": {}, "mgmt": {}})");
    std::string out = render_counters(j);
    REQUIRE_THAT(out, Catch::Contains("WORKER COUNTER     worker 1  worker 2\n"
                                      "tick_busy_seconds  0.012     1.500\n"
                                      "ticks              5000      4999\n"));
}
