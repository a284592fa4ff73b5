#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_fake.sh - listings vsftpd cannot produce, from a scripted server
# (fixtures/ftp_fake.py over pyftpdlib): a line that is not MLSD (mirror --delete must
# not delete), a million-entry listing (memory, entry cap), a folder tree without end
# (walk depth), a line over 8192 bytes (cut, not parsed as whole), 200 subfolders in every
# folder (walk caps), long paths inside the entry cap (path-byte cap), a CR in the PWD reply (never sent back in a command), refusals and a
# hang-up (errors in our words), names with escape sequences (ls made safe, --json escaped),
# a login folder that is not a Unix path and devices in MLSD; a put whose STOR is answered 425
# after the server emptied the file (the error says it is left empty); a SIZE smaller than the
# file (a file that grew) and a 150 without size: a single get whole on both paths; a REST
# answered 350 and ignored (get --resume, --retry to a pipe: exit 5, nothing corrupted unsaid).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

if ! /usr/bin/python3 -c 'import pyftpdlib' 2>/dev/null; then
	skip "ftp fake server" "python3-pyftpdlib not installed (make deps)"
	finish
fi
ftp() { timeout 60 "$NT" ftp --no-tls "$@"; }
S=127.0.0.1
cd "$T" || exit 1

# --- a listing line that cannot be parsed: mirror --delete does nothing, says so
mkdir -p junk mj
printf 'one\n' >junk/f1.txt
printf 'old\n' >mj/old.txt
if fakeftpd_start J "$T/junk" junk; then
	P=$FAKEFTPD_PORT_J
	ftp -P "$P" mirror --delete $S: mj 2>junk.err
	rc=$?
	[ $rc = 1 ] && [ -f mj/old.txt ] && cmp -s mj/f1.txt junk/f1.txt && grep -q "cannot parse" junk.err &&
		grep -q -- "--delete not done" junk.err &&
		pass "mirror --delete with an unparsable listing line: fetches, deletes nothing, exit 1" ||
		fail "mirror --delete unparsable" "rc $rc: $(cat junk.err)"
else
	fail "fake ftp server (junk)" "did not start: $(cat "$T/fakeftpd-J.log")"
fi

# --- a folder in every folder, without end: the walk stops at 256 levels, says so,
# counts a failure, does no --delete (review finding 11: it ran until a timeout).
mkdir -p deep md
printf 'keep\n' >md/mine.txt
if fakeftpd_start DEEP "$T/deep" deep; then
	P=$FAKEFTPD_PORT_DEEP
	ftp -P "$P" --timeout 20 mirror --delete $S: md 2>deep.err
	rc=$?
	lvl=$(find md -type d | awk -F/ 'NF > m { m = NF } END { print m - 1 }')
	[ $rc = 1 ] && grep -q 'more than 256 folders deep' deep.err && [ "$lvl" = 256 ] && [ -f md/mine.txt ] &&
		grep -q -- '--delete not done' deep.err && grep -q '1 failed' deep.err &&
		pass "mirror of an endless tree: stops at 256 levels, exit 1, no --delete" ||
		fail "walk depth" "rc $rc, $lvl levels: $(tail -3 deep.err)"
else
	fail "fake ftp server (deep)" "did not start: $(cat "$T/fakeftpd-DEEP.log")"
fi

# --- an entry line over 8192 bytes is refused as a whole, not parsed cut
# (review finding 9: a 500-byte name after 7,900 bytes of facts became a shorter name).
mkdir -p long
if fakeftpd_start LONG "$T/long" long; then
	P=$FAKEFTPD_PORT_LONG
	ftp -P "$P" ls --json $S: >long.out 2>long.err
	rc=$?
	[ $rc = 0 ] && [ "$(grep -c . long.out)" = 1 ] && grep -q '"name":"short.txt"' long.out && grep -q 'cannot parse' long.err &&
		pass "a listing line over 8192 bytes: refused (warned), the rest listed" || fail "long listing line" "rc $rc: $(cut -c1-200 long.out long.err)"
else
	fail "fake ftp server (long)" "did not start: $(cat "$T/fakeftpd-LONG.log")"
fi

