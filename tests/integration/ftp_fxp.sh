#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_fxp.sh - copy between two vsftpd instances on 127.0.0.2 and 127.0.0.3: FXP where
# both allow it (pasv_promiscuous, port_promiscuous): files byte for byte, the data not
# through us (the bytes our process reads, counted with strace; the PORT the destination
# was given: the source listens, so that each file's TIME_WAIT stays on its passive
# port), --move (a rerun after a source's DELE: done when the destination is in place),
# --journal, -r; TLS in use: streamed, --fxp: a loud clear-data warning;
# a pair with vsftpd's defaults (PORT to a third address refused): streamed (said once
# with -v), --fxp fails (exit 1), --no-fxp streams; a source that refuses the
# destination's data connection (425 to RETR): streamed, no temporary left; a destination
# session killed mid-transfer (exit 3, the destination named), the source's too (exit 3, the
# source named, nothing left on the destination); missing sources (SIZE 550:
# failed at once, on every pair).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

ftpd_pair_script "ftp fxp"
srv() { ftpd_at "$@"; } # NAME ADDR [lines] (fixtures/ftp_server.sh)
PROM=("${FTPD_PROMISCUOUS[@]}")
# E: a destination that allows PORT anywhere, for C (default) that refuses its connection.
srv A 127.0.0.2 "${PROM[@]}" && srv B 127.0.0.3 "${PROM[@]}" && srv C 127.0.0.2 && srv D 127.0.0.3 &&
	srv E 127.0.0.3 port_promiscuous=YES && srv G 127.0.0.3 "${PROM[@]}" local_max_rate=2000000 ||
	{ fail "ftp fixture" "vsftpd did not start"; finish; }
CA=$T/certs/ca.crt
export NETTOOL_PASSWORD=$FTP_PASS HOME=$T/nohome
cd "$T" || exit 1
# Plain FTP on the control connections (loopback: the password may go in clear).
O=(--cacert "$CA" -u "$FTP_USER" --no-tls)
U="ftp://$FTP_USER@"
A=${U}127.0.0.2:$FTPD_PORT_A/ B=${U}127.0.0.3:$FTPD_PORT_B/ C=${U}127.0.0.2:$FTPD_PORT_C/ D=${U}127.0.0.3:$FTPD_PORT_D/

mkdata() { # home: zero.bin (0 bytes), big.bin (1 MiB), small.txt, d/x.txt, d/e/y.bin
	mkdir -p "$1/src/d/e"
	: >"$1/src/zero.bin"
	head -c 1048576 /dev/urandom >"$1/src/big.bin"
	echo "small file" >"$1/src/small.txt"
	echo "x" >"$1/src/d/x.txt"
	head -c 70000 /dev/urandom >"$1/src/d/e/y.bin"
}
mkdata "$FTPD_HOME_A"
mkdata "$FTPD_HOME_C"
mkdir -p "$FTPD_HOME_B/dst" "$FTPD_HOME_B/dst5" "$FTPD_HOME_D/dst"
printf 'zero.bin\nbig.bin\nsmall.txt\n' >list.txt

# traced OUT CMD...: run CMD under strace; OUT.bytes: what the process read (read, recv*).
traced() {
	local out=$1
	shift
	strace -f -qq -e trace=read,readv,recvfrom,recvmsg -o "$out.st" "$@"
	local rc=$?
	awk '/(read|recv)/ && match($0, /= [0-9]+( |$)/) { s += substr($0, RSTART + 2, RLENGTH - 2) } END { print s + 0 }' \
		"$out.st" >"$out.bytes"
	return $rc
}
HAVE_STRACE=0
command -v strace >/dev/null && strace -qq -o /dev/null true 2>/dev/null && HAVE_STRACE=1
run() { # run OUT ARGS...: nettool ftp ARGS, stderr in OUT.err
	local out=$1
	shift
	timeout 60 "$NT" ftp "$@" 2>"$out.err"
}
runb() { # runb OUT ARGS...: run, traced when strace works (LeakSanitizer cannot run under
	# ptrace: off for these runs of a sanitizer build; the others keep it)
	local out=$1
	shift
	if [ $HAVE_STRACE = 1 ]; then
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 traced "$out" timeout 60 "$NT" ftp "$@" 2>"$out.err"
	else
		timeout 60 "$NT" ftp "$@" 2>"$out.err"
	fi
}
same() { cmp -s "$1" "$2"; }
ports_to() { grep -c "PORT 127,0,0,$2," "$1"; }

