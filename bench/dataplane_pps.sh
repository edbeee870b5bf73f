#!/usr/bin/env bash
# bench/dataplane_pps.sh: packets per second one trunkgw worker core moves
# between RTP and TDM, against dpdk-testpmd io-forwarding on the same port
# type in the same run.
#
#   bench/run dataplane_pps [--sessions K] [--seconds S] [--rounds R] [--feed pcap|memif]
#
# The data plane runs one busy-polling worker with K full-duplex sessions
# (default 10,000), each joined to a B-channel of a span (spans without a
# line: the bench measures the media engine and port I/O, not a far end),
# PCMU on the wire and A-law E1 channels, so every sample is law-converted
# both ways. Its port is a net_pcap vdev replaying, endlessly
# (infinite_rx), a capture of RTP to every session's port (rtp-pcap-gen);
# every session also packetizes its channel and sends RTP out (the PMD
# drops TX). The figure is RX packets per second from the worker's own
# counters over R windows of S seconds; ticks_late shows whether the 1 ms TDM tick kept
# up meanwhile, and tick_share the share of the core the ticks took (the
# worker's tick_busy_seconds counter; a tick includes sending the RTP it
# made; the rest went to receiving), with
# packet_path_mpps = the figure / (1 - tick_share): the packet path's own
# rate in the time the ticks left it, and its ratio to testpmd.
#
# The JSON also holds the physical limit: a 10GbE port's line rate in G.711
# 20 ms RTP frames (5.25 Mpps), and the worker's ratio to it; and this
# machine's memory (bench/mem-probe: the latency of an uncached line and the
# rate of independent random lines), which bounds the tick of K sessions
# once their state outgrows the cache (K x lines per tick each millisecond).
#
# bench/testpmd_baseline.sh replays the same capture through testpmd
# io-forward on one core, in a window of S seconds after each of the data
# plane's: the two take turns on the worker's core, R rounds, the gateway
# (data plane, control, generator) stopped (SIGSTOP) while testpmd runs and
# resumed for its next window after a second to settle (the tick skips the
# stopped time ahead, RTCP reports fall due). On this shared VM the
# machine's speed drifts over tens of seconds (run to run 2x at times), so
# each window is compared with the testpmd window beside it: round_ratios
# and their median sit beside the ratio of the means. Printed last, one
# JSON line:
#   {"bench":"dataplane_pps","metric":"rx_mpps_per_worker_core","value":X,
#    "baseline":testpmd_mpps,"ratio":X/baseline,"median_mpps":...,
#    "min_mpps":...,"max_mpps":...,"channels_per_core":...}
# value and baseline are means over the R windows; the median, least and
# most of the worker's one-second samples sit beside them (testpmd's per
# round are in its lines on stderr).
# channels_per_core comes from a second phase with real streams: the same K
# sessions sending to each other in pairs through the port's hairpin (50
# packets a second each way per channel, played out, law-converted), an
# adaptive worker that sleeps when idle, and K divided by the share of a
# core its thread used (channels_worker_share), an extrapolation from K; 0
# unless every session got its whole stream (nothing dropped or concealed)
# and the tick kept time.
#
# --feed memif: phase 1 and the testpmd baseline receive the same capture
# over net_memif from bench/memif-gen (server role, on the main lcore's CPU)
# instead of net_pcap's replay, whose copy out of a pool holding the whole
# capture (~20 MB at 10,000 sessions) streams through the receiving core's
# L2; memif-gen writes each frame into the memif ring once and the receiving
# core reads it once, as from a NIC. testpmd then forwards to a net_null that
# frees (as net_pcap's TX does); the data plane's own RTP goes back over
# memif. The JSON gives the generator's rate in testpmd's turns and the
# least share of its polls the full ring refused in any of them (near 0
# would mean the generator, not testpmd, set the rate; the data plane takes
# a few Mpps of the 14-15 it gave testpmd here). Phase 2 is the same for
# both feeds.
#
# Caveat (said in the output too): a replayed file repeats each session's
# sequence numbers on every pass, so the jitter buffers count duplicates and
# late packets; the per-packet work (classify, dispatch, session lookup,
# RTP checks, jitter-buffer verdict) is all done, and the media work per
# tick (packetize, play out, law conversion, RTCP) runs for all K sessions.
set -euo pipefail