# --- a listing of 1,000,001 entries (~24 MB): refused at the entry cap with exit 5,
# and the million entries held until then cost little (review finding 2: 1 KiB each).
mkdir -p big
if fakeftpd_start BIG "$T/big" big:1000001; then
	P=$FAKEFTPD_PORT_BIG
	/usr/bin/time -f %M -o big.rss timeout 120 "$NT" ftp --no-tls -P "$P" ls --json $S: >big.out 2>big.err
	rc=$?
	kb=$(tail -1 big.rss)
	[ $rc = 5 ] && grep -q 'more than 1000000 entries' big.err && [ ! -s big.out ] &&
		pass "ls --json of 1,000,001 entries: refused, exit 5" || fail "listing entry cap" "rc $rc: $(head -3 big.err)"
	[ $rc = 5 ] && [ "${kb:-999999999}" -lt 400000 ] && pass "a million listing entries in ${kb} kB (< 400 MB)" ||
		fail "listing memory" "peak RSS ${kb} kB"
else
	fail "fake ftp server (big)" "did not start: $(cat "$T/fakeftpd-BIG.log")"
fi
# --- 200 subfolders in every folder: the whole-process caps of the tree walk stop it
# quickly with exit 5 and say which cap (it grew without limit: 91k entries, 16.8 MB in 20 s).
mkdir -p wide
if fakeftpd_start WIDE "$T/wide" wide; then
	P=$FAKEFTPD_PORT_WIDE
	t0=$(date +%s)
	ftp -P "$P" --max-folders 300 mirror $S: mw 2>wide.err
	rc=$?
	t1=$(date +%s)
	[ $rc = 5 ] && grep -q 'more than 300 folders' wide.err && grep -q -- '--max-folders' wide.err && [ ! -e mw ] &&
		pass "mirror of 200 subfolders in every folder: stops at --max-folders 300, exit 5, in $((t1 - t0)) s" ||
		fail "walk folder cap" "rc $rc: $(tail -3 wide.err)"
	# (from a subfolder: a copy of the root into /copy would be a copy into itself, refused)
	ftp -P "$P" --max-entries 5000 copy -r "$S:/d1" "$S:/copy" 2>wide2.err
	rc=$?
	[ $rc = 5 ] && grep -q 'more than 5000 entries' wide2.err && grep -q -- '--max-entries' wide2.err &&
		pass "copy -r of 200 subfolders in every folder: stops at --max-entries 5000, exit 5" ||
		fail "walk entry cap" "rc $rc: $(tail -3 wide2.err)"
else
	fail "fake ftp server (wide)" "did not start: $(cat "$T/fakeftpd-WIDE.log")"
fi

# --- in every folder one subfolder with a 250-byte name and 20,000 files: inside the
# entry cap, the stored paths (251 bytes more a level) grew to gigabytes; the walk now
# stops at 100 bytes of path for each name --max-entries allows (here 20 MB), exit 5.
mkdir -p lp
if fakeftpd_start LP "$T/lp" longpaths:20000; then
	P=$FAKEFTPD_PORT_LP
	lim=
	[ -z "${SANITIZED:-}" ] && lim="prlimit --as=2000000000"
	/usr/bin/time -f %M -o lp.rss timeout 120 $lim "$NT" ftp --no-tls -P "$P" --max-entries 200000 mirror $S: mlp 2>lp.err
	rc=$?
	kb=$(tail -1 lp.rss)
	[ $rc = 5 ] && grep -q 'paths of more than 20000000 bytes' lp.err && grep -q -- '--max-entries' lp.err && [ ! -e mlp ] &&
		pass "mirror of long paths inside the entry cap: stops at 20 MB of paths, exit 5" ||
		fail "walk path-byte cap" "rc $rc: $(tail -3 lp.err)"
	# ASan's quarantine and shadow memory add to the peak: a looser figure there.
	maxkb=100000
	[ -n "${SANITIZED:-}" ] && maxkb=300000
	[ "${kb:-999999999}" -lt $maxkb ] && pass "mirror of long paths: peak RSS ${kb} kB (< $((maxkb / 1000)) MB)" ||
		fail "walk memory with long paths" "peak RSS ${kb} kB"
