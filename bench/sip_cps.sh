#!/usr/bin/env bash
# bench/sip_cps.sh: SIP calls per second through the gateway into E1 PRI
# spans, against SIPp calling SIPp directly on the same machine.
#
#   bench/run sip_cps [--hold-ms H] [--step-seconds S] [--start-rate R]
#                     [--max-rate R] [--max-spans N] [--spans N]
#                     [--concurrency-seconds S] [--concurrency-rate R]
#                     [--concurrency-realtime P] [--concurrency-sipp N]
#                     [--search-realtime P] [--heap-reserve-mb M]
#                     [--pw-fpp F] [--pw-jitter-ms J] [--dchannel-cps N]
#                     [--cdr fsync|nosync|off] [--port af_packet|tap]
#                     [--skip-ceiling] [--skip-search] [--skip-concurrency]
#
# Everything runs in a network namespace of its own: SIPp (the PBX, on
# 127.0.0.1:5070), the gateway (data plane on a DPDK port 10.84.0.1, see
# --port; control with Sofia-SIP on 127.0.0.1:5060) and bench/pstn-sim (the
# carrier, on the port's kernel side 10.84.0.2: one SAToP pseudowire per E1, libpri network
# side, answering every call at once: --behave '*=answer,alert=0,answer=0').
#
# 1. Ceiling: SIPp uac -> SIPp uas (bench/sipp/cps_uac.xml, cps_uas.xml)
#    directly over loopback, with the same SIPp options; the highest rate
#    with zero failed calls is the tools' limit on this machine (the
#    baseline).
# 2. Search: SIPp uac -> gateway -> pstn-sim. Each step is a fresh gateway
#    and pstn-sim with as many E1 spans as its rate needs, then one bounded
#    SIPp run (-r RATE -m RATE*S, calls held H ms, -timeout). Spans: enough
#    B-channels for rate x (hold + setup and clearing: six Q.931 crossings
#    of the line + 0.3 s) at 80 % use, and one D-channel per --dchannel-cps
#    calls/s (default 15), whichever is more. The D-channel figure is
#    measured, not the 64 kbit/s line rate: Q.921 lets 7 I-frames wait for
#    an acknowledgement (k = 7), a call sends about 4 each way, and over an
#    emulated line with a ~80 ms round trip (32 ms jitter buffers) one
#    span carried ~22 calls/s at best, and at 15 per span 1,000 calls/s on
#    67 spans lost calls to Q.921 retransmissions and T303 where 100 spans
#    at 10 carried them all; with 16 ms buffers (~45 ms round trip) 15 per
#    span carries 1,750 calls/s.
#    A step passes only with zero failed calls in SIPp's statistics AND in
#    the gateway's counters (every INVITE offered, answered and ended with
#    cause 16, no SIP failure response sent, no refusal). The rate doubles
#    until a step fails, then bisects to within 10 % (at most 4 more
#    steps). A failed step whose counters show the line emulation starved
#    of CPU (worker ticks skipped, pseudowire slips, span alarms: the
#    machine's scheduling, not the gateway) runs once more; both attempts
#    are recorded. The spans are one [[span_group]] hunted round robin:
#    each call starts at the span after the previous call's and overflows
#    to the next ones, so that no span's D-channel carries everyone's
#    SETUPs.
#    At the best passing step: setup latency (INVITE -> 180, SIPp's
#    per-call response times, -trace_rtt) p50/p99, and the control
#    process's CPU per call (utime + stime from /proc/PID/stat, everything
#    it did during the step divided by the calls).
# 3. Concurrency: every B-channel of --spans E1s (63 = one STM-1, 1,890
#    channels) busy at once for --concurrency-seconds with media flowing:
#    pstn-sim plays a 1004 Hz tone into every call, the gateway sends it as
#    RTP to SIPp, SIPp echoes it back (-rtp_echo), the gateway plays it on
#    the B-channel and pstn-sim measures what comes back (SINAD per call).
#    Counted over the window: span state changes and alarms, RTP packets
#    both ways, late worker ticks; after it: failed calls (SIPp and the
#    gateway) and the calls whose echoed tone came back clean (>= 30 dB).
#    A machine that cannot carry that many pseudowires and streams in real
#    time shows it here: the figures are what was measured. The lines'
#    clocks (the gateway's worker, realtime_priority; pstn-sim,
#    --realtime-priority) run at SCHED_FIFO --concurrency-realtime
#    (default 10; 0: off), as a span's clock is hardware on a real card.
#    The calls come from --concurrency-sipp SIPp processes (default 4),
#    each with its own SIP and media port and a share of the calls and the
#    rate: one SIPp's echo socket (94,500 packets/s for 1,890 calls) dropped
#    40 % of them (sipp_rtp_socket_drops in the JSON).
#
# --heap-reserve-mb (default 256): the gateway's [control] heap_reserve_mb.
# Sofia keeps every completed transaction 32 s, ~15 KB a call; without the
# reserve the heap grew ~30 MB/s during a step and its page faults were
# ~20 % of the control's event-loop thread, the thread that limits the rate.
# --search-realtime P (default 0: off): the search's lines' clocks at
# SCHED_FIFO P, as the concurrency run's (measured at 2,000 calls/s: the
# spans stayed clean but the control starved and calls failed).
#
# Pseudowires: the spans use SAToP with --pw-fpp frames per packet (default
# 32 = 4 ms, 1024-octet payloads, a quarter of the default 1 ms packets'
# rate: both ends of every emulated E1 are software on this machine) and
# --pw-jitter-ms of playout delay (default 16: enough on a machine doing
# nothing else; 32 rides out threads woken 20-50 ms late while a build
# runs alongside). A Q.931 message crossing a span waits one packet plus
# the jitter buffer, so the setup latency includes twice (fpp/8 + jitter)
# ms of line emulation; the JSON says how much (pw_one_way_delay_ms). The
# shorter the round trip, the more calls one D-channel carries (Q.921's
# window of 7 frames per round trip): 15 calls/s per span with 16 ms, 10
# with 32.
#
# The gateway's port (--port): af_packet (default), DPDK's net_af_packet on
# one end of a veth pair whose other end (10.84.0.2) carries pstn-sim and
# SIPp's RTP, as a NIC port would: PACKET_MMAP rings, no system call per
# received packet and one per transmitted burst; or tap, DPDK's net_tap
# (a readv or writev per packet). The veth's kernel end computes UDP
# checksums itself (ethtool -K tx off): a packet socket would otherwise
# see them unfinished (CHECKSUM_PARTIAL) and the gateway drop them as bad.
#
# CDRs: --cdr fsync (default, as deploy/trunkgw.toml: written and synced by
# the control's CDR thread, one fdatasync per batch), nosync, or off.
#
# The last line on stdout is the JSON:
#   {"bench":"sip_cps","metric":"max_zero_failure_cps","value":GATEWAY_CPS,
#    "unit":"calls/s","baseline":SIPP_DIRECT_CPS,"ratio":...,
#    "setup_latency_p50_ms":...,"setup_latency_p99_ms":...,
#    "control_cpu_ms_per_call":...,"concurrency":{...},...}
# Progress and per-step figures go to stderr; the run's files stay in the
# directory named there (deleted at the end unless TRUNKGW_KEEP_BENCH_DIR=1).
set -euo pipefail

