#!/bin/bash
# Routing features end to end with real processes: the gateway (data plane +
# control) between SIPp (the "pbx" SIP trunk on 127.0.0.1, its RTP on the
# TAP's kernel side) and bench/pstn-sim (the carrier: two E1 EuroISDN spans,
# carrier-a and carrier-b, on SAToP pseudowires, one process).
#   1. Span group hunting: pbx calls 4001 (a route by called_regex to the
#      group [carrier-a, carrier-b], sequential); carrier-a refuses with 34,
#      the call hunts to carrier-b and is answered there; counted as a group
#      hunt, not a failover; the CDR names the span tried, the span used,
#      both legs' causes and per-leg media stats (RTP both ways).
#   2. Toll fraud: a premium number (0900) from pbx is refused with 403 and
#      Reason Q.850 cause 21 before anything reaches the carrier (CDR
#      toll_class, metric result="not_allowed"); international (00) is
#      allowed to pbx with max_concurrent = 1: a first call is answered and
#      held, a second at the same time gets 403 / 21 (result="concurrent"),
#      a third after the first ended is answered again.
#   3. Reload: with a call up, the config file gains a route (77 -> carrier-b;
#      7701 got 404 before); `trunkctl reload` applies it, the call up stays
#      connected and ends normally (16), 7701 is then answered; a config that
#      changes [sip] (needs a restart) and a broken one are refused, with the
#      table named or FILE:LINE, and nothing changes; SIGHUP with a broken
#      file is refused (logged with FILE:LINE), with a valid one applies it
#      (a route gone, one added, the group now round robin).
# usage: routing_test.sh SOURCE_DIR BUILD_DIR
SOURCE_DIR=$1
BUILD_DIR=$2
. "$SOURCE_DIR/tests/integration/lib.sh"
enter_netns "$@"

SIM=$BUILD_DIR/bench/pstn-sim
GEN=$BUILD_DIR/bench/rtp-pcap-gen
SIPP_DIR=$SOURCE_DIR/tests/integration/sipp
CFG=$TEST_DIR/trunkgw.toml
SOCK=$TEST_DIR/control.sock
CDR=$TEST_DIR/cdr.jsonl
TAP=tgwrt$$
T0=$SECONDS

span_toml() {  # span_toml ID NAME
    cat <<TOML
[[span]]
id = $1
name = "$2"
type = "e1"
worker = 1
[span.pseudowire]
mode = "satop"
port = "media0"
remote_address = "10.86.0.2"
local_udp_port = 5000$1
remote_udp_port = 5000$1
jitter_packets = 16
[span.isdn]
side = "user"
switch_type = "euroisdn_e1"

TOML
}
# write_routing_config [SIP_PORT [EXTRA_TOML [HUNTING]]]: the config (to
# $CFG); EXTRA_TOML is added after the routes (more routes); HUNTING is the
# group's (sequential by default).
write_routing_config() {
    {
        gateway_toml_head "it-routing-$$" 10.86.0.1/24
        span_toml 1 carrier-a
        span_toml 2 carrier-b
        cat <<TOML
[sip]
listen = "127.0.0.1:${1:-5060}"
transport = "udp"

[[sip.trunk]]
name = "pbx"
peers = ["127.0.0.1:5070"]
max_calls = 10
options_interval_s = 0        # SIPp plays the PBX: no OPTIONS into its scenarios

[[span_group]]
name = "carriers"
spans = ["carrier-a", "carrier-b"]
hunting = "${3:-sequential}"

[toll_fraud]
[[toll_fraud.class]]
name = "premium"
prefixes = ["0900"]
[[toll_fraud.class]]
name = "international"
prefixes = ["00"]
[[toll_fraud.allowance]]
source = "pbx"
classes = ["international"]
max_concurrent = 1
max_per_hour = 100

[[route]]
name = "extensions"
called_regex = "^4[0-9]{3}\$"
from = ["pbx"]
to = ["carriers"]

[[route]]
name = "outside"
called_prefix = "0"
from = ["pbx"]
to = ["carriers"]

${2:-}

[media]
rtp_port_min = 16384
rtp_port_max = 16511

[cdr]
path = "cdr.jsonl"

[control]
socket = "$SOCK"
metrics_listen = "127.0.0.1:9464"
TOML
    } >"$CFG"
}
ROUTE_77='[[route]]
name = "seventy-seven"
called_prefix = "77"
from = ["pbx"]
to = ["carrier-b"]'
ROUTE_88='[[route]]
name = "eighty-eight"
called_prefix = "88"
from = ["pbx"]
to = ["carrier-a"]'
write_routing_config

