// Toll-fraud controls; see toll_fraud.h.
#include "control/calls/toll_fraud.h"

#include <algorithm>

namespace trunkgw::control {

namespace {

constexpr int64_t hour_ms = 3600 * 1000;

bool contains(const std::vector<std::string>& v, const std::string& x)
{
    return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

std::string TollFraudGuard::classify(const std::string& called) const
{
    std::string best;
    std::size_t best_len = 0;
    for (const config::TollClass& k : _cfg.classes) {
        for (const std::string& p : k.prefixes) {
            if (p.size() > best_len && called.compare(0, p.size(), p) == 0) {
                best = k.name;
                best_len = p.size();
            }
        }
    }
    return best;
}

const config::TollAllowance* TollFraudGuard::allowance(const std::string& source) const
{
    for (const config::TollAllowance& a : _cfg.allowances) {
        if (a.source == source) {
            return &a;
        }
    }
    return nullptr;
}

TollVerdict TollFraudGuard::admit(const std::string& source, const config::Route& route, const std::string& called,
                                  int64_t now_ms)
{
    TollVerdict v;
    v.cls = classify(called);
    if (v.cls.empty()) {
        return v;
    }
    const config::TollAllowance* a = allowance(source);
    const bool by_source = a != nullptr && contains(a->classes, v.cls);
    if (!by_source && !contains(route.allow_classes, v.cls)) {
        v.allowed = false;
        v.reason = "not_allowed";
    } else if (by_source) {
        SourceState& s = _sources[source];
        while (!s.started_ms.empty() && now_ms - s.started_ms.front() >= hour_ms) {
            s.started_ms.pop_front();
        }
        if (a->max_concurrent != 0 && s.concurrent >= a->max_concurrent) {
            v.allowed = false;
            v.reason = "concurrent";
        } else if (a->max_per_hour != 0 && s.started_ms.size() >= a->max_per_hour) {
            v.allowed = false;
            v.reason = "hourly";
        } else {
            ++s.concurrent;
            s.started_ms.push_back(now_ms);
            v.counted = true;
        }
    }
    if (v.allowed) {
        ++_counters.allowed[v.cls];
    } else {
        ++_counters.refused[{v.cls, v.reason}];
    }
    return v;
}

void TollFraudGuard::ended(const std::string& source)
{
    auto it = _sources.find(source);
    if (it != _sources.end() && it->second.concurrent > 0) {
        --it->second.concurrent;
    }
}

uint32_t TollFraudGuard::concurrent(const std::string& source) const
{
    auto it = _sources.find(source);
    return it == _sources.end() ? 0 : it->second.concurrent;
}

}  // namespace trunkgw::control
