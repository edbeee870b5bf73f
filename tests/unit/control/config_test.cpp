// The configuration schema: the embedded default loads, and every file in
// bad_configs/ is refused at the line and for the reason its first line
// states ("# expect: LINE: reason").
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

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
    REQUIRE(c.ports[0].flow_steering);
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

namespace {

// A valid file with two pseudowire spans (on `pw_a` and `pw_b`) and the
// given [media] body (no [media] table at all when it is null).
std::string media_config(const char* media, uint32_t pw_a = 50000, uint32_t pw_b = 50002,
                         const char* dataplane_extra = "")
{
    std::string text = std::string(R"([instance]
name = "media"
run_dir = "/tmp/trunkgw-media"

[dataplane]
main_lcore = 0
)") + dataplane_extra + R"(
[[dataplane.worker]]
id = 1
lcore = 1

[[port]]
id = 1
name = "media0"
vdev = "net_null0,no-rx=1"
addresses = ["192.0.2.1/24"]

[[span]]
id = 1
name = "span-a"
type = "e1"
worker = 1
[span.pseudowire]
mode = "satop"
port = "media0"
remote_address = "192.0.2.2"
local_udp_port = )" + std::to_string(pw_a) + R"(
remote_udp_port = 50001

[[span]]
id = 2
name = "span-b"
type = "e1"
worker = 1
[span.pseudowire]
mode = "satop"
port = "media0"
remote_address = "192.0.2.3"
local_udp_port = )" + std::to_string(pw_b) + R"(
remote_udp_port = 50001

[control]
socket = "/tmp/trunkgw-media/control.sock"
metrics_listen = "127.0.0.1:9464"
)";
    if (media != nullptr) {
        text += std::string("\n[media]\n") + media;
    }
    return text;
}

// The 1-based line of the first line of `text` starting with `start`.
uint32_t line_starting(const std::string& text, const std::string& start)
{
    std::size_t at = text.rfind('\n' + start);
    REQUIRE(at != std::string::npos);
    return static_cast<uint32_t>(std::count(text.begin(), text.begin() + static_cast<long>(at) + 1, '\n')) + 1;
}

// The problems load_string() reports for `text` (none when it loads).
std::vector<Problem> problems_of(const std::string& text)
{
    try {
        load_string(text, "m.toml");
    } catch (const ConfigError& e) {
        return e.problems();
    }
    return {};
}

}  // namespace

TEST_CASE("a [media] table is read into Config::media as written", "[config]")
{
    // Every value differs from its default; the pseudowires sit just
    // outside the RTP range and its last RTCP port (20000-21000, 21001).
    Config c = load_string(media_config(R"(rtp_port_min = 20000
rtp_port_max = 21000
ptime_ms = 30
jitter_mode = "adaptive"
jitter_delay_ms = 60
jitter_max_delay_ms = 60
rtp_timeout_ms = 3000
rtcp_interval_ms = 0
dscp = 34
symmetric_rtp = false
)",
                                        19999, 21002, "sessions_per_worker = 1\n"),
                           "m.toml");
    REQUIRE(c.media.rtp_port_min == 20000);
    REQUIRE(c.media.rtp_port_max == 21000);
    REQUIRE(c.media.ptime_ms == 30);
    REQUIRE(c.media.jitter_mode == JitterMode::adaptive);
    REQUIRE(c.media.jitter_delay_ms == 60);
    REQUIRE(c.media.jitter_max_delay_ms == 60);  // equal to the delay is allowed
    REQUIRE(c.media.rtp_timeout_ms == 3000);
    REQUIRE(c.media.rtcp_interval_ms == 0);  // off
    REQUIRE(c.media.dscp == 34);
    REQUIRE_FALSE(c.media.symmetric_rtp);
    REQUIRE(c.dataplane.sessions_per_worker == 1);
    REQUIRE(c.spans.size() == 2);
    REQUIRE(c.spans[0].pseudowire.local_udp_port == 19999);
    REQUIRE(c.spans[1].pseudowire.local_udp_port == 21002);

    // The other edges.
    c = load_string(media_config(R"(rtp_port_min = 1024
rtp_port_max = 1025
ptime_ms = 10
rtcp_interval_ms = 5000
dscp = 0
)",
                                 50000, 50002, "sessions_per_worker = 262144\n"),
                    "m.toml");
    REQUIRE(c.media.rtp_port_min == 1024);
    REQUIRE(c.media.rtp_port_max == 1025);
    REQUIRE(c.media.ptime_ms == 10);
    REQUIRE(c.media.rtcp_interval_ms == 5000);
    REQUIRE(c.media.dscp == 0);
    REQUIRE(c.dataplane.sessions_per_worker == 262144);
    c = load_string(media_config("rtp_port_min = 60000\nrtp_port_max = 65535\nptime_ms = 40\ndscp = 63\n"
                                 "jitter_delay_ms = 1000\njitter_max_delay_ms = 2000\nrtcp_interval_ms = 3600000\n"),
                    "m.toml");
    REQUIRE(c.media.rtp_port_min == 60000);
    REQUIRE(c.media.rtp_port_max == 65535);
    REQUIRE(c.media.ptime_ms == 40);
    REQUIRE(c.media.dscp == 63);
    REQUIRE(c.media.jitter_delay_ms == 1000);
    REQUIRE(c.media.jitter_max_delay_ms == 2000);
    REQUIRE(c.media.rtcp_interval_ms == 3600000);
    // Keys not given keep their defaults.
    REQUIRE(c.media.jitter_mode == JitterMode::fixed);
    REQUIRE(c.media.symmetric_rtp);
    REQUIRE(c.media.rtp_timeout_ms == 0);
}

