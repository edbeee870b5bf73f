// Command line, config load and logging shared by the daemons.
#include "control/config/program_start.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace trunkgw::config {

ProgramStart start_program(int argc, char** argv, const std::string& tag, const std::string& description)
{
    CLI::App app{description};
    std::string config_path;
    bool check = false;
    app.add_option("-c,--config", config_path, "configuration file (default: the embedded deploy/trunkgw.toml)");
    app.add_flag("--check", check, "validate the configuration, print FILE:LINE: reason for each problem, and exit");
    app.set_version_flag("--version", fmt::format("trunkgw-{} {}", tag, TRUNKGW_VERSION));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return {std::nullopt, app.exit(e)};
    }
    ProgramStart s;
    try {
        s.config = load(config_path);
    } catch (const ConfigError& e) {
        fmt::print(stderr, "{}\n", e.what());
        return {std::nullopt, 2};
    }
    if (check) {
        fmt::print("{}: ok\n", s.config->source);
        return {std::nullopt, 0};
    }
    spdlog::set_level(spdlog::level::from_str(s.config->log.level));
    spdlog::set_pattern(fmt::format("%Y-%m-%dT%H:%M:%S.%e %^%l%$ {}: %v", tag));
    return s;
}

}  // namespace trunkgw::config
