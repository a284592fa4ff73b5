#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tls_probe.py - client-side checks against tcp-serve --tls, for tcp_tls.sh.

Each mode prints "ok ..." and exits 0, or prints what went wrong and exits 1. CA is the
file that verifies the server (its name is checked as "localhost").
  stall PORT CA N HS_SECS   N clients start a handshake (half a ClientHello) and stall;
                            a real client is served meanwhile (within HS_SECS - 1), and
                            the stalled ones are closed by the server within HS_SECS
                            (+ slack)
  noread PORT CA PID MAX    a TLS client floods lines and never reads; another is served
                            and the server's RSS stays under MAX KiB meanwhile
  pending PORT CA N SIZE    N lines of SIZE bytes sent at once, in 16 KiB records, more
                            than the server reads in one turn: every one answered (input
                            left inside OpenSSL is served, not forgotten until the next
                            packet, which never comes)
  halfrecord PORT CA PID    after the handshake, half of a TLS record, then nothing: the
                            server waits for the rest without spinning (CPU over 1 s)
  records PORT CA PID N      N one-line TLS records and half of one more, in one write:
                            the N answered (whole records the server read ahead of the
                            one it decrypted are served without a new packet), no busy
                            loop on the half record (CPU over 1 s), answered once complete
  garbage PORT CA N         N one-line TLS records, then bytes that are no TLS record,
                            in one write: the N replies all come before the server
                            closes the connection (none dropped for the bad record)
  partial PORT CA N SIZE BIG  a TLS client sends BIG bytes without a newline, then N
                            more SIZE bytes each; the server (--line --max-partial under
                            BIG + N * SIZE) closes the big one, and answers the N others
                            once their newline comes
  emfile PORT CA N HOLD    N TLS clients at once (threads) against a server with too few
                            descriptors, each holding its connection HOLD s: all served
  reload PORT CA PID LIVE_CRT LIVE_KEY NEW_CRT NEW_KEY
                            a connection stays open while the certificate files are
                            replaced and the server gets SIGHUP; it still works, and a new
                            connection is shown the new certificate
  exec PORT CA N            N TLS clients at once (threads) against --exec of a program
                            that reads a line and answers "LINE|PROTO|TCPREMOTEIP|
                            TCPREMOTEPORT|TCPLOCALIP|TCPLOCALPORT": each gets its own line
                            back with its own address, then the end of the session
  flood PORT CA PID N SECS MAX
                            N clients (another process: flooders) with a 2 KiB receive
                            window that never read send one-byte TLS records, 500 to a
                            write, for SECS s; meanwhile a new connection (connect,
                            handshake, a line) and an established one (a line) are
                            answered: median under MED s each (the script passes 0.25), none over 1.5 s; the
                            server's RSS stays under MAX KiB
  flooders PORT CA N SECS   (for flood) the N clients: "ready" once all shook hands, then
                            the records for SECS s
  execnoread PORT CA PID MAX MIB  against --exec of a program that takes the line "hog"
                            and then never reads: a client offers MIB MiB for 3 s; the
                            server's RSS stays under MAX KiB, it stops taking the bytes
                            (not all sent), and another client ("other") is answered
