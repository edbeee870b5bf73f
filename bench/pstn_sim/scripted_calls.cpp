// pstn-sim's call model; see scripted_calls.h.
#include "bench/pstn_sim/scripted_calls.h"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "bench/audio/dtmf.h"
#include "bench/audio/sinad.h"
#include "tdm/span/span_driver.h"

namespace trunkgw::pstnsim {

namespace {

// Q.850 cause 16, normal call clearing; 17 user busy; 28 invalid number
// format (address incomplete), Q.931 5.2.4.3 on T302 expiry.
constexpr int cause_normal = 16;
constexpr int cause_busy = 17;
constexpr int cause_incomplete = 28;
// Audio kept per call: 20 s is plenty for a SINAD window and bounds memory.
constexpr std::size_t max_recorded = 20 * 8000;
// A keypad's digits: Q.24 wants at least 40 ms of tone and of pause; a
// person keys slower.
constexpr int keyed_on_ms = 100;
constexpr int keyed_off_ms = 100;

uint32_t parse_u32(const std::string& key, const std::string& v)
{
    std::size_t used = 0;
    unsigned long x = 0;
    try {
        x = std::stoul(v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != v.size() || v.empty() || x > 3'600'000) {
        throw std::invalid_argument(key + "=" + v + ": not a number from 0 to 3600000");
    }
    return static_cast<uint32_t>(x);
}

}  // namespace

Behaviour parse_behaviour(const std::string& text)
{
    Behaviour b;
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        std::size_t comma = text.find(',', start);
        parts.push_back(text.substr(start, comma - start));
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    const std::string& action = parts[0];
    if (action == "answer") {
        b.action = Behaviour::Action::answer;
    } else if (action == "ring") {
        b.action = Behaviour::Action::ring;
    } else if (action == "reject") {
        b.action = Behaviour::Action::reject;
    } else if (action == "busy") {
        b.action = Behaviour::Action::busy;
    } else {
        throw std::invalid_argument("'" + action + "': the action is answer, ring, reject or busy");
    }
    for (std::size_t i = 1; i < parts.size(); ++i) {
        auto eq = parts[i].find('=');
        if (eq == std::string::npos) {
            throw std::invalid_argument("'" + parts[i] + "': options are key=value");
        }
        std::string k = parts[i].substr(0, eq);
        std::string v = parts[i].substr(eq + 1);
        if (k == "alert") {
            b.alert_ms = parse_u32(k, v);
        } else if (k == "answer") {
            b.answer_ms = parse_u32(k, v);
        } else if (k == "hangup") {
            b.hangup_ms = parse_u32(k, v);
        } else if (k == "cause") {
            b.cause = static_cast<int>(parse_u32(k, v));
            if (b.cause < 1 || b.cause > 127) {
                throw std::invalid_argument("cause=" + v + ": a Q.850 cause is 1 to 127");
            }
        } else if (k == "early_media") {
            b.early_media = parse_u32(k, v) != 0;
        } else if (k == "overlap") {
            b.overlap_digits = parse_u32(k, v);
        } else if (k == "echo") {
            b.echo = parse_u32(k, v) != 0;
        } else {
            throw std::invalid_argument("'" + k + "': options are alert, answer, hangup, cause, early_media, "
                                        "overlap, echo");
        }
    }
    return b;
}

ScriptedCalls::ScriptedCalls(std::map<std::string, Behaviour> by_prefix, double tone_hz, double tone_dbm0,
                             RecordSink sink)
    : _by_prefix(std::move(by_prefix)), _tone_hz(tone_hz), _tone_dbm0(tone_dbm0), _writer(std::move(sink))
{
}

void ScriptedCalls::add_link(isdn::PriLink& link, const std::string& span, audio::Law law)
{
    _line_of_span[span] = _lines.size();
    _lines.push_back({&link, span, law});
    link.set_call_handler(this);
}

ScriptedCalls::Line& ScriptedCalls::line_of(const std::string& span)
{
    auto it = _line_of_span.find(span);
    if (it == _line_of_span.end()) {
        throw std::logic_error("pstn-sim: a call on a link it does not serve");
    }
    return _lines[it->second];
}

double ScriptedCalls::schedule(const Key& key, double at_ms)
{
    _schedule.emplace(at_ms, key);
    return at_ms;
}

const Behaviour& ScriptedCalls::behaviour_for(const std::string& span, const std::string& called,
                                              std::string* name) const
{
    // A span's own entries first, then the plain ones; the longest prefix
    // wins within each; "*" matches every number.
    static const Behaviour fallback;
    for (bool span_keys : {true, false}) {
        const Behaviour* best = nullptr;
        std::size_t best_len = 0;
        for (const auto& [key, b] : _by_prefix) {
            auto slash = key.find('/');
            if (span_keys != (slash != std::string::npos)) {
                continue;
            }
            if (span_keys && key.compare(0, slash, span) != 0) {
                continue;
            }
            std::string prefix = span_keys ? key.substr(slash + 1) : key;
            if (prefix == "*") {
                prefix.clear();
            }
            if (called.compare(0, prefix.size(), prefix) == 0 && (best == nullptr || prefix.size() > best_len)) {
                best = &b;
                best_len = prefix.size();
                *name = key;
            }
        }
        if (best != nullptr) {
            return *best;
        }
    }
    *name = "default";
    return fallback;
}

void ScriptedCalls::call_incoming(isdn::PriLink& link, uint32_t call, const isdn::PriCallInfo& info)
{
    Key key{&link, call};
    CallRecord& r = _calls[key];
    r.seq = ++_seq;
    const isdn::PriLink::Located at = link.locate(info.channel);
    r.span = at.span != nullptr ? *at.span : link.config().name;
    r.link_call = call;
    r.channel = at.timeslot;
    r.called = info.called.digits;
    r.calling = info.calling.digits;
    r.setup_ms = _now_ms;
    const Behaviour& b = behaviour_for(r.span, r.called, &r.behaviour);
    _call_behaviour[key] = b;
    if (b.overlap_digits > r.called.size() && !info.sending_complete) {
        // Q.931 5.2.4: SETUP ACKNOWLEDGE, then INFORMATION until complete.
        r.want_digits = b.overlap_digits;
        link.call_need_more_info(call);
        return;
    }
    start_behaviour(link, r, b);
}

void ScriptedCalls::start_behaviour(isdn::PriLink& link, CallRecord& r, const Behaviour& b)
{
    Key key{&link, r.link_call};
    r.echo = b.echo;
    if (b.action == Behaviour::Action::reject) {
        int cause = b.cause;
        link.call_hangup(r.link_call, cause);
        finish(key, cause, "near");
        return;
    }
    link.call_proceeding(r.link_call, false);
    r.proceeding_ms = _now_ms;
    if (b.early_media) {
        r.do_progress_at = schedule(key, _now_ms);
    }
    if (b.action == Behaviour::Action::busy) {
        r.do_hangup_at = schedule(key, _now_ms + b.alert_ms);
        r.hangup_cause = cause_busy;
        return;
    }
    r.do_alert_at = schedule(key, _now_ms + b.alert_ms);
    if (b.action == Behaviour::Action::answer) {
        r.do_answer_at = schedule(key, _now_ms + std::max(b.answer_ms, b.alert_ms));
    }
}

void ScriptedCalls::call_digits(isdn::PriLink& link, uint32_t call, const std::string& called, bool complete)
{
    Key key{&link, call};
    auto it = _calls.find(key);
    if (it == _calls.end()) {
        return;
    }
    it->second.called = called;
    if (complete || called.size() >= it->second.want_digits) {
        start_behaviour(link, it->second, _call_behaviour[key]);
    }
}

void ScriptedCalls::call_digit_timeout(isdn::PriLink& link, uint32_t call)
{
    // Q.931 5.2.4.3: T302 expired and the number is not complete: clear
    // with cause 28.
    link.call_hangup(call, cause_incomplete);
    finish({&link, call}, cause_incomplete, "near");
}

void ScriptedCalls::call_progress(isdn::PriLink& link, uint32_t call, isdn::PriCallProgress what, bool)
{
    auto it = _calls.find({&link, call});
    if (it == _calls.end()) {
        return;
    }
    CallRecord& r = it->second;
    refresh_channel(link, r);
    if (what == isdn::PriCallProgress::setup_acknowledged && !r.digits_to_send.empty()) {
        r.do_digit_at = schedule(it->first, _now_ms);  // Q.931 5.1.3: the remaining digits, one INFORMATION each
    }
    if (what == isdn::PriCallProgress::proceeding && r.proceeding_ms < 0) {
        r.proceeding_ms = _now_ms;
    } else if (what == isdn::PriCallProgress::alerting && r.alerting_ms < 0) {
        r.alerting_ms = _now_ms;
    }
}

void ScriptedCalls::connected(CallRecord& r, const Line& line)
{
    r.answer_ms = _now_ms;
    ++_answered;
    if (!_audio) {
        return;
    }
    if (!r.echo && _play.empty()) {
        r.tone.emplace(_tone_hz, _tone_dbm0, line.law);
    }
    if (!r.echo && !_key_digits.empty()) {
        r.keyed = audio::dtmf_keyed(_key_digits, line.law, keyed_on_ms, keyed_off_ms);
    }
    r.received.reserve(max_recorded);
}

void ScriptedCalls::key_digits(std::string digits)
{
    audio::dtmf_keyed(digits, audio::Law::alaw, keyed_on_ms, keyed_off_ms);  // refuses what is no key
    _key_digits = std::move(digits);
}

void ScriptedCalls::call_answered(isdn::PriLink& link, uint32_t call)
{
    auto it = _calls.find({&link, call});
    if (it == _calls.end()) {
        return;
    }
    refresh_channel(link, it->second);
    connected(it->second, line_of(it->second.span));
    it->second.do_hangup_at = schedule(it->first, _now_ms + _orig.hold_ms);
    it->second.hangup_cause = cause_normal;
}

// The gateway may give a call of ours another channel than the one asked
// for (a preferred one, or glare): the audio follows it.
void ScriptedCalls::refresh_channel(const isdn::PriLink& link, CallRecord& r)
{
    const isdn::PriLink::Located at = link.locate(link.call_channel(r.link_call));
    if (at.span != nullptr) {
        r.span = *at.span;
        r.channel = at.timeslot;
    }
}

void ScriptedCalls::call_cleared(isdn::PriLink& link, uint32_t call, int cause)
{
    finish({&link, call}, cause, "far");
}

void ScriptedCalls::finish(Key key, int cause, const char* by)
{
    auto it = _calls.find(key);
    if (it == _calls.end()) {
        return;
    }
    CallRecord& r = it->second;
    r.end_ms = _now_ms;
    r.cause = cause;
    r.cleared_by = by;
    nlohmann::json j = {
        {"call", r.seq},
        {"span", r.span},
        {"direction", r.outgoing ? "to_gateway" : "from_gateway"},
        {"channel", r.channel},
        {"called", r.called},
        {"calling", r.calling},
        {"cause", r.cause},
        {"cleared_by", r.cleared_by},
    };
    if (!r.outgoing) {
        j["behaviour"] = r.behaviour;
    }
    auto ms = [&j](const char* name, double v) {
        if (v >= 0) {
            j[name] = static_cast<int64_t>(v);
        }
    };
    ms("setup_ms", r.setup_ms);
    ms("proceeding_ms", r.proceeding_ms);
    ms("alerting_ms", r.alerting_ms);
    ms("answer_ms", r.answer_ms);
    ms("end_ms", r.end_ms);
    if (r.answer_ms >= 0) {
        j["connected_ms"] = static_cast<int64_t>(r.end_ms - r.answer_ms);
    }
    if (r.answer_ms >= 0 && _audio) {
        // Measured on the writer's thread, not the lines' (record_writer.h).
        _writer.submit([j = std::move(j), received = std::move(r.received), law = line_of(r.span).law,
                        hz = _tone_hz, sent = r.echo ? "echo" : _play.empty() ? "tone" : "file"]() mutable {
            audio::ToneMeasurement m = audio::best_tone_window(received, law, hz);
            j["audio"] = {{"received_samples", received.size()},
                          {"tone_sinad_db", m.sinad_db},
                          {"tone_level_dbm0", m.level_dbm0},
                          {"tone_freq_hz", m.freq_hz},
                          {"dtmf", audio::dtmf_digits(received, law)},  // digits heard on the call
                          {"sent", sent}};
            return j.dump();
        });
    } else {
        _writer.submit([line = j.dump()] { return line; });
    }
    ++_causes[cause];
    ++_finished;
    _outgoing_active -= r.outgoing ? 1 : 0;
    for (auto& [span, v] : _audio_by_span) {
        std::erase(v, &r);  // the record is about to go: out of the audio index
    }
    _calls.erase(it);
    _call_behaviour.erase(key);
}

void ScriptedCalls::poll(double now_ms, const std::function<bool(const isdn::PriLink&)>& ready)
{
    _now_ms = now_ms;
    // Scheduled actions: the calls with one due, from the queue (not a
    // scan of every call per pass: with 3,000 calls up that scan was the
    // largest part of pstn-sim's CPU). Collected first: finishing erases.
    // An entry whose call has gone, or whose action was done or moved
    // meanwhile, finds nothing due below.
    std::vector<Key> due;
    while (!_schedule.empty() && _schedule.top().first <= now_ms) {
        due.push_back(_schedule.top().second);
        _schedule.pop();
    }
    for (const Key& key : due) {
        auto it = _calls.find(key);
        if (it == _calls.end()) {
            continue;
        }
        CallRecord& r = it->second;
        Line& line = line_of(r.span);
        isdn::PriLink& link = *line.link;
        if (r.do_digit_at >= 0 && now_ms >= r.do_digit_at) {
            r.do_digit_at = -1;
            if (!r.digits_to_send.empty() && link.call_information(r.link_call, r.digits_to_send.substr(0, 1)) == 0) {
                r.digits_to_send.erase(0, 1);
                if (!r.digits_to_send.empty()) {
                    r.do_digit_at = schedule(key, now_ms + _orig.digit_interval_ms);
                }
            }
        }
        if (r.do_progress_at >= 0 && now_ms >= r.do_progress_at) {
            r.do_progress_at = -1;
            link.call_progress(r.link_call);
        }
        if (r.do_alert_at >= 0 && now_ms >= r.do_alert_at) {
            r.do_alert_at = -1;
            link.call_alerting(r.link_call, false);
            r.alerting_ms = now_ms;
        }
        if (r.do_answer_at >= 0 && now_ms >= r.do_answer_at) {
            r.do_answer_at = -1;
            if (link.call_answer(r.link_call) == 0) {
                connected(r, line);
                const Behaviour& b = _call_behaviour[key];
                if (b.hangup_ms != 0) {
                    r.do_hangup_at = schedule(key, now_ms + b.hangup_ms);
                    r.hangup_cause = cause_normal;
                }
            }
        }
        if (r.do_hangup_at >= 0 && now_ms >= r.do_hangup_at) {
            r.do_hangup_at = -1;
            int cause = r.hangup_cause;
            link.call_hangup(r.link_call, cause);
            finish(key, cause, "near");
        }
    }
    // Origination.
    if (_placed >= _orig.count || now_ms < _next_orig_ms || _lines.empty()) {
        return;
    }
    if (_outgoing_active >= _orig.concurrency) {
        return;
    }
    // The gateway may route a call to any span, not only back the way it
    // came: while a link that is up still restarts its B-channels, a SETUP
    // sent there can meet our RESTART for its channel (Q.931 5.5.2: the
    // call is cleared). So every link that is up must be ready first.
    for (const Line& line : _lines) {
        if (line.link->up() && !ready(*line.link)) {
            return;
        }
    }
    for (std::size_t k = 0; k < _lines.size(); ++k) {
        Line& line = _lines[(_next_line + k) % _lines.size()];
        if (!_orig.spans.empty() &&
            std::find(_orig.spans.begin(), _orig.spans.end(), line.span) == _orig.spans.end()) {
            continue;
        }
        if (!ready(*line.link)) {
            continue;
        }
        const std::string& called = _orig.called[_placed % _orig.called.size()];
        _next_line = (_next_line + k + 1) % _lines.size();
        isdn::PriCallInfo info;
        info.called.digits = called;
        info.called.ton = 2;  // national
        info.calling.digits = _orig.calling;
        info.calling.ton = 2;
        std::string rest;
        if (_orig.overlap_digits > 0 && _orig.overlap_digits < called.size()) {
            info.called.digits = called.substr(0, _orig.overlap_digits);
            rest = called.substr(_orig.overlap_digits);
        }
        info.sending_complete = rest.empty();
        // A network assigns channels (Q.931 5.1.2): exclusively, unless told.
        info.channel = _orig.channel;
        info.exclusive = !_orig.preferred && (line.link->config().network_side || _orig.channel != 0);
        int64_t id = line.link->call_setup(info, line.span);
        ++_placed;
        _next_orig_ms = now_ms + 1000.0 / _orig.rate_cps;
        Key key{line.link, id > 0 ? static_cast<uint32_t>(id) : 0};
        if (id <= 0) {
            // Refused here (no channel of ours, link down): a record all the same.
            key.second = 0x80000000u + _placed;
        }
        CallRecord& r = _calls[key];
        r.seq = ++_seq;
        r.span = line.span;
        if (!r.outgoing) {
            ++_outgoing_active;
        }
        r.outgoing = true;
        r.link_call = key.second;
        r.called = called;
        r.calling = _orig.calling;
        r.setup_ms = now_ms;
        if (id <= 0) {
            finish(key, static_cast<int>(-id), "near");
            return;
        }
        refresh_channel(*line.link, r);
        r.digits_to_send = rest;
        r.do_hangup_at = schedule(key, now_ms + _orig.no_answer_ms);
        r.hangup_cause = cause_normal;
        return;
    }
}

void ScriptedCalls::index_audio()
{
    if (!_audio) {
        return;  // nothing is played or recorded: nothing to index
    }
    for (auto& [span, v] : _audio_by_span) {
        v.clear();
    }
    for (auto& [key, r] : _calls) {
        if (r.answer_ms >= 0 && r.channel > 0) {
            _audio_by_span[r.span].push_back(&r);
        }
    }
}

template <typename Fn>
void ScriptedCalls::for_each_audio_call(const std::string& span, Fn fn)
{
    auto on_span = _audio_by_span.find(span);
    if (on_span == _audio_by_span.end()) {
        return;
    }
    for (CallRecord* r : on_span->second) {
        if (r->span == span) {  // else moved to another span's channel since index_audio()
            fn(*r);
        }
    }
}

void ScriptedCalls::audio_out(const std::string& span, uint8_t* tx, uint32_t due)
{
    for_each_audio_call(span, [&](CallRecord& r) {
        const auto ts = static_cast<std::size_t>(r.channel);
        for (uint32_t f = 0; f < due; ++f) {
            uint8_t out = 0;
            if (r.keyed_pos < r.keyed.size()) {
                out = r.keyed[r.keyed_pos++];
            } else if (r.tone) {
                out = r.tone->next();
            } else if (!r.echo && !_play.empty()) {
                out = _play[r.play_pos++ % _play.size()];
            } else if (!r.echo_fifo.empty()) {
                out = r.echo_fifo.front();
                r.echo_fifo.pop_front();
            } else {
                continue;  // echo with nothing to return yet: the idle code stays
            }
            tx[f * tdm::span_frame_octets + ts] = out;
        }
    });
}

void ScriptedCalls::audio_in(const std::string& span, const uint8_t* rx, uint32_t due)
{
    for_each_audio_call(span, [&](CallRecord& r) {
        const auto ts = static_cast<std::size_t>(r.channel);
        for (uint32_t f = 0; f < due; ++f) {
            uint8_t in = rx[f * tdm::span_frame_octets + ts];
            if (r.received.size() < max_recorded) {
                r.received.push_back(in);
            }
            if (r.echo && r.echo_fifo.size() < 8000) {
                r.echo_fifo.push_back(in);
            }
        }
    });
}

std::string ScriptedCalls::summary_json() const
{
    nlohmann::json causes = nlohmann::json::object();
    for (const auto& [c, n] : _causes) {
        causes[std::to_string(c)] = n;
    }
    return nlohmann::json{{"calls_finished", _finished}, {"calls_answered", _answered}, {"placed", _placed},
                          {"active", _calls.size()}, {"causes", causes}}
        .dump();
}

}  // namespace trunkgw::pstnsim
