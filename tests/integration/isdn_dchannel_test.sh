#!/bin/bash
# ISDN PRI on a SAToP E1: the gateway (user side, libpri in trunkgw-control,
# HDLC in the data plane) against a far end running libpri as the network
# (bench/pstn-sim, the carrier switch simulator) over the real pseudowire:
# Q.921 comes up; every B-channel is RESTARTed (Q.931 5.5) and
# acknowledged both ways; the far end's loss (the line goes silent) takes
# the D-channel down and its return brings it up and restarts every
# channel again; show spans and Prometheus count Q.931 messages; a
# D-channel trace (trunkctl trace dchannel) is decoded by tshark as Q.921
# and Q.931 with no malformed packet.
# usage: isdn_dchannel_test.sh SOURCE_DIR BUILD_DIR
SOURCE_DIR=$1
BUILD_DIR=$2
. "$SOURCE_DIR/tests/integration/lib.sh"
enter_netns "$@"

SIM=$BUILD_DIR/bench/pstn-sim
FAR="far,local=10.80.0.2:50001,remote=10.80.0.1:50001,jitter=16"
CFG=$TEST_DIR/trunkgw.toml
INSTANCE=it-isdn-$$
TAP=tgwis$$
{
gateway_toml_head "$INSTANCE" 10.80.0.1/24
cat <<TOML
[[span]]
id = 1
name = "pri-e1"
type = "e1"
worker = 1
[span.pseudowire]
mode = "satop"
port = "media0"
remote_address = "10.80.0.2"
local_udp_port = 50001
remote_udp_port = 50001
jitter_packets = 16
[span.isdn]
side = "user"
switch_type = "euroisdn_e1"
# The far end's exit below is noticed after T203 + N200 x T200: 6 s with
# this T203 (Q.921's 10 s would make it 13 s).
t203_ms = 3000

[control]
socket = "$TEST_DIR/control.sock"
metrics_listen = "127.0.0.1:9464"
TOML
} >"$CFG"

check "an unknown switch type is refused at config load, with the line" \
    bash -c "sed 's/euroisdn_e1/dms250/' $CFG >$TEST_DIR/bad.toml; ! $CP -c $TEST_DIR/bad.toml --check 2>$TEST_DIR/bad.txt &&
             grep -q 'bad.toml:[0-9]*: .*switch_type.*dms250.*is not one of' $TEST_DIR/bad.txt"
start dataplane "$DP" -c "$CFG"
start control "$CP" -c "$CFG"
check "the data plane is ready" wait_log "$TEST_DIR/dataplane.log" "trunkgw-dataplane .* ready" 30
check "control attaches" wait_log "$TEST_DIR/control.log" "answered its first ping" 30
ip link set dev "$TAP" address 02:00:00:00:80:02
ip addr add 10.80.0.2/24 dev "$TAP" && ip link set "$TAP" up

# Trace the D-channel from before the far end appears, through Q.921's
# establishment and the restarts (done ~2.5 s after the far end starts).
start trace "$CTL" -c "$CFG" trace dchannel pri-e1 "$TEST_DIR/dchannel.pcap" --seconds 7
check "the trace starts" wait_log "$TEST_DIR/control.log" "span pri-e1: D-channel trace to" 10
start peer "$SIM" --span "$FAR" --seconds 30
check "the D-channel comes up (Q.921 multiple frame established)" \
    wait_log "$TEST_DIR/control.log" "span pri-e1: D-channel up" 15
check "every B-channel is restarted and acknowledged" \
    wait_log "$TEST_DIR/control.log" "span pri-e1: B-channel restart complete: 30 acknowledged in all, [0-9]* sent again, 0 timed out" 40
"$CTL" -c "$CFG" --json show spans >"$TEST_DIR/spans.json"
check "show spans: D-channel up, user side, EuroISDN, the far end's 30 restarts seen" \
    test "$(json_get "$TEST_DIR/spans.json" "(lambda i: i['dchannel']=='up' and i['side']=='user' and i['switch_type']=='euroisdn_e1' and i['counters']['restarts_received']>=30 and i['counters']['q921_frames_rx']>60)(j['spans'][0]['isdn'])")" = True
check "show spans: Q.931 RESTART and RESTART ACKNOWLEDGE counted both ways" \
    test "$(json_get "$TEST_DIR/spans.json" "(lambda i: i['q931_tx']['restart']>=30 and i['q931_rx']['restart_acknowledge']>=30 and i['q931_rx']['restart']>=30 and i['q931_tx']['restart_acknowledge']>=30)(j['spans'][0]['isdn'])")" = True
check "human show spans has the D-channel column" bash -c "$CTL -c $CFG show spans | grep -Eq '^1 +pri-e1 +e1 +1 +up +- +up '"
curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics.txt"
check "metrics: D-channel up, restarts sent and acknowledged, promtool clean" \
    bash -c "grep -qx 'trunkgw_span_dchannel_up{span=\"pri-e1\"} 1' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_span_restarts_total{span=\"pri-e1\",what=\"acknowledged\"} 30' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_span_restarts_total{span=\"pri-e1\",what=\"timed_out\"} 0' $TEST_DIR/metrics.txt &&
             promtool check metrics <$TEST_DIR/metrics.txt"

# Operator maintenance (EuroISDN has no SERVICE message: local blocking).
check "channel pri-e1/5 maintenance" "$CTL" -c "$CFG" channel pri-e1/5 maintenance
"$CTL" -c "$CFG" --json show channels pri-e1 >"$TEST_DIR/channels.json"
check "show channels: 30 B-channels, 5 out of service here, the rest idle, 16 absent" \
    test "$(json_get "$TEST_DIR/channels.json" "(lambda c: len(c)==30 and c[5]['state']=='out_of_service' and c[5]['blocked_here'] and all(x['state']=='idle' for x in c.values() if x['channel']!=5) and 16 not in c)({x['channel']: x for x in j['channels']})")" = True