TEST_CASE("without a [media] table the defaults apply; the embedded default states them", "[config]")
{
    auto require_defaults = [](const Config& c) {
        REQUIRE(c.media.rtp_port_min == 16384);
        REQUIRE(c.media.rtp_port_max == 32767);
        REQUIRE(c.media.ptime_ms == 20);
        REQUIRE(c.media.jitter_mode == JitterMode::fixed);
        REQUIRE(c.media.jitter_delay_ms == 40);
        REQUIRE(c.media.jitter_max_delay_ms == 200);
        REQUIRE(c.media.rtp_timeout_ms == 0);
        REQUIRE(c.media.rtcp_interval_ms == 5000);
        REQUIRE(c.media.dscp == 46);
        REQUIRE(c.media.symmetric_rtp);
        REQUIRE(c.dataplane.sessions_per_worker == 4096);
    };
    Config none = load_string(media_config(nullptr), "m.toml");
    require_defaults(none);
    Config empty = load_string(media_config(""), "m.toml");
    require_defaults(empty);
    Config embedded = load("");
    require_defaults(embedded);
}

TEST_CASE("[media] problems are all reported, each at its own line", "[config]")
{
    std::string text = media_config(R"(rtp_port_min = 16385
ptime_ms = 25
jitter_delay_ms = 300
jitter_max_delay_ms = 299
rtcp_interval_ms = 4999
dscp = 64
colour = "blue"
)");
    std::vector<Problem> p = problems_of(text);
    REQUIRE(p.size() == 6);
    const uint32_t media_line = line_starting(text, "[media]");
    REQUIRE(p[0].line == media_line + 1);
    REQUIRE_THAT(p[0].reason, Catch::Contains("'media.rtp_port_min' must be even"));
    REQUIRE(p[1].line == media_line + 2);
    REQUIRE_THAT(p[1].reason, Catch::Contains("'media.ptime_ms' must be 10, 20, 30 or 40"));
    REQUIRE(p[2].line == media_line + 4);
    REQUIRE_THAT(p[2].reason, Catch::Contains("'media.jitter_max_delay_ms' must be at least"));
    REQUIRE(p[3].line == media_line + 5);
    REQUIRE_THAT(p[3].reason, Catch::Contains("'media.rtcp_interval_ms' must be 0 (off) or at least 5000"));
    REQUIRE(p[4].line == media_line + 6);
    REQUIRE(p[4].reason == "'media.dscp' = 64 is out of range [0, 63]");
    REQUIRE(p[5].line == media_line + 7);
    REQUIRE(p[5].reason == "unknown key 'media.colour'");
    for (const Problem& x : p) {
        REQUIRE(x.file == "m.toml");
    }
}

