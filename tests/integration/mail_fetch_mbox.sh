#!/bin/bash
# SPDX-License-Identifier: MIT
# mail_fetch_mbox.sh - mail-fetch against a private Dovecot (fixtures/dovecot.sh) where the
# local side is hostile or fragile: symlinks planted at the mbox lock's names (the victim
# files must stay unchanged), --stdout --delete into a file (synced before the deletion)
# and into a pipe or a character device (refused, nothing deleted), and the environment of
# an --mda command (no password in it); the mbox itself and the state behind the recovery
# planted or linked by someone else (refused, nothing appended or cut).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/dovecot.sh"

if ! command -v dovecot >/dev/null; then
	skip "mail-fetch mbox" "dovecot is not installed (scripts/deps.sh test)"
	finish
fi
if ! dove_start; then
	skip "mail-fetch mbox" "dovecot did not start: $(tail -3 "$T/dove/dovecot.log" 2>/dev/null)"
	finish
fi
export NETTOOL_PASSWORD=$DOVE_PASS
IMAP="imap://test@127.0.0.1:$DOVE_IMAP/INBOX"
CA="--cacert $DOVE_CA"
dove_fill 5 2000 sy
sha() { sha256sum <"$1"; }

# --- symlinks at the lock's names. In a private PID namespace mail-fetch runs as a small
# pid (1, or close to it), so links at <mbox>.lock.1 .. <mbox>.lock.300 cover every name a
# lock file "<mbox>.lock.<pid>" of ours could have had.
if ! unshare --pid --fork true 2>/dev/null; then
	skip "mbox lock symlinks" "unshare --pid is not allowed here"
else
	mkdir -p "$T/sy"
	echo "victim one: must stay as it is" >"$T/victim1"
	v1=$(sha "$T/victim1")
	for i in $(seq 1 300); do ln -s "$T/victim1" "$T/sy/inbox.lock.$i"; done
	timeout 60 unshare --pid --fork $NT mail-fetch $CA -q --state "$T/st.sy1" --mbox "$T/sy/inbox" "$IMAP" 2>"$T/sy1.err"
	rc=$?
	[ "$(sha "$T/victim1")" = "$v1" ] && pass "mbox lock: symlinks at <mbox>.lock.<pid> are never written through" ||
		fail "mbox lock: the victim behind <mbox>.lock.<pid> changed" "$(head -c 100 "$T/victim1")"
	[ $rc = 0 ] && [ "$(grep -c '^From ' "$T/sy/inbox")" = 5 ] && [ ! -e "$T/sy/inbox.lock" ] &&
		pass "mbox lock: delivery works beside the planted symlinks, lock removed" ||
		fail "mbox lock with planted symlinks: exit $rc" "$(cat "$T/sy1.err")"
	[ "$(find "$T/sy" -name 'inbox.lock.*' -type l | wc -l)" = 300 ] &&
		[ -z "$(find "$T/sy" -name 'inbox.lock.*' -type f)" ] && pass "mbox lock: no lock file of ours left behind" ||
		fail "mbox lock: files left" "$(ls "$T/sy" | grep -v '^inbox.lock.[0-9]*$' | head -3)"
fi

# A symlink planted as <mbox>.lock itself, old enough to be stale: it is judged by its own
# age (never by its target's), removed as a link, and the victim is not touched.
mkdir -p "$T/sy2"
echo "victim two: must stay as it is" >"$T/victim2"
v2=$(sha "$T/victim2")
ln -s "$T/victim2" "$T/sy2/inbox.lock"
touch -h -d '-400 seconds' "$T/sy2/inbox.lock"
timeout 20 $NT mail-fetch $CA -q --state "$T/st.sy2" --mbox "$T/sy2/inbox" "$IMAP" 2>"$T/sy2.err"
rc=$?
[ "$(sha "$T/victim2")" = "$v2" ] && [ -f "$T/victim2" ] && pass "mbox lock: a symlink at <mbox>.lock leaves its target unchanged" ||
	fail "mbox lock: the victim behind <mbox>.lock changed"
