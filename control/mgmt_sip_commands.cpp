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

// REGISTER state (RFC 3261 10) of a trunk that registers; null otherwise.
json registration_json(const config::SipTrunk& t, const sip::SipTrunkCounters& k)
{
    if (!t.register_) {
        return nullptr;
    }
    const sip::RegistrationCounters& r = k.registration;
    return {{"state", r.registered ? "registered" : r.failed > 0 ? "failed" : "registering"},
            {"expires_s", r.granted_expires_s},
            {"ok", r.succeeded},
            {"failed", r.failed},
            {"challenges", r.challenges},
            {"last_status", r.last_status}};
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
                                                      {"srtp", t.srtp},
                                                      {"srtp_refused", k.srtp_refused},
                                                      {"media_changes", k.media_changes},
                                                      {"state", t.options_interval_s == 0 ? "unmonitored" : k.up ? "up" : "down"},
                                                      {"options_sent", k.options_sent},
                                                      {"options_failed", k.options_failed},
                                                      {"state_changes", k.state_changes},
                                                      {"final_responses_sent", out_final},
                                                      {"final_responses_received", in_final},
                                                      {"transport", t.transport},
                                                      {"invites_in_tls", k.invites_in_tls},
                                                      {"auth", {{"inbound", t.inbound_auth.has_value()},
                                                                {"outbound", t.outbound_auth.has_value()},
                                                                {"challenges", k.auth_challenges},
                                                                {"accepted", k.auth_accepted},
                                                                {"failed", k.auth_failures},
                                                                {"answered", k.auth_answered}}},
                                                      {"registration", registration_json(t, k)}});
                                }
                                return json{{"listen", endpoint_text(cfg.sip.listen_ipv4, cfg.sip.listen_port)},
                                            {"transport", cfg.sip.transport},
                                            {"refused_acl", st.refused_acl},
                                            {"refused_auth_blocked", st.refused_auth_blocked},
                                            {"sdp_refused_unsafe", st.sdp_refused_unsafe},
                                            {"auth_blocks", st.auth_blocks},
                                            {"blocked_sources", st.blocked_sources},
                                            {"tls_port", cfg.sip.tls ? json(cfg.sip.tls_port) : json(nullptr)},
                                            {"trunks", trunks}};
                            }};
}

}  // namespace trunkgw::control
