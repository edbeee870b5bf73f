// Builds the DPDK EAL command line from the validated config, so what EAL
// sees is a pure function of the file (and testable without starting EAL).
#pragma once

#include <string>
#include <vector>

#include "control/config/config.h"

namespace trunkgw::dataplane {

std::vector<std::string> eal_args(const config::Config& cfg, const std::string& argv0);

// The lcore list for -l: main lcore first, then every worker lcore.
std::string eal_lcore_list(const config::Config& cfg);

}  // namespace trunkgw::dataplane
