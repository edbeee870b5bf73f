// LapdPcapWriter: D-channel frames (address, control, information; no FCS)
// to a pcap file of link type 177, LINKTYPE_LINUX_LAPD, which Wireshark and
// tshark dissect as LAPD and, for SAPI 0, Q.931.
//
// Each record starts with a 16-octet Linux "cooked" header; the layout is
// that of https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_LAPD.html and of
// the reader in Wireshark's wiretap (pcap-common.c,
// pcap_read_lapd_pseudoheader), all fields big-endian:
//   0  pkttype   2  0 = received by us, 4 = sent by us (PACKET_OUTGOING)
//   2  hatype    2  ARPHRD_LAPD = 8445 (0x20FD; libpcap pcap-linux.c);
//                   unused by readers
//   4  halen     2  1
//   6  addr      8  addr[0] = 1 when we are the network side, else 0;
//                   Wireshark reads it as we_network
//   14 protocol  2  ETH_P_LAPD = 0x0030; Wireshark rejects anything else
// Wireshark's packet-lapd.c combines pkttype and we_network into the
// direction (User->Network or Network->User) and with it reads the C/R bit
// as command or response (Q.921 3.3.2).
//
// Control-side code: the constructor throws on failure; write() does not
// (it counts failures), so it may be called from a signalling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace trunkgw::tdm {

class LapdPcapWriter {
public:
    static constexpr uint32_t linktype_linux_lapd = 177;
    static constexpr std::size_t sll_header_len = 16;

    // Creates (truncates) path and writes the pcap file header with
    // nanosecond timestamps. network_side: this end of the D-channel is the
    // network (NT) side. Throws std::runtime_error if the file cannot be
    // created or written.
    LapdPcapWriter(const std::string& path, bool network_side);
    ~LapdPcapWriter();  // flushes and closes
    LapdPcapWriter(const LapdPcapWriter&) = delete;
    LapdPcapWriter& operator=(const LapdPcapWriter&) = delete;

    // One frame as the HDLC layer carries it, FCS excluded. outgoing: sent
    // by us. realtime_ns: CLOCK_REALTIME in nanoseconds since the epoch.
    void write(const uint8_t* frame, std::size_t len, bool outgoing, uint64_t realtime_ns);

    // Pushes buffered records to the file (so a reader sees them now).
    void flush();

    uint64_t frames_written() const { return _frames_written; }
    uint64_t write_errors() const { return _write_errors; }

private:
    struct FileCloser {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    std::unique_ptr<std::FILE, FileCloser> _file;
    bool _network_side;
    uint64_t _frames_written = 0;
    uint64_t _write_errors = 0;
};

}  // namespace trunkgw::tdm
