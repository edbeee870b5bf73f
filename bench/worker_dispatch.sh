#!/usr/bin/env bash
# bench/worker_dispatch.sh: what the software dispatcher costs two workers,
# against frames that arrive on their owner's queue (what flow rules to the
# owning worker deliver: dataplane/flow_steering.h), in the same run.
#
#   bench/run worker_dispatch [--sessions K] [--seconds S] [--rounds R]
#
# Two busy-polling workers (worker 1 on CPU 1, worker 2 on CPU 0 beside the
# main lcore) share one net_pcap port with two receive queues, one each;
# each queue replays its own capture endlessly (rx_pcap twice,
# infinite_rx). K sessions (default 2,100; a multiple of 60, so that both
# workers hold as many) sit on E1 B-channels, spans alternating between the
# workers, PCMU on A-law channels. The captures
# hold one RTP packet for every session (rtp-pcap-gen), split two ways:
#
#   steered:    queue q carries only the packets of worker q's sessions:
#               every frame arrives where its session lives, as a NIC's
#               flow rules would deliver;
#   dispatched: queue q carries half of the whole capture (the first or
#               the second): half of each queue's frames belong to the
#               other worker and
#               cross through the software dispatcher (an MP/SC rte_ring,
#               then classified again by the owner), as on net_tap or
#               af_packet, whose queues know nothing of our sessions.
#
# The modes alternate R times (default 2), S seconds each (default 5) after
# a warm-up. The figure is RTP packets delivered to their sessions per
# second by both workers together in dispatched mode; the baseline is the
# same in steered mode, measured in the same run. Printed last, one JSON
# line:
#   {"bench":"worker_dispatch","metric":"rtp_mpps_two_workers_dispatched",
#    "value":X,"baseline":steered,"ratio":X/steered,"handover_share":...}
# handover_share is the share of received frames that were for the other
# worker (about 0.5 dispatched, 0 steered: checked, the run fails
# otherwise); ring_full counts those dropped because the owner's dispatch
# ring was full (the owner drains it no faster than its own queue lets it).
#
# No PMD on a machine without a NIC offers flow rules: net_pcap, net_tap
# (here: no cls_flower, skbedit or multiq in the kernel), af_packet and
# memif have none. The steered captures give the workers exactly the
# frames such rules would, so the baseline measures the data plane's side
# of both designs; the NIC's own classification is not in either figure.
set -euo pipefail

sessions=2100
seconds=5
rounds=2
while [[ $# -gt 0 ]]; do
    case $1 in
    --sessions) sessions=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: bench/run worker_dispatch [--sessions K] [--seconds S] [--rounds R]" >&2; exit 2 ;;
    esac
done

if ((sessions <= 0 || sessions % 60 != 0)); then
    echo "worker_dispatch: --sessions must be a positive multiple of 60 (two E1s of 30 B-channels)" >&2
    exit 2
fi

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$repo_root/build}

. "$repo_root/bench/lib.sh"
bench_setup dispatch --sessions "$sessions" --seconds "$seconds" --rounds "$rounds"

first_port=20000
"$BUILD/bench/rtp-pcap-gen" --out "$dir/all.pcap" --sessions "$sessions" --packets-per-session 1 \
    --first-dst-port $first_port --payload-type 0 --arp-reply-first >&2

# The four queue captures. Control gives worker 1 the even port pairs of
# the range and worker 2 the odd ones (first_port + 2i: worker i % 2 + 1;
# create-sessions.py checks it), and with equal counts the K sessions hold
# exactly the K ports the capture sends to. Each capture starts with the
# replay peer's ARP reply, which every worker learns.
python3 - "$dir" "$first_port" <<'PY'
import struct, sys
d, first_port = sys.argv[1], int(sys.argv[2])
raw = open(f'{d}/all.pcap', 'rb').read()
head, pos, frames = raw[:24], 24, []
while pos < len(raw):
    incl = struct.unpack_from('<I', raw, pos + 8)[0]
    frames.append(raw[pos:pos + 16 + incl])
    pos += 16 + incl
arp, rtp = frames[0], frames[1:]
def owner(rec):  # Ethernet 14 + IPv4 20: the UDP destination port at 36
    port = struct.unpack_from('>H', rec, 16 + 36)[0]
    return (port - first_port) // 2 % 2
