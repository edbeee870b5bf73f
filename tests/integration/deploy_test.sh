#!/bin/bash
# deploy/ stays true: every example config passes --check in all three
# programs, the Prometheus config and rules pass promtool, the scripts the
# README names exist and are executable, and the alert rules name only
# series the exporter really serves.
# usage: deploy_test.sh SOURCE_DIR BUILD_DIR
SOURCE_DIR=$1
BUILD_DIR=$2
. "$SOURCE_DIR/tests/integration/lib.sh"
enter_netns "$@"

# An example with [sip.tls] names a certificate directory --check reads:
# without one it is refused naming the file; with a throwaway CA and
# certificate made here (the same path rewritten) it passes.
make_tls_dir() {  # make_tls_dir DIR: agent.pem (key + certificate) and cafile.pem
    mkdir -p "$1" &&
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/ca.key" -out "$1/cafile.pem" -days 2 \
            -subj "/CN=deploy-test CA" 2>/dev/null &&
        openssl req -newkey rsa:2048 -nodes -keyout "$1/agent.key" -out "$1/agent.csr" -subj "/CN=192.0.2.1" 2>/dev/null &&
        openssl x509 -req -in "$1/agent.csr" -CA "$1/cafile.pem" -CAkey "$1/ca.key" -CAcreateserial \
            -out "$1/agent.crt" -days 2 2>/dev/null &&
        cat "$1/agent.key" "$1/agent.crt" >"$1/agent.pem"
}
for cfg in "$SOURCE_DIR"/deploy/*.toml "$SOURCE_DIR"/deploy/examples/*.toml; do
    if dir=$(sed -n 's/^certificate_dir = "\(.*\)"/\1/p' "$cfg") && test -n "$dir"; then
        check "$(basename "$cfg") without $dir is refused, naming agent.pem" \
            bash -c "out=\$('$BUILD_DIR/control/trunkgw-control' --check -c '$cfg' 2>&1); test \$? -ne 0 &&
                     grep -q 'cannot read $dir/agent.pem' <<<\"\$out\""
        check "a throwaway CA and certificate for $(basename "$cfg")" make_tls_dir "$TEST_DIR/tls"
        sed "s|^certificate_dir = \".*\"|certificate_dir = \"$TEST_DIR/tls\"|" "$cfg" >"$TEST_DIR/$(basename "$cfg")"
        cfg=$TEST_DIR/$(basename "$cfg")
    fi
    check "$(basename "$cfg") passes trunkgw-control --check" "$BUILD_DIR/control/trunkgw-control" --check -c "$cfg"
    check "$(basename "$cfg") passes trunkgw-dataplane --check" "$BUILD_DIR/dataplane/trunkgw-dataplane" --check -c "$cfg"
done
check "prometheus.yml passes promtool" promtool check config "$SOURCE_DIR/deploy/prometheus/prometheus.yml"
check "alert rules pass promtool" promtool check rules "$SOURCE_DIR/deploy/prometheus/trunkgw-alerts.yml"
for cmd in deploy/demo tests/run deploy/install-deps deploy/build .ci/run bench/run; do
    check "$cmd is executable" test -x "$SOURCE_DIR/$cmd"
done
check "the README starts with the two commands" \
    bash -c "grep -m2 -E '^(deploy/demo|tests/run) ' '$SOURCE_DIR/README.md' | wc -l | grep -qx 2"

# Every trunkgw_* series an alert uses is one the exporter serves.
CFG=$TEST_DIR/trunkgw.toml
write_config "$CFG" "it-deploy-$$"
start dataplane "$BUILD_DIR/dataplane/trunkgw-dataplane" -c "$CFG"
start control "$BUILD_DIR/control/trunkgw-control" -c "$CFG"
check "control attaches" wait_log "$TEST_DIR/control.log" "answered its first ping" 30
curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics.txt"
for series in $(grep -oE 'trunkgw_[a-z0-9_]+' "$SOURCE_DIR/deploy/prometheus/trunkgw-alerts.yml" | sort -u); do
    check "alert series $series is exported" grep -q "^# TYPE $series " "$TEST_DIR/metrics.txt"
done
# A real Prometheus server scrapes the exporter with deploy/'s scrape config
# and loads deploy/'s alert rules.
sed 's/scrape_interval: 15s/scrape_interval: 1s/' "$SOURCE_DIR/deploy/prometheus/prometheus.yml" >"$TEST_DIR/prometheus.yml"
cp "$SOURCE_DIR/deploy/prometheus/trunkgw-alerts.yml" "$TEST_DIR/"
start prometheus prometheus --config.file="$TEST_DIR/prometheus.yml" --storage.tsdb.path="$TEST_DIR/tsdb" \
    --web.listen-address=127.0.0.1:9090
check "prometheus starts with our config and rules" \
    wait_log "$TEST_DIR/prometheus.log" "Server is ready to receive web requests" 30
# No event tells us a scrape happened: ask, at most 30 times, 0.5 s apart.
query() {
    curl -sf "http://127.0.0.1:9090/api/v1/query?query=$1" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
scraped() {
    for _ in $(seq 30); do
        [ "$(query 'up%7Bjob%3D%22trunkgw%22%7D')" = 1 ] && return 0
        sleep 0.5
    done
    return 1
}
check "prometheus scrapes the gateway (up == 1)" scraped
check "prometheus stores trunkgw series (dataplane attached)" test "$(query trunkgw_dataplane_attached)" = 1
rules=$(grep -c '^ *- alert:' "$SOURCE_DIR/deploy/prometheus/trunkgw-alerts.yml")
check "prometheus loaded the $rules alert rules" \
    bash -c "curl -sf http://127.0.0.1:9090/api/v1/rules | python3 -c 'import json,sys; g=json.load(sys.stdin)[\"data\"][\"groups\"]; sys.exit(0 if sum(len(x[\"rules\"]) for x in g)==$rules else 1)'"
finish
