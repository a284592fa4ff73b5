#!/bin/bash
# SPDX-License-Identifier: MIT
# tcp_serve.sh - tcp-serve against real clients on loopback: the textbook's programs,
# our tcp-send, and stamp_probe.py for concurrency, backpressure, resets, EMFILE, signals.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
PROBE="/usr/bin/python3 $here/stamp_probe.py"
SPROBE="/usr/bin/python3 $here/serve_probe.py"
TB=$here/../textbook
STAMP_RE='^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4} '

# serve VAR ARGS...: start tcp-serve on a free port; VAR gets the port, SRV_PID the pid.
# SERVE_HOST says where to wait for it (default 127.0.0.1).
serve() {
	local var=$1 p
	shift
	p=$(free_port)
	"$NT" tcp-serve -q -p "$p" "$@" 2>>"$T/serve.log" &
	SRV_PID=$!
	cleanup "kill -TERM $SRV_PID; sleep 0.1; kill -9 $SRV_PID; wait $SRV_PID"
	printf -v "$var" '%s' "$p"
	wait_port "$p" "${SERVE_HOST:-127.0.0.1}" 10 || { fail "tcp-serve $* did not start"; cat "$T/serve.log"; }
}
# Memory limits for the RSS checks (KiB); ASan's shadow memory and quarantine need more.
if [ "${SANITIZED:-}" = 1 ]; then HOG_LIMIT=400000 FLOOD_LIMIT=2000000 PARTIAL_LIMIT=4000000
else HOG_LIMIT=16384 FLOOD_LIMIT=24576 PARTIAL_LIMIT=57344; fi

serve P
# The textbook's client sends "hello" with no newline and prints one recv().
out=$(printf 'hello\nworld\n\n' | /usr/bin/python3 "$TB/tsTclnt.py" 127.0.0.1 "$P")
echo "$out" | grep -Eq "^> ${STAMP_RE#^}hello$" && echo "$out" | grep -Eq "${STAMP_RE#^}world$" \
	&& pass "textbook client gets 'STAMP hello' without a newline sent" || fail "textbook client" "$out"

# Complete lines are each answered; bytes after the last newline are answered when drained.
got=$(/usr/bin/python3 - "$P" <<'PY'
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(b'a\nb\nc')
time.sleep(0.3)
print(s.recv(4096).decode().replace('\n', '|'))
PY
)
echo "$got" | grep -Eq "^${STAMP_RE#^}a\|[A-Z].{23} b\|[A-Z].{23} c$" && pass "lines and a trailing partial message" || fail "lines and partial" "$got"

testing "tcp-send: one-shot messages" "\$NT tcp-send 127.0.0.1:$P hello world | sed -E 's/^.{24} //'" "hello\nworld" "" ""
testing "tcp-send: piped lines, empty line sent too" "\$NT tcp-send 127.0.0.1:$P | sed -E 's/^.{24} //'" "one\n\ntwo" "" "one\n\ntwo\n"
testing "tcp-send: IPv6 [::1]" "\$NT tcp-send '[::1]:$P' v6 | sed -E 's/^.{24} //'" "v6" "" ""
testing "tcp-send: --no-newline gets the reply after the quiet time" "\$NT tcp-send --no-newline 127.0.0.1:$P bare | sed -E 's/^.{24} //'" "bare" "" ""
out=$(printf 'typed\n\nnot sent\n' | script -qec "$NT tcp-send 127.0.0.1:$P" /dev/null | tr -d '\r')
echo "$out" | grep -Eq "^> ${STAMP_RE#^}typed" && ! echo "$out" | grep -Eq "${STAMP_RE#^}not sent" \
	&& pass "tcp-send on a terminal: prompt, empty line ends" || fail "tcp-send on a terminal" "$out"
check "1,000 concurrent clients all answered" $PROBE many 127.0.0.1 "$P" 1000
check "a client that never reads does not block others, memory bounded meanwhile" $PROBE noread 127.0.0.1 "$P" "$SRV_PID" "$HOG_LIMIT"
check "50 clients flooding empty lines without reading: memory bounded" $PROBE flood 127.0.0.1 "$P" 50 "$SRV_PID" "$FLOOD_LIMIT"
check "server survives 50 clients that reset" $PROBE reset 127.0.0.1 "$P" 50
kill -0 "$SRV_PID" 2>/dev/null && pass "server still running" || fail "server died"

# 1 MiB without a newline: answered in --max-line pieces; memory stays bounded.
serve P2 --max-line 4096
check "1 MiB without a newline, answered in 4 KiB pieces" $PROBE bigline 127.0.0.1 "$P2" 1048576 4096

