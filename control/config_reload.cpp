// Reload of routes and trunks under live calls; see config_reload.h.
#include "control/config_reload.h"

#include <spdlog/spdlog.h>

#include "control/sip_setup.h"

namespace trunkgw::control {

ReloadResult reload_config(config::Config& running, CallManager& calls, sip::SipAgent* sip)
{
    ReloadResult r;
    if (running.source == config::embedded_default_name) {
        r.problems.push_back("running the embedded default: there is no file to read again (start with --config FILE)");
        return r;
    }
    config::Config fresh;
    try {
        fresh = config::load_file(running.source);
    } catch (const config::ConfigError& e) {
        for (const config::Problem& p : e.problems()) {
            r.problems.push_back(p.text());
        }
        return r;
    }
    for (const std::string& table : config::restart_needed(running.text, fresh.text)) {
        r.problems.push_back(running.source + ": [" + table + "] changed: that needs a restart (a reload changes only "
                             "[[route]], [[span_group]], [toll_fraud], [[sip.trunk]] and [[sip.cause_map]])");
    }
    if (!r.problems.empty()) {
        return r;
    }
    if (sip != nullptr) {
        std::vector<sip::SipTrunkConfig> trunks;
        for (const config::SipTrunk& t : fresh.sip.trunks) {
            trunks.push_back(sip_trunk_config(t));
        }
        sip->reconfigure(std::move(trunks), cause_map(fresh.sip));
    }
    running.routes = std::move(fresh.routes);
    running.span_groups = std::move(fresh.span_groups);
    running.toll_fraud = std::move(fresh.toll_fraud);
    running.sip.trunks = std::move(fresh.sip.trunks);
    running.sip.cause_map = std::move(fresh.sip.cause_map);
    running.text = std::move(fresh.text);
    calls.reconfigured();
    r.applied = true;
    r.routes = running.routes.size();
    r.span_groups = running.span_groups.size();
    r.toll_classes = running.toll_fraud.classes.size();
    r.sip_trunks = running.sip.trunks.size();
    spdlog::info("reloaded {}: {} route(s), {} span group(s), {} toll-fraud class(es), {} SIP trunk(s)", running.source,
                 r.routes, r.span_groups, r.toll_classes, r.sip_trunks);
    return r;
}

}  // namespace trunkgw::control
