// Any D-channel frames into a PriLink (real libpri, user side) whose data
// link is up: the input is cut into frames (a length octet, then the
// frame); a frame whose first octet is even goes in as a UI frame carrying
// the rest as a Q.931 message (libpri takes Q.931 from UI frames: no
// sequence numbers to get right), an odd one goes in raw (any address,
// control, I/S/U frame). A call model answers, alerts or clears what
// arrives, so the call states move too. Nothing may crash, leak or read
// outside a frame; every call the link holds must be one the model heard
// of or placed.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "signaling/isdn/libpri_c.h"
#include "signaling/isdn/pri_link.h"

namespace {

using namespace trunkgw::isdn;

struct Model : PriCallHandler {
    uint8_t mood = 0;
    void call_incoming(PriLink& l, uint32_t call, const PriCallInfo&) override
    {
        switch (mood++ % 4) {
        case 0: l.call_answer(call); break;
        case 1: l.call_alerting(call, true); break;
        case 2: l.call_hangup(call, PRI_CAUSE_USER_BUSY); break;
        default: l.call_need_more_info(call); break;
        }
    }
    void call_digits(PriLink& l, uint32_t call, const std::string&, bool complete) override
    {
        if (complete) {
            l.call_proceeding(call, false);
        }
    }
    void call_digit_timeout(PriLink& l, uint32_t call) override { l.call_hangup(call, PRI_CAUSE_INVALID_NUMBER_FORMAT); }
    void call_progress(PriLink&, uint32_t, PriCallProgress, bool) override {}
    void call_answered(PriLink& l, uint32_t call) override
    {
        if (mood++ % 2 == 0) {
            l.call_hangup(call, PRI_CAUSE_NORMAL_CLEARING);
        }
    }
    void call_cleared(PriLink&, uint32_t, int) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    static bool quiet = [] {
        PriLink::set_log_sink([](const std::string&, bool, const std::string&) {});
        return true;
    }();
    (void)quiet;
    // One link for the whole run: libpri 1.6 has no way to free an
    // instance (a span's lives as long as the process), so inputs follow
    // each other on the same link, as frames do on a line.
    static Model model;
    static PriLink e1(PriLinkConfig{"fuzz", false, PRI_SWITCH_EUROISDN_E1, true, ChannelHunting::descending, 10000,
                                    false, {}},
                      [](const uint8_t*, std::size_t) { return true; }, &model);
    // An NFAS group of three T1s (primary, backup, none): frames with
    // explicit and implicit interface ids on either D-channel.
    static PriLink nfas(
        PriLinkConfig{"fuzz-nfas", false, PRI_SWITCH_NI2, false, ChannelHunting::descending, 10000, true,
                      {{"a", 0, true}, {"b", 1, true}, {"c", 2, false}}},
        std::vector<PriLink::DchannelOut>{{"a", [](const uint8_t*, std::size_t) { return true; }},
                                          {"b", [](const uint8_t*, std::size_t) { return true; }}},
        &model);
    // The first octet picks the link and the D-channel.
    const uint8_t pick = size > 0 ? data[0] % 3 : 0;
    PriLink& link = pick == 0 ? e1 : nfas;
    const std::size_t dch = pick == 2 ? 1 : 0;
    if (size > 0) {
        ++data;
        --size;
    }
    // Each input starts on a freshly established data link: the far end's
    // SABME (which also empties libpri's queue of I-frames nobody
    // acknowledged, or memory would grow from input to input), and a UA
    // for our own SABME if an input made us send one.
    const uint8_t sabme[] = {0x02, 0x01, 0x7f};
    const uint8_t ua[] = {0x00, 0x01, 0x73};
    link.receive(dch, sabme, sizeof(sabme));
    link.receive(dch, ua, sizeof(ua));
    // Our own call too, so that answers to it have something to find.
    PriCallInfo out;
    out.called.digits = "0301234";
    link.call_setup(out);

    std::size_t i = 0;
    std::vector<uint8_t> frame;
    while (i < size) {
        std::size_t n = data[i++];
        if (n > size - i) {
            n = size - i;
        }
        frame.clear();
        if (n > 0 && (data[i] & 1) == 0) {
            frame = {0x02, 0x01, 0x03};  // UI, from the network (C/R = 1), TEI 0
            frame.insert(frame.end(), data + i + 1, data + i + n);
        } else if (n > 0) {
            frame.assign(data + i + 1, data + i + n);
        }
        link.receive(dch, frame.data(), frame.size());
        i += n;
    }
    // Every call holds one of the link's B-channels: a table beyond that means
    // calls are being lost.
    if (link.call_count() > link.bearer_channels().size()) {
        __builtin_trap();
    }
    return 0;
}
