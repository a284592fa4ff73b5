#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp.sh - nettool ftp side by side with curl and lftp against vsftpd on loopback
# (plain FTP on every side: the peers are run without TLS too). One run, interleaved:
#   5,000 x 1 KiB get, --parallel 8: nettool (glob get, and with --journal) vs curl
#     --parallel --parallel-max 8 and lftp mirror --parallel=8 (files/s; client and
#     server (vsftpd) CPU seconds per 1,000 files; ratios against each peer and the better);
#   the same files server to server: nettool copy -r vs lftp mirror down then mirror -R up;
#   1 GiB get to stdout, put, and get to a file, vs curl;
#   (every comparison in ROUNDS interleaved rounds, default 3, the order turned round every
#   other round; medians printed, and min= the lowest per-round ratio of a pair)
#   the journal at scale (bench/ftp_journal.sh: REAL, LIST and ROUNDS size it; LIST=0 leaves
#   it out).
# Prints "bench NAME nettool=X peer=Y ratio=Z" (ratio > 1: nettool is better).
# FILES and BIG_MB (defaults 5000, 1024) make it smaller for a quick look (BIG_MB=0: that
# part left out; FILES=0: the small-file and copy rows left out); ROUNDS (default and least
# 3); NETTOOL_OLD: a binary from before a change, run in the same rounds of the 5,000-file
# get and of the 1 GiB rows (rows vs-old). COPY=0 leaves the copy rows out (a shorter run
# under the bench lock when only the get rows are wanted). SETTLE=0: the 1 GiB rows without
# the wait, sync and warm memory before each run (see settle; WARM_MEM=0: only the warm
# left out). BIG_ROWS: which 1 GiB rows (default
# "stdout put file"). WARM=0: the 1 GiB pairs without their untimed first runs (see pair).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
: "${NETTOOL:?set NETTOOL}"
FILES=${FILES:-5000}
BIG_MB=${BIG_MB:-1024}
. "$here/tests/integration/lib.sh"
. "$here/tests/integration/fixtures/ftp_server.sh"
. "$here/bench/lib.sh"

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
line() { # name nettool peer ratio unit
	echo "bench $1 nettool=$2$5 peer=$3$5 ratio=$4"
}

echo "making $FILES files of 1 KiB..."
small_files "$HA/small" "$FILES"