hold_ms=500
step_seconds=5
start_rate=100
max_rate=4000
max_spans=140
conc_spans=63
conc_seconds=60
conc_rate=100
conc_realtime=10
search_realtime=0
heap_reserve_mb=256
conc_sipp=4
worker_rt=0  # realtime_priority of the gateway's worker in the config write_config writes
pw_fpp=32
pw_jitter_ms=16
dchannel_cps=15
cdr=fsync
port_kind=af_packet
ceiling_start=500
ceiling_max=32000
skip_ceiling=0
skip_search=0
skip_concurrency=0
usage() {  # usage [STATUS]
    sed -n '5,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    echo "(the header of bench/sip_cps.sh says what each does)" >&2
    exit "${1:-2}"
}
orig_args=("$@")
while [[ $# -gt 0 ]]; do
    case $1 in
    --hold-ms) hold_ms=$2; shift 2 ;;
    --step-seconds) step_seconds=$2; shift 2 ;;
    --start-rate) start_rate=$2; shift 2 ;;
    --max-rate) max_rate=$2; shift 2 ;;
    --max-spans) max_spans=$2; shift 2 ;;
    --spans) conc_spans=$2; shift 2 ;;
    --concurrency-seconds) conc_seconds=$2; shift 2 ;;
    --concurrency-rate) conc_rate=$2; shift 2 ;;
    --concurrency-realtime) conc_realtime=$2; shift 2 ;;
    --search-realtime) search_realtime=$2; shift 2 ;;
    --heap-reserve-mb) heap_reserve_mb=$2; shift 2 ;;
    --concurrency-sipp) conc_sipp=$2; shift 2 ;;
    --pw-fpp) pw_fpp=$2; shift 2 ;;
    --pw-jitter-ms) pw_jitter_ms=$2; shift 2 ;;
    --dchannel-cps) dchannel_cps=$2; shift 2 ;;
    --cdr) cdr=$2; shift 2 ;;
    --port) port_kind=$2; shift 2 ;;
    --skip-ceiling) skip_ceiling=1; shift ;;
    --skip-search) skip_search=1; shift ;;
    --skip-concurrency) skip_concurrency=1; shift ;;
    -h | --help) usage 0 ;;
    *) usage ;;
    esac
done
for v in hold_ms step_seconds start_rate max_rate max_spans conc_spans conc_seconds conc_rate pw_fpp pw_jitter_ms \
    dchannel_cps conc_realtime search_realtime heap_reserve_mb; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "sip_cps: --${v//_/-} wants a whole number" >&2; exit 2; }
done
[[ $cdr =~ ^(fsync|nosync|off)$ ]] || usage
[[ $conc_sipp =~ ^[1-8]$ ]] || { echo "sip_cps: --concurrency-sipp: 1 to 8 SIPp processes" >&2; exit 2; }
[[ $port_kind =~ ^(af_packet|tap)$ ]] || usage
((hold_ms <= 1000)) || { echo "sip_cps: --hold-ms: short calls, 1000 ms at most" >&2; exit 2; }
((conc_spans >= 1 && conc_spans <= 200 && max_spans >= 1 && max_spans <= 200)) ||
    { echo "sip_cps: 1 to 200 spans" >&2; exit 2; }
((pw_fpp >= 8 && pw_fpp <= 40 && pw_fpp % 8 == 0)) ||
    { echo "sip_cps: --pw-fpp: 8, 16, 24, 32 or 40 frames (a packet must fit a 1500-octet MTU)" >&2; exit 2; }
((step_seconds >= 1 && start_rate >= 1 && max_rate >= start_rate && conc_rate >= 1 && conc_seconds >= 1 &&
    dchannel_cps >= 1)) || usage

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$repo_root/build}

# Our own network namespace: SIP, RTP, pseudowires and the metrics port
# never meet anything else; traffic goes to loopback and the port only.
if [[ ${TRUNKGW_IN_NETNS:-} != 1 ]]; then
    export TRUNKGW_IN_NETNS=1 BUILD
    exec unshare --net -- "$BASH" "${BASH_SOURCE[0]}" "${orig_args[@]}"
fi
ip link set lo up

DP=$BUILD/dataplane/trunkgw-dataplane
CP=$BUILD/control/trunkgw-control
CTL=$BUILD/control/cli/trunkctl
SIM=$BUILD/bench/pstn-sim
SIPP_DIR=$repo_root/bench/sipp
for f in "$DP" "$CP" "$CTL" "$SIM"; do
    [[ -x $f ]] || { echo "sip_cps: $f missing (build first)" >&2; exit 1; }
done
command -v sipp >/dev/null || { echo "sip_cps: sipp missing (Debian package sip-tester)" >&2; exit 1; }

dir=$(mktemp -d /tmp/trunkgw-sipcps.XXXXXX)
echo "sip_cps: files in $dir" >&2
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
TAP=tgwcps$$
GW_IP=10.84.0.1
SIM_IP=10.84.0.2
# The gateway's port: a veth pair made here, in our namespace, for the
# whole run (its kernel end carries pstn-sim and SIPp's RTP), or the TAP
# the data plane makes at each start (set up in gw_start).
if [[ $port_kind == af_packet ]]; then
    KERNEL_IF=tgwsim$$
    ip link add "$TAP" type veth peer name "$KERNEL_IF"
    ip link set dev "$KERNEL_IF" address 02:00:00:00:84:02
    ip addr add "$SIM_IP/24" dev "$KERNEL_IF"
    ethtool -K "$KERNEL_IF" tx off >/dev/null
    ip link set "$TAP" up
    ip link set "$KERNEL_IF" up
    PORT_VDEV="net_af_packet0,iface=$TAP,qpairs=1,blocksz=4096,framesz=2048,framecnt=4096,qdisc_bypass=1"
else
    PORT_VDEV="net_tap0,iface=$TAP"
fi
METRICS=127.0.0.1:9464
SIPP_OPTS=(-buff_size 4194304 -d "$hold_ms" -recv_timeout 5000 -timeout_error -nostdin)
CLK_TCK=$(getconf CLK_TCK)
# Per-span jitter buffer in packets: the playout delay in ms over the
# packet's duration (8 frames a millisecond).
pw_jitter_packets=$(( (pw_jitter_ms * 8 + pw_fpp - 1) / pw_fpp ))
((pw_jitter_packets >= 2)) || pw_jitter_packets=2
pw_one_way_ms=$(( pw_fpp / 8 + pw_jitter_packets * pw_fpp / 8 ))

