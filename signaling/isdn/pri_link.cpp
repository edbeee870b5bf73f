// One ISDN PRI D-channel through libpri; see pri_link.h and libpri-notes.md.
#include "signaling/isdn/pri_link.h"

#include "signaling/isdn/libpri_c.h"
#include <sys/time.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace trunkgw::isdn {

namespace {

// Q.931 5.5.1: the restart is acknowledged or T316 (2 min) expires; libpri
// leaves T316 off, so we bound the wait ourselves and move on.
constexpr int64_t restart_ack_wait_ms = 4000;

PriLink::LogSink& log_sink()
{
    static PriLink::LogSink sink;
    return sink;
}

// Q.921 3.6.6 SABME, control 011P1111 (P either way).
bool is_sabme(uint8_t control)
{
    return (control & 0xef) == 0x6f;
}

int64_t mono_ms()
{
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<int64_t>(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

void log_from_libpri(struct pri* p, char* text, bool error)
{
    auto& sink = log_sink();
    if (!sink) {
        return;
    }
    auto* link = p != nullptr ? static_cast<PriLink*>(pri_get_userdata(p)) : nullptr;
    if (link != nullptr && link->probing_call()) {
        return;  // pri_get_crv() complaining about the freed call we asked about
    }
    std::string t(text);
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) {
        t.pop_back();
    }
    if (!t.empty()) {
        sink(link != nullptr ? link->config().name : std::string("-"), error, t);
    }
}

}  // namespace

const char* channel_state_name(ChannelState s)
{
    switch (s) {
    case ChannelState::idle: return "idle";
    case ChannelState::busy: return "busy";
    case ChannelState::restarting: return "restarting";
    case ChannelState::out_of_service: return "out_of_service";
    case ChannelState::unavailable: return "unavailable";
    }
    return "?";
}

void PriLink::set_log_sink(LogSink sink)
{
    log_sink() = std::move(sink);
    pri_set_message([](struct pri* p, char* s) { log_from_libpri(p, s, false); });
    pri_set_error([](struct pri* p, char* s) { log_from_libpri(p, s, true); });
}

const char* channel_hunting_name(ChannelHunting h)
{
    switch (h) {
    case ChannelHunting::ascending: return "ascending";
    case ChannelHunting::descending: return "descending";
    case ChannelHunting::round_robin: return "round_robin";
    }
    return "?";
}

PriLink::PriLink(PriLinkConfig cfg, FrameOut out, PriCallHandler* calls)
    : _cfg(std::move(cfg)), _out(std::move(out)), _handler(calls)
{
    // Q.931 channel numbers are timeslots: E1 TS16 carries the D-channel.
    for (int ch = 1; ch <= (_cfg.e1 ? 31 : 23); ++ch) {
        if (!(_cfg.e1 && ch == 16)) {
            _restart_channels.push_back(ch);
        }
    }
    _restart_next = _restart_channels.size();  // nothing to restart before the link is up
    // The write callback runs inside pri_new_cb (the first SABME): all of
    // this object is ready by now.
    _pri = pri_new_cb(-1, _cfg.network_side ? PRI_NETWORK : PRI_CPE, _cfg.switch_type, io_read, io_write, this);
    if (_pri == nullptr) {
        throw std::runtime_error("span " + _cfg.name + ": libpri refused to create the D-channel");
    }
    // The hangup fix (Q.931 5.3.2 a): RELEASE COMPLETE for a call we have
    // not answered yet (5.2.5.1: a SETUP rejected), DISCONNECT once we
    // have. Without it libpri sends RELEASE COMPLETE for causes 1, 34, 44
    // and 82 in every state before the answer, even after ALERTING.
    pri_hangup_fix_enable(_pri, 1);
    // Sending Complete (Q.931 4.5.27) only when the caller says the number
    // is complete: without this, libpri adds it to every EuroISDN SETUP and
    // overlap sending could never start (libpri-notes.md section 3).
    pri_set_overlapdial(_pri, 1);
    // SERVICE / SERVICE ACKNOWLEDGE exist in the North American variants.
    _service_messages = _cfg.switch_type == PRI_SWITCH_NI2 || _cfg.switch_type == PRI_SWITCH_LUCENT5E ||
                        _cfg.switch_type == PRI_SWITCH_ATT4ESS;
    if (_service_messages) {
        pri_set_service_message_support(_pri, 1);
    }
}

int PriLink::io_read(struct pri* p, void* buf, int len)
{
    auto* self = static_cast<PriLink*>(pri_get_userdata(p));
    if (self->_rx == nullptr || len < 2 || self->_rx_len + 2 > static_cast<std::size_t>(len)) {
        return 0;  // nothing waiting (never negative: libpri-notes.md section 1)
    }
    std::memcpy(buf, self->_rx, self->_rx_len);
    // libpri strips two FCS octets; our HDLC checked and removed the real ones.
    std::memset(static_cast<uint8_t*>(buf) + self->_rx_len, 0, 2);
    int n = static_cast<int>(self->_rx_len + 2);
    self->_rx = nullptr;
    self->_rx_len = 0;
    return n;
}

int PriLink::io_write(struct pri* p, void* buf, int len)
{
    auto* self = static_cast<PriLink*>(pri_get_userdata(p));
    self->count_retransmission(static_cast<const uint8_t*>(buf), len - 2);
    // The last two octets are placeholders for the FCS our HDLC computes.
    if (len < 2 || !self->_out(static_cast<const uint8_t*>(buf), static_cast<std::size_t>(len - 2))) {
        ++self->_c.frames_tx_refused;
        return 0;  // a short write: Q.921 retransmits (T200)
    }
    ++self->_c.frames_tx;
    const auto* f = static_cast<const uint8_t*>(buf);
    if (auto m = q931_message_of_frame(f, static_cast<std::size_t>(len - 2))) {
        ++self->_c.q931_tx[*m];
    }
    if (self->_tap) {
        self->_tap(f, static_cast<std::size_t>(len - 2), true);
    }
    return len;
}

// Q.921 3.5 / 5.5: after SABME/UA both ends start at V(S) = 0, and new
// I-frames carry N(S) = V(S) in sequence (modulo 128, control octet 1 bits
// 8-2); an I-frame with any other N(S) is one sent again.
void PriLink::count_retransmission(const uint8_t* f, int len)
{
    if (len < 4) {
        return;
    }
    const uint8_t ctrl = f[2];
    if (is_sabme(ctrl)) {  // the link restarts its numbering
        _next_ns = 0;
        return;
    }
    if ((ctrl & 0x01) != 0) {
        return;  // S or U frame
    }
    const uint8_t ns = ctrl >> 1;
    if (ns == _next_ns) {
        _next_ns = static_cast<uint8_t>((ns + 1) & 0x7f);
    } else {
        ++_c.q921_retransmissions;
    }
}

void PriLink::receive(const uint8_t* frame, std::size_t len)
{
    // Q.921 2.1: address (2) + control (1) at least.
    if (len < 3) {
        ++_c.frames_rx_short;
        return;
    }
    ++_c.frames_rx;
    Q931FrameInfo q = q931_inspect(frame, len);
    if (q.kind == Q931FrameKind::message) {
        ++_c.q931_rx[q.index];
    } else if (q.kind == Q931FrameKind::too_short) {
        ++_c.q931_rx_too_short;
    } else if (q.kind == Q931FrameKind::bad_protocol) {
        ++_c.q931_rx_bad_protocol;
    }
    if (_tap) {
        _tap(frame, len, false);
    }
    // Q.921 3.6.6 / 5.5.1: a SABME (control 011P1111) while the link is
    // up re-establishes it -- the far end restarted its Layer 2. libpri
    // answers it without telling us; it is a Layer 2 recovery all the same.
    const bool reestablish = _up && is_sabme(frame[2]);
    if (is_sabme(frame[2])) {
        _next_ns = 0;  // the far end (re)starts the link: our V(S) goes back to 0
    }
    // libpri turns a SERVICE / SERVICE ACKNOWLEDGE for the whole interface
    // into DCHAN_UP / DCHAN_DOWN (libpri-notes.md section 2): while one is
    // being handled, those events mean "interface in / out of service".
    _in_maintenance_frame = q.kind == Q931FrameKind::message && (q931_message_label(q.index) == "service" ||
                                                                 q931_message_label(q.index) == "service_acknowledge");
    _rx = frame;
    _rx_len = len;
    pri_event* e = pri_check_event(_pri);
    _rx = nullptr;
    _rx_len = 0;
    if (e != nullptr) {
        handle_event(e);
    }
    // libpri defers some events to its scheduler (a DCHAN_DOWN when Q.921
    // re-establishes after an N(R) error is one): run what is due now, so
    // that they reach us before the next frame's events (the UA's DCHAN_UP).
    while (pri_event* d = pri_schedule_run(_pri)) {
        handle_event(d);
    }
    _in_maintenance_frame = false;
    reap_released();
    if (reestablish && _up) {
        ++_c.dchan_reestablished;
        start_restarts();
    }
}

void PriLink::run_timers()
{
    // Only when due: pri_schedule_run runs everything expired, one event
    // per call, until NULL.
    const timeval* next = pri_schedule_next(_pri);
    if (next != nullptr) {
        timeval now{};
        gettimeofday(&now, nullptr);
        if (next->tv_sec < now.tv_sec || (next->tv_sec == now.tv_sec && next->tv_usec <= now.tv_usec)) {
            while (pri_event* e = pri_schedule_run(_pri)) {
                handle_event(e);
            }
        }
    }
    run_call_timers(mono_ms());
    reap_released();
    if (_restart_pending != 0 && mono_ms() >= _restart_deadline_ms) {
        if (_restart_attempts < 2 && pri_reset(_pri, _restart_pending) == 0) {
            ++_restart_attempts;
            ++_c.restarts_sent;
            ++_c.restart_retries;
            _restart_deadline_ms = mono_ms() + restart_ack_wait_ms;
        } else {
            ++_c.restart_timeouts;
            _restart_pending = 0;
            restart_next();
        }
    }
}

int64_t PriLink::ms_to_next_timer() const
{
    int64_t best = -1;
    // libpri's schedule is in wall-clock time (gettimeofday).
    const timeval* next = pri_schedule_next(_pri);
    if (next != nullptr) {
        timeval now{};
        gettimeofday(&now, nullptr);
        int64_t ms = (static_cast<int64_t>(next->tv_sec) - now.tv_sec) * 1000 + (next->tv_usec - now.tv_usec) / 1000;
        best = ms < 0 ? 0 : ms;
    }
    if (_restart_pending != 0) {
        int64_t ms = _restart_deadline_ms - mono_ms();
        ms = ms < 0 ? 0 : ms;
        best = best < 0 ? ms : std::min(best, ms);
    }
    int64_t calls_ms = ms_to_call_timer(mono_ms());
    if (calls_ms >= 0) {
        best = best < 0 ? calls_ms : std::min(best, calls_ms);
    }
    return best;
}

bool PriLink::is_bearer(int ch) const
{
    return std::find(_restart_channels.begin(), _restart_channels.end(), ch) != _restart_channels.end();
}

bool PriLink::channel_free(int ch) const
{
    return _up && _blocked_here[static_cast<std::size_t>(ch)] == 0 && _blocked_there[static_cast<std::size_t>(ch)] == 0 &&
           ch != _restart_pending && std::none_of(_calls.begin(), _calls.end(), [ch](const Call& c) { return c.channel == ch; });
}

int PriLink::hunt() const
{
    const auto& chans = _restart_channels;
    const std::size_t n = chans.size();
    std::size_t start = 0;
    if (_cfg.hunting == ChannelHunting::round_robin) {
        // The one after the channel hunted last.
        auto it = std::find(chans.begin(), chans.end(), _hunt_last);
        start = it == chans.end() ? 0 : static_cast<std::size_t>(it - chans.begin()) + 1;
    }
    for (std::size_t k = 0; k < n; ++k) {
        std::size_t i = _cfg.hunting == ChannelHunting::descending ? n - 1 - k : (start + k) % n;
        if (channel_free(chans[i])) {
            _hunt_last = chans[i];
            return chans[i];
        }
    }
    return 0;
}

int PriLink::select_channel(int requested, bool exclusive) const
{
    if (requested != 0) {
        if (!is_bearer(requested)) {
            return -PRI_CAUSE_IDENTIFIED_CHANNEL_NOTEXIST;
        }
        if (channel_free(requested)) {
            return requested;
        }
        if (exclusive) {
            return -PRI_CAUSE_REQUESTED_CHAN_UNAVAIL;
        }
    }
    int ch = hunt();
    return ch != 0 ? ch : -PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;
}

std::vector<ChannelStatus> PriLink::channels() const
{
    std::vector<ChannelStatus> v;
    for (int ch : _restart_channels) {
        ChannelStatus c{ch, ChannelState::idle, _blocked_here[static_cast<std::size_t>(ch)] != 0,
                        _blocked_there[static_cast<std::size_t>(ch)] != 0};
        if (!_up) {
            c.state = ChannelState::unavailable;
        } else if (c.blocked_here || c.blocked_there) {
            c.state = ChannelState::out_of_service;
        } else if (ch == _restart_pending) {
            c.state = ChannelState::restarting;
        } else if (std::any_of(_calls.begin(), _calls.end(), [ch](const Call& k) { return k.channel == ch; })) {
            c.state = ChannelState::busy;
        }
        v.push_back(c);
    }
    return v;
}

int PriLink::set_service(int channel, bool in_service)
{
    std::vector<int> chans;
    if (channel == 0) {
        chans = _restart_channels;
    } else if (std::find(_restart_channels.begin(), _restart_channels.end(), channel) != _restart_channels.end()) {
        chans.push_back(channel);
    } else {
        return -1;
    }
    int changed = 0;
    for (int ch : chans) {
        auto& b = _blocked_here[static_cast<std::size_t>(ch)];
        if ((b != 0) == !in_service) {
            continue;
        }
        b = in_service ? 0 : 1;
        ++changed;
        // TR-NWT-001268 change status: 0 in service, 2 out of service.
        if (_service_messages && _up && pri_maintenance_service(_pri, 0, ch, in_service ? 0 : 2) == 0) {
            ++_c.service_sent;
        }
    }
    return changed;
}

void PriLink::start_restarts()
{
    _restart_next = 0;
    _restart_pending = 0;
    // Channels our operator blocked while the link was down: tell the far
    // end now (TR-NWT-001268 SERVICE, where the switch type has it).
    if (_service_messages) {
        for (int ch : _restart_channels) {
            if (_blocked_here[static_cast<std::size_t>(ch)] != 0 && pri_maintenance_service(_pri, 0, ch, 2) == 0) {
                ++_c.service_sent;
            }
        }
    }
    restart_next();
}

void PriLink::restart_next()
{
    if (!_up || _restart_next >= _restart_channels.size()) {
        return;
    }
    int ch = _restart_channels[_restart_next++];
    // Out-of-service channels are not restarted (libpri-notes.md section
    // 6); the far end learns their state from SERVICE where it exists.
    // Nor are channels with a call: a call that survived the Layer 2
    // recovery (T309) is checked by libpri's STATUS ENQUIRY instead, and
    // cleared if the far end has forgotten it (Q.931 5.8.11).
    if (_blocked_here[static_cast<std::size_t>(ch)] != 0 || _blocked_there[static_cast<std::size_t>(ch)] != 0 ||
        call_on_channel(ch) != nullptr) {
        restart_next();
        return;
    }
    if (pri_reset(_pri, ch) == 0) {
        ++_c.restarts_sent;
        _restart_attempts = 1;
        _restart_pending = ch;
        _restart_deadline_ms = mono_ms() + restart_ack_wait_ms;
    } else {
        restart_next();
    }
}

void PriLink::handle_event(pri_event* e)
{
    int type = e->e;
    if (type >= 0 && static_cast<std::size_t>(type) < _c.events.size()) {
        ++_c.events[static_cast<std::size_t>(type)];
    }
    switch (type) {
    case PRI_EVENT_DCHAN_UP:
        if (_in_maintenance_frame) {
            ++_c.service_received;
            _blocked_there.fill(0);  // the far end put the interface in service
            break;
        }
        // Up again while up: the far end re-established the data link
        // (SABME in multiple-frame established, Q.921 5.5.1.2) -- a Layer 2
        // recovery too.
        if (_up) {
            ++_c.dchan_reestablished;
        } else {
            _up = true;
            ++_c.dchan_up;
        }
        // Q.931 5.5: bring every B-channel to idle on both sides, at start
        // and after every Layer 2 recovery.
        start_restarts();
        break;
    case PRI_EVENT_DCHAN_DOWN:
        if (_in_maintenance_frame) {
            ++_c.service_received;
            for (int c : _restart_channels) {
                _blocked_there[static_cast<std::size_t>(c)] = 1;  // interface out of service
            }
            break;
        }
        if (_up) {
            _up = false;
            ++_c.dchan_down;
            _restart_pending = 0;
            _restart_next = _restart_channels.size();
        }
        break;
    case PRI_EVENT_RESTART: {
        ++_c.restarts_received;
        // Q.931 5.5.2: the restarted channel(s) return to idle; a call on
        // one is gone (libpri-notes.md section 6: destroy it, end our leg).
        int ch = e->restart.channel < 0 ? 0xff : e->restart.channel & 0xff;
        // Ids first: the model may place or clear calls from call_cleared(),
        // which changes the table under any reference into it.
        std::vector<uint32_t> lost;
        for (const Call& c : _calls) {
            if (ch == 0xff || c.channel == ch) {
                lost.push_back(c.id);
            }
        }
        for (uint32_t id : lost) {
            Call* c = call_by_id(id);
            if (c == nullptr) {
                continue;
            }
            ++_c.calls_lost_to_restart;
            pri_destroycall(_pri, c->q);
            c->state = PriCallState::releasing;
            call_ended(*c, PRI_CAUSE_NORMAL_TEMPORARY_FAILURE, true);
            if (Call* again = call_by_id(id)) {
                forget(*again);
            }
        }
        break;
    }
    case PRI_EVENT_SERVICE: {
        ++_c.service_received;
        int ch = e->service.channel & 0xff;
        // 0 in service; 1 maintenance and 2 out of service both block.
        uint8_t blocked = e->service.changestatus == 0 ? 0 : 1;
        if (ch > 0 && ch < static_cast<int>(_blocked_there.size())) {
            _blocked_there[static_cast<std::size_t>(ch)] = blocked;
        } else {
            for (int c : _restart_channels) {
                _blocked_there[static_cast<std::size_t>(c)] = blocked;
            }
        }
        break;
    }
    case PRI_EVENT_RESTART_ACK: {
        // Some switches omit the channel: then it answers our one
        // outstanding restart; with a channel, only that channel's.
        int ch = e->restartack.channel;
        bool matches = ch < 0 || (ch & 0xff) == 0xff || (ch & 0xff) == _restart_pending;
        if (_restart_pending != 0 && matches) {
            ++_c.restart_acks;
            _restart_pending = 0;
            restart_next();
        }
        break;
    }
    case PRI_EVENT_CONFIG_ERR:
        ++_c.config_errors;
        if (log_sink()) {
            log_sink()(_cfg.name, true, std::string("configuration error: ") + e->err.err);
        }
        break;
    case PRI_EVENT_RING: {
        // channel: -1 or 0xff "any"; low 8 bits the channel (libpri-notes 4).
        int requested = e->ring.channel < 0 ? 0 : e->ring.channel & 0xff;
        if (requested == 0xff) {
            requested = 0;
        }
        int ch = select_channel(requested, e->ring.flexible == 0);
        if (ch < 0) {
            if (-ch == PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION) {
                ++_c.setups_no_channel;
            } else if (-ch == PRI_CAUSE_REQUESTED_CHAN_UNAVAIL) {
                ++_c.setups_channel_unavailable;
            } else {
                ++_c.setups_bad_channel;
            }
            ++_c.cleared_in[static_cast<std::size_t>(-ch)];
            pri_hangup(_pri, e->ring.call, -ch);
            break;
        }
        if (_handler == nullptr) {
            ++_c.setups_refused;
            ++_c.cleared_in[PRI_CAUSE_UNALLOCATED];
            pri_hangup(_pri, e->ring.call, PRI_CAUSE_UNALLOCATED);
            break;
        }
        incoming_setup(e, ch);
        break;
    }
    default:
        handle_call_event(e);
        break;
    }
}

}  // namespace trunkgw::isdn
