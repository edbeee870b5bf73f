// trunkctl: the operator's command line. Talks JSON to trunkgw-control's
// management socket; --json prints the reply's result as it came.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "control/cli/mgmt_client.h"
#include "control/cli/render.h"
#include "control/config/config.h"

namespace {

struct Command {
    std::string api_name;
    std::string (*render)(const nlohmann::json&);
};

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"trunkctl: operate a trunkgw gateway"};
    std::string config_path;
    std::string socket_path;
    bool as_json = false;
    auto* cfg_opt = app.add_option("-c,--config", config_path, "configuration file (finds the socket in it)");
    app.add_option("-s,--socket", socket_path, "management socket of trunkgw-control")->excludes(cfg_opt);
    app.add_flag("--json", as_json, "print the result as JSON");
    app.set_version_flag("--version", std::string("trunkctl ") + TRUNKGW_VERSION);
    app.require_subcommand(1);

    Command selected{};
    auto* show = app.add_subcommand("show", "show state and counters");
    show->require_subcommand(1);
    show->add_subcommand("status", "versions, uptimes, attach state, workers, spans, metrics URL")
        ->callback([&] { selected = {"show status", trunkgw::cli::render_status}; });
    show->add_subcommand("spans", "spans: state, alarms, line and pseudowire counters")
        ->callback([&] { selected = {"show spans", trunkgw::cli::render_spans}; });
    show->add_subcommand("counters", "ring pushed/popped/full, worker loops/sleeps/ticks, control counters")
        ->callback([&] { selected = {"show counters", trunkgw::cli::render_counters}; });
    CLI11_PARSE(app, argc, argv);

    if (socket_path.empty()) {
        try {
            socket_path = trunkgw::config::load(config_path).control.socket;
        } catch (const trunkgw::config::ConfigError& e) {
            fmt::print(stderr, "{}\n", e.what());
            return 2;
        }
    }
    try {
        nlohmann::json result = trunkgw::cli::mgmt_call(socket_path, selected.api_name);
        if (as_json) {
            std::cout << result.dump(2) << "\n";
        } else {
            std::cout << selected.render(result);
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "trunkctl: {}\n", e.what());
        return 1;
    }
    return 0;
}