[ $rc = 0 ] && [ "$(grep -c '^From ' "$T/sy2/inbox")" = 5 ] && grep -q 'removing a stale lock' "$T/sy2.err" &&
	[ ! -e "$T/sy2/inbox.lock" ] && pass "mbox lock: a stale symlink at <mbox>.lock is removed and delivery works" ||
	fail "mbox lock: stale symlink at <mbox>.lock: exit $rc" "$(cat "$T/sy2.err")"

# A live holder's dot-lock (its pid, running) is waited for; a dead holder's is stale.
mkdir -p "$T/sy3"
sleep 30 &
holder=$!
cleanup "kill $holder"
echo $holder >"$T/sy3/inbox.lock"
(
	sleep 1.5
	rm -f "$T/sy3/inbox.lock"
) &
t0=$(date +%s%N)
$NT mail-fetch $CA -q --state "$T/st.sy3" --mbox "$T/sy3/inbox" "$IMAP" 2>"$T/sy3.err"
rc=$? t1=$(date +%s%N)
wait $!
[ $rc = 0 ] && [ $(((t1 - t0) / 1000000)) -ge 1000 ] && ! grep -q stale "$T/sy3.err" &&
	pass "mbox lock: a live holder's dot-lock is waited for" || fail "mbox lock: live holder: exit $rc" "$(cat "$T/sy3.err")"
kill $holder 2>/dev/null
wait $holder 2>/dev/null
echo $holder >"$T/sy3/inbox.lock"
$NT mail-fetch $CA -q --all --state "$T/st.sy3b" --mbox "$T/sy3/inbox" "$IMAP" 2>"$T/sy3b.err"
rc=$?
[ $rc = 0 ] && grep -q 'removing a stale lock' "$T/sy3b.err" && [ "$(grep -c '^From ' "$T/sy3/inbox")" = 10 ] &&
	pass "mbox lock: a dead holder's dot-lock is stale" || fail "mbox lock: dead holder: exit $rc" "$(cat "$T/sy3b.err")"

# --- --stdout --delete
# Into a regular file: standard output is synced (a sync call on a descriptor of that file:
# fsync, fdatasync, or syncfs on a duplicate) before anything is deleted on the server.
# Plain IMAP on loopback so that the trace shows the commands; strace -y names the files.
dove_fill 4 2000 so
n0=$(dove_count)
# (LeakSanitizer can not run under strace: off for this one run of a sanitized binary.)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -y -qq -s 120 -e trace=fsync,fdatasync,syncfs,sendto -o "$T/so.trace" \
	$NT mail-fetch --no-tls -q --delete --state "$T/st.so" --stdout "$IMAP" >"$T/so.mbox" 2>"$T/so.err"
rc=$?
sync_at=$(grep -n -E '(fsync|fdatasync|syncfs)\([0-9]+<[^>]*/so\.mbox>\)' "$T/so.trace" | head -1 | cut -d: -f1)
del_at=$(grep -n -E 'Deleted|EXPUNGE' "$T/so.trace" | head -1 | cut -d: -f1)
[ $rc = 0 ] && [ "$(dove_count)" = 0 ] && [ "$(grep -c '^From ' "$T/so.mbox")" = "$n0" ] &&
	pass "--stdout --delete into a file: every message written, the server empty" ||
	fail "--stdout --delete into a file: exit $rc, server $(dove_count)" "$(cat "$T/so.err")"
[ -n "$sync_at" ] && [ -n "$del_at" ] && [ "$sync_at" -lt "$del_at" ] &&
	pass "--stdout --delete into a file: standard output synced before the deletion" ||
	fail "--stdout --delete: no sync of standard output before the deletion" "sync at line ${sync_at:-none}, delete at ${del_at:-none}"
# Into a pipe or a character device: nothing can be made durable, so it is refused.
dove_fill 3 2000 sp
n0=$(dove_count)
$NT mail-fetch $CA -q --delete --state "$T/st.sp" --stdout "$IMAP" 2>"$T/sp.err" | cat >"$T/sp.out"
rc=${PIPESTATUS[0]}
[ $rc = 2 ] && [ "$(dove_count)" = "$n0" ] && grep -q 'regular file' "$T/sp.err" &&
	pass "--stdout --delete into a pipe: refused (exit 2), nothing deleted" ||
	fail "--stdout --delete into a pipe: exit $rc, server $(dove_count) of $n0" "$(cat "$T/sp.err")"
