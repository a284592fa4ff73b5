#!/bin/bash
# SPDX-License-Identifier: MIT
# tcp_tls.sh - TLS in the socket services: tcp-serve --tls against openssl s_client, the
# textbook's clients wrapped in Python's ssl module (tls_wrap.py) and tls_probe.py
# (stalled handshakes, slow readers, SSL_pending, EMFILE, SIGHUP reload); client
# certificates; tcp-send --tls against openssl s_server and socat OPENSSL-LISTEN, and
# refusing a wrong host name or a self-signed server (exit 4).
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
TB=$here/../textbook
PROBE="/usr/bin/python3 $here/tls_probe.py"
WRAP="/usr/bin/python3 $here/tls_wrap.py"
STAMP_RE='[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4} '
# The sanitized build answers slower (0.26 s median in the flood below): its bounds there.
if [ "${SANITIZED:-}" = 1 ]; then HOG_LIMIT=400000 FLOOD_MED=0.6 FLOOD_WORST=3; else HOG_LIMIT=24576 FLOOD_MED=0.25 FLOOD_WORST=1.5; fi

C=$T/certs
make_certs "$C" || { fail "make_certs"; finish; }
# ECDSA P-256 leaf certificates from the same CA: a second server (the reload), a client;
# and a self-signed server and client that no CA here vouches for.
ec_cert() { # NAME SUBJECT_ALT_NAME|- [self]
	local n=$1 san=$2
	(
		cd "$C" || exit 1
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$n" -keyout "$n.key" \
			-out "$n.csr" >/dev/null 2>&1 || exit 1
		if [ "$san" = - ]; then printf 'basicConstraints=CA:FALSE\n'; else printf '%s\nbasicConstraints=CA:FALSE\n' "$san"; fi >"$n.ext"
		if [ "${3:-}" = self ]; then
			openssl x509 -req -in "$n.csr" -signkey "$n.key" -days 2 -extfile "$n.ext" -out "$n.crt" >/dev/null 2>&1
		else
			openssl x509 -req -in "$n.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile "$n.ext" \
				-out "$n.crt" >/dev/null 2>&1
		fi
	)
}
ec_cert server2 "subjectAltName=DNS:localhost,IP:127.0.0.1" && ec_cert client - &&
	ec_cert selfsrv "subjectAltName=DNS:localhost,IP:127.0.0.1" self && ec_cert selfcli - self ||
	{ fail "test certificates"; finish; }
