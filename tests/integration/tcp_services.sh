#!/bin/bash
# SPDX-License-Identifier: MIT
# tcp_services.sh - the small inetd services of tcp-serve and udp-serve (discard RFC
# 863, chargen RFC 864, time RFC 868) against Python clients that check each RFC's
# format (svc_probe.py), the UDP loop guards of --time and --chargen, and tcp-send /
# udp-send reading them.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
SP="/usr/bin/python3 $here/svc_probe.py"

start() { # VAR APPLET ARGS...
	local var=$1 p
	shift
	p=$(free_port)
	"$NT" "$@" -q -l 127.0.0.1 -p "$p" >"$T/json.out" 2>"$T/serve.log" &
	SRV_PID=$!
	cleanup "kill -9 $SRV_PID; wait $SRV_PID"
	printf -v "$var" '%s' "$p"
	if [ "$2" = tcp-serve ] || [ "$1" = tcp-serve ]; then wait_port "$p"; else sleep 0.3; fi
}
stop() { kill -TERM "$SRV_PID"; wait "$SRV_PID" 2>/dev/null; }

start P tcp-serve --discard --json
check "TCP discard (RFC 863): 1 MiB taken, nothing answered, closed at the client's end" $SP tcp-discard "$P"
sleep 0.2
/usr/bin/python3 -c '
import json, sys
o = [json.loads(l) for l in open(sys.argv[1])][-1]
assert o["bytes_in"] == 1 << 20 and o["bytes_out"] == 0 and o["reason"] == "done", o
assert "exit_status" not in o' "$T/json.out" && pass "tcp-serve --json: discard's object (bytes_in 1048576, bytes_out 0, reason done)" \
	|| fail "tcp-serve --json discard" "$(tail -1 "$T/json.out")"
stop

start P tcp-serve --chargen --json
check "TCP chargen (RFC 864): 300 lines of the rotating 72-character pattern, slow reader" $SP tcp-chargen "$P"
check "TCP chargen (RFC 864): a client that half-closes still gets the pattern (the server sends until it closes)" \
	$SP tcp-chargen-halfclose "$P"
sleep 0.2
rss=$(awk '/VmRSS/ {print $2}' "/proc/$SRV_PID/status")
/usr/bin/python3 -c '
import json, sys
o = [json.loads(l) for l in open(sys.argv[1])][-1]
assert o["bytes_out"] >= 74 * 300 and o["reason"] in ("reset by peer", "done", "write failed"), o' "$T/json.out" \
	&& pass "tcp-serve --json: chargen's object counts what was sent" || fail "tcp-serve --json chargen" "$(tail -1 "$T/json.out")"
# A client that connects and never reads: the server's memory does not grow.
/usr/bin/python3 -c '
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(20)]
time.sleep(1.5)' "$P"
rss2=$(awk '/VmRSS/ {print $2}' "/proc/$SRV_PID/status")
[ "${SANITIZED:-}" = 1 ] || [ $((rss2 - rss)) -lt 2048 ] && pass "chargen: 20 clients that never read cost no memory (RSS $rss -> $rss2 KiB)" \
	|| fail "chargen memory" "$rss -> $rss2 KiB"
kill -0 "$SRV_PID" && pass "chargen: the server goes on after clients leave" || fail "chargen server died"
stop

start P tcp-serve --time
check "TCP time (RFC 868): 4 bytes, seconds since 1900, then close" $SP tcp-time "$P"
n=$("$NT" tcp-send 127.0.0.1 "$P" </dev/null | wc -c)
[ "$n" = 4 ] && pass "tcp-send HOST PORT with no message prints the 4 bytes of time as they are" || fail "tcp-send time" "$n bytes"
stop

start P tcp-serve --daytime
got=$("$NT" tcp-send 127.0.0.1 "$P" </dev/null | tr -d '\r')
echo "$got" | grep -Eq '^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}$' \
	&& pass "tcp-send HOST PORT with no message prints daytime's line" || fail "tcp-send daytime" "'$got'"
stop

start P udp-serve --time --json
check "UDP time (RFC 868): an empty datagram gets 4 bytes" $SP udp-time "$P"
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
s.sendto(b"\x83\xaa\x7e\x80", ("127.0.0.1", int(sys.argv[1])))
s.sendto(b"hello", ("127.0.0.1", int(sys.argv[1])))
try:
    s.recv(10); sys.exit(1)
except socket.timeout:
    pass' "$P" && pass "UDP time answers only an empty datagram (RFC 868): no loop with a time or a stamp server" \
	|| fail "UDP time answered a datagram that was not empty"
sleep 0.2
/usr/bin/python3 -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
a, b = objs[-3], objs[-2]
assert a["answered"] is True and a["bytes_in"] == 0 and a["bytes_out"] == 4 and a["reason"] is None, a
assert b["answered"] is False and b["bytes_out"] is None and "empty" in b["reason"], b
assert objs[-1]["answered"] is False and objs[-1]["bytes_in"] == 5, objs[-1]
assert set(a) == {"peer", "bytes_in", "bytes_out", "answered", "reason"}' "$T/json.out" \
	&& pass "udp-serve --json: one object per datagram, answered or not and why" || fail "udp-serve --json" "$(cat "$T/json.out")"
stop

start P udp-serve --discard
check "UDP discard (RFC 863): nothing comes back" $SP udp-discard "$P"
stop

expect_exit "udp-serve --chargen without --allow-chargen is exit 2" 2 "$NT" udp-serve --chargen
grep -q -- '--allow-chargen' "$T/check.out" && pass "the refusal names --allow-chargen" || fail "chargen refusal message" "$(cat "$T/check.out")"
start P udp-serve --chargen --allow-chargen
check "UDP chargen (RFC 864): 0 to 512 characters of the pattern per datagram" $SP udp-chargen "$P"
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
s.sendto(b"!\"#$%&\x27()*+,-./0123456789:;<=>?@AB", ("127.0.0.1", int(sys.argv[1])))
try:
    s.recv(1000); sys.exit(1)
except socket.timeout:
    pass' "$P" && pass "UDP chargen never answers chargen output (another chargen, or an echo of it: no loop)" \
	|| fail "UDP chargen answered chargen output"
stop

# --max-per-ip 1: the log's grammar ("1 connection from ... already", not "1 connections").
PM=$(free_port)
"$NT" tcp-serve -l 127.0.0.1 -p "$PM" --max-per-ip 1 --exec cat 2>"$T/perip.log" &
MP=$!
wait_port "$PM"
sleep 0.3
exec 7<>"/dev/tcp/127.0.0.1/$PM"
sleep 0.2
"$NT" tcp-send -w 1 127.0.0.1:"$PM" <"$EMPTY" >/dev/null 2>&1
sleep 0.2
exec 7<&-
kill -TERM "$MP"; wait "$MP" 2>/dev/null
grep -q 'refused 127.0.0.1:[0-9]*: 1 connection from 127.0.0.1 already (--max-per-ip)' "$T/perip.log" \
	&& pass "--max-per-ip 1: the log says '1 connection', singular" || fail "--max-per-ip 1 grammar" "$(grep refused "$T/perip.log")"

expect_exit "tcp-serve --time with --time-format is exit 2" 2 "$NT" tcp-serve --time --time-format %s
expect_exit "tcp-serve --chargen and --echo exclude each other" 2 "$NT" tcp-serve --chargen --echo
finish
