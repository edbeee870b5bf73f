#!/bin/bash
# PRI calls through the gateway, end to end with real processes: the data
# plane and control (libpri user side on three SAToP E1 EuroISDN spans and a
# T1 NI-2 span, routes in [[route]]) against bench/pstn-sim (libpri network
# side on the same four spans, scripted behaviours per number). pstn-sim places calls on span A;
# the gateway routes them to span B (or, for one number, fails over to C):
#   - answered, then cleared by the caller (16) -- both legs see 16; the
#     audio between the two B-channels flows through two RTP sessions in the
#     data plane (hairpinned), and each end measures the other's tone;
#   - busy (17), call rejected (21), unallocated at the far end (1);
#   - alerting and never answered: the caller gives up (16);
#   - no route in the gateway: cause 1 from the gateway itself;
#   - destination B refuses with 34: the route fails over to C, answered;
#   - number manipulation: 00 stripped, 7 prepended;
#   - overlap receiving on span C: digits by INFORMATION, routed at T302,
#     or cleared with 28 when no route matches;
#   - E1 to T1: the tone crosses A-law <-> u-law both ways;
#   - 30 calls fill span B and the 31st is refused with cause 34;
#   - the D-channels silenced in the middle of 30 calls (Q.921 declares them
#     down after T203 + N200 x T200) and restored: the calls survive (T309)
#     and end normally, and not one B-channel stays busy on any span, either
#     side;
# trunkctl show calls (live and history) and Prometheus count all of it.
# usage: pri_calls_test.sh SOURCE_DIR BUILD_DIR
SOURCE_DIR=$1
BUILD_DIR=$2
. "$SOURCE_DIR/tests/integration/lib.sh"
enter_netns "$@"

SIM=$BUILD_DIR/bench/pstn-sim
CFG=$TEST_DIR/trunkgw.toml
TAP=tgwpc$$
span_toml() {  # span_toml ID NAME [TYPE SWITCH]
    cat <<TOML
[[span]]
id = $1
name = "$2"
type = "${3:-e1}"
worker = 1
[span.pseudowire]
mode = "satop"
port = "media0"
remote_address = "10.81.0.2"
local_udp_port = 5000$1
remote_udp_port = 5000$1
jitter_packets = 16
[span.isdn]
side = "user"
switch_type = "${4:-euroisdn_e1}"
# Part 2 silences every D-channel until the gateway has seen all four go
# down: a span with a frame unacknowledged notices after N200 x T200 (3 s),
# an idle one after T203 + N200 x T200 (6 s with this T203 of 3 s; 13 s
# with Q.921's 10 s), so one span may be down a few seconds before the
# last. Both ends' T309 (Q.931 5.8.8) must outlast that.
t203_ms = 3000
t309_ms = 30000

TOML
}
{
    gateway_toml_head "it-calls-$$" 10.81.0.1/24
    span_toml 1 span-a
    span_toml 2 span-b
    span_toml 3 span-c | sed 's/^switch_type = .*/&\noverlap_receiving = true\noverlap_timeout_ms = 1000/'
    span_toml 4 span-t t1 ni2
    cat <<TOML
# 2006 first fails over from B to C (B refuses it with 34).
[[route]]
name = "failover"
called_prefix = "2006"
from = ["span-a", "span-c"]
to = ["span-b", "span-c"]

[[route]]
name = "international"
called_prefix = "00"
to = ["span-b"]
strip = 2
prepend = "7"

[[route]]
name = "to-t1"
called_prefix = "3"
to = ["span-t"]

[[route]]
name = "to-b"
called_prefix = "2"
from = ["span-a", "span-c"]
to = ["span-b"]

[cdr]
path = "cdr.jsonl"

[control]
socket = "$TEST_DIR/control.sock"
metrics_listen = "127.0.0.1:9464"
TOML
} >"$CFG"

check "a route to an unknown span is refused with its line" \
    bash -c "sed 's/to = \[\"span-b\", \"span-c\"\]/to = [\"span-x\"]/' $CFG >$TEST_DIR/bad.toml;
             ! $CP -c $TEST_DIR/bad.toml --check 2>$TEST_DIR/bad.txt &&
             grep -q 'bad.toml:[0-9]*: .*span-x.*no span of that name' $TEST_DIR/bad.txt"