$NT mail-fetch $CA -q --delete --state "$T/st.sp" --stdout "$IMAP" >/dev/null 2>"$T/sn.err"
rc=$?
[ $rc = 2 ] && [ "$(dove_count)" = "$n0" ] && pass "--stdout --delete into /dev/null (a character device): refused (exit 2), nothing deleted" ||
	fail "--stdout --delete into /dev/null: exit $rc, server $(dove_count) of $n0" "$(cat "$T/sn.err")"
if command -v script >/dev/null; then
	# a terminal (script(1) gives it a pseudo-terminal)
	script -qec "$NT mail-fetch $CA -q --delete --state $T/st.sp --stdout $IMAP 2>$T/st.err" /dev/null >/dev/null
	rc=$?
	[ $rc = 2 ] && [ "$(dove_count)" = "$n0" ] && pass "--stdout --delete to a terminal: refused (exit 2), nothing deleted" ||
		fail "--stdout --delete to a terminal: exit $rc, server $(dove_count) of $n0" "$(cat "$T/st.err")"
else
	skip "--stdout --delete to a terminal" "no script(1)"
fi
$NT mail-fetch $CA -q --state "$T/st.sp2" --stdout "$IMAP" 2>"$T/sp2.err" | cat >"$T/sp2.out"
[ "${PIPESTATUS[0]}" = 0 ] && [ "$(grep -c '^From ' "$T/sp2.out")" = "$n0" ] &&
	pass "--stdout into a pipe without --delete still works" || fail "--stdout into a pipe" "$(cat "$T/sp2.err")"

# --- --mda: no password in the command's environment (NETTOOL_PASSWORD is set here)
mkdir -p "$T/env"
dove_fill 1 1000 env
$NT mail-fetch $CA -q --limit 1 --state "$T/st.env" --mda "cat >/dev/null; env >\"$T/env/\$\$\"" "$IMAP" 2>"$T/env.err"
rc=$?
f=$(ls "$T/env" | head -1)
[ $rc = 0 ] && [ -n "$f" ] && grep -q '^PATH=' "$T/env/$f" && ! grep -q -e '^NETTOOL_PASSWORD=' -e "=$DOVE_PASS\$" "$T/env/$f" &&
	pass "--mda: the command's environment holds no password" ||
	fail "--mda environment: exit $rc" "$(grep -e NETTOOL_PASSWORD -e "=$DOVE_PASS\$" "$T/env/${f:-none}" 2>&1 | head -3)"
# --- the mbox itself is never opened through a symlink (security review 2a): a link to a
# victim (appended to before), and a dangling one (its target was created before).
mkdir -p "$T/mb"
echo "victim three: must stay as it is" >"$T/victim3"
v3=$(sha "$T/victim3")
ln -s "$T/victim3" "$T/mb/box"
timeout 20 $NT mail-fetch $CA -q --state "$T/st.mb1" --mbox "$T/mb/box" "$IMAP" 2>"$T/mb1.err"
rc=$?
[ $rc = 6 ] && [ "$(sha "$T/victim3")" = "$v3" ] && grep -q 'mb/box is a symbolic link: refused' "$T/mb1.err" &&
	pass "--mbox through a symlink: refused (exit 6, named), the victim unchanged" ||
	fail "--mbox through a symlink: exit $rc" "$(cat "$T/mb1.err"; head -c 100 "$T/victim3")"
ln -s "$T/mb/created" "$T/mb/dangling"
timeout 20 $NT mail-fetch $CA -q --state "$T/st.mb2" --mbox "$T/mb/dangling" "$IMAP" 2>"$T/mb2.err"
rc=$?
[ $rc = 6 ] && [ ! -e "$T/mb/created" ] && pass "--mbox through a dangling symlink: refused, nothing created" ||
	fail "--mbox dangling symlink: exit $rc" "$(cat "$T/mb2.err"; ls "$T/mb")"
