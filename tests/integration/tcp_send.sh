#!/bin/bash
# SPDX-License-Identifier: MIT
# tcp_send.sh - tcp-send against hostile or unusual peers (serve_probe.py): a receiver
# that half-closes at once, one that closes early, one that sends 64 MiB without a newline;
# a server's escape sequences on a terminal (made safe) and in a pipe (byte for byte).
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
SPROBE="/usr/bin/python3 $here/serve_probe.py"
if [ "${SANITIZED:-}" = 1 ]; then RSS_LIMIT=400000; else RSS_LIMIT=24576; fi

# peer VAR MODE ARGS...: start serve_probe.py MODE PORT ARGS... and wait until it listens;
# its standard output goes to $T/peer.out.
peer() {
	local var=$1 mode=$2 p i
	shift 2
	p=$(free_port)
	: >"$T/peer.err"
	$SPROBE "$mode" "$p" "$@" >"$T/peer.out" 2>"$T/peer.err" &
	PEER_PID=$!
	cleanup "kill -9 $PEER_PID; wait $PEER_PID"
	for i in $(seq 200); do grep -q ready "$T/peer.err" && break; sleep 0.05; done
	printf -v "$var" '%s' "$p"
}

# --stream to a receiver that shuts down its sending side at once (ncat -l --recv-only).
peer P sink-halfclose
head -c 3000000 /dev/urandom >"$T/data"
"$NT" tcp-send --stream 127.0.0.1:"$P" <"$T/data" >"$T/stream.out" 2>"$T/stream.err"
rc=$?
wait "$PEER_PID"
[ $rc -eq 0 ] && [ "$(cat "$T/peer.out")" = 3000000 ] \
	&& pass "--stream to a half-closing receiver: all 3,000,000 bytes arrive, exit 0" \
	|| fail "--stream half-close" "rc=$rc, $(cat "$T/peer.out") bytes arrived; $(cat "$T/stream.err")"

# The README's example, tar cf - dir | tcp-send --stream host:9000, into the same receiver.
mkdir -p "$T/dir"
for i in $(seq 7); do head -c 10240 /dev/urandom >"$T/dir/f$i"; done
want=$(tar cf - -C "$T" dir | wc -c)
peer P2 sink-halfclose
tar cf - -C "$T" dir | "$NT" tcp-send --stream 127.0.0.1:"$P2" 2>"$T/stream.err"
rc=$?
wait "$PEER_PID"
[ $rc -eq 0 ] && [ "$(cat "$T/peer.out")" = "$want" ] \
	&& pass "README example: tar | tcp-send --stream delivers all $want bytes" \
	|| fail "tar | tcp-send --stream" "rc=$rc, $(cat "$T/peer.out") of $want bytes; $(cat "$T/stream.err")"

# A receiver that closes after the first bytes: not everything can be written, so exit 3,
# and the message says how much was sent.
P3=$(free_port)
/usr/bin/python3 - "$P3" 2>"$T/peer.err" <<'PY' &
import socket, sys
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', int(sys.argv[1]))); ls.listen(1)
print('ready', file=sys.stderr, flush=True)
c, _ = ls.accept()
c.recv(1000)
c.close()
PY
CP=$!
cleanup "kill -9 $CP; wait $CP"
for _ in $(seq 200); do grep -q ready "$T/peer.err" && break; sleep 0.05; done
head -c 50000000 /dev/zero | "$NT" tcp-send --stream 127.0.0.1:"$P3" >/dev/null 2>"$T/stream.err"
rc=$?
[ $rc -eq 3 ] && grep -q 'bytes of standard input' "$T/stream.err" \
	&& pass "--stream: a receiver that closes early is exit 3, and what was sent is said" \
	|| fail "--stream early close" "rc=$rc $(cat "$T/stream.err")"

# A plain tcp-send to a TLS server: when the first bytes back are a TLS record (its
# alert), the failure says "a TLS server? try --tls" (it said only "connection reset by
# the server"); when nothing came back, no guess.
peer P5 tls-alert
timeout 10 "$NT" tcp-send 127.0.0.1:"$P5" hello >/dev/null 2>"$T/alert.err"
rc=$?
[ $rc = 3 ] && grep -q 'reset by the server (a TLS server? try --tls)' "$T/alert.err" \
	&& pass "plain tcp-send, a TLS alert back then a reset: exit 3, 'a TLS server? try --tls'" \
	|| fail "the TLS hint of a plain tcp-send" "rc=$rc $(cat "$T/alert.err")"
