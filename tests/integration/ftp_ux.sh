#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_ux.sh - what a new user meets, against vsftpd: options that do nothing for a
# command are refused (exit 2, the option and the command named), a folder named
# without -r said once, a destination folder that can not be entered named with its
# server (and --create-dirs where the command has it), `ftp status` warning about a
# missing journal and a journal of another list, get --move's second summary labelled,
# a port in HOST:PATH named in the connect error with how to give it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

ftpd_script "ftp ux"
export NETTOOL_PASSWORD=$FTP_PASS HOME=$T/nohome
O=(--cacert "$CA" -u "$FTP_USER" -P "$P" --progress none)
cd "$T" || exit 1
mkdir -p "$H/d/sub"
echo one >"$H/d/f.txt"
echo two >"$H/d/sub/g.txt"

# --- 1. an option that does nothing for the command: refused, never ignored.
refused() { # COMMAND OPTION ARGS...: exit 2, the option and the command named, nothing sent
	local cmd=$1 opt=$2 rc
	shift 2
	rm -rf out.r
	timeout 30 "$NT" ftp "${O[@]}" $opt "$cmd" "$@" >r.out 2>r.err
	rc=$?
	if [ $rc = 2 ] && grep -qF -- "${opt%% *}" r.err && grep -q "for $cmd" r.err && [ ! -e out.r ] &&
		[ ! -e "$H/copy.r" ]; then
		pass "$cmd $opt: refused, exit 2, option and command named"
	else
		fail "$cmd $opt refused" "rc $rc: $(cat r.err)"
	fi
}
for o in --resume --delete --reverse --only-newer --fsync "-o x.out"; do
	refused copy "$o" $S:d/f.txt $S:copy.r
done
for o in --delete --reverse --no-atomic --create-dirs; do
	refused get "$o" $S:d/f.txt -O out.r
done
refused get -l $S:d/f.txt -O out.r
# The tree walk's options (--exclude, --max-*): put, rm and a get or copy without -r walk
# nothing (they were ignored).
echo up >up.r
for o in "--exclude x" "--max-entries 5" "--max-folders 5"; do
	refused put "$o" up.r $S:put.r
	refused rm "$o" $S:nothere.r
done
refused get "--exclude x" $S:d/f.txt -O out.r
# -r where nothing is a tree, --parallel and --deadline where no batch runs.
refused ls -r $S:d
refused rm -r $S:nothere.r
refused mkdir "--deadline 5" $S:newdir.r
refused size "--parallel 2" $S:d/f.txt
refused status "--parallel 2" --from-file list.r --journal j.r
# status reads journals alone: the options of a connection (and of the transfers) are
# refused too, by the same table (they were taken and ignored).
for o in "-u x" --tls --no-tls "--cacert x.pem" "--limit-rate 1k" "--retry 2" "--timeout 5" "-P 2121" --ascii \
	"--progress none" "--proxy http://127.0.0.1:1"; do
	"$NT" ftp $o status --from-file list.r --journal j.r >r.out 2>r.err
	rc=$?
	[ $rc = 2 ] && grep -qF -- "${o%% *}" r.err && grep -q "for status: it reads journals and connects to no server" r.err &&
		[ ! -s r.out ] && pass "status $o: refused, exit 2, option named" || fail "status $o refused" "rc $rc: $(cat r.err)"
done
refused copy "--max-entries 5" $S:d/f.txt $S:copy.r
grep -q 'without -r' r.err && pass "copy --max-entries without -r: says it goes with copy -r" || fail "copy --max-entries wording" "$(cat r.err)"
timeout 30 "$NT" ftp "${O[@]}" -q get -r --exclude 'g.*' $S:d -O excl 2>ex.err
rc=$?
[ $rc = 0 ] && [ -f excl/d/f.txt ] && [ ! -e excl/d/sub/g.txt ] && pass "get -r --exclude: taken, g.txt skipped" ||
	fail "get -r --exclude" "rc $rc: $(find excl; cat ex.err)"