check "the config is valid (regex route, span group, toll-fraud tables)" "$CP" -c "$CFG" --check
start dataplane "$DP" -c "$CFG"
start control "$CP" -c "$CFG"
check "the data plane is ready" wait_log "$TEST_DIR/dataplane.log" "trunkgw-dataplane .* ready" 30
check "control attaches and listens for SIP" wait_log "$TEST_DIR/control.log" "SIP on 127.0.0.1:5060 (udp), 1 trunk" 30
ip link set dev "$TAP" address 02:00:00:00:86:02
ip addr add 10.86.0.2/24 dev "$TAP" && ip link set "$TAP" up

# SIPp's tone: 1004 Hz PCMA, 20 ms packets (SIPp sends it to the address in
# the gateway's SDP, whatever the pcap says).
"$GEN" --out "$TEST_DIR/tone.pcap" --sessions 1 --packets-per-session 500 --src-ip 10.86.0.2 --dst-ip 10.86.0.1 \
    --payload-type 8 --ptime 20 >/dev/null
sed "s#TONE_PCAP#$TEST_DIR/tone.pcap#" "$SIPP_DIR/call_held_uac.xml" >"$TEST_DIR/call_held_uac.xml"

# One carrier for the whole test: carrier-a refuses 4xxx with 34 (no
# circuit), everything else it is asked for is answered.
start sim "$SIM" --span "carrier-a,local=10.86.0.2:50001,remote=10.86.0.1:50001,jitter=16" \
    --span "carrier-b,local=10.86.0.2:50002,remote=10.86.0.1:50002,jitter=16" \
    --behave 'carrier-a/4=reject,cause=34' --behave '4=answer,alert=100,answer=200' \
    --behave '00=answer,alert=100,answer=200' --behave '77=answer,alert=100,answer=200' \
    --behave '88=answer,alert=100,answer=200' --calls "$TEST_DIR/calls.json" --seconds 150
check "both D-channels come up and restart" wait_count "$TEST_DIR/control.log" "B-channel restart complete" 2 40

# call NAME NUMBER HOLD_MS PORT: a SIPp call from the pbx trunk's address,
# answered and held HOLD_MS with the tone; true when SIPp completed it.
call() {
    sipp 127.0.0.1:5060 -sf "$TEST_DIR/call_held_uac.xml" -s "$2" -d "$3" -i 127.0.0.1 -p "$4" \
        -mi 10.86.0.2 -mp $((41000 + ($4 - 5070) * 10)) -m 1 -timeout 30 -timeout_error \
        -trace_msg -message_file "$TEST_DIR/$1_msgs.log" >"$TEST_DIR/$1.log" 2>&1 &&
        grep -Eq 'Successful call +\| +[0-9]+ +\| +1 ' "$TEST_DIR/$1.log"
}
# call_bg NAME NUMBER HOLD_MS PORT: the same, in the background (PID_NAME).
call_bg() {
    start "$1" sipp 127.0.0.1:5060 -sf "$TEST_DIR/call_held_uac.xml" -s "$2" -d "$3" -i 127.0.0.1 -p "$4" \
        -mi 10.86.0.2 -mp $((41000 + ($4 - 5070) * 10)) -m 1 -timeout 30 -timeout_error \
        -trace_msg -message_file "$TEST_DIR/$1_msgs.log"
}
# call_done NAME: waits (bounded) for a background call; true when completed.
call_done() {
    local pid_var=PID_$1
    timeout 30 tail --pid="${!pid_var}" -f /dev/null &&
        grep -Eq 'Successful call +\| +[0-9]+ +\| +1 ' "$TEST_DIR/$1.log"
}
# refused NUMBER: the final status SIPp got for NUMBER, and the Reason.
refused() {
    sipp 127.0.0.1:5060 -sf "$SIPP_DIR/call_refused_uac.xml" -s "$1" -i 127.0.0.1 -p 5074 -mi 10.86.0.2 -mp 41100 \
        -m 1 -timeout 20 -timeout_error -trace_msg -message_file "$TEST_DIR/refused_$1.log" >/dev/null 2>&1
    python3 - "$TEST_DIR/refused_$1.log" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
st = re.findall(r'^SIP/2\.0 ([3-6]\d\d)', t, re.M)
rs = re.findall(r'^Reason: *(.*?)\s*$', t, re.M | re.I)
print(st[-1] if st else '-', rs[-1] if rs else '-')
PY
}
# cdr NUMBER EXPR: EXPR on the CDR of the (last) call to NUMBER.
cdr() {
    python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
j = [r for r in rs if r["called"]["digits"] == sys.argv[2]][-1]
print(eval(sys.argv[3]))' "$CDR" "$1" "$2"
}
# cdr_for NUMBER [N]: waits (bounded) until N CDRs (1) of calls to NUMBER are written.
cdr_for() {
    wait_count "$CDR" "\"called\":{\"digits\":\"$1\"" "${2:-1}" 10
}
totals() {  # totals EXPR: EXPR on show calls' totals (t)
    "$CTL" -c "$CFG" --json show calls | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(eval(sys.argv[1]))' "$1"
}
connected() {  # connected CALLED: bounded wait until a call to CALLED is connected in the gateway
    local i
    for i in $(seq 100); do
        "$CTL" -c "$CFG" --json show calls |
            python3 -c 'import json,sys; sys.exit(not any(c["state"] == "connected" and c["called"] == sys.argv[1] for c in json.load(sys.stdin)["calls"]))' "$1" &&
            return 0
        sleep 0.1
    done
    return 1
}
metric() {  # metric LINE: the exact Prometheus line is served
    curl -sf http://127.0.0.1:9464/metrics | grep -qxF "$1"
}
# sim_saw NUMBER: the carrier's records of calls the gateway placed for NUMBER (span:cause).
sim_saw() {
    python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
print(sorted("%s:%s" % (r["span"], r["cause"]) for r in rs if r["direction"] == "from_gateway" and r["called"] == sys.argv[2]))' \
        "$TEST_DIR/calls.json" "$1"
}

