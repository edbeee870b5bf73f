// EAL command line from config; see eal_args.h.
#include "dataplane/eal_args.h"

#include <fmt/format.h>

namespace trunkgw::dataplane {

std::string eal_lcore_list(const config::Config& cfg)
{
    std::string s = std::to_string(cfg.dataplane.main_lcore);
    for (const auto& w : cfg.dataplane.workers) {
        s += "," + std::to_string(w.lcore);
    }
    return s;
}

std::vector<std::string> eal_args(const config::Config& cfg, const std::string& argv0)
{
    const auto& d = cfg.dataplane;
    bool remapped = false;
    std::string lcore_map = fmt::format("{}@{}", d.main_lcore, d.main_lcore);
    for (const auto& w : d.workers) {
        remapped = remapped || w.cpu != w.lcore;
        lcore_map += fmt::format(",{}@{}", w.lcore, w.cpu);
    }
    std::vector<std::string> a = {
        argv0,
        // -l when every lcore runs on its own CPU; --lcores lcore@cpu when
        // the config maps some onto another CPU.
        remapped ? "--lcores" : "-l", remapped ? lcore_map : eal_lcore_list(cfg),
        "--main-lcore", std::to_string(d.main_lcore),
        // One runtime directory per instance, so two instances (or a test
        // beside a deployment) never share EAL state.
        "--file-prefix", "trunkgw-" + cfg.instance.name,
        "-m", std::to_string(d.memory_mb),
        // Telemetry would open another socket we do not serve; metrics are
        // control's job (STYLE.md practice 10).
        "--no-telemetry",
    };
    if (!d.hugepages) {
        a.push_back("--no-huge");
    }
    bool any_pci = false;
    for (const auto& p : cfg.ports) {
        if (!p.pci.empty()) {
            any_pci = true;
            a.push_back("-a");
            a.push_back(p.pci);
        }
    }
    if (!any_pci) {
        a.push_back("--no-pci");
    }
    for (const auto& p : cfg.ports) {
        if (!p.vdev.empty()) {
            a.push_back("--vdev");
            a.push_back(p.vdev);
        }
    }
    for (const auto& x : d.eal_extra_args) {
        a.push_back(x);
    }
    return a;
}

}  // namespace trunkgw::dataplane
