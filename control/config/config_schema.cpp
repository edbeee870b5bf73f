// The configuration schema: every table, key, type, range and cross-check.
// Problems are collected, not thrown one by one, so `--check` shows them all.
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "control/config/config.h"
#include "control/config/table_reader.h"
#include "signaling/isdn/switch_type_names.h"
#include "dataplane/api/attach_socket.h"
#include "dataplane/api/spsc_ring.h"
#include "dataplane/media/g711_codec.h"
#include "dataplane/net/ipv4.h"

namespace trunkgw::config {

namespace {

constexpr std::size_t unix_path_max = 107;  // sizeof(sockaddr_un::sun_path) - 1
constexpr int64_t lcore_max = 1023;         // RTE_MAX_LCORE in Debian's build is 128; EAL refuses above
constexpr int64_t workers_max = 64;
constexpr int64_t spans_max = 4096;
// RFC 1122 3.2.1.3: 0/8, loopback, multicast and class E (the limited
// broadcast) are no host's address: the data plane neither answers for
// them nor sends to them (net::ipv4_source_valid).
constexpr const char* not_unicast = "is not a unicast host address (not 0/8, 127/8, 224/4 or 240/4)";

bool valid_instance_name(const std::string& s)
{
    if (s.size() > 32) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

bool valid_pci_address(const std::string& s)
{
    // DDDD:BB:DD.F or BB:DD.F
    unsigned d = 0, b = 0, dev = 0, f = 0;
    char tail = 0;
    if (std::sscanf(s.c_str(), "%x:%x:%x.%x%c", &d, &b, &dev, &f, &tail) == 4) {
        return dev < 32 && f < 8;
    }
    return std::sscanf(s.c_str(), "%x:%x.%x%c", &b, &dev, &f, &tail) == 3 && dev < 32 && f < 8;
}

std::optional<uint32_t> parse_ipv4(const std::string& text)
{
    in_addr a{};
    if (inet_pton(AF_INET, text.c_str(), &a) != 1) {
        return std::nullopt;
    }
    return ntohl(a.s_addr);
}

// "192.0.2.1/24"
std::optional<Ipv4Prefix> parse_prefix(const std::string& text)
{
    auto slash = text.find('/');
    if (slash == std::string::npos) {
        return std::nullopt;
    }
    auto addr = parse_ipv4(text.substr(0, slash));
    std::string len = text.substr(slash + 1);
    char* end = nullptr;
    long n = std::strtol(len.c_str(), &end, 10);
    if (!addr || len.empty() || *end != '\0' || n < 1 || n > 32) {
        return std::nullopt;
    }
    return Ipv4Prefix{*addr, static_cast<uint8_t>(n)};
}

// Reads a list of [[tables]] with a unique integer `id` and a unique `name`.
template <class T, class ReadOne>
std::vector<T> read_list(TableReader& parent, const char* key, bool required, const std::string& file,
                         std::vector<Problem>& problems, ReadOne read_one)
{
    std::vector<T> out;
    std::map<uint32_t, uint32_t> ids;           // id -> line first seen
    std::map<std::string, uint32_t> names;      // name -> line first seen
    std::size_t i = 0;
    for (const toml::table* t : parent.tables(key, required)) {
        std::string path = fmt::format("{}[{}]", parent.path().empty() ? key : parent.path() + "." + key, i++);
        TableReader r(*t, path, file, problems);
        std::optional<T> item = read_one(r);
        if (item) {
            auto [it, fresh] = ids.emplace(item->id, r.line_of("id"));
            if (!fresh) {
                r.problem(r.line_of("id"), fmt::format("duplicate {} id {} (first defined on line {})",
                                                       key, item->id, it->second));
            }
            if constexpr (requires { item->name; }) {
                auto [nt, nfresh] = names.emplace(item->name, r.line_of("name"));
                if (!nfresh) {
                    r.problem(r.line_of("name"),
                              fmt::format("duplicate {} name \"{}\" (first defined on line {})", key,
                                          item->name, nt->second));
                }
            }
            out.push_back(*item);
        }
        r.finish();
    }
    return out;
}

void read_instance(TableReader& root, Config& c, const std::string& file, std::vector<Problem>& p)
{
    const toml::table* t = root.table("instance", true);
    if (t == nullptr) {
        return;
    }
    TableReader r(*t, "instance", file, p);
    if (auto v = r.string("name")) {
        if (!valid_instance_name(*v)) {
            r.problem(r.line_of("name"),
                      "'instance.name' must be 1-32 characters of a-z, 0-9, '-' and '_'");
        }
        c.instance.name = *v;
    }
    if (auto v = r.string("run_dir", "/run/trunkgw")) {
        if ((*v)[0] != '/') {
            r.problem(r.line_of("run_dir"), "'instance.run_dir' must be an absolute path");
        }
        c.instance.run_dir = *v;
    }
    r.finish();
}

void read_ring_size(TableReader& r, const char* key, int64_t fallback, uint32_t& out)
{
    if (auto v = r.integer(key, 2, 1 << 24, fallback)) {
        if (!api::ring_capacity_valid(static_cast<uint64_t>(*v))) {
            r.problem(r.line_of(key), fmt::format("'dataplane.{}' = {} must be a power of two", key, *v));
        }
        out = static_cast<uint32_t>(*v);
    }
}

void read_dataplane(TableReader& root, Config& c, const std::string& file, std::vector<Problem>& p)
{
    const toml::table* t = root.table("dataplane", true);
    if (t == nullptr) {
        return;
    }
    TableReader r(*t, "dataplane", file, p);
    auto& d = c.dataplane;
    if (auto v = r.integer("main_lcore", 0, lcore_max, 0)) {
        d.main_lcore = static_cast<uint32_t>(*v);
    }
    if (auto v = r.integer("memory_mb", 64, 1 << 20, 512)) {
        d.memory_mb = static_cast<uint32_t>(*v);
    }
    if (auto v = r.boolean("hugepages", false)) {
        d.hugepages = *v;
    }
    if (auto v = r.choice("poll_mode", {"adaptive", "busy"}, "adaptive")) {
        d.poll_mode = *v == "busy" ? PollMode::busy : PollMode::adaptive;
    }
    read_ring_size(r, "command_ring_size", 1024, d.command_ring_size);
    read_ring_size(r, "event_ring_size", 4096, d.event_ring_size);
    read_ring_size(r, "dchannel_ring_size", 256, d.dchannel_ring_size);
    if (auto v = r.integer("sessions_per_worker", 1, 1 << 18, 4096)) {
        d.sessions_per_worker = static_cast<uint32_t>(*v);
    }
    if (auto v = r.integer("mbufs", 511, 1 << 24, 8191)) {
        d.mbufs = static_cast<uint32_t>(*v);
    }
    if (auto v = r.string_array("eal_extra_args", false)) {
        d.eal_extra_args = *v;
    }
    std::map<uint32_t, uint32_t> lcores;  // lcore -> line
    d.workers = read_list<Worker>(r, "worker", true, file, p, [&](TableReader& w) -> std::optional<Worker> {
        auto id = w.integer("id", 1, workers_max);
        auto lcore = w.integer("lcore", 0, lcore_max);
        if (!id || !lcore) {
            return std::nullopt;
        }
        auto l = static_cast<uint32_t>(*lcore);
        if (l == d.main_lcore) {
            w.problem(w.line_of("lcore"),
                      fmt::format("worker lcore {} is the main lcore (dataplane.main_lcore)", l));
        }
        auto [it, fresh] = lcores.emplace(l, w.line_of("lcore"));
        if (!fresh) {
            w.problem(w.line_of("lcore"),
                      fmt::format("lcore {} is already used by the worker on line {}", l, it->second));
        }
        // The CPU the lcore's thread runs on (EAL --lcores lcore@cpu):
        // normally the lcore's own number; a test or a small machine may
        // put several workers on one CPU (they must then poll adaptively).
        uint32_t cpu = l;
        if (auto v = w.integer("cpu", 0, lcore_max, static_cast<int64_t>(l))) {
            cpu = static_cast<uint32_t>(*v);
        }
        uint32_t rt = 0;
        if (auto v = w.integer("realtime_priority", 0, 99, 0)) {
            rt = static_cast<uint32_t>(*v);
            if (rt > 0 && d.poll_mode == PollMode::busy) {
                w.problem(w.line_of("realtime_priority"),
                          "realtime_priority needs dataplane.poll_mode = \"adaptive\": a busy-polling real-time "
                          "thread would never give its core to anything else");
            }
        }
        return Worker{static_cast<uint32_t>(*id), l, cpu, rt};
    });
    if (d.workers.size() > workers_max) {
        r.problem(r.table_line(), fmt::format("at most {} workers", workers_max));
    }
    r.finish();
}

void read_ports(TableReader& root, Config& c, const std::string& file, std::vector<Problem>& p)
{
    std::map<std::string, uint32_t> devices;
    c.ports = read_list<Port>(root, "port", false, file, p, [&](TableReader& r) -> std::optional<Port> {
        auto id = r.integer("id", 1, 1024);
        auto name = r.string("name");
        Port port{};
        bool has_pci = r.has("pci");
        bool has_vdev = r.has("vdev");
        if (has_pci == has_vdev) {
            r.problem(r.table_line(), "a port needs exactly one of 'pci' or 'vdev'");
        }
        if (has_pci) {
            if (auto v = r.string("pci")) {
                if (!valid_pci_address(*v)) {
                    r.problem(r.line_of("pci"), fmt::format("'pci' = \"{}\" is not a PCI address "
                                                            "(DDDD:BB:DD.F)", *v));
                }
                port.pci = *v;
            }
        }
        if (has_vdev) {
            if (auto v = r.string("vdev")) {
                // DPDK names virtual devices net_<driver><n>[,args].
                std::string dev = v->substr(0, v->find(','));
                if (dev.rfind("net_", 0) != 0) {
                    r.problem(r.line_of("vdev"),
                              fmt::format("'vdev' = \"{}\" must name a net_* virtual device", *v));
                }
                port.vdev = *v;
            }
        }
        std::string dev = has_pci ? port.pci : port.vdev.substr(0, port.vdev.find(','));
        if (!dev.empty()) {
            uint32_t line = r.line_of(has_pci ? "pci" : "vdev");
            auto [it, fresh] = devices.emplace(dev, line);
            if (!fresh) {
                r.problem(line, fmt::format("device {} is already used by the port on line {}", dev,
                                            it->second));
            }
        }
        if (auto addrs = r.string_array("addresses", false)) {
            for (const auto& a : *addrs) {
                auto pfx = parse_prefix(a);
                if (!pfx) {
                    r.problem(r.line_of("addresses"),
                              fmt::format("'addresses' entry \"{}\" is not IPV4/PREFIXLEN (e.g. \"192.0.2.1/24\")", a));
                    continue;
                }
                if (!net::ipv4_source_valid(pfx->address)) {
                    r.problem(r.line_of("addresses"), fmt::format("'addresses' entry \"{}\" {}", a, not_unicast));
                    continue;
                }
                port.addresses.push_back(*pfx);
            }
        }
        if (r.has("gateway")) {
            if (auto g = r.string("gateway")) {
                if (auto a = parse_ipv4(*g); a && !net::ipv4_source_valid(*a)) {
                    r.problem(r.line_of("gateway"), fmt::format("'gateway' = \"{}\" {}", *g, not_unicast));
                } else if (a) {
                    port.gateway = *a;
                } else {
                    r.problem(r.line_of("gateway"), fmt::format("'gateway' = \"{}\" is not an IPv4 address", *g));
                }
            }
        }
        if (auto v = r.integer("vlan", 0, 4094, 0)) {
            // IEEE 802.1Q: VID 0 means untagged here, 4095 is reserved.
            port.vlan = static_cast<uint16_t>(*v);
        }
        if (auto v = r.boolean("flow_steering", true)) {
            port.flow_steering = *v;
        }
        if (!id || !name) {
            return std::nullopt;
        }
        port.id = static_cast<uint32_t>(*id);
        port.name = *name;
        return port;
    });
}

void read_pseudowire(TableReader& w, const Config& c, SpanType type, Span& span)
{
    SpanPseudowire pw{};
    bool ok = true;
    if (auto v = w.choice("mode", {"satop", "cesopsn"})) {
        pw.mode = *v == "satop" ? PseudowireMode::satop : PseudowireMode::cesopsn;
    } else {
        ok = false;
    }
    if (auto v = w.string("port")) {
        auto it = std::find_if(c.ports.begin(), c.ports.end(), [&](const Port& x) { return x.name == *v; });
        if (it == c.ports.end()) {
            w.problem(w.line_of("port"), fmt::format("pseudowire port \"{}\" is not a [[port]] name", *v));
            ok = false;
        } else if (it->addresses.empty()) {
            w.problem(w.line_of("port"), fmt::format("port \"{}\" has no 'addresses' to send a pseudowire from", *v));
            ok = false;
        } else {
            pw.port_index = static_cast<uint32_t>(it - c.ports.begin());
            pw.local_ipv4 = it->addresses.front().address;
        }
    } else {
        ok = false;
    }
    if (auto v = w.string("remote_address")) {
        if (auto a = parse_ipv4(*v); a && !net::ipv4_source_valid(*a)) {
            w.problem(w.line_of("remote_address"), fmt::format("'remote_address' = \"{}\" {}", *v, not_unicast));
            ok = false;
        } else if (a) {
            pw.remote_ipv4 = *a;
            // Reachable only on-link or through the port's gateway: we ARP
            // for one or the other (RFC 1122 3.3.1).
            if (ok && c.ports[pw.port_index].gateway == 0) {
                bool on_link = false;
                for (const auto& pfx : c.ports[pw.port_index].addresses) {
                    on_link |= pfx.contains(*a);
                }
                if (!on_link) {
                    w.problem(w.line_of("remote_address"),
                              fmt::format("'remote_address' = \"{}\" is not on a subnet of port \"{}\", which has "
                                          "no 'gateway'", *v, c.ports[pw.port_index].name));
                    ok = false;
                }
            }
        } else {
            w.problem(w.line_of("remote_address"), fmt::format("'remote_address' = \"{}\" is not an IPv4 address", *v));
            ok = false;
        }
    } else {
        ok = false;
    }
    auto lport = w.integer("local_udp_port", 1, 65535);
    auto rport = w.integer("remote_udp_port", 1, 65535);
    ok = ok && lport && rport;
    if (lport && rport) {
        pw.local_udp_port = static_cast<uint16_t>(*lport);
        pw.remote_udp_port = static_cast<uint16_t>(*rport);
    }
    if (auto v = w.integer("frames_per_packet", 1, 64, 8)) {
        pw.frames_per_packet = static_cast<uint32_t>(*v);
        // 8 T1 frames are 1544 bits = 193 octets: SAToP packets hold whole
        // octets only for multiples of 8 frames (RFC 4553 5.1).
        if (type == SpanType::t1 && pw.mode == PseudowireMode::satop && *v % 8 != 0) {
            w.problem(w.line_of("frames_per_packet"),
                      "SAToP on T1 needs 'frames_per_packet' a multiple of 8 (whole octets)");
            ok = false;
        }
    }
    if (auto v = w.integer("jitter_packets", 1, 32, 4)) {
        pw.jitter_packets = static_cast<uint32_t>(*v);
    }
    // CESoPSN basic mode carries N x 64 kbit/s (RFC 5086 4.1); by default
    // every bearer timeslot and the D-channel. SAToP carries the whole line.
    uint32_t last_ts = type == SpanType::e1 ? 31 : 24;
    if (w.has("timeslots") && pw.mode == PseudowireMode::satop) {
        w.problem(w.line_of("timeslots"), "'timeslots' applies to CESoPSN (SAToP carries the whole line)");
        ok = false;
    }
    if (auto list = w.integer_array("timeslots", 1, last_ts, false)) {
        int64_t prev = 0;
        for (int64_t ts : *list) {
            if (ts <= prev) {
                w.problem(w.line_of("timeslots"), "'timeslots' must ascend without repeats");
                ok = false;
                break;
            }
            prev = ts;
            pw.timeslots.push_back(static_cast<uint8_t>(ts));
        }
        if (pw.mode == PseudowireMode::cesopsn && pw.timeslots.empty()) {
            for (uint32_t ts = 1; ts <= last_ts; ++ts) {
                pw.timeslots.push_back(static_cast<uint8_t>(ts));
            }
        }
    } else {
        ok = false;
    }
    span.has_pseudowire = ok;
    span.pseudowire = pw;
    (void)last_ts;
}

// An NFAS group is one libpri instance (one Q.931 call reference space)
// over several spans: one primary D-channel, at most one backup, interface
// identifiers unique in the group (Q.931 4.5.13), and one set of link
// settings, which every span of the group must state alike.
void check_nfas_groups(const Config& c, const std::string& file, std::vector<Problem>& p)
{
    std::map<std::string, std::vector<const Span*>> groups;
    for (const auto& sp : c.spans) {
        if (sp.has_isdn && !sp.isdn.nfas_group.empty()) {
            groups[sp.isdn.nfas_group].push_back(&sp);
        }
    }
    for (const auto& [name, spans] : groups) {
        const Span* primary = nullptr;
        const Span* backup = nullptr;
        std::map<uint32_t, const Span*> ids;
        for (const Span* sp : spans) {
            const SpanIsdn& i = sp->isdn;
            if (i.dchannel == SpanDchannel::primary) {
                if (primary != nullptr) {
                    p.push_back({file, i.line, fmt::format("NFAS group \"{}\": spans \"{}\" and \"{}\" both carry the primary D-channel",
                                                           name, primary->name, sp->name)});
                }
                primary = sp;
            } else if (i.dchannel == SpanDchannel::backup) {
                if (backup != nullptr) {
                    p.push_back({file, i.line, fmt::format("NFAS group \"{}\": spans \"{}\" and \"{}\" both carry a backup D-channel (one backup per group)",
                                                           name, backup->name, sp->name)});
                }
                backup = sp;
            }
            auto [it, fresh] = ids.emplace(i.nfas_interface, sp);
            if (!fresh) {
                p.push_back({file, i.line, fmt::format("NFAS group \"{}\": spans \"{}\" and \"{}\" both have nfas_interface {}",
                                                       name, it->second->name, sp->name, i.nfas_interface)});
            }
        }
        if (primary == nullptr) {
            p.push_back({file, spans.front()->isdn.line,
                         fmt::format("NFAS group \"{}\": no span carries its primary D-channel (dchannel = \"primary\")", name)});
            continue;
        }
        const SpanIsdn& a = primary->isdn;
        for (const Span* sp : spans) {
            const SpanIsdn& b = sp->isdn;
            if (b.network_side != a.network_side || b.switch_type != a.switch_type || b.hunting != a.hunting ||
                b.overlap_receiving != a.overlap_receiving || b.overlap_timeout_ms != a.overlap_timeout_ms ||
                b.t309_ms != a.t309_ms || b.t200_ms != a.t200_ms || b.n200 != a.n200 || b.t203_ms != a.t203_ms) {
                p.push_back({file, b.line,
                             fmt::format("NFAS group \"{}\": span \"{}\" differs from \"{}\" (the primary D-channel's) in side, "
                                         "switch_type, hunting, overlap or timer (T309, T200, N200, T203) settings: one D-channel, one "
                                         "set of them",
                                         name, sp->name, primary->name)});
            }
        }
    }
}

void read_spans(TableReader& root, Config& c, const std::string& file, std::vector<Problem>& p)
{
    c.spans = read_list<Span>(root, "span", false, file, p, [&](TableReader& r) -> std::optional<Span> {
        auto id = r.integer("id", 1, spans_max);
        auto name = r.string("name");
        auto type = r.choice("type", {"e1", "t1"});
        auto worker = r.integer("worker", 1, workers_max);
        if (name && name->size() > 31) {
            r.problem(r.line_of("name"), "span names are at most 31 characters");
        }
        if (worker) {
            bool found = std::any_of(c.dataplane.workers.begin(), c.dataplane.workers.end(),
                                     [&](const Worker& w) { return w.id == *worker; });
            if (!found) {
                r.problem(r.line_of("worker"),
                          fmt::format("span worker {} is not a [[dataplane.worker]] id", *worker));
            }
        }
        Span span{};
        if (type && *type == "e1") {
            if (auto v = r.boolean("crc4", true)) {
                span.crc4 = *v;
            }
            if (r.has("framing")) {
                r.problem(r.line_of("framing"), "'framing' applies to T1 spans (E1 framing is G.704 2.3 with 'crc4')");
                r.string("framing");
            }
        } else if (type) {
            if (auto v = r.choice("framing", {"esf", "d4"}, "esf")) {
                span.framing = *v == "d4" ? T1Framing::d4 : T1Framing::esf;
            }
            if (r.has("crc4")) {
                r.problem(r.line_of("crc4"), "'crc4' applies to E1 spans (T1 ESF carries CRC-6 by itself)");
                r.boolean("crc4");
            }
        }
        if (const toml::table* pw = r.table("pseudowire", false); pw != nullptr && type) {
            TableReader w(*pw, r.path() + ".pseudowire", file, p);
            read_pseudowire(w, c, *type == "e1" ? SpanType::e1 : SpanType::t1, span);
            w.finish();
        }
        if (const toml::table* it = r.table("isdn", false); it != nullptr && type) {
            TableReader w(*it, r.path() + ".isdn", file, p);
            if (auto side = w.choice("side", {"user", "network"})) {
                span.isdn.network_side = *side == "network";
            }
            std::vector<std::string> names(isdn::switch_type_name_list.begin(), isdn::switch_type_name_list.end());
            if (auto st = w.choice("switch_type", names)) {
                bool e1 = *type == "e1";
                if (e1 ? !isdn::switch_type_fits_e1(*st) : !isdn::switch_type_fits_t1(*st)) {
                    w.problem(w.line_of("switch_type"),
                              fmt::format("switch type {} does not run on {} spans", *st, e1 ? "E1" : "T1"));
                }
                span.isdn.switch_type = *st;
            }
            if (auto h = w.choice("hunting", {"ascending", "descending", "round_robin"},
                                  span.isdn.network_side ? "ascending" : "descending")) {
                span.isdn.hunting = *h == "ascending"    ? ChannelHunting::ascending
                                    : *h == "descending" ? ChannelHunting::descending
                                                         : ChannelHunting::round_robin;
            }
            if (auto v = w.boolean("overlap_receiving", false)) {
                span.isdn.overlap_receiving = *v;
            }
            // Q.931 Table 9-2: T302 is 10-15 s; shorter is common where
            // numbers are known to be complete sooner.
            if (auto v = w.integer("overlap_timeout_ms", 1000, 60000, 5000)) {
                span.isdn.overlap_timeout_ms = static_cast<uint32_t>(*v);
            }
            // T309 and the Q.921 timers: defaults and ranges in
            // signaling/isdn/pri_timer_limits.h. A shorter T309 frees the
            // channels of a dead link sooner, a longer one keeps calls
            // through a longer outage.
            // True when the key's value (or its default) is in range.
            auto timer = [&w](const char* key, const isdn::pri_timer::Limits& l, uint32_t& out) {
                auto v = w.integer(key, l.min, l.max, l.default_value);
                if (v) {
                    out = static_cast<uint32_t>(*v);
                }
                return v.has_value();
            };
            timer("t309_ms", isdn::pri_timer::t309_ms, span.isdn.t309_ms);
            timer("t200_ms", isdn::pri_timer::t200_ms, span.isdn.t200_ms);
            timer("n200", isdn::pri_timer::n200, span.isdn.n200);
            if (timer("t203_ms", isdn::pri_timer::t203_ms, span.isdn.t203_ms) &&
                !isdn::pri_timer::q921_timers_ordered(span.isdn.t200_ms, span.isdn.t203_ms)) {
                w.problem(w.line_of("t203_ms"), fmt::format("'{0}.t203_ms' must be above '{0}.t200_ms' ({1})", w.path(),
                                                            isdn::pri_timer::q921_order_reason));
            }
            if (auto g = w.string("nfas_group", std::string())) {
                span.isdn.nfas_group = *g;
            }
            if (auto v = w.integer("nfas_interface", 0, 127, 0)) {
                span.isdn.nfas_interface = static_cast<uint32_t>(*v);
            }
            if (auto d = w.choice("dchannel", {"primary", "backup", "none"}, "primary")) {
                span.isdn.dchannel = *d == "backup" ? SpanDchannel::backup
                                     : *d == "none" ? SpanDchannel::none
                                                    : SpanDchannel::primary;
                if (span.isdn.nfas_group.empty() && *d != "primary") {
                    w.problem(w.line_of("dchannel"),
                              fmt::format("dchannel = \"{}\" needs nfas_group: without NFAS a span carries its own D-channel", *d));
                }
            }
            if (!span.isdn.nfas_group.empty() && *type == "e1") {
                w.problem(w.line_of("nfas_group"),
                          "NFAS exists on T1 PRI only (an E1 PRI carries its own D-channel in timeslot 16)");
            }
            if (span.isdn.nfas_group.empty() && w.has("nfas_interface")) {
                w.problem(w.line_of("nfas_interface"), "nfas_interface needs nfas_group");
            }
            span.isdn.line = w.table_line();
            span.has_isdn = true;
            w.finish();
        }
        if (!id || !name || !type || !worker) {
            return std::nullopt;
        }
        span.id = static_cast<uint32_t>(*id);
        span.name = *name;
        span.type = *type == "e1" ? SpanType::e1 : SpanType::t1;
        span.worker = static_cast<uint32_t>(*worker);
        return span;
    });
    // Two pseudowires cannot share a local UDP port on one port.
    std::map<std::pair<uint32_t, uint16_t>, std::string> endpoints;
    for (const auto& sp : c.spans) {
        if (!sp.has_pseudowire) {
            continue;
        }
        auto key = std::make_pair(sp.pseudowire.port_index, sp.pseudowire.local_udp_port);
        auto [it, fresh] = endpoints.emplace(key, sp.name);
        if (!fresh) {
            root.problem(1, fmt::format("spans \"{}\" and \"{}\" both use UDP port {} on port {}", it->second, sp.name,
                                        sp.pseudowire.local_udp_port, c.ports[sp.pseudowire.port_index].name));
        }
    }
    if (c.spans.size() > spans_max) {
        root.problem(1, fmt::format("at most {} spans", spans_max));
    }
    check_nfas_groups(c, file, p);
}

// A pseudowire and RTP must never compete for a local UDP port.
void check_rtp_range_free(const Config& c, const std::string& file, uint32_t line, std::vector<Problem>& p)
{
    const Media& m = c.media;
    for (const auto& sp : c.spans) {
        if (sp.has_pseudowire && sp.pseudowire.local_udp_port >= m.rtp_port_min &&
            sp.pseudowire.local_udp_port <= m.rtp_port_max + 1) {
            p.push_back({file, line,
                         fmt::format("span {} uses local UDP port {}, inside the RTP range {}-{}", sp.name,
                                     sp.pseudowire.local_udp_port, m.rtp_port_min, m.rtp_port_max)});
        }
    }
}

bool dial_digits(const std::string& s)
{
    return std::all_of(s.begin(), s.end(), [](char ch) { return (ch >= '0' && ch <= '9') || ch == '*' || ch == '#'; });
}

// Default failover causes: the destination could not take the call, not
// the called party refusing it (Q.850: 34 no circuit, 38 network out of
// order, 41 temporary failure, 42 switching equipment congestion, 44
// requested circuit not available, 47 resource unavailable).
const std::vector<int64_t> default_failover_causes = {34, 38, 41, 42, 44, 47};

bool has_isdn_span(const Config& c, const std::string& n)
{
    return std::any_of(c.spans.begin(), c.spans.end(), [&n](const Span& s) { return s.name == n && s.has_isdn; });
}

// A name routes may use: span, span group or SIP trunk names are one namespace.
bool name_taken(const Config& c, const std::string& n)
{
    return c.span(n) != nullptr || c.sip_trunk(n) != nullptr || c.span_group(n) != nullptr;
}

void read_span_groups(TableReader& root, Config& c, const std::string& file, std::vector<Problem>& p)
{
    std::size_t i = 0;
    for (const toml::table* t : root.tables("span_group", false)) {
        TableReader r(*t, fmt::format("span_group[{}]", i++), file, p);
        SpanGroup g;
        g.line = r.table_line();
        if (auto n = r.string("name")) {
            if (name_taken(c, *n)) {
                r.problem(r.line_of("name"), fmt::format("span group \"{}\": a span, SIP trunk or group has that name", *n));
            }
            g.name = *n;
        }
        if (auto spans = r.string_array("spans", true)) {
            if (spans->empty()) {
                r.problem(r.line_of("spans"), "spans: at least one span");
            }
            for (const auto& s : *spans) {
                if (!has_isdn_span(c, s)) {
                    r.problem(r.line_of("spans"), fmt::format("span \"{}\": no span of that name with [span.isdn]", s));
                }
                if (std::count(spans->begin(), spans->end(), s) > 1) {
                    r.problem(r.line_of("spans"), fmt::format("span \"{}\" listed twice", s));
                    break;
                }
            }
            g.spans = *spans;
        }
        if (auto h = r.choice("hunting", {"sequential", "round_robin"}, "sequential")) {
            g.hunting = *h;
        }
        r.finish();
        c.span_groups.push_back(std::move(g));
    }
}

// [toll_fraud]: [[toll_fraud.class]] name + prefixes; [[toll_fraud.allowance]]
// source + classes + caps.
void read_toll_fraud(TableReader& root, Config& c, const std::string& file, std::vector<Problem>& p)
{
    const toml::table* t = root.table("toll_fraud", false);
    if (t == nullptr) {
        return;
    }
    TableReader r(*t, "toll_fraud", file, p);
    std::size_t i = 0;
    for (const toml::table* ct : r.tables("class", false)) {
        TableReader w(*ct, fmt::format("toll_fraud.class[{}]", i++), file, p);
        TollClass k;
        k.line = w.table_line();
        if (auto n = w.string("name")) {
            for (const TollClass& other : c.toll_fraud.classes) {
                if (other.name == *n) {
                    w.problem(w.line_of("name"), fmt::format("duplicate toll-fraud class \"{}\" (first on line {})", *n, other.line));
                }
            }
            k.name = *n;
        }
        if (auto pre = w.string_array("prefixes", true)) {
            if (pre->empty()) {
                w.problem(w.line_of("prefixes"), "prefixes: at least one");
            }
            for (const auto& x : *pre) {
                if (x.empty() || !dial_digits(x)) {
                    w.problem(w.line_of("prefixes"), fmt::format("prefix \"{}\": only digits, * and #, not empty", x));
                }
            }
            k.prefixes = *pre;
        }
        w.finish();
        c.toll_fraud.classes.push_back(std::move(k));
    }
    auto is_class = [&c](const std::string& n) {
        return std::any_of(c.toll_fraud.classes.begin(), c.toll_fraud.classes.end(),
                           [&n](const TollClass& k) { return k.name == n; });
    };
    i = 0;
    for (const toml::table* at : r.tables("allowance", false)) {
        TableReader w(*at, fmt::format("toll_fraud.allowance[{}]", i++), file, p);
        TollAllowance a;
        a.line = w.table_line();
        if (auto s = w.string("source")) {
            if (!has_isdn_span(c, *s) && c.sip_trunk(*s) == nullptr) {
                w.problem(w.line_of("source"), fmt::format("source \"{}\": no span with [span.isdn] nor SIP trunk of that name", *s));
            }
            for (const TollAllowance& other : c.toll_fraud.allowances) {
                if (other.source == *s) {
                    w.problem(w.line_of("source"), fmt::format("a second allowance for \"{}\" (first on line {})", *s, other.line));
                }
            }
            a.source = *s;
        }
        if (auto cl = w.string_array("classes", true)) {
            for (const auto& n : *cl) {
                if (!is_class(n)) {
                    w.problem(w.line_of("classes"), fmt::format("class \"{}\": no [[toll_fraud.class]] of that name", n));
                }
            }
            a.classes = *cl;
        }
        if (auto v = w.integer("max_concurrent", 0, 100000, 0)) {
            a.max_concurrent = static_cast<uint32_t>(*v);
        }
        if (auto v = w.integer("max_per_hour", 0, 10000000, 0)) {
            a.max_per_hour = static_cast<uint32_t>(*v);
        }
        w.finish();
        c.toll_fraud.allowances.push_back(std::move(a));
    }
    r.finish();
}

// A regular expression key: compiled at load so that a bad one is refused
// here, with its line, and never at the first call.
std::shared_ptr<const std::regex> read_regex(TableReader& r, const char* key, std::string& text)
{
    auto v = r.string(key, "");
    if (!v || v->empty()) {
        return nullptr;
    }
    text = *v;
    try {
        return std::make_shared<const std::regex>(*v, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
        r.problem(r.line_of(key), fmt::format("{} \"{}\": not a regular expression ({})", key, *v, e.what()));
        return nullptr;
    }
}

void read_routes(TableReader& root, Config& c, const std::string& file, std::vector<Problem>& p)
{
    std::map<std::string, uint32_t> names;
    std::size_t i = 0;
    for (const toml::table* t : root.tables("route", false)) {
        TableReader r(*t, fmt::format("route[{}]", i++), file, p);
        Route route{};
        route.line = r.table_line();
        auto name = r.string("name");
        auto called = r.string("called_prefix", "");
        auto calling = r.string("calling_prefix", "");
        auto from = r.string_array("from", false);
        auto to = r.string_array("to", true);
        auto strip = r.integer("strip", 0, 32, 0);
        auto prepend = r.string("prepend", "");
        std::optional<std::vector<int64_t>> causes;
        if (r.has("failover_causes")) {
            causes = r.integer_array("failover_causes", 1, 127, false);
        } else {
            causes = default_failover_causes;
        }
        if (name) {
            auto [it, fresh] = names.emplace(*name, r.line_of("name"));
            if (!fresh) {
                r.problem(r.line_of("name"),
                          fmt::format("duplicate route name \"{}\" (first defined on line {})", *name, it->second));
            }
            route.name = *name;
        }
        for (auto [key, value] : {std::pair{"called_prefix", &called}, std::pair{"calling_prefix", &calling},
                                  std::pair{"prepend", &prepend}}) {
            if (*value && !dial_digits(**value)) {
                r.problem(r.line_of(key), fmt::format("{} \"{}\": only digits, * and #", key, **value));
            }
        }
        route.called_regex = read_regex(r, "called_regex", route.called_regex_text);
        route.calling_regex = read_regex(r, "calling_regex", route.calling_regex_text);
        // Q.931 4.5.8 octet 3: type of number, numbering plan.
        static const std::vector<std::string> tons = {"unknown",  "international", "national",
                                                      "network_specific", "subscriber", "", "abbreviated"};
        if (r.has("called_ton")) {
            if (auto v = r.choice("called_ton", {"unknown", "international", "national", "network_specific",
                                                 "subscriber", "abbreviated"})) {
                route.called_ton = static_cast<int>(std::find(tons.begin(), tons.end(), *v) - tons.begin());
            }
        }
        if (r.has("called_npi")) {
            if (auto v = r.choice("called_npi", {"unknown", "isdn", "data", "telex", "national", "private"})) {
                static const std::map<std::string, int> npis = {{"unknown", 0}, {"isdn", 1}, {"data", 3},
                                                                {"telex", 4}, {"national", 8}, {"private", 9}};
                route.called_npi = npis.at(*v);
            }
        }
        if (auto allow = r.string_array("allow_classes", false)) {
            for (const auto& n : *allow) {
                if (std::none_of(c.toll_fraud.classes.begin(), c.toll_fraud.classes.end(),
                                 [&n](const TollClass& k) { return k.name == n; })) {
                    r.problem(r.line_of("allow_classes"), fmt::format("class \"{}\": no [[toll_fraud.class]] of that name", n));
                }
            }
            route.allow_classes = *allow;
        }
        // A route comes from ISDN spans and SIP trunks and goes to those or
        // to span groups.
        auto span_with_isdn = [&c](const std::string& n) { return c.sip_trunk(n) != nullptr || has_isdn_span(c, n); };
        if (from) {
            for (const auto& n : *from) {
                if (!span_with_isdn(n)) {
                    r.problem(r.line_of("from"), fmt::format("from \"{}\": no span of that name with [span.isdn], nor SIP trunk", n));
                }
            }
            route.from = *from;
        }
        if (to) {
            if (to->empty()) {
                r.problem(r.line_of("to"), "to: at least one destination");
            }
            for (const auto& n : *to) {
                if (!span_with_isdn(n) && c.span_group(n) == nullptr) {
                    r.problem(r.line_of("to"),
                              fmt::format("to \"{}\": no span of that name with [span.isdn], span group, nor SIP trunk", n));
                }
            }
            route.to = *to;
        }
        route.called_prefix = called.value_or("");
        route.calling_prefix = calling.value_or("");
        route.strip = static_cast<uint32_t>(strip.value_or(0));
        route.prepend = prepend.value_or("");
        if (causes) {
            route.failover_causes.assign(causes->begin(), causes->end());
        }
        r.finish();
        c.routes.push_back(std::move(route));
    }
}

void read_media(TableReader& root, Config& c, const std::string& file, std::vector<Problem>& p)
{
    Media& m = c.media;
    m = Media{16384, 32767, 20, JitterMode::fixed, 40, 200, 0, 5000, 46, true, 101};
    const toml::table* t = root.table("media", false);
    if (t == nullptr) {
        check_rtp_range_free(c, file, 0, p);  // against the default range
        return;
    }
    TableReader r(*t, "media", file, p);
    auto lo = r.integer("rtp_port_min", 1024, 65534, 16384);
    auto hi = r.integer("rtp_port_max", 1025, 65535, 32767);
    bool range_ok = lo && hi && *lo % 2 == 0 && *hi > *lo;
    if (lo && hi) {
        if (*lo % 2 != 0) {
            r.problem(r.line_of("rtp_port_min"), "'media.rtp_port_min' must be even (RTP even, RTCP odd: RFC 3550 11)");
        } else if (*hi <= *lo) {
            r.problem(r.line_of("rtp_port_max"), "'media.rtp_port_max' must be above 'media.rtp_port_min'");
        } else {
            m.rtp_port_min = static_cast<uint16_t>(*lo);
            m.rtp_port_max = static_cast<uint16_t>(*hi);
        }
    }
    if (auto v = r.integer("ptime_ms", 10, 40, 20)) {
        if (*v % 10 != 0) {
            r.problem(r.line_of("ptime_ms"), "'media.ptime_ms' must be 10, 20, 30 or 40");
        }
        m.ptime_ms = static_cast<uint32_t>(*v);
    }
    if (auto v = r.choice("jitter_mode", {"fixed", "adaptive"}, "fixed")) {
        m.jitter_mode = *v == "adaptive" ? JitterMode::adaptive : JitterMode::fixed;
    }
    auto jd = r.integer("jitter_delay_ms", 10, 1000, 40);
    auto jmax = r.integer("jitter_max_delay_ms", 20, 2000, 200);
    if (jd && jmax) {
        if (*jmax < *jd) {
            r.problem(r.line_of("jitter_max_delay_ms"),
                      "'media.jitter_max_delay_ms' must be at least 'media.jitter_delay_ms'");
        }
        m.jitter_delay_ms = static_cast<uint32_t>(*jd);
        m.jitter_max_delay_ms = static_cast<uint32_t>(*jmax);
    }
    if (auto v = r.integer("rtp_timeout_ms", 0, 65535, 0)) {
        m.rtp_timeout_ms = static_cast<uint32_t>(*v);
    }
    if (auto v = r.integer("rtcp_interval_ms", 0, 3600000, 5000)) {
        if (*v != 0 && *v < 5000) {
            r.problem(r.line_of("rtcp_interval_ms"),
                      "'media.rtcp_interval_ms' must be 0 (off) or at least 5000 (RFC 3550 6.2)");
        }
        m.rtcp_interval_ms = static_cast<uint32_t>(*v);
    }
    if (auto v = r.integer("dscp", 0, 63, 46)) {
        m.dscp = static_cast<uint8_t>(*v);
    }
    if (auto v = r.boolean("symmetric_rtp", true)) {
        m.symmetric_rtp = *v;
    }
    if (auto v = r.integer("telephone_event_pt", 0, 127, 101)) {
        if (*v != 0 && !media::is_dynamic_payload_type(static_cast<unsigned>(*v))) {
            r.problem(r.line_of("telephone_event_pt"),
                      "'media.telephone_event_pt' must be a dynamic payload type (96-127), or 0 (none)");
        }
        m.telephone_event_pt = static_cast<uint8_t>(*v);
    }
    if (range_ok) {
        check_rtp_range_free(c, file, r.line_of("rtp_port_min"), p);
    }
    r.finish();
}

// "IPV4:PORT" (port optional when `default_port` is non-zero).
std::optional<std::pair<uint32_t, uint16_t>> parse_endpoint(const std::string& v, uint16_t default_port)
{
    auto colon = v.rfind(':');
    std::string host = colon == std::string::npos ? v : v.substr(0, colon);
    auto ip = parse_ipv4(host);
    if (!ip) {
        return std::nullopt;
    }
    if (colon == std::string::npos) {
        if (default_port == 0) {
            return std::nullopt;
        }
        return std::make_pair(*ip, default_port);
    }
    std::string port = v.substr(colon + 1);
    char* end = nullptr;
    long n = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || n < 1 || n > 65535) {
        return std::nullopt;
    }
    return std::make_pair(*ip, static_cast<uint16_t>(n));
}

// [sip.tls]: listen port and Sofia's certificate directory, which must
// hold agent.pem (private key and certificate, RFC 3261 26.2) and, when
// peers are verified, cafile.pem.
void read_sip_tls(TableReader& sip, Config& c, const std::string& file, std::vector<Problem>& p)
{
    const toml::table* t = sip.table("tls", false);
    if (t == nullptr) {
        return;
    }
    TableReader r(*t, "sip.tls", file, p);
    c.sip.tls = true;
    if (auto v = r.integer("port", 1, 65535, 5061)) {
        c.sip.tls_port = static_cast<uint16_t>(*v);
        if (*v == c.sip.listen_port) {
            r.problem(r.line_of("port"), fmt::format("'sip.tls.port' = {} is the UDP/TCP port too", *v));
        }
    }
    auto verify = r.boolean("verify_peer", true);
    if (verify) {
        c.sip.tls_verify_peer = *verify;
    }
    if (auto v = r.string("certificate_dir")) {
        c.sip.tls_certificate_dir = *v;
        std::vector<std::string> needed{"agent.pem"};
        if (verify && *verify) {
            needed.emplace_back("cafile.pem");
        }
        for (const auto& f : needed) {
            const std::string path = *v + "/" + f;
            if (::access(path.c_str(), R_OK) != 0) {
                r.problem(r.line_of("certificate_dir"), fmt::format("'sip.tls.certificate_dir': cannot read {} ({})", path,
                                                                    std::strerror(errno)));
            }
        }
    }
    r.finish();
}

// [sip.trunk.inbound_auth] / [sip.trunk.outbound_auth]: digest credentials.
std::optional<SipCredentials> read_credentials(TableReader& trunk, const char* key, bool ours,
                                               const std::string& file, std::vector<Problem>& p)
{
    const toml::table* t = trunk.table(key, false);
    if (t == nullptr) {
        return std::nullopt;
    }
    TableReader r(*t, trunk.path() + "." + key, file, p);
    SipCredentials cr;
    auto user = r.string("username");
    auto pass = r.string("password");
    auto realm = r.string("realm", ours ? "trunkgw" : "");
    if (user && user->empty()) {
        r.problem(r.line_of("username"), "username must not be empty");
    }
    // A short shared secret is brute-forced in hours over the network.
    if (pass && pass->size() < 8) {
        r.problem(r.line_of("password"), "password must be at least 8 characters");
    }
    r.finish();
    if (!user || !pass || !realm) {
        return std::nullopt;
    }
    cr.username = *user;
    cr.password = *pass;
    cr.realm = *realm;
    return cr;
}

void read_sip(TableReader& root, Config& c, const std::string& file, std::vector<Problem>& p)
{
    const toml::table* t = root.table("sip", false);
    if (t == nullptr) {
        return;
    }
    TableReader r(*t, "sip", file, p);
    c.sip.enabled = true;
    if (auto v = r.string("listen")) {
        if (auto ep = parse_endpoint(*v, 5060)) {
            c.sip.listen_ipv4 = ep->first;
            c.sip.listen_port = ep->second;
        } else {
            r.problem(r.line_of("listen"), fmt::format("'sip.listen' = \"{}\" must be IPV4[:PORT]", *v));
        }
    }
    if (auto v = r.choice("transport", {"udp", "tcp", "udp+tcp"}, "udp")) {
        c.sip.transport = *v;
    }
    if (auto v = r.boolean("prack", true)) {
        c.sip.prack = *v;
    }
    // RFC 4028 4: Session-Expires at least Min-SE, which is at least 90 s.
    auto min_se = r.integer("min_se_s", 90, 86400, 90);
    if (auto v = r.integer("session_expires_s", 0, 86400, 1800)) {
        if (*v != 0 && min_se && *v < *min_se) {
            r.problem(r.line_of("session_expires_s"),
                      fmt::format("'sip.session_expires_s' = {} is below 'sip.min_se_s' ({}): RFC 4028 4", *v, *min_se));
        }
        c.sip.session_expires_s = static_cast<uint32_t>(*v);
    }
    if (min_se) {
        c.sip.min_se_s = static_cast<uint32_t>(*min_se);
    }
    if (auto v = r.integer("auth_max_failures", 1, 1000, 5)) {
        c.sip.auth_max_failures = static_cast<uint32_t>(*v);
    }
    if (auto v = r.integer("auth_block_s", 0, 86400, 300)) {
        c.sip.auth_block_s = static_cast<uint32_t>(*v);
    }
    if (auto v = r.integer("transaction_timeout_ms", 1000, 64000, 32000)) {
        c.sip.transaction_timeout_ms = static_cast<uint32_t>(*v);
    }
    if (auto v = r.integer("udp_buffer_kb", 64, 262144, 4096)) {
        c.sip.udp_buffer_kb = static_cast<uint32_t>(*v);
    }
    read_sip_tls(r, c, file, p);
    std::map<std::string, uint32_t> names;
    std::size_t i = 0;
    for (const toml::table* tt : r.tables("trunk", false)) {
        TableReader w(*tt, fmt::format("sip.trunk[{}]", i++), file, p);
        SipTrunk trunk;
        trunk.line = w.table_line();
        if (auto n = w.string("name")) {
            trunk.name = *n;
            auto [it, fresh] = names.emplace(*n, w.line_of("name"));
            if (!fresh) {
                w.problem(w.line_of("name"), fmt::format("duplicate SIP trunk name \"{}\" (first on line {})", *n, it->second));
            }
            if (c.span(*n) != nullptr) {
                w.problem(w.line_of("name"), fmt::format("SIP trunk \"{}\": a span has that name (routes name either)", *n));
            }
        }
        if (auto peers = w.string_array("peers", true)) {
            if (peers->empty()) {
                w.problem(w.line_of("peers"), "peers: at least one IPV4[:PORT]");
            }
            for (const auto& s : *peers) {
                if (auto ep = parse_endpoint(s, 5060)) {
                    trunk.peers.push_back({ep->first, ep->second});
                } else {
                    w.problem(w.line_of("peers"), fmt::format("peer \"{}\" must be IPV4[:PORT]", s));
                }
            }
        }
        if (auto v = w.integer("max_calls", 0, 100000, 0)) {
            trunk.max_calls = static_cast<uint32_t>(*v);
        }
        if (auto v = w.integer("calls_per_second", 0, 100000, 0)) {
            trunk.calls_per_second = static_cast<double>(*v);
        }
        if (auto v = w.integer("options_interval_s", 0, 3600, 30)) {
            trunk.options_interval_s = static_cast<uint32_t>(*v);
        }
        if (auto v = w.choice("transport", {"udp", "tcp", "tls"}, "udp")) {
            trunk.transport = *v;
            if (*v == "tcp" && c.sip.transport == "udp") {
                w.problem(w.line_of("transport"),
                          "transport = \"tcp\" needs [sip] transport \"tcp\" or \"udp+tcp\" (we listen on UDP only)");
            }
            if (*v == "tls" && !c.sip.tls) {
                w.problem(w.line_of("transport"), "transport = \"tls\" needs a [sip.tls] table (certificates)");
            }
        }
        if (auto v = w.choice("srtp", {"off", "optional", "mandatory"}, "off")) {
            trunk.srtp = *v;
            if (*v != "off" && trunk.transport != "tls") {
                w.problem(w.line_of("srtp"), fmt::format("srtp = \"{}\" needs transport = \"tls\" (RFC 4568 8.3: SDES "
                                                         "keys travel in the SDP, so only over a secure transport)",
                                                         *v));
            }
        }
        trunk.inbound_auth = read_credentials(w, "inbound_auth", true, file, p);
        trunk.outbound_auth = read_credentials(w, "outbound_auth", false, file, p);
        if (auto v = w.boolean("register", false)) {
            trunk.register_ = *v;
            if (*v && !trunk.outbound_auth) {
                w.problem(w.line_of("register"), "register = true needs [sip.trunk.outbound_auth] (the registrar's user and password)");
            }
        }
        // RFC 3261 10.2.1: the registrar may shorten it; below a minute the
        // refreshes are a load of their own.
        if (auto v = w.integer("register_expires_s", 60, 86400, 600)) {
            trunk.register_expires_s = static_cast<uint32_t>(*v);
        }
        w.finish();
        c.sip.trunks.push_back(std::move(trunk));
    }
    i = 0;
    for (const toml::table* tt : r.tables("cause_map", false)) {
        TableReader w(*tt, fmt::format("sip.cause_map[{}]", i++), file, p);
        SipCauseOverride o{};
        auto q = w.integer("q850", 1, 127);
        auto s = w.integer("sip", 300, 699);
        auto d = w.choice("direction", {"both", "to_sip", "to_q850"}, "both");
        if (q && s && d) {
            o.q850 = static_cast<int>(*q);
            o.sip = static_cast<int>(*s);
            o.to_sip = *d != "to_q850";
            o.to_q850 = *d != "to_sip";
            c.sip.cause_map.push_back(o);
        }
        w.finish();
    }
    r.finish();
}

void read_control(TableReader& root, Config& c, const std::string& file, std::vector<Problem>& p)
{
    const toml::table* t = root.table("control", true);
    if (t == nullptr) {
        return;
    }
    TableReader r(*t, "control", file, p);
    if (auto v = r.string("socket")) {
        if ((*v)[0] != '/' || v->size() > unix_path_max) {
            r.problem(r.line_of("socket"),
                      fmt::format("'control.socket' must be an absolute path of at most {} bytes",
                                  unix_path_max));
        }
        c.control.socket = *v;
    }
    if (auto v = r.string("metrics_listen")) {
        auto colon = v->rfind(':');
        bool ok = false;
        if (colon != std::string::npos) {
            std::string host = v->substr(0, colon);
            std::string port = v->substr(colon + 1);
            char* end = nullptr;
            long n = std::strtol(port.c_str(), &end, 10);
            if (parse_ipv4(host) && !port.empty() && *end == '\0' && n >= 1 && n <= 65535) {
                c.control.metrics_host = host;
                c.control.metrics_port = static_cast<uint16_t>(n);
                ok = true;
            }
        }
        if (!ok) {
            r.problem(r.line_of("metrics_listen"),
                      fmt::format("'control.metrics_listen' = \"{}\" must be IPV4:PORT "
                                  "(e.g. \"127.0.0.1:9464\")", *v));
        }
    }
    if (auto v = r.integer("attach_retry_ms", 10, 60000, 250)) {
        c.control.attach_retry_ms = static_cast<uint32_t>(*v);
    }
    if (auto v = r.integer("heap_reserve_mb", 0, 1024, 0)) {
        c.control.heap_reserve_mb = static_cast<uint32_t>(*v);
    }
    r.finish();
}

void read_log(TableReader& root, Config& c, const std::string& file, std::vector<Problem>& p)
{
    c.log.level = "info";
    const toml::table* t = root.table("log", false);
    if (t == nullptr) {
        return;
    }
    TableReader r(*t, "log", file, p);
    if (auto v = r.choice("level", {"trace", "debug", "info", "warn", "error"}, "info")) {
        c.log.level = *v;
    }
    r.finish();
}

void read_cdr(TableReader& root, Config& c, const std::string& file, std::vector<Problem>& p)
{
    const toml::table* t = root.table("cdr", false);
    if (t == nullptr) {
        return;
    }
    TableReader r(*t, "cdr", file, p);
    if (auto v = r.string("path")) {
        if (v->empty() || v->back() == '/') {
            r.problem(r.line_of("path"), "'cdr.path' must name a file");
        }
        c.cdr.path = !v->empty() && (*v)[0] == '/' ? *v : c.instance.run_dir + "/" + *v;
        c.cdr.enabled = true;
    }
    if (auto v = r.boolean("fsync", true)) {
        c.cdr.fsync = *v;
    }
    r.finish();
}

void cross_check(const Config& c, const std::string& file, std::vector<Problem>& p)
{
    if (!c.instance.run_dir.empty() && !c.instance.name.empty()) {
        std::string sock = api::attach_socket_path(c.instance.run_dir, c.instance.name);
        if (sock.size() > unix_path_max) {
            p.push_back({file, 0, fmt::format("the data plane socket {} would be longer than {} bytes: "
                                              "shorten instance.run_dir or instance.name",
                                              sock, unix_path_max)});
        }
    }
}

}  // namespace

std::string Problem::text() const
{
    return line == 0 ? fmt::format("{}: {}", file, reason) : fmt::format("{}:{}: {}", file, line, reason);
}

static std::string join_problems(const std::vector<Problem>& problems)
{
    std::string s;
    for (const auto& p : problems) {
        if (!s.empty()) {
            s += '\n';
        }
        s += p.text();
    }
    return s;
}

ConfigError::ConfigError(std::vector<Problem> problems)
    : std::runtime_error(join_problems(problems)), _problems(std::move(problems))
{
}

const Span* Config::span(const std::string& name) const
{
    for (const Span& s : spans) {
        if (s.name == name) {
            return &s;
        }
    }
    return nullptr;
}

const SpanGroup* Config::span_group(const std::string& name) const
{
    for (const SpanGroup& g : span_groups) {
        if (g.name == name) {
            return &g;
        }
    }
    return nullptr;
}

const SipTrunk* Config::sip_trunk(const std::string& name) const
{
    for (const SipTrunk& t : sip.trunks) {
        if (t.name == name) {
            return &t;
        }
    }
    return nullptr;
}

uint32_t Config::worker_index(uint32_t worker_id) const
{
    for (uint32_t i = 0; i < dataplane.workers.size(); ++i) {
        if (dataplane.workers[i].id == worker_id) {
            return i;
        }
    }
    throw std::logic_error("worker id not validated");
}

std::string Config::metrics_url() const
{
    return fmt::format("http://{}:{}/metrics", control.metrics_host, control.metrics_port);
}

Config load_string(std::string_view text, const std::string& source_name)
{
    std::vector<Problem> problems;
    toml::table root;
    try {
        root = toml::parse(text, source_name);
    } catch (const toml::parse_error& e) {
        problems.push_back({source_name, static_cast<uint32_t>(e.source().begin.line),
                            std::string(e.description())});
        throw ConfigError(std::move(problems));
    }
    Config c{};
    c.source = source_name;
    c.text = std::string(text);
    TableReader r(root, "", source_name, problems);
    read_instance(r, c, source_name, problems);
    read_dataplane(r, c, source_name, problems);
    read_ports(r, c, source_name, problems);
    read_spans(r, c, source_name, problems);
    read_media(r, c, source_name, problems);
    read_sip(r, c, source_name, problems);
    read_span_groups(r, c, source_name, problems);
    read_toll_fraud(r, c, source_name, problems);
    read_routes(r, c, source_name, problems);
    read_control(r, c, source_name, problems);
    read_log(r, c, source_name, problems);
    read_cdr(r, c, source_name, problems);
    r.finish();
    cross_check(c, source_name, problems);
    if (!problems.empty()) {
        std::stable_sort(problems.begin(), problems.end(),
                         [](const Problem& a, const Problem& b) { return a.line < b.line; });
        throw ConfigError(std::move(problems));
    }
    return c;
}

Config load_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError({{path, 0, "cannot open: " + std::string(std::strerror(errno))}});
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return load_string(ss.str(), path);
}

Config load(const std::string& path)
{
    if (path.empty()) {
        return load_string(embedded_default_text(), std::string(embedded_default_name));
    }
    return load_file(path);
}

}  // namespace trunkgw::config

