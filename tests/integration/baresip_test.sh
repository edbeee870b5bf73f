#!/bin/bash
# Calls between an independent SIP user agent, baresip (Debian's 1.0), and the
# carrier through the gateway, real processes only: the gateway (data plane +
# control with Sofia-SIP on 127.0.0.1:5060), baresip (SIP on 127.0.0.1:5070,
# its RTP on the TAP's kernel side, a 1004 Hz sine from its ausine module as
# microphone, what it decodes dumped to WAV by its sndfile module, driven
# through its ctrl_tcp module) and bench/pstn-sim (the carrier, E1 EuroISDN
# on a SAToP pseudowire, answering with a 1004 Hz tone).
#   0. The trunk to baresip is watched by OPTIONS every second: baresip
#      answers each (404: the URI names no user), so the trunk stays up.
#   1. PRI -> gateway -> baresip: pstn-sim calls 2001, baresip answers by
#      itself (answermode=auto); baresip logs the call established, the
#      gateway shows it connected; each 1004 Hz tone is measured at the other
#      end (pstn-sim on its B-channel, the WAV baresip decoded); pstn-sim
#      clears with 16 after 6 s: baresip gets BYE with Reason Q.850 16 and
#      ends its call, the CDR says 16 cleared by the caller, no call is left.
#   2. baresip -> gateway -> PRI: baresip dials 5551 (ctrl_tcp), pstn-sim
#      answers; established on both sides, tones both ways again; baresip
#      hangs up after 5 s: baresip ends its call, pstn-sim is cleared by the
#      gateway with 16, the CDR says 16 cleared by the caller, no call is left.
# Takes ~30 s (most of it the two calls' hold times and the D-channel's
# start).
# usage: baresip_test.sh SOURCE_DIR BUILD_DIR
SOURCE_DIR=$1
BUILD_DIR=$2
. "$SOURCE_DIR/tests/integration/lib.sh"
enter_netns "$@"

SIM=$BUILD_DIR/bench/pstn-sim
CFG=$TEST_DIR/trunkgw.toml
TAP=tgwbs$$
BS_DIR=$TEST_DIR/baresip
{
gateway_toml_head "it-baresip-$$" 10.84.0.1/24
cat <<TOML
[[span]]
id = 1
name = "carrier"
type = "e1"
worker = 1
[span.pseudowire]
mode = "satop"
port = "media0"
remote_address = "10.84.0.2"
local_udp_port = 52001
remote_udp_port = 52001
jitter_packets = 16
[span.isdn]
side = "user"
switch_type = "euroisdn_e1"

[sip]
listen = "127.0.0.1:5060"
transport = "udp"

# baresip answers OPTIONS (404 to our user-less URI, which counts as alive):
# the keepalive stays on.
[[sip.trunk]]
name = "baresip"
peers = ["127.0.0.1:5070"]
max_calls = 4
options_interval_s = 1

[[route]]
name = "baresip-out"
called_prefix = "555"
from = ["baresip"]
to = ["carrier"]

[[route]]
name = "to-baresip"
called_prefix = "2001"
from = ["carrier"]
to = ["baresip"]

[media]
rtp_port_min = 16384
rtp_port_max = 16511

[cdr]
path = "cdr.jsonl"

[control]
socket = "$TEST_DIR/control.sock"
metrics_listen = "127.0.0.1:9464"
TOML
} >"$CFG"

# baresip: no sound card. ausine (48 kHz stereo only in 1.0) is the
# microphone, no player module (received audio is decoded and filtered, then
# dropped), sndfile dumps each call's decoded audio to a WAV in $BS_DIR.
# Its media address is the TAP's kernel side (net_interface), its SIP
# 127.0.0.1:5070; its account's domain is the gateway, so "5551" dials
# sip:5551@127.0.0.1:5060. baresip 1.0 takes an INVITE only when the
# Request-URI's user is an account's (else 404): the account is 2001, the
# number the carrier calls.
mkdir -p "$BS_DIR"
cat >"$BS_DIR/config" <<CONF
poll_method		epoll
sip_listen		127.0.0.1:5070
net_interface		$TAP
call_local_timeout	20
call_max_calls		1
audio_source		ausine,1004
ausrc_srate		48000
ausrc_channels		2
audio_level		no
rtp_ports		41000-41099
rtp_stats		yes
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			sndfile.so
snd_path		$BS_DIR
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
statmode_default	off
ctrl_tcp_listen		127.0.0.1:4444
CONF
echo '<sip:2001@127.0.0.1:5060;transport=udp>;regint=0;answermode=auto;audio_codecs=PCMA' >"$BS_DIR/accounts"