# --- the allowing pair: FXP ---
n0=$(ports_to "$FTPD_LOG_B" 2)
runb c1 "${O[@]}" -v --from-file list.txt copy "${A}src" "${B}dst"
rc=$?
ok=1
for f in zero.bin big.bin small.txt; do same "$FTPD_HOME_A/src/$f" "$FTPD_HOME_B/dst/$f" || ok=0; done
[ $rc = 0 ] && [ $ok = 1 ] && [ -f "$FTPD_HOME_B/dst/zero.bin" ] &&
	pass "FXP copy: 0 bytes, 1 MiB and a small file, byte for byte" || fail "FXP copy" "rc $rc ok $ok: $(tail -3 c1.err)"
n1=$(ports_to "$FTPD_LOG_B" 2)
[ $((n1 - n0)) -ge 3 ] && pass "the destination was sent PORT 127,0,0,2 (the source listens) for each file" ||
	fail "PORT to the source" "$((n1 - n0)) PORT commands naming 127.0.0.2 in the destination's log"
if [ $HAVE_STRACE = 1 ]; then
	by=$(cat c1.bytes)
	[ "$by" -lt 524288 ] && pass "the data did not cross us: the process read $by bytes for 1 MiB copied" ||
		fail "data through us" "the process read $by bytes (1 MiB copied)"
else
	skip "bytes read by the process" "strace does not work here"
fi
[ -z "$(find "$FTPD_HOME_B/dst" -name '.*')" ] && pass "no temporary left on the destination" ||
	fail "temporaries" "$(find "$FTPD_HOME_B/dst" -name '.*')"
grep -q '^> STOR dst/\.zero\.bin\.nettool-.*\.part' c1.err && grep -q '^> RNTO dst/zero.bin' c1.err &&
	pass "stored under the temporary name, renamed into place" || fail "atomic FXP" "$(grep -E 'STOR|RNTO' c1.err | head -3)"

# One file, its own target name; the journal; -r.
run c2 "${O[@]}" --journal j2 copy "${A}src/big.bin" "${B}dst/renamed.bin"
rc=$?
[ $rc = 0 ] && same "$FTPD_HOME_A/src/big.bin" "$FTPD_HOME_B/dst/renamed.bin" && grep -q '^done	copy	src/big.bin	dst/renamed.bin$' j2 &&
	pass "FXP copy of one file, --journal: done line" || fail "FXP one file" "rc $rc: $(cat c2.err) / $(cat j2)"
run c3 "${O[@]}" -r copy "${A}src/d" "${B}tree"
rc=$?
[ $rc = 0 ] && same "$FTPD_HOME_A/src/d/e/y.bin" "$FTPD_HOME_B/tree/e/y.bin" && same "$FTPD_HOME_A/src/d/x.txt" "$FTPD_HOME_B/tree/x.txt" &&
	pass "FXP copy -r" || fail "FXP copy -r" "rc $rc: $(cat c3.err)"

# --move: sources deleted after the destination's size check.
mkdir -p "$FTPD_HOME_A/mv" && head -c 5000 /dev/urandom >"$FTPD_HOME_A/mv/m1" && : >"$FTPD_HOME_A/mv/m2"
cp "$FTPD_HOME_A/mv/m1" m1.ref
printf 'm1\nm2\n' >mvlist
run c4 "${O[@]}" --move --from-file mvlist copy "${A}mv" "${B}dst"
rc=$?
[ $rc = 0 ] && [ ! -e "$FTPD_HOME_A/mv/m1" ] && [ ! -e "$FTPD_HOME_A/mv/m2" ] && same m1.ref "$FTPD_HOME_B/dst/m1" &&
	[ -f "$FTPD_HOME_B/dst/m2" ] && pass "FXP --move: sources deleted, copies in place" || fail "FXP --move" "rc $rc: $(cat c4.err)"

