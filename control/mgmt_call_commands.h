// The management API's call commands: calls up now (and the last ones that
// ended), and dropping one.
#pragma once

#include "control/calls/call_manager.h"
#include "control/mgmt_api.h"

namespace trunkgw::control {

void add_call_commands(MgmtCommands& c, CallManager& calls);

// One call as JSON (show calls; the same shape trunkctl renders).
nlohmann::json call_json(const CallStatus& s);

}  // namespace trunkgw::control
