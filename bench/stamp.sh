#!/bin/bash
# SPDX-License-Identifier: MIT
# stamp.sh - tcp-serve and udp-serve side by side with the servers a user would pick
# instead: Python's socketserver (ThreadingTCPServer / ThreadingUDPServer versions of
# the textbook's servers), socat TCP-LISTEN,fork and ncat -k driving a small stamp
# program. Load from bench/stampload.c on loopback, interleaved: nettool, then the peer.
# Prints "bench NAME nettool=X peer=Y ratio=Z" (ratio > 1: nettool is better).
#
# TLS (the tls part): tcp-serve --tls against socat OPENSSL-LISTEN,fork and ncat --ssl -k
# running bench/stampfilter.c, and stunnel4 in front of a plain tcp-serve; an ECDSA P-256
# certificate, TLS 1.3, stampload's tls-* modes. The machine may be shared: TLS_ROUNDS
# rounds (default 3) with every server in turn in each round, medians printed, and the
# server CPU per request (all of a server's processes; stunnel4 plus its tcp-serve).
# The TLS rows' load comes from TLS_WORKERS stampload processes (default 4), each driving
# its share of the connections: one process cannot encrypt as fast as the servers answer,
# and with 2 on 2 cores neither the generator nor our server used a whole core (28,900
# req/s with 2, 36,200 with 4, same machine, same hour; the peers' rates did not change).
# Each TLS line also gives the server CPU per request of both sides (the servers' processes
# and all their descendants, over the measured seconds) and the generator's own CPU per
# request (load_cpu), and the cores each row used (rps x (server + load CPU per request)):
# on a machine shared with other work the rows do not get the same CPU, and the ratio of
# the CPU per request is the steadier figure.
# tcp-serve's TLS rows run TLS_SERVER_WORKERS workers (--workers, default: the online
# CPUs) with --reuseport, as a user on a machine with several cores would: socat and
# ncat take a process per connection and so every core, while a single worker, which
# never sleeps under this load, holds one core at most and on 2 cores shares it with the
# generator processes it wakes (measured: 1 worker used 1.0-1.2 cores, 38-47k req/s; 2
# workers 1.6-1.95 cores, 62-78k req/s; same generator, interleaved, same hour).
# The tls-persist load goes through io_uring (stampload -u; TLS_LOAD=epoll for the epoll
# client): the reads and writes of a wake-up in one system call, where the epoll client
# made two per request (a bare system call took about 2 us in the paravirtualised guest
# these figures came from). The generator shares the 2 cores with the server under test,
# so its cost per request caps every row's rate: a lighter one leaves more to each server
# alike (measured in one run: load CPU per request 13.2 -> 11.2 us on our row, 21.5 ->
# 15.2 on socat's, 20.4 -> 14.8 on ncat's, 40.3 -> 32.1 on stunnel's).
# TLS_ROWS picks among "persist connect idle" (default all).
# STAMP_PARTS picks "plain", "tls" or both (default); NETTOOL_BASE, a binary from before a
# change, adds plain rows of the new binary against it, interleaved in the same rounds
# (one generator process, as the plain rows).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${NETTOOL:?}" "${BENCHBIN:?set BENCHBIN to the built bench programs}"
LOAD=$BENCHBIN/stampload
FILTER=$BENCHBIN/stampfilter
SECS=${STAMP_SECS:-3}
PY=/usr/bin/python3
T=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null

