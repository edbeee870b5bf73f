// One leg of a call as `show calls` and the CDR name it.
#pragma once

#include <string>

namespace trunkgw::control {

struct CallLegStatus {
    std::string span;  // the span, or the SIP trunk
    int channel = 0;   // 0 for a SIP leg
    bool sip = false;
};

}  // namespace trunkgw::control
