#!/bin/bash
# A net_memif port: the data plane is the memif client of another DPDK
# process, bench/memif-gen (server), which plays a capture of four RTP
# streams (rtp-pcap-gen: 100 packets of 20 ms each, PCMU) at its capture
# times and records what the gateway sends back:
#  - the capture's first frame, an ARP reply, teaches the gateway the peer
#    (or answers the request the gateway's first RTP made);
#  - four sessions on B-channels of an E1 receive their stream whole and
#    paced (RFC 3550 jitter under 5 ms): every packet accepted, none
#    duplicate, late or refused, nothing dropped by the packet layer;
#  - the RTP the sessions send leaves through memif to the peer: tshark
#    finds four streams in memif-gen's recording, none lost, no sequence
#    errors;
#  - the port's frames in the worker's counters and in Prometheus.
# usage: memif_port_test.sh SOURCE_DIR BUILD_DIR
SOURCE_DIR=$1
BUILD_DIR=$2
. "$SOURCE_DIR/tests/integration/lib.sh"
enter_netns "$@"

GEN=$BUILD_DIR/bench/memif-gen
CFG=$TEST_DIR/trunkgw.toml
INSTANCE=it-memif-$$
SESSIONS=4
PACKETS=100
"$BUILD_DIR/bench/rtp-pcap-gen" --out "$TEST_DIR/streams.pcap" --sessions $SESSIONS \
    --packets-per-session $PACKETS --first-dst-port 20000 --payload-type 0 --arp-reply-first \
    >"$TEST_DIR/capture.json"
{
    # The capture's frames are addressed to rtp-pcap-gen's default gateway MAC.
    PORT_VDEV="net_memif0,role=client,socket-abstract=no,mac=02:70:63:61:70:00,socket=$TEST_DIR/memif.sock" \
        gateway_toml_head "$INSTANCE" 192.0.2.1/24 16
    cat <<TOML
[media]
rtp_port_min = 20000
rtp_port_max = 20099

[control]
socket = "$TEST_DIR/control.sock"
metrics_listen = "127.0.0.1:9464"
TOML
    "$SOURCE_DIR/bench/create-sessions.py" --spans-toml --sessions $SESSIONS
} >"$CFG"

# The server first: it listens, and sends only when told (SIGUSR1), once the
# sessions exist; its stdout ends with its JSON summary.
start gen "$GEN" --pcap "$TEST_DIR/streams.pcap" --socket "$TEST_DIR/memif.sock" --lcore 0 --seconds 120 \
    --paced --loops 1 --start-on-signal --out "$TEST_DIR/from-gateway.pcap"
check "memif-gen listens" wait_log "$TEST_DIR/gen.log" "listening on" 30
start dataplane "$DP" -c "$CFG"
start control "$CP" -c "$CFG"
check "control attaches" wait_log "$TEST_DIR/control.log" "answered its first ping" 30
check "the data plane connects to memif-gen" wait_log "$TEST_DIR/gen.log" "client connected" 30
check "$SESSIONS sessions created, sending to the peer" \
    "$SOURCE_DIR/bench/create-sessions.py" --socket "$TEST_DIR/control.sock" --sessions $SESSIONS \
    --local 192.0.2.1 --first-port 20000 --remote 192.0.2.2:30000

kill -USR1 "$PID_gen"
check "memif-gen sends the capture" wait_log "$TEST_DIR/gen.log" "sending" 10
# 100 packets 20 ms apart: 2 s of streams; trunkctl's counters are
# published once a second.
packets_in() {
    "$CTL" -c "$CFG" --json show sessions |
        python3 -c 'import json,sys; print(" ".join(str(s["counters"]["rtp_packets_in"]) for s in json.load(sys.stdin)["sessions"]))'
}
check "every session received its $PACKETS packets" \
    wait_equal 20 "$(printf "$PACKETS %.0s" $(seq $SESSIONS) | sed 's/ $//')" packets_in
"$CTL" -c "$CFG" --json show sessions >"$TEST_DIR/sessions.json"
"$CTL" -c "$CFG" --json show counters >"$TEST_DIR/counters.json"
curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics.txt"

check "no session refused a packet (duplicate, late, bad or stray)" \
    python3 - "$TEST_DIR/sessions.json" <<'PY'
