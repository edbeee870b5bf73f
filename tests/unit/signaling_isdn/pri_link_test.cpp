// PriLink: real libpri on both sides (user and network), back to back in
// one process, frames carried between them as the D-channel rings would:
// Q.921 comes up, the user side RESTARTs every B-channel one at a time and
// gets each acknowledged; the link survives garbage; switch type names.
#include <catch2/catch.hpp>

#include <chrono>
#include <deque>
#include <thread>
#include <vector>

#include "signaling/isdn/pri_link.h"
#include "signaling/isdn/q931_message.h"
#include "signaling/isdn/switch_type_names.h"
#include "signaling/isdn/switch_types.h"

using namespace trunkgw::isdn;

namespace {

using Frames = std::deque<std::vector<uint8_t>>;

// A call model for the tests: does what `on_setup` says with incoming
// calls and records everything it hears.
struct Model : PriCallHandler {
    enum class OnSetup { nothing, answer, alert, reject, overlap };
    OnSetup on_setup = OnSetup::answer;
    int reject_cause = PRI_CAUSE_USER_BUSY;
    std::size_t overlap_until = 0;  // overlap: digits that complete the number
    std::vector<uint32_t> incoming;
    std::vector<PriCallInfo> infos;
    std::vector<std::string> digits;
    std::vector<uint32_t> digit_timeouts;
    std::vector<std::pair<uint32_t, PriCallProgress>> progress;
    std::vector<uint32_t> answered;
    std::vector<std::pair<uint32_t, int>> cleared;

    void call_incoming(PriLink& l, uint32_t call, const PriCallInfo& info) override
    {
        incoming.push_back(call);
        infos.push_back(info);
        switch (on_setup) {
        case OnSetup::nothing: break;
        case OnSetup::answer: l.call_answer(call); break;
        case OnSetup::alert: l.call_alerting(call, false); break;
        case OnSetup::reject: l.call_hangup(call, reject_cause); break;
        case OnSetup::overlap: l.call_need_more_info(call); break;
        }
    }
    void call_digits(PriLink& l, uint32_t call, const std::string& called, bool complete) override
    {
        digits.push_back(called);
        if (complete || called.size() >= overlap_until) {
            l.call_answer(call);
        }
    }
    void call_digit_timeout(PriLink& l, uint32_t call) override
    {
        digit_timeouts.push_back(call);
        l.call_hangup(call, PRI_CAUSE_INVALID_NUMBER_FORMAT);
    }
    void call_progress(PriLink&, uint32_t call, PriCallProgress what, bool) override
    {
        progress.emplace_back(call, what);
    }
    void call_answered(PriLink&, uint32_t call) override { answered.push_back(call); }
    void call_cleared(PriLink&, uint32_t call, int cause) override { cleared.emplace_back(call, cause); }
};

// Q.921 5.9 timers for a back-to-back pair: the defaults, or short ones
// where a test waits for a silent link to be declared down (T203 + N200 x
// T200: 13 s by default).
struct Q921Timers {
    uint32_t t200_ms = pri_timer::t200_ms.default_value;
    uint32_t n200 = pri_timer::n200.default_value;
    uint32_t t203_ms = pri_timer::t203_ms.default_value;
};

PriLinkConfig link_config(const char* name, bool network, int switch_type, bool e1, ChannelHunting hunting,
                          uint32_t overlap_timeout_ms, Q921Timers q921)
{
    PriLinkConfig c{name, network, switch_type, e1, hunting, overlap_timeout_ms, false, {}};
    c.t200_ms = q921.t200_ms;
    c.n200 = q921.n200;
    c.t203_ms = q921.t203_ms;
    return c;
}

struct BackToBack {
    Frames to_network, to_user;
    bool user_ring_full = false;
    bool link_cut = false;  // frames both ways are lost (a D-channel failure)
    bool lose_user_frames = false;  // the user's frames are lost on the way
    Model user_model;
    Model network_model;
    PriLink user;
    PriLink network;

    BackToBack(bool e1, int switch_type, uint32_t overlap_timeout_ms = 10000,
               ChannelHunting network_hunting = ChannelHunting::ascending, Q921Timers q921 = {})
        : user(link_config("user", false, switch_type, e1, ChannelHunting::descending, overlap_timeout_ms, q921),
               [this](const uint8_t* f, std::size_t n) {
                   if (user_ring_full) {
                       return false;
                   }
                   if (!link_cut && !lose_user_frames) {
                       to_network.emplace_back(f, f + n);
                   }
                   return true;
               },
               &user_model),
          network(
              link_config("network", true, switch_type, e1, network_hunting, overlap_timeout_ms, q921),
              [this](const uint8_t* f, std::size_t n) {
                  if (!link_cut) {
                      to_user.emplace_back(f, f + n);
                  }
                  return true;
              },
              &network_model)
    {
    }

    // Causes the network side's calls ended with (cleared by the far end).
    std::vector<int> network_causes() const
    {
        std::vector<int> v;
        for (const auto& c : network_model.cleared) {
            v.push_back(c.second);
        }
        return v;
    }

    // Moves frames and runs timers until `done` or `seconds` pass (real
    // time: libpri's timers read the wall clock).
    template <class Done>
    bool run(double seconds, Done done)
    {
        auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < end) {
            while (!to_network.empty()) {
                auto f = std::move(to_network.front());
                to_network.pop_front();
                network.receive(f.data(), f.size());
            }
            while (!to_user.empty()) {
                auto f = std::move(to_user.front());
                to_user.pop_front();
                user.receive(f.data(), f.size());
            }
            user.run_timers();
            network.run_timers();
            if (done()) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return false;
    }
};

}  // namespace