refused rmdir -p $S:d/nothere
# --delete and --only-newer do something for get -r (the mirror engine): kept, documented.
mkdir -p keep/d
echo stale >keep/d/stale.txt
timeout 30 "$NT" ftp "${O[@]}" -q get -r --delete $S:d -O keep 2>gr.err
rc=$?
[ $rc = 0 ] && [ ! -e keep/d/stale.txt ] && cmp -s keep/d/sub/g.txt "$H/d/sub/g.txt" &&
	pass "get -r --delete: kept (deletes what the remote tree no longer has)" || fail "get -r --delete" "rc $rc: $(cat gr.err)"
"$NT" ftp --help >help.out
grep -q -- '--delete.*mirror, get -r' help.out && grep -q -- '--only-newer.*mirror, get -r' help.out &&
	pass "--help says --delete and --only-newer are for mirror and get -r" || fail "--help of --delete" "$(grep -- --delete help.out)"

# --- 2. a folder named without -r: said once, as a folder, with -r.
for c in get copy; do
	if [ $c = get ]; then args=(-O out2); else args=($S:copy2); fi
	timeout 30 "$NT" ftp "${O[@]}" $c $S:d "${args[@]}" >f.out 2>f.err
	rc=$?
	[ $rc = 1 ] && [ "$(wc -l <f.err)" = 1 ] && grep -q "folder" f.err && grep -q -- "$c -r" f.err &&
		! grep -q 550 f.err && pass "$c of a folder without -r: one line, a folder, $c -r" ||
		fail "$c of a folder" "rc $rc: $(cat f.err)"
done

# --- 3. a destination folder that can not be entered: the server named, --create-dirs hinted.
timeout 30 "$NT" ftp "${O[@]}" copy $S:d/f.txt $S:nodir/f.txt 2>c3.err
rc=$?
[ $rc = 1 ] && grep -q "127.0.0.1:$P" c3.err && grep -q "'nodir'" c3.err && grep -q -- --create-dirs c3.err &&
	pass "copy into a missing folder: folder, server and --create-dirs named" || fail "copy into a missing folder" "rc $rc: $(cat c3.err)"
timeout 30 "$NT" ftp "${O[@]}" --create-dirs copy $S:d/f.txt $S:nodir/f.txt 2>c3b.err
rc=$?
[ $rc = 0 ] && cmp -s "$H/nodir/f.txt" "$H/d/f.txt" && pass "copy --create-dirs makes it" || fail "copy --create-dirs" "rc $rc: $(cat c3b.err)"
timeout 30 "$NT" ftp "${O[@]}" put "$H/d/f.txt" $S:nodir2/f.txt 2>p3.err
rc=$?
[ $rc = 1 ] && grep -q "127.0.0.1:$P" p3.err && grep -q -- --create-dirs p3.err &&
	pass "put into a missing folder: server and --create-dirs named" || fail "put into a missing folder" "rc $rc: $(cat p3.err)"
# put of several files "into" an existing file: it is a file, not a folder (with or without
# --create-dirs: no folder can be made there), and the file is kept.
echo keep >"$H/big2.bin"
for cd in "" --create-dirs; do
	timeout 30 "$NT" ftp "${O[@]}" $cd put "$H/d/f.txt" "$H/d/sub/g.txt" $S:big2.bin 2>p4.err
	rc=$?
	[ $rc = 1 ] && grep -q "big2.bin on 127.0.0.1:$P is a file, not a folder" p4.err && ! grep -q -- "could not enter\|--create-dirs creates" p4.err &&
		[ "$(cat "$H/big2.bin")" = keep ] && pass "put ${cd:-(default)} into a file: 'is a file, not a folder'" ||
		fail "put ${cd:-(default)} into a file" "rc $rc: $(cat p4.err)"
done
# copy with a glob: the files that match, into the folder; the pattern never sent as a
# name; a missing destination folder said once; a pattern with -r refused (exit 2).
mkdir -p "$H/gl/f1dir.dat" && echo a >"$H/gl/f1a.dat" && echo b >"$H/gl/f1b.dat" && echo c >"$H/gl/f2.dat"
timeout 30 "$NT" ftp "${O[@]}" copy "$S:gl/f1*.dat" $S:globout/ 2>g5.err
rc=$?
[ $rc = 1 ] && [ "$(grep -c . g5.err)" = 1 ] && grep -q "'globout' on 127.0.0.1:$P" g5.err && [ ! -e "$H/globout" ] &&
	pass "copy of a glob into a missing folder: one line, the folder named" || fail "copy glob, missing folder" "rc $rc: $(cat g5.err)"
