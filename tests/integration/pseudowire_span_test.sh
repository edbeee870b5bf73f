#!/bin/bash
# A span whose line is a SAToP pseudowire through a real DPDK port (net_tap,
# or net_af_packet on a veth pair) to a far end on the kernel's UDP stack
# (pw-peer): ARP both ways, ICMP echo,
# the E1 framed with CRC-4 in both directions, the span up in trunkctl and
# Prometheus, Q.921 frames from the far end delivered into the D-channel
# ring towards control.
# usage: pseudowire_span_test.sh SOURCE_DIR BUILD_DIR [tap|af_packet]
SOURCE_DIR=$1
BUILD_DIR=$2
PORT_KIND=${3:-tap}
. "$SOURCE_DIR/tests/integration/lib.sh"
enter_netns "$@"

PEER=$BUILD_DIR/bench/pw-peer
CFG=$TEST_DIR/trunkgw.toml
INSTANCE=it-pw-$$
PORT_IF=tgwpw$$
if [ "$PORT_KIND" = af_packet ]; then
    # A veth pair: DPDK's packet socket on one end, the far end's kernel
    # stack on the other. That end computes its UDP checksums itself: a
    # packet socket would get them unfinished (CHECKSUM_PARTIAL).
    PEER_IF=tgwpp$$
    ip link add "$PORT_IF" type veth peer name "$PEER_IF"
    ip link set dev "$PEER_IF" address 02:00:00:00:77:02
    ethtool -K "$PEER_IF" tx off >/dev/null
    ip addr add 10.77.0.2/24 dev "$PEER_IF"
    ip link set "$PORT_IF" up && ip link set "$PEER_IF" up
    VDEV="net_af_packet0,iface=$PORT_IF,qpairs=1"
else
    VDEV="net_tap0,iface=$PORT_IF"
fi
cat >"$CFG" <<TOML
[instance]
name = "$INSTANCE"
run_dir = "$TEST_DIR"

[dataplane]
main_lcore = 0
memory_mb = 256
poll_mode = "adaptive"

[[dataplane.worker]]
id = 1
lcore = 1

[[port]]
id = 1
name = "pw0"
vdev = "$VDEV"
addresses = ["10.77.0.1/24"]

[[span]]
id = 1
name = "mux-e1"
type = "e1"
worker = 1
crc4 = true
[span.pseudowire]
mode = "satop"
port = "pw0"
remote_address = "10.77.0.2"
local_udp_port = 50001
remote_udp_port = 50001
# 16 ms: the test machine has 2 cores and other tests' builds beside it.
jitter_packets = 16

[control]
socket = "$TEST_DIR/control.sock"
metrics_listen = "127.0.0.1:9464"
TOML

start dataplane "$DP" -c "$CFG"
start control "$CP" -c "$CFG"
check "the data plane is ready" wait_log "$TEST_DIR/dataplane.log" "trunkgw-dataplane .* ready" 30
check "control attaches" wait_log "$TEST_DIR/control.log" "answered its first ping" 30
if [ "$PORT_KIND" = tap ]; then
    # The kernel side of the tap is the far end's host. DPDK's tap PMD gives
    # the kernel interface the port's own MAC: give it its own, or every frame
    # would look like our own frame looped back (and is dropped as such).
    ip link set dev "$PORT_IF" address 02:00:00:00:77:02
    ip addr add 10.77.0.2/24 dev "$PORT_IF" && ip link set "$PORT_IF" up
fi
# The kernel may have learned our MAC from our own ARP request already (a
# veth is up before the data plane starts): forget it, so that it asks.
ip neigh flush dev "${PEER_IF:-$PORT_IF}"
check "ICMP echo to our address is answered (ARP resolved by our responder)" \
    ping -c 3 -i 0.2 -W 2 10.77.0.1

