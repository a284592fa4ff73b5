#!/bin/bash
# SPDX-License-Identifier: MIT
# lib.sh - the integration-test harness (after toybox/BusyBox's testing.sh).
#
#   . "$(dirname "$0")/lib.sh"
#   testing "name" "command" "expected stdout" "input file content" "stdin"
#   check "name" COMMAND...          passes when COMMAND exits 0
#   pass NAME / fail NAME [why] / skip NAME why
#   cleanup 'shell code'             run at exit, even on failure (last in, first out)
#   free_port                        an unused TCP port on 127.0.0.1 (and not given to another
#                                    script of the same run)
#   wait_port PORT [HOST] [SECS]     until something listens there
#   make_certs DIR                   DIR/ca.crt, DIR/server.{crt,key} for localhost,
#                                    127.0.0.1 and ::1; DIR/other.{crt,key} for another name
#   $NT                              the binary under test; $T a private temp folder
#   $EMPTY                           an empty file of this script's own: the input of a
#                                    command that must read nothing ("<$EMPTY", never
#                                    "</dev/null": where /dev/null has become a regular file,
#                                    every ">/dev/null" on the machine writes into it and a
#                                    reader gets those lines)
#   $NT_TEST                         the test build of it (reads the test knobs, include/knobs.h):
#                                    $NETTOOL_TEST, else nettool-test next to $NETTOOL;
#   have_test_build NAME             0 when it exists, else prints SKIP: NAME and returns 1
#   tls_silent VAR MODE              a server that accepts TCP and never answers the
#                                    ClientHello (fixtures/tls_silent.py: raw, ftp, nntp)
#                                    on a free port, stored in VAR; stopped at exit
#   ftpd_script NAME                 vsftpd instance A up for an ftp script (or SKIP/FAIL and
#                                    the end): P, H, LOG, CA, S (fixtures/ftp_server.sh first)
#   finish                           prints the script's own total, exits 1 on failures
set -u
: "${NETTOOL:?set NETTOOL}"
NT=$NETTOOL
NT_TEST=${NETTOOL_TEST:-$(dirname "$NETTOOL")/nettool-test}
have_test_build() {
	[ -x "$NT_TEST" ] && return 0
	echo "SKIP: $1: no test build at $NT_TEST (make build/nettool-test, or set NETTOOL_TEST)"
	return 1
}
T=$(mktemp -d "${TMPDIR:-/tmp}/nettool-test.XXXXXX")
EMPTY=$T/.empty
: >"$EMPTY"
FAILCOUNT=0
_cleanups=()

cleanup() { _cleanups=("$1" "${_cleanups[@]}"); }
_run_cleanups() {
	local c
	for c in "${_cleanups[@]}"; do { eval "$c"; } >/dev/null 2>&1; done
	rm -rf "$T"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+: $2}"; FAILCOUNT=$((FAILCOUNT + 1)); }
skip() { echo "SKIP: $1: $2"; }

# testing NAME COMMAND EXPECTED INFILE STDIN: run COMMAND (sh -c) in $T with file "input"
# holding INFILE and STDIN on standard input; compare its stdout with EXPECTED (printf %b
# escapes; trailing newlines do not count).
testing() {
	local name=$1 cmd=$2 want got
	want=$(printf '%b' "$3")
	printf '%b' "$4" >"$T/input"
	got=$(cd "$T" && printf '%b' "$5" | NT=$NT sh -c "$cmd" 2>"$T/stderr")
	if [ "$got" == "$want" ]; then
		pass "$name"
	else
		fail "$name"
		echo "  command: $cmd"
		echo "  expected: $(printf '%q' "$want")"
		echo "  got:      $(printf '%q' "$got")"
		sed 's/^/  stderr: /' "$T/stderr" | head -5
	fi
}

check() {
	local name=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then
		pass "$name"
	else
		fail "$name" "exit $?"
		sed 's/^/  | /' "$T/check.out" | head -10
	fi
}

# expect_exit NAME CODE COMMAND...: passes when COMMAND exits CODE.
expect_exit() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$T/check.out" 2>&1
	rc=$?
	if [ $rc -eq "$want" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, expected $want"
		sed 's/^/  | /' "$T/check.out" | head -10
	fi
}

# Scripts run side by side (tests/run.sh): a port handed out is marked in $NETTOOL_PORTS
# (a folder of the run) so that no other script of the run is given it too.
free_port() {
	local p i
	for ((i = 0; i < 50; i++)); do
		p=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])') || return 1
		if [ -z "${NETTOOL_PORTS:-}" ] || mkdir "$NETTOOL_PORTS/$p" 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

wait_port() {
	local port=$1 host=${2:-127.0.0.1} secs=${3:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	return 1
}

make_certs() {
	local d=$1
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=nettool test CA" \
			-keyout ca.key -out ca.crt >/dev/null 2>&1 || exit 1
		for n in server other; do
			if [ $n = server ]; then
				san="subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
			else
				san="subjectAltName=DNS:wrong.example"
			fi
			openssl req -newkey rsa:2048 -nodes -subj "/CN=$n" -keyout $n.key -out $n.csr >/dev/null 2>&1 &&
				printf '%s\nbasicConstraints=CA:FALSE\n' "$san" >$n.ext &&
				openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
					-extfile $n.ext -out $n.crt >/dev/null 2>&1 || exit 1
		done
		chmod 644 ./*.crt ./*.key
	)
}

tls_silent() {
	local p
	p=$(free_port) || return 1
	/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/fixtures/tls_silent.py" "$p" "$2" >/dev/null 2>&1 &
	cleanup "kill $!"
	printf -v "$1" '%s' "$p"
	wait_port "$p"
}

# netns_run SNIPPET: run a bash snippet in a private network namespace whose only
# interface is lo, carrying 127.0.0.1 and NETNS_ADDR, a documentation (TEST-NET-2)
# address: a host that is "not loopback" for the clear-text password rules, while the
# traffic never leaves the namespace. Exported variables are visible, functions are not.
NETNS_ADDR=198.51.100.7
netns_run() {
	# The snippet starts on a line of its own: joined with && its first command, if sent to
	# the background with &, would take the set-up with it into a subshell.
	unshare --net bash -c "ip link set lo up && ip addr add $NETNS_ADDR/32 dev lo || exit 1
$1"
}

# ftpd_script NAME: the start of a script against vsftpd (fixtures/ftp_server.sh, sourced
# before): SKIP: NAME and the end when vsftpd or unshare is missing; instance A started
# (FAIL and the end when it does not start); then P, H and LOG its port, home and
# protocol log, CA the test CA, S its address. The password and HOME are the script's.
ftpd_script() {
	if ! command -v vsftpd >/dev/null || ! command -v unshare >/dev/null; then
		skip "$1" "vsftpd or unshare not installed (make deps)"
		finish
	fi
	ftpd_start A || { fail "ftp fixture" "vsftpd did not start"; finish; }
	P=$FTPD_PORT_A H=$FTPD_HOME_A LOG=$FTPD_LOG_A
	CA=$T/certs/ca.crt
	S=127.0.0.1
}

finish() {
	if [ $FAILCOUNT -gt 0 ]; then
		echo "${0##*/}: $FAILCOUNT failed"
		exit 1
	fi
	exit 0
}