# --move --journal, rerun after a run that died between a source's DELE and its journal
# line (the state: the destination whole under its final name, the source gone, no done
# line): the rerun counts it done (journal, --json, -v) and finishes the job; a gone source
# with nothing at the destination still fails. FXP, then streamed (TLS in use).
for mode in fxp tls; do
	[ $mode = fxp ] && OM=("${O[@]}") || OM=(--insecure -u "$FTP_USER")
	g=gone-$mode
	mkdir -p "$FTPD_HOME_A/$g" "$FTPD_HOME_B/$g"
	for f in g1 g2 g3; do head -c 3000 /dev/urandom >"$FTPD_HOME_A/$g/$f"; done
	cp "$FTPD_HOME_A/$g/g2" g2.$mode.ref
	printf 'g1\n' >glist
	run m1 "${OM[@]}" --move --journal j.$mode --from-file glist copy "${A}$g" "${B}$g"
	rc1=$?
	# The crash: g2 whole at the destination, its source deleted, no journal line.
	cp "$FTPD_HOME_A/$g/g2" "$FTPD_HOME_B/$g/g2" && rm "$FTPD_HOME_A/$g/g2"
	printf 'g1\ng2\ng3\n' >glist
	run m2 "${OM[@]}" -v --json --move --journal j.$mode --from-file glist copy "${A}$g" "${B}$g" >m2.out
	rc=$?
	[ $rc1 = 0 ] && [ $rc = 0 ] && grep -q "^done	copy	$g/g2	$g/g2\$" j.$mode && grep -q "^done	copy	$g/g3	$g/g3\$" j.$mode &&
		same g2.$mode.ref "$FTPD_HOME_B/$g/g2" && [ ! -e "$FTPD_HOME_A/$g/g3" ] && [ -f "$FTPD_HOME_B/$g/g3" ] &&
		grep "\"$g/g2\"" m2.out | grep -q '"status":"done".*"reason":"moved before: source gone, destination present"' &&
		grep -q "copy $g/g2: moved before: source gone, destination present" m2.err &&
		pass "--move rerun ($mode): source gone, destination present: done, journalled, said" ||
		fail "--move rerun ($mode)" "rc $rc1/$rc: $(grep -v '^[<>*]' m2.err | tail -4) / $(cat m2.out) / $(cat j.$mode)"
	printf 'g4\n' >glist
	run m3 "${OM[@]}" --move --journal j.$mode --from-file glist copy "${A}$g" "${B}$g"
	rc=$?
	[ $rc = 1 ] && ! grep -q "^done	copy	$g/g4" j.$mode && pass "--move ($mode): source gone, nothing at the destination: still a failure" ||
		fail "--move gone both ($mode)" "rc $rc: $(tail -2 m3.err)"
done

# A missing source: a failure, nothing left behind, and the next file still goes.
printf 'nope.bin\nsmall.txt\n' >l5
run c5 "${O[@]}" --from-file l5 copy "${A}src" "${B}dst5"
rc=$?
[ $rc = 1 ] && grep -q 'nope.bin' c5.err && same "$FTPD_HOME_A/src/small.txt" "$FTPD_HOME_B/dst5/small.txt" 2>/dev/null &&
	[ -z "$(find "$FTPD_HOME_B" -name '.nope*')" ] && pass "FXP: a missing source fails alone, no temporary left" ||
	fail "FXP missing source" "rc $rc: $(cat c5.err)"

# TLS in use (AUTH TLS accepted): streamed, said with -v; --fxp: clear data, said loudly.
# (The fixture's certificate names 127.0.0.1 only: --insecure for 127.0.0.2 and .3.)
OT=(--insecure -u "$FTP_USER")
# (A small file: streamed FTPS uploads of some 100 KB fail now and then against this
# fixture, FXP or not.)
run c6 "${OT[@]}" -v copy "${A}src/small.txt" "${B}dst/tls1.txt"
rc=$?
[ $rc = 0 ] && same "$FTPD_HOME_A/src/small.txt" "$FTPD_HOME_B/dst/tls1.txt" && grep -q 'FXP not possible (TLS' c6.err &&
	pass "TLS in use: streamed (and -v says why)" || fail "TLS: streamed" "rc $rc: $(grep -v '^[<>*]' c6.err | tail -4)"
runb c7 "${OT[@]}" --fxp copy "${A}src/big.bin" "${B}dst/tls2.bin"
rc=$?
rc7=$rc
w=$(grep -c 'IN CLEAR TEXT' c7.err)
[ $rc = 0 ] && same "$FTPD_HOME_A/src/big.bin" "$FTPD_HOME_B/dst/tls2.bin" && [ "$w" = 1 ] &&
	grep -q "127.0.0.2:$FTPD_PORT_A to 127.0.0.3:$FTPD_PORT_B IN CLEAR TEXT" c7.err && pass "TLS and --fxp: FXP with clear data, one warning line naming both" ||
	fail "TLS --fxp" "rc $rc, $w warnings: $(cat c7.err)"
