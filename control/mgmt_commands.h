// The management commands and the JSON shape of their results. Each command
// renders the one status snapshot (status.h); the CLI only formats the JSON.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "control/mgmt_api.h"
#include "control/isdn_spans.h"
#include "control/session_manager.h"
#include "control/status.h"

namespace trunkgw::control {

nlohmann::json status_json(const Snapshot& s);
nlohmann::json counters_json(const Snapshot& s);
nlohmann::json spans_json(const Snapshot& s);

// `snapshot` takes a fresh snapshot when called; `sessions` (may be null in
// tests) adds the session commands.
// `isdn` (may be null) adds the D-channel trace commands.
MgmtCommands make_mgmt_commands(std::function<Snapshot()> snapshot, SessionManager* sessions = nullptr,
                                IsdnSpans* isdn = nullptr);

}  // namespace trunkgw::control
