#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_journal.sh - the --journal at scale (called by bench/ftp.sh; runs alone too):
#   a real journaled get --from-file of REAL files of 16 bytes (files/s, peak RSS), then
#   a LIST-line list whose journal says every item is done (the real run's journal, the
#   lines of the other items written the way that run writes them: checked against the
#   real ones), resumed ROUNDS times:
#     wall and CPU seconds of the resumed run (target: under 2 s), its peak RSS (target:
#     under 64 MiB), and the bytes more per journaled item: (peak RSS of the LIST-line
#     resume - peak RSS of a 1-line resume) / LIST (target: at most 32);
#   the resumed run must skip every item and send nothing to the server (its protocol log
#   is compared before and after).
# NETTOOL_OLD, when set, is another binary resumed on the same journal in the same rounds
# (old, new alternating): before/after figures from one run.
# Prints "bench NAME nettool=X [old=Y] target=Z met|MISSED" lines; medians over the rounds.
# REAL, LIST and ROUNDS (defaults 2000, 1000000, 3) size it.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
: "${NETTOOL:?set NETTOOL}"
REAL=${REAL:-2000}
LIST=${LIST:-1000000}
ROUNDS=${ROUNDS:-3}
[ "$REAL" -le "$LIST" ] || REAL=$LIST
. "$here/tests/integration/lib.sh"
. "$here/tests/integration/fixtures/ftp_server.sh"
. "$here/bench/lib.sh"

if ! ftpd_start A; then
	echo "bench ftp_journal: vsftpd could not start"
	exit 0
fi
export NETTOOL_PASSWORD=$FTP_PASS
PA=$FTPD_PORT_A HA=$FTPD_HOME_A LOG=$FTPD_LOG_A
verdict() { [ "$(calc "$1")" = 1.000 ] && echo met || echo MISSED; }

# The list: d(i%100)/fI; the first REAL files exist on the server.
echo "making a $LIST-line list, $REAL files of 16 bytes on the server..."
/usr/bin/python3 -c '
import os, sys
d, n, real, lst = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
with open(lst, "w") as out:
    for i in range(n):
        sub = f"d{i % 100}"
        if i < real:
            os.makedirs(f"{d}/{sub}", exist_ok=True)
            with open(f"{d}/{sub}/f{i}", "wb") as f: f.write(b"0123456789abcdef")
        out.write(f"{sub}/f{i}\n")
' "$HA/many" "$LIST" "$REAL" "$T/list.txt"
head -n "$REAL" "$T/list.txt" >"$T/real.txt"
# get(): a journaled batch of list $1 with journal $2 into $T/many, timed into $3.
get() { timed "$3" "${NT:-$NETTOOL}" ftp --no-tls -u "$FTP_USER" -P "$PA" --parallel 8 --journal "$2" get --from-file "$1" 127.0.0.1:many -O "$T/many"; }
get "$T/real.txt" "$T/j.real" "$T/m.real"
rc=$?
read -r w c rss <"$T/m.real"
got=$(find "$T/many" -type f | wc -l)
echo "bench ftp-journal-real-$REAL files=$got exit=$rc rate=$(calc "$REAL / $w")files/s cpu=$(calc "$c * 1000 / $REAL")s/1000files peak-rss=$((rss / 1024))MiB"
[ "$got" = "$REAL" ] && [ $rc = 0 ] || { echo "bench ftp_journal: the real run failed: $(head -3 "$T/bench.err")"; exit 0; }

# The journal of the whole list: the real run's lines other than done (run line and
# the like) and a done line per item, written as the real run wrote its done lines.
/usr/bin/python3 - "$T/j.real" "$T/real.txt" "$T/list.txt" "$T/j.all" "$T/j.one" <<'EOF' || exit 0
import sys
real, reallist, lst, out, one = sys.argv[1:6]
head, done = [], set()
for l in open(real, "rb").read().split(b"\n")[:-1]:
    (done.add(l) if l.startswith(b"done\t") else head.append(l))