# Rounds: ROUNDS (at least 3) interleaved rounds, ours and the peers alternating, the order
# turned round every other round; fresh output folders every time (deleting thousands of
# files just before a run slows ext4's inode allocation for whoever runs next). Medians
# are printed; ratios are peer/ours (> 1: nettool is better).
ROUNDS=${ROUNDS:-3}
[ "$ROUNDS" -ge 3 ] 2>/dev/null || ROUNDS=3
# The vsftpd listener of server A: every session is its child (two processes each), reaped
# by it, so its children's CPU (/proc stat fields 16 and 17) grows by each session's CPU.
srv_pid=$(pgrep -o -f "^vsftpd $T/A/vsftpd.conf")
srv_cpu() { # seconds of server CPU so far, once every session of the last run is reaped
	local i
	for i in $(seq 50); do
		[ "$(pgrep -c -P "$srv_pid")" = 0 ] && break
		sleep 0.1
	done
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($16 + $17) / hz }' "/proc/$srv_pid/stat" 2>/dev/null || echo 0
}
# The commands a client sent to server A so far (its protocol log: log_ftp_protocol).
ftp_cmds() { grep -c 'FTP command: ' "$FTPD_LOG_A"; }
# small WHO ROUND CMD...: one 5,000-file run; appends wall, client CPU, server CPU and
# the commands sent per file to the lists W_WHO, C_WHO, S_WHO, K_WHO
small() {
	local who=$1 r=$2 s0 s1 w c m k0 k1
	shift 2
	s0=$(srv_cpu) k0=$(ftp_cmds)
	timed "$T/r.$who" "$@" || echo "bench ftp: $who failed (round $r): $(head -3 "$T/bench.err")"
	s1=$(srv_cpu) k1=$(ftp_cmds)
	read -r w c m <"$T/r.$who"
	eval "W_$who+=\" $w\" C_$who+=\" $c\" S_$who+=\" $(calc "$s1 - $s0")\" K_$who+=\" $(calc "($k1 - $k0) / $FILES")\""
}
g_ours() {
	small ours "$1" "${NTF[@]}" -P "$PA" --parallel 8 get "127.0.0.1:small/*" -O "$T/o1.$1"
	[ "$(ls "$T/o1.$1" | wc -l)" = "$FILES" ] || echo "bench ftp: nettool fetched $(ls "$T/o1.$1" | wc -l) of $FILES"
}
g_ourj() {
	small ourj "$1" "${NTF[@]}" -P "$PA" --parallel 8 --journal "$T/j1.$1" get "127.0.0.1:small/*" -O "$T/o1j.$1"
	[ "$(ls "$T/o1j.$1" | wc -l)" = "$FILES" ] || echo "bench ftp: nettool --journal fetched $(ls "$T/o1j.$1" | wc -l) of $FILES"
}
g_curl() {
	mkdir -p "$T/o2.$1"
	small curl "$1" curl -s --parallel --parallel-max 8 -u "$U:$PW" \
		"ftp://127.0.0.1:$PA/small/f[0-$((FILES - 1))].dat" -o "$T/o2.$1/f#1.dat"
}
g_lftp() {
	small lftp "$1" lftp -u "$U,$PW" -p "$PA" -e "set ftp:ssl-allow no; set net:max-retries 1; mirror --parallel=8 small $T/o3.$1; quit" 127.0.0.1
}
# NETTOOL_OLD (optional): another nettool binary (the one before a change) as two more
# contestants, oldn and oldj, in the same rounds.
g_oldn() {
	small oldn "$1" "$NETTOOL_OLD" ftp --no-tls -q -u "$U" -P "$PA" --parallel 8 get "127.0.0.1:small/*" -O "$T/o4.$1"
}
g_oldj() {
	small oldj "$1" "$NETTOOL_OLD" ftp --no-tls -q -u "$U" -P "$PA" --parallel 8 --journal "$T/j4.$1" get "127.0.0.1:small/*" -O "$T/o4j.$1"
}
who_small="ours ourj"
[ -n "${NETTOOL_OLD:-}" ] && who_small+=" oldn oldj"
[ $have_curl = 1 ] && who_small+=" curl"
[ $have_lftp = 1 ] && who_small+=" lftp"
[ "$FILES" = 0 ] && who_small=
for r in $(seq "$ROUNDS"); do
	[ -n "$who_small" ] || break
	order=$who_small
	[ $((r % 2)) = 0 ] && order=$(echo "$order" | tr ' ' '\n' | tac | tr '\n' ' ')
	for who in $order; do "g_$who" "$r"; done

done
fps() { calc "$FILES / $1"; }
cpk() { calc "$1 * 1000 / $FILES"; }
mbs() { calc "$BIG_MB * 1.048576 / $1"; } # MB/s
# Medians of the 5,000-file runs: files/s, client and server CPU seconds per 1,000 files.
for who in $who_small; do
	eval "set -- \$W_$who"; eval "MW_$who=$(median "$@")"
	eval "set -- \$C_$who"; eval "MC_$who=$(median "$@")"
	eval "set -- \$S_$who"; eval "MS_$who=$(median "$@")"
	eval "echo \"bench ftp: $who: wall \$W_$who s; client CPU \$C_$who s; server CPU \$S_$who s; commands per file \$K_$who\""
done
if [ -n "${NETTOOL_OLD:-}" ] && [ -n "$who_small" ]; then
	line "ftp-get-${FILES}x1k-par8-vs-old" "$(fps "$MW_ours")" "$(fps "$MW_oldn")" "$(calc "$MW_oldn / $MW_ours")" "files/s"
	line "ftp-get-${FILES}x1k-journal-vs-old" "$(fps "$MW_ourj")" "$(fps "$MW_oldj")" "$(calc "$MW_oldj / $MW_ourj")" "files/s"
	line "ftp-get-${FILES}x1k-cpu-vs-old" "$(cpk "$MC_ours")" "$(cpk "$MC_oldn")" "$(calc "$MC_oldn / ($MC_ours + 0.0001)")" "cpu-s/1000files"