TEST_CASE("pri link: E1 EuroISDN comes up and every B-channel is restarted and acknowledged", "[isdn]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    REQUIRE(b.run(5.0, [&] { return b.user.up() && b.network.up() && !b.user.restarting(); }));
    CHECK(b.user.bearer_channels().size() == 30);
    CHECK(b.user.counters().restarts_sent == 30);
    CHECK(b.user.counters().restart_acks == 30);
    CHECK(b.user.counters().restart_timeouts == 0);
    // The network side (also a PriLink) restarted its channels too: each
    // side saw the other's 30.
    REQUIRE(b.run(5.0, [&] { return !b.network.restarting(); }));
    CHECK(b.network.counters().restarts_received >= 30);
    CHECK(b.user.counters().restarts_received >= 30);
    CHECK(b.user.counters().dchan_up == 1);
}

TEST_CASE("pri link: T1 NI-2 has 23 B-channels", "[isdn]")
{
    BackToBack b(false, *switch_type_value("ni2"));
    REQUIRE(b.run(5.0, [&] { return b.user.up() && !b.user.restarting(); }));
    CHECK(b.user.bearer_channels().size() == 23);
    CHECK(b.user.counters().restart_acks == 23);
}

TEST_CASE("pri link: a SETUP with no call handler is cleared, never left hanging", "[isdn]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    b.user.set_call_handler(nullptr);
    REQUIRE(b.run(5.0, [&] { return b.user.up() && !b.user.restarting() && !b.network.restarting(); }));
    q931_call* call = pri_new_call(b.network.handle());
    REQUIRE(call != nullptr);
    struct pri_sr* sr = pri_sr_new();
    pri_sr_set_channel(sr, 1, 1, 0);
    pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH, PRI_LAYER_1_ALAW);
    pri_sr_set_called(sr, const_cast<char*>("5551234"), PRI_NATIONAL_ISDN, 1);
    REQUIRE(pri_setup(b.network.handle(), call, sr) == 0);
    pri_sr_free(sr);
    REQUIRE(b.run(5.0, [&] { return b.user.counters().setups_refused == 1; }));
    CHECK(b.user.counters().events[PRI_EVENT_RING] == 1);
}

namespace {

// The network side places a call to channel `ch` (0: any); its id.
uint32_t place_call(BackToBack& b, int ch, bool exclusive, const std::string& called = "5551234",
                    bool complete = true)
{
    PriCallInfo info;
    info.called.digits = called;
    info.called.ton = 2;
    info.calling.digits = "301234567";
    info.calling.ton = 2;
    info.calling.presentation = 1;  // restricted
    info.calling.screening = 3;     // network provided
    info.sending_complete = complete;
    info.channel = ch;
    info.exclusive = exclusive;
    int64_t id = b.network.call_setup(info);
    REQUIRE(id > 0);
    return static_cast<uint32_t>(id);
}

}  // namespace

TEST_CASE("pri link: round-robin hunting starts after the channel hunted last, skips busy and blocked ones, wraps",
          "[isdn]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"), 10000, ChannelHunting::round_robin);
    REQUIRE(b.run(5.0, [&] { return b.network.up() && !b.user.restarting() && !b.network.restarting(); }));
    // The network places a call on a hunted channel; the user answers it.
    auto answered_call = [&b] {
        const std::size_t before = b.network_model.answered.size();
        uint32_t id = place_call(b, 0, true);
        REQUIRE(b.run(3.0, [&] { return b.network_model.answered.size() == before + 1; }));
        return id;
    };
    uint32_t first = answered_call();
    uint32_t second = answered_call();
    CHECK(b.network.call_channel(first) == 1);
    CHECK(b.network.call_channel(second) == 2);
    // Channel 1 freed: the next call still goes on past the last one (3).
    REQUIRE(b.network.call_hangup(first, PRI_CAUSE_NORMAL_CLEARING) == 0);
    REQUIRE(b.run(3.0, [&] { return b.network.call_channel(first) == 0; }));
    b.network.set_service(4, false);  // blocked: skipped
    CHECK(b.network.call_channel(answered_call()) == 3);
    CHECK(b.network.call_channel(answered_call()) == 5);
    // From the top channel the hunt wraps to the bottom: 1 is free again,
    // 2 is still busy.
    for (int ch = 6; ch <= 30; ++ch) {
        if (ch != 16) {
            b.network.set_service(ch, false);
        }
    }
    CHECK(b.network.call_channel(answered_call()) == 31);
    CHECK(b.network.call_channel(answered_call()) == 1);
}