else
	fail "fake ftp server (longpaths)" "did not start: $(cat "$T/fakeftpd-LP.log")"
fi

# --- a CR in the PWD reply never reaches a command we send (MKD /x<CR>DELE ... reached
# the server): the login folder is refused, exit 5, naming the character.
mkdir -p pwdcr
if fakeftpd_start PWDCR "$T/pwdcr" pwdcr; then
	P=$FAKEFTPD_PORT_PWDCR
	ftp -P "$P" mkdir $S:newdir 2>pwdcr.err
	rc=$?
	if grep -q '\\r' pwdcr/commands.log; then
		fail "a CR from the PWD reply" "reached the server: $(grep '\\r' pwdcr/commands.log | head -2)"
	elif [ $rc = 5 ] && grep -q "^nettool ftp: 127.0.0.1:$P: the PWD reply .* control character (CR" pwdcr.err; then
		pass "a CR in the PWD reply: refused with exit 5 (the server named host:port), no command with a CR sent"
	else
		fail "a CR in the PWD reply" "rc $rc: $(cat pwdcr.err)"
	fi
else
	fail "fake ftp server (pwdcr)" "did not start: $(cat "$T/fakeftpd-PWDCR.log")"
fi

# --- a login folder that is not a Unix path (z/OS: 257 "USER1.DATA"): relative targets are
# sent as given (they exited 5, "not an absolute path", before sending anything), and the
# MLSD devices (type=OS.unix=chr-../blk-..) are devices, not links.
mkdir -p oddpwd/d
printf 'gone\n' >oddpwd/f.txt
printf 'keep\n' >oddpwd/d/k.txt
if fakeftpd_start ODD "$T/oddpwd" oddpwd; then
	P=$FAKEFTPD_PORT_ODD
	bad=
	ftp -P "$P" mkdir $S:newdir 2>odd.err || bad="$bad mkdir($?)"
	ftp -P "$P" mv $S:newdir n2 2>>odd.err || bad="$bad mv($?)"
	ftp -P "$P" rmdir $S:n2 2>>odd.err || bad="$bad rmdir($?)"
	ftp -P "$P" rm $S:f.txt 2>>odd.err || bad="$bad rm($?)"
	ftp -P "$P" mkdir -p $S:a/b 2>>odd.err || bad="$bad mkdir-p($?)"
	for c in "'MKD newdir'" "'RNFR newdir'" "'RNTO n2'" "'RMD n2'" "'DELE f.txt'" "'MKD a/b'"; do
		grep -qx "$c" oddpwd/commands.log || bad="$bad missing:$c"
	done
	[ -z "$bad" ] && [ ! -e oddpwd/f.txt ] && [ -d oddpwd/a/b ] &&
		pass "a login folder that is not a Unix path: mkdir, mv, rmdir, rm of relative targets sent as given" ||
		fail "relative targets with a non-Unix PWD" "$bad: $(cat odd.err)"
	ftp -P "$P" ls --json $S: >odd.json 2>>odd.err
	python3 -c 'import json,sys; t={o["name"]: o["type"] for o in map(json.loads, open(sys.argv[1]))}; sys.exit(not (t.get("null") == "device" and t.get("sda") == "device" and t.get("d") == "dir"))' odd.json &&
		pass "MLSD OS.unix=chr-/blk- entries are listed as devices" || fail "MLSD devices" "$(cat odd.json)"
	ftp -P "$P" mirror $S: oddm 2>odd.err
	rc=$?
	[ $rc = 0 ] && cmp -s oddm/d/k.txt oddpwd/d/k.txt && [ ! -e oddm/null ] && [ ! -e oddm/sda ] &&
		pass "mirror skips devices, fetches the files" || fail "mirror with devices" "rc $rc: $(cat odd.err)"
	# The shell on that server: pwd as the server names it, names sent as typed.
	printf 'pwd\nmkdir sdir\nrmdir sdir\nget d/k.txt shell-k.txt\nbye\n' | ftp -P "$P" $S >oddsh.out 2>oddsh.err
	rc=$?
	[ $rc = 0 ] && [ "$(cat oddsh.out)" = USER1.DATA ] && grep -qx "'MKD sdir'" oddpwd/commands.log &&
		grep -qx "'RMD sdir'" oddpwd/commands.log && cmp -s shell-k.txt oddpwd/d/k.txt &&
		pass "the shell on a server whose PWD is not a Unix path" || fail "shell with a non-Unix PWD" "rc $rc: $(cat oddsh.out oddsh.err)"
