// The SIP agent from the config; see sip_setup.h.
#include "control/sip_setup.h"

#include <spdlog/spdlog.h>

#include "control/mgmt_session_commands.h"

namespace trunkgw::control {

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
    for (const config::SipTrunk& t : cfg.sip.trunks) {
        sip::SipTrunkConfig tc;
        tc.name = t.name;
        for (const auto& p : t.peers) {
            tc.peers.push_back({p.ipv4, p.port});
        }
        tc.max_calls = t.max_calls;
        tc.calls_per_second = t.calls_per_second;
        tc.options_interval_s = t.options_interval_s;
        tc.tcp = t.tcp;
        ac.trunks.push_back(std::move(tc));
    }
    interwork::CauseMap causes;
    for (const config::SipCauseOverride& o : cfg.sip.cause_map) {
        if (o.to_sip) {
            causes.override_q850_to_sip(o.q850, o.sip);
        }
        if (o.to_q850) {
            causes.override_sip_to_q850(o.sip, o.q850);
        }
    }
    auto agent = std::make_unique<sip::SipAgent>(loop.root(), ac, causes, calls);
    spdlog::info("SIP on {} ({}), {} trunk(s)", host, cfg.sip.transport, cfg.sip.trunks.size());
    return agent;
}

}  // namespace trunkgw::control
