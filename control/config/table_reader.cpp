// Schema checks for one TOML table; see table_reader.h.
#include "control/config/table_reader.h"

#include <fmt/format.h>

namespace trunkgw::config {

namespace {

uint32_t node_line(const toml::node& n)
{
    return static_cast<uint32_t>(n.source().begin.line);
}

const char* type_name(toml::node_type t)
{
    switch (t) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
    }
}

}  // namespace

TableReader::TableReader(const toml::table& table, std::string path, std::string file,
                         std::vector<Problem>& problems)
    : _table(table), _path(std::move(path)), _file(std::move(file)), _problems(problems)
{
}

std::string TableReader::key_path(const char* key) const
{
    return _path.empty() ? std::string(key) : _path + "." + key;
}

uint32_t TableReader::table_line() const
{
    uint32_t l = node_line(_table);
    return l == 0 ? 1 : l;
}

uint32_t TableReader::line_of(const char* key) const
{
    if (const toml::node* n = _table.get(key)) {
        return node_line(*n);
    }
    return table_line();
}

void TableReader::problem(uint32_t line, std::string reason)
{
    _problems.push_back({_file, line, std::move(reason)});
}

std::optional<int64_t> TableReader::integer(const char* key, int64_t min, int64_t max,
                                            std::optional<int64_t> fallback)
{
    _seen.insert(key);
    const toml::node* n = _table.get(key);
    if (n == nullptr) {
        if (!fallback) {
            problem(table_line(), fmt::format("missing key '{}' (an integer)", key_path(key)));
        }
        return fallback;
    }
    auto v = n->value_exact<int64_t>();
    if (!v) {
        problem(node_line(*n), fmt::format("'{}' must be an integer, not {}", key_path(key),
                                           type_name(n->type())));
        return std::nullopt;
    }
    if (*v < min || *v > max) {
        problem(node_line(*n), fmt::format("'{}' = {} is out of range [{}, {}]", key_path(key), *v,
                                           min, max));
        return std::nullopt;
    }
    return v;
}

std::optional<std::string> TableReader::string(const char* key, std::optional<std::string> fallback)
{
    _seen.insert(key);
    const toml::node* n = _table.get(key);
    if (n == nullptr) {
        if (!fallback) {
            problem(table_line(), fmt::format("missing key '{}' (a string)", key_path(key)));
        }
        return fallback;
    }
    auto v = n->value_exact<std::string>();
    if (!v) {
        problem(node_line(*n), fmt::format("'{}' must be a string, not {}", key_path(key),
                                           type_name(n->type())));
        return std::nullopt;
    }
    if (v->empty()) {
        problem(node_line(*n), fmt::format("'{}' must not be empty", key_path(key)));
        return std::nullopt;
    }
    return v;
}

std::optional<std::string> TableReader::choice(const char* key, const std::vector<std::string>& allowed,
                                               std::optional<std::string> fallback)
{
    auto v = string(key, fallback);
    if (!v) {
        return v;
    }
    for (const auto& a : allowed) {
        if (*v == a) {
            return v;
        }
    }
    problem(line_of(key), fmt::format("'{}' = \"{}\" is not one of: {}", key_path(key), *v,
                                      fmt::join(allowed, ", ")));
    return std::nullopt;
}

std::optional<bool> TableReader::boolean(const char* key, std::optional<bool> fallback)
{
    _seen.insert(key);
    const toml::node* n = _table.get(key);
    if (n == nullptr) {
        if (!fallback) {
            problem(table_line(), fmt::format("missing key '{}' (a boolean)", key_path(key)));
        }
        return fallback;
    }
    auto v = n->value_exact<bool>();
    if (!v) {
        problem(node_line(*n), fmt::format("'{}' must be a boolean, not {}", key_path(key),
                                           type_name(n->type())));
    }
    return v;
}