port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitport() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
start() { # command...; sets SP (port must be $P)
	"$@" >/dev/null 2>&1 &
	SP=$!
	pids+=("$SP")
}
stop() { kill "$1" 2>/dev/null; sleep 0.1; kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# CPU time (clock ticks) used so far by a server and its children (workers, forked handlers).
cpu_ticks() {
	local t=0 p
	for p in $1 $(pgrep -P "$1" 2>/dev/null); do
		t=$((t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo $t
}
# Server CPU microseconds per answered request: robust to a machine shared with other work.
us_per_req() { awk -v t="$1" -v r="$2" -v s="$SECS" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (r + 0 <= 0) print "inf"; else printf "%.1f", t * 1e6 / hz / (r * s) }'; }
val() { sed -n "s/.*\\b$1=\\([-0-9.]*\\).*/\\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 <= 0) print "inf"; else printf "%.2f", a / b }'; }
line() { echo "bench $1 nettool=$2 peer=$3 ratio=$(ratio "$2" "$3")${4:+ $4}"; }
# For costs (lower is better): ratio = peer / nettool, so > 1 still means nettool is better.
line_cost() { echo "bench $1 nettool=$2 peer=$3 ratio=$(ratio "$3" "$2")${4:+ $4}"; }

persist() { # name conns server-cmd...
	local name=$1 n=$2 out
	shift 2
	P=$(port)
	start "${@//@P@/$P}"
	waitport "$P" || { echo "$name: server did not start" >&2; echo "rps=0"; return; }
	local t0 t1
	t0=$(cpu_ticks "$SP")
	out=$("$LOAD" persist 127.0.0.1 "$P" "$n" "$SECS")
	t1=$(cpu_ticks "$SP")
	stop "$SP"
	echo "$out cpu_us_per_req=$(us_per_req $((t1 - t0)) "$(echo "$out" | val rps)")"
}

PARTS=${STAMP_PARTS:-plain tls}
case " $PARTS " in *" plain "*) ;; *) SKIP_PLAIN=1 ;; esac
if [ -z "${SKIP_PLAIN:-}" ]; then
for n in 100 1000; do
	a=$(persist nettool "$n" "$NETTOOL" tcp-serve -q -l 127.0.0.1 -p @P@)
	b=$(persist python "$n" $PY "$here/peers/py_threading_stamp.py" @P@)
	echo "# persistent $n: nettool $a" >&2
	echo "# persistent $n: python  $b" >&2
	line "persist${n}_vs_python_threading_rps" "$(echo "$a" | val rps)" "$(echo "$b" | val rps)" \
		"nettool_p99_us=$(echo "$a" | val p99_us) nettool_unanswered=$(echo "$a" | val unanswered) peer_unanswered=$(echo "$b" | val unanswered)"
	# Efficiency: the peer's server CPU per request over ours (> 1: we spend less).
	line_cost "persist${n}_vs_python_threading_server_cpu_us_per_req" "$(echo "$a" | val cpu_us_per_req)" "$(echo "$b" | val cpu_us_per_req)"
done

if command -v socat >/dev/null; then
	a=$(persist nettool 100 "$NETTOOL" tcp-serve -q -l 127.0.0.1 -p @P@)
	b=$(persist socat 100 socat TCP-LISTEN:@P@,bind=127.0.0.1,fork,reuseaddr,backlog=1024 EXEC:"$FILTER")
	echo "# socat fork 100: $b" >&2
	line persist100_vs_socat_fork_rps "$(echo "$a" | val rps)" "$(echo "$b" | val rps)" \
		"peer_unanswered=$(echo "$b" | val unanswered)"
else
	echo "bench persist100_vs_socat_fork: socat not installed"
fi
if command -v ncat >/dev/null; then
	a=$(persist nettool 100 "$NETTOOL" tcp-serve -q -l 127.0.0.1 -p @P@)
	b=$(persist ncat 100 ncat -k -l 127.0.0.1 @P@ -e "$FILTER")
	echo "# ncat -k 100: $b" >&2
	line persist100_vs_ncat_k_rps "$(echo "$a" | val rps)" "$(echo "$b" | val rps)" \
		"peer_unanswered=$(echo "$b" | val unanswered)"
else
	echo "bench persist100_vs_ncat: ncat not installed"
fi

# Connect per request, 50 concurrent clients: --line against socketserver's StreamRequestHandler.
conn() {
	P=$(port)
	start "${@//@P@/$P}"
	waitport "$P"
	"$LOAD" connect 127.0.0.1 "$P" 50 "$SECS"
	stop "$SP"
}
a=$(conn "$NETTOOL" tcp-serve -q --line -l 127.0.0.1 -p @P@)
b=$(conn $PY "$here/peers/py_threading_line.py" @P@)
echo "# connect-per-request: nettool $a / python $b" >&2
line connect50_line_vs_python_threading_rps "$(echo "$a" | val rps)" "$(echo "$b" | val rps)"

# A program per connection (--exec), connection per request, 50 concurrent clients: every
# server runs the same program (stampfilter), each at most 200 children at once, no name
# lookups (tcpsvd -l, tcpserver -H -R -l). Rounds interleaved (the machine may be shared):
# nettool, tcpsvd, tcpserver, ncat -e, again; medians of rps and of server CPU per request
# (the server and its reaped children: the fork or spawn is what differs).
exec_conn() { # command...
	P=$(port)
	start "${@//@P@/$P}"
	waitport "$P" || { echo "rps=0"; return; }
	local t0 t1 out
	t0=$(cpu_ticks "$SP")
	out=$("$LOAD" connect 127.0.0.1 "$P" 50 "$SECS")
	t1=$(cpu_ticks "$SP")
	stop "$SP"
	echo "$out cpu_us_per_req=$(us_per_req $((t1 - t0)) "$(echo "$out" | val rps)")"
}
median() { sort -g | awk '{a[NR] = $1} END { if (NR) print a[int((NR + 1) / 2)]; else print 0 }'; }
declare -A xr xc
peers_x=(nettool)
command -v tcpsvd >/dev/null && peers_x+=(tcpsvd)
command -v tcpserver >/dev/null && peers_x+=(tcpserver)
command -v ncat >/dev/null && peers_x+=(ncat)
for _ in $(seq "${EXEC_ROUNDS:-3}"); do
	for k in "${peers_x[@]}"; do
		case $k in
		nettool) o=$(exec_conn "$NETTOOL" tcp-serve -q -l 127.0.0.1 -p @P@ --max-clients 200 --exec "$FILTER") ;;
		tcpsvd) o=$(exec_conn tcpsvd -c 200 -l localhost 127.0.0.1 @P@ "$FILTER") ;;
		tcpserver) o=$(exec_conn tcpserver -c 200 -H -R -l localhost 127.0.0.1 @P@ "$FILTER") ;;
		ncat) o=$(exec_conn ncat -k --max-conns 200 -l 127.0.0.1 @P@ -e "$FILTER") ;;
		esac
		echo "# exec connect-per-request $k: $o" >&2
		xr[$k]="${xr[$k]:-} $(echo "$o" | val rps)"
		xc[$k]="${xc[$k]:-} $(echo "$o" | val cpu_us_per_req)"
	done
