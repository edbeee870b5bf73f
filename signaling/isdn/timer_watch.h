// Expiries of the Q.921/Q.931 timers libpri runs inside itself, counted by
// name from the frames a D-channel sends and receives: libpri has no API
// for them, but each expiry leaves its mark on the wire.
//  - Q.921 5.6 T203 (no frame exchanged for T203, 10 s): we send a
//    supervisory command with P = 1 while nothing is outstanding;
//  - Q.921 5.6 T200 (no acknowledgement): an I-frame sent again, or a poll
//    with I-frames outstanding or a poll after a poll the far end left
//    unanswered;
//  - Q.931 5.1.1 T303 (no answer to SETUP): a second SETUP with the same
//    call reference;
//  - Q.931 5.3.3 T305 (no answer to DISCONNECT): our RELEASE after our
//    DISCONNECT, with nothing from the far end for that call between;
//  - Q.931 5.3.4 T308 (no answer to RELEASE): a second RELEASE with the
//    same call reference.
// One per D-channel; frames are the HDLC payload (address, control, info).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

namespace trunkgw::isdn {

struct TimerExpiries {
    uint64_t t200 = 0;
    uint64_t t203 = 0;
    uint64_t t303 = 0;
    uint64_t t305 = 0;
    uint64_t t308 = 0;
};

class TimerWatch {
public:
    // Which side we are: it decides which frames are our commands (Q.921
    // 3.3.3: C/R = 1 on commands from the network, 0 from the user).
    explicit TimerWatch(bool network_side) : _network(network_side) {}
    void sent(const uint8_t* frame, std::size_t len);
    void received(const uint8_t* frame, std::size_t len);
    const TimerExpiries& expiries() const { return _x; }

private:
    enum class Last : uint8_t { setup, disconnect, release, other };
    bool _network;
    TimerExpiries _x;
    uint8_t _vs = 0;              // V(S): the next N(S) of a new I-frame of ours
    uint8_t _va = 0;              // V(A): the far end acknowledged up to here
    bool _poll_unanswered = false;
    std::map<int32_t, Last> _calls;  // what we last sent per call reference
};

}  // namespace trunkgw::isdn
