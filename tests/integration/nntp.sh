#!/bin/bash
# SPDX-License-Identifier: MIT
# nntp.sh - nettool nntp against a private INN on loopback: caps, list, group, over, hdr,
# article/head/body/stat, pipelined fetch (byte-exact) and the high-water mark, post round
# trip, read and shell driven by a script, and the refusals (exit 2 before anything is
# sent, exit 5 on a malformed status, exit 3 and no file on a connection lost mid-article).
# TLS, AUTHINFO and COMPRESS are in nntp_tls.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/inn/inn.sh"
FIX=$INN_FIX

if ! inn_start test.data test.read test.post test.empty; then
	skip "nntp" "$INN_WHY"
	finish
fi
S="-s 127.0.0.1:$INN_READ --no-tls"
NN="$NT nntp $S"
PW=$T/pw
echo secret >"$PW"

# --- articles: generated ones, then the special cases ---
A=$T/arts
/usr/bin/python3 "$FIX/gen.py" "$A" test.data 5 400 gen
/usr/bin/python3 - "$A" <<'PY'
import sys, os
d = sys.argv[1]
def art(name, head, body):
    open(os.path.join(d, name), 'wb').write(head + b'\n' + body)
base = b'Path: not-for-mail\nNewsgroups: test.data\nDate: Thu, 26 Nov 2026 12:00:00 +0000\n'
# dot-stuffing: lines ".", "..", ".x", and a line with only spaces; trailing empty line
art('a000006', base + b'From: Dot <dot@example.com>\nSubject: dots\nMessage-ID: <dots@nettool.test>\n',
    b'.\n..\n.x leading dot\n...three\n \nlast line has a tab\there\n\n')
# over 1 MiB
big = b''.join(b'big line %06d: ' % i + b'x' * 60 + b'\n' for i in range(16000))
art('a000007', base + b'From: Big <big@example.com>\nSubject: big\nMessage-ID: <big@nettool.test>\n', big)
# 8-bit headers (raw UTF-8) and an 8-bit body
art('a000008', base + 'From: J\u00fcrgen M\u00fcller <jm@example.com>\nSubject: Gr\u00fc\u00dfe aus K\u00f6ln\nMessage-ID: <utf8@nettool.test>\n'.encode(),
    'K\u00f6ln: \u00e4\u00f6\u00fc \u20ac\n'.encode())
PY
R=$T/rarts
mkdir -p "$R"
for i in 1 2 3; do
	printf 'Path: not-for-mail\nFrom: Reader <r@example.com>\nNewsgroups: test.read\nSubject: subject %s\nDate: Thu, 26 Nov 2026 12:00:0%s +0000\nMessage-ID: <read.%s@nettool.test>\n\nbody of article %s\n' \
		$i $i $i $i >"$R/r$i"
done
out=$(inn_feed "$A") && out2=$(inn_feed "$R") || { fail "feed articles" "$out $out2"; finish; }
pass "feed 11 articles over MODE STREAM / TAKETHIS"
sleep 0.3

# --- caps, list, group ---
$NN caps >"$T/caps" 2>"$T/err"
grep -qx OVER "$T/caps" && grep -qx HDR "$T/caps" && grep -q '^VERSION 2' "$T/caps" &&
	pass "caps lists OVER, HDR, VERSION 2" || fail "caps" "$(cat "$T/caps" "$T/err")"
testing "group prints NAME COUNT FIRST LAST" "\$NT nntp $S group test.data" "test.data 8 1 8\n" "" ""
testing "group --json" "\$NT nntp $S --json group test.read" \
	'{"group":"test.read","count":3,"first":1,"last":3}\n' "" ""
testing "list active WILDMAT" "\$NT nntp $S list active 'test.r*'" "test.read 0000000003 0000000001 y\n" "" ""
testing "list active --json" "\$NT nntp $S --json list active test.read" \
	'{"group":"test.read","last":3,"first":1,"status":"y"}\n' "" ""