else
	fail "fake ftp server (oddpwd)" "did not start: $(cat "$T/fakeftpd-ODD.log")"
fi

# --- errors in our own words, naming the command and the server's reply: never libcurl's
# "QUOT command failed with 550" or "response reading failed (errno: 0)".
mkdir -p words
if fakeftpd_start WORDS "$T/words" words; then
	P=$FAKEFTPD_PORT_WORDS
	ftp -P "$P" mkdir $S:newdir 2>words1.err
	rc1=$?
	ftp -P "$P" rmdir $S:old 2>words2.err
	rc2=$?
	if grep -Eqi 'QUOT|errno|response reading' words1.err words2.err; then
		fail "errors in our words" "libcurl's words: $(cat words1.err words2.err)"
	elif [ $rc1 = 1 ] && grep -q 'mkdir 127.0.0.1:newdir: the server refused the command (server: 550 Create directory' words1.err &&
		[ $rc2 = 3 ] && grep -q "rmdir 127.0.0.1:old: the connection broke while waiting for the server's reply" words2.err; then
		pass "ftp errors in our words, with the command and the server's reply"
	else
		fail "errors in our words" "rc $rc1/$rc2: $(cat words1.err words2.err)"
	fi
else
	fail "fake ftp server (words)" "did not start: $(cat "$T/fakeftpd-WORDS.log")"
fi

# --- names with terminal escape sequences: ls shows them made safe ('?' for each control
# character, the rest kept: it used to cut the name at the first one), --json escapes.
mkdir -p escnames
: >"escnames/a$(printf '\033')[2Jb$(printf '\302\233')c.txt"
if pyftpd_start ESC "$T/escnames"; then
	P=$PYFTPD_PORT_ESC
	ftp -P "$P" ls $S: >esc.out 2>esc.err
	rc=$?
	[ $rc = 0 ] && [ "$(cat esc.out)" = 'a?[2Jb?c.txt' ] && pass "ls: a name's escape sequence shown as '?', the name whole" ||
		fail "ls of a name with escapes" "rc $rc: $(od -c esc.out | head -3)"
	ftp -P "$P" ls --json $S: >esc.json 2>esc.err
	grep -q '"name":"a\\u001b\[2Jb\\u009bc.txt"' esc.json && pass "ls --json: the escape sequence escaped" ||
		fail "ls --json of a name with escapes" "$(cat esc.json esc.err)"
	ftp -P "$P" --json pwd $S: >pwd.json 2>pwd.err
	[ "$(cat pwd.json)" = '{"path":"/"}' ] && pass "pwd --json: one object with the path" || fail "pwd --json" "$(cat pwd.json pwd.err)"
else
	fail "pyftpdlib server (escapes)" "did not start: $(cat "$T/pyftpd-ESC.log")"
fi

# --- copy -r trusts the listing's sizes instead of asking SIZE before each RETR: a source
# shorter than its listed size must still fail (exit 3 words, "0 out of 1"), never count as
# copied; one longer (a file that grew after the listing: "hello", listed 1 byte) is copied
# whole, as get -r keeps it (main's binary failed it: "5 out of 1", the upload of the
# listed size came out unaligned).
mkdir -p lie
printf 'hello' >lie/f0
: >lie/f1
if fakeftpd_start LIE "$T/lie" big:2 && ftpd_start B; then
	NETTOOL_PASSWORD=$FTP_PASS ftp -u "$FTP_USER" copy -r "ftp://anonymous@$S:$FAKEFTPD_PORT_LIE/" \
		"ftp://$FTP_USER@$S:$FTPD_PORT_B/dst" 2>lie.err
	rc=$?
	[ $rc = 1 ] && ! grep -q 'copy f0: ' lie.err && grep -q 'copy f1: .*0 out of 1' lie.err &&
		grep -q '1 done, 1 failed' lie.err && [ "$(cat "$FTPD_HOME_B/dst/f0")" = hello ] && [ ! -e "$FTPD_HOME_B/dst/f1" ] &&
		pass "copy -r of sources whose size differs from the listing: the shorter fails, the longer copied whole (exit 1: a batch in part failed)" ||
		fail "copy -r size check" "rc $rc: $(head -3 lie.err)"
