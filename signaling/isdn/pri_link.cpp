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
    auto* link = p != nullptr ? PriLink::of_libpri(p) : nullptr;
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
    : PriLink(cfg, std::vector<DchannelOut>{{cfg.name, std::move(out)}}, calls)
{
}

PriLink::PriLink(PriLinkConfig cfg, std::vector<DchannelOut> dchannels, PriCallHandler* calls)
    : _cfg(std::move(cfg)), _handler(calls)
{
    if (_cfg.interfaces.empty()) {
        _cfg.interfaces.push_back({_cfg.name, 0, true});
    }
    if (dchannels.empty() || dchannels.size() > 2 || (!_cfg.nfas && dchannels.size() != 1)) {
        throw std::runtime_error("span " + _cfg.name + ": one D-channel, or an NFAS primary and backup");
    }
    // Q.931 channel numbers are timeslots: E1 TS16, T1 TS24 carry the
    // D-channel where the span has one; an NFAS span without is 24
    // B-channels.
    for (const PriInterface& i : _cfg.interfaces) {
        const int last = _cfg.e1 ? 31 : 24;
        for (int ts = 1; ts <= last; ++ts) {
            if (i.dchannel && ts == (_cfg.e1 ? 16 : 24)) {
                continue;
            }
            int ch = _cfg.nfas ? (i.id << 8 | ts) : ts;
            if (static_cast<std::size_t>(ch) >= _slot_index.size()) {
                _slot_index.resize(static_cast<std::size_t>(ch) + 1, 0);
            }
            _restart_channels.push_back(ch);
            _slot_index[static_cast<std::size_t>(ch)] = static_cast<int>(_restart_channels.size());
        }
    }
    _blocked_here.assign(_restart_channels.size(), 0);
    _blocked_there.assign(_restart_channels.size(), 0);
    _restart_next = _restart_channels.size();  // nothing to restart before the link is up
    // SERVICE / SERVICE ACKNOWLEDGE exist in the North American variants.
    _service_messages = _cfg.switch_type == PRI_SWITCH_NI2 || _cfg.switch_type == PRI_SWITCH_LUCENT5E ||
                        _cfg.switch_type == PRI_SWITCH_ATT4ESS;
    for (std::size_t k = 0; k < dchannels.size(); ++k) {
        auto d = std::make_unique<Dchannel>();
        d->link = this;
        d->index = k;
        d->span = dchannels[k].span;
        d->out = std::move(dchannels[k].out);
        d->interface_id = 0;
        d->timers = TimerWatch(_cfg.network_side);
        for (const PriInterface& i : _cfg.interfaces) {
            if (i.span == d->span) {
                d->interface_id = i.id;
            }
        }
        _d.push_back(std::move(d));
    }
    for (auto& d : _d) {
        // The write callback runs inside pri_new_cb (the first SABME): all
        // of this object is ready by now.
        d->pri = pri_new_cb(-1, _cfg.network_side ? PRI_NETWORK : PRI_CPE, _cfg.switch_type, io_read, io_write,
                            d.get());
        if (d->pri == nullptr) {
            throw std::runtime_error("span " + d->span + ": libpri refused to create the D-channel");
        }
        // The hangup fix (Q.931 5.3.2 a): RELEASE COMPLETE for a call we
        // have not answered yet (5.2.5.1: a SETUP rejected), DISCONNECT
        // once we have. Without it libpri sends RELEASE COMPLETE for causes
        // 1, 34, 44 and 82 in every state before the answer, even after
        // ALERTING.
        pri_hangup_fix_enable(d->pri, 1);
        // Sending Complete (Q.931 4.5.27) only when the caller says the
        // number is complete: without this, libpri adds it to every
        // EuroISDN SETUP and overlap sending could never start
        // (libpri-notes.md section 3).
        pri_set_overlapdial(d->pri, 1);
        pri_set_timer(d->pri, PRI_TIMER_T309, static_cast<int>(_cfg.t309_ms));
        pri_set_timer(d->pri, PRI_TIMER_T200, static_cast<int>(_cfg.t200_ms));
        pri_set_timer(d->pri, PRI_TIMER_N200, static_cast<int>(_cfg.n200));
        pri_set_timer(d->pri, PRI_TIMER_T203, static_cast<int>(_cfg.t203_ms));
        if (_service_messages) {
            pri_set_service_message_support(d->pri, 1);
        }
        if (d->index > 0) {
            // One call pool for the group (libpri-notes.md section 8).
            pri_enslave(_d[0]->pri, d->pri);
        }
    }
}