mkdir -p "$H/globout"
timeout 30 "$NT" ftp "${O[@]}" copy "$S:gl/f1*.dat" $S:globout/ 2>g6.err
rc=$?
[ $rc = 0 ] && cmp -s "$H/gl/f1a.dat" "$H/globout/f1a.dat" && cmp -s "$H/gl/f1b.dat" "$H/globout/f1b.dat" &&
	[ ! -e "$H/globout/f2.dat" ] && [ ! -e "$H/globout/f1dir.dat" ] && ! grep -q 'f1\*' "$LOG" &&
	pass "copy of a glob: the matching files copied, the pattern never sent" || fail "copy glob" "rc $rc: $(cat g6.err) / $(ls "$H/globout")"
timeout 30 "$NT" ftp "${O[@]}" -r copy "$S:gl/f1*" $S:globout2 2>g7.err
rc=$?
[ $rc = 2 ] && grep -q "pattern" g7.err && pass "copy -r with a pattern: refused, exit 2" || fail "copy -r pattern" "rc $rc: $(cat g7.err)"
# put of a quoted local glob: the file is not there (exit 6), and put's rule said.
mkdir -p loc/many && echo x >loc/many/x.dat
timeout 30 "$NT" ftp "${O[@]}" put 'loc/many/*.dat' $S:d/ 2>p5.err
rc=$?
[ $rc = 6 ] && grep -q "no patterns of its own" p5.err && grep -q "unquoted" p5.err &&
	pass "put of a quoted local glob: exit 6, the shell's expansion named" || fail "put quoted glob" "rc $rc: $(cat p5.err)"
# --progress plain: a transfer shorter than the 5 s between lines still prints its final line.
timeout 30 "$NT" ftp "${O[@]}" --progress plain put "$H/d/f.txt" $S:plain.txt 2>pp.err
rc=$?
[ $rc = 0 ] && grep -q 'ftp 100% .*1/1 files$' pp.err && ! grep -q $'\r' pp.err && pass "--progress plain: the final line of a short transfer" ||
	fail "--progress plain" "rc $rc: $(cat pp.err)"
# copy -r into a missing folder: said once, before any file (no STOR per file).
s0=$(grep -c '"STOR' "$LOG")
timeout 30 "$NT" ftp "${O[@]}" copy -r $S:d $S:newparent/tree3 2>c3r.err
rc=$?
stor=$(($(grep -c '"STOR' "$LOG") - s0))
[ $rc = 1 ] && [ "$stor" = 0 ] && grep -q "'newparent' on 127.0.0.1:$P" c3r.err && grep -q -- --create-dirs c3r.err &&
	[ "$(grep -c . c3r.err)" = 1 ] && pass "copy -r into a missing folder: one line, server and --create-dirs named, no STOR" ||
	fail "copy -r into a missing folder" "rc $rc, $stor STOR: $(head -3 c3r.err)"
# put --from-file into a missing folder: said once, as copy says it, not once per item.
mkdir -p pfl/sub && for f in a b c d; do echo $f >pfl/$f; done && echo x >pfl/sub/x
printf 'a\nb\nc\nd\n' >pfl/list
s0=$(grep -c '"STOR' "$LOG")
(cd pfl && timeout 30 "$NT" ftp "${O[@]}" put --from-file list $S:nodata/pf 2>../pf.err)
rc=$?
stor=$(($(grep -c '"STOR' "$LOG") - s0))
[ $rc = 1 ] && [ "$stor" = 0 ] && [ "$(grep -c . pf.err)" = 1 ] && grep -q "could not enter the folder 'nodata/pf' on 127.0.0.1:$P" pf.err &&
	grep -q -- --create-dirs pf.err && pass "put --from-file into a missing folder: one line, the folder, server and --create-dirs named" ||
	fail "put --from-file into a missing folder" "rc $rc, $stor STOR: $(head -3 pf.err)"
