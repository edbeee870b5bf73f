// NFAS with real libpri on both sides: three T1 spans under one D-channel
// (A primary, B backup, C none: 24 B-channels), back to back in one
// process. Calls on every interface with explicit interface ids; the
// primary D-channel lost mid-call (the backup takes over, the call lives,
// new calls go through the backup, the old call is cleared by RESTART
// since libpri keeps it on the dead D-channel); the primary back; every
// D-channel lost (T309 ends the call with cause 27).
#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <thread>
#include <vector>

#include "signaling/isdn/pri_link.h"
#include "signaling/isdn/switch_types.h"

using namespace trunkgw::isdn;

namespace {

using Frames = std::deque<std::vector<uint8_t>>;

struct Recorder : PriCallHandler {
    bool answer = true;
    std::vector<uint32_t> incoming;
    std::vector<PriCallInfo> infos;
    std::vector<uint32_t> answered;
    std::vector<std::pair<uint32_t, int>> cleared;

    void call_incoming(PriLink& l, uint32_t call, const PriCallInfo& info) override
    {
        incoming.push_back(call);
        infos.push_back(info);
        if (answer) {
            l.call_answer(call);
        }
    }
    void call_digits(PriLink&, uint32_t, const std::string&, bool) override {}
    void call_digit_timeout(PriLink&, uint32_t) override {}
    void call_progress(PriLink&, uint32_t, PriCallProgress, bool) override {}
    void call_answered(PriLink&, uint32_t call) override { answered.push_back(call); }
    void call_cleared(PriLink&, uint32_t call, int cause) override { cleared.emplace_back(call, cause); }
};

PriLinkConfig group_config(const char* name, bool network)
{
    PriLinkConfig c;
    c.name = name;
    c.network_side = network;
    c.switch_type = *switch_type_value("ni2");
    c.e1 = false;
    c.hunting = network ? ChannelHunting::ascending : ChannelHunting::descending;
    c.nfas = true;
    c.interfaces = {{"A", 0, true}, {"B", 1, true}, {"C", 2, false}};
    // Q.921 5.9 from the span config: a silent D-channel is down after
    // T203 + N200 x T200 = 2 + 3 x 0.5 = 3.5 s (13 s with the defaults),
    // which the outage tests below wait for.
    c.t200_ms = 500;
    c.n200 = 3;
    c.t203_ms = 2000;
    c.t309_ms = 3000;  // calls outlive an outage of every D-channel this long
    return c;
}

// Two D-channels each way; cut[k]: D-channel k loses every frame.
struct NfasBackToBack {
    std::array<Frames, 2> to_network, to_user;
    std::array<bool, 2> cut{false, false};
    Recorder user_model, network_model;
    PriLink user;
    PriLink network;

    NfasBackToBack()
        : user(group_config("user", false),
               std::vector<PriLink::DchannelOut>{
                   {"A", [this](const uint8_t* f, std::size_t n) { return send(to_network, 0, f, n); }},
                   {"B", [this](const uint8_t* f, std::size_t n) { return send(to_network, 1, f, n); }}},
               &user_model),
          network(group_config("network", true),
                  std::vector<PriLink::DchannelOut>{
                      {"A", [this](const uint8_t* f, std::size_t n) { return send(to_user, 0, f, n); }},
                      {"B", [this](const uint8_t* f, std::size_t n) { return send(to_user, 1, f, n); }}},
                  &network_model)
    {
    }

    bool send(std::array<Frames, 2>& q, std::size_t k, const uint8_t* f, std::size_t n)
    {
        if (!cut[k]) {
            q[k].emplace_back(f, f + n);
        }
        return true;
    }