TEST_CASE("pri link: incoming SETUP channel selection and its causes (Q.931 5.2.3.1)", "[isdn]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    REQUIRE(b.run(5.0, [&] { return b.user.up() && !b.user.restarting() && !b.network.restarting(); }));
    CHECK(b.user.select_channel(0, false) == 31);  // hunting from the top
    CHECK(b.user.select_channel(16, true) == -PRI_CAUSE_IDENTIFIED_CHANNEL_NOTEXIST);
    b.user.set_service(5, false);
    CHECK(b.user.select_channel(5, false) == 31);  // preferred: another one

    place_call(b, 5, true);  // exclusive, blocked: 44
    REQUIRE(b.run(3.0, [&] { return b.network_causes().size() == 1; }));
    CHECK(b.network_causes()[0] == PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
    // Q.931 5.2.5.1: a SETUP is refused with RELEASE COMPLETE.
    CHECK(b.network.counters().q931_rx[11] == 1);
    REQUIRE(q931_message_names[11].name == "release_complete");
    CHECK(b.user.counters().setups_channel_unavailable == 1);

    b.user.set_call_handler(nullptr);
    place_call(b, 5, false);  // preferred: gets a channel, then no route: 1
    REQUIRE(b.run(3.0, [&] { return b.network_causes().size() == 2; }));
    CHECK(b.network_causes()[1] == PRI_CAUSE_UNALLOCATED);
    CHECK(b.user.counters().setups_refused == 1);

    b.user.set_service(0, false);  // every channel blocked: 34
    place_call(b, 7, false);
    REQUIRE(b.run(3.0, [&] { return b.network_causes().size() == 3; }));
    CHECK(b.network_causes()[2] == PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
    CHECK(b.user.counters().setups_no_channel == 1);
}

TEST_CASE("pri link: short and garbage frames are dropped or handled, the link recovers", "[isdn]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    REQUIRE(b.run(5.0, [&] { return b.user.up() && b.network.up() && !b.user.restarting(); }));
    const uint8_t shorty[] = {0x00, 0x01};
    b.user.receive(shorty, sizeof(shorty));
    CHECK(b.user.counters().frames_rx_short == 1);
    // An I-frame with a truncated Q.931 message, an unknown SAPI, a frame
    // of all ones: Q.921/Q.931 handle them (libpri logs), nothing breaks.
    const uint8_t truncated_q931[] = {0x00, 0x01, 0x00, 0x00, 0x08};
    const uint8_t unknown_sapi[] = {0xfc, 0x01, 0x03, 0x08, 0x01};
    std::vector<uint8_t> ones(40, 0xff);
    b.user.receive(truncated_q931, sizeof(truncated_q931));
    b.user.receive(unknown_sapi, sizeof(unknown_sapi));
    b.user.receive(ones.data(), ones.size());
    // The truncated I-frame's N(R) is an error (Q.921 5.8.5): the user
    // side re-establishes the link, and after the recovery it restarts
    // every B-channel again (Q.931 5.5), so none is left stuck.
    REQUIRE(b.run(8.0, [&] { return b.user.up() && b.network.up() && b.user.counters().dchan_up == 2 &&
                                    !b.user.restarting(); }));
    CHECK(b.user.counters().dchan_down == 1);
    CHECK(b.user.counters().restarts_sent == 60);
    CHECK(b.user.counters().restart_acks == 60);
}

TEST_CASE("pri link: frames the ring refuses are retransmitted by Q.921", "[isdn]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    b.user_ring_full = true;
    b.run(0.3, [] { return false; });
    CHECK(b.user.counters().frames_tx_refused >= 1);
    CHECK_FALSE(b.network.up());
    b.user_ring_full = false;
    REQUIRE(b.run(8.0, [&] { return b.user.up() && b.network.up(); }));
}

TEST_CASE("switch types: the names we accept, and nothing else", "[isdn]")
{
    CHECK(switch_type_value("euroisdn_e1") == PRI_SWITCH_EUROISDN_E1);
    CHECK(switch_type_value("euroisdn_t1") == PRI_SWITCH_EUROISDN_T1);
    CHECK(switch_type_value("ni2") == PRI_SWITCH_NI2);
    CHECK(switch_type_value("dms100") == PRI_SWITCH_DMS100);
    CHECK(switch_type_value("5ess") == PRI_SWITCH_LUCENT5E);
    CHECK(switch_type_value("4ess") == PRI_SWITCH_ATT4ESS);
    CHECK(switch_type_value("qsig") == PRI_SWITCH_QSIG);
    CHECK_FALSE(switch_type_value("DMS100"));
    CHECK_FALSE(switch_type_value("euroisdn"));
    CHECK_FALSE(switch_type_value(""));
    // The config schema's header-only list and the libpri table agree.
    REQUIRE(switch_types.size() == switch_type_name_list.size());
    for (std::size_t i = 0; i < switch_types.size(); ++i) {
        CHECK(switch_types[i].name == switch_type_name_list[i]);
    }
}

TEST_CASE("pri link: NI-2 maintenance: a blocked channel is out of service at both ends (SERVICE)", "[isdn]")
{
    BackToBack b(false, *switch_type_value("ni2"));
    REQUIRE(b.run(8.0, [&] { return b.user.up() && !b.user.restarting() && !b.network.restarting(); }));
    REQUIRE(b.user.service_messages());
    CHECK(b.user.set_service(5, false) == 1);
    CHECK(b.user.set_service(5, false) == 0);  // already out of service
    auto ch5 = [](const PriLink& l) { return l.channels()[4]; };
    CHECK(ch5(b.user).state == ChannelState::out_of_service);
    CHECK(ch5(b.user).blocked_here);
    REQUIRE(b.run(3.0, [&] { return ch5(b.network).blocked_there; }));
    CHECK(ch5(b.network).state == ChannelState::out_of_service);
    CHECK(b.network.channels()[3].state == ChannelState::idle);
    CHECK(b.user.counters().service_sent == 1);
    CHECK(b.network.counters().service_received == 1);
    CHECK(b.user.set_service(5, true) == 1);
    REQUIRE(b.run(3.0, [&] { return !ch5(b.network).blocked_there; }));
    CHECK(ch5(b.user).state == ChannelState::idle);
}

TEST_CASE("pri link: EuroISDN has no SERVICE message: blocking is local; bad channels refused", "[isdn]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    REQUIRE(b.run(5.0, [&] { return b.user.up() && !b.user.restarting(); }));
    CHECK_FALSE(b.user.service_messages());
    CHECK(b.user.set_service(16, false) == -1);  // the D-channel
    CHECK(b.user.set_service(32, false) == -1);
    CHECK(b.user.set_service(0, false) == 30);   // every B-channel
    CHECK(b.user.counters().service_sent == 0);
    for (const auto& c : b.user.channels()) {
        CHECK(c.state == ChannelState::out_of_service);
    }
    CHECK(b.user.set_service(0, true) == 30);
    CHECK(b.user.channels()[0].state == ChannelState::idle);
}

TEST_CASE("q931 messages: types found in I-frames, nothing else", "[isdn]")
{
    // SAPI 0 TEI 0 I-frame: 00 01 | N(S) N(R) | 08 02 80 01 | 46 (RESTART)
    const uint8_t restart[] = {0x00, 0x01, 0x02, 0x02, 0x08, 0x02, 0x80, 0x01, 0x46, 0x18, 0x03, 0xa1, 0x83, 0x81};
    auto m = q931_message_of_frame(restart, sizeof(restart));
    REQUIRE(m);
    CHECK(q931_message_names[*m].name == "restart");
    const uint8_t rr[] = {0x00, 0x01, 0x01, 0x03};  // RR: supervisory
    CHECK_FALSE(q931_message_of_frame(rr, sizeof(rr)));
    const uint8_t sapi63[] = {0xfc, 0x01, 0x02, 0x02, 0x08, 0x02, 0x80, 0x01, 0x46};
    CHECK_FALSE(q931_message_of_frame(sapi63, sizeof(sapi63)));
    const uint8_t truncated[] = {0x00, 0x01, 0x02, 0x02, 0x08, 0x02, 0x80};
    CHECK_FALSE(q931_message_of_frame(truncated, sizeof(truncated)));
    const uint8_t unknown[] = {0x00, 0x01, 0x02, 0x02, 0x08, 0x01, 0x01, 0x33};
    CHECK(q931_message_of_frame(unknown, sizeof(unknown)) == q931_message_names.size());
    const uint8_t service[] = {0x00, 0x01, 0x02, 0x02, 0x03, 0x01, 0x01, 0x0f};
    m = q931_message_of_frame(service, sizeof(service));
    REQUIRE(m);
    CHECK(q931_message_names[*m].name == "service");
}

TEST_CASE("pri link: channels blocked before the link is up are not restarted, and NI-2 tells the far end", "[isdn]")
{
    BackToBack b(false, *switch_type_value("ni2"));
    REQUIRE(b.user.set_service(5, false) == 1);  // before Q.921 is up: nothing sent yet
    CHECK(b.user.counters().service_sent == 0);
    REQUIRE(b.run(8.0, [&] { return b.user.up() && !b.user.restarting() && b.network.channels()[4].blocked_there; }));
    CHECK(b.user.counters().restarts_sent == 22);  // 23 B-channels, one out of service
    CHECK(b.user.counters().restart_acks == 22);
    CHECK(b.user.counters().service_sent == 1);  // sent once the link came up
}

namespace {

// The Q.850 cause value of the Cause IE (0x08) of a Q.931 message in an
// I-frame, or -1.
int cause_of(const std::vector<uint8_t>& f)
{
    if (f.size() < 8) {
        return -1;
    }
    std::size_t i = 4 + 2 + (f[5] & 0x0f) + 1;  // header, PD, cref length + value, message type
    while (i + 1 < f.size()) {
        uint8_t ie = f[i];
        if ((ie & 0x80) != 0) {  // single-octet IE
            ++i;
            continue;
        }
        uint8_t n = f[i + 1];
        if (ie == 0x08 && n >= 2 && i + 3 < f.size()) {
            // Octet 3 (coding, location), maybe 3a, then the cause value.
            std::size_t v = (f[i + 2] & 0x80) != 0 ? i + 3 : i + 4;
            return v < f.size() ? (f[v] & 0x7f) : -1;
        }
        i += 2 + n;
    }
    return -1;
}

}  // namespace

TEST_CASE("pri link: malformed Q.931 is handled as Q.931 5.8 says and counted; the link stays up", "[isdn]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    REQUIRE(b.run(5.0, [&] { return b.user.up() && !b.user.restarting() && !b.network.restarting(); }));
    std::vector<std::vector<uint8_t>> sent;
    auto watch = [&] {
        while (!b.to_network.empty()) {
            sent.push_back(b.to_network.front());
            b.network.receive(b.to_network.front().data(), b.to_network.front().size());
            b.to_network.pop_front();
        }
    };
    // As UI frames from the network side (C/R = 1: a network command).
    // 5.8.3.2: DISCONNECT for a call reference we do not know -> RELEASE
    // COMPLETE with cause 81 (invalid call reference value).
    const uint8_t disconnect_unknown_cref[] = {0x02, 0x01, 0x03, 0x08, 0x02, 0x00, 0x55, 0x45, 0x08, 0x02, 0x80, 0x90};
    b.user.receive(disconnect_unknown_cref, sizeof(disconnect_unknown_cref));
    // 5.8.2: too short; 5.8.1: not Q.931's protocol discriminator: ignored.
    const uint8_t too_short[] = {0x02, 0x01, 0x03, 0x08, 0x02, 0x00};
    const uint8_t bad_protocol[] = {0x02, 0x01, 0x03, 0x41, 0x02, 0x00, 0x57, 0x45};
    // An unknown message type.
    const uint8_t unknown_type[] = {0x02, 0x01, 0x03, 0x08, 0x02, 0x00, 0x56, 0x33};
    b.user.receive(too_short, sizeof(too_short));
    b.user.receive(bad_protocol, sizeof(bad_protocol));
    b.user.receive(unknown_type, sizeof(unknown_type));
    watch();
    bool answered = false;
    for (const auto& f : sent) {
        auto m = q931_message_of_frame(f.data(), f.size());
        if (m && q931_message_names[*m].name == "release_complete") {
            // The call reference flag is set in the answer (Q.931 4.3).
            CHECK(f[5] == 0x02);
            CHECK(f[6] == 0x80);
            CHECK(f[7] == 0x55);
            CHECK(cause_of(f) == PRI_CAUSE_INVALID_CALL_REFERENCE);
            answered = true;
        }
    }
    CHECK(answered);
    CHECK(b.user.counters().q931_rx_too_short == 1);
    CHECK(b.user.counters().q931_rx_bad_protocol == 1);
    CHECK(b.user.counters().q931_rx[q931_message_names.size()] == 1);  // "other"
    REQUIRE(b.run(2.0, [&] { return false; }) == false);
    CHECK(b.user.up());
    CHECK(b.network.up());
    CHECK(b.user.counters().dchan_down == 0);
}

namespace {

bool ready(BackToBack& b)
{
    return b.run(5.0, [&] { return b.user.up() && !b.user.restarting() && b.network.up() && !b.network.restarting(); });
}

int channel_of(const PriLink& l, uint32_t call)
{
    for (const auto& c : l.calls()) {
        if (c.id == call) {
            return c.channel;
        }
    }
    return -1;
}

std::size_t busy_channels(const PriLink& l)
{
    std::size_t n = 0;
    for (const auto& c : l.channels()) {
        n += c.state == ChannelState::busy ? 1 : 0;
    }
    return n;
}

}  // namespace

TEST_CASE("pri calls: answered both ways, numbers carried, cleared with causes, channels freed", "[isdn][calls]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    REQUIRE(ready(b));

    // Network -> user: answered at once.
    uint32_t in = place_call(b, 0, true);
    REQUIRE(b.run(3.0, [&] { return b.network_model.answered.size() == 1; }));
    REQUIRE(b.user_model.infos.size() == 1);
    const PriCallInfo& info = b.user_model.infos[0];
    CHECK(info.called.digits == "5551234");
    CHECK(info.called.ton == 2);
    CHECK(info.calling.digits == "301234567");
    CHECK(info.calling.presentation == 1);
    CHECK(info.calling.screening == 3);
    CHECK(info.sending_complete);
    CHECK(info.channel == 1);  // the network hunts ascending and assigns exclusively
    CHECK(channel_of(b.network, in) == 1);
    CHECK(busy_channels(b.user) == 1);
    CHECK(b.user.counters().calls_answered_in == 1);

    // The network clears it: the user's model hears cause 16, both sides free the channel.
    REQUIRE(b.network.call_hangup(in, PRI_CAUSE_NORMAL_CLEARING) == 0);
    CHECK(b.network.call_hangup(in, PRI_CAUSE_NORMAL_CLEARING) == -1);  // already clearing
    REQUIRE(b.run(3.0, [&] { return b.user_model.cleared.size() == 1 && b.network.call_count() == 0 &&
                                    b.user.call_count() == 0; }));
    CHECK(b.user_model.cleared[0].second == PRI_CAUSE_NORMAL_CLEARING);
    CHECK(b.user.counters().cleared_in[PRI_CAUSE_NORMAL_CLEARING] == 1);
    CHECK(b.network.counters().cleared_out[PRI_CAUSE_NORMAL_CLEARING] == 1);
    CHECK(busy_channels(b.user) == 0);

    // User -> network: the network alerts, then answers; the user hunts from the top.
    b.network_model.on_setup = Model::OnSetup::alert;
    PriCallInfo out;
    out.called.digits = "0301234";
    int64_t id = b.user.call_setup(out);
    REQUIRE(id > 0);
    REQUIRE(b.run(3.0, [&] { return !b.user_model.progress.empty() &&
                                    b.user_model.progress.back().second == PriCallProgress::alerting; }));
    CHECK(channel_of(b.user, static_cast<uint32_t>(id)) == 31);
    REQUIRE(b.network.call_answer(b.network_model.incoming.back()) == 0);
    REQUIRE(b.run(3.0, [&] { return b.user_model.answered.size() == 1; }));
    CHECK(b.user.counters().calls_answered_out == 1);
    // The user clears with 16; the network hears it.
    REQUIRE(b.user.call_hangup(static_cast<uint32_t>(id), PRI_CAUSE_NORMAL_CLEARING) == 0);
    REQUIRE(b.run(3.0, [&] { return b.network_model.cleared.size() == 1 && b.user.call_count() == 0 &&
                                    b.network.call_count() == 0; }));
    CHECK(b.network_model.cleared[0].second == PRI_CAUSE_NORMAL_CLEARING);
}

TEST_CASE("pri calls: every rejection cause reaches the caller, nothing stays busy", "[isdn][calls]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    REQUIRE(ready(b));
    b.user_model.on_setup = Model::OnSetup::reject;
    // Early rejections go out as RELEASE COMPLETE (1, 34, 44, 82) or
    // DISCONNECT (the rest): either way the call and its channel are freed.
    for (int cause : {PRI_CAUSE_UNALLOCATED, PRI_CAUSE_USER_BUSY, PRI_CAUSE_NO_ANSWER, PRI_CAUSE_CALL_REJECTED,
                      PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION, PRI_CAUSE_INVALID_NUMBER_FORMAT,
                      PRI_CAUSE_INCOMPATIBLE_DESTINATION, PRI_CAUSE_SWITCH_CONGESTION}) {
        b.user_model.reject_cause = cause;
        INFO("cause " << cause);
        std::size_t before = b.network_model.cleared.size();
        place_call(b, 0, true);
        bool done = b.run(3.0, [&] { return b.network_model.cleared.size() == before + 1 && b.user.call_count() == 0 &&
                                            b.network.call_count() == 0; });
        INFO("cleared " << b.network_model.cleared.size() - before << ", calls user " << b.user.call_count()
                        << " network " << b.network.call_count() << ", user events hangup "
                        << b.user.counters().events[PRI_EVENT_HANGUP] << " ack "
                        << b.user.counters().events[PRI_EVENT_HANGUP_ACK] << " req "
                        << b.user.counters().events[PRI_EVENT_HANGUP_REQ] << " user tx disc "
                        << b.user.counters().q931_tx[7] << " rel " << b.user.counters().q931_tx[9] << " rc "
                        << b.user.counters().q931_tx[11] << " net rx disc " << b.network.counters().q931_rx[7]
                        << " net events req " << b.network.counters().events[PRI_EVENT_HANGUP_REQ]);
        REQUIRE(done);
        CHECK(b.network_model.cleared.back().second == cause);
        CHECK(b.user.counters().cleared_in[static_cast<std::size_t>(cause)] == 1);
    }
    CHECK(busy_channels(b.user) == 0);
    CHECK(busy_channels(b.network) == 0);
}

TEST_CASE("pri calls: 30 calls fill an E1, the 31st gets cause 34", "[isdn][calls]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    REQUIRE(ready(b));
    for (int k = 0; k < 30; ++k) {
        place_call(b, 0, true);
    }
    REQUIRE(b.run(5.0, [&] { return b.network_model.answered.size() == 30; }));
    CHECK(busy_channels(b.user) == 30);
    // The network's own view is full too: it refuses locally with 34.
    PriCallInfo more;
    more.called.digits = "5551234";
    CHECK(b.network.call_setup(more) == -PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
    // A SETUP asking for any channel anyway (as a switch that lost track
    // would send) is refused by the user side with 34.
    q931_call* call = pri_new_call(b.network.handle());
    REQUIRE(call != nullptr);
    struct pri_sr* sr = pri_sr_new();
    pri_sr_set_channel(sr, -1, 0, 0);
    pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH, PRI_LAYER_1_ALAW);
    pri_sr_set_called(sr, const_cast<char*>("5551234"), PRI_NATIONAL_ISDN, 1);
    REQUIRE(pri_setup(b.network.handle(), call, sr) == 0);
    pri_sr_free(sr);
    REQUIRE(b.run(3.0, [&] { return b.user.counters().setups_no_channel == 1; }));
    CHECK(b.user.counters().cleared_in[PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION] == 1);
    // Clear them all: every channel idle on both sides.
    for (const auto& c : b.network.calls()) {
        b.network.call_hangup(c.id, PRI_CAUSE_NORMAL_CLEARING);
    }
    REQUIRE(b.run(5.0, [&] { return b.user.call_count() == 0 && b.network.call_count() == 0; }));
    CHECK(busy_channels(b.user) == 0);
    CHECK(b.user_model.cleared.size() == 30);
}

TEST_CASE("pri calls: overlap receiving collects INFORMATION digits; T302 clears with cause 28", "[isdn][calls]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"), 300);
    REQUIRE(ready(b));
    b.user_model.on_setup = Model::OnSetup::overlap;
    b.user_model.overlap_until = 7;
    uint32_t call = place_call(b, 0, true, "555", false);
    bool acked = b.run(3.0, [&] { return !b.network_model.progress.empty(); });
    INFO("user incoming " << b.user_model.incoming.size() << " complete "
                          << (b.user_model.infos.empty() ? -1 : b.user_model.infos[0].sending_complete)
                          << " user tx setup_ack " << b.user.counters().q931_tx[5] << " net SETUP_ACK events "
                          << b.network.counters().events[PRI_EVENT_SETUP_ACK]);
    REQUIRE(acked);
    CHECK(b.network_model.progress[0].second == PriCallProgress::setup_acknowledged);
    // Q.931 5.2.4: the rest of the number in INFORMATION messages.
    REQUIRE(b.network.call_information(call, "12") == 0);
    REQUIRE(b.run(3.0, [&] { return b.user_model.digits.size() == 2; }));
    CHECK(b.user_model.digits[1] == "55512");
    REQUIRE(b.network.call_information(call, "34") == 0);
    REQUIRE(b.run(3.0, [&] { return b.network_model.answered.size() == 1; }));
    CHECK(b.user_model.digits.back() == "5551234");
    CHECK(b.user.counters().t302_expiries == 0);
    b.network.call_hangup(call, PRI_CAUSE_NORMAL_CLEARING);
    REQUIRE(b.run(3.0, [&] { return b.user.call_count() == 0 && b.network.call_count() == 0; }));

    // Digits stop coming: T302 (300 ms here) expires, the model clears with 28.
    uint32_t second = place_call(b, 0, true, "55", false);
    REQUIRE(b.run(3.0, [&] { return b.user_model.digit_timeouts.size() == 1; }));
    REQUIRE(b.run(3.0, [&] { return b.network_model.cleared.size() == 1; }));
    CHECK(b.network_model.cleared[0] == std::make_pair(second, static_cast<int>(PRI_CAUSE_INVALID_NUMBER_FORMAT)));
    CHECK(b.user.counters().t302_expiries == 1);
    REQUIRE(b.run(3.0, [&] { return b.user.call_count() == 0 && b.network.call_count() == 0; }));
}