peer P6 tls-alert silent
timeout 10 "$NT" tcp-send 127.0.0.1:"$P6" hello >/dev/null 2>"$T/alert.err"
rc=$?
[ $rc = 3 ] && grep -q 'reset by the server' "$T/alert.err" && ! grep -q 'try --tls' "$T/alert.err" \
	&& pass "plain tcp-send, nothing back then a reset: exit 3, no TLS guess" \
	|| fail "no TLS hint when nothing came" "rc=$rc $(cat "$T/alert.err")"

# A reply line is at most 1 MiB: 64 MiB without a newline is exit 5 with bounded memory.
peer P4 noeol 67108864
/usr/bin/time -f 'maxrss_kb=%M' -o "$T/time.out" timeout 60 "$NT" tcp-send 127.0.0.1:"$P4" x >"$T/reply.out" 2>"$T/reply.err"
rc=$?
rss=$(sed -n 's/^maxrss_kb=//p' "$T/time.out")
[ $rc -eq 5 ] && grep -q 'reply longer than 1048576 bytes' "$T/reply.err" \
	&& pass "a 64 MiB reply without a newline is exit 5, named" || fail "endless reply" "rc=$rc $(cat "$T/reply.err")"
[ -n "$rss" ] && [ "$rss" -lt "$RSS_LIMIT" ] && pass "... and memory stays bounded (max RSS $rss KiB < $RSS_LIMIT)" \
	|| fail "endless reply memory" "max RSS ${rss:-?} KiB"

# A server's escape sequences (here echoed back by tcp-serve --echo) reach a terminal made
# safe ('?' for each control character, nettool(1) CONVENTIONS); a pipe gets every byte,
# and --stream is byte for byte even on a terminal. The terminal is script(1)'s pty.
if command -v script >/dev/null; then
	EP=$(free_port)
	"$NT" tcp-serve -q --echo -l 127.0.0.1 -p "$EP" &
	cleanup "kill $!"
	wait_port "$EP"
	ESC=$(printf '\033')
	msg=$(printf 'a\033]0;owned\007b\033[2Jc')
	export NT EP msg
	script -qec '"$NT" tcp-send --timeout 10 127.0.0.1:"$EP" "$msg"' /dev/null >"$T/tty.out" 2>&1
	grep -aq 'a?]0;owned?b?\[2Jc' "$T/tty.out" && ! grep -aq "$ESC" "$T/tty.out" &&
		pass "tcp-send to a terminal: the server's escape sequences shown as '?'" ||
		fail "tcp-send to a terminal" "$(cat -v "$T/tty.out")"
	"$NT" tcp-send --timeout 10 127.0.0.1:"$EP" "$msg" >"$T/pipe.out"
	[ "$(cat "$T/pipe.out")" = "$msg" ] && pass "tcp-send to a pipe: the reply byte for byte" ||
		fail "tcp-send to a pipe" "$(cat -v "$T/pipe.out")"
	script -qec 'printf "%s\n" "$msg" | "$NT" tcp-send --stream --timeout 10 127.0.0.1:"$EP"' /dev/null >"$T/tty.out" 2>&1
	grep -aqF "$msg" "$T/tty.out" && pass "tcp-send --stream to a terminal: byte for byte" ||
		fail "tcp-send --stream to a terminal" "$(cat -v "$T/tty.out")"
else
	skip "tcp-send to a terminal" "script(1) is not installed"