start dataplane "$DP" -c "$CFG"
start control "$CP" -c "$CFG"
check "the data plane is ready" wait_log "$TEST_DIR/dataplane.log" "trunkgw-dataplane .* ready" 30
check "control attaches" wait_log "$TEST_DIR/control.log" "answered its first ping" 30
ip link set dev "$TAP" address 02:00:00:00:81:02
ip addr add 10.81.0.2/24 dev "$TAP" && ip link set "$TAP" up

SPANS=(--t309-ms 30000 --t203-ms 3000)  # as the gateway's (span_toml)
for n in 1 2 3; do
    name=$(printf "span-%s" "$(echo abc | cut -c$n)")
    SPANS+=(--span "$name,local=10.81.0.2:5000$n,remote=10.81.0.1:5000$n,jitter=16")
done
SPANS+=(--span "span-t,local=10.81.0.2:50004,remote=10.81.0.1:50004,jitter=16,type=t1,switch=ni2")
BEHAVE=(--behave '2001=answer,alert=100,answer=300' --behave '2002=busy,alert=100'
        --behave '2003=reject,cause=21' --behave '2004=ring' --behave '2005=reject,cause=1'
        --behave 'span-b/2006=reject,cause=34' --behave '2006=answer' --behave '730123=answer' --behave '3001=answer,alert=100,answer=300')

# 1. One call after the other through every cause path, with span A's
#    D-channel traced.
start trace "$CTL" -c "$CFG" trace dchannel span-a "$TEST_DIR/span-a.pcap" --seconds 120
check "the trace starts" wait_log "$TEST_DIR/control.log" "span span-a: D-channel trace to" 10
start sim1 "$SIM" "${SPANS[@]}" "${BEHAVE[@]}" --originate 9 --originate-span span-a --rate 4 --concurrency 1 \
    --called 2001 --called 2002 --called 2003 --called 2004 --called 2005 --called 9999 --called 2006 \
    --called 0030123 --called 3001 --calling 301234567 --hold-ms 3000 --no-answer-ms 1500 --calls "$TEST_DIR/calls1.json" --until-done --seconds 60
check "all four D-channels (three E1 EuroISDN, one T1 NI-2) come up and restart" \
    wait_count "$TEST_DIR/control.log" 'B-channel restart complete' 4 40
check "pstn-sim finishes its 9 calls" bash -c "timeout 60 tail --pid=$PID_sim1 -f /dev/null"
kill -INT "$PID_trace"
check "the trace stops when trunkctl is interrupted" bash -c "timeout 10 tail --pid=$PID_trace -f /dev/null"
tshark -n -r "$TEST_DIR/span-a.pcap" -T fields -e q931.message_type -e q931.cause_value >"$TEST_DIR/trace.txt" 2>/dev/null
check "tshark decodes span A's calls: SETUP, CALL PROCEEDING, ALERTING, CONNECT, DISCONNECT, RELEASE, RELEASE COMPLETE, causes 16 17 21 1; nothing malformed" \
    bash -c "for t in 0x05 0x02 0x01 0x07 0x45 0x4d 0x5a; do grep -q -P \"^\$t\" $TEST_DIR/trace.txt || exit 1; done
             for c in 16 17 21 1; do grep -q -P \"\t\$c\$\" $TEST_DIR/trace.txt || exit 1; done
             ! tshark -n -r $TEST_DIR/span-a.pcap -Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null | grep -q ."
C1=$TEST_DIR/calls1.json
out() {  # out NUMBER EXPR: EXPR on the record of the call pstn-sim placed to NUMBER
    python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
j = [r for r in rs if r["direction"] == "to_gateway" and r["called"] == sys.argv[2]][0]
print(eval(sys.argv[3]))' "$C1" "$1" "$2"
}
inn() {  # inn SPAN NUMBER EXPR: EXPR on the record of the call the gateway sent to SPAN for NUMBER
    python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
j = [r for r in rs if r["direction"] == "from_gateway" and r["span"] == sys.argv[2] and r["called"] == sys.argv[3]][0]
print(eval(sys.argv[4]))' "$C1" "$1" "$2" "$3"
}
check "2001: answered through span B, the caller clears with 16 and B's side hears 16" \
    test "$(out 2001 "('answer_ms' in j, j['cause'], j['cleared_by'])") $(inn span-b 2001 "('answer_ms' in j, j['cause'], j['cleared_by'])")" \
         = "(True, 16, 'near') (True, 16, 'far')"
check "2001: audio both ways through the gateway (two RTP sessions hairpinned in the data plane): the 1004 Hz tone each end plays arrives at the other with SINAD >= 35 dB" \
    test "$(out 2001 "j['audio']['tone_sinad_db'] >= 35") $(inn span-b 2001 "j['audio']['tone_sinad_db'] >= 35")" = "True True"