testing "list newsgroups" "\$NT nntp $S list newsgroups test.read" "test.read\ttest group test.read\n" "" ""
testing "list overview.fmt" "\$NT nntp $S list overview.fmt | head -3" "Subject:\nFrom:\nDate:\n" "" ""
expect_exit "group that does not exist: exit 1" 1 $NN group no.such.group
grep -q "411" "$T/check.out" && pass "the server's refusal is reported with its text" ||
	fail "411 text" "$(cat "$T/check.out")"

# --- over, hdr ---
$NN over test.data >"$T/over" 2>"$T/err"
[ "$(wc -l <"$T/over")" = 8 ] && pass "over: 8 lines" || fail "over lines" "$(wc -l <"$T/over") $(cat "$T/err")"
l=$(sed -n 6p "$T/over")
[ "$(printf '%s' "$l" | cut -f1,2,3,5)" = "$(printf '6\tdots\tDot <dot@example.com>\t<dots@nettool.test>')" ] &&
	pass "over: tab-separated number, subject, from, message-id" || fail "over fields" "$l"
testing "over --last 2 (numbers)" "\$NT nntp $S over test.data --last 2 | cut -f1,2" "7\tbig\n8\tGrüße aus Köln\n" "" ""
testing "over RANGE" "\$NT nntp $S over test.read 2-3 | cut -f1,2" "2\tsubject 2\n3\tsubject 3\n" "" ""
$NN --json over test.read 1 >"$T/oj"
grep -q '^{"number":1,"subject":"subject 1","from":"Reader <r@example.com>",.*"message_id":"<read.1@nettool.test>".*"bytes":[0-9]*,"lines":1' "$T/oj" &&
	pass "over --json names fields after OVERVIEW.FMT" || fail "over --json" "$(cat "$T/oj")"
testing "hdr subject --last 3 (the textbook's XHDR)" "\$NT nntp $S hdr subject test.data --last 3" \
	"6 dots\n7 big\n8 Grüße aus Köln\n" "" ""
testing "hdr --json" "\$NT nntp $S --json hdr from test.read 1" \
	'{"number":1,"value":"Reader <r@example.com>"}\n' "" ""

# --- article, head, body, stat ---
testing "stat GROUP NUMBER" "\$NT nntp $S stat test.read 2" "2 <read.2@nettool.test>\n" "" ""
testing "stat <message-id>" "\$NT nntp $S stat '<read.3@nettool.test>'" "0 <read.3@nettool.test>\n" "" ""
testing "body GROUP NUMBER" "\$NT nntp $S body test.read 1" "body of article 1\n" "" ""
$NN body '<dots@nettool.test>' >"$T/dots" && printf '.\n..\n.x leading dot\n...three\n \nlast line has a tab\there\n\n' | cmp -s - "$T/dots" &&
	pass "body of the dot article is unstuffed exactly" || fail "dot unstuffing" "$(od -c "$T/dots" | head -5)"
$NN head test.read 3 >"$T/head"
grep -qx 'Subject: subject 3' "$T/head" && ! grep -q 'body of' "$T/head" &&
	pass "head: headers only" || fail "head" "$(cat "$T/head")"
$NN article '<big@nettool.test>' >"$T/big" && sed '1,/^$/d' "$T/big" | cmp -s - <(sed '1,/^$/d' "$A/a000007") &&
	pass "article over 1 MiB: body byte-exact" || fail "big article" "$(wc -c <"$T/big")"
$NN -v --compress article '<big@nettool.test>' 2>"$T/bigz.trace" | cmp -s - "$T/big" && grep -q '^< 206 ' "$T/bigz.trace" &&
	pass "article over 1 MiB with --compress (206): same bytes" || fail "big article compressed" "$(grep -i compress "$T/bigz.trace" | head -3)"
mkdir -p "$T/out"
$NN -o "$T/out/one.txt" body test.read 2 && [ "$(cat "$T/out/one.txt")" = "body of article 2" ] &&
	pass "body -o FILE" || fail "body -o" "$(cat "$T/err")"
