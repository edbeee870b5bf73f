#!/bin/bash
# Two workers on one port (net_tap, two queues, no RSS: the kernel picks a
# queue per flow): each owns a SAToP E1; packets that land on the other
# worker's queue reach their owner through the software dispatcher, and ARP
# learned on one queue teaches both workers. Then 100,000 RTP sessions are
# created and deleted through the management API over one connection: no
# refusal, no leak, every slot, port and counter back where it started.
# usage: session_churn_test.sh SOURCE_DIR BUILD_DIR
SOURCE_DIR=$1
BUILD_DIR=$2
. "$SOURCE_DIR/tests/integration/lib.sh"
enter_netns "$@"

PEER=$BUILD_DIR/bench/pw-peer
CFG=$TEST_DIR/trunkgw.toml
INSTANCE=it-churn-$$
TAP=tgwch$$
CYCLES=${CHURN_CYCLES:-100000}
cat >"$CFG" <<TOML
[instance]
name = "$INSTANCE"
run_dir = "$TEST_DIR"

[dataplane]
main_lcore = 0
memory_mb = 256
poll_mode = "adaptive"
sessions_per_worker = 256
# A small command ring, so that the churn overruns it and control's
# backlog has to hold commands back (checked below).
command_ring_size = 8

# Two workers on CPU 1 (this machine has two cores; adaptive polling lets
# them share it).
[[dataplane.worker]]
id = 1
lcore = 1

[[dataplane.worker]]
id = 2
lcore = 2
cpu = 1

[[port]]
id = 1
name = "media0"
vdev = "net_tap0,iface=$TAP"
addresses = ["10.79.0.1/24"]

[[span]]
id = 1
name = "mux-a"
type = "e1"
worker = 1
[span.pseudowire]
mode = "satop"
port = "media0"
remote_address = "10.79.0.2"
local_udp_port = 50001
remote_udp_port = 50001
jitter_packets = 16

[[span]]
id = 2
name = "mux-b"
type = "e1"
worker = 2
[span.pseudowire]
mode = "satop"
port = "media0"
remote_address = "10.79.0.2"
local_udp_port = 50002
remote_udp_port = 50002
jitter_packets = 16

[media]
rtp_port_min = 20000
rtp_port_max = 20999

[control]
socket = "$TEST_DIR/control.sock"
metrics_listen = "127.0.0.1:9464"
TOML

start dataplane "$DP" -c "$CFG"
start control "$CP" -c "$CFG"
check "the data plane is ready with two workers" wait_log "$TEST_DIR/dataplane.log" "trunkgw-dataplane .* ready" 30
check "the port has a queue per worker" grep -q "with 2 queue pair(s)" "$TEST_DIR/dataplane.log"
check "control attaches" wait_log "$TEST_DIR/control.log" "answered its first ping" 30
ip link set dev "$TAP" address 02:00:00:00:79:02
ip addr add 10.79.0.2/24 dev "$TAP" && ip link set "$TAP" up

start peer_a "$PEER" --local 10.79.0.2:50001 --remote 10.79.0.1:50001 --seconds 60 --jitter-packets 16
start peer_b "$PEER" --local 10.79.0.2:50002 --remote 10.79.0.1:50002 --seconds 60 --jitter-packets 16
check "span mux-a (worker 1) comes up" wait_log "$TEST_DIR/control.log" "span mux-a up" 10
check "span mux-b (worker 2) comes up" wait_log "$TEST_DIR/control.log" "span mux-b up" 10

# How UDP reaches its worker on this port: by flow rules if the kernel
# lets net_tap install them (its flower classifier: not on the machines
# this was written on), else through the software dispatcher with the
# device's reason in the log. The checks below that depend on it follow
# what the data plane says it did.
if grep -q "port media0 (net_tap0): flow rules steer UDP" "$TEST_DIR/dataplane.log"; then
    STEERING="flow rules" STEERED=1
else
    STEERING="software dispatch" STEERED=0
fi
check "the port says how UDP reaches its worker ($STEERING), with the device's reason when not by rules" \
    grep -Eq "port media0 \(net_tap0\): (flow rules steer UDP|UDP reaches its worker through the software dispatcher \(UDP port)" "$TEST_DIR/dataplane.log"
check "... shown by trunkctl and Prometheus" \
    bash -c "$CTL -c $CFG show status | grep -Eq '^media0 +$STEERING\$' &&
             curl -sf http://127.0.0.1:9464/metrics | grep -qx 'trunkgw_port_flow_steering{port=\"media0\"} $STEERED'"