split = {'steered': [[r for r in rtp if owner(r) == q] for q in (0, 1)],
         'dispatched': [rtp[:len(rtp) // 2], rtp[len(rtp) // 2:]]}
for mode, queues in split.items():
    for q, recs in enumerate(queues):
        open(f'{d}/{mode}-q{q}.pcap', 'wb').write(head + arp + b''.join(recs))
PY

# write_config MODE: $dir/MODE.toml, two workers on one two-queue port.
write_config() {
    {
        gateway_head_toml "dispatch-$1" "busy" "$sessions"
        cat <<TOML
[[dataplane.worker]]
id = 1
lcore = 1

[[dataplane.worker]]
id = 2
lcore = 2
cpu = 0

[[port]]
id = 1
name = "replay0"
vdev = "net_pcap0,rx_pcap=$dir/$1-q0.pcap,rx_pcap=$dir/$1-q1.pcap,infinite_rx=1"
addresses = ["192.0.2.1/24"]
flow_steering = false  # net_pcap has no flow API anyway: the captures do the steering

TOML
        gateway_media_toml "$first_port" "$sessions"
        "$repo_root/bench/create-sessions.py" --spans-toml --sessions "$sessions" --workers 2
    } >"$dir/$1.toml"
}

# run_mode MODE ROUND: the gateway on MODE's captures, K sessions, then the
# workers' counters before and after S seconds ($dir/MODE-ROUND-{0,1}.json).
run_mode() {
    cfg=$dir/$1.toml
    gateway_start "$cfg" "$1-$2"
    "$repo_root/bench/create-sessions.py" --socket "$dir/control.sock" --sessions "$sessions" \
        --local 192.0.2.1 --first-port "$first_port" --remote 192.0.2.2:30000 --workers 2 >&2
    sleep 2  # warm-up: every session has ticked, ARP learned
    "$BUILD/control/cli/trunkctl" -c "$cfg" --json show counters >"$dir/$1-$2-0.json"
    sleep "$seconds"
    "$BUILD/control/cli/trunkctl" -c "$cfg" --json show counters >"$dir/$1-$2-1.json"
    gateway_stop
}

write_config steered
write_config dispatched
for ((r = 1; r <= rounds; r++)); do
    run_mode steered "$r"
    run_mode dispatched "$r"
done

python3 - "$dir" "$rounds" "$sessions" <<'PY'
import json, statistics, sys
d, rounds, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fields = ('rx_packets', 'rtp_rx', 'dispatched_out', 'dispatch_ring_full', 'ticks', 'ticks_skipped', 'ticks_late')
def window(mode, r):
    a, b = (json.load(open(f'{d}/{mode}-{r}-{i}.json'))['workers'] for i in (0, 1))
    per = [{f: y[f] - x[f] for f in fields} for x, y in zip(a, b)]
    secs = max(w['ticks'] + w['ticks_skipped'] for w in per) / 1000.0  # the window, by the workers' clock
    total = {f: sum(w[f] for w in per) for f in fields}
    return {'rtp_mpps': total['rtp_rx'] / secs / 1e6,
            'worker_rtp_mpps': [round(w['rtp_rx'] / secs / 1e6, 3) for w in per],
            'handover_share': (total['dispatched_out'] + total['dispatch_ring_full']) / max(1, total['rx_packets']),
            'ring_full': total['dispatch_ring_full'], 'ticks_late': total['ticks_late']}
res = {m: [window(m, r) for r in range(1, rounds + 1)] for m in ('steered', 'dispatched')}
for m, ws in res.items():
    for r, w in enumerate(ws, 1):
        print(f'{m} round {r}: {w["rtp_mpps"]:.3f} M RTP/s to sessions (workers {w["worker_rtp_mpps"]}), '
              f'{100 * w["handover_share"]:.1f} % handed over, {w["ring_full"]} ring-full drops, '
              f'{w["ticks_late"]} late ticks', file=sys.stderr)
steered = statistics.mean(w['rtp_mpps'] for w in res['steered'])
dispatched = statistics.mean(w['rtp_mpps'] for w in res['dispatched'])
hs = statistics.mean(w['handover_share'] for w in res['dispatched'])
hs_steered = max(w['handover_share'] for w in res['steered'])
# The split must have done what each mode says, or the comparison means
# nothing: nothing handed over when steered, about half when not.
if hs_steered != 0 or not 0.4 <= hs <= 0.6:
    sys.exit(f'worker_dispatch: handover share {hs_steered:.3f} steered, {hs:.3f} dispatched: the captures are not split as meant')
print(json.dumps({'bench': 'worker_dispatch', 'metric': 'rtp_mpps_two_workers_dispatched', 'value': round(dispatched, 3),
                  'unit': 'Mpps', 'baseline': round(steered, 3),
                  'baseline_name': 'the same two workers, every frame on its owner\'s queue (flow-rule steering)',
                  'ratio': round(dispatched / steered, 3) if steered else None,
                  'handover_share': round(hs, 3), 'steered_handover_share': hs_steered,
                  'ring_full': sum(w['ring_full'] for w in res['dispatched']),
                  'ticks_late': sum(w['ticks_late'] for ws in res.values() for w in ws),
                  'sessions': k, 'rounds': rounds,
                  'steered_mpps': [round(w['rtp_mpps'], 3) for w in res['steered']],
                  'dispatched_mpps': [round(w['rtp_mpps'], 3) for w in res['dispatched']]}))
PY
