#!/bin/bash
# SPDX-License-Identifier: MIT
# tcp_stream.sh - tcp-serve --stream (nc -l) with tcp-send --stream (nc): a tree through
# tar byte for byte, a large transfer through a half-close both ways compared byte for
# byte (STREAM_MB, default 64; the closing note quotes 1 GiB by hand), full duplex at
# once, exit codes, one connection (a second is refused) or --keep for many in turn.
. "$(dirname "$0")/lib.sh"
MB=${STREAM_MB:-64}

# recv VAR ARGS...: start tcp-serve --stream on a free port with the given redirections
# done by the caller through RECV_IN and RECV_OUT; RECV_PID its pid.
recv() {
	local var=$1 p
	shift
	p=$(free_port)
	"$NT" tcp-serve -q --stream -l 127.0.0.1 -p "$p" "$@" <"${RECV_IN:-$EMPTY}" >"${RECV_OUT:-/dev/null}" 2>"$T/recv.err" &
	RECV_PID=$!
	cleanup "kill -9 $RECV_PID; wait $RECV_PID"
	printf -v "$var" '%s' "$p"
	# Wait with ss, not a connection: the receiver takes one connection only.
	for _ in $(seq 100); do ss -ltn "sport = :$p" | grep -q LISTEN && return 0; sleep 0.05; done
	fail "tcp-serve --stream did not start"
}

# The README's example: tar cf - dir | tcp-send --stream, tcp-serve --stream | tar xf -.
mkdir -p "$T/src/dir/sub" "$T/dst"
for i in $(seq 20); do head -c $((i * 3000)) /dev/urandom >"$T/src/dir/f$i"; done
printf 'x' >"$T/src/dir/sub/one"; ln -s f1 "$T/src/dir/link"; : >"$T/src/dir/empty"
p=$(free_port)
( cd "$T/dst" && "$NT" tcp-serve -q --stream -l 127.0.0.1 -p "$p" <"$EMPTY" | tar xf - ) 2>"$T/recv.err" &
RP=$!
for _ in $(seq 100); do ss -ltn "sport = :$p" | grep -q LISTEN && break; sleep 0.05; done
tar cf - -C "$T/src" dir | "$NT" tcp-send --stream 127.0.0.1:"$p"
src=$?
wait "$RP"
dst=$?
[ $src = 0 ] && [ $dst = 0 ] && diff -r "$T/src/dir" "$T/dst/dir" >/dev/null && [ -L "$T/dst/dir/link" ] \
	&& pass "tar cf - dir | tcp-send --stream, tcp-serve --stream | tar xf -: the tree byte for byte, both exit 0" \
	|| fail "tar through --stream" "send $src, receive $dst $(diff -r "$T/src/dir" "$T/dst/dir" 2>&1 | head -3)"

# $MB MiB one way through a half-close: the receiver has nothing to send (its stdin is
# empty) and shuts its side at once; the sender's data still all arrives, both exit 0.
head -c $((MB << 20)) /dev/urandom >"$T/big"
RECV_OUT=$T/big.got recv P
"$NT" tcp-send --stream 127.0.0.1:"$P" <"$T/big" >"$T/back"; s=$?
wait "$RECV_PID"; r=$?
cmp -s "$T/big" "$T/big.got" && [ ! -s "$T/back" ] && [ $s = 0 ] && [ $r = 0 ] \
	&& pass "$MB MiB to a receiver that half-closed first: byte for byte, both exit 0" \
	|| fail "$MB MiB after the receiver's half-close" "send $s receive $r $(cat "$T/recv.err")"

# And the other way: the sender has nothing (half-closes first), the receiver sends $MB MiB.
RECV_IN=$T/big recv P
"$NT" tcp-send --stream 127.0.0.1:"$P" <"$EMPTY" >"$T/big.got"; s=$?
wait "$RECV_PID"; r=$?
cmp -s "$T/big" "$T/big.got" && [ $s = 0 ] && [ $r = 0 ] \
	&& pass "$MB MiB from the receiver after the sender's half-close: byte for byte, both exit 0" \
	|| fail "$MB MiB after the sender's half-close" "send $s receive $r $(cat "$T/recv.err")"

# Both ways at once (full duplex): neither side waits for the other.
head -c $((8 << 20)) /dev/urandom >"$T/other"
RECV_IN=$T/other RECV_OUT=$T/a.got recv P
"$NT" tcp-send --stream 127.0.0.1:"$P" <"$T/big" >"$T/b.got"; s=$?
wait "$RECV_PID"; r=$?
cmp -s "$T/big" "$T/a.got" && cmp -s "$T/other" "$T/b.got" && [ $s = 0 ] && [ $r = 0 ] \
	&& pass "full duplex: $MB MiB one way and 8 MiB the other at once, byte for byte" \
	|| fail "full duplex" "send $s receive $r"

