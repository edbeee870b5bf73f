// Timer expiries read off the D-channel; see timer_watch.h.
#include "signaling/isdn/timer_watch.h"

#include "signaling/isdn/q931_message.h"

namespace trunkgw::isdn {

namespace {

constexpr uint8_t msg_setup = 0x05;
constexpr uint8_t msg_disconnect = 0x45;
constexpr uint8_t msg_release = 0x4d;
constexpr uint8_t msg_release_complete = 0x5a;

// Q.921 3.6.6 SABME, control 011P1111.
bool is_sabme(uint8_t control)
{
    return (control & 0xef) == 0x6f;
}

uint8_t type_of(std::size_t index)
{
    return index < q931_message_names.size() ? q931_message_names[index].type : 0;
}

}  // namespace

void TimerWatch::sent(const uint8_t* f, std::size_t len)
{
    if (len < 3) {
        return;
    }
    const uint8_t c = f[2];
    if (is_sabme(c)) {
        _vs = _va = 0;
        _poll_unanswered = false;
        return;
    }
    if ((c & 0x01) == 0 && len >= 4) {
        // An I-frame: N(S) out of sequence = sent again (T200).
        const uint8_t ns = c >> 1;
        if (ns == _vs) {
            _vs = static_cast<uint8_t>((ns + 1) & 0x7f);
        } else {
            ++_x.t200;
        }
    } else if ((c & 0x03) == 0x01 && len >= 4 && (f[3] & 0x01) != 0 && ((f[0] & 0x02) != 0) == _network) {
        // A supervisory command with P = 1: a poll (responses with F = 1
        // answer the far end's polls and are not ours to count).
        const bool outstanding = _vs != _va;
        if (_poll_unanswered || outstanding) {
            ++_x.t200;
        } else {
            ++_x.t203;
        }
        _poll_unanswered = true;
    }
    Q931FrameInfo q = q931_inspect(f, len);
    if (q.kind != Q931FrameKind::message || q.call_reference < 0) {
        return;
    }
    const uint8_t t = type_of(q.index);
    auto it = _calls.find(q.call_reference);
    const bool known = it != _calls.end();
    if (t == msg_setup) {
        if (known && it->second == Last::setup) {
            ++_x.t303;
        }
        _calls[q.call_reference] = Last::setup;
    } else if (t == msg_disconnect) {
        _calls[q.call_reference] = Last::disconnect;
    } else if (t == msg_release) {
        if (known && it->second == Last::release) {
            ++_x.t308;
        } else if (known && it->second == Last::disconnect) {
            ++_x.t305;
        }
        _calls[q.call_reference] = Last::release;
    } else if (t == msg_release_complete) {
        _calls.erase(q.call_reference);
    } else if (known) {
        it->second = Last::other;
    }
}

void TimerWatch::received(const uint8_t* f, std::size_t len)
{
    if (len < 3) {
        return;
    }
    const uint8_t c = f[2];
    if (is_sabme(c)) {
        _vs = _va = 0;
        _poll_unanswered = false;
        return;
    }
    // Anything from the far end answers our poll.
    _poll_unanswered = false;
    if ((c & 0x01) == 0 || (c & 0x03) == 0x01) {
        if (len >= 4) {
            _va = static_cast<uint8_t>(f[3] >> 1);  // N(R)
        }
    }
    Q931FrameInfo q = q931_inspect(f, len);
    if (q.kind != Q931FrameKind::message || q.call_reference < 0) {
        return;
    }
    // The far end's message for a call: our DISCONNECT or SETUP got an
    // answer; the same call reference seen from its side has the flag
    // flipped (Q.931 4.3).
    const int32_t flag = q.call_reference_len == 0 ? 0 : 1 << (8 * q.call_reference_len - 1);
    const int32_t ours = q.call_reference ^ flag;
    const uint8_t t = type_of(q.index);
    if (t == msg_release_complete) {
        _calls.erase(ours);
        return;
    }
    auto it = _calls.find(ours);
    if (it != _calls.end()) {
        it->second = Last::other;
    }
}

}  // namespace trunkgw::isdn