sessions=10000
seconds=3
rounds=3
feed=pcap
while [[ $# -gt 0 ]]; do
    case $1 in
    --sessions) sessions=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --feed) feed=$2; shift 2 ;;
    *) echo "usage: bench/run dataplane_pps [--sessions K] [--seconds S] [--rounds R] [--feed pcap|memif]" >&2; exit 2 ;;
    esac
done
[[ $seconds =~ ^[1-9][0-9]*$ && $rounds =~ ^[1-9][0-9]*$ ]] ||
    { echo "dataplane_pps: --seconds and --rounds are positive integers" >&2; exit 2; }
# memif-gen's own time bound (the gateway's feed runs through every round;
# a testpmd turn takes up to S + 61 s, and 40 more to start and stop its
# generator).
gen_bound=$((120 + rounds * (2 * seconds + 110)))
[[ $feed == pcap ]] || ((gen_bound <= 3600)) ||
    { echo "dataplane_pps: --rounds x --seconds too long for --feed memif (memif-gen runs 3600 s at most)" >&2; exit 2; }
[[ $feed == pcap || $feed == memif ]] || { echo "dataplane_pps: --feed is pcap or memif, not '$feed'" >&2; exit 2; }
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$repo_root/build}

. "$repo_root/bench/lib.sh"
bench_setup pps --sessions "$sessions" --seconds "$seconds" --rounds "$rounds" --feed "$feed"
# The memif server (the gateway's feed) before its client, whatever ends
# the script.
gen_pid=
stop_feed() {
    if [[ -n $gen_pid ]]; then
        memif_gen_stop "$gen_pid" "$dir/gen" || true
        gen_pid=
    fi
}
trap 'stop_feed; gateway_stop' EXIT

pcap=$dir/rtp.pcap
first_port=20000
# The capture first: the data plane replays it from start-up. Session k
# gets local port first_port + 2k (control hands ports out in order on a
# fresh start; checked below).
"$BUILD/bench/rtp-pcap-gen" --out "$pcap" --sessions "$sessions" --packets-per-session 1 \
    --first-dst-port $first_port --payload-type 0 --arp-reply-first >&2

# write_config NAME VDEV POLL_MODE: $dir/NAME.toml, K sessions' spans on
# one worker.
write_config() {
    {
        gateway_head_toml "pps-$1" "$3" "$sessions"
        cat <<TOML
[[dataplane.worker]]
id = 1
lcore = 1

[[port]]
id = 1
name = "replay0"
vdev = "$2"
addresses = ["192.0.2.1/24"]

TOML
        gateway_media_toml "$first_port" "$sessions"
        "$repo_root/bench/create-sessions.py" --spans-toml --sessions "$sessions"
    } >"$dir/$1.toml"
}

# start_gateway NAME: the data plane and control on $dir/NAME.toml, then K
# sessions, PCMU on A-law channels. REMOTE=replay: each sends to the
# replay's peer; REMOTE=pairs: session k sends to session k ^ 1 (the last
# of an odd K to itself) on our own address, so the port hairpins its RTP
# back: every session receives a real 50-packet-a-second stream.
start_gateway() {
    cfg=$dir/$1.toml
    gateway_start "$cfg" "$1"
    if [[ $REMOTE == replay ]]; then to=(--remote 192.0.2.2:30000); else to=(--pairs); fi
    "$repo_root/bench/create-sessions.py" --socket "$dir/control.sock" --sessions "$sessions" \
        --local 192.0.2.1 --first-port "$first_port" "${to[@]}" >&2
}

counters() { "$BUILD/control/cli/trunkctl" -c "$cfg" --json show counters; }