else
	fail "fake ftp server (lie) or vsftpd" "did not start: $(cat "$T/fakeftpd-LIE.log")"
fi

# --- put after a 425 to its STOR: the server (as vsftpd) has created or emptied the file by
# then; the error says what is left there (SIZE asked after the failure), not only the 425.
mkdir -p p425
echo "the server's old content" >p425/old425.txt
echo "new" >new.txt
if fakeftpd_start P425 "$T/p425" raw:; then
	for f in old425.txt made425.txt; do
		ftp -P "$FAKEFTPD_PORT_P425" put new.txt "$S:$f" 2>p425.err
		rc=$?
		[ $rc = 1 ] && [ -f "p425/$f" ] && [ ! -s "p425/$f" ] && grep -q "(server: 425 Security: Bad IP connecting.)" p425.err &&
			grep -q "; $f on $S:$FAKEFTPD_PORT_P425 is left empty: the server created or emptied it before the upload failed" p425.err &&
			pass "put after a 425 to its STOR ($f): the file left empty on the server said" ||
			fail "put after a 425 ($f)" "rc $rc: $(cat p425.err)"
	done
else
	fail "fake ftp server (raw: put)" "did not start: $(cat "$T/fakeftpd-P425.log")"
fi
# --- a SIZE that says less than the file has ("213 10" for 200,000 bytes: a file that grew
# after its SIZE; "213 -1"), the 150 naming no size (raw: *szsmall*, *sznl*, *nosz*): a single
# get is the whole file, what the data connection delivers up to its end and the 226, on both
# paths (own: --no-tls; libcurl's: AUTH TLS refused, plain), to -o FILE and to standard
# output, exit 0. On main's binary libcurl's path stopped at SIZE's count: 10 bytes (1 for
# "-1"), exit 0, no word. SIZE is still asked once, right before the RETR (the meter's
# total, the short check: a file short of SIZE's count, the 150 naming none, still fails, exit 3).
mkdir -p szs
head -c 200000 /dev/urandom >szs/szsmall_nosz.bin
head -c 200000 /dev/urandom >szs/sznl_nosz.bin
head -c 14000 /dev/urandom >szs/short_nosz.bin
if fakeftpd_start SZS "$T/szs" raw:; then
	for f in szsmall_nosz.bin sznl_nosz.bin short_nosz.bin; do
		for path in own curl; do
			for o in file stdout; do
				w="$f, $path path, -o $([ $o = file ] && echo FILE || echo -)"
				rm -f szs/commands.log szs.out
				tls=(--no-tls)
				[ $path = curl ] && tls=()
				if [ $o = file ]; then
					timeout 60 "$NT" ftp "${tls[@]}" -P "$FAKEFTPD_PORT_SZS" --timeout 10 --progress none get "$S:$f" -o szs.out 2>szs.err
				else
					timeout 60 "$NT" ftp "${tls[@]}" -P "$FAKEFTPD_PORT_SZS" --timeout 10 --progress none get "$S:$f" -o - >szs.out 2>szs.err
				fi
				rc=$?
				once=$(grep -c "^'SIZE $f'$" szs/commands.log)
				next=$(grep -A1 "^'SIZE $f'$" szs/commands.log | tail -1)
				if [ "$f" = short_nosz.bin ]; then
					# the fake sends half of it, the 150 names no size: SIZE's count decides
					[ $rc = 3 ] && grep -q "^nettool ftp: get $f: the transfer ended before the announced size$" szs.err &&
						{ [ $o = stdout ] || [ ! -e szs.out ]; } && [ "$once" = 1 ] &&
						pass "short of SIZE's count, the 150 naming none ($w): exit 3" ||
						fail "short of SIZE ($w)" "rc $rc: $(cat szs.err) $(tr '\n' ' ' <szs/commands.log)"
					continue
				fi
				[ $rc = 0 ] && cmp -s szs.out "szs/$f" && [ ! -s szs.err ] && [ "$once" = 1 ] &&
					{ [ $path = own ] || [ "$next" = "'RETR $f'" ]; } &&
					pass "a SIZE smaller than the file ($w): the whole file, exit 0" ||
					fail "SIZE smaller than the file ($w)" "rc $rc, $(wc -c <szs.out) bytes: $(cat szs.err) $(tr '\n' ' ' <szs/commands.log)"
			done
		done
	done
	# The own path's bound on a stream (twice the announced size plus 64 MiB: a server that
	# sends without end) is the 150's size alone, never SIZE's: a file of 68 MiB whose SIZE
	# says 10 and whose 150 names none comes whole (main's binary: exit 5, "over 67053568
	# bytes sent for a file announced as 10").
	head -c $((68 << 20)) /dev/zero >szs/szsmall_big_nosz.bin
	timeout 60 "$NT" ftp --no-tls -P "$FAKEFTPD_PORT_SZS" --timeout 10 --progress none get "$S:szsmall_big_nosz.bin" -o szs.out 2>szs.err
	rc=$?
	[ $rc = 0 ] && cmp -s szs.out szs/szsmall_big_nosz.bin && [ ! -s szs.err ] &&
		pass "own path, 68 MiB whose SIZE says 10: the whole file, exit 0 (SIZE's count bounds no stream)" ||
		fail "own path, 68 MiB whose SIZE says 10" "rc $rc, $(wc -c <szs.out) bytes: $(cat szs.err)"
	rm -f szs/szsmall_big_nosz.bin szs.out
	# `size` reads SIZE's answer as a get does (ftp_parse_213_size): "213 -1" is no size
	# (exit 1, said), not 1 byte (main's binary: libcurl's reading, "1", exit 0; the size a
	# copy of a single file would hold its transfer to).
	timeout 20 "$NT" ftp --no-tls -P "$FAKEFTPD_PORT_SZS" --timeout 10 size "$S:sznl_nosz.bin" >szs.out 2>szs.err
	rc=$?
	[ $rc = 1 ] && [ ! -s szs.out ] && grep -q "^nettool ftp: $S:sznl_nosz.bin: the server did not report a size" szs.err &&
		pass "size of a file whose SIZE says \"213 -1\": no size (exit 1), not 1 byte" ||
		fail "size, \"213 -1\"" "rc $rc: $(cat szs.out szs.err)"