if [ $HAVE_STRACE = 1 ]; then
	by=$(cat c7.bytes)
	[ "$rc7" = 0 ] && [ "$by" -lt 524288 ] && pass "TLS and --fxp: the data did not cross us ($by bytes read)" || fail "TLS --fxp data" "$by bytes read"
fi

# --no-fxp streams through us.
runb c8 "${O[@]}" --no-fxp copy "${A}src/big.bin" "${B}dst/nofxp.bin"
rc=$?
[ $rc = 0 ] && same "$FTPD_HOME_A/src/big.bin" "$FTPD_HOME_B/dst/nofxp.bin" && pass "--no-fxp: copied" || fail "--no-fxp" "rc $rc: $(cat c8.err)"
if [ $HAVE_STRACE = 1 ]; then
	by=$(cat c8.bytes)
	[ "$by" -ge 1048576 ] && pass "--no-fxp: the data crossed us ($by bytes read)" || fail "--no-fxp streamed" "$by bytes read"
fi

# --- the refusing pair (vsftpd's defaults): streamed ---
n0=$(grep -c 'Illegal PORT' "$FTPD_LOG_D")
run r1 "${O[@]}" -v --from-file list.txt copy "${C}src" "${D}dst"
rc=$?
ok=1
for f in zero.bin big.bin small.txt; do same "$FTPD_HOME_C/src/$f" "$FTPD_HOME_D/dst/$f" || ok=0; done
[ $rc = 0 ] && [ $ok = 1 ] && pass "refused FXP: copy still succeeds (streamed)" || fail "refused FXP fallback" "rc $rc: $(grep -v '^[<>*]' r1.err | tail -3)"
nm=$(grep -c 'FXP not possible' r1.err)
[ "$nm" = 1 ] && grep -q 'Illegal PORT' r1.err && pass "the fallback said once with -v, with the server's words" ||
	fail "fallback message" "$nm messages: $(grep 'FXP' r1.err)"
[ $(($(grep -c 'Illegal PORT' "$FTPD_LOG_D") - n0)) = 1 ] && pass "PORT tried once per run, not per file" ||
	fail "PORT once" "$(($(grep -c 'Illegal PORT' "$FTPD_LOG_D") - n0)) refusals"
run r2 "${O[@]}" -q --fxp copy "${C}src/small.txt" "${D}dst/forced.txt"
rc=$?
[ $rc = 1 ] && grep -q 'fxp: the servers refuse to send data to each other' r2.err && grep -q 'Illegal PORT' r2.err &&
	[ ! -e "$FTPD_HOME_D/dst/forced.txt" ] && pass "--fxp against the refusing pair: exit 1, a clear error, nothing stored" ||
	fail "--fxp refused" "rc $rc: $(cat r2.err)"
run r3 "${O[@]}" --no-fxp copy "${C}src/big.bin" "${D}dst/nofxp.bin"
rc=$?
[ $rc = 0 ] && same "$FTPD_HOME_C/src/big.bin" "$FTPD_HOME_D/dst/nofxp.bin" && ! grep -q 'Illegal PORT' r3.err &&
	pass "--no-fxp on the refusing pair: streamed, FXP not tried" || fail "--no-fxp refusing" "rc $rc: $(cat r3.err)"

# A source that refuses the destination's data connection (destination allows PORT, source
# default): "425 Security: Bad IP connecting." on RETR, then streamed; the temporary the
# STOR made is deleted.
mkdir -p "$FTPD_HOME_E/dst"
E=${U}127.0.0.3:$FTPD_PORT_E/
run r4 "${O[@]}" -v copy "${C}src/big.bin" "${E}dst/e.bin"
rc=$?
[ $rc = 0 ] && same "$FTPD_HOME_C/src/big.bin" "$FTPD_HOME_E/dst/e.bin" && grep -q 'FXP not possible.*RETR.*425' r4.err &&
	[ -z "$(find "$FTPD_HOME_E/dst" -name '.e.bin*')" ] &&
	pass "source refuses the destination's connection: streamed, no temporary left" ||
	fail "destination refusal" "rc $rc: $(cat r4.err)"