import json, sys
bad = {}
for s in json.load(open(sys.argv[1]))['sessions']:
    for k, v in s['counters'].items():
        if v and (k.startswith('rtp_bad') or k in ('rtp_duplicate', 'rtp_late', 'rtp_too_short', 'rtp_oversize',
                                                  'rtp_stale_ssrc', 'rtp_seq_jump', 'rtp_stray_source')):
            bad[f"{s['id']}.{k}"] = v
print(bad or 'none refused')
raise SystemExit(bool(bad))
PY
# Sent as fast as memif takes them, 100 packets 20 ms of media apart would
# arrive within a millisecond: a jitter estimate near the 20 ms spacing.
check "the streams arrived paced: each session's RFC 3550 jitter under 5 ms" \
    python3 - "$TEST_DIR/sessions.json" <<'PY'
import json, sys
jit = [s['counters']['jitter_microseconds'] for s in json.load(open(sys.argv[1]))['sessions']]
print('jitter (us):', jit)
raise SystemExit(not (jit and max(jit) < 5000))
PY
check "the packet layer dropped nothing; the ARP reply taught the peer (learned, or a pending request answered)" \
    python3 - "$TEST_DIR/counters.json" "$SESSIONS" "$PACKETS" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))['workers'][0]
k, n = int(sys.argv[2]), int(sys.argv[3])
net = w['net']
drops = {r: v for r, v in net.get('drops', {}).items() if v}
print(f"rx_frames {net['rx_frames']}, tx_frames {net['tx_frames']}, arp_learned {net['arp_learned']}, "
      f"arp_updated {net['arp_updated']}, tx_no_arp {net['tx_no_arp']}, drops {drops or 'none'}")
raise SystemExit(not (not drops and net['rx_frames'] >= k * n + 1 and net['arp_learned'] + net['arp_updated'] >= 1))
PY
check "Prometheus: the worker's frames in and out counted, no drops" \
    python3 - "$TEST_DIR/metrics.txt" "$SESSIONS" "$PACKETS" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
k, n = int(sys.argv[2]), int(sys.argv[3])
def value(name):
    m = re.search(rf'^{name}{{worker="1"}} (\S+)$', text, re.M)
    return float(m.group(1)) if m else None
rx, tx = value('trunkgw_net_rx_frames_total'), value('trunkgw_net_tx_frames_total')
drops = [l for l in text.splitlines() if l.startswith('trunkgw_net_drops_total{') and not l.endswith(' 0')]
print(f'rx {rx}, tx {tx}, non-zero drop series {drops}')
raise SystemExit(not (rx is not None and rx >= k * n + 1 and tx and tx > 0 and not drops))
PY

# The server first (PLATFORM.md: a memif server can crash when its client
# goes away under it); its recording is complete once it has exited.
kill -TERM "$PID_gen"
gen_exit() {
    timeout 20 tail --pid="$PID_gen" -f /dev/null || return 1
    wait "$PID_gen"
}
check "memif-gen ends cleanly (exit 0)" gen_exit
grep '"tool":"memif-gen"' "$TEST_DIR/gen.log" >"$TEST_DIR/gen.json"
cat "$TEST_DIR/gen.json"
check "memif-gen sent the whole capture once and received the gateway's frames" \
    python3 - "$TEST_DIR/gen.json" "$TEST_DIR/capture.json" <<'PY'
import json, sys
g, c = (json.load(open(p)) for p in sys.argv[1:3])
raise SystemExit(not (g['sent'] == c['frames'] and g['passes'] == 1 and g['received'] > 0
                     and g['ended_by'] == 'signal'))
PY
tshark -n -r "$TEST_DIR/from-gateway.pcap" -o rtp.heuristic_rtp:TRUE -q -z rtp,streams \
    >"$TEST_DIR/streams.txt" 2>&1
cat "$TEST_DIR/streams.txt"
# One row per stream: ... Payload Pkts Lost ...; "X" in the last column
# flags sequence or timestamp errors.
check "tshark: $SESSIONS RTP streams from the gateway, g711U, none lost, no sequence errors" \
    python3 - "$TEST_DIR/streams.txt" "$SESSIONS" <<'PY'
import re, sys
rows = [l for l in open(sys.argv[1]) if re.search(r'\b0x[0-9A-Fa-f]{8}\b', l)]
assert len(rows) == int(sys.argv[2]), rows
for r in rows:
    m = re.search(r'g711U\s+(\d+)\s+(-?\d+)\s+\(', r)
    assert m and int(m.group(1)) >= 50 and int(m.group(2)) == 0, r
    assert not r.rstrip().endswith('X'), r
PY

finish
