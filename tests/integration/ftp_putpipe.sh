#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_putpipe.sh - put of plain FTP on our own control connections (applets/ftp/putpipe.c):
# content, --atomic, a batch, an empty file and the own path taken, against vsftpd; the same
# messages and exit codes as libcurl's path (taken with --limit-rate); and the hostile
# server (fixtures/ftp_fake.py raw:): STOR answered 553 or 425 (the same words as on libcurl's path), the data connection reset
# mid-file, a 226 before the data were taken, RNTO refused, a data connection half-closed
# after 8 KiB and a 226 (libcurl's path, the default options: the SIZE of the temporary
# catches it): never a file under the final name with --atomic; a server without SIZE. A put
# failed mid-file (fake *midfail*) or stopped (SIGINT, --deadline) on a slow vsftpd (local_max_rate), on both paths: its data
# connection reset (the server holds less than was sent), the error says what is left;
# --resume after it, onto a larger file (refused), with another writer (the SIZE after
# the APPE); a rerun of a killed --atomic put's journal without --atomic (its temporary deleted).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

ftpd_script "ftp putpipe"
export NETTOOL_PASSWORD=$FTP_PASS HOME=$T/nohome
O=(--no-tls -u "$FTP_USER" -P "$P" -q)
cd "$T" || exit 1
# The command each STOR followed in its session, for the last N STORs: "EPSV" on the own
# path (TYPE I went at the login), "TYPE" on libcurl's (EPSV, TYPE I, STOR on each new
# connection). Distinct values, sorted.
before_stor() {
	awk -F'"' '/FTP command: Client/ { split($0, a, "pid "); pid = a[2] + 0; c = $4; sub(/ .*/, "", c)
		if (c == "STOR") print last[pid]; last[pid] = c }' "$LOG" | tail -n "$1" | sort -u | tr '\n' ' '
}

head -c 3000001 /dev/urandom >big.bin
timeout 60 "$NT" ftp "${O[@]}" put big.bin $S:big.bin 2>err1
rc=$?
[ $rc = 0 ] && cmp -s big.bin "$H/big.bin" && pass "put --no-tls: 3 MB, right content" || fail "put" "rc $rc: $(head -3 err1)"
[ "$(before_stor 1)" = "EPSV " ] && pass "the own path took it (STOR right after EPSV)" || fail "own path" "$(before_stor 1)"

timeout 60 "$NT" ftp "${O[@]}" --limit-rate 1G put big.bin $S:big2.bin 2>err2
rc=$?
[ $rc = 0 ] && cmp -s big.bin "$H/big2.bin" && [ "$(before_stor 1)" = "TYPE " ] &&
	pass "--limit-rate: libcurl's path (TYPE I right before STOR): the check above can fail" ||
	fail "libcurl's path" "rc $rc $(before_stor 1): $(head -3 err2)"

mkdir -p "$H/up"
s0=$(grep -c '"SIZE' "$LOG") n0=$(grep -c '"RNTO' "$LOG")
timeout 60 "$NT" ftp "${O[@]}" --atomic put big.bin $S:up/a.bin 2>err3
rc=$?
[ $rc = 0 ] && cmp -s big.bin "$H/up/a.bin" && [ -z "$(find "$H/up" -name '.*')" ] &&
	[ $(($(grep -c '"SIZE' "$LOG") - s0)) = 1 ] && [ $(($(grep -c '"RNTO' "$LOG") - n0)) = 1 ] &&
	pass "--atomic: into a folder, SIZE of the temporary, one RNTO, no temporary left" ||
	fail "--atomic" "rc $rc: $(head -3 err3); $(ls -a "$H/up")"

# --atomic on libcurl's path with the default options (TLS, --cacert): the temporary's SIZE
# asked after its STOR, then RNFR/RNTO: a whole file lands, no temporary left.
s0=$(grep -c '"SIZE \.tls\.bin\.nettool-' "$LOG")
timeout 60 "$NT" ftp --cacert "$CA" -u "$FTP_USER" -P "$P" -q --atomic put big.bin $S:up/tls.bin 2>err3t
rc=$?
[ $rc = 0 ] && cmp -s big.bin "$H/up/tls.bin" && [ -z "$(find "$H/up" -name '.*')" ] &&
	[ $(($(grep -c '"SIZE \.tls\.bin\.nettool-' "$LOG") - s0)) = 1 ] && grep -q '"RNTO tls.bin"' "$LOG" &&
	pass "--atomic over TLS (libcurl's path): SIZE of the temporary, renamed, no temporary left" ||
	fail "--atomic over TLS" "rc $rc: $(head -3 err3t); $(ls -a "$H/up"); $(grep -E '"(STOR|SIZE|RNFR|RNTO) .*tls' "$LOG" | tail -4)"

