#!/bin/bash
# SPDX-License-Identifier: MIT
# tcp_exec.sh - tcp-serve --exec / --sh-exec (a program per connection, as tcpsvd and
# tcpserver): the UCSPI-TCP variables, 200 connections at once, programs that exit at
# once, never read or are killed, the loop serving meanwhile, --max-clients,
# --max-per-ip, -v's exit status and duration, --json lines, and no zombie left.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
XP="/usr/bin/python3 $here/exec_probe.py"

# serve VAR ARGS...: start tcp-serve on a free port; VAR gets the port, SRV_PID the pid,
# its standard output goes to $T/serve.json, standard error to $T/serve.log.
serve() {
	local var=$1 p
	shift
	p=$(free_port)
	: >"$T/serve.log"
	"$NT" tcp-serve -l 127.0.0.1 -p "$p" "$@" >"$T/serve.json" 2>"$T/serve.log" &
	SRV_PID=$!
	cleanup "kill -TERM $SRV_PID; sleep 0.1; kill -9 $SRV_PID; wait $SRV_PID"
	printf -v "$var" '%s' "$p"
	wait_port "$p" 127.0.0.1 10 || { fail "tcp-serve $* did not start"; cat "$T/serve.log"; }
}
stop() { kill -TERM "$SRV_PID"; wait "$SRV_PID"; }
# zombies PID: children of PID that have ended and not been reaped.
zombies() { ps -o stat= --ppid "$1" 2>/dev/null | grep -c '^Z'; }
# wait_log PATTERN: until the server's log has it (5 s at most).
wait_log() { for _ in $(seq 100); do grep -Eq "$1" "$T/serve.log" && return 0; sleep 0.05; done; return 1; }

serve P --exec env
check "UCSPI-TCP variables: PROTO, TCPREMOTEIP/PORT, TCPLOCALIP/PORT match the socket" $XP env "$P"
stop
# Inherited values of the variables are not passed on as if they were the connection's.
TCPREMOTEHOST=stale.example TCPREMOTEINFO=stale serve P --exec env
check "UCSPI variables from the server's own environment are not passed on" $XP env "$P"
stop

# Everything after PROG is its arguments, even what looks like our options; no shell.
serve P --exec printf '%s|%s|%s\n' -v -p '$HOME'
got=$("$NT" tcp-send 127.0.0.1 "$P" </dev/null)
[ "$got" = '-v|-p|$HOME' ] && pass "--exec PROG ARGS...: the rest of the line goes to PROG as it is" \
	|| fail "--exec arguments" "got '$got'"
stop
serve P --sh-exec 'echo "sh:$PROTO:$TCPLOCALPORT"'
got=$("$NT" tcp-send 127.0.0.1 "$P" </dev/null)
[ "$got" = "sh:TCP:$P" ] && pass "--sh-exec runs /bin/sh -c STRING with the variables" || fail "--sh-exec" "got '$got'"
stop

# 200 connections at once, each to its own cat: every line back exactly, no zombie.
serve P -q --exec cat
check "200 concurrent connections, each answered by its own program" $XP concurrent "$P" 200
for _ in $(seq 50); do [ "$(zombies "$SRV_PID")" = 0 ] && [ -z "$(pgrep -P "$SRV_PID")" ] && break; sleep 0.1; done
z=$(zombies "$SRV_PID")
[ "$z" = 0 ] && [ -z "$(pgrep -P "$SRV_PID")" ] && pass "after 200 programs: none left running, zombies: $z" \
	|| fail "children left after 200 connections" "zombies $z, running $(pgrep -P "$SRV_PID" | wc -l)"
stop

# A program that exits at once; -v logs its exit status and duration.
serve P -v --sh-exec 'exit 3'
"$NT" tcp-send -w 2 127.0.0.1 "$P" </dev/null >/dev/null 2>&1
wait_log 'pid [0-9]+: exit 3, [0-9]+\.[0-9]{3} s' && pass "a program that exits at once: -v logs 'exit 3' and the duration" \
	|| fail "exit status logged" "$(cat "$T/serve.log")"