expect_exit "article number that does not exist: exit 1" 1 $NN article test.read 99

# --- refusals: exit 2 before anything is sent (the port has no server: a connection would be exit 3) ---
dead=$(free_port)
D="$NT nntp -s 127.0.0.1:$dead --no-tls"
expect_exit "group with LF refused before connecting" 2 $D group "$(printf 'test.data\nQUIT')"
expect_exit "group with CR refused" 2 $D article "$(printf 'test\rx')" 1
expect_exit "group with a space refused" 2 $D over "test.data 1-2"
expect_exit "message-id with a space refused" 2 $D body "<a b@example>"
expect_exit "message-id with CRLF refused" 2 $D stat "$(printf '<a@b>\r\nQUIT')"
expect_exit "header with a space refused" 2 $D hdr "Subject x" test.data
expect_exit "bad range refused" 2 $D over test.data 5-2
expect_exit "unknown command" 2 $D frobnicate
expect_exit "no server: exit 3" 3 $D group test.data

# --- a scripted server for what INN will not do ---
FP=$(free_port)
/usr/bin/python3 "$FIX/fake.py" 127.0.0.1 "$FP" badstatus "$T/fake1.log" &
p=$!; cleanup "kill $p"
wait_port "$FP" || fail "fake server" "did not start"
expect_exit "malformed status line: exit 5" 5 $NT nntp -s 127.0.0.1:$FP group test.data
grep -q malformed "$T/check.out" && pass "malformed reply named" || fail "malformed message" "$(cat "$T/check.out")"
FP2=$(free_port)
/usr/bin/python3 "$FIX/fake.py" 127.0.0.1 "$FP2" cutarticle "$T/fake2.log" &
p=$!; cleanup "kill $p"
wait_port "$FP2" || fail "fake server" "did not start"
mkdir -p "$T/cut"
expect_exit "connection lost mid-article: exit 3" 3 $NT nntp -s 127.0.0.1:$FP2 -o "$T/cut/a.txt" article x.y 1
[ -z "$(ls -A "$T/cut")" ] && pass "article -o: no file left behind" || fail "partial file" "$(ls -A "$T/cut")"
expect_exit "fetch: connection lost mid-article: exit 3" 3 $NT nntp -s 127.0.0.1:$FP2 fetch x.y -O "$T/cut/f"
[ -z "$(ls -A "$T/cut/f")" ] && pass "fetch: no file left behind, no high-water mark" || fail "fetch partial" "$(ls -A "$T/cut/f")"
# Checkpoints: a fetch cut at the fourth of five articles keeps the first three, once, and
# its high-water mark says so (NETTOOL_NNTP_CHECKPOINT: articles per checkpoint).
FP4=$(free_port)
/usr/bin/python3 "$FIX/fake.py" 127.0.0.1 "$FP4" cutlater "$T/fake4.log" &
p=$!; cleanup "kill $p"
wait_port "$FP4" || fail "fake server" "did not start"
if have_test_build "fetch --mbox checkpoints"; then
	NETTOOL_NNTP_CHECKPOINT=1 expect_exit "fetch --mbox cut at article 4: exit 3" 3 $NT_TEST nntp -s 127.0.0.1:$FP4 fetch x.y --mbox "$T/cut.mbox"
	[ "$(grep -c '^From ' "$T/cut.mbox")" = 3 ] && pass "the three whole articles are in the mbox" || fail "mbox after cut" "$(grep -c '^From ' "$T/cut.mbox")"
	grep -Eq ' x\.y 3$' "$T/cut.mbox.nntp-state" && pass "the high-water mark moved to 3 at the checkpoint" || fail "checkpoint mark" "$(cat "$T/cut.mbox.nntp-state" 2>&1)"
	[ -z "$(ls "$T" | grep '^cut\.mbox\.lock')" ] && pass "fetch --mbox cut: the mbox lock released at exit" || fail "lock left after a cut" "$(ls "$T" | grep lock)"
