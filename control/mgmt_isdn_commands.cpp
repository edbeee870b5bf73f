// ISDN commands for the management API; see mgmt_isdn_commands.h.
#include "control/mgmt_isdn_commands.h"

namespace trunkgw::control {

using nlohmann::json;

namespace {

std::string string_arg(const json& args, const char* key)
{
    if (!args.contains(key) || !args[key].is_string() || args[key].get<std::string>().empty()) {
        throw MgmtError(std::string("argument \"") + key + "\" (a string) is required");
    }
    return args[key].get<std::string>();
}

}  // namespace

void add_isdn_commands(MgmtCommands& c, IsdnSpans& isdn)
{
    c["trace dchannel start"] = {"start a D-channel trace: {span, file} (an absolute path; pcap, link type 177)",
                                 [&isdn](const json& args) {
                                     std::string span = string_arg(args, "span");
                                     std::string file = string_arg(args, "file");
                                     if (file[0] != '/') {
                                         throw MgmtError("the trace file must be an absolute path");
                                     }
                                     try {
                                         isdn.start_trace(span, file);
                                     } catch (const std::runtime_error& e) {
                                         throw MgmtError(e.what());
                                     }
                                     return json{{"span", span}, {"file", file}};
                                 }};
    c["trace dchannel stop"] = {"stop a span's D-channel trace: {span}; returns the frames written",
                                [&isdn](const json& args) {
                                    std::string span = string_arg(args, "span");
                                    try {
                                        return json{{"span", span}, {"frames", isdn.stop_trace(span)}};
                                    } catch (const std::runtime_error& e) {
                                        throw MgmtError(e.what());
                                    }
                                }};
}

}  // namespace trunkgw::control
