// The EAL command line is a function of the config.
#include <catch2/catch.hpp>

#include <algorithm>

#include "control/config/config.h"
#include "dataplane/eal_args.h"

using namespace trunkgw;

namespace {

bool has_pair(const std::vector<std::string>& a, const std::string& k, const std::string& v)
{
    for (std::size_t i = 0; i + 1 < a.size(); ++i) {
        if (a[i] == k && a[i + 1] == v) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("the default config runs without hugepages or PCI", "[eal]")
{
    auto a = dataplane::eal_args(config::load(""), "dp");
    REQUIRE(a[0] == "dp");
    REQUIRE(has_pair(a, "-l", "0,1"));
    REQUIRE(has_pair(a, "--main-lcore", "0"));
    REQUIRE(has_pair(a, "--file-prefix", "trunkgw-default"));
    REQUIRE(has_pair(a, "-m", "512"));
    REQUIRE(has_pair(a, "--vdev", "net_tap0,iface=tgw0"));
    REQUIRE(std::count(a.begin(), a.end(), "--no-huge") == 1);
    REQUIRE(std::count(a.begin(), a.end(), "--no-pci") == 1);
    REQUIRE(std::count(a.begin(), a.end(), "--no-telemetry") == 1);
}

TEST_CASE("PCI ports are allow-listed and hugepages honoured", "[eal]")
{
    auto c = config::load_string(R"([instance]
name = "hw"
[dataplane]
main_lcore = 2
hugepages = true
eal_extra_args = ["--log-level=pmd.net.*:debug"]
[[dataplane.worker]]
id = 1
lcore = 4
[[dataplane.worker]]
id = 2
lcore = 6
[[port]]
id = 1
name = "uplink"
pci = "0000:03:00.0"
[control]
socket = "/run/trunkgw/hw.sock"
metrics_listen = "0.0.0.0:9464"
)", "hw.toml");
    auto a = dataplane::eal_args(c, "dp");
    REQUIRE(has_pair(a, "-l", "2,4,6"));
    REQUIRE(has_pair(a, "-a", "0000:03:00.0"));
    REQUIRE(std::count(a.begin(), a.end(), "--no-huge") == 0);
    REQUIRE(std::count(a.begin(), a.end(), "--no-pci") == 0);
    REQUIRE(a.back() == "--log-level=pmd.net.*:debug");
}