fi
# A range past the group's end, LISTGROUP out of order with a repeat: every article once,
# and the mark at the group's last article, not at the end of the range asked for.
FP5=$(free_port)
/usr/bin/python3 "$FIX/fake.py" 127.0.0.1 "$FP5" five "$T/fake5.log" &
p=$!; cleanup "kill $p"
wait_port "$FP5" || fail "fake server" "did not start"
check "fetch 1-100000 from a group of five" $NT nntp -q -s 127.0.0.1:$FP5 fetch x.y 1-100000 --mbox "$T/five.mbox"
[ "$(grep '^Subject:' "$T/five.mbox" | tr '\n' ' ')" = "Subject: n1 Subject: n2 Subject: n3 Subject: n4 Subject: n5 " ] &&
	pass "five articles once each, in order" || fail "fetch order" "$(grep '^Subject:' "$T/five.mbox" | tr '\n' ' ')"
grep -Eq ' x\.y 5$' "$T/five.mbox.nntp-state" && pass "the mark stops at the group's last article" || fail "mark past the end" "$(cat "$T/five.mbox.nntp-state")"
testing "list newsgroups --json: a line without a description" "\$NT nntp -s 127.0.0.1:$FP5 --json list newsgroups" '{"group":"nospacegroup","description":""}' "" ""
FP3=$(free_port)
/usr/bin/python3 "$FIX/fake.py" 127.0.0.1 "$FP3" longline "$T/fake3.log" &
p=$!; cleanup "kill $p"
wait_port "$FP3" || fail "fake server" "did not start"
expect_exit "reply line over 1 MiB: exit 5" 5 $NT nntp -s 127.0.0.1:$FP3 over x.y

# --- fetch: pipelined, byte-exact, high-water mark ---
F=$T/fetch
$NN -q --window 4 fetch test.data -O "$F" 2>"$T/err"
rc=$?
[ $rc = 0 ] && [ "$(ls "$F" | sort -n | tr '\n' ' ')" = "1 2 3 4 5 6 7 8 " ] &&
	pass "fetch -O DIR: one file per article, named by number" || fail "fetch" "rc $rc $(ls -a "$F") $(cat "$T/err")"
cmpres=$(/usr/bin/python3 - "$A" "$F" <<'PY'
import sys, os
a, f = sys.argv[1], sys.argv[2]
bad = []
for i, n in enumerate(sorted(os.listdir(a)), 1):
    src = open(os.path.join(a, n), 'rb').read()
    got = open(os.path.join(f, str(i)), 'rb').read()
    sh, sb = src.split(b'\n\n', 1)
    gh, gb = got.split(b'\n\n', 1)
    if sb != gb:
        bad.append('%d: body differs (%d vs %d bytes)' % (i, len(sb), len(gb)))
    gl = gh.split(b'\n')
    for h in sh.split(b'\n'):
        if not h.startswith(b'Path:') and h not in gl:
            bad.append('%d: header %r missing' % (i, h))
print('\n'.join(bad) or 'ok')
PY
)
[ "$cmpres" = ok ] && pass "fetch: bodies byte-exact, headers as injected (dots, > 1 MiB, 8-bit)" || fail "fetch content" "$cmpres"
grep -q "^127.0.0.1:$INN_READ test.data 8\$" "$F/.nntp-state" && pass "fetch: high-water mark 8 recorded" ||
	fail "hwm" "$(cat "$F/.nntp-state")"
/usr/bin/python3 "$FIX/gen.py" "$T/more" test.data 3 300 more
inn_feed "$T/more" >/dev/null
sleep 0.3
$NN -q --json fetch test.data -O "$F" >"$T/fj" 2>"$T/err"
[ "$(cut -d, -f1 "$T/fj" | tr '\n' ' ')" = '{"number":9 {"number":10 {"number":11 ' ] &&
	pass "fetch again: only the 3 new articles" || fail "fetch new" "$(cat "$T/fj" "$T/err")"
grep -q "^127.0.0.1:$INN_READ test.data 11\$" "$F/.nntp-state" && pass "fetch: high-water mark moved to 11" ||
	fail "hwm 11" "$(cat "$F/.nntp-state")"