# 1. Span group hunting.
check "4001 (route by called_regex to the group carriers): SIPp's call is answered, held 3 s, ended by SIPp" \
    call hunt 4001 3000 5070
check "... its CDR is written" cdr_for 4001
check "4001: carrier-a refused with 34, the group hunted to carrier-b; the caller's leg ended with 16" \
    same "$(cdr 4001 "(j['route'], j['destinations_tried'], j['out']['span'], j['cause'], j['cause_in'], j['cleared_by'])")" \
         "('extensions', ['carrier-a:34'], 'carrier-b', 16, 16, 'caller')"
# The media figures are the ones the worker published last (once a
# second): a 3 s call has at least one publication with traffic in it.
check "4001: the CDR has media stats for the leg: RTP sent toward SIPp and received from it, with the receive figures" \
    same "$(cdr 4001 "(sorted(j['media']), sorted(j['media']['in']), j['media']['in']['rtp_packets_out'] > 0, j['media']['in']['rtp_packets_in'] > 0, j['media']['in']['expected_packets'] > 0, j['media']['in']['final'])")" \
         "(['in'], ['concealed_ms', 'expected_packets', 'final', 'jitter_us', 'lost_packets', 'rtp_packets_in', 'rtp_packets_out', 'rtt_us'], True, True, True, True)"
check "4001: cause_out is 0 (the leg on carrier-b did not clear: the caller did), not carrier-a's 34" \
    same "$(cdr 4001 "j['cause_out']")" 0
check "the carrier's two records of 4001 are written" wait_count "$TEST_DIR/calls.json" '"called":"4001"' 2 10
check "4001: the carrier saw it refused on carrier-a (34) and answered on carrier-b (cleared 16)" \
    same "$(python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
print(sorted((r["span"], r["cause"], "answer_ms" in r) for r in rs if r["called"] == "4001"))' "$TEST_DIR/calls.json")" \
         "[('carrier-a', 34, False), ('carrier-b', 16, True)]"
check "show calls totals: one group hunt, no failover" same "$(totals "(t['group_hunts'], t['failovers'])")" "(1, 0)"
check "metric trunkgw_call_group_hunts_total 1" metric 'trunkgw_call_group_hunts_total 1'

# 2. Toll fraud.
check "09001234 (premium, allowed to nobody) from pbx -> 403 with Reason Q.850 cause 21" \
    same "$(refused 09001234)" "403 Q.850;cause=21"
check "... its CDR: toll_class premium, cause 21, cleared by the gateway, nothing tried" \
    same "$(cdr_for 09001234 && cdr 09001234 "(j.get('toll_class'), j['cause'], j['cause_in'], j['cleared_by'], j['destinations_tried'], 'out' in j)")" \
         "('premium', 21, 21, 'gateway', ['toll_fraud:premium:not_allowed'], False)"
check "metric trunkgw_calls_toll_fraud_total{result=\"not_allowed\"} 1" \
    metric 'trunkgw_calls_toll_fraud_total{result="not_allowed"} 1'
