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

std::optional<Destination> next_destination(const config::Config& cfg, const config::Route& route,
                                            DestinationHunt& h, std::map<std::string, std::size_t>& group_next)
{
    while (h.target < route.to.size()) {
        const std::string& name = route.to[h.target];
        const config::SpanGroup* g = cfg.span_group(name);
        if (g == nullptr && h.index == 0) {
            h.index = 1;
            return Destination{name, {}};
        }
        if (g != nullptr && h.index < g->spans.size()) {
            if (h.index == 0) {
                h.start = 0;
                if (g->hunting == "round_robin") {
                    std::size_t& next = group_next[g->name];
                    h.start = next % g->spans.size();
                    next = h.start + 1;
                }
            }
            return Destination{g->spans[(h.start + h.index++) % g->spans.size()], g->name};
        }
        ++h.target;
        h.index = 0;
    }
    return std::nullopt;
}

bool more_in_group(const config::Config& cfg, const config::Route& route, const DestinationHunt& h)
{
    if (h.target >= route.to.size()) {
        return false;
    }
    const config::SpanGroup* g = cfg.span_group(route.to[h.target]);
    return g != nullptr && h.index < g->spans.size();
}

bool has_next_destination(const config::Config& cfg, const config::Route& route, const DestinationHunt& h)
{
    return more_in_group(cfg, route, h) || h.target + 1 < route.to.size();
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
