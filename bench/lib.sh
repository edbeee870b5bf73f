# bench/lib.sh: what the benchmarks that run the whole gateway share
# (dataplane_pps.sh, worker_dispatch.sh; testpmd_baseline.sh takes the
# memif-gen helpers). Source it after setting BUILD and repo_root (the
# memif-gen helpers need neither).

# bench_setup NAME ARGS...: re-executes the calling script with ARGS in a
# network namespace of its own (the control's metrics port and sockets
# never meet anything else), then makes $dir (/tmp/trunkgw-NAME.XXXXXX)
# and has every process in $pids ended when the script exits.
bench_setup() {
    local name=$1
    shift
    if [[ ${TRUNKGW_IN_NETNS:-} != 1 ]]; then
        export TRUNKGW_IN_NETNS=1 BUILD
        exec unshare --net -- "$BASH" "$0" "$@"
    fi
    ip link set lo up
    dir=$(mktemp -d "/tmp/trunkgw-$name.XXXXXX")
    pids=()
    trap gateway_stop EXIT
}

# gateway_stop: ends the processes the script started ($pids), by PID
# (continued too: dataplane_pps stops the gateway while testpmd runs, and a
# stopped process only acts on SIGTERM once it runs again).
gateway_stop() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null || true; done
    pids=()
}

# gateway_start CFG LOG: the data plane and control on CFG (their output in
# $dir/LOG-dataplane.log and $dir/LOG-control.log), back once control has
# heard its workers answer; $dataplane_pid and $control_pid are their PIDs.
gateway_start() {
    "$BUILD/dataplane/trunkgw-dataplane" -c "$1" >"$dir/$2-dataplane.log" 2>&1 &
    pids+=($!)
    dataplane_pid=$!
    "$BUILD/control/trunkgw-control" -c "$1" >"$dir/$2-control.log" 2>&1 &
    pids+=($!)
    control_pid=$!
    timeout 60 bash -c 'tail -n +1 -F "$1" 2>/dev/null | grep -q -m1 "answered its first ping"' _ "$dir/$2-control.log" || {
        echo "$(basename "$0"): the gateway did not come up; logs in $dir" >&2
        exit 1
    }
}

# gateway_head_toml NAME POLL_MODE SESSIONS: the [instance] and [dataplane]
# tables of a bench gateway (instance bench-NAME-PID in $dir): room for
# SESSIONS sessions on each worker and a pool of 65,535 mbufs. The caller
# adds its workers and port.
gateway_head_toml() {
    cat <<TOML
[instance]
name = "bench-$1-$$"
run_dir = "$dir"

[dataplane]
main_lcore = 0
memory_mb = 1024
poll_mode = "$2"
sessions_per_worker = $(($3 + 16))
mbufs = 65535

TOML
}

# gateway_media_toml FIRST_PORT SESSIONS: the [media] and [control] tables
# of a bench gateway: SESSIONS port pairs from FIRST_PORT, RTCP every 5 s.
gateway_media_toml() {
    cat <<TOML
[media]
rtp_port_min = $1
rtp_port_max = $(($1 + 2 * $2 + 1))
jitter_delay_ms = 40
rtcp_interval_ms = 5000

[control]
socket = "$dir/control.sock"
metrics_listen = "127.0.0.1:9464"
TOML
}

# memif_gen_start BIN OUT PCAP SOCKET LCORE SECONDS [OPTION...]: bench/memif-gen
# (BIN) sending PCAP as the memif server on SOCKET, in the background (its
# JSON to OUT.json, its log to OUT.log), back once it listens;
# $memif_gen_pid is its PID.
memif_gen_start() {
    local bin=$1 out=$2 pcap=$3 socket=$4 lcore=$5 secs=$6
    shift 6
    "$bin" --pcap "$pcap" --socket "$socket" --lcore "$lcore" --seconds "$secs" "$@" >"$out.json" 2>"$out.log" &
    memif_gen_pid=$!
    if ! timeout 30 bash -c 'until grep -q listening "$1"; do kill -0 "$2" || exit 1; sleep 0.1; done' _ \
        "$out.log" "$memif_gen_pid"; then
        echo "memif-gen did not start: $(cat "$out.log")" >&2
        kill -KILL "$memif_gen_pid" 2>/dev/null || true
        wait "$memif_gen_pid" 2>/dev/null || true
        return 1
    fi
}

# memif_gen_stop PID OUT: ends memif-gen, bounded (SIGTERM, SIGKILL after
# 10 s; continued in case it was stopped). Call it before its client goes: a
# memif server can crash when the client vanishes under it (PLATFORM.md).
# Fails unless it exited 0 on the signal (not on its time bound).
memif_gen_stop() {
    local pid=$1 out=$2 rc=0
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true
    timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" || rc=$?
    if ((rc != 0)) || ! grep -q '"ended_by":"signal"' "$out.json"; then
        echo "memif-gen (exit $rc) did not end on the signal: $(tail -n 3 "$out.log") $(cat "$out.json")" >&2
        return 1
    fi
}
