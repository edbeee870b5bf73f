// LapdPcapWriter: classic pcap (not pcapng), nanosecond variant, so that the
// file needs nothing but a header and records; see lapd_pcap.h for the
// per-record LAPD header.
#include "tdm/hdlc/lapd_pcap.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace trunkgw::tdm {

namespace {

// pcap file header magic for nanosecond timestamps (libpcap's
// NSEC_TCPDUMP_MAGIC); written little-endian, as are all file and record
// header fields: readers detect the byte order from the magic.
constexpr uint32_t pcap_magic_nsec = 0xa1b23c4d;
constexpr uint16_t pcap_version_major = 2;
constexpr uint16_t pcap_version_minor = 4;
// A Q.921 frame is at most 264 octets; any larger snaplen is fine.
constexpr uint32_t pcap_snaplen = 65535;

constexpr uint16_t sll_pkttype_host = 0;      // PACKET_HOST: sent to us
constexpr uint16_t sll_pkttype_outgoing = 4;  // PACKET_OUTGOING: sent by us
constexpr uint16_t arphrd_lapd = 8445;        // libpcap pcap-linux.c: unofficial ARPHRD_LAPD
constexpr uint16_t eth_p_lapd = 0x0030;       // Wireshark's ETH_P_LAPD

void put_le16(uint8_t* p, uint16_t v)
{
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
}

void put_le32(uint8_t* p, uint32_t v)
{
    for (int i = 0; i < 4; ++i) {
        p[i] = static_cast<uint8_t>(v >> (8 * i));
    }
}

void put_be16(uint8_t* p, uint16_t v)
{
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

}  // namespace

LapdPcapWriter::LapdPcapWriter(const std::string& path, bool network_side)
    : _file(std::fopen(path.c_str(), "wb")), _network_side(network_side)
{
    if (!_file) {
        throw std::runtime_error("lapd pcap: cannot create " + path + ": " + std::strerror(errno));
    }
    uint8_t hdr[24];
    put_le32(&hdr[0], pcap_magic_nsec);
    put_le16(&hdr[4], pcap_version_major);
    put_le16(&hdr[6], pcap_version_minor);
    put_le32(&hdr[8], 0);   // thiszone: timestamps are UTC
    put_le32(&hdr[12], 0);  // sigfigs
    put_le32(&hdr[16], pcap_snaplen);
    put_le32(&hdr[20], linktype_linux_lapd);
    if (std::fwrite(hdr, sizeof(hdr), 1, _file.get()) != 1 || std::fflush(_file.get()) != 0) {
        throw std::runtime_error("lapd pcap: cannot write " + path + ": " + std::strerror(errno));
    }
}

LapdPcapWriter::~LapdPcapWriter() = default;  // FileCloser's fclose flushes

void LapdPcapWriter::write(const uint8_t* frame, std::size_t len, bool outgoing, uint64_t realtime_ns)
{
    if (len > pcap_snaplen - sll_header_len) {
        ++_write_errors;  // cannot be a D-channel frame; do not truncate silently
        return;
    }
    uint8_t rec[16 + sll_header_len] = {};
    auto incl = static_cast<uint32_t>(sll_header_len + len);
    put_le32(&rec[0], static_cast<uint32_t>(realtime_ns / 1'000'000'000u));
    put_le32(&rec[4], static_cast<uint32_t>(realtime_ns % 1'000'000'000u));
    put_le32(&rec[8], incl);   // captured length
    put_le32(&rec[12], incl);  // original length: nothing is cut
    uint8_t* sll = &rec[16];
    put_be16(&sll[0], outgoing ? sll_pkttype_outgoing : sll_pkttype_host);
    put_be16(&sll[2], arphrd_lapd);
    put_be16(&sll[4], 1);
    sll[6] = _network_side ? 1 : 0;
    put_be16(&sll[14], eth_p_lapd);
    if (std::fwrite(rec, sizeof(rec), 1, _file.get()) != 1 ||
        (len > 0 && std::fwrite(frame, len, 1, _file.get()) != 1)) {
        ++_write_errors;
        return;
    }
    ++_frames_written;
}

void LapdPcapWriter::flush()
{
    if (std::fflush(_file.get()) != 0) {
        ++_write_errors;
    }
}

}  // namespace trunkgw::tdm