# Signals: SIGTERM with clients connected closes them and exits 0.
serve P3
$PROBE holdlines 127.0.0.1 "$P3" 5 >"$T/hold.out" 2>&1 &
HP=$!
for _ in $(seq 50); do grep -q ready "$T/hold.out" && break; sleep 0.1; done
kill -TERM "$SRV_PID"
wait "$SRV_PID"
rc=$?
wait "$HP" && grep -q 'ok all closed' "$T/hold.out" && [ $rc -eq 0 ] \
	&& pass "SIGTERM with 5 clients: they are closed, exit 0" || fail "SIGTERM with clients" "rc=$rc $(cat "$T/hold.out")"

# --line: one line per connection (socketserver), with the textbook's socketserver client.
serve P4 --line
check "--line answers one line then closes" $PROBE line 127.0.0.1 "$P4"
out=$(printf 'application\nflash\n\n' | /usr/bin/python3 "$TB/tsTclntSS.py" 127.0.0.1 "$P4")
echo "$out" | grep -Eq "${STAMP_RE#^}application$" && echo "$out" | grep -Eq "${STAMP_RE#^}flash$" \
	&& pass "textbook socketserver client against --line" || fail "textbook socketserver client" "$out"
testing "tcp-send --per-line against --line" "\$NT tcp-send --per-line 127.0.0.1:$P4 x y z | sed -E 's/^.{24} //'" "x\ny\nz" "" ""

serve P5 --echo
check "--echo returns binary bytes (NUL, invalid UTF-8) exactly" $PROBE binary 127.0.0.1 "$P5"
testing "tcp-send --stream copies both ways and half-closes" "\$NT tcp-send --stream 127.0.0.1:$P5" "a\nb" "" "a\nb\n"

# --stream against a server that sends far more than it receives (27 bytes per 2): no deadlock.
serve P5b
n=$(head -c 2000000 /dev/zero | tr '\0' '\n' | sed 's/^/a/' | head -c 2000000 | timeout 60 "$NT" tcp-send --stream 127.0.0.1:"$P5b" | wc -l)
[ "$n" = 1000000 ] && pass "--stream: 1,000,000 stamped lines back for 2 MB sent, no deadlock" || fail "--stream big output" "$n lines"

serve P6 --daytime
check "--daytime sends the time and CR LF, then closes" $PROBE daytime 127.0.0.1 "$P6"

serve P7 --time-format '%Y-%m-%d %H' --utc
want="$(date -u '+%Y-%m-%d %H') fmt"
got=$("$NT" tcp-send 127.0.0.1:"$P7" fmt)
[ "$got" = "$want" ] && pass "--time-format with --utc" || fail "--time-format with --utc" "got '$got', want '$want'"

serve P8 --idle-timeout 0.4
check "--idle-timeout closes an idle client" $PROBE idle 127.0.0.1 "$P8" 0.4

serve P9 --max-clients 2
check "--max-clients 2: a third client waits until one leaves" $PROBE maxclients 127.0.0.1 "$P9"

# -4 and -6.
SERVE_HOST=::1 serve P10 -6
expect_exit "-6 does not answer on IPv4" 3 "$NT" tcp-send --timeout 1 127.0.0.1:"$P10" x
testing "-6 answers on ::1" "\$NT tcp-send '[::1]:$P10' six | sed -E 's/^.{24} //'" "six" "" ""
serve P11 -4
expect_exit "-4 does not answer on IPv6" 3 "$NT" tcp-send --timeout 1 "[::1]:$P11" x
SERVE_HOST=::1 serve P12 -l '[::1]'
testing "-l [::1] listens there" "\$NT tcp-send '[::1]:$P12' l6 | sed -E 's/^.{24} //'" "l6" "" ""
expect_exit "-l [::1] does not listen on 127.0.0.1" 3 "$NT" tcp-send --timeout 1 127.0.0.1:"$P12" x

# Unix sockets.
"$NT" tcp-serve -q --unix "$T/s.sock" &
UP=$!
cleanup "kill -9 $UP; wait $UP"
for _ in $(seq 50); do [ -S "$T/s.sock" ] && break; sleep 0.05; done
check "--unix serves a unix socket" $PROBE unix "$T/s.sock"
testing "tcp-send --unix" "\$NT tcp-send --unix '$T/s.sock' u | sed -E 's/^.{24} //'" "u" "" ""
expect_exit "a second server on the same live unix socket is refused" 3 "$NT" tcp-serve -q --unix "$T/s.sock"
kill "$UP"; wait "$UP"
[ ! -e "$T/s.sock" ] && pass "the unix socket file is removed at exit" || fail "unix socket file left behind"
# A regular file at the path is a local file problem (exit 6), said as such, and kept.
echo keep >"$T/plain"
expect_exit "--unix on a regular file is exit 6" 6 timeout 3 "$NT" tcp-serve -q --unix "$T/plain"
grep -q "unix:$T/plain exists and is not a socket" "$T/check.out" && [ "$(cat "$T/plain")" = keep ] \
	&& pass "--unix on a regular file: 'exists and is not a socket', the file untouched" \
	|| fail "--unix on a regular file" "$(cat "$T/check.out")"

