#!/bin/bash
# SPDX-License-Identifier: MIT
# udp_serve.sh - udp-serve and udp-send on loopback, with the textbook's UDP programs.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
TB=$here/../textbook
STAMP_RE='[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4} '

PROBE="/usr/bin/python3 $here/serve_probe.py"

# userve VAR ARGS...: start udp-serve on a free port and wait until it answers; its
# standard error goes to $USERVE_LOG when set.
userve() {
	local var=$1 p i host=127.0.0.1
	shift
	case " $* " in *" -6 "*) host='[::1]' ;; esac
	p=$(free_port)
	"$NT" udp-serve -q -p "$p" "$@" 2>>"${USERVE_LOG:-/dev/stderr}" &
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
# nc's HOST PORT, as tcp-send: a host without a port, then a number, is HOST:PORT
# (before: "PORT" and "x" went as messages to port 8888).
testing "udp-send: nc style HOST PORT MESSAGE" "\$NT udp-send 127.0.0.1 $P x | sed -E 's/^.{24} //'" "x" "" ""
testing "udp-send: HOST:PORT then a number: the number is a message" "\$NT udp-send 127.0.0.1:$P 7007 x | sed -E 's/^.{24} //'" "7007\nx" "" ""
"$NT" udp-send --help | grep -q 'HOST PORT' && pass "udp-send --help tells the HOST PORT form" || fail "udp-send --help HOST PORT"
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

# udp-send --raw: each reply byte for byte with nothing added, binary or text, as nc -u
# and socat print a datagram (before: a newline followed every reply that had none,
# binary too); without it the documented format, a newline when the reply has none.
"$NT" udp-send --raw 127.0.0.1:"$P2" $'\x01\xffbin' $'text\n' >"$T/raw.out"
printf '\001\377bintext\n' >"$T/raw.want"
cmp -s "$T/raw.out" "$T/raw.want" && pass "udp-send --raw: binary and text replies byte for byte, nothing added" ||
	fail "udp-send --raw" "$(od -c "$T/raw.out" | head -3)"
"$NT" udp-send 127.0.0.1:"$P2" $'\x01\xffbin' $'text\n' >"$T/nl.out"
printf '\001\377bin\ntext\n' >"$T/nl.want"
cmp -s "$T/nl.out" "$T/nl.want" && pass "udp-send without --raw: a newline after a reply that has none, no second one" ||
	fail "udp-send's newline" "$(od -c "$T/nl.out" | head -3)"
expect_exit "udp-send --raw with --json is exit 2" 2 "$NT" udp-send --raw --json 127.0.0.1:"$P2" x
# On a terminal a reply is made safe, as every applet prints a server's text (nettool(1)
# CONVENTIONS): an echoed escape sequence shows as '?'; --raw is byte for byte there too.
if command -v script >/dev/null; then
	ESC=$(printf '\033')
	msg=$(printf 'a\033]0;owned\007b')
	export NT P2 msg
	script -qec '"$NT" udp-send 127.0.0.1:"$P2" "$msg"' /dev/null >"$T/tty.out" 2>&1
	grep -aq 'a?]0;owned?b' "$T/tty.out" && ! grep -aq "$ESC" "$T/tty.out" &&
		pass "udp-send to a terminal: the server's escape sequences shown as '?'" ||
		fail "udp-send to a terminal" "$(cat -v "$T/tty.out")"
	# A datagram of several lines: a line a line, CR LF one end, not joined by '?'.
	msg=$(printf '1:a\r\n2:b\n3:c')
	script -qec '"$NT" udp-send 127.0.0.1:"$P2" "$msg"' /dev/null >"$T/tty.out" 2>&1
	[ "$(tr -d '\r' <"$T/tty.out")" = "$(printf '1:a\n2:b\n3:c')" ] &&
		pass "udp-send to a terminal: a datagram of several lines a line a line" ||
		fail "udp-send to a terminal, several lines" "$(cat -v "$T/tty.out")"
else
	skip "udp-send to a terminal" "script(1) is not installed"