# RTP from 8 source ports (8 flows: the kernel spreads them over both
# queues) into a session on worker 2.
"$CTL" -c "$CFG" --json session create --channel mux-b/1 --codec pcma >"$TEST_DIR/s.json"
S_PORT=$(json_get "$TEST_DIR/s.json" "j['local'].split(':')[1]")
S_ID=$(json_get "$TEST_DIR/s.json" "j['id']")
check "the session lives on worker 2" test "$(json_get "$TEST_DIR/s.json" "j['worker']")" = 2
python3 - "$S_PORT" <<'PY'
import socket, struct, sys, time
port = int(sys.argv[1])
socks = []
for k in range(8):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('10.79.0.2', 41000 + 2 * k))
    socks.append(s)
t0 = time.monotonic()
for n in range(200):
    hdr = struct.pack('!BBHII', 0x80, 8, n, n * 160, 0x1234abcd)
    socks[n % 8].sendto(hdr + b'\xd5' * 160, ('10.79.0.1', port))
    # 20 ms apart, as a real stream (bounded: 200 packets, 4 s).
    time.sleep(max(0.0, t0 + (n + 1) * 0.02 - time.monotonic()))
PY
"$CTL" -c "$CFG" --json show counters >"$TEST_DIR/counters.json"
cat "$TEST_DIR/counters.json" | python3 -c "import json,sys; j=json.load(sys.stdin); print([(w['id'], w['rtp_rx'], w['dispatched_out'], w['dispatched_in'], w['dispatch_ring_full']) for w in j['workers']])"
check "worker 2 took all 200 RTP packets, some handed over by worker 1 (none with flow rules)" \
    test "$(json_get "$TEST_DIR/counters.json" "(lambda w: w[1]['rtp_rx']==200 and w[0]['rtp_rx']==0 and (w[0]['dispatched_out']>0) == ($STEERED==0) and w[1]['dispatched_in']>=w[0]['dispatched_out'] and w[0]['dispatch_ring_full']==0 and w[1]['dispatch_no_port']==0)({x['id']-1: x for x in j['workers']})")" = True
# A loaded 2-core machine can cost a packet and flap a span for a few ms:
# look at most 20 times, 100 ms apart, for both up at once.
check "both spans still up" \
    bash -c "for i in \$(seq 20); do $CTL -c $CFG show spans >$TEST_DIR/spans.txt &&
             grep -Eq '^1 +mux-a +e1 +1 +up' $TEST_DIR/spans.txt && grep -Eq '^2 +mux-b +e1 +2 +up' $TEST_DIR/spans.txt && exit 0;
             sleep 0.1; done; exit 1"

# A call between B-channels of the two workers' spans: each session sends
# to the other's port on our own address, so the frames hairpin inside the
# data plane on the sender's worker and cross the dispatcher to the owner
# (B has no remote: it latches onto A's first packet and answers).
"$CTL" -c "$CFG" --json session create --channel mux-b/2 --codec pcma >"$TEST_DIR/hb.json"
HB_PORT=$(json_get "$TEST_DIR/hb.json" "j['local'].split(':')[1]")
HB_ID=$(json_get "$TEST_DIR/hb.json" "j['id']")
"$CTL" -c "$CFG" --json session create --channel mux-a/2 --codec pcma --remote "10.79.0.1:$HB_PORT" >"$TEST_DIR/ha.json"
HA_ID=$(json_get "$TEST_DIR/ha.json" "j['id']")
check "sessions on worker 1 and worker 2 hear each other through the hairpin and the dispatcher" \
    bash -c "for i in \$(seq 50); do $CTL -c $CFG --json show sessions >$TEST_DIR/hs.json &&
             python3 - $TEST_DIR/hs.json $HA_ID $HB_ID <<'PY' && exit 0
import json, sys
s = {x['id']: x for x in json.load(open(sys.argv[1]))['sessions']}
a, b = s[int(sys.argv[2])], s[int(sys.argv[3])]
print('worker', a['worker'], 'in', a['counters']['rtp_packets_in'], '/ worker', b['worker'], 'in',
      b['counters']['rtp_packets_in'], file=sys.stderr)
sys.exit(0 if (a['worker'], b['worker']) == (1, 2) and min(a['counters']['rtp_packets_in'],
                                                           b['counters']['rtp_packets_in']) >= 25 else 1)