chmod 600 "$C"/*.key # a key others can read is refused, as by every applet (tls_key_check)

# serve VAR ARGS...: tcp-serve on a free port; VAR gets the port, SRV_PID the pid.
serve() {
	local var=$1 p
	shift
	p=$(free_port)
	"$NT" tcp-serve -p "$p" -l 127.0.0.1 "$@" 2>>"$T/serve.log" &
	SRV_PID=$!
	cleanup "kill -TERM $SRV_PID; sleep 0.1; kill -9 $SRV_PID; wait $SRV_PID"
	printf -v "$var" '%s' "$p"
	wait_port "$p" 127.0.0.1 10 || { fail "tcp-serve $* did not start"; tail -5 "$T/serve.log"; }
}
TLS="--tls --cert $C/server.crt --key $C/server.key"
# sclient PORT [s_client options...]: verified against the CA, the name localhost. It
# reads until the server closes (its servers have --idle-timeout 1, or close by mode):
# with -no_ign_eof it would quit at the end of its input, before the replies.
sclient() {
	local p=$1
	shift
	timeout 10 openssl s_client -quiet -ign_eof -verify_return_error -CAfile "$C/ca.crt" \
		-verify_hostname localhost -connect "127.0.0.1:$p" "$@" 2>"$T/sclient.err"
}

# --- tcp-serve --tls: every mode, real clients ---
serve PS -q $TLS --idle-timeout 1
out=$(printf 'hello\nworld\n' | sclient "$PS")
echo "$out" | grep -Eq "^${STAMP_RE}hello$" && echo "$out" | grep -Eq "^${STAMP_RE}world$" \
	&& pass "openssl s_client: each line stamped over TLS" || fail "openssl s_client" "$out $(cat "$T/sclient.err")"
out=$(printf 'hi\n' | sclient "$PS" -tls1_2)
echo "$out" | grep -Eq "^${STAMP_RE}hi$" && pass "TLS 1.2 clients are served" || fail "TLS 1.2" "$out"
out=$(printf 'hi\n' | sclient "$PS" -tls1_1 -cipher DEFAULT@SECLEVEL=0)
[ -z "$out" ] && grep -q 'alert protocol version' "$T/sclient.err" && pass "TLS 1.1 is refused by the server" \
	|| fail "TLS 1.1" "$out $(cat "$T/sclient.err")"

serve P -q $TLS
out=$(printf 'hello\nworld\n\n' | $WRAP "$C/ca.crt" "$TB/tsTclnt.py" 127.0.0.1 "$P")
echo "$out" | grep -Eq "^> ${STAMP_RE}hello$" && echo "$out" | grep -Eq "${STAMP_RE}world$" \
	&& pass "textbook client in Python's ssl: 'STAMP hello' without a newline sent" || fail "textbook client over TLS" "$out"
testing "tcp-send --tls: one-shot messages" "\$NT tcp-send --tls --cacert $C/ca.crt localhost:$P a b | sed -E 's/^.{24} //'" "a\nb" "" ""
testing "tcp-send --tls: piped lines" "\$NT tcp-send --tls --cacert $C/ca.crt 127.0.0.1:$P | sed -E 's/^.{24} //'" "one\n\ntwo" "" "one\n\ntwo\n"
check "16,000 empty lines in one TLS record: all answered (the replies pause the reader)" $PROBE pending "$P" "$C/ca.crt" 16000 1
check "SSL_pending: 400 lines of 100 bytes at once, more than one turn reads: all answered" $PROBE pending "$P" "$C/ca.crt" 400 100
check "half a TLS record, then nothing: no busy loop, answered once complete" $PROBE halfrecord "$P" "$C/ca.crt" "$SRV_PID"
check "200 one-line TLS records in one write (read ahead): all answered; then half a record: no busy loop" \
	$PROBE records "$P" "$C/ca.crt" "$SRV_PID" 200
# Replies to good records read in the same wake-up as a bad one went with the session
# (they waited for the end of the pass, and the bad record closed it first).
check "20 one-line TLS records and a bad one in one write: the 20 replies come before the close" \
	$PROBE garbage "$P" "$C/ca.crt" 20
check "a TLS client that never reads: another served, memory bounded" $PROBE noread "$P" "$C/ca.crt" "$SRV_PID" "$HOG_LIMIT"
# 50 clients that never read (a 2 KiB window) send one-byte records, 500 to a write: a
# new client and an established one are answered within 0.25 s (median) all along (about
# 0.03-0.06 s on a quiet machine; 0.127 was seen once with the suite and four builds sharing
# 2 cores, so 0.1 was too tight to be a fair bound). The loop used to list such a connection once more for every pass (its read-ahead records
# fired again while epoll reported it too), so a pass ran it k times in pass k and the
# others waited 0.4-0.7 s; a TLS record and a write per one-byte request made it worse.
serve PF -q $TLS
check "50 TLS clients flooding one-byte records, never reading: others answered in 0.25 s, memory bounded" \
	$PROBE flood "$PF" "$C/ca.crt" "$SRV_PID" 50 8 "$HOG_LIMIT" "$FLOOD_MED" "$FLOOD_WORST"
# A plain-text client on the TLS port fails its handshake; the server goes on.
printf 'not tls\n' | timeout 5 /usr/bin/python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(b"hello\r\n"*20); s.settimeout(5); print(len(s.recv(100)))' "$P" >/dev/null 2>&1
"$NT" tcp-send --tls --cacert "$C/ca.crt" "localhost:$P" still >"$T/still.out" 2>&1
grep -Eq "^${STAMP_RE}still$" "$T/still.out" && pass "a plain-text client on the TLS port is closed, the server goes on" || fail "after a plain client" "$out"

serve P2 -q --line $TLS
out=$(printf 'application\nflash\n\n' | $WRAP "$C/ca.crt" "$TB/tsTclntSS.py" 127.0.0.1 "$P2")
echo "$out" | grep -Eq "^> ${STAMP_RE}application$" && echo "$out" | grep -Eq "${STAMP_RE}flash$" \
	&& pass "textbook socketserver client in Python's ssl against --line --tls" || fail "textbook SS client over TLS" "$out"
serve PP -q --line --max-partial 100k $TLS
check "--max-partial over TLS: the client holding the most is closed, 20 others answered" \
	$PROBE partial "$PP" "$C/ca.crt" 20 3000 60000
testing "tcp-send --tls --per-line against --line --tls" "\$NT tcp-send --tls --per-line --cacert $C/ca.crt localhost:$P2 x y | sed -E 's/^.{24} //'" "x\ny" "" ""

serve P3 -q --echo $TLS
head -c 1048576 /dev/urandom >"$T/rand"
"$NT" tcp-send --tls --cacert "$C/ca.crt" --stream "localhost:$P3" <"$T/rand" >"$T/rand.back" 2>"$T/echo.err"
cmp -s "$T/rand" "$T/rand.back" && pass "--echo --tls: 1 MiB of binary through tcp-send --tls --stream, byte for byte" \
	|| fail "--echo over TLS" "$(wc -c <"$T/rand.back") bytes back; $(cat "$T/echo.err")"

serve P4 -q --daytime $TLS
out=$(sclient "$P4" <"$EMPTY" | tr -d '\r')
echo "$out" | grep -Eq "^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}$" \
	&& pass "--daytime --tls: the time after the handshake, then close" || fail "--daytime over TLS" "$out"

serve P4b -q --time $TLS
"$NT" tcp-send --tls --cacert "$C/ca.crt" "localhost:$P4b" <"$EMPTY" >"$T/time.out" 2>"$T/time.err"
[ "$(wc -c <"$T/time.out")" -eq 4 ] && pass "--time --tls: the 4 bytes of RFC 868 after the handshake (tcp-send --tls, no message)" \
	|| fail "--time over TLS" "$(od -An -tx1 "$T/time.out") $(cat "$T/time.err")"
# Lines to send, and a server that answers the first and closes (close_notify): the
# next send finds the session closed, exit 3, said (before: SSL_write's "closed" was
# taken for 0 bytes written and retried for ever at full CPU). The reply to a message
# is framed as documented: no newline came, so one is added.
printf 'a\nb\nc\n' >"$T/lines"
t0=$(date +%s%N)
timeout 10 "$NT" tcp-send --tls --cacert "$C/ca.crt" "localhost:$P4b" <"$T/lines" >"$T/time2.out" 2>"$T/time2.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc = 3 ] && [ "$(wc -c <"$T/time2.out")" -eq 5 ] && grep -q 'closed by the server' "$T/time2.err" \
	&& pass "--time --tls with lines to send: the reply, then the closed session ends tcp-send, exit 3 ($ms ms)" \
	|| fail "tcp-send --tls after the server's close_notify" "rc=$rc after $ms ms, $(wc -c <"$T/time2.out") bytes; $(cat "$T/time2.err")"
serve P4c -q --chargen $TLS
got=$(timeout 10 /usr/bin/python3 -c '
import socket, ssl, sys
c = ssl.create_default_context(cafile=sys.argv[2])
s = c.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
d = b""
while len(d) < 300000:
    d += s.recv(65536)
print(d[:74].decode(), len(d) >= 300000)' "$P4c" "$C/ca.crt")
echo "$got" | grep -q '^!"#\$%&' && echo "$got" | grep -q True && pass "--chargen --tls: the pattern, 300 kB of it, over TLS" \
	|| fail "--chargen over TLS" "$got"

# --- --exec and --sh-exec over TLS: the program on a socketpair the loop relays ---
# zombies PID: children of PID that have ended and not been reaped.
zombies() { ps -o stat= --ppid "$1" 2>/dev/null | grep -c '^Z'; }
# settled PID: wait (5 s at most) until PID has no child, running or zombie.
settled() { for _ in $(seq 50); do [ -z "$(pgrep -P "$1")" ] && return 0; sleep 0.1; done; return 1; }
UCSPI='IFS= read -r l; echo "$l|$PROTO|$TCPREMOTEIP|$TCPREMOTEPORT|$TCPLOCALIP|$TCPLOCALPORT"'
serve PX -v $TLS --sh-exec "$UCSPI"
PXPID=$SRV_PID
out=$(printf 'abc\n' | sclient "$PX")
echo "$out" | grep -Eq "^abc\|TCP\|127\.0\.0\.1\|[0-9]+\|127\.0\.0\.1\|$PX$" \
	&& pass "--sh-exec --tls: openssl s_client gets the program's answer and the UCSPI variables" \
	|| fail "--sh-exec over TLS with s_client" "$out $(cat "$T/sclient.err")"
out=$(printf 'xyz\n' | "$NT" tcp-send --tls --cacert "$C/ca.crt" --stream "localhost:$PX" 2>&1)
echo "$out" | grep -Eq "^xyz\|TCP\|127\.0\.0\.1\|[0-9]+\|127\.0\.0\.1\|$PX$" \
	&& pass "--sh-exec --tls: tcp-send --tls --stream gets the answer, PROTO=TCP, TCPREMOTE*/TCPLOCAL*" \
	|| fail "--sh-exec over TLS with tcp-send" "$out"
