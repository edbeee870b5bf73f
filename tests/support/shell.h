// Test support: the standard output of a shell command (stderr is the
// command's own business: tshark as root warns there). For tests that ask
// an external judge such as tshark.
#pragma once

#include <cstdio>
#include <string>

namespace trunkgw::test {

inline std::string shell_output(const std::string& cmd)
{
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) {
        return out;
    }
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) {
        out.append(buf, n);
    }
    pclose(p);
    return out;
}

}  // namespace trunkgw::test
