// Reload (trunkctl reload, SIGHUP): the config file is read again and, when
// it is valid and differs only in what can change under live calls
// (config::restart_needed), its routes, span groups, toll-fraud tables, SIP
// trunks and cause map replace the running ones. Calls up keep the route
// they took and their SIP dialogs; new calls use the new tables. Anything
// else refuses the reload with the reason, and nothing changes.
#pragma once

#include <string>
#include <vector>

#include "control/calls/call_manager.h"
#include "control/config/config.h"
#include "signaling/sip/sip_agent.h"

namespace trunkgw::control {

struct ReloadResult {
    bool applied = false;
    std::vector<std::string> problems;  // why not: "FILE:LINE: reason", or the tables needing a restart
    std::size_t routes = 0, span_groups = 0, toll_classes = 0, sip_trunks = 0;
};

ReloadResult reload_config(config::Config& running, CallManager& calls, sip::SipAgent* sip);

}  // namespace trunkgw::control