    template <class Done>
    bool run(double seconds, Done done)
    {
        auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < end) {
            for (std::size_t k = 0; k < 2; ++k) {
                while (!to_network[k].empty()) {
                    auto f = std::move(to_network[k].front());
                    to_network[k].pop_front();
                    network.receive(k, f.data(), f.size());
                }
                while (!to_user[k].empty()) {
                    auto f = std::move(to_user[k].front());
                    to_user[k].pop_front();
                    user.receive(k, f.data(), f.size());
                }
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

    bool settled()
    {
        return user.up() && network.up() && !user.restarting() && !network.restarting();
    }

    // The network places a call on span/timeslot (exclusive).
    uint32_t place(const std::string& span, int timeslot)
    {
        PriCallInfo info;
        info.called.digits = "5551234";
        info.sending_complete = true;
        info.channel = timeslot;
        info.exclusive = true;
        int64_t id = network.call_setup(info, span);
        REQUIRE(id > 0);
        return static_cast<uint32_t>(id);
    }

    static std::size_t busy(const PriLink& l)
    {
        std::size_t n = 0;
        for (const auto& c : l.channels()) {
            n += c.state == ChannelState::busy || c.state == ChannelState::restarting ? 1 : 0;
        }
        return n;
    }
};

}  // namespace

TEST_CASE("nfas: one D-channel restarts 70 B-channels on three T1 spans, calls name their interface", "[isdn][nfas]")
{
    NfasBackToBack b;
    REQUIRE(b.run(10.0, [&] { return b.settled(); }));
    // 23 + 23 + 24: span C's TS24 is a B-channel.
    CHECK(b.user.bearer_channels().size() == 70);
    CHECK(b.user.counters().restart_acks == 70);
    CHECK(b.user.counters().restart_timeouts == 0);
    auto d = b.user.dchannels();
    REQUIRE(d.size() == 2);
    CHECK(d[0].span == "A");
    CHECK(d[0].up);
    CHECK(d[0].active);
    CHECK(d[1].up);  // the backup is established too, standing by
    CHECK_FALSE(d[1].active);

    CHECK(b.user.channel_of("C", 24) == (2 << 8 | 24));
    CHECK(b.user.channel_of("A", 24) == 0);  // A's TS24 is its D-channel
    CHECK(b.user.channel_of("X", 1) == 0);

    // A call on span C timeslot 24, and one on span B timeslot 5.
    uint32_t on_c = b.place("C", 24);
    uint32_t on_b = b.place("B", 5);
    REQUIRE(b.run(5.0, [&] { return b.network_model.answered.size() == 2; }));
    REQUIRE(b.user_model.infos.size() == 2);
    PriLink::Located at = b.user.locate(b.user_model.infos[0].channel);
    REQUIRE(at.span != nullptr);
    CHECK(*at.span == "C");
    CHECK(at.timeslot == 24);
    at = b.user.locate(b.user_model.infos[1].channel);
    REQUIRE(at.span != nullptr);
    CHECK(*at.span == "B");
    CHECK(at.timeslot == 5);
    // Every frame went through the primary.
    CHECK(b.user.dchannels()[1].frames_rx < 10);

    // The user side hunts descending over every interface: span C's top.
    PriCallInfo out;
    out.called.digits = "301234567";
    out.sending_complete = true;
    int64_t up = b.user.call_setup(out);
    REQUIRE(up > 0);
    at = b.user.locate(b.user.call_channel(static_cast<uint32_t>(up)));
    REQUIRE(at.span != nullptr);
    CHECK(*at.span == "C");
    CHECK(at.timeslot == 23);
    REQUIRE(b.run(5.0, [&] { return b.user_model.answered.size() == 1; }));

    b.network.call_hangup(on_c, PRI_CAUSE_NORMAL_CLEARING);
    b.network.call_hangup(on_b, PRI_CAUSE_NORMAL_CLEARING);
    b.user.call_hangup(static_cast<uint32_t>(up), PRI_CAUSE_NORMAL_CLEARING);
    REQUIRE(b.run(5.0, [&] { return b.user.call_count() == 0 && b.network.call_count() == 0; }));
    CHECK(NfasBackToBack::busy(b.user) == 0);
    CHECK(NfasBackToBack::busy(b.network) == 0);
}

TEST_CASE("nfas: the primary D-channel lost mid-call: the backup carries on, nothing stuck", "[isdn][nfas]")
{
    NfasBackToBack b;
    REQUIRE(b.run(10.0, [&] { return b.settled(); }));
    uint32_t old_call = b.place("C", 10);
    REQUIRE(b.run(5.0, [&] { return b.network_model.answered.size() == 1; }));

    // Q.921 declares the link down after T203 + N200 x T200 of silence.
    b.cut[0] = true;
    REQUIRE(b.run(20.0, [&] { return !b.user.dchannels()[0].up && !b.network.dchannels()[0].up; }));
    CHECK(b.user.up());
    CHECK(b.user.dchannels()[1].active);
    CHECK(b.user.counters().dchannel_switchovers == 1);
    CHECK(b.user.counters().dchan_down == 0);  // the link never went down
    CHECK(b.user.call_count() == 1);           // the connected call lives
    CHECK(b.user_model.cleared.empty());

    // A new call goes through the backup, and clears normally there.
    uint32_t new_call = b.place("A", 3);
    REQUIRE(b.run(5.0, [&] { return b.network_model.answered.size() == 2; }));
    b.network.call_hangup(new_call, PRI_CAUSE_NORMAL_CLEARING);
    REQUIRE(b.run(5.0, [&] { return b.user_model.cleared.size() == 1; }));
    CHECK(b.user_model.cleared[0].second == PRI_CAUSE_NORMAL_CLEARING);

    // The old call: libpri keeps it on the dead D-channel; clearing it
    // RESTARTs its channel through the backup, which ends it at the far end.
    b.user.call_hangup(b.user_model.incoming[0], PRI_CAUSE_NORMAL_CLEARING);
    CHECK(b.user.counters().calls_cleared_by_restart == 1);
    REQUIRE(b.run(5.0, [&] { return b.network_model.cleared.size() == 1 && NfasBackToBack::busy(b.user) == 0; }));
    CHECK(b.network_model.cleared[0].first == old_call);
    CHECK(b.network_model.cleared[0].second == PRI_CAUSE_NORMAL_TEMPORARY_FAILURE);
    CHECK(b.network.counters().calls_lost_to_restart == 1);
    CHECK(b.network.call_count() == 0);
    CHECK(NfasBackToBack::busy(b.network) == 0);

    // The primary comes back and is used again.
    b.cut[0] = false;
    REQUIRE(b.run(20.0, [&] { return b.user.dchannels()[0].active && b.network.dchannels()[0].active; }));
    CHECK(b.user.counters().dchannel_switchovers == 2);
    uint32_t again = b.place("B", 7);
    REQUIRE(b.run(5.0, [&] { return b.network_model.answered.size() == 3; }));
    b.network.call_hangup(again, PRI_CAUSE_NORMAL_CLEARING);
    REQUIRE(b.run(5.0, [&] { return b.user.call_count() == 0 && b.network.call_count() == 0; }));
    CHECK(NfasBackToBack::busy(b.user) == 0);
}

TEST_CASE("nfas: every D-channel lost: calls last T309, then end with cause 27", "[isdn][nfas]")
{
    NfasBackToBack b;
    REQUIRE(b.run(10.0, [&] { return b.settled(); }));
    b.place("C", 1);
    REQUIRE(b.run(5.0, [&] { return b.network_model.answered.size() == 1; }));
    b.cut = {true, true};
    REQUIRE(b.run(20.0, [&] { return !b.user.up(); }));
    CHECK(b.user.call_count() == 1);  // T309 running
    REQUIRE(b.run(10.0, [&] { return !b.user_model.cleared.empty(); }));
    CHECK(b.user_model.cleared[0].second == PRI_CAUSE_DESTINATION_OUT_OF_ORDER);
    CHECK(b.user.counters().t309_expiries == 1);
    CHECK(b.user.call_count() == 0);
    // Back up: the restart procedure idles every channel on both sides.
    b.cut = {false, false};
    REQUIRE(b.run(20.0, [&] { return b.settled() && b.network.call_count() == 0; }));
    CHECK(NfasBackToBack::busy(b.user) == 0);
    CHECK(NfasBackToBack::busy(b.network) == 0);
}
