#!/bin/bash
# SPDX-License-Identifier: MIT
# mail_fetch.sh - nettool mail-fetch against a private Dovecot (IMAP, IMAPS, STARTTLS, POP3,
# POP3S; fixture in fixtures/dovecot.sh): every command and option, exact bytes, flags left
# alone, state, TLS verification, special messages (8-bit, 10 MiB, "From " lines, bare LF).
# The crash test is mail_fetch_crash.sh; broken servers are in mail_fetch_broken.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/dovecot.sh"

if ! command -v dovecot >/dev/null; then
	skip "mail-fetch" "dovecot is not installed (scripts/deps.sh test)"
	finish
fi
if ! dove_start; then
	skip "mail-fetch" "dovecot did not start: $(tail -3 "$T/dove/dovecot.log" 2>/dev/null)"
	finish
fi
export NETTOOL_PASSWORD=$DOVE_PASS
IMAP="imap://test@127.0.0.1:$DOVE_IMAP/INBOX"
IMAPS="imaps://test@localhost:$DOVE_IMAPS/INBOX"
POP3="pop3://test@127.0.0.1:$DOVE_POP3"
POP3S="pop3s://test@localhost:$DOVE_POP3S"
CA="--cacert $DOVE_CA"

# Sorted SHA-256 of every message file under a Maildir (new/ and cur/).
digests() { for f in "$1"/new/* "$1"/cur/*; do [ -f "$f" ] && sha256sum <"$f"; done | sort; }
count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }
msgids() { for f in "$1"/new/* "$1"/cur/*; do [ -f "$f" ] && sed -n 's/^Message-ID: //Ip;/^$/q' "$f"; done | sort; }
flags() { doveadm -c "$DOVE_CONF" fetch -u test 'uid flags' mailbox INBOX all 2>/dev/null; }

# --- special messages first, so every run below sees them
cat >"$T/from.eml" <<'EOF'
From: Mbox Quoting <q@nettool.test>
Subject: from lines
Message-ID: <from-lines@nettool.test>

From the start of a line.
>From an already quoted line.
Not From here.
EOF
dove_put "$T/from.eml"
printf 'From: bare@nettool.test\nSubject: bare LF\nMessage-ID: <bare-lf@nettool.test>\n\nline one\nline two without newline at end' >"$T/bare.eml"
dove_put "$T/bare.eml"
/usr/bin/python3 - "$T/big.eml" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"From: big@nettool.test\nSubject: ten MiB\nMessage-ID: <big@nettool.test>\n\n")
    line = b"0123456789abcdef\xc3\xa9\xe2\x82\xac 8-bit payload line for the ten MiB message......\n"
    n = 0
    while n < 10 * 1024 * 1024:
        f.write(line); n += len(line)
PY
dove_put "$T/big.eml"
dove_fill 20 4096 m
doveadm -c "$DOVE_CONF" flags add -u test '\Flagged' mailbox INBOX uid 5 >/dev/null 2>&1
doveadm -c "$DOVE_CONF" flags add -u test '\Seen' mailbox INBOX uid 6 >/dev/null 2>&1
N=23
flags >"$T/flags.before"
digests "$DOVE_MAILDIR" >"$T/server.sha"

# --- IMAP (STARTTLS, verified with --cacert) into a Maildir
expect_exit "imap fetch: exit 0" 0 $NT mail-fetch $CA -q -o "$T/md" "$IMAP"
[ "$(count "$T/md")" = $N ] && pass "imap fetch: $N messages in new/" || fail "imap fetch: count" "$(count "$T/md")"
digests "$T/md" >"$T/md.sha"
cmp -s "$T/server.sha" "$T/md.sha" && pass "imap fetch: exact bytes of every message (8-bit, 10 MiB, bare LF, From lines)" ||
	fail "imap fetch: bytes differ" "$(diff "$T/server.sha" "$T/md.sha" | head -3)"
[ -z "$(ls -A "$T/md/tmp")" ] && pass "imap fetch: tmp/ empty" || fail "imap fetch: tmp/ not empty"
flags >"$T/flags.after"
cmp -s "$T/flags.before" "$T/flags.after" && pass "imap fetch: server flags unchanged (BODY.PEEK, EXAMINE)" ||
	fail "imap fetch: flags changed" "$(diff "$T/flags.before" "$T/flags.after" | head -4)"
st=$(ls "$T"/md/.nettool-fetch-state.* 2>/dev/null)
[ -n "$st" ] && grep -q '^uidvalidity [0-9]' "$st" && [ "$(grep -c '^u ' "$st")" = $N ] &&
	pass "imap fetch: state file with UIDVALIDITY and $N UIDs" || fail "imap fetch: state file" "$(head -5 "$st" 2>&1)"
grep -q '^u [0-9]* <from-lines@nettool.test>$' "$st" && pass "imap fetch: state keeps Message-IDs" || fail "imap fetch: state Message-ID"
[ "$(stat -c %a "$st")" = 600 ] && pass "imap fetch: state file mode 600" || fail "imap fetch: state mode"

# second run: nothing; a new message: only it
$NT mail-fetch $CA -o "$T/md" "$IMAP" 2>"$T/err2"
grep -qx 'nettool mail-fetch: 0 messages fetched (0 bytes)' "$T/err2" && [ "$(count "$T/md")" = $N ] &&
	pass "imap fetch: second run fetches nothing" || fail "imap fetch: second run" "$(cat "$T/err2")"
dove_fill 1 2000 new
$NT mail-fetch $CA -o "$T/md" "$IMAP" 2>"$T/err3"
newest=$(ls -t "$T/md/new" | head -1)
grep -qx 'nettool mail-fetch: 1 message fetched ([0-9.]* KiB)' "$T/err3" && grep -q '^Message-ID: <new-0@nettool.test>' "$T/md/new/$newest" &&
	pass "imap fetch: a new message is fetched alone (the summary's size in KiB)" || fail "imap fetch: new message" "$(cat "$T/err3")"
N=$((N + 1))

# -v: a protocol trace with the password masked
$NT mail-fetch $CA -v -o "$T/md" "$IMAP" 2>"$T/trace" >/dev/null
b64=$(printf '\0test\0secret' | base64)
grep -q '> A[0-9]* UID SEARCH ALL' "$T/trace" && ! grep -q -e "$b64" -e secret "$T/trace" &&
	pass "imap -v: trace without the password" || fail "imap -v" "$(grep -i auth "$T/trace" | head -3)"

# --- TLS
expect_exit "imaps without --cacert: verification refused (exit 4)" 4 $NT mail-fetch -q -o "$T/x" "$IMAPS"
expect_exit "imap STARTTLS without --cacert: refused (exit 4)" 4 $NT mail-fetch -q -o "$T/x" "$IMAP"
expect_exit "imaps with --cacert" 0 $NT mail-fetch $CA -q -o "$T/mds" "$IMAPS"
[ "$(count "$T/mds")" = $N ] && pass "imaps: all messages" || fail "imaps: count" "$(count "$T/mds")"
expect_exit "imap --tls (STARTTLS required)" 0 $NT mail-fetch $CA --tls -q --state "$T/st.tls" -o "$T/mdt" "$IMAP"
$NT mail-fetch --insecure -q --state "$T/st.insec" -o "$T/mdi" "$IMAPS" 2>"$T/insec"
grep -q 'not verified' "$T/insec" && [ "$(count "$T/mdi")" = $N ] && pass "--insecure warns and works" ||
	fail "--insecure" "$(cat "$T/insec")"
expect_exit "imap --no-tls (plain on loopback)" 0 $NT mail-fetch --no-tls -q -o "$T/mdp" "$IMAP"
expect_exit "wrong password: exit 4" 4 env NETTOOL_PASSWORD=wrong $NT mail-fetch $CA -q -o "$T/x" "$IMAP"
echo secret >"$T/pw"
expect_exit "--password-file" 0 env -u NETTOOL_PASSWORD $NT mail-fetch $CA -q --password-file "$T/pw" --state "$T/st.pw" -o "$T/mdpw" "$IMAP"

# --- POP3 and POP3S
expect_exit "pop3 fetch" 0 $NT mail-fetch $CA -q -o "$T/pop" "$POP3"
digests "$T/pop" >"$T/pop.sha"
# POP3 cannot carry a message without a final line end: the bare-LF message gains one.
for f in "$DOVE_MAILDIR"/cur/* "$DOVE_MAILDIR"/new/*; do
	[ -f "$f" ] && { cat "$f"; [ -z "$(tail -c 1 "$f")" ] || echo; } | sha256sum
done | sort >"$T/server2.sha"
cmp -s "$T/server2.sha" "$T/pop.sha" && pass "pop3 fetch: exact bytes of every message" ||
	fail "pop3 fetch: bytes differ" "$(diff "$T/server2.sha" "$T/pop.sha" | head -3)"
pst=$(ls "$T"/pop/.nettool-fetch-state.*)
[ "$(grep -c '^u [0-9a-fA-F]\{16\} <' "$pst")" = $N ] && pass "pop3 fetch: UIDLs in the state" || fail "pop3 state" "$(head -5 "$pst")"
$NT mail-fetch $CA -o "$T/pop" "$POP3" 2>"$T/perr"
grep -q '0 messages fetched' "$T/perr" && pass "pop3: second run fetches nothing" || fail "pop3 second run" "$(cat "$T/perr")"
expect_exit "pop3s with --cacert" 0 $NT mail-fetch $CA -q -o "$T/pops" "$POP3S"
[ "$(count "$T/pops")" = $N ] && pass "pop3s: all messages" || fail "pop3s count"
expect_exit "pop3s without --cacert: exit 4" 4 $NT mail-fetch -q -o "$T/x" "$POP3S"
grep -q 'retr=' "$T/dove/dovecot.log" && pass "pop3: server log shows RETR" || fail "pop3 server log"

# --- mbox, --stdout, --mda
expect_exit "mbox fetch" 0 $NT mail-fetch $CA -q --mbox "$T/mbox/inbox" "$IMAP"
[ "$(grep -c '^From ' "$T/mbox/inbox")" = $N ] && pass "mbox: one From_ line per message" ||
	fail "mbox: From_ lines" "$(grep -c '^From ' "$T/mbox/inbox")"
grep -qx '>From the start of a line.' "$T/mbox/inbox" && grep -qx '>>From an already quoted line.' "$T/mbox/inbox" &&
	grep -qx 'Not From here.' "$T/mbox/inbox" && pass "mbox: mboxrd quoting" || fail "mbox: quoting"
[ ! -e "$T/mbox/inbox.lock" ] && pass "mbox: dotlock removed" || fail "mbox: dotlock left"
/usr/bin/python3 -c 'import mailbox,sys; print(len(mailbox.mbox(sys.argv[1])))' "$T/mbox/inbox" >"$T/pyn"
[ "$(cat "$T/pyn")" = $N ] && pass "mbox: python mailbox reads $N messages" || fail "mbox: python" "$(cat "$T/pyn")"
$NT mail-fetch $CA -q --mbox "$T/mbox/inbox" "$IMAP"
[ "$(grep -c '^From ' "$T/mbox/inbox")" = $N ] && pass "mbox: second run appends nothing" || fail "mbox: second run"

# an mbox whose last line has no line end (another program wrote it): the boundary holds
mkdir -p "$T/mbox2"
printf 'From old@nettool.test Thu Jan  1 00:00:00 2026\nSubject: old\n\nold body without a line end' >"$T/mbox2/inbox"
expect_exit "mbox not ending in a line end: exit 0" 0 $NT mail-fetch $CA -q --limit 2 --mbox "$T/mbox2/inbox" "$IMAP"
/usr/bin/python3 -c '
import mailbox, sys
m = list(mailbox.mbox(sys.argv[1]))
assert len(m) == 3, len(m)
assert m[0].get_payload() == "old body without a line end\n", repr(m[0].get_payload())
assert all(x["Message-ID"] for x in m[1:]), [x["Message-ID"] for x in m]
' "$T/mbox2/inbox" 2>"$T/mbox2.err" && [ "$(grep -c '^From ' "$T/mbox2/inbox")" = 3 ] &&
	pass "mbox without a final line end: the old message intact, the new ones separate" ||
	fail "mbox without a final line end" "$(cat "$T/mbox2.err"; head -c 300 "$T/mbox2/inbox")"

# a dotlock without a pid (another program's) is respected until it goes (or is 300 s old)
: >"$T/mbox2/inbox.lock"
touch -d '-10 seconds' "$T/mbox2/inbox.lock"
(sleep 2; rm -f "$T/mbox2/inbox.lock") &
rmpid=$!
t0=$(date +%s%N)
$NT mail-fetch $CA -q --limit 1 --mbox "$T/mbox2/inbox" "$IMAP" 2>"$T/lock.err"
rc=$? t1=$(date +%s%N)
wait $rmpid
[ $rc = 0 ] && [ $(((t1 - t0) / 1000000)) -ge 1500 ] && ! grep -q stale "$T/lock.err" &&
	pass "mbox: a 10 s old dotlock without a pid is waited for, not removed" ||
	fail "mbox dotlock without pid: exit $rc after $(((t1 - t0) / 1000000)) ms" "$(cat "$T/lock.err")"
: >"$T/mbox2/inbox.lock"
touch -d '-400 seconds' "$T/mbox2/inbox.lock"
$NT mail-fetch $CA -q --limit 1 --mbox "$T/mbox2/inbox" "$IMAP" 2>"$T/lock2.err"
rc=$?
[ $rc = 0 ] && grep -q 'removing a stale lock' "$T/lock2.err" && [ ! -e "$T/mbox2/inbox.lock" ] &&
	pass "mbox: a dotlock over 300 s old is removed as stale" || fail "mbox old dotlock: exit $rc" "$(cat "$T/lock2.err")"

$NT mail-fetch $CA -q --stdout --state "$T/st.stdout" "$IMAP" >"$T/stdout.mbox"
[ "$(grep -c '^From ' "$T/stdout.mbox")" = $N ] && pass "--stdout: mbox on standard output" || fail "--stdout"
mkdir -p "$T/mda"
expect_exit "--mda failing: exit 1" 1 $NT mail-fetch $CA -q --mda 'cat >/dev/null; exit 3' --state "$T/st.mda" "$IMAP"
$NT mail-fetch $CA -q --mda "cat >\"$T/mda/\$\$.eml\"" --state "$T/st.mda" "$IMAP"
[ "$(ls "$T/mda" | wc -l)" = $N ] && pass "--mda: failed deliveries retried, one command per message" ||
	fail "--mda" "$(ls "$T/mda" | wc -l)"
cat "$T"/mda/*.eml | grep -c '^Message-ID:' | grep -qx $N && pass "--mda: messages on stdin" || fail "--mda content"
$NT mail-fetch $CA -q --limit 1 --mda 'cat >/dev/null; ls -l /proc/$$/fd' --state "$T/st.mdafd" "$IMAP" >"$T/mda.fds"
grep -q ' 2 -> ' "$T/mda.fds" && ! grep -q -e socket: -e ' [3-9] -> ' -e ' [1-9][0-9] -> ' "$T/mda.fds" &&
	pass "--mda: the command inherits only fds 0-2 (not the server connection)" || fail "--mda fds" "$(cat "$T/mda.fds")"

# the test build's NETTOOL_MAIL_NOSYNC warns even with -q; the shipped binary ignores it
if have_test_build "NETTOOL_MAIL_NOSYNC"; then
	NETTOOL_MAIL_NOSYNC=1 $NT_TEST mail-fetch $CA -q --limit 1 --state "$T/st.nosync" -o "$T/nosync" "$IMAP" 2>"$T/nosync.err"
	grep -q 'WARNING: NETTOOL_MAIL_NOSYNC is set' "$T/nosync.err" && pass "NETTOOL_MAIL_NOSYNC (test build) warns even with -q" ||
		fail "NETTOOL_MAIL_NOSYNC: no warning" "$(cat "$T/nosync.err")"
fi
NETTOOL_MAIL_NOSYNC=1 $NT mail-fetch $CA -q --limit 1 --state "$T/st.nosync2" -o "$T/nosync2" "$IMAP" 2>"$T/nosync2.err"
[ ! -s "$T/nosync2.err" ] && [ "$(count "$T/nosync2")" = 1 ] && pass "the shipped binary ignores NETTOOL_MAIL_NOSYNC" ||
	fail "NETTOOL_MAIL_NOSYNC read by the shipped binary" "$(cat "$T/nosync2.err")"

# --- list and folders
$NT mail-fetch $CA list "$IMAP" >"$T/list"
[ "$(wc -l <"$T/list")" = $N ] && grep -q "^[0-9]*	[0-9]*		Mbox Quoting <q@nettool.test>	from lines$" "$T/list" &&
	pass "list: one line per message (uid size date from subject)" || fail "list" "$(head -2 "$T/list")"
$NT mail-fetch $CA list --json -o "$T/md" "$IMAP" >"$T/list.json"
/usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == int(sys.argv[2]), len(rows)
r = [x for x in rows if x["message_id"] == "<big@nettool.test>"][0]
assert r["size"] > 10 * 1024 * 1024 and r["fetched"] is True and r["subject"] == "ten MiB", r
assert [x for x in rows if x["uid"] == 6][0]["seen"] is True
' "$T/list.json" $N && pass "list --json: fields, sizes, seen and fetched" || fail "list --json"
$NT mail-fetch $CA list "$POP3" >"$T/plist"
[ "$(wc -l <"$T/plist")" = $N ] && grep -q "	from lines$" "$T/plist" && pass "list over pop3" || fail "list pop3"
# A header the message lacks is unknown: null, never "" (nettool(1) CONVENTIONS); the
# "from lines" message has no Date header, every message has a From.
$NT mail-fetch $CA list --json "$POP3" >"$T/plist.json"
for f in list.json plist.json; do
	/usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in rows if x["subject"] == "from lines"][0]
assert r["date"] is None and r["from"] == "Mbox Quoting <q@nettool.test>", r
assert all(x["date"] is None or x["date"] != "" for x in rows), rows
assert all(x["uid"] not in (None, "") for x in rows), rows
' "$T/$f" && pass "list --json (${f%%.*}): a missing Date is null, not \"\"" || fail "list --json ($f): missing Date" "$(head -c 600 "$T/$f")"
done
doveadm -c "$DOVE_CONF" mailbox create -u test 'Archive' 'Odd "name"' >/dev/null 2>&1
$NT mail-fetch $CA folders "imap://test@127.0.0.1:$DOVE_IMAP" | sort >"$T/folders"
printf 'Archive\nINBOX\nOdd "name"\n' | cmp -s - "$T/folders" && pass "folders" || fail "folders" "$(cat "$T/folders")"
$NT mail-fetch $CA folders --json "imap://test@127.0.0.1:$DOVE_IMAP" >"$T/folders.json"
/usr/bin/python3 -c 'import json,sys; n=sorted(json.loads(l)["name"] for l in open(sys.argv[1])); assert n==["Archive","INBOX","Odd \"name\""], n' \
	"$T/folders.json" && pass "folders --json" || fail "folders --json" "$(cat "$T/folders.json")"

# --- selection: --all --search --since --limit --max-size --mailbox
$NT mail-fetch $CA -q --all -o "$T/md" "$IMAP"
[ "$(count "$T/md")" = $((2 * N)) ] && pass "--all fetches everything again" || fail "--all" "$(count "$T/md")"
$NT mail-fetch $CA -q --search 'SUBJECT "message m-3"' --state "$T/st.search" -o "$T/search" "$IMAP"
[ "$(msgids "$T/search")" = "<m-3@nettool.test>" ] && pass "--search" || fail "--search" "$(msgids "$T/search")"
long=$(printf 'UNDELETED %.0s' $(seq 300))
$NT mail-fetch $CA -q --search "${long}SUBJECT \"message m-4\"" --state "$T/st.search2" -o "$T/search2" "$IMAP"
[ "$(msgids "$T/search2")" = "<m-4@nettool.test>" ] && pass "--search of 3 KiB sent whole" || fail "--search long" "$(msgids "$T/search2" | head -3)"
# The server's words once, its status word once (not "server said BAD BAD ...").
$NT mail-fetch $CA -q --search 'NOSUCHKEY x' --state "$T/st.bad" -o "$T/bad" "$IMAP" 2>"$T/err.bad"
rc=$?
[ $rc = 2 ] && grep -q "server said BAD " "$T/err.bad" && ! grep -Eq 'BAD BAD|said BAD [^ ]* BAD' "$T/err.bad" &&
	pass "--search refused: 'server said BAD' once, exit 2" || fail "--search refused wording" "rc $rc: $(cat "$T/err.bad")"
$NT mail-fetch $CA -q --state "$T/st.nobox" -o "$T/nobox" "imap://test@127.0.0.1:$DOVE_IMAP/NoSuchBox" 2>"$T/err.nobox"
rc=$?
[ $rc = 1 ] && grep -q "EXAMINE NoSuchBox: server said NO " "$T/err.nobox" && ! grep -q 'NO NO' "$T/err.nobox" &&
	pass "a folder that does not exist: 'server said NO' once, exit 1" || fail "no such folder wording" "rc $rc: $(cat "$T/err.nobox")"
$NT mail-fetch $CA -q --since 2000-01-01 --state "$T/st.since1" -o "$T/since1" "$IMAP"
$NT mail-fetch $CA -q --since 2099-01-01 --state "$T/st.since2" -o "$T/since2" "$IMAP"
[ "$(count "$T/since1")" = $N ] && [ "$(count "$T/since2")" = 0 ] && pass "--since" || fail "--since"
$NT mail-fetch $CA -q --limit 3 --state "$T/st.lim" -o "$T/lim" "$IMAP"
[ "$(count "$T/lim")" = 3 ] && pass "--limit 3" || fail "--limit" "$(count "$T/lim")"
$NT mail-fetch $CA -q --limit 3 --state "$T/st.lim" -o "$T/lim" "$IMAP"
[ "$(count "$T/lim")" = 6 ] && pass "--limit: the next run takes the next 3" || fail "--limit next" "$(count "$T/lim")"
$NT mail-fetch $CA --max-size 1M --state "$T/st.max" -o "$T/max" "$IMAP" 2>"$T/maxerr"
grep -q 'skipping UID [0-9]*: 106[0-9]* bytes is over --max-size' "$T/maxerr" && [ "$(count "$T/max")" = $((N - 1)) ] &&
	! grep -rq '<big@nettool.test>' "$T/max/new" && pass "--max-size skips and reports" || fail "--max-size" "$(cat "$T/maxerr")"
$NT mail-fetch $CA -q --max-size 1M -o "$T/popmax" "$POP3" 2>/dev/null
[ "$(count "$T/popmax")" = $((N - 1)) ] && pass "--max-size over pop3" || fail "--max-size pop3"
doveadm -c "$DOVE_CONF" save -u test -m Archive <"$T/from.eml" 2>/dev/null
$NT mail-fetch $CA -q --mailbox Archive --state "$T/st.arch" -o "$T/arch" "imap://test@127.0.0.1:$DOVE_IMAP/"
[ "$(msgids "$T/arch")" = "<from-lines@nettool.test>" ] && pass "--mailbox Archive" || fail "--mailbox" "$(msgids "$T/arch")"

# --- --rebuild-state, UIDVALIDITY change
expect_exit "--rebuild-state" 0 $NT mail-fetch $CA -q --rebuild-state -o "$T/rb" "$IMAP"
$NT mail-fetch $CA -q -o "$T/rb" "$IMAP"
[ "$(count "$T/rb")" = 0 ] && [ "$(grep -c '^u ' "$T"/rb/.nettool-fetch-state.*)" = $N ] &&
	pass "--rebuild-state: everything marked, nothing downloaded" || fail "--rebuild-state" "$(count "$T/rb")"
expect_exit "pop3 --rebuild-state" 0 $NT mail-fetch $CA -q --rebuild-state -o "$T/prb" "$POP3"
$NT mail-fetch $CA -q -o "$T/prb" "$POP3"
[ "$(count "$T/prb")" = 0 ] && pass "pop3 --rebuild-state" || fail "pop3 --rebuild-state"
old=$(sed -n 's/^uidvalidity //p' "$T"/md/.nettool-fetch-state.*)
doveadm -c "$DOVE_CONF" mailbox update -u test --uid-validity $((old + 7)) INBOX 2>"$T/upd"
dove_fill 1 1500 after
$NT mail-fetch $CA -o "$T/md" "$IMAP" 2>"$T/uvc"
new=$(sed -n 's/^uidvalidity //p' "$T"/md/.nettool-fetch-state.*)
grep -q 'UIDVALIDITY of INBOX changed' "$T/uvc" && grep -q '1 message fetched' "$T/uvc" && [ "$new" = $((old + 7)) ] &&
	msgids "$T/md" | grep -qx '<after-0@nettool.test>' && pass "UIDVALIDITY change: only the new message, matched by Message-ID" ||
	fail "UIDVALIDITY change" "$(cat "$T/uvc" "$T/upd")"
N=$((N + 1))

# --- disposition: --mark-seen, --delete
doveadm -c "$DOVE_CONF" flags remove -u test '\Seen' mailbox INBOX all
expect_exit "--mark-seen" 0 $NT mail-fetch $CA -q --mark-seen --limit 4 --state "$T/st.seen" -o "$T/seen" "$IMAP"
[ "$(dove_seen_count)" = 4 ] && pass "--mark-seen flags exactly the fetched messages" || fail "--mark-seen" "$(dove_seen_count)"
expect_exit "imap --delete" 0 $NT mail-fetch $CA -q --delete --state "$T/st.del" -o "$T/del" "$IMAP"
[ "$(dove_count)" = 0 ] && [ "$(count "$T/del")" = $N ] && pass "imap --delete: server empty, all delivered" ||
	fail "imap --delete" "server $(dove_count), here $(count "$T/del")"
dove_fill 30 3000 p
expect_exit "pop3 --delete" 0 $NT mail-fetch $CA -q --delete -o "$T/pdel" "$POP3"
[ "$(dove_count)" = 0 ] && [ "$(count "$T/pdel")" = 30 ] && pass "pop3 --delete: server empty, all delivered" ||
	fail "pop3 --delete" "server $(dove_count), here $(count "$T/pdel")"

# --all --delete: the messages fetched before are fetched again, then deleted (not
# deleted first and then missed)
for proto in imap pop3; do
	url=$IMAP; [ $proto = pop3 ] && url=$POP3
	dove_fill 3 2000 ad$proto
	$NT mail-fetch $CA -q -o "$T/ad$proto" "$url"
	expect_exit "$proto --all --delete: exit 0" 0 $NT mail-fetch $CA -q --all --delete -o "$T/ad$proto" "$url"
	[ "$(dove_count)" = 0 ] && [ "$(count "$T/ad$proto")" = 6 ] &&
		pass "$proto --all --delete: fetched again, then deleted" ||
		fail "$proto --all --delete" "server $(dove_count), here $(count "$T/ad$proto")"
done

# --- watch (IDLE) with --exec, stopped by SIGTERM
# stopped PID: its exit status once it exits (up to 20 s); still running then: killed, 99
stopped() {
	local i
	for i in $(seq 400); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$1" 2>/dev/null && { kill -9 "$1"; wait "$1" 2>/dev/null; return 99; }
	wait "$1"
}
dove_fill 2 1000 w
$NT mail-fetch $CA -q watch --exec "echo \"\$NETTOOL_MESSAGE_ID \$NETTOOL_MAILBOX\" >>$T/exec.log; ls -l /proc/\$\$/fd" -o "$T/watch" "$IMAP" 2>"$T/watch.err" >"$T/exec.fds" &
wpid=$!
cleanup "kill $wpid"
for i in $(seq 400); do [ "$(count "$T/watch")" = 2 ] && break; sleep 0.05; done
dove_fill 1 1000 idle
for i in $(seq 400); do [ "$(count "$T/watch")" = 3 ] && break; sleep 0.05; done
[ "$(count "$T/watch")" = 3 ] && grep -q '^<idle-0@nettool.test> INBOX$' "$T/exec.log" &&
	pass "watch: new mail delivered while idling, --exec run" || fail "watch" "$(count "$T/watch") $(cat "$T/watch.err")"
grep -q ' 2 -> ' "$T/exec.fds" && ! grep -q -e socket: -e ' [3-9] -> ' -e ' [1-9][0-9] -> ' "$T/exec.fds" &&
	pass "watch --exec: the command inherits only fds 0-2" || fail "--exec fds" "$(cat "$T/exec.fds")"
kill -TERM $wpid
stopped $wpid
rc=$?
[ $rc = 0 ] && pass "watch: SIGTERM stops cleanly (exit 0)" || fail "watch: exit $rc" "$(cat "$T/watch.err")"

# two mailboxes, one connection each. A background job of a script ignores SIGINT, and
# an ignored signal stays ignored (core/stopsig.c): the wrapper gives it back.
SIGDFL=(python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])')
"${SIGDFL[@]}" $NT mail-fetch $CA -q watch --mailbox INBOX --mailbox Archive -o "$T/watch2" "imap://test@127.0.0.1:$DOVE_IMAP/" 2>"$T/watch2.err" &
wpid=$!
cleanup "kill $wpid"
narch=$(doveadm -c "$DOVE_CONF" search -u test mailbox Archive all | wc -l)
ninbox=$(dove_count)
for i in $(seq 400); do [ "$(count "$T/watch2")" = $((narch + ninbox)) ] && break; sleep 0.05; done
printf 'From: x@y\nSubject: to archive\nMessage-ID: <arch-idle@nettool.test>\n\nhi\n' |
	doveadm -c "$DOVE_CONF" save -u test -m Archive
for i in $(seq 400); do msgids "$T/watch2" | grep -qx '<arch-idle@nettool.test>' && break; sleep 0.05; done
[ "$(ls "$T"/watch2/.nettool-fetch-state.* | wc -l)" = 2 ] && msgids "$T/watch2" | grep -qx '<arch-idle@nettool.test>' &&
	pass "watch --mailbox x2: a state per mailbox, new mail in the second one delivered" ||
	fail "watch two mailboxes" "$(ls -a "$T/watch2") $(cat "$T/watch2.err")"
kill -INT $wpid
stopped $wpid
rc=$?
[ $rc = 0 ] && pass "watch x2: SIGINT stops both (exit 0)" || fail "watch x2: exit $rc" "$(cat "$T/watch2.err")"
# SIGTERM to the whole process group (a service manager's stop, a Ctrl-C at a terminal):
# each mailbox's process gets it and then the one the parent passes on, which is the same
# stop, not a second one (that would end it by the signal): exit 0
setsid $NT mail-fetch $CA -q watch --mailbox INBOX --mailbox Archive -o "$T/watch2" "imap://test@127.0.0.1:$DOVE_IMAP/" 2>"$T/watch3.err" &
wpid=$!
cleanup "kill $wpid"
for i in $(seq 400); do [ "$(pgrep -c -P $wpid)" = 2 ] && break; sleep 0.05; done
sleep 1 # both in IDLE
kill -TERM -- -$wpid
stopped $wpid
rc=$?
[ $rc = 0 ] && pass "watch x2: SIGTERM to the process group stops both (exit 0)" || fail "watch x2, group SIGTERM: exit $rc" "$(cat "$T/watch3.err")"

# --- addressing and credentials options
expect_exit "-u USER with a URL without user, -4" 0 $NT mail-fetch $CA -q -4 -u test --state "$T/st.u" -o "$T/mdu" "imap://127.0.0.1:$DOVE_IMAP/INBOX"
[ "$(count "$T/mdu")" -gt 0 ] && pass "-u: messages fetched" || fail "-u: nothing fetched"
expect_exit "-6 to an IPv4 address: exit 3" 3 $NT mail-fetch $CA -q -6 --timeout 5 -o "$T/x" "imap://test@127.0.0.1:$DOVE_IMAP/"
# (the clear-text password policy against a remote host: mail_fetch_broken.sh, in a
# private network namespace)

# --- usage errors
expect_exit "no destination: exit 2" 2 $NT mail-fetch "$IMAP"
expect_exit "two destinations: exit 2" 2 $NT mail-fetch -o "$T/a" --stdout "$IMAP"
expect_exit "bad scheme: exit 2" 2 $NT mail-fetch -o "$T/a" "http://x@127.0.0.1/"
expect_exit "--mark-seen with pop3: exit 2" 2 $NT mail-fetch --mark-seen -o "$T/a" "$POP3"
expect_exit "--since bad date: exit 2" 2 $NT mail-fetch --since yesterday -o "$T/a" "$IMAP"
expect_exit "--json with fetch: exit 2" 2 $NT mail-fetch --json -o "$T/a" "$IMAP"
expect_exit "unknown command: exit 2" 2 $NT mail-fetch frobnicate "$IMAP"
expect_exit "password in URL refused: exit 2" 2 $NT mail-fetch -o "$T/a" "imap://test:secret@127.0.0.1:$DOVE_IMAP/"
expect_exit "connection refused: exit 3" 3 $NT mail-fetch -q -o "$T/a" "imap://test@127.0.0.1:$(free_port)/"
testing "--help" "\$NT mail-fetch --help | head -1" "Usage: nettool mail-fetch [fetch|list|folders|watch] [OPTIONS] URL" "" ""
# --- Maildir: tmp/ new/ cur/ must be real folders (security review 3). A symlinked new/
# or tmp/ is refused (nothing delivered elsewhere), and a planted "pending NAME" with a
# '/' in it can not make the recovery move a file into another folder.
mkdir -p "$T/mdl/tmp" "$T/mdl/cur" "$T/elsewhere"
ln -s "$T/elsewhere" "$T/mdl/new"
timeout 30 $NT mail-fetch $CA -q --state "$T/st.mdl" -o "$T/mdl" "$IMAP" 2>"$T/mdl.err"
rc=$?
[ $rc = 6 ] && [ -z "$(ls -A "$T/elsewhere")" ] && grep -q 'mdl/new is a symbolic link or not a folder: refused' "$T/mdl.err" &&
	pass "Maildir with a symlinked new/: refused (exit 6, named), nothing delivered elsewhere" ||
	fail "Maildir symlinked new/: exit $rc" "$(cat "$T/mdl.err"; ls "$T/elsewhere" | head -3)"
mkdir -p "$T/mdtl/new" "$T/mdtl/cur" "$T/elsewhere2"
ln -s "$T/elsewhere2" "$T/mdtl/tmp"
timeout 30 $NT mail-fetch $CA -q --state "$T/st.mdtl" -o "$T/mdtl" "$IMAP" 2>"$T/mdtl.err"
rc=$?
[ $rc = 6 ] && [ -z "$(ls -A "$T/elsewhere2")" ] && [ -z "$(ls -A "$T/mdtl/new")" ] &&
	pass "Maildir with a symlinked tmp/: refused, nothing written through it" ||
	fail "Maildir symlinked tmp/: exit $rc" "$(cat "$T/mdtl.err"; ls "$T/elsewhere2" | head -3)"
mkdir -p "$T/mdr/tmp/sub" "$T/mdr/new" "$T/mdr/cur" "$T/victimdir"
echo "planted" >"$T/mdr/tmp/sub/evil"
ln -s "$T/victimdir" "$T/mdr/new/sub"
printf 'version 1\npending sub/evil\n' >"$T/st.mdr"
chmod 600 "$T/st.mdr"
timeout 30 $NT mail-fetch $CA -q --state "$T/st.mdr" -o "$T/mdr" "$IMAP" 2>"$T/mdr.err"
rc=$?
[ $rc = 6 ] && [ ! -e "$T/victimdir/evil" ] && [ -f "$T/mdr/tmp/sub/evil" ] &&
	pass "Maildir recovery: a pending name with '/' is refused, nothing moved into another folder" ||
	fail "Maildir recovery with a planted name: exit $rc" "$(cat "$T/mdr.err"; ls "$T/victimdir")"
printf 'version 1\npending .hidden\n' >"$T/st.mdr2"
chmod 600 "$T/st.mdr2"
echo "planted" >"$T/mdr/tmp/.hidden"
timeout 30 $NT mail-fetch $CA -q --state "$T/st.mdr2" -o "$T/mdr" "$IMAP" 2>"$T/mdr2.err"
rc=$?
[ $rc = 6 ] && [ ! -e "$T/mdr/new/.hidden" ] && pass "Maildir recovery: a pending name with a leading '.' is refused" ||
	fail "Maildir recovery with a dot name: exit $rc" "$(cat "$T/mdr2.err")"
finish