TEST_CASE("pri calls: glare on one channel is resolved, the preferred call moves", "[isdn][calls]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    REQUIRE(ready(b));
    b.network_model.on_setup = Model::OnSetup::answer;
    // Both sides take channel 5 before either hears the other: the network
    // exclusively, the user preferred.
    PriCallInfo mine;
    mine.called.digits = "0301234";
    mine.channel = 5;
    int64_t user_call = b.user.call_setup(mine);
    REQUIRE(user_call > 0);
    uint32_t net_call = place_call(b, 5, true);
    REQUIRE(b.run(3.0, [&] { return b.user_model.answered.size() == 1 && !b.network_model.cleared.empty(); }));
    // The network's exclusive SETUP meets a channel busy at the user: 44.
    CHECK(b.network_model.cleared[0] == std::make_pair(net_call, static_cast<int>(PRI_CAUSE_REQUESTED_CHAN_UNAVAIL)));
    // The user's preferred call was moved by the network to a free channel.
    int moved_to = channel_of(b.user, static_cast<uint32_t>(user_call));
    CHECK(moved_to != 5);
    CHECK(moved_to > 0);
    CHECK(b.user.counters().channel_moves == 1);
    CHECK(busy_channels(b.user) == 1);
}

TEST_CASE("pri calls: a RESTART of a busy channel ends its call; the D-channel lost and back leaves nothing stuck",
          "[isdn][calls]")
{
    // Q.921 timers from the span config: a silent link is down after
    // T203 + N200 x T200 = 2 + 3 x 0.5 = 3.5 s (13 s with the defaults).
    BackToBack b(true, *switch_type_value("euroisdn_e1"), 10000, ChannelHunting::ascending, Q921Timers{500, 3, 2000});
    REQUIRE(ready(b));
    for (int k = 0; k < 3; ++k) {
        place_call(b, 0, true);
    }
    REQUIRE(b.run(3.0, [&] { return b.network_model.answered.size() == 3; }));
    // Q.931 5.5.2: the far end restarts channel 2: its call is over here.
    REQUIRE(pri_reset(b.network.handle(), 2) == 0);
    REQUIRE(b.run(3.0, [&] { return b.user_model.cleared.size() == 1; }));
    CHECK(b.user.counters().calls_lost_to_restart == 1);
    CHECK(busy_channels(b.user) == 2);

    // Layer 2 is cut long enough for both sides to declare it down.
    // Every I-frame acknowledged first, so that the silence starts on an
    // idle link (T203, not T200, notices it).
    b.run(0.5, [] { return false; });
    b.link_cut = true;
    auto cut_at = std::chrono::steady_clock::now();
    REQUIRE(b.run(15.0, [&] { return !b.user.up() && !b.network.up(); }));
    double down_after_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - cut_at).count();
    b.link_cut = false;
    // The configured timers, not libpri's defaults (>= 12.5 s here), declared
    // it down: at least the N200 x T200 retransmissions after the cut, at
    // most the whole 3.5 s (T203 may have started up to 0.5 s before it).
    CHECK(down_after_s >= 1.5);
    CHECK(down_after_s < 8.0);
    // Q.921 5.6: T203 (idle) polled once, then T200 N200 times, unanswered.
    CHECK(b.user.counters().libpri_timers.t203 >= 1);
    CHECK(b.user.counters().libpri_timers.t200 >= 3);
    // Back up: calls that outlived T309 are checked by STATUS ENQUIRY or
    // cleared; idle channels are restarted; nothing remains busy without a call.
    REQUIRE(b.run(20.0, [&] { return b.user.up() && b.network.up() && !b.user.restarting(); }));
    REQUIRE(b.run(15.0, [&] { return b.user.call_count() == b.network.call_count(); }));
    for (const auto& ch : b.user.channels()) {
        bool has_call = false;
        for (const auto& c : b.user.calls()) {
            has_call = has_call || c.channel == ch.channel;
        }
        CHECK((ch.state == ChannelState::busy) == has_call);
    }
    INFO("calls left: user " << b.user.call_count() << ", network " << b.network.call_count());
    // Clear whatever survived; then nothing at all is left.
    for (const auto& c : b.user.calls()) {
        b.user.call_hangup(c.id, PRI_CAUSE_NORMAL_CLEARING);
    }
    REQUIRE(b.run(5.0, [&] { return b.user.call_count() == 0 && b.network.call_count() == 0; }));
    CHECK(busy_channels(b.user) == 0);
    CHECK(busy_channels(b.network) == 0);
}

