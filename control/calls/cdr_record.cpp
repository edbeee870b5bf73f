// Call detail records as JSON lines; see cdr_record.h.
#include "control/calls/cdr_record.h"

#include <fmt/format.h>

namespace trunkgw::control {

namespace {

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629 section 4:
// no overlong forms, no surrogates, nothing above U+10FFFF); 0 if ill-formed.
std::size_t utf8_sequence(std::string_view s, std::size_t i)
{
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    auto cont = [&](std::size_t k) { return k < s.size() && (at(k) & 0xC0) == 0x80; };
    const unsigned char c = at(i);
    if (c >= 0xC2 && c <= 0xDF) {
        return cont(i + 1) ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(i + 1) || !cont(i + 2)) {
            return 0;
        }
        const unsigned char c1 = at(i + 1);
        if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F)) {
            return 0;
        }
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) {
            return 0;
        }
        const unsigned char c1 = at(i + 1);
        if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F)) {
            return 0;
        }
        return 4;
    }
    return 0;
}

// Writes one object's members, commas between them.
class ObjectWriter {
public:
    explicit ObjectWriter(std::string& out) : _out(out) { _out += '{'; }
    void close() { _out += '}'; }

    void key(std::string_view k)
    {
        if (_first) {
            _first = false;
        } else {
            _out += ',';
        }
        append_json_string(_out, k);
        _out += ':';
    }
    void member(std::string_view k, std::string_view v)
    {
        key(k);
        append_json_string(_out, v);
    }
    // Not to bool: a literal would otherwise take that conversion.
    void member(std::string_view k, const char* v) { member(k, std::string_view(v)); }
    void member(std::string_view k, int64_t v)
    {
        key(k);
        fmt::format_to(std::back_inserter(_out), "{}", v);
    }
    void member(std::string_view k, uint64_t v)
    {
        key(k);
        fmt::format_to(std::back_inserter(_out), "{}", v);
    }
    void member(std::string_view k, int v) { member(k, static_cast<int64_t>(v)); }
    void member(std::string_view k, uint32_t v) { member(k, static_cast<uint64_t>(v)); }
    void member(std::string_view k, uint8_t v) { member(k, static_cast<uint64_t>(v)); }
    void member(std::string_view k, bool v)
    {
        key(k);
        _out += v ? "true" : "false";
    }
    // A nested object: the caller writes its members and closes it.
    ObjectWriter object(std::string_view k)
    {
        key(k);
        return ObjectWriter(_out);
    }

private:
    std::string& _out;
    bool _first = true;
};

void write_leg(ObjectWriter& parent, std::string_view name, const CallLegStatus& leg)
{
    ObjectWriter o = parent.object(name);
    if (leg.sip) {
        o.member("sip_trunk", leg.span);
    } else {
        o.member("span", leg.span);
        o.member("channel", leg.channel);
    }
    o.close();
}

void write_media(ObjectWriter& parent, std::string_view name, const CdrMedia& m)
{
    ObjectWriter o = parent.object(name);
    o.member("rtp_packets_out", m.stats.packets_out);
    o.member("rtp_packets_in", m.stats.packets_in);
    o.member("lost_packets", m.stats.lost_packets);
    o.member("expected_packets", m.stats.expected_packets);
    o.member("concealed_ms", m.stats.concealed_ms);
    o.member("jitter_us", m.stats.jitter_us);
    o.member("rtt_us", m.stats.rtt_us);
    o.member("final", m.final);
    o.close();
}

}  // namespace

void append_json_string(std::string& out, std::string_view s)
{
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            if (std::size_t n = utf8_sequence(s, i)) {
                out.append(s.substr(i, n));
                i += n;
            } else {
                out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
                ++i;
            }
            continue;
        }
        // RFC 8259 section 7: quotation mark, reverse solidus and the
        // control characters (U+0000 to U+001F) must be escaped.
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xF];
            } else {
                out += static_cast<char>(c);
            }
        }
        ++i;
    }
    out += '"';
}

std::string cdr_line(const CdrRecord& r)
{
    std::string out;
    out.reserve(640);
    ObjectWriter o(out);
    o.member("call_id", r.call_id);
    o.member("instance", r.instance);
    write_leg(o, "in", r.in);
    if (!r.out.span.empty()) {
        write_leg(o, "out", r.out);
    }
    {
        ObjectWriter calling = o.object("calling");
        calling.member("digits", r.calling.digits);
        calling.member("ton", r.calling.ton);
        calling.member("npi", r.calling.npi);
        calling.member("presentation", r.calling.presentation);
        calling.member("screening", r.calling.screening);
        calling.close();
    }
    {
        ObjectWriter called = o.object("called");
        called.member("digits", r.called.digits);
        called.member("ton", r.called.ton);
        called.member("npi", r.called.npi);
        called.close();
    }
    o.member("called_out", r.called_out);
    if (!r.redirecting.digits.empty()) {
        ObjectWriter red = o.object("redirecting");
        red.member("digits", r.redirecting.digits);
        red.member("reason", r.redirecting_reason);
        red.close();
    }
    o.member("route", r.route);
    if (!r.toll_class.empty()) {
        o.member("toll_class", r.toll_class);
    }
    o.member("setup_unix_ms", r.setup_unix_ms);
    if (r.answer_unix_ms != 0) {
        o.member("answer_unix_ms", r.answer_unix_ms);
        o.member("connected_ms", r.end_unix_ms - r.answer_unix_ms);
    }
    o.member("end_unix_ms", r.end_unix_ms);
    // Q.850 causes of both legs: what the caller got ("cause" too, as
    // before), and what the called side gave (0: it did not clear; we or
    // the caller did).
    o.member("cause", r.cause_in);
    o.member("cause_in", r.cause_in);
    o.member("cause_out", r.cause_out);
    o.member("cleared_by", r.cleared_by);
    o.key("destinations_tried");
    out += '[';
    for (std::size_t i = 0; i < r.destinations_tried.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        append_json_string(out, r.destinations_tried[i]);
    }
    out += ']';
    if (r.media_in || r.media_out) {
        ObjectWriter media = o.object("media");
        if (r.media_in) {
            write_media(media, "in", *r.media_in);
        }
        if (r.media_out) {
            write_media(media, "out", *r.media_out);
        }
        media.close();
    }
    o.close();
    return out;
}

}  // namespace trunkgw::control
