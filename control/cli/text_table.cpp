#include "control/cli/text_table.h"

#include <algorithm>

namespace trunkgw::cli {

std::string TextTable::render() const
{
    std::vector<std::size_t> width(_headers.size(), 0);
    auto measure = [&](const std::vector<std::string>& r) {
        for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) {
            width[i] = std::max(width[i], r[i].size());
        }
    };
    measure(_headers);
    for (const auto& r : _rows) {
        measure(r);
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& r) {
        std::string l;
        for (std::size_t i = 0; i < width.size(); ++i) {
            std::string cell = i < r.size() ? r[i] : "";
            l += cell;
            if (i + 1 < width.size()) {
                l += std::string(width[i] - cell.size() + 2, ' ');
            }
        }
        out += l + "\n";
    };
    line(_headers);
    for (const auto& r : _rows) {
        line(r);
    }
    return out;
}

}  // namespace trunkgw::cli