# --- several files at once: --parallel 4 runs 4 FXP pairs together ---
mkdir -p "$FTPD_HOME_A/many"
for i in $(seq 1 40); do head -c 3000 /dev/urandom >"$FTPD_HOME_A/many/f$i"; done
run p1 "${O[@]}" -q --parallel 4 copy -r "${A}many" "${B}many"
rc=$?
ok=1
for i in $(seq 1 40); do same "$FTPD_HOME_A/many/f$i" "$FTPD_HOME_B/many/f$i" || ok=0; done
# vsftpd logs each session's commands with its process id: the STORs of this run came
# from more than one session at once (one pair per slot, not one pair for the run).
sess=$(grep 'STOR many/' "$FTPD_LOG_B" | sed 's/.*\[pid \([0-9]*\)\].*/\1/' | sort -u | wc -l)
[ $rc = 0 ] && [ $ok = 1 ] && [ "$sess" -ge 2 ] && [ -z "$(find "$FTPD_HOME_B/many" -name '.*')" ] &&
	pass "--parallel 4: 40 files by FXP over $sess pairs at once, byte for byte, no temporary" ||
	fail "parallel FXP" "rc $rc ok $ok, $sess sessions: $(tail -3 p1.err)"

# --- --deadline stops a copy in the middle: its temporary is deleted on the destination ---
# F: a source sending 256 KB/s (vsftpd's local_max_rate), allowing FXP.
if srv F 127.0.0.2 "${PROM[@]}" local_max_rate=262144; then
	F=${U}127.0.0.2:$FTPD_PORT_F/
	head -c 3000000 /dev/urandom >"$FTPD_HOME_F/slow.bin"
	for mode in fxp no-fxp; do
		run d1 "${O[@]}" -q --$mode --deadline 2 copy "${F}slow.bin" "${B}dl-$mode.bin"
		rc=$?
		left=$(find "$FTPD_HOME_B" -maxdepth 1 -name ".dl-$mode.bin*")
		[ $rc = 1 ] && grep -q 'deadline' d1.err && [ -z "$left" ] && [ ! -e "$FTPD_HOME_B/dl-$mode.bin" ] &&
			pass "--$mode copy stopped by --deadline: no temporary, no file left on the destination" ||
			fail "--$mode deadline" "rc $rc, left: $left: $(cat d1.err)"
	done
	# copy -r stopped by --deadline: the jobs never started go with their list (the ASan
	# build's leak check (make asan-check) failed this: the list of copy -r leaked)
	mkdir -p "$FTPD_HOME_F/tree"
	for i in $(seq 24); do head -c 200000 /dev/urandom >"$FTPD_HOME_F/tree/t$i.bin"; done
	run d2 "${O[@]}" --no-fxp --deadline 2 copy -r "${F}tree" "${B}dltree"
	rc=$?
	n=$(find "$FTPD_HOME_B/dltree" -type f 2>/dev/null | wc -l)
	[ $rc = 1 ] && grep -q 'deadline reached' d2.err && [ "$n" -lt 24 ] && ! grep -q 'Sanitizer' d2.err &&
		pass "copy -r stopped by --deadline: exit 1, $n of 24 copied, nothing leaked" ||
		fail "copy -r --deadline" "rc $rc, $n copied: $(grep -v '^ *#' d2.err | head -3)"
else
	fail "ftp fixture F" "vsftpd did not start"
fi

# --- a destination that stops answering: the stall limit (--timeout) ends the file ---
# A fake server on 127.0.0.3 (or the address of its third argument): logs in, accepts
# PORT, gives a passive address (its own, or the one named by its second argument: a
# hostile server's), then never answers STOR.
stall_fake() { # PORT [PASV-ADDRESS [BIND-ADDRESS]]
	exec /usr/bin/python3 - "$@" <<'PY'
import socket, sys, threading
pasv = (sys.argv[2] if len(sys.argv) > 2 else "127,0,0,3").encode()
here = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.3"
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((here, int(sys.argv[1]))); ls.listen(8)
def serve(c):
    f = c.makefile("rb")
    c.sendall(b"220 stalls\r\n")
    for line in f:
        w = line.split(b" ")[0].strip().upper()
        if w == b"USER": c.sendall(b"331 pw\r\n")
        elif w == b"PASS": c.sendall(b"230 in\r\n")
        elif w in (b"TYPE", b"PORT"): c.sendall(b"200 ok\r\n")
        elif w == b"SIZE": c.sendall(b"213 11\r\n")
        elif w == b"PASV":
            d = socket.socket(); d.bind((here, 0)); d.listen(1); p = d.getsockname()[1]
            c.sendall(b"227 Entering Passive Mode (%s,%d,%d)\r\n" % (pasv, p >> 8, p & 255))
        elif w == b"PWD": c.sendall(b'257 "/" here\r\n')
        elif w in (b"STOR", b"QUIT"): pass  # never answered
        else: c.sendall(b"550 no such file\r\n")
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
}
SP=$(free_port)
stall_fake "$SP" >stall.log 2>&1 &
spid=$!
cleanup "kill $spid 2>/dev/null; wait $spid 2>/dev/null"
if wait_port "$SP" 127.0.0.3 10; then
	t0=$(date +%s)
	run s1 "${O[@]}" -v --fxp --timeout 5 copy "${A}src/small.txt" "${U}127.0.0.3:$SP/stalled.txt"
	rc=$?
	t=$(($(date +%s) - t0))
	[ $rc = 3 ] && grep -q "no reply from 127.0.0.3:$SP in 5 s" s1.err && [ $t -le 30 ] &&
		pass "FXP: a destination that stops answering fails after --timeout (exit 3, ${t} s)" ||
		fail "FXP stall" "rc $rc after $t s: $(grep -v "^[<>]" s1.err | tail -5; grep "^[<>]" s1.err | tail -12)"
