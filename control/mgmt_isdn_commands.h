// The management API's ISDN commands: start and stop a D-channel trace
// (pcap, link type 177, which tshark decodes as Q.921/Q.931).
#pragma once

#include "control/isdn_spans.h"
#include "control/mgmt_api.h"

namespace trunkgw::control {

void add_isdn_commands(MgmtCommands& c, IsdnSpans& isdn);

}  // namespace trunkgw::control