fi
# The netcat habits. HOST PORT (a host without a port, then a number) is HOST:PORT.
SP=$(free_port)
"$NT" tcp-serve -q -l 127.0.0.1 -p "$SP" &
cleanup "kill $!"
wait_port "$SP"
testing "nc style: tcp-send HOST PORT MESSAGE" "\$NT tcp-send 127.0.0.1 $SP hello | sed -E 's/^.{24} //'" "hello" "" ""
testing "HOST:PORT then a number: the number is a message" "\$NT tcp-send 127.0.0.1:$SP 7007 x | sed -E 's/^.{24} //'" "7007\nx" "" ""
SP6=$(free_port)
"$NT" tcp-serve -q -l '[::1]' -p "$SP6" &
cleanup "kill $!"
wait_port "$SP6" ::1
testing "nc style with a bare IPv6 address: tcp-send ::1 PORT MESSAGE" "\$NT tcp-send ::1 $SP6 six | sed -E 's/^.{24} //'" "six" "" ""
"$NT" tcp-send --help | grep -q 'HOST PORT' && pass "--help tells the HOST PORT form" || fail "--help HOST PORT"
expect_exit "-z on a listening port: exit 0" 0 "$NT" tcp-send -z 127.0.0.1 "$SP"
[ ! -s "$T/check.out" ] && pass "-z prints nothing" || fail "-z output" "$(cat "$T/check.out")"
"$NT" tcp-send -z -v 127.0.0.1 "$SP" 2>"$T/zv.err"
grep -q "127.0.0.1:$SP: connected" "$T/zv.err" && pass "-z -v names host:port" || fail "-z -v" "$(cat "$T/zv.err")"
CLOSED=$(free_port)
expect_exit "-z on a closed port: exit 3" 3 "$NT" tcp-send -z -w 1 127.0.0.1 "$CLOSED"
expect_exit "-z with a message is exit 2" 2 "$NT" tcp-send -z 127.0.0.1 "$SP" hello
"$NT" tcp-send --json 127.0.0.1 "$SP" one two >"$T/json.out"
/usr/bin/python3 -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 2, objs
for o, m in zip(objs, ("one", "two")):
    assert set(o) == {"sent", "received", "rtt_us", "reply"}, o
    assert o["sent"] == len(m) + 1 and o["received"] == len(o["reply"]) and o["reply"].endswith(" %s\n" % m), o
    assert isinstance(o["rtt_us"], int) and o["rtt_us"] >= 0, o' "$T/json.out" \
	&& pass "--json: one object per reply (sent, received, rtt_us, reply)" || fail "tcp-send --json" "$(cat "$T/json.out")"

# A server that sends more than one line per message (here two, and one more after a
# pause at the end): every line is printed, in order, as nc and socat would; before, the
# second line was printed as the next message's reply and the last ones were dropped.
# With --json the further lines are objects of their own, sent 0 and rtt_us null.
XP=$(free_port)
"$NT" tcp-serve -q -l 127.0.0.1 -p "$XP" --sh-exec 'while read l; do printf "%s\nextra %s\n" "$l" "$l"; done; sleep 0.1; echo late' &
cleanup "kill $!"
wait_port "$XP"
"$NT" tcp-send 127.0.0.1:"$XP" a b >"$T/extra.out" 2>"$T/extra.err"
rc=$?
[ $rc = 0 ] && [ "$(cat "$T/extra.out")" = "$(printf 'a\nextra a\nb\nextra b\nlate')" ] \
	&& pass "a server's lines beyond one per message: all printed, in order, none dropped" \
	|| fail "further lines of a reply" "rc=$rc $(od -c "$T/extra.out" | head -3) $(cat "$T/extra.err")"
printf 'a\nb\n' | "$NT" tcp-send --json 127.0.0.1:"$XP" >"$T/extra.json"
/usr/bin/python3 -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
want = [(2, "a\n"), (0, "extra a\n"), (2, "b\n"), (0, "extra b\n"), (0, "late\n")]
assert [(o["sent"], o["reply"]) for o in objs] == want, objs
assert all((o["rtt_us"] is None) == (o["sent"] == 0) for o in objs), objs' "$T/extra.json" \
	&& pass "--json: the further lines as objects of their own (sent 0, rtt_us null)" \
	|| fail "--json further lines" "$(cat "$T/extra.json")"

# rtt_us is the time from the send to the first byte of the reply: an echo of a message
# without a newline is printed after 200 ms of quiet, which rtt_us counted (>= 200000).
EP=$(free_port)
"$NT" tcp-serve -q -l 127.0.0.1 -p "$EP" --echo &
cleanup "kill $!"
wait_port "$EP"
"$NT" tcp-send --json --no-newline 127.0.0.1:"$EP" ping >"$T/rtt.json"
/usr/bin/python3 -c '
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["reply"] == "ping" and 0 <= o["rtt_us"] < 150000, o' "$T/rtt.json" \
	&& pass "--json rtt_us: the send to the first byte, not the 200 ms quiet wait ($(cat "$T/rtt.json"))" \
	|| fail "rtt_us counts the quiet wait" "$(cat "$T/rtt.json")"

