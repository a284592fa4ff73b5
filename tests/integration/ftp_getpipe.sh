#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_getpipe.sh - the batch get of plain FTP on our own control connections
# (applets/ftp/getpipe.c): content and counts against vsftpd (several folders, a missing
# file and folder, the journal, --json), and the hazards of the own path against the fake
# server (fixtures/ftp_fake.py): a 226 before the data's end, a 425 and a 550 mid-batch, a
# data connection that never comes, replies split across reads, a server without EPSV,
# greetings refused with 421 (asked again; a server that keeps refusing named, not a
# timeout); reads only where the wait found something (strace); a single file to standard
# output, a file and /dev/null (spliced), empty, a folder, missing, short, the reader
# gone; --retry of a single file to a stream broken halfway (continued from its bytes, REST);
# -c from nothing broken halfway (left partial in place and said; continued by a rerun or a retry);
# a local write error named by the temporary being written.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

ftpd_script "ftp getpipe"
export NETTOOL_PASSWORD=$FTP_PASS HOME=$T/nohome
O=(--no-tls -u "$FTP_USER" -P "$P" -q)
cd "$T" || exit 1
cmds() { grep -c "FTP command: Client \"127.0.0.1\", \"$1" "$LOG"; }

mkdir -p "$H/d/a" "$H/d/b/c"
for i in $(seq 1 120); do
	printf 'a%03d %s\n' "$i" "$(head -c $((i * 13)) /dev/zero | tr '\0' y)" >"$H/d/a/f$i.txt"
	printf 'b%03d\n' "$i" >"$H/d/b/c/g$i.txt"
