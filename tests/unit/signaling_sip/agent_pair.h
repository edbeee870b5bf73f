// Test harness for SipAgent: two real Sofia-SIP agents on loopback, each
// the other's trunk, driven by one su_root; a Recorder as each one's call
// model.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <sofia-sip/su_wait.h>

#include "signaling/sip/sdp_media.h"
#include "signaling/sip/sip_agent.h"

namespace trunkgw_test {

using namespace trunkgw::sip;
using trunkgw::interwork::CauseMap;


inline constexpr uint32_t loopback = 0x7f000001;
// Our SDP's media address: a unicast host address (RFC 5737 TEST-NET-1),
// since SDP naming loopback is refused (no DPDK port sends to it); no
// media flows in these tests.
inline constexpr uint32_t media_address = 0xc0000201;

// A trunk to one peer: calls per second and OPTIONS interval as given.
inline SipTrunkConfig trunk_to(const char* name, uint32_t ipv4, uint16_t port, double cps = 0, uint32_t options_s = 0)
{
    SipTrunkConfig t;
    t.name = name;
    t.peers = {{ipv4, port}};
    t.calls_per_second = cps;
    t.options_interval_s = options_s;
    return t;
}

struct Recorder : SipCallHandler {
    enum class OnInvite { nothing, ring_answer, early_answer, reject };
    OnInvite on_invite = OnInvite::ring_answer;
    int reject_cause = 17;
    LocalMedia media{media_address, 40000, 8, 20};
    std::vector<uint32_t> incoming;
    std::vector<SipCallInfo> infos;
    std::vector<int> progress;
    std::vector<RemoteMedia> answered;
    std::vector<RemoteMedia> changed;
    std::vector<std::pair<uint32_t, int>> cleared;

    void sip_incoming(SipAgent& a, uint32_t call, const SipCallInfo& info) override
    {
        incoming.push_back(call);
        infos.push_back(info);
        switch (on_invite) {
        case OnInvite::nothing: break;
        case OnInvite::ring_answer:
            a.call_ringing(call, nullptr);
            a.call_answer(call, media);
            break;
        case OnInvite::early_answer:
            a.call_ringing(call, &media);
            break;
        case OnInvite::reject: a.call_hangup(call, reject_cause); break;
        }
    }
    void sip_progress(SipAgent&, uint32_t, int status, const RemoteMedia* early) override
    {
        progress.push_back(early != nullptr ? -status : status);
    }
    void sip_answered(SipAgent&, uint32_t, const RemoteMedia& remote) override { answered.push_back(remote); }
    void sip_media_changed(SipAgent&, uint32_t, const RemoteMedia& remote) override { changed.push_back(remote); }
    void sip_cleared(SipAgent&, uint32_t call, int q850) override { cleared.emplace_back(call, q850); }
};

struct Pair {
    su_root_t* root;
    Recorder a_model, b_model;
    std::optional<SipAgent> a, b;

    // A on 25061 with trunk "to-b", B on 25062 with trunk "to-a"; `tune`
    // may change either config before the agents start.
    explicit Pair(double b_cps = 0, const std::function<void(SipAgentConfig&, SipAgentConfig&)>& tune = {})
    {
        su_init();
        root = su_root_create(nullptr);
        SipAgentConfig ca{"sip:127.0.0.1:25061;transport=udp", "127.0.0.1:25061",
                          {trunk_to("to-b", loopback, 25062)}};
        SipAgentConfig cb{"sip:127.0.0.1:25062;transport=udp", "127.0.0.1:25062",
                          {trunk_to("to-a", loopback, 25061, b_cps)}};
        if (tune) {
            tune(ca, cb);
        }
        a.emplace(root, ca, CauseMap{}, &a_model);
        b.emplace(root, cb, CauseMap{}, &b_model);
    }
    ~Pair()
    {
        a.reset();
        b.reset();
        su_root_destroy(root);
        su_deinit();
    }
    template <class Done>
    bool run(double seconds, Done done)
    {
        auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < end) {
            su_root_step(root, 10);
            if (done()) {
                return true;
            }
        }
        return false;
    }
    int64_t call(const std::string& called = "5551234", const trunkgw::interwork::Redirection& redirecting = {})
    {
        SipCallInfo info;
        info.called = called;
        info.calling = "301234567";
        info.redirecting = redirecting;
        return a->call_setup("to-b", info, LocalMedia{media_address, 30000, 8, 20});
    }
};


}  // namespace trunkgw_test
