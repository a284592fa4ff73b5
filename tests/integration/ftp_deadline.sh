#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_deadline.sh - --deadline's bound and its words (applets/ftp/engine.c, core/stopsig.c):
# a put on libcurl's path whose 226 comes late (fixtures/ftp_fake.py raw: *late226*) ends at
# the deadline, not at the 226; a run whose every item was done by its end says no
# "deadline reached" and exits 0 (the own path's RNTO answered 0.5 s late, raw:rntofail
# *slow*, nettool stopped across the deadline); the files a stopped batch never began are
# counted "not started" (a list's: "N and the rest of the list"), none said to be "left
# empty"; a get to standard output whose reader stopped reading ends at the deadline, on
# both paths, saying the output is partial and how many bytes it has; a deadline that
# passes during a slow login (raw:greethold) is said for an item alone, and a batch's
# summary gives the command's time; put - from a producer that stalls ends at the
# deadline, and at SIGTERM with its --atomic temporary deleted; SIGTERM cuts a write to a
# reader that stopped as the deadline does; -o FIFO without a reader: the deadline's stop.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

ftpd_script "ftp deadline"
export NETTOOL_PASSWORD=$FTP_PASS HOME=$T/nohome
cd "$T" || exit 1
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# --- libcurl's path waits for a 226 inside its transfer's end: bounded by the deadline ---
mkdir fk
head -c 60000 /dev/urandom >a.bin
cp a.bin b.bin && cp a.bin xlate226.bin
fakeftpd_start l226 "$T/fk" "raw:" || fail "fake server" "did not start"
t0=$(date +%s%N)
timeout 60 "$NT" ftp -P "$FAKEFTPD_PORT_l226" --timeout 10 --parallel 1 --deadline 2 put a.bin b.bin xlate226.bin 127.0.0.1:/ 2>err.l226
rc=$?
ms=$(ms_since "$t0")
[ $rc = 1 ] && [ "$ms" -lt 3000 ] && grep -q '2 done, 1 failed, 0 skipped; deadline reached' err.l226 &&
	grep -q '^nettool ftp: put xlate226.bin: deadline reached' err.l226 &&
	pass "a 226 that comes 30 s late: the put ended at the deadline ($ms ms for --deadline 2), exit 1" ||
	fail "late 226 past the deadline" "rc $rc, $ms ms: $(cat err.l226)"

# --- every item done by the run's end: no "deadline reached", exit 0 ---
# The own path's --atomic put: its RNTO answered 0.5 s late; nettool stopped (SIGSTOP) once
# the RNTO went, and let go after the deadline, when the 250 waits for it.
mkdir fk2
head -c 5000 /dev/urandom >slowdone.bin
fakeftpd_start rn "$T/fk2" "raw:rntofail" || fail "fake server" "did not start"
"$NT" ftp --no-tls -P "$FAKEFTPD_PORT_rn" --deadline 1.5 --atomic put slowdone.bin 127.0.0.1:/ 2>err.rn &
pid=$!
for _ in $(seq 200); do grep -q '^.RNTO' fk2/commands.log 2>/dev/null && break; sleep 0.01; done
kill -STOP $pid
sleep 2.2
kill -CONT $pid
wait $pid
rc=$?
[ $rc = 0 ] && cmp -s slowdone.bin fk2/slowdone.bin && ! grep -q 'deadline' err.rn &&
	pass "the put done, its last reply read after the deadline: exit 0, no 'deadline reached'" ||
	fail "all done after the deadline" "rc $rc: $(cat err.rn; ls fk2)"