TEST_CASE("pri calls: malformed SETUPs (Q.931 5.8): unknown IE ignored, mandatory IE missing refused with 96, "
          "truncated IE handled; nothing stays busy", "[isdn][calls]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    REQUIRE(ready(b));
    b.user_model.on_setup = Model::OnSetup::answer;
    std::vector<std::vector<uint8_t>> sent;
    b.user.set_frame_tap([&sent](const uint8_t* f, std::size_t n, bool outgoing) {
        if (outgoing) {
            sent.emplace_back(f, f + n);
        }
    });
    auto exchange = [&] { b.run(0.5, [] { return false; }); };
    auto answered_with = [&](uint8_t cref, const char* message) {
        for (const auto& f : sent) {
            auto m = q931_message_of_frame(f.data(), f.size());
            std::size_t off = f.size() > 3 && (f[2] & 1) == 0 ? 4 : 3;  // I-frame: 2 control octets
            if (m && q931_message_names[*m].name == message && f.size() > off + 3 && f[off + 3] == cref) {
                return cause_of(f);
            }
        }
        return -1;
    };
    // SETUP as a UI frame from the network: bearer capability (speech,
    // A-law), channel 1 exclusive, called number 1234 (national, E.164),
    // Sending Complete, plus an IE nobody has assigned (0x5f).
    const uint8_t setup_unknown_ie[] = {0x02, 0x01, 0x03, 0x08, 0x02, 0x00, 0x31, 0x05,
                                        0x04, 0x03, 0x80, 0x90, 0xa3,              // bearer capability
                                        0x18, 0x03, 0xa9, 0x83, 0x81,              // channel identification
                                        0x5f, 0x02, 0x11, 0x22,                    // unknown IE
                                        0x70, 0x05, 0xa1, '1', '2', '3', '4',      // called party number
                                        0xa1};                                     // sending complete
    b.user.receive(setup_unknown_ie, sizeof(setup_unknown_ie));
    exchange();
    // 5.8.7.1: an unrecognized IE is ignored; the call proceeds.
    REQUIRE(b.user_model.infos.size() == 1);
    CHECK(b.user_model.infos[0].called.digits == "1234");
    CHECK(b.user_model.infos[0].channel == 1);

    // 5.8.6.1: SETUP without its mandatory bearer capability: RELEASE
    // COMPLETE with cause 96 (mandatory information element is missing).
    const uint8_t setup_no_bearer[] = {0x02, 0x01, 0x03, 0x08, 0x02, 0x00, 0x32, 0x05,
                                       0x18, 0x03, 0xa9, 0x83, 0x82,
                                       0x70, 0x05, 0xa1, '1', '2', '3', '4', 0xa1};
    b.user.receive(setup_no_bearer, sizeof(setup_no_bearer));
    exchange();
    CHECK(answered_with(0x32, "release_complete") == PRI_CAUSE_MANDATORY_IE_MISSING);
    CHECK(b.user_model.infos.size() == 1);

    // An IE whose length runs past the end of the message.
    const uint8_t setup_truncated_ie[] = {0x02, 0x01, 0x03, 0x08, 0x02, 0x00, 0x33, 0x05,
                                          0x04, 0x03, 0x80, 0x90, 0xa3,
                                          0x18, 0x03, 0xa9, 0x83, 0x83,
                                          0x70, 0x20, 0xa1, '1', '2'};
    b.user.receive(setup_truncated_ie, sizeof(setup_truncated_ie));
    exchange();
    // libpri drops the broken IE and goes on (5.8.7.2: a content error in
    // a non-mandatory IE does not stop the call): the call arrives with no
    // called number, and routing decides on that (no route: cause 1).
    REQUIRE(b.user_model.infos.size() == 2);
    CHECK(b.user_model.infos[1].called.digits.empty());
    CHECK(b.user.up());
    // Whatever libpri made of it, no call is left without its model knowing.
    CHECK(b.user.call_count() == b.user_model.incoming.size() - b.user_model.cleared.size());
    CHECK(b.user.counters().dchan_down == 0);
}