# a file put into a folder that cannot be entered: the refusal said once, in one set of
# words with the server's reply (not "no such folder or access denied (...): could not
# enter the folder ... (missing, or not allowed)"), in the message and in --json's reason
timeout 30 "$NT" ftp "${O[@]}" --json put pfl/a $S:nodata/pf1/a >pf1.json 2>pf1.err
rc=$?
want="could not enter the folder 'nodata/pf1' on 127.0.0.1:$P (missing, or not allowed; server: 550 "
[ $rc = 1 ] && [ "$(grep -c . pf1.err)" = 1 ] && grep -qF "put pfl/a: $want" pf1.err && grep -qF "\"reason\":\"$want" pf1.json &&
	! grep -q 'no such folder or access denied' pf1.err pf1.json &&
	pass "put into a folder not entered: the refusal said once, with the server's reply (stderr and --json)" ||
	fail "put into a folder not entered" "rc $rc: $(cat pf1.err pf1.json)"
# put --from-file: a line absolute or with '..' goes under its last name; two lines that
# name the same remote file: the later one fails (exit 1), the earlier is stored whole.
mkdir -p "$H/pf2" pfl/up && echo up >pfl/up/y && echo top >pfl/y && echo abs >"$T/small.txt"
printf 'sub/x\ny\n../pfl/up/y\n%s\n%s\n' "$T/small.txt" "$T/small.txt" >pfl/list2
(cd pfl && timeout 30 "$NT" ftp "${O[@]}" --create-dirs put --from-file list2 $S:pf2 2>../pf2.err)
rc=$?
[ $rc = 1 ] && cmp -s pfl/sub/x "$H/pf2/sub/x" && [ "$(cat "$H/pf2/y")" = top ] && cmp -s "$T/small.txt" "$H/pf2/small.txt" &&
	[ "$(grep -c "remote name 'y' is that of an earlier line" pf2.err)" = 1 ] && grep -q "put ../pfl/up/y:" pf2.err &&
	[ "$(grep -c . pf2.err)" -le 2 ] &&
	pass "put --from-file: '..'/absolute lines under their last name; a second line for one remote name refused" ||
	fail "put --from-file collision" "rc $rc: $(cat pf2.err) / $(cat "$H/pf2/y" 2>&1)"
timeout 30 "$NT" ftp "${O[@]}" --create-dirs copy -r $S:d $S:newparent2/x/tree3 2>c3s.err
rc=$?
[ $rc = 0 ] && cmp -s "$H/newparent2/x/tree3/sub/g.txt" "$H/d/sub/g.txt" &&
	pass "copy -r --create-dirs makes the missing folders above" || fail "copy -r --create-dirs" "rc $rc: $(head -3 c3s.err)"
timeout 30 "$NT" ftp "${O[@]}" copy -r $S:d $S:newparent2/tree4/ 2>c3t.err
rc=$?
[ $rc = 0 ] && cmp -s "$H/newparent2/tree4/sub/g.txt" "$H/d/sub/g.txt" &&
	pass "copy -r into a new folder (trailing slash) whose parent exists: made" || fail "copy -r DST/" "rc $rc: $(head -3 c3t.err)"
timeout 30 "$NT" ftp "${O[@]}" get $S:nodir3/f.txt -O out3 2>g3.err
rc=$?
[ $rc = 1 ] && grep -q "127.0.0.1:$P" g3.err && ! grep -q -- --create-dirs g3.err &&
	pass "get from a missing folder: server named, no --create-dirs (get has none)" || fail "get from a missing folder" "rc $rc: $(cat g3.err)"

# --- 4. ftp status: a missing journal and a journal of another list, warned about.
printf 'a\nb\nc\nd\n' >list4.txt
printf 'run\tget\tdata\t.\ndone\tget\tdata/a\t./a\n' >j4.1
printf 'run\tget\tdata\t.\ndone\tget\tdata/zz\t./zz\ndone\tget\tdata/b\t./b\n' >j4.other
"$NT" ftp status --from-file list4.txt --journal j4.1 j4.2 >s4.out 2>s4.err
rc=$?
[ $rc = 1 ] && [ "$(wc -l <s4.err)" = 1 ] && grep -q "j4.2" s4.err && grep -q '^done *1$' s4.out &&
	grep -q '^remaining *3$' s4.out && pass "status: a missing journal warned about (one line), the counts go on" ||
	fail "status, missing journal" "rc $rc: $(cat s4.out s4.err)"
