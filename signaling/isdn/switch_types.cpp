// Switch type names; see switch_types.h.
#include "signaling/isdn/switch_types.h"

#include "signaling/isdn/switch_type_names.h"

#include <string>

#include "signaling/isdn/libpri_c.h"

namespace trunkgw::isdn {

const std::array<SwitchType, 7> switch_types = {{
    {"euroisdn_e1", PRI_SWITCH_EUROISDN_E1, "ETSI EuroISDN on E1 (EN 300 403)"},
    {"euroisdn_t1", PRI_SWITCH_EUROISDN_T1, "ETSI EuroISDN on T1"},
    {"ni2", PRI_SWITCH_NI2, "Telcordia National ISDN-2"},
    {"dms100", PRI_SWITCH_DMS100, "Nortel DMS-100"},
    {"5ess", PRI_SWITCH_LUCENT5E, "Lucent 5ESS"},
    {"4ess", PRI_SWITCH_ATT4ESS, "AT&T 4ESS"},
    {"qsig", PRI_SWITCH_QSIG, "Q.SIG (ECMA-143)"},
}};

std::optional<int> switch_type_value(std::string_view name)
{
    for (const auto& t : switch_types) {
        if (t.name == name) {
            return t.libpri_value;
        }
    }
    return std::nullopt;
}

std::string_view switch_type_names()
{
    static const std::string names = [] {
        std::string s;
        for (auto n : switch_type_name_list) {
            s += s.empty() ? std::string(n) : ", " + std::string(n);
        }
        return s;
    }();
    return names;
}

}  // namespace trunkgw::isdn
