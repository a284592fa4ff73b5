#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_copypipe.sh - the streamed copy on our own control connections: the upload
# (applets/ftp/putpipe.c, the data relayed from copy.c's pipe) and the download
# (applets/ftp/getpipe.c, its data into that pipe, paused while it is full): a tree between
# two vsftpd (content, empty and large files, no temporaries, both own paths taken: the
# CWDs from the root; SIZE of the temporary, sent with the RNFR, for every file), --move,
# many files with --parallel 8 and --journal (a rerun copies nothing), a hostile destination
# (fixtures/ftp_fake.py raw:): STOR answered 553 or 425, the data connection reset mid-file,
# a 226 before the data were taken, a data connection half-closed (a clean end) after
# 8 KiB and a 226 (the SIZE catches it: on libcurl's upload too, the default options; a
# good file that way lands), a reset of the data connection at the 226 by a server
# without SIZE (the own upload's look at it catches it), RNFR refused, RNTO refused;
# and a hostile source:
# RETR answered 550,
# the data connection reset mid-file, a short file, a 226 before the data: the copy fails,
# nothing under the final name, --move keeps the source; the failures worded, and exit
# codes, as on libcurl's path (taken with --limit-rate).
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
# it; libcurl's: the STOR). Distinct values.
before_rnfr() {
	awk -F'"' '/FTP command: Client/ { split($0, a, "pid "); pid = a[2] + 0; c = $4; sub(/ .*/, "", c)
		if (c == "RNFR") print last[pid]; last[pid] = c }' "$LOGB" | sort -u | tr '\n' ' '
}

# The source's sessions that RETR: how their CWDs name the folder ("abs": from the root,
# as getpipe.c's own connections; "rel": a name at a time, as libcurl, whose "CWD /" back
# to the login folder is neither). Distinct values.
retr_cwd() {
	awk -F'"' '/FTP command: Client/ { split($0, a, "pid "); pid = a[2] + 0; c = $4
		if (c ~ /^RETR /) retr[pid] = 1
		if (c ~ /^CWD / && c != "CWD /") { if (substr(c, 5, 1) == "/") abs[pid] = 1; else rel[pid] = 1 } }
		END { for (p in retr) { if (abs[p]) print "abs"; if (rel[p]) print "rel" } }' "$LOG" | sort -u | tr '\n' ' '
}
# The destination's sessions that STOR: the same for their CWDs (own upload: "abs").
stor_cwd() {
	awk -F'"' '/FTP command: Client/ { split($0, a, "pid "); pid = a[2] + 0; c = $4
		if (c ~ /^STOR /) stor[pid] = 1
		if (c ~ /^CWD / && c != "CWD /") { if (substr(c, 5, 1) == "/") abs[pid] = 1; else rel[pid] = 1 } }
		END { for (p in stor) { if (abs[p]) print "abs"; if (rel[p]) print "rel" } }' "$LOGB" | sort -u | tr '\n' ' '
}

mkdir -p "$H/t/a" "$H/t/b"
for i in $(seq 1 30); do
	head -c $((i * 311)) /dev/urandom >"$H/t/a/f$i.bin"
	printf '%d\n' "$i" >"$H/t/b/g$i.txt"
done
: >"$H/t/a/empty.bin"
head -c 3000000 /dev/urandom >"$H/t/b/big.bin"
n=$(find "$H/t" -type f | wc -l)
: >"$LOG"
timeout 120 "$NT" ftp "${O[@]}" --parallel 4 copy -r "${SA}t" "${SB}t" 2>err1
rc=$?
[ $rc = 0 ] && diff -r "$H/t" "$HB/t" >/dev/null && [ -z "$(find "$HB/t" -name '.*')" ] &&
	pass "copy -r --no-fxp --parallel 4: $n files (an empty one, 3 MB), right content, no temporary" ||
	fail "copy -r" "rc $rc: $(head -3 err1); $(diff -r "$H/t" "$HB/t" | head -3)"
