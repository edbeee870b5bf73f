// pstn-sim: the far-end carrier switch. N E1/T1 spans as TDM pseudowires
// over UDP (the same wire format the gateway's tdm/ speaks), libpri on each
// D-channel (network side by default), and a scripted call model: what it
// does with calls to each number, the calls it places into the gateway, a
// tone played on every answered call and what comes back measured. One JSON
// line per call; a summary line at the end.
//
//   pstn-sim --span NAME,local=IP:PORT,remote=IP:PORT[,type=e1|t1]
//                 [,mode=satop|cesopsn][,side=network|user][,switch=NAME]
//                 [,jitter=PACKETS][,fpp=FRAMES_PER_PACKET]
//            [--behave PREFIX=SPEC]... [--originate N --called NUM ...]
//            [--calls FILE] [--seconds S] [--until-done]
//
// SIGUSR1 silences every D-channel (HDLC idle both ways: Layer 2 fails as
// on a lost D-channel), SIGUSR2 restores it; the tests use them to take
// the D-channel away in the middle of calls.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench/pstn_sim/far_end_line.h"
#include "bench/pstn_sim/scripted_calls.h"
#include "signaling/isdn/pri_link.h"
#include "signaling/isdn/switch_types.h"
#include "tdm/span/virtual_span_pair.h"

using namespace trunkgw;
using namespace trunkgw::pstnsim;

namespace {

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_dchan_off = 0;

struct SpanSpec {
    std::string name;
    FarEndLineConfig line;
    bool network_side = true;
    std::string switch_type;
    // NFAS: the group, this span's interface identifier, and its D-channel
    // role (primary, backup, none: TS24 a B-channel).
    std::string nfas_group;
    int nfas_interface = 0;
    std::string dchannel = "primary";
};

// NAME,key=value,...
SpanSpec parse_span(const std::string& text)
{
    SpanSpec s;
    std::size_t start = 0;
    bool first = true;
    bool have_local = false;
    bool have_remote = false;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        start = comma == std::string::npos ? text.size() + 1 : comma + 1;
        if (first) {
            s.name = part;
            first = false;
            if (s.name.empty() || s.name.find('=') != std::string::npos) {
                throw std::invalid_argument("--span starts with the span's name");
            }
            continue;
        }
        auto eq = part.find('=');
        std::string k = part.substr(0, eq);
        std::string v = eq == std::string::npos ? "" : part.substr(eq + 1);
        if (k == "local") {
            have_local = parse_endpoint(v, s.line.local);
            if (!have_local) {
                throw std::invalid_argument("local=" + v + ": not IPV4:PORT");
            }
        } else if (k == "remote") {
            have_remote = parse_endpoint(v, s.line.remote);
            if (!have_remote) {
                throw std::invalid_argument("remote=" + v + ": not IPV4:PORT");
            }
        } else if (k == "type" && (v == "e1" || v == "t1")) {
            s.line.type = v == "e1" ? tdm::LineType::e1 : tdm::LineType::t1;
        } else if (k == "mode" && (v == "satop" || v == "cesopsn")) {
            s.line.mode = v == "satop" ? tdm::PwMode::satop : tdm::PwMode::cesopsn;
        } else if (k == "side" && (v == "network" || v == "user")) {
            s.network_side = v == "network";
        } else if (k == "switch") {
            s.switch_type = v;
        } else if (k == "nfas" && !v.empty()) {
            s.nfas_group = v;
        } else if (k == "iface" && !v.empty() && v.size() <= 3 && v.find_first_not_of("0123456789") == std::string::npos &&
                   std::stoi(v) <= 127) {
            s.nfas_interface = std::stoi(v);
        } else if (k == "dchannel" && (v == "primary" || v == "backup" || v == "none")) {
            s.dchannel = v;
            s.line.dchannel = v != "none";
        } else if (k == "jitter" && !v.empty() && v.find_first_not_of("0123456789") == std::string::npos &&
                   std::stoul(v) >= 1 && std::stoul(v) <= 32) {
            s.line.jitter_packets = static_cast<uint32_t>(std::stoul(v));
        } else if (k == "fpp" && !v.empty() && v.size() <= 2 && v.find_first_not_of("0123456789") == std::string::npos &&
                   std::stoul(v) >= 1 && std::stoul(v) <= 64) {
            s.line.frames_per_packet = static_cast<uint32_t>(std::stoul(v));
        } else {
            throw std::invalid_argument("'" + part + "': span options are local, remote, type=e1|t1, "
                                        "mode=satop|cesopsn, side=network|user, switch=NAME, jitter=1..32 (packets), "
                                        "fpp=1..64 (frames per packet), nfas=GROUP, iface=0..127, "
                                        "dchannel=primary|backup|none");
        }
    }
    if (!have_local || !have_remote) {
        throw std::invalid_argument("span " + s.name + ": local= and remote= are required");
    }
    if (s.switch_type.empty()) {
        s.switch_type = s.line.type == tdm::LineType::e1 ? "euroisdn_e1" : "ni2";
    }
    if (s.nfas_group.empty() && s.dchannel != "primary") {
        throw std::invalid_argument("span " + s.name + ": dchannel=" + s.dchannel + " needs nfas=GROUP");
    }
    if (!s.nfas_group.empty() && s.line.type != tdm::LineType::t1) {
        throw std::invalid_argument("span " + s.name + ": NFAS is for T1 spans");
    }
    return s;
}

