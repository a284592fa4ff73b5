#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# exec_probe.py - clients for tcp-serve --exec (tests/integration/tcp_exec.sh).
#   concurrent PORT N       N connections at once to a cat program: each sends its own
#                           line, half-closes, and must get exactly that line back
#   hold PORT N SECS        hold N connections open SECS seconds (prints "ready")
#   env PORT                the UCSPI variables printed by env, checked against the
#                           client's own socket
#   flood PORT BYTES        send BYTES to a program that never reads, then close
import socket
import sys
import time


def connect(port):
    return socket.create_connection(('127.0.0.1', port), timeout=30)


def recv_all(s):
    out = b''
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b


def concurrent(port, n):
    socks = [connect(port) for _ in range(n)]
    for i, s in enumerate(socks):
        s.sendall(b'line %d\n' % i)
        s.shutdown(socket.SHUT_WR)
    bad = 0
    for i, s in enumerate(socks):
        got = recv_all(s)
        if got != b'line %d\n' % i:
            bad += 1
            print('connection %d got %r' % (i, got[:60]))
        s.close()
    print('%d of %d answered exactly' % (n - bad, n))
    return 1 if bad else 0


def hold(port, n, secs):
    socks = [connect(port) for _ in range(n)]
    print('ready', flush=True)
    time.sleep(secs)
    for s in socks:
        s.close()
    return 0


def env(port):
    s = connect(port)
    me = s.getsockname()
    s.shutdown(socket.SHUT_WR)
    got = recv_all(s).decode()
    vars_ = dict(l.split('=', 1) for l in got.splitlines() if '=' in l)
    want = {'PROTO': 'TCP', 'TCPREMOTEIP': me[0], 'TCPREMOTEPORT': str(me[1]),
            'TCPLOCALIP': '127.0.0.1', 'TCPLOCALPORT': str(port)}
    bad = {k: vars_.get(k) for k in want if vars_.get(k) != want[k]}
    if bad:
        print('wrong or missing:', bad, 'wanted', want)
        return 1
    stale = [k for k in ('TCPREMOTEHOST', 'TCPREMOTEINFO') if k in vars_]
    if stale:
        print('inherited stale variables:', stale)
        return 1
    print('ok', want)
    return 0


def flood(port, nbytes):
    s = connect(port)
    s.settimeout(2)
    sent = 0
    chunk = b'x' * 65536
    try:
        while sent < nbytes:
            sent += s.send(chunk)
    except socket.timeout:
        pass
    print('sent %d before the program stopped taking them' % sent)
    s.close()
    return 0


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == 'concurrent':
        return concurrent(port, int(sys.argv[3]))
    if cmd == 'hold':
        return hold(port, int(sys.argv[3]), float(sys.argv[4]))
    if cmd == 'env':
        return env(port)
    if cmd == 'flood':
        return flood(port, int(sys.argv[3]))
    return 2


sys.exit(main())
