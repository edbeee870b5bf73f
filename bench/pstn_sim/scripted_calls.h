// pstn-sim's call model: what the simulated carrier does with the calls the
// gateway sends it (a Behaviour per called-number prefix), the calls it
// places into the gateway (an Origination: count, rate, concurrency), and
// one record per call with its times, cause, digits and audio measures.
// It drives real PriLinks (libpri) through PriCallHandler; the owner runs
// poll() often (every loop pass) and moves each connected call's audio
// with audio_for_line().
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/audio/tone.h"
#include "bench/pstn_sim/record_writer.h"
#include "signaling/isdn/pri_call.h"
#include "signaling/isdn/pri_link.h"

namespace trunkgw::pstnsim {

// What the carrier does with a call to a number.
struct Behaviour {
    enum class Action {
        answer,  // proceeding, alerting after alert_ms, CONNECT after answer_ms
        ring,    // proceeding, alerting, never answers (the caller gives up)
        reject,  // cleared with `cause` at once (RELEASE COMPLETE or DISCONNECT, as Q.931 says for the cause)
        busy,    // proceeding, then DISCONNECT cause 17 with in-band tones (PI #8)
    };
    Action action = Action::answer;
    uint32_t alert_ms = 0;     // ALERTING this long after the SETUP
    uint32_t answer_ms = 100;  // CONNECT this long after the SETUP
    uint32_t hangup_ms = 0;    // answer: we clear (cause 16) after this long connected; 0: never
    int cause = 16;            // reject: the Q.850 cause
    bool early_media = false;  // PROGRESS with PI #8 before alerting
    // Overlap receiving: SETUP ACKNOWLEDGE and INFORMATION until the called
    // number has this many digits (0: en bloc; Sending Complete ends it too).
    uint32_t overlap_digits = 0;
    bool echo = false;  // answered: send back what arrives instead of the tone
};

// Behaviours are keyed "PREFIX" or "SPAN/PREFIX" (for calls arriving on that
// span; it wins over a plain prefix); the longest prefix wins, "*" matches
// everything.
// "answer", "ring", "busy", "reject" followed by ",key=value" options:
// alert=MS answer=MS hangup=MS cause=N early_media=1 overlap=DIGITS echo=1.
// Throws std::invalid_argument naming the bad part.
Behaviour parse_behaviour(const std::string& text);

// Calls the carrier places into the gateway.
struct Origination {
    uint32_t count = 0;
    double rate_cps = 1;         // new calls per second at most
    uint32_t concurrency = 1;    // calls up at once at most
    std::vector<std::string> called;  // numbers dialled, in turn
    std::vector<std::string> spans;   // spans that place them, in turn (empty: every span)
    std::string calling;
    uint32_t hold_ms = 2000;     // answered calls are cleared (cause 16) after this
    uint32_t no_answer_ms = 30000;  // not answered by then: cleared with cause 16
    // Overlap sending (Q.931 5.1.3): the SETUP carries only this many
    // digits, without Sending Complete; the rest follow one INFORMATION per
    // digit, digit_interval_ms apart, once SETUP ACKNOWLEDGE arrives.
    // 0: en bloc.
    uint32_t overlap_digits = 0;
    uint32_t digit_interval_ms = 100;
    int channel = 0;                // the B-channel asked for (0: hunt)
    bool preferred = false;         // ask for it as preferred (default exclusive)
    // Overlap sending is not offered: the SETUP carries the whole number
    // with Sending Complete where the switch type sends it.
};

struct CallRecord {
    uint64_t seq = 0;  // order of creation in this process, from 1
    std::string span;
    bool outgoing = false;  // placed by the carrier into the gateway
    uint32_t link_call = 0;
    int channel = 0;
    std::string called;
    std::string calling;
    std::string behaviour;  // incoming: the action applied
    // Milliseconds since pstn-sim started (-1: never).
    double setup_ms = -1, proceeding_ms = -1, alerting_ms = -1, answer_ms = -1, end_ms = -1;
    int cause = -1;
    std::string cleared_by;  // "far" (the gateway) or "near" (us)
    std::vector<uint8_t> received;  // audio while connected (bounded)
    std::optional<audio::ToneGenerator> tone;
    bool echo = false;
    std::deque<uint8_t> echo_fifo;
    std::size_t play_pos = 0;  // playing a file: the next sample
    std::vector<uint8_t> keyed;  // DTMF keyed when answered, before the tone (or file)
    std::size_t keyed_pos = 0;
    // Scheduled actions (ms since start; < 0: none).
    double do_alert_at = -1, do_progress_at = -1, do_answer_at = -1, do_hangup_at = -1;
    double do_digit_at = -1;        // overlap sending: the next INFORMATION
    std::string digits_to_send;
    int hangup_cause = 16;
    uint32_t want_digits = 0;
};

class ScriptedCalls : public isdn::PriCallHandler {
public:
    // JSON line per finished call (called on the record writer's thread,
    // in the order the calls ended; see record_writer.h).
    using RecordSink = RecordWriter::Sink;

