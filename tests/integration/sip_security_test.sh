#!/bin/bash
# The gateway's SIP security with real peers: digest authentication both
# ways (RFC 3261 22, qop=auth), blocking of a source that keeps failing it,
# REGISTER with refresh (RFC 3261 10), SIP over TLS (RFC 3261 26.2). Real
# processes only: the gateway (data plane + control with Sofia-SIP on
# 127.0.0.1:5060 UDP and 127.0.0.1:5061 TLS), bench/pstn-sim (the carrier,
# E1 EuroISDN on a SAToP pseudowire), SIPp as PBXs, carrier and registrar,
# and Debian's baresip as a TLS PBX. Each SIP peer has its own 127.0.0.x
# (a trunk is known by its source address).
#   1. REGISTER: trunk "provider" registers (register = true, asking 60 s)
#      to a SIPp registrar that challenges every REGISTER without valid
#      credentials (401, realm "registrar") and grants 5 s only (Contact
#      expires and Expires, RFC 3261 10.3 step 7); the gateway answers the
#      challenge, and nua refreshes before the 5 s are out: 200 again.
#      show sip trunks: registered, ok >= 2, challenges >= 1, expires_s 5.
#   2. Outbound digest: pstn-sim calls 2004, routed to trunk "carrier-sip"
#      whose SIPp peer answers the INVITE with 401 (realm "carrier",
#      qop="auth") and verifies the credentials of the INVITE sent again
#      (SIPp's verifyauth: 200 only if valid, else 403): the call connects
#      and pstn-sim clears it with 16; auth.answered == 1.
#   3. TLS out, PRI -> baresip: pstn-sim calls 2001, routed to trunk
#      "tls-pbx" (transport tls, srtp mandatory): the gateway opens TLS to
#      baresip (verifying baresip's certificate against cafile.pem); baresip
#      answers by itself; established, cleared by pstn-sim with 16. The
#      media is SRTP keyed by SDES (RFC 4568; baresip's mediaenc=srtp-mand,
#      libre's own SRTP: an independent implementation): our offer RTP/SAVP
#      with a=crypto:1 AES_CM_128_HMAC_SHA1_80, baresip's answer taking tag
#      1; each side decodes the other's 1004 Hz tone (pstn-sim's measure;
#      the WAV baresip's sndfile dumped), so each opened the other's SRTP.
#   4. Inbound digest: SIPp (127.0.0.2, trunk "pbx") calls 5551: 401, then
#      the INVITE with credentials (-au/-ap): pstn-sim answers, SIPp hangs
#      up; auth.challenges 1, accepted 1.
#   5. Wrong password: three calls from 127.0.0.2 with a wrong password get
#      401 then 403 each (auth.failed 3); auth_max_failures = 3, so the
#      source is now blocked: its next INVITE gets 403 at once, without a
#      challenge, even with the right password (refused_auth_blocked 1,
#      auth_blocks 1, blocked_sources 1); meanwhile trunk "branch" (SIPp on
#      127.0.0.3, its own credentials and realm) is served: its
#      authenticated call is answered by pstn-sim.
#   5b. Replay: the branch's accepted Authorization, sent again in a new
#      INVITE to another number, is not taken: the nonce count repeats,
#      so it gets a fresh challenge (401), and pstn-sim never sees it.
#   6. TLS in, baresip -> PRI: baresip dials sip:5551@127.0.0.1:5061 over
#      TLS (answering the gateway's 401 with its auth_pass): the call is
#      established, pstn-sim answers, baresip hangs up; invites_in_tls >= 1
#      and a capture of both TLS ports shows TLS handshakes and application
#      data, and no cleartext SIP; baresip's SDES offer is taken: the
#      session is SRTP and takes its packets, none failing its tag.
#   6b. SIPp from the TLS PBX's address offers RTP/SAVP with a key over UDP:
#      authenticated (401, then credentials), refused with 488 (RFC 4568
#      8.3: SDES keys only over TLS), counted in srtp_refused.
#   Our Contact on the UDP trunks (REGISTER, dialogs) must be a sip: URI on
#   our UDP port (not sips: because TLS is on, and not naming the provider
#   account we registered).
#   7. auth_block_s (20 s) after the block started, the source is served
#      again (401, then 200).
#   8. (run while 7. waits) An INVITE from an unlisted source whose SDP
#      makes Sofia-SIP 1.12's parser loop allocating: refused with 400 at
#      once, counted by the guard (sdp_refused_unsafe,
#      trunkgw_sip_sdp_refused_unsafe_total), control's memory unchanged.
# TLS material: tests/unit/signaling_sip/tls (a throwaway CA and a
# certificate for 127.0.0.1): the gateway's and baresip's agent.pem, both
# trusting cafile.pem.
# Takes ~45 s (~10 s of it waiting for the block to end, 7.).
# usage: sip_security_test.sh SOURCE_DIR BUILD_DIR
SOURCE_DIR=$1
BUILD_DIR=$2
. "$SOURCE_DIR/tests/integration/lib.sh"
enter_netns "$@"