else
	fail "stalling fake" "did not start: $(cat stall.log)"
fi

# --- the FTP bounce: a source whose PASV names another host must not have the
# destination connect there: the PORT names the address we reach the source at ---
BP=$(free_port)
stall_fake "$BP" 10,255,255,1 127.0.0.2 >bounce.log 2>&1 &
bpid=$!
cleanup "kill $bpid 2>/dev/null; wait $bpid 2>/dev/null"
if wait_port "$BP" 127.0.0.2 10; then
	run b1 "${O[@]}" -v -v --fxp --timeout 2 copy "${U}127.0.0.2:$BP/small.txt" "${B}dst/bounced.txt"
	if grep -q '^> PORT 127,0,0,2,' b1.err && ! grep -q 'PORT 10,255' b1.err; then
		pass "FXP: a PASV naming another host is not passed on (PORT names the source's own address)"
	else
		fail "FXP bounce" "$(grep -i 'port\|pasv' b1.err | tail -5)"
	fi
else
	fail "bounce fake" "did not start: $(cat bounce.log)"
fi

# A copy onto itself (same host, port, user; same path once '//' and './' are taken out)
# would delete or empty the only copy: refused before anything is sent, exit 2.
mkdir -p "$FTPD_HOME_A/self/sub" && echo "only copy" >"$FTPD_HOME_A/self/same.txt" && echo "y" >"$FTPD_HOME_A/self/sub/y.txt"
cp "$FTPD_HOME_A/self/same.txt" same.ref
selfok() { same same.ref "$FTPD_HOME_A/self/same.txt" && [ -f "$FTPD_HOME_A/self/sub/y.txt" ]; }
run sf1 "${O[@]}" --move copy "${A}self/same.txt" "${A}self//same.txt"
rc=$?
[ $rc = 2 ] && selfok && [ "$(wc -l <sf1.err)" = 1 ] && grep -q 'source and destination are the same file: ' sf1.err &&
	pass "copy --move onto itself: refused (exit 2, one line), the file kept" || fail "copy --move onto itself" "rc $rc: $(cat sf1.err)"
run sf2 "${O[@]}" --no-atomic --timeout 5 copy "${A}self/same.txt" "${A}./self/./same.txt"
rc=$?
[ $rc = 2 ] && selfok && grep -q 'same file' sf2.err &&
	pass "copy --no-atomic onto itself: refused, the file kept" || fail "copy --no-atomic onto itself" "rc $rc: $(cat sf2.err)"
run sf3 "${O[@]}" -r --move copy "${A}self" "${A}self/"
rc=$?
[ $rc = 2 ] && selfok && grep -q 'same folder' sf3.err &&
	pass "copy -r --move of a folder onto itself: refused, the folder kept" || fail "copy -r onto itself" "rc $rc: $(cat sf3.err)"
run sf4 "${O[@]}" -r copy "${A}self" "${A}self/sub/in"
rc=$?
[ $rc = 2 ] && selfok && [ ! -e "$FTPD_HOME_A/self/sub/in" ] && grep -q 'inside the source folder' sf4.err &&
	pass "copy -r into a folder inside the source: refused" || fail "copy -r into itself" "rc $rc: $(cat sf4.err)"