    ScriptedCalls(std::map<std::string, Behaviour> by_prefix, double tone_hz, double tone_dbm0, RecordSink sink);

    // A line this model serves (a span of `link`: an NFAS link has
    // several); `law` for its tones and measures.
    void add_link(isdn::PriLink& link, const std::string& span, audio::Law law);
    // Answered calls play this (raw G.711 in the line's law, looped)
    // instead of the tone; empty: the tone.
    void play_file(std::vector<uint8_t> samples) { _play = std::move(samples); }
    // Answered calls first key these DTMF digits (100 ms tones, 100 ms
    // pauses: a caller answering an IVR), then play the tone or file.
    // Throws std::invalid_argument for a character that is no key.
    void key_digits(std::string digits);
    // Off: answered calls send the idle code and nothing is recorded or
    // measured (load tests that only count calls).
    void set_audio(bool on) { _audio = on; }
    // Calls to place, spread round robin over the links that are ready.
    void originate(const Origination& o) { _orig = o; }

    // Scheduled actions and origination; `ready(link)`: the link may carry
    // calls (up, both sides' restarts over).
    void poll(double now_ms, const std::function<bool(const isdn::PriLink&)>& ready);
    // Audio of every connected call on `span`, `due` frames at a time:
    // audio_out() writes our tone (or the echo) into the frames about to
    // be sent, audio_in() keeps what arrived (and queues it for the echo).
    // Both walk the calls index_audio() found on the span: call it once
    // before each round of audio_out/audio_in, so that N spans cost
    // O(calls + N), not O(calls x N). A call that ends meanwhile (a
    // D-channel frame in advance() can clear it) leaves the index at once;
    // one answered meanwhile joins at the next index_audio().
    void index_audio();
    void audio_out(const std::string& span, uint8_t* tx, uint32_t due);
    void audio_in(const std::string& span, const uint8_t* rx, uint32_t due);

    bool origination_done() const { return _placed >= _orig.count && _calls.empty(); }
    std::size_t active_calls() const { return _calls.size(); }
    const std::map<int, uint64_t>& causes() const { return _causes; }
    uint64_t finished() const { return _finished; }
    uint64_t answered() const { return _answered; }
    std::string summary_json() const;
    // Returns once every finished call's record has reached the sink (they
    // are finished on the record writer's thread).
    void flush_records() { _writer.flush(); }

    // isdn::PriCallHandler
    void call_incoming(isdn::PriLink& link, uint32_t call, const isdn::PriCallInfo& info) override;
    void call_digits(isdn::PriLink& link, uint32_t call, const std::string& called, bool complete) override;
    void call_digit_timeout(isdn::PriLink& link, uint32_t call) override;
    void call_progress(isdn::PriLink& link, uint32_t call, isdn::PriCallProgress what, bool inband) override;
    void call_answered(isdn::PriLink& link, uint32_t call) override;
    void call_cleared(isdn::PriLink& link, uint32_t call, int cause) override;

private:
    struct Line {
        isdn::PriLink* link;
        std::string span;
        audio::Law law;
    };
    using Key = std::pair<const isdn::PriLink*, uint32_t>;

    const Behaviour& behaviour_for(const std::string& span, const std::string& called, std::string* name) const;
    void start_behaviour(isdn::PriLink& link, CallRecord& r, const Behaviour& b);
    void connected(CallRecord& r, const Line& line);
    static void refresh_channel(const isdn::PriLink& link, CallRecord& r);
    void finish(Key key, int cause, const char* by);
    Line& line_of(const std::string& span);
    // Queues the call's next look at `at_ms` (poll); returns at_ms.
    double schedule(const Key& key, double at_ms);

    std::map<std::string, Behaviour> _by_prefix;
    double _tone_hz;
    double _tone_dbm0;
    std::vector<uint8_t> _play;
    std::string _key_digits;
    bool _audio = true;
    RecordWriter _writer;  // records still queued when the model goes are written first
    std::vector<Line> _lines;
    std::unordered_map<std::string, std::size_t> _line_of_span;  // span -> _lines index
    // When to look at which call (a min-heap; may hold entries already done).
    std::priority_queue<std::pair<double, Key>, std::vector<std::pair<double, Key>>, std::greater<>> _schedule;
    std::size_t _outgoing_active = 0;  // calls up that we placed (origination's concurrency)
    std::map<Key, CallRecord> _calls;
    std::map<std::string, std::vector<CallRecord*>> _audio_by_span;  // index_audio()
    // fn(CallRecord&) for each call index_audio() found on `span` still there.
    template <typename Fn>
    void for_each_audio_call(const std::string& span, Fn fn);
    std::map<Key, Behaviour> _call_behaviour;
    Origination _orig;
    uint32_t _placed = 0;
    double _next_orig_ms = 0;
    std::size_t _next_line = 0;
    uint64_t _seq = 0;
    uint64_t _finished = 0;
    uint64_t _answered = 0;
    std::map<int, uint64_t> _causes;
    double _now_ms = 0;
};

}  // namespace trunkgw::pstnsim
