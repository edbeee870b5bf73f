#!/bin/bash
# 6,000 RTP sessions on one worker, joined to B-channels of 200 E1 spans and
# sending to each other in pairs on the gateway's own address (the media of
# 3,000 PRI-to-PRI calls): the port hairpins every packet into its next
# poll. A 20 ms stream per session is 300 hairpinned packets a millisecond,
# more than the old 256-frame hairpin queue held (it dropped the rest: half
# the RTP at 10,000 sessions). Every session must receive its peer's full
# stream and play it: nothing dropped, nothing concealed.
# usage: hairpin_load_test.sh SOURCE_DIR BUILD_DIR
SOURCE_DIR=$1
BUILD_DIR=$2
. "$SOURCE_DIR/tests/integration/lib.sh"
enter_netns "$@"

CFG=$TEST_DIR/trunkgw.toml
INSTANCE=it-hairpin-$$
TAP=tgwhp$$
SESSIONS=6000
{
    gateway_toml_head "$INSTANCE" 10.81.0.1/24 $((SESSIONS + 16))
    cat <<TOML
[media]
rtp_port_min = 20000
rtp_port_max = $((20000 + 2 * SESSIONS + 1))

[control]
socket = "$TEST_DIR/control.sock"
metrics_listen = "127.0.0.1:9464"
TOML
    "$SOURCE_DIR/bench/create-sessions.py" --spans-toml --sessions "$SESSIONS"
} >"$CFG"

start dataplane "$DP" -c "$CFG"
start control "$CP" -c "$CFG"
check "control attaches" wait_log "$TEST_DIR/control.log" "answered its first ping" 30

# Session n on e1-(n/30+1), sending to session n^1's port on our own
# address (PCMU on A-law channels: converted both ways).
check "$SESSIONS sessions created in pairs" \
    "$SOURCE_DIR/bench/create-sessions.py" --socket "$TEST_DIR/control.sock" --sessions "$SESSIONS" \
    --local 10.81.0.1 --first-port 20000 --pairs

# Two seconds of the worker's own ticks, once the jitter buffers play (40 ms
# after each session's first packet): counters before and after.
counters() { "$CTL" -c "$CFG" --json show counters >"$1"; }
ticks() { json_get "$1" "j['workers'][0]['ticks']"; }
counters "$TEST_DIR/c0.json"
T0=$(ticks "$TEST_DIR/c0.json")
check "the worker runs 2,000 more ticks (at most 200 looks, 100 ms apart)" \
    bash -c "for i in \$(seq 200); do $CTL -c $CFG --json show counters >$TEST_DIR/c1.json &&
             python3 -c \"import json; j=json.load(open('$TEST_DIR/c1.json')); raise SystemExit(j['workers'][0]['ticks'] < $T0 + 2000)\" && exit 0;
             sleep 0.1; done; exit 1"
"$CTL" -c "$CFG" --json show sessions >"$TEST_DIR/sessions.json"

check "every session received its peer's 50 packets a second (hairpinned, none dropped)" \
    python3 - "$TEST_DIR/c0.json" "$TEST_DIR/c1.json" "$SESSIONS" <<'PY'
import json, sys
a, b = (json.load(open(p))['workers'][0] for p in sys.argv[1:3])
k = int(sys.argv[3])
secs = (b['ticks'] - a['ticks']) / 1000
rate = (b['rtp_rx'] - a['rtp_rx']) / secs
dropped = sum(b['net'][c] - a['net'][c] for c in ('hairpin_dropped', 'tx_no_mbuf'))
print(f'{rate:.0f} RTP/s received over {secs:.2f} s (expected {k * 50}), lost to the hairpin or the pool {dropped}, '
      f'late ticks {b["ticks_late"] - a["ticks_late"]}')
raise SystemExit(not (dropped == 0 and rate >= 0.98 * k * 50))
PY
check "every session played its peer's audio, nothing concealed" \
    python3 - "$TEST_DIR/sessions.json" "$SESSIONS" <<'PY'
import json, sys
ss = json.load(open(sys.argv[1]))['sessions']
played = sum(s['counters']['played_ms'] for s in ss)
concealed = sum(s['counters']['concealed_ms'] for s in ss)
quiet = [s['id'] for s in ss if s['counters']['rtp_packets_in'] == 0]
print(f'{len(ss)} sessions, played {played} ms, concealed {concealed} ms, without RTP in: {len(quiet)}')
raise SystemExit(not (len(ss) == int(sys.argv[2]) and not quiet and concealed == 0 and played > 0))
PY
curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics.txt"
check "Prometheus: no hairpin drops, every hairpinned frame counted" \
    bash -c "grep -qx 'trunkgw_net_hairpin_dropped_total{worker=\"1\"} 0' $TEST_DIR/metrics.txt &&
             awk '/^trunkgw_net_hairpin_frames_total\{worker=\"1\"\} / {seen = 1; many = \$2 > 300000} END {exit !(seen && many)}' $TEST_DIR/metrics.txt"

finish
