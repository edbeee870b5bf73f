// The configuration schema: the embedded default loads, and every file in
// bad_configs/ is refused at the line and for the reason its first line
// states ("# expect: LINE: reason").
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "control/config/config.h"

using namespace trunkgw::config;

TEST_CASE("the embedded default is valid and describes a one-span demo", "[config]")
{
    Config c = load("");
    REQUIRE(c.source == std::string(embedded_default_name));
    REQUIRE(c.instance.name == "default");
    REQUIRE(c.dataplane.hugepages == false);
    REQUIRE(c.dataplane.poll_mode == PollMode::adaptive);
    REQUIRE(c.dataplane.workers.size() == 1);
    REQUIRE(c.spans.size() == 1);
    REQUIRE(c.spans[0].type == SpanType::e1);
    REQUIRE(c.metrics_url() == "http://127.0.0.1:9464/metrics");
}

TEST_CASE("deploy/trunkgw.toml on disk is the embedded default", "[config]")
{
    std::ifstream in(std::string(TRUNKGW_SOURCE_DIR) + "/deploy/trunkgw.toml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(text == embedded_default_text());
}

TEST_CASE("every bad config is refused with its line and reason", "[config]")
{
    namespace fs = std::filesystem;
    fs::path dir = fs::path(TRUNKGW_SOURCE_DIR) / "tests/unit/control/bad_configs";
    int files = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".toml") {
            continue;
        }
        ++files;
        std::ifstream in(entry.path());
        std::string first;
        std::getline(in, first);
        REQUIRE(first.rfind("# expect: ", 0) == 0);
        std::string rest = first.substr(10);
        uint32_t line = static_cast<uint32_t>(std::stoul(rest.substr(0, rest.find(':'))));
        std::string reason = rest.substr(rest.find(':') + 2);
        INFO(entry.path().filename().string());
        try {
            load_file(entry.path().string());
            FAIL("accepted a bad config");
        } catch (const ConfigError& e) {
            INFO(e.what());
            bool found = false;
            for (const auto& p : e.problems()) {
                REQUIRE(p.file == entry.path().string());
                if (p.line == line && p.reason.find(reason) != std::string::npos) {
                    found = true;
                }
            }
            CHECK(found);
            REQUIRE_THAT(e.what(), Catch::StartsWith(entry.path().string() + ":"));
        }
    }
    REQUIRE(files >= 20);
}

TEST_CASE("all problems are reported at once, in line order", "[config]")
{
    std::string text = R"([instance]
name = "x"
bogus = 1
[dataplane]
memory_mb = 1
[[dataplane.worker]]
id = 1
lcore = 1
[control]
socket = "relative.sock"
metrics_listen = "127.0.0.1:1"
)";
    try {
        load_string(text, "t.toml");
        FAIL("accepted");
    } catch (const ConfigError& e) {
        REQUIRE(e.problems().size() == 3);
        REQUIRE(e.problems()[0].text() == "t.toml:3: unknown key 'instance.bogus'");
        REQUIRE(e.problems()[1].line == 5);
        REQUIRE(e.problems()[2].line == 10);
    }
}

TEST_CASE("a missing file is refused with its name", "[config]")
{
    REQUIRE_THROWS_WITH(load_file("/nonexistent/trunkgw.toml"), Catch::Contains("/nonexistent/trunkgw.toml: cannot open"));
}

TEST_CASE("the pseudowire example reads as written", "[config]")
{
    Config c = load_file(std::string(TRUNKGW_SOURCE_DIR) + "/deploy/examples/pseudowire-spans.toml");
    REQUIRE(c.ports.size() == 1);
    REQUIRE(c.ports[0].addresses.size() == 1);
    REQUIRE(c.ports[0].addresses[0].address == 0xC0000201u);
    REQUIRE(c.ports[0].addresses[0].prefix_len == 24);
    REQUIRE(c.ports[0].gateway == 0xC00002FEu);
    REQUIRE(c.ports[0].vlan == 100);
    REQUIRE(c.spans.size() == 2);
    const Span& e1 = c.spans[0];
    REQUIRE(e1.has_pseudowire);
    REQUIRE(e1.crc4);
    REQUIRE(e1.pseudowire.mode == PseudowireMode::satop);
    REQUIRE(e1.pseudowire.local_ipv4 == 0xC0000201u);
    REQUIRE(e1.pseudowire.remote_ipv4 == 0xC000020Au);
    REQUIRE(e1.pseudowire.local_udp_port == 50001);
    REQUIRE(e1.pseudowire.frames_per_packet == 8);
    REQUIRE(e1.pseudowire.jitter_packets == 4);
    REQUIRE(e1.pseudowire.timeslots.empty());
    const Span& t1 = c.spans[1];
    REQUIRE(t1.framing == T1Framing::esf);
    REQUIRE(t1.pseudowire.mode == PseudowireMode::cesopsn);
    REQUIRE(t1.pseudowire.timeslots.size() == 24);
    REQUIRE(t1.pseudowire.remote_ipv4 == 0xC6336414u);
}