std::optional<std::vector<std::string>> TableReader::string_array(const char* key, bool required)
{
    _seen.insert(key);
    const toml::node* n = _table.get(key);
    if (n == nullptr) {
        if (required) {
            problem(table_line(), fmt::format("missing key '{}' (an array of strings)", key_path(key)));
            return std::nullopt;
        }
        return std::vector<std::string>{};
    }
    const toml::array* a = n->as_array();
    if (a == nullptr) {
        problem(node_line(*n), fmt::format("'{}' must be an array of strings, not {}",
                                           key_path(key), type_name(n->type())));
        return std::nullopt;
    }
    std::vector<std::string> out;
    for (const toml::node& e : *a) {
        auto s = e.value_exact<std::string>();
        if (!s) {
            problem(node_line(e) ? node_line(e) : node_line(*n),
                    fmt::format("'{}' must hold only strings, found {}", key_path(key),
                                type_name(e.type())));
            return std::nullopt;
        }
        out.push_back(*s);
    }
    return out;
}

std::optional<std::vector<int64_t>> TableReader::integer_array(const char* key, int64_t min, int64_t max,
                                                                bool required)
{
    _seen.insert(key);
    const toml::node* n = _table.get(key);
    if (n == nullptr) {
        if (required) {
            problem(table_line(), fmt::format("missing key '{}' (an array of integers)", key_path(key)));
            return std::nullopt;
        }
        return std::vector<int64_t>{};
    }
    const toml::array* a = n->as_array();
    if (a == nullptr) {
        problem(node_line(*n), fmt::format("'{}' must be an array of integers, not {}", key_path(key),
                                           type_name(n->type())));
        return std::nullopt;
    }
    std::vector<int64_t> out;
    for (const toml::node& e : *a) {
        auto v = e.value_exact<int64_t>();
        uint32_t line = node_line(e) ? node_line(e) : node_line(*n);
        if (!v) {
            problem(line, fmt::format("'{}' must hold only integers, found {}", key_path(key), type_name(e.type())));
            return std::nullopt;
        }
        if (*v < min || *v > max) {
            problem(line, fmt::format("'{}' value {} is out of range [{}, {}]", key_path(key), *v, min, max));
            return std::nullopt;
        }
        out.push_back(*v);
    }
    return out;
}

const toml::table* TableReader::table(const char* key, bool required)
{
    _seen.insert(key);
    const toml::node* n = _table.get(key);
    if (n == nullptr) {
        if (required) {
            problem(table_line(), fmt::format("missing table [{}]", key_path(key)));
        }
        return nullptr;
    }
    const toml::table* t = n->as_table();
    if (t == nullptr) {
        problem(node_line(*n), fmt::format("'{}' must be a table, not {}", key_path(key),
                                           type_name(n->type())));
    }
    return t;
}

std::vector<const toml::table*> TableReader::tables(const char* key, bool required)
{
    _seen.insert(key);
    std::vector<const toml::table*> out;
    const toml::node* n = _table.get(key);
    if (n == nullptr) {
        if (required) {
            problem(table_line(), fmt::format("missing [[{}]] (at least one is required)", key_path(key)));
        }
        return out;
    }
    const toml::array* a = n->as_array();
    if (a == nullptr || !a->is_array_of_tables()) {
        problem(node_line(*n), fmt::format("'{}' must be an array of tables ([[{}]])",
                                           key_path(key), key_path(key)));
        return out;
    }
    for (const toml::node& e : *a) {
        out.push_back(e.as_table());
    }
    return out;
}

void TableReader::finish()
{
    for (const auto& [k, v] : _table) {
        std::string key(k.str());
        if (_seen.count(key) == 0) {
            uint32_t line = static_cast<uint32_t>(k.source().begin.line);
            if (line == 0) {
                line = node_line(v);
            }
            problem(line, fmt::format("unknown key '{}'", key_path(key.c_str())));
        }
    }
}

}  // namespace trunkgw::config