$NN fetch test.data -O "$F" 2>"$T/err" && grep -q "nothing new" "$T/err" && pass "fetch a third time: nothing new" ||
	fail "nothing new" "$(cat "$T/err")"
$NN -q fetch test.read --mbox "$T/box" && [ "$(grep -c '^From ' "$T/box")" = 3 ] &&
	grep -qx 'body of article 3' "$T/box" && pass "fetch --mbox: 3 messages" || fail "mbox" "$(head -5 "$T/box")"
$NN -q fetch test.data 6 --mbox "$T/box2" && grep -qx '.x leading dot' "$T/box2" && pass "fetch RANGE --mbox" ||
	fail "mbox range"
# The mbox itself is never opened through a symlink (security review 2a): refused with
# exit 6, naming it; the file behind it unchanged.
mkdir -p "$T/mbl"
echo "victim: must stay as it is" >"$T/mbl.victim"
ln -s "$T/mbl.victim" "$T/mbl/box"
$NN -q fetch test.read --mbox "$T/mbl/box" 2>"$T/mbl.err"
rc=$?
[ $rc = 6 ] && [ "$(cat "$T/mbl.victim")" = "victim: must stay as it is" ] && grep -q 'symbolic link: refused' "$T/mbl.err" &&
	pass "fetch --mbox through a symlink: refused (exit 6), the file behind it unchanged" ||
	fail "fetch --mbox through a symlink: exit $rc" "$(cat "$T/mbl.err"; head -3 "$T/mbl.victim")"
# fetch --mbox takes the mbox lock (core/mbox.c): another program holding the dot-lock or
# the fcntl lock writes its message whole, and the articles come after it, not inside it.
cat >"$T/holder.py" <<'PY'
import fcntl, os, sys, time
mbox, mode, ready, hold = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
f = open(mbox, "a")
if mode == "dot":
    fd = os.open(mbox + ".lock", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, b"%d\n" % os.getpid())
    os.close(fd)
else:
    fcntl.lockf(f, fcntl.LOCK_EX)
f.write("From holder@nettool.test Thu Jan  1 00:00:00 2026\nSubject: holder\n\nholder part one\n")
f.flush()
open(ready, "w").close()
time.sleep(hold)
f.write("holder part two\n\n")
f.flush()
if mode == "dot":
    os.unlink(mbox + ".lock")
f.close()
PY
for mode in dot fcntl; do
	/usr/bin/python3 "$T/holder.py" "$T/held.$mode" $mode "$T/ready.$mode" 1.5 &
	hp=$!
	for i in $(seq 200); do [ -e "$T/ready.$mode" ] && break; sleep 0.05; done
	$NN -q fetch test.read --mbox "$T/held.$mode" 2>"$T/held.$mode.err"
	rc=$?
	wait $hp
	[ $rc = 0 ] && [ "$(grep -A1 -x 'holder part one' "$T/held.$mode" | tail -1)" = "holder part two" ] &&
		[ "$(grep -c '^From ' "$T/held.$mode")" = 4 ] && [ "$(grep '^From ' "$T/held.$mode" | head -1 | cut -d' ' -f2)" = holder@nettool.test ] &&
		pass "fetch --mbox waits for a $mode lock holder: no interleaving" ||
		fail "fetch --mbox with a $mode lock holder: exit $rc" "$(cat "$T/held.$mode.err"; grep -n -e '^From ' -e holder "$T/held.$mode")"
