// Clearing causes across the PRI/SIP boundary:
//  - Q.850 cause -> SIP final response (RFC 3398 8.2.6.1, "ISUP cause
//    value -> SIP response"), for an INVITE we cannot complete because the
//    PRI side cleared it;
//  - SIP final response -> Q.850 cause (RFC 3398 7.2.4.1 and ITU-T
//    Q.1912.5 Table 8; with 503 -> 34 as Q.1912.5 and RFC 4497 read it:
//    a gateway's 503 means no circuit), for a SETUP the SIP side refused;
//  - the Reason header (RFC 3326: `Q.850;cause=N;text="..."`), which
//    carries the original cause end to end and wins over the status code
//    when present.
// A CauseMap starts from these tables; config entries override single
// rows in either direction.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace trunkgw::interwork {

class CauseMap {
public:
    // SIP status for a Q.850 cause (1-127). Cause 16 (normal clearing) has
    // no failure response: a call cleared normally before the answer is
    // ended with CANCEL/BYE by whoever started it; 480 if one is needed.
    int to_sip(int q850) const;
    // Q.850 cause for a SIP final failure response (300-699).
    int to_q850(int sip_status) const;

    void override_q850_to_sip(int q850, int sip) { _q850_to_sip[q850] = sip; }
    void override_sip_to_q850(int sip, int q850) { _sip_to_q850[sip] = q850; }

private:
    std::map<int, int> _q850_to_sip;
    std::map<int, int> _sip_to_q850;
};

// RFC 3326 Reason header value for a Q.850 cause.
std::string reason_header(int q850);
// The Q.850 cause in a Reason header value (several may be given, comma
// separated: the first with protocol Q.850); nullopt when none.
std::optional<int> q850_from_reason(std::string_view header);

// The Q.850 cause a SIP refusal stands for: the Reason header's when it
// carries one, else the mapped status (RFC 3326 section 2: the Reason
// header gives the cause that started the clearing).
int q850_for_response(const CauseMap& map, int sip_status, std::string_view reason);

}  // namespace trunkgw::interwork
