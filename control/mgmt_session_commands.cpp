// Session commands for the management API; see mgmt_session_commands.h.
#include "control/mgmt_session_commands.h"

#include <arpa/inet.h>

#include <stdexcept>

#include <fmt/format.h>

#include "control/srtp_keys.h"

namespace trunkgw::control {

using nlohmann::json;

namespace {

uint32_t parse_ipv4_arg(const std::string& text, const char* what)
{
    in_addr a{};
    if (inet_pton(AF_INET, text.c_str(), &a) != 1) {
        throw MgmtError(fmt::format("{} \"{}\" is not an IPv4 address", what, text));
    }
    return ntohl(a.s_addr);
}

// "IP:PORT" -> address and port (port 1..65535).
std::pair<uint32_t, uint16_t> parse_endpoint_arg(const std::string& text, const char* what)
{
    auto colon = text.rfind(':');
    if (colon == std::string::npos) {
        throw MgmtError(fmt::format("{} \"{}\" must be IPV4:PORT", what, text));
    }
    uint32_t ip = parse_ipv4_arg(text.substr(0, colon), what);
    char* end = nullptr;
    std::string port = text.substr(colon + 1);
    long n = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || n < 1 || n > 65535) {
        throw MgmtError(fmt::format("{} \"{}\": port must be 1..65535", what, text));
    }
    return {ip, static_cast<uint16_t>(n)};
}

template <class T>
T arg(const json& args, const char* key, T fallback)
{
    if (!args.contains(key)) {
        return fallback;
    }
    try {
        return args.at(key).get<T>();
    } catch (const json::exception&) {
        throw MgmtError(fmt::format("argument \"{}\" has the wrong type", key));
    }
}

uint32_t slot_arg(const json& args)
{
    if (!args.contains("id") || !args["id"].is_number_unsigned() || args["id"].get<uint64_t>() > UINT32_MAX) {
        throw MgmtError("argument \"id\" (the session number) is required");
    }
    return args["id"].get<uint32_t>();
}

// A telephone-event PT argument (0: none); SessionManager judges 96-127.
uint8_t telephone_event_arg(const json& args)
{
    const uint32_t te = arg<uint32_t>(args, "telephone_event", 0);
    if (te > 255) {
        throw MgmtError(fmt::format("telephone_event {}: a payload type, 96-127", te));
    }
    return static_cast<uint8_t>(te);
}

}  // namespace

json sessions_json(const Snapshot& s)
{
    json rows = json::array();
    for (const auto& r : s.sessions) {
        json c = json::object();
        for (std::size_t i = 0; i < api::session_counter_count; ++i) {
            std::string name = api::session_counter_info[i].name;
            auto cut = name.rfind("_total");
            uint64_t v = r.counters[i];
            if (i == static_cast<std::size_t>(api::SessionCounter::lost)) {
                c["lost"] = static_cast<int64_t>(v);
                continue;
            }
            c[cut == std::string::npos ? name : name.substr(0, cut)] = v;
        }
        rows.push_back({{"id", r.slot},
                        {"worker", r.worker_id},
                        {"channel", r.channel},
                        {"local", fmt::format("{}:{}", ipv4_text(r.local_ipv4), r.local_port)},
                        {"remote", r.remote_port == 0 ? std::string("-")
                                                      : fmt::format("{}:{}", ipv4_text(r.remote_ipv4), r.remote_port)},
                        {"codec", r.payload_type == 8 ? "PCMA" : "PCMU"},
                        {"ptime_ms", r.ptime_ms},
                        {"ssrc", r.ssrc},
                        {"sending", r.sending},
                        {"srtp", r.srtp},
                        {"rtp_timed_out", r.rtp_timed_out},
                        {"age_s", r.age_s},
                        {"counters", c}});
    }
    return {{"attached", s.attached}, {"slots", s.session_slots}, {"active", s.sessions.size()},
            {"sessions", rows}};
}

void add_session_commands(MgmtCommands& c, SessionManager& sessions)
{
    c["session create"] = {
        "start an RTP session: {span, ts} joins a B-channel; remote IP:PORT, codec pcma|pcmu, ptime, send, "
        "telephone_event PT (RFC 4733 DTMF events played on the channel), srtp {suite, ours, theirs} (RFC 4568 "
        "names and base64 master keys: SRTP both ways)",
        [&sessions](const json& args) {
            SessionRequest r;
            r.span = arg<std::string>(args, "span", "");
            r.timeslot = arg<uint32_t>(args, "ts", 0);
            r.worker_id = arg<uint32_t>(args, "worker", 0);
            if (std::string remote = arg<std::string>(args, "remote", ""); !remote.empty()) {
                auto [ip, port] = parse_endpoint_arg(remote, "remote");
                r.remote_ipv4 = ip;
                r.remote_port = port;
            }
            if (std::string local = arg<std::string>(args, "local", ""); !local.empty()) {
                r.local_ipv4 = parse_ipv4_arg(local, "local");
            }
            std::string codec = arg<std::string>(args, "codec", "pcma");
            if (codec != "pcma" && codec != "pcmu") {
                throw MgmtError(fmt::format("codec \"{}\": pcma or pcmu", codec));
            }
            r.payload_type = codec == "pcma" ? 8 : 0;
            r.ptime_ms = arg<uint32_t>(args, "ptime", 0);
            r.telephone_event_pt = telephone_event_arg(args);
            r.send = arg<bool>(args, "send", true);
            if (args.contains("srtp")) {
                // {"suite": RFC 4568 name, "ours": base64, "theirs": base64}
                const json& k = args["srtp"];
                try {
                    r.srtp = srtp_keys_from_text(arg<std::string>(k, "suite", ""), arg<std::string>(k, "ours", ""),
                                                 arg<std::string>(k, "theirs", ""));
                } catch (const std::invalid_argument& e) {
                    throw MgmtError(e.what());
                }
            }
            try {
                SessionHandle h = sessions.create(r);
                return json{{"id", h.slot},
                            {"worker", h.worker_id},
                            {"local", fmt::format("{}:{}", ipv4_text(h.local_ipv4), h.local_port)}};
            } catch (const SessionError& e) {
                throw MgmtError(e.what());
            }
        }};
    c["session modify"] = {"new remote IP:PORT and/or send (hold/resume) for session id; telephone_event PT: "
                           "the peer's, our RFC 4733 DTMF events go with it (0: none)",
                           [&sessions](const json& args) {
                               uint32_t id = slot_arg(args);
                               std::string remote = arg<std::string>(args, "remote", "");
                               if (remote.empty()) {
                                   throw MgmtError("argument \"remote\" (IPV4:PORT) is required");
                               }
                               auto [ip, port] = parse_endpoint_arg(remote, "remote");
                               std::optional<uint8_t> te;
                               if (args.contains("telephone_event")) {
                                   te = telephone_event_arg(args);
                               }
                               try {
                                   sessions.modify(id, ip, port, arg<bool>(args, "send", true), te);
                               } catch (const SessionError& e) {
                                   throw MgmtError(e.what());
                               }
                               return json{{"id", id}};
                           }};
    c["session delete"] = {"stop session id (bye: send RTCP BYE first)", [&sessions](const json& args) {
                               uint32_t id = slot_arg(args);
                               try {
                                   sessions.remove(id, arg<bool>(args, "bye", false));
                               } catch (const SessionError& e) {
                                   throw MgmtError(e.what());
                               }
                               return json{{"id", id}};
                           }};
}

}  // namespace trunkgw::control