# --workers: N processes share the port.
serve P13 --workers 2
sleep 0.3
n=$(pgrep -P "$SRV_PID" | wc -l)
[ "$n" -eq 2 ] && pass "--workers 2 runs two workers" || fail "--workers 2" "$n children"
check "--workers 2 serves 300 clients" $PROBE many 127.0.0.1 "$P13" 300
kill -TERM "$SRV_PID"; wait "$SRV_PID"; rc=$?
[ $rc -eq 0 ] && [ -z "$(pgrep -P "$SRV_PID")" ] && pass "--workers: SIGTERM stops every worker, exit 0" || fail "--workers SIGTERM" "rc=$rc"
# --workers auto: one per online CPU (one CPU: the process serves itself, no children).
cpus=$(getconf _NPROCESSORS_ONLN)
serve P13A --workers auto
sleep 0.3
n=$(pgrep -P "$SRV_PID" | wc -l)
[ "$n" -eq "$([ "$cpus" -gt 1 ] && echo "$cpus" || echo 0)" ] && pass "--workers auto runs one worker per online CPU ($cpus)" \
	|| fail "--workers auto" "$n children for $cpus CPUs"
check "--workers auto serves 100 clients" $PROBE many 127.0.0.1 "$P13A" 100
kill -TERM "$SRV_PID"; wait "$SRV_PID"
expect_exit "--workers takes a number or auto: 'many' is exit 2" 2 "$NT" tcp-serve --workers many

# EMFILE: far more clients than descriptors; the server must not spin and must recover.
P14=$(free_port)
(ulimit -n 32; exec "$NT" tcp-serve -p "$P14" -l 127.0.0.1) 2>"$T/emfile.log" &
EP=$!
cleanup "kill -9 $EP; wait $EP"
wait_port "$P14"
$PROBE emfile 127.0.0.1 "$P14" 80 1.5 >"$T/emfile.out" 2>&1 &
PP=$!
sleep 0.7
t1=$(awk '{print $14 + $15}' "/proc/$EP/stat")
sleep 0.6
t2=$(awk '{print $14 + $15}' "/proc/$EP/stat")
wait "$PP" && pass "EMFILE: 80 clients with 32 descriptors all answered" || fail "EMFILE recovery" "$(cat "$T/emfile.out")"
[ $((t2 - t1)) -le 15 ] && pass "EMFILE: no busy loop while out of descriptors ($((t2 - t1)) ticks in 0.6 s)" \
	|| fail "EMFILE busy loop" "$((t2 - t1)) clock ticks in 0.6 s"
# Once per episode: every "pausing" after the first follows an "accepting again".
n=$(grep -c 'pausing new connections' "$T/emfile.log")
m=$(grep -c 'accepting new connections again' "$T/emfile.log")
[ "$n" -ge 1 ] && [ "$n" -le $((m + 1)) ] && pass "EMFILE is logged once per episode ($n episodes)" \
	|| fail "EMFILE log" "$n pauses, $m recoveries: $(grep -m3 -e pausing -e accepting "$T/emfile.log")"

# tcp-send's errors: no reply within --timeout, a reset, a refused connection (exit 3, named).
SP=$(free_port)
/usr/bin/python3 - "$SP" >"$T/silent.log" 2>&1 <<'PY' &
import socket, struct, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', int(sys.argv[1]))); ls.listen(5)
def client():                # the next connection that sends something (wait_port's probe sends nothing)
    while True:
        c, _ = ls.accept()
        if c.recv(100):
            return c