: >empty.bin
timeout 60 "$NT" ftp "${O[@]}" --atomic put empty.bin $S:up/empty.bin 2>err4
rc=$?
[ $rc = 0 ] && [ -f "$H/up/empty.bin" ] && [ ! -s "$H/up/empty.bin" ] && pass "an empty file" ||
	fail "empty file" "rc $rc: $(head -3 err4)"

mkdir -p tree/sub
for i in $(seq 1 40); do head -c $((i * 997)) /dev/urandom >"tree/f$i.bin"; printf '%d\n' "$i" >"tree/sub/g$i.txt"; done
timeout 60 "$NT" ftp "${O[@]}" --parallel 4 mirror --reverse tree $S:up/tree 2>err5
rc=$?
[ $rc = 0 ] && diff -r tree "$H/up/tree" >/dev/null && [ "$(before_stor 80)" = "EPSV " ] &&
	pass "mirror --reverse --parallel 4: 80 files in two folders, right content, all over own connections" ||
	fail "mirror --reverse" "rc $rc $(before_stor 80): $(head -3 err5)"

# A missing folder says the same on both paths.
for w in own curl; do
	extra=()
	[ $w = curl ] && extra=(--limit-rate 1G)
	timeout 60 "$NT" ftp "${O[@]}" "${extra[@]}" put big.bin $S:nofolder/x.bin 2>"errm.$w"
	echo $? >"rcm.$w"
done
[ "$(cat rcm.own)" = "$(cat rcm.curl)" ] && [ "$(cat rcm.own)" != 0 ] && cmp -s errm.own errm.curl &&
	grep -q "nofolder" errm.own && pass "a missing folder: the same message and exit code ($(cat rcm.own)) on both paths" ||
	fail "missing folder" "own $(cat rcm.own) $(cat errm.own) / libcurl $(cat rcm.curl) $(cat errm.curl)"

# The hostile server (fixtures/ftp_fake.py raw:).
if ! /usr/bin/python3 -c 'import pyftpdlib' 2>/dev/null; then
	skip "fake FTP server" "python3-pyftpdlib not installed"
	finish
fi
mkdir -p fk
head -c 2000000 /dev/urandom >src.bin
fake_put() { # name remote [flags...]: exit status in rc.NAME, stderr err.NAME
	local name=$1 remote=$2 port
	shift 2
	fakeftpd_start "$name" "$T/fk" "raw:" || { fail "fake server" "did not start"; return 1; }
	eval "port=\$FAKEFTPD_PORT_$name"
	timeout 60 "$NT" ftp --no-tls -q -P "$port" --timeout 5 "$@" put src.bin "127.0.0.1:$remote" 2>"err.$name"
	echo $? >"rc.$name"
}
fake_put ok ok.bin --atomic
[ "$(cat rc.ok)" = 0 ] && cmp -s src.bin fk/ok.bin && [ -z "$(find fk -name '.ok*')" ] &&
	pass "fake server: an --atomic put whole" || fail "fake put" "rc $(cat rc.ok): $(cat err.ok)"
for c in "s553 xrefuse.bin the server refused STOR/APPE (upload) (server: 553 " \
	"s425 xnodata.bin the server refused STOR/APPE (upload) (server: 425 " \
	"norename xnorename.bin the server refused the command (server: 553 " \
	"cut xcut.bin the connection broke while sending" \
	"early xearly.bin the size differs from the announced one (" ; do
	set -- $c
	name=$1 remote=$2
	shift 2
	msg="$*"
	fake_put "$name" "$remote" --atomic
	# (cut: the server's 426, when it comes before a send fails, is named instead. early:
	# "(65536 out of 2000000 bytes)" where all went out before the 226 (the server's SIZE
	# after it), "(N out of 2000000 bytes)" where the 226 came first: putpipe.c keeps little
	# unsent in our kernel (PUT_UNSENT), so N depends on timing.)
	said=0
	grep -qF "put src.bin: $msg" "err.$name" && said=1
	[ $name = cut ] && grep -qF "put src.bin: the transfer ended before the announced size (server: 426 " err.cut && said=1
	[ "$(cat rc.$name)" != 0 ] && [ $said = 1 ] && [ ! -e "fk/$remote" ] &&
		pass "--atomic, $name: failed ($(cat rc.$name)), nothing under the final name" ||
		fail "--atomic $name" "rc $(cat rc.$name): $(cat err.$name); $(ls -a fk)"
	# The refusals say the same on libcurl's path (taken with --limit-rate).
	case $name in s553 | s425 | norename)
		fake_put "c$name" "$remote" --atomic --limit-rate 1G
		[ "$(cat rc.c$name)" = "$(cat rc.$name)" ] && cmp -s "err.$name" "err.c$name" &&
			pass "$name: the same message and exit code on libcurl's path" ||
			fail "$name on libcurl's path" "rc $(cat rc.c$name): $(cat err.c$name)"
	esac