SIM=$BUILD_DIR/bench/pstn-sim
SIPP_DIR=$SOURCE_DIR/tests/integration/sipp
TLS_DIR=$SOURCE_DIR/tests/unit/signaling_sip/tls
CFG=$TEST_DIR/trunkgw.toml
TAP=tgwsec$$
BS_DIR=$TEST_DIR/baresip
# Credentials (at least 8 characters, the config's minimum).
PBX_USER=pbx-user PBX_PASS=pbx-secret-1
BRANCH_USER=branch-user BRANCH_PASS=branch-secret-2
CARRIER_USER=gw-at-carrier CARRIER_PASS=carrier-secret-3
REG_USER=acct4711 REG_PASS=registrar-secret-4
TLS_USER=2001 TLS_PASS=baresip-secret-5
REG_GRANTED=5
BLOCK_S=20  # auth_block_s: long enough for the checks while blocked, short enough to see it end
{
gateway_toml_head "it-secit-$$" 10.85.0.1/24
cat <<TOML
[[span]]
id = 1
name = "carrier"
type = "e1"
worker = 1
[span.pseudowire]
mode = "satop"
port = "media0"
remote_address = "10.85.0.2"
local_udp_port = 52001
remote_udp_port = 52001
jitter_packets = 16
[span.isdn]
side = "user"
switch_type = "euroisdn_e1"

[sip]
listen = "127.0.0.1:5060"
transport = "udp"
auth_max_failures = 3
auth_block_s = $BLOCK_S

[sip.tls]
port = 5061
certificate_dir = "$TLS_DIR"
verify_peer = true

# A PBX whose INVITEs must authenticate (SIPp).
[[sip.trunk]]
name = "pbx"
peers = ["127.0.0.2:5062"]
options_interval_s = 0
[sip.trunk.inbound_auth]
username = "$PBX_USER"
password = "$PBX_PASS"

# Another one, with its own credentials (SIPp).
[[sip.trunk]]
name = "branch"
peers = ["127.0.0.3:5063"]
options_interval_s = 0
[sip.trunk.inbound_auth]
username = "$BRANCH_USER"
password = "$BRANCH_PASS"
realm = "branch-office"

# A carrier that challenges our INVITEs (SIPp).
[[sip.trunk]]
name = "carrier-sip"
peers = ["127.0.0.4:5064"]
options_interval_s = 0
[sip.trunk.outbound_auth]
username = "$CARRIER_USER"
password = "$CARRIER_PASS"

# A provider we register with (SIPp as its registrar).
[[sip.trunk]]
name = "provider"
peers = ["127.0.0.5:5065"]
options_interval_s = 0
register = true
register_expires_s = 60
[sip.trunk.outbound_auth]
username = "$REG_USER"
password = "$REG_PASS"

# A PBX on TLS (baresip: TLS on 127.0.0.1:5071), also authenticated; the
# OPTIONS keepalive goes over TLS too (baresip answers 404: alive).
[[sip.trunk]]
name = "tls-pbx"
peers = ["127.0.0.1:5071"]
transport = "tls"
srtp = "mandatory"
options_interval_s = 2
[sip.trunk.inbound_auth]
username = "$TLS_USER"
password = "$TLS_PASS"

[[route]]
name = "to-carrier"
called_prefix = "555"
from = ["pbx", "branch", "tls-pbx"]
to = ["carrier"]

[[route]]
name = "to-carrier-sip"
called_prefix = "2004"
from = ["carrier"]
to = ["carrier-sip"]

[[route]]
name = "to-tls-pbx"
called_prefix = "2001"
from = ["carrier"]
to = ["tls-pbx"]

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

trunks_json() {  # show sip trunks, to $TEST_DIR/sip.json
    "$CTL" -c "$CFG" --json show sip trunks >"$TEST_DIR/sip.json"
}
trunk() {  # trunk NAME PYTHON-EXPR: EXPR with t = that trunk in $TEST_DIR/sip.json
    python3 -c 'import json,sys; t=[x for x in json.load(open(sys.argv[1]))["trunks"] if x["name"]==sys.argv[2]][0]; print(eval(sys.argv[3]))' \
        "$TEST_DIR/sip.json" "$1" "$2"
}
# statuses TRACE: the final responses to INVITEs in a SIPp message trace,
# in order, retransmissions counted once ("401 200", "401 403", "403").
statuses() {
    python3 - "$1" <<'PY'
import re, sys
seen, out = set(), []
for block in re.split(r'^-{10,}.*$', open(sys.argv[1]).read(), flags=re.M):
    if 'message received' not in block:
        continue
    st = re.search(r'^SIP/2\.0 (\d{3})', block, re.M)
    cseq = re.search(r'^CSeq:\s*(\d+)\s+INVITE', block, re.M | re.I)
    cid = re.search(r'^Call-ID:\s*(\S+)', block, re.M | re.I)
    if not (st and cseq and cid) or int(st.group(1)) < 200:
        continue
    key = (cid.group(1), cseq.group(1), st.group(1))
    if key not in seen:
        seen.add(key)
        out.append(st.group(1))
print(' '.join(out) or '-')
PY
}
# auth_call NAME SOURCE-IP PORT USER PASSWORD [SIPP-OPTIONS]: one SIPp call
# (call_auth_uac.xml; SIPP-OPTIONS instead of -m 1, e.g. -m 3 -l 1) to
# 5551; prints the INVITE statuses it got. Its digest-uri is the
# Request-URI (-auth_uri; SIPp's default would be sip:127.0.0.1:5060).
auth_call() {
    local name=$1 ip=$2 port=$3 user=$4 pass=$5
    shift 5
    [ $# -gt 0 ] || set -- -m 1
    sipp 127.0.0.1:5060 -sf "$SIPP_DIR/call_auth_uac.xml" -s 5551 -i "$ip" -p "$port" -mi 10.85.0.2 -mp "$((port + 36000))" \
        -au "$user" -ap "$pass" -auth_uri 5551@127.0.0.1:5060 "$@" -timeout 20 -timeout_error \
        -trace_msg -message_file "$TEST_DIR/$name.msgs" >"$TEST_DIR/$name.out" 2>&1
    statuses "$TEST_DIR/$name.msgs"
}
# our_contacts TRACE PEER-PATTERN: the Contact values in a SIPp trace that
# are not the peer's own (PEER-PATTERN matches those), one a line.
our_contacts() {
    grep -i '^Contact:' "$1" | grep -v -- "$2" | sed 's/^Contact: *//I' | sort -u
}
# udp_contact VALUE... : true when there are some and each is a plain sip:
# URI of ours for UDP (127.0.0.1, port 5060 or none, transport udp or
# none).
srtp_session() {  # True when a session up now is SRTP
    "$CTL" -c "$CFG" --json show sessions | python3 -c 'import json,sys; print(any(s["srtp"] for s in json.load(sys.stdin)["sessions"]))'
}
srtp_session_in() {  # the SRTP session: "RTP-IN>0 AUTH-FAILED"
    "$CTL" -c "$CFG" --json show sessions |
        python3 -c 'import json,sys; s=[s for s in json.load(sys.stdin)["sessions"] if s["srtp"]][0]; c=s["counters"]; print(c["rtp_packets_in"] > 0, c["srtp_auth_failed"])'
}
udp_contact() {
    [ $# -gt 0 ] || return 1
    local c
    for c in "$@"; do
        echo "$c" | grep -Eiq '^<sip:([^@>]*@)?127\.0\.0\.1(:5060)?(;transport=udp)?>' || { echo "       contact: $c" >&2; return 1; }
    done
}

start dataplane "$DP" -c "$CFG"
check "the data plane is ready" wait_log "$TEST_DIR/dataplane.log" "trunkgw-dataplane .* ready" 30
ip link set dev "$TAP" address 02:00:00:00:85:02
ip addr add 10.85.0.2/24 dev "$TAP" && ip link set "$TAP" up

# The peers the gateway talks to first: the registrar (REGISTER goes out at
# once), the challenging carrier, baresip.
start registrar sipp -sf "$SIPP_DIR/registrar_uas.xml" -i 127.0.0.5 -p 5065 -mi 127.0.0.5 -mp 42000 \
    -set user "$REG_USER" -set pass "$REG_PASS" -set expires "$REG_GRANTED" \
    -trace_msg -message_file "$TEST_DIR/registrar.msgs"
start carrier_sip sipp -sf "$SIPP_DIR/auth_challenge_uas.xml" -i 127.0.0.4 -p 5064 -mi 10.85.0.2 -mp 41004 \
    -set user "$CARRIER_USER" -set pass "$CARRIER_PASS" -m 1 \
    -trace_msg -message_file "$TEST_DIR/carrier_sip.msgs"
# baresip: SIP on 127.0.0.1:5070 (UDP, TCP) and 5071 (TLS: its listener
# is the SIP port + 1) with the test certificate for 127.0.0.1; it trusts
# cafile.pem; media on the TAP's kernel side; no sound card (ausine is the
# microphone, nothing plays). Its account answers our 401 with auth_pass
# (user: the account's, 2001).
mkdir -p "$BS_DIR"
cat >"$BS_DIR/config" <<CONF
poll_method		epoll
sip_listen		127.0.0.1:5070
sip_certificate		$TLS_DIR/agent.pem
sip_cafile		$TLS_DIR/cafile.pem
net_interface		$TAP
call_local_timeout	20
call_max_calls		1
audio_source		ausine,1004
ausrc_srate		48000
ausrc_channels		2
audio_level		no
rtp_ports		41100-41199
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			srtp.so
module			sndfile.so
snd_path		$BS_DIR
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
statmode_default	off
ctrl_tcp_listen		127.0.0.1:4444
CONF
echo "<sip:$TLS_USER@127.0.0.1:5061;transport=tls>;auth_pass=$TLS_PASS;regint=0;answermode=auto;audio_codecs=PCMA;mediaenc=srtp-mand" \
    >"$BS_DIR/accounts"
start baresip stdbuf -oL baresip -f "$BS_DIR" -s -t 120
check "baresip is ready (SIP and TLS on 127.0.0.1:5070/5071)" wait_log "$TEST_DIR/baresip.log" "baresip is ready" 10
# Everything on the TLS ports (the gateway's, baresip's), for the
# cleartext check at the end.
start capture tshark -n -i lo -f "tcp port 5061 or tcp port 5071" -w "$TEST_DIR/tls.pcapng"
check "the capture of the TLS port runs" wait_log "$TEST_DIR/capture.log" "Capturing on" 10

start control "$CP" -c "$CFG"
check "control attaches and listens for SIP on UDP and TLS" \
    wait_log "$TEST_DIR/control.log" "SIP on 127.0.0.1:5060 (udp, tls on port 5061), 5 trunk" 30

# pstn-sim answers 5551; once its link is up it calls 2004 (the
# challenging carrier), then 2001 (baresip over TLS), one at a time, each
# cleared by pstn-sim after 2 s.
start sim "$SIM" --span "carrier,local=10.85.0.2:52001,remote=10.85.0.1:52001,jitter=16" \
    --behave '5551=answer,alert=100,answer=300' --behave '5552=busy,alert=100' --originate 2 --called 2004 --called 2001 --calling 301234567 \
    --hold-ms 2000 --calls "$TEST_DIR/calls.json" --seconds 120
check "the D-channel comes up and the B-channels are restarted" wait_log "$TEST_DIR/control.log" "B-channel restart complete" 40

# 2. Outbound digest (pstn-sim's first call).
check "outbound digest: pstn-sim's call to 2004 ends" wait_count "$TEST_DIR/calls.json" '"cause"' 1 20
check "outbound digest: the call connected (answered at pstn-sim) and pstn-sim cleared it with 16" \
    same "$(json_get <(sed -n 1p "$TEST_DIR/calls.json") "(j['direction'], j['called'], 'answer_ms' in j, j['cause'], j['cleared_by'])")" \
         "('to_gateway', '2004', True, 16, 'near')"
check "outbound digest: SIPp (the carrier) completed its scenario (401, valid credentials, 200, BYE)" \
    bash -c "timeout 10 tail --pid=$PID_carrier_sip -f /dev/null; grep -Eq 'Successful call +\| +[0-9]+ +\| +1 ' $TEST_DIR/carrier_sip.log"
check "outbound digest: the carrier sent 401 then 200; our second INVITE's Authorization: our user, realm carrier, qop=auth" \
    bash -c "grep -q '^SIP/2.0 401' $TEST_DIR/carrier_sip.msgs && grep -q '^SIP/2.0 200' $TEST_DIR/carrier_sip.msgs &&
             ! grep -q '^SIP/2.0 403' $TEST_DIR/carrier_sip.msgs &&
             grep -i '^Authorization: *Digest' $TEST_DIR/carrier_sip.msgs | grep -i 'username=\"$CARRIER_USER\"' |
                 grep -i 'realm=\"carrier\"' | grep -Eqi 'qop=\"?auth\"?'"
trunks_json
check "outbound digest: show sip trunks: carrier-sip answered one challenge, one INVITE out, answered" \
    same "$(trunk carrier-sip "(t['auth']['outbound'], t['auth']['answered'], t['invites_out'], t['answered_out'])")" \
         "(True, 1, 1, 1)"

# 3. PRI -> baresip over TLS (pstn-sim's second call).
check "TLS out: baresip is offered pstn-sim's call over TLS and answers it by itself" \
    wait_log "$TEST_DIR/baresip.log" "Call established" 20
check "SRTP out: the call's RTP session is SRTP (show sessions)" wait_equal 3 True srtp_session
check "TLS out: pstn-sim's call to 2001 ends" wait_count "$TEST_DIR/calls.json" '"cause"' 2 20
check "TLS out: answered, cleared by pstn-sim with 16" \
    same "$(json_get <(sed -n 2p "$TEST_DIR/calls.json") "(j['called'], 'answer_ms' in j, j['cause'], j['cleared_by'])")" \
         "('2001', True, 16, 'near')"
check "TLS out: baresip ends its call (the gateway's BYE)" \
    wait_log "$TEST_DIR/baresip.log" "Call with sip:301234567@.* terminated" 10
check "TLS out: our INVITE came over TLS, with our Contact sip:127.0.0.1:5061;transport=tls" \
    bash -c "grep -q 'Via: SIP/2.0/TLS' $TEST_DIR/baresip.log && grep -Eq '^Contact: <sip:[^>]*127.0.0.1:5061;transport=tls>' $TEST_DIR/baresip.log"
# (The trace so far holds this call's offer and answer only: two keys with
# tag 1, ours and baresip's, each direction its own.)
check "SRTP out: our offer was RTP/SAVP with our key (a=crypto:1 AES_CM_128_HMAC_SHA1_80), baresip's answer took tag 1 with its own" \
    bash -c "grep -Eq '^m=audio [0-9]+ RTP/SAVP 8' $TEST_DIR/baresip.log &&
             [ \$(grep -Eo '^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}' $TEST_DIR/baresip.log | sort -u | wc -l) -eq 2 ]"
check "SRTP out: pstn-sim heard baresip's tone (SINAD >= 30 dB): libre's SRTP opened with the key of its a=crypto" \
    same "$(json_get <(sed -n 2p "$TEST_DIR/calls.json") "j['audio']['tone_sinad_db'] >= 30")" True
check "SRTP out: baresip decoded pstn-sim's tone (SINAD >= 30 dB): ours opened with our a=crypto's key" \
    same "$(judge_wav "$(ls "$BS_DIR"/dump-*-dec.wav | sed -n 1p)" >"$TEST_DIR/judge1.json" && json_get "$TEST_DIR/judge1.json" "j['sinad_db'] >= 30")" True

# 4. Inbound digest.
check "inbound digest: SIPp (trunk pbx) gets 401, then 200 to the INVITE with credentials" \
    same "$(auth_call pbx_ok 127.0.0.2 5062 "$PBX_USER" "$PBX_PASS")" "401 200"
check "inbound digest: SIPp's call completed (BYE answered)" grep -Eq 'Successful call +\| +[0-9]+ +\| +1 ' "$TEST_DIR/pbx_ok.out"
check "inbound digest: our challenge: realm trunkgw, qop auth" \
    bash -c "grep -i '^WWW-Authenticate: *Digest' $TEST_DIR/pbx_ok.msgs | grep -i 'realm=\"trunkgw\"' | grep -qi 'qop=\"auth\"'"
check "inbound digest: pstn-sim answered 5551 and was cleared by the gateway with 16" \
    wait_count "$TEST_DIR/calls.json" '"called":"5551".*"cause":16,.*"cleared_by":"far"' 1 10
trunks_json
check "inbound digest: show sip trunks: pbx challenges 1, accepted 1, failed 0, answered_in 1" \
    same "$(trunk pbx "(t['auth']['inbound'], t['auth']['challenges'], t['auth']['accepted'], t['auth']['failed'], t['answered_in'])")" \
         "(True, 1, 1, 0, 1)"

# 5. Wrong password, three times in a row: blocked.
check "wrong password: three calls each get 401, then 403 (RFC 3261 22.2: no second challenge)" \
    same "$(auth_call pbx_wrong 127.0.0.2 5062 "$PBX_USER" wrong-password -m 3 -l 1)" "401 403 401 403 401 403"
BLOCK_START=$SECONDS
trunks_json
check "wrong password: show sip trunks: pbx failed 3; one block started, one source blocked" \
    same "$(trunk pbx "(t['auth']['failed'], t['auth']['accepted'])") $(json_get "$TEST_DIR/sip.json" "(j['auth_blocks'], j['blocked_sources'], j['refused_auth_blocked'])")" \
         "(3, 1) (1, 1, 0)"
check "blocked: the source's next INVITE, with the right password, gets 403 at once (no challenge)" \
    same "$(auth_call pbx_blocked 127.0.0.2 5062 "$PBX_USER" "$PBX_PASS")" "403"
check "blocked: ... and pstn-sim saw no call for it" \
    same "$(grep -c '"called":"5551"' "$TEST_DIR/calls.json")" 1
check "blocked: meanwhile trunk branch (127.0.0.3, its own realm) is served: 401, then 200" \
    same "$(auth_call branch_ok 127.0.0.3 5063 "$BRANCH_USER" "$BRANCH_PASS")" "401 200"
check "blocked: ... branch's call completed and pstn-sim answered it" \
    bash -c "grep -Eq 'Successful call +\| +[0-9]+ +\| +1 ' $TEST_DIR/branch_ok.out &&
             grep -i '^WWW-Authenticate:' $TEST_DIR/branch_ok.msgs | grep -qi 'realm=\"branch-office\"'"
check "blocked: pstn-sim has the branch's call (5551, answered, cleared by the gateway with 16)" \
    wait_count "$TEST_DIR/calls.json" '"called":"5551".*"cause":16,.*"cleared_by":"far"' 2 10
trunks_json
check "blocked: show sip trunks: refused_auth_blocked 1, auth_blocks 1, blocked_sources 1; pbx failed 3; branch accepted 1" \
    same "$(json_get "$TEST_DIR/sip.json" "(j['refused_auth_blocked'], j['auth_blocks'], j['blocked_sources'])") $(trunk pbx "t['auth']['failed']") $(trunk branch "(t['auth']['challenges'], t['auth']['accepted'], t['auth']['failed'])")" \
         "(1, 1, 1) 3 (1, 1, 0)"

# 5b. A replay (RFC 2617 4.5, RFC 3261 22.4): the Authorization of the
#     branch's accepted INVITE, sent again from the same address in a new
#     INVITE (new Call-ID, another number: 5552, busy at the carrier), as
#     anyone on the UDP path could. qop=auth gives the gateway what it needs
#     to refuse it: a nonce count it has seen (00000001 again) and a
#     digest-uri naming 5551, not this Request-URI.
REPLAY_AUTH=$(grep -i -m1 '^Authorization: *Digest' "$TEST_DIR/branch_ok.msgs" | tr -d '\r' | sed 's/^Authorization: *//I')
check "replay: the branch's accepted Authorization (digest-uri sip:5551@..., nc 00000001) is in its trace" \
    bash -c "echo '$REPLAY_AUTH' | grep -q 'uri=\"sip:5551@127.0.0.1:5060\"' && echo '$REPLAY_AUTH' | grep -q 'nc=00000001'"
replay() {  # replay NUMBER NAME: the captured Authorization in a new INVITE to NUMBER; prints the status
    sipp 127.0.0.1:5060 -sf "$SIPP_DIR/call_replay_uac.xml" -s "$1" -i 127.0.0.3 -p 5063 -mi 10.85.0.2 -mp 41063 \
        -set auth "$REPLAY_AUTH" -m 1 -timeout 20 -timeout_error \
        -trace_msg -message_file "$TEST_DIR/$2.msgs" >"$TEST_DIR/$2.out" 2>&1
    statuses "$TEST_DIR/$2.msgs"
}
REPLAY_STATUS=$(replay 5552 replay)
check "replay to another number: refused with 400, the digest-uri is not the Request-URI (RFC 7616 3.4.6; got $REPLAY_STATUS)" \
    test "$REPLAY_STATUS" = 400
REPLAY_STATUS=$(replay 5551 replay_same)
check "replay to the same number: the nonce count repeats, so a fresh challenge (401), never a call (got $REPLAY_STATUS)" \
    test "$REPLAY_STATUS" = 401
check "replay: the fresh challenge says stale=true (RFC 7616 3.3)" grep -qi '^WWW-Authenticate:.*stale=true' "$TEST_DIR/replay_same.msgs"

# 6. baresip -> PRI over TLS, with digest authentication.
# (baresip adds the account's ;transport=tls to the URI it dials.)
check "TLS in: baresip dials sip:5551@127.0.0.1:5061 (ctrl_tcp), over TLS as its account says" \
    bctl dial "sip:5551@127.0.0.1:5061"
check "TLS in: baresip: the call is established" wait_count "$TEST_DIR/baresip.log" "Call established" 2 15
check "TLS in: baresip's INVITE went to the TLS port (transport=tls) and the gateway's answer named it TLS too" \
    bash -c "grep -q '^INVITE sip:5551@127.0.0.1:5061;transport=tls SIP/2.0' $TEST_DIR/baresip.log &&
             grep -q '^Via: SIP/2.0/TLS 127.0.0.1:5071' $TEST_DIR/baresip.log"
check "TLS in: the gateway has one call, connected, tls-pbx trunk -> carrier" \
    wait_equal 10 "connected:tls-pbx->carrier" show_calls
check "SRTP in: baresip's SDES offer was taken (RTP/SAVP, mediaenc=srtp-mand): the call's session is SRTP" \
    wait_equal 3 True srtp_session
check "SRTP in: the session takes baresip's SRTP (its packets counted in, none failing its tag)" \
    wait_equal 5 "True 0" srtp_session_in
check "TLS in: baresip hangs up (ctrl_tcp)" bctl hangup
check "TLS in: pstn-sim answered, was cleared by the gateway with 16" \
    wait_count "$TEST_DIR/calls.json" '"called":"5551".*"cause":16,.*"cleared_by":"far"' 3 10
check "TLS in: the gateway has no call left" wait_equal 10 none show_calls
trunks_json
check "TLS in: show sip trunks: tls-pbx transport tls, invites_in_tls >= 1 of invites_in, challenged and accepted, up (OPTIONS over TLS answered)" \
    same "$(trunk tls-pbx "(t['transport'], t['invites_in_tls'] >= 1, t['invites_in_tls'] == t['invites_in'], t['auth']['challenges'] >= 1, t['auth']['accepted'], t['state'], t['options_failed'])")" \
         "('tls', True, True, True, 1, 'up', 0)"

# 6b. An SDES offer over UDP from the TLS PBX's address (SIPp: our agent
#     never sends keys over UDP, so only another UA can): authenticated,
#     then refused with 488 (RFC 4568 8.3).
SAVP_STATUS=$(sipp 127.0.0.1:5060 -sf "$SIPP_DIR/call_savp_udp_uac.xml" -s 5551 -i 127.0.0.1 -p 5072 -mi 10.85.0.2 \
    -mp 41072 -au "$TLS_USER" -ap "$TLS_PASS" -auth_uri 5551@127.0.0.1:5060 -m 1 -timeout 20 -timeout_error \
    -trace_msg -message_file "$TEST_DIR/savp_udp.msgs" >"$TEST_DIR/savp_udp.out" 2>&1
    statuses "$TEST_DIR/savp_udp.msgs")
check "SDES over UDP: an RTP/SAVP offer from the TLS PBX's address over UDP gets 401, then 488 (got $SAVP_STATUS)" \
    test "$SAVP_STATUS" = "401 488"
trunks_json
check "SDES over UDP: counted in tls-pbx's srtp_refused; pstn-sim saw no call for it" \
    same "$(trunk tls-pbx "t['srtp_refused']") $(grep -c '"called":"5551"' "$TEST_DIR/calls.json")" "1 3"
kill -INT "$PID_capture" 2>/dev/null
wait "$PID_capture" 2>/dev/null
tls_capture() {  # TLS ClientHellos, TLS records of application data, bytes "SIP/2.0" anywhere
    local f=$TEST_DIR/tls.pcapng
    echo "$(tshark -n -r "$f" -d tcp.port==5061,tls -d tcp.port==5071,tls -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)" \
         "$(tshark -n -r "$f" -d tcp.port==5061,tls -d tcp.port==5071,tls -Y 'tls.app_data' 2>/dev/null | wc -l)" \
         "$(grep -ac 'SIP/2.0' "$f")"
}
check "TLS: the capture of ports 5061 and 5071 holds two handshakes (one each way) and application data, and no cleartext SIP" \
    same "$(tls_capture | awk '{print ($1 >= 2), ($2 >= 8), $3}')" "1 1 0"

# 1. REGISTER (running since control started): challenged, granted 5 s,
#    refreshed.
check "REGISTER: the registrar has answered 200 twice (the first registration and a refresh)" \
    wait_count "$TEST_DIR/registrar.msgs" '^SIP/2.0 200' 2 15
trunks_json
check "REGISTER: show sip trunks: registered, ok >= 2, challenges >= 1, none failed, expires_s = what the registrar granted, last 200" \
    same "$(trunk provider "(t['registration']['state'], t['registration']['ok'] >= 2, t['registration']['challenges'] >= 1, t['registration']['failed'], t['registration']['expires_s'], t['registration']['last_status'])")" \
         "('registered', True, True, 0, $REG_GRANTED, 200)"
check "REGISTER: we asked 60 s, for our account's AOR, and answered the challenge (realm registrar, qop=auth)" \
    bash -c "grep -qi '^Expires: *60' $TEST_DIR/registrar.msgs && grep -qi '^To: *<sip:$REG_USER@127.0.0.5:5065>' $TEST_DIR/registrar.msgs &&
             grep -i '^Authorization: *Digest' $TEST_DIR/registrar.msgs | grep -i 'username=\"$REG_USER\"' | grep -qi 'realm=\"registrar\"'"

# Our Contact (RFC 3261 8.1.1.8, 10.2.1) tells a peer where to send its
# requests: the registrar, where the provider's calls go; a dialog's peer,
# where its BYE and re-INVITEs go. On these UDP trunks it must be a sip:
# URI on our UDP port, not sips: (TLS, port 5061) and not another trunk's
# account (the provider's user, acct4711).
mapfile -t REG_CONTACTS < <(grep -i '^Contact:' "$TEST_DIR/registrar.msgs" | grep -iv 'expires=' | sed 's/^Contact: *//I' | sort -u)
check "REGISTER: our Contact for the UDP registrar is a sip: URI on our UDP port (got: ${REG_CONTACTS[*]})" \
    udp_contact "${REG_CONTACTS[@]}"
mapfile -t DIALOG_CONTACTS < <(our_contacts "$TEST_DIR/pbx_ok.msgs" 'sip:sipp@'; our_contacts "$TEST_DIR/branch_ok.msgs" 'sip:sipp@';
                               our_contacts "$TEST_DIR/carrier_sip.msgs" '127.0.0.4')
check "UDP dialogs: our Contact in the 200s to pbx and branch and in the INVITE to carrier-sip is a sip: URI on our UDP port (got: $(echo ${DIALOG_CONTACTS[*]}))" \
    udp_contact "${DIALOG_CONTACTS[@]}"
check "UDP dialogs: ... and names no other trunk's account" \
    bash -c "! echo '${DIALOG_CONTACTS[*]}' | grep -q '$REG_USER@'"

curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics.txt"
check "metrics: auth, block, TLS and registration series; promtool clean" \
    bash -c "grep -qx 'trunkgw_sip_refused_auth_blocked_total 1' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_sip_auth_blocks_total 1' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_sip_auth_total{trunk=\"pbx\",result=\"failed\"} 3' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_sip_auth_total{trunk=\"carrier-sip\",result=\"answered\"} 1' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_sip_registered{trunk=\"provider\"} 1' $TEST_DIR/metrics.txt &&
             grep -qx 'trunkgw_sip_registration_expires_seconds{trunk=\"provider\"} $REG_GRANTED' $TEST_DIR/metrics.txt &&
             grep -q '^trunkgw_sip_invites_tls_total{trunk=\"tls-pbx\"} [1-9]' $TEST_DIR/metrics.txt &&
             promtool check metrics <$TEST_DIR/metrics.txt"
# 8. An INVITE whose SDP makes Sofia-SIP 1.12's parser loop allocating
#    (signaling/sip/sdp_guard.h), from a source no trunk lists: nua parses
#    the offer before the ACL or authentication can refuse it, so only the
#    guard stands between it and the control process's memory. Control's
#    address space is capped first (2 GiB over what it has), so that a
#    guard that stopped working fails this test instead of the machine.
poison_invite() {  # the final status of that INVITE, sent from 127.0.0.9
    python3 - <<'PY'
import socket
sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\n"
       "m=audio 49170 RT@/Ae:30\r\na=sendonly\r\n")
req = ("INVITE sip:5551@127.0.0.1:5060 SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.9:5099;branch=z9hG4bK-poison-1;rport\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:scanner@127.0.0.9>;tag=p1\r\nTo: <sip:5551@127.0.0.1>\r\n"
       "Call-ID: poison-sdp-1@127.0.0.9\r\nCSeq: 1 INVITE\r\nContact: <sip:scanner@127.0.0.9:5099>\r\n"
       "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s") % (len(sdp), sdp)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.9", 5099))
s.settimeout(10)
s.sendto(req.encode(), ("127.0.0.1", 5060))
try:
    while True:
        status = int(s.recv(65535).split(b" ", 2)[1])
        if status >= 200:
            print(status)
            break
except socket.timeout:
    print("none")
PY
}
check "poisoned SDP: control's address space capped at 2 GiB over its size first" \
    prlimit --pid "$PID_control" --as=$(( ($(proc_status_kb "$PID_control" VmSize) + 2 * 1024 * 1024) * 1024 ))
[ "$FAILURES" -eq 0 ] || finish  # without the cap, a broken guard would take the machine's memory
HWM_BEFORE=$(proc_status_kb "$PID_control" VmHWM)
POISON_STATUS=$(poison_invite)
check "poisoned SDP: the INVITE is refused at once with 400, SOA's verdict on an offer it cannot parse (got $POISON_STATUS)" \
    test "$POISON_STATUS" = 400
"$CTL" -c "$CFG" --json show sip trunks >"$TEST_DIR/sip_poison.json"
check "poisoned SDP: the guard counted it (show sip trunks sdp_refused_unsafe 1)" \
    same "$(json_get "$TEST_DIR/sip_poison.json" "j['sdp_refused_unsafe']")" 1
HWM_AFTER=$(proc_status_kb "$PID_control" VmHWM)
check "poisoned SDP: control's peak memory grew by under 64 MiB (VmHWM $HWM_BEFORE -> $HWM_AFTER kB)" \
    test $((HWM_AFTER - HWM_BEFORE)) -lt 65536

# 7. The block ends after auth_block_s: the source is served again.
wait_s=$((BLOCK_START + BLOCK_S + 1 - SECONDS))
[ "$wait_s" -le 0 ] || sleep "$wait_s"  # a timer's expiry: nothing to wait on but the clock
check "block over ($BLOCK_S s): 127.0.0.2 with the right password gets 401, then 200" \
    same "$(auth_call pbx_again 127.0.0.2 5062 "$PBX_USER" "$PBX_PASS")" "401 200"
check "block over: pstn-sim answered that call too" \
    wait_count "$TEST_DIR/calls.json" '"called":"5551".*"cause":16,.*"cleared_by":"far"' 4 10
trunks_json
check "block over: show sip trunks: pbx accepted 2, failed 3; still one block started and one refusal while blocked" \
    same "$(trunk pbx "(t['auth']['accepted'], t['auth']['failed'])") $(json_get "$TEST_DIR/sip.json" "(j['auth_blocks'], j['refused_auth_blocked'])")" \
         "(2, 3) (1, 1)"
curl -sf http://127.0.0.1:9464/metrics >"$TEST_DIR/metrics2.txt"
BLOCKED_NOW=$(json_get "$TEST_DIR/sip.json" "j['blocked_sources']")
check "block over: no source is blocked now (show sip trunks blocked_sources 0, trunkgw_sip_auth_blocked_sources 0; got $BLOCKED_NOW)" \
    bash -c "[ '$BLOCKED_NOW' = 0 ] && grep -qx 'trunkgw_sip_auth_blocked_sources 0' $TEST_DIR/metrics2.txt"
check "poisoned SDP: trunkgw_sip_sdp_refused_unsafe_total 1" grep -qx 'trunkgw_sip_sdp_refused_unsafe_total 1' "$TEST_DIR/metrics2.txt"

check "CDRs: the calls that were made, by trunk (the replay's aside)" \
    same "$(python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
print(sorted((r.get("in", {}).get("sip_trunk", r.get("in", {}).get("span")), r.get("out", {}).get("sip_trunk", r.get("out", {}).get("span", "-")), r["cause"]) for r in rs if r["called"]["digits"] != "5552"))' "$TEST_DIR/cdr.jsonl")" \
         "[('branch', 'carrier', 16), ('carrier', 'carrier-sip', 16), ('carrier', 'tls-pbx', 16), ('pbx', 'carrier', 16), ('pbx', 'carrier', 16), ('tls-pbx', 'carrier', 16)]"

kill -TERM "$PID_sim"
kill -TERM "$PID_control"
wait "$PID_control"
check "control shuts down cleanly (exit status 0)" test $? = 0
bctl quit >/dev/null 2>&1
finish