else
	fail "fake ftp server (raw: SIZE small)" "did not start: $(cat "$T/fakeftpd-SZS.log")"
fi
# The same SIZE under get --resume and under --retry of a stream (REST: libcurl's path
# alone; raw:flaky keeps REST's offset, and resets each file's first RETR halfway): the rest
# of the file after the local 5 bytes; to a pipe, the retry goes on after the broken half. On
# main's binary libcurl stopped at SIZE's count: 10 bytes in all, exit 0.
mkdir -p szr
head -c 200000 /dev/urandom >szr/szsmall_c.bin
head -c 200000 /dev/urandom >szr/szsmall_r.bin
if fakeftpd_start SZR "$T/szr" raw:flaky; then
	timeout 60 "$NT" ftp -P "$FAKEFTPD_PORT_SZR" --timeout 10 --progress none get "$S:szsmall_c.bin" -o /dev/null 2>/dev/null # its reset spent
	head -c 5 szr/szsmall_c.bin >szr.out
	timeout 60 "$NT" ftp -P "$FAKEFTPD_PORT_SZR" --timeout 10 --progress none get -c "$S:szsmall_c.bin" -o szr.out 2>szr.err
	rc=$?
	[ $rc = 0 ] && cmp -s szr.out szr/szsmall_c.bin && grep -q "^'REST 5'$" szr/commands.log &&
		pass "get --resume of a file whose SIZE is smaller: the whole rest (REST 5), exit 0" ||
		fail "get --resume, SIZE smaller" "rc $rc, $(wc -c <szr.out) bytes: $(cat szr.err)"
	timeout 60 "$NT" ftp -P "$FAKEFTPD_PORT_SZR" --timeout 10 --progress none --retry 2 get "$S:szsmall_r.bin" -o - >szr.out 2>szr.err
	rc=$?
	[ $rc = 0 ] && cmp -s szr.out szr/szsmall_r.bin && grep -q "^'REST 100000'$" szr/commands.log &&
		pass "--retry to a pipe of a file whose SIZE is smaller: the first half, then the rest (REST), exit 0" ||
		fail "--retry to a pipe, SIZE smaller" "rc $rc, $(wc -c <szr.out) bytes: $(cat szr.err)"
