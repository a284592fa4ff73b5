#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_copy.sh - nettool ftp copy between two vsftpd servers on loopback, side by side with
# lftp (plain FTP everywhere). FILES x 1 KiB (default 5,000), copy -r --parallel 8:
#   streamed (--no-fxp, the atomic default: stored under a temporary name, renamed),
#   FXP (the servers send to each other), and lftp down+up: mirror --parallel=8 to a
#   local folder, then mirror -R --parallel=8 up (the time of both).
# ROUNDS rounds (default 3), interleaved (ours streamed, lftp, ours FXP; the order turned
# round every other round); the medians count. Prints "bench NAME nettool=X peer=Y
# ratio=Z" (ratio > 1: nettool is better) and, per round, wall seconds and the CPU
# (user+system) of the client and of each vsftpd's sessions; CPU medians per 1,000 files.
# NETTOOL_OLD (optional): a binary from before a change, run as one more contestant in the
# same rounds (FXP, or streamed with OLD_MODE=no-fxp): the row ...-vs-old.
# STREAM=0 leaves the streamed copy out (an FXP A/B in less time); FXP=0 leaves FXP out
# (a streamed A/B: with NETTOOL_OLD and OLD_MODE=no-fxp).
# Each timed run (both servers and the contestant) is alone in a fresh network namespace
# (unshare --net, loopback up): the servers start in it before the timer (same home
# folders, a new port) and stop after, so every run, of every contestant, starts from a
# pristine TCP state. In one shared namespace a run left 10,000-15,000 sockets in
# TIME_WAIT (60 s) to the next: a vsftpd that opens an active data connection (FXP: the
# destination connects out) binds port 0 with SO_REUSEADDR, and the kernel's port search
# slows as those fill the ephemeral range (730 us per bind with ~11,000 of them), so a run
# paid for the runs before it (FXP rounds swung 4.6-9.2 s). Waiting until the TIME_WAIT
# count drops instead would cost ~60 s before each run (over 12 minutes for ROUNDS=3 with
# four contestants, not ~6) and, on a machine shared with other work, never reach the
# same state twice; servers on real machines do not share TCP state with other clients.
# Needs root (unshare --net), as CI runs it.
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
# from the control connection's address) allow FXP between them. They log as Debian's
# vsftpd.conf does (transfers, xferlog), not every command: the tests' fixture also logs
# each command (log_ftp_protocol, two lines under a lock all sessions share), which the
# tests read and which makes each command cost the server more than in use. PROTO_LOG=1:
# servers as the tests run them (a client that sends more commands per file pays more).
proto_log=log_ftp_protocol=NO
[ "${PROTO_LOG:-0}" = 1 ] && proto_log=log_ftp_protocol=YES
if ! unshare --net true 2>/dev/null; then
	echo "bench ftp_copy: unshare --net not permitted (run as root)"
	exit 0
fi
U=$FTP_USER PW=$FTP_PASS
export NETTOOL_PASSWORD=$PW

echo "making $FILES files of 1 KiB..."
small_files "$T/A/home/small" "$FILES"
HB=$T/B/home

