// A call's detail record as data, and the JSON line it becomes.
//
// The call model fills a CdrRecord when a call ends; the media figures of
// its legs may arrive a moment later (CallManager::flush_cdrs). cdr_line()
// writes the line directly: building it as an nlohmann::json tree (a
// std::map node and a string per key, ~30 of them, then a dump) was ~13 % of
// the control's CPU at 1,500 calls/s. The line is one JSON object (RFC 8259);
// strings are escaped, and octets that are not UTF-8 (a number from the
// wire may carry anything) become U+FFFD, so every line parses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/calls/call_leg_status.h"
#include "control/session_manager.h"
#include "signaling/isdn/pri_call.h"

namespace trunkgw::control {

struct CdrMedia {
    SessionManager::MediaStats stats{};
    bool final = false;  // read after the session's deletion (its last figures)
};

struct CdrRecord {
    uint64_t call_id = 0;
    std::string instance;
    CallLegStatus in;
    CallLegStatus out;  // span empty: no destination took the call
    isdn::PartyNumber calling;
    isdn::PartyNumber called;       // as received
    std::string called_out;         // after the route's manipulation
    isdn::PartyNumber redirecting;  // digits empty: none
    int redirecting_reason = 0;
    std::string route;
    std::string toll_class;  // empty: none
    int64_t setup_unix_ms = 0;
    int64_t answer_unix_ms = 0;  // 0: not answered
    int64_t end_unix_ms = 0;
    int cause_in = 0;   // Q.850: what the caller got
    int cause_out = 0;  // what the called side gave (0: it did not clear)
    std::string cleared_by;
    std::vector<std::string> destinations_tried;  // "name:cause", in order
    std::optional<CdrMedia> media_in;
    std::optional<CdrMedia> media_out;
};

// The record as one JSON object, without a newline.
std::string cdr_line(const CdrRecord& r);

// Appends `s` to `out` as a JSON string (quotes included), escaped per
// RFC 8259 section 7; ill-formed UTF-8 octets become U+FFFD.
void append_json_string(std::string& out, std::string_view s);

}  // namespace trunkgw::control