# The worker thread's CPU time in ns (schedstat: time on a CPU).
worker_cpu_ns() {
    local t
    for t in /proc/"$dataplane_pid"/task/*; do
        if [[ $(cat "$t/comm") == rte-worker-1 ]]; then
            cut -d' ' -f1 "$t/schedstat"
            return
        fi
    done
    echo "dataplane_pps: no rte-worker-1 thread in the data plane" >&2
    exit 1
}

# Phase 1, the figure: a busy-polling worker fed by the endless replay, or
# by memif-gen sending the capture endlessly (its socket in $dir; the
# frames' destination MAC, rtp-pcap-gen's default, is given to the port).
if [[ $feed == memif ]]; then
    memif_gen_start "$BUILD/bench/memif-gen" "$dir/gen" "$pcap" "$dir/memif.sock" 0 "$gen_bound"
    gen_pid=$memif_gen_pid
    write_config replay "net_memif0,role=client,socket-abstract=no,mac=02:70:63:61:70:00,socket=$dir/memif.sock" busy
else
    write_config replay "net_pcap0,rx_pcap=$pcap,infinite_rx=1" busy
fi
REMOTE=replay start_gateway replay
gateway=("$dataplane_pid" "$control_pid")
[[ $feed == pcap ]] || gateway+=("$gen_pid")
gen_arg=()
[[ $feed == pcap ]] || gen_arg=(--memif-gen "$BUILD/bench/memif-gen")
sleep 2  # warm-up: every session has ticked, ARP resolved
: >"$dir/testpmd.jsonl"
for ((r = 1; r <= rounds; r++)); do
    if ((r > 1)); then
        kill -CONT "${gateway[@]}"
        sleep 1  # settle: the tick's skip over the stopped time, the RTCP reports due
    fi
    # One sample a second (the spread on a shared machine is large: the
    # JSON gives the median, the least and the most beside the mean).
    counters >"$dir/c$r-0.json"
    for ((i = 1; i <= seconds; i++)); do
        sleep 1
        counters >"$dir/c$r-$i.json"
    done
    kill -STOP "${gateway[@]}"
    "$repo_root/bench/testpmd_baseline.sh" --pcap "$pcap" --seconds "$seconds" "${gen_arg[@]}" >>"$dir/testpmd.jsonl"
    tail -n 1 "$dir/testpmd.jsonl" >&2
done
kill -CONT "${gateway[@]}"
"$BUILD/control/cli/trunkctl" -c "$cfg" --json show sessions >"$dir/sessions.json"
if [[ -n $gen_pid ]]; then
    # Its counters span the whole run (set-up and testpmd's turns included):
    # for the log only; the figure is the worker's.
    p=$gen_pid
    gen_pid=
    memif_gen_stop "$p" "$dir/gen" || exit 1
    cat "$dir/gen.json" >&2
fi
gateway_stop

# Phase 2, channels per core: the same K sessions with real streams (in
# pairs, through the port's hairpin: 50 packets a second each way per
# session, audio played, nothing duplicated), an adaptive worker that
# sleeps when it has nothing to do, and its thread's CPU time: K over the
# share of the core it used is the full-duplex law-converting channels one
# worker core carries -- extrapolated from K, assuming each further channel
# costs what these did (at K = 10,000 the sessions' state is already far
# beyond the caches, so more should cost no more each; the share includes
# the adaptive worker's sleeps and wake-ups). The replay file is read once
# (its ARP reply; no infinite_rx).
write_config pairs "net_pcap0,rx_pcap=$pcap" adaptive
REMOTE=pairs start_gateway pairs
sleep 2  # warm-up: jitter buffers primed
counters >"$dir/p0.json"
cpu0=$(worker_cpu_ns)
t0=$(date +%s%N)
sleep "$((seconds * rounds))"
cpu1=$(worker_cpu_ns)
t1=$(date +%s%N)
counters >"$dir/p1.json"
"$BUILD/control/cli/trunkctl" -c "$cfg" --json show sessions >"$dir/pairs-sessions.json"
gateway_stop
echo "{\"cpu_ns\": $((cpu1 - cpu0)), \"wall_ns\": $((t1 - t0))}" >"$dir/pairs-cpu.json"

# The machine's memory, measured in the same run: with thousands of
# sessions the tick touches a few lines of each every millisecond, and
# once they outgrow the cache each costs a DRAM miss (bench/mem_probe.cpp).
mem_json=$("$BUILD/bench/mem-probe")
echo "$mem_json" >&2

python3 - "$dir" "$seconds" "$dir/sessions.json" "$sessions" "$rounds" "$mem_json" "$feed" <<'PY'
import json, statistics, sys
d = sys.argv[1]
n_secs, rounds = int(sys.argv[2]), int(sys.argv[5])
# The worker's counters once a second in each round's window.
windows = [[json.load(open(f'{d}/c{r}-{i}.json'))['workers'][0] for i in range(n_secs + 1)]
           for r in range(1, rounds + 1)]
ss = json.load(open(sys.argv[3]))
k = int(sys.argv[4])
tps = [json.loads(line) for line in open(f'{d}/testpmd.jsonl')]
mem = json.loads(sys.argv[6])
feed = sys.argv[7]
# Mpps in each one-second interval, timed by the worker's own ticks.
per_second = [(b['rx_packets'] - a['rx_packets']) / ((b['ticks'] - a['ticks']) / 1000.0) / 1e6
              for w in windows for a, b in zip(w, w[1:]) if b['ticks'] > a['ticks']]


def delta(key):
    """A counter's growth summed over the windows (none of the stopped time)."""
    return sum(w[-1][key] - w[0][key] for w in windows)


ticks = delta('ticks')
secs = ticks / 1000.0
rx = delta('rx_packets') / secs
rtp = delta('rtp_rx') / secs
tx = delta('tx_packets') / secs
late = delta('ticks_late')
skipped = delta('ticks_skipped')
# The share of the worker's core its ticks took (the rest is packet I/O).
tick_share = delta('tick_busy_seconds') / secs
# Each window against the testpmd window after it.
round_mpps = [(w[-1]['rx_packets'] - w[0]['rx_packets']) / ((w[-1]['ticks'] - w[0]['ticks']) / 1000.0) / 1e6
              for w in windows]
round_ratios = [m / t['mpps'] if t['mpps'] else None for m, t in zip(round_mpps, tps)]
tp = {'mpps': round(statistics.mean(t['mpps'] for t in tps), 3),
      'median_mpps': round(statistics.median(t['median_mpps'] for t in tps), 3)}
if feed == 'memif':
    # The generator beside testpmd: its mean rate, and the least share of
    # its polls the full ring refused in any round (near 0: it, not
    # testpmd, set that round's rate).
    tp['generator_sent_mpps'] = round(statistics.mean(t['generator_sent_mpps'] for t in tps), 3)
    tp['generator_full_share'] = min(t['generator_full_share'] for t in tps)
# The packet path's own rate: what the worker received per second of the
# time the ticks left it (the decomposition of the figure: ticks vs I/O).
packet_path_mpps = rx / 1e6 / (1 - tick_share) if tick_share < 1 else None


def plain_share(a, b):
    """Of the joined sessions' milliseconds, those their plain runs did
    without a visit (dataplane/media/plain_run.h); None from a build
    without the counters."""
    if 'session_ticks' not in b:
        return None
    return round((b['plain_ticks'] - a['plain_ticks']) / max(1, b['session_ticks'] - a['session_ticks']), 3)


def window_plain_share():
    if 'session_ticks' not in windows[0][0]:
        return None
    return round(delta('plain_ticks') / max(1, delta('session_ticks')), 3)


out_pkts = sum(s['counters']['rtp_packets_out'] for s in ss['sessions'])
mpps = rx / 1e6
# The physical limit next to the peer: G.711 20 ms RTP is a 214-octet
# Ethernet frame (14 + 20 IPv4 + 8 UDP + 12 RTP + 160), 238 on the wire with
# FCS, preamble and inter-frame gap (4 + 8 + 12): 10 Gbit/s carries
# 10e9 / (238 * 8) = 5.25 M of them a second.
line_rate_10g_mpps = 10e9 / (238 * 8) / 1e6
# Phase 2: the same K sessions with real streams, paired through the hairpin.
p0, p1 = (json.load(open(f'{d}/p{i}.json')) for i in (0, 1))
w0, w1 = p0['workers'][0], p1['workers'][0]
cpu = json.load(open(f'{d}/pairs-cpu.json'))
pair_secs = (w1['ticks'] - w0['ticks']) / 1000.0
pair_rtp = (w1['rtp_rx'] - w0['rtp_rx']) / pair_secs
pair_late = w1['ticks_late'] - w0['ticks_late']
pair_skipped = w1['ticks_skipped'] - w0['ticks_skipped']
worker_share = cpu['cpu_ns'] / cpu['wall_ns']
pss = json.load(open(f'{d}/pairs-sessions.json'))['sessions']
played = sum(x['counters']['played_ms'] for x in pss)
concealed = sum(x['counters']['concealed_ms'] for x in pss)
# Every session must have received its peer's whole stream (50 packets a
# second each: none lost to a full hairpin queue or an empty pool, nothing
# concealed) and the worker must have kept its tick.
pair_lost = sum(w1['net'][c] - w0['net'][c] for c in ('hairpin_dropped', 'tx_no_mbuf', 'tx_dropped_full'))
streams_ok = (pair_rtp >= 0.99 * k * 50 and pair_lost == 0 and concealed == 0
              and pair_late <= (w1['ticks'] - w0['ticks']) / 100 and pair_skipped == 0)
channels = round(k / worker_share) if streams_ok and worker_share > 0 else 0
print(f'channels: {k} sessions in pairs, {pair_rtp / 1e3:.1f} k RTP/s received, {pair_lost} lost, {pair_late} late ticks, '
      f'worker {100 * worker_share:.1f} % of a core -> {channels} full-duplex channels per core; '
      f'played {played} ms, concealed {concealed} ms', file=sys.stderr)
print(f'worker per second: ' + ' '.join(f'{x:.2f}' for x in per_second) + ' Mpps', file=sys.stderr)
print(f'worker: {mpps:.3f} Mpps RX ({rtp / 1e6:.3f} M RTP/s to sessions), {tx / 1e6:.3f} Mpps TX, '
      f'{ticks} ticks in the window, {late} late, {skipped} skipped, ticks {100 * tick_share:.1f} % of the core; '
      f'{ss["active"]} sessions, '
      f'{out_pkts} RTP packets sent; testpmd {tp["mpps"]:.3f} Mpps', file=sys.stderr)
print('note: the replay repeats sequence numbers each pass: jitter buffers count duplicates/late', file=sys.stderr)
print(json.dumps({'bench': 'dataplane_pps', 'metric': 'rx_mpps_per_worker_core', 'value': round(mpps, 3),
                  'unit': 'Mpps', 'baseline': tp['mpps'], 'baseline_name': f'dpdk-testpmd io-fwd, {"net_pcap replay" if feed == "pcap" else "net_memif from memif-gen to net_null"}, 1 core',
                  'feed': feed,
                  'ratio': round(mpps / tp['mpps'], 3) if tp['mpps'] else None,
                  'rounds': rounds, 'round_ratios': [round(x, 3) if x else None for x in round_ratios],
                  'round_ratio_median': round(statistics.median(x for x in round_ratios if x), 3) if any(round_ratios) else None,
                  'median_mpps': round(statistics.median(per_second), 3) if per_second else None,
                  'min_mpps': round(min(per_second), 3) if per_second else None,
                  'max_mpps': round(max(per_second), 3) if per_second else None,
                  'baseline_median_mpps': tp['median_mpps'],  # the median of the rounds' medians
                  'sessions': k, 'tx_mpps': round(tx / 1e6, 3), 'ticks_late': late, 'ticks_skipped': skipped,
                  'tick_share': round(tick_share, 3), 'plain_share': window_plain_share(),
                  'packet_path_mpps': round(packet_path_mpps, 3) if packet_path_mpps else None,
                  'packet_path_ratio': round(packet_path_mpps / tp['mpps'], 3) if packet_path_mpps and tp['mpps'] else None,
                  'channels_per_core': channels, 'channels_worker_share': round(worker_share, 4),
                  'channels_rtp_rx_per_s': round(pair_rtp), 'channels_ticks_late': pair_late,
                  'channels_plain_share': plain_share(w0, w1),
                  'channels_concealed_share': round(concealed / max(1, played + concealed), 5),
                  'line_rate_10gbe_mpps': round(line_rate_10g_mpps, 3),
                  'dram_dependent_miss_ns': mem['dependent_miss_ns'], 'dram_random_line_ns': mem['random_line_ns'],
                  'ratio_to_10gbe_line_rate': round(mpps / line_rate_10g_mpps, 3),
                  **({'baseline_generator_sent_mpps': tp['generator_sent_mpps'],
                      'baseline_generator_full_share': tp['generator_full_share']} if feed == 'memif' else {})}))
PY