# The receiver's output is finished when the peer half-closes, while it still sends:
# a reader of its standard output sees the end before the connection ends.
p=$(free_port)
( "$NT" tcp-serve -q --stream -l 127.0.0.1 -p "$p" < <(sleep 2; echo late) | { cat >"$T/early"; date +%s%N >"$T/early.t"; } ) 2>/dev/null &
RP=$!
for _ in $(seq 100); do ss -ltn "sport = :$p" | grep -q LISTEN && break; sleep 0.05; done
t0=$(date +%s%N)
got=$(echo early | "$NT" tcp-send --stream 127.0.0.1:"$p")
wait "$RP"
t1=$(cat "$T/early.t")
[ "$(cat "$T/early")" = early ] && [ "$got" = late ] && [ $(((t1 - t0) / 1000000)) -lt 1500 ] \
	&& pass "the peer's half-close ends the receiver's output at once ($(((t1 - t0) / 1000000)) ms), its input still goes out" \
	|| fail "stdout finished at the peer's half-close" "got '$got', output '$(cat "$T/early")' after $(((t1 - t0) / 1000000)) ms"

# One connection only: the listener is closed once it is taken (nc -l).
RECV_IN=<(sleep 1) recv P
exec 5<>"/dev/tcp/127.0.0.1/$P"
sleep 0.2
expect_exit "without --keep a second connection is refused (exit 3)" 3 "$NT" tcp-send -z -w 1 127.0.0.1 "$P"
exec 5<&-
wait "$RECV_PID"

# A peer that resets: exit 3, said.
RECV_IN=<(sleep 3) recv P
/usr/bin/python3 -c '
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"partial")
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()' "$P"
wait "$RECV_PID"; r=$?
[ $r = 3 ] && grep -q reset "$T/recv.err" && pass "a peer that resets: exit 3, 'reset' said" || fail "reset peer" "exit $r $(cat "$T/recv.err")"

# A sender killed mid-transfer (its reset): the receiver's message gives both directions,
# what it received (as its output has it) and what of its standard input (empty) it sent;
# it said "0 bytes of standard input were sent, all of it" alone after 1,000,000 received.
RECV_OUT=$T/killed.got recv P
/usr/bin/python3 -c '
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"x" * 1000000)
time.sleep(0.5)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()' "$P"
wait "$RECV_PID"; r=$?
got=$(stat -c %s "$T/killed.got")
[ $r = 3 ] && [ "$got" -gt 0 ] && grep -q "reset by the peer (received $got bytes, sent 0 bytes of standard input, all of it)" "$T/recv.err" \
	&& pass "a sender reset after $got bytes: the receiver's message says received $got, sent 0" \
	|| fail "the receiver's counts after a reset" "exit $r, output $got bytes: $(cat "$T/recv.err")"

# --keep: connections one after another, standard output kept open between them.
RECV_OUT=$T/keep.out recv P --keep
for i in 1 2 3; do echo "client $i" | "$NT" tcp-send --stream 127.0.0.1:"$P" >/dev/null; done
sleep 0.2
kill -0 "$RECV_PID" && [ "$(cat "$T/keep.out")" = "$(printf 'client 1\nclient 2\nclient 3')" ] \
	&& pass "--keep: three connections in turn, all on standard output, still listening" || fail "--keep" "$(cat "$T/keep.out")"
kill "$RECV_PID"; wait "$RECV_PID" 2>/dev/null

# --keep, a transfer that fails (here the receiver's idle timeout): one line on standard
# error that says why, and serving goes on (it was a "disconnected" line and a warning).
p=$(free_port)
"$NT" tcp-serve --stream --keep --idle-timeout 0.5 -l 127.0.0.1 -p "$p" <"$EMPTY" >/dev/null 2>"$T/kfail.err" &
KP=$!
cleanup "kill -9 $KP; wait $KP"
for _ in $(seq 100); do ss -ltn "sport = :$p" | grep -q LISTEN && break; sleep 0.05; done
{ echo hello; sleep 2; } | timeout 10 "$NT" tcp-send --stream 127.0.0.1:"$p" >/dev/null 2>&1
echo again | timeout 10 "$NT" tcp-send --stream 127.0.0.1:"$p" >/dev/null 2>&1
# (the server says the second disconnect after the client has gone: awaited, at most 2 s)
for _ in $(seq 40); do [ "$(grep -c disconnected "$T/kfail.err")" -ge 2 ] && break; sleep 0.05; done
grep 'disconnected\|nothing moved' "$T/kfail.err" >"$T/kfail.lines"
kill -0 "$KP" && [ "$(grep -c . "$T/kfail.lines")" = 2 ] && head -1 "$T/kfail.lines" | grep -q 'disconnected 127.0.0.1:.*idle timeout.*nothing moved for 500 ms' \
	&& pass "--keep: a failed transfer is one line saying why, then the next is served" \
	|| fail "--keep: a failed transfer's lines" "$(cat "$T/kfail.err")"