trunk_state() {  # the baresip trunk: "STATE OPTIONS-SENT>=3 OPTIONS-FAILED"
    "$CTL" -c "$CFG" --json show sip trunks |
        python3 -c 'import json,sys; t=json.load(sys.stdin)["trunks"][0]; print(t["state"], t["options_sent"] >= 3, t["options_failed"])'
}

start dataplane "$DP" -c "$CFG"
check "the data plane is ready" wait_log "$TEST_DIR/dataplane.log" "trunkgw-dataplane .* ready" 30
ip link set dev "$TAP" address 02:00:00:00:84:02
ip addr add 10.84.0.2/24 dev "$TAP" && ip link set "$TAP" up
# -s: SIP trace into its log; -t: it ends by itself even if the test dies.
start baresip stdbuf -oL baresip -f "$BS_DIR" -s -t 120
check "baresip is ready (SIP on 127.0.0.1:5070, media on the TAP)" wait_log "$TEST_DIR/baresip.log" "baresip is ready" 10
start control "$CP" -c "$CFG"
check "control attaches and listens for SIP" wait_log "$TEST_DIR/control.log" "SIP on 127.0.0.1:5060 (udp), 1 trunk" 30
# pstn-sim answers 5551 and, once its link is up, calls 2001 (baresip) and
# clears that call itself after 6 s.
start sim "$SIM" --span "carrier,local=10.84.0.2:52001,remote=10.84.0.1:52001,jitter=16" \
    --behave '5551=answer,alert=100,answer=300' --originate 1 --called 2001 --calling 301234567 --hold-ms 6000 \
    --calls "$TEST_DIR/calls.json" --seconds 60
check "the D-channel comes up and the B-channels are restarted" wait_log "$TEST_DIR/control.log" "B-channel restart complete" 40
check "the trunk to baresip is up: baresip answers our OPTIONS (404: no user in the URI; below 500 is alive)" \
    wait_equal 10 "up True 0" trunk_state

# 1. PRI -> baresip: auto-answered; pstn-sim clears after 6 s.
check "PRI -> baresip: baresip is offered the call and answers it by itself" wait_log "$TEST_DIR/baresip.log" "Call established" 20
check "PRI -> baresip: the gateway has one call, connected, carrier -> baresip trunk" wait_equal 10 "connected:carrier->baresip" show_calls
check "PRI -> baresip: pstn-sim clears the call" wait_count "$TEST_DIR/calls.json" '"cause"' 1 15
check "PRI -> baresip: the gateway has no call left" wait_equal 10 none show_calls
check "PRI -> baresip: pstn-sim's record: answered, cleared by pstn-sim with 16 (normal)" \
    same "$(json_get <(sed -n 1p "$TEST_DIR/calls.json") "(j['direction'], j['called'], 'answer_ms' in j, j['cause'], j['cleared_by'])")" \
         "('to_gateway', '2001', True, 16, 'near')"
check "PRI -> baresip: baresip's 1004 Hz sine arrives on the B-channel (SINAD >= 30 dB at pstn-sim)" \
    same "$(json_get <(sed -n 1p "$TEST_DIR/calls.json") "j['audio']['tone_sinad_db'] >= 30")" True
check "PRI -> baresip: baresip ends its call" wait_log "$TEST_DIR/baresip.log" "Call with sip:301234567@.* terminated" 10
check "PRI -> baresip: the BYE baresip got carried Reason Q.850 16 (RFC 3326)" \
    grep -q '^Reason: *Q.850;cause=16' "$TEST_DIR/baresip.log"
check "PRI -> baresip: the CDR: carrier -> baresip trunk, cause 16, cleared by the caller" \
    same "$(json_get <(sed -n 1p "$TEST_DIR/cdr.jsonl") "(j['in'].get('span'), j['out'].get('sip_trunk'), j['cause'], j['cleared_by'], j['connected_ms'] >= 5000)")" \
         "('carrier', 'baresip', 16, 'caller', True)"
