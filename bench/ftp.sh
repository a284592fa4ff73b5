#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp.sh - nettool ftp side by side with curl and lftp against vsftpd on loopback
# (plain FTP on every side: the peers are run without TLS too). One run, interleaved:
#   5,000 x 1 KiB get, --parallel 8: nettool (glob get) vs curl --parallel-max 8 and lftp mirror --parallel=8
#     (files/s, and CPU seconds of the client per 1,000 files);
#   the same files server to server: nettool copy -r vs lftp mirror down then mirror -R up;
#   1 GiB get to stdout, put, and get to a file (vs curl followed by an fsync of that file);
#   (every comparison in two rounds, the order turned round in the second; the faster counts)
#   a 100,000-line --from-file batch: peak RSS, and a rerun with the journal skipping all.
# Prints "bench NAME nettool=X peer=Y ratio=Z" (ratio > 1: nettool is better).
# FILES, BIG_MB and LIST (defaults 5000, 1024, 100000) make it smaller for a quick look.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
: "${NETTOOL:?set NETTOOL}"
FILES=${FILES:-5000}
BIG_MB=${BIG_MB:-1024}
LIST=${LIST:-100000}
. "$here/tests/integration/lib.sh"
. "$here/tests/integration/fixtures/ftp_server.sh"

if ! ftpd_start A || ! ftpd_start B; then
	echo "bench ftp: vsftpd could not start"
	exit 0
fi
U=$FTP_USER PW=$FTP_PASS
export NETTOOL_PASSWORD=$PW
PA=$FTPD_PORT_A PB=$FTPD_PORT_B HA=$FTPD_HOME_A
NTF=("$NETTOOL" ftp --no-tls -q -u "$U")
have_curl=0 have_lftp=0
command -v curl >/dev/null && have_curl=1
command -v lftp >/dev/null && have_lftp=1
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
# timed OUT CMD...: "wall cpu maxrss_kb" of CMD into OUT; returns CMD's status
timed() {
	local out=$1 rc
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$T/time.raw" "$@" >/dev/null 2>"$T/bench.err"
	rc=$?
	awk '{ printf "%s %.3f %s\n", $1, $2 + $3, $4 }' "$T/time.raw" | tail -1 >"$out"
	return $rc
}
line() { # name nettool peer ratio unit
	echo "bench $1 nettool=$2$5 peer=$3$5 ratio=$4"
}

echo "making $FILES files of 1 KiB..."
mkdir -p "$HA/small"
/usr/bin/python3 -c '
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
b = os.urandom(1024)
for i in range(n):
    with open(f"{d}/f{i}.dat", "wb") as f: f.write(b)
' "$HA/small" "$FILES"