call_bg intl1 00441234 4000 5070
check "00441234 (international, pbx's allowance: 1 at a time) is answered and held" connected 00441234
check "00441235 at the same time -> 403 with Reason Q.850 cause 21 (max_concurrent)" \
    same "$(refused 00441235)" "403 Q.850;cause=21"
check "... counted as concurrent (show calls totals)" same "$(totals "t['toll_fraud']['concurrent']")" 1
check "metric trunkgw_calls_toll_fraud_total{result=\"concurrent\"} 1" \
    metric 'trunkgw_calls_toll_fraud_total{result="concurrent"} 1'
check "the first international call completes" call_done intl1
check "00441236 after it ended: answered (the allowance is free again)" call intl3 00441236 300 5072
cdr_for 00441236
check "the CDRs: 00441234 and 00441236 international and answered (16), 00441235 refused 21 as concurrent" \
    same "$(cdr 00441234 "(j['toll_class'], j['cause'], 'answer_unix_ms' in j)") $(cdr 00441235 "(j['toll_class'], j['cause'], j['destinations_tried'])") $(cdr 00441236 "(j['toll_class'], j['cause'], 'answer_unix_ms' in j)")" \
         "('international', 16, True) ('international', 21, ['toll_fraud:international:concurrent']) ('international', 16, True)"
check "show calls totals: toll fraud allowed 2, not_allowed 1, concurrent 1, hourly 0" \
    same "$(totals "[t['toll_fraud'][k] for k in ('allowed', 'not_allowed', 'concurrent', 'hourly')]")" "[2, 1, 1, 0]"

# 3. Reload.
check "before the reload 7701 has no route -> 404 (cause 1)" same "$(refused 7701)" "404 Q.850;cause=1"
call_bg held 4002 6000 5070
check "a call (4002) is up" connected 4002
held_id=$("$CTL" -c "$CFG" --json show calls | python3 -c 'import json,sys; print([c["id"] for c in json.load(sys.stdin)["calls"] if c["called"] == "4002"][0])')
write_routing_config 5060 "$ROUTE_77"
"$CTL" -c "$CFG" reload >"$TEST_DIR/reload1.txt" 2>&1
rc=$?
check "trunkctl reload applies the new route (exit 0, 'reloaded: 3 route(s) ...')" \
    same "$rc $(cat "$TEST_DIR/reload1.txt")" "0 reloaded: 3 route(s), 1 span group(s), 2 toll-fraud class(es), 1 SIP trunk(s)"
check "... and control logs it" wait_log "$TEST_DIR/control.log" "reloaded $CFG: 3 route(s)" 5
check "the call up before the reload is still connected, same call" \
    same "$("$CTL" -c "$CFG" --json show calls | python3 -c 'import json,sys; print([(c["id"], c["state"], c["out"]["span"]) for c in json.load(sys.stdin)["calls"] if c["called"] == "4002"])')" \
         "[($held_id, 'connected', 'carrier-b')]"
check "7701 is now routed to carrier-b and answered" call r77a 7701 300 5072
check "... CDR: route seventy-seven, out carrier-b, 16" \
    same "$(cdr_for 7701 2 && cdr 7701 "(j['route'], j['out']['span'], j['cause'])")" "('seventy-seven', 'carrier-b', 16)"
check "... a 300 ms call's CDR has its final media figures (published when the session was deleted), RTP sent" \
    same "$(cdr 7701 "(j['media']['in']['final'], j['media']['in']['rtp_packets_out'] > 0)")" "(True, True)"
check "the call held across the reload completes normally" call_done held
check "... its CDR: answered, cause 16, cleared by the caller, the route it took" \
    same "$(cdr_for 4002 && cdr 4002 "(j['route'], j['cause'], j['cleared_by'], j['connected_ms'] > 4000)")" \
         "('extensions', 16, 'caller', True)"

# A change needing a restart ([sip] listen) together with the 77 route gone:
# refused, nothing applied.
write_routing_config 5062
reloads=$(grep -c "reloaded $CFG" "$TEST_DIR/control.log")
"$CTL" -c "$CFG" reload >"$TEST_DIR/reload2.txt" 2>&1
rc=$?
check "a reload changing [sip] listen is refused (non-zero exit), naming the table" \
    bash -c "test $rc -ne 0 && grep -q 'reload refused, nothing changed' $TEST_DIR/reload2.txt &&
             grep -qF '[sip] changed: that needs a restart' $TEST_DIR/reload2.txt"
