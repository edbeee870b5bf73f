// CDR lines: every field where a reader expects it, absent parts absent,
// and any string (a number from the wire can carry any octet) written so
// that the line still parses as JSON.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "control/calls/cdr_record.h"

using trunkgw::control::append_json_string;
using trunkgw::control::CallLegStatus;
using trunkgw::control::CdrMedia;
using trunkgw::control::cdr_line;
using trunkgw::control::CdrRecord;

namespace {

// What append_json_string wrote, read back by an independent parser.
std::string round_trip(const std::string& s)
{
    std::string out;
    append_json_string(out, s);
    return nlohmann::json::parse(out).get<std::string>();
}

}  // namespace

TEST_CASE("cdr: a PRI to SIP call that was answered has every field", "[cdr]")
{
    CdrRecord r;
    r.call_id = 42;
    r.instance = "gw-a";
    r.in = CallLegStatus{"e1-3", 7, false};
    r.out = CallLegStatus{"carrier", 0, true};
    r.calling.digits = "301234567";
    r.calling.ton = 2;
    r.calling.npi = 1;
    r.calling.presentation = 1;
    r.calling.screening = 3;
    r.called.digits = "0049301234";
    r.called.ton = 0;
    r.called.npi = 1;
    r.called_out = "+49301234";
    r.redirecting.digits = "301111";
    r.redirecting_reason = 1;
    r.route = "to-carrier";
    r.toll_class = "international";
    r.setup_unix_ms = 1000;
    r.answer_unix_ms = 1500;
    r.end_unix_ms = 4000;
    r.cause_in = 16;
    r.cause_out = 16;
    r.cleared_by = "caller";
    r.destinations_tried = {"e1-1:34", "carrier:0"};
    CdrMedia m;
    m.stats.packets_out = 125;
    m.stats.packets_in = 124;
    m.stats.lost_packets = 1;
    m.stats.expected_packets = 125;
    m.stats.concealed_ms = 20;
    m.stats.jitter_us = 850;
    m.stats.rtt_us = 12000;
    m.final = true;
    r.media_in = m;

    const std::string line = cdr_line(r);
    CHECK(line.find('\n') == std::string::npos);
    auto j = nlohmann::json::parse(line);
    CHECK(j["call_id"] == 42);
    CHECK(j["instance"] == "gw-a");
    CHECK(j["in"] == nlohmann::json{{"span", "e1-3"}, {"channel", 7}});
    CHECK(j["out"] == nlohmann::json{{"sip_trunk", "carrier"}});
    CHECK(j["calling"] == nlohmann::json{{"digits", "301234567"}, {"ton", 2}, {"npi", 1}, {"presentation", 1},
                                         {"screening", 3}});
    CHECK(j["called"] == nlohmann::json{{"digits", "0049301234"}, {"ton", 0}, {"npi", 1}});
    CHECK(j["called_out"] == "+49301234");
    CHECK(j["redirecting"] == nlohmann::json{{"digits", "301111"}, {"reason", 1}});
    CHECK(j["route"] == "to-carrier");
    CHECK(j["toll_class"] == "international");
    CHECK(j["setup_unix_ms"] == 1000);
    CHECK(j["answer_unix_ms"] == 1500);
    CHECK(j["connected_ms"] == 2500);
    CHECK(j["end_unix_ms"] == 4000);
    CHECK(j["cause"] == 16);
    CHECK(j["cause_in"] == 16);
    CHECK(j["cause_out"] == 16);
    CHECK(j["cleared_by"] == "caller");
    CHECK(j["destinations_tried"] == nlohmann::json{"e1-1:34", "carrier:0"});
    CHECK(j["media"]["in"] == nlohmann::json{{"rtp_packets_out", 125}, {"rtp_packets_in", 124},
                                             {"lost_packets", 1},      {"expected_packets", 125},
                                             {"concealed_ms", 20},     {"jitter_us", 850},
                                             {"rtt_us", 12000},        {"final", true}});
    CHECK_FALSE(j["media"].contains("out"));
}

TEST_CASE("cdr: a call no destination took has no out leg, answer or media", "[cdr]")
{
    CdrRecord r;
    r.call_id = 7;
    r.in = CallLegStatus{"pbx", 0, true};
    r.cause_in = 34;
    r.cleared_by = "callee";
    r.destinations_tried = {"e1-1:34"};
    auto j = nlohmann::json::parse(cdr_line(r));
    CHECK(j["in"] == nlohmann::json{{"sip_trunk", "pbx"}});
    CHECK(j["cause"] == 34);
    CHECK(j["cause_out"] == 0);
    for (const char* absent : {"out", "answer_unix_ms", "connected_ms", "media", "toll_class", "redirecting"}) {
        CAPTURE(absent);
        CHECK_FALSE(j.contains(absent));
    }
}

TEST_CASE("cdr: strings are escaped (RFC 8259 section 7) and ill-formed UTF-8 becomes U+FFFD", "[cdr]")
{
    CHECK(round_trip("plain") == "plain");
    CHECK(round_trip("a\"b\\c") == "a\"b\\c");
    CHECK(round_trip(std::string("nul\0tab\tnl\n\x1f", 12)) == std::string("nul\0tab\tnl\n\x1f", 12));
    CHECK(round_trip("caf\xC3\xA9 \xF0\x9F\x98\x80") == "caf\xC3\xA9 \xF0\x9F\x98\x80");  // valid: kept
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(round_trip("\xFF") == fffd);
    CHECK(round_trip("1\xE2\x82") == "1" + fffd + fffd);    // truncated three-octet sequence
    CHECK(round_trip("\xC0\xAF") == fffd + fffd);            // overlong '/'
    CHECK(round_trip("\xED\xA0\x80") == fffd + fffd + fffd); // a UTF-16 surrogate
    CHECK(round_trip("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);  // above U+10FFFF
    // A whole record with such a number still parses.
    CdrRecord r;
    r.calling.digits = "12\xFF\"3";
    auto j = nlohmann::json::parse(cdr_line(r));
    CHECK(j["calling"]["digits"] == "12" + fffd + "\"3");
}
