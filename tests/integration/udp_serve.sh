#!/bin/bash
# udp_serve.sh - udp-serve and udp-send on loopback, with the textbook's UDP programs.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
TB=$here/../textbook
STAMP_RE='[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4} '

# userve VAR ARGS...: start udp-serve on a free port and wait until it answers.
userve() {
	local var=$1 p i host=127.0.0.1
	shift
	case " $* " in *" -6 "*) host='[::1]' ;; esac
	p=$(free_port)
	"$NT" udp-serve -q -p "$p" "$@" &
	SRV_PID=$!
	cleanup "kill -TERM $SRV_PID; sleep 0.1; kill -9 $SRV_PID; wait $SRV_PID"
	printf -v "$var" '%s' "$p"
	for i in $(seq 100); do
		"$NT" udp-send -q --timeout 0.1 --retries 0 "$host:$p" ping >/dev/null 2>&1 && return 0
	done
	fail "udp-serve $* did not answer"
}

userve P
testing "udp-send: one-shot messages" "\$NT udp-send 127.0.0.1:$P Hello World | sed -E 's/^.{24} //'" "Hello\nWorld" "" ""
testing "udp-send: piped lines" "\$NT udp-send 127.0.0.1:$P | sed -E 's/^.{24} //'" "a\nb" "" "a\nb\n"
testing "udp-send: IPv6 [::1]" "\$NT udp-send '[::1]:$P' six | sed -E 's/^.{24} //'" "six" "" ""
out=$(printf 'Hello\nWorld\n\n' | /usr/bin/python3 "$TB/tsUclnt.py" 127.0.0.1 "$P")
echo "$out" | grep -Eq "^> ${STAMP_RE}Hello$" && echo "$out" | grep -Eq "${STAMP_RE}World$" \
	&& pass "textbook UDP client against udp-serve" || fail "textbook UDP client" "$out"

# Batches: 64 datagrams outstanding at once, all answered; a reply is never larger than
# the request plus the stamp, and never larger than a datagram.
/usr/bin/python3 - "$P" >"$T/batch.out" 2>&1 <<'PY'
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for i in range(64):
    s.sendto(b'msg %d' % i, ('127.0.0.1', port))
got = set()
while len(got) < 64:
    d, _ = s.recvfrom(2048)
    got.add(d[25:])
assert got == {b'msg %d' % i for i in range(64)}, got
s.sendto(b'', ('127.0.0.1', port))
d, _ = s.recvfrom(2048)
assert len(d) == 25, d
big = b'z' * 65000
s.sendto(big, ('127.0.0.1', port))
d, _ = s.recvfrom(70000)
assert len(d) <= 65507 and d[25:] == big[:len(d) - 25], len(d)
print('ok')
PY
grep -qx ok "$T/batch.out" && pass "64 outstanding datagrams answered; replies bounded" || fail "batched datagrams" "$(cat "$T/batch.out")"

userve P2 --echo
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
p = bytes(range(256)) + b"\x00\xc3\x28"
s.sendto(p, ("127.0.0.1", int(sys.argv[1])))
d, _ = s.recvfrom(4096)
sys.exit(0 if d == p else 1)' "$P2" && pass "--echo returns binary datagrams exactly" || fail "--echo binary"

userve P3 --daytime
got=$("$NT" udp-send 127.0.0.1:"$P3" anything | od -c | head -2)
echo "$got" | grep -q '\\r  \\n' && pass "--daytime answers with the time and CR LF" || fail "--daytime" "$got"

userve P4 -4
expect_exit "-4: no answer on ::1 (exit 3)" 3 "$NT" udp-send --timeout 0.2 --retries 0 "[::1]:$P4" x

# udp-send against the textbook's server.
TP=$(free_port)
/usr/bin/python3 "$TB/tsUserv.py" "$TP" >"$T/tsu.log" &
TPID=$!
cleanup "kill -9 $TPID; wait $TPID"
for _ in $(seq 100); do grep -q waiting "$T/tsu.log" && break; sleep 0.05; done
testing "udp-send against the textbook UDP server" "\$NT udp-send 127.0.0.1:$TP hi | sed -E 's/^.{24} //'" "hi" "" ""
grep -q 'received from and returned to' "$T/tsu.log" && pass "textbook server saw our datagram" || fail "textbook server log"

# No reply: each datagram is sent 1 + --retries times, then exit 3.
SP=$(free_port)
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); s.settimeout(3)
print("ready", file=sys.stderr, flush=True)
n = 0
try:
    while True:
        s.recvfrom(100); n += 1
except socket.timeout:
    pass
print(n)' "$SP" >"$T/sink.out" 2>"$T/sink.err" &
SINK=$!
for _ in $(seq 100); do grep -q ready "$T/sink.err" 2>/dev/null && break; sleep 0.05; done
expect_exit "udp-send: no reply is exit 3" 3 "$NT" udp-send --timeout 0.2 --retries 2 127.0.0.1:"$SP" lost
wait $SINK
[ "$(cat "$T/sink.out")" = 3 ] && pass "--retries 2 sends the datagram 3 times" || fail "--retries count" "$(cat "$T/sink.out")"

# A slow server: replies come 0.7 s late, after udp-send has already retried. Each reply
# must still be paired with its own message.
LP=$(free_port)
/usr/bin/python3 -c '
import socket, sys, threading, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
print("ready", file=sys.stderr, flush=True)
def later(d, a):
    time.sleep(0.7); s.sendto(b"reply to " + d, a)
while True:
    d, a = s.recvfrom(100)
    threading.Thread(target=later, args=(d, a), daemon=True).start()' "$LP" 2>"$T/slow.err" &
SLOW=$!
cleanup "kill -9 $SLOW; wait $SLOW"
for _ in $(seq 100); do grep -q ready "$T/slow.err" 2>/dev/null && break; sleep 0.05; done
testing "udp-send: late replies are paired with their own messages" "\$NT udp-send --timeout 0.5 --retries 1 127.0.0.1:$LP one two three" "reply to one\nreply to two\nreply to three" "" ""

kill -TERM "$SRV_PID"; wait "$SRV_PID"; rc=$?
[ $rc -eq 0 ] && pass "SIGTERM: udp-serve exits 0" || fail "udp-serve SIGTERM" "rc=$rc"
userve P5 --workers 2
[ "$(pgrep -P "$SRV_PID" | wc -l)" -eq 2 ] && pass "--workers 2" || fail "--workers 2"
testing "--workers 2 answers" "\$NT udp-send 127.0.0.1:$P5 w | sed -E 's/^.{24} //'" "w" "" ""
expect_exit "udp-serve --echo --daytime is refused" 2 "$NT" udp-serve --echo --daytime
expect_exit "udp-send to a bad address is exit 2" 2 "$NT" udp-send 'host:99999' x
finish