check "PRI -> baresip: baresip decoded pstn-sim's tone (SINAD >= 30 dB, about -10 dBm0)" \
    same "$(judge_wav "$(ls "$BS_DIR"/dump-*-dec.wav | sed -n 1p)" >"$TEST_DIR/judge1.json" && json_get "$TEST_DIR/judge1.json" "j['sinad_db'] >= 30 and abs(j['level_dbm0'] + 10) < 2")" True

# 2. baresip -> PRI: baresip dials 5551, pstn-sim answers; baresip hangs up.
check "baresip -> PRI: baresip dials 5551 (ctrl_tcp)" bctl dial 5551
check "baresip -> PRI: baresip: the call is established" wait_count "$TEST_DIR/baresip.log" "Call established" 2 15
check "baresip -> PRI: the gateway has one call, connected, baresip trunk -> carrier" wait_equal 10 "connected:baresip->carrier" show_calls
sleep 5  # the call's hold time: tone each way to measure (a loaded machine
         # can spoil a second or two of it: the judges take the best second)
check "baresip -> PRI: baresip hangs up (ctrl_tcp)" bctl hangup
check "baresip -> PRI: baresip ends its call" wait_count "$TEST_DIR/baresip.log" "Call with .* terminated" 2 10
check "baresip -> PRI: pstn-sim records the call's end" wait_count "$TEST_DIR/calls.json" '"cause"' 2 10
check "baresip -> PRI: the gateway has no call left" wait_equal 10 none show_calls
check "baresip -> PRI: pstn-sim answered, was cleared by the gateway with 16 (normal)" \
    same "$(json_get <(sed -n 2p "$TEST_DIR/calls.json") "(j['direction'], j['called'], 'answer_ms' in j, j['cause'], j['cleared_by'])")" \
         "('from_gateway', '5551', True, 16, 'far')"
check "baresip -> PRI: baresip's 1004 Hz sine arrives on the B-channel (SINAD >= 30 dB at pstn-sim)" \
    same "$(json_get <(sed -n 2p "$TEST_DIR/calls.json") "j['audio']['tone_sinad_db'] >= 30")" True
check "baresip -> PRI: the CDR: baresip trunk -> carrier, cause 16, cleared by the caller" \
    same "$(json_get <(sed -n 2p "$TEST_DIR/cdr.jsonl") "(j['in'].get('sip_trunk'), j['out'].get('span'), j['cause'], j['cleared_by'], j['connected_ms'] >= 4500)")" \
         "('baresip', 'carrier', 16, 'caller', True)"
check "baresip -> PRI: baresip decoded pstn-sim's tone (SINAD >= 30 dB, about -10 dBm0)" \
    same "$(judge_wav "$(ls "$BS_DIR"/dump-*-dec.wav | sed -n 2p)" >"$TEST_DIR/judge2.json" && json_get "$TEST_DIR/judge2.json" "j['sinad_db'] >= 30 and abs(j['level_dbm0'] + 10) < 2")" True

check "show sip trunks: one INVITE each way, both answered, none active" \
    same "$("$CTL" -c "$CFG" --json show sip trunks | python3 -c 'import json,sys; t=json.load(sys.stdin)["trunks"][0]; print(t["invites_in"], t["invites_out"], t["answered_in"], t["answered_out"], t["active"])')" "1 1 1 1 0"
# For a failure's diagnosis (finish shows the logs' tails): the span's
# alarms and pseudowire counters, the workers' late ticks.
"$CTL" -c "$CFG" show spans >"$TEST_DIR/counters.log" 2>&1
"$CTL" -c "$CFG" show counters >>"$TEST_DIR/counters.log" 2>&1
kill -TERM "$PID_sim"
kill -TERM "$PID_control"
wait "$PID_control"
check "control shuts down cleanly (exit status 0)" test $? = 0
# quit's answer may lose the race with baresip's exit: its exit status says.
bctl quit >/dev/null 2>&1
check "baresip quits when told to (ctrl_tcp quit)" \
    bash -c "timeout 10 tail --pid=$PID_baresip -f /dev/null"
wait "$PID_baresip"
check "... with exit status 0" test $? = 0
finish