# A broken file: trunkctl -c cannot read its socket from it, so ask
# through the socket; the gateway refuses with FILE:LINE.
write_routing_config 5060
echo 'name = "dangling' >>"$CFG"
broken_line=$(wc -l <"$CFG")
"$CTL" -s "$SOCK" reload >"$TEST_DIR/reload3.txt" 2>&1
rc=$?
check "a reload of a broken file is refused by the gateway with FILE:LINE (non-zero exit)" \
    bash -c "test $rc -ne 0 && grep -q 'reload refused, nothing changed' $TEST_DIR/reload3.txt &&
             grep -qF '$CFG:$broken_line:' $TEST_DIR/reload3.txt"
"$CTL" -c "$CFG" reload >"$TEST_DIR/reload4.txt" 2>&1
rc=$?
check "... and trunkctl -c with that file says FILE:LINE itself (non-zero exit)" \
    bash -c "test $rc -ne 0 && grep -qF '$CFG:$broken_line:' $TEST_DIR/reload4.txt"
check "nothing changed: no reload logged" same "$(grep -c "reloaded $CFG" "$TEST_DIR/control.log")" "$reloads"
check "... 7701 still routed and answered" call r77b 7701 300 5072
# SIGHUP with the broken file: refused, logged with FILE:LINE.
kill -HUP "$PID_control"
check "SIGHUP with the broken file: refused, logged with FILE:LINE" \
    wait_log "$TEST_DIR/control.log" "SIGHUP: reload refused: $CFG:$broken_line:" 10
# SIGHUP with a valid file: 77 gone, 88 (to carrier-a) added, the group
# hunts round robin.
write_routing_config 5060 "$ROUTE_88" round_robin
kill -HUP "$PID_control"
check "SIGHUP reloads the file (logged 'reloaded ... 3 route(s)')" \
    wait_count "$TEST_DIR/control.log" "reloaded $CFG: 3 route(s)" $((reloads + 1)) 10
check "... 7701 has no route any more -> 404" same "$(refused 7701)" "404 Q.850;cause=1"
check "... 8801 is routed to carrier-a and answered" call r88 8801 300 5072
check "... CDR: route eighty-eight, out carrier-a" \
    same "$(cdr_for 8801 && cdr 8801 "(j['route'], j['out']['span'], j['cause'])")" "('eighty-eight', 'carrier-a', 16)"

check "... 4003 answered" call rr1 4003 300 5072
check "... 4004 answered" call rr2 4004 300 5072
check "... the group now hunts round robin: 4003 started at carrier-a (34, hunted to carrier-b), 4004 at carrier-b" \
    same "$(cdr_for 4004 && cdr 4003 "(j['destinations_tried'], j['out']['span'], j['cause'])") $(cdr 4004 "(j['destinations_tried'], j['out']['span'], j['cause'])")" \
         "(['carrier-a:34'], 'carrier-b', 16) ([], 'carrier-b', 16)"

# Totals, metrics, and what the carrier saw.
check "show calls totals: 3 group hunts (4001, 4002, 4003), no failover, 2 without route (7701 before the reload and after SIGHUP)" \
    same "$(totals "(t['group_hunts'], t['failovers'], t['no_route'], t['active'])")" "(3, 0, 2, 0)"
curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics.txt"
check "metrics: toll fraud by result, group hunts; promtool clean" \
    bash -c "grep -qx 'trunkgw_calls_toll_fraud_total{result=\"allowed\"} 2' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_calls_toll_fraud_total{result=\"not_allowed\"} 1' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_calls_toll_fraud_total{result=\"concurrent\"} 1' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_calls_toll_fraud_total{result=\"hourly\"} 0' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_call_group_hunts_total 3' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_call_failovers_total 0' $TEST_DIR/metrics.txt &&
             promtool check metrics <$TEST_DIR/metrics.txt"
check "the gateway: no call left, no RTP session left" \
    same "$("$CTL" -c "$CFG" --json show calls | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["calls"]))') $("$CTL" -c "$CFG" --json show sessions | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sessions"]))')" "0 0"
kill -TERM "$PID_sim"
check "pstn-sim stops" bash -c "timeout 10 tail --pid=$PID_sim -f /dev/null"
check "the carrier never saw the refused calls (09001234, 00441235); it answered the allowed ones on carrier-a" \
    same "$(sim_saw 09001234) $(sim_saw 00441235) $(sim_saw 00441234) $(sim_saw 00441236) $(sim_saw 7701)" \
         "[] [] ['carrier-a:16'] ['carrier-a:16'] ['carrier-b:16', 'carrier-b:16']"
kill -TERM "$PID_control"
wait "$PID_control"
check "control shuts down cleanly (exit status 0)" test $? = 0
echo "duration: $((SECONDS - T0)) s"
finish
