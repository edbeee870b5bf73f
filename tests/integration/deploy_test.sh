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
finish