TEST_CASE("pri link: a lost I-frame is sent again after T200 and counted as a Q.921 retransmission", "[isdn]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    REQUIRE(ready(b));
    const uint64_t before = b.user.counters().q921_retransmissions;
    CHECK(before == 0);
    b.network_model.on_setup = Model::OnSetup::answer;
    b.lose_user_frames = true;
    PriCallInfo out;
    out.called.digits = "0301234";
    REQUIRE(b.user.call_setup(out) > 0);
    // T200 (1 s) expires without an acknowledgement; libpri polls (RR with
    // P = 1, Q.921 5.6.1), the network's answer shows the SETUP missing, and
    // it goes again with the same N(S).
    b.run(1.3, [] { return false; });
    b.lose_user_frames = false;
    REQUIRE(b.run(5.0, [&] { return b.user_model.answered.size() == 1; }));
    CHECK(b.user.counters().q921_retransmissions > before);
    CHECK(b.network.counters().q921_retransmissions == 0);
    // Read off the wire as T200 (the poll with the SETUP outstanding, and
    // the SETUP sent again); the link was never idle long enough for T203.
    CHECK(b.user.counters().libpri_timers.t200 >= 2);
    CHECK(b.user.counters().libpri_timers.t203 == 0);
    CHECK(b.user.up());
}

