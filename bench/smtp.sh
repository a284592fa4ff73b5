#!/bin/bash
# SPDX-License-Identifier: MIT
# smtp.sh - mail-send against its peers, side by side, on one aiosmtpd sink on loopback
# (tests/integration/fixtures/smtpd.py --sink), interleaved rounds:
#   1. one process per message: nettool mail-send vs curl, msmtp and swaks;
#   2. 1,000 messages over one connection: nettool mail-send --flush of a queue vs one
#      curl process (-K config with 'next') and python smtplib (one SMTP session).
# Prints "bench NAME nettool=X peer=Y ratio=Z" (messages per second, the median of the rounds;
# ratio > 1: nettool faster)
# and the sink's CPU share during each one-connection run (1.0 = the server is the bound).
set -u
: "${NETTOOL:?set NETTOOL}"
here=$(cd "$(dirname "$0")" && pwd)
SMTPD=$here/../tests/integration/fixtures/smtpd.py
PY=/usr/bin/python3
ROUNDS=${SMTP_BENCH_ROUNDS:-5}
PER=${SMTP_BENCH_PER:-30}     # messages per tool per round, one process each
FLUSH=${SMTP_BENCH_FLUSH:-1000}

if ! $PY -c 'import aiosmtpd' 2>/dev/null; then
	echo "bench smtp: python3-aiosmtpd is not installed: nothing measured"
	exit 0
fi
T=$(mktemp -d)
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$PY "$SMTPD" --port "$port" --dir "$T/sink" --sink >/dev/null 2>&1 &
spid=$!
trap 'kill -9 $spid 2>/dev/null; wait $spid 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done

msg=$T/m.eml
{
	printf 'From: bench@example.com\r\nTo: rcpt@example.org\r\nSubject: bench\r\n'
	printf 'Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <bench@example.com>\r\n\r\n'
	for i in $(seq 16); do printf 'line %02d of a small message body, about one kilobyte in all, for the bench\r\n' "$i"; done
} >"$msg"
URL=smtp://127.0.0.1:$port

now() { date +%s.%N; }
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime in ticks
TCK=$(getconf CLK_TCK)

# --- one process per message ---
declare -A tot cnt pcpu rates
have() { command -v "$1" >/dev/null 2>&1; }
tools="nettool curl"
have msmtp && tools="$tools msmtp"
have swaks && tools="$tools swaks"
run1() {
	case $1 in
	nettool) "$NETTOOL" mail-send -S "$URL" -f bench@example.com rcpt@example.org <"$msg" ;;
	curl) curl -sS "$URL" --mail-from bench@example.com --mail-rcpt rcpt@example.org -T "$msg" ;;
	msmtp) msmtp -C /dev/null --host=127.0.0.1 --port="$port" --from=bench@example.com --auth=off --tls=off rcpt@example.org <"$msg" ;;
	swaks) swaks -S --server "127.0.0.1:$port" --from bench@example.com --to rcpt@example.org --data "@$msg" ;;
	esac
}
for ((r = 0; r < ROUNDS; r++)); do
	for t in $tools; do
		n=$PER
		[ "$t" = swaks ] || [ "$t" = msmtp ] && n=$((PER / 4 > 0 ? PER / 4 : 1))
		c0=$(cpu_of $spid)
		t0=$(now)
		for ((i = 0; i < n; i++)); do run1 "$t" >/dev/null 2>&1 || echo "bench smtp: $t failed" >&2; done
		t1=$(now)
		c1=$(cpu_of $spid)
		pcpu[$t]=$(echo "${pcpu[$t]:-0} + ($c1 - $c0) / $TCK" | bc -l)
		tot[$t]=$(echo "${tot[$t]:-0} + $t1 - $t0" | bc -l)
		cnt[$t]=$((${cnt[$t]:-0} + n))
		rates[$t]="${rates[$t]:-} $(echo "scale=1; $n / ($t1 - $t0)" | bc -l)"
	done
done
# The median of the rounds' rates: the machine is shared, a round can be disturbed.
median() { printf '%s\n' $1 | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
rate() { median "${rates[$1]}"; }
nt=$(rate nettool)
for t in curl msmtp swaks; do
	if [ -z "${cnt[$t]:-}" ]; then
		echo "bench smtp-per-message: $t is not installed: not compared"
		continue
	fi
	p=$(rate "$t")
	echo "bench smtp-per-message-vs-$t nettool=${nt}msg/s peer=${p}msg/s ratio=$(echo "scale=2; $nt / $p" | bc -l)"
done
pshare() { echo "scale=2; ${pcpu[$1]} / ${tot[$1]}" | bc -l; }
echo "smtp: aiosmtpd CPU share during the per-message runs: nettool $(pshare nettool), curl $(pshare curl)"

# --- 1,000 messages over one connection ---
cfg=$T/curl.cfg
for ((i = 0; i < FLUSH; i++)); do
	[ $i -gt 0 ] && echo next
	printf 'url = "%s"\nmail-from = "bench@example.com"\nmail-rcpt = "rcpt@example.org"\nupload-file = "%s"\nsilent\n' "$URL" "$msg"
done >"$cfg"
cat >"$T/smtplib_bench.py" <<'EOF'
import smtplib, sys
data = open(sys.argv[2], "rb").read()
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
for _ in range(int(sys.argv[3])):
    s.sendmail("bench@example.com", ["rcpt@example.org"], data)
s.quit()
EOF
declare -A ftot fcpu frates
for ((r = 0; r < ROUNDS; r++)); do
	for t in nettool curl smtplib; do
		if [ $t = nettool ]; then
			rm -rf "$T/q"
			for ((i = 0; i < FLUSH; i++)); do "$NETTOOL" mail-send --queue "$T/q" -f bench@example.com rcpt@example.org <"$msg"; done
			sync
		fi
		c0=$(cpu_of $spid)
		t0=$(now)
		case $t in
		nettool) "$NETTOOL" mail-send --flush "$T/q" -q -S "$URL" || echo "bench smtp: flush failed" >&2 ;;
		curl) curl -K "$cfg" >/dev/null || echo "bench smtp: curl -K failed" >&2 ;;
		smtplib) $PY "$T/smtplib_bench.py" "$port" "$msg" "$FLUSH" || echo "bench smtp: smtplib failed" >&2 ;;
		esac
		t1=$(now)
		c1=$(cpu_of $spid)
		[ $t = nettool ] && [ -n "$(ls -A "$T/q/new")" ] && echo "bench smtp: flush left messages queued" >&2
		ftot[$t]=$(echo "${ftot[$t]:-0} + $t1 - $t0" | bc -l)
		frates[$t]="${frates[$t]:-} $(echo "scale=1; $FLUSH / ($t1 - $t0)" | bc -l)"
		fcpu[$t]=$(echo "${fcpu[$t]:-0} + ($c1 - $c0) / $TCK" | bc -l)
	done
done
frate() { median "${frates[$1]}"; }
share() { echo "scale=2; ${fcpu[$1]} / ${ftot[$1]}" | bc -l; }
nt=$(frate nettool)
for t in curl smtplib; do
	p=$(frate $t)
	echo "bench smtp-flush-1000-vs-$t nettool=${nt}msg/s peer=${p}msg/s ratio=$(echo "scale=2; $nt / $p" | bc -l)"
done
echo "smtp: aiosmtpd CPU share during the one-connection runs: nettool $(share nettool), curl $(share curl), smtplib $(share smtplib)"
