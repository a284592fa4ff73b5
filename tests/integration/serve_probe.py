#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""serve_probe.py - hostile peers for tcp_serve.sh, udp_serve.sh and tcp_send.sh.

  spoof SPORT DPORT DATA      one UDP datagram 127.0.0.1:SPORT -> 127.0.0.1:DPORT through a
                              raw socket (needs root): a forged source no bound socket could give
  restart-cap PID             kill PID's workers with SIGKILL one after the other; prints
                              "restarted N" for every replacement seen and "gave up" when PID
                              ends (exits 1 when it restarts more than 10 or never ends)
  partial PORT PID N BYTES [BIG]
                              (BIG bytes on one client, then) N clients with BYTES each, no
                              newline; prints the server's VmHWM once it has read them, then
                              sends a newline on each and prints how many were answered
  sink-halfclose PORT         accept one connection, shut down our sending side at once,
                              count what arrives until EOF, print the count
  noeol PORT BYTES            accept one connection, read the request, send BYTES without a
                              newline, keep the connection open
  lines PORT KIND             answer each line of every connection, one at a time, with
                              more than one line: KIND multi "1:L" "2:L" "3:L", crlf "e1" "e2" "e3"
                              with CR LF, big "L" then 11000 lines of 100 bytes and a close,
                              rst "L" "extra", then a reset at the client's half-close
  tls-alert PORT [silent]     accept one connection, read the request, answer a TLS alert
                              record (silent: nothing), then reset
"""
import os, signal, socket, struct, sys, time


def spoof(sport, dport, data):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    d = data.encode()
    s.sendto(struct.pack('!HHHH', sport, dport, 8 + len(d), 0) + d, ('127.0.0.1', 0))


def children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            return sorted(int(x) for x in f.read().split())
    except OSError:
        return []


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def wait_for(cond, secs):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def restart_cap(pid):
    want = len(children(pid))
    for n in range(12):
        kids = children(pid)
        if not alive(pid):
            print('gave up after %d kills' % n)
            return 0
        victim = kids[0]
        os.kill(victim, signal.SIGKILL)
        ok = wait_for(lambda: not alive(pid) or (len(children(pid)) == want and victim not in children(pid)), 5)
        if not ok:
            print('no replacement for worker %d within 5 s' % victim)
            return 1
        if alive(pid):
            print('restarted %d' % (n + 1), flush=True)
    print('still restarting after 12 kills')
    return 1


def rx_pending(port):
    """Bytes not yet read by the server on its established connections at port."""
    total = 0
    for name in ('/proc/net/tcp', '/proc/net/tcp6'):
        with open(name) as f:
            for line in f.readlines()[1:]:
                x = line.split()
                if int(x[1].rsplit(':', 1)[1], 16) == port and x[3] == '01':
                    total += int(x[4].split(':')[1], 16)
    return total


def vm_hwm(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return -1


def answered(s):
    """After the newline: 'answered' (a stamped line came), or 'closed'."""
    try:
        s.sendall(b'\n')
        s.settimeout(10)
        d = s.recv(100)
        return 'answered' if d[:3].isalpha() and len(d) > 25 else 'closed'
    except OSError:
        return 'closed'


def partial(port, pid, n, size, big):
    """big (if > 0) bytes on a first client, then n clients with size bytes each, all
    without a newline; once the server has read everything: its VmHWM; then a newline
    on each, and who got an answer."""
    import resource
    resource.setrlimit(resource.RLIMIT_NOFILE, (n + 100, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    socks = []
    for i in range(n + (1 if big else 0)):
        s = socket.create_connection(('127.0.0.1', port))
        s.sendall(b'p' * (big if big and i == 0 else size))
        socks.append(s)
    if not wait_for(lambda: rx_pending(port) == 0, 20):
        print('the server did not read everything: %d bytes left' % rx_pending(port))
        return 1
    print('hwm_kb=%d' % vm_hwm(pid))
    res = [answered(s) for s in socks]
    if big:
        print('big=%s' % res.pop(0))
    print('answered=%d closed=%d' % (res.count('answered'), res.count('closed')))
    return 0


def sink_halfclose(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', port))
    ls.listen(1)
    print('ready', file=sys.stderr, flush=True)
    c, _ = ls.accept()
    c.shutdown(socket.SHUT_WR)
    n = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        n += len(d)
    print(n)


def noeol(port, size):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', port))
    ls.listen(1)
    print('ready', file=sys.stderr, flush=True)
    c, _ = ls.accept()
    c.recv(100)
    chunk = b'x' * 65536
    sent = 0
    try:
        while sent < size:
            c.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    print(sent, flush=True)
    time.sleep(30)


def lines(port, kind):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', port))
    ls.listen(5)
    print('ready', file=sys.stderr, flush=True)
    while True:
        c, _ = ls.accept()
        try:
            for line in c.makefile('rb'):
                if kind == 'multi':
                    c.sendall(b'1:' + line + b'2:' + line + b'3:' + line)
                elif kind == 'crlf':
                    c.sendall(b'e1\r\ne2\r\ne3\r\n')
                elif kind == 'big':
                    c.sendall(line + (b'y' * 99 + b'\n') * 11000)
                    break
                elif kind == 'rst':
                    c.sendall(line + b'extra\n')
                    while c.recv(100):  # the client's half-close after its last reply
                        pass
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                    break
        except OSError:
            pass
        c.close()


def tls_alert(port, then):
    """A TLS server to a plain client (as GnuTLS's): the first bytes back are a fatal
    alert record (protocol_version), then a reset or, with then == 'silent', nothing."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', port))
    ls.listen(1)
    print('ready', file=sys.stderr, flush=True)
    c, _ = ls.accept()
    c.recv(100)
    if then != 'silent':
        c.sendall(b'\x15\x03\x03\x00\x02\x02\x46')
        time.sleep(0.05)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    c.close()


def main():
    a = sys.argv[1:]
    if a[0] == 'spoof':
        spoof(int(a[1]), int(a[2]), a[3])
    elif a[0] == 'restart-cap':
        sys.exit(restart_cap(int(a[1])))
    elif a[0] == 'partial':
        sys.exit(partial(int(a[1]), int(a[2]), int(a[3]), int(a[4]), int(a[5]) if len(a) > 5 else 0))
    elif a[0] == 'sink-halfclose':
        sink_halfclose(int(a[1]))
    elif a[0] == 'noeol':
        noeol(int(a[1]), int(a[2]))
    elif a[0] == 'tls-alert':
        tls_alert(int(a[1]), a[2] if len(a) > 2 else 'reset')
    elif a[0] == 'lines':
        lines(int(a[1]), a[2])
    else:
        sys.exit('unknown command ' + a[0])


if __name__ == '__main__':
    main()
