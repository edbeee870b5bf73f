// memif-gen: a packet generator on a DPDK net_memif port (server role), the
// feed `bench/run dataplane_pps --feed memif` gives the data plane and the
// dpdk-testpmd baseline alike. It sends the frames of a capture in order,
// endlessly, as fast as the client takes them (a full ring is back-pressure,
// not loss: the frames wait), and counts and frees whatever comes back.
//
// Why not net_pcap's infinite_rx: that replay copies every packet on the
// receiving core out of a pool holding the whole capture (2 KB mbufs, about
// 20 MB for 10,000 sessions), a stream that turns that core's L2 over about
// every 0.7 ms at 5 Mpps. A NIC writes frames into memory (into the LLC, with
// DDIO) and the core reads each once. Here the frames are written by this
// process on another core into the memif rings (a few hundred KB), and the
// receiving core reads each once: the NIC's shape.
//
// The capture's frames are kept compactly so that this process's own reads
// stay in its cache: each frame's first `head_octets` in a slot of their own,
// the rest (an RTP payload) in a table of distinct tails. A capture of K
// sessions' 20 ms G.711 packets of one tone is K heads and one tail.
//
// With --paced the frames leave at their capture times (a real peer's
// streams: rtp-pcap-gen spaces each session's packets by its ptime), with
// --loops N the capture is sent N times (0: endlessly), with
// --start-on-signal nothing is sent until SIGUSR1 (once the receiver is
// ready: its sessions made), and --out FILE writes every frame received
// (what the client sent) to a pcap for tshark. Without them, the bench's
// feed: endless, as fast as the client takes it, received frames freed.
//
// usage: memif-gen --pcap FILE --socket PATH [--lcore N] [--seconds S]
//                  [--mem MB] [--paced] [--loops N]
//                  [--start-on-signal] [--out FILE]
// Runs until SIGTERM/SIGINT or S seconds (a bound: every load loop here has
// one), or, paced, until its client goes away (pacing does not resume),
// then prints one JSON line: the frames sent and received, the time the
// client was connected, the rate sent in it, how often the ring was full
// (ring_full_share of the polls: near 0, this generator, not the client, set
// the rate), and what ended the run (ended_by: signal, time_bound,
// client_gone). The memif ring's size is the client's choice (its rsize).
#include <pcap/pcap.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

namespace {

// Ethernet 14 + IPv4 20 + UDP 8 + RTP 12 = 54: everything that differs
// between two sessions' packets of the same payload, in one line.
constexpr std::size_t head_octets = 64;
constexpr uint16_t burst = 32;
constexpr unsigned pool_mbufs = 8191;

std::atomic<bool> stop_requested{false};
std::atomic<bool> start_signalled{false};

void on_stop(int)
{
    stop_requested.store(true, std::memory_order_relaxed);
}
void on_start(int)
{
    start_signalled.store(true, std::memory_order_relaxed);
}

uint64_t now_ns()
{
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

// The capture, compacted: frame i is heads[i] (its first min(len, 64)
// octets) followed by tails[tail_of[i]] when it is longer; it leaves
// at_ns[i] after the first (its capture time, for --paced).
struct Frames {
    struct Head {
        alignas(64) uint8_t octets[head_octets];
    };
    std::vector<Head> heads;
    std::vector<uint16_t> lengths;
    std::vector<uint32_t> tail_of;
    std::vector<std::string> tails;
    std::vector<uint64_t> at_ns;

    std::size_t size() const { return heads.size(); }
    // A paced pass: the last frame's time plus one mean gap, so that the
    // next pass keeps the spacing.
    uint64_t pass_ns() const { return size() > 1 ? at_ns.back() + at_ns.back() / (size() - 1) : 0; }
};

bool load_capture(const std::string& path, Frames& out)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (p == nullptr) {
        std::fprintf(stderr, "memif-gen: %s: %s\n", path.c_str(), err);
        return false;
    }
    if (pcap_datalink(p) != DLT_EN10MB) {
        std::fprintf(stderr, "memif-gen: %s: not an Ethernet capture (link type %d)\n", path.c_str(), pcap_datalink(p));
        pcap_close(p);
        return false;
    }
    std::unordered_map<std::string, uint32_t> tail_index;
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    int rc = 0;
    bool ok = true;
    uint64_t first_us = 0;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        // A frame the capture cut short would go out different from the
        // original: refuse the file rather than send it.
        if (h->caplen != h->len || h->caplen > RTE_MBUF_DEFAULT_DATAROOM) {
            std::fprintf(stderr, "memif-gen: %s: frame %zu is %u of %u octets (cut, or larger than an mbuf)\n",
                         path.c_str(), out.size() + 1, h->caplen, h->len);
            ok = false;
            break;
        }
        uint64_t us = static_cast<uint64_t>(h->ts.tv_sec) * 1000000u + static_cast<uint64_t>(h->ts.tv_usec);
        if (out.size() == 0) {
            first_us = us;
        }
        if (us < first_us) {
            std::fprintf(stderr, "memif-gen: %s: frame %zu is earlier than the first\n", path.c_str(), out.size() + 1);
            ok = false;
            break;
        }
        out.at_ns.push_back((us - first_us) * 1000u);
        Frames::Head head{};
        std::size_t n = std::min<std::size_t>(h->caplen, head_octets);
        std::memcpy(head.octets, data, n);
        out.heads.push_back(head);
        out.lengths.push_back(static_cast<uint16_t>(h->caplen));
        std::string tail(reinterpret_cast<const char*>(data) + n, h->caplen - n);
        auto [it, fresh] = tail_index.try_emplace(tail, static_cast<uint32_t>(out.tails.size()));
        if (fresh) {
            out.tails.push_back(std::move(tail));
        }
        out.tail_of.push_back(it->second);
    }
    if (ok && rc != PCAP_ERROR_BREAK) {
        std::fprintf(stderr, "memif-gen: %s: %s\n", path.c_str(), pcap_geterr(p));
        ok = false;
    }
    pcap_close(p);
    if (ok && out.size() == 0) {
        std::fprintf(stderr, "memif-gen: %s: no frames\n", path.c_str());
        ok = false;
    }
    return ok;
}