# -w SEC: with --stream, a connection where nothing moves for SEC ends (exit 3).
P5=$(free_port)
/usr/bin/python3 - "$P5" 2>"$T/peer.err" <<'PY' &
import socket, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', int(sys.argv[1]))); ls.listen(5)
print('ready', file=sys.stderr, flush=True)
c, _ = ls.accept()
time.sleep(10)
PY
WP=$!
cleanup "kill -9 $WP; wait $WP"
for _ in $(seq 200); do grep -q ready "$T/peer.err" && break; sleep 0.05; done
t0=$(date +%s%N)
"$NT" tcp-send --stream -w 0.5 127.0.0.1 "$P5" < <(sleep 5) 2>"$T/w.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc = 3 ] && [ $ms -lt 3000 ] && grep -q 'nothing moved for 500 ms' "$T/w.err" \
	&& pass "-w 0.5 with --stream: a silent peer ends it after 0.5 s, exit 3 ($ms ms)" || fail "-w idle" "rc=$rc after $ms ms $(cat "$T/w.err")"

# No message, an empty input that is not a terminal: what the server sends, until it
# closes (before: nothing was read at all).
"$NT" tcp-serve -q --daytime --unix "$T/day.sock" &
cleanup "kill $!"
for _ in $(seq 50); do [ -S "$T/day.sock" ] && break; sleep 0.05; done
got=$("$NT" tcp-send --unix "$T/day.sock" <"$EMPTY" | tr -d '\r')
echo "$got" | grep -Eq '^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}$' \
	&& pass "tcp-send --unix PATH with no message prints the daytime server's line" || fail "--unix daytime" "'$got'"

# No message, and a server that closes without sending anything (here its idle timeout;
# a --max-per-ip refusal looks the same): exit 3, said with host:port (it was exit 0, no
# output, no message); --json prints its object with the reason.
PI=$(free_port)
"$NT" tcp-serve -q -l 127.0.0.1 -p "$PI" --idle-timeout 0.3 &
cleanup "kill $!"
wait_port "$PI"
"$NT" tcp-send 127.0.0.1:"$PI" <"$EMPTY" >"$T/silent.out" 2>"$T/silent.err"
rc=$?
"$NT" tcp-send --json 127.0.0.1:"$PI" <"$EMPTY" >"$T/silent.json" 2>/dev/null
jrc=$?
[ $rc = 3 ] && [ ! -s "$T/silent.out" ] && grep -q "127.0.0.1:$PI closed the connection without sending anything" "$T/silent.err" \
	&& [ $jrc = 3 ] && /usr/bin/python3 -c '
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["received"] == 0 and o["reply"] is None and "without sending anything" in o["reason"], o' "$T/silent.json" \
	&& pass "no message, a server that closes without a word: exit 3 naming host:port; --json gives the reason" \
	|| fail "a server that closes without a word" "rc=$rc json rc=$jrc $(cat "$T/silent.err" "$T/silent.json")"

# A server that answers no line (discard): the message names host:port as the others do;
# -w 0 (no time to connect, no idle limit) is refused, exit 2.
PD=$(free_port)
"$NT" tcp-serve -q -l 127.0.0.1 -p "$PD" --discard &
cleanup "kill $!"
wait_port "$PD"
"$NT" tcp-send --timeout 0.3 127.0.0.1:"$PD" hello >/dev/null 2>"$T/noreply.err"
rc=$?
[ $rc = 3 ] && grep -q "127.0.0.1:$PD: no reply within 300 ms" "$T/noreply.err" \
	&& pass "no reply within the timeout: exit 3, the message names host:port" || fail "no reply message" "rc=$rc $(cat "$T/noreply.err")"
expect_exit "tcp-send -w 0 is refused (exit 2)" 2 "$NT" tcp-send -w 0 127.0.0.1:"$PD" hello

# No message, and a server that sends nothing until it gets a line (the stamp server on
# $SP): --timeout, and -w, end the wait with exit 3, naming host:port (before: a read on
# the blocking socket after the timeout waited for ever).
for wopt in "--timeout 1" "-w 1"; do
	t0=$(date +%s%N)
	timeout 10 "$NT" tcp-send $wopt 127.0.0.1 "$SP" <"$EMPTY" >"$T/idle.out" 2>"$T/idle.err"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ $rc = 3 ] && [ $ms -lt 5000 ] && grep -q "127.0.0.1:$SP: nothing arrived for 1000 ms" "$T/idle.err" \
		&& pass "no message, an idle server: $wopt ends it, exit 3, host:port named ($ms ms)" \
		|| fail "no message, idle server, $wopt" "rc=$rc after $ms ms $(cat "$T/idle.err")"
done