uint64_t mono_ns()
{
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(t.tv_nsec);
}

double mono_ms()
{
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// One libpri link: a span's, or an NFAS group's; and what "ready" needs.
struct Link {
    std::unique_ptr<isdn::PriLink> pri;
    double idle_since_ms = -1;  // up with our restarts over
    bool was_up = false;
};

// One span: its line, and the link its D-channel (if any) feeds.
struct Span {
    SpanSpec spec;
    std::unique_ptr<FarEndLine> line;
    isdn::PriLink* pri = nullptr;
    std::size_t dchannel = 0;  // which of the link's D-channels it carries
    bool silenceable = true;   // SIGUSR1 silences its D-channel
};

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"pstn-sim: the far-end carrier switch (libpri over TDM pseudowires)"};
    std::vector<std::string> span_args;
    std::vector<std::string> behave_args;
    Origination orig;
    std::string calls_path;
    double seconds = 60;
    int realtime_priority = 0;
    uint32_t t309_ms = isdn::PriLinkConfig{}.t309_ms;  // libpri's, as the gateway's default
    uint32_t t200_ms = isdn::PriLinkConfig{}.t200_ms;  // Q.921's, as the gateway's defaults
    uint32_t n200 = isdn::PriLinkConfig{}.n200;
    uint32_t t203_ms = isdn::PriLinkConfig{}.t203_ms;
    bool until_done = false;
    double tone_hz = 1004;
    double tone_dbm0 = -10;
    app.add_option("--span", span_args, "NAME,local=IP:PORT,remote=IP:PORT[,type=e1|t1][,mode=satop|cesopsn]"
                                        "[,side=network|user][,switch=NAME][,jitter=PACKETS][,fpp=FRAMES] (repeatable)")
        ->required();
    app.add_option("--behave", behave_args,
                   "PREFIX=ACTION[,opt=value...]: answer|ring|busy|reject, options alert= answer= hangup= (ms), "
                   "cause=N, early_media=1, overlap=DIGITS, echo=1; PREFIX * for every number, SPAN/PREFIX for calls "
                   "arriving on SPAN (repeatable)");
    app.add_option("--originate", orig.count, "calls to place into the gateway")->check(CLI::Range(0u, 10'000'000u));
    app.add_option("--rate", orig.rate_cps, "calls per second at most")->check(CLI::Range(0.01, 100000.0));
    app.add_option("--concurrency", orig.concurrency, "calls up at once at most")->check(CLI::Range(1u, 100000u));
    app.add_option("--called", orig.called, "numbers the placed calls dial, in turn (repeatable)");
    app.add_option("--originate-span", orig.spans, "spans that place the calls, in turn (default: every span)");
    app.add_option("--calling", orig.calling, "calling number of the placed calls");
    app.add_option("--hold-ms", orig.hold_ms, "answered placed calls are cleared after this")
        ->check(CLI::Range(0u, 3'600'000u));
    app.add_option("--overlap", orig.overlap_digits,
                   "overlap sending: the SETUP carries this many digits, the rest follow in INFORMATION")
        ->check(CLI::Range(0u, 64u));
    app.add_option("--digit-interval-ms", orig.digit_interval_ms, "overlap sending: between INFORMATION messages")
        ->check(CLI::Range(0u, 60000u));
    std::vector<std::string> silence_spans;
    app.add_option("--silence-span", silence_spans,
                   "SIGUSR1 silences only these spans' D-channels (default: every span's; SIGUSR2 restores)");
    bool silent_at_start = false;
    app.add_flag("--silence-at-start", silent_at_start, "start with those D-channels silenced (as after SIGUSR1)");
    std::string play_path;
    app.add_option("--play", play_path, "answered calls play this raw G.711 file (the line's law, looped) instead "
                                        "of the tone; the far end's SINAD is then only meaningful for a tone file");
    std::string key_digits;
    app.add_option("--key", key_digits, "answered calls first key these DTMF digits (0-9, *, #, A-D; 100 ms "
                                        "each, 100 ms apart), then play the tone or --play file");
    app.add_option("--originate-channel", orig.channel, "B-channel the placed calls ask for (0: hunt)")
        ->check(CLI::Range(0, 31));
    app.add_flag("--originate-preferred", orig.preferred, "ask for the channel as preferred (default: exclusive, "
                                                           "as a network side assigns channels)");
    app.add_option("--no-answer-ms", orig.no_answer_ms, "placed calls not answered by then are cleared")
        ->check(CLI::Range(1u, 3'600'000u));
    app.add_option("--calls", calls_path, "write one JSON line per finished call here (else stdout)");
    app.add_option("--seconds", seconds, "run at most this long")->check(CLI::Range(0.1, 86400.0));
    app.add_flag("--until-done", until_done, "exit once every placed call has finished");
    app.add_option("--tone-hz", tone_hz, "tone played on answered calls")->check(CLI::Range(1.0, 3999.0));
    app.add_option("--tone-dbm0", tone_dbm0, "its level")->check(CLI::Range(-60.0, 3.0));
    bool no_audio = false;
    app.add_flag("--no-audio", no_audio, "answered calls send the idle code; nothing recorded or measured (load tests)");
    app.add_option("--realtime-priority", realtime_priority,
                   "run the lines' clock at this SCHED_FIFO priority (it stands in for a card's hardware "
                   "clock, which a busy CPU cannot make late); 0: the normal scheduler")
        ->check(CLI::Range(0, 99));
    // The gateway's [span.isdn] t309_ms, t200_ms, n200, t203_ms, with its
    // ranges (signaling/isdn/pri_timer_limits.h).
    auto range = [](const isdn::pri_timer::Limits& l) { return CLI::Range(l.min, l.max); };
    app.add_option("--t309-ms", t309_ms,
                   "T309 (Q.931 5.8.8): connected calls outlive a D-channel outage this long, then end with cause 27")
        ->check(range(isdn::pri_timer::t309_ms));
    app.add_option("--t200-ms", t200_ms, "T200 (Q.921 5.9.1): wait for an acknowledgement before retransmitting")
        ->check(range(isdn::pri_timer::t200_ms));
    app.add_option("--n200", n200, "N200 (Q.921 5.9.2): retransmissions before the link is given up")
        ->check(range(isdn::pri_timer::n200));
    app.add_option("--t203-ms", t203_ms, "T203 (Q.921 5.9.8): silence before an idle link is polled; above T200")
        ->check(range(isdn::pri_timer::t203_ms));
    CLI11_PARSE(app, argc, argv);
    if (!isdn::pri_timer::q921_timers_ordered(t200_ms, t203_ms)) {
        std::fprintf(stderr, "pstn-sim: --t203-ms must be above --t200-ms (%s)\n", isdn::pri_timer::q921_order_reason);
        return 2;
    }
    if (realtime_priority > 0) {
        sched_param sp{};
        sp.sched_priority = realtime_priority;
        if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
            std::fprintf(stderr, "pstn-sim: SCHED_FIFO priority %d: %s\n", realtime_priority, std::strerror(errno));
            return 1;
        }
    }
    for (const std::string& sp : orig.spans) {
        if (std::none_of(span_args.begin(), span_args.end(),
                         [&sp](const std::string& a) { return a.compare(0, sp.size() + 1, sp + ",") == 0; })) {
            std::fprintf(stderr, "pstn-sim: --originate-span %s: no such --span\n", sp.c_str());
            return 2;
        }
    }
    if (orig.count > 0 && orig.called.empty()) {
        std::fprintf(stderr, "pstn-sim: --originate needs --called\n");
        return 2;
    }

    std::map<std::string, Behaviour> behaviours;
    try {
        for (const std::string& b : behave_args) {
            auto eq = b.find('=');
            if (eq == std::string::npos) {
                throw std::invalid_argument("--behave " + b + ": PREFIX=ACTION");
            }
            behaviours[b.substr(0, eq)] = parse_behaviour(b.substr(eq + 1));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pstn-sim: %s\n", e.what());
        return 2;
    }

    std::FILE* calls_out = stdout;
    if (!calls_path.empty()) {
        calls_out = std::fopen(calls_path.c_str(), "w");
        if (calls_out == nullptr) {
            std::fprintf(stderr, "pstn-sim: %s: %s\n", calls_path.c_str(), std::strerror(errno));
            return 1;
        }
    }
    ScriptedCalls model(behaviours, tone_hz, tone_dbm0, [calls_out](const std::string& json) {
        std::fprintf(calls_out, "%s\n", json.c_str());
        std::fflush(calls_out);  // tests follow the file
    });

    isdn::PriLink::set_log_sink([](const std::string& span, bool error, const std::string& text) {
        if (error) {
            std::fprintf(stderr, "pstn-sim: %s: libpri: %s\n", span.c_str(), text.c_str());
        }
    });
    std::vector<std::unique_ptr<Span>> spans;
    std::vector<std::unique_ptr<Link>> links;
    // One socket per local endpoint: spans may share one (told apart by
    // their remotes), so that a hundred spans cost a recvmmsg and a
    // sendmmsg per millisecond, not a system call per packet.
    std::map<std::pair<uint32_t, uint16_t>, std::unique_ptr<PwSocket>> sockets;
    try {
        for (const std::string& a : span_args) {
            auto sp = std::make_unique<Span>();
            sp->spec = parse_span(a);
            if (!isdn::switch_type_value(sp->spec.switch_type)) {
                throw std::invalid_argument("span " + sp->spec.name + ": unknown switch " + sp->spec.switch_type +
                                            " (known: " + std::string(isdn::switch_type_names()) + ")");
            }
            sp->silenceable = silence_spans.empty() || std::find(silence_spans.begin(), silence_spans.end(),
                                                                 sp->spec.name) != silence_spans.end();
            Span* raw = sp.get();
            auto& socket = sockets[{sp->spec.line.local.sin_addr.s_addr, sp->spec.line.local.sin_port}];
            if (!socket) {
                socket = std::make_unique<PwSocket>(sp->spec.line.local);
            }
            sp->line = std::make_unique<FarEndLine>(sp->spec.line, *socket, [raw](const uint8_t* f, std::size_t n) {
                if (raw->pri != nullptr && (g_dchan_off == 0 || !raw->silenceable)) {
                    raw->pri->receive(raw->dchannel, f, n);
                }
            });
            spans.push_back(std::move(sp));
        }
        // One link per span, or per NFAS group (primary D-channel first).
        std::vector<std::string> groups_done;
        for (auto& sp : spans) {
            const std::string& g = sp->spec.nfas_group;
            if (!g.empty() && std::find(groups_done.begin(), groups_done.end(), g) != groups_done.end()) {
                continue;
            }
            std::vector<Span*> members;
            for (auto& m : spans) {
                if (m.get() == sp.get() || (!g.empty() && m->spec.nfas_group == g)) {
                    members.push_back(m.get());
                }
            }
            auto rank = [](const Span* x) { return x->spec.dchannel == "primary" ? 0 : x->spec.dchannel == "backup" ? 1 : 2; };
            std::stable_sort(members.begin(), members.end(), [&rank](Span* x, Span* y) { return rank(x) < rank(y); });
            if (!g.empty()) {
                groups_done.push_back(g);
                if (members.front()->spec.dchannel != "primary" || (members.size() > 1 && rank(members[1]) == 0)) {
                    throw std::invalid_argument("NFAS group " + g + ": exactly one span with dchannel=primary");
                }
            }
            const SpanSpec& first = members.front()->spec;
            isdn::PriLinkConfig pc;
            pc.name = g.empty() ? first.name : g;
            pc.network_side = first.network_side;
            pc.switch_type = *isdn::switch_type_value(first.switch_type);
            pc.e1 = first.line.type == tdm::LineType::e1;
            // A carrier hunts from the bottom; the gateway (CPE) from the top.
            pc.hunting = first.network_side ? isdn::ChannelHunting::ascending : isdn::ChannelHunting::descending;
            pc.nfas = !g.empty();
            pc.t309_ms = t309_ms;
            pc.t200_ms = t200_ms;
            pc.n200 = n200;
            pc.t203_ms = t203_ms;
            std::vector<isdn::PriLink::DchannelOut> outs;
            for (Span* m : members) {
                pc.interfaces.push_back({m->spec.name, m->spec.nfas_interface, m->spec.line.dchannel});
                if (!m->spec.line.dchannel) {
                    continue;
                }
                m->dchannel = outs.size();
                outs.push_back({m->spec.name, [m](const uint8_t* f, std::size_t n) {
                                    return (g_dchan_off == 0 || !m->silenceable) && m->line->send_dchan(f, n);
                                }});
            }
            auto link = std::make_unique<Link>();
            link->pri = std::make_unique<isdn::PriLink>(pc, std::move(outs));
            for (Span* m : members) {
                m->pri = link->pri.get();
                model.add_link(*link->pri, m->spec.name, m->line->law());
            }
            links.push_back(std::move(link));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pstn-sim: %s\n", e.what());
        return 2;
    }
    model.originate(orig);
    model.set_audio(!no_audio);
    if (!play_path.empty()) {
        std::FILE* pf = std::fopen(play_path.c_str(), "rb");
        std::vector<uint8_t> samples;
        if (pf != nullptr) {
            uint8_t buf[4096];
            std::size_t n;
            while ((n = std::fread(buf, 1, sizeof(buf), pf)) > 0) {
                samples.insert(samples.end(), buf, buf + n);
            }
            std::fclose(pf);
        }
        if (samples.empty()) {
            std::fprintf(stderr, "pstn-sim: --play %s: unreadable or empty\n", play_path.c_str());
            return 2;
        }
        model.play_file(std::move(samples));
    }
    if (!key_digits.empty()) {
        try {
            model.key_digits(key_digits);
        } catch (const std::invalid_argument& e) {
            std::fprintf(stderr, "pstn-sim: --key: %s\n", e.what());
            return 2;
        }
    }
    std::signal(SIGTERM, [](int) { g_stop = 1; });
    std::signal(SIGINT, [](int) { g_stop = 1; });
    g_dchan_off = silent_at_start ? 1 : 0;
    std::signal(SIGUSR1, [](int) { g_dchan_off = 1; });
    std::signal(SIGUSR2, [](int) { g_dchan_off = 0; });

    // A link carries calls once it is up and both sides' restarts are over:
    // ours, and the gateway's (one per B-channel), or 3 s without any.
    auto ready = [&links](const isdn::PriLink& l) {
        for (const auto& k : links) {
            if (k->pri.get() == &l) {
                return k->idle_since_ms >= 0 &&
                       (l.counters().restarts_received >= l.bearer_channels().size() ||
                        mono_ms() - k->idle_since_ms > 3000);
            }
        }
        return false;
    };
    const double start = mono_ms();
    // The lines' clock: 8000 frames/s from CLOCK_MONOTONIC, and every frame
    // is played, even after we were descheduled for a while (caught up in
    // blocks): a real line does not lose frames when the switch's CPU is
    // busy, and frames skipped here would cut the D-channel's HDLC frames
    // short at the gateway (aborts, CRC errors, Q.921 retransmissions). Only
    // a stall beyond the lines' jitter buffers' reach (1 s) is skipped,
    // and counted.
    const uint64_t clock_start_ns = mono_ns();
    uint64_t frames_played = 0;
    uint64_t frames_skipped = 0;
    bool was_off = false;
    while (g_stop == 0 && mono_ms() - start < seconds * 1000) {
        const double now = mono_ms() - start;
        if ((g_dchan_off != 0) != was_off) {
            was_off = g_dchan_off != 0;
            std::fprintf(stderr, "pstn-sim: D-channels %s\n", was_off ? "silenced" : "restored");
        }
        for (auto& k : links) {
            k->pri->run_timers();
            if (k->pri->up() != k->was_up) {
                k->was_up = k->pri->up();
                std::fprintf(stderr, "pstn-sim: span %s: D-channel %s at %.3f s\n", k->pri->config().name.c_str(),
                             k->was_up ? "up" : "down", (mono_ms() - start) / 1000);
            }
            const bool idle = k->pri->up() && !k->pri->restarting();
            if (idle && k->idle_since_ms < 0) {
                k->idle_since_ms = mono_ms();
            } else if (!idle) {
                k->idle_since_ms = -1;
            }
        }
        model.poll(now, ready);
        // Done once every placed call has ended and each link has finished
        // its clearing (RELEASE COMPLETE), so the far end is left with
        // nothing half-released.
        if (until_done && orig.count > 0 && model.origination_done() &&
            std::all_of(links.begin(), links.end(), [](const auto& k) { return k->pri->call_count() == 0; })) {
            break;
        }
        const uint64_t should = (mono_ns() - clock_start_ns) / 125'000;  // one frame every 125 us
        uint64_t due_total = should - frames_played;
        if (due_total > 8000) {
            frames_skipped += due_total - 8000;
            frames_played = should - 8000;
            due_total = 8000;
        }
        if (due_total < 8) {
            // Lines advance a millisecond (8 frames) at a time: one pass
            // per millisecond, not one per frame (pacing, not
            // synchronisation: the clock decides).
            timespec ts{0, static_cast<long>(8 - due_total) * 125'000};
            nanosleep(&ts, nullptr);
            continue;
        }
        while (due_total > 0) {
            const auto due = static_cast<uint32_t>(std::min<uint64_t>(due_total, FarEndLine::max_frames_per_advance));
            due_total -= due;
            frames_played += due;
            // What arrived counts when frames are played out (advance;
            // the jitter buffers absorb the phase).
            for (auto& [local, socket] : sockets) {
                socket->receive();
            }
            model.index_audio();
            for (auto& sp : spans) {
                uint8_t* tx = sp->line->tx_frames();
                std::memset(tx, sp->line->idle_code(), due * tdm::span_frame_octets);
                model.audio_out(sp->spec.name, tx, due);
                sp->line->advance(due);
                model.audio_in(sp->spec.name, sp->line->rx_frames(), due);
            }
            for (auto& [local, socket] : sockets) {
                socket->flush();
            }
        }
    }
    nlohmann::json span_json = nlohmann::json::array();
    for (auto& sp : spans) {
        const auto& c = sp->pri->counters();
        // What a call left at exit was doing (a test that finds one wants
        // to know whether it was stuck or still clearing).
        nlohmann::json left = nlohmann::json::object();
        for (const auto& call : sp->pri->calls()) {
            left[isdn::pri_call_state_name(call.state)] = left.value(isdn::pri_call_state_name(call.state), 0) + 1;
        }
        span_json.push_back({{"span", sp->spec.name},
                             {"link", sp->pri->config().name},
                             {"up", sp->pri->up()},
                             {"dchan_up", c.dchan_up},
                             {"dchan_down", c.dchan_down},
                             {"restarts_sent", c.restarts_sent},
                             {"restart_acks", c.restart_acks},
                             {"restarts_received", c.restarts_received},
                             {"calls_in", c.calls_in},
                             {"calls_out", c.calls_out},
                             {"calls_left", sp->pri->call_count()},
                             {"calls_left_by_state", left},
                             {"crc_errors", sp->line->span().counters().line.crc_errors},
                             {"pw_lost", sp->line->span().counters().pw_lost},
                             {"pw_slips", sp->line->span().counters().pw_slips},
                             {"rx_frames_filled", sp->line->span().counters().rx_frames_filled},
                             {"rx_frames_dropped", sp->line->span().counters().rx_frames_dropped},
                             {"dchan_frames_rx", sp->line->dchan_counters().frames_rx},
                             {"dchan_frames_tx", sp->line->dchan_counters().frames_tx},
                             {"dchan_crc_errors", sp->line->dchan_counters().crc_errors},
                             {"dchan_aborts", sp->line->dchan_counters().aborts},
                             {"dchan_tx_refused", sp->line->dchan_refused()}});
    }
    // Every call's record is out before the summary (the last line: tests
    // read it) and before the records' file closes.
    model.flush_records();
    nlohmann::json summary = nlohmann::json::parse(model.summary_json());
    summary["spans"] = span_json;
    nlohmann::json socket_json = nlohmann::json::array();
    for (const auto& [local, socket] : sockets) {
        socket_json.push_back({{"unknown_source", socket->unknown_source()},
                               {"truncated", socket->truncated()},
                               {"send_errors", socket->send_errors()}});
    }
    summary["pw_sockets"] = socket_json;
    summary["frames_skipped"] = frames_skipped;
    std::printf("%s\n", summary.dump().c_str());
    if (calls_out != stdout) {
        std::fclose(calls_out);
    }
    return 0;
}