done
# --atomic, the connection broken mid-transfer: the temporary is deleted (DELE), as a failed
# copy's; where the DELE fails (here refused: *keep*), the error names the temporary left.
for w in own curl; do
	extra=()
	[ $w = curl ] && extra=(--limit-rate 1G)
	fake_put "tc$w" tcut.bin --atomic "${extra[@]}"
	[ "$(cat rc.tc$w)" != 0 ] && [ -z "$(find fk -name '.tcut*')" ] && ! grep -q "temporary" "err.tc$w" &&
		pass "--atomic put broken mid-transfer ($w): its temporary deleted" ||
		fail "--atomic cut temporary ($w)" "rc $(cat rc.tc$w): $(cat err.tc$w); $(ls -a fk | grep tcut)"
	fake_put "tk$w" tcutkeep.bin --atomic "${extra[@]}"
	left=$(cd fk && ls -A | grep '^\.tcutkeep')
	[ "$(cat rc.tk$w)" != 0 ] && [ -n "$left" ] && grep -qF "its temporary $left on 127.0.0.1:" "err.tk$w" &&
		pass "--atomic put broken, DELE refused ($w): the temporary left is named" ||
		fail "--atomic cut temporary named ($w)" "rc $(cat rc.tk$w): $(cat err.tk$w); $left"
	rm -f fk/.tcutkeep*
done
# --atomic with the default options (no --no-tls: the fake refuses AUTH TLS, the put goes
# on libcurl's path, TYPE I right before STOR): a destination that half-closes the data
# connection after 8 KiB and answers 226 (raw: *halfclose*; 200 KB: all of it in the
# sockets' buffers by then). The SIZE of the temporary, asked after the STOR, says 8 KiB:
# failed (3) in the own path's words, no rename, nothing under the final name, the
# temporary deleted (DELE).
head -c 200000 /dev/urandom >hc.bin
if fakeftpd_start hcput "$T/fk" "raw:"; then
	timeout 60 "$NT" ftp -q -P "$FAKEFTPD_PORT_hcput" --timeout 5 --atomic put hc.bin 127.0.0.1:yhalfclose.bin 2>err.hcput
	rc=$?
	cmds=$(grep -E "^'(TYPE|STOR|SIZE|RNFR|RNTO|DELE)" fk/commands.log | grep -A3 -B1 "^'STOR \.yhalfclose" | tr '\n' ' ')
	[ $rc = 3 ] && [ ! -e fk/yhalfclose.bin ] && [ -z "$(find fk -name '.yhalfclose*')" ] &&
		grep -qF "put hc.bin: the size differs from the announced one (8192 out of 200000 bytes)" err.hcput &&
		grep -qE "^'TYPE I' 'STOR \.yhalfclose[^ ]*' 'SIZE \.yhalfclose[^ ]*' 'DELE \.yhalfclose" <<<"$cmds" &&
		pass "--atomic, half-closing destination, libcurl's path: SIZE says 8 KiB, failed (3), no rename, temporary deleted" ||
		fail "--atomic half-closing destination (libcurl's path)" "rc $rc: $(cat err.hcput); $(ls -a fk | grep yhalf); $cmds"
	# The own path (--no-tls) says the same, exit code the same.
	timeout 60 "$NT" ftp -q --no-tls -P "$FAKEFTPD_PORT_hcput" --timeout 5 --atomic put hc.bin 127.0.0.1:yhalfclose.bin 2>err.hcown
	rc=$?
	[ $rc = 3 ] && cmp -s err.hcput err.hcown && [ ! -e fk/yhalfclose.bin ] && [ -z "$(find fk -name '.yhalfclose*')" ] &&
		pass "half-closing destination: the own path's words and exit code are libcurl's path's" ||
		fail "half-closing destination, own path" "rc $rc: $(cat err.hcown) / $(cat err.hcput)"
else
	fail "fake server" "did not start"
fi
# A server without SIZE (raw:nosize, 502): the rename goes on the 226 alone, as before.
if fakeftpd_start nosize "$T/fk" "raw:nosize"; then
	timeout 60 "$NT" ftp -q -P "$FAKEFTPD_PORT_nosize" --timeout 5 --atomic put hc.bin 127.0.0.1:ynosize.bin 2>err.nosize
	rc=$?
	[ $rc = 0 ] && cmp -s hc.bin fk/ynosize.bin && [ -z "$(find fk -name '.ynosize*')" ] &&
		grep -qE "^'SIZE \.ynosize" fk/commands.log &&
		pass "--atomic, a server without SIZE (502): renamed on the 226, the file whole" ||
		fail "--atomic without SIZE" "rc $rc: $(cat err.nosize); $(ls -a fk | grep ynosize)"
else
	fail "fake server" "did not start"