check "--sh-exec --tls: 50 TLS clients at once, each its own program, its own line and port back" \
	$PROBE exec "$PX" "$C/ca.crt" 50
settled "$PXPID"
[ "$(zombies "$PXPID")" = 0 ] && [ -z "$(pgrep -P "$PXPID")" ] && pass "after 50 TLS programs: none left, no zombie" \
	|| fail "children left after 50 TLS programs" "zombies $(zombies "$PXPID"), $(pgrep -P "$PXPID" | wc -l) left"
grep -Eq 'disconnected 127\.0\.0\.1:[0-9]+ \(/bin/sh pid [0-9]+: exit 0, [0-9.]+ s\)' "$T/serve.log" \
	&& pass "--exec --tls: each program's exit logged as in plain mode" || fail "exec TLS log" "$(tail -3 "$T/serve.log")"

serve PC -q $TLS --exec /bin/cat
"$NT" tcp-send --tls --cacert "$C/ca.crt" --stream "localhost:$PC" <"$T/rand" >"$T/cat.back" 2>"$T/cat.err"
rc=$?
[ $rc = 0 ] && cmp -s "$T/rand" "$T/cat.back" \
	&& pass "--exec cat --tls: 1 MiB through the program byte for byte; close_notify ends its input, its exit ends the session" \
	|| fail "--exec cat over TLS" "rc=$rc $(wc -c <"$T/cat.back") bytes back; $(cat "$T/cat.err")"

serve PQ -v $TLS --sh-exec 'exit 3'
PQPID=$SRV_PID
okq=0
for _ in $(seq 11); do
	# Nothing sent either way: tcp-send says the server closed without a word (exit 3),
	# and nothing else (no reset, no TLS error).
	out=$("$NT" tcp-send --tls --cacert "$C/ca.crt" "localhost:$PQ" <"$EMPTY" 2>&1)
	[ $? = 3 ] && [ "$out" = "nettool tcp-send: localhost:$PQ closed the connection without sending anything" ] && okq=$((okq + 1))
done
settled "$PQPID"
[ $okq = 11 ] && [ "$(zombies "$PQPID")" = 0 ] && grep -Eq '\(/bin/sh pid [0-9]+: exit 3, ' "$T/serve.log" \
	&& pass "--sh-exec --tls: 11 programs that exit at once: each session ended without an error (only 'closed without sending anything'), logged exit 3, no zombie" \
	|| fail "quick exits over TLS" "$okq of 11 clean, zombies $(zombies "$PQPID"), $(grep -c 'exit 3' "$T/serve.log") logged"

serve PN -q $TLS --sh-exec 'IFS= read -r l; case $l in hog) sleep 3;; *) echo "got $l";; esac'
PNPID=$SRV_PID
if [ "${SANITIZED:-}" = 1 ]; then NOREAD_KIB=400000; else NOREAD_KIB=65536; fi
check "--sh-exec --tls: a program that never reads, 10 MiB offered: the client is held back, RSS bounded, another answered" \
	$PROBE execnoread "$PN" "$C/ca.crt" "$PNPID" "$NOREAD_KIB" 10
for _ in $(seq 100); do [ -z "$(pgrep -P "$PNPID")" ] && break; sleep 0.1; done
[ -z "$(pgrep -P "$PNPID")" ] && [ "$(zombies "$PNPID")" = 0 ] && pass "the program that never read ended and was reaped" \
	|| fail "non-reading program over TLS left" "$(ps -o pid,stat,args --ppid "$PNPID")"

serve PM -q $TLS --max-per-ip 1 --sh-exec 'IFS= read -r l; echo "got $l"'
out=$(timeout 10 /usr/bin/python3 -c '
import socket, ssl, sys
c = ssl.create_default_context(cafile=sys.argv[2])
def conn():
    return c.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5), server_hostname="localhost")
a = conn(); a.sendall(b"x")          # its program waits for the rest of the line
b = conn(); b.sendall(b"y\n")
try:
    rb = b.recv(100)
except (ConnectionError, ssl.SSLError):
    rb = b""
a.sendall(b"\n"); ra = a.recv(100)
print(ra, rb)' "$PM" "$C/ca.crt" 2>&1)
[ "$out" = "b'got x\\n' b''" ] && pass "--max-per-ip 1 over TLS: the second connection from one address is closed" \
	|| fail "--max-per-ip over TLS" "$out"

# --- --stream over TLS (nc -l with a certificate) ---
# listening PORT: wait with ss, not a connection (the receiver takes one connection only).
listening() { for _ in $(seq 100); do ss -ltn "sport = :$1" | grep -q LISTEN && return 0; sleep 0.05; done; return 1; }
mkdir -p "$T/tree/sub" "$T/got"
head -c 300000 /dev/urandom >"$T/tree/sub/bin" && : >"$T/tree/empty" && echo text >"$T/tree/a" && ln -s a "$T/tree/link"
PS9=$(free_port)
(cd "$T/got" && "$NT" tcp-serve -q -p "$PS9" -l 127.0.0.1 $TLS --stream <"$EMPTY" 2>"$T/recv.err" | tar xf -
	echo "${PIPESTATUS[0]}" >"$T/recv.rc") &
RP=$!
cleanup "kill $RP 2>/dev/null"
listening "$PS9"
(cd "$T/tree" && tar cf - .) | "$NT" tcp-send --tls --cacert "$C/ca.crt" --stream "localhost:$PS9" 2>"$T/send.err"
src=$?
wait $RP
[ $src = 0 ] && [ "$(cat "$T/recv.rc")" = 0 ] && diff -r "$T/tree" "$T/got" >/dev/null \
	&& pass "tar cf - | tcp-send --tls --stream into tcp-serve --tls --stream | tar xf -: the tree byte for byte, both exit 0" \
	|| fail "tar over TLS --stream" "send $src recv $(cat "$T/recv.rc") $(cat "$T/send.err" "$T/recv.err")"
# tcp-send --stream --tls into a plain receiver: the handshake fails (exit 4), and the
# connection is reset, not closed: the receiver must not store the ClientHello as data
# and exit 0 (it did: the man page promises a reset for a connection that failed).
PS14=$(free_port)
"$NT" tcp-serve -q -p "$PS14" -l 127.0.0.1 --stream <"$EMPTY" >"$T/hello.got" 2>"$T/hello.recv" &
RP=$!
cleanup "kill $RP 2>/dev/null"
listening "$PS14"
echo hello | timeout 10 "$NT" tcp-send --stream --tls --insecure "localhost:$PS14" >/dev/null 2>"$T/hello.send"
src=$?
wait $RP
rrc=$?
[ $src = 4 ] && [ $rrc = 3 ] && grep -q 'reset' "$T/hello.recv" \
	&& pass "tcp-send --stream --tls into a plain receiver: exit 4, the receiver sees a reset (exit 3), not a clean end" \
	|| fail "--stream --tls, a failed handshake" "send $src recv $rrc $(cat "$T/hello.send" "$T/hello.recv")"
