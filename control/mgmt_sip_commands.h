// SIP commands for the management API: show sip trunks.
#pragma once

#include "control/mgmt_commands.h"
#include "signaling/sip/sip_agent.h"

namespace trunkgw::control {

void add_sip_commands(MgmtCommands& c, const config::Config& cfg, sip::SipAgent& agent);

}  // namespace trunkgw::control
