// Human renderings of management API results: one function per command,
// each a pure function of the JSON (so golden tests can pin them).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace trunkgw::cli {

std::string render_status(const nlohmann::json& r);
std::string render_counters(const nlohmann::json& r);
std::string render_spans(const nlohmann::json& r);
std::string render_sessions(const nlohmann::json& r);
std::string render_channels(const nlohmann::json& r);
std::string render_sip_trunks(const nlohmann::json& r);
std::string render_calls(const nlohmann::json& r);
std::string render_drop_result(const nlohmann::json& r);
std::string render_reload_result(const nlohmann::json& r);
std::string render_service_result(const nlohmann::json& r);
// One line for a session command's result ("session 3 on worker 1, local 192.0.2.1:16384").
std::string render_session_result(const nlohmann::json& r);

// 3725.4 -> "1h02m05s"
std::string format_duration(double seconds);

}  // namespace trunkgw::cli