# A plain sender into a TLS receiver, input shorter than a record header (5 bytes): the
# receiver's handshake ends in "unexpected eof", which was a plain close: the sender read
# a clean end and exited 0, nothing delivered. Every failed handshake of the receiver is a
# reset (the man page's promise): the sender exits 3, with --keep too.
for keep in "" --keep; do
	PS16=$(free_port)
	"$NT" tcp-serve -q -p "$PS16" -l 127.0.0.1 $TLS --stream $keep <"$EMPTY" >"$T/short.got" 2>"$T/short.recv" &
	RP=$!
	cleanup "kill $RP 2>/dev/null"
	listening "$PS16"
	echo bad | timeout 10 "$NT" tcp-send --stream "127.0.0.1:$PS16" >/dev/null 2>"$T/short.send"
	src=$?
	# Without --keep the receiver exits 4; with --keep it goes on listening.
	want=4; [ -n "$keep" ] && want=listening
	if [ -n "$keep" ]; then rrc=gone; kill -0 "$RP" && rrc=listening; kill "$RP"; wait "$RP" 2>/dev/null; else wait "$RP"; rrc=$?; fi
	[ $src = 3 ] && [ "$rrc" = "$want" ] && [ ! -s "$T/short.got" ] && grep -q reset "$T/short.send" \
		&& pass "a plain sender of 4 bytes into tcp-serve --tls --stream $keep: the failed handshake is a reset, the sender exits 3" \
		|| fail "plain sender, short input, TLS receiver $keep" "send $src recv $rrc $(cat "$T/short.send" "$T/short.recv")"
done
# --verify-client and a sender without a certificate: with TLS 1.3 the sender's handshake
# ends before the receiver's check, and its alert comes to the relay's read (or after a
# write failed on the reset that follows it): exit 4 and the words of tcp-send without
# --stream (it was exit 3, "Protocol error ... all of it", or "connection reset").
for size in 3 50000000; do
	PS17=$(free_port)
	"$NT" tcp-serve -q -p "$PS17" -l 127.0.0.1 $TLS --verify-client --cacert "$C/ca.crt" --stream <"$EMPTY" \
		>"$T/nocert.got" 2>"$T/nocert.recv" &
	RP=$!
	cleanup "kill $RP 2>/dev/null"
	listening "$PS17"
	head -c "$size" /dev/zero | timeout 20 "$NT" tcp-send --stream --tls --cacert "$C/ca.crt" "localhost:$PS17" \
		>/dev/null 2>"$T/nocert.send"
	src=$?
	wait "$RP"
	rrc=$?
	[ $src = 4 ] && [ $rrc = 4 ] && [ "$(wc -l <"$T/nocert.send")" = 1 ] \
		&& grep -q 'it asked for a client certificate and none was given (--cert FILE)' "$T/nocert.send" \
		&& grep -q '(alert: certificate required)' "$T/nocert.send" \
		&& pass "--stream --verify-client, a sender without a certificate ($size bytes): exit 4, said as without --stream" \
		|| fail "--stream --verify-client without a client certificate ($size bytes)" "send $src recv $rrc $(cat "$T/nocert.send" "$T/nocert.recv")"
done
# tcp-send --tls -w 1 to a plain service that answers nothing (discard): the handshake
# times out, a network failure: exit 3 (it was 4), and the message says so.
PS15=$(free_port)
"$NT" tcp-serve -q -p "$PS15" -l 127.0.0.1 --discard &
cleanup "kill $! 2>/dev/null"
wait_port "$PS15"
echo hi | timeout 10 "$NT" tcp-send --tls --insecure -w 1 "localhost:$PS15" >/dev/null 2>"$T/hsto.err"
rc=$?
[ $rc = 3 ] && grep -q 'TLS handshake with localhost: timed out' "$T/hsto.err" \
	&& pass "tcp-send --tls -w 1 to a silent plain service: the handshake timed out, exit 3" \
	|| fail "tcp-send --tls handshake timeout" "rc=$rc $(cat "$T/hsto.err")"
PS10=$(free_port)
printf 'from the server\n' >"$T/srvin"
"$NT" tcp-serve -q -p "$PS10" -l 127.0.0.1 $TLS --stream <"$T/srvin" >"$T/srvout" 2>"$T/recv2.err" &
RP=$!
cleanup "kill $RP 2>/dev/null"
listening "$PS10"
out=$(printf 'from the client\n' | "$NT" tcp-send --tls --cacert "$C/ca.crt" --stream "localhost:$PS10" 2>&1)
wait $RP
rc=$?
[ $rc = 0 ] && [ "$out" = "from the server" ] && [ "$(cat "$T/srvout")" = "from the client" ] \
	&& pass "--stream --tls: both ways at once, each side's close_notify ends the other's output" \
	|| fail "--stream --tls both ways" "rc=$rc out=$out srv=$(cat "$T/srvout") $(cat "$T/recv2.err")"
PS11=$(free_port)
"$NT" tcp-serve -p "$PS11" -l 127.0.0.1 $TLS --stream --keep <"$EMPTY" >"$T/keep.out" 2>"$T/keep.err" &
KP=$!
cleanup "kill $KP 2>/dev/null; wait $KP"
listening "$PS11"
echo one | "$NT" tcp-send --tls --cacert "$C/ca.crt" --stream "localhost:$PS11" >/dev/null 2>&1
printf 'not tls\n' | timeout 5 "$NT" tcp-send "127.0.0.1:$PS11" >/dev/null 2>&1
echo two | "$NT" tcp-send --tls --cacert "$C/ca.crt" --stream "localhost:$PS11" >/dev/null 2>&1
for _ in $(seq 30); do [ "$(cat "$T/keep.out")" = "$(printf 'one\ntwo')" ] && break; sleep 0.1; done
# The failed handshake is said once (it was twice: the log's line and a warning).
[ "$(cat "$T/keep.out")" = "$(printf 'one\ntwo')" ] && [ "$(grep -c 'TLS handshake' "$T/keep.err")" = 1 ] \
	&& pass "--stream --keep --tls: connections in turn; a failed handshake is said once and the next one served" \
	|| fail "--stream --keep --tls" "$(cat "$T/keep.out") / $(cat "$T/keep.err")"