done
# Symlinks planted at the lock's names (<mbox>.lock.<pid> for the small pids of a private
# PID namespace, and a stale <mbox>.lock) are never written through.
if unshare --pid --fork true 2>/dev/null; then
	mkdir -p "$T/sy"
	echo "victim: must stay as it is" >"$T/victim"
	vs=$(sha256sum <"$T/victim")
	for i in $(seq 1 300); do ln -s "$T/victim" "$T/sy/box.lock.$i"; done
	ln -s "$T/victim" "$T/sy/box.lock"
	touch -h -d '-400 seconds' "$T/sy/box.lock"
	timeout 60 unshare --pid --fork $NN -q fetch test.read --mbox "$T/sy/box" 2>"$T/sy.err"
	rc=$?
	[ "$(sha256sum <"$T/victim")" = "$vs" ] && [ $rc = 0 ] && [ "$(grep -c '^From ' "$T/sy/box")" = 3 ] && [ ! -e "$T/sy/box.lock" ] &&
		pass "fetch --mbox: planted lock symlinks left alone, the victim unchanged" ||
		fail "fetch --mbox with planted lock symlinks: exit $rc" "$(cat "$T/sy.err"; head -c 80 "$T/victim")"
else
	skip "fetch --mbox lock symlinks" "unshare --pid is not allowed here"
fi
$NN -q --state "$T/st" fetch test.read -O "$T/sf" && grep -qx "127.0.0.1:$INN_READ test.read 3" "$T/st" &&
	[ ! -e "$T/sf/.nntp-state" ] && [ "$(ls "$T/sf" | tr '\n' ' ')" = "1 2 3 " ] &&
	pass "fetch --state FILE keeps the mark there" || fail "--state" "$(cat "$T/st")"
expect_exit "fetch without -O or --mbox: exit 2" 2 $NN fetch test.data
# Whole or not at all after a power loss too: an article gets its name only once its data
# is durable, and the mark is saved only after the renames are durable (folder synced).
if command -v strace >/dev/null; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -y -qq -o "$T/fetch.strace" -e trace=rename,renameat,renameat2,fsync,fdatasync,syncfs \
		$NN -q fetch test.data -O "$T/sync"
	rc=$?
	# D: a sync of the file system; R: an article renamed into place; F: the folder synced;
	# S: the mark's temporary file synced; M: the mark renamed into place.
	seq=$(/usr/bin/python3 - "$T/fetch.strace" "$T/sync" <<'PYEOF'
import re, sys
d, out = sys.argv[2], ""
for l in open(sys.argv[1]):
    if "resumed>" in l:
        continue
    if re.search(r"\bsyncfs\(", l):
        out += "D"
    elif re.search(r"\bf(data)?sync\(\d+<" + re.escape(d) + r">", l):
        out += "F"
    elif re.search(r"\bf(data)?sync\(", l):
        out += "S"
    # by path (rename) or relative to the folder's descriptor (renameat: "N</folder>, name")
    elif re.search(r'rename\w*\(.*(, "' + re.escape(d) + r'/|<' + re.escape(d) + r'>, ")\.nntp-state"', l):
        out += "M"
    elif re.search(r'rename\w*\(.*(, "' + re.escape(d) + r'/|<' + re.escape(d) + r'>, ")[0-9]+"', l):
        out += "R"
print(out)
PYEOF
)
	[ $rc = 0 ] && echo "$seq" | grep -Eq '^(DR+F)+SMF$' &&
		pass "fetch -O: data synced before the renames, the folder before the mark" ||
		fail "fetch sync order" "rc=$rc seq=$seq"
else
	skip "fetch sync order" "strace is not installed (scripts/deps.sh test)"
fi

# --- post round trip (authenticated; anonymous readers may not post) ---
printf 'From: Poster <poster@example.com>\nNewsgroups: test.post\nSubject: round trip\n\nfirst\n.starts with a dot\n.\nlast\n' >"$T/post.txt"
id=$($NN -u test --password-file "$PW" post "$T/post.txt" 2>"$T/err")
case $id in "<nettool."*"@example.com>") pass "post: Message-ID added and printed" ;; *) fail "post" "$id $(cat "$T/err")" ;; esac
testing "post: read back the body through its message-id" "\$NT nntp $S body '$id'" \
	"first\n.starts with a dot\n.\nlast\n" "" ""
