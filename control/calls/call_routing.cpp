// Routing decisions; see call_routing.h.
#include "control/calls/call_routing.h"

#include <algorithm>

namespace trunkgw::control {

namespace {

bool has_prefix(const std::string& s, const std::string& prefix)
{
    return s.compare(0, prefix.size(), prefix) == 0 && s.size() >= prefix.size();
}

}  // namespace

const config::Route* match_route(const std::vector<config::Route>& routes, const std::string& source,
                                 const std::string& called, const std::string& calling)
{
    for (const config::Route& r : routes) {
        if (!r.from.empty() && std::find(r.from.begin(), r.from.end(), source) == r.from.end()) {
            continue;
        }
        if (!has_prefix(called, r.called_prefix) || !has_prefix(calling, r.calling_prefix)) {
            continue;
        }
        if (r.called_regex && !std::regex_search(called, *r.called_regex)) {
            continue;
        }
        if (r.calling_regex && !std::regex_search(calling, *r.calling_regex)) {
            continue;
        }
        return &r;
    }
    return nullptr;
}

std::string manipulate_called(const config::Route& route, const std::string& called)
{
    std::string out = called.size() > route.strip ? called.substr(route.strip) : std::string();
    return route.prepend + out;
}

bool fails_over(const config::Route& route, int cause)
{
    return std::find(route.failover_causes.begin(), route.failover_causes.end(), cause) != route.failover_causes.end();
}

int cause_across_legs(int cause)
{
    switch (cause) {
    case 6:   // channel unacceptable
    case 44:  // requested circuit/channel not available
    case 82:  // identified channel does not exist
        return 34;
    case 81:  // invalid call reference value
        return 41;
    default:
        return cause;
    }
}

}  // namespace trunkgw::control