# SIGHUP between two connections of --stream --keep: the second sees the new certificate.
cp "$C/server.crt" "$C/keep.crt" && cp "$C/server.key" "$C/keep.key"
pin1=$(openssl pkey -in "$C/server.key" -pubout -outform der 2>/dev/null | openssl dgst -sha256 -binary | base64)
pin2=$(openssl pkey -in "$C/server2.key" -pubout -outform der 2>/dev/null | openssl dgst -sha256 -binary | base64)
PS13=$(free_port)
"$NT" tcp-serve -q -p "$PS13" -l 127.0.0.1 --tls --cert "$C/keep.crt" --key "$C/keep.key" --stream --keep \
	<"$EMPTY" >"$T/hup.out" 2>"$T/hup.err" &
KP2=$!
cleanup "kill $KP2 2>/dev/null; wait $KP2"
listening "$PS13"
echo first | "$NT" tcp-send --tls --cacert "$C/ca.crt" --pinnedpubkey "sha256//$pin1" --stream "localhost:$PS13" >/dev/null 2>&1
cp "$C/server2.crt" "$C/keep.crt.new" && mv "$C/keep.crt.new" "$C/keep.crt"
cp "$C/server2.key" "$C/keep.key.new" && chmod 600 "$C/keep.key.new" && mv "$C/keep.key.new" "$C/keep.key"
kill -HUP "$KP2"
sleep 0.2
echo second | "$NT" tcp-send --tls --cacert "$C/ca.crt" --pinnedpubkey "sha256//$pin2" --stream "localhost:$PS13" >/dev/null 2>"$T/hup.send"
for _ in $(seq 30); do [ "$(cat "$T/hup.out")" = "$(printf 'first\nsecond')" ] && break; sleep 0.1; done
[ "$(cat "$T/hup.out")" = "$(printf 'first\nsecond')" ] && kill -0 "$KP2" 2>/dev/null \
	&& pass "--stream --keep --tls: SIGHUP reloads the certificate for the next connection" \
	|| fail "--stream --keep --tls SIGHUP" "$(cat "$T/hup.out") / $(cat "$T/hup.err" "$T/hup.send")"
PS12=$(free_port)
"$NT" tcp-serve -q -p "$PS12" -l 127.0.0.1 $TLS --stream --handshake-timeout 1 <"$EMPTY" >/dev/null 2>"$T/hs.err" &
HP=$!
cleanup "kill $HP 2>/dev/null"
listening "$PS12"
exec 7<>"/dev/tcp/127.0.0.1/$PS12"
wait $HP
rc=$?
exec 7>&-
[ $rc = 4 ] && grep -q 'timed out' "$T/hs.err" && pass "--stream --tls: a client silent in the handshake: --handshake-timeout, exit 4" \
	|| fail "--stream --tls handshake timeout" "rc=$rc $(cat "$T/hs.err")"

# --- bounds: handshakes can not hold the server; EMFILE ---
n=1000
[ "$(ulimit -Hn)" -ge 2200 ] || n=$(($(ulimit -Hn) / 2 - 100))
ulimit -n "$(ulimit -Hn)"
serve P5 -q $TLS --handshake-timeout 5
check "$n clients stall in the handshake: another served before they time out, all $n closed after 5 s" \
	$PROBE stall "$P5" "$C/ca.crt" "$n" 5
kill -0 "$SRV_PID" 2>/dev/null && pass "the server survived $n stalled handshakes" || fail "server died after stalled handshakes"

P6=$(free_port)
(ulimit -n 32; exec "$NT" tcp-serve -p "$P6" -l 127.0.0.1 $TLS) 2>"$T/emfile.log" &
EP=$!
cleanup "kill -9 $EP; wait $EP"
wait_port "$P6"
check "EMFILE over TLS: 60 clients with 32 descriptors all served" $PROBE emfile "$P6" "$C/ca.crt" 60 0.3
grep -q 'pausing new connections' "$T/emfile.log" && pass "EMFILE over TLS: the pause was logged" \
	|| fail "EMFILE over TLS: never out of descriptors" "$(tail -3 "$T/emfile.log")"

# --- SIGHUP: new certificate for new connections; live ones kept (with --workers 2) ---
cp "$C/server.crt" "$C/live.crt" && cp "$C/server.key" "$C/live.key"
serve P7 -q --workers 2 --tls --cert "$C/live.crt" --key "$C/live.key"
check "SIGHUP: a connection kept across the reload; a new one sees the new certificate" \
	$PROBE reload "$P7" "$C/ca.crt" "$SRV_PID" "$C/live.crt" "$C/live.key" "$C/server2.crt" "$C/server2.key"
echo "not a key" >"$C/live.key"
kill -HUP "$SRV_PID"
for _ in $(seq 50); do grep -q 'still serving' "$T/serve.log" && break; sleep 0.1; done
out=$("$NT" tcp-send --tls --cacert "$C/ca.crt" "localhost:$P7" kept 2>&1)
grep -q 'still serving the certificate loaded before' "$T/serve.log" && echo "$out" | grep -Eq "^${STAMP_RE}kept$" \
	&& pass "SIGHUP with a broken key: said, and the old certificate is still served" \
	|| fail "SIGHUP with a broken key" "$out / $(tail -3 "$T/serve.log")"

# --- client certificates ---
serve P8 -q $TLS --verify-client --cacert "$C/ca.crt" --idle-timeout 1
out=$(printf 'mine\n' | sclient "$P8" -cert "$C/client.crt" -key "$C/client.key")
echo "$out" | grep -Eq "^${STAMP_RE}mine$" && pass "--verify-client: a client certificate from the CA is accepted" \
	|| fail "--verify-client accepted" "$out $(cat "$T/sclient.err")"
out=$(printf 'none\n' | sclient "$P8")
[ -z "$out" ] && grep -q 'alert certificate required' "$T/sclient.err" \
	&& pass "--verify-client: a client without a certificate is refused" || fail "--verify-client without cert" "$out $(cat "$T/sclient.err")"
out=$(printf 'self\n' | sclient "$P8" -cert "$C/selfcli.crt" -key "$C/selfcli.key")
[ -z "$out" ] && grep -q 'alert unknown ca' "$T/sclient.err" \
	&& pass "--verify-client: a self-signed client certificate is refused" || fail "--verify-client self-signed" "$out $(cat "$T/sclient.err")"
testing "tcp-send --tls --cert/--key against --verify-client" "\$NT tcp-send --tls --cacert $C/ca.crt --cert $C/client.crt --key $C/client.key localhost:$P8 mine | sed -E 's/^.{24} //'" "mine" "" ""
expect_exit "tcp-send --tls without a client certificate against --verify-client: exit 4" 4 \
	"$NT" tcp-send --tls --cacert "$C/ca.crt" "localhost:$P8" none