// libpri 1.6 has no pri_destroy: its instances live as long as the process
// (one per D-channel, created at start-up). A link that goes away leaves
// its instances here, still reachable, so that leak checkers (LeakSanitizer
// in the fuzzers, which runs after static destructors) see memory we keep
// by design rather than a lost pointer; and with no userdata, no callback
// can reach the freed link.
PriLink::~PriLink()
{
    static auto* const retired = new std::vector<struct pri*>;
    for (auto& d : _d) {
        if (d->pri != nullptr) {
            pri_set_userdata(d->pri, nullptr);
            retired->push_back(d->pri);
        }
    }
}

PriLink* PriLink::of_libpri(struct pri* p)
{
    auto* d = static_cast<Dchannel*>(pri_get_userdata(p));
    return d != nullptr ? d->link : nullptr;
}

int PriLink::io_read(struct pri* p, void* buf, int len)
{
    auto* d = static_cast<Dchannel*>(pri_get_userdata(p));
    if (d->rx == nullptr || len < 2 || d->rx_len + 2 > static_cast<std::size_t>(len)) {
        return 0;  // nothing waiting (never negative: libpri-notes.md section 1)
    }
    std::memcpy(buf, d->rx, d->rx_len);
    // libpri strips two FCS octets; our HDLC checked and removed the real ones.
    std::memset(static_cast<uint8_t*>(buf) + d->rx_len, 0, 2);
    int n = static_cast<int>(d->rx_len + 2);
    d->rx = nullptr;
    d->rx_len = 0;
    return n;
}

