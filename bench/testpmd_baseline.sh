#!/usr/bin/env bash
# bench/testpmd_baseline.sh: the per-core ceiling the data plane is compared
# with in `bench/run dataplane_pps`: dpdk-testpmd io-forwarding one net_pcap
# port that replays a capture endlessly (rx_pcap=FILE,infinite_rx=1; with no
# tx_pcap/tx_iface the PMD's TX counts and frees every packet), on ONE
# forwarding lcore, like one trunkgw worker.
#
#   bench/testpmd_baseline.sh --pcap FILE [--seconds S] [--warmup W]
#                             [--lcores MAIN,FWD] [--mem MB] [--log FILE]
#                             [--memif-gen BIN]
#
# With --memif-gen (bench/memif-gen), the capture comes over net_memif
# instead: BIN sends its frames endlessly on the main lcore's CPU (server
# role, a socket in a temp dir), testpmd's port 0 is the memif client and
# io-forwards what it receives to port 1, a net_null that frees it (no-rx=1):
# the same free TX as net_pcap's, where the data plane's own TX goes back
# over memif. The generator's JSON joins testpmd's: its rate and the share
# of its polls the full ring refused (near 0: the generator, not testpmd,
# set the rate; the ratio would then flatter the data plane).
#
# Prints one JSON line on stdout:
#   {"tool":"testpmd","mpps":X,"seconds":S, ...}
# mpps is the mean of testpmd's per-second "Rx-pps" (measured from the TSC
# between two port-stats prints) over S seconds after W seconds of warm-up;
# median_mpps, min_mpps and max_mpps show the spread: on this 2-core machine
# anything else running shares the forwarding core, so compare with the data
# plane's figure taken under the same conditions (alternate the two runs).
# Everything else goes to stderr; testpmd's own output goes to --log
# (default: a temp file, removed on success).
#
# DPDK here: no hugepages (--no-huge), no PCI (--no-pci); the runtime
# directory uses a private --file-prefix, so this never meets a running
# trunkgw data plane (whose prefix is trunkgw-<instance>), and is removed at
# the end. testpmd's mbuf pool is sized for the capture: infinite_rx keeps
# every packet of the file in an mbuf of the pool, and copies each one into a
# fresh mbuf on RX.
#
# dpdk-testpmd is in Debian's dpdk-dev package (not dpdk).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"  # memif_gen_start, memif_gen_stop

pcap=
seconds=8
warmup=1
lcores=0,1
mem=
log=
memif_gen=

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
}

die() {
    echo "testpmd_baseline: $*" >&2
    exit 1
}

while [[ $# -gt 0 ]]; do
    case $1 in
    --pcap) pcap=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --lcores) lcores=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --memif-gen) memif_gen=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage; exit 2 ;;
    esac
done

[[ -n $pcap ]] || { usage; exit 2; }
[[ -r $pcap ]] || die "cannot read $pcap"
[[ $pcap != *,* ]] || die "the pcap path must not contain ',' (DPDK devargs separator)"
[[ $seconds =~ ^[1-9][0-9]*$ && $seconds -le 600 ]] || die "--seconds must be 1..600"
[[ $warmup =~ ^[0-9]+$ && $warmup -le 60 ]] || die "--warmup must be 0..60"
[[ $lcores =~ ^[0-9]+,[0-9]+$ ]] || die "--lcores must be MAIN,FWD (two lcore ids)"
[[ -z $memif_gen || -x $memif_gen ]] || die "--memif-gen $memif_gen is not executable"
testpmd=$(command -v dpdk-testpmd) || die "dpdk-testpmd not found (Debian package dpdk-dev)"
command -v capinfos >/dev/null || die "capinfos not found (Debian package wireshark-common, comes with tshark)"

pcap=$(realpath "$pcap")
packets=$(capinfos -c -M "$pcap" | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}')
[[ $packets =~ ^[0-9]+$ && $packets -gt 0 ]] || die "no packets in $pcap"

# The pool: the whole capture (held by the PMD's replay ring) plus room for
# the per-lcore caches (250 each), bursts in flight and testpmd's own needs
# (sized so for --memif-gen too, where nothing holds the capture: harmless).
mbufs=$((packets + 8192))
((mbufs >= 16384)) || mbufs=16384
# Without hugepages memory comes in 4 KiB pages and a mempool object (2176
# octets of data room plus headers) does not cross a page: one page per mbuf,
# plus ~128 MiB for the rest (measured: 250000 mbufs fit in -m 1024, 300000
# do not).
need_mb=$((mbufs * 4 / 1024 + 128))
if [[ -z $mem ]]; then
    mem=512
    ((need_mb <= mem)) || mem=$need_mb
fi

main_lcore=${lcores%%,*}
prefix=trunkgw-bench-testpmd-$$
# Where EAL puts its runtime files (eal_get_runtime_dir()).
if [[ $(id -u) -eq 0 ]]; then
    runtime_dir=/var/run/dpdk/$prefix
else
    runtime_dir=${XDG_RUNTIME_DIR:-/tmp}/dpdk/$prefix
fi
keep_log=1
if [[ -z $log ]]; then
    log=$(mktemp /tmp/testpmd-baseline.XXXXXX.log)
    keep_log=0
fi