# Two rounds, the order turned round in the second; fresh output folders every time
# (deleting thousands of files just before a run slows ext4's inode allocation for
# whoever runs next). The best round of each counts.
best_ours= best_curl= best_lftp=
run_ours() {
	timed "$T/r.ours" "${NTF[@]}" -P "$PA" --parallel 8 get "127.0.0.1:small/*" -O "$T/o1.$1" ||
		echo "bench ftp: nettool get failed: $(head -3 "$T/bench.err")"
	[ "$(ls "$T/o1.$1" | wc -l)" = "$FILES" ] || echo "bench ftp: nettool fetched $(ls "$T/o1.$1" | wc -l) of $FILES"
	keep_best ours "$T/r.ours"
}
run_curl() {
	[ $have_curl = 1 ] || return 0
	mkdir -p "$T/o2.$1"
	timed "$T/r.curl" curl -s --parallel --parallel-max 8 -u "$U:$PW" \
		"ftp://127.0.0.1:$PA/small/f[0-$((FILES - 1))].dat" -o "$T/o2.$1/f#1.dat" || echo "bench ftp: curl failed"
	keep_best curl "$T/r.curl"
}
run_lftp() {
	[ $have_lftp = 1 ] || return 0
	timed "$T/r.lftp" lftp -u "$U,$PW" -p "$PA" -e "set ftp:ssl-allow no; set net:max-retries 1; mirror --parallel=8 small $T/o3.$1; quit" 127.0.0.1 ||
		echo "bench ftp: lftp failed"
	keep_best lftp "$T/r.lftp"
}
keep_best() { # who file: keep "wall cpu" of the faster round
	local w c m cur
	read -r w c m <"$2"
	cur=$(eval echo "\${best_$1}")
	if [ -z "$cur" ] || [ "$(calc "$w < ${cur%% *}")" = 1.000 ]; then
		eval "best_$1=\"$w $c\""
	fi
}
run_ours 1; run_curl 1; run_lftp 1
run_lftp 2; run_curl 2; run_ours 2
fps() { calc "$FILES / $1"; }
cpk() { calc "$1 * 1000 / $FILES"; }
mbs() { calc "$BIG_MB * 1.048576 / $1"; } # MB/s
# pair NAME UNIT RATE OURS PEER: OURS and PEER (functions taking a round number that
# leave "wall cpu rss" in $T/x) run ours, peer, peer, ours; the faster round of each
# is printed through RATE (seconds -> UNIT).
pair() {
	local name=$1 unit=$2 rate=$3 bo= bp= w r who
	for r in 1 2 3 4; do
		case $r in 1 | 4) who=$4 ;; *) who=$5 ;; esac
		"$who" "$r"
		read -r w _ _ <"$T/x"
		if [ "$who" = "$4" ]; then
			[ -z "$bo" ] || [ "$(calc "$w < $bo")" = 1.000 ] && bo=$w
		else
			[ -z "$bp" ] || [ "$(calc "$w < $bp")" = 1.000 ] && bp=$w
		fi
	done
	line "$name" "$("$rate" "$bo")" "$("$rate" "$bp")" "$(calc "$bp / $bo")" "$unit"
}
read -r ow oc <<<"$best_ours"
if [ $have_curl = 1 ]; then
	read -r pw pc <<<"$best_curl"
	line ftp-get-5000x1k-par8-vs-curl "$(fps "$ow")" "$(fps "$pw")" "$(calc "$pw / $ow")" "files/s"
	line ftp-get-5000x1k-cpu-vs-curl "$(cpk "$oc")" "$(cpk "$pc")" "$(calc "$pc / ($oc + 0.0001)")" "cpu-s/1000files"
else
	echo "bench ftp: curl not installed"
fi
if [ $have_lftp = 1 ]; then
	read -r pw pc <<<"$best_lftp"
	line ftp-get-5000x1k-par8-vs-lftp "$(fps "$ow")" "$(fps "$pw")" "$(calc "$pw / $ow")" "files/s"
	line ftp-get-5000x1k-cpu-vs-lftp "$(cpk "$oc")" "$(cpk "$pc")" "$(calc "$pc / ($oc + 0.0001)")" "cpu-s/1000files"
	# Server to server: copy -r vs lftp mirror down, then up; two rounds (ours, lftp,
	# lftp, ours), the faster round of each counts.
	cp_ours() {
		timed "$T/x" "${NTF[@]}" --parallel 8 copy -r "ftp://$U@127.0.0.1:$PA/small" "ftp://$U@127.0.0.1:$PB/small1.$1" ||
			echo "bench ftp: nettool copy failed: $(head -3 "$T/bench.err")"
		n1=$(ls "$FTPD_HOME_B/small1.$1" 2>/dev/null | wc -l)
		[ "$n1" = "$FILES" ] || echo "bench ftp: copy made $n1 of $FILES files"
	}
	cp_lftp() {
		local t0=$EPOCHREALTIME
		lftp -u "$U,$PW" -p "$PA" -e "set ftp:ssl-allow no; mirror --parallel=8 small $T/l4.$1; quit" 127.0.0.1 >/dev/null 2>&1
		lftp -u "$U,$PW" -p "$PB" -e "set ftp:ssl-allow no; mirror -R --parallel=8 $T/l4.$1 small2.$1; quit" 127.0.0.1 >/dev/null 2>&1
		echo "$(calc "$EPOCHREALTIME - $t0") 0 0" >"$T/x"
	}
	FILES=$FILES NETTOOL=$NETTOOL bash "$here/bench/ftp_copy.sh" # streamed and FXP copy rows (own servers, interleaved rounds)