printf 'same.txt\n' >selflist
run sf5 "${O[@]}" --move --from-file selflist copy "${A}self" "${A}self"
rc=$?
[ $rc = 2 ] && selfok && pass "copy --from-file with the same base on both sides: refused" || fail "copy --from-file onto itself" "rc $rc: $(cat sf5.err)"
run sf6 "${O[@]}" copy "${A}self/same.txt" "${A}self/other.txt"
rc=$?
[ $rc = 0 ] && selfok && same same.ref "$FTPD_HOME_A/self/other.txt" &&
	pass "a copy to another name on the same server still goes" || fail "copy on one server" "rc $rc: $(cat sf6.err)"
run sf7 "${O[@]}" -r copy "${A}self" "${A}selfcopy"
rc=$?
[ $rc = 0 ] && [ -f "$FTPD_HOME_A/selfcopy/sub/y.txt" ] &&
	pass "copy -r to a sibling folder whose name starts like the source's still goes" || fail "copy -r sibling" "rc $rc: $(cat sf7.err)"

# A missing destination folder: said once, before the files (the streamed copy's words),
# not a 553 per file each followed by a new login of the pair and a DELE of a temporary
# never made.
mkdir -p "$FTPD_HOME_A/nf" && for i in 1 2 3 4 5 6; do echo "$i" >"$FTPD_HOME_A/nf/f$i"; done
printf 'f%s\n' 1 2 3 4 5 6 >nflist
for mode in --fxp ""; do
	run nf "${O[@]}" -v $mode --journal nf.j --from-file nflist copy "${A}nf" "${B}nf2"
	rc=$?
	n=$(grep -c "could not enter the folder 'nf2' on 127.0.0.3:$FTPD_PORT_B.*--create-dirs creates missing folders" nf.err)
	[ $rc = 1 ] && [ "$n" = 1 ] && ! grep -q '^> DELE' nf.err && ! grep -q '^< 553' nf.err &&
		[ "$(grep -c '^> PASS\|^> USER' nf.err)" -le 4 ] &&
		pass "copy ${mode:-(FXP default)} into a missing folder: said once (--create-dirs named), no DELE, no re-login" ||
		fail "copy ${mode:-default} into a missing folder" "rc $rc n $n: $(grep -v '^[<>*]' nf.err | head -5 | tr '\n' ' ') / $(grep -c '^> USER' nf.err) USER, $(grep -c '^> DELE' nf.err) DELE"
	rm -f nf.j
done
# A 553 to one STOR (its folder missing inside an existing one): that file fails, no DELE
# of a temporary never made, the pair kept (no new login per file).
mkdir -p "$FTPD_HOME_A/nf/sub" "$FTPD_HOME_B/nfbase" && for i in 1 2 3 4; do echo "$i" >"$FTPD_HOME_A/nf/sub/g$i"; done
printf 'sub/g%s\n' 1 2 3 4 >nfsub
run nfs "${O[@]}" -v --fxp --parallel 1 --from-file nfsub copy "${A}nf" "${B}nfbase"
rc=$?
[ $rc = 1 ] && [ "$(grep -c '^< 553' nfs.err)" -ge 4 ] && ! grep -q '^> DELE' nfs.err && [ "$(grep -c '^> USER' nfs.err)" -le 4 ] &&
	pass "FXP: a STOR refused (553) costs no DELE and no new login of the pair" ||
	fail "FXP 553" "rc $rc: $(grep -c '^> USER' nfs.err) USER, $(grep -c '^> DELE' nfs.err) DELE: $(grep -v '^[<>*]' nfs.err | head -3)"
[ ! -e "$FTPD_HOME_B/nf2" ] && pass "the missing folder is not made without --create-dirs" || fail "nf2 made" "$(ls -la "$FTPD_HOME_B")"

# The destination's session killed in the middle of a transfer (G receives at 2 MB/s): the
# error names the destination, exit 3 (connection lost), no temporary left, --move keeps
# the source.
head -c 8000000 /dev/urandom >"$FTPD_HOME_A/src/huge.bin" && mkdir -p "$FTPD_HOME_G/dst"
G=${U}127.0.0.3:$FTPD_PORT_G/
timeout 60 "$NT" ftp "${O[@]}" --move copy "${A}src/huge.bin" "${G}dst/huge.bin" 2>dk.err &
dk=$!
for _ in $(seq 100); do
	[ -n "$(find "$FTPD_HOME_G/dst" -type f -size +100k 2>/dev/null)" ] && break
	sleep 0.1