PY
             sleep 0.1; done; exit 1"
"$CTL" -c "$CFG" session delete "$HA_ID"
"$CTL" -c "$CFG" session delete "$HB_ID"

"$CTL" -c "$CFG" --json show counters >"$TEST_DIR/counters-pre-bad.json"
# The same session, 40 datagrams with a wrong UDP checksum from 16 new
# flows (the kernel's tap hashes new flows over both queues; flows the
# session answered stick to worker 2's, where it sent from): each is
# dropped by the worker whose queue it reached, counted as
# bad_udp_checksum, and never handed over. A handed-over frame is marked
# as checked, so that the owner does not sum it again: only verified
# frames may carry the mark. Raw socket: the kernel sends our UDP header.
python3 - "$S_PORT" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])

def checksum(data):  # RFC 1071: the one's complement of the one's complement sum
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack(f'!{len(data) // 2}H', data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff

s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
for n in range(40):
    payload = struct.pack('!BBHII', 0x80, 8, 200 + n, (200 + n) * 160, 0x1234abcd) + b'\xd5' * 160
    src_port, length = 43000 + 2 * (n % 16), 8 + len(payload)
    # RFC 768: the sum covers a pseudo-header of the addresses, protocol
    # and length; a computed 0 is sent as 0xffff.
    pseudo = socket.inet_aton('10.79.0.2') + socket.inet_aton('10.79.0.1') + struct.pack('!BBH', 0, 17, length)
    good = checksum(pseudo + struct.pack('!HHHH', src_port, port, length, 0) + payload) or 0xffff
    bad = (good + 1) & 0xffff or 1  # wrong, and never 0 (no checksum)
    s.sendto(struct.pack('!HHHH', src_port, port, length, bad) + payload, ('10.79.0.1', 0))
PY
check "40 corrupted datagrams: dropped as bad_udp_checksum (on both queues without flow rules: by worker 1 too, not handed over), none reaches the session" \
    bash -c "for i in \$(seq 20); do $CTL -c $CFG --json show counters >$TEST_DIR/counters-bad.json &&
             python3 - $TEST_DIR/counters-pre-bad.json $TEST_DIR/counters-bad.json $STEERED <<'PY' && exit 0
import json, sys
a, b = ({w['id']: w for w in json.load(open(f))['workers']} for f in sys.argv[1:3])
bad = {i: b[i]['net']['drops']['bad_udp_checksum'] - a[i]['net']['drops']['bad_udp_checksum'] for i in a}
rtp = sum(b[i]['rtp_rx'] - a[i]['rtp_rx'] for i in a)
print('bad_udp_checksum by worker', bad, 'rtp_rx', rtp, file=sys.stderr)
sys.exit(0 if sum(bad.values()) == 40 and (bad[1] > 0 or sys.argv[3] == '1') and rtp == 0 else 1)
PY
             sleep 0.1; done; exit 1"
"$CTL" -c "$CFG" session delete "$S_ID"

# trunkctl batch: several requests over one connection, a reply line each.
printf '%s\n' '{"command":"session create","args":{"worker":2}}' '{"command":"show sessions"}' \
    '{"command":"session delete","args":{"id":9999}}' |
    "$CTL" -c "$CFG" batch >"$TEST_DIR/batch.out"
check "trunkctl batch: one reply per request, the bad delete refused, the exit status says so" \
    bash -c "test \$(wc -l <$TEST_DIR/batch.out) = 3 && test \$(grep -c '\"ok\":true' $TEST_DIR/batch.out) = 2 &&
             ! printf '%s\n' '{\"command\":\"show sessions\"}' '{\"command\":\"session delete\",\"args\":{\"id\":9999}}' |
               $CTL -c $CFG batch >/dev/null"
B_ID=$(head -n 1 "$TEST_DIR/batch.out" | python3 -c "import json,sys; print(json.load(sys.stdin)['result']['id'])")
check "the session the batch created is deleted" "$CTL" -c "$CFG" session delete "$B_ID"

# A client that sends requests and never reads its replies must not stall
# the control loop (libpri's timers and the rings run on it): others are
# served meanwhile.
python3 - "$TEST_DIR/control.sock" >"$TEST_DIR/slow.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.setblocking(False)
req = b'{"api":1,"command":"show counters"}\n' * 40000
sent = 0
said = False
end = time.monotonic() + 6
while time.monotonic() < end:
    try:
        sent += s.send(req[sent:]) if sent < len(req) else 0
    except BlockingIOError:
        # The server stopped taking our requests: our replies fill the
        # socket; from here on a blocking server would be stuck on us.
        if not said:
            print('stalled', flush=True)
            said = True
    time.sleep(0.01)
s.close()
PY
SLOW=$!
STARTED_PIDS+=("$SLOW")
check "the slow client's replies back up" wait_log "$TEST_DIR/slow.log" "stalled" 10
check "while a client does not read its replies, others are answered at once" \
    bash -c "for i in 1 2 3 4 5; do timeout 0.8 $CTL -c $CFG show status >/dev/null || exit 1; done"
wait "$SLOW" 2>/dev/null

RSS_BEFORE=$(proc_status_kb "$PID_dataplane" VmRSS)
curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics0.txt"
PORTS_FREE0=$(awk '/^trunkgw_rtp_ports_free / {print $2}' "$TEST_DIR/metrics0.txt")

# The churn: create + delete, alternating workers, over one connection.
# A full command ring is back-pressure (the worker shares its CPU here):
# control's backlog holds the commands in order until the worker has room.
check "$CYCLES sessions created and deleted, none refused" \
    python3 - "$TEST_DIR/control.sock" "$CYCLES" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile('rwb')
def call(cmd, args):
    f.write((json.dumps({'api': 1, 'command': cmd, 'args': args}) + '\n').encode())
    f.flush()
    r = json.loads(f.readline())
    if not r['ok']:
        raise SystemExit(f'{cmd} {args}: {r["error"]}')
    return r['result']
t0 = time.monotonic()
for n in range(int(sys.argv[2])):
    sid = call('session create', {'worker': 1 + n % 2, 'remote': '10.79.0.2:30000'})['id']
    call('session delete', {'id': sid})
dt = time.monotonic() - t0
print(f'{sys.argv[2]} create/delete cycles in {dt:.1f} s ({int(sys.argv[2]) / dt:.0f}/s)')
PY
# The client is done; the workers may still be taking the last commands
# from control's backlog (bounded wait: 30 s).
backlog_empty() {
    "$CTL" -c "$CFG" --json show counters >"$TEST_DIR/backlog.json" &&
        test "$(json_get "$TEST_DIR/backlog.json" "j['link']['commands_backlog']")" = 0
}
check "control's command backlog drains" \
    bash -c "$(declare -f json_get backlog_empty); CTL=$CTL CFG=$CFG TEST_DIR=$TEST_DIR;
             for i in \$(seq 300); do backlog_empty && exit 0; sleep 0.1; done; exit 1"
"$CTL" -c "$CFG" --json show sessions >"$TEST_DIR/sessions.json"
check "no session left" test "$(json_get "$TEST_DIR/sessions.json" "j['active']")" = 0
"$CTL" -c "$CFG" --json show counters >"$TEST_DIR/counters2.json"
# The churn's cycles and the four sessions before it (the RTP session, the
# two hairpinned ones and the batch's).
check "the workers applied every create and delete, refused none" \
    test "$(json_get "$TEST_DIR/counters2.json" "(sum(w['session_creates'] for w in j['workers']), sum(w['session_deletes'] for w in j['workers']), sum(w['commands_bad'] for w in j['workers']))")" = "($((CYCLES + 4)), $((CYCLES + 4)), 0)"
curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics1.txt"
grep -E '^trunkgw_control_commands_(deferred_total|backlog|refused_total)' "$TEST_DIR/metrics1.txt"
check "RTP ports free and refusals back where they started, no command left waiting" \
    bash -c "grep -qx 'trunkgw_rtp_ports_free $PORTS_FREE0' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_control_commands_backlog 0' $TEST_DIR/metrics1.txt &&
             grep -qE '^trunkgw_control_commands_deferred_total [1-9]' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_control_commands_refused_total 0' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_session_refusals_total{by=\"worker\"} 0' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_sessions_active{worker=\"1\"} 0' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_sessions_active{worker=\"2\"} 0' $TEST_DIR/metrics1.txt"
RSS_AFTER=$(proc_status_kb "$PID_dataplane" VmRSS)
echo "data plane RSS: $RSS_BEFORE kB before, $RSS_AFTER kB after"
check "the data plane's memory did not grow (RSS within 1 MiB)" test $((RSS_AFTER - RSS_BEFORE)) -lt 1024
finish
