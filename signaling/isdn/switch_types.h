// The ISDN switch types (Q.931 variants) a span may name in its config,
// and their libpri constants. An unknown name is refused at config load:
// libpri itself accepts any number and quietly runs generic code for it
// (libpri-notes.md section 1), and another gateway silently falls back to
// DMS100 -- we never guess.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace trunkgw::isdn {

struct SwitchType {
    std::string_view name;  // as written in the config
    int libpri_value;       // PRI_SWITCH_*
    const char* what;
};

// euroisdn_e1 (ETSI EN 300 403 on E1), euroisdn_t1, ni2 (Telcordia NI-2),
// dms100 (Nortel), 5ess (Lucent), 4ess (AT&T), qsig (ECMA-143).
extern const std::array<SwitchType, 7> switch_types;

std::optional<int> switch_type_value(std::string_view name);
// "euroisdn_e1, euroisdn_t1, ..." for error messages.
std::string_view switch_type_names();

}  // namespace trunkgw::isdn