a = client()                 # first client: never answered
b = client()                 # second client: reset after its line arrives
b.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); b.close()
time.sleep(3)
PY
SILENT=$!
cleanup "kill -9 $SILENT; wait $SILENT"
wait_port "$SP"
expect_exit "tcp-send: no reply within --timeout is exit 3" 3 "$NT" tcp-send --timeout 0.5 127.0.0.1:"$SP" anyone
grep -q 'no reply' "$T/check.out" && pass "no reply is named" || fail "no reply message" "$(cat "$T/check.out")"
expect_exit "tcp-send: a reset is exit 3" 3 "$NT" tcp-send --timeout 2 127.0.0.1:"$SP" reset-me
grep -Eq 'reset|closed' "$T/check.out" && pass "the reset is named" || fail "reset message" "$(cat "$T/check.out")"
kill -9 $SILENT 2>/dev/null; wait $SILENT 2>/dev/null
expect_exit "tcp-send: a refused connection is exit 3" 3 "$NT" tcp-send 127.0.0.1:"$SP" x
grep -q 'refused' "$T/check.out" && pass "the refusal is named" || fail "refusal message" "$(cat "$T/check.out")"

# Bad command lines.
expect_exit "unknown option is exit 2" 2 "$NT" tcp-serve --bogus
expect_exit "port 0 is refused" 2 "$NT" tcp-serve -p 0
expect_exit "port 65536 is refused" 2 "$NT" tcp-serve -p 65536
expect_exit "--line with --echo is refused" 2 "$NT" tcp-serve --line --echo
expect_exit "-l '[::1' is refused" 2 "$NT" tcp-serve -l '[::1'
expect_exit "a port in use is exit 3" 3 "$NT" tcp-serve -q -l 127.0.0.1 -p "$P"
# --max-partial counts buffer memory, which one client's line alone grows to --max-line:
# a cap below 64k (or --max-line) is refused, and so is the option where no partial
# line is ever held (--echo, --daytime). timeout: a server that starts is a failure too.
expect_exit "--line --max-partial 10 is refused (below 64k)" 2 timeout 3 "$NT" tcp-serve -q -p "$(free_port)" --line --max-partial 10
grep -q 'below 65536 bytes' "$T/check.out" && pass "--max-partial: the refusal names the minimum" \
	|| fail "--max-partial minimum message" "$(cat "$T/check.out")"
expect_exit "--max-partial below --max-line is refused" 2 timeout 3 "$NT" tcp-serve -q -p "$(free_port)" --max-line 1M --max-partial 100k
expect_exit "--echo --max-partial is refused" 2 timeout 3 "$NT" tcp-serve -q -p "$(free_port)" --echo --max-partial 1M
expect_exit "--daytime --max-partial is refused" 2 timeout 3 "$NT" tcp-serve -q -p "$(free_port)" --daytime --max-partial 1M

# A port is bound once, by the supervisor: a second server fails on a busy port with and
# without --workers, on either side (SO_REUSEPORT only with --reuseport).
for w in "" "--workers 2"; do
	# shellcheck disable=SC2086
	serve PB1 $w
	for w2 in "" "--workers 2"; do
		# shellcheck disable=SC2086
		expect_exit "busy port: tcp-serve ${w2:-alone} beside tcp-serve ${w:-alone} is exit 3" 3 timeout 5 "$NT" tcp-serve -q -p "$PB1" $w2
		grep -q 'Address already in use' "$T/check.out" && pass "busy port: the message says 'Address already in use'" \
			|| fail "busy port message" "$(cat "$T/check.out")"
	done
done
serve PB2 --workers 2 --reuseport
check "--workers 2 --reuseport serves 100 clients" $PROBE many 127.0.0.1 "$PB2" 100
expect_exit "--reuseport: a server without it still can not bind the port" 3 timeout 5 "$NT" tcp-serve -q -p "$PB2"

# Capped restarts: a killed worker is replaced; the 6th death within 30 s ends the server
# with exit 1 and a message that names the policy. Not quiet (-q hides "signal N:
# stopping"): the workers the supervisor stops say nothing, so nothing looks like a
# SIGTERM from outside.
PC=$(free_port)
"$NT" tcp-serve -p "$PC" --workers 2 2>"$T/cap.log" &
SRV_PID=$!
cleanup "kill -9 $SRV_PID; wait $SRV_PID"
wait_port "$PC" 127.0.0.1 10 || fail "tcp-serve --workers 2 did not start"
if $SPROBE restart-cap "$SRV_PID" >"$T/cap.out" 2>&1; then
	grep -q 'restarted 1' "$T/cap.out" && pass "--workers: a killed worker is restarted" || fail "worker restart" "$(cat "$T/cap.out")"
	wait "$SRV_PID"; rc=$?
	[ $rc -eq 1 ] && grep -q 'workers died 6 times within 30 s: giving up' "$T/cap.log" \
		&& pass "--workers: gives up on the 6th death in 30 s (exit 1), naming the policy" \
		|| fail "restart cap" "rc=$rc $(tail -2 "$T/cap.log")"
	! sed -n '/giving up/,$p' "$T/cap.log" | grep -q 'signal 15: stopping' \
		&& pass "--workers: the workers stopped by the giving-up supervisor say nothing" \
		|| fail "restart cap: workers look stopped from outside" "$(tail -3 "$T/cap.log")"
