#!/bin/bash
# The spine with the real binaries: trunkgw-dataplane on virtual ports,
# trunkgw-control attached, trunkctl and the metrics endpoint judged by
# promtool; control SIGKILLed and restarted re-attaches while the data plane
# keeps running; refusals are clear.
# usage: spine_test.sh SOURCE_DIR BUILD_DIR
SOURCE_DIR=$1
BUILD_DIR=$2
. "$SOURCE_DIR/tests/integration/lib.sh"
enter_netns "$@"

CFG=$TEST_DIR/trunkgw.toml
INSTANCE=it-spine-$$
write_config "$CFG" "$INSTANCE"

check "config passes --check in both processes" \
    bash -c "$DP --check -c $CFG && $CP --check -c $CFG"

BAD=$SOURCE_DIR/tests/unit/control/bad_configs/duplicate_span_id.toml
check "--check refuses a bad config with FILE:LINE: reason and a non-zero exit" \
    bash -c "! $CP --check -c $BAD 2>$TEST_DIR/bad.err && grep -q '^$BAD:28: duplicate span id 1' $TEST_DIR/bad.err"
check "the data plane refuses the same config the same way" \
    bash -c "! $DP --check -c $BAD 2>$TEST_DIR/bad2.err && cmp -s $TEST_DIR/bad.err $TEST_DIR/bad2.err"
check "trunkctl refuses it too before connecting" \
    bash -c "! $CTL -c $BAD show status 2>$TEST_DIR/bad3.err && grep -q '^$BAD:28:' $TEST_DIR/bad3.err"

check "trunkctl fails with a clear error while control is down" \
    bash -c "! $CTL -c $CFG show status 2>$TEST_DIR/err && grep -q 'cannot reach trunkgw-control' $TEST_DIR/err"

# Control first: it must wait for the data plane, retrying.
start control "$CP" -c "$CFG"
check "control waits for the data plane" wait_log "$TEST_DIR/control.log" "waiting for the data plane" 10
start dataplane "$DP" -c "$CFG"
check "control attaches once the data plane is up" \
    wait_log "$TEST_DIR/control.log" "attached to data plane pid $PID_dataplane" 30
check "the worker answers control's ping" wait_log "$TEST_DIR/control.log" "worker 1 answered" 10
check "the mbuf pool caches 512 per lcore (DPDK's most: a tick's sends fit without cold mbufs)" \
    grep -q "mbuf pool: 8191 mbufs, 512 cached per lcore" "$TEST_DIR/dataplane.log"

"$CTL" -c "$CFG" --json show status >"$TEST_DIR/status1.json"
check "a second data plane of the same instance is refused" \
    bash -c "! timeout 20 $DP -c $CFG >$TEST_DIR/dp2.log 2>&1 && grep -q 'instance $INSTANCE is already running (trunkgw-dataplane pid $PID_dataplane)' $TEST_DIR/dp2.log"
check "show status: attached to our data plane" \
    test "$(json_get "$TEST_DIR/status1.json" "j['dataplane']['attached'] and j['dataplane']['pid']")" = "$PID_dataplane"
check "show status: every worker attached and running" \
    test "$(json_get "$TEST_DIR/status1.json" "len(j['workers']) >= 1 and all(w['attached'] and w['state']=='running' for w in j['workers'])")" = True
check "show status: metrics URL and versions" \
    test "$(json_get "$TEST_DIR/status1.json" "j['metrics_url']+' '+j['version']+' '+str(j['abi_version'])")" = "http://127.0.0.1:9464/metrics 0.1.0 10"
check "show status: the port, and one worker on it (nothing to steer)" \
    test "$(json_get "$TEST_DIR/status1.json" "[(p['name'], p['udp_to_worker'], p['flow_steering']) for p in j['ports']]")" = "[('media0', 'one worker', False)]"
check "show status: the span is listed" \
    test "$(json_get "$TEST_DIR/status1.json" "j['spans'][0]['name']")" = "carrier-e1-1"
check "human show status prints the worker table" \
    bash -c "$CTL -c $CFG show status | grep -Eq '^1 +1 +running +yes'"
check "human show counters prints ring rows" \
    bash -c "$CTL --socket $TEST_DIR/control.sock show counters | grep -Eq '^command +worker 1 +[0-9]+ +[0-9]+ +0 '"
"$CTL" -c "$CFG" --json show counters >"$TEST_DIR/counters.json"
check "show counters: worker loops, sleeps and ticks count" \
    test "$(json_get "$TEST_DIR/counters.json" "all(w['loops']>0 and w['sleeps']>0 and w['ticks']>0 for w in j['workers'])")" = True