"$NT" ftp status --json --from-file list4.txt --journal j4.1 j4.other >s4b.out 2>s4b.err
rc=$?
[ $rc = 1 ] && [ "$(wc -l <s4b.err)" = 1 ] && grep -q "j4.other: 1 of its 2 done items are not in list4.txt" s4b.err &&
	grep -q '"total":4,"done":2,"remaining":2,"failed":0,"journals":2,"journals_given":2,"warnings":1}' s4b.out &&
	pass "status: a journal with items of another list warned about; --json counts the warnings" ||
	fail "status, another list" "rc $rc: $(cat s4b.out s4b.err)"
"$NT" ftp status --json --from-file list4.txt --journal j4.1 >s4c.out 2>s4c.err
[ ! -s s4c.err ] && grep -q '"warnings":0}' s4c.out && pass "status: no warning, warnings 0" ||
	fail "status, no warning" "$(cat s4c.out s4c.err)"

# Only missing journals (no shard started): the counts all the same, every item remaining.
"$NT" ftp status --from-file list4.txt --journal j4.none1 j4.none2 >s4m.out 2>s4m.err
rc=$?
[ $rc = 1 ] && [ "$(wc -l <s4m.err)" = 2 ] && grep -q '^total *4$' s4m.out && grep -q '^remaining *4$' s4m.out &&
	pass "status with only missing journals: warned, all 4 remaining" || fail "status, only missing journals" "rc $rc: $(cat s4m.out s4m.err)"
"$NT" ftp status --json --from-file list4.txt --journal j4.none1 >s4n.out 2>s4n.err
rc=$?
[ $rc = 1 ] && grep -q '"total":4,"done":0,"remaining":4,"failed":0,"journals":0,"journals_given":1,"warnings":1}' s4n.out &&
	pass "status --json with a missing journal alone: the counts, journals 0 (counted) of 1 given" || fail "status --json, missing journal" "rc $rc: $(cat s4n.out s4n.err)"

# A journal (or a list) that is no such thing: a line without end (/dev/zero, 2 MiB
# without LF) is refused at the line reader's bound (1 MiB), exit 6 and a clear message,
# in bounded memory (it read /dev/zero without end).
head -c 2097152 /dev/zero | tr '\0' 'z' >long.j
bounded() { # run in 400 MB of address space (not under ASan, whose shadow needs more)
	if [ -n "${SANITIZED:-}" ]; then "$@"; else (ulimit -v 400000 && exec "$@"); fi
}
for j in /dev/zero long.j; do
	bounded timeout 20 "$NT" ftp status --from-file list4.txt --journal j4.1 "$j" >s4d.out 2>s4d.err
	rc=$?
	[ $rc = 6 ] && grep -q "journal $j: line 1 is longer than 1048575 bytes: not a journal" s4d.err &&
		pass "status --journal $j: refused at the line bound, exit 6" || fail "status --journal $j" "rc $rc: $(head -c 300 s4d.err)"
done
bounded timeout 20 "$NT" ftp status --from-file /dev/zero --journal j4.1 >s4e.out 2>s4e.err
rc=$?
[ $rc = 6 ] && grep -q "from-file /dev/zero: line 1 is longer than 1048575 bytes" s4e.err &&
	pass "status --from-file /dev/zero: refused at the line bound, exit 6" || fail "status --from-file /dev/zero" "rc $rc: $(head -c 300 s4e.err)"

# A journal of another command, or of a run against another server, for the same list: named
# and not counted (its items are not this job's). The run line says the command; a run now
# writes a site line after it (host:port); a journal without one (older) is counted as before.
mkdir -p "$H/st" put4 && echo A >"$H/st/a" && echo B >"$H/st/b"
printf 'a\nb\nc\n' >list4s.txt
timeout 30 "$NT" ftp "${O[@]}" -q get --from-file list4s.txt $S:st -O st4 --journal jg4 2>/dev/null
[ "$(grep -A1 "^run	" jg4 | sed -n 2p)" = "site	127.0.0.1:$P" ] &&
	pass "a journaled run over a list: site host:port after its run line" || fail "site line" "$(head -3 jg4)"
