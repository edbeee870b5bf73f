// The SIP agent from [sip]: transports, trunks (peers, ACL, limits) and
// the Q.850 <-> SIP table with the config's overrides.
#pragma once

#include <memory>

#include "control/config/config.h"
#include "control/event_loop.h"
#include "signaling/sip/sip_agent.h"

namespace trunkgw::control {

// One [[sip.trunk]] as the agent takes it (start and reload).
sip::SipTrunkConfig sip_trunk_config(const config::SipTrunk& t);
// The Q.850 <-> SIP table with [[sip.cause_map]]'s overrides.
interwork::CauseMap cause_map(const config::Sip& sip);

// nullptr when the config has no [sip]. Throws std::runtime_error when
// the transport cannot be bound.
std::unique_ptr<sip::SipAgent> make_sip_agent(EventLoop& loop, const config::Config& cfg, sip::SipCallHandler* calls);

}  // namespace trunkgw::control
