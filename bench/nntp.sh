#!/bin/bash
# SPDX-License-Identifier: MIT
# nntp.sh - nettool nntp side by side with its peers against a private INN on loopback,
# a group of 10,000 articles of about 2.3 KiB (fed by MODE STREAM + TAKETHIS):
#   OVER of all 10,000: nettool vs python nntplib, and vs the same OVER sent raw on a socket;
#   fetch of all 10,000 into a folder: nettool (pipelined) vs suck;
#   one article, one-shot: nettool vs python nntplib (connect, group, article, quit).
# Runs interleaved, median of ROUNDS (default 3). Prints "bench NAME nettool=X peer=Y ratio=Z"
# (ratio > 1: nettool is better). Plain text on both sides (--no-tls): the peers do no TLS.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
: "${NETTOOL:?set NETTOOL}"
ROUNDS=${ROUNDS:-3}
COUNT=${COUNT:-10000}
. "$here/tests/integration/lib.sh"
. "$here/tests/integration/fixtures/inn/inn.sh"
PY=/usr/bin/python3

if ! inn_start test.bench; then
	echo "bench nntp: INN could not start: $INN_WHY"
	exit 0
fi
echo "generating and feeding $COUNT articles..."
$PY "$INN_FIX/gen.py" "$T/arts" test.bench "$COUNT" 2300 bench
inn_feed "$T/arts" || { echo "bench nntp: feeding failed"; exit 0; }
sleep 1
G=test.bench
SRV="-s 127.0.0.1:$INN_READ --no-tls"

now() { echo "$EPOCHREALTIME"; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# elapsed CMD...: wall seconds of CMD (stdout discarded), or "fail"
elapsed() {
	local t0 t1
	t0=$(now)
	"$@" >/dev/null 2>"$T/bench.err" || { echo fail; return; }
	t1=$(now)
	calc "$t1 - $t0"; echo
}

cat >"$T/nntplib_over.py" <<'PY'
import sys, warnings
warnings.simplefilter('ignore')
import nntplib
s = nntplib.NNTP(sys.argv[1], int(sys.argv[2]), readermode=False)
_, count, first, last, _ = s.group(sys.argv[3])
_, ov = s.over((first, last))
assert len(ov) == count, (len(ov), count)
s.quit()
PY
cat >"$T/raw_over.py" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(b'GROUP %s\r\nOVER 1-\r\nQUIT\r\n' % sys.argv[3].encode())
buf = bytearray()
while True:
    d = s.recv(1 << 20)
    if not d:
        break
    buf += d
assert buf.count(b'\r\n') > 10000, 'short OVER reply'  # 10,000 overview lines
PY
cat >"$T/nntplib_article.py" <<'PY'
import sys, warnings
warnings.simplefilter('ignore')
import nntplib
s = nntplib.NNTP(sys.argv[1], int(sys.argv[2]), readermode=False)
s.group(sys.argv[3])
_, info = s.article(sys.argv[4])
sys.stdout.buffer.write(b'\n'.join(info.lines) + b'\n')
s.quit()
PY

run_suck() {
	rm -rf "$T/suck"
	mkdir -p "$T/suck/m" "$T/suck/d" "$T/suck/t"
	echo "$G 0" >"$T/suck/d/sucknewsrc"
	(cd "$T/suck" && suck 127.0.0.1 -N "$INN_READ" -m -dm "$T/suck/m" -dd "$T/suck/d" -dt "$T/suck/t" -n -q) &&
		[ "$(ls "$T/suck/m" | wc -l)" -ge "$COUNT" ]
}
run_fetch() {
	rm -rf "$T/nf"
	"$NETTOOL" nntp $SRV -q fetch "$G" -O "$T/nf" && [ "$(ls "$T/nf" | wc -l)" -ge "$COUNT" ]
}

have_suck=1
command -v suck >/dev/null || have_suck=0
: >"$T/o.nt"; : >"$T/o.py"; : >"$T/o.raw"; : >"$T/f.nt"; : >"$T/f.suck"; : >"$T/a.nt"; : >"$T/a.py"
for r in $(seq "$ROUNDS"); do
	elapsed "$NETTOOL" nntp $SRV over "$G" >>"$T/o.nt"
	elapsed $PY "$T/nntplib_over.py" 127.0.0.1 "$INN_READ" "$G" >>"$T/o.py"
	elapsed $PY "$T/raw_over.py" 127.0.0.1 "$INN_READ" "$G" >>"$T/o.raw"
	elapsed run_fetch >>"$T/f.nt"
	[ $have_suck = 1 ] && elapsed run_suck >>"$T/f.suck"
	elapsed "$NETTOOL" nntp $SRV article "$G" 5000 >>"$T/a.nt"
	elapsed $PY "$T/nntplib_article.py" 127.0.0.1 "$INN_READ" "$G" 5000 >>"$T/a.py"
done
# Our own CPU time for one article (user + sys), the "after connect" cost.
TIMEFORMAT='%U %S'
cpu=$( { time "$NETTOOL" nntp $SRV article "$G" 5000 >/dev/null 2>&1; } 2>&1 | tail -1 | awk '{printf "%.3f", $1 + $2}')

line() { # name nettool-file peer-file [peer label]
	local a b
	if grep -q fail "$2" "$3"; then
		echo "bench $1 failed: $(cat "$T/bench.err" | head -2)"
		return
	fi
	a=$(median <"$2")
	b=$(median <"$3")
	printf 'bench %s nettool=%.3fs peer=%.3fs ratio=%.2f\n' "$1" "$a" "$b" "$(calc "$b / $a")"
}
line "nntp-over-10k-vs-nntplib" "$T/o.nt" "$T/o.py"
line "nntp-over-10k-vs-raw-socket" "$T/o.nt" "$T/o.raw"
if [ $have_suck = 1 ]; then
	line "nntp-fetch-10k-vs-suck" "$T/f.nt" "$T/f.suck"
else
	echo "bench nntp-fetch-10k: suck is not installed (scripts/deps.sh bench)"
fi
line "nntp-article-oneshot-vs-nntplib" "$T/a.nt" "$T/a.py"
ft=$(median <"$T/f.nt")
printf 'bench nntp-fetch-rate nettool=%.0f articles/s (target 5000); one-shot article CPU %ss\n' \
	"$(calc "$COUNT / $ft")" "$cpu"
