// trunkctl's connection to the management API (control/mgmt_api.h).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace trunkgw::cli {

// Sends one request and returns the "result" of a successful reply. Throws
// std::runtime_error with the server's error, or the connection problem.
nlohmann::json mgmt_call(const std::string& socket_path, const std::string& command,
                         const nlohmann::json& args = nlohmann::json::object());

}  // namespace trunkgw::cli
