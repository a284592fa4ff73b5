#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_copypipe.sh - the streamed copy's upload on our own control connections
# (applets/ftp/putpipe.c, the data relayed from copy.c's pipe): a tree between two vsftpd
# (content, empty and large files, no temporaries, the own path taken: SIZE of the
# temporary before each RNFR), --move, and a hostile destination (fixtures/ftp_fake.py raw:):
# STOR answered 553 or 425, the data connection reset mid-file, a 226 before the data were
# taken, RNTO refused: the copy fails, nothing under the final name, --move keeps the source;
# the refusals worded as on libcurl's path (taken with --limit-rate).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

ftpd_script "ftp copypipe"
ftpd_start B || { fail "ftp fixture" "vsftpd B did not start"; finish; }
export NETTOOL_PASSWORD=$FTP_PASS HOME=$T/nohome
cd "$T" || exit 1
HB=$FTPD_HOME_B LOGB=$FTPD_LOG_B
SA="ftp://$FTP_USER@127.0.0.1:$P/" SB="ftp://$FTP_USER@127.0.0.1:$FTPD_PORT_B/"
O=(--no-tls -u "$FTP_USER" -q --no-fxp)
# In each destination session, the command before every RNFR (own path: SIZE, sent with
# it; libcurl's: the 226's STOR). Distinct values.
before_rnfr() {
	awk -F'"' '/FTP command: Client/ { split($0, a, "pid "); pid = a[2] + 0; c = $4; sub(/ .*/, "", c)
		if (c == "RNFR") print last[pid]; last[pid] = c }' "$LOGB" | sort -u | tr '\n' ' '
}

mkdir -p "$H/t/a" "$H/t/b"
for i in $(seq 1 30); do
	head -c $((i * 311)) /dev/urandom >"$H/t/a/f$i.bin"
	printf '%d\n' "$i" >"$H/t/b/g$i.txt"
done
: >"$H/t/a/empty.bin"
head -c 3000000 /dev/urandom >"$H/t/b/big.bin"
n=$(find "$H/t" -type f | wc -l)
timeout 120 "$NT" ftp "${O[@]}" --parallel 4 copy -r "${SA}t" "${SB}t" 2>err1
rc=$?
[ $rc = 0 ] && diff -r "$H/t" "$HB/t" >/dev/null && [ -z "$(find "$HB/t" -name '.*')" ] &&
	pass "copy -r --no-fxp --parallel 4: $n files (an empty one, 3 MB), right content, no temporary" ||
	fail "copy -r" "rc $rc: $(head -3 err1); $(diff -r "$H/t" "$HB/t" | head -3)"
[ "$(before_rnfr)" = "SIZE " ] && [ "$(grep -c '"SIZE ' "$LOGB")" = "$n" ] &&
	pass "the own upload took every file (SIZE of the temporary before each RNFR)" ||
	fail "own path" "$(before_rnfr); SIZE $(grep -c '"SIZE ' "$LOGB") for $n"

: >"$LOGB"
timeout 120 "$NT" ftp "${O[@]}" --parallel 2 --limit-rate 1G copy -r "${SA}t/a" "${SB}u" 2>err2
rc=$?
[ $rc = 0 ] && diff -r "$H/t/a" "$HB/u" >/dev/null && [ "$(before_rnfr)" = "STOR " ] &&
	pass "--limit-rate: libcurl's upload (RNFR right after STOR): the check above can fail" ||
	fail "libcurl's path" "rc $rc $(before_rnfr): $(head -3 err2)"

cp -r "$H/t/b" "$H/mv"
timeout 120 "$NT" ftp "${O[@]}" --parallel 2 --move copy -r "${SA}mv" "${SB}mv" 2>err3
rc=$?
[ $rc = 0 ] && diff -r "$H/t/b" "$HB/mv" >/dev/null && [ -z "$(find "$H/mv" -type f)" ] &&
	pass "--move: every file on the destination, the sources deleted" ||
	fail "--move" "rc $rc: $(head -3 err3); left: $(find "$H/mv" -type f | head -3)"

# A hostile destination (fixtures/ftp_fake.py raw:, STOR by the name stored).
if ! /usr/bin/python3 -c 'import pyftpdlib' 2>/dev/null; then
	skip "fake FTP server" "python3-pyftpdlib not installed"
	finish
fi
mkdir -p fk "$H/h"
head -c 2000000 /dev/urandom >"$H/h/src.bin"
fake_copy() { # name remote [flags...]: exit status in rc.NAME, stderr err.NAME
	local name=$1 remote=$2 port
	shift 2
	fakeftpd_start "$name" "$T/fk" "raw:" || { fail "fake server" "did not start"; return 1; }
	eval "port=\$FAKEFTPD_PORT_$name"
	timeout 60 "$NT" ftp "${O[@]}" --timeout 5 "$@" copy "${SA}h/src.bin" "ftp://anonymous@127.0.0.1:$port/$remote" \
		2>"err.$name"
	echo $? >"rc.$name"
}
fake_copy ok ok.bin
[ "$(cat rc.ok)" = 0 ] && cmp -s "$H/h/src.bin" fk/ok.bin && pass "fake destination: a copy whole" ||
	fail "fake copy" "rc $(cat rc.ok): $(cat err.ok)"
for c in "s553 xrefuse.bin the server refused STOR/APPE (upload) (server: 553 " \
	"s425 xnodata.bin the server refused STOR/APPE (upload) (server: 425 " \
	"norename xnorename.bin the server refused the command (server: 553 " \
	"cut xcut.bin the connection broke while sending" \
	"early xearly.bin the size differs from the announced one (65536 out of 2000000 bytes)"; do
	set -- $c
	name=$1 remote=$2
	shift 2
	msg="$*"
	fake_copy "$name" "$remote" --move
	said=0
	grep -qF "$msg" "err.$name" && said=1
	# (cut: the server's 426, when it comes before a send fails, is named instead.)
	[ $name = cut ] && grep -qF "the transfer ended before the announced size (server: 426 " err.cut && said=1
	[ "$(cat rc.$name)" != 0 ] && [ $said = 1 ] && [ ! -e "fk/$remote" ] && [ -f "$H/h/src.bin" ] &&
		pass "$name: failed ($(cat rc.$name)), nothing under the final name, --move kept the source" ||
		fail "$name" "rc $(cat rc.$name): $(cat err.$name); $(ls -a fk)"
	case $name in s553 | s425 | norename)
		fake_copy "c$name" "$remote" --move --limit-rate 1G
		[ "$(cat rc.c$name)" = "$(cat rc.$name)" ] && cmp -s "err.$name" "err.c$name" &&
			pass "$name: the same message and exit code on libcurl's path" ||
			fail "$name on libcurl's path" "rc $(cat rc.c$name): $(cat err.c$name) / own: $(cat err.$name)"
	esac
done

finish