else
	fail "--workers restart policy" "$(cat "$T/cap.out")"
fi

# --line: partial lines are capped for the whole process. One client holds 60,000 bytes,
# 20 hold 3,000: over --max-partial 100k the biggest is closed (and logged), the others
# are answered once their lines end.
: >"$T/serve.log"
serve PP --line --max-partial 100k
$SPROBE partial "$PP" "$SRV_PID" 20 3000 60000 >"$T/partial.out" 2>&1
grep -q '^big=closed' "$T/partial.out" && grep -q '^answered=20 closed=0' "$T/partial.out" \
	&& pass "--max-partial: the client holding the most is closed, the 20 others answered" \
	|| fail "--max-partial" "$(cat "$T/partial.out")"
grep -Eq 'closed 127.0.0.1:[0-9]+: it held the most partial-line buffer, [0-9]+ bytes, when all clients held [0-9]+ bytes of buffer' "$T/serve.log" \
	&& pass "--max-partial: the closing is logged, in bytes of buffer" || fail "--max-partial log" "$(tail -3 "$T/serve.log")"
# A flood of closings is logged once per episode, -q or not: 300 clients x 60,000
# bytes over --max-partial 100k close nearly all of them; the log says the first one,
# then sums up the others ("N more clients closed ...", at most once per 5 s, and once
# more when the server stops), and the sums add up to every closed client.
: >"$T/serve.log"
serve PF --line --max-partial 100k
$SPROBE partial "$PF" "$SRV_PID" 300 60000 >"$T/flood.out" 2>&1
kill -TERM "$SRV_PID"; wait "$SRV_PID"
closed=$(sed -n 's/^answered=[0-9]* closed=//p' "$T/flood.out")
lines=$(grep -c 'max-partial' "$T/serve.log")
summed=$(awk '/closed 127\.0\.0\.1:[0-9]+: it held the most/ { n++ }
	/more clients? closed for --max-partial in the last/ { for (i = 1; i < NF; i++) if ($(i + 1) == "more") n += $i }
	END { print n + 0 }' "$T/serve.log")
if [ -n "$closed" ] && [ "$closed" -ge 100 ] && [ "$lines" -le 4 ] && [ "$summed" -eq "$closed" ]; then
	pass "--max-partial: $closed clients closed in a flood, $lines log lines that count them all"
else
	fail "--max-partial log flood" "closed=$closed, $lines lines counting $summed: $(head -3 "$T/serve.log")"
fi
# --max-partial matters without --line too: in the default mode a client that does not
# read its replies is paused with its partial line held. 6 such clients, each with
# 80,000 short lines then 50,000 bytes without a newline, over --max-partial 64k.
: >"$T/serve.log"
serve PD --max-partial 64k
/usr/bin/python3 - "$PD" <<'PY' >"$T/paused.out" 2>&1 &
import socket, sys, time
held = []
for _ in range(6):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(('127.0.0.1', int(sys.argv[1])))
    s.sendall(b'x\n' * 40000 + b'y' * 50000)
    held.append(s)
time.sleep(30)
PY
PYP=$!
cleanup "kill $PYP"
for _ in $(seq 200); do grep -q 'it held the most partial-line buffer' "$T/serve.log" && break; sleep 0.05; done
grep -q 'it held the most partial-line buffer' "$T/serve.log" \
	&& pass "--max-partial caps partial lines of paused clients in the default mode too" \
	|| fail "--max-partial without --line" "$(cat "$T/paused.out") $(tail -3 "$T/serve.log")"
kill "$PYP" 2>/dev/null; wait "$PYP" 2>/dev/null
# The default cap (32 MiB): 1,000 clients x 60,000 bytes without a newline.
serve PQ --line
$SPROBE partial "$PQ" "$SRV_PID" 1000 60000 >"$T/partial.out" 2>&1
hwm=$(sed -n 's/^hwm_kb=//p' "$T/partial.out")
[ -n "$hwm" ] && [ "$hwm" -lt "$PARTIAL_LIMIT" ] && grep -Eq '^answered=[1-9]' "$T/partial.out" \
	&& pass "--line, 1,000 clients x 60 KB of partial lines: peak RSS $hwm KiB (< $PARTIAL_LIMIT), the rest answered" \
	|| fail "partial lines memory" "$(cat "$T/partial.out")"
finish