# The server's alert named (it was "alert: unknown": the received alert taken for one sent).
"$NT" tcp-send --tls --cacert "$C/ca.crt" "localhost:$P8" none 2>"$T/nocert8.err"
grep -q 'the server refused the TLS session (alert: certificate required)' "$T/nocert8.err" \
	&& pass "tcp-send --tls without a client certificate: the server's alert named (certificate required)" \
	|| fail "alert named" "$(cat "$T/nocert8.err")"

# A plain connection answered by a TLS alert alone, then a clean close (a TLS server
# refusing clear text): no reply, exit 4 and the hint, with --stream too (its bytes pass).
PA=$(free_port)
python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
while True:
    c, _ = s.accept()
    try:
        if c.recv(100):
            c.sendall(bytes([0x15, 3, 3, 0, 2, 2, 40]))
    except OSError:
        pass
    c.close()
' "$PA" &
cleanup "kill $! 2>/dev/null"
wait_port "$PA"
"$NT" tcp-send "127.0.0.1:$PA" hello >"$T/alert.out" 2>"$T/alert.err"
rc=$?
[ $rc = 4 ] && [ ! -s "$T/alert.out" ] && grep -q 'answered with a TLS alert (handshake failure) and closed the connection: a TLS server refusing clear text? try --tls' "$T/alert.err" \
	&& pass "tcp-send, a TLS alert then a clean close: no reply printed, exit 4, the hint" \
	|| fail "alert then close" "rc $rc: $(od -c "$T/alert.out" | head -2) $(cat "$T/alert.err")"
echo hello | "$NT" tcp-send --stream "127.0.0.1:$PA" >"$T/alert.out" 2>"$T/alert.err"
rc=$?
[ $rc = 4 ] && [ "$(wc -c <"$T/alert.out")" = 7 ] && grep -q 'answered with a TLS alert (handshake failure).*try --tls' "$T/alert.err" \
	&& pass "tcp-send --stream, a TLS alert then a clean close: its bytes passed, exit 4, the hint" \
	|| fail "--stream alert then close" "rc $rc: $(cat "$T/alert.err")"

# Handshake failures in our words, no OpenSSL error codes (README): a client without a
# certificate, a client that does not trust ours (the log); a key that is not the
# certificate's (start-up); an echo service that sends our ClientHello back (we end it:
# the server refused nothing).
P16=$(free_port)
"$NT" tcp-serve -p "$P16" -l 127.0.0.1 $TLS --verify-client --cacert "$C/ca.crt" --idle-timeout 1 2>"$T/words.log" &
cleanup "kill $! 2>/dev/null"
wait_port "$P16" 127.0.0.1 10
printf 'none\n' | sclient "$P16" >/dev/null
printf 'x\n' | timeout 10 openssl s_client -quiet -verify_return_error -CAfile "$C/selfsrv.crt" -connect "127.0.0.1:$P16" \
	>/dev/null 2>&1
for _ in $(seq 20); do [ "$(grep -c 'TLS handshake' "$T/words.log")" -ge 2 ] && break; sleep 0.1; done
grep -q 'the client sent no certificate (--verify-client asks for one)' "$T/words.log" \
	&& grep -q 'the client does not trust our certificate (its alert: unknown CA)' "$T/words.log" \
	&& ! grep -q 'error:[0-9A-F]\{8\}' "$T/words.log" \
	&& pass "tcp-serve --tls: a client without a certificate, a client that does not trust ours: said in our words" \
	|| fail "handshake failures in our words" "$(cat "$T/words.log")"
"$NT" tcp-serve -p "$(free_port)" -l 127.0.0.1 --tls --cert "$C/server.crt" --key "$C/server2.key" 2>"$T/mismatch.err"
rc=$?
[ $rc = 4 ] && grep -q "the key in $C/server2.key does not belong to the certificate in $C/server.crt" "$T/mismatch.err" \
	&& ! grep -q 'error:[0-9A-F]\{8\}' "$T/mismatch.err" \
	&& pass "tcp-serve --tls: a key that is not the certificate's, said in our words (exit 4)" \
	|| fail "key mismatch wording" "rc=$rc $(cat "$T/mismatch.err")"
serve PE -q --echo --idle-timeout 2
echo x | timeout 10 "$NT" tcp-send --tls --insecure "localhost:$PE" >/dev/null 2>"$T/echo.tls"
rc=$?
[ $rc = 4 ] && grep -q "the server's answer was not TLS" "$T/echo.tls" && ! grep -q 'refused' "$T/echo.tls" \
	&& pass "tcp-send --tls against an echo service: the server's answer was not TLS (not 'refused'), exit 4" \
	|| fail "tcp-send --tls against an echo service" "rc=$rc $(cat "$T/echo.tls")"

# --pinnedpubkey (the shared client option): the server's key accepted, another refused.
pin=$(openssl pkey -in "$C/server.key" -pubout -outform der 2>/dev/null | openssl dgst -sha256 -binary | base64)
testing "tcp-send --tls --pinnedpubkey: the server's own key" "\$NT tcp-send --tls --cacert $C/ca.crt --pinnedpubkey sha256//$pin localhost:$P mine | sed -E 's/^.{24} //'" "mine" "" ""
expect_exit "tcp-send --tls --pinnedpubkey: another key is refused (4)" 4 \
	"$NT" tcp-send --tls --cacert "$C/ca.crt" --pinnedpubkey "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" "localhost:$P" x

# TLS over a unix socket (as socat's OPENSSL over UNIX): no host name to check, so the
# server is known by its pinned key, or not verified (--insecure, said); with neither, a
# usage error that says so (before: refused even with --insecure).
"$NT" tcp-serve -q $TLS --unix "$T/tls.sock" 2>>"$T/serve.log" &
cleanup "kill $!"
for _ in $(seq 100); do [ -S "$T/tls.sock" ] && break; sleep 0.05; done
testing "tcp-send --tls --insecure --unix PATH" "\$NT tcp-send --tls --insecure --unix $T/tls.sock over-unix 2>/dev/null | sed -E 's/^.{24} //'" "over-unix" "" ""
testing "tcp-send --tls --cacert --pinnedpubkey --unix PATH" "\$NT tcp-send --tls --cacert $C/ca.crt --pinnedpubkey sha256//$pin --unix $T/tls.sock pinned | sed -E 's/^.{24} //'" "pinned" "" ""
expect_exit "tcp-send --tls --unix, another key pinned: refused (4)" 4 \
	"$NT" tcp-send --tls --cacert "$C/ca.crt" --pinnedpubkey "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" --unix "$T/tls.sock" x
expect_exit "tcp-send --tls --unix with neither --pinnedpubkey nor --insecure: exit 2" 2 \
	"$NT" tcp-send --tls --cacert "$C/ca.crt" --unix "$T/tls.sock" x