namespace {

uint64_t received(const PriLink& l, std::string_view message)
{
    for (std::size_t i = 0; i < q931_message_names.size(); ++i) {
        if (q931_message_names[i].name == message) {
            return l.counters().q931_rx[i];
        }
    }
    return 0;
}

}  // namespace

TEST_CASE("pri calls: clearing after our first answer is DISCONNECT whatever the cause (Q.931 5.3.2); "
          "RELEASE causes (6, 26) leave nothing behind", "[isdn][calls]")
{
    BackToBack b(true, *switch_type_value("euroisdn_e1"));
    REQUIRE(ready(b));
    b.user_model.on_setup = Model::OnSetup::alert;
    for (int cause : {PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION, PRI_CAUSE_UNALLOCATED, PRI_CAUSE_CHANNEL_UNACCEPTABLE,
                      PRI_CAUSE_NONSELECTED_USER_CLEARING, PRI_CAUSE_NORMAL_CLEARING}) {
        INFO("cause " << cause);
        const uint64_t disc = received(b.network, "disconnect");
        const uint64_t rel = received(b.network, "release");
        const uint64_t rc = received(b.network, "release_complete");
        const std::size_t cleared = b.network_model.cleared.size();
        place_call(b, 0, true);
        REQUIRE(b.run(3.0, [&] { return !b.network_model.progress.empty() &&
                                        b.network_model.progress.back().second == PriCallProgress::alerting; }));
        b.network_model.progress.clear();
        uint32_t call = b.user_model.incoming.back();
        REQUIRE(b.user.call_hangup(call, cause) == 0);
        REQUIRE(b.run(3.0, [&] { return b.network_model.cleared.size() == cleared + 1 && b.user.call_count() == 0 &&
                                        b.network.call_count() == 0; }));
        CHECK(b.network_model.cleared.back().second == cause);
        // After ALERTING: never RELEASE COMPLETE first.
        CHECK(received(b.network, "release_complete") - rc <= 1);
        CHECK(received(b.network, "disconnect") - disc + received(b.network, "release") - rel == 1);
    }
    CHECK(busy_channels(b.user) == 0);
    CHECK(busy_channels(b.network) == 0);
}
