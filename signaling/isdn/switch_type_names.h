// The switch type names a span's [span.isdn] may use: header-only (no
// libpri), so that the config schema can refuse an unknown name at load.
// switch_types.cpp maps each to libpri's constant, in this order.
#pragma once

#include <array>
#include <string_view>

namespace trunkgw::isdn {

inline constexpr std::array<std::string_view, 7> switch_type_name_list = {
    "euroisdn_e1", "euroisdn_t1", "ni2", "dms100", "5ess", "4ess", "qsig"};

// The North American variants run on T1 lines, EuroISDN E1 on E1.
inline constexpr bool switch_type_fits_e1(std::string_view name)
{
    return name == "euroisdn_e1" || name == "qsig";
}
inline constexpr bool switch_type_fits_t1(std::string_view name)
{
    return name != "euroisdn_e1";
}

}  // namespace trunkgw::isdn