check "2002: busy, cause 17 back to the caller" test "$(out 2002 "(j['cause'], j['cleared_by'], 'answer_ms' in j)")" = "(17, 'far', False)"
check "2003: rejected, cause 21" test "$(out 2003 "j['cause']")" = 21
check "2004: alerting, never answered: the caller gives up with 16, after alerting reached it" \
    test "$(out 2004 "(j['cause'], j['cleared_by'], 'alerting_ms' in j)") $(inn span-b 2004 "(j['cause'], 'alerting_ms' in j)")" \
         = "(16, 'near', True) (16, True)"
check "2005: the far end's unallocated number (1) passed back" test "$(out 2005 "j['cause']")" = 1
check "9999: no route in the gateway: cause 1, nothing sent on" \
    test "$(out 9999 "(j['cause'], j['cleared_by'])") $(grep -c '"called":"9999","cause":[0-9]*,"cleared_by":"[a-z]*","direction":"from_gateway"' "$C1")" = "(1, 'far') 0"
check "2006: span B refused with 34, the route failed over to span C, answered there" \
    test "$(inn span-b 2006 "j['cause']") $(inn span-c 2006 "'answer_ms' in j") $(out 2006 "('answer_ms' in j, j['cause'])")" \
         = "34 True (True, 16)"
check "0030123: 00 stripped and 7 prepended: span B was asked for 730123" \
    test "$(inn span-b 730123 "'answer_ms' in j") $(out 0030123 "j['cause']")" = "True 16"
check "3001: E1 EuroISDN to T1 NI-2, answered; the tone survives A-law <-> u-law both ways (SINAD >= 35 dB)" \
    test "$(out 3001 "(j['cause'], j['audio']['tone_sinad_db'] >= 35)") $(inn span-t 3001 "j['audio']['tone_sinad_db'] >= 35")" = "(16, True) True"
check "CDRs: one durable JSON line per call in run_dir/cdr.jsonl, with legs, numbers, route, destinations tried and causes" \
    test "$(python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
by = {r["called"]["digits"]: r for r in rs}
print(len(rs), by["0030123"]["called_out"], by["0030123"]["out"]["span"], by["2006"]["destinations_tried"],
      by["2002"]["cause"], by["9999"]["route"], "connected_ms" in by["2001"],
      (by["2001"]["calling"]["digits"], by["2001"]["calling"]["ton"]))' "$TEST_DIR/cdr.jsonl")" \
         = "9 730123 span-b ['span-b:34'] 17  True ('301234567', 2)"
"$CTL" -c "$CFG" --json show calls --history >"$TEST_DIR/history.json"
check "show calls --history: 9 calls ended, none up; causes and routes as above" \
    test "$(json_get "$TEST_DIR/history.json" "(len(j['calls']), sorted(c['cause'] for c in j['ended']), j['totals']['no_route'], j['totals']['failovers'], sorted(set(c['route'] for c in j['ended'])))")" \
         = "(0, [1, 1, 16, 16, 16, 16, 16, 17, 21], 1, 1, ['', 'failover', 'international', 'to-b', 'to-t1'])"
check "human show calls --history lists the ended calls with causes" \
    bash -c "$CTL -c $CFG show calls --history | grep -Eq '^[0-9]+ +span-a/[0-9]+ +span-c/[0-9]+ .*failover .* 16 +callee|^[0-9]+ +span-a/[0-9]+ +span-c/[0-9]+ .*failover .* 16 +caller'"
curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics1.txt"
check "metrics: calls by cause, failover, no route, span calls by direction and cause; promtool clean" \
    bash -c "grep -qx 'trunkgw_calls_ended_total{cause=\"17\"} 1' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_call_failovers_total 1' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_calls_no_route_total 1' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_calls_active 0' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_span_calls_total{span=\"span-a\",direction=\"in\"} 9' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_calls_media_total{result=\"connected\"} 4' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_net_hairpin_dropped_total{worker=\"1\"} 0' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_cdr_records_total 9' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_cdr_write_errors_total 0' $TEST_DIR/metrics1.txt &&
             grep -qx 'trunkgw_span_calls_cleared_total{span=\"span-b\",direction=\"out\",cause=\"34\"} 1' $TEST_DIR/metrics1.txt &&
             promtool check metrics <$TEST_DIR/metrics1.txt"