done
best=0 bestname=none
for k in "${peers_x[@]}"; do
	[ "$k" = nettool ] && continue
	m=$(printf '%s\n' ${xr[$k]} | median)
	echo "# exec $k median rps=$m cpu_us_per_req=$(printf '%s\n' ${xc[$k]} | median)" >&2
	if awk -v a="$m" -v b="$best" 'BEGIN { exit !(a > b) }'; then best=$m bestname=$k; fi
done
a=$(printf '%s\n' ${xr[nettool]} | median)
ac=$(printf '%s\n' ${xc[nettool]} | median)
if [ "$bestname" != none ]; then
	bc=$(printf '%s\n' ${xc[$bestname]} | median)
	line connect50_exec_vs_best_of_tcpsvd_tcpserver_ncat_rps "$a" "$best" \
		"best_peer=$bestname nettool_cpu_us_per_req=$ac peer_cpu_us_per_req=$bc (target >= 1.0)"
else
	echo "bench connect50_exec: tcpsvd, tcpserver and ncat not installed"
fi

# UDP with 64 datagrams in flight.
udp() {
	P=$(port)
	start "${@//@P@/$P}"
	sleep 0.3
	"$LOAD" udp 127.0.0.1 "$P" 64 "$SECS"
	stop "$SP"
}
a=$(udp "$NETTOOL" udp-serve -q -l 127.0.0.1 -p @P@)
b=$(udp $PY "$here/peers/py_threading_udp.py" @P@)
echo "# udp: nettool $a / python $b" >&2
line udp64_vs_python_threading_rps "$(echo "$a" | val rps)" "$(echo "$b" | val rps)" \
	"nettool_lost=$(echo "$a" | val lost) peer_lost=$(echo "$b" | val lost)"

