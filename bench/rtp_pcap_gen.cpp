// rtp-pcap-gen: writes a pcap (LINKTYPE_ETHERNET) of G.711 RTP/UDP/IPv4
// packets for K sessions, the traffic a DPDK net_pcap port replays with
// infinite_rx=1 to feed the data plane in `bench/run dataplane_pps` (and the
// dpdk-testpmd baseline, bench/testpmd_baseline.sh).
//
// Session k (0 <= k < K) runs from src-ip:(src-port-base + 2k) to
// dst-ip:(first-dst-port + 2k) with SSRC ssrc-base + k. Packet i of the file
// belongs to session i % K, so the sessions interleave as real traffic does;
// each session's packets carry consecutive sequence numbers and timestamps
// (8 * ptime samples apart), the first with the marker bit (RFC 3551 4.1:
// the first packet of a talkspurt). The payload is a 1004 Hz tone at about
// -10 dBm0 in the payload type's law (PT 8 = A-law, PT 0 = u-law), phase
// continuous per session. Sequence numbers and timestamps start at values
// that differ per session (deterministic: the same options give the same
// file). Record times advance ptime/K per packet from a fixed epoch, so
// `tshark -z rtp,streams` sees each stream at its nominal rate.
//
// The framing is the data plane's own (dataplane/net/udp_frame.h,
// dataplane/media/rtp_header.h): IPv4 header checksum always, UDP checksum
// unless --no-udp-checksum, DSCP EF, DF, TTL 64.
//
// usage: rtp-pcap-gen --out FILE [--sessions K] [--packets-per-session P]
//                     [--src-ip A] [--dst-ip A] [--src-mac M] [--dst-mac M]
//                     [--first-dst-port N] [--src-port-base N]
//                     [--payload-type 8|0] [--ptime MS] [--ssrc-base N]
//                     [--arp-reply-first] [--no-udp-checksum]
// Prints one JSON line describing the file.
#include <arpa/inet.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "dataplane/media/g711_codec.h"
#include "dataplane/media/rtp_header.h"
#include "dataplane/net/arp.h"
#include "dataplane/net/ethernet.h"
#include "dataplane/net/interface.h"
#include "dataplane/net/udp_frame.h"

using namespace trunkgw;

namespace {

// pcap savefile format (the classic libpcap format, microsecond times):
// a 24-octet global header, then a 16-octet record header per packet, all in
// the writer's byte order (the magic tells readers which).
constexpr uint32_t pcap_magic_usec = 0xa1b2c3d4;
constexpr uint16_t pcap_version_major = 2;
constexpr uint16_t pcap_version_minor = 4;
constexpr uint32_t pcap_snaplen = 65535;
constexpr uint32_t linktype_ethernet = 1;

// Record times start here (2024-01-01T00:00:00Z): fixed, so files are
// reproducible byte for byte.
constexpr uint64_t epoch_us = 1704067200ull * 1000000ull;

// 8000 / gcd(8000, 1004) = 2000 samples: the tone repeats exactly every
// 2000 samples, so one encoded period serves every packet.
constexpr double tone_hz = 1004.0;
constexpr std::size_t tone_period = 2000;
constexpr double tone_amplitude = 7000.0;  // about -10 dBm0 on G.191's 16-bit scale

constexpr std::size_t max_frame = 1514;

class PcapWriter {
public:
    explicit PcapWriter(const std::string& path) : _f(std::fopen(path.c_str(), "wb"))
    {
        if (_f == nullptr) {
            return;
        }
        put32(pcap_magic_usec);
        put16(pcap_version_major);
        put16(pcap_version_minor);
        put32(0);  // thiszone
        put32(0);  // sigfigs
        put32(pcap_snaplen);
        put32(linktype_ethernet);
    }
    PcapWriter(const PcapWriter&) = delete;
    PcapWriter& operator=(const PcapWriter&) = delete;
    ~PcapWriter()
    {
        if (_f != nullptr) {
            std::fclose(_f);
        }
    }

    bool is_open() const { return _f != nullptr; }

    void record(uint64_t t_us, const uint8_t* frame, std::size_t len)
    {
        put32(static_cast<uint32_t>(t_us / 1000000));
        put32(static_cast<uint32_t>(t_us % 1000000));
        put32(static_cast<uint32_t>(len));  // captured
        put32(static_cast<uint32_t>(len));  // on the wire (without FCS)
        write(frame, len);
    }

    // Flushes and closes; false if any write failed.
    bool close()
    {
        if (_f == nullptr) {
            return false;
        }
        bool ok = !_failed && std::fflush(_f) == 0 && std::ferror(_f) == 0;
        ok = std::fclose(_f) == 0 && ok;
        _f = nullptr;
        return ok;
    }

private:
    void write(const void* p, std::size_t n)
    {
        if (std::fwrite(p, 1, n, _f) != n) {
            _failed = true;
        }
    }
    void put32(uint32_t v) { write(&v, sizeof v); }
    void put16(uint16_t v) { write(&v, sizeof v); }