"""
import os
import re
import shutil
import signal
import socket
import ssl
import sys
import time

STAMP = re.compile(rb'^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4} ')


def fail(msg):
    print('FAILED:', msg)
    sys.exit(1)


def tls_conn(port, ca, timeout=10):
    ctx = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection(('127.0.0.1', int(port)), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname='localhost')


def recv_lines(s, n, limit=10):
    data = b''
    end = time.time() + limit
    while data.count(b'\n') < n and time.time() < end:
        try:
            c = s.recv(65536)
        except socket.timeout:
            break
        if not c:
            break
        data += c
    return data


def rss_kib(pid):
    with open('/proc/%s/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def client_hello_prefix():
    """The first bytes of a real ClientHello (a record header and part of the body)."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ssl.create_default_context().wrap_bio(inc, out, server_hostname='localhost')
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    return hello[:len(hello) // 2]


def stall(port, ca, n, hs_secs):
    n, hs_secs = int(n), float(hs_secs)
    part = client_hello_prefix()
    stalled = []
    for i in range(n):
        s = socket.create_connection(('127.0.0.1', int(port)), timeout=10)
        s.sendall(part)
        stalled.append(s)
    t0 = time.time()
    c = tls_conn(port, ca, timeout=5)
    c.sendall(b'served meanwhile\n')
    r = recv_lines(c, 1, 5)
    took = time.time() - t0
    c.close()
    if not STAMP.match(r) or not r.endswith(b' served meanwhile\n'):
        fail('a client was not served while %d handshakes stalled: %r' % (n, r))
    if took > hs_secs - 1:  # served before the stalled ones timed out, not after
        fail('served, but only after %.1f s while %d handshakes stalled' % (took, n))
    # The stalled ones are closed by the handshake timeout (counted from their accept).
    end = time.time() + hs_secs + 5
    closed = 0
    for s in stalled:
        s.settimeout(max(0.1, end - time.time()))
        try:
            closed += s.recv(100) == b''
        except ConnectionResetError:
            closed += 1
        except socket.timeout:
            pass
        s.close()
    if closed != n:
        fail('%d of %d stalled handshakes were still open %.0f s after the timeout' % (n - closed, n, 5))
    print('ok %d stalled handshakes: another client served in %.3f s, all %d closed by the timeout'
          % (n, took, n))


def noread(port, ca, pid, limit):
    hog = tls_conn(port, ca)
    hog.setblocking(False)
    sent = 0
    line = b'x' * 100 + b'\n'
    end = time.time() + 3
    while time.time() < end:
        try:
            sent += hog.send(line * 100)
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
            time.sleep(0.01)
    rss = rss_kib(pid)
    if rss > int(limit):
        fail('server RSS %d KiB while a TLS client does not read (limit %s)' % (rss, limit))
    other = tls_conn(port, ca, timeout=3)
    other.sendall(b'still here\n')
    r = recv_lines(other, 1, 3)
    if not r.endswith(b' still here\n'):
        fail('a second client was not served while one did not read: %r' % r)
    print('ok served another TLS client while one sent %d bytes without reading (RSS %d KiB)' % (sent, rss))
    other.close()
    hog.close()


def pending(port, ca, n, size):
    n, size = int(n), int(size)
    s = tls_conn(port, ca)
    s.sendall((b'p' * (size - 1) + b'\n') * n)  # records of 16 KiB, sent at once
    r = recv_lines(s, n, 5)
    got = r.count(b'\n')
    if got != n:
        fail('%d lines of %d bytes at once: %d answered' % (n, size, got))
    print('ok %d lines of %d bytes sent at once, all answered' % (n, size))
    s.close()


def cpu_ticks(pid):
    with open('/proc/%s/stat' % pid) as f:
        v = f.read().rsplit(')', 1)[1].split()
    return int(v[11]) + int(v[12])


def memory_tls(raw, ca, ctx=None):
    """The handshake over a connected socket, the TLS records through memory BIOs, so
    that a test can cut and time them: (raw, obj, inc, out), obj the SSLObject. ctx:
    a context to share between connections (made from ca otherwise)."""
    ctx = ctx or ssl.create_default_context(cafile=ca)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname='localhost')
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            raw.sendall(out.read())
            inc.write(raw.recv(65536))
    raw.sendall(out.read())
    return raw, obj, inc, out