fi
# A server that has SIZE and answers 550 to it (raw:size550) after taking 8 KiB of the file
# (*halfclose*) and saying 226: nothing shows the file whole, so it is not put in place:
# failed (3), no RNTO, the temporary deleted, on both paths (only 500/502/504, a server
# without SIZE, lets the 226 alone decide).
if fakeftpd_start s550 "$T/fk" "raw:size550"; then
	for path in curl own; do
		o=()
		[ $path = own ] && o=(--no-tls)
		timeout 60 "$NT" ftp -q "${o[@]}" -P "$FAKEFTPD_PORT_s550" --timeout 5 --atomic put hc.bin 127.0.0.1:zhalfclose.bin 2>err.s550$path
		rc=$?
		[ $rc = 3 ] && [ ! -e fk/zhalfclose.bin ] && [ -z "$(find fk -name '.zhalfclose*')" ] &&
			grep -qF "would not tell the size of the file stored (550 Could not get file size.)" err.s550$path &&
			! grep -qE "^'RNTO zhalfclose" fk/commands.log &&
			pass "--atomic, 550 to the SIZE of a half-taken temporary ($path path): failed (3), not renamed, deleted" ||
			fail "--atomic, 550 to SIZE ($path path)" "rc $rc: $(cat err.s550$path); $(ls -a fk | grep zhalf)"
	done
else
	fail "fake server" "did not start"
fi

# In place (the default, as curl): a 226 while the file is still going out fails the put
# (30 MB: more than the sockets hold, so the 226 comes before the last byte went).
head -c 30000000 /dev/urandom >src.bin
fake_put early2 yearly.bin
[ "$(cat rc.early2)" != 0 ] && grep -qE "the size differs from the announced one|the connection broke while sending" err.early2 &&
	pass "in place: a 226 before the file went out fails the put" || fail "early 226 in place" "rc $(cat rc.early2): $(cat err.early2)"


# A flood of lines that are no reply to STOR: a protocol error (5), not a put that never ends.
# Ended by the bound on such lines (its words, exit 5), not by the time: a --deadline (20 s,
# exit 1 and its own words) or the 60 s timeout (124) would end a put the bound misses; the
# time is only reported (it took 16 s once on a loaded machine).
t0=$(date +%s)
fake_put sflood xflood.bin --deadline 20
[ "$(cat rc.sflood)" = 5 ] && ! grep -q 'deadline' err.sflood &&
	grep -q "put src.bin: the server broke the protocol (more than 1000 lines that are no reply from " err.sflood &&
	pass "STOR answered by a flood of noise lines: a protocol error, exit 5 ($(($(date +%s) - t0)) s)" ||
	fail "STOR flood" "rc $(cat rc.sflood) $(($(date +%s) - t0)) s: $(cat err.sflood)"
# A multi-line reply to STOR that never ends ("150-..." and middle lines, no "150 "): the
# same bound (ctl.c CTL_NOISE_MAX), the same protocol error, not --deadline's end.
t0=$(date +%s)
fake_put smlines xmlines.bin --deadline 20
[ "$(cat rc.smlines)" = 5 ] && ! grep -q 'deadline' err.smlines &&
	grep -q "put src.bin: the server broke the protocol (a reply of more than 1000 lines from " err.smlines &&
	pass "STOR answered by a multi-line reply that never ends: a protocol error, exit 5 ($(($(date +%s) - t0)) s)" ||
	fail "STOR endless multi-line reply" "rc $(cat rc.smlines) $(($(date +%s) - t0)) s: $(cat err.smlines)"
# A greeting that trickles noise (every connection but the first): --timeout from the start
# of the wait, never restarted by a line of noise.
fakeftpd_start trickle "$T/fk" "raw:tricklegreet2" || fail "fake server tricklegreet2" "did not start"
head -c 100000 /dev/urandom >src2.bin
t0=$(date +%s)
printf 'src2.bin\n' >tricklelist
timeout 60 "$NT" ftp --no-tls -q -P "$FAKEFTPD_PORT_trickle" --timeout 1 put --from-file tricklelist 127.0.0.1:/ 2>err.trickle
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] && [ $(($(date +%s) - t0)) -lt 20 ] &&
	pass "a greeting trickling noise: the login times out (rc $rc, $(($(date +%s) - t0)) s)" ||
	fail "trickled greeting" "rc $rc $(($(date +%s) - t0)) s: $(cat err.trickle)"
# Files that are not regular: refused (a FIFO's open would wait for a writer for ever).
mkfifo fifo1
timeout 20 "$NT" ftp --no-tls -q -P "$FAKEFTPD_PORT_trickle" put fifo1 127.0.0.1:/ 2>err.fifo
rc=$?
[ $rc = 2 ] && grep -q "put fifo1: not a regular file" err.fifo && pass "put FIFO: refused, exit 2" ||
	fail "put FIFO" "rc $rc: $(cat err.fifo)"