start peer "$PEER" --local 10.77.0.2:50001 --remote 10.77.0.1:50001 --seconds 6 --send-frames 5 --jitter-packets 16
check "the span comes up once the far end sends" wait_log "$TEST_DIR/control.log" "span mux-e1 up" 10
# A loaded 2-core machine can cost a packet and flap the span for a few
# ms: look at most 20 times, 100 ms apart, for the steady state.
span_up() {
    "$CTL" -c "$CFG" --json show spans >"$TEST_DIR/spans.json" &&
        test "$(json_get "$TEST_DIR/spans.json" "(lambda s: s['state']=='up' and s['alarms']=='' and s['counters']['pw_packets_rx']>0 and s['counters']['pw_packets_tx']>0)(j['spans'][0])")" = True
}
check "show spans: up, no alarms, packets both ways" \
    bash -c "for i in \$(seq 20); do $(declare -f json_get span_up); CTL=$CTL CFG=$CFG TEST_DIR=$TEST_DIR span_up && exit 0; sleep 0.1; done; exit 1"
check "human show spans shows the span up" bash -c "$CTL -c $CFG show spans | grep -Eq '^1 +mux-e1 +e1 +1 +up +- '"
curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics.txt"
check "metrics: span up and counting, promtool clean" \
    bash -c "grep -q '^trunkgw_span_state{span=\"mux-e1\",state=\"up\"} 1' $TEST_DIR/metrics.txt &&
             grep -qE '^trunkgw_span_pw_packets_rx_total\{span=\"mux-e1\"\} [1-9]' $TEST_DIR/metrics.txt &&
             promtool check metrics <$TEST_DIR/metrics.txt"

check "metrics: the packet layer answered 3 echoes and at least one ARP request" \
    bash -c "grep -qx 'trunkgw_net_icmp_replies_sent_total{worker=\"1\"} 3' $TEST_DIR/metrics.txt &&
             grep -qE '^trunkgw_net_arp_replies_sent_total\{worker=\"1\"\} [1-9]' $TEST_DIR/metrics.txt &&
             grep -q '^trunkgw_net_drops_total{worker=\"1\",reason=\"looped_back\"} 0' $TEST_DIR/metrics.txt"
# The port's own statistics (rte_eth_stats from its PMD): nothing lost
# before the worker, and the series are there for a NIC that does lose.
check "metrics: the port's own drop counters, zero" \
    bash -c "grep -qx 'trunkgw_net_nic_rx_missed_total{worker=\"1\"} 0' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_net_nic_rx_nombuf_total{worker=\"1\"} 0' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_net_nic_tx_errors_total{worker=\"1\"} 0' $TEST_DIR/metrics.txt"
check "the far end finishes" bash -c "timeout 20 tail --pid=$PID_peer -f /dev/null"
tail -n 1 "$TEST_DIR/peer.log" >"$TEST_DIR/peer.json"
# Packets sent before ARP resolved the far end are lost by design (counted
# as pw_tx_no_route), and on a loaded 2-core machine a late tick can cost a
# packet: allow 1%, never a CRC error or a malformed packet.
check "the far end was in frame with CRC-4, no CRC errors, under 1% loss" \
    test "$(json_get "$TEST_DIR/peer.json" "j['alarms']==0 and j['crc_errors']==0 and j['pw_malformed']==0 and j['pw_rx']>4000 and j['pw_lost'] <= j['pw_rx'] / 100")" = True
check "the far end sent its 5 Q.921 frames" test "$(json_get "$TEST_DIR/peer.json" "j['dchan_frames_tx']")" = 5
"$CTL" -c "$CFG" --json show spans >"$TEST_DIR/spans2.json"
check "the gateway's HDLC received the 5 frames with no FCS errors" \
    test "$(json_get "$TEST_DIR/spans2.json" "(j['spans'][0]['counters']['dchan_frames_rx'], j['spans'][0]['counters']['dchan_crc_errors'])")" = "(5, 0)"
"$CTL" -c "$CFG" --json show counters >"$TEST_DIR/counters.json"
check "... and pushed them into the D-channel ring towards control" \
    test "$(json_get "$TEST_DIR/counters.json" "[r for r in j['rings'] if r['ring']=='dchannel_rx'][0]['pushed']")" = 5
check "the far end going silent takes the span to alarm (loss of packets)" \
    wait_log "$TEST_DIR/control.log" "span mux-e1 alarm, alarms los" 10
finish