def halfrecord(port, ca, pid):
    raw, obj, inc, out = memory_tls(socket.create_connection(('127.0.0.1', int(port)), timeout=5), ca)
    obj.write(b'half a record\n')
    rec = out.read()
    raw.sendall(rec[:len(rec) // 2])
    time.sleep(0.3)
    t0 = cpu_ticks(pid)
    time.sleep(1)
    used = cpu_ticks(pid) - t0
    if used > 20:
        fail('the server used %d clock ticks in 1 s waiting for the rest of a record' % used)
    raw.sendall(rec[len(rec) // 2:])
    data = b''
    end = time.time() + 5
    while b'\n' not in data and time.time() < end:
        inc.write(raw.recv(65536))
        try:
            data += obj.read(65536)
        except ssl.SSLWantReadError:
            pass
    if not data.endswith(b' half a record\n'):
        fail('the completed record was not answered: %r' % data)
    print('ok half a record: %d clock ticks in 1 s of waiting, answered once complete' % used)
    raw.close()


def records(port, ca, pid, n):
    n = int(n)
    raw, obj, inc, out = memory_tls(socket.create_connection(('127.0.0.1', int(port)), timeout=5), ca)
    time.sleep(0.2)  # the server is past its handshake and waits for data
    for i in range(n):
        obj.write(b'record %d\n' % i)  # each write its own record
    burst = out.read()
    obj.write(b'the last record\n')
    last = out.read()
    raw.sendall(burst + last[:len(last) // 2])

    def read_lines(want, limit):
        data = b''
        end = time.time() + limit
        while data.count(b'\n') < want and time.time() < end:
            try:
                data += obj.read(65536)
                continue
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLZeroReturnError:
                break
            try:
                c = raw.recv(65536)
            except socket.timeout:
                break
            if not c:
                break
            inc.write(c)
        return data
    got = read_lines(n, 5)
    lines = [x for x in got.split(b'\n') if x]
    if len(lines) != n or not lines[-1].endswith(b' record %d' % (n - 1)):
        fail('%d records in one write: %d answered' % (n, len(lines)))
    t0 = cpu_ticks(pid)
    time.sleep(1)
    used = cpu_ticks(pid) - t0
    if used > 20:
        fail('the server used %d clock ticks in 1 s waiting for the rest of a record' % used)
    raw.sendall(last[len(last) // 2:])
    got = read_lines(1, 5)
    if not got.endswith(b' the last record\n'):
        fail('the completed last record was not answered: %r' % got)
    print('ok %d records in one write all answered; %d clock ticks in 1 s on half a record; the rest answered'
          % (n, used))
    raw.close()


def garbage(port, ca, n):
    n = int(n)
    raw, obj, inc, out = memory_tls(socket.create_connection(('127.0.0.1', int(port)), timeout=5), ca)
    time.sleep(0.2)  # the server is past its handshake and waits for data
    for i in range(n):
        obj.write(b'line %d\n' % i)  # each write its own record
    raw.sendall(out.read() + b'\x17\x03\x03\x00\x20' + b'not a record of this session'.ljust(32, b'.'))
    data = b''
    end = time.time() + 5
    while time.time() < end:
        try:
            data += obj.read(65536)
            continue
        except ssl.SSLWantReadError:
            pass
        except (ssl.SSLZeroReturnError, ssl.SSLError):
            break  # the server's alert for the bad record: what came before it was read
        try:
            c = raw.recv(65536)
        except (socket.timeout, ConnectionError):
            break
        if not c:
            break
        inc.write(c)
    lines = [x for x in data.split(b'\n') if x]
    if len(lines) != n or not all(STAMP.match(x) for x in lines) or not lines[-1].endswith(b' line %d' % (n - 1)):
        fail('%d good records and a bad one in one write: %d replies before the close: %r' % (n, len(lines), data[-200:]))
    print('ok %d good records then a bad one in one write: all %d answered before the close' % (n, n))
    raw.close()


def partial(port, ca, n, size, big):
    n, size, big = int(n), int(size), int(big)
    first = tls_conn(port, ca)
    first.sendall(b'p' * big)
    others = []
    for _ in range(n):
        s = tls_conn(port, ca)
        s.sendall(b'p' * size)
        others.append(s)
    first.settimeout(5)
    try:
        big_closed = first.recv(100) == b''
    except socket.timeout:  # (an OSError too: first)
        big_closed = False
    except (OSError, ssl.SSLError):
        big_closed = True
    answered = 0
    for s in others:
        s.sendall(b'\n')
        answered += recv_lines(s, 1, 10).endswith(b'p\n')
    if not big_closed or answered != n:
        fail('over --max-partial: the big client %s, %d of %d others answered'
             % ('closed' if big_closed else 'still open', answered, n))
    print('ok over --max-partial the TLS client holding the most was closed, the %d others answered' % n)


def emfile(port, ca, n, hold):
    import threading
    n, hold = int(n), float(hold)
    bad = []

    def one(i):
        try:
            c = tls_conn(port, ca, timeout=20)
            c.sendall(b'client %d\n' % i)
            if not recv_lines(c, 1, 20).endswith(b' client %d\n' % i):
                bad.append(i)
            time.sleep(hold)
            c.close()
        except (OSError, ssl.SSLError) as e:
            bad.append((i, str(e)))
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if bad:
        fail('%d of %d TLS clients not served: %r' % (len(bad), n, bad[:3]))
    print('ok all %d TLS clients served' % n)


def der_of(pem_file):
    with open(pem_file) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def reload(port, ca, pid, live_crt, live_key, new_crt, new_key):
    old = tls_conn(port, ca)
    before = old.getpeercert(binary_form=True)
    old.sendall(b'before\n')
    if not recv_lines(old, 1).endswith(b' before\n'):
        fail('no reply before the reload')
    for src, dst in ((new_crt, live_crt), (new_key, live_key)):
        shutil.copyfile(src, dst + '.new')
        os.chmod(dst + '.new', 0o600)  # a key others can read is refused
        os.replace(dst + '.new', dst)
    os.kill(int(pid), signal.SIGHUP)
    # A new connection sees the new certificate once the server has read the files.
    end = time.time() + 5
    seen = None
    while time.time() < end:
        c = tls_conn(port, ca)
        seen = c.getpeercert(binary_form=True)
        c.sendall(b'new\n')
        r = recv_lines(c, 1)
        c.close()
        if seen == der_of(new_crt):
            break
        time.sleep(0.1)
    if seen != der_of(new_crt):
        fail('a new connection after SIGHUP still got the old certificate')
    if not r.endswith(b' new\n'):
        fail('the new connection was not served: %r' % r)
    old.sendall(b'after\n')
    r = recv_lines(old, 1)
    if not r.endswith(b' after\n'):
        fail('the connection kept across the reload stopped working: %r' % r)
    if before == seen:
        fail('the test certificates are the same')
    print('ok a connection kept across SIGHUP still served; a new one got the new certificate')
    old.close()


def exec_one(port, ca, i, res):
    try:
        s = tls_conn(port, ca, timeout=20)
        me = s.getsockname()
        line = 'client%d' % i
        s.sendall(line.encode() + b'\n')
        data = b''
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
        s.close()
        want = '%s|TCP|127.0.0.1|%d|127.0.0.1|%s\n' % (line, me[1], port)
        res[i] = None if data.decode() == want else 'got %r, wanted %r' % (data, want)
    except Exception as e:  # noqa: BLE001 - said as the failure
        res[i] = repr(e)


def exec_(port, ca, n):
    import threading
    n = int(n)
    res = {}
    ts = [threading.Thread(target=exec_one, args=(port, ca, i, res)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    bad = [(i, res.get(i, 'no answer')) for i in range(n) if res.get(i, 'no answer')]
    if bad:
        fail('%d of %d TLS clients of --exec not answered right, e.g. %s' % (len(bad), n, bad[0]))
    print('ok %d TLS clients at once, each answered by its own program with its own address' % n)


def execnoread(port, ca, pid, limit, mib):
    total = int(mib) << 20
    hog = tls_conn(port, ca)
    hog.sendall(b'hog\n')
    hog.setblocking(False)
    sent = 0
    chunk = b'x' * 65536
    end = time.time() + 3
    while time.time() < end and sent < total:
        try:
            sent += hog.send(chunk[:min(len(chunk), total - sent)])
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
            time.sleep(0.01)
    rss = rss_kib(pid)
    if rss > int(limit):
        fail('server RSS %d KiB while its program does not read (limit %s)' % (rss, limit))
    if sent >= total:
        fail('all %d bytes were taken while the program read none: nothing held the client back' % total)
    other = tls_conn(port, ca, timeout=5)
    other.sendall(b'other\n')
    r = recv_lines(other, 1, 5)
    if r != b'got other\n':
        fail('another client was not answered while a program did not read: %r' % r)
    print('ok a program that never reads: %d of %d bytes taken, server RSS %d KiB, another answered'
          % (sent, total, rss))
    other.close()
    hog.close()


def flooders(port, ca, n, secs):
    import threading
    n, secs = int(n), float(secs)
    ctx = ssl.create_default_context(cafile=ca)
    conns = []
    for i in range(n):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # before connect: the window
        raw.settimeout(30)
        raw.connect(('127.0.0.1', int(port)))
        raw, obj, inc, out = memory_tls(raw, ca, ctx)
        raw.settimeout(None)  # a send that blocks waits: a record cut short would end it
        conns.append((raw, obj, out))
    print('ready', flush=True)
    end = time.time() + secs

    def flood(raw, obj, out):
        while time.time() < end:
            for _ in range(500):
                obj.write(b'\n')  # a record per byte: a request per record
            try:
                raw.sendall(out.read())
            except OSError:
                return
    for c in conns:
        threading.Thread(target=flood, args=c, daemon=True).start()
    time.sleep(secs)
    os._exit(0)  # the blocked sends go with the process


def flood(port, ca, pid, n, secs, limit, med='0.1', worst='1.5'):
    import statistics
    med, worst = float(med), float(worst)
    import subprocess
    secs = float(secs)
    est = tls_conn(port, ca, timeout=10)
    child = subprocess.Popen([sys.executable, __file__, 'flooders', port, ca, n, str(secs)],
                             stdout=subprocess.PIPE)
    try:
        if child.stdout.readline().strip() != b'ready':
            fail('the %s flooding clients did not all connect' % n)
        time.sleep(1)  # their records pile up at the server first
        fresh, kept, rss = [], [], 0
        end = time.time() + secs - 2
        while time.time() < end:
            t0 = time.time()
            c = tls_conn(port, ca, timeout=10)
            c.sendall(b'fresh\n')
            r = recv_lines(c, 1, 10)
            fresh.append(time.time() - t0)
            c.close()
            if not r.endswith(b' fresh\n'):
                fail('a new connection was not answered during the flood: %r' % r)
            t0 = time.time()
            est.sendall(b'kept\n')
            r = recv_lines(est, 1, 10)
            kept.append(time.time() - t0)
            if not r.endswith(b' kept\n'):
                fail('an established connection was not answered during the flood: %r' % r)
            rss = max(rss, rss_kib(pid))
            time.sleep(0.05)
    finally:
        child.kill()
        child.wait()
    est.close()
    say = ('new connection median %.3f s, worst %.3f s; established median %.3f s, worst %.3f s; %d probes; RSS %d KiB'
           % (statistics.median(fresh), max(fresh), statistics.median(kept), max(kept), len(fresh), rss))
    if statistics.median(fresh) > med or statistics.median(kept) > med or max(fresh + kept) > worst:
        fail('%s clients sending one-byte records without reading slow the others: %s' % (n, say))
    if rss > int(limit):
        fail('server RSS %d KiB during the flood (limit %s)' % (rss, limit))
    print('ok served while %s clients sent one-byte records and never read: %s' % (n, say))


MODES = {'halfrecord': halfrecord, 'records': records, 'garbage': garbage, 'partial': partial, 'stall': stall, 'noread': noread, 'pending': pending, 'emfile': emfile, 'reload': reload,
         'exec': exec_, 'execnoread': execnoread, 'flood': flood, 'flooders': flooders}

if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        print(__doc__)
        sys.exit(2)
    MODES[sys.argv[1]](*sys.argv[2:])
