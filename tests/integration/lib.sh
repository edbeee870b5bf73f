# Shared helpers for integration tests that run the real processes.
# Every test runs in its own network namespace (see enter_netns) and temp dir,
# ends only the processes it started (by PID), and counts its checks.

set -u
# The system interpreter when there is one: a pyenv shim first on PATH
# costs ~0.7 s a start, and tests start python dozens of times (exported:
# `bash -c` checks see it too).
if [ -x /usr/bin/python3 ]; then
    python3() { /usr/bin/python3 "$@"; }
    export -f python3
fi
CHECKS=0
FAILURES=0
# Each check's line says when it finished, in seconds since the test began,
# so the suite's time budget (CI: 15 minutes) can be read from a log.
# (Microseconds: EPOCHREALTIME without its locale's decimal separator.)
TEST_STARTED_US=${EPOCHREALTIME/[^0-9]/}
STARTED_PIDS=()
# The gateway's binaries in the build under test (the tests source this
# file after setting BUILD_DIR from their second argument).
DP=${BUILD_DIR:?set BUILD_DIR before sourcing lib.sh}/dataplane/trunkgw-dataplane
CP=$BUILD_DIR/control/trunkgw-control
CTL=$BUILD_DIR/control/cli/trunkctl

# Re-executes the calling script inside a fresh network namespace with only
# loopback up, so ports never clash with the host or other tests.
enter_netns() {
    if [ "${TRUNKGW_IN_NETNS:-}" != 1 ]; then
        export TRUNKGW_IN_NETNS=1
        exec unshare --net -- "$BASH" "$0" "$@"
    fi
    ip link set lo up
    TEST_DIR=$(mktemp -d /tmp/trunkgw-it.XXXXXX)
    # Whatever ends the script (a failure, a signal, a closed pipe), the
    # processes it started end with it.
    trap stop_started EXIT
    trap 'exit 130' INT TERM PIPE
}

check() {  # check "description" command...
    local what=$1
    shift
    CHECKS=$((CHECKS + 1))
    local verdict="ok  "
    if ! "$@"; then
        verdict=FAIL
        FAILURES=$((FAILURES + 1))
    fi
    local elapsed=$((${EPOCHREALTIME/[^0-9]/} - TEST_STARTED_US))
    echo "$verdict - $what [$((elapsed / 1000000)).$((elapsed / 100000 % 10)) s]"
}

# same ACTUAL EXPECTED: true when equal; otherwise says what it got (for
# check "..." same "$(...)" "...": a failure shows the values).
same() {
    [ "$1" = "$2" ] && return 0
    echo "       got:      $1" >&2
    echo "       expected: $2" >&2
    return 1
}

# wait_equal SECONDS EXPECTED COMMAND...: polls COMMAND's output until it is
# EXPECTED; bounded. Only for states no log line announces (trunkctl's view
# of calls, trunks, counters published once a second).
wait_equal() {
    local deadline=$((SECONDS + $1)) expected=$2
    shift 2
    while [ "$("$@")" != "$expected" ]; do
        [ "$SECONDS" -lt "$deadline" ] || { same "$("$@")" "$expected"; return; }
        sleep 0.1
    done
}

# wait_count FILE PATTERN N SECONDS: returns once PATTERN has matched N
# lines of FILE (from its start; inotify via tail -F: woken by each write,
# not by polling), or fails after SECONDS. The tail is ended at once: left
# to itself it would linger until the file's next write.
wait_count() {
    local fd tail_pid n
    exec {fd}< <(exec tail -n +1 -F "$1" 2>/dev/null)
    tail_pid=$!
    n=$(timeout "$4" grep -m "$3" -c -- "$2" <&"$fd")
    kill "$tail_pid" 2>/dev/null
    exec {fd}<&-
    [ "$n" = "$3" ]
}

# wait_log FILE PATTERN SECONDS: returns when PATTERN appears in FILE.
wait_log() {
    wait_count "$1" "$2" 1 "$3"
}

# start NAME command...: runs it in the background, logging to $TEST_DIR/NAME.log
start() {
    local name=$1
    shift
    "$@" >"$TEST_DIR/$name.log" 2>&1 &
    local pid=$!
    STARTED_PIDS+=("$pid")
    eval "PID_$name=$pid"
}

stop_started() {
    for pid in "${STARTED_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${STARTED_PIDS[@]}"; do
        # Bounded: SIGKILL whatever has not stopped within 10 s.
        timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    done
}