echo "victim four: must stay as it is" >"$T/victim4"
v4=$(sha "$T/victim4")
ln "$T/victim4" "$T/mb/hard"
timeout 20 $NT mail-fetch $CA -q --state "$T/st.mb3" --mbox "$T/mb/hard" "$IMAP" 2>"$T/mb3.err"
rc=$?
[ $rc = 6 ] && [ "$(sha "$T/victim4")" = "$v4" ] && grep -q 'hard links' "$T/mb3.err" &&
	pass "--mbox with a second hard link: refused, the other file unchanged" ||
	fail "--mbox hard link: exit $rc" "$(cat "$T/mb3.err")"

# --- the recovery never cuts on the word of a planted or implausible state (review 2b):
# "mbox 10 999999999 0" made the recovery cut the file behind the mbox to 10 bytes.
mkdir -p "$T/mb5"
head -c 5000 /dev/urandom >"$T/important.db"
vi=$(sha "$T/important.db")
ln -s "$T/important.db" "$T/mb5/box"
printf 'version 1\nmbox 10 999999999 0\n' >"$T/st.mb5"
chmod 600 "$T/st.mb5"
timeout 20 $NT mail-fetch $CA -q --state "$T/st.mb5" --mbox "$T/mb5/box" "$IMAP" 2>"$T/mb5.err"
rc=$?
[ $rc = 6 ] && [ "$(sha "$T/important.db")" = "$vi" ] &&
	pass "recovery: a planted state and an mbox symlinked to another file: refused, nothing cut" ||
	fail "recovery through a symlink: exit $rc, $(stat -c %s "$T/important.db") bytes left" "$(cat "$T/mb5.err")"
mkdir -p "$T/mb6"
head -c 5000 /dev/urandom >"$T/mb6/box"
chmod 600 "$T/mb6/box"
vb=$(sha "$T/mb6/box")
printf 'version 1\nmbox 10 999999999 0\n' >"$T/st.mb6"
chmod 600 "$T/st.mb6"
timeout 20 $NT mail-fetch $CA -q --state "$T/st.mb6" --mbox "$T/mb6/box" "$IMAP" 2>"$T/mb6.err"
rc=$?
[ $rc = 6 ] && [ "$(sha "$T/mb6/box")" = "$vb" ] && grep -q 'does not fit' "$T/mb6.err" &&
	pass "recovery: an implausible append (999999999 bytes) is refused, never cut" ||
	fail "recovery with an implausible append: exit $rc, $(stat -c %s "$T/mb6/box") bytes left" "$(cat "$T/mb6.err")"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	printf 'version 1\nmbox 10 4000 0\n' >"$T/st.mb7"
	chmod 600 "$T/st.mb7"
	chown nobody "$T/st.mb7"
	timeout 20 $NT mail-fetch $CA -q --state "$T/st.mb7" --mbox "$T/mb6/box" "$IMAP" 2>"$T/mb7.err"
	rc=$?
	[ $rc = 6 ] && [ "$(sha "$T/mb6/box")" = "$vb" ] && grep -q 'not owned by us' "$T/mb7.err" &&
		pass "a state file owned by someone else is refused, nothing cut" ||
		fail "foreign state file: exit $rc, $(stat -c %s "$T/mb6/box") bytes left" "$(cat "$T/mb7.err")"
else
	skip "foreign state file" "needs root to make a file owned by nobody"
fi
printf 'version 1\nmbox 10 4000 0\n' >"$T/st.mb8"
chmod 622 "$T/st.mb8"
timeout 20 $NT mail-fetch $CA -q --state "$T/st.mb8" --mbox "$T/mb6/box" "$IMAP" 2>"$T/mb8.err"
rc=$?
[ $rc = 6 ] && [ "$(sha "$T/mb6/box")" = "$vb" ] && grep -q 'writable by others' "$T/mb8.err" &&
	pass "a state file writable by others is refused, nothing cut" ||
	fail "writable state file: exit $rc, $(stat -c %s "$T/mb6/box") bytes left" "$(cat "$T/mb8.err")"
finish