TEST_CASE("a pseudowire port inside the RTP range is refused; just outside it is not", "[config]")
{
    const char* range = "rtp_port_min = 30000\nrtp_port_max = 40000\n";
    auto refused = [&](uint32_t port) {
        std::string text = media_config(range, port, 50002);
        std::vector<Problem> p = problems_of(text);
        INFO("pseudowire port " << port);
        REQUIRE(p.size() == 1);
        REQUIRE(p[0].line == line_starting(text, "rtp_port_min"));
        REQUIRE(p[0].reason == "span span-a uses local UDP port " + std::to_string(port) +
                                   ", inside the RTP range 30000-40000");
    };
    refused(30000);  // the lowest RTP port
    refused(30001);  // its RTCP port
    refused(35000);
    refused(40000);  // the highest RTP port
    refused(40001);  // its RTCP port
    REQUIRE(problems_of(media_config(range, 29999, 50002)).empty());
    REQUIRE(problems_of(media_config(range, 40002, 50002)).empty());
    // Both spans inside: both named.
    std::vector<Problem> both = problems_of(media_config(range, 30010, 30020));
    REQUIRE(both.size() == 2);
    REQUIRE_THAT(both[0].reason, Catch::Contains("span span-a uses local UDP port 30010"));
    REQUIRE_THAT(both[1].reason, Catch::Contains("span span-b uses local UDP port 30020"));
}

TEST_CASE("dataplane.max_sessions is gone: sessions_per_worker replaced it", "[config]")
{
    std::string text = media_config(nullptr, 50000, 50002, "max_sessions = 4096\n");
    std::vector<Problem> p = problems_of(text);
    REQUIRE(p.size() == 1);
    REQUIRE(p[0].line == line_starting(text, "max_sessions"));
    REQUIRE(p[0].reason == "unknown key 'dataplane.max_sessions'");
    text = media_config(nullptr, 50000, 50002, "sessions_per_worker = 0\n");
    p = problems_of(text);
    REQUIRE(p.size() == 1);
    REQUIRE(p[0].line == line_starting(text, "sessions_per_worker"));
    REQUIRE(p[0].reason == "'dataplane.sessions_per_worker' = 0 is out of range [1, 262144]");
}

TEST_CASE("[span.isdn] Q.921 timers are read as written; without them Q.921's defaults apply", "[config]")
{
    auto span_config = [](const std::string& isdn_extra) {
        return std::string(R"([instance]
name = "q921"
run_dir = "/tmp/trunkgw-q921"

[dataplane]
main_lcore = 0

[[dataplane.worker]]
id = 1
lcore = 1

[[span]]
id = 1
name = "span-a"
type = "e1"
worker = 1
[span.isdn]
side = "user"
switch_type = "euroisdn_e1"
)") + isdn_extra + R"(
[control]
socket = "/tmp/trunkgw-q921/control.sock"
metrics_listen = "127.0.0.1:9464"
)";
    };
    Config c = load_string(span_config("t200_ms = 500\nn200 = 5\nt203_ms = 2000\nt309_ms = 30000\n"), "q.toml");
    REQUIRE(c.spans.size() == 1);
    REQUIRE(c.spans[0].isdn.t200_ms == 500);
    REQUIRE(c.spans[0].isdn.n200 == 5);
    REQUIRE(c.spans[0].isdn.t203_ms == 2000);
    REQUIRE(c.spans[0].isdn.t309_ms == 30000);
    Config d = load_string(span_config(""), "q.toml");
    REQUIRE(d.spans[0].isdn.t200_ms == 1000);  // Q.921 5.9.1
    REQUIRE(d.spans[0].isdn.n200 == 3);        // 5.9.2
    REQUIRE(d.spans[0].isdn.t203_ms == 10000); // 5.9.8
    REQUIRE(d.spans[0].isdn.t309_ms == 6000);  // libpri's
}