kill "$KP"; wait "$KP" 2>/dev/null
# ... and that line gives the counts once (it said them, then the error said them again),
# and without --keep the failure is said once, as the exit's message (it was a
# "disconnected" line, then the same failure again).
[ "$(head -1 "$T/kfail.lines" | grep -o 'received' | wc -l)" = 1 ] \
	&& pass "--keep: the failed transfer's line gives the counts once" \
	|| fail "--keep: counts in the failure line" "$(head -1 "$T/kfail.lines")"
p=$(free_port)
"$NT" tcp-serve --stream --idle-timeout 0.5 -l 127.0.0.1 -p "$p" <"$EMPTY" >/dev/null 2>"$T/nkfail.err" &
KP=$!
cleanup "kill -9 $KP; wait $KP"
for _ in $(seq 100); do ss -ltn "sport = :$p" | grep -q LISTEN && break; sleep 0.05; done
{ echo hello; sleep 2; } | timeout 10 "$NT" tcp-send --stream 127.0.0.1:"$p" >/dev/null 2>&1
wait "$KP"; r=$?
n=$(grep -c 'idle timeout\|nothing moved\|disconnected' "$T/nkfail.err")
[ $r = 3 ] && [ "$n" = 1 ] && grep -q 'nothing moved for 500 ms' "$T/nkfail.err" \
	&& pass "tcp-serve --stream without --keep: a failed transfer is said once, exit 3" \
	|| fail "--stream failure said once" "exit $r, $n lines: $(cat "$T/nkfail.err")"

# A reader of the output that goes away leaving bytes unread (| head -c1) while the peer
# is quiet and standard input still open: tcp-send --stream stops at once, exit 6 and one
# line, as without --stream (before: it waited for the peer's next bytes, here for ever);
# tcp-serve --stream the same on its side. (A reader that took all, as tar does, lost
# nothing: tar over --stream in tcp_tls.sh.)
RECV_IN=<(echo hello; sleep 10) recv P
{ timeout 5 "$NT" tcp-send --stream 127.0.0.1:"$P" < <(sleep 10) 2>"$T/pipe.err"; echo $? >"$T/pipe.rc"; } | head -c1 >/dev/null
rc=$(cat "$T/pipe.rc")
[ "$rc" = 6 ] && [ "$(wc -l <"$T/pipe.err")" = 1 ] && grep -q 'the reader closed the pipe' "$T/pipe.err" \
	&& pass "tcp-send --stream | head -c1, a quiet peer: the closed pipe ends it, exit 6, one line" \
	|| fail "tcp-send --stream into a closed pipe" "rc=$rc $(cat "$T/pipe.err")"
kill "$RECV_PID" 2>/dev/null; wait "$RECV_PID" 2>/dev/null
p=$(free_port)
{ timeout 5 "$NT" tcp-serve -q --stream -l 127.0.0.1 -p "$p" < <(sleep 10) 2>"$T/rpipe.err"; echo $? >"$T/rpipe.rc"; } | head -c1 >/dev/null &
RP=$!
for _ in $(seq 100); do ss -ltn "sport = :$p" | grep -q LISTEN && break; sleep 0.05; done
{ echo hello; sleep 10; } | timeout 6 "$NT" tcp-send --stream 127.0.0.1:"$p" >/dev/null 2>&1 &
SP=$!
wait "$RP"
rc=$(cat "$T/rpipe.rc")
[ "$rc" = 6 ] && [ "$(wc -l <"$T/rpipe.err")" = 1 ] && grep -q 'the reader closed the pipe' "$T/rpipe.err" \
	&& pass "tcp-serve --stream | head -c1, a quiet peer: the closed pipe ends it, exit 6, one line" \
	|| fail "tcp-serve --stream into a closed pipe" "rc=$rc $(cat "$T/rpipe.err")"
kill "$SP" 2>/dev/null; wait "$SP" 2>/dev/null

