// Reads one TOML table against a schema written as calls: each call names a
// key, its type and its range, and records a Problem (with the line of the
// offending node) instead of throwing. finish() refuses every key that no
// call asked for, so an unknown or misspelt key never passes silently.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "control/config/config.h"

namespace trunkgw::config {

class TableReader {
public:
    TableReader(const toml::table& table, std::string path, std::string file,
                std::vector<Problem>& problems);

    // Absent: `fallback` (a documented default) or, with no fallback, a
    // "missing key" problem. Present but wrong: a problem, and nullopt.
    std::optional<int64_t> integer(const char* key, int64_t min, int64_t max,
                                   std::optional<int64_t> fallback = std::nullopt);
    std::optional<std::string> string(const char* key,
                                      std::optional<std::string> fallback = std::nullopt);
    // A string that must be one of `allowed`.
    std::optional<std::string> choice(const char* key, const std::vector<std::string>& allowed,
                                      std::optional<std::string> fallback = std::nullopt);
    std::optional<bool> boolean(const char* key, std::optional<bool> fallback = std::nullopt);
    std::optional<std::vector<std::string>> string_array(const char* key, bool required);
    // An array of integers each in [min, max]; absent and not required: empty.
    std::optional<std::vector<int64_t>> integer_array(const char* key, int64_t min, int64_t max, bool required);
    // Sub-table; nullptr when absent (a problem if required) or not a table.
    const toml::table* table(const char* key, bool required);
    // Array of tables ([[key]]); empty when absent (a problem if required).
    std::vector<const toml::table*> tables(const char* key, bool required);

    bool has(const char* key) const { return _table.contains(key); }
    // Line of a key's value, or of the table when absent.
    uint32_t line_of(const char* key) const;
    uint32_t table_line() const;
    void problem(uint32_t line, std::string reason);
    void finish();

    const std::string& path() const { return _path; }

private:
    std::string key_path(const char* key) const;

    const toml::table& _table;
    std::string _path;
    std::string _file;
    std::vector<Problem>& _problems;
    std::set<std::string> _seen;
};

}  // namespace trunkgw::config