(cd put4 && echo 1 >a && echo 2 >b && echo 3 >c &&
	timeout 30 "$NT" ftp "${O[@]}" -q put --from-file ../list4s.txt $S:stp/ --create-dirs --journal ../jp4 2>/dev/null)
"$NT" ftp status --from-file list4s.txt --journal jg4 jp4 >s4p.out 2>s4p.err
rc=$?
[ $rc = 1 ] && grep -q "journal jp4 was written by put, journal jg4 by get: a journal of another command, not counted" s4p.err &&
	grep -q '^done *2$' s4p.out && grep -q '^remaining *1$' s4p.out &&
	pass "status: a journal of another command (put) for the same list named, not counted" ||
	fail "status, another command" "rc $rc: $(cat s4p.out s4p.err)"
# the same get on another server (that server had c too): named, not counted
awk -F'\t' -v OFS='\t' '$1 == "site" { print "site", "127.0.0.1:1"; next }
	$1 == "done" && $3 ~ /a$/ { print; sub(/a$/, "c", $3); sub(/a$/, "c", $4) } { print }' jg4 >jg4.other
"$NT" ftp status --json --from-file list4s.txt --journal jg4 jg4.other >s4o.out 2>s4o.err
rc=$?
[ $rc = 1 ] && grep -q "journal jg4.other is of a run against 127.0.0.1:1, journal jg4 against 127.0.0.1:$P: a journal of another server, not counted" s4o.err &&
	grep -q '"total":3,"done":2,"remaining":1,.*"warnings":1}' s4o.out &&
	pass "status: a journal of the same list against another server named, not counted" ||
	fail "status, another server" "rc $rc: $(cat s4o.out s4o.err)"
# A journal with done items not in the list: the warning says those items are not
# counted (the journal's others are).
printf 'b\n' >list4b.txt
"$NT" ftp status --from-file list4b.txt --journal jg4 >s4b.out 2>s4b.err
rc=$?
[ $rc = 0 ] && grep -q "journal jg4: 1 of its 2 done items are not in list4b.txt (a journal of another list, or the list's paths relative to another folder?): that item is not counted" s4b.err &&
	grep -q '^done *1$' s4b.out && pass "status: done items not in the list: the warning says that those are not counted" ||
	fail "status, items not in the list" "rc $rc: $(cat s4b.out s4b.err)"
# No journal with a run line (a run killed before its first item; a copy -r's): named,
# and the counts printed all the same (every item remaining), as for a missing journal.
grep -v '^run	\|^site	' jg4 >jg4.norun
grep '^tag	' jg4 >jg4.tagonly
for j in jg4.norun jg4.tagonly; do
	"$NT" ftp status --from-file list4s.txt --journal $j >s4r.out 2>s4r.err
	rc=$?
	"$NT" ftp status --json --from-file list4s.txt --journal $j >s4r.json 2>/dev/null
	[ $rc = 1 ] && grep -q "journal $j has no run line" s4r.err && grep -q '^total *3$' s4r.out && grep -q '^remaining *3$' s4r.out &&
		grep -q '"total":3,"done":0,"remaining":3,"failed":0,"journals":0,"journals_given":1,"warnings":1}' s4r.json &&
		pass "status with only a journal without a run line ($j): named, the counts printed, all 3 remaining" ||
		fail "status, no run line ($j)" "rc $rc: $(cat s4r.out s4r.err s4r.json)"
done
grep -v '^site	' jg4.other >jg4.old
"$NT" ftp status --json --from-file list4s.txt --journal jg4 jg4.old >s4q.out 2>s4q.err
grep -q '"done":3,"remaining":0,.*"warnings":0}' s4q.out &&
	pass "status: a journal without a site line (an older version's) counted as before" ||
	fail "status, older journal" "$(cat s4q.out s4q.err)"