done
pids=$(ss -tnpH state established "( sport = :$FTPD_PORT_G )" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)
[ -n "$pids" ] && kill -9 $pids
wait $dk
rc=$?
[ $rc = 3 ] && grep -q "127.0.0.3:$FTPD_PORT_G" dk.err && grep -q 'destination' dk.err && ! grep -q 'RETR on' dk.err &&
	[ -z "$(ls -A "$FTPD_HOME_G/dst")" ] && [ -f "$FTPD_HOME_A/src/huge.bin" ] &&
	pass "FXP: the destination's session killed mid-transfer: exit 3 naming the destination, no temporary, source kept" ||
	fail "FXP destination killed" "rc $rc (sessions: ${pids:-none}): $(cat dk.err) / $(ls -A "$FTPD_HOME_G/dst")"
# The source's session killed in the middle of a transfer (the same pair: G receives at
# 2 MB/s, so the source is still sending): the error names the source, exit 3 (connection
# lost), and the destination keeps nothing, neither under the final name nor a temporary
# (--no-atomic: the file the copy created is deleted).
for mode in atomic no-atomic; do
	extra=()
	[ $mode = no-atomic ] && extra=(--no-atomic)
	rm -rf "$FTPD_HOME_G/dst" && mkdir -p "$FTPD_HOME_G/dst"
	timeout 60 "$NT" ftp "${O[@]}" "${extra[@]}" --fxp copy "${A}src/huge.bin" "${G}dst/huge.bin" 2>sk.err &
	sk=$!
	for _ in $(seq 100); do
		[ -n "$(find "$FTPD_HOME_G/dst" -type f -size +100k 2>/dev/null)" ] && break
		sleep 0.1
	done
	pids=$(ss -tnpH state established "( sport = :$FTPD_PORT_A )" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)
	[ -n "$pids" ] && kill -9 $pids
	wait $sk
	rc=$?
	[ $rc = 3 ] && grep -q "connection to 127.0.0.2:$FTPD_PORT_A (the source) lost during the transfer" sk.err &&
		[ -n "$pids" ] && [ -z "$(ls -A "$FTPD_HOME_G/dst")" ] && [ -f "$FTPD_HOME_A/src/huge.bin" ] &&
		pass "FXP ($mode): the source's session killed mid-transfer: exit 3 naming the source, nothing left on the destination" ||
		fail "FXP ($mode) source killed" "rc $rc (sessions: ${pids:-none}): $(cat sk.err) / $(ls -A "$FTPD_HOME_G/dst")"
done
rm -f "$FTPD_HOME_A/src/huge.bin"

# Missing source files: each fails at its SIZE's 550 with the streamed copy's words (no
# PASV, STOR of a temporary, RETR, DELE), and FXP is not judged by them: every pair asks
# its own SIZE at once (no pair waits for the one trying FXP first).
printf 'gone%s\n' $(seq 1 24) >golist
cp "$FTPD_LOG_A" gone.before
run gone "${O[@]}" -v --parallel 4 --from-file golist copy "${A}src" "${B}dst"
rc=$?
n=$(grep -c "no such file or folder on the server (server: 550" gone.err)
pids=$(diff gone.before "$FTPD_LOG_A" | grep '"SIZE ' | grep -o '\[pid [0-9]*\]' | sort -u | wc -l)
[ $rc = 1 ] && [ "$n" = 24 ] && ! grep -q '^> \(STOR\|RETR\|DELE\|PASV\|EPSV\)' gone.err && [ "$pids" -ge 2 ] &&
	grep -q '24 failed' gone.err && [ "$(grep -c '^> USER' gone.err)" -le 12 ] &&
	pass "FXP: missing source files fail at their SIZE (streamed words), on every pair at once" ||
	fail "FXP missing sources" "rc $rc n $n, SIZE on $pids source sessions, $(grep -c '^> USER' gone.err) USER: $(grep -v '^[<>*]' gone.err | grep -v 'from env' | sed -n '1p;$p') / $(grep -c '^> \(STOR\|DELE\)' gone.err) STOR/DELE"

expect_exit "--fxp outside copy: usage error" 2 "$NT" ftp --fxp get "${A}src/small.txt"
expect_exit "--fxp with --no-fxp: usage error" 2 "$NT" ftp --fxp --no-fxp copy "${A}src/small.txt" "${B}dst/x.txt"
finish