# Standard output that goes away (head -c 100 after chargen) ends tcp-send: exit 6, said
# (before: the failed writes were ignored and it ran for ever).
CG=$(free_port)
"$NT" tcp-serve -q --chargen -l 127.0.0.1 -p "$CG" &
cleanup "kill $!"
wait_port "$CG"
timeout 10 "$NT" tcp-send 127.0.0.1 "$CG" <"$EMPTY" 2>"$T/epipe.err" | head -c 100 >"$T/epipe.out"
rc=${PIPESTATUS[0]}
[ $rc = 6 ] && [ "$(wc -c <"$T/epipe.out")" = 100 ] && grep -q 'write to standard output: the reader closed the pipe' "$T/epipe.err" \
	&& pass "chargen into head -c 100: the closed pipe ends tcp-send, exit 6, said" \
	|| fail "tcp-send into a closed pipe" "rc=$rc $(cat "$T/epipe.err")"

# A reply that arrived is printed even when a later send or read fails: the server
# answers the first line with two lines, then resets the connection.
P6=$(free_port)
/usr/bin/python3 - "$P6" 2>"$T/peer.err" <<'PY' &
import socket, struct, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', int(sys.argv[1]))); ls.listen(5)
print('ready', file=sys.stderr, flush=True)
c, _ = ls.accept()
c.recv(100)
c.sendall(b'first reply\nsecond, unasked\n')
time.sleep(0.3)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
c.close()
PY
RP=$!
cleanup "kill -9 $RP; wait $RP"
for _ in $(seq 200); do grep -q ready "$T/peer.err" && break; sleep 0.05; done
(echo one; sleep 1; echo two; echo three) | "$NT" tcp-send 127.0.0.1:"$P6" >"$T/arrived.out" 2>"$T/arrived.err"
rc=$?
[ $rc = 3 ] && [ "$(cat "$T/arrived.out")" = "$(printf 'first reply\nsecond, unasked')" ] \
	&& pass "a reply that arrived is printed when a later send fails (exit 3, said)" \
	|| fail "reply lost on a failed send" "rc=$rc out='$(cat "$T/arrived.out")' $(cat "$T/arrived.err")"
# Several lines at once (a reply's further lines): on a terminal a line a line, a CR LF
# one line end, never joined by '?' (inner line ends are no control characters).
if command -v script >/dev/null; then
	peer LP lines multi
	export NT LP
	script -qec '"$NT" tcp-send --timeout 10 127.0.0.1:"$LP" a b' /dev/null >"$T/ml.out" 2>&1 </dev/null
	[ "$(tr -d '\r' <"$T/ml.out")" = "$(printf '1:a\n2:a\n3:a\n1:b\n2:b\n3:b')" ] &&
		pass "tcp-send to a terminal: a reply's further lines a line a line" ||
		fail "tcp-send to a terminal, further lines" "$(cat -v "$T/ml.out")"
	peer LP lines crlf
	script -qec '"$NT" tcp-send --timeout 10 127.0.0.1:"$LP" a' /dev/null >"$T/ml.out" 2>&1 </dev/null
	[ "$(tr -d '\r' <"$T/ml.out")" = "$(printf 'e1\ne2\ne3')" ] &&
		pass "tcp-send to a terminal: CR LF lines a line a line" ||
		fail "tcp-send to a terminal, CR LF lines" "$(cat -v "$T/ml.out")"
fi

# More than REPLY_MAX (1 MiB) of further lines: --json gives one object a line, none cut
# where a read or the buffer ended.
peer LP lines big
"$NT" tcp-send --json --timeout 10 127.0.0.1:"$LP" a >"$T/big.json" 2>"$T/big.err" </dev/null
rc=$?
objs=$(wc -l <"$T/big.json")
cut=$(grep -vc '"received":100,' "$T/big.json")
[ $rc = 0 ] && [ "$objs" = 11001 ] && [ "$cut" = 1 ] &&
	pass "tcp-send --json: 1 MiB of further lines, one object a line" ||
	fail "tcp-send --json, further lines over 1 MiB" "rc=$rc objects=$objs not 100 bytes=$cut $(cat "$T/big.err")"

# A reset after the last reply: the lines printed, the failure said, exit 3 (nc: exit 1).
peer LP lines rst
"$NT" tcp-send --timeout 10 127.0.0.1:"$LP" a >"$T/rst.out" 2>"$T/rst.err" </dev/null
rc=$?
[ $rc = 3 ] && [ "$(cat "$T/rst.out")" = "$(printf 'a\nextra')" ] && grep -q 'after the last reply: connection reset' "$T/rst.err" &&
	pass "tcp-send: a reset after the last reply is said, exit 3" ||
	fail "tcp-send: a reset after the last reply" "rc=$rc out='$(cat "$T/rst.out")' $(cat "$T/rst.err")"
finish