pid=
gen_pid=
gen_dir=
cleanup() {
    # The memif server (the generator) first (memif_gen_stop).
    if [[ -n $gen_pid ]]; then
        memif_gen_stop "$gen_pid" "$gen_dir/gen" || true
    fi
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf -- "$runtime_dir" ${gen_dir:+"$gen_dir"}
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Rx-pps lines: the first print has no previous one (always 0), then one per
# second. Wait for 1 + warmup + seconds of them; the hard bound leaves room
# for EAL start-up (plugin loading) and reading the capture into the pool.
want=$((1 + warmup + seconds))
limit=$((warmup + seconds + 60))
echo "testpmd_baseline: $packets packets from $pcap, $mbufs mbufs, -m $mem, lcores $lcores," \
    "${warmup}s warm-up + ${seconds}s" >&2

ports=(--vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1")
topology=loop
if [[ -n $memif_gen ]]; then
    gen_dir=$(mktemp -d /tmp/testpmd-memif.XXXXXX)
    memif_gen_start "$memif_gen" "$gen_dir/gen" "$pcap" "$gen_dir/memif.sock" "$main_lcore" "$limit" ||
        die "no generator"
    gen_pid=$memif_gen_pid
    # The frames' destination MAC is the replay port's (rtp-pcap-gen's
    # default); testpmd forwards without looking, so any MAC would do.
    ports=(--vdev "net_memif0,role=client,socket-abstract=no,socket=$gen_dir/memif.sock"
        --vdev "net_null0,no-rx=1")
    topology=paired
fi

timeout -s TERM -k 5 "$limit" "$testpmd" \
    -l "$lcores" --main-lcore "$main_lcore" \
    --no-huge -m "$mem" --no-pci --no-telemetry --file-prefix "$prefix" \
    "${ports[@]}" \
    -- \
    --nb-cores=1 --rxq=1 --txq=1 --forward-mode=io --port-topology=$topology \
    --total-num-mbufs="$mbufs" --no-flush-rx --stats-period=1 \
    </dev/null >"$log" 2>&1 &
pid=$!

# Port 0's lines only (with --memif-gen, port 1 is the null sink). Each
# stats block starts with "... statistics for port N ...".
port0_lines() {
    tr -d '\033' <"$log" 2>/dev/null |
        awk 'BEGIN { port = -1 }
             /statistics for port/ { for (f = 1; f < NF; f++) if ($f == "port") port = $(f + 1) }
             port == 0'
}

count_samples() {
    port0_lines | grep -c 'Rx-pps:' || true
}

deadline=$((SECONDS + limit))
while kill -0 "$pid" 2>/dev/null && (($(count_samples) < want)) && ((SECONDS < deadline)); do
    sleep 0.2
done
# SIGTERM: testpmd stops forwarding, prints its forward statistics, closes
# the port and exits 0 (timeout passes the signal on). The memif server
# first (see cleanup).
gen_json='{}'
gen_ok=1
if [[ -n $gen_pid ]]; then
    memif_gen_stop "$gen_pid" "$gen_dir/gen" || gen_ok=0
    gen_pid=
    gen_json=$(cat "$gen_dir/gen.json")
fi
kill -TERM "$pid" 2>/dev/null || true
rc=0
wait "$pid" || rc=$?
pid=

got=$(count_samples)
if ((got < want)); then
    echo "testpmd_baseline: only $got of $want stats samples (exit $rc); testpmd said:" >&2
    tail -n 30 "$log" >&2
    keep_log=1
    exit 1
fi
((gen_ok)) || die "memif-gen failed while testpmd ran: $(cat "$gen_dir/gen.log")"

# The samples after the zero and the warm-up; the last stats block's
# counters (RX-nombuf > 0 would mean the pool was too small).
feed=pcap
[[ -z $memif_gen ]] || feed=memif
port0_lines | awk -v skip=$((1 + warmup)) -v n="$seconds" -v feed="$feed" \
    -v pcap="$pcap" -v packets="$packets" -v lcores="$lcores" -v mem="$mem" -v mbufs="$mbufs" '
    # cnt starts as the number 0: awk subscripts an unset variable as ""
    # (the first sample went to sorted[""], where the median never looked).
    BEGIN { cnt = 0 }
    /Rx-pps:/ {
        i++
        if (i > skip && i <= skip + n) {
            v = $2 / 1e6
            sum += v
            if (cnt == 0 || v < min) min = v
            if (cnt == 0 || v > max) max = v
            # insertion sort, for the median (mawk has no asort)
            for (j = cnt; j > 0 && sorted[j - 1] > v; j--) sorted[j] = sorted[j - 1]
            sorted[j] = v
            cnt++
        }
    }
    /RX-nombuf:/ { nombuf = $2 }
    /RX-missed:/ { missed = $4 }
    END {
        if (cnt == 0) exit 1
        median = cnt % 2 ? sorted[(cnt - 1) / 2] : (sorted[cnt / 2 - 1] + sorted[cnt / 2]) / 2
        printf "{\"tool\":\"testpmd\",\"feed\":\"%s\",\"mpps\":%.3f,\"seconds\":%d,\"samples\":%d,\"median_mpps\":%.3f," \
               "\"min_mpps\":%.3f,\"max_mpps\":%.3f,\"forward_lcores\":1,\"lcores\":\"%s\",\"pcap\":\"%s\"," \
               "\"pcap_packets\":%d,\"mbufs\":%d,\"mem_mb\":%d,\"rx_nombuf\":%d,\"rx_missed\":%d}\n",
               feed, sum / cnt, cnt, cnt, median, min, max, lcores, pcap, packets, mbufs, mem, nombuf, missed
    }' | python3 -c '
import json, sys
# The generator beside the figure it fed (memif only): its rate and the
# share of its polls the full ring refused.
tp = json.loads(sys.stdin.read())
gen = json.loads(sys.argv[1])
if gen:
    tp["generator_sent_mpps"] = gen["sent_mpps"]
    tp["generator_full_share"] = gen["ring_full_share"]
print(json.dumps(tp, separators=(",", ":")))' "$gen_json"

if ((keep_log == 0)); then
    rm -f -- "$log"
else
    echo "testpmd_baseline: testpmd output in $log" >&2
fi
