#!/bin/bash
# SPDX-License-Identifier: MIT
# demo.sh - `make demo`: the textbook's exchange, for real. Starts tcp-serve and
# udp-serve on loopback, talks to them with tcp-send and udp-send, shows both sides,
# and stops the servers.
set -eu
NT=${1:-./nettool}
tmp=$(mktemp -d)
tcp_pid= udp_pid= line_pid=
stop() {
	for p in $tcp_pid $udp_pid $line_pid; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap stop EXIT INT TERM

# Free ports near the textbook's 8888.
port() {
	p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
	echo "$p"
}
P=$(port 8888)
L=$(port $((P + 1)))
if [ -t 1 ]; then
	say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
run() { printf '$ %s\n' "$*"; "$@"; }

"$NT" tcp-serve -l 127.0.0.1 -p "$P" 2>"$tmp/tcp.log" &
tcp_pid=$!
"$NT" tcp-serve --line -l 127.0.0.1 -p "$L" 2>"$tmp/line.log" &
line_pid=$!
"$NT" udp-serve -v -l 127.0.0.1 -p "$P" 2>"$tmp/udp.log" &
udp_pid=$!
sleep 0.3

say "TCP timestamp server on 127.0.0.1:$P (the textbook's tsTserv)"
run "$NT" tcp-send 127.0.0.1:"$P" hello world
say "Lines from a pipe, one reply each"
printf 'first line\nsecond line\n' >"$tmp/in"
printf '%s\n' "$ printf 'first line\\nsecond line\\n' | $NT tcp-send 127.0.0.1:$P"
"$NT" tcp-send 127.0.0.1:"$P" <"$tmp/in"
say "The socketserver variant: one line per connection (tcp-serve --line on port $L)"
run "$NT" tcp-send --per-line 127.0.0.1:"$L" application flash
say "UDP timestamp server (the textbook's tsUserv)"
run "$NT" udp-send 127.0.0.1:"$P" Hello World
sleep 0.2
kill "$tcp_pid" "$udp_pid" "$line_pid"
wait "$tcp_pid" "$udp_pid" "$line_pid" 2>/dev/null || true
tcp_pid= udp_pid= line_pid=
say "What the servers logged"
cat "$tmp/tcp.log" "$tmp/line.log" "$tmp/udp.log"
say "Done: servers stopped."