# --- a batch stopped by the deadline: the files never begun are "not started" ---
# A deadline that comes during the logins. How far a run gets in 20 ms is the machine's (a
# reused login on a quiet machine has put one or two small files in that time): what is
# checked is that every word is true. dl_said ERR DIR TOTAL: the summary adds up (done +
# failed = TOTAL; TOTAL 0: a list, not counted), each file said "not started" is not on
# the server, each said to be left (empty, partial) is, and each file there is whole or
# said to be left.
dl_said() {
	local err=$1 dir=$2 total=$3 d f x bad=
	x=$(sed -n 's/^nettool ftp: \([0-9]*\) done, \([0-9]*\) failed (.*not started), 0 skipped; deadline reached.*/\1 \2/p' "$err")
	[ -n "$x" ] || return 1
	read -r d f <<<"$x"
	[ "$total" = 0 ] || [ $((d + f)) = "$total" ] || return 1
	while read -r x; do [ -e "$dir/$x" ] && bad="$bad $x"; done < <(
		sed -n 's/^nettool ftp: put \([^:]*\): deadline reached: not started.*/\1/p' "$err")
	while read -r x; do [ -e "$dir/$x" ] || bad="$bad $x"; done < <(
		sed -n 's/^nettool ftp: put \([^:]*\): deadline reached: .* left \(empty\|partial\).*/\1/p' "$err")
	for x in $(ls "$dir"); do
		cmp -s "$x" "$dir/$x" || grep -q "^nettool ftp: put $x: deadline reached: .* left " "$err" || bad="$bad $x"
	done
	[ "$(ls "$dir" | wc -l)" -ge "$d" ] && [ -z "$bad" ]
}
for i in 1 2 3 4; do echo "$i" >q$i.txt; done
for path in own curl; do
	[ $path = own ] && tls=(--no-tls) || tls=(--cacert "$CA")
	mkdir -p "$H/q-$path"
	timeout 60 "$NT" ftp "${tls[@]}" -u "$FTP_USER" -P "$P" --parallel 4 --deadline 0.02 put q1.txt q2.txt q3.txt q4.txt $S:q-$path/ 2>err.q$path
	rc=$?
	[ $rc = 1 ] && dl_said err.q$path "$H/q-$path" 4 &&
		pass "$path path: --deadline during the logins: the summary adds up, \"not started\" and \"left\" true of the server" ||
		fail "$path path: deadline during the logins" "rc $rc: $(cat err.q$path; ls "$H/q-$path")"
done
# The same over a --from-file list (not read further): the ones taken and the rest of the
# list, in the man page's words
for i in 5 6 7 8; do echo "$i" >q$i.txt; done
printf 'q%s.txt\n' 1 2 3 4 5 6 7 8 >q.list
for path in own curl; do
	[ $path = own ] && tls=(--no-tls) || tls=(--cacert "$CA")
	mkdir -p "$H/ql-$path"
	timeout 60 "$NT" ftp "${tls[@]}" -u "$FTP_USER" -P "$P" --parallel 2 --deadline 0.02 put --from-file q.list $S:ql-$path/ 2>err.ql$path
	rc=$?
	[ $rc = 1 ] && grep -q 'failed ([0-9]* and the rest of the list not started), 0 skipped; deadline reached' err.ql$path &&
		dl_said err.ql$path "$H/ql-$path" 0 &&
		pass "$path path: --deadline during the logins, put --from-file: \"(N and the rest of the list not started)\"" ||
		fail "$path path: deadline during the logins, a list" "rc $rc: $(cat err.ql$path; ls "$H/ql-$path")"
done
# Many small files on both paths: at the deadline a slot has often just taken its next file.
mkdir up
for i in $(seq 1 3000); do echo "$i" >up/f$i.txt; done
for path in own curl; do
	mkdir -p "$H/b-$path"
	[ $path = own ] && tls=(--no-tls) dl=0.5 || tls=(--cacert "$CA") dl=1
	l0=$(wc -l <"$LOG")
	timeout 60 "$NT" ftp "${tls[@]}" -u "$FTP_USER" -P "$P" --parallel 4 --deadline $dl put up/f*.txt $S:b-$path/ 2>err.b$path
	rc=$?
	sleep 0.5 # (the server's sessions log their last commands)
	tail -n +$((l0 + 1)) "$LOG" | grep -o '"STOR [^"]*"' >stor.$path
	# said "may be left empty": its STOR reached the server (else it was never begun)
	bad=
	while read -r f; do [ -e "$H/b-$path/$f" ] || grep -q "^\"STOR $f\"\$" stor.$path || bad="$bad $f"; done < <(
		sed -n 's/^nettool ftp: put up\/\([^:]*\): deadline reached: .*may be left empty.*/\1/p' err.b$path)
	n=$(ls "$H/b-$path" | wc -l)
	[ $rc = 1 ] && [ -z "$bad" ] && [ "$n" -lt 3000 ] &&
		grep -q "[0-9]* done, [0-9]* failed ([0-9]* not started), 0 skipped; deadline reached" err.b$path &&
		pass "$path path: a batch stopped by the deadline ($n of 3000 put): no file never created said to be left empty, the rest not started" ||
		fail "$path path: not started" "rc $rc, $n put, said left empty, never sent a STOR:$bad; $(tail -1 err.b$path)"
done