grep -q 'no host name to verify' "$T/check.out" && pass "--tls --unix: why it is refused is said" ||
	fail "--tls --unix refusal" "$(cat "$T/check.out")"
# A self-signed server over --unix, known by its pinned key alone: the pin is the whole
# check there (no name a CA could vouch for), so --insecure is not needed, and with it
# the warning says what is still checked (before: refused without --insecure, and the
# warning said "not verified" of a key that was checked). A refusal names the socket
# path, not "server" (a message written for host:port).
"$NT" tcp-serve -q --tls --cert "$C/selfsrv.crt" --key "$C/selfsrv.key" --unix "$T/self.sock" 2>>"$T/serve.log" &
cleanup "kill $!"
for _ in $(seq 100); do [ -S "$T/self.sock" ] && break; sleep 0.05; done
spin=$(openssl pkey -in "$C/selfsrv.key" -pubout -outform der 2>/dev/null | openssl dgst -sha256 -binary | base64)
"$NT" tcp-send --tls --pinnedpubkey "sha256//$spin" --unix "$T/self.sock" selfpin >"$T/selfpin.out" 2>"$T/selfpin.err"
rc=$?
[ $rc -eq 0 ] && grep -Eq "${STAMP_RE}selfpin" "$T/selfpin.out" && ! [ -s "$T/selfpin.err" ] &&
	pass "tcp-send --tls --pinnedpubkey --unix: a self-signed server, its key pinned, no --insecure" ||
	fail "--pinnedpubkey alone over --unix" "rc=$rc $(cat "$T/selfpin.err")"
"$NT" tcp-send --tls --insecure --pinnedpubkey "sha256//$spin" --unix "$T/self.sock" x >/dev/null 2>"$T/selfpin.err"
rc=$?
[ $rc -eq 0 ] && ! grep -q 'not verified' "$T/selfpin.err" && grep -q 'public key alone (--pinnedpubkey)' "$T/selfpin.err" &&
	pass "--insecure --pinnedpubkey: the warning says the key is checked, not 'not verified'" ||
	fail "--insecure --pinnedpubkey warning" "rc=$rc $(cat "$T/selfpin.err")"
"$NT" tcp-send --tls --insecure --pinnedpubkey "sha256//$spin" "localhost:$P" x >/dev/null 2>"$T/selfpin.err"
grep -q 'public key alone (--pinnedpubkey)' "$T/selfpin.err" && ! grep -q 'not verified' "$T/selfpin.err" &&
	pass "--insecure --pinnedpubkey over TCP: the same warning" || fail "--insecure --pinnedpubkey warning (TCP)" "$(cat "$T/selfpin.err")"
expect_exit "tcp-send --tls --unix, a self-signed server, another key pinned: refused (4)" 4 \
	"$NT" tcp-send --tls --pinnedpubkey "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" --unix "$T/self.sock" x
grep -q "TLS handshake with unix:$T/self.sock: the server's public key is not one of" "$T/check.out" &&
	! grep -q 'with server' "$T/check.out" && pass "a TLS refusal over --unix names the socket path" ||
	fail "TLS refusal over --unix" "$(cat "$T/check.out")"

# --- usage and start-up errors ---
expect_exit "--tls without --cert/--key is a usage error" 2 "$NT" tcp-serve --tls -p "$(free_port)"
expect_exit "--cert without --tls is a usage error" 2 "$NT" tcp-serve --cert "$C/server.crt" -p "$(free_port)"
expect_exit "--cacert without --verify-client is a usage error" 2 "$NT" tcp-serve $TLS --cacert "$C/ca.crt" -p "$(free_port)"
expect_exit "--verify-client without --cacert is a usage error (the system's CAs would accept any public certificate)" 2 \
	"$NT" tcp-serve $TLS --verify-client -p "$(free_port)"
expect_exit "a key that does not match the certificate: exit 4" 4 "$NT" tcp-serve --tls --cert "$C/server.crt" --key "$C/other.key" -p "$(free_port)"
grep -q 'does not belong to the certificate' "$T/check.out" && pass "the mismatch is named" || fail "mismatch message" "$(cat "$T/check.out")"
cp "$C/server.key" "$T/open.key" && chmod 644 "$T/open.key"
expect_exit "a key file others can read is refused: exit 4" 4 "$NT" tcp-serve --tls --cert "$C/server.crt" --key "$T/open.key" -p "$(free_port)"
expect_exit "a missing certificate file: exit 4" 4 "$NT" tcp-serve --tls --cert "$T/nope.crt" --key "$C/server.key" -p "$(free_port)"

# --- tcp-send --tls against other servers ---
P9=$(free_port)
openssl s_server -quiet -rev -cert "$C/server.crt" -key "$C/server.key" -accept "127.0.0.1:$P9" >/dev/null 2>&1 </dev/null &
SS=$!
cleanup "kill $SS; wait $SS"
wait_port "$P9"
testing "tcp-send --tls against openssl s_server (-rev)" "\$NT tcp-send --tls --cacert $C/ca.crt localhost:$P9 hello" "olleh" "" ""
if command -v socat >/dev/null; then
	P10=$(free_port)
	socat "OPENSSL-LISTEN:$P10,bind=127.0.0.1,reuseaddr,fork,cert=$C/server.crt,key=$C/server.key,verify=0" EXEC:cat 2>/dev/null &
	SO=$!
	cleanup "kill $SO; wait $SO"
	wait_port "$P10"
	testing "tcp-send --tls against socat OPENSSL-LISTEN" "\$NT tcp-send --tls --cacert $C/ca.crt localhost:$P10 one two" "one\ntwo" "" ""
else
	skip "tcp-send --tls against socat" "socat not installed"
fi
serve P11 -q --tls --cert "$C/other.crt" --key "$C/other.key"
expect_exit "tcp-send --tls: a wrong host name is refused (4)" 4 "$NT" tcp-send --tls --cacert "$C/ca.crt" "localhost:$P11" x
grep -q 'verification failed' "$T/check.out" && pass "the wrong name is said to fail verification" || fail "wrong-name message" "$(cat "$T/check.out")"
serve P12 -q --tls --cert "$C/selfsrv.crt" --key "$C/selfsrv.key"
expect_exit "tcp-send --tls: a self-signed server is refused (4)" 4 "$NT" tcp-send --tls "localhost:$P12" x
expect_exit "tcp-send --tls: a self-signed server is refused with another --cacert (4)" 4 "$NT" tcp-send --tls --cacert "$C/ca.crt" "localhost:$P12" x
"$NT" tcp-send --tls --insecure "localhost:$P12" x >"$T/insecure.out" 2>"$T/insecure.err"
rc=$?
[ $rc -eq 0 ] && grep -Eq "${STAMP_RE}x" "$T/insecure.out" && grep -q 'not verified' "$T/insecure.err" \
	&& pass "tcp-send --tls --insecure: served, and it says so" || fail "--insecure" "rc=$rc $(cat "$T/insecure.err")"
