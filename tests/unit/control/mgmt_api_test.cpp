// Management API dispatch: versioning, unknown commands, malformed input.
#include <catch2/catch.hpp>

#include "control/mgmt_api.h"

using namespace trunkgw::control;

namespace {

MgmtCommands commands()
{
    MgmtCommands c;
    c["echo"] = {"returns its args", [](const nlohmann::json& a) { return a; }};
    c["fail"] = {"always fails", [](const nlohmann::json&) -> nlohmann::json { throw MgmtError("no such span"); }};
    return c;
}

}  // namespace

TEST_CASE("a well-formed request runs its command", "[mgmt]")
{
    bool malformed = true;
    auto r = mgmt_dispatch(commands(), R"({"api":1,"command":"echo","args":{"x":2}})", malformed);
    REQUIRE_FALSE(malformed);
    REQUIRE(r["ok"] == true);
    REQUIRE(r["api"] == mgmt_api_version);
    REQUIRE(r["result"]["x"] == 2);
}

TEST_CASE("another API version is refused naming both versions", "[mgmt]")
{
    bool malformed = false;
    auto r = mgmt_dispatch(commands(), R"({"api":7,"command":"echo"})", malformed);
    REQUIRE(r["ok"] == false);
    REQUIRE(r["error"] == "management API version 7 requested, trunkgw-control speaks version 1");
}

TEST_CASE("unknown commands list the known ones; handler errors become replies", "[mgmt]")
{
    bool malformed = true;
    auto r = mgmt_dispatch(commands(), R"({"api":1,"command":"reboot"})", malformed);
    REQUIRE_FALSE(malformed);
    REQUIRE(r["ok"] == false);
    REQUIRE(r["error"] == "unknown command \"reboot\"; known: echo, fail");
    r = mgmt_dispatch(commands(), R"({"api":1,"command":"fail"})", malformed);
    REQUIRE(r["error"] == "no such span");
}

TEST_CASE("malformed requests are refused, never thrown", "[mgmt]")
{
    for (const char* bad : {"", "{", "[]", "42", R"({"command":"echo"})", R"({"api":"1","command":"echo"})",
                            R"({"api":1})", R"({"api":1,"command":"echo","args":[1]})", "\xff\xfe"}) {
        bool malformed = false;
        auto r = mgmt_dispatch(commands(), bad, malformed);
        INFO(bad);
        REQUIRE(malformed);
        REQUIRE(r["ok"] == false);
    }
}
