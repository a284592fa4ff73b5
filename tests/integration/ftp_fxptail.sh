#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_fxptail.sh - FXP with two files at once on a pair (applets/ftp/fxp.c): file N's
# rename (RNTO) is still unanswered when file N+1 is under way (the source listening: its
# PORT goes to the destination right behind the RNTO). Against a
# destination that takes commands in order (fixtures/ftp_fake.py raw:) and answers the
# RNTO of bad.txt only after 0.5 s: the next file's PORT is sent before that answer (the
# overlap is there); rntofail (553): bad.txt fails alone (exit 1, its words), is not
# journaled, has no final name and no temporary left, and the file after it is copied
# whole on a fresh start; a file missing at the source behind a slow rename fails alone
# (the renamed file is done, not failed with it); rntodrop (renamed, then the control connection closed
# unanswered): bad.txt is not journaled, nor, with --move, deleted at the source; the file
# in flight behind it fails too and is left neither under its final name nor as a
# temporary (--move waits for each rename: the next file begins afresh). The files before are copied and journaled. A 227
# to a STOR, or a flood of lines that are no reply, fails the file with exit 5. A source that
# ends short of its announced size (ftp_fake.py sizelie) fails by FXP as streamed: exit 3,
# the same words; so does a source folder whose server gives it a size (sizedir): "it is a
# folder", exit 1. Source: vsftpd on 127.0.0.2 allowing PORT to a third address.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

ftpd_pair_script "ftp fxp, two files on a pair"
ftpd_at A 127.0.0.2 "${FTPD_PROMISCUOUS[@]}" || { fail "ftp fixture" "vsftpd did not start"; finish; }
export NETTOOL_PASSWORD=$FTP_PASS HOME=$T/nohome
cd "$T" || exit 1
O=(-u "$FTP_USER" --no-tls)
A=ftp://$FTP_USER@127.0.0.2:$FTPD_PORT_A/
run() { # run OUT ARGS...: nettool ftp ARGS, stderr in OUT.err
	local out=$1
	shift
	timeout 60 "$NT" ftp "$@" 2>"$out.err"
}
mkdir -p "$FTPD_HOME_A/s"
for f in ok1 ok2 bad ok3 ok4; do head -c 3000 /dev/urandom >"$FTPD_HOME_A/s/$f.txt"; done
printf '%s\n' ok1.txt ok2.txt bad.txt ok3.txt ok4.txt >list
same() { cmp -s "$FTPD_HOME_A/s/$1" "$2/$1"; }
# The file after bad.txt was under way (its PORT, to the destination) before the answer to
# bad.txt's RNTO came (the -v trace: our lines "> ...", the servers' "< ..."), not after a
# new login (220).
overlapped() { # ERRFILE
	awk '/^> RNTO d\/bad.txt/ { r = 1; next } r && /^> PORT / { print "yes"; exit }
		r && /^< (553|250|220)/ { exit }' "$1" | grep -q yes
}