# --- a get to standard output whose reader stops reading: ended at the deadline ---
head -c 50000000 /dev/zero >"$H/big.bin"
for path in own curl; do
	[ $path = own ] && tls=(--no-tls) || tls=(--cacert "$CA")
	t0=$(date +%s%N)
	# the reader reads what the pipe holds once nettool has ended: the count said is what it got
	{ timeout 60 "$NT" ftp "${tls[@]}" -u "$FTP_USER" -P "$P" --deadline 2 get $S:big.bin -o - 2>err.g$path
	  echo "$? $(ms_since "$t0")" >res.g$path; } | { sleep 5; cat >out.g$path; }
	read -r rc ms <res.g$path
	got=$(wc -c <out.g$path)
	[ "$rc" = 1 ] && [ "$ms" -lt 3500 ] && [ "$got" -gt 0 ] &&
		grep -q "deadline reached (standard output is left partial: it has the first $got bytes)" err.g$path &&
		pass "$path path: get -o - to a reader that stopped: ended at the deadline ($ms ms for --deadline 2), exit 1, output said partial with its count ($got bytes)" ||
		fail "$path path: get -o - blocked" "rc $rc, $ms ms, the reader got $got bytes: $(cat err.g$path)"
done

# --- a deadline that passes during a slow login (raw:greethold, the 220 after 3 s) ---
# An item alone says it was stopped (no summary would); a batch's summary gives the
# command's time, counted from where the deadline counts.
mkdir fk3
echo one >fk3/g1.txt && echo two >fk3/g2.txt
fakeftpd_start gh "$T/fk3" "raw:greethold" || fail "fake server" "did not start"
timeout 60 "$NT" ftp --no-tls -P "$FAKEFTPD_PORT_gh" --timeout 20 --deadline 1 get 127.0.0.1:g1.txt -o gh1.out 2>err.gh1
rc=$?
[ $rc = 1 ] && grep -q '^nettool ftp: get g1.txt: deadline reached' err.gh1 && [ ! -e gh1.out ] &&
	pass "the deadline passed during the login: an item alone says 'deadline reached', exit 1" ||
	fail "item alone, deadline during the login" "rc $rc: $(cat err.gh1)"
timeout 60 "$NT" ftp --no-tls -P "$FAKEFTPD_PORT_gh" --timeout 20 --deadline 1 rm 127.0.0.1:g2.txt 2>err.gh2
rc=$?
[ $rc = 1 ] && grep -q '^nettool ftp: rm g2.txt: deadline reached' err.gh2 && [ -e fk3/g2.txt ] &&
	pass "the same for rm: said, nothing deleted" || fail "rm alone, deadline during the login" "rc $rc: $(cat err.gh2)"
mkdir gho
timeout 60 "$NT" ftp --no-tls -P "$FAKEFTPD_PORT_gh" --timeout 20 --deadline 1 get 127.0.0.1:g1.txt 127.0.0.1:g2.txt -O gho 2>err.gh3
rc=$?
secs=$(sed -n 's/.*deadline reached (\([0-9]*\)\.[0-9]* s)$/\1/p' err.gh3)
[ $rc = 1 ] && grep -q '0 done, 2 failed (2 not started), 0 skipped; deadline reached' err.gh3 && [ "${secs:-0}" -ge 2 ] &&
	pass "a batch stopped during the login: its summary's time is the command's (${secs} s)" ||
	fail "batch summary's time" "rc $rc: $(cat err.gh3)"

# --- put - from a producer that stalls: the deadline and a signal end it, the temporary deleted ---
t0=$(date +%s%N)
timeout 60 "$NT" ftp --cacert "$CA" -u "$FTP_USER" -P "$P" --deadline 2 put - $S:stall1.bin 2>err.ps1 < <(echo first; sleep 8; echo late)
rc=$?
ms=$(ms_since "$t0")
[ $rc = 1 ] && [ "$ms" -lt 4000 ] && grep -q '^nettool ftp: put -: deadline reached' err.ps1 &&
	pass "put - from a producer that stalls: ended at the deadline ($ms ms for --deadline 2)" ||
	fail "put - stalled, deadline" "rc $rc, $ms ms: $(cat err.ps1)"