# The receiver's --idle-timeout cuts a quiet sender off: the sender must not report a
# clean end (it used to exit 0: the receiver closed as after a clean end, and a
# shutdown that found the connection reset was taken for one). Its own end of stream
# came first (stdin empty) or never (stdin open): exit 3 both ways.
for rin in empty open; do
	if [ $rin = empty ]; then
		RECV_IN=$EMPTY recv P --idle-timeout 0.5
	else
		rm -f "$T/quiet" && mkfifo "$T/quiet" && { sleep 6 >"$T/quiet" & }
		RECV_IN=$T/quiet recv P --idle-timeout 0.5
	fi
	{ echo hello; sleep 2; } | timeout 10 "$NT" tcp-send --stream 127.0.0.1:"$P" >/dev/null 2>"$T/idle.err"
	rc=$?
	wait "$RECV_PID"
	rrc=$?
	[ "$rc" = 3 ] && [ "$rrc" = 3 ] && grep -q 'reset by the peer' "$T/idle.err" \
		&& pass "--idle-timeout on the receiver (its input $rin): tcp-send --stream exits 3, not 0" \
		|| fail "--idle-timeout on the receiver (its input $rin)" "sender rc=$rc receiver rc=$rrc $(cat "$T/idle.err" "$T/recv.err")"
done

# The sender's -w the other way round: when its idle timeout fires, the transfer is cut
# short, and the receiver must not take it for a clean end (it logged done and exited 0
# with the data truncated): the sender resets the connection and exits 3, the receiver
# sees the reset and exits 3 too.
for rin in empty open; do
	if [ $rin = empty ]; then
		RECV_IN=$EMPTY RECV_OUT=$T/widle.got recv P
	else
		rm -f "$T/quiet" && mkfifo "$T/quiet" && { sleep 6 >"$T/quiet" & }
		RECV_IN=$T/quiet RECV_OUT=$T/widle.got recv P
	fi
	{ echo hello; sleep 3; } | timeout 10 "$NT" tcp-send -w 0.5 --stream 127.0.0.1:"$P" >/dev/null 2>"$T/widle.err"
	rc=$?
	wait "$RECV_PID"
	rrc=$?
	[ "$rc" = 3 ] && [ "$rrc" = 3 ] && grep -q 'nothing moved' "$T/widle.err" && [ "$(cat "$T/widle.got")" = hello ] \
		&& pass "tcp-send -w 0.5 --stream, its idle timeout (receiver's input $rin): both exit 3, the receiver sees no clean end" \
		|| fail "tcp-send -w --stream's idle timeout (receiver's input $rin)" "sender rc=$rc receiver rc=$rrc $(cat "$T/widle.err" "$T/recv.err")"
done

# SIGTERM to the receiver in the middle of a transfer: it dies of the signal (143) and
# resets the connection, so the sender exits 3 (it closed normally and the sender exited 0).
RECV_IN=<(sleep 5) recv P
{ head -c 1000 /dev/urandom; sleep 2; } | timeout 10 "$NT" tcp-send --stream 127.0.0.1:"$P" >/dev/null 2>"$T/term.err" &
SP=$!
sleep 0.5
kill -TERM "$RECV_PID"
wait "$RECV_PID"; r=$?
wait "$SP"; s=$?
[ $r = 143 ] && [ $s = 3 ] && grep -q reset "$T/term.err" \
	&& pass "SIGTERM to tcp-serve --stream mid-transfer: it exits 143 and resets, the sender exits 3" \
	|| fail "SIGTERM to the receiver" "receiver $r sender $s $(cat "$T/term.err")"

# The receiver's reset while the sender's input is quiet, after the receiver's
# half-close: seen at once (it was seen only when more input came, 3 s later here), and
# said as a reset.
RECV_IN=$EMPTY recv P --idle-timeout 0.5
t0=$(date +%s%N)
timeout 10 "$NT" tcp-send --stream 127.0.0.1:"$P" < <(head -c 1000 /dev/urandom; sleep 3; echo tail) >/dev/null 2>"$T/quiet.err"
s=$?
ms=$((($(date +%s%N) - t0) / 1000000))
wait "$RECV_PID"
[ $s = 3 ] && [ $ms -lt 2500 ] && grep -q 'reset by the peer' "$T/quiet.err" \
	&& pass "the receiver's reset while the sender's input is quiet: exit 3 at once ($ms ms), 'reset' said" \
	|| fail "reset while the input is quiet" "exit $s after $ms ms $(cat "$T/quiet.err")"

expect_exit "--stream with --json is exit 2 (standard output is the data)" 2 "$NT" tcp-serve --stream --json
expect_exit "--keep without --stream is exit 2" 2 "$NT" tcp-serve --keep
expect_exit "--stream with --workers is exit 2" 2 "$NT" tcp-serve --stream --workers 2
finish