fi

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
grep -q "127.0.0.1:$SP: no reply after 3 attempts" "$T/check.out" && pass "no reply: the message names the address" \
	|| fail "no reply message" "$(cat "$T/check.out")"

# A closed port: the ICMP port unreachable is said as such (it was "no reply after 3
# attempts", as if datagrams had been lost), exit 3.
CP=$(/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_exit "udp-send to a closed port is exit 3" 3 "$NT" udp-send --timeout 1 127.0.0.1:"$CP" hello
grep -q "127.0.0.1:$CP: port unreachable (nothing listens there)" "$T/check.out" && ! grep -q 'no reply' "$T/check.out" \
	&& pass "udp-send to a closed port: 'port unreachable (nothing listens there)'" \
	|| fail "closed port message" "$(cat "$T/check.out")"

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
cpus=$(getconf _NPROCESSORS_ONLN)
userve P5A --workers auto
[ "$(pgrep -P "$SRV_PID" | wc -l)" -eq "$([ "$cpus" -gt 1 ] && echo "$cpus" || echo 0)" ] \
	&& pass "--workers auto: one worker per online CPU ($cpus)" || fail "--workers auto" "$(pgrep -P "$SRV_PID" | wc -l) children"
testing "--workers auto answers" "\$NT udp-send 127.0.0.1:$P5A w | sed -E 's/^.{24} //'" "w" "" ""
expect_exit "udp-serve --echo --daytime is refused" 2 "$NT" udp-serve --echo --daytime
expect_exit "udp-send to a bad address is exit 2" 2 "$NT" udp-send 'host:99999' x

# A port is bound once: a second server on it fails, with and without --workers, on
# either side (no SO_REUSEADDR on UDP, no SO_REUSEPORT unless --reuseport).
for w in "" "--workers 2"; do
	# shellcheck disable=SC2086
	userve PB1 $w
	for w2 in "" "--workers 2"; do
		# shellcheck disable=SC2086
		expect_exit "busy port: udp-serve ${w2:-alone} beside udp-serve ${w:-alone} is exit 3" 3 timeout 5 "$NT" udp-serve -q -p "$PB1" $w2
		grep -q 'Address already in use' "$T/check.out" && pass "busy port: the message says 'Address already in use'" \
			|| fail "busy port message" "$(cat "$T/check.out")"
	done
	expect_exit "busy port: -l 127.0.0.1 beside the wildcard server is exit 3" 3 timeout 5 "$NT" udp-serve -q -l 127.0.0.1 -p "$PB1"
done
userve PB2 --workers 2 --reuseport
testing "--workers 2 --reuseport answers" "\$NT udp-send 127.0.0.1:$PB2 r | sed -E 's/^.{24} //'" "r" "" ""
expect_exit "--reuseport: a server without it still can not bind the port" 3 timeout 5 "$NT" udp-serve -q -p "$PB2"

# Capped restarts: a killed worker is replaced; the 6th death within 30 s ends the server.
USERVE_LOG=$T/cap.log userve PC --workers 2
if $PROBE restart-cap "$SRV_PID" >"$T/cap.out" 2>&1; then
	grep -q 'restarted 1' "$T/cap.out" && pass "--workers: a killed worker is restarted" || fail "worker restart" "$(cat "$T/cap.out")"
	wait "$SRV_PID"; rc=$?
	[ $rc -eq 1 ] && grep -q 'workers died 6 times within 30 s: giving up' "$T/cap.log" \
		&& pass "--workers: gives up on the 6th death in 30 s (exit 1), naming the policy" \
		|| fail "restart cap" "rc=$rc $(tail -2 "$T/cap.log")"
else
	fail "--workers restart policy" "$(cat "$T/cap.out")"
fi

# Loop guard. The server takes datagrams in order: once a datagram sent after the forged
# one is answered, the forged one has been handled, and so has anything it caused.
replies() { grep -c "returned to 127.0.0.1:$2 " "$1"; }
USERVE_LOG=$T/own.log userve PO -v
$PROBE spoof "$PO" "$PO" hello
"$NT" udp-send -q 127.0.0.1:"$PO" after >/dev/null
n=$(replies "$T/own.log" "$PO")
[ "$n" -eq 0 ] && grep -q "not answered: 127.0.0.1:$PO .*our own port" "$T/own.log" \
	&& pass "loop guard: a forged datagram from the server's own port is not answered" || fail "own-port loop" "$n replies to itself"

USERVE_LOG=$T/a.log userve PA -v
USERVE_LOG=$T/b.log userve PB -v
$PROBE spoof "$PB" "$PA" hello
"$NT" udp-send -q 127.0.0.1:"$PA" after >/dev/null
"$NT" udp-send -q 127.0.0.1:"$PB" after >/dev/null
n1=$(($(replies "$T/a.log" "$PB") + $(replies "$T/b.log" "$PA")))
sleep 0.5
n2=$(($(replies "$T/a.log" "$PB") + $(replies "$T/b.log" "$PA")))
[ "$n1" -le 2 ] && [ "$n1" -eq "$n2" ] && pass "loop guard: two stamp servers and one forged datagram: $n1 datagram(s), then silence" \
	|| fail "loop between two servers" "$n1 then $n2 datagrams between them"

$PROBE spoof 7 "$PA" hello
"$NT" udp-send -q 127.0.0.1:"$PA" after >/dev/null
[ "$(replies "$T/a.log" 7)" -eq 0 ] && grep -q 'not answered: 127.0.0.1:7 .*below 1024' "$T/a.log" \
	&& pass "loop guard: source port 7 (echo) is not answered" || fail "low port answered"
USERVE_LOG=$T/low.log userve PL -v --answer-low-ports
$PROBE spoof 7 "$PL" hello
"$NT" udp-send -q 127.0.0.1:"$PL" after >/dev/null
[ "$(replies "$T/low.log" 7)" -eq 1 ] && pass "--answer-low-ports answers port 7" || fail "--answer-low-ports"

expect_exit "loop guard: a datagram that begins with a stamp gets no answer" 3 \
	"$NT" udp-send --timeout 0.3 --retries 0 127.0.0.1:"$PA" "Thu Sep  1 15:35:45 2016 hello"
userve PS --answer-stamps
testing "--answer-stamps answers it" "\$NT udp-send 127.0.0.1:$PS 'Thu Sep  1 15:35:45 2016 hello' | sed -E 's/^.{24} //'" \
	"Thu Sep  1 15:35:45 2016 hello" "" ""
userve PF --time-format '%Y-%m-%d %H:%M'
expect_exit "loop guard: a stamp in --time-format's shape gets no answer" 3 \
	"$NT" udp-send --timeout 0.3 --retries 0 127.0.0.1:"$PF" "2016-09-01 15:35 hello"
# Two stamp servers with different formats: neither sees the other's reply as a stamp,
# but each reply is longer than its request, and a datagram whose stamped reply would
# not fit whole is not answered; so one forged datagram ends after a bounded exchange.
USERVE_LOG=$T/fa.log userve PFA -v --time-format '%s'
USERVE_LOG=$T/fb.log userve PFB -v --time-format '%Y-%m-%dT%H:%M:%S'
$PROBE spoof "$PFA" "$PFB" hello
for _ in $(seq 200); do
	grep -q 'would not fit' "$T/fa.log" "$T/fb.log" && break
	sleep 0.05
done
"$NT" udp-send -q 127.0.0.1:"$PFA" after >/dev/null
"$NT" udp-send -q 127.0.0.1:"$PFB" after >/dev/null
n1=$(($(replies "$T/fa.log" "$PFB") + $(replies "$T/fb.log" "$PFA")))
"$NT" udp-send -q 127.0.0.1:"$PFA" after >/dev/null
"$NT" udp-send -q 127.0.0.1:"$PFB" after >/dev/null
n2=$(($(replies "$T/fa.log" "$PFB") + $(replies "$T/fb.log" "$PFA")))
if grep -Eq "not answered: 127.0.0.1:($PFA|$PFB) .*would not fit" "$T/fa.log" "$T/fb.log" &&
	[ "$n1" -eq "$n2" ] && [ "$n1" -le $((65507 / 11)) ]; then
	pass "loop guard: two stamp servers with different formats: $n1 datagrams, then silence"
else
	fail "loop between stamp servers of different formats" "$n1 then $n2 datagrams between them"
fi
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
s.sendto(b"z" * 65500, ("127.0.0.1", int(sys.argv[1])))
try:
    d, _ = s.recvfrom(70000); print("answered with", len(d), "bytes"); sys.exit(1)
except socket.timeout:
    pass' "$PFA" >"$T/nofit.out" 2>&1 && grep -q 'not answered: .*(65500 bytes): the stamped reply would not fit' "$T/fa.log" \
	&& pass "loop guard: a datagram whose stamped reply would not fit whole is not answered" \
	|| fail "over-long request" "$(cat "$T/nofit.out")"
# Unix datagram sockets: udp-send --unix binds a socket of its own (so the server can
# answer) in a private temporary folder, and removes it; udp-serve removes its own.
mkdir -p "$T/utmp"
"$NT" udp-serve -q --unix "$T/u.sock" &
UP=$!
cleanup "kill -9 $UP; wait $UP"
for _ in $(seq 50); do [ -S "$T/u.sock" ] && break; sleep 0.05; done
got=$(TMPDIR=$T/utmp "$NT" udp-send --unix "$T/u.sock" hello there | sed -E 's/^.{24} //')
[ "$got" = "$(printf 'hello\nthere')" ] && pass "udp-send --unix to udp-serve --unix: each datagram answered" || fail "unix datagrams" "'$got'"
[ -z "$(ls -A "$T/utmp")" ] && pass "udp-send --unix removes its own socket and folder" || fail "udp-send --unix left" "$(ls -A "$T/utmp")"
TMPDIR=$T/utmp "$NT" udp-send --json --unix "$T/u.sock" x y >"$T/ujson.out"
/usr/bin/python3 -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 2 and all(set(o) == {"sent", "received", "rtt_us", "attempts", "reply"} for o in objs), objs
assert objs[0]["sent"] == 1 and objs[0]["attempts"] == 1 and objs[0]["reply"].endswith(" x"), objs' "$T/ujson.out" \
	&& pass "udp-send --json: one object per reply" || fail "udp-send --json" "$(cat "$T/ujson.out")"
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.settimeout(0.5)
s.sendto(b"from nowhere", sys.argv[1])
print("sent")' "$T/u.sock" >/dev/null
kill -0 "$UP" && pass "udp-serve --unix: a datagram from an unbound socket (no address) is skipped" || fail "unbound unix sender"
expect_exit "udp-send --unix to a path nobody serves: exit 3" 3 env TMPDIR="$T/utmp" "$NT" udp-send --timeout 0.2 --retries 1 --unix "$T/none.sock" x
kill "$UP"; wait "$UP"
[ ! -e "$T/u.sock" ] && pass "udp-serve --unix removes its socket at exit" || fail "udp-serve --unix socket left"
# A unix datagram longer than the reply buffer (65536 bytes) is not printed cut short:
# exit 5, said (--raw promises the bytes exactly as they came).
/usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
print("ready", file=sys.stderr, flush=True)
d, a = s.recvfrom(1000)
s.sendto(b"B" * 100000 + b"END\n", a)' "$T/big.sock" 2>"$T/big.ready" &
BP=$!
cleanup "kill $BP"
for _ in $(seq 200); do grep -q ready "$T/big.ready" && break; sleep 0.05; done
TMPDIR=$T/utmp "$NT" udp-send --raw --timeout 2 --retries 0 --unix "$T/big.sock" x >"$T/big.out" 2>"$T/big.err"
rc=$?
[ $rc = 5 ] && [ ! -s "$T/big.out" ] && grep -q 'longer than 65536' "$T/big.err" &&
	pass "udp-send --unix --raw: a datagram over 65536 bytes is refused, exit 5, not cut" ||
	fail "udp-send --unix, a long datagram" "rc=$rc out=$(wc -c <"$T/big.out") $(cat "$T/big.err")"
finish