int PriLink::io_write(struct pri* p, void* buf, int len)
{
    auto* d = static_cast<Dchannel*>(pri_get_userdata(p));
    PriLink* self = d->link;
    self->count_retransmission(*d, static_cast<const uint8_t*>(buf), len - 2);
    // The last two octets are placeholders for the FCS our HDLC computes.
    if (len < 2 || !d->out(static_cast<const uint8_t*>(buf), static_cast<std::size_t>(len - 2))) {
        ++self->_c.frames_tx_refused;
        return 0;  // a short write (libpri logs errno, which `out` set): Q.921 retransmits (T200)
    }
    ++self->_c.frames_tx;
    ++d->frames_tx;
    d->timers.sent(static_cast<const uint8_t*>(buf), static_cast<std::size_t>(len - 2));
    self->sum_timer_expiries();
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
void PriLink::count_retransmission(Dchannel& d, const uint8_t* f, int len)
{
    if (len < 4) {
        return;
    }
    const uint8_t ctrl = f[2];
    if (is_sabme(ctrl)) {  // the link restarts its numbering
        d.next_ns = 0;
        return;
    }
    if ((ctrl & 0x01) != 0) {
        return;  // S or U frame
    }
    const uint8_t ns = ctrl >> 1;
    if (ns == d.next_ns) {
        d.next_ns = static_cast<uint8_t>((ns + 1) & 0x7f);
    } else {
        ++_c.q921_retransmissions;
    }
}

void PriLink::receive(std::size_t dchannel, const uint8_t* frame, std::size_t len)
{
    if (dchannel >= _d.size()) {
        return;
    }
    Dchannel& d = *_d[dchannel];
    // Q.921 2.1: address (2) + control (1) at least.
    if (len < 3) {
        ++_c.frames_rx_short;
        return;
    }
    ++_c.frames_rx;
    ++d.frames_rx;
    d.timers.received(frame, len);
    sum_timer_expiries();
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
    const bool reestablish = d.up && static_cast<int>(dchannel) == _active && is_sabme(frame[2]);
    if (is_sabme(frame[2])) {
        d.next_ns = 0;  // the far end (re)starts the link: our V(S) goes back to 0
    }
    // libpri turns a SERVICE / SERVICE ACKNOWLEDGE for the whole interface
    // into DCHAN_UP / DCHAN_DOWN (libpri-notes.md section 2): while one is
    // being handled, those events mean "interface in / out of service".
    _in_maintenance_frame = q.kind == Q931FrameKind::message && (q931_message_label(q.index) == "service" ||
                                                                 q931_message_label(q.index) == "service_acknowledge");
    d.rx = frame;
    d.rx_len = len;
    pri_event* e = pri_check_event(d.pri);
    d.rx = nullptr;
    d.rx_len = 0;
    if (e != nullptr) {
        handle_event(e, dchannel);
    }
    // libpri defers some events to its scheduler (a DCHAN_DOWN when Q.921
    // re-establishes after an N(R) error is one): run what is due now, so
    // that they reach us before the next frame's events (the UA's DCHAN_UP).
    while (pri_event* ev = pri_schedule_run(d.pri)) {
        handle_event(ev, dchannel);
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
    for (auto& d : _d) {
        const timeval* next = pri_schedule_next(d->pri);
        if (next != nullptr) {
            timeval now{};
            gettimeofday(&now, nullptr);
            if (next->tv_sec < now.tv_sec || (next->tv_sec == now.tv_sec && next->tv_usec <= now.tv_usec)) {
                while (pri_event* e = pri_schedule_run(d->pri)) {
                    handle_event(e, d->index);
                }
            }
        }
    }
    const int64_t now = mono_ms();
    run_call_timers(now);
    run_t309(now);
    reap_released();
    if (_restart_pending != 0 && mono_ms() >= _restart_deadline_ms) {
        if (_restart_attempts < 2 && pri_reset(ctrl(), channel_to_libpri(_restart_pending)) == 0) {
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
    auto consider = [&best](int64_t ms) {
        ms = ms < 0 ? 0 : ms;
        best = best < 0 ? ms : std::min(best, ms);
    };
    // libpri's schedule is in wall-clock time (gettimeofday).
    for (const auto& d : _d) {
        const timeval* next = pri_schedule_next(d->pri);
        if (next != nullptr) {
            timeval now{};
            gettimeofday(&now, nullptr);
            consider((static_cast<int64_t>(next->tv_sec) - now.tv_sec) * 1000 + (next->tv_usec - now.tv_usec) / 1000);
        }
    }
    if (_restart_pending != 0) {
        consider(_restart_deadline_ms - mono_ms());
    }
    if (_t309_deadline_ms != 0) {
        consider(_t309_deadline_ms - mono_ms());
    }
    int64_t calls_ms = ms_to_call_timer(mono_ms());
    if (calls_ms >= 0) {
        consider(calls_ms);
    }
    return best;
}

void PriLink::sum_timer_expiries()
{
    TimerExpiries t;
    for (const auto& d : _d) {
        const TimerExpiries& x = d->timers.expiries();
        t.t200 += x.t200;
        t.t203 += x.t203;
        t.t303 += x.t303;
        t.t305 += x.t305;
        t.t308 += x.t308;
    }
    _c.libpri_timers = t;
}

int PriLink::slot_of(int channel) const
{
    if (channel <= 0 || static_cast<std::size_t>(channel) >= _slot_index.size()) {
        return -1;
    }
    return _slot_index[static_cast<std::size_t>(channel)] - 1;
}

// Q.931 4.5.13: octet 3.1 names the interface when "interface identifier
// present" (bit 7 of octet 3) is set; otherwise the channel is on the
// interface that carries the D-channel the message came on.
int PriLink::channel_from_libpri(int field, std::size_t dchannel) const
{
    if (field < 0) {
        return 0;
    }
    int ts = field & 0xff;
    if (ts == 0xff) {
        ts = 0;  // any channel
    }
    if (!_cfg.nfas) {
        return ts;
    }
    int iface = (field & 0x10000) != 0 ? (field >> 8) & 0xff : _d[dchannel]->interface_id;
    return iface << 8 | ts;
}

int PriLink::channel_to_libpri(int channel) const
{
    // NFAS: name the interface explicitly (bit 16 = PRI_EXPLICIT).
    return _cfg.nfas ? channel | 0x10000 : channel;
}

PriLink::Located PriLink::locate(int channel) const
{
    if (slot_of(channel) < 0) {
        return {nullptr, 0};
    }
    if (!_cfg.nfas) {
        return {&_cfg.interfaces.front().span, channel};
    }
    for (const PriInterface& i : _cfg.interfaces) {
        if (i.id == channel >> 8) {
            return {&i.span, channel & 0xff};
        }
    }
    return {nullptr, 0};
}

int PriLink::channel_of(const std::string& span, int timeslot) const
{
    for (const PriInterface& i : _cfg.interfaces) {
        if (i.span == span) {
            int ch = _cfg.nfas ? (i.id << 8 | timeslot) : timeslot;
            return timeslot > 0 && timeslot < 0xff && slot_of(ch) >= 0 ? ch : 0;
        }
    }
    return 0;
}

std::vector<PriDchannelStatus> PriLink::dchannels() const
{
    std::vector<PriDchannelStatus> v;
    for (const auto& d : _d) {
        v.push_back({d->span, d->up, static_cast<int>(d->index) == _active, d->frames_rx, d->frames_tx, d->up_count,
                     d->down_count});
    }
    return v;
}

bool PriLink::is_bearer(int ch) const
{
    return slot_of(ch) >= 0;
}

bool PriLink::channel_usable(int ch, int slot) const
{
    return _up && slot >= 0 && _blocked_here[static_cast<std::size_t>(slot)] == 0 &&
           _blocked_there[static_cast<std::size_t>(slot)] == 0 && ch != _restart_pending &&
           std::find(_restart_extra.begin(), _restart_extra.end(), ch) == _restart_extra.end();
}

bool PriLink::channel_free(int ch) const
{
    return channel_usable(ch, slot_of(ch)) &&
           std::none_of(_calls.begin(), _calls.end(), [ch](const Call& c) { return c.channel == ch; });
}

int PriLink::hunt(int interface_id) const
{
    const std::size_t n = _restart_channels.size();
    if (!_up || n == 0) {
        return 0;
    }
    // The calls' channels marked once (asking channel_free of each channel
    // scanned every call per channel: with every span of a group near full,
    // ~5 % of the control at 1,500 calls/s).
    _hunt_busy.assign(n, 0);
    for (const Call& c : _calls) {
        if (int slot = slot_of(c.channel); slot >= 0) {
            _hunt_busy[static_cast<std::size_t>(slot)] = 1;
        }
    }
    // NFAS: only the named interface's channels (slots keep interface order).
    auto eligible = [&](std::size_t slot) {
        const int ch = _restart_channels[slot];
        return interface_id < 0 || !_cfg.nfas || ch >> 8 == interface_id;
    };
    std::size_t start = 0;
    if (_cfg.hunting == ChannelHunting::round_robin) {
        // The one after the channel hunted last (when it is one of these).
        const int last = slot_of(_hunt_last);
        if (last >= 0 && eligible(static_cast<std::size_t>(last))) {
            start = static_cast<std::size_t>(last) + 1;
        }
    }
    for (std::size_t k = 0; k < n; ++k) {
        const std::size_t slot = _cfg.hunting == ChannelHunting::descending ? n - 1 - k : (start + k) % n;
        const int ch = _restart_channels[slot];
        if (eligible(slot) && _hunt_busy[slot] == 0 && channel_usable(ch, static_cast<int>(slot))) {
            _hunt_last = ch;
            return ch;
        }
    }
    return 0;
}

int PriLink::select_channel(int requested, bool exclusive) const
{
    if ((requested & 0xff) != 0) {
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
    for (std::size_t slot = 0; slot < _restart_channels.size(); ++slot) {
        const int ch = _restart_channels[slot];
        ChannelStatus c{ch, ChannelState::idle, _blocked_here[slot] != 0, _blocked_there[slot] != 0};
        if (!_up) {
            c.state = ChannelState::unavailable;
        } else if (c.blocked_here || c.blocked_there) {
            c.state = ChannelState::out_of_service;
        } else if (std::any_of(_calls.begin(), _calls.end(), [ch](const Call& k) { return k.channel == ch; })) {
            c.state = ChannelState::busy;
        } else if (ch == _restart_pending ||
                   std::find(_restart_extra.begin(), _restart_extra.end(), ch) != _restart_extra.end()) {
            c.state = ChannelState::restarting;
        }
        v.push_back(c);
    }
    return v;
}

int PriLink::set_service(int channel, bool in_service, const std::string& span)
{
    std::vector<int> chans;
    if (channel == 0) {
        for (int ch : _restart_channels) {
            Located at = locate(ch);
            if (span.empty() || (at.span != nullptr && *at.span == span)) {
                chans.push_back(ch);
            }
        }
    } else if (is_bearer(channel)) {
        chans.push_back(channel);
    } else {
        return -1;
    }
    int changed = 0;
    for (int ch : chans) {
        auto& b = _blocked_here[static_cast<std::size_t>(slot_of(ch))];
        if ((b != 0) == !in_service) {
            continue;
        }
        b = in_service ? 0 : 1;
        ++changed;
        // TR-NWT-001268 change status: 0 in service, 2 out of service; the
        // interface is named for NFAS.
        if (_service_messages && _up &&
            pri_maintenance_service(ctrl(), _cfg.nfas ? ch >> 8 : 0, ch & 0xff, in_service ? 0 : 2) == 0) {
            ++_c.service_sent;
        }
    }
    return changed;
}

void PriLink::start_restarts()
{
    _restart_next = 0;
    _restart_pending = 0;
    _restart_extra.clear();
    // Channels our operator blocked while the link was down: tell the far
    // end now (TR-NWT-001268 SERVICE, where the switch type has it).
    if (_service_messages) {
        for (std::size_t slot = 0; slot < _restart_channels.size(); ++slot) {
            const int ch = _restart_channels[slot];
            if (_blocked_here[slot] != 0 && pri_maintenance_service(ctrl(), _cfg.nfas ? ch >> 8 : 0, ch & 0xff, 2) == 0) {
                ++_c.service_sent;
            }
        }
    }
    restart_next();
}

void PriLink::restart_next()
{
    if (!_up || _restart_pending != 0) {
        return;
    }
    int ch = 0;
    bool single = false;
    if (!_restart_extra.empty()) {
        ch = _restart_extra.front();
        _restart_extra.erase(_restart_extra.begin());
        single = true;
    } else if (_restart_next < _restart_channels.size()) {
        ch = _restart_channels[_restart_next++];
    } else {
        return;
    }
    const int slot = slot_of(ch);
    // Out-of-service channels are not restarted (libpri-notes.md section
    // 6); the far end learns their state from SERVICE where it exists.
    // Nor are channels with a call: a call that survived the Layer 2
    // recovery (T309) is checked by libpri's STATUS ENQUIRY instead, and
    // cleared if the far end has forgotten it (Q.931 5.8.11). A single
    // restart (clear_by_restart) is for a call we just ended.
    if (!single && (_blocked_here[static_cast<std::size_t>(slot)] != 0 ||
                    _blocked_there[static_cast<std::size_t>(slot)] != 0 || call_on_channel(ch) != nullptr)) {
        restart_next();
        return;
    }
    if (pri_reset(ctrl(), channel_to_libpri(ch)) == 0) {
        ++_c.restarts_sent;
        _restart_attempts = 1;
        _restart_pending = ch;
        _restart_deadline_ms = mono_ms() + restart_ack_wait_ms;
    } else {
        restart_next();
    }
}

// The D-channel's Layer 2 came up or went down. The link is up while any
// of its D-channels is; new calls use the primary when it is up (as other
// NFAS implementations do), else the backup.
void PriLink::dchannel_changed(std::size_t dchannel, bool up)
{
    Dchannel& d = *_d[dchannel];
    if (d.up == up) {
        if (up && static_cast<int>(dchannel) == _active) {
            // Up again while up: the far end re-established the data link
            // (SABME in multiple-frame established, Q.921 5.5.1.2) -- a
            // Layer 2 recovery too.
            ++_c.dchan_reestablished;
            start_restarts();
        }
        return;
    }
    d.up = up;
    ++(up ? d.up_count : d.down_count);
    const int before = _active;
    _active = -1;
    for (const auto& x : _d) {
        if (x->up) {
            _active = static_cast<int>(x->index);
            break;
        }
    }
    const bool was_up = _up;
    _up = _active >= 0;
    if (_up && !was_up) {
        ++_c.dchan_up;
        _t309_deadline_ms = 0;
        // Q.931 5.5: bring every B-channel to idle on both sides, at start
        // and after every Layer 2 recovery.
        start_restarts();
    } else if (!_up && was_up) {
        ++_c.dchan_down;
        _restart_pending = 0;
        _restart_extra.clear();
        _restart_next = _restart_channels.size();
        // libpri runs T309 itself, except for NFAS (q931.c: "the upper
        // layer should handle T309 for NFAS"): with no D-channel left,
        // connected calls last T309, then end (Q.931 5.8.8: cause 27).
        if (_cfg.nfas && !_calls.empty()) {
            _t309_deadline_ms = mono_ms() + pri_get_timer(ctrl(), PRI_TIMER_T309);
        }
    } else if (_up && before != _active) {
        ++_c.dchannel_switchovers;
        // A restart waiting for its acknowledgement on the D-channel that
        // went away is sent again through the new one when it times out.
    }
}

void PriLink::run_t309(int64_t now)
{
    if (_t309_deadline_ms == 0 || now < _t309_deadline_ms) {
        return;
    }
    _t309_deadline_ms = 0;
    std::vector<uint32_t> ids;
    for (const Call& c : _calls) {
        ids.push_back(c.id);
    }
    for (uint32_t id : ids) {
        Call* c = call_by_id(id);
        if (c == nullptr) {
            continue;
        }
        ++_c.t309_expiries;
        pri_destroycall(ctrl(), c->q);
        c->state = PriCallState::releasing;
        call_ended(*c, PRI_CAUSE_DESTINATION_OUT_OF_ORDER, true);
        if (Call* again = call_by_id(id)) {
            forget(*again);
        }
    }
}

// Ends a call libpri keeps on a D-channel that is down: libpri would queue
// our clearing there, so the call is destroyed here and its channel
// RESTARTed through the active D-channel, which clears it at the far end
// (Q.931 5.5.2) and leaves no channel busy on either side.
void PriLink::clear_by_restart(Call& c, int cause)
{
    ++_c.calls_cleared_by_restart;
    const int ch = c.channel;
    call_ended(c, cause, false);
    pri_destroycall(ctrl(), c.q);
    forget(c);
    _restart_extra.push_back(ch);
    restart_next();
}

void PriLink::handle_event(pri_event* e, std::size_t dchannel)
{
    int type = e->e;
    if (type >= 0 && static_cast<std::size_t>(type) < _c.events.size()) {
        ++_c.events[static_cast<std::size_t>(type)];
    }
    switch (type) {
    case PRI_EVENT_DCHAN_UP:
        if (_in_maintenance_frame) {
            ++_c.service_received;
            std::fill(_blocked_there.begin(), _blocked_there.end(), 0);  // the far end put the interface in service
            break;
        }
        dchannel_changed(dchannel, true);
        break;
    case PRI_EVENT_DCHAN_DOWN:
        if (_in_maintenance_frame) {
            ++_c.service_received;
            std::fill(_blocked_there.begin(), _blocked_there.end(), 1);  // interface out of service
            break;
        }
        dchannel_changed(dchannel, false);
        break;
    case PRI_EVENT_RESTART: {
        ++_c.restarts_received;
        // Q.931 5.5.2: the restarted channel(s) return to idle; a call on
        // one is gone (libpri-notes.md section 6: destroy it, end our leg).
        // "All channels" of an interface named explicitly is that
        // interface's; otherwise every one of the link's.
        const int field = e->restart.channel;
        const bool all = field < 0 || (field & 0xff) == 0xff;
        const int ch = all ? 0 : channel_from_libpri(field, dchannel);
        const int all_iface = all && _cfg.nfas && field >= 0 && (field & 0x10000) != 0 ? (field >> 8) & 0xff : -1;
        // Ids first: the model may place or clear calls from call_cleared(),
        // which changes the table under any reference into it.
        std::vector<uint32_t> lost;
        for (const Call& c : _calls) {
            if ((all && (all_iface < 0 || c.channel >> 8 == all_iface)) || c.channel == ch) {
                lost.push_back(c.id);
            }
        }
        for (uint32_t id : lost) {
            Call* c = call_by_id(id);
            if (c == nullptr) {
                continue;
            }
            ++_c.calls_lost_to_restart;
            pri_destroycall(ctrl(), c->q);
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
        const int field = e->service.channel;
        // 0 in service; 1 maintenance and 2 out of service both block.
        uint8_t blocked = e->service.changestatus == 0 ? 0 : 1;
        const int slot = slot_of(channel_from_libpri(field, dchannel));
        if (slot >= 0) {
            _blocked_there[static_cast<std::size_t>(slot)] = blocked;
        } else {
            std::fill(_blocked_there.begin(), _blocked_there.end(), blocked);
        }
        break;
    }
    case PRI_EVENT_RESTART_ACK: {
        // Some switches omit the channel: then it answers our one
        // outstanding restart; with a channel, only that channel's.
        const int field = e->restartack.channel;
        bool matches = field < 0 || (field & 0xff) == 0xff || channel_from_libpri(field, dchannel) == _restart_pending;
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
        int requested = channel_from_libpri(e->ring.channel, dchannel);
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
            pri_hangup(d_pri(dchannel), e->ring.call, -ch);
            break;
        }
        if (_handler == nullptr) {
            ++_c.setups_refused;
            ++_c.cleared_in[PRI_CAUSE_UNALLOCATED];
            pri_hangup(d_pri(dchannel), e->ring.call, PRI_CAUSE_UNALLOCATED);
            break;
        }
        incoming_setup(e, ch, dchannel);
        break;
    }
    default:
        handle_call_event(e, dchannel);
        break;
    }
}

}  // namespace trunkgw::isdn
