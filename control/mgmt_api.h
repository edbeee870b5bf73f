// The management API: versioned JSON requests and replies, one per line, on
// a unix stream socket. trunkctl is one client; anything that speaks JSON is
// another.
//
//   request:  {"api": 1, "command": "show status", "args": {}}
//   reply:    {"api": 1, "ok": true, "result": {...}}
//             {"api": 1, "ok": false, "error": "reason"}
// A request whose "api" differs from ours is refused with both versions named.
#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace trunkgw::control {

inline constexpr int mgmt_api_version = 1;

// Thrown by a handler: becomes {"ok": false, "error": what()}.
class MgmtError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct MgmtCommand {
    std::string help;
    std::function<nlohmann::json(const nlohmann::json& args)> run;
};

using MgmtCommands = std::map<std::string, MgmtCommand>;

// Parses one request line and runs it; never throws. `malformed` is set when
// the line was not a valid request at all.
nlohmann::json mgmt_dispatch(const MgmtCommands& commands, const std::string& line, bool& malformed);

}  // namespace trunkgw::control