# The vsftpd listeners: every session is their child (two processes each), reaped by them,
# so their children's CPU (/proc stat fields 16 and 17) grows by each session's CPU.
srv_cpu() { # PID: seconds of its sessions' CPU so far, once the last run's are reaped
	local i
	for i in $(seq 50); do
		[ "$(pgrep -c -P "$1")" = 0 ] && break
		sleep 0.1
	done
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($16 + $17) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# run NAME ROUND CMD...: appends "wall cpu cpuA cpuB" of CMD (client, then each server's
# sessions) to $T/NAME.times (in the run's namespace, after both servers started there)
run() {
	local name=$1 r=$2 a0 b0
	shift 2
	a0=$(srv_cpu "$pid_a") b0=$(srv_cpu "$pid_b")
	timed "$T/run.raw" "$@" || echo "bench ftp_copy: $name round $r failed: $(head -3 "$T/bench.err")"
	echo "$(cut -d' ' -f1,2 "$T/run.raw") $(calc "$(srv_cpu "$pid_a") - $a0") $(calc "$(srv_cpu "$pid_b") - $b0")" >>"$T/$name.times"
}
# in_ns NAME ROUND: runs in a fresh network namespace (bash -c, below): loopback up, both
# servers, the timed run, the servers stopped and gone (their namespace with them)
in_ns() {
	local w=$1 r=$2 pid_a pid_b PA PB c i NTF
	_cleanups=()
	trap 'for c in "${_cleanups[@]}"; do eval "$c"; done >/dev/null 2>&1' EXIT
	ip link set lo up || exit 1
	if ! ftpd_start A "$proto_log" || ! ftpd_start B "$proto_log"; then
		echo "bench ftp_copy: vsftpd could not start"
		exit 1
	fi
	PA=$FTPD_PORT_A PB=$FTPD_PORT_B
	pid_a=$(pgrep -o -f "^vsftpd $T/A/vsftpd.conf") pid_b=$(pgrep -o -f "^vsftpd $T/B/vsftpd.conf")
	NTF=("$NETTOOL" ftp --no-tls -u "$U" --parallel 8) # not -q: a failure says why (stderr is kept per run)
	case $w in
	stream) run stream "$r" "${NTF[@]}" --no-fxp copy -r "ftp://$U@127.0.0.1:$PA/small" "ftp://$U@127.0.0.1:$PB/s.$r" ;;
	fxp) run fxp "$r" "${NTF[@]}" --fxp copy -r "ftp://$U@127.0.0.1:$PA/small" "ftp://$U@127.0.0.1:$PB/x.$r" ;;
	old) run old "$r" "$NETTOOL_OLD" ftp --no-tls -u "$U" --parallel 8 --"${OLD_MODE:-fxp}" copy -r "ftp://$U@127.0.0.1:$PA/small" "ftp://$U@127.0.0.1:$PB/o.$r" ;;
	lftp) run lftp "$r" sh -c "lftp -u '$U,$PW' -p $PA -e 'set ftp:ssl-allow no; set net:max-retries 1; mirror --parallel=8 small $T/l.$r; quit' 127.0.0.1 &&
		lftp -u '$U,$PW' -p $PB -e 'set ftp:ssl-allow no; set net:max-retries 1; mirror -R --parallel=8 $T/l.$r l.$r; quit' 127.0.0.1" ;;
	esac
	for c in "${_cleanups[@]}"; do eval "$c"; done >/dev/null 2>&1
	_cleanups=()
	for i in $(seq 100); do # the listeners gone, so the next run's are the only ones
		pgrep -f "^vsftpd $T/[AB]/vsftpd.conf" >/dev/null || break
		sleep 0.05
	done
}
# ns_run NAME ROUND: in_ns in a new namespace, with this script's functions and settings
ns_run() {
	local v vars=(T FILES proto_log U PW NETTOOL FTP_USER FTP_PASS FTP_FIXTURES)
	[ -n "${NETTOOL_OLD:-}" ] && vars+=(NETTOOL_OLD)
	[ -n "${OLD_MODE:-}" ] && vars+=(OLD_MODE)
	unshare --net bash -c "$(declare -f); $(for v in "${vars[@]}"; do declare -p "$v"; done); in_ns $1 $2"
}
count() { # folder on B: the files there, checked
	local n
	n=$(ls "$HB/$1" 2>/dev/null | wc -l)
	[ "$n" = "$FILES" ] || echo "bench ftp_copy: $1 has $n of $FILES files"
	ls -a "$HB/$1" 2>/dev/null | grep -q '\.nettool-' && echo "bench ftp_copy: $1 has temporaries left"
}
ours_stream() { ns_run stream "$1"; count "s.$1"; }
ours_fxp() { ns_run fxp "$1"; count "x.$1"; }
ours_old() { ns_run old "$1"; count "o.$1"; }
peer_lftp() { ns_run lftp "$1"; count "l.$1"; }
who="stream lftp fxp"
[ "${STREAM:-1}" = 0 ] && who="lftp fxp"
[ "${FXP:-1}" = 0 ] && who=${who/ fxp/}
[ -n "${NETTOOL_OLD:-}" ] && who+=" old"
for r in $(seq 1 "$ROUNDS"); do
	order=$who
	[ $((r % 2)) = 0 ] && order=$(echo "$who" | tr ' ' '\n' | tac | tr '\n' ' ')
	for w in $order; do
		case $w in
		stream) ours_stream "$r" ;;
		lftp) peer_lftp "$r" ;;
		fxp) ours_fxp "$r" ;;
		old) ours_old "$r" ;;
		esac
	done
	echo "bench ftp_copy: round $r (wall s, client cpu s, source and destination vsftpd cpu s):$(for w in $who; do printf ' %s %s;' "$w" "$(tail -1 "$T/$w.times")"; done)"
	rm -rf "$T/l.$r" "$HB/s.$r" "$HB/x.$r" "$HB/l.$r" "$HB/o.$r"
done
fps() { calc "$FILES / $1"; }
cpk() { calc "$1 * 1000 / $FILES"; }
# med NAME FIELD: the median of a column of NAME's runs (1 wall, 2 client CPU, 3 and 4
# the source's and the destination's vsftpd CPU)
med() { cut -d' ' -f"$2" "$T/$1.times" | median; }
cpu_line() { # NAME: its CPU per 1,000 files
	echo "client=$(cpk "$(med "$1" 2)") src-vsftpd=$(cpk "$(med "$1" 3)") dst-vsftpd=$(cpk "$(med "$1" 4)")"
}
ml=$(med lftp 1)
for w in $who; do
	case $w in lftp) continue ;; stream) n=streamed ;; old) n="${OLD_MODE:-fxp}-old" ;; *) n=$w ;; esac
	m=$(med "$w" 1)
	echo "bench ftp-copy-${FILES}x1k-$n-vs-lftp-down-up nettool=$(fps "$m")files/s peer=$(fps "$ml")files/s ratio=$(calc "$ml / $m") ($(calc "$m * 1000 / $FILES") ms per file)"
done
if [ -n "${NETTOOL_OLD:-}" ]; then
	if [ "${OLD_MODE:-fxp}" = fxp ]; then mn=$(med fxp 1); else mn=$(med stream 1); fi
	echo "bench ftp-copy-${FILES}x1k-${OLD_MODE:-fxp}-vs-old nettool=$(fps "$mn")files/s old=$(fps "$(med old 1)")files/s ratio=$(calc "$(med old 1) / $mn")"
fi
for w in $who; do
	echo "bench ftp-copy-${FILES}x1k-cpu-$w $(cpu_line "$w") cpu-s/1000files"
done