fi
best_peer= bw=
for who in curl lftp; do
	case " $who_small " in *" $who "*) ;; *) continue ;; esac
	eval "w=\$MW_$who c=\$MC_$who sc=\$MS_$who"
	line "ftp-get-${FILES}x1k-par8-vs-$who" "$(fps "$MW_ours")" "$(fps "$w")" "$(calc "$w / $MW_ours")" "files/s"
	line "ftp-get-${FILES}x1k-journal-vs-$who" "$(fps "$MW_ourj")" "$(fps "$w")" "$(calc "$w / $MW_ourj")" "files/s"
	line "ftp-get-${FILES}x1k-cpu-vs-$who" "$(cpk "$MC_ours")" "$(cpk "$c")" "$(calc "$c / ($MC_ours + 0.0001)")" "cpu-s/1000files"
	line "ftp-get-${FILES}x1k-server-cpu-vs-$who" "$(cpk "$MS_ours")" "$(cpk "$sc")" "$(calc "$sc / ($MS_ours + 0.0001)")" "cpu-s/1000files"
	if [ -z "$bw" ] || [ "$(calc "$w < $bw")" = 1.000 ]; then best_peer=$who bw=$w; fi
done
if [ -n "$bw" ]; then
	line "ftp-get-${FILES}x1k-par8-vs-best($best_peer)" "$(fps "$MW_ours")" "$(fps "$bw")" "$(calc "$bw / $MW_ours")" "files/s"
	line "ftp-get-${FILES}x1k-journal-vs-best($best_peer)" "$(fps "$MW_ourj")" "$(fps "$bw")" "$(calc "$bw / $MW_ourj")" "files/s"
fi
[ $have_curl = 1 ] || echo "bench ftp: curl not installed"
# pair NAME UNIT RATE OURS PEER: OURS and PEER (functions taking a round number that
# leave "wall cpu rss" in $T/x) run ROUNDS interleaved rounds (ours first in odd rounds,
# the peer first in even ones); the medians are printed through RATE (seconds -> UNIT),
# with the lowest per-round ratio as min=.
# settle: before each timed run of a pair (either contestant), untimed: the sessions of the
# last run gone from server A (a session closes the 1 GiB file after its 226 and the file's
# writeback starts then; sessions were seen alive up to 10 s after their client ended), then
# sync (the deleted file's blocks). Without it a run starts while the last one's upload is
# still being written back, whoever ran it (one run, a loaded machine: curl 3.2, 5.3 and
# 9.2 s right after ours, 0.9, 1.1 and 5.7 s right after curl). The same for both
# contestants. SETTLE=0: as before (no wait, no sync, no warm).
# warm: then 1.5 x BIG_MB of memory touched and freed again (a file in /dev/shm), untimed,
# so that the run's new pages (the server's copy of a put, a get's file here) are pages
# the machine already backs. On a virtual machine that hands freed memory back to its
# host (virtio-balloon free page reporting, 2 s after a free; DAMON's page-out of cold
# cache), a fresh page costs a fault in the host at its first write, and which pages a
# run got decided its time: vsftpd's copy into the page cache (copy_folio_from_iter_atomic,
# perf) was 3.3% of the samples in a fast put and 11.9% in a slow one of the same binary;
# eight puts each, alternated: ours 0.66-2.21 s and curl 1.01-2.70 s without, 0.65-0.76 s
# and 1.13-1.44 s with. The same for both contestants. WARM_MEM=0: without.
warm() {
	[ "${WARM_MEM:-1}" = 0 ] && return 0
	[ -d /dev/shm ] && [ -w /dev/shm ] || return 0
	dd if=/dev/zero of=/dev/shm/nettool-bench-warm.$$ bs=1M count=$((BIG_MB * 3 / 2)) 2>/dev/null
	rm -f /dev/shm/nettool-bench-warm.$$
}
settle() {
	local i
	[ "${SETTLE:-1}" = 0 ] && return 0
	for i in $(seq 300); do
		[ "$(pgrep -c -P "$srv_pid")" = 0 ] && break
		sleep 0.1
	done
	sync
	warm
}
# WARM (default 1): before the rounds of a pair, one untimed run of each contestant (the
# peer first), settled as the timed ones. The first 1 GiB run of a pair was often the
# slowest of its kind whoever ran it (a put: 1.15 s then 0.76-0.97 s; a get to a file:
# 1.60 s then 0.52-0.62 s; in this script that is always ours, first in round 1), so
# round 1's ratio measured that and not the clients. WARM=0: as before.
pair() {
	local name=$1 unit=$2 rate=$3 r w wo wp ws=() os=() ps=() who
	if [ "${WARM:-1}" != 0 ]; then
		for who in "$5" "$4"; do settle; "$who" 0; done
	fi
	for r in $(seq "$ROUNDS"); do
		for who in $( [ $((r % 2)) = 1 ] && echo "$4 $5" || echo "$5 $4"); do
			settle
			"$who" "$r"
			read -r w _ _ <"$T/x"
			if [ "$who" = "$4" ]; then wo=$w; else wp=$w; fi
		done
		os+=("$wo") ps+=("$wp") ws+=("$(calc "$wp / $wo")")
	done
	echo "bench ftp: $name: nettool ${os[*]} s, peer ${ps[*]} s, ratios ${ws[*]}"
	wo=$(median "${os[@]}") wp=$(median "${ps[@]}")
	echo "bench $name nettool=$("$rate" "$wo")$unit peer=$("$rate" "$wp")$unit ratio=$(calc "$wp / $wo") min=$(printf '%s\n' "${ws[@]}" | sort -g | head -1)"
}
if [ "$FILES" = 0 ] || [ "${COPY:-1}" = 0 ]; then
	:
