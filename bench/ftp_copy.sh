#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_copy.sh - nettool ftp copy between two vsftpd servers on loopback, side by side with
# lftp (plain FTP everywhere). FILES x 1 KiB (default 5,000), copy -r --parallel 8:
#   streamed (--no-fxp, the atomic default: stored under a temporary name, renamed),
#   FXP (the servers send to each other), and lftp down+up: mirror --parallel=8 to a
#   local folder, then mirror -R --parallel=8 up (the time of both).
# ROUNDS rounds (default 3), interleaved (ours streamed, lftp, ours FXP; the order turned
# round every other round); the medians count. Prints "bench NAME nettool=X peer=Y
# ratio=Z" (ratio > 1: nettool is better) and, per round, wall seconds and the client's
# CPU (user+system) per 1,000 files.
# Called by bench/ftp.sh; runs alone too: NETTOOL=build/nettool bash bench/ftp_copy.sh
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
: "${NETTOOL:?set NETTOOL}"
FILES=${FILES:-5000}
ROUNDS=${ROUNDS:-3}
. "$here/tests/integration/lib.sh"
. "$here/tests/integration/fixtures/ftp_server.sh"
. "$here/bench/lib.sh"

if ! command -v lftp >/dev/null; then
	echo "bench ftp_copy: lftp not installed"
	exit 0
fi
# Both servers on 127.0.0.1: vsftpd's default checks (PORT to the client's address, data
# from the control connection's address) allow FXP between them.
if ! ftpd_start A || ! ftpd_start B; then
	echo "bench ftp_copy: vsftpd could not start"
	exit 0
fi
U=$FTP_USER PW=$FTP_PASS
export NETTOOL_PASSWORD=$PW
PA=$FTPD_PORT_A PB=$FTPD_PORT_B HB=$FTPD_HOME_B
NTF=("$NETTOOL" ftp --no-tls -u "$U" --parallel 8) # not -q: a failure says why (stderr is kept per run)

echo "making $FILES files of 1 KiB..."
small_files "$FTPD_HOME_A/small" "$FILES"

# run NAME ROUND CMD...: appends "wall cpu" of CMD to $T/NAME.times
run() {
	local name=$1 r=$2
	shift 2
	timed "$T/run.raw" "$@" || echo "bench ftp_copy: $name round $r failed: $(head -3 "$T/bench.err")"
	cut -d' ' -f1,2 "$T/run.raw" >>"$T/$name.times"
}
count() { # folder on B: the files there, checked
	local n
	n=$(ls "$HB/$1" 2>/dev/null | wc -l)
	[ "$n" = "$FILES" ] || echo "bench ftp_copy: $1 has $n of $FILES files"
	ls -a "$HB/$1" 2>/dev/null | grep -q '\.nettool-' && echo "bench ftp_copy: $1 has temporaries left"
}
ours_stream() {
	run stream "$1" "${NTF[@]}" --no-fxp copy -r "ftp://$U@127.0.0.1:$PA/small" "ftp://$U@127.0.0.1:$PB/s.$1"
	count "s.$1"
}
ours_fxp() {
	run fxp "$1" "${NTF[@]}" --fxp copy -r "ftp://$U@127.0.0.1:$PA/small" "ftp://$U@127.0.0.1:$PB/x.$1"
	count "x.$1"
}
peer_lftp() {
	run lftp "$1" sh -c "lftp -u '$U,$PW' -p $PA -e 'set ftp:ssl-allow no; set net:max-retries 1; mirror --parallel=8 small $T/l.$1; quit' 127.0.0.1 &&
		lftp -u '$U,$PW' -p $PB -e 'set ftp:ssl-allow no; set net:max-retries 1; mirror -R --parallel=8 $T/l.$1 l.$1; quit' 127.0.0.1"
	count "l.$1"
}
for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then
		ours_stream "$r"; peer_lftp "$r"; ours_fxp "$r"
	else
		ours_fxp "$r"; peer_lftp "$r"; ours_stream "$r"
	fi
	echo "bench ftp_copy: round $r (wall s, client cpu s): streamed $(tail -1 "$T/stream.times"), lftp $(tail -1 "$T/lftp.times"), fxp $(tail -1 "$T/fxp.times")"
	rm -rf "$T/l.$r" "$HB/s.$r" "$HB/x.$r" "$HB/l.$r"
done
ms=$(cut -d' ' -f1 "$T/stream.times" | median)
mf=$(cut -d' ' -f1 "$T/fxp.times" | median)
ml=$(cut -d' ' -f1 "$T/lftp.times" | median)
cs=$(cut -d' ' -f2 "$T/stream.times" | median)
cf=$(cut -d' ' -f2 "$T/fxp.times" | median)
cl=$(cut -d' ' -f2 "$T/lftp.times" | median)
fps() { calc "$FILES / $1"; }
cpk() { calc "$1 * 1000 / $FILES"; }
echo "bench ftp-copy-${FILES}x1k-streamed-vs-lftp-down-up nettool=$(fps "$ms")files/s peer=$(fps "$ml")files/s ratio=$(calc "$ml / $ms")"
echo "bench ftp-copy-${FILES}x1k-fxp-vs-lftp-down-up nettool=$(fps "$mf")files/s peer=$(fps "$ml")files/s ratio=$(calc "$ml / $mf")"
echo "bench ftp-copy-${FILES}x1k-cpu nettool-streamed=$(cpk "$cs") nettool-fxp=$(cpk "$cf") lftp=$(cpk "$cl") cpu-s/1000files"
echo "bench ftp_copy: per file (medians): streamed $(calc "$ms * 1000 / $FILES") ms, fxp $(calc "$mf * 1000 / $FILES") ms, lftp down+up $(calc "$ml * 1000 / $FILES") ms"
