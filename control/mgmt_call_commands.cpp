// Call commands for the management API; see mgmt_call_commands.h.
#include "control/mgmt_call_commands.h"

namespace trunkgw::control {

using nlohmann::json;

namespace {

json leg_json(const CallLegStatus& l)
{
    return l.sip ? json{{"sip_trunk", l.span}} : json{{"span", l.span}, {"channel", l.channel}};
}

}  // namespace

json call_json(const CallStatus& s)
{
    json j = {{"id", s.id},
              {"state", s.state},
              {"in", leg_json(s.in)},
              {"called", s.called},
              {"called_out", s.called_out},
              {"calling", s.calling},
              {"route", s.route},
              {"setup_unix_ms", s.setup_unix_ms},
              {"answer_unix_ms", s.answer_unix_ms}};
    if (s.media_in != 0) {
        // Session ids as show sessions gives them.
        j["media"] = {{"in_session", s.media_in - 1}, {"out_session", s.media_out - 1}};
    }
    if (!s.out.span.empty()) {
        j["out"] = leg_json(s.out);
    }
    if (s.end_unix_ms != 0) {
        j["end_unix_ms"] = s.end_unix_ms;
        j["cause"] = s.cause;
        j["cleared_by"] = s.cleared_by;
    }
    return j;
}

void add_call_commands(MgmtCommands& c, CallManager& calls)
{
    c["show calls"] = {"calls up now; with {history: true} also the last ones that ended",
                       [&calls](const json& args) {
                           json up = json::array();
                           for (const auto& s : calls.calls()) {
                               up.push_back(call_json(s));
                           }
                           json r = {{"calls", up}};
                           if (args.value("history", false)) {
                               json ended = json::array();
                               for (const auto& s : calls.history()) {
                                   ended.push_back(call_json(s));
                               }
                               r["ended"] = ended;
                           }
                           const CallCounters& k = calls.counters();
                           r["totals"] = {{"offered", k.offered.load()},   {"answered", k.answered.load()},
                                          {"ended", k.ended.load()},       {"no_route", k.no_route.load()},
                                          {"failovers", k.failovers.load()}, {"active", k.active.load()},
                                          {"group_hunts", k.group_hunts.load()},
                                          {"toll_fraud", {{"allowed", k.toll_allowed.load()},
                                                          {"not_allowed", k.toll_refused_not_allowed.load()},
                                                          {"concurrent", k.toll_refused_concurrent.load()},
                                                          {"hourly", k.toll_refused_hourly.load()}}}};
                           if (const CdrWriter* w = calls.cdr()) {
                               r["totals"]["cdr"] = {{"path", w->path()},
                                                     {"records", w->records()},
                                                     {"queued", w->queued()},
                                                     {"errors", w->errors()}};
                           }
                           return r;
                       }};
    c["call drop"] = {"clear a call on both legs with cause 16: {id}", [&calls](const json& args) {
                          if (!args.contains("id") || !args["id"].is_number_unsigned()) {
                              throw MgmtError("argument \"id\" (a call id) is required");
                          }
                          uint64_t id = args["id"].get<uint64_t>();
                          if (!calls.drop(id)) {
                              throw MgmtError("no call " + std::to_string(id));
                          }
                          return json{{"id", id}, {"dropped", true}};
                      }};
}

}  // namespace trunkgw::control