# 10,000 idle connections: RSS, every one answered afterwards, a fresh client's latency.
P=$(port)
start "$NETTOOL" tcp-serve -q -l 127.0.0.1 -p "$P"
waitport "$P"
a=$("$LOAD" idle 127.0.0.1 "$P" 10000 "$SP")
stop "$SP"
echo "# idle 10000: $a" >&2
echo "bench idle10000 nettool_rss_kib=$(echo "$a" | val rss_kib) anon_kib=$(echo "$a" | val anon_kib) answered=$(echo "$a" | val answered)/10000 fresh_ms=$(echo "$a" | val fresh_ms) (targets: RSS < 8192 KiB, all answered, fresh < 100 ms; RSS counts the shared-library pages mapped at start, anon is the server's own memory)"
fi

# --- TLS ---
median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A R # R[name]="v1 v2 ..." per round
add() { R[$1]="${R[$1]:-} $2"; }
med() { tr ' ' '\n' <<<"${R[$1]:-}" | grep -v '^$' | median; }
# CPU ticks of several servers (and their children) together.
cpu_sum() { local t=0 p; for p in "$@"; do t=$((t + $(cpu_ticks "$p"))); done; echo $t; }
# tls_run NAME MODE CONNS CMD...: start CMD (@P@ its port; @B@ a second port for a backend
# started by the caller as BACKEND), run stampload MODE, record rps and CPU per request.
tls_run() {
	local name=$1 mode=$2 n=$3 out t0 t1 pids
	shift 3
	P=$(port)
	start "${@//@P@/$P}"
	pids="$SP ${BACKEND_PID:-}"
	waitport "$P" || { echo "$name: server did not start" >&2; add "$name.rps" 0; return; }
	t0=$(cpu_sum $pids)
	local w=1
	case $mode in tls-*) w=$TLS_WORKERS ;; esac
	# -p: stampload reads the servers' CPU (and their descendants': forked handlers and
	# the filters they run) over the measured seconds only, not the connection set-up.
	local plist
	plist=$(echo $pids | tr ' ' ,)
	local u=
	[ "$mode" = tls-persist ] && [ "$TLS_LOAD" = uring ] && u=-u
	out=$("$LOAD" $u -w "$w" -p "$plist" "$mode" 127.0.0.1 "$P" "$n" "$SECS")
	t1=$(cpu_sum $pids)
	stop "$SP"
	echo "# $name $mode $n: $out" >&2
	add "$name.rps" "$(echo "$out" | val rps)"
	local cpu
	cpu=$(echo "$out" | val server_cpu_us_per_req)
	add "$name.cpu" "${cpu:-$(us_per_req $((t1 - t0)) "$(echo "$out" | val rps)")}"
	add "$name.bad" "$(echo "$out" | val unanswered)$(echo "$out" | val failed)"
	add "$name.lcpu" "$(echo "$out" | val load_cpu_us_per_req)"
}
# The CPU words of a TLS line: server CPU per request (us) of both, their ratio, the load's
# (nettool/peer), and cpu_bound_ratio: (peer server + its load) / (ours + its load), the rps
# ratio a run would show if it were bound by CPU on cores of its own (the generator shares
# them with the server: its cost per request counts on both sides).
# cores: what a row used, its rps times its server and load CPU per request (medians).
cores() { awk -v r="$1" -v a="$2" -v x="$3" 'BEGIN { printf "%.2f", r * (a + x) / 1e6 }'; }
cpu_words() { # KEY (e.g. tls-persist100) PEER
	local a b la lb
	a=$(med "nettool.$1.cpu") b=$(med "$2.$1.cpu") la=$(med "nettool.$1.lcpu") lb=$(med "$2.$1.lcpu")
	echo "nettool_cpu_us_per_req=$a peer_cpu_us_per_req=$b cpu_ratio=$(ratio "$b" "$a") load_cpu_us_per_req=$la/$lb cpu_bound_ratio=$(awk -v a="$a" -v b="$b" -v x="$la" -v y="$lb" 'BEGIN { if (a + x <= 0) print "inf"; else printf "%.2f", (b + y) / (a + x) }') cores=$(cores "$(med "nettool.$1.rps")" "$a" "$la")/$(cores "$(med "$2.$1.rps")" "$b" "$lb") workers=$TLS_WORKERS server_workers=$TLS_SERVER_WORKERS load=$([ "$1" = tls-persist100 ] && echo "$TLS_LOAD" || echo epoll)"
}
# stunnel4 in front of a plain tcp-serve on BACKEND_PORT; prints the config file name.
stunnel_conf() {
	cat >"$T/stunnel-$1.conf" <<EOC
foreground = yes
pid =
debug = 0
[stamp]
accept = 127.0.0.1:@P@
connect = 127.0.0.1:$2
cert = $T/tls.crt
key = $T/tls.key
EOC
}
case " $PARTS " in *" tls "*) ;; *) exit 0 ;; esac
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$T/tls.key" -out "$T/tls.crt" >/dev/null 2>&1 \
	|| { echo "bench tls: no certificate"; exit 0; }