for _ in 1 2 3 4 5 6 7 8 9 10; do "$NT" tcp-send -w 2 127.0.0.1 "$P" </dev/null >/dev/null 2>&1; done
sleep 0.3
[ "$(zombies "$SRV_PID")" = 0 ] && pass "11 programs that exit at once: no zombie" || fail "zombies after quick exits" "$(zombies "$SRV_PID")"
stop

# A program that never reads: the client's bytes pile up in its socket, not in the server;
# the loop goes on serving others meanwhile.
serve P -v --sh-exec 'echo hi; exec sleep 30'
$XP flood "$P" 50000000 >"$T/flood.out" 2>&1 &
FP=$!
sleep 0.5
got=$(timeout 2 "$NT" tcp-send -w 3 127.0.0.1 "$P" </dev/null 2>/dev/null | head -1)
[ "$got" = hi ] && [ "$(grep -c 'started, pid' "$T/serve.log")" -ge 2 ] \
	&& pass "a program that never reads: another connection is started meanwhile" \
	|| fail "server stuck behind a program that never reads" "$(cat "$T/serve.log")"
wait "$FP"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$SRV_PID/status")
[ "${SANITIZED:-}" = 1 ] || [ "$rss" -lt 16384 ] && pass "the server's memory stays small meanwhile (${rss} KiB)" \
	|| fail "memory with a program that never reads" "$rss KiB"
pkill -P "$SRV_PID" sleep
stop

# A program that is killed: its connection ends, the log and --json say so.
serve P --json --sh-exec 'echo $$; exec sleep 60'
exec 5<>"/dev/tcp/127.0.0.1/$P"
read -r cpid <&5
kill -KILL "$cpid"
wait_log 'killed by SIGKILL' && pass "a program killed by SIGKILL: the log says so" || fail "killed program" "$(cat "$T/serve.log")"
exec 5<&-
for _ in $(seq 40); do [ -s "$T/serve.json" ] && break; sleep 0.05; done
/usr/bin/python3 - "$T/serve.json" <<'PY' && pass "--json: the killed program's object (exit_status 137, signal KILL, snake_case keys)" || fail "--json for a killed program" "$(cat "$T/serve.json")"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
o = objs[-1]
assert o['exit_status'] == 137 and o['signal'] == 'KILL' and o['reason'] == 'killed', o
assert set(o) == {'peer', 'bytes_in', 'bytes_out', 'duration_ms', 'reason', 'exit_status', 'signal'}, o
assert o['peer'].startswith('127.0.0.1:') and isinstance(o['duration_ms'], int)
PY
[ "$(zombies "$SRV_PID")" = 0 ] && pass "the killed program is reaped" || fail "killed program left a zombie"
stop

# --json: byte counts of a connection a program served.
serve P --json --exec cat
head -c 100000 /dev/urandom >"$T/data"
"$NT" tcp-send --stream 127.0.0.1:"$P" <"$T/data" >"$T/data.back"
cmp -s "$T/data" "$T/data.back" && pass "--exec cat returns 100,000 random bytes exactly" || fail "--exec cat data"
for _ in $(seq 40); do [ "$(wc -l <"$T/serve.json")" -ge 2 ] && break; sleep 0.05; done
/usr/bin/python3 - "$T/serve.json" <<'PY' && pass "--json: bytes_in and bytes_out of the connection, exit 0" || fail "--json byte counts" "$(cat "$T/serve.json")"
import json, sys
o = [json.loads(l) for l in open(sys.argv[1])][-1]  # the first: the port probe's
assert o['bytes_in'] == 100000 and o['bytes_out'] == 100000, o
assert o['exit_status'] == 0 and o['signal'] is None and o['reason'] == 'exited', o
PY
stop