# --- a refused rename (553) ---
mkdir -p f/d
if fakeftpd_start F "$T/f" raw:rntofail; then
	F=ftp://anonymous@127.0.0.1:$FAKEFTPD_PORT_F/
	run tf "${O[@]}" -v --fxp --parallel 1 --timeout 10 --journal jf --from-file list copy "${A}s" "${F}d"
	rc=$?
	ok=1
	for f in ok1 ok2 ok3 ok4; do same $f.txt f/d || ok=0; done
	[ $rc = 1 ] && [ $ok = 1 ] && [ ! -e f/d/bad.txt ] && [ -z "$(find f/d -name '.*')" ] &&
		grep -q 'bad.txt: rename into place on 127.0.0.1:[0-9]*: 553 Rename refused' tf.err &&
		[ "$(grep -c '^done' jf)" = 4 ] && ! grep -q '^done.*bad.txt' jf && grep -q '^failed.*bad.txt' jf &&
		pass "FXP, RNTO of a file refused while the next is in flight: it fails alone, not journaled, nothing left; the next copied whole" ||
		fail "FXP, RNTO refused" "rc $rc, dst: $(ls -A f/d), journal: $(cut -c1-60 jf | tr '\n' '|'): $(grep -v '^[<>*]' tf.err | tail -5)"
	overlapped tf.err && pass "FXP: the next file is under way (its PORT) before the rename of the one before is answered" ||
		fail "FXP overlap" "no PORT between RNTO d/bad.txt and its answer: $(grep -E '^[<>] (RNTO|RETR|STOR|5|2)' tf.err | head -30)"
	# The file after a slow rename is missing at the source (SIZE 550 while that rename is
	# unanswered): it fails alone; the renamed file is done, not failed with it.
	head -c 3000 /dev/urandom >"$FTPD_HOME_A/s/slow.txt"
	printf '%s\n' ok1.txt ok2.txt slow.txt missing.txt ok3.txt >list2
	rm -rf f/m && mkdir -p f/m
	run tm "${O[@]}" -v --fxp --parallel 1 --timeout 10 --journal jm --from-file list2 copy "${A}s" "${F}m"
	rc=$?
	[ $rc = 1 ] && same slow.txt f/m && same ok3.txt f/m && grep -q '^done.*slow.txt' jm && ! grep -q 'slow.txt:' tm.err &&
		grep -q 'missing.txt: no such file or folder on the server (server: 550' tm.err && [ "$(grep -c '^failed' jm)" = 1 ] &&
		[ -z "$(find f/m -name '.*')" ] && overlapped2() { awk '/^> RNTO m\/slow.txt/ { r = 1; next }
			r && /^> PORT / { print "yes"; exit } r && /^< (250|220)/ { exit }' tm.err | grep -q yes; } && overlapped2 &&
		pass "FXP: a missing source while the rename before it is unanswered fails alone; that file is done" ||
		fail "FXP, missing source behind a slow rename" "rc $rc, dst: $(ls -A f/m | tr '\n' ' '), journal: $(cut -c1-50 jm | tr '\n' '|'): $(grep -v '^[<>*]' tm.err | tail -4)"
else
	fail "fake ftp server (raw:rntofail)" "did not start: $(cat "$T/fakeftpd-F.log")"
fi

# --- the control connection dropped with the rename unanswered (the server did rename) ---
mkdir -p g/d
if fakeftpd_start G "$T/g" raw:rntodrop; then
	G=ftp://anonymous@127.0.0.1:$FAKEFTPD_PORT_G/
	for how in "" --move; do
		rm -rf g/d/* g/d/.[!.]* "$FTPD_HOME_A/s"
		mkdir -p "$FTPD_HOME_A/s" ref
		for f in ok1 ok2 bad ok3 ok4; do head -c 3000 /dev/urandom >"$FTPD_HOME_A/s/$f.txt"; done
		cp "$FTPD_HOME_A"/s/* ref/
		rm -f jg
		run "tg$how" "${O[@]}" -v --fxp --parallel 1 --timeout 10 --journal jg $how --from-file list copy "${A}s" "${G}d"
		rc=$?
		e=tg$how.err
		ok=1
		for f in ok1 ok2; do cmp -s ref/$f.txt g/d/$f.txt || ok=0; done
		# bad.txt may have its final name (the server renamed it; whole: its size was
		# checked before the RNFR), but it is not counted: no done line, and with --move
		# its source stays (exit 1: some files were copied). Without --move ok3.txt, in
		# flight behind it, fails too and is not under its final name; --move waits for
		# each rename (its SIZE and DELE follow it): ok3.txt begins on a fresh pair.
		tailnote="; the file in flight behind it fails too, not under its name"
		[ -n "$how" ] && tailnote="; the next files moved afresh"
		if [ -z "$how" ]; then
			later() { [ ! -e g/d/ok3.txt ] && grep -q 'ok3.txt: connection to .* lost' "$e" && ! grep -q '^done.*ok3.txt' jg &&
				[ -f "$FTPD_HOME_A/s/ok3.txt" ] && grep -q 'bad.txt: the connection to 127.0.0.1:[0-9]* ended before the rename into place was answered' "$e"; }
		else
			later() { cmp -s ref/ok3.txt g/d/ok3.txt && [ ! -e "$FTPD_HOME_A/s/ok1.txt" ] && [ ! -e "$FTPD_HOME_A/s/ok3.txt" ] &&
				grep -q 'bad.txt: connection to .* lost' "$e"; }
		fi
		[ $rc = 1 ] && [ $ok = 1 ] && later && [ -z "$(find g/d -name '.*')" ] && cmp -s ref/ok4.txt g/d/ok4.txt &&
			! grep -q '^done.*bad.txt' jg && grep -q '^done.*ok2.txt' jg && [ -f "$FTPD_HOME_A/s/bad.txt" ] &&
			pass "FXP${how:+ $how}, connection dropped at a file's RNTO: it fails, not journaled, its source kept, no temporary$tailnote" ||
			fail "FXP${how:+ $how}, RNTO dropped" "rc $rc, dst: $(ls -A g/d | tr '\n' ' '), src: $(ls "$FTPD_HOME_A/s" | tr '\n' ' '), journal: $(cut -c1-60 jg | tr '\n' '|'): $(grep -v '^[<>*]' "$e" | tail -5)"
	done
	overlapped tg.err && pass "FXP: the file after a dropped rename was under way (its PORT sent) when the connection closed" ||
		fail "FXP overlap (drop)" "no PORT after RNTO d/bad.txt: $(grep -E '^[<>] (RNTO|RETR|STOR|5|2)' tg.err | head -30)"
else
	fail "fake ftp server (raw:rntodrop)" "did not start: $(cat "$T/fakeftpd-G.log")"
fi
# --- a destination whose replies cannot be trusted (fixtures/ftp_fake.py raw:, by the
# name stored): a 227 to the STOR (fxpset.c fx_fits) fails the file cleanly (exit 5, the
# reply named, nothing left), before --timeout; a flood of lines that are no reply to the
# STOR (ctl.c CTL_NOISE_MAX), or a multi-line reply to it that never ends (the same bound),
# is a protocol error too (exit 5), not a lost connection ---
mkdir -p h/d
if fakeftpd_start H "$T/h" raw:plain; then
	H=ftp://anonymous@127.0.0.1:$FAKEFTPD_PORT_H/
	for f in st227 flood mlines; do
		head -c 3000 /dev/urandom >"$FTPD_HOME_A/s/$f.txt"
		t0=$(date +%s)
		run "th-$f" "${O[@]}" --fxp --timeout 20 copy "${A}s/$f.txt" "${H}d/$f.txt"
		rc=$?
		t=$(($(date +%s) - t0))
		case $f in
		st227) what="a 227"
			said() { grep -q 'answered STOR with "227 Entering Passive Mode' "th-$f.err"; } ;;
		mlines) what="a multi-line reply that never ends"
			said() { grep -q 'a reply of more than [0-9]* lines from 127.0.0.1' "th-$f.err"; } ;;
		*) what="a flood of lines that are no reply"
			said() { grep -q 'more than [0-9]* lines that are no reply from 127.0.0.1' "th-$f.err"; } ;;
		esac
		[ $rc = 5 ] && said && [ $t -lt 20 ] && [ -z "$(ls -A h/d)" ] &&
			pass "FXP: a destination answering STOR with $what: the file fails cleanly (exit 5, said, ${t} s, nothing left)" ||
			fail "FXP, STOR answered by $f" "rc $rc after $t s, dst: $(ls -A h/d): $(head -c 400 "th-$f.err")"
	done
else
	fail "fake ftp server (raw:plain)" "did not start: $(cat "$T/fakeftpd-H.log")"
fi
# --- a source that ends short (fixtures/ftp_fake.py sizelie: SIZE says 1,000 bytes more
# than RETR sends): FXP says and returns what the streamed copy does (man page: exit 3,
# like a broken connection), with and without a temporary; nothing under the final name,
# no temporary left ---
mkdir -p lie "$FTPD_HOME_A/ld" && head -c 200000 /dev/urandom >lie/short.bin
if fakeftpd_start L "$T/lie" sizelie; then
	L=ftp://anonymous@127.0.0.1:$FAKEFTPD_PORT_L/
	for how in --no-fxp --fxp "--fxp --no-atomic"; do
		n=tl${how// /}
		run "$n" -u "$FTP_USER" --no-tls $how --timeout 20 copy "${L}short.bin" "${A}ld/$n.bin"
		rc=$?
		[ $rc = 3 ] && grep -q '^nettool ftp: copy short.bin: the size differs from the announced one (200000 out of 201000 bytes)' "$n.err" &&
			[ -z "$(ls -A "$FTPD_HOME_A/ld")" ] &&
			pass "copy $how of a source that ends short: exit 3, the streamed copy's words, nothing left" ||
			fail "copy $how, source short" "rc $rc, dst: $(ls -A "$FTPD_HOME_A/ld" | tr '\n' ' '): $(head -c 400 "$n.err")"
	done
else
	fail "fake ftp server (sizelie)" "did not start: $(cat "$T/fakeftpd-L.log")"
fi
# --- a source folder taken for a file (fixtures/ftp_fake.py sizedir: SIZE of a folder
# answers 213, its RETR 550): FXP says what the streamed copy says, "it is a folder" for
# the one file named, the 550's words in a list; exit 1, nothing left on the destination ---
mkdir -p fk/src/d "$FTPD_HOME_A/fd" && echo y >fk/src/d/y && printf 'd\n' >dlist
if fakeftpd_start K "$T/fk" sizedir; then
	K=ftp://anonymous@127.0.0.1:$FAKEFTPD_PORT_K/
	for how in --no-fxp --fxp; do
		run "tk$how" -u "$FTP_USER" --no-tls $how --timeout 20 copy "${K}src/d" "${A}fd/d"
		rc=$?
		[ $rc = 1 ] && grep -q '^nettool ftp: copy src/d: it is a folder: copy -r copies a whole tree$' "tk$how.err" &&
			[ -z "$(ls -A "$FTPD_HOME_A/fd")" ] &&
			pass "copy $how of a source folder its server gives a size: \"it is a folder\", exit 1, nothing left" ||
			fail "copy $how, source folder" "rc $rc, dst: $(ls -A "$FTPD_HOME_A/fd" | tr '\n' ' '): $(head -c 400 "tk$how.err")"
		run "tkl$how" -u "$FTP_USER" --no-tls $how --timeout 20 --from-file dlist copy "${K}src" "${A}fd"
		rc=$?
		[ $rc = 1 ] && grep -q '^nettool ftp: copy src/d: no such file or folder on the server (server: 550 ' "tkl$how.err" &&
			[ -z "$(ls -A "$FTPD_HOME_A/fd")" ] &&
			pass "copy $how --from-file of that folder: the 550's words, exit 1, nothing left" ||
			fail "copy $how --from-file, source folder" "rc $rc, dst: $(ls -A "$FTPD_HOME_A/fd" | tr '\n' ' '): $(head -c 400 "tkl$how.err")"
	done
else
	fail "fake ftp server (sizedir)" "did not start: $(cat "$T/fakeftpd-K.log")"
fi
finish
