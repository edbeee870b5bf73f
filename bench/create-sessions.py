#!/usr/bin/env python3
"""Create K RTP sessions through trunkgw-control's management socket, one
per B-channel of E1 spans named PREFIX1, PREFIX2, ... (30 bearer timeslots
each: TS1-15 and TS17-31; TS16 is the D-channel), PCMU on the A-law
channels so that every sample is law-converted both ways.

  create-sessions.py --socket S --sessions K --local IP --first-port P
                     (--remote IP:BASE | --pairs) [--span-prefix e1-]
  create-sessions.py --spans-toml --sessions K [--workers W] [--span-prefix e1-]

--spans-toml prints the [[span]] tables those K sessions need (E1s without a
line, ids from 1; span s on worker (s - 1) % W + 1, W = 1 by default), for
the gateway's config, and creates nothing.

--remote IP:BASE: session n sends to IP:BASE + 2 (n % 10000) (a replay's peer).
--pairs: session n sends to session n ^ 1 on our own address (the last of
an odd K to itself), so the port hairpins every packet back: each session
receives a real 50-packet-a-second stream, as in a call between two of the
gateway's B-channels.

Control hands out local ports in order on a fresh start, worker w of W
taking every W-th port pair from the (w - 1)-th (control/session_manager.cpp):
session n, the r-th on its worker w, must get IP:P + 2 (w - 1 + r W) (IP:P + 2n
when W = 1), which is checked; any refusal ends the run with its reason.
--workers W places the spans as --spans-toml does; --pairs needs W = 1.
Used by bench/dataplane_pps.sh, bench/worker_dispatch.sh and tests/integration/hairpin_load_test.sh.
"""
import argparse
import json
import socket
import sys

SESSIONS_PER_SPAN = 30  # an E1's bearer timeslots


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sessions', type=int, required=True)
    ap.add_argument('--span-prefix', default='e1-')
    ap.add_argument('--spans-toml', action='store_true', help='print the spans the sessions need, create nothing')
    ap.add_argument('--workers', type=int, default=1, help='spans round robin over workers 1..W')
    ap.add_argument('--socket')
    ap.add_argument('--local', help="the gateway's address the sessions use")
    ap.add_argument('--first-port', type=int)
    to = ap.add_mutually_exclusive_group()
    to.add_argument('--remote', help='IP:BASE of the peer')
    to.add_argument('--pairs', action='store_true')
    a = ap.parse_args()
    if a.spans_toml:
        for span in range(1, (a.sessions + SESSIONS_PER_SPAN - 1) // SESSIONS_PER_SPAN + 1):
            print(f'\n[[span]]\nid = {span}\nname = "{a.span_prefix}{span}"\ntype = "e1"\nworker = {(span - 1) % a.workers + 1}')
        return
    if not (a.socket and a.local and a.first_port and (a.remote or a.pairs)):
        ap.error('creating sessions needs --socket, --local, --first-port and --remote or --pairs')
    if a.remote:
        remote_ip, remote_base = a.remote.rsplit(':', 1)
        remote_base = int(remote_base)
    if a.pairs and a.workers != 1:
        ap.error('--pairs needs --workers 1')

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(a.socket)
    f = s.makefile('rwb')
    k = a.sessions
    taken = [0] * a.workers  # sessions created so far on each worker
    for n in range(k):
        span, ts = n // SESSIONS_PER_SPAN + 1, n % SESSIONS_PER_SPAN + 1
        worker = (span - 1) % a.workers
        local_port = a.first_port + 2 * (worker + taken[worker] * a.workers)
        taken[worker] += 1
        ts = ts if ts < 16 else ts + 1  # TS16 is the D-channel
        if a.pairs:
            peer = n ^ 1 if (n ^ 1) < k else n
            dest = f'{a.local}:{a.first_port + 2 * peer}'
        else:
            dest = f'{remote_ip}:{remote_base + 2 * (n % 10000)}'
        f.write((json.dumps({'api': 1, 'command': 'session create', 'args': {
            'span': f'{a.span_prefix}{span}', 'ts': ts, 'codec': 'pcmu', 'remote': dest}}) + '\n').encode())
        f.flush()
        r = json.loads(f.readline())
        if not r['ok'] or r['result']['local'] != f'{a.local}:{local_port}':
            sys.exit(f'session {n}: {r}')
    print(f'{k} sessions created')


if __name__ == '__main__':
    main()
