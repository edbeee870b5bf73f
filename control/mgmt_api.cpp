// Request parsing and dispatch for the management API; see mgmt_api.h.
#include "control/mgmt_api.h"

#include <fmt/format.h>

namespace trunkgw::control {

namespace {

nlohmann::json error_reply(const std::string& why)
{
    return {{"api", mgmt_api_version}, {"ok", false}, {"error", why}};
}

}  // namespace

nlohmann::json mgmt_dispatch(const MgmtCommands& commands, const std::string& line, bool& malformed)
{
    malformed = true;
    nlohmann::json req = nlohmann::json::parse(line, nullptr, false);
    if (req.is_discarded() || !req.is_object()) {
        return error_reply("request is not a JSON object");
    }
    if (!req.contains("api") || !req["api"].is_number_integer()) {
        return error_reply("request has no integer \"api\" version");
    }
    if (req["api"].get<int>() != mgmt_api_version) {
        return error_reply(fmt::format("management API version {} requested, trunkgw-control speaks version {}",
                                       req["api"].get<int>(), mgmt_api_version));
    }
    if (!req.contains("command") || !req["command"].is_string()) {
        return error_reply("request has no string \"command\"");
    }
    nlohmann::json args = req.value("args", nlohmann::json::object());
    if (!args.is_object()) {
        return error_reply("\"args\" must be an object");
    }
    malformed = false;
    std::string name = req["command"].get<std::string>();
    auto it = commands.find(name);
    if (it == commands.end()) {
        std::string known;
        for (const auto& [k, v] : commands) {
            known += known.empty() ? k : ", " + k;
        }
        return error_reply(fmt::format("unknown command \"{}\"; known: {}", name, known));
    }
    try {
        return {{"api", mgmt_api_version}, {"ok", true}, {"result", it->second.run(args)}};
    } catch (const std::exception& e) {
        return error_reply(e.what());
    }
}

}  // namespace trunkgw::control