else
	fail "fake ftp server (raw:flaky, SIZE small)" "did not start: $(cat "$T/fakeftpd-SZR.log")"
fi
# A server that answers REST with 350 and sends the file from its start all the same (raw:flaky,
# *igrest*: the 150 announces the whole size): after a REST of N bytes SIZE's whole count came,
# not SIZE's less N. get --resume of a 50,000-byte local part fails with exit 5 and the local
# file is cut back to its 50,000 bytes, untouched; --retry to a pipe (the first RETR reset
# halfway, the retry's REST 100000 ignored) fails with exit 5, the message saying what standard
# output holds. On both paths (the own one's first attempt: --no-tls). On main's binary both
# exited 0: a 250,000-byte file, a 300,000-byte stream, the first bytes twice (ATTACK3 finding 5).
mkdir -p igr
for path in own curl; do
	head -c 200000 /dev/urandom >"igr/igrest_c_$path.bin"
	head -c 200000 /dev/urandom >"igr/igrest_r_$path.bin"
done
if fakeftpd_start IGR "$T/igr" raw:flaky; then
	for path in own curl; do
		tls=(--no-tls)
		[ $path = curl ] && tls=()
		f=igrest_c_$path.bin
		timeout 60 "$NT" ftp "${tls[@]}" -P "$FAKEFTPD_PORT_IGR" --timeout 10 --progress none get "$S:$f" -o /dev/null 2>/dev/null # its reset spent
		head -c 50000 "igr/$f" >igr.part
		cp igr.part igr.out
		rm -f igr/commands.log
		timeout 60 "$NT" ftp "${tls[@]}" -P "$FAKEFTPD_PORT_IGR" --timeout 10 --progress none get -c "$S:$f" -o igr.out 2>igr.err
		rc=$?
		[ $rc = 5 ] && cmp -s igr.out igr.part && grep -q "^'REST 50000'$" igr/commands.log &&
			grep -q "^nettool ftp: get $f: protocol: the server ignored REST 50000: it answered 350, then sent 200000 bytes, SIZE's whole count, from the file's start; igr.out is kept as it was (its 50000 bytes: what came was cut off)$" igr.err &&
			pass "get --resume, REST ignored ($path path): exit 5, the local part kept as it was" ||
			fail "get --resume, REST ignored ($path path)" "rc $rc, $(wc -c <igr.out) bytes: $(cat igr.err)"
		f=igrest_r_$path.bin
		rm -f igr/commands.log
		timeout 60 "$NT" ftp "${tls[@]}" -P "$FAKEFTPD_PORT_IGR" --timeout 10 --progress none --retry 2 get "$S:$f" -o - >igr.out 2>igr.err
		rc=$?
		[ $rc = 5 ] && [ "$(wc -c <igr.out)" = 300000 ] && cmp -s <(head -c 100000 igr.out) <(head -c 100000 "igr/$f") &&
			grep -q "^'REST 100000'$" igr/commands.log &&
			grep -q "^nettool ftp: get $f: protocol: the server ignored REST 100000: it answered 350, then sent 200000 bytes, SIZE's whole count, from the file's start; standard output holds the first 100000 bytes and then the file again from its start (300000 bytes in all): not the file$" igr.err &&
			pass "--retry to a pipe, the retry's REST ignored ($path path): exit 5, what standard output holds said" ||
			fail "--retry to a pipe, REST ignored ($path path)" "rc $rc, $(wc -c <igr.out) bytes: $(cat igr.err)"
	done
else
	fail "fake ftp server (raw:flaky, REST ignored)" "did not start: $(cat "$T/fakeftpd-IGR.log")"
fi
finish
