#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# svc_probe.py - RFC clients for the small services (tests/integration/tcp_services.sh),
# each checking the format its RFC gives:
#   tcp-discard PORT     RFC 863: 1 MiB sent, nothing ever comes back, closed cleanly
#   tcp-chargen PORT     RFC 864: lines of 72 characters + CR LF, each shifted by one in
#                        the 95 printable characters, a slow reader does not break it
#   tcp-chargen-halfclose PORT   the same (32 MiB) after the client shut its sending side
#   tcp-time PORT        RFC 868: exactly 4 bytes, seconds since 1900, then close
#   udp-time PORT        RFC 868: an empty datagram gets 4 bytes
#   udp-chargen PORT     RFC 864: each datagram gets 0 to 512 characters of the pattern
#   udp-discard PORT     RFC 863: nothing comes back
import socket
import struct
import sys
import time

PRINTABLE = ''.join(chr(c) for c in range(32, 127))


def rfc868_to_unix(v):
    # RFC 4330 section 3: the top bit clear means the era after 2036-02-07 06:28:16 UTC.
    return v - 2208988800 if v & 0x80000000 else v + 2**32 - 2208988800


def check_time(data):
    assert len(data) == 4, 'time reply of %d bytes, not 4' % len(data)
    v = struct.unpack('!I', data)[0]
    t = rfc868_to_unix(v)
    assert abs(t - time.time()) < 5, 'time %d is %d s off' % (t, t - time.time())
    print('ok time %d (value %d)' % (t, v))


def check_chargen_lines(text, partial_ok=False):
    lines = text.split('\r\n')
    if partial_ok:
        lines = lines[:-1]
    assert lines, 'no complete line'
    first = None
    for i, l in enumerate(lines):
        assert len(l) == 72, 'line %d has %d characters: %r' % (i, len(l), l)
        k = PRINTABLE.index(l[0])
        want = ''.join(PRINTABLE[(k + j) % 95] for j in range(72))
        assert l == want, 'line %d is not the rotating pattern: %r' % (i, l)
        if first is not None:
            assert k == (first + 1) % 95, 'line %d does not start one further than the last' % i
        first = k
    return len(lines)


def tcp(port):
    return socket.create_connection(('127.0.0.1', port), timeout=10)


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == 'tcp-discard':
        s = tcp(port)
        s.sendall(b'x' * (1 << 20))
        s.shutdown(socket.SHUT_WR)
        assert s.recv(100) == b'', 'discard answered'
        print('ok discard: 1 MiB taken, nothing back, closed')
    elif cmd == 'tcp-chargen':
        s = tcp(port)
        got = b''
        while len(got) < 74 * 300:
            got += s.recv(65536)
            time.sleep(0.01)  # a slow reader
        n = check_chargen_lines(got.decode('ascii'), partial_ok=True)
        assert got.startswith(b'!"#$%'), 'the first line is not RFC 864 sample\'s first: %r' % got[:10]
        s.close()
        print('ok chargen: %d lines checked' % n)
    elif cmd == 'tcp-chargen-halfclose':
        # RFC 864: the server sends until the client closes; a client that shuts down
        # its sending side has not closed, and still gets the pattern.
        # More than the socket buffers hold (a server that stopped at the half-close
        # has written those already), and the server given time to see the half-close.
        s = tcp(port)
        s.shutdown(socket.SHUT_WR)
        time.sleep(0.3)
        first, total = b'', 0
        while total < 32 << 20:
            b = s.recv(1 << 20)
            assert b, 'the connection ended after the client\'s half-close (%d bytes)' % total
            if len(first) < 74 * 300:
                first += b
            total += len(b)
        n = check_chargen_lines(first.decode('ascii'), partial_ok=True)
        s.close()
        print('ok chargen after a half-close: 32 MiB, the first %d lines checked' % n)
    elif cmd == 'tcp-time':
        s = tcp(port)
        data = b''
        while True:
            b = s.recv(100)
            if not b:
                break
            data += b
        check_time(data)
    elif cmd.startswith('udp-'):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1)
        s.connect(('127.0.0.1', port))
        if cmd == 'udp-time':
            s.send(b'')
            check_time(s.recv(100))
        elif cmd == 'udp-discard':
            s.send(b'hello')
            try:
                s.recv(100)
                raise AssertionError('discard answered')
            except socket.timeout:
                print('ok udp discard: no answer')
        elif cmd == 'udp-chargen':
            sizes = []
            for _ in range(40):
                s.send(b'')
                d = s.recv(1000)
                assert len(d) <= 512, 'a datagram of %d characters' % len(d)
                text = d.decode('ascii')
                # Characters of one line of the pattern (72 at most, then CR LF, then the next).
                line = text.split('\r\n')[0]
                if len(line) == len(text) and line.endswith('\r'):
                    line = line[:-1]  # the datagram ended between a line's CR and its LF
                if line:
                    k = PRINTABLE.index(line[0])
                    assert line == ''.join(PRINTABLE[(k + j) % 95] for j in range(len(line))), repr(line)
                sizes.append(len(d))
            assert len(set(sizes)) > 5, 'lengths do not vary: %r' % sizes
            print('ok udp chargen: 40 datagrams, %d to %d characters' % (min(sizes), max(sizes)))
    else:
        return 2
    return 0


sys.exit(main())