elif [ $have_lftp = 1 ]; then
	# Server to server (streamed and FXP) vs lftp mirror down, then up: bench/ftp_copy.sh.
	FILES=$FILES NETTOOL=$NETTOOL bash "$here/bench/ftp_copy.sh" # streamed and FXP copy rows (own servers, interleaved rounds)
else
	echo "bench ftp: lftp not installed"
fi
rm -rf "$T"/o[1234].* "$T"/l4.* "$FTPD_HOME_B"/small1.* "$FTPD_HOME_B"/small2.*

# One big file: each comparison in ROUNDS interleaved rounds (a single run was 0.27-1.3x
# from one run to the next here); the target is every round, hence min=.
if [ $have_curl = 1 ] && [ "$BIG_MB" != 0 ]; then
	echo "making a $BIG_MB MiB file..."
	head -c $((BIG_MB << 20)) /dev/urandom >"$HA/big.bin"
	sync
	b_ours() { timed "$T/x" "${NTF[@]}" -P "$PA" get 127.0.0.1:big.bin -o -; }
	b_curl() { timed "$T/x" curl -s -u "$U:$PW" "ftp://127.0.0.1:$PA/big.bin"; }
	row() { case " ${BIG_ROWS:-stdout put file} " in *" $1 "*) return 0 ;; esac; return 1; }
	row stdout && pair ftp-get-1g-stdout-vs-curl MB/s mbs b_ours b_curl
	b_old() { timed "$T/x" "$NETTOOL_OLD" "${NTF[@]:1}" -P "$PA" get 127.0.0.1:big.bin -o -; }
	row stdout && [ -n "${NETTOOL_OLD:-}" ] && pair ftp-get-1g-stdout-vs-old MB/s mbs b_ours b_old
	p_ours() { timed "$T/x" "${NTF[@]}" -P "$PA" put "$HA/big.bin" 127.0.0.1:up-ours.bin; rm -f "$HA/up-ours.bin"; }
	p_curl() { timed "$T/x" curl -s -u "$U:$PW" -T "$HA/big.bin" "ftp://127.0.0.1:$PA/up-curl.bin"; rm -f "$HA/up-curl.bin"; }
	row put && pair ftp-put-1g-vs-curl MB/s mbs p_ours p_curl
	p_old() { timed "$T/x" "$NETTOOL_OLD" "${NTF[@]:1}" -P "$PA" put "$HA/big.bin" 127.0.0.1:up-old.bin; rm -f "$HA/up-old.bin"; }
	row put && [ -n "${NETTOOL_OLD:-}" ] && pair ftp-put-1g-vs-old MB/s mbs p_ours p_old
	# To a file: neither syncs (ours without --journal or --fsync renames it whole, unsynced).
	f_ours() { timed "$T/x" "${NTF[@]}" -P "$PA" get 127.0.0.1:big.bin -o "$T/big-ours.bin"; rm -f "$T/big-ours.bin"; }
	f_curl() { timed "$T/x" curl -s -u "$U:$PW" "ftp://127.0.0.1:$PA/big.bin" -o "$T/big-curl.bin"; rm -f "$T/big-curl.bin"; }
	row file && pair ftp-get-1g-file-vs-curl MB/s mbs f_ours f_curl
	f_old() { timed "$T/x" "$NETTOOL_OLD" "${NTF[@]:1}" -P "$PA" get 127.0.0.1:big.bin -o "$T/big-old.bin"; rm -f "$T/big-old.bin"; }
	row file && [ -n "${NETTOOL_OLD:-}" ] && pair ftp-get-1g-file-vs-old MB/s mbs f_ours f_old
	rm -f "$HA/big.bin"
fi
[ "${LIST:-}" = 0 ] && exit 0

bash "$here/bench/ftp_journal.sh" # the journal at scale: a 1,000,000-line list resumed (its own servers)
