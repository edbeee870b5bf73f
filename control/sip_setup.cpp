// The SIP agent from the config; see sip_setup.h.
#include "control/sip_setup.h"

#include <spdlog/spdlog.h>

#include "control/mgmt_session_commands.h"

namespace trunkgw::control {

sip::SipTrunkConfig sip_trunk_config(const config::SipTrunk& t)
{
    sip::SipTrunkConfig tc;
    tc.name = t.name;
    for (const auto& p : t.peers) {
        tc.peers.push_back({p.ipv4, p.port});
    }
    tc.max_calls = t.max_calls;
    tc.calls_per_second = t.calls_per_second;
    tc.options_interval_s = t.options_interval_s;
    tc.transport = t.transport;
    tc.srtp = t.srtp;
    auto credentials = [](const std::optional<config::SipCredentials>& c) -> std::optional<sip::SipCredentials> {
        if (!c) {
            return std::nullopt;
        }
        return sip::SipCredentials{c->username, c->password, c->realm};
    };
    tc.inbound_auth = credentials(t.inbound_auth);
    tc.outbound_auth = credentials(t.outbound_auth);
    tc.register_ = t.register_;
    tc.register_expires_s = t.register_expires_s;
    return tc;
}

interwork::CauseMap cause_map(const config::Sip& sip)
{
    interwork::CauseMap causes;
    for (const config::SipCauseOverride& o : sip.cause_map) {
        if (o.to_sip) {
            causes.override_q850_to_sip(o.q850, o.sip);
        }
        if (o.to_q850) {
            causes.override_sip_to_q850(o.sip, o.q850);
        }
    }
    return causes;
}

std::unique_ptr<sip::SipAgent> make_sip_agent(EventLoop& loop, const config::Config& cfg, sip::SipCallHandler* calls)
{
    if (!cfg.sip.enabled) {
        return nullptr;
    }
    sip::SipAgentConfig ac;
    const std::string host = ipv4_text(cfg.sip.listen_ipv4) + ":" + std::to_string(cfg.sip.listen_port);
    // No transport parameter: Sofia listens on both UDP and TCP.
    ac.bind_url = "sip:" + host + (cfg.sip.transport == "udp+tcp" ? std::string() : ";transport=" + cfg.sip.transport);
    ac.contact_host = host;
    ac.reliable_provisional = cfg.sip.prack;
    ac.session_expires_s = cfg.sip.session_expires_s;
    ac.min_se_s = cfg.sip.min_se_s;
    if (cfg.sip.tls) {
        ac.tls_bind_url = "sips:" + ipv4_text(cfg.sip.listen_ipv4) + ":" + std::to_string(cfg.sip.tls_port);
        ac.tls_contact_host = ipv4_text(cfg.sip.listen_ipv4) + ":" + std::to_string(cfg.sip.tls_port);
        ac.tls_certificate_dir = cfg.sip.tls_certificate_dir;
        ac.tls_verify_peer = cfg.sip.tls_verify_peer;
    }
    ac.auth_max_failures = cfg.sip.auth_max_failures;
    ac.transaction_timeout_ms = cfg.sip.transaction_timeout_ms;
    ac.udp_buffer_bytes = cfg.sip.udp_buffer_kb * 1024;
    ac.auth_block_ms = static_cast<int64_t>(cfg.sip.auth_block_s) * 1000;
    for (const config::SipTrunk& t : cfg.sip.trunks) {
        ac.trunks.push_back(sip_trunk_config(t));
    }
    auto agent = std::make_unique<sip::SipAgent>(loop.root(), ac, cause_map(cfg.sip), calls);
    spdlog::info("SIP on {} ({}{}), {} trunk(s)", host, cfg.sip.transport,
                 cfg.sip.tls ? ", tls on port " + std::to_string(cfg.sip.tls_port) : std::string(),
                 cfg.sip.trunks.size());
    return agent;
}

}  // namespace trunkgw::control