# The ticks' time, in seconds: more than none, and (an idle gateway ticking
# 1 ms at a time) well under the ticks' own span.
check "show counters: the ticks' busy time is counted, under their span" \
    test "$(json_get "$TEST_DIR/counters.json" "all(0 < w['tick_busy_seconds'] < 0.5 * w['ticks'] / 1000 for w in j['workers'])")" = True
check "show counters: the command ring carried the pings" \
    test "$(json_get "$TEST_DIR/counters.json" "[r for r in j['rings'] if r['ring']=='command'][0]['popped'] >= 1")" = True

curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics.txt"
check "metrics pass promtool check metrics" bash -c "promtool check metrics <$TEST_DIR/metrics.txt"
check "metrics have no duplicate series" \
    bash -c "grep -v '^#' $TEST_DIR/metrics.txt | sed 's/ [^ ]*\$//' | sort | uniq -d | wc -l | grep -qx 0"
check "metrics: attached, worker up, ring counters" \
    bash -c "grep -qx 'trunkgw_dataplane_attached 1' $TEST_DIR/metrics.txt &&
             grep -q '^trunkgw_worker_up{worker=\"1\",lcore=\"1\"} 1' $TEST_DIR/metrics.txt &&
             grep -q '^trunkgw_ring_pushed_total{ring=\"command\",worker=\"1\"}' $TEST_DIR/metrics.txt &&
             grep -q '^trunkgw_span_state{span=\"carrier-e1-1\",state=\"alarm\"} 1' $TEST_DIR/metrics.txt"
check "metrics: the ticks' busy time in seconds (a fraction, not nanoseconds)" \
    bash -c "grep -E '^trunkgw_worker_tick_busy_seconds_total\{worker=\"1\",lcore=\"1\"\} ' $TEST_DIR/metrics.txt |
             awk '{ v = \$2; n++ } END { exit !(n == 1 && v > 0 && v < 100) }'"

check "a second control on the same socket is refused" \
    bash -c "! timeout 10 $CP -c $CFG >$TEST_DIR/second.log 2>&1 && grep -q 'already serves' $TEST_DIR/second.log"
sed "s#$TEST_DIR/control.sock#$TEST_DIR/other.sock#" "$CFG" >"$TEST_DIR/other.toml"
check "a taken metrics port is a clear startup error" \
    bash -c "! timeout 10 $CP -c $TEST_DIR/other.toml >$TEST_DIR/port.log 2>&1 && grep -q 'cannot serve metrics on 127.0.0.1:9464' $TEST_DIR/port.log"

# Control dies hard; the data plane keeps running; a new control re-attaches.
dp_uptime1=$(json_get "$TEST_DIR/status1.json" "j['dataplane']['uptime_s']")
epoch1=$(json_get "$TEST_DIR/status1.json" "j['dataplane']['epoch']")
kill -KILL "$PID_control"
check "the data plane notices control's death" \
    wait_log "$TEST_DIR/dataplane.log" "control pid $PID_control detached" 10
check "the data plane survives control's death" kill -0 "$PID_dataplane"
start control2 "$CP" -c "$CFG"
check "a restarted control re-attaches" \
    wait_log "$TEST_DIR/control2.log" "attached to data plane pid $PID_dataplane" 30
check "the worker answers the new control" wait_log "$TEST_DIR/control2.log" "worker 1 answered" 10
"$CTL" -c "$CFG" --json show status >"$TEST_DIR/status2.json"
check "same data plane, same epoch, second attach" \
    test "$(json_get "$TEST_DIR/status2.json" "(j['dataplane']['pid'], j['dataplane']['epoch'], j['dataplane']['control_attaches'])")" = "($PID_dataplane, $epoch1, 2)"
check "the data plane's uptime kept counting across the control restart" \
    test "$(json_get "$TEST_DIR/status2.json" "j['dataplane']['uptime_s'] > $dp_uptime1")" = True
check "control's own uptime restarted" \
    test "$(json_get "$TEST_DIR/status2.json" "j['control']['pid'] == $PID_control2 and j['control']['uptime_s'] < j['dataplane']['uptime_s']")" = True

# The data plane stops cleanly; control notices and waits for the next one.
kill -TERM "$PID_dataplane"
check "the data plane stops cleanly on SIGTERM" bash -c "timeout 20 tail --pid=$PID_dataplane -f /dev/null"
wait "$PID_dataplane"
check "... with exit status 0" test $? -eq 0
check "control notices and goes back to waiting" \
    wait_log "$TEST_DIR/control2.log" "detached from the data plane" 10
check "the segment is removed" test ! -e "/dev/shm/trunkgw-$INSTANCE"
"$CTL" -c "$CFG" --json show status >"$TEST_DIR/status3.json"
check "show status reports the detach" \
    test "$(json_get "$TEST_DIR/status3.json" "j['dataplane']['attached']")" = False

finish
