// Redirection (call forwarding) across the PRI/SIP boundary: the Q.931
// redirecting number (Q.952 7.1, with its reason) <-> the SIP Diversion
// header (RFC 5806) and History-Info (RFC 7044, with the RFC 4458 cause
// URI parameter), mapped as RFC 6044 and ITU-T Q.1912.5 6.x do.
//
// Outgoing SIP carries both headers (providers differ in which they read);
// incoming, Diversion wins when both are present: its topmost entry is the
// most recent redirection (RFC 5806 4), as is History-Info's last entry
// with a cause.
#pragma once

#include <string>
#include <vector>

namespace trunkgw::interwork {

// Q.952 redirecting reasons (libpri's PRI_REDIR_* values).
namespace q952 {
inline constexpr int unknown = 0;
inline constexpr int busy = 1;
inline constexpr int no_reply = 2;
inline constexpr int deflection = 3;  // PRI_REDIR_DEFLECTION (Q.952 codes it 0100; libpri writes its value)
inline constexpr int out_of_order = 9;
inline constexpr int by_called_dte = 10;
inline constexpr int unconditional = 15;
}  // namespace q952

struct Redirection {
    std::string number;  // the redirecting party's user part / digits
    int reason = q952::unknown;
};

// RFC 5806 4 reason tokens.
std::string diversion_reason(int q952_reason);
int q952_from_diversion_reason(const std::string& token);
// RFC 4458 cause values (SIP status codes).
int history_cause(int q952_reason);
int q952_from_history_cause(int cause);

// Header values (no "Diversion:" prefix) for a redirection toward `host`.
std::string diversion_header(const Redirection& r, const std::string& host);
// History-Info: the redirecting party (index 1), then the new target
// `called` with its cause (index 1.1).
std::string history_info_header(const Redirection& r, const std::string& called, const std::string& host);

// The most recent redirection in received headers' values (each entry of
// a comma-separated list may be its own header); none: number empty.
Redirection from_diversion(const std::vector<std::string>& values);
Redirection from_history_info(const std::vector<std::string>& values);

}  // namespace trunkgw::interwork