expect_exit "tcp-send --insecure without --tls is a usage error" 2 "$NT" tcp-send --insecure "localhost:$P12" x
serve P13 -q
# A TLS client at a plain server, and a plain client at a TLS server: the mismatch said in
# words (OpenSSL alone says "wrong version number"), on the client and in the server's -v log.
timeout 10 "$NT" tcp-send --tls --timeout 2 --cacert "$C/ca.crt" "localhost:$P13" x >/dev/null 2>"$T/mis.err"
rc=$?
[ $rc = 4 ] && grep -q 'the server did not answer in TLS (a plain-text service?)' "$T/mis.err" \
	&& pass "tcp-send --tls to a plain server: exit 4, said in words" \
	|| fail "tcp-send --tls to a plain server" "rc=$rc $(cat "$T/mis.err")"
serve P14 -v $TLS
echo hello | timeout 5 "$NT" tcp-send --timeout 2 "127.0.0.1:$P14" >/dev/null 2>&1
for _ in $(seq 50); do grep -q "TLS handshake: the client did not speak TLS" "$T/serve.log" && break; sleep 0.1; done
grep -q 'disconnected 127.0.0.1:[0-9]* (TLS handshake: the client did not speak TLS (a plain-text client?)' "$T/serve.log" \
	&& pass "a plain client at tcp-serve --tls: the -v log says it did not speak TLS" \
	|| fail "a plain client at tcp-serve --tls: no words in the log" "$(grep -i 'handshake' "$T/serve.log" | tail -2)"
# A --cert, --key or --cacert that is not there is said in our words (nettool(1)
# CONVENTIONS), not as OpenSSL's "error:80000002:system library::...": exit 4.
NP=$(free_port)
for c in "--cert nosuch.crt --key $C/server.key" "--cert $C/server.crt --key nosuch.key" \
	"--cert $C/server.crt --key $C/server.key --verify-client --cacert nosuch.crt"; do
	set -- $c
	case $c in *"--cacert nosuch"*) what="CA certificates" ;; *"--key nosuch"*) what="private key" ;; *) what=certificate ;; esac
	(cd "$T" && timeout 10 "$NT" tcp-serve -l 127.0.0.1 -p "$NP" --tls "$@") >/dev/null 2>"$T/load.err"
	rc=$?
	[ $rc = 4 ] && grep -q "cannot load the $what nosuch\.\(crt\|key\): No such file or directory" "$T/load.err" &&
		! grep -q 'error:[0-9A-F]\{8\}\|system library' "$T/load.err" \
		&& pass "tcp-serve --tls: a missing $what file is said in our words (exit 4)" \
		|| fail "missing $what file" "rc=$rc $(cat "$T/load.err")"
done
# A TLS connection that ends without close_notify may have been cut short by anyone on
# the path: with --stream (both ends) exit 3 and said; in line mode a warning.
TRUNC="/usr/bin/python3 $here/fixtures/tls_truncate.py"
for m in stream line; do
	TP=$(free_port)
	: >"$T/trunc.ready"
	$TRUNC $m "$TP" "$C/server.crt" "$C/server.key" 2>"$T/trunc.ready" &
	cleanup "kill $!"
	for _ in $(seq 200); do grep -q ready "$T/trunc.ready" && break; sleep 0.05; done
	if [ $m = stream ]; then
		printf 'x\n' | "$NT" tcp-send --tls --cacert "$C/ca.crt" --stream --timeout 10 "localhost:$TP" >"$T/trunc.out" 2>"$T/trunc.err"
		rc=$?
		[ $rc = 3 ] && [ "$(cat "$T/trunc.out")" = "first half of the file" ] && grep -q 'without TLS close_notify' "$T/trunc.err" \
			&& pass "tcp-send --tls --stream: an end without close_notify is exit 3, said" \
			|| fail "tcp-send --tls --stream, no close_notify" "rc=$rc $(cat "$T/trunc.err")"
	else
		"$NT" tcp-send --tls --cacert "$C/ca.crt" --timeout 10 "localhost:$TP" hello >"$T/trunc.out" 2>"$T/trunc.err" </dev/null
		rc=$?
		[ $rc = 0 ] && [ "$(cat "$T/trunc.out")" = hello ] && grep -q 'without TLS close_notify' "$T/trunc.err" \
			&& pass "tcp-send --tls: an end without close_notify after the replies is warned about" \
			|| fail "tcp-send --tls, no close_notify" "rc=$rc $(cat "$T/trunc.err")"
	fi
done
# Bytes that are no TLS record after the last reply (a broken or hostile server, or
# anyone on the path): the reply is printed, the TLS error said, exit 4 (TLS), not 0 or 3.
TP=$(free_port)
: >"$T/trunc.ready"
$TRUNC garbage "$TP" "$C/server.crt" "$C/server.key" 2>"$T/trunc.ready" &
cleanup "kill $!"
for _ in $(seq 200); do grep -q ready "$T/trunc.ready" && break; sleep 0.05; done
"$NT" tcp-send --tls --cacert "$C/ca.crt" --timeout 10 "localhost:$TP" hello >"$T/garbage.out" 2>"$T/garbage.err" </dev/null
rc=$?
[ $rc = 4 ] && [ "$(cat "$T/garbage.out")" = hello ] && grep -q "localhost:$TP: after the last reply: TLS error" "$T/garbage.err" \
	&& pass "tcp-send --tls: garbage after the last reply is exit 4, the reply printed, the error said" \
	|| fail "tcp-send --tls, garbage after the reply" "rc=$rc out=$(cat "$T/garbage.out") $(cat "$T/garbage.err")"
TP=$(free_port)
"$NT" tcp-serve -q -p "$TP" -l 127.0.0.1 $TLS --stream <"$EMPTY" >"$T/trunc.out" 2>"$T/trunc.err" &
RP=$!
cleanup "kill $RP 2>/dev/null"
listening "$TP"
$TRUNC client "$TP" "$C/ca.crt"
wait $RP
rc=$?
[ $rc = 3 ] && [ "$(cat "$T/trunc.out")" = "a line of the stream" ] && grep -q 'without TLS close_notify' "$T/trunc.err" \
	&& pass "tcp-serve --stream --tls: a client's end without close_notify is exit 3, said" \
	|| fail "tcp-serve --stream --tls, no close_notify" "rc=$rc $(cat "$T/trunc.err")"
finish