# (standard input goes by libcurl's path, TLS or not)
for path in plain tls; do
	[ $path = plain ] && tls=(--no-tls) || tls=(--cacert "$CA")
	mkdir -p "$H/sig-$path"
	"$NT" ftp "${tls[@]}" -u "$FTP_USER" -P "$P" --atomic put - $S:sig-$path/x.bin 2>err.ps$path < <(echo first; sleep 20) &
	pid=$!
	for _ in $(seq 100); do [ -n "$(ls -A "$H/sig-$path")" ] && break; sleep 0.05; done
	sleep 0.3
	t0=$(date +%s%N)
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	ms=$(ms_since "$t0")
	[ $rc = 143 ] && [ "$ms" -lt 2500 ] && ! grep -q 'did not end' err.ps$path && [ -z "$(ls -A "$H/sig-$path")" ] &&
		grep -q '^nettool ftp: put -: interrupted (SIGTERM)' err.ps$path &&
		pass "$path (libcurl, ${tls[0]}): put --atomic - from a stalled producer, SIGTERM: stopped in $ms ms, its temporary deleted" ||
		fail "$path (${tls[0]}): put - stalled, SIGTERM" "rc $rc, $ms ms: $(cat err.ps$path; ls -A "$H/sig-$path")"
done

# --- get -o - to a reader that stopped, SIGTERM: the write cut as the deadline cuts it ---
for path in own curl; do
	[ $path = own ] && tls=(--no-tls) || tls=(--cacert "$CA")
	{ "$NT" ftp "${tls[@]}" -u "$FTP_USER" -P "$P" get $S:big.bin -o - 2>err.gs$path &
	  echo $! >pid.gs$path; wait $!; echo "$? $(date +%s%N)" >res.gs$path; } | sleep 8 &
	rd=$!
	for _ in $(seq 100); do [ -s pid.gs$path ] && break; sleep 0.05; done
	sleep 1.5
	t0=$(date +%s%N)
	kill -TERM "$(cat pid.gs$path)"
	for _ in $(seq 200); do [ -s res.gs$path ] && break; sleep 0.05; done
	read -r rc t1 <res.gs$path
	ms=$(((t1 - t0) / 1000000))
	[ "$rc" = 143 ] && [ "$ms" -lt 2000 ] && ! grep -q 'did not end' err.gs$path &&
		grep -q 'interrupted (SIGTERM) (standard output is left partial' err.gs$path &&
		pass "$path path: get -o - to a reader that stopped, SIGTERM: stopped in $ms ms, output said partial" ||
		fail "$path path: get -o - blocked, SIGTERM" "rc $rc, $ms ms: $(cat err.gs$path)"
	kill "$rd" 2>/dev/null
done

# --- -o FIFO nobody opens: the deadline's stop, not "Interrupted system call" ---
for path in own curl; do
	[ $path = own ] && tls=(--no-tls) || tls=(--cacert "$CA")
	mkfifo fifo.$path
	timeout 30 "$NT" ftp "${tls[@]}" -u "$FTP_USER" -P "$P" --deadline 1 get $S:big.bin -o fifo.$path 2>err.ff$path
	rc=$?
	[ $rc = 1 ] && grep -q '^nettool ftp: get big.bin: deadline reached' err.ff$path && ! grep -q 'Interrupted' err.ff$path &&
		pass "$path path: -o FIFO without a reader: the deadline's stop, exit 1" ||
		fail "$path path: -o FIFO, deadline" "rc $rc: $(cat err.ff$path)"
done

# --- a QUIT answered 15 s late (raw:quithold): the run whose work is done does not wait ---
# On the own path the probe's connection is closed (QUIT) before the transfer begins.
mkdir fk4
head -c 100000 /dev/urandom >fk4/q.bin
fakeftpd_start qh "$T/fk4" "raw:quithold" || fail "fake server" "did not start"
for path in own curl; do
	[ $path = own ] && lim=() || lim=(--limit-rate 1G) # (libcurl's path; the raw fake has no TLS)
	rm -f qh.out
	t0=$(date +%s%N)
	timeout 60 "$NT" ftp --no-tls "${lim[@]}" -P "$FAKEFTPD_PORT_qh" --timeout 30 --deadline 5 get 127.0.0.1:q.bin -o qh.out 2>err.qh
	rc=$?
	ms=$(ms_since "$t0")
	[ $rc = 0 ] && [ "$ms" -lt 3000 ] && cmp -s fk4/q.bin qh.out &&
		pass "$path path: a QUIT answered 15 s late: the run ended in $ms ms, the file whole, exit 0" ||
		fail "$path path: QUIT held" "rc $rc, $ms ms: $(cat err.qh)"
done

finish