done
: >"$H/d/a/empty.txt"
head -c 300000 /dev/urandom >"$H/d/a/big.bin"
(cd "$H/d" && ls a/* b/c/*) >list.txt
same_tree() { # dir: every listed file present with the server's content
	local f bad=0
	while read -r f; do cmp -s "$1/$f" "$H/d/$f" || bad=$((bad + 1)); done <list.txt
	[ $bad = 0 ]
}

r0=$(cmds RETR) e0=$(cmds EPSV)
timeout 60 "$NT" ftp "${O[@]}" --parallel 8 get --from-file list.txt $S:d -O out1 2>err1
rc=$?
n=$(wc -l <list.txt)
[ $rc = 0 ] && same_tree out1 && pass "get --parallel 8 --no-tls: $n files in two folders, right content" ||
	fail "get over own connections" "rc $rc: $(head -3 err1)"
r1=$(($(cmds RETR) - r0)) e1=$(($(cmds EPSV) - e0))
[ "$r1" = "$n" ] && [ "$e1" -ge "$n" ] && [ "$e1" -le $((n + 16)) ] && pass "one RETR per file, EPSV at most two more per connection (folder change, end) ($e1)" ||
	fail "commands per file" "RETR $r1 EPSV $e1 for $n"
[ -z "$(find out1 -name '.*')" ] && pass "no temporaries left" || fail "temporaries left" "$(find out1 -name '.*' | head -3)"

# Only the connections the wait found readable are read, once per wake-up: reads that can
# only say EAGAIN were 4.6 per file when every connection was read after each wake-up
# (strace; LeakSanitizer cannot run under ptrace: off for this run of a sanitizer build).
if command -v strace >/dev/null && strace -qq -o /dev/null true 2>/dev/null; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=read,recvfrom -o st.txt \
		timeout 60 "$NT" ftp "${O[@]}" --parallel 8 get --from-file list.txt $S:d -O outs 2>errs
	rc=$?
	ea=$(grep -c 'EAGAIN' st.txt)
	[ $rc = 0 ] && same_tree outs && [ "$ea" -le $((n / 2)) ] &&
		pass "reads only what the wait found readable ($ea EAGAIN reads for $n files)" ||
		fail "reads after each wake-up" "rc $rc, $ea EAGAIN reads for $n files: $(head -3 errs)"
else
	skip "reads per file" "strace cannot trace here"
fi

# A server that allows --parallel connections per address, no more (vsftpd max_per_ip):
# libcurl's idle login is closed before the own connections open; were one refused (421),
# libcurl's path would take over.
ftpd_start M max_per_ip=3 || fail "vsftpd max_per_ip" "did not start"
mkdir -p "$FTPD_HOME_M/d"
cp -r "$H/d/a" "$FTPD_HOME_M/d/"
timeout 60 "$NT" ftp --no-tls -u "$FTP_USER" -P "$FTPD_PORT_M" -q --parallel 3 get "$S:d/a/*" -O outm 2>errm
rc=$?
[ $rc = 0 ] && [ "$(find outm -type f | wc -l)" = "$(find "$H/d/a" -type f | wc -l)" ] &&
	pass "max_per_ip=3 and --parallel 3: every file" || fail "max_per_ip" "rc $rc: $(head -3 errm)"

# The same failures on both paths say the same: libcurl's path is taken with --limit-rate
# (own connections do not pace): a missing file, a missing folder, exit codes, --json.
printf 'a/f1.txt\na/missing.txt\nnofolder/x.txt\nb/c/g2.txt\n' >bad.txt
for w in own curl; do
	extra=()
	[ $w = curl ] && extra=(--limit-rate 100M)
	rm -rf bad
	timeout 60 "$NT" ftp "${O[@]}" "${extra[@]}" --json --parallel 2 get --from-file bad.txt $S:d -O bad >"json.$w" 2>"err.$w"
	echo $? >"rc.$w"
	[ $w = own ] && cp -r bad bad.own
	sed -i 's/"seconds":[0-9.e+-]*/"seconds":S/g' "json.$w"
	sort -o "json.$w" "json.$w"
	sort -o "err.$w" "err.$w"
done
[ "$(cat rc.own)" = 1 ] && [ "$(cat rc.curl)" = 1 ] && pass "a missing file and folder: exit 1 on both paths" ||
	fail "exit codes" "own $(cat rc.own), libcurl $(cat rc.curl)"
cmp -s err.own err.curl && grep -q "get d/a/missing.txt: .*550" err.own && grep -q "d/nofolder.* on 127.0.0.1:$P" err.own &&
	pass "the same messages as libcurl's path (550, the folder named with host:port)" ||
	fail "messages differ" "$(diff err.own err.curl | head -6)"
cmp -s json.own json.curl && [ "$(grep -c '"status":"failed"' json.own)" = 2 ] && pass "the same --json results" ||
	fail "--json differs" "$(diff json.own json.curl | head -6)"
[ -f bad.own/a/f1.txt ] && [ -f bad.own/b/c/g2.txt ] && pass "the other files of the batch done" || fail "others" "$(find bad.own -type f)"

# The hazards, against the fake server (fixtures/ftp_fake.py raw:FLAGS).
if ! /usr/bin/python3 -c 'import pyftpdlib' 2>/dev/null; then
	skip "fake FTP server" "python3-pyftpdlib not installed"
	finish
fi
mkdir -p fk
for i in 1 2 3 4 5 6; do head -c $((i * 40000 + 7)) /dev/urandom >"fk/f$i.bin"; done
printf 'x\n' >fk/x425.bin
printf 'y\n' >fk/ynoconn.bin
printf 'z\n' >fk/zhang.bin
fake_get() { # name flags list [timeout]: exit status in rc.NAME, stderr err.NAME, files in out.NAME
	local name=$1 flags=$2 list=$3 to=${4:-2} port
	rm -f fk/commands.log
	fakeftpd_start "$name" "$T/fk" "raw:$flags" || { fail "fake server $flags" "did not start"; return 1; }
	eval "port=\$FAKEFTPD_PORT_$name"
	printf '%s\n' $list >"list.$name"
	timeout 60 "$NT" ftp --no-tls -q -P "$port" --timeout "$to" --parallel 2 get --from-file "list.$name" 127.0.0.1: \
		-O "out.$name" 2>"err.$name"
	echo $? >"rc.$name"
	cp fk/commands.log "cmds.$name" 2>/dev/null
}
same6() { local d=$1 i; for i in 1 2 3 4 5 6; do cmp -s "$d/f$i.bin" "fk/f$i.bin" || return 1; done; }
six="f1.bin f2.bin f3.bin f4.bin f5.bin f6.bin"

fake_get early early226 "$six"
[ "$(cat rc.early)" = 0 ] && same6 out.early && pass "226 before the data's end: every file whole" ||
	fail "226 before the data" "rc $(cat rc.early): $(head -3 err.early)"

fake_get split split "$six"
[ "$(cat rc.split)" = 0 ] && same6 out.split && pass "replies split across reads (CR apart from LF): every file whole" ||
	fail "split replies" "rc $(cat rc.split): $(head -3 err.split)"

fake_get noepsv noepsv "$six"
[ "$(cat rc.noepsv)" = 0 ] && same6 out.noepsv && grep -q "^'PASV'" cmds.noepsv &&
	pass "a server without EPSV: PASV, the control connection's address (not the 227's)" ||
	fail "PASV fallback" "rc $(cat rc.noepsv): $(head -3 err.noepsv)"

fake_get closed close2 "$six"
[ "$(cat rc.closed)" = 0 ] && same6 out.closed && [ "$(grep -c "^'USER" cmds.closed)" -ge 3 ] &&
	pass "a kept connection the server closed: opened again, every file whole" ||
	fail "closed connection" "rc $(cat rc.closed): $(head -3 err.closed)"

t0=$(date +%s)
fake_get bad "" "f1.bin x425.bin f2.bin missing.bin f3.bin ynoconn.bin f4.bin zhang.bin f5.bin f6.bin"
t1=$(date +%s)
[ "$(cat rc.bad)" = 1 ] && same6 out.bad && pass "425, 550, a reset data connection, a RETR never answered: exit 1, the other files whole" ||
	fail "mid-batch failures" "rc $(cat rc.bad): $(head -5 err.bad)"
grep -q "get x425.bin: the server refused RETR (download) (server: 425 " err.bad &&
	grep -q "get missing.bin: no such file or folder on the server (server: 550 " err.bad &&
	grep -q "get ynoconn.bin: could not open the passive data connection" err.bad &&
	grep -q "get zhang.bin: timed out (--timeout)" err.bad &&
	pass "each failure named as libcurl's path names it" || fail "failure messages" "$(cat err.bad)"
[ $((t1 - t0)) -lt 20 ] && pass "a RETR never answered costs --timeout, not more ($((t1 - t0)) s with the server's start)" ||
	fail "stall" "$((t1 - t0)) s"

# --timeout on the own path is libcurl's rule (core/xfer.c): a 1xx is not progress, and the
# data phase fails below 1 byte/s over --timeout. Before: each byte or 1xx re-armed the timer.
head -c 3000 /dev/urandom >fk/atrickle.bin
cp fk/atrickle.bin fk/brep150.bin
t0=$(date +%s)
# (--timeout 3: every 3 s window holds 2 bytes of the trickle, below 1 byte/s; with 2 s a
# window may hold 2, which is 1 byte/s: not a stall by the rule.)
fake_get slow "" "f1.bin atrickle.bin f2.bin brep150.bin f3.bin" 3
t1=$(date +%s)
[ "$(cat rc.slow)" = 1 ] && grep -q "get atrickle.bin: timed out (--timeout)" err.slow &&
	grep -q "get brep150.bin: timed out (--timeout)" err.slow && [ -f out.slow/f3.bin ] && [ ! -e out.slow/atrickle.bin ] &&
	pass "a trickle (1 byte per 1.5 s) and repeated 150s: timed out (--timeout), as on libcurl's path" ||
	fail "trickle / repeated 150" "rc $(cat rc.slow): $(cat err.slow)"
[ $((t1 - t0)) -lt 18 ] && pass "bounded by --timeout ($((t1 - t0)) s with the server's start)" || fail "trickle bound" "$((t1 - t0)) s"

# A file that ends short of the size its 150 announced: partial, failed, never in place; on
# both paths (libcurl's taken with --limit-rate), the same message and exit status.
head -c 14000 /dev/urandom >fk/short1.bin
for w in own curl; do
	extra=(); [ $w = curl ] && extra=(--limit-rate 100M)
	fakeftpd_start "sh$w" "$T/fk" "raw:" || fail "fake server" "did not start"
	eval "port=\$FAKEFTPD_PORT_sh$w"
	printf '%s\n' f1.bin short1.bin f2.bin >list.short
	timeout 60 "$NT" ftp --no-tls -q -P "$port" --timeout 5 --parallel 2 "${extra[@]}" get --from-file list.short \
		127.0.0.1: -O "out.sh$w" 2>"err.sh$w"
	echo $? >"rc.sh$w"
done
for w in own curl; do
	[ "$(cat rc.sh$w)" = 1 ] && grep -q "get short1.bin: ended short: 7000 of 14000 bytes" "err.sh$w" &&
		[ ! -e "out.sh$w/short1.bin" ] && [ -z "$(find "out.sh$w" -name '.*')" ] && cmp -s out.sh$w/f2.bin fk/f2.bin &&
		pass "$w path: a file ending short of its announced size fails (exit 1: an item failed), not put in place" ||
		fail "$w path: short file" "rc $(cat rc.sh$w): $(cat err.sh$w); $(ls -a out.sh$w)"
done

# A data connection reset mid-file is named as such (not a reply awaited on the control one).
head -c 200000 /dev/urandom >fk/dreset.bin
fake_get rst "" "f1.bin dreset.bin f2.bin"
[ "$(cat rc.rst)" = 1 ] && grep -q "get dreset.bin: the data connection broke mid-file (" err.rst && [ ! -e out.rst/dreset.bin ] &&
	cmp -s out.rst/f2.bin fk/f2.bin && pass "a data connection reset mid-file: worded for the data connection" ||
	fail "data reset" "rc $(cat rc.rst): $(cat err.rst)"

# A greeting refused with 421 (vsftpd's max_per_ip still counting the login libcurl just
# closed): an own connection is asked again (up to 5 times, 20 ms doubling); a server that
# keeps refusing fails each file with its 421, never worded as a timeout of ours.
busy_get() { # name busy-spec: --parallel 1, two files; rc.NAME, err.NAME, greetings in cmds.NAME
	local name=$1 port
	rm -f fk/commands.log
	fakeftpd_start "$name" "$T/fk" "raw:busy=$2" || { fail "fake server busy=$2" "did not start"; return 1; }
	eval "port=\$FAKEFTPD_PORT_$name"
	printf '%s\n' f1.bin f2.bin >"list.$name"
	timeout 60 "$NT" ftp --no-tls -q -P "$port" --timeout 5 --parallel 1 get --from-file "list.$name" 127.0.0.1: \
		-O "out.$name" 2>"err.$name"
	echo $? >"rc.$name"
	grep "^'#" fk/commands.log >"cmds.$name"
}
busy_get busy3 1-3
[ "$(cat rc.busy3)" = 0 ] && cmp -s out.busy3/f1.bin fk/f1.bin && cmp -s out.busy3/f2.bin fk/f2.bin &&
	[ "$(grep -c " 421'" cmds.busy3)" = 3 ] && [ "$(tail -1 cmds.busy3)" = "'#4 220'" ] &&
	pass "3 greetings refused with 421: asked again, the 4th connection carries both files" ||
	fail "421 greetings asked again" "rc $(cat rc.busy3): $(cat err.busy3) $(tr '\n' ' ' <cmds.busy3)"
busy_get busyall 1-
[ "$(cat rc.busyall)" = 3 ] && [ "$(grep -c " 421'" cmds.busyall)" -ge 7 ] && [ ! -e out.busyall/f1.bin ] &&
	grep -q "get f1.bin: the server refused or closed the connection (421: busy, or a limit of its own) (server: 421 Too many connections (fake).)" err.busyall &&
	! grep -q "timed out" err.busyall &&
	pass "421 to every greeting: 6 tries, then libcurl's, exit 3, the 421 named (not a timeout)" ||
	fail "persistent 421" "rc $(cat rc.busyall): $(cat err.busyall) $(tr '\n' ' ' <cmds.busyall)"
# The login itself refused with 421, --retry 1: retried once, then the same words.
rm -f fk/commands.log
fakeftpd_start busylogin "$T/fk" "raw:busy=all" || fail "fake server busy=all" "did not start"
timeout 60 "$NT" ftp --no-tls -P "$FAKEFTPD_PORT_busylogin" --retry 1 --progress none get 127.0.0.1:f1.bin -o busylogin.out \
	2>err.busylogin
rc=$?
[ $rc = 3 ] && [ "$(grep -c "^'#0 421'" fk/commands.log)" -ge 2 ] &&
	grep -q "login 127.0.0.1:$FAKEFTPD_PORT_busylogin: the server refused or closed the connection (421: busy.*retry 1 of 1" err.busylogin &&
	grep -q "^nettool ftp: 127.0.0.1:$FAKEFTPD_PORT_busylogin: the server refused or closed the connection (421: busy, or a limit of its own) (server: 421 Too many connections (fake).)" err.busylogin &&
	! grep -q "timed out" err.busylogin && pass "--retry after a 421 at login: the server's refusal named, not a timeout, exit 3" ||
	fail "421 at login" "rc $rc: $(cat err.busylogin) $(grep -c "^'#0 421'" fk/commands.log)"

# A server that floods: RETR answered by endless lines that are no reply, or data without end
# after the 150 announced the size. Each wake-up reads a bounded amount, so the other slot
# gets its files and the clock runs; past the bounds (ctl.h CTL_NOISE_MAX; twice the size plus
# 64 MiB) a protocol error, 5.
head -c 200000 /dev/urandom >fk/xendless.bin
printf 'q\n' >fk/xflood.bin
t0=$(date +%s)
fake_get flood "" "xflood.bin $six" 5
[ "$(cat rc.flood)" = 1 ] && same6 out.flood && [ $(($(date +%s) - t0)) -lt 30 ] &&
	grep -q "get xflood.bin: the server broke the protocol (more than 1000 lines that are no reply from " err.flood &&
	pass "RETR answered by a flood of noise lines: a protocol error, the other files done" ||
	fail "noise flood" "rc $(cat rc.flood) $(($(date +%s) - t0)) s: $(head -3 err.flood)"
fake_get floodonly "" "xflood.bin" 5
[ "$(cat rc.floodonly)" = 5 ] && pass "the flood alone: exit 5" || fail "flood alone" "rc $(cat rc.floodonly): $(head -3 err.floodonly)"
t0=$(date +%s)
fake_get endless "" "xendless.bin $six" 5
sz=$(stat -c %s out.endless/xendless.bin 2>/dev/null || echo 0)
[ "$(cat rc.endless)" = 1 ] && same6 out.endless && [ $(($(date +%s) - t0)) -lt 30 ] && [ "$sz" -lt 100000000 ] &&
	grep -q "get xendless.bin: the server broke the protocol (over [0-9]* bytes sent for a file announced as 200000)" err.endless &&
	pass "data without end after the announced size: stopped (a protocol error), the other files done" ||
	fail "endless data" "rc $(cat rc.endless) $(($(date +%s) - t0)) s, $sz bytes: $(head -3 err.endless)"
rm -rf out.endless out.flood fk/xendless.bin fk/xflood.bin

# Server names in messages: a C1 control (U+009B, an 8-bit CSI) never reaches the terminal (the
# name is refused as a local file name too, as ESC is);
# UTF-8 names whose continuation bytes are 0x80-0x9F (A-grave: C3 80) still download.
c1=$(printf 'c1\302\233x.bin'); ag=$(printf '\303\200\303\251\346\227\245.bin')
printf 'utf\n' >"fk/$ag"
fake_get c1 "" "f1.bin $c1 $ag"
[ "$(cat rc.c1)" = 1 ] && ! grep -q "$(printf '\302\233')" err.c1 && grep -q "get c1?x.bin: " err.c1 &&
	pass "a C1 control in a server's name: made safe in the message" || fail "C1 name" "$(cat -v err.c1)"
cmp -s "out.c1/$ag" "fk/$ag" && pass "a UTF-8 name with bytes 0x80-0x9F downloads" || fail "UTF-8 name" "$(ls out.c1)"

# A single file (get HOST:FILE) goes over the own connection too: SIZE before EPSV in one
# flush (libcurl's path sends EPSV, TYPE, SIZE, RETR: on main's binary every "own
# sequence" check below fails), and to standard output it is spliced (no copy through
# user space). What the user sees is libcurl's path's: the folder words, the exit codes,
# a short file's words (exit 3), a reader gone (write stdout, exit 6); those words and codes
# were the same on main (libcurl's path), so those parts pass there too: they guard that
# nothing changed.
head -c 30000000 /dev/urandom >fk/one.bin
: >fk/oneempty.bin
mkdir -p fk/onedir
fakeftpd_start one "$T/fk" "raw:" || fail "fake server" "did not start"
one() { # name args...: the single get's exit status in rc.NAME, stderr err.NAME, commands cmds.NAME
	local name=$1
	shift
	rm -f fk/commands.log
	timeout 60 "$NT" ftp --no-tls -P "$FAKEFTPD_PORT_one" --timeout 5 --progress none get "$@" 2>"err.$name"
	echo $? >"rc.$name"
	cp fk/commands.log "cmds.$name" 2>/dev/null
}
own_seq() { grep -A1 "^'SIZE $2'" "cmds.$1" | tail -1 | grep -q "^'EPSV'$" && grep -q "^'RETR $2'" "cmds.$1"; }
one pipe 127.0.0.1:one.bin -o - | cmp -s - fk/one.bin && echo ok >cmp.pipe
[ "$(cat rc.pipe)" = 0 ] && [ -f cmp.pipe ] && own_seq pipe one.bin && [ ! -s err.pipe ] &&
	pass "a single get to a pipe: whole, over the own connection (SIZE, EPSV, RETR)" ||
	fail "single get to a pipe" "rc $(cat rc.pipe): $(cat err.pipe) $(tr '\n' ' ' <cmds.pipe)"
one redir 127.0.0.1:one.bin -o - >one.out
[ "$(cat rc.redir)" = 0 ] && cmp -s one.out fk/one.bin && own_seq redir one.bin &&
	pass "a single get to a file through >: whole, over the own connection" ||
	fail "single get to a file (>)" "rc $(cat rc.redir): $(cat err.redir)"
rm -f one.out
one dash 127.0.0.1:one.bin -o one.out
[ "$(cat rc.dash)" = 0 ] && cmp -s one.out fk/one.bin && own_seq dash one.bin && [ -z "$(find . -maxdepth 1 -name '.one.out*')" ] &&
	pass "a single get to -o FILE: whole, over the own connection, no temporary left" ||
	fail "single get to -o FILE" "rc $(cat rc.dash): $(cat err.dash)"
rm -f one.out
# Standard output closed (>&-): the write fails (exit 6), on both paths; the data never
# went into a socket opened later under number 1 (libcurl's: exit 0, the data lost).
one closed 127.0.0.1:one.bin -o - >&-
one closedc --limit-rate 1G 127.0.0.1:one.bin -o - >&-
[ "$(cat rc.closed)" = 6 ] && grep -q "write stdout: Bad file descriptor" err.closed &&
	[ "$(cat rc.closedc)" = 6 ] && grep -q "write stdout: Bad file descriptor" err.closedc &&
	pass "a single get to a closed standard output: write error, exit 6 (own path and libcurl's)" ||
	fail "single get, stdout closed" "own: rc $(cat rc.closed): $(cat err.closed); libcurl's: rc $(cat rc.closedc): $(cat err.closedc)"
# An output opened with O_APPEND (>>): splice(2) refuses it, read and written instead.
printf 'before\n' >one.app
one app 127.0.0.1:one.bin -o - >>one.app
{ printf 'before\n'; cat fk/one.bin; } | cmp -s - one.app && [ "$(cat rc.app)" = 0 ] && own_seq app one.bin &&
	pass "a single get appended to a file (>>, O_APPEND): whole, after what was there" ||
	fail "single get with >>" "rc $(cat rc.app): $(cat err.app)"
rm -f one.app
# A terminal (script(1)'s pseudo-terminal): read and written, not spliced.
printf 'line %s\n' $(seq 1 2000) >fk/one.txt
if command -v script >/dev/null; then
	rm -f fk/commands.log
	timeout 60 script -qec "'$NT' ftp --no-tls -P $FAKEFTPD_PORT_one --timeout 5 -q get 127.0.0.1:one.txt -o -" one.tty >/dev/null 2>&1
	rc=$?
	[ $rc = 0 ] && tr -d '\r' <one.tty | grep -c '^line [0-9]*$' | grep -qx 2000 && grep -q "^'RETR one.txt'$" fk/commands.log &&
		pass "a single get to a terminal: read and written, whole" || fail "single get to a tty" "rc $rc: $(tail -c 300 one.tty)"
else
	skip "single get to a tty" "script(1) not installed"
fi
one null 127.0.0.1:one.bin -o /dev/null
[ "$(cat rc.null)" = 0 ] && own_seq null one.bin && pass "a single get to -o /dev/null (spliced)" ||
	fail "single get to /dev/null" "rc $(cat rc.null): $(cat err.null)"
one empty 127.0.0.1:oneempty.bin -o - >one.out
[ "$(cat rc.empty)" = 0 ] && [ -f one.out ] && [ ! -s one.out ] && own_seq empty oneempty.bin &&
	pass "a single empty file to standard output: nothing written, exit 0" ||
	fail "single empty file" "rc $(cat rc.empty): $(cat err.empty)"
one dir 127.0.0.1:onedir -o - >one.out
[ "$(cat rc.dir)" = 1 ] && grep -q "^nettool ftp: get onedir: it is a folder: get -r (or mirror) fetches a whole tree$" err.dir &&
	grep -q "^'RETR onedir'$" cmds.dir && pass "a single get of a folder: the folder's words, exit 1 (its RETR's 550 on the own path)" ||
	fail "single get of a folder" "rc $(cat rc.dir): $(cat err.dir) $(tr '\n' ' ' <cmds.dir)"
one miss 127.0.0.1:onemissing.bin -o - >one.out
[ "$(cat rc.miss)" = 1 ] && grep -q "^nettool ftp: get onemissing.bin: no such file or folder on the server (server: 550 " err.miss &&
	grep -q "^'RETR onemissing.bin'$" cmds.miss && pass "a single get of a missing file: no such file, exit 1" ||
	fail "single get of a missing file" "rc $(cat rc.miss): $(cat err.miss) $(tr '\n' ' ' <cmds.miss)"
# (short1.bin: the fake's 150 announces 14,000 bytes and sends half.)
one short 127.0.0.1:short1.bin -o - >one.out
[ "$(cat rc.short)" = 3 ] && grep -q "^nettool ftp: get short1.bin: the transfer ended before the announced size$" err.short &&
	own_seq short short1.bin && pass "a single file ending short, to standard output: libcurl's words, exit 3" ||
	fail "single short file" "rc $(cat rc.short): $(cat err.short)"
one shortf 127.0.0.1:short1.bin -o one.short
[ "$(cat rc.shortf)" = 3 ] && [ ! -e one.short ] && [ -z "$(find . -maxdepth 1 -name '.one.short*')" ] &&
	pass "a single file ending short, to -o FILE: exit 3, nothing in place" || fail "single short file to a file" "rc $(cat rc.shortf): $(cat err.shortf)"
# The reader of the pipe gone early: the write error (EPIPE, spliced) as libcurl's path says it.
one head 127.0.0.1:one.bin -o - | head -c 10 >/dev/null
[ "$(cat rc.head)" = 6 ] && grep -q "^nettool ftp: write stdout: Broken pipe$" err.head && own_seq head one.bin &&
	pass "the pipe's reader gone early: write stdout: Broken pipe, exit 6" || fail "reader gone" "rc $(cat rc.head): $(cat err.head)"
# Spliced, not read and written (no splice on main's binary: it fails there).
if command -v strace >/dev/null && strace -qq -o /dev/null true 2>/dev/null; then
	rm -f fk/commands.log
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=splice -o st.one \
		timeout 60 "$NT" ftp --no-tls -P "$FAKEFTPD_PORT_one" --timeout 5 -q get 127.0.0.1:one.bin -o - 2>err.spl | cmp -s - fk/one.bin
	rc=$?
	[ $rc = 0 ] && [ "$(grep -c 'splice([0-9]*, NULL, 1, NULL, ' st.one)" -ge 1 ] && ! grep -q 'EINVAL' st.one &&
		pass "to a pipe the data are spliced into standard output ($(grep -c 'splice(' st.one) splice calls)" ||
		fail "splice to stdout" "rc $rc: $(head -3 st.one) $(cat err.spl)"
else
	skip "splice to stdout" "strace cannot trace here"
fi
# A short file whose size only SIZE gave (pyftpdlib's 150 names none; sizelie: 1,000 more).
mkdir -p lie1 && head -c 5000 /dev/urandom >lie1/l.bin
if fakeftpd_start lie1 "$T/lie1" sizelie; then
	timeout 60 "$NT" ftp --no-tls -u anonymous -P "$FAKEFTPD_PORT_lie1" --timeout 5 -q get 127.0.0.1:l.bin -o - >lie1.out 2>err.lie1
	rc=$?
	[ $rc = 3 ] && grep -q "^nettool ftp: get l.bin: the transfer ended before the announced size$" err.lie1 &&
		pass "a single file ending short of its SIZE (the 150 names none): exit 3" || fail "sizelie single get" "rc $rc: $(cat err.lie1)"
else
	fail "fake server sizelie" "did not start"
fi
rm -f fk/one.bin one.out

# --retry of a single file to a stream (standard output, a device) that has the first bytes of
# a broken attempt: it cannot be rewound, the retry goes on from there (REST, libcurl's path),
# never the file's start twice (main wrote the broken half and then the whole file, exit 0:
# 300,000 bytes of 200,000; libcurl's path the same beyond its 256 KiB buffer). flaky: each
# file's first RETR is reset halfway, later ones are sent whole (from the REST).
mkdir -p fl && for i in 1 2 3 4; do head -c 200000 /dev/urandom >"fl/r$i.bin"; done && head -c 600000 /dev/urandom >fl/r5.bin &&
	head -c 300000 /dev/urandom >fl/r6.bin && head -c 300000 /dev/urandom >fl/r7.bin
if fakeftpd_start flaky "$T/fl" raw:flaky && fakeftpd_start norest "$T/fl" raw:flaky,norest; then
	rget() { # name port file args...: the get's exit status in rc.NAME, stderr err.NAME; stdout as is
		local name=$1 port=$2 f=$3
		shift 3
		timeout 60 "$NT" ftp -P "$port" --timeout 5 --progress none --retry 2 "$@" get "127.0.0.1:$f" 2>"err.$name"
		echo $? >"rc.$name"
	}
	rest_at() { grep -q "^'REST [1-9][0-9]*'$" fl/commands.log && grep -A1 "^'REST " fl/commands.log | grep -q "^'RETR $1'$"; }
	rget rpipe "$FAKEFTPD_PORT_flaky" r1.bin --no-tls -o - | cmp -s - fl/r1.bin && echo ok >cmp.rpipe
	[ "$(cat rc.rpipe)" = 0 ] && [ -f cmp.rpipe ] && rest_at r1.bin && grep -q "^nettool ftp: get r1.bin: .*: retry 1 of 2 in " err.rpipe &&
		pass "--retry of a single get to a pipe broken halfway: continued from its bytes (REST), the file exactly, exit 0" ||
		fail "retried get to a pipe" "rc $(cat rc.rpipe): $(cat err.rpipe)"
	rget rdev "$FAKEFTPD_PORT_flaky" r2.bin --no-tls -o /dev/stdout | cmp -s - fl/r2.bin && echo ok >cmp.rdev
	[ "$(cat rc.rdev)" = 0 ] && [ -f cmp.rdev ] &&
		pass "--retry of a single get to -o /dev/stdout (a device) broken halfway: the file exactly" ||
		fail "retried get to a device" "rc $(cat rc.rdev): $(cat err.rdev)"
	rget rcurl "$FAKEFTPD_PORT_flaky" r5.bin -o - | cmp -s - fl/r5.bin && echo ok >cmp.rcurl
	[ "$(cat rc.rcurl)" = 0 ] && [ -f cmp.rcurl ] && rest_at r5.bin &&
		pass "--retry to a pipe on libcurl's path (TLS when offered), 600,000 bytes: the file exactly" ||
		fail "retried get to a pipe, libcurl" "rc $(cat rc.rcurl): $(cat err.rcurl)"
	# A server that refuses REST: failed for good, standard output's share said, exit 1.
	rget rnorest "$FAKEFTPD_PORT_norest" r3.bin --no-tls -o - >r3.out
	[ "$(cat rc.rnorest)" = 1 ] && [ "$(wc -c <r3.out)" -le 100000 ] && head -c "$(wc -c <r3.out)" fl/r3.bin | cmp -s - r3.out &&
		grep -q "^nettool ftp: get r3.bin: the server refused REST (resume) (server: 502 REST not implemented.) (standard output has only the first [0-9]* bytes)$" err.rnorest &&
		pass "--retry to a pipe where the server refuses REST: exit 1, standard output's share named, nothing twice" ||
		fail "retried get, REST refused" "rc $(cat rc.rnorest), $(wc -c <r3.out) bytes: $(cat err.rnorest)"
	# -c from nothing (libcurl's path: the own path takes no -c): written in place, so a
	# broken attempt leaves what came. Without --retry the failure says the file is left
	# partial and a rerun with -c continues it (REST); with --retry the next attempt does.
	timeout 60 "$NT" ftp -P "$FAKEFTPD_PORT_flaky" --no-tls --timeout 5 --progress none -c get 127.0.0.1:r6.bin -o c6.bin 2>err.c6
	rc=$?
	n=$(stat -c %s c6.bin 2>/dev/null)
	[ $rc != 0 ] && [ "${n:-0}" -gt 0 ] && [ "$n" -lt 300000 ] && cmp -s -n "$n" c6.bin fl/r6.bin &&
		grep -q "^nettool ftp: get r6.bin: .*: c6.bin is left partial ($n bytes; -c continues it)$" err.c6 &&
		pass "get -c from nothing broken halfway: c6.bin left partial ($n bytes, a correct prefix), said (exit $rc)" ||
		fail "get -c broken halfway" "rc $rc, $n bytes: $(cat err.c6)"
	timeout 60 "$NT" ftp -P "$FAKEFTPD_PORT_flaky" --no-tls --timeout 5 --progress none -c get 127.0.0.1:r6.bin -o c6.bin 2>err.c6b
	rc=$?
	[ $rc = 0 ] && cmp -s c6.bin fl/r6.bin && grep -q "^'REST $n'$" fl/commands.log &&
		pass "the rerun with -c continues it (REST $n): the file exactly" || fail "get -c rerun after a break" "rc $rc: $(cat err.c6b)"
	rget c7 "$FAKEFTPD_PORT_flaky" r7.bin --no-tls -c -o c7.bin
	[ "$(cat rc.c7)" = 0 ] && cmp -s c7.bin fl/r7.bin && rest_at r7.bin && [ -z "$(find . -maxdepth 1 -name '.c7*')" ] &&
		pass "get -c --retry from nothing broken halfway: the retry continues the file in place (REST), exactly" ||
		fail "get -c --retry broken halfway" "rc $(cat rc.c7): $(cat err.c7)"
else
	fail "fake server flaky" "did not start"
fi

# A local write error (the file size limit: EFBIG, SIGXFSZ ignored) names the temporary being
# written, with the final name it was for; neither is left.
mkdir -p wf
(trap '' XFSZ; ulimit -f 64; exec timeout 30 "$NT" ftp "${O[@]}" get "$S:d/a/big.bin" -o wf/big.bin) 2>err.wf
rc=$?
[ $rc = 6 ] && grep -q "write wf/\.big\.bin\.[^ ]* (the temporary of wf/big\.bin): " err.wf && [ -z "$(ls -A wf)" ] &&
	pass "a write error names the temporary being written and the final name" || fail "write error's name" "rc $rc: $(head -3 err.wf)"

finish