namespace trunkgw::config {

std::vector<std::string> restart_needed(std::string_view running_text, std::string_view new_text)
{
    toml::table a = toml::parse(running_text);
    toml::table b = toml::parse(new_text);
    // Reloadable: taken out of both before comparing.
    for (toml::table* t : {&a, &b}) {
        t->erase("route");
        t->erase("span_group");
        t->erase("toll_fraud");
        if (toml::table* sip = (*t)["sip"].as_table()) {
            sip->erase("trunk");
            sip->erase("cause_map");
        }
    }
    // Compared as text (toml++ compares tables, arrays and values, not
    // nodes of unknown kind); source positions are not part of the text.
    auto text_of = [](const toml::node* n) {
        std::ostringstream os;
        if (n != nullptr) {
            n->visit([&os](auto&& v) { os << v; });
        }
        return os.str();
    };
    std::vector<std::string> differ;
    std::set<std::string> keys;
    for (const toml::table* t : {&a, &b}) {
        for (const auto& [k, v] : *t) {
            keys.insert(std::string(k.str()));
        }
    }
    for (const std::string& k : keys) {
        const toml::node* x = a.get(k);
        const toml::node* y = b.get(k);
        if (x == nullptr || y == nullptr || text_of(x) != text_of(y)) {
            differ.push_back(k);
        }
    }
    return differ;
}

}  // namespace trunkgw::config
