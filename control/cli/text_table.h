// Aligned plain-text tables for trunkctl's human output.
#pragma once

#include <string>
#include <vector>

namespace trunkgw::cli {

class TextTable {
public:
    explicit TextTable(std::vector<std::string> headers) : _headers(std::move(headers)) {}
    void add(std::vector<std::string> row) { _rows.push_back(std::move(row)); }
    // Columns separated by two spaces, each as wide as its widest cell.
    std::string render() const;

private:
    std::vector<std::string> _headers;
    std::vector<std::vector<std::string>> _rows;
};

}  // namespace trunkgw::cli