void fill(rte_mbuf* m, const Frames& f, std::size_t i)
{
    auto* d = rte_pktmbuf_mtod(m, uint8_t*);
    uint16_t len = f.lengths[i];
    std::size_t n = std::min<std::size_t>(len, head_octets);
    std::memcpy(d, f.heads[i].octets, n);
    if (len > n) {
        std::memcpy(d + n, f.tails[f.tail_of[i]].data(), len - n);
    }
    m->data_len = len;
    m->pkt_len = len;
}

// The frames the client sends, to a pcap (--out).
class RxDump {
public:
    bool open(const std::string& path)
    {
        _pcap = pcap_open_dead(DLT_EN10MB, 65535);
        _dump = _pcap != nullptr ? pcap_dump_open(_pcap, path.c_str()) : nullptr;
        if (_dump == nullptr) {
            std::fprintf(stderr, "memif-gen: %s: %s\n", path.c_str(),
                         _pcap != nullptr ? pcap_geterr(_pcap) : "pcap_open_dead failed");
        }
        return _dump != nullptr;
    }
    ~RxDump()
    {
        if (_dump != nullptr) {
            pcap_dump_close(_dump);
        }
        if (_pcap != nullptr) {
            pcap_close(_pcap);
        }
    }
    void write(const rte_mbuf* m)
    {
        if (_dump == nullptr) {
            return;
        }
        pcap_pkthdr h{};
        gettimeofday(&h.ts, nullptr);
        h.caplen = rte_pktmbuf_data_len(m);  // the first segment (a frame up to the mbuf's data room)
        h.len = rte_pktmbuf_pkt_len(m);
        pcap_dump(reinterpret_cast<u_char*>(_dump), &h, rte_pktmbuf_mtod(m, const u_char*));
    }

private:
    pcap_t* _pcap = nullptr;
    pcap_dumper_t* _dump = nullptr;
};

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"memif-gen: a capture's frames into a net_memif port (server role)"};
    std::string pcap_path;
    std::string socket_path;
    std::string out_path;
    unsigned lcore = 0;
    unsigned seconds = 600;
    unsigned mem_mb = 256;
    unsigned loops = 0;
    bool paced = false;
    bool start_on_signal = false;
    app.add_option("--pcap", pcap_path, "the frames to send, in order")->required();
    app.add_option("--socket", socket_path, "the memif control socket (a file path; this side listens)")->required();
    app.add_option("--lcore", lcore, "the CPU this process runs on")->check(CLI::Range(0u, 1023u));
    app.add_option("--seconds", seconds, "stop after this long at most")->check(CLI::Range(1u, 3600u));
    app.add_option("--mem", mem_mb, "DPDK memory, MB (no hugepages)")->check(CLI::Range(64u, 4096u));
    app.add_option("--loops", loops, "send the capture this many times (0: endlessly)")
        ->check(CLI::Range(0u, 1000000u));
    app.add_flag("--paced", paced, "send each frame at its capture time (not as fast as the client takes them)");
    app.add_flag("--start-on-signal", start_on_signal, "send nothing until SIGUSR1");
    app.add_option("--out", out_path, "write the frames received to this pcap");
    CLI11_PARSE(app, argc, argv);
    if (socket_path.find(',') != std::string::npos) {
        std::fprintf(stderr, "memif-gen: the socket path must not contain ',' (DPDK devargs separator)\n");
        return 2;
    }

    Frames frames;
    if (!load_capture(pcap_path, frames)) {
        return 1;
    }
    if (paced && loops != 1 && frames.pass_ns() == 0) {
        std::fprintf(stderr, "memif-gen: %s: a paced capture sent more than once needs frames at two times\n",
                     pcap_path.c_str());
        return 2;
    }
    RxDump dump;
    if (!out_path.empty() && !dump.open(out_path)) {
        return 1;
    }
    // The handlers only set flags (a signal may land on any of EAL's threads).
    std::signal(SIGTERM, on_stop);
    std::signal(SIGINT, on_stop);
    std::signal(SIGUSR1, on_start);

    std::string prefix = "memif-gen-" + std::to_string(getpid());
    std::string vdev = "net_memif0,role=server,socket-abstract=no,socket=" + socket_path;
    std::vector<std::string> args = {"memif-gen",
                                     "-l",
                                     std::to_string(lcore),
                                     "--no-huge",
                                     "-m",
                                     std::to_string(mem_mb),
                                     "--no-pci",
                                     "--no-telemetry",
                                     "--file-prefix",
                                     prefix,
                                     "--log-level",
                                     "lib.eal:warning",
                                     "--vdev",
                                     vdev};
    std::vector<char*> eal_argv;
    for (auto& a : args) {
        eal_argv.push_back(a.data());
    }
    if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
        std::fprintf(stderr, "memif-gen: EAL init failed: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    // EAL's runtime directory (its private --file-prefix) outlives
    // rte_eal_cleanup(). (DPDK 22.11 here refuses --in-memory beside
    // --no-huge: "Option --legacy-mem is not compatible with --in-memory".)
    const std::filesystem::path run_dir = rte_eal_get_runtime_dir();
    auto eal_done = [&run_dir] {
        rte_eal_cleanup();
        std::error_code ec;
        std::filesystem::remove_all(run_dir, ec);
    };

    const uint16_t port = 0;
    rte_mempool* pool = rte_pktmbuf_pool_create("memif_gen", pool_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                                static_cast<int>(rte_socket_id()));
    if (pool == nullptr) {
        std::fprintf(stderr, "memif-gen: mbuf pool: %s\n", rte_strerror(rte_errno));
        eal_done();
        return 1;
    }
    rte_eth_conf conf{};
    int rc = rte_eth_dev_configure(port, 1, 1, &conf);
    rc = rc != 0 ? rc : rte_eth_rx_queue_setup(port, 0, 1024, rte_socket_id(), nullptr, pool);
    rc = rc != 0 ? rc : rte_eth_tx_queue_setup(port, 0, 1024, rte_socket_id(), nullptr);
    rc = rc != 0 ? rc : rte_eth_dev_start(port);
    if (rc != 0) {
        std::fprintf(stderr, "memif-gen: port setup failed: %s\n", rte_strerror(-rc));
        eal_done();
        return 1;
    }
    std::fprintf(stderr, "memif-gen: %zu frames (%zu distinct tails) from %s; listening on %s\n", frames.size(),
                 frames.tails.size(), pcap_path.c_str(), socket_path.c_str());

    const uint64_t t_end = now_ns() + uint64_t{seconds} * 1000000000u;
    uint64_t sent = 0;
    uint64_t received = 0;
    uint64_t polls = 0;       // tx_burst calls with frames to give
    uint64_t full_polls = 0;  // of them, those the full ring refused whole
    uint64_t iterations = 0;
    uint64_t connected_at = 0;
    uint64_t connected_ns = 0;
    uint64_t sending_since = 0;  // 0: not started
    const char* ended_by = "signal";
    bool up = false;
    std::size_t next = 0;
    uint64_t pass = 0;
    rte_mbuf* tx[burst];
    uint16_t tx_first = 0;
    uint16_t tx_count = 0;
    rte_mbuf* rx[64];
    while (!stop_requested.load(std::memory_order_relaxed)) {
        // The link and the clock: on every loop while not sending, done or
        // paced, else every 4096 loops. Frames are made only for a
        // connected client.
        const bool done = loops != 0 && pass >= loops && tx_count == 0;
        if (!up || sending_since == 0 || done || paced || (++iterations & 4095) == 0) {
            rte_eth_link link{};
            rte_eth_link_get_nowait(port, &link);
            uint64_t t = now_ns();
            if (t > t_end) {
                ended_by = "time_bound";
                break;
            }
            if (link.link_status != 0 && !up) {
                up = true;
                connected_at = t;
                std::fprintf(stderr, "memif-gen: client connected\n");
            } else if (link.link_status == 0 && up) {
                up = false;
                connected_ns += t - connected_at;
                std::fprintf(stderr, "memif-gen: client gone\n");
                if (paced && sending_since != 0) {
                    ended_by = "client_gone";
                    break;
                }
            }
            if (up && sending_since == 0 && (!start_on_signal || start_signalled.load())) {
                sending_since = t;
                std::fprintf(stderr, "memif-gen: sending\n");
            }
        }
        uint16_t n = up ? rte_eth_rx_burst(port, 0, rx, 64) : 0;
        for (uint16_t i = 0; i < n; ++i) {
            dump.write(rx[i]);
        }
        if (n > 0) {
            received += n;
            rte_pktmbuf_free_bulk(rx, n);
        }
        if (!up || sending_since == 0 || done) {
            if (n == 0) {
                std::this_thread::sleep_for(std::chrono::microseconds(100));
            }
            continue;
        }
        if (tx_count == 0) {
            // The next burst: the frames that are due (all, unpaced), up to
            // the end of the last pass.
            uint64_t t = paced ? now_ns() - sending_since : 0;
            uint16_t k = 0;
            while (k < burst && (loops == 0 || pass < loops) &&
                   (!paced || pass * frames.pass_ns() + frames.at_ns[next] <= t)) {
                tx[k] = rte_pktmbuf_alloc(pool);
                if (tx[k] == nullptr) {
                    break;
                }
                fill(tx[k], frames, next);
                ++k;
                if (++next == frames.size()) {
                    next = 0;
                    ++pass;
                }
            }
            tx_first = 0;
            tx_count = k;
            if (k == 0) {
                if (n == 0 && paced) {
                    std::this_thread::sleep_for(std::chrono::microseconds(50));
                }
                continue;
            }
        }
        uint16_t k = rte_eth_tx_burst(port, 0, tx + tx_first, tx_count);
        ++polls;
        sent += k;
        tx_first += k;
        tx_count -= k;
        full_polls += k == 0;
    }
    if (up) {
        connected_ns += now_ns() - connected_at;
    }
    if (tx_count > 0) {
        rte_pktmbuf_free_bulk(tx + tx_first, tx_count);
    }
    rte_eth_dev_stop(port);
    rte_eth_dev_close(port);
    eal_done();
    const double connected_s = static_cast<double>(connected_ns) / 1e9;
    std::printf("{\"tool\":\"memif-gen\",\"frames\":%zu,\"distinct_tails\":%zu,\"sent\":%llu,\"received\":%llu,"
                "\"passes\":%llu,\"connected_s\":%.3f,\"sent_mpps\":%.3f,\"polls\":%llu,\"ring_full_polls\":%llu,"
                "\"ring_full_share\":%.3f,\"ended_by\":\"%s\"}\n",
                frames.size(), frames.tails.size(), static_cast<unsigned long long>(sent),
                static_cast<unsigned long long>(received), static_cast<unsigned long long>(pass), connected_s,
                connected_s > 0 ? static_cast<double>(sent) / connected_s / 1e6 : 0.0,
                static_cast<unsigned long long>(polls), static_cast<unsigned long long>(full_polls),
                polls > 0 ? static_cast<double>(full_polls) / static_cast<double>(polls) : 0.0, ended_by);
    return 0;
}
