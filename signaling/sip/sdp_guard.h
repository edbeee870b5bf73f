// A guard in front of Sofia-SIP's SDP parser against a remote
// memory-exhaustion bug of the Sofia-SIP that Debian bookworm ships
// (1.12.11): an m= line whose format list has a format that does not
// start with one of SDP's token characters ("m=audio 5000 udp @", or
// "m=audio 40971PRT /AVP 0", where the port runs into the protocol and
// "/AVP" is left as a format) makes sdp_parse() loop, allocating a list
// element each time round, until the process has taken all memory (found
// by tests/fuzz/sdp_audio; 19 GB and two minutes for one 100-octet body
// here). Nua parses the SDP of every INVITE with its offer/answer engine
// before the application sees the request, so any source could do it,
// before the ACL and digest authentication. Upstream fixed the loop in
// 1.13.7 (freeswitch/sofia-sip pull 107); Debian's package predates it.
//
// The guard is our definition of sdp_parse(), which the dynamic linker
// binds in preference to the library's own (the library calls it through
// its PLT, so Sofia's SOA reaches it too): it refuses a body with such an
// m= line, handing Sofia's parser an empty body instead (its "bad SDP
// message" error: nua then refuses the offer), and counts it. Everything
// else goes to the library's sdp_parse() unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

struct su_root_s;

namespace trunkgw::sip {

// Whether Sofia-SIP 1.12's parser, called with `sdp_flags` (sdp_parse()'s
// flags), would loop on `sdp`. Each m= line (Sofia splits lines at CR or
// LF and, unless strict, skips leading spaces and tabs; so does this) is
// followed the way Sofia's parse_media() reads it, token by token, up to
// its format list, and the list's loop is run dry. No valid SDP loops: RFC
// 4566 9 makes every format a token ("fmt = token") after a space.
// Allocates nothing.
bool sdp_makes_sofia_loop(std::string_view sdp, int sdp_flags = 0);

// SDP bodies refused by the guard in this process (any thread, any agent).
uint64_t sdp_guard_refusals();

// True when Sofia's own calls reach the guard: an offer given to a SOA
// session on `root` (as nua gives it an INVITE's) passes through our
// sdp_parse. Not so if the program does not export sdp_parse, or the
// library binds its calls to its own copy (-Bsymbolic); the SIP agent then
// refuses to start. Call it on the loop's thread, before SIP traffic.
bool sdp_guard_active(su_root_s* root);

}  // namespace trunkgw::sip
