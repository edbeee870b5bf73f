// Toll-fraud controls (IRSF: International Revenue Share Fraud, premium
// rate pumping through a compromised PBX or trunk): every called number
// leaving the gateway is classified by the longest matching prefix of the
// [[toll_fraud.class]] table; a call to a class is refused with cause 21
// (call rejected; SIP 403) unless its route lists the class in
// allow_classes or its source's [[toll_fraud.allowance]] does. An
// allowance also caps the source's calls to its classes: at once
// (max_concurrent) and in any 60 minutes (max_per_hour): a hijacked PBX
// pumping premium numbers at night hits the cap within minutes.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "control/config/config.h"

namespace trunkgw::control {

struct TollVerdict {
    bool allowed = true;
    std::string cls;     // the class matched; "" = unrestricted number
    std::string reason;  // when refused: not_allowed, concurrent, hourly
    bool counted = false;  // held against the source's allowance until ended()
};

// Counters for metrics and `show calls`: refusals by class and reason.
struct TollCounters {
    std::map<std::pair<std::string, std::string>, uint64_t> refused;  // (class, reason)
    std::map<std::string, uint64_t> allowed;                          // by class
};

class TollFraudGuard {
public:
    explicit TollFraudGuard(config::TollFraud cfg) : _cfg(std::move(cfg)) {}
    // New tables (reload); the calls up now and the hourly history stay.
    void reconfigure(config::TollFraud cfg) { _cfg = std::move(cfg); }

    // The class of a called number ("" when none matches).
    std::string classify(const std::string& called) const;
    // Decides one call from `source` over `route` to `called`; an allowed
    // restricted call under a source's allowance is counted against it
    // (verdict.counted) until ended(source).
    TollVerdict admit(const std::string& source, const config::Route& route, const std::string& called,
                      int64_t now_ms);
    void ended(const std::string& source);

    const TollCounters& counters() const { return _counters; }
    uint32_t concurrent(const std::string& source) const;

private:
    const config::TollAllowance* allowance(const std::string& source) const;

    config::TollFraud _cfg;
    struct SourceState {
        uint32_t concurrent = 0;
        std::deque<int64_t> started_ms;  // restricted calls in the last hour
    };
    std::map<std::string, SourceState> _sources;
    TollCounters _counters;
};

}  // namespace trunkgw::control