first = open(reallist, "rb").readline().rstrip(b"\n")
sample = next(l for l in sorted(done) if l.endswith(b"/" + first))
kind, src, dst = sample.split(b"\t")[1:4]
sp, dp = src[: len(src) - len(first)], dst[: len(dst) - len(first)]
line = lambda x: b"done\t%s\t%s%s\t%s%s" % (kind, sp, x, dp, x)
made = {line(x.rstrip(b"\n")) for x in open(reallist, "rb")}
if made != done:
    sys.exit("bench ftp_journal: the done lines written here differ from the real run's")
with open(out, "wb") as f:
    f.write(b"".join(h + b"\n" for h in head))
    for x in open(lst, "rb"):
        f.write(line(x.rstrip(b"\n")) + b"\n")
with open(one, "wb") as f:
    f.write(b"".join(h + b"\n" for h in head) + line(first) + b"\n")
EOF
head -n 1 "$T/list.txt" >"$T/one.txt"
echo "journal: $(wc -l <"$T/j.all") lines, $(($(stat -c %s "$T/j.all") >> 20)) MiB"

# resume BIN TAG ROUND: the full resume and the 1-line one, each checked.
resume() {
	local bin=$1 tag=$2 r=$3 before
	before=$(wc -l <"$LOG")
	NT=$bin get "$T/list.txt" "$T/j.all" "$T/x"
	local rc=$?
	cat "$T/x" >>"$T/res.$tag"
	grep -q " 0 done, 0 failed, $LIST skipped" "$T/bench.err" && [ $rc = 0 ] ||
		echo "bench ftp_journal: $tag round $r did not skip all: exit $rc, $(head -3 "$T/bench.err")"
	[ "$(wc -l <"$LOG")" = "$before" ] || echo "bench ftp_journal: $tag round $r spoke to the server"
	NT=$bin get "$T/one.txt" "$T/j.one" "$T/x"
	cat "$T/x" >>"$T/one.$tag"
	grep -q " 0 done, 0 failed, 1 skipped" "$T/bench.err" || echo "bench ftp_journal: $tag 1-line resume did not skip"
}
echo "uptime before: $(uptime)"
for r in $(seq 1 "$ROUNDS"); do
	# old, new in odd rounds; new, old in even ones
	if [ -n "${NETTOOL_OLD:-}" ] && [ $((r % 2)) = 1 ]; then resume "$NETTOOL_OLD" old "$r"; fi
	resume "$NETTOOL" new "$r"
	if [ -n "${NETTOOL_OLD:-}" ] && [ $((r % 2)) = 0 ]; then resume "$NETTOOL_OLD" old "$r"; fi
done
echo "uptime after: $(uptime)"
fig() { # TAG -> "wall cpu rss_mib bytes_per_item" (medians)
	local w c m o
	w=$(awk '{ print $1 }' "$T/res.$1" | median)
	c=$(awk '{ print $2 }' "$T/res.$1" | median)
	m=$(awk '{ print $3 }' "$T/res.$1" | median)
	o=$(awk '{ print $3 }' "$T/one.$1" | median)
	echo "$w $c $(calc "$m / 1024") $(calc "($m - $o) * 1024 / $LIST")"
}
read -r nw nc nm nb <<<"$(fig new)"
ow= oc= om= ob=
[ -n "${NETTOOL_OLD:-}" ] && read -r ow oc om ob <<<"$(fig old)"
row() { # name new old target unit condition
	echo "bench $1 nettool=$2$5${3:+ old=$3$5} target=$4$5 $(verdict "$6")"
}
row ftp-journal-resume-$LIST-wall "$nw" "$ow" 2 s "$nw < 2"
row ftp-journal-resume-$LIST-cpu "$nc" "$oc" 2 s "$nc < 2"
row ftp-journal-resume-$LIST-rss "$nm" "$om" 64 MiB "$nm < 64"
row ftp-journal-bytes-per-item "$nb" "$ob" 32 B "$nb <= 32"
rm -rf "$T/many" "$HA/many" "$T"/j.* "$T/list.txt"