pids=()
stop_pid() {  # stop_pid PID: TERM, then KILL after 10 s; only our own PIDs
    local p=$1
    kill -TERM "$p" 2>/dev/null || return 0
    timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
}
cleanup() {
    local p
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        p=${pids[i]}
        [[ -n $p ]] && stop_pid "$p"
    done
    pids=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM PIPE
forget_pid() {
    local i
    for i in "${!pids[@]}"; do [[ ${pids[i]} == "$1" ]] && unset 'pids[i]'; done
    pids=("${pids[@]}")
}

# wait_count FILE PATTERN N SECONDS: PATTERN has matched N lines of FILE
# (inotify through tail -F, no polling); fails after SECONDS.
wait_count() {
    local fd tail_pid n
    exec {fd}< <(exec tail -n +1 -F "$1" 2>/dev/null)
    tail_pid=$!
    n=$(timeout "$4" grep -m "$3" -c -- "$2" <&"$fd" || true)
    kill "$tail_pid" 2>/dev/null || true
    exec {fd}<&-
    [[ $n == "$3" ]]
}

# poll_until SECONDS COMMAND...: for states no log line announces (a UDP
# port bound, a counter reached): bounded, every 100 ms.
poll_until() {
    local until=$((SECONDS + $1))
    shift
    while ! "$@"; do
        ((SECONDS < until)) || return 1
        sleep 0.1
    done
}
udp_bound() { [[ -n $(ss -Hlun "sport = :$1") ]]; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# The concurrency run's SIPp processes (GW_SIPP: their PIDs), together.
sipp_cpu_ticks() {
    local p t=0
    for p in $GW_SIPP; do t=$((t + $(cpu_ticks "$p"))); done
    echo "$t"
}
metrics() { curl -sf "http://$METRICS/metrics"; }
log() { echo "sip_cps: $*" >&2; }

# --- SIPp helpers.

# The called numbers SIPp dials in turn (-inf): 9001 .. 9NNN (one route
# takes every number starting with 9 to the span group).
write_numbers() {  # write_numbers FILE SPANS
    {
        echo SEQUENTIAL
        for ((s = 1; s <= $2; s++)); do printf '9%03d;\n' "$s"; done
    } >"$1"
}

# sipp_result STAT_CSV RTT_CSV: "successful failed p50 p99 n" from SIPp's
# statistics file (last line: cumulative) and its per-call response times
# (response time 1: INVITE -> 180).
sipp_result() {
    python3 - "$1" "$2" <<'PY'
import csv, sys
ok = failed = -1
try:
    rows = [r for r in csv.reader(open(sys.argv[1]), delimiter=';') if r]
    head, last = rows[0], rows[-1]
    ok = int(last[head.index('SuccessfulCall(C)')])
    failed = int(last[head.index('FailedCall(C)')])
except (OSError, ValueError, IndexError):
    pass
rtt = []
try:
    for line in open(sys.argv[2]):
        f = line.strip().split(';')
        if len(f) >= 3 and f[2] == '1':
            try:
                rtt.append(float(f[1]))
            except ValueError:
                pass
except OSError:
    pass
rtt.sort()
def pct(p):
    if not rtt:
        return -1
    return rtt[min(len(rtt) - 1, int(p / 100 * len(rtt)))]
print(ok, failed, round(pct(50), 2), round(pct(99), 2), len(rtt))
PY
}

# run_uac TAG TARGET RATE COUNT TIMEOUT_S [EXTRA...]: one bounded SIPp uac
# run from 127.0.0.1:5070 (media address $MEDIA_IP); files in $dir/TAG/;
# sipp_result in RUN_RESULT.
run_uac() {
    local tag=$1 target=$2 rate=$3 count=$4 tmo=$5
    shift 5
    local d=$dir/$tag
    mkdir -p "$d"
    local rc=0
    # /usr/bin/time: the SIPp uac's own CPU (the machine's share it took).
    (cd "$d" && /usr/bin/time -f '%U %S' -o sipp_cpu.txt timeout $((tmo + 30)) sipp "$target" -sf "$SIPP_DIR/cps_uac.xml" -inf "$dir/numbers.csv" \
        -i 127.0.0.1 -p 5070 -mi "$MEDIA_IP" -mp 40000 -r "$rate" -m "$count" -l "$count" \
        -timeout "$tmo" "${SIPP_OPTS[@]}" -trace_stat -stf stat.csv -fd 1 -trace_rtt -rtt_freq 1 \
        -trace_err -error_file errors.log "$@" >uac.out 2>&1) || rc=$?
    echo "$rc" >"$d/rc"
    RUN_RESULT=$(sipp_result "$d/stat.csv" "$(ls "$d"/*_rtt.csv 2>/dev/null | head -1)")
}

# --- 1. The tools' ceiling: SIPp uac -> SIPp uas.

ceiling_step() {  # ceiling_step RATE -> 0 pass / 1 fail
    local rate=$1 count=$(($1 * step_seconds))
    local d=$dir/ceiling-$rate
    mkdir -p "$d"
    (cd "$d" && exec sipp -sf "$SIPP_DIR/cps_uas.xml" -i 127.0.0.1 -p 5080 -mi 127.0.0.1 -mp 40100 \
        "${SIPP_OPTS[@]}" -trace_stat -stf uas_stat.csv -fd 1 >uas.out 2>&1) &
    local uas=$!
    pids+=("$uas")
    poll_until 10 udp_bound 5080 || { log "the SIPp uas did not bind 127.0.0.1:5080"; return 1; }
    MEDIA_IP=127.0.0.1 run_uac "ceiling-$rate" 127.0.0.1:5080 "$rate" "$count" \
        $((step_seconds + hold_ms / 1000 + 20))
    stop_pid "$uas"
    forget_pid "$uas"
    local ok failed
    read -r ok failed _ <<<"$RUN_RESULT"
    log "ceiling: $rate calls/s: $ok of $count successful, $failed failed"
    echo "$rate $ok $failed" >>"$dir/ceiling.txt"
    [[ $ok == "$count" && $failed == 0 ]]
}

# search STEP_FUNCTION START MAX: doubling from START while steps pass (up
# to MAX), then bisection to within 10 %; the highest passing rate (0:
# none) in SEARCH_RESULT. (Not in a subshell: the steps' processes stay
# known to the EXIT trap.)
search() {
    local step=$1 rate=$2 max=$3 lo=0 hi=0 bisections=0
    while :; do
        if "$step" "$rate"; then
            lo=$rate
            ((rate < max)) || break
            rate=$((rate * 2 > max ? max : rate * 2))
        else
            hi=$rate
            break
        fi
    done
    # Bisection, at most 4 more steps (the time bound): within 10 %, or
    # down to an eighth of the start rate when even that failed.
    while ((hi > 0 && hi - lo > (lo > 0 ? lo / 10 : hi / 8) && hi - lo > 1 && bisections < 4)); do
        ((++bisections))
        rate=$(((lo + hi) / 2))
        if "$step" "$rate"; then lo=$rate; else hi=$rate; fi
    done
    SEARCH_RESULT=$lo
}

# --- The gateway and pstn-sim.

# spans_for RATE: E1 spans a rate needs (see the header).
spans_for() {
    python3 -c '
import math, sys
rate, hold_ms, cap, dcps, one_way = (int(x) for x in sys.argv[1:6])
# A channel is busy for the hold plus setup and clearing: six Q.931
# crossings of the emulated line and some queueing.
channels = rate * (hold_ms / 1000 + 6 * one_way / 1000 + 0.3) / (30 * 0.8)
dchannels = rate / dcps
print(max(1, min(cap, math.ceil(max(channels, dchannels)))))' "$1" "$hold_ms" "$max_spans" "$dchannel_cps" "$pw_one_way_ms"
}

write_config() {  # write_config FILE SPANS
    local file=$1 n=$2 s j
    {
        cat <<TOML
[instance]
name = "bench-sipcps-$$"
run_dir = "$dir"

[dataplane]
main_lcore = 0
memory_mb = 1024
poll_mode = "adaptive"
sessions_per_worker = $((n * 30 + 64))
mbufs = 65535

[[dataplane.worker]]
id = 1
lcore = 1
realtime_priority = $worker_rt

[[port]]
id = 1
name = "media0"
vdev = "$PORT_VDEV"
addresses = ["$GW_IP/24"]

[sip]
listen = "127.0.0.1:5060"
transport = "udp"

# SIPp plays the PBX: no limits (0), no OPTIONS into its scenario.
[[sip.trunk]]
name = "pbx"
peers = [$(for ((i = 0; i < conc_sipp; i++)); do printf '%s"127.0.0.1:%d"' "$([[ $i -gt 0 ]] && echo ', ')" $((5070 + i)); done)]
max_calls = 0
calls_per_second = 0
options_interval_s = 0

[media]
rtp_port_min = 16384
rtp_port_max = 32767

[control]
socket = "$dir/control.sock"
metrics_listen = "$METRICS"
# A step's calls (rate x step seconds) are all kept by Sofia for 32 s
# after they end: 2,000 calls/s for 5 s is ~150 MB of heap, faulted in
# before the first call rather than while the step runs.
heap_reserve_mb = $heap_reserve_mb

# info: the bench waits on the control's log lines (restarts done,
# calls ended).
[log]
level = "info"
TOML
        if [[ $cdr != off ]]; then
            printf '\n[cdr]\npath = "cdr.jsonl"\nfsync = %s\n' "$([[ $cdr == fsync ]] && echo true || echo false)"
        fi
        for ((s = 1; s <= n; s++)); do
            cat <<TOML

[[span]]
id = $s
name = "e1-$s"
type = "e1"
worker = 1
[span.pseudowire]
mode = "satop"
port = "media0"
remote_address = "$SIM_IP"
local_udp_port = $((50000 + s))
remote_udp_port = 50000
frames_per_packet = $pw_fpp
jitter_packets = $pw_jitter_packets
[span.isdn]
side = "user"
switch_type = "euroisdn_e1"
TOML
        done
        # The spans are one trunk group hunted round robin (each call starts
        # at the span after the last call's and overflows to the next ones),
        # as a PBX's carrier spreads SETUPs over its spans; every number SIPp
        # dials starts with 9.
        printf '\n[[span_group]]\nname = "carrier"\nhunting = "round_robin"\nspans = ['
        for ((s = 1; s <= n; s++)); do
            printf '%s"e1-%d"' "$([[ $s -gt 1 ]] && echo ', ')" "$s"
        done
        printf ']\n\n[[route]]\nname = "carrier"\ncalled_prefix = "9"\nfrom = ["pbx"]\nto = ["carrier"]\n'
    } >"$file"
}

GW_DP=
GW_CP=
GW_SIM=
GW_SIPP=
GW_SPANS=0
# gw_start SPANS [PSTN_SIM_ARGS...]: a fresh data plane, control and
# pstn-sim; returns once every span's D-channel is up and both sides'
# B-channel restarts are done.
gw_start() {
    local n=$1 s
    shift
    GW_SPANS=$n
    GW_DIR=$dir/gw-$n-$((++gw_runs))
    mkdir -p "$GW_DIR"
    write_config "$GW_DIR/trunkgw.toml" "$n"
    write_numbers "$dir/numbers.csv" "$n"
    "$DP" -c "$GW_DIR/trunkgw.toml" >"$GW_DIR/dataplane.log" 2>&1 &
    GW_DP=$!
    pids+=("$GW_DP")
    "$CP" -c "$GW_DIR/trunkgw.toml" >"$GW_DIR/control.log" 2>&1 &
    GW_CP=$!
    pids+=("$GW_CP")
    wait_count "$GW_DIR/dataplane.log" "trunkgw-dataplane .* ready" 1 60 &&
        wait_count "$GW_DIR/control.log" "SIP on 127.0.0.1:5060" 1 60 || {
        log "the gateway did not come up; logs in $GW_DIR"
        return 1
    }
    if [[ $port_kind == tap ]]; then
        # The TAP comes and goes with the data plane.
        ip link set dev "$TAP" address 02:00:00:00:84:02
        ip addr add "$SIM_IP/24" dev "$TAP"
        ip link set "$TAP" up
        # The TAP's queue towards the data plane is the port's receive ring:
        # 4096 like a NIC's rather than the kernel's 1000 (with 63 E1s and
        # their calls' media it overflowed whenever the worker was a few ms
        # late: 182k drops in a 60 s window; 47k with 4096).
        ip link set dev "$TAP" txqueuelen 4096
    fi
    local args=()
    for ((s = 1; s <= n; s++)); do
        # Every span's far end on one port (pstn-sim tells them apart by the
        # gateway's port, as a channel bank with many E1s on one address would).
        args+=(--span "e1-$s,local=$SIM_IP:50000,remote=$GW_IP:$((50000 + s)),jitter=$pw_jitter_packets,fpp=$pw_fpp")
    done
    "$SIM" "${args[@]}" "$@" --behave '*=answer,alert=0,answer=0' --calls "$GW_DIR/calls.jsonl" --seconds 3600 \
        >"$GW_DIR/pstn-sim.json" 2>"$GW_DIR/pstn-sim.log" &
    GW_SIM=$!
    pids+=("$GW_SIM")
    # Our restarts (one per B-channel, logged per span when done), then
    # pstn-sim's (counted per span, no log line: polled).
    wait_count "$GW_DIR/control.log" "B-channel restart complete" "$n" 120 || {
        log "the spans' D-channels did not all come up with their restarts done; logs in $GW_DIR"
        return 1
    }
    poll_until 60 restarts_received_all || {
        log "pstn-sim's B-channel restarts did not all arrive; logs in $GW_DIR"
        return 1
    }
}
gw_runs=0
restarts_received_all() {
    "$CTL" -c "$GW_DIR/trunkgw.toml" --json show spans | python3 -c '
import json, sys
sp = json.load(sys.stdin)["spans"]
sys.exit(0 if all(s.get("isdn") and s["isdn"]["counters"]["restarts_received"] >= 30 and
                  s["isdn"]["counters"]["dchannel_up"] >= 1 for s in sp) else 1)'
}
gw_stop() {
    local p
    for p in "$GW_SIM" "$GW_CP" "$GW_DP"; do
        [[ -n $p ]] || continue
        stop_pid "$p"
        forget_pid "$p"
    done
    GW_SIM= GW_CP= GW_DP=
}

# gw_snapshot FILE: metrics, spans and worker counters, CPU of the three
# processes, UDP drops on the gateway's SIP socket, in one JSON file.
gw_snapshot() {
    metrics >"$1.metrics" || true
    "$CTL" -c "$GW_DIR/trunkgw.toml" --json show spans >"$1.spans" || echo '{}' >"$1.spans"
    "$CTL" -c "$GW_DIR/trunkgw.toml" --json show counters >"$1.counters" || echo '{}' >"$1.counters"
    # sipp: the SIPp of the concurrency run (GW_SIPP), when there is one;
    # machine: every CPU's busy ticks (/proc/stat: all but idle and iowait).
    printf '{"control": %s, "dataplane": %s, "pstn_sim": %s, "sipp": %s, "machine": %s, "t": %s}\n' \
        "$(cpu_ticks "$GW_CP")" "$(cpu_ticks "$GW_DP")" "$(cpu_ticks "$GW_SIM")" \
        "$(sipp_cpu_ticks)" \
        "$(awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat)" "$(date +%s.%N)" >"$1.cpu"
    # /proc/net/udp: local address 0100007F:13C4 = 127.0.0.1:5060; the last
    # column counts datagrams dropped on that socket (receive buffer full).
    awk '$2 == "0100007F:13C4" {print $NF}' /proc/net/udp >"$1.udpdrops"
    # Packets lost before the worker read them: on a TAP, its queue towards
    # the data plane (the kernel's "TX" on it); on af_packet, the port's own
    # counters (imissed + rx_nombuf; DPDK 22.11's af_packet PMD reports no
    # ring overflow: there pw_lost and the RTP figures show any loss).
    if [[ $port_kind == tap ]]; then
        ip -s -j link show dev "$TAP" 2>/dev/null |
            python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])' \
                >"$1.portdrops" 2>/dev/null || echo 0 >"$1.portdrops"
    else
        awk '/^trunkgw_net_nic_rx_(missed|nombuf)_total/ {n += $NF} END {print n + 0}' "$1.metrics" \
            >"$1.portdrops" 2>/dev/null || echo 0 >"$1.portdrops"
    fi
    # SIPp's media sockets (ports 40000, 40010, ...: where it echoes the calls' RTP).
    local i ports=
    for ((i = 0; i < conc_sipp; i++)); do ports+="${ports:+|}$(printf '%04X' $((40000 + 10 * i)))"; done
    awk -v re=":($ports)\$" '$2 ~ re {n += $NF} END {print n + 0}' /proc/net/udp >"$1.sippdrops"
}

