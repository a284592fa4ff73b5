#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_tree.sh - mirror (down, --reverse, --only-newer, --delete, --exclude), names from
# the server that must not become local paths, symlinks planted below the target (never
# written through), copy between two vsftpd instances
# (-r, --move), and the MLSD path against pyftpdlib.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

ftpd_script "ftp tree"
ftpd_start B || { fail "ftp fixture B" "vsftpd did not start"; finish; }
HB=$FTPD_HOME_B
export NETTOOL_PASSWORD=$FTP_PASS HOME=$T/nohome
ftp() { timeout 60 "$NT" ftp "$@"; }
O=(--cacert "$CA" -u "$FTP_USER" -P "$FTPD_PORT_A")
A="ftp://$FTP_USER@$S:$FTPD_PORT_A"
B="ftp://$FTP_USER@$S:$FTPD_PORT_B"
cd "$T" || exit 1

mkdir -p "$H/tree/sub/deeper" "$H/tree/emptydir"
printf 'one\n' >"$H/tree/one.txt"
printf 'two\n' >"$H/tree/sub/two.txt"
printf 'skip me\n' >"$H/tree/sub/junk.tmp"
head -c 70000 /dev/urandom >"$H/tree/sub/deeper/three.bin"
touch -d '2021-05-06 07:08:09 UTC' "$H/tree/one.txt"

# --- mirror down
check "mirror" ftp "${O[@]}" -q mirror --exclude '*.tmp' $S:tree m1
diff -r -x '*.tmp' "$H/tree" m1 >/dev/null && [ ! -e m1/sub/junk.tmp ] && [ -d m1/emptydir ] &&
	pass "mirror: same tree, excluded file absent, empty folder made" || fail "mirror tree" "$(diff -r "$H/tree" m1 | head -3)"
[ "$(stat -c %Y m1/one.txt)" = "$(date -d '2021-05-06 07:08:09 UTC' +%s)" ] && pass "mirror keeps the server's times (MDTM)" ||
	fail "mirror times" "$(stat -c %y m1/one.txt)"