else
	echo "bench ftp: lftp not installed"
fi
rm -rf "$T"/o[123].* "$T"/l4.* "$FTPD_HOME_B"/small1.* "$FTPD_HOME_B"/small2.*

# One big file: each comparison in two rounds (ours, peer, peer, ours), the faster
# round of each counts (a single run was 0.27-1.3x from one run to the next here).
if [ $have_curl = 1 ]; then
	echo "making a $BIG_MB MiB file..."
	head -c $((BIG_MB << 20)) /dev/urandom >"$HA/big.bin"
	sync
	g_ours() { timed "$T/x" "${NTF[@]}" -P "$PA" get 127.0.0.1:big.bin -o -; }
	g_curl() { timed "$T/x" curl -s -u "$U:$PW" "ftp://127.0.0.1:$PA/big.bin"; }
	pair ftp-get-1g-stdout-vs-curl MB/s mbs g_ours g_curl
	p_ours() { timed "$T/x" "${NTF[@]}" -P "$PA" put "$HA/big.bin" 127.0.0.1:up-ours.bin; rm -f "$HA/up-ours.bin"; }
	p_curl() { timed "$T/x" curl -s -u "$U:$PW" -T "$HA/big.bin" "ftp://127.0.0.1:$PA/up-curl.bin"; rm -f "$HA/up-curl.bin"; }
	pair ftp-put-1g-vs-curl MB/s mbs p_ours p_curl
	f_ours() { timed "$T/x" "${NTF[@]}" -P "$PA" get 127.0.0.1:big.bin -o "$T/big-ours.bin"; rm -f "$T/big-ours.bin"; }
	f_curl() {
		timed "$T/x" sh -c "curl -s -u '$U:$PW' 'ftp://127.0.0.1:$PA/big.bin' -o '$T/big-curl.bin' && sync '$T/big-curl.bin'"
		rm -f "$T/big-curl.bin"
	}
	pair ftp-get-1g-file-synced-vs-curl+fsync MB/s mbs f_ours f_curl
	rm -f "$HA/big.bin"
fi

# A long list: constant memory, and a resumed run that skips everything.
echo "making a $LIST-line list (files of 16 bytes, in 100 folders)..."
/usr/bin/python3 -c '
import os, sys
d, n, lst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(lst, "w") as out:
    for i in range(n):
        sub = f"{d}/d{i % 100}"
        if i < 100: os.makedirs(sub, exist_ok=True)
        with open(f"{sub}/f{i}", "wb") as f: f.write(b"0123456789abcdef")
        out.write(f"d{i % 100}/f{i}\n")
' "$HA/many" "$LIST" "$T/list.txt"
timed "$T/m.run" "${NTF[@]}" -P "$PA" --parallel 8 --journal "$T/j" get --from-file "$T/list.txt" 127.0.0.1:many -O "$T/many"
rc=$?
read -r w c rss <"$T/m.run"
got=$(find "$T/many" -type f | wc -l)
echo "bench ftp: $LIST-file batch: exit $rc, $got files, $(calc "$LIST / $w") files/s, peak RSS $((rss / 1024)) MiB"
line ftp-from-file-${LIST}-rss "$(calc "$rss / 1024")" 32 "$(calc "32 * 1024 / $rss")" "MiB"
timed "$T/m.rerun" "$NETTOOL" ftp --no-tls -u "$U" -P "$PA" --parallel 8 --journal "$T/j" get --from-file "$T/list.txt" 127.0.0.1:many -O "$T/many"
read -r w c rss <"$T/m.rerun"
echo "bench ftp: rerun with the journal: $(grep -o '[0-9]* done, [0-9]* failed, [0-9]* skipped' "$T/bench.err") in ${w}s, peak RSS $((rss / 1024)) MiB"
rm -rf "$T/many" "$HA/many"
