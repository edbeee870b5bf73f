// Routing decisions for calls, from the [[route]] table: which route a call
// takes, what its called number becomes, and when to try the next
// destination. Pure functions over the config, so the same logic serves
// incoming PRI calls now and SIP trunks later (issue 6).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "control/config/config.h"

namespace trunkgw::control {

// The first route, in config order, whose `from` holds `source` (or is
// empty), whose called and calling prefixes match and whose regular
// expressions (if any) are found in the numbers; nullptr for none.
const config::Route* match_route(const std::vector<config::Route>& routes, const std::string& source,
                                 const std::string& called, const std::string& calling);

// Number manipulation: `strip` leading digits removed (all of them when
// the number is shorter), then `prepend` put in front.
std::string manipulate_called(const config::Route& route, const std::string& called);

// Whether a destination's refusal with `cause` (Q.850) moves the call on
// to the route's next destination.
bool fails_over(const config::Route& route, int cause);

// The cause one leg's clearing gives the other. Causes about this leg's
// own channel or call reference mean nothing on the other interface, and
// would make its switch act on its own channel (some restart a channel
// refused with 44): 6 channel unacceptable, 44 requested circuit/channel
// not available and 82 identified channel does not exist become 34 (no
// circuit/channel available, Q.850); 81 invalid call reference becomes
// 41 (temporary failure). Every other cause crosses unchanged.
int cause_across_legs(int cause);

}  // namespace trunkgw::control