# 1b. Overlap receiving on span C (Q.931 5.2.4): pstn-sim dials the first
#     digit in the SETUP and the rest in INFORMATION messages; the gateway
#     answers SETUP ACKNOWLEDGE, collects digits until T302 (1 s here) and
#     routes what it has; a number no route matches then gets cause 28.
start sim1b "$SIM" "${SPANS[@]}" "${BEHAVE[@]}" --originate 2 --originate-span span-c --rate 1 --concurrency 1 \
    --called 2001 --called 8888 --overlap 1 --digit-interval-ms 100 --hold-ms 1000 \
    --calls "$TEST_DIR/calls1b.json" --until-done --seconds 60
check "pstn-sim finishes its 2 overlap calls" bash -c "timeout 60 tail --pid=$PID_sim1b -f /dev/null"
C1=$TEST_DIR/calls1b.json
check "overlap: 2 then 0, 0, 1 by INFORMATION: routed after T302 as 2001 and answered through span B" \
    test "$(out 2001 "('answer_ms' in j, j['cause'])") $(inn span-b 2001 "'answer_ms' in j")" = "(True, 16) True"
check "overlap: 8888 matches no route when T302 expires: cause 28 (invalid number format), Q.931 5.2.4.3" \
    test "$(out 8888 "(j['cause'], j['cleared_by'])")" = "(28, 'far')"
curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics1b.txt"
check "metrics: two T302 expiries on span C" \
    grep -qx 'trunkgw_span_timer_expiries_total{span="span-c",timer="T302"} 2' "$TEST_DIR/metrics1b.txt"

# 2. 31 calls at once from spans A and C to B: 30 fill B, the 31st gets 34.
#    Then the D-channels go silent in the middle of the 30 calls, and come back.
start sim2 "$SIM" "${SPANS[@]}" "${BEHAVE[@]}" --originate 31 --originate-span span-a --originate-span span-c \
    --rate 40 --concurrency 31 --called 2001 --hold-ms 17000 --calls "$TEST_DIR/calls2.json" --seconds 90
check "the 31st call is refused with cause 34 (no circuit/channel available)" \
    wait_log "$TEST_DIR/calls2.json" '"cause":34' 60
busy_b() {
    "$CTL" -c "$CFG" --json show channels span-b | python3 -c 'import json,sys; print(sum(c["state"]=="busy" for c in json.load(sys.stdin)["channels"]))'
}
connected() {  # connected N: bounded wait until N calls are connected in the gateway
    for i in $(seq 200); do
        test "$("$CTL" -c "$CFG" --json show calls | python3 -c 'import json,sys; print(sum(c["state"]=="connected" for c in json.load(sys.stdin)["calls"]))')" = "$1" && return 0
        sleep 0.1
    done
    return 1
}
check "30 calls connected through the gateway" connected 30
check "span B: all 30 B-channels busy" test "$(busy_b)" = 30
check "the 31st was refused by the gateway: span B had no channel" \
    test "$(grep -c '"cause":34' "$TEST_DIR/calls2.json")" = 1
# The operator drops one of them: both legs are cleared with 16.
drop_id=$("$CTL" -c "$CFG" --json show calls | python3 -c 'import json,sys; print(min(c["id"] for c in json.load(sys.stdin)["calls"]))')
check "trunkctl call drop clears a call" bash -c "$CTL -c $CFG call drop $drop_id | grep -q 'call $drop_id dropped'"
check "... and a call that does not exist is refused" bash -c "! $CTL -c $CFG call drop 999999 2>/dev/null"
check "the dropped call's two legs end at the far end with cause 16, cleared by the gateway" \
    wait_count "$TEST_DIR/calls2.json" '"cause":16,"channel":[0-9]*,"cleared_by":"far"' 2 10
check "29 calls remain connected" connected 29
downs=$(grep -c 'span span-[abct]: D-channel down' "$TEST_DIR/control.log")
ups=$(grep -c 'span span-[abct]: D-channel up' "$TEST_DIR/control.log")
kill -USR1 "$PID_sim2"
check "the D-channels go down on the gateway (silenced)" \
    wait_count "$TEST_DIR/control.log" 'span span-[abct]: D-channel down' $((downs + 4)) 30
kill -USR2 "$PID_sim2"
check "... and come back up" wait_count "$TEST_DIR/control.log" 'span span-[abct]: D-channel up' $((ups + 4)) 40
calls_done() {  # bounded wait for every record: 31 calls placed + the 30 the gateway sent on
    for i in $(seq 600); do
        test "$(wc -l <"$TEST_DIR/calls2.json")" = 61 && return 0
        sleep 0.1
    done
    return 1
}
check "every call has ended, on both sides of the gateway (61 records)" calls_done
check "the 29 full calls carried the tone both ways: 58 legs with SINAD >= 35 dB" \
    test "$(python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
