// Redirecting number <-> Diversion / History-Info; see redirection.h.
#include "signaling/interwork/redirection.h"

#include <cctype>
#include <cstdlib>

namespace trunkgw::interwork {

namespace {

struct ReasonRow {
    int q952;
    const char* diversion;  // RFC 5806 4
    int cause;              // RFC 4458 2 (History-Info)
};

// Q.952 <-> RFC 5806 <-> RFC 4458, as RFC 6044 7 maps them.
constexpr ReasonRow reasons[] = {
    {q952::unknown, "unknown", 404},
    {q952::busy, "user-busy", 486},
    {q952::no_reply, "no-answer", 408},
    {q952::deflection, "deflection", 487},
    {q952::out_of_order, "out-of-service", 503},
    {q952::by_called_dte, "unavailable", 480},
    {q952::unconditional, "unconditional", 302},
};

std::string lower(std::string s)
{
    for (char& ch : s) {
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    return s;
}

// Splits a header value list on commas outside <...> and quotes.
std::vector<std::string> entries(const std::vector<std::string>& values)
{
    std::vector<std::string> out;
    for (const std::string& v : values) {
        std::string cur;
        bool in_angle = false;
        bool in_quote = false;
        for (char ch : v) {
            if (ch == '"' && !in_angle) {
                in_quote = !in_quote;
            } else if (ch == '<' && !in_quote) {
                in_angle = true;
            } else if (ch == '>' && !in_quote) {
                in_angle = false;
            }
            if (ch == ',' && !in_angle && !in_quote) {
                out.push_back(cur);
                cur.clear();
                continue;
            }
            cur += ch;
        }
        if (cur.find_first_not_of(" \t") != std::string::npos) {
            out.push_back(cur);
        }
    }
    return out;
}

// The user part of the (first) SIP URI in an entry.
std::string user_of(const std::string& entry)
{
    std::size_t at = entry.find("sip:");
    std::size_t skip = 4;
    if (const std::size_t tel = entry.find("tel:"); at == std::string::npos && tel != std::string::npos) {
        at = tel;
    }
    const std::size_t sips = entry.find("sips:");
    if (sips != std::string::npos && (at == std::string::npos || sips < at)) {
        at = sips;
        skip = 5;
    }
    if (at == std::string::npos) {
        return {};
    }
    const std::size_t from = at + skip;
    const std::size_t end = entry.find_first_of("@;>?", from);
    return entry.substr(from, end == std::string::npos ? std::string::npos : end - from);
}

// The value of `name=` (case-insensitive) in an entry, "" when absent.
std::string param_of(const std::string& entry, const std::string& name)
{
    const std::string low = lower(entry);
    std::size_t pos = 0;
    while ((pos = low.find(name + "=", pos)) != std::string::npos) {
        if (pos == 0 || low[pos - 1] == ';' || low[pos - 1] == ' ' || low[pos - 1] == '?' || low[pos - 1] == '&') {
            const std::size_t from = pos + name.size() + 1;
            const std::size_t end = entry.find_first_of(";>,&? ", from);
            std::string v = entry.substr(from, end == std::string::npos ? std::string::npos : end - from);
            if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
                v = v.substr(1, v.size() - 2);
            }
            return v;
        }
        pos += name.size();
    }
    return {};
}

}  // namespace

std::string diversion_reason(int q952_reason)
{
    for (const auto& r : reasons) {
        if (r.q952 == q952_reason) {
            return r.diversion;
        }
    }
    return "unknown";
}

int q952_from_diversion_reason(const std::string& token)
{
    const std::string t = lower(token);
    for (const auto& r : reasons) {
        if (t == r.diversion) {
            return r.q952;
        }
    }
    // RFC 5806 reasons without a Q.952 equivalent.
    if (t == "time-of-day" || t == "do-not-disturb" || t == "follow-me" || t == "away") {
        return q952::by_called_dte;
    }
    return q952::unknown;
}

int history_cause(int q952_reason)
{
    for (const auto& r : reasons) {
        if (r.q952 == q952_reason) {
            return r.cause;
        }
    }
    return 404;
}

int q952_from_history_cause(int cause)
{
    for (const auto& r : reasons) {
        if (r.cause == cause) {
            return r.q952;
        }
    }
    return q952::unknown;
}

std::string diversion_header(const Redirection& r, const std::string& host)
{
    // RFC 5806 4: counter = how many redirections; one we know of.
    return "<sip:" + r.number + "@" + host + ">;reason=" + diversion_reason(r.reason) + ";counter=1";
}

std::string history_info_header(const Redirection& r, const std::string& called, const std::string& host)
{
    // RFC 7044 9 / RFC 4458: the entry of the retargeted request carries
    // the cause of the retargeting.
    return "<sip:" + r.number + "@" + host + ">;index=1, <sip:" + called + "@" + host +
           ";cause=" + std::to_string(history_cause(r.reason)) + ">;index=1.1";
}

Redirection from_diversion(const std::vector<std::string>& values)
{
    for (const std::string& e : entries(values)) {  // topmost first: the most recent
        Redirection r{user_of(e), q952_from_diversion_reason(param_of(e, "reason"))};
        if (!r.number.empty()) {
            return r;
        }
    }
    return {};
}

Redirection from_history_info(const std::vector<std::string>& values)
{
    const std::vector<std::string> es = entries(values);
    // The last entry retargeted with a cause; the redirecting party is the
    // entry before it.
    for (std::size_t i = es.size(); i-- > 1;) {
        const std::string cause = param_of(es[i], "cause");
        if (cause.empty()) {
            continue;
        }
        Redirection r{user_of(es[i - 1]), q952_from_history_cause(std::atoi(cause.c_str()))};
        if (!r.number.empty()) {
            return r;
        }
    }
    return {};
}

}  // namespace trunkgw::interwork