# gw_delta BEFORE AFTER: what happened between two snapshots, as JSON.
gw_delta() {
    python3 - "$1" "$2" "$CLK_TCK" <<'PY'
import json, re, sys
a, b, tck = sys.argv[1], sys.argv[2], int(sys.argv[3])
def metrics(f):
    m = {}
    try:
        for line in open(f + '.metrics'):
            if line.startswith('#') or not line.strip():
                continue
            k, v = line.rsplit(' ', 1)
            m[k] = float(v)
    except OSError:
        pass
    return m
def load(f, ext):
    try:
        return json.load(open(f + ext))
    except (OSError, ValueError):
        return {}
ma, mb = metrics(a), metrics(b)
def d(k):
    return mb.get(k, 0) - ma.get(k, 0)
def dsum(pattern):
    r = re.compile(pattern)
    return sum(mb[k] - ma.get(k, 0) for k in mb if r.fullmatch(k))
ca, cb = load(a, '.cpu'), load(b, '.cpu')
sa, sb = load(a, '.spans').get('spans', []), load(b, '.spans').get('spans', [])
wa = (load(a, '.counters').get('workers') or [{}])[0]
wb = (load(b, '.counters').get('workers') or [{}])[0]
def udp(f, ext='.udpdrops'):
    try:
        return int(open(f + ext).read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
flapped = sum(1 for x, y in zip(sa, sb) if y['state_changes'] != x['state_changes'])
def spans_sum(key, isdn=False):
    def get(s):
        c = (s.get('isdn') or {}).get('counters', {}) if isdn else s.get('counters', {})
        return c.get(key, 0)
    return sum(get(y) - get(x) for x, y in zip(sa, sb))
out = {
    'seconds': round(cb.get('t', 0) - ca.get('t', 0), 2),
    'offered': d('trunkgw_calls_offered_total'),
    'answered': d('trunkgw_calls_answered_total'),
    'ended': dsum(r'trunkgw_calls_ended_total\{.*\}'),
    'ended_16': d('trunkgw_calls_ended_total{cause="16"}'),
    'active': mb.get('trunkgw_calls_active', 0),
    'sip_failures_sent': dsum(r'trunkgw_sip_final_responses_total\{.*direction="tx".*\}'),
    'sip_refused': dsum(r'trunkgw_sip_refused_total\{.*\}'),
    'media_failed': d('trunkgw_calls_media_total{result="failed"}'),
    'failovers': d('trunkgw_call_failovers_total'),
    'control_cpu_ms': (cb.get('control', 0) - ca.get('control', 0)) * 1000 / tck,
    'dataplane_cpu_ms': (cb.get('dataplane', 0) - ca.get('dataplane', 0)) * 1000 / tck,
    'pstn_sim_cpu_ms': (cb.get('pstn_sim', 0) - ca.get('pstn_sim', 0)) * 1000 / tck,
    'sipp_cpu_ms': (cb.get('sipp', 0) - ca.get('sipp', 0)) * 1000 / tck,
    'machine_cpu_ms': (cb.get('machine', 0) - ca.get('machine', 0)) * 1000 / tck,
    'sip_udp_drops': udp(b) - udp(a),
    'port_drops': udp(b, '.portdrops') - udp(a, '.portdrops'),
    'sipp_rtp_socket_drops': udp(b, '.sippdrops') - udp(a, '.sippdrops'),
    'spans': len(sb),
    'spans_state_changed': flapped,
    'spans_in_alarm': sum(1 for y in sb if y.get('alarms')),
    'pw_slips': spans_sum('pw_slips'),
    'pw_lost': spans_sum('pw_lost'),
    'dchan_aborts_crc': spans_sum('dchan_aborts') + spans_sum('dchan_crc_errors'),
    'q921_retransmissions': spans_sum('q921_retransmissions', True),
    't303_expiries': spans_sum('t303_expiries', True),
    'no_free_channel': spans_sum('calls_out_refused', True),
    'ticks': wb.get('ticks', 0) - wa.get('ticks', 0),
    'ticks_late': wb.get('ticks_late', 0) - wa.get('ticks_late', 0),
    'ticks_skipped': wb.get('ticks_skipped', 0) - wa.get('ticks_skipped', 0),
}
# What the failures (if any) point at, most basic first.
limits = []
if out['ticks_skipped'] or out['pw_slips'] or out['spans_state_changed']:
    limits.append('line emulation (worker ticks skipped, pseudowire slips or span alarms: CPU starved)')
if out['q921_retransmissions'] or out['t303_expiries']:
    limits.append('D-channel (Q.921 retransmissions, T303)')
if out['no_free_channel']:
    limits.append('B-channels (all busy on every span tried: cause 34)')
if out['sip_udp_drops']:
    limits.append("SIP socket receive buffer (datagrams dropped)")
if out['port_drops']:
    limits.append("the gateway port's receive queue (packets dropped before the worker read them)")
out['signs'] = limits
for k in list(out):
    if isinstance(out[k], float) and out[k].is_integer():
        out[k] = int(out[k])
    elif isinstance(out[k], float):
        out[k] = round(out[k], 1)
print(json.dumps(out))
PY
}

# --- 2. The search through the gateway.

gw_attempt() {  # gw_attempt RATE -> 0 pass / 1 fail; its figures appended to $dir/steps.jsonl
    local rate=$1 count=$(($1 * step_seconds)) spans
    spans=$(spans_for "$rate")
    # pstn-sim plays and measures no audio here (the gateway's RTP flows
    # all the same: it packetizes the idle code); the concurrency run does.
    # The lines' clocks at --search-realtime (0: off), as in the concurrency run.
    local rt_args=()
    worker_rt=$search_realtime
    [[ $search_realtime -gt 0 ]] && rt_args=(--realtime-priority "$search_realtime")
    if ! gw_start "$spans" --no-audio "${rt_args[@]}"; then
        gw_stop
        printf '{"rate": %d, "spans": %d, "pass": false, "why": "the gateway or pstn-sim did not come up"}\n' \
            "$rate" "$spans" >>"$dir/steps.jsonl"
        return 1
    fi
    # Three seconds with no calls first: what the spans cost by themselves
    # (the line emulation at both ends, the D-channels' keepalives), the
    # part of the machine no call can have.
    gw_snapshot "$GW_DIR/idle"
    sleep 3
    gw_snapshot "$GW_DIR/before"
    local idle
    idle=$(gw_delta "$GW_DIR/idle" "$GW_DIR/before")
    MEDIA_IP=$SIM_IP run_uac "step-$rate-$gw_runs" 127.0.0.1:5060 "$rate" "$count" \
        $((step_seconds + hold_ms / 1000 + 20))
    # Every call the gateway took has ended once it logged as many ends
    # (bounded: a call SIPp gave up on may never end).
    local offered
    offered=$(metrics | awk '$1 == "trunkgw_calls_offered_total" {print $2}')
    wait_count "$GW_DIR/control.log" " ended, cause " "${offered%.*}" 30 || true
    gw_snapshot "$GW_DIR/after"
    local delta
    delta=$(gw_delta "$GW_DIR/before" "$GW_DIR/after")
    gw_stop
    python3 - "$rate" "$count" "$spans" "$RUN_RESULT" "$delta" "$dir/step-$rate-$gw_runs/sipp_cpu.txt" "$idle" <<'PY' >>"$dir/steps.jsonl"
import json, sys
rate, count, spans = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ok, failed, p50, p99, n = sys.argv[4].split()
g = json.loads(sys.argv[5])
idle = json.loads(sys.argv[7])
try:
    u, s = open(sys.argv[6]).read().split()[-2:]
    sipp_cpu_ms = (float(u) + float(s)) * 1000
except (OSError, ValueError):
    sipp_cpu_ms = 0
ok, failed = int(ok), int(failed)
why = []
if ok != count or failed != 0:
    why.append(f'SIPp: {ok} of {count} successful, {failed} failed')
if not (g['offered'] == g['answered'] == g['ended'] == g['ended_16'] == count):
    why.append(f"gateway: offered {g['offered']}, answered {g['answered']}, ended {g['ended']} "
               f"({g['ended_16']} with cause 16)")
if g['sip_failures_sent'] or g['sip_refused'] or g['media_failed'] or g['active']:
    why.append(f"gateway: {g['sip_failures_sent']} SIP failure responses, {g['sip_refused']} refused, "
               f"{g['media_failed']} without media, {g['active']} calls left")
step = {'rate': rate, 'calls': count, 'spans': spans, 'pass': not why, 'why': '; '.join(why),
        'sipp_ok': ok, 'sipp_failed': failed, 'latency_p50_ms': float(p50), 'latency_p99_ms': float(p99),
        'latency_samples': int(n),
        'control_cpu_ms_per_call': round(g['control_cpu_ms'] / count, 3),
        'sipp_cpu_ms': round(sipp_cpu_ms),
        # Both cores' worth of work during the step, by the four programs.
        'cores_busy': round((g['control_cpu_ms'] + g['dataplane_cpu_ms'] + g['pstn_sim_cpu_ms'] + sipp_cpu_ms)
                            / 1000 / g['seconds'], 2) if g['seconds'] > 0 else None,
        # The spans alone, before any call: cores busy with the line
        # emulation (data plane + pstn-sim) and control's idle work.
        'idle_cores': {k: round(idle[k + '_cpu_ms'] / 1000 / idle['seconds'], 3)
                       for k in ('control', 'dataplane', 'pstn_sim')} if idle.get('seconds') else None,
        'gateway': g}
print(json.dumps(step))
PY
    python3 - "$(tail -1 "$dir/steps.jsonl")" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
g = s['gateway']
verdict = 'pass' if s['pass'] else 'FAIL (' + s['why'] + '; signs: ' + (', '.join(g['signs']) or 'none') + ')'
print(f"sip_cps: gateway: {s['rate']} calls/s on {s['spans']} spans: {verdict}; INVITE->180 p50 "
      f"{s['latency_p50_ms']} ms, p99 {s['latency_p99_ms']} ms; control {s['control_cpu_ms_per_call']} ms CPU "
      f"per call; spans that changed state {g['spans_state_changed']}; late ticks {g['ticks_late']} of "
      f"{g['ticks']}; SIP socket drops {g['sip_udp_drops']}; cores busy {s['cores_busy']} (idle, spans alone: "
      f"{sum((s['idle_cores'] or {}).values()):.2f})", file=sys.stderr)
sys.exit(0 if s['pass'] else 1)
PY
}

# gw_step RATE: one attempt; a failed attempt whose counters show the line
# emulation starved (worker ticks skipped, pseudowire slips, span alarms:
# the machine, not the gateway) is run once more. Both are in steps.jsonl
# and the step passes only if one of them had zero failed calls.
gw_step() {
    gw_attempt "$1" && return 0
    python3 -c 'import json, sys; s = json.loads(sys.argv[1]); sys.exit(0 if any(x.startswith("line emulation") for x in s.get("gateway", {}).get("signs", [])) else 1)' \
        "$(tail -1 "$dir/steps.jsonl")" || return 1
    log "gateway: $1 calls/s again (the line emulation was starved of CPU in that attempt)"
    gw_attempt "$1"
}

# --- 3. Every B-channel of N spans busy at once, media flowing.

concurrency_run() {
    local n=$conc_spans calls=$((conc_spans * 30))
    local ramp_ms=$((calls * 1000 / conc_rate))
    # Held long enough that the first call is still up when the window,
    # which starts once the last call is answered, ends: the ramp with 25 %
    # slack and 20 s for the snapshots (under this load, show sessions for
    # 1,890 sessions and the metrics took ~12 s: calls ended in the window).
    local hold=$((conc_seconds * 1000 + ramp_ms * 5 / 4 + 20000))
    # The lines' clocks at real-time priority (--concurrency-realtime, 0:
    # off): the gateway's worker and pstn-sim. Sharing two cores with
    # SIPp's echo, they were late often enough that the TAP's queue
    # overflowed and every span slipped; with them real-time every call
    # was answered (at the cost of what the others get).
    local rt_args=()
    worker_rt=$conc_realtime
    [[ $conc_realtime -gt 0 ]] && rt_args=(--realtime-priority "$conc_realtime")
    if ! gw_start "$n" "${rt_args[@]}"; then
        worker_rt=0
        gw_stop
        echo '{"spans": '"$n"', "error": "the gateway or pstn-sim did not come up"}' >"$dir/concurrency.json"
        return
    fi
    local d=$dir/concurrency
    mkdir -p "$d"
    gw_snapshot "$GW_DIR/start"
    local tmo=$((hold / 1000 + ramp_ms * 2 / 1000 + 60))
    # conc_sipp SIPp processes, each with its own SIP port (5070 + i) and
    # media port (40000 + 10 i), a share of the calls and of the rate.
    local i uacs=() share rate_share
    GW_SIPP=
    for ((i = 0; i < conc_sipp; i++)); do
        share=$((calls / conc_sipp + (i < calls % conc_sipp ? 1 : 0)))
        rate_share=$((conc_rate / conc_sipp + (i < conc_rate % conc_sipp ? 1 : 0)))
        ((rate_share >= 1)) || rate_share=1
        mkdir -p "$d/uac-$i"
        (cd "$d/uac-$i" && exec timeout $((tmo + 30)) sipp 127.0.0.1:5060 -sf "$SIPP_DIR/cps_uac.xml" \
            -inf "$dir/numbers.csv" -i 127.0.0.1 -p $((5070 + i)) -mi "$SIM_IP" -mp $((40000 + 10 * i)) \
            -r "$rate_share" -m "$share" -l "$share" -timeout "$tmo" -buff_size 4194304 -d "$hold" \
            -recv_timeout 5000 -timeout_error -nostdin -rtp_echo -trace_stat -stf stat.csv -fd 1 \
            -trace_rtt -rtt_freq 1 -trace_err -error_file errors.log >uac.out 2>&1) &
        uacs+=($!)
        pids+=($!)
    done
    local uac sipp_pid
    for uac in "${uacs[@]}"; do
        sipp_pid=$(poll_until 5 pgrep -P "$uac" -x sipp >/dev/null && pgrep -P "$uac" -x sipp | head -1) || sipp_pid=
        GW_SIPP+="${GW_SIPP:+ }$sipp_pid"
    done
    log "concurrency: $calls calls at $conc_rate calls/s onto $n spans, held $((hold / 1000)) s, from $conc_sipp SIPp echoing the RTP, lines' clocks at SCHED_FIFO $conc_realtime (0: off)"
    all_answered() {
        [[ $(metrics | awk '$1 == "trunkgw_calls_answered_total" {print $2}') == "$calls" ]]
    }
    local up=1
    poll_until $((ramp_ms * 5 / 4000 + 5)) all_answered || {
        up=0
        log "concurrency: not every call was answered in the ramp's time; measuring what is up"
    }
    gw_snapshot "$GW_DIR/window0"
    "$CTL" -c "$GW_DIR/trunkgw.toml" --json show sessions >"$GW_DIR/sessions0.json" || true
    log "concurrency: $(awk '$1 == "trunkgw_calls_active" {print $2}' "$GW_DIR/window0.metrics") calls up; measuring for $conc_seconds s"
    sleep "$conc_seconds"  # the measurement window itself, not a wait for an event
    gw_snapshot "$GW_DIR/window1"
    "$CTL" -c "$GW_DIR/trunkgw.toml" --json show sessions >"$GW_DIR/sessions1.json" || true
    for uac in "${uacs[@]}"; do
        timeout $((tmo + 40)) tail --pid="$uac" -f /dev/null || true
        stop_pid "$uac"
        forget_pid "$uac"
    done
    GW_SIPP=
    local offered
    offered=$(metrics | awk '$1 == "trunkgw_calls_offered_total" {print $2}')
    wait_count "$GW_DIR/control.log" " ended, cause " "${offered%.*}" 60 || true
    gw_snapshot "$GW_DIR/end"
    local r whole window
    # The SIPp processes' results summed (successful, failed; -1 when one
    # has none). No setup latencies here: the call-rate search measures them.
    local parts=()
    for ((i = 0; i < conc_sipp; i++)); do
        parts+=("$(sipp_result "$d/uac-$i/stat.csv" /dev/null)")
    done
    r=$(printf '%s\n' "${parts[@]}" | awk '{if ($1 < 0) bad = 1; ok += $1; f += $2}
        END {print (bad ? -1 : ok), f, -1, -1, 0}')
    whole=$(gw_delta "$GW_DIR/start" "$GW_DIR/end")
    window=$(gw_delta "$GW_DIR/window0" "$GW_DIR/window1")
    # pstn-sim writes each call's record (with its audio measures) when the
    # call has ended on its side too: one per SETUP the gateway sent.
    local attempts
    attempts=$(awk '$1 == "trunkgw_call_attempts_total" {print $2}' "$GW_DIR/end.metrics")
    wait_count "$GW_DIR/calls.jsonl" '"call"' "${attempts%.*}" 30 || true
    gw_stop
    worker_rt=0
    python3 - "$n" "$calls" "$up" "$r" "$whole" "$window" "$GW_DIR" <<'PY' >"$dir/concurrency.json"
import json, statistics, sys
n, calls, up = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == '1'
ok, failed, p50, p99, _ = sys.argv[4].split()
whole, window, gw = json.loads(sys.argv[5]), json.loads(sys.argv[6]), sys.argv[7]
def active(f):
    for line in open(f):
        if line.startswith('trunkgw_calls_active '):
            return int(float(line.split()[1]))
    return 0
def sessions(f):
    try:
        return {s['id']: s['counters'] for s in json.load(open(f))['sessions']}
    except (OSError, ValueError, KeyError):
        return {}
s0, s1 = sessions(gw + '/sessions0.json'), sessions(gw + '/sessions1.json')
secs = window['seconds']
def pps(key):
    if not s0 or secs <= 0:
        return 0
    return round(sum(s1[k].get(key, 0) - s0[k].get(key, 0) for k in s1 if k in s0) / secs)
sinad = []
try:
    for line in open(gw + '/calls.jsonl'):
        r = json.loads(line)
        if 'audio' in r:
            sinad.append(r['audio']['tone_sinad_db'])
except (OSError, ValueError):
    pass
pct = lambda x: round(100 * x / secs / 1000, 1) if secs > 0 else None
res = {
    'spans': n, 'channels': calls, 'all_answered': up,
    'calls_up_at_window_start': active(gw + '/window0.metrics'),
    'calls_up_at_window_end': active(gw + '/window1.metrics'),
    'window_s': secs,
    'sipp_ok': int(ok), 'sipp_failed': int(failed),
    'gateway_answered': whole['answered'], 'gateway_ended_16': whole['ended_16'],
    'failed_calls': max(calls - int(ok), int(failed), calls - whole['ended_16']),
    'spans_state_changed_in_window': window['spans_state_changed'],
    'spans_carried_clean': n - window['spans_state_changed'],
    'rtp_pps_sent': pps('rtp_packets_out'), 'rtp_pps_received': pps('rtp_packets_in'),
    'rtp_pps_expected_each_way': calls * 50,
    'ticks_late_pct': round(100 * window['ticks_late'] / window['ticks'], 2) if window['ticks'] else None,
    'ticks_skipped': window['ticks_skipped'], 'port_drops': window['port_drops'],
    'sipp_rtp_socket_drops': window['sipp_rtp_socket_drops'], 'pw_lost': window['pw_lost'],
    'calls_echo_clean': sum(1 for x in sinad if x >= 30), 'calls_measured': len(sinad),
    'echo_sinad_median_db': round(statistics.median(sinad), 1) if sinad else None,
    'cpu_pct': {'control': pct(window['control_cpu_ms']), 'dataplane': pct(window['dataplane_cpu_ms']),
                'pstn_sim': pct(window['pstn_sim_cpu_ms']), 'sipp': pct(window['sipp_cpu_ms']),
                'machine_of_200': pct(window['machine_cpu_ms'])},
}
print(json.dumps(res))
PY
    log "concurrency: $(cat "$dir/concurrency.json")"
}

# --- Run.

ceiling=0
if ((skip_ceiling == 0)); then
    log "ceiling: SIPp uac -> SIPp uas, calls held $hold_ms ms, $step_seconds s per step"
    write_numbers "$dir/numbers.csv" 1
    search ceiling_step "$ceiling_start" "$ceiling_max"
    ceiling=$SEARCH_RESULT
    log "ceiling: $ceiling calls/s"
fi

best=0
if ((skip_search == 0)); then
    log "gateway: calls held $hold_ms ms, $step_seconds s per step, pseudowires $pw_fpp frames/packet + $pw_jitter_ms ms jitter buffer, CDR $cdr"
    search gw_step "$start_rate" "$max_rate"
    best=$SEARCH_RESULT
    log "gateway: $best calls/s"
fi

if ((skip_concurrency == 0)); then
    concurrency_run
else
    echo '{}' >"$dir/concurrency.json"
fi

python3 - "$dir" "$best" "$ceiling" "$hold_ms" "$pw_fpp" "$pw_jitter_packets" "$pw_one_way_ms" "$cdr" \
    "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)" "$dchannel_cps" "$port_kind" <<'PY'
import json, sys
d, best, ceiling, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fpp, jit, one_way, cdr = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
load = [sys.argv[9], sys.argv[10]]
dcps = int(sys.argv[11])
port_kind = sys.argv[12]
steps = []
try:
    steps = [json.loads(l) for l in open(d + '/steps.jsonl')]
except OSError:
    pass
at = [s for s in steps if s['pass'] and s['rate'] == best]
at = at[-1] if at else {}
above = sorted((s for s in steps if not s['pass'] and s['rate'] > best), key=lambda s: s['rate'])
limit = {}
if above:
    s = above[0]
    limit = {'rate': s['rate'], 'spans': s['spans'], 'failures': s['why'],
             'signs': s.get('gateway', {}).get('signs', []), 'cores_busy': s.get('cores_busy')}
conc = json.load(open(d + '/concurrency.json'))
print(json.dumps({
    'bench': 'sip_cps', 'metric': 'max_zero_failure_cps', 'value': best, 'unit': 'calls/s',
    'baseline': ceiling, 'baseline_name': 'SIPp uac -> SIPp uas directly, same options, same machine',
    'ratio': round(best / ceiling, 3) if ceiling else None,
    'goal_cps': 2000,
    'hold_ms': hold,
    'spans_at_max': at.get('spans'),
    'setup_latency_p50_ms': at.get('latency_p50_ms'), 'setup_latency_p99_ms': at.get('latency_p99_ms'),
    'control_cpu_ms_per_call': at.get('control_cpu_ms_per_call'),
    'dataplane_cpu_ms_per_call': round(at['gateway']['dataplane_cpu_ms'] / at['calls'], 3) if at else None,
    'pstn_sim_cpu_ms_per_call': round(at['gateway']['pstn_sim_cpu_ms'] / at['calls'], 3) if at else None,
    'sipp_cpu_ms_per_call': round(at['sipp_cpu_ms'] / at['calls'], 3) if at else None,
    'cores_busy_at_max': at.get('cores_busy'), 'cores': __import__('os').cpu_count(),
    'port': port_kind, 'pw_frames_per_packet': fpp, 'pw_jitter_packets': jit, 'pw_one_way_delay_ms': one_way,
    'cdr': cdr, 'dchannel_cps_per_span': dcps,
    'first_failing_step': limit,
    'steps': [[s['rate'], s['spans'], s['pass']] for s in steps],
    'loadavg_start_end': load,
    'concurrency': conc,
}))
PY
if [[ ${TRUNKGW_KEEP_BENCH_DIR:-} == 1 ]]; then
    log "files kept in $dir"
else
    rm -rf "$dir"
fi
