// Routing decisions for calls, from the [[route]] table: which route a call
// takes, what its called number becomes, and when to try the next
// destination. Pure functions over the config, so the same logic serves
// incoming PRI calls now and SIP trunks later (issue 6).
#pragma once

#include <cstddef>
#include <map>
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

// Where a call's hunt over its route's destinations is: the route's `to`
// in order, a span group's spans in the group's hunting order (sequential
// from its first span; round_robin from the span after the one the
// group's previous hunt began at). Walked as the call moves on, not
// expanded up front (a group of 100 spans was an allocation and 200
// strings per call).
struct DestinationHunt {
    std::size_t target = 0;  // index in route.to
    std::size_t index = 0;   // destinations of that target handed out
    std::size_t start = 0;   // a group: the span its hunt began at
};
struct Destination {
    std::string name;   // a span, a SIP trunk
    std::string group;  // the span group it was hunted in ("" for none)
};
// The next destination, or nullopt when the route has none left. Groups
// are looked up in `cfg` as the hunt reaches them (after a reload: the
// group as it is now); `group_next` holds each round_robin group's next
// start across calls.
std::optional<Destination> next_destination(const config::Config& cfg, const config::Route& route,
                                            DestinationHunt& hunt, std::map<std::string, std::size_t>& group_next);
// Whether the destination handed out last has more spans of its group
// after it (a refusal then hunts within the group).
bool more_in_group(const config::Config& cfg, const config::Route& route, const DestinationHunt& hunt);
// Whether any destination is left after the one handed out last.
bool has_next_destination(const config::Config& cfg, const config::Route& route, const DestinationHunt& hunt);

// The cause one leg's clearing gives the other. Causes about this leg's
// own channel or call reference mean nothing on the other interface, and
// would make its switch act on its own channel (some restart a channel
// refused with 44): 6 channel unacceptable, 44 requested circuit/channel
// not available and 82 identified channel does not exist become 34 (no
// circuit/channel available, Q.850); 81 invalid call reference becomes
// 41 (temporary failure). Every other cause crosses unchanged.
int cause_across_legs(int cause);

}  // namespace trunkgw::control