[ "$(stor_cwd)" = "abs " ] && [ "$(before_rnfr)" = "SIZE " ] && [ "$(grep -c '"SIZE ' "$LOGB")" = "$n" ] &&
	pass "the own upload took every file (CWD from the root), SIZE of the temporary before each RNFR" ||
	fail "own path" "$(stor_cwd); $(before_rnfr); SIZE $(grep -c '"SIZE ' "$LOGB") for $n"
[ "$(retr_cwd)" = "abs " ] && pass "the own download took every file (the source's CWD from the root)" ||
	fail "own download" "source sessions that RETR: $(retr_cwd)"

: >"$LOGB"
	: >"$LOG"
timeout 120 "$NT" ftp "${O[@]}" --parallel 2 --limit-rate 1G copy -r "${SA}t/a" "${SB}u" 2>err2
rc=$?
[ $rc = 0 ] && diff -r "$H/t/a" "$HB/u" >/dev/null && [ "$(stor_cwd)" = "rel " ] && [ "$(retr_cwd)" = "rel " ] &&
	pass "--limit-rate: libcurl's upload and download (CWD a name at a time): the checks above can fail" ||
	fail "libcurl's path" "rc $rc $(stor_cwd) $(retr_cwd): $(head -3 err2)"

cp -r "$H/t/b" "$H/mv"
timeout 120 "$NT" ftp "${O[@]}" --parallel 2 --move copy -r "${SA}mv" "${SB}mv" 2>err3
rc=$?
[ $rc = 0 ] && diff -r "$H/t/b" "$HB/mv" >/dev/null && [ -z "$(find "$H/mv" -type f)" ] &&
	pass "--move: every file on the destination, the sources deleted" ||
	fail "--move" "rc $rc: $(head -3 err3); left: $(find "$H/mv" -type f | head -3)"

# Many small files and a large one (5 MB: the pipe fills, the download waits) with eight
# connections a side and the journal; the rerun copies nothing.
mkdir -p "$H/many/s1" "$H/many/s2"
for i in $(seq 1 240); do
	head -c $((i * 97 % 6000)) /dev/urandom >"$H/many/s$((i % 2 + 1))/m$i.bin"
done
head -c 5000000 /dev/urandom >"$H/many/s1/big5.bin"
n=$(find "$H/many" -type f | wc -l)
: >"$LOG"
timeout 180 "$NT" ftp "${O[@]}" --parallel 8 --journal j.many copy -r "${SA}many" "${SB}many" 2>err5
rc=$?
[ $rc = 0 ] && diff -r "$H/many" "$HB/many" >/dev/null && [ -z "$(find "$HB/many" -name '.*')" ] &&
	[ "$(grep -c '^done	' j.many)" = "$n" ] && [ "$(retr_cwd)" = "abs " ] &&
	pass "--parallel 8 --journal: $n files byte-exact over own connections both sides, $n done lines" ||
	fail "--parallel 8 --journal" "rc $rc $(retr_cwd): $(head -3 err5); done $(grep -c '^done	' j.many); $(diff -r "$H/many" "$HB/many" | head -3)"
: >"$LOG"
timeout 120 "$NT" ftp "${O[@]}" --parallel 8 --journal j.many copy -r "${SA}many" "${SB}many" 2>err6
rc=$?
[ $rc = 0 ] && [ "$(grep -c '"RETR ' "$LOG")" = 0 ] && pass "the journal's rerun copies nothing" ||
	fail "journal rerun" "rc $rc, $(grep -c '"RETR ' "$LOG") RETR: $(head -3 err6)"

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
	"norfr xnorfr.bin the server refused the command (server: 550 " \
	"cut xcut.bin the connection broke while sending" \
	"early xearly.bin the size differs from the announced one ("; do
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
	case $name in s553 | s425 | norename | norfr)
		fake_copy "c$name" "$remote" --move --limit-rate 1G
		[ "$(cat rc.c$name)" = "$(cat rc.$name)" ] && cmp -s "err.$name" "err.c$name" &&
			pass "$name: the same message and exit code on libcurl's path" ||
			fail "$name on libcurl's path" "rc $(cat rc.c$name): $(cat err.c$name) / own: $(cat err.$name)"
	esac
done

# The own upload waits for the RNFR's 350 (SIZE went with the RNFR): after the refusal no
# RNTO went.
grep -qE "^'SIZE \.xnorfr\.bin" fk/commands.log && ! grep -q "^'RNTO xnorfr.bin'" fk/commands.log &&
	pass "SIZE with the RNFR, RNTO only after its 350: none after the refusal" ||
	fail "RNFR refused" "$(grep -E "^'(STOR|SIZE|RNFR|RNTO) .*norfr" fk/commands.log | head -6)"

# A destination that takes 8 KiB, shuts its side of the data connection (a clean end, the
# rest never read) and answers 226 (raw: *halfclose*; 200 KB: all of it is in the sockets'
# buffers before that 226): the SIZE of the temporary says 8 KiB, the copy fails, the short
# file never under its final name, --move keeps the source.
head -c 200000 /dev/urandom >"$H/h/hc.bin"
head -c 60000 /dev/urandom >"$H/h/hs.bin" # all of it in the sockets' buffers at once
if fakeftpd_start hc "$T/fk" "raw:"; then
	timeout 60 "$NT" ftp "${O[@]}" --timeout 5 --move copy "${SA}h/hc.bin" "ftp://anonymous@127.0.0.1:$FAKEFTPD_PORT_hc/xhalfclose.bin" 2>err.hc
	rc=$?
	[ $rc = 3 ] && [ ! -e fk/xhalfclose.bin ] && [ -f "$H/h/hc.bin" ] &&
		grep -qE "^'SIZE \.xhalfclose\.bin" fk/commands.log &&
		pass "half-closing destination: SIZE of the temporary says 8 KiB, failed (3), nothing under the final name, --move kept the source" ||
		fail "half-closing destination" "rc $rc: $(cat err.hc); $(ls -a fk); $(grep -E "^'(STOR|SIZE|RNFR|RNTO) .*halfclose" fk/commands.log | head -6)"
else
	fail "fake server" "did not start"
fi

# A destination without SIZE (raw:nosize) that keeps 8 KiB, drops the rest and, after our
# end of the data, resets the data connection (*rstlate*) and answers 226: no SIZE to
# catch it, the own upload's look at the data connection at the 226 (putpipe.c
# server_end) fails the copy, nothing under the final name. The same server resetting
# right after 8 KiB (*rstearly*, a 60 KB file): the rest may all be in our kernel before
# the reset comes, and the connection is then gone before our end of the data
# (shutdown: ENOTCONN): that too is a file not taken whole.
if fakeftpd_start rst "$T/fk" "raw:nosize"; then
	for m in "rstlate hc at the 226" "rstearly hs before our end"; do
		read -r mode src when <<<"$m"
		timeout 60 "$NT" ftp "${O[@]}" --timeout 5 copy "${SA}h/$src.bin" "ftp://anonymous@127.0.0.1:$FAKEFTPD_PORT_rst/x$mode.bin" 2>err.$mode
		rc=$?
		[ $rc = 3 ] && [ ! -e fk/x$mode.bin ] && [ -z "$(find fk -name ".x$mode*")" ] &&
			! grep -qE "^'(RNFR|RNTO) .*x$mode" fk/commands.log &&
			pass "a reset of the data connection $when, no SIZE on the server: failed (3), no rename" ||
			fail "reset $when without SIZE" "rc $rc: $(cat err.$mode); $(ls -a fk | grep $mode)"
	done
else
	fail "fake server" "did not start"
fi

# A destination that has SIZE and answers 550 to it (raw:size550) after taking 8 KiB
# (*halfclose*) and saying 226: nothing shows the file whole: failed (3), never under its
# final name, --move keeps the source; streamed on our connections and on libcurl's (the
# source over TLS).
if fakeftpd_start s550 "$T/fk" "raw:size550"; then
	for how in own curl; do
		o=("${O[@]}")
		[ $how = curl ] && o=(--cacert "$CA" -u "$FTP_USER" -q --no-fxp)
		timeout 60 "$NT" ftp "${o[@]}" --timeout 5 --move copy "${SA}h/hc.bin" "ftp://anonymous@127.0.0.1:$FAKEFTPD_PORT_s550/w${how}halfclose.bin" 2>err.s550$how
		rc=$?
		[ $rc = 3 ] && [ ! -e "fk/w${how}halfclose.bin" ] && [ -f "$H/h/hc.bin" ] &&
			[ -z "$(find fk -name ".w${how}halfclose*")" ] &&
			grep -qF "would not tell the size of the file stored (550 Could not get file size.)" err.s550$how &&
			pass "550 to the SIZE of a half-taken temporary ($how): failed (3), not in place, source kept" ||
			fail "550 to SIZE ($how)" "rc $rc: $(cat err.s550$how); $(ls -a fk | grep "w${how}half")"
	done
else
	fail "fake server" "did not start"
fi

# The same with the default options (no --no-tls: vsftpd A over TLS, the fake refuses AUTH
# TLS): the upload is libcurl's (TYPE I right before the STOR). The SIZE of the temporary,
# asked after its STOR, says 8 KiB: no rename, failed (3) in the own path's words (err.hc
# above), nothing under the final name, the temporary deleted; --move keeps the source.
D=(--cacert "$CA" -u "$FTP_USER" -q --no-fxp --timeout 5)
if fakeftpd_start hcc "$T/fk" "raw:"; then
	for mv in --move ""; do
		timeout 60 "$NT" ftp "${D[@]}" $mv copy "${SA}h/hc.bin" "ftp://anonymous@127.0.0.1:$FAKEFTPD_PORT_hcc/xhalfclosec.bin" 2>err.hcc
		rc=$?
		cmds=$(grep -E "^'(TYPE|STOR|SIZE|RNFR|RNTO|DELE)" fk/commands.log | grep -A3 -B1 "^'STOR \.xhalfclosec" | tail -4 | tr '\n' ' ')
		[ $rc = 3 ] && [ ! -e fk/xhalfclosec.bin ] && [ -z "$(find fk -name '.xhalfclosec*')" ] && [ -f "$H/h/hc.bin" ] &&
			[ "$(sed 's/xhalfclosec/xhalfclose/' err.hcc)" = "$(cat err.hc)" ] &&
			grep -qE "^'TYPE I' 'STOR \.xhalfclosec[^ ]*' 'SIZE \.xhalfclosec[^ ]*' 'DELE \.xhalfclosec" <<<"$cmds" &&
			pass "half-closing destination, libcurl's upload (${mv:-no --move}): SIZE says 8 KiB, no rename, failed (3), temporary deleted, source kept" ||
			fail "half-closing destination, libcurl's upload (${mv:-no --move})" "rc $rc: $(cat err.hcc) / own: $(cat err.hc); $(ls -a fk | grep xhalf); $cmds"
	done
else
	fail "fake server" "did not start"
fi
# A good file the same way (vsftpd A to B, both over TLS: libcurl's download and upload):
# renamed after the SIZE of its temporary, whole, no temporary left.
: >"$LOGB"
timeout 60 "$NT" ftp "${D[@]}" copy "${SA}h/hc.bin" "${SB}hc-tls.bin" 2>err.tls
rc=$?
[ $rc = 0 ] && cmp -s "$H/h/hc.bin" "$HB/hc-tls.bin" && [ -z "$(find "$HB" -maxdepth 1 -name '.hc-tls*')" ] &&
	[ "$(before_rnfr)" = "SIZE " ] && grep -q '"SIZE \.hc-tls\.bin\.nettool-' "$LOGB" &&
	pass "copy over TLS (libcurl's upload): SIZE of the temporary before its RNFR, the file whole" ||
	fail "copy over TLS" "rc $rc: $(cat err.tls); $(before_rnfr); $(grep -E '"(STOR|SIZE|RNFR|RNTO) ' "$LOGB" | tail -4)"

# A destination slower than the source (raw: *slow*): the pipe fills, the own download is
# not read until the upload has made room for a whole read, then goes on; the 226 is
# awaited while the data still queued go out.
head -c 10000000 /dev/urandom >"$H/h/big10.bin"
if fakeftpd_start slow "$T/fk" "raw:"; then
	# (The own upload's wait for the 226 counts from the last of its data leaving our
	# kernel, not from its end: megabytes may still be queued for this slow reader.)
	timeout 150 "$NT" ftp "${O[@]}" --timeout 30 copy "${SA}h/big10.bin" "ftp://anonymous@127.0.0.1:$FAKEFTPD_PORT_slow/xslow.bin" 2>err.slow
	rc=$?
	[ $rc = 0 ] && cmp -s "$H/h/big10.bin" fk/xslow.bin &&
		pass "a slow destination (10 MB read 16 KiB at a time): the download waits while the pipe is full, the copy whole" ||
		fail "slow destination" "rc $rc: $(cat err.slow)"
else
	fail "fake server" "did not start"
fi

# A hostile source (fixtures/ftp_fake.py raw:, RETR by the file's name) to vsftpd B: RETR
# answered 550, the data connection reset mid-file (RST, 426), a short file (the 150 and
# SIZE say 3 MB, half comes, 226), a 226 before the data. The failures: nothing under the
# final name, no temporary left, no DELE of the source with --move, the message and exit
# code of libcurl's path (both sides on libcurl with --limit-rate).
mkdir -p fs/hx "$HB/hs"
head -c 3000000 /dev/urandom >fs/hx/ok3.bin
for f in r550 reset short; do cp fs/hx/ok3.bin "fs/hx/$f.bin"; done
fakeftpd_start src "$T/fs" "raw:" && fakeftpd_start src226 "$T/fs" "raw:early226" ||
	{ fail "fake source" "did not start"; finish; }
src_copy() { # name port file [flags...]: exit status in rc.NAME, stderr err.NAME
	local name=$1 port=$2 f=$3
	shift 3
	: >fs/commands.log
	timeout 60 "$NT" ftp "${O[@]}" --timeout 5 "$@" copy "ftp://anonymous@127.0.0.1:$port/hx/$f" "${SB}hs/$f" 2>"err.$name"
	echo $? >"rc.$name"
}
src_copy sok "$FAKEFTPD_PORT_src" ok3.bin
[ "$(cat rc.sok)" = 0 ] && cmp -s fs/hx/ok3.bin "$HB/hs/ok3.bin" && grep -q "'CWD /hx'" fs/commands.log &&
	pass "fake source: a 3 MB copy whole, the download on the own connection (CWD /hx)" ||
	fail "fake source copy" "rc $(cat rc.sok): $(cat err.sok); $(grep CWD fs/commands.log)"
rm -f "$HB/hs/ok3.bin"
cp fs/hx/ok3.bin ok3.ref
src_copy s226 "$FAKEFTPD_PORT_src226" ok3.bin --move
[ "$(cat rc.s226)" = 0 ] && cmp -s ok3.ref "$HB/hs/ok3.bin" && [ ! -e fs/hx/ok3.bin ] && grep -q "'CWD /hx'" fs/commands.log &&
	[ -z "$(find "$HB/hs" -name '.*')" ] &&
	pass "a 226 before the data: the copy waits for the data and is whole" ||
	fail "226 before the data" "rc $(cat rc.s226): $(cat err.s226)"
for f in r550 reset short; do
	src_copy "s$f" "$FAKEFTPD_PORT_src" "$f.bin" --move
	own=$(grep -c "'CWD /hx'" fs/commands.log)
	dele=$(grep -c "DELE" fs/commands.log)
	src_copy "c$f" "$FAKEFTPD_PORT_src" "$f.bin" --move --limit-rate 1G
	cur=$(grep -c "'CWD /hx'" fs/commands.log)
	[ "$(cat rc.s$f)" != 0 ] && [ "$own" = 1 ] && [ "$cur" = 0 ] && [ "$dele" = 0 ] && [ ! -e "$HB/hs/$f.bin" ] &&
		[ -z "$(find "$HB/hs" -name '.*')" ] &&
		pass "source $f: failed ($(cat rc.s$f)) on the own download, nothing under the final name nor a temporary, no DELE of the source" ||
		fail "source $f" "rc $(cat rc.s$f) own $own/$cur dele $dele: $(cat err.s$f); $(ls -a "$HB/hs")"
	# (reset: libcurl says "the connection broke while waiting for the server's reply" or
	# names the 426, as its read meets them; the own path names the data connection, as
	# getpipe.c's get does: the same exit code, a broken connection in both.)
	same=0
	cmp -s "err.s$f" "err.c$f" && same=1
	[ $f = reset ] && grep -q "broke" "err.s$f" && grep -q "broke\|426" "err.c$f" && same=1
	[ "$(cat rc.c$f)" = "$(cat rc.s$f)" ] && [ $same = 1 ] &&
		pass "source $f: the same message and exit code on libcurl's path" ||
		fail "source $f on libcurl's path" "rc $(cat rc.c$f): $(cat err.c$f) / own: $(cat err.s$f)"
done

finish