finish() {
    stop_started
    echo "$CHECKS checks, $FAILURES failed"
    if [ "$FAILURES" -ne 0 ]; then
        echo "--- logs in $TEST_DIR"
        for f in "$TEST_DIR"/*.log; do
            echo "=== $f"
            tail -n 40 "$f"
        done
        exit 1
    fi
    # TRUNKGW_KEEP_TEST_DIR=1 keeps the logs of a passing run (timings).
    if [ "${TRUNKGW_KEEP_TEST_DIR:-}" = 1 ]; then
        echo "--- logs kept in $TEST_DIR"
    else
        rm -rf "$TEST_DIR"
    fi
    exit 0
}

# proc_status_kb PID FIELD: a kB field of /proc/PID/status (VmRSS, VmHWM, VmSize).
proc_status_kb() {
    awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"
}

# json_get FILE PYTHON-EXPR: evaluates EXPR with j = the parsed JSON file.
json_get() {
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# A config for this test: the embedded default with our own instance,
# run dir and sockets.
write_config() {
    local file=$1 instance=$2
    sed -e "s#^name = \"default\"#name = \"$instance\"#" \
        -e "s#/run/trunkgw/default-control.sock#$TEST_DIR/control.sock#" \
        -e "s#^run_dir = \"/run/trunkgw\"#run_dir = \"$TEST_DIR\"#" \
        "$SOURCE_DIR/deploy/trunkgw.toml" >"$file"
}

# gateway_toml_head NAME CIDR [SESSIONS]: the [instance], [dataplane] (room
# for SESSIONS sessions, default 64), one worker on CPU 1 and one media port
# with address CIDR: a TAP ($TAP) that the call tests share, or the DPDK
# device $PORT_VDEV when set; each test appends its spans, [sip] and routes.
gateway_toml_head() {
    cat <<TOML
[instance]
name = "$1"
run_dir = "$TEST_DIR"

[dataplane]
main_lcore = 0
memory_mb = 256
poll_mode = "adaptive"
sessions_per_worker = ${3:-64}

[[dataplane.worker]]
id = 1
lcore = 1

[[port]]
id = 1
name = "media0"
vdev = "${PORT_VDEV:-net_tap0,iface=$TAP}"
addresses = ["$2"]

TOML
}

# --- baresip (an independent SIP UA) and the gateway's calls, for the tests
# that run them (baresip, sip_security). CTL, CFG, TEST_DIR: the test's.

# bctl COMMAND [PARAMS]: one command to baresip's ctrl_tcp (netstring JSON);
# prints its response's data, fails unless it says ok (bounded: 5 s).
bctl() {
    python3 - "$@" <<'PY'
import json, socket, sys
s = socket.create_connection(("127.0.0.1", 4444), timeout=5)
req = json.dumps({"command": sys.argv[1], "params": " ".join(sys.argv[2:]), "token": "t"}).encode()
s.sendall(b"%d:%s," % (len(req), req))
buf = b""
while True:
    while b":" in buf:
        n, rest = buf.split(b":", 1)
        if len(rest) < int(n) + 1:
            break
        msg, buf = json.loads(rest[:int(n)]), rest[int(n) + 1:]
        if msg.get("response"):
            print(msg.get("data", ""))
            sys.exit(0 if msg.get("ok") else 1)
    chunk = s.recv(4096)
    if not chunk:
        sys.exit(1)
    buf += chunk
PY
}

show_calls() {  # the gateway's calls up now, "state:in->out" each, or "none"
    "$CTL" -c "$CFG" --json show calls |
        python3 -c 'import json,sys; print(" ".join("%s:%s->%s" % (c["state"], c["in"].get("sip_trunk", c["in"].get("span")), c.get("out", {}).get("sip_trunk", c.get("out", {}).get("span"))) for c in json.load(sys.stdin)["calls"]) or "none")'
}

# judge_wav FILE: SINAD/level of the 1004 Hz tone in a WAV baresip dumped
# (16-bit linear, any rate and channel count), as audio-judge sees it once
# brought to 8 kHz mono A-law.
judge_wav() {
    python3 -W ignore::DeprecationWarning - "$1" "$TEST_DIR/judge.alaw" <<'PY'
import audioop, sys, wave
w = wave.open(sys.argv[1])
data = w.readframes(w.getnframes())
if w.getnchannels() == 2:
    data = audioop.tomono(data, 2, 0.5, 0.5)
if w.getframerate() != 8000:
    data, _ = audioop.ratecv(data, 2, 1, w.getframerate(), 8000, None)
open(sys.argv[2], "wb").write(audioop.lin2alaw(data, 2))
PY
    "$BUILD_DIR/bench/audio-judge" --law alaw --raw "$TEST_DIR/judge.alaw"
}
