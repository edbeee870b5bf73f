// SIP commands for the management API; see mgmt_sip_commands.h.
#include "control/mgmt_sip_commands.h"

#include "control/mgmt_session_commands.h"

namespace trunkgw::control {

using nlohmann::json;

namespace {

std::string endpoint_text(uint32_t ipv4, uint16_t port)
{
    return ipv4_text(ipv4) + ":" + std::to_string(port);
}

}  // namespace

void add_sip_commands(MgmtCommands& c, const config::Config& cfg, sip::SipAgent& agent)
{
    c["show sip trunks"] = {"SIP trunks: peers, limits, calls and INVITE counters", [&cfg, &agent](const json&) {
                                const sip::SipStatus st = agent.status();
                                json trunks = json::array();
                                for (const config::SipTrunk& t : cfg.sip.trunks) {
                                    json peers = json::array();
                                    for (const auto& p : t.peers) {
                                        peers.push_back(endpoint_text(p.ipv4, p.port));
                                    }
                                    const auto it = st.trunks.find(t.name);
                                    const sip::SipTrunkCounters k =
                                        it != st.trunks.end() ? it->second : sip::SipTrunkCounters{};
                                    json out_final = json::object();
                                    json in_final = json::object();
                                    for (const auto& [status, n] : k.final_responses_out) {
                                        out_final[std::to_string(status)] = n;
                                    }
                                    for (const auto& [status, n] : k.final_responses_in) {
                                        in_final[std::to_string(status)] = n;
                                    }
                                    trunks.push_back({{"name", t.name},
                                                      {"peers", peers},
                                                      {"max_calls", t.max_calls},
                                                      {"calls_per_second", t.calls_per_second},
                                                      {"active", k.active},
                                                      {"invites_in", k.invites_in},
                                                      {"invites_in_tcp", k.invites_in_tcp},
                                                      {"invites_out", k.invites_out},
                                                      {"answered_in", k.answered_in},
                                                      {"answered_out", k.answered_out},
                                                      {"refused_limit", k.refused_limit},
                                                      {"refused_no_media", k.refused_no_media},
                                                      {"media_changes", k.media_changes},
                                                      {"state", t.options_interval_s == 0 ? "unmonitored" : k.up ? "up" : "down"},
                                                      {"options_sent", k.options_sent},
                                                      {"options_failed", k.options_failed},
                                                      {"state_changes", k.state_changes},
                                                      {"final_responses_sent", out_final},
                                                      {"final_responses_received", in_final}});
                                }
                                return json{{"listen", endpoint_text(cfg.sip.listen_ipv4, cfg.sip.listen_port)},
                                            {"transport", cfg.sip.transport},
                                            {"refused_acl", st.refused_acl},
                                            {"trunks", trunks}};
                            }};
}

}  // namespace trunkgw::control