# --max-clients 2: a third connection waits (not accepted) until one ends.
serve P --max-clients 2 --exec cat
$XP hold "$P" 2 1.5 >"$T/hold.out" 2>&1 &
HP=$!
for _ in $(seq 100); do grep -q ready "$T/hold.out" && break; sleep 0.05; done
t0=$(date +%s%N)
got=$(echo third | "$NT" tcp-send --stream -w 5 127.0.0.1:"$P")
t1=$(date +%s%N)
wait "$HP"
[ "$got" = third ] && [ $(((t1 - t0) / 1000000)) -ge 800 ] \
	&& pass "--max-clients 2: the third connection is served once one of two ends ($(((t1 - t0) / 1000000)) ms)" \
	|| fail "--max-clients with --exec" "got '$got' after $(((t1 - t0) / 1000000)) ms"
stop

# --max-per-ip 2: a third connection from the same address is closed at once.
serve P --max-per-ip 2 --exec cat
$XP hold "$P" 2 1.5 >"$T/hold.out" 2>&1 &
HP=$!
for _ in $(seq 100); do grep -q ready "$T/hold.out" && break; sleep 0.05; done
got=$(echo third | "$NT" tcp-send --stream -w 1 127.0.0.1:"$P" 2>/dev/null)
grep -q 'refused 127.0.0.1:.*--max-per-ip' "$T/serve.log" && [ -z "$got" ] \
	&& pass "--max-per-ip 2: a third connection from 127.0.0.1 is refused" || fail "--max-per-ip" "got '$got' $(cat "$T/serve.log")"
wait "$HP"
sleep 0.2
got=$(echo fourth | "$NT" tcp-send --stream -w 2 127.0.0.1:"$P")
[ "$got" = fourth ] && pass "--max-per-ip: served again once the address's connections ended" || fail "--max-per-ip count" "got '$got'"
stop

# SIGTERM with programs running: the server stops (exit 0); the programs are not killed.
serve P --sh-exec 'echo $$; exec sleep 5'
exec 5<>"/dev/tcp/127.0.0.1/$P"
read -r cpid <&5
kill -TERM "$SRV_PID"; wait "$SRV_PID"; rc=$?
[ $rc = 0 ] && kill -0 "$cpid" 2>/dev/null && pass "SIGTERM: the server exits 0 within its grace time, the running program keeps its connection" \
	|| fail "SIGTERM with programs" "rc=$rc"
kill "$cpid" 2>/dev/null
exec 5<&-

# A unix socket: PROTO=UNIX and the peer's credentials, as ucspi-unix.
"$NT" tcp-serve -q --unix "$T/x.sock" --exec env >/dev/null 2>&1 &
UP=$!
cleanup "kill -9 $UP; wait $UP"
for _ in $(seq 50); do [ -S "$T/x.sock" ] && break; sleep 0.05; done
got=$("$NT" tcp-send --unix "$T/x.sock" </dev/null)
echo "$got" | grep -qx PROTO=UNIX && echo "$got" | grep -qx "UNIXREMOTEUID=$(id -u)" \
	&& pass "--unix: PROTO=UNIX and UNIXREMOTEUID" || fail "--exec on a unix socket" "$got"
kill "$UP"; wait "$UP"

expect_exit "--exec with a program not on PATH is exit 2" 2 "$NT" tcp-serve -p "$(free_port)" --exec no-such-program-here
expect_exit "--exec with nothing after it is exit 2" 2 "$NT" tcp-serve --exec
expect_exit "--exec and --echo exclude each other" 2 "$NT" tcp-serve --echo --exec cat
expect_exit "--max-per-ip without --exec is exit 2" 2 "$NT" tcp-serve --max-per-ip 3
expect_exit "--idle-timeout with --exec is exit 2" 2 "$NT" tcp-serve --idle-timeout 3 --exec cat
finish
