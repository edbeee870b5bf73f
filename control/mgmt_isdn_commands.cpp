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
    c["show channels"] = {"a span's B-channels: state, blocked here or by the far end: {span}",
                          [&isdn](const json& args) {
                              std::string span = string_arg(args, "span");
                              for (const auto& st : isdn.status()) {
                                  if (st.span != span) {
                                      continue;
                                  }
                                  json rows = json::array();
                                  for (const auto& ch : st.channels) {
                                      rows.push_back({{"channel", ch.channel},
                                                      {"state", isdn::channel_state_name(ch.state)},
                                                      {"blocked_here", ch.blocked_here},
                                                      {"blocked_there", ch.blocked_there}});
                                  }
                                  return json{{"span", span}, {"dchannel", st.up ? "up" : "down"}, {"channels", rows}};
                              }
                              throw MgmtError("no span " + span + " with ISDN ([span.isdn])");
                          }};
    auto service = [&isdn](const json& args, int channel, bool in_service) {
        std::string span = string_arg(args, "span");
        try {
            return json{{"span", span}, {"changed", isdn.set_service(span, channel, in_service)}};
        } catch (const std::runtime_error& e) {
            throw MgmtError(e.what());
        }
    };
    c["span block"] = {"take every B-channel of {span} out of service",
                       [service](const json& args) { return service(args, 0, false); }};
    c["span unblock"] = {"put every B-channel of {span} back in service",
                         [service](const json& args) { return service(args, 0, true); }};
    c["channel service"] = {"put {span, channel} in service (or, with in_service false, maintenance)",
                            [service](const json& args) {
                                if (!args.contains("channel") || !args["channel"].is_number_unsigned() ||
                                    args["channel"].get<uint64_t>() < 1 || args["channel"].get<uint64_t>() > 31) {
                                    throw MgmtError("argument \"channel\" (a B-channel number, 1-31) is required");
                                }
                                bool in = !args.contains("in_service") || args["in_service"].get<bool>();
                                return service(args, args["channel"].get<int>(), in);
                            }};
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