r0=$(grep -c '"RETR' "$LOG")
ftp "${O[@]}" mirror --only-newer --exclude '*.tmp' $S:tree m1 2>sum1
[ $? = 0 ] && grep -q '0 done, 0 failed, 3 skipped' sum1 && [ "$(grep -c '"RETR' "$LOG")" = "$r0" ] &&
	pass "mirror --only-newer: nothing fetched again" || fail "mirror --only-newer" "$(cat sum1)"
printf 'two, changed\n' >"$H/tree/sub/two.txt"
rm "$H/tree/one.txt"
ftp "${O[@]}" mirror --only-newer --delete --exclude '*.tmp' $S:tree m1 2>sum2
[ $? = 0 ] && cmp -s m1/sub/two.txt "$H/tree/sub/two.txt" && [ ! -e m1/one.txt ] && grep -q '1 done' sum2 &&
	pass "mirror --only-newer --delete: changed file fetched, deleted file removed" || fail "mirror --delete" "$(cat sum2)"
# A symlink on the server is not fetched, but --delete must not take it for gone
# (review finding 3: the local link.txt and what is under a linked folder were deleted).
mkdir -p "$H/lt/realdir" ml/dirlink
printf 'real\n' >"$H/lt/real.txt"
printf 'in\n' >"$H/lt/realdir/in.txt"
ln -s real.txt "$H/lt/link.txt"
ln -s realdir "$H/lt/dirlink"
printf 'mine\n' >ml/link.txt
printf 'mine too\n' >ml/dirlink/x.txt
printf 'stale\n' >ml/stale.txt
ftp "${O[@]}" mirror --delete $S:lt ml 2>sum2b
rc=$?
[ $rc = 0 ] && [ "$(cat ml/link.txt)" = mine ] && [ "$(cat ml/dirlink/x.txt)" = "mine too" ] && [ ! -e ml/stale.txt ] &&
	cmp -s ml/real.txt "$H/lt/real.txt" && ! grep -q 'deleted ml/link.txt$\|deleted ml/dirlink' sum2b &&
	pass "mirror --delete spares local files named like server symlinks, deletes the rest" ||
	fail "mirror --delete vs symlinks" "rc $rc: $(cat sum2b; ls -R ml)"

# --- names from the server that must not become paths: a file whose name holds a
# newline and a forged LIST line naming "..", and one with an escape character.
mkdir -p "$H/evil" outside
printf 'ok\n' >"$H/evil/fine.txt"
printf 'x\n' >"$H/evil/forged
-rw-r--r--    1 0        0               3 Nov 26 13:39 .."
printf 'x\n' >"$H/evil/esc$(printf '\033')[31mred"
ftp "${O[@]}" -q mirror $S:evil outside/m 2>evil.err
rc=$?
[ $rc = 1 ] && grep -q "name '..' from the server: refused" evil.err && grep -q 'control character' evil.err &&
	[ -f outside/m/fine.txt ] && [ "$(find outside -type f | wc -l)" = 1 ] &&
	pass "mirror refuses '..' and control characters from the server, names them, exit 1" || fail "unsafe names" "rc $rc: $(cat evil.err)"
ftp "${O[@]}" get "$S:evil/*" -O outside/g 2>evil2.err
[ "$(find outside/g -type f 2>/dev/null | wc -l)" = 1 ] && grep -q refused evil2.err &&
	pass "glob get refuses them too" || fail "glob get unsafe" "$(cat evil2.err)"

# --- a symlink planted BELOW the target folder is never followed by the writer
# (security review 1: mirror overwrote outside/victim.txt through mir2/sub -> outside),
# while a target folder that is itself a symlink (the user's choice) still is.
mkdir -p "$H/ftpreal/sub" lnout mir2 realtarget
printf 'EVIL\n' >"$H/ftpreal/sub/victim.txt"
printf 'fine\n' >"$H/ftpreal/top.txt"
printf 'ORIGINAL\n' >lnout/victim.txt
ln -s "$T/lnout" mir2/sub
ftp "${O[@]}" -q mirror $S:ftpreal mir2 2>lnk.err
rc=$?
[ $rc = 1 ] && [ "$(cat lnout/victim.txt)" = ORIGINAL ] && [ "$(ls -A lnout)" = victim.txt ] &&
	grep -q 'mir2/sub is a symbolic link or not a folder: refused' lnk.err && cmp -s mir2/top.txt "$H/ftpreal/top.txt" &&
	pass "mirror refuses a symlinked subfolder in the target, writes nothing outside, exit 1" ||
	fail "mirror through a planted symlink" "rc $rc: $(cat lnk.err; cat lnout/victim.txt; ls -A lnout)"
printf 'sub/victim.txt\n' >lnlist.txt
printf 'ORIGINAL\n' >lnout/victim.txt
ftp "${O[@]}" -q get --from-file lnlist.txt $S:ftpreal -O mir2 2>lnk2.err
rc=$?
[ $rc = 1 ] && [ "$(cat lnout/victim.txt)" = ORIGINAL ] && grep -q 'mir2/sub is a symbolic link or not a folder: refused' lnk2.err &&
	pass "get --from-file -O: a symlinked subfolder below -O is refused, exit 1 (as mirror)" ||
	fail "get --from-file through a planted symlink" "rc $rc: $(cat lnk2.err; cat lnout/victim.txt)"
printf 'EV' >lnout/victim.txt # a prefix of the server's file: --resume would append to it
ftp "${O[@]}" -q --resume get --from-file lnlist.txt $S:ftpreal -O mir2 2>lnk3.err
rc=$?
[ $rc != 0 ] && [ "$(cat lnout/victim.txt)" = EV ] &&
	pass "get --resume: no append through a symlinked subfolder" ||
	fail "get --resume through a planted symlink" "rc $rc: $(cat lnk3.err; cat lnout/victim.txt)"
# get -r's folder below -O is the server's name (security review 3: get -r wrote through
# mir2/sub -> lnout): refused as get --from-file refuses it, same message and exit status.
printf 'ORIGINAL\n' >lnout/victim.txt
ftp "${O[@]}" -q get -r $S:ftpreal/sub -O mir2 2>lnk4.err
rc=$?
[ $rc = 1 ] && [ "$(cat lnout/victim.txt)" = ORIGINAL ] && [ "$(ls -A lnout)" = victim.txt ] &&
	grep -q 'mir2/sub is a symbolic link or not a folder: refused' lnk4.err &&
	pass "get -r -O: a symlinked folder below -O is refused, nothing written outside, exit 1" ||
	fail "get -r through a planted symlink" "rc $rc: $(cat lnk4.err; cat lnout/victim.txt; ls -A lnout)"
ln -s realtarget linkget
check "get -r into a -O that is itself a symlink (the user's choice)" ftp "${O[@]}" -q get -r $S:ftpreal/sub -O linkget
[ "$(cat realtarget/sub/victim.txt 2>/dev/null)" = EVIL ] && pass "get -r: the user's symlinked -O is followed" ||
	fail "get -r symlinked -O" "$(ls -R realtarget)"
rm -rf realtarget/sub
ln -s realtarget linktarget
check "mirror into a target that is itself a symlink (the user's choice)" ftp "${O[@]}" -q mirror $S:ftpreal linktarget
[ "$(cat realtarget/sub/victim.txt 2>/dev/null)" = EVIL ] && pass "the user's symlinked target is followed" ||
	fail "symlinked target" "$(ls -R realtarget)"

# --- mirror --reverse (upload a tree)
mkdir -p up/a/b up/e
printf 'u1\n' >up/u1.txt
printf 'u2\n' >up/a/b/u2.txt
check "mirror --reverse" ftp "${O[@]}" -q mirror --reverse up $S:uploaded
diff -r up "$H/uploaded" >/dev/null && pass "mirror --reverse: same tree on the server" || fail "mirror --reverse" "$(diff -r up "$H/uploaded")"
rm up/u1.txt
printf 'new\n' >up/a/new.txt
ftp "${O[@]}" mirror --reverse --only-newer --delete up $S:uploaded 2>sum3
[ $? = 0 ] && diff -r up "$H/uploaded" >/dev/null && grep -q '1 done, 0 failed, 1 skipped' sum3 &&
	pass "mirror --reverse --only-newer --delete" || fail "mirror --reverse --delete" "$(cat sum3; diff -r up "$H/uploaded")"

# --- copy between two servers
check "copy one file A to B" ftp --cacert "$CA" copy "$A/tree/sub/deeper/three.bin" "$B/three.bin"
cmp -s "$H/tree/sub/deeper/three.bin" "$HB/three.bin" && pass "copy content" || fail "copy content"
check "copy -r" ftp --cacert "$CA" -q copy -r "$A/tree" "$B/treecopy"
diff -r "$H/tree" "$HB/treecopy" >/dev/null && pass "copy -r: same tree on B" || fail "copy -r" "$(diff -r "$H/tree" "$HB/treecopy" | head -3)"
mkdir -p "$H/moving/in"
for i in 1 2 3 4 5; do head -c $((i * 30000)) /dev/urandom >"$H/moving/in/m$i.bin"; done
cp -r "$H/moving" ref
ftp --cacert "$CA" copy -r --move "$A/moving" "$B/moved" 2>sum4
rc=$?
diff -r ref "$HB/moved" >/dev/null && [ -z "$(find "$H/moving" -type f)" ] && [ $rc = 0 ] && grep -q '5 done' sum4 &&
	pass "copy -r --move: all on B, sources deleted" || fail "copy --move" "rc $rc $(cat sum4)"
grep -q '"SIZE moved/in/m5.bin"\|"SIZE m5.bin"' "$FTPD_LOG_B" && pass "--move checked the size on the destination first" ||
	fail "--move SIZE check" "$(grep SIZE "$FTPD_LOG_B" | tail -2)"
# Many small files: the upload (which knows the size) often ends before the
# download's 226; every file must still count as done.
mkdir -p "$H/many"
for i in $(seq 1 200); do printf 'many %d\n' "$i" >"$H/many/m$i.txt"; done
ftp --cacert "$CA" --parallel 8 copy -r "$A/many" "$B/many" 2>sum5
rc=$?
[ $rc = 0 ] && grep -q '200 done, 0 failed' sum5 && diff -r "$H/many" "$HB/many" >/dev/null &&
	pass "copy -r --parallel 8 of 200 small files" || fail "copy -r many" "rc $rc $(tail -3 sum5)"
printf 'a\nb\n' >copylist.txt
printf 'A\n' >"$H/tree/a"
printf 'B\n' >"$H/tree/b"
check "copy --from-file" ftp --cacert "$CA" -q --create-dirs copy --from-file copylist.txt "$A/tree" "$B/listed/x"
[ "$(cat "$HB/listed/x/a" "$HB/listed/x/b")" = "$(printf 'A\nB')" ] && pass "copy --from-file content" || fail "copy --from-file content"

# --- pyftpdlib: MLSD listings
mkdir -p py/pdir
printf 'py\n' >py/p.txt
touch -d '2022-03-04 05:06:07 UTC' py/p.txt
if /usr/bin/python3 -c 'import pyftpdlib' 2>/dev/null && pyftpd_start PY "$T/py"; then
	PP=$PYFTPD_PORT_PY
	testing "ls --json via MLSD (pyftpdlib)" "timeout 30 \$NT ftp --no-tls -P $PP ls --json $S: | grep p.txt | sed 's/,\"perm\":.*//'" \
		'{"name":"p.txt","type":"file","size":3,"mtime":1646370367' "" ""
	testing "MLSD folder type" "timeout 30 \$NT ftp --no-tls -P $PP ls --json $S: | grep -c '\"name\":\"pdir\",\"type\":\"dir\"'" "1" "" ""
	check "mirror from pyftpdlib" ftp --no-tls -P "$PP" -q mirror $S: pym
	cmp -s pym/p.txt py/p.txt && [ -d pym/pdir ] && pass "mirror via MLSD: content" || fail "mirror via MLSD"
else
	fail "pyftpdlib fixture" "did not start (python3-pyftpdlib missing?)"
fi
finish
