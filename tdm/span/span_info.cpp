#include "tdm/span/span_driver.h"

namespace trunkgw::tdm {

SpanInfo span_info(LineType type)
{
    // Q.931 / ISDN PRI: E1 30B+D with D on TS16 (G.704 2.3), T1 23B+D with D
    // on TS24.
    if (type == LineType::e1) {
        return {LineType::e1, 30, 16, 1, 31};
    }
    return {LineType::t1, 23, 24, 1, 24};
}

}  // namespace trunkgw::tdm