# --- 4b. put of a local file that cannot be read: exit 6 (local I/O) in every command-line form,
# before anything is sent (one file or several; a list's item fails alone, the batch goes on).
echo ok >ok4.txt
for form in "missing4.txt" "missing4.txt ok4.txt" "ok4.txt missing4.txt"; do
	rm -f "$H/ok4.txt"
	timeout 30 "$NT" ftp "${O[@]}" put $form $S: >p4.out 2>p4.err
	rc=$?
	[ $rc = 6 ] && grep -q "put missing4.txt: No such file or directory" p4.err && [ ! -e "$H/ok4.txt" ] &&
		pass "put $form: exit 6, the file named, nothing sent" || fail "put $form" "rc $rc: $(cat p4.err)"
done
timeout 30 "$NT" ftp "${O[@]}" put missing4.txt $S:m4.txt >p4.out 2>p4.err
rc=$?
[ $rc = 6 ] && [ ! -e "$H/m4.txt" ] && pass "put of a missing file to a named target: exit 6" || fail "put missing to name" "rc $rc: $(cat p4.err)"
timeout 30 "$NT" ftp "${O[@]}" put 127.0.0.1:x4.txt $S: >p4.out 2>p4.err
rc=$?
[ $rc = 6 ] && grep -q "put 127.0.0.1:x4.txt: No such file or directory (it looks like a remote target" p4.err &&
	pass "put of a missing 'host:name': exit 6, said it looks like a remote target" || fail "put host:name" "rc $rc: $(cat p4.err)"

# --- 5. get --move: the summary of the deletions is labelled.
mkdir -p "$H/m"
for i in 1 2 3; do echo "$i" >"$H/m/f$i"; done
timeout 30 "$NT" ftp "${O[@]}" get --move "$S:m/*" -O out5 2>m5.err
rc=$?
[ $rc = 0 ] && [ "$(grep -c ' done, ' m5.err)" = 2 ] && [ "$(grep -Ec '^nettool ftp: [0-9]+ done' m5.err)" = 1 ] &&
	grep -q -- '--move.*3 done' m5.err && [ ! -e "$H/m/f1" ] &&
	pass "get --move: the delete phase's summary is labelled" || fail "get --move summary" "rc $rc: $(cat m5.err)"

# --- 5b. messages say what they know: a 550 to CWD that does not say why (vsftpd) is
# "no such folder or access denied", a name typed on the command line is not "from the
# server", and vsftpd's "500 OOPS" at login is the server's error (exit 5), not a refused
# login (exit 4).
timeout 30 "$NT" ftp "${O[@]}" ls $S:nothere >l7.out 2>l7.err
rc=$?
[ $rc = 1 ] && grep -q 'no such folder or access denied' l7.err && pass "ls of a missing folder: no such folder or access denied" ||
	fail "ls of a missing folder" "rc $rc: $(cat l7.err)"
timeout 30 "$NT" ftp "${O[@]}" get $S:d/ -O out7 2>g7.err
rc=$?
[ $rc = 2 ] && grep -q 'empty name on the command line' g7.err && ! grep -q 'from the server' g7.err &&
	pass "get HOST:d/: the empty name is the command line's" || fail "get of a name ending in /" "rc $rc: $(cat g7.err)"
if ftpd_start OOPS allow_writeable_chroot=NO; then
	timeout 30 "$NT" ftp --cacert "$CA" -u "$FTP_USER" -P "$FTPD_PORT_OOPS" --no-tls ls $S: >o7.out 2>o7.err
	rc=$?
	[ $rc = 5 ] && grep -q "127.0.0.1:$FTPD_PORT_OOPS: server error at login: 500 OOPS: " o7.err && ! grep -q 'login refused' o7.err &&
		pass "500 OOPS at login: the server's error, exit 5" || fail "500 OOPS at login" "rc $rc: $(cat o7.err)"
else
	fail "vsftpd (OOPS)" "did not start"
fi

# copy --json of a missing single source: its failure object, as get prints one.
for c in get copy; do
	if [ $c = get ]; then args=(-O out8); else args=($S:copy8.txt); fi
	timeout 30 "$NT" ftp "${O[@]}" --json $c $S:d/missing.txt "${args[@]}" >j8.out 2>j8.err
	rc=$?
	[ $rc = 1 ] && [ "$(wc -l <j8.out)" = 1 ] && grep -q "\"command\":\"$c\",\"source\":\"d/missing.txt\".*\"status\":\"failed\"" j8.out &&
		pass "$c --json of a missing file: one failure object" || fail "$c --json of a missing file" "rc $rc: $(cat j8.out j8.err)"
