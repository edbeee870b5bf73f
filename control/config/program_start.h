// The start of every trunkgw daemon, one function behind both: parse
// --config/--check/--version, load and validate the config (printing
// FILE:LINE: reason for every problem), answer --check, and set up logging
// with the program's tag.
#pragma once

#include <optional>
#include <string>

#include "control/config/config.h"

namespace trunkgw::config {

struct ProgramStart {
    std::optional<Config> config;  // set: go on and run
    int exit_code = 0;             // otherwise: exit with this
};

// `tag` names the program in logs ("control", "dataplane").
ProgramStart start_program(int argc, char** argv, const std::string& tag, const std::string& description);

}  // namespace trunkgw::config
