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

for cfg in "$SOURCE_DIR"/deploy/*.toml "$SOURCE_DIR"/deploy/examples/*.toml; do
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
check "prometheus loaded the five alert rules" \
    bash -c "curl -sf http://127.0.0.1:9090/api/v1/rules | python3 -c 'import json,sys; g=json.load(sys.stdin)[\"data\"][\"groups\"]; sys.exit(0 if sum(len(x[\"rules\"]) for x in g)==5 else 1)'"
finish