fakeftpd_start fifo "$T/fk" "raw:" || fail "fake server" "did not start"
head -c 100000 /dev/urandom >small.bin
printf 'fifo1\nsmall.bin\n' >fifolist
timeout 20 "$NT" ftp --no-tls -q -P "$FAKEFTPD_PORT_fifo" put --from-file fifolist 127.0.0.1:/ 2>err.fifol
rc=$?
[ $rc = 1 ] && grep -q "fifo1: not a regular file" err.fifol && cmp -s small.bin fk/small.bin &&
	pass "a FIFO in a --from-file list: that item fails, the other is sent" || fail "FIFO in a list" "rc $rc: $(cat err.fifol)"

# SIGINT during an --atomic put on the own connection (the fake reads a *slow* name 16 KiB
# every 3 ms: 40 MB take 7 s): the transfer ended, its temporary deleted, ended by SIGINT
# (130). A background job of a script ignores SIGINT: the wrapper gives it back.
fakeftpd_start sigint "$T/fk" "raw:" || fail "fake server" "did not start"
head -c 40000000 /dev/zero >sigslow.bin
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
	"$NT" ftp --no-tls -P "$FAKEFTPD_PORT_sigint" --timeout 5 put --atomic sigslow.bin 127.0.0.1:/ 2>err.sigint &
pid=$!
for _ in $(seq 100); do [ -n "$(find fk -name '.sigslow*')" ] && break; sleep 0.1; done
sleep 0.3
seen=$(find fk -name '.sigslow*')
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] && [ -n "$seen" ] && [ -z "$(find fk -name '*sigslow*')" ] && grep -q "interrupted (SIGINT)" err.sigint &&
	pass "SIGINT during an --atomic put on the own connection: its temporary deleted, exit 130" ||
	fail "own put, SIGINT" "rc $rc, had '$seen', now '$(find fk -name '*sigslow*')': $(cat err.sigint)"

# A server that stops answering (the fake stopped, SIGSTOP) while the put is stopped: the
# DELE cannot be answered; the clean-up ends after at most 5 s (not --timeout's 30), by
# SIGINT; a second SIGINT ends the process at once.
for second in no yes; do
	find fk -name '*sigslow*' -delete
	fakeftpd_start sighang$second "$T/fk" "raw:" || fail "fake server" "did not start"
	eval "port=\$FAKEFTPD_PORT_sighang$second fpid=\$FAKEFTPD_PID_sighang$second"
	python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
		"$NT" ftp --no-tls -P "$port" --timeout 30 put --atomic sigslow.bin 127.0.0.1:/ 2>err.sighang &
	pid=$!
	for _ in $(seq 100); do [ -n "$(find fk -name '.sigslow*')" ] && break; sleep 0.1; done
	kill -STOP $fpid
	t0=$(date +%s%N)
	kill -INT $pid
	[ $second = yes ] && sleep 1 && kill -INT $pid
	wait $pid
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	kill -CONT $fpid
	if [ $second = no ]; then
		[ $rc = 130 ] && [ $ms -ge 4000 ] && [ $ms -lt 9000 ] && grep -q "stopped: the clean-up did not end within 5 s of the signal" err.sighang &&
			pass "SIGINT, the server stopped: the clean-up given up after 5 s ($ms ms), exit 130" ||
			fail "SIGINT, server stopped" "rc $rc, $ms ms: $(cat err.sighang)"
	else
		[ $rc = 130 ] && [ $ms -lt 3000 ] && pass "a second SIGINT during the clean-up: the end at once ($ms ms), exit 130" ||
			fail "second SIGINT" "rc $rc, $ms ms: $(cat err.sighang)"
	fi
	find fk -name '*sigslow*' -delete
done
# libcurl's path waits for the STOR's 226 inside its transfer's end, where the run cannot
# look at the signal: a server that sends the 226 30 s after the data (*late226*); SIGINT
# once the file is there: libcurl asks the put's progress callback between its polls, and
# the put is handed to the stop, which says what it leaves, within the 5 s bound (it was
# --timeout's 20 s and more without a word, then the bound's 5 s saying only that).
head -c 60000 /dev/urandom >l226.bin
fakeftpd_start l226 "$T/fk" "raw:" || fail "fake server" "did not start"
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
	"$NT" ftp -q -P "$FAKEFTPD_PORT_l226" --timeout 20 put l226.bin 127.0.0.1:xlate226.bin 2>err.l226 &