TLSARGS="--tls --cert $T/tls.crt --key $T/tls.key"
ROUNDS=${TLS_ROUNDS:-3}
TLS_WORKERS=${TLS_WORKERS:-4}
TLS_LOAD=${TLS_LOAD:-uring}
TLS_SERVER_WORKERS=${TLS_SERVER_WORKERS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
NT_TLS_WORKERS=
[ "$TLS_SERVER_WORKERS" -gt 1 ] 2>/dev/null && NT_TLS_WORKERS="--workers $TLS_SERVER_WORKERS --reuseport"
ROWS=" ${TLS_ROWS:-persist connect idle} "
STUNNEL=$(command -v stunnel4 || command -v stunnel || true)
peers_tls() { # MODE CONNS: every TLS server once, in turn
	local mode=$1 n=$2 sfx=$1$2
	BACKEND_PID=
	tls_run "nettool.$sfx" "$mode" "$n" "$NETTOOL" tcp-serve -q -l 127.0.0.1 -p @P@ $TLSARGS $NT_TLS_WORKERS
	command -v socat >/dev/null && tls_run "socat.$sfx" "$mode" "$n" socat \
		"OPENSSL-LISTEN:@P@,bind=127.0.0.1,fork,reuseaddr,backlog=1024,cert=$T/tls.crt,key=$T/tls.key,verify=0" EXEC:"$FILTER"
	command -v ncat >/dev/null && tls_run "ncat.$sfx" "$mode" "$n" ncat --ssl --ssl-cert "$T/tls.crt" \
		--ssl-key "$T/tls.key" -k -l 127.0.0.1 @P@ -e "$FILTER"
	if [ -n "$STUNNEL" ]; then
		local bp
		bp=$(port)
		"$NETTOOL" tcp-serve -q -l 127.0.0.1 -p "$bp" >/dev/null 2>&1 &
		BACKEND_PID=$!
		pids+=("$BACKEND_PID")
		waitport "$bp"
		stunnel_conf "$sfx" "$bp"
		tls_run "stunnel.$sfx" "$mode" "$n" "$STUNNEL" "$T/stunnel-$sfx.conf.run"
		stop "$BACKEND_PID"
		BACKEND_PID=
	fi
}
# stunnel reads its port from the file: tls_run substitutes @P@ in arguments only.
start() {
	local a
	for a in "$@"; do
		case $a in *.conf.run) sed "s/@P@/$P/" "${a%.run}" >"$a" ;; esac
	done
	"$@" >/dev/null 2>&1 &
	SP=$!
	pids+=("$SP")
}
for r in $(seq "$ROUNDS"); do
	case $ROWS in *" persist "*) peers_tls tls-persist 100 ;; esac
	case $ROWS in *" connect "*) peers_tls tls-connect 50 ;; esac
