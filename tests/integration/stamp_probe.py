#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""stamp_probe.py - client-side checks against a timestamp server, for tcp_serve.sh.

Each mode prints "ok ..." and exits 0, or prints what went wrong and exits 1.
  many HOST PORT N          N clients connected at once, each sends a line, all answered
  noread HOST PORT [PID MAX] a client floods lines and never reads; another is still served
                            (and the server's RSS stays under MAX KiB meanwhile)
  bigline HOST PORT N MAX   N bytes without a newline; the replies are pieces of MAX bytes
  reset HOST PORT N         N clients that reset their connection; the server survives
  binary HOST PORT          NUL, invalid UTF-8 and CR bytes come back byte for byte (--echo)
  flood HOST PORT N PID MAX N clients flood empty lines, never read; server RSS under MAX KiB
  unix PATH                 the stamp over a unix socket
"""
import re
import select
import socket
import struct
import sys
import time

STAMP = re.compile(rb'^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4} ')
STAMP_ANY = re.compile(rb'[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4} ')


def conn(host, port, timeout=10):
    s = socket.create_connection((host, int(port)), timeout=timeout)
    return s


def recv_until(s, n_lines, limit=10):
    data = b''
    end = time.time() + limit
    while data.count(b'\n') < n_lines and time.time() < end:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def fail(msg):
    print('FAILED:', msg)
    sys.exit(1)


def many(host, port, n):
    n = int(n)
    socks = []
    for i in range(n):
        socks.append(conn(host, port))
    for i, s in enumerate(socks):
        s.sendall(b'client %d\n' % i)
    bad = 0
    t0 = time.time()
    for i, s in enumerate(socks):
        r = recv_until(s, 1)
        if not STAMP.match(r) or not r.endswith(b' client %d\n' % i):
            bad += 1
    for s in socks:
        s.close()
    if bad:
        fail('%d of %d clients got no correct reply' % (bad, n))
    print('ok %d clients answered in %.2f s' % (n, time.time() - t0))


def rss_kib(pid):
    with open('/proc/%s/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return -1


def noread(host, port, pid=None, limit_kib=None):
    hog = conn(host, port)
    hog.setblocking(False)
    sent = 0
    line = b'x' * 100 + b'\n'
    end = time.time() + 3
    while time.time() < end:
        try:
            sent += hog.send(line * 100)
        except BlockingIOError:
            time.sleep(0.01)
    # The hog is stuck: both socket buffers are full. Memory stays bounded meanwhile.
    if pid:
        rss = rss_kib(pid)
        if rss > int(limit_kib):
            fail('server RSS %d KiB while a client does not read (limit %s)' % (rss, limit_kib))
    # Another client is still served.
    other = conn(host, port, timeout=3)
    other.sendall(b'still here\n')
    r = recv_until(other, 1, 3)
    if not r.endswith(b' still here\n'):
        fail('a second client was not served while one did not read: %r' % r)
    print('ok served another client while one sent %d bytes without reading (RSS %s KiB)'
          % (sent, rss_kib(pid) if pid else '?'))
    hog.close()
    other.close()


def bigline(host, port, n, maxline):
    n, maxline = int(n), int(maxline)
    s = conn(host, port, timeout=20)
    payload = bytes((i * 7 + 13) % 26 + 97 for i in range(n))
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    data = b''
    while True:
        c = s.recv(1 << 20)
        if not c:
            break
        data += c
    # Replies: "STAMP " + piece, no newline added; the payload has only lower-case
    # letters, so every stamp in the output starts a piece. A piece is at most maxline
    # bytes (shorter when the socket was drained in the middle of the line).
    starts = [m.start() for m in STAMP_ANY.finditer(data)]
    if not starts or starts[0] != 0:
        fail('reply does not start with a stamp')
    pieces = []
    for i, st in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(data)
        pieces.append(data[st + 25:end])
    if b''.join(pieces) != payload:
        fail('the pieces do not add up to what was sent (%d pieces)' % len(pieces))
    if any(len(p) > maxline for p in pieces):
        fail('a piece is longer than the maximum')
    print('ok %d bytes answered in %d pieces of at most %d' % (n, len(pieces), maxline))


def flood(host, port, n, pid, limit_kib):
    """N clients send empty lines (each one a whole reply) as fast as the server takes
    them and never read: the server's memory must stay bounded per client."""
    socks = []
    for _ in range(int(n)):
        s = conn(host, port)
        s.setblocking(False)
        socks.append(s)
    chunk = b'\n' * 65536
    end = time.time() + 3
    while time.time() < end:
        progress = False
        for s in socks:
            try:
                if s.send(chunk) > 0:
                    progress = True
            except BlockingIOError:
                pass
        if not progress:
            time.sleep(0.05)
    rss = rss_kib(pid)
    for s in socks:
        s.close()
    if rss > int(limit_kib):
        fail('server RSS %d KiB with %s flooding clients (limit %s)' % (rss, n, limit_kib))
    print('ok RSS %d KiB with %s clients flooding empty lines' % (rss, n))


def reset(host, port, n):
    for i in range(int(n)):
        s = conn(host, port)
        s.sendall(b'bye\n' if i % 2 else b'x' * 5000)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        s.close()  # RST
    s = conn(host, port)
    s.sendall(b'after resets\n')
    r = recv_until(s, 1, 3)
    if not r.endswith(b' after resets\n'):
        fail('server did not answer after resets: %r' % r)
    print('ok server answers after %s resets' % n)


def binary(host, port):
    s = conn(host, port)
    payload = bytes(range(256)) * 64 + b'\x00\xff\xfe\r\n\xc3\x28'
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    data = b''
    while True:
        c = s.recv(65536)
        if not c:
            break
        data += c
    if data != payload:
        fail('echo differs: sent %d bytes, got %d' % (len(payload), len(data)))
    print('ok %d binary bytes echoed exactly' % len(payload))


def unix(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(b'over unix\n')
    r = recv_until(s, 1)
    if not STAMP.match(r) or not r.endswith(b' over unix\n'):
        fail('bad reply over unix: %r' % r)
    print('ok')


def emfile(host, port, n, hold_secs):
    """N clients send a line at once to a server with too few descriptors; each reply is
    read and its socket closed in turn: every client must be answered."""
    n = int(n)
    socks = [conn(host, port, timeout=15) for _ in range(n)]
    for i, s in enumerate(socks):
        s.sendall(b'client %d\n' % i)
    time.sleep(float(hold_secs))
    bad = 0
    for i, s in enumerate(socks):
        r = recv_until(s, 1, 10)
        if not r.endswith(b' client %d\n' % i):
            bad += 1
        s.close()
    if bad:
        fail('%d of %d clients unanswered' % (bad, n))
    print('ok all %d clients answered' % n)


def maxclients(host, port):
    a, b, c = conn(host, port), conn(host, port), conn(host, port)
    for s in (a, b, c):
        s.sendall(b'hi\n')
    for s in (a, b):
        if not recv_until(s, 1, 3).endswith(b' hi\n'):
            fail('one of the first two clients was not served')
    c.settimeout(0.5)
    try:
        r = c.recv(100)
        fail('third client served beyond --max-clients 2: %r' % r)
    except socket.timeout:
        pass
    a.close()
    c.settimeout(5)
    if not recv_until(c, 1, 5).endswith(b' hi\n'):
        fail('third client not served after one left')
    print('ok')


def idle(host, port, wait):
    s = conn(host, port)
    s.sendall(b'x\n')
    recv_until(s, 1, 3)
    t0 = time.time()
    s.settimeout(float(wait) + 3)
    r = s.recv(100)
    el = time.time() - t0
    if r != b'':
        fail('expected the server to close an idle client, got %r' % r)
    if el < 0.75 * float(wait):
        fail('closed after %.2f s, before the idle timeout of %s s' % (el, wait))
    print('ok closed after %.2f s' % el)


def line(host, port):
    s = conn(host, port)
    s.sendall(b'first\nsecond\n')
    data = b''
    while True:
        c = s.recv(1000)
        if not c:
            break
        data += c
    if not STAMP.match(data) or not data.endswith(b' first\n') or b'second' in data:
        fail('--line did not answer exactly one line then close: %r' % data)
    print('ok')


def daytime(host, port):
    s = conn(host, port)
    data = b''
    while True:
        c = s.recv(1000)
        if not c:
            break
        data += c
    if not re.match(rb'^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}\r\n$', data):
        fail('bad daytime reply %r' % data)
    print('ok')


def holdlines(host, port, n):
    """N clients, each answered once, then wait for the server to close them (SIGTERM test)."""
    socks = [conn(host, port) for _ in range(int(n))]
    for s in socks:
        s.sendall(b'before\n')
    for s in socks:
        if not recv_until(s, 1, 3).endswith(b' before\n'):
            fail('not answered')
    print('ready', flush=True)
    for s in socks:
        s.settimeout(10)
        if s.recv(10) != b'':
            fail('expected end of stream after SIGTERM')
    print('ok all closed by the server')


if __name__ == '__main__':
    mode, args = sys.argv[1], sys.argv[2:]
    {'many': many, 'noread': noread, 'bigline': bigline, 'reset': reset, 'binary': binary,
     'unix': unix, 'flood': flood, 'emfile': emfile, 'maxclients': maxclients,
     'idle': idle, 'line': line, 'daytime': daytime, 'holdlines': holdlines}[mode](*args)