    std::FILE* _f;
    bool _failed = false;
};

std::optional<uint32_t> parse_ip(const std::string& s)
{
    in_addr a{};
    if (inet_pton(AF_INET, s.c_str(), &a) != 1) {
        return std::nullopt;
    }
    return ntohl(a.s_addr);
}

std::optional<net::MacAddress> parse_mac(const std::string& s)
{
    net::MacAddress m{};
    unsigned v[6];
    char tail;
    if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < 6; ++i) {
        if (v[i] > 0xff) {
            return std::nullopt;
        }
        m[i] = static_cast<uint8_t>(v[i]);
    }
    return m;
}

// A well-mixed, deterministic start value per session (Knuth's
// multiplicative hash), as RFC 3550 5.1 asks for random initial values.
uint32_t mix(uint32_t x, uint32_t salt)
{
    return (x + salt) * 2654435761u;
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"rtp-pcap-gen: a pcap of interleaved G.711 RTP sessions for net_pcap replay"};
    std::string out;
    uint32_t sessions = 1000;
    uint32_t packets_per_session = 1;
    std::string src_ip_s = "192.0.2.2";
    std::string dst_ip_s = "192.0.2.1";
    std::string src_mac_s = "02:00:00:00:00:02";
    // The MAC DPDK's pcap PMD gives the first net_pcap port of a process.
    std::string dst_mac_s = "02:70:63:61:70:00";
    uint32_t first_dst_port = 20000;
    uint32_t src_port_base = 30000;
    int payload_type = media::payload_type_pcma;
    uint32_t ptime = 20;
    uint32_t ssrc_base = 0x10000000;
    bool arp_reply_first = false;
    bool no_udp_checksum = false;
    app.add_option("--out", out, "pcap file to write")->required();
    app.add_option("--sessions", sessions, "number of RTP sessions K")->check(CLI::Range(1u, 32768u));
    app.add_option("--packets-per-session", packets_per_session, "packets per session P")
        ->check(CLI::Range(1u, 1000000u));
    app.add_option("--src-ip", src_ip_s, "the peer's IPv4 address (source)");
    app.add_option("--dst-ip", dst_ip_s, "the gateway's IPv4 address (destination)");
    app.add_option("--src-mac", src_mac_s, "the peer's MAC (source)");
    app.add_option("--dst-mac", dst_mac_s, "the gateway port's MAC (destination)");
    app.add_option("--first-dst-port", first_dst_port, "session k goes to this + 2k (even)")
        ->check(CLI::Range(2u, 65534u));
    app.add_option("--src-port-base", src_port_base, "session k comes from this + 2k")->check(CLI::Range(1u, 65535u));
    app.add_option("--payload-type", payload_type, "8 (PCMA) or 0 (PCMU)")->check(CLI::IsMember({0, 8}));
    app.add_option("--ptime", ptime, "milliseconds of audio per packet (8 * ptime octets)")
        ->check(CLI::Range(1u, 180u));
    app.add_option("--ssrc-base", ssrc_base, "session k has SSRC this + k");
    app.add_flag("--arp-reply-first", arp_reply_first,
                 "begin with an ARP reply src-ip/src-mac -> dst-ip/dst-mac, so the replaying port learns the peer");
    app.add_flag("--no-udp-checksum", no_udp_checksum, "send UDP checksum 0 (RFC 768: none)");
    CLI11_PARSE(app, argc, argv);

    auto src_ip = parse_ip(src_ip_s);
    auto dst_ip = parse_ip(dst_ip_s);
    auto src_mac = parse_mac(src_mac_s);
    auto dst_mac = parse_mac(dst_mac_s);
    if (!src_ip || !dst_ip || !src_mac || !dst_mac) {
        std::fprintf(stderr, "rtp-pcap-gen: bad address (IPv4 dotted quad, MAC aa:bb:cc:dd:ee:ff)\n");
        return 2;
    }
    if (first_dst_port % 2 != 0) {
        std::fprintf(stderr, "rtp-pcap-gen: --first-dst-port must be even (RTP on even, RTCP on odd)\n");
        return 2;
    }
    uint32_t span = 2 * (sessions - 1);
    if (first_dst_port + span > 65534 || src_port_base + span > 65535) {
        std::fprintf(stderr, "rtp-pcap-gen: %u sessions do not fit in the UDP ports from %u (dst) / %u (src)\n",
                     sessions, first_dst_port, src_port_base);
        return 2;
    }

    // The peer is the sender: its MAC and address go in the "interface".
    net::Interface peer;
    peer.mac = *src_mac;
    if (peer.add_address(*src_ip) != 0) {
        std::fprintf(stderr, "rtp-pcap-gen: %s cannot be a source address (RFC 1122 3.2.1.3)\n", src_ip_s.c_str());
        return 2;
    }

    const auto law = media::law_of_payload_type(static_cast<uint8_t>(payload_type));
    const uint32_t samples = media::samples_per_ms * ptime;  // = octets of payload
    std::vector<uint8_t> tone(tone_period + samples);        // one period, plus room to read across its end
    {
        std::vector<int16_t> lin(tone.size());
        for (std::size_t n = 0; n < lin.size(); ++n) {
            lin[n] = static_cast<int16_t>(std::lround(tone_amplitude * std::sin(2.0 * M_PI * tone_hz * n / 8000.0)));
        }
        media::encode_law(law, lin.data(), tone.data(), lin.size());
    }

    PcapWriter pcap(out);
    if (!pcap.is_open()) {
        std::fprintf(stderr, "rtp-pcap-gen: %s: %s\n", out.c_str(), std::strerror(errno));
        return 1;
    }

    uint8_t frame[max_frame];
    uint64_t frames = 0;
    uint64_t bytes = 0;

    if (arp_reply_first) {
        // RFC 826: a reply from the peer to the gateway. Receiving it lets
        // the gateway's ARP cache learn src-ip -> src-mac before the media.
        std::memset(frame, 0, net::ethernet_min_frame_len);
        int l2 = net::write_ethernet(frame, sizeof frame, *dst_mac, *src_mac, std::nullopt, net::ethertype_arp);
        net::ArpPacket a;
        a.op = net::arp_op_reply;
        a.sender_mac = *src_mac;
        a.sender_ip = *src_ip;
        a.target_mac = *dst_mac;
        a.target_ip = *dst_ip;
        net::write_arp(frame + l2, a);
        pcap.record(epoch_us, frame, net::ethernet_min_frame_len);
        ++frames;
        bytes += net::ethernet_min_frame_len;
    }

    net::UdpFlow flow;
    flow.dst_mac = *dst_mac;
    flow.src_ip = *src_ip;
    flow.dst_ip = *dst_ip;
    flow.udp_checksum = !no_udp_checksum;
    const std::size_t hdrs = net::udp_headers_len(peer);
    const uint64_t total = static_cast<uint64_t>(sessions) * packets_per_session;
    const uint64_t ptime_us = 1000ull * ptime;
    int frame_len = 0;

    for (uint64_t i = 0; i < total; ++i) {
        const auto k = static_cast<uint32_t>(i % sessions);
        const auto j = static_cast<uint32_t>(i / sessions);  // the packet's index within its session
        const uint32_t tone_pos = static_cast<uint32_t>((static_cast<uint64_t>(j) * samples) % tone_period);

        media::RtpHeaderFields h;
        h.marker = j == 0;
        h.payload_type = static_cast<uint8_t>(payload_type);
        h.sequence = static_cast<uint16_t>(mix(k, 0x5eed) >> 16) + static_cast<uint16_t>(j);
        h.timestamp = mix(k, 0x7157) + j * samples;
        h.ssrc = ssrc_base + k;
        int rtp_len = media::rtp_build_header(h, frame + hdrs, sizeof frame - hdrs);
        if (rtp_len < 0 || hdrs + static_cast<std::size_t>(rtp_len) + samples > sizeof frame) {
            std::fprintf(stderr, "rtp-pcap-gen: packet does not fit in %zu octets\n", sizeof frame);
            return 1;
        }
        std::memcpy(frame + hdrs + rtp_len, tone.data() + tone_pos, samples);

        flow.src_port = static_cast<uint16_t>(src_port_base + 2 * k);
        flow.dst_port = static_cast<uint16_t>(first_dst_port + 2 * k);
        frame_len = net::write_udp_headers(frame, sizeof frame, peer, flow, static_cast<uint16_t>(i),
                                           static_cast<std::size_t>(rtp_len) + samples);
        if (frame_len < 0) {
            std::fprintf(stderr, "rtp-pcap-gen: framing failed: %s\n", std::strerror(-frame_len));
            return 1;
        }
        pcap.record(epoch_us + i * ptime_us / sessions, frame, static_cast<std::size_t>(frame_len));
        ++frames;
        bytes += static_cast<uint64_t>(frame_len);
    }

    if (!pcap.close()) {
        std::fprintf(stderr, "rtp-pcap-gen: writing %s failed: %s\n", out.c_str(), std::strerror(errno));
        return 1;
    }
    std::printf("{\"tool\":\"rtp-pcap-gen\",\"out\":\"%s\",\"sessions\":%u,\"packets_per_session\":%u,"
                "\"rtp_packets\":%llu,\"frames\":%llu,\"frame_len\":%d,\"bytes\":%llu,\"payload_type\":%d,"
                "\"ptime_ms\":%u,\"first_dst_port\":%u,\"last_dst_port\":%u,\"arp_reply_first\":%s}\n",
                out.c_str(), sessions, packets_per_session, static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(frames), frame_len, static_cast<unsigned long long>(bytes),
                payload_type, ptime, first_dst_port, first_dst_port + span, arp_reply_first ? "true" : "false");
    return 0;
}
