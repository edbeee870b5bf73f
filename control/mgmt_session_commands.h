// The management API's session commands and their JSON: create, modify and
// delete RTP sessions (an operator's media test, loop checks, and the
// integration tests), and show them with their counters.
#pragma once

#include <nlohmann/json.hpp>

#include "control/mgmt_api.h"
#include "control/session_manager.h"
#include "control/status.h"
#include "dataplane/net/ipv4.h"

namespace trunkgw::control {

nlohmann::json sessions_json(const Snapshot& s);
void add_session_commands(MgmtCommands& c, SessionManager& sessions);

using net::ipv4_text;

}  // namespace trunkgw::control