pid=$!
for _ in $(seq 100); do [ "$(stat -c %s fk/xlate226.bin 2>/dev/null || echo 0)" = 60000 ] && break; sleep 0.1; done
sleep 0.3
t0=$(date +%s%N)
kill -INT $pid
wait $pid
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc = 130 ] && [ $ms -lt 4800 ] && ! grep -q "clean-up did not end" err.l226 &&
	grep -q "^nettool ftp: put l226.bin: interrupted (SIGINT): xlate226.bin on 127.0.0.1:$FAKEFTPD_PORT_l226 " err.l226 &&
	pass "SIGINT while libcurl waits for the 226: the stop says what it leaves, within the bound ($ms ms), exit 130" ||
	fail "SIGINT while libcurl waits for the 226" "rc $rc, $ms ms: $(cat err.l226)"

# A put stopped on a slow server (vsftpd, local_max_rate 1 MB/s: its kernel holds seconds
# of the file in the socket buffers): the data connection is reset, so the server stops
# writing when nettool exits (it went on for seconds, and a --resume run at once appended
# to a file still growing); the error says what is left under the final name. --deadline:
# the server holds less than was sent (what it had not read was dropped).
sigint_wrap() { exec python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' "$@"; }
# the size of $1 once it has not changed for 0.5 s (at most 10 s), and whether it changed
# after $2's first look
settled() {
	local a b i
	a=$(stat -c %s "$1" 2>/dev/null || echo 0)
	for i in $(seq 20); do
		sleep 0.5
		b=$(stat -c %s "$1" 2>/dev/null || echo 0)
		[ "$a" = "$b" ] && break
		a=$b
	done
	echo "$b"
}
# A put that fails mid-file (fake *midfail*: a 451 while it still reads and stores the
# data): the data connection reset, what had not been delivered dropped: the server stores
# less than was sent (--json bytes); closed, it all went in after the failure.
if mkdir -p fk && fakeftpd_start midfail "$T/fk" "raw:"; then
	head -c 8000000 /dev/zero >midfail.bin
	timeout 30 "$NT" ftp --no-tls -q --json -P "$FAKEFTPD_PORT_midfail" put midfail.bin 127.0.0.1:/ >mf.json 2>err.mf
	rc=$?
	sent=$(sed -n 's/.*"bytes":\([0-9]*\).*/\1/p' mf.json)
	got=$(settled fk/midfail.bin)
	[ $rc = 3 ] && grep -q "451 Requested action aborted" err.mf && [ -n "$sent" ] && [ "$got" -lt "$sent" ] &&
		pass "a put failed mid-file (451): its data connection reset, the server stored $got of $sent bytes sent" ||
		fail "put failed mid-file" "rc $rc, $got of '$sent' bytes: $(cat err.mf mf.json)"
else
	fail "fake server midfail" "did not start"
fi
if ftpd_start R local_max_rate=1000000; then
	RP=$FTPD_PORT_R RH=$FTPD_HOME_R
	OR=(--no-tls -u "$FTP_USER" -P "$RP" -q)
	head -c 6000000 /dev/urandom >r.bin
	head -c 3000000 r.bin >r3.bin
	for path in own curl; do
		extra=()
		[ $path = curl ] && extra=(--limit-rate 1G)
		rm -f "$RH/r-$path.bin"
		sigint_wrap "$NT" ftp "${OR[@]}" "${extra[@]}" put r.bin $S:r-$path.bin 2>err.rint &
		pid=$!
		for _ in $(seq 100); do [ "$(stat -c %s "$RH/r-$path.bin" 2>/dev/null || echo 0)" -gt 1200000 ] && break; sleep 0.1; done
		kill -INT $pid
		wait $pid
		rc=$?
		words="left partial ([0-9]* bytes sent" # own: what went out; libcurl's: what the server holds once settled
		[ $path = curl ] && words="left partial: [0-9]* bytes on the server"
		[ $rc = 130 ] && grep -q "interrupted (SIGINT): r-$path.bin on 127.0.0.1:$RP is $words" err.rint &&
			pass "put ($path path) stopped by SIGINT on a slow server: the error says the file is left partial" ||
			fail "put ($path) SIGINT, slow server" "rc $rc: $(cat err.rint)"
		# At once, as a user would: the right content (libcurl's path waits until the
		# SIZE settles: always), or exit 3 on ours: the server may still write what it
		# had read (the ABOR's reply is awaited 1 s, and a rate-limited vsftpd took
		# longer once in three local runs), which the SIZE after the APPE catches: never
		# a damaged file and exit 0.
		timeout 60 "$NT" ftp "${OR[@]}" --resume put r.bin $S:r-$path.bin 2>err.rres
		rc=$?
		later=$(settled "$RH/r-$path.bin")
		{ { [ $rc = 0 ] && cmp -s r.bin "$RH/r-$path.bin"; } ||
			{ [ $path = own ] && [ $rc = 3 ] && grep -q "r-$path.bin on 127.0.0.1:$RP has $later bytes, not the 6000000 of the local file: it is damaged" err.rres; }; } &&
			pass "--resume right after it ($path): the right content (or exit 3, on the own path only): rc $rc" ||
			fail "--resume after SIGINT ($path)" "rc $rc, $later bytes: $(cat err.rres)"
	done
	# --deadline in place: the same words
	rm -f "$RH/dl.bin"
	timeout 60 "$NT" ftp "${OR[@]}" --deadline 1 put r.bin $S:dl.bin 2>err.rdl
	rc=$?
	later=$(settled "$RH/dl.bin")
	sent=$(sed -n 's/.* is left partial (\([0-9]*\) bytes sent.*/\1/p' err.rdl)
	[ $rc = 1 ] && grep -q "deadline reached: dl.bin on 127.0.0.1:$RP is left partial" err.rdl &&
		[ -n "$sent" ] && [ "$later" -lt "$sent" ] &&
		pass "put stopped by --deadline: the error says the file is left partial ($sent bytes sent; $later there)" ||
		fail "put --deadline, slow server" "rc $rc, $later there: $(cat err.rdl)"

	# libcurl's path (--limit-rate) stopped by SIGTERM, by --deadline, and two files at once
	# (--parallel 2): libcurl's reset does not empty the server's socket buffers, which a
	# slow server went on writing for a second after nettool had exited (a put -c at once
	# then appended at the wrong offset: a damaged file, exit 3). The stop waits until
	# the SIZE no longer moves: after the exit the file does not grow, it holds what the
	# message says, and a put -c at once gives the whole file.
	for how in term deadline par deadc; do
		names=(c-$how.bin)
		[ $how = par ] && names=(c-par1.bin c-par2.bin)
		for n in "${names[@]}"; do rm -f "$RH/$n"; done
		t0=$(date +%s%N)
		case $how in
		term)
			"$NT" ftp "${OR[@]}" --limit-rate 1G put r.bin $S:c-term.bin 2>err.c$how &
			pid=$!
			for _ in $(seq 100); do [ "$(stat -c %s "$RH/c-term.bin" 2>/dev/null || echo 0)" -gt 1200000 ] && break; sleep 0.1; done
			kill -TERM $pid
			t0=$(date +%s%N)
			wait $pid
			rc=$? want=143 ;;
		deadline | deadc)
			timeout 60 "$NT" ftp "${OR[@]}" --limit-rate 1G --deadline 2 put r.bin $S:c-$how.bin 2>err.c$how
			rc=$? want=1 ;;
		par)
			cp r.bin c-par1.bin && cp r.bin c-par2.bin
			timeout 60 "$NT" ftp "${OR[@]}" --limit-rate 1G --parallel 2 --deadline 2 put c-par1.bin c-par2.bin $S: 2>err.c$how
			rc=$? want=1 ;;
		esac
		ms=$((($(date +%s%N) - t0) / 1000000))
		if [ $how = deadc ]; then # a put -c at once: the whole file
			timeout 60 "$NT" ftp "${OR[@]}" --resume put r.bin $S:c-deadc.bin 2>err.cres
			rc=$?
			[ $rc = 0 ] && cmp -s r.bin "$RH/c-deadc.bin" &&
				pass "put -c right after a put stopped by --deadline (libcurl's path): the whole file" ||
				fail "put -c right after a stopped put" "rc $rc, $(stat -c %s "$RH/c-deadc.bin") bytes: $(cat err.cdeadc err.cres)"
			continue
		fi
		for n in "${names[@]}"; do
			now=$(stat -c %s "$RH/$n" 2>/dev/null || echo 0)
			later=$(settled "$RH/$n")
			said=$(sed -n "s/.*: $n on 127.0.0.1:$RP is left partial: \([0-9]*\) bytes on the server (.*/\1/p" err.c$how)
			[ $rc = $want ] && [ "$now" = "$later" ] && [ "$said" = "$later" ] && [ $ms -lt 5500 ] &&
				pass "put (libcurl's path, $how) stopped on a slow server: waits for it ($ms ms), the file then holds what is said ($said bytes)" ||
				fail "put (libcurl's path, $how) stopped, slow server" "rc $rc, $ms ms, $now at exit, $later later, '$said' said: $(cat err.c$how)"
		done
	done
	# A SIGTERM while libcurl waits for the 226 of a put whose data are all out (1.2 MB:
	# in the sockets' buffers at once, the server writing it at 1 MB/s): that wait is
	# inside libcurl; the stop hung to the 5 s bound and said nothing of the file ("the
	# clean-up did not end"), or exited 143 silent (a review). Now the put is handed to
	# the stop, which waits for the server and says what it holds.
	head -c 1200000 r.bin >r12.bin
	rm -f "$RH/c-226.bin"
	"$NT" ftp "${OR[@]}" --limit-rate 1G put r12.bin $S:c-226.bin 2>err.c226 &
	pid=$!
	for _ in $(seq 100); do [ "$(stat -c %s "$RH/c-226.bin" 2>/dev/null || echo 0)" -gt 300000 ] && break; sleep 0.05; done
	kill -TERM $pid
	t0=$(date +%s%N)
	wait $pid
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	later=$(settled "$RH/c-226.bin")
	[ $rc = 143 ] && [ $ms -lt 4500 ] && ! grep -q 'clean-up did not end' err.c226 &&
		grep -Eq "c-226.bin on 127.0.0.1:$RP (holds all 1200000 bytes sent|is left partial: [0-9]+ bytes on the server|is left partial \(.*may still be writing)" err.c226 &&
		[ "$later" = 1200000 ] && cmp -s r12.bin "$RH/c-226.bin" &&
		pass "put (libcurl's path) stopped in its wait for the 226: ended in $ms ms, the file said, whole on the server" ||
		fail "put stopped in the 226 wait" "rc $rc, $ms ms, $later bytes later: $(cat err.c226)"

	# --atomic on libcurl's path stopped: its temporary deleted while the server may still
	# write it (unlinked: harmless); nothing under either name afterwards
	timeout 60 "$NT" ftp "${OR[@]}" --limit-rate 1G --atomic --deadline 2 put r.bin $S:c-at.bin 2>err.cat
	rc=$?
	sleep 1.5
	left=$(ls -A "$RH" | grep 'c-at\.bin')
	[ $rc = 1 ] && [ -z "$left" ] &&
		pass "put --atomic (libcurl's path) stopped on a slow server: its temporary deleted, nothing left later" ||
		fail "put --atomic stopped, slow server" "rc $rc, left '$left': $(cat err.cat)"

	# --resume onto a larger file of other data: refused, nothing sent, exit 1
	head -c 4096 /dev/urandom >r4k.bin
	head -c 8192 /dev/urandom >"$RH/big8k.bin"
	cp "$RH/big8k.bin" big8k.was
	timeout 30 "$NT" ftp "${OR[@]}" --resume put r4k.bin $S:big8k.bin 2>err.rbig
	rc=$?
	[ $rc = 1 ] && cmp -s big8k.was "$RH/big8k.bin" && grep -q "big8k.bin on 127.0.0.1:$RP holds 8192 bytes, more than the local file's 4096" err.rbig &&
		pass "--resume onto a larger remote file: refused, both sizes said, exit 1" ||
		fail "--resume onto a larger file" "rc $rc: $(cat err.rbig)"

	# --resume while another writer writes past the end of the file (a session still
	# writing): the SIZE after the APPE is not the local size: exit 3, the --atomic
	# check's words
	head -c 1000000 r.bin >"$RH/r-mix.bin"
	timeout 60 "$NT" ftp "${OR[@]}" --resume put r3.bin $S:r-mix.bin 2>err.rmix &
	pid=$!
	for _ in $(seq 100); do [ "$(stat -c %s "$RH/r-mix.bin")" -gt 1100000 ] && break; sleep 0.1; done
	printf x | dd of="$RH/r-mix.bin" bs=1 seek=3500000 conv=notrunc 2>/dev/null
	wait $pid
	rc=$?
	[ $rc = 3 ] && grep -q "r-mix.bin on 127.0.0.1:$RP has 3500001 bytes, not the 3000000 of the local file: it is damaged (another writer, or an upload still being written?); delete it and put again" err.rmix &&
		pass "--resume: the SIZE after the APPE is checked: another writer's bytes fail it (exit 3), said as damage" ||
		fail "--resume, SIZE after the APPE" "rc $rc, $(stat -c %s "$RH/r-mix.bin") bytes: $(cat err.rmix)"

	# A killed put --atomic --journal leaves its temporary; a rerun of the journal
	# without --atomic deletes it (the journal holds its tag).
	rm -f jk
	"$NT" ftp "${OR[@]}" --journal jk --atomic put r3.bin $S:kk.bin 2>err.kk1 &
	pid=$!
	for _ in $(seq 100); do [ -n "$(ls -A "$RH" | grep '^\.kk\.bin\.nettool-')" ] && break; sleep 0.1; done
	kill -KILL $pid
	wait $pid 2>/dev/null
	had=$(ls -A "$RH" | grep '^\.kk\.bin\.nettool-')
	timeout 60 "$NT" ftp "${OR[@]}" --journal jk put r3.bin $S:kk.bin 2>err.kk2
	rc=$?
	left=$(ls -A "$RH" | grep '^\.kk\.bin')
	[ $rc = 0 ] && [ -n "$had" ] && [ -z "$left" ] && cmp -s r3.bin "$RH/kk.bin" &&
		pass "a rerun of the journal of a killed put --atomic, without --atomic: the temporary deleted" ||
		fail "killed --atomic put, rerun without" "rc $rc, had '$had', left '$left': $(cat err.kk2)"
else
	fail "vsftpd with local_max_rate" "did not start"
fi

finish