print(sum(r.get("audio", {}).get("tone_sinad_db", 0) >= 35 and r.get("connected_ms", 0) >= 16000 for r in rs))' "$TEST_DIR/calls2.json")" = 58
check "the 29 calls outlived the outage (T309) and ended normally: 16 on both legs, after the full hold" \
    test "$(python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in rs if r["cause"] == 16 and r.get("connected_ms", 0) >= 16000]
print(len(ok), sum(r["direction"] == "to_gateway" for r in ok))' "$TEST_DIR/calls2.json")" = "58 29"
idle_channels() {  # B-channels idle on the gateway's four spans (Prometheus)
    curl -sf http://127.0.0.1:9464/metrics |
        awk '/^trunkgw_span_channels\{span="span-[abct]",state="idle"\}/ {n += $2} END {print n + 0}'
}
not_idle() {  # bounded wait until all 113 are idle: T305 (30 s) if a DISCONNECT was lost with the D-channel
    for i in $(seq 300); do
        test "$(idle_channels)" = 113 && return 0
        sleep 0.2
    done
    echo "idle channels: $(idle_channels) of 113" >&2
    return 1
}
check "the gateway: every B-channel of every span idle with the D-channels up (zero stuck channels)" not_idle
check "the gateway: no call left" \
    test "$("$CTL" -c "$CFG" --json show calls | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["calls"]))')" = 0
kill -TERM "$PID_sim2"
check "pstn-sim stops" bash -c "timeout 10 tail --pid=$PID_sim2 -f /dev/null"
tail -n 1 "$TEST_DIR/sim2.log" >"$TEST_DIR/sim2.json"
check "pstn-sim: no call left on any of its spans either" \
    test "$(json_get "$TEST_DIR/sim2.json" "(j['active'], [s['calls_left'] for s in j['spans']])")" = "(0, [0, 0, 0, 0])"
kill -TERM "$PID_control"
wait "$PID_control"
check "control shuts down cleanly after all this (exit status 0)" test $? = 0

# 3. Control dies (SIGKILL) in the middle of two calls. A new control
#    attaches: the calls died with the old one, so their four RTP sessions
#    are deleted (nothing plays into those channels any more), and its
#    restart of every idle B-channel (Q.931 5.5) clears the far end's two
#    calls too: nothing stuck at either end.
start control2 "$CP" -c "$CFG"
check "a new control attaches" wait_log "$TEST_DIR/control2.log" "answered its first ping" 30
start sim3 "$SIM" "${SPANS[@]}" "${BEHAVE[@]}" --originate 2 --originate-span span-a --rate 5 --concurrency 2 \
    --called 2001 --hold-ms 60000 --calls "$TEST_DIR/calls3.json" --seconds 90
check "two calls connected" connected 2
check "... with four RTP sessions" \
    test "$("$CTL" -c "$CFG" --json show sessions | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sessions"]))')" = 4
kill -KILL "$PID_control2"
wait "$PID_control2" 2>/dev/null
start control3 "$CP" -c "$CFG"
check "a third control attaches and deletes the four sessions no call owns" \
    wait_log "$TEST_DIR/control3.log" "4 RTP session(s) on ISDN channels belonged to no call" 30
check "no session left in the data plane" \
    test "$("$CTL" -c "$CFG" --json show sessions | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sessions"]))')" = 0
check "the far end's calls are cleared by the new control's restarts: 4 legs ended" \
    wait_count "$TEST_DIR/calls3.json" '"direction"' 4 40
check "every B-channel idle again at the gateway" not_idle
kill -TERM "$PID_sim3"
check "pstn-sim stops" bash -c "timeout 10 tail --pid=$PID_sim3 -f /dev/null"
tail -n 1 "$TEST_DIR/sim3.log" >"$TEST_DIR/sim3.json"
check "pstn-sim: nothing left on its side either; its two calls ended by RESTART" \
    test "$(json_get "$TEST_DIR/sim3.json" "(j['active'], [s['calls_left'] for s in j['spans']], j['calls_finished'])")" = "(0, [0, 0, 0, 0], 4)"
kill -TERM "$PID_control3"
wait "$PID_control3"
check "the third control shuts down cleanly (exit status 0)" test $? = 0
finish