done
for p in socat ncat stunnel; do
	[ -n "${R[$p.tls-persist100.rps]:-}" ] || continue
	line "tls_persist100_vs_${p}_rps" "$(med nettool.tls-persist100.rps)" "$(med "$p.tls-persist100.rps")" \
		"rounds=$ROUNDS nettool_unanswered=$(med nettool.tls-persist100.bad) peer_unanswered=$(med "$p.tls-persist100.bad") target=$(case $p in socat) echo 5 ;; ncat) echo 2 ;; *) echo 1.0 ;; esac) $(cpu_words tls-persist100 "$p")"
	line_cost "tls_persist100_vs_${p}_server_cpu_us_per_req" "$(med nettool.tls-persist100.cpu)" "$(med "$p.tls-persist100.cpu")"
done
best=0 bestname=none
for p in socat ncat stunnel; do
	v=$(med "$p.tls-connect50.rps")
	[ -n "${R[$p.tls-connect50.rps]:-}" ] || continue
	line "tls_connect50_vs_${p}_rps" "$(med nettool.tls-connect50.rps)" "$v" "rounds=$ROUNDS nettool_failed=$(med nettool.tls-connect50.bad) peer_failed=$(med "$p.tls-connect50.bad") $(cpu_words tls-connect50 "$p")"
	line_cost "tls_connect50_vs_${p}_server_cpu_us_per_req" "$(med nettool.tls-connect50.cpu)" "$(med "$p.tls-connect50.cpu")"
	if awk -v a="$v" -v b="$best" 'BEGIN { exit !(a > b) }'; then best=$v bestname=$p; fi
done
[ "$bestname" != none ] && line "tls_connect50_vs_best_rps" "$(med nettool.tls-connect50.rps)" "$best" "best=$bestname target=1.5"

# 10,000 idle TLS connections: private memory of the server, every one answered afterwards.
if [[ $ROWS == *" idle "* ]]; then
P=$(port)
start "$NETTOOL" tcp-serve -q -l 127.0.0.1 -p "$P" $TLSARGS
waitport "$P"
a=$("$LOAD" tls-idle 127.0.0.1 "$P" 10000 "$SP")
stop "$SP"
echo "# tls idle 10000: $a" >&2
priv=$(echo "$a" | val private_kib)
echo "bench tls_idle10000 nettool_private_kib=$priv per_conn_bytes=$(awk -v p="$priv" 'BEGIN { printf "%.0f", p * 1024 / 10000 }') answered=$(echo "$a" | val answered)/10000 fresh_ms=$(echo "$a" | val fresh_ms) (targets: private < 204800 KiB, all answered; Private_* of smaps_rollup)"
fi

# The plain figures before and after a change, interleaved in the same run.
if [ -n "${NETTOOL_BASE:-}" ]; then
	for r in $(seq "$ROUNDS"); do
		for b in new base; do
			bin=$NETTOOL
			[ $b = base ] && bin=$NETTOOL_BASE
			BACKEND_PID=
			tls_run "$b.persist100" persist 100 "$bin" tcp-serve -q -l 127.0.0.1 -p @P@
			tls_run "$b.connect50" connect 50 "$bin" tcp-serve -q --line -l 127.0.0.1 -p @P@
		done
	done
	for k in persist100 connect50; do
		line "plain_${k}_vs_base_rps" "$(med "new.$k.rps")" "$(med "base.$k.rps")" "rounds=$ROUNDS (1.00: no change)"
		line_cost "plain_${k}_vs_base_server_cpu_us_per_req" "$(med "new.$k.cpu")" "$(med "base.$k.cpu")"
	done
fi