done

# --- 6. a port in HOST:PATH: the connect error names the port tried and says how to give one.
if (exec 3<>/dev/tcp/127.0.0.1/21) 2>/dev/null; then
	skip "HOST:PORT/path connect error" "something listens on port 21 here"
else
	timeout 30 "$NT" ftp --cacert "$CA" -u "$FTP_USER" get "$S:$P/d/f.txt" -O out6 2>p6.err
	rc=$?
	[ $rc = 3 ] && grep -q "127.0.0.1:21" p6.err && grep -q -- "-P $P" p6.err &&
		pass "HOST:PORT/path: exit 3, port 21 named, -P $P suggested" || fail "HOST:PORT/path" "rc $rc: $(cat p6.err)"
	timeout 30 "$NT" ftp --cacert "$CA" -u "$FTP_USER" get "$S:2024/d/f.txt" -P 1 -O out6 2>p6b.err
	rc=$?
	[ $rc = 3 ] && grep -q "127.0.0.1:1:" p6b.err && ! grep -q -- "-P 2024" p6b.err &&
		pass "a connect error names the port tried (-P given: no port hint)" || fail "connect error port" "rc $rc: $(cat p6b.err)"
fi
# --- 7. -o names the user's own file: written through its symbolic link (like curl -o),
# a dangling link creates its target; a name from the server never follows one.
mkdir -p lk
echo old >lk/real.txt
ln -s real.txt lk/link.txt
ln -s gone.txt lk/dangling.txt
timeout 30 "$NT" ftp "${O[@]}" get $S:d/f.txt -o lk/link.txt 2>lk.err
rc=$?
[ $rc = 0 ] && [ -L lk/link.txt ] && cmp -s lk/real.txt "$H/d/f.txt" &&
	pass "get -o LINK: written through the link, the link kept" || fail "get -o link" "rc $rc: $(ls -l lk) $(cat lk.err)"
timeout 30 "$NT" ftp "${O[@]}" get $S:d/f.txt -o lk/dangling.txt 2>lk2.err
rc=$?
[ $rc = 0 ] && [ -L lk/dangling.txt ] && cmp -s lk/gone.txt "$H/d/f.txt" &&
	pass "get -o DANGLING-LINK: its target created" || fail "get -o dangling link" "rc $rc: $(ls -l lk) $(cat lk2.err)"
mkdir -p lk3
echo keep >lk3/other.txt
ln -s other.txt lk3/f.txt
timeout 30 "$NT" ftp "${O[@]}" get $S:d/f.txt -O lk3 2>lk3.err
[ ! -L lk3/f.txt ] && cmp -s lk3/f.txt "$H/d/f.txt" && [ "$(cat lk3/other.txt)" = keep ] &&
	pass "a server's name at a symlink (-O): the link replaced, never followed" || fail "server name at symlink" "$(ls -l lk3)"
# --- 8. copy --move of a single source that is gone, its destination present: moved
# before (the man page's rule, as for a list), said without -v; both gone: a failure.
mkdir -p "$H/mvs" "$H/mvd"
echo moved >"$H/mvd/x.txt"
timeout 30 "$NT" ftp "${O[@]}" --move copy $S:mvs/x.txt $S:mvd/x.txt 2>mv.err
rc=$?
[ $rc = 0 ] && grep -q "copy mvs/x.txt: moved before: source gone, destination present" mv.err &&
	pass "copy --move of a gone source, destination present: moved before, exit 0, said without -v" ||
	fail "copy --move moved before" "rc $rc: $(cat mv.err)"
timeout 30 "$NT" ftp "${O[@]}" --move copy $S:mvs/y.txt $S:mvd/y.txt 2>mv2.err
rc=$?
[ $rc = 1 ] && ! grep -q "moved before" mv2.err && pass "copy --move, source and destination gone: a failure" ||
	fail "copy --move both gone" "rc $rc: $(cat mv2.err)"
finish