$NN head "$id" | grep -q '^Date: ' && pass "post: Date added" || fail "post Date"
j=$($NN --json -u test --password-file "$PW" post "$T/post.txt" 2>"$T/err")
case $j in '{"code":240,"message_id":"<nettool.'*'@example.com>"}') pass "post --json: code and message_id" ;;
*) fail "post --json" "$j $(cat "$T/err")" ;; esac
printf 'From: x@example.com\nNewsgroups: test.post\n\nno subject\n' | $NN -u test --password-file "$PW" post 2>"$T/err"
[ $? = 2 ] && grep -q Subject "$T/err" && pass "post without Subject: exit 2" || fail "post no subject" "$(cat "$T/err")"
$NN post "$T/post.txt" 2>"$T/err"
[ $? = 4 ] && grep -q '480 Posting not allowed' "$T/err" && pass "anonymous post refused by the server (480): exit 4 with its text" || fail "post refused" "$(cat "$T/err")"
printf 'From: x@example.com\nNewsgroups: no.such.group\nSubject: lost\n\nbody\n' | $NN -u test --password-file "$PW" post 2>"$T/err"
[ $? = 1 ] && grep -q 'refused the article: 441 ' "$T/err" && pass "post refused (441): exit 1 with the server's text" ||
	fail "post 441" "$(cat "$T/err")"

# --- read, driven by a script on stdin ---
testing "read: the textbook's flow (subjects, which article, n, p, number, q)" \
	"\$NT nntp $S read test.read" \
	"Group test.read has 3 articles, range 1 to 3\n1 subject 1\n2 subject 2\n3 subject 3\nWhich article do you want to read? body of article 2\n[n]ext, [p]revious, number or [q]uit? body of article 3\n[n]ext, [p]revious, number or [q]uit? No next article.\n[n]ext, [p]revious, number or [q]uit? body of article 2\n[n]ext, [p]revious, number or [q]uit? body of article 1\n[n]ext, [p]revious, number or [q]uit? No such article 7.\n[n]ext, [p]revious, number or [q]uit? " \
	"" "2\nn\nn\np\n1\n7\nq\n"
testing "read --last 1" "\$NT nntp $S read --last 1 test.read | head -2" \
	"Group test.read has 3 articles, range 1 to 3\n3 subject 3" "" ""

# --- shell ---
testing "shell: nntplib verbs" "\$NT nntp $S shell | tail -n +2" \
	"211 3 1 3 test.read\n223 1 <read.1@nettool.test> status\n222 2 <read.2@nettool.test> body\nbody of article 2\n223 3 <read.3@nettool.test> Article retrieved; request text separately\n225 Header or metadata information for Subject follows (from overview)\n3 subject 3\nunknown verb or wrong arguments: bogus (try help)" \
	"" "group test.read\nstat 1\nbody 2\nnext\nxhdr Subject 3\nbogus\nquit\n"
printf 'post\nFrom: S <s@example.com>\nNewsgroups: test.post\nSubject: from the shell\n\n..dotted\n.\nquit\n' |
	$NN -u test --password-file "$PW" shell >"$T/sh.out" 2>&1
grep -q '^340 ' "$T/sh.out" && grep -q '^240 ' "$T/sh.out" &&
	[ "$($NN hdr subject test.post --last 1 | cut -d' ' -f2-)" = "from the shell" ] &&
	pass "shell: post, then the article is in the group" || fail "shell post" "$(cat "$T/sh.out")"
$NT nntp $S -v shell 2>"$T/trace" <<<'group test.read' >/dev/null
grep -qx '> GROUP test.read' "$T/trace" && grep -qx '< 211 3 1 3 test.read' "$T/trace" &&
	pass "shell -v shows every line exchanged" || fail "shell -v" "$(head -5 "$T/trace")"

# --- $NNTPSERVER ---
testing "NNTPSERVER is used without -s" "NNTPSERVER=127.0.0.1:$INN_READ \$NT nntp --no-tls group test.read" \
	"test.read 3 1 3\n" "" ""
testing "nntp:// URL" "\$NT nntp -s nntp://127.0.0.1:$INN_READ --no-tls group test.read" "test.read 3 1 3\n" "" ""
finish