check "span pri-e1 block takes the other 29 out too" bash -c "$CTL -c $CFG span pri-e1 block | grep -q '29 channel'"
curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics2.txt"
check "metrics: 30 channels out of service" \
    grep -qx 'trunkgw_span_channels{span="pri-e1",state="out_of_service"} 30' "$TEST_DIR/metrics2.txt"
check "span pri-e1 unblock: all idle again" \
    bash -c "$CTL -c $CFG span pri-e1 unblock | grep -q '30 channel' && test \$($CTL -c $CFG show channels pri-e1 | grep -c ' idle ') = 30"
check "a channel that is not a B-channel is refused" bash -c "! $CTL -c $CFG channel pri-e1/16 maintenance 2>/dev/null"
check "the trace ends" bash -c "timeout 30 tail --pid=$PID_trace -f /dev/null"
check "trunkctl reports the frames it wrote" grep -Eq '^[1-9][0-9]* frames of span pri-e1 written to' "$TEST_DIR/trace.log"
tshark -n -r "$TEST_DIR/dchannel.pcap" -T fields -e lapd.sapi -e q931.message_type -e _ws.expert.message \
    >"$TEST_DIR/trace.txt" 2>"$TEST_DIR/tshark.err"
check "tshark decodes the trace: LAPD throughout, Q.931 RESTART and RESTART ACKNOWLEDGE, nothing malformed" \
    bash -c "test \$(wc -l <$TEST_DIR/trace.txt) -gt 60 && test \$(grep -c -P '^0\t0x46' $TEST_DIR/trace.txt) -ge 30 &&
             test \$(grep -c -P '^0\t0x4e' $TEST_DIR/trace.txt) -ge 30 &&
             ! tshark -n -r $TEST_DIR/dchannel.pcap -Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null | grep -q ."

# The far end goes away: the line goes silent (loss of packets -> alarm)
# and Q.921's T200/N200 take the data link down.
kill -TERM "$PID_peer"
check "the far end stops" bash -c "timeout 10 tail --pid=$PID_peer -f /dev/null"
tail -n 1 "$TEST_DIR/peer.log" >"$TEST_DIR/peer.json"
check "the far end saw Q.921 up and the gateway's restarts, and had its own 30 acknowledged" \
    test "$(json_get "$TEST_DIR/peer.json" "(lambda s: s['dchan_up']>=1 and s['restarts_received']>=30 and s['restart_acks']==30)(j['spans'][0])")" = True
check "the D-channel goes down" wait_log "$TEST_DIR/control.log" "span pri-e1: D-channel down" 20

# It returns (with a call for channel 5, exclusive, which the operator has
# taken out of service): up again, every channel in service restarted again
# (Layer 2 recovery; out-of-service ones are not), and the call refused with
# cause 44.
"$CTL" -c "$CFG" channel pri-e1/5 maintenance >/dev/null
start peer2 "$SIM" --span "$FAR" --seconds 30 --originate 1 --called 5551000 --originate-channel 5 \
    --calls "$TEST_DIR/calls2.json"
check "the D-channel comes back" \
    wait_count "$TEST_DIR/control.log" "span pri-e1: D-channel up" 2 20
check "after the recovery every B-channel in service is restarted again (29: channel 5 is out of service)" \
    wait_log "$TEST_DIR/control.log" "restart complete: 59 acknowledged in all, [0-9]* sent again, 0 timed out" 40
refused() {  # refused CAUSE COUNT: bounded wait for the refusal counter
    for i in $(seq 100); do
        curl -sf http://127.0.0.1:9464/metrics | grep -qx "trunkgw_span_setups_refused_total{span=\"pri-e1\",cause=\"$1\"} $2" && return 0
        sleep 0.1
    done
    return 1
}
check "a SETUP for channel 5 exclusive is refused with cause 44 (requested channel not available)" refused 44 1
check "the far end sees its call cleared" wait_log "$TEST_DIR/calls2.json" '"cause"' 10
kill -TERM "$PID_peer2"
check "the far end ends" bash -c "timeout 10 tail --pid=$PID_peer2 -f /dev/null"
tail -n 1 "$TEST_DIR/peer2.log" >"$TEST_DIR/peer2.json"
check "... and the far end got the RELEASE COMPLETE with cause 44 on its call for channel 5" \
    test "$(json_get "$TEST_DIR/calls2.json" "(j['cause'], j['channel'], j['cleared_by'])")" = "(44, 5, 'far')"

# Every channel out of service: a call with a preferred channel (any will do)
# is refused with cause 34.
"$CTL" -c "$CFG" span pri-e1 block >/dev/null
start peer3 "$SIM" --span "$FAR" --seconds 30 --originate 1 --called 5552000 --originate-preferred \
    --calls "$TEST_DIR/calls3.json"
check "with the span blocked, a SETUP is refused with cause 34 (no circuit/channel available)" refused 34 1
check "the far end sees its call cleared" wait_log "$TEST_DIR/calls3.json" '"cause"' 10
kill -TERM "$PID_peer3"
check "the far end ends" bash -c "timeout 10 tail --pid=$PID_peer3 -f /dev/null"
tail -n 1 "$TEST_DIR/peer3.log" >"$TEST_DIR/peer3.json"
check "... and the far end got cause 34" test "$(json_get "$TEST_DIR/calls3.json" "j['cause']")" = 34
finish
