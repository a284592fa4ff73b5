#!/bin/bash
# SPDX-License-Identifier: MIT
# mail_send_queue.sh - mail-send --queue and --flush against aiosmtpd (fixtures/smtpd.py):
# one connection for the whole flush, 250 / 4xx / 5xx dispositions, a server that goes
# away mid-flush (nothing lost, nothing accepted sent twice), the flush lock.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/fixtures/smtpd.sh"
export TZ=UTC

if ! smtpd_available; then
	skip "mail-send queue" "python3-aiosmtpd is not installed (scripts/deps.sh test)"
	finish
fi

subjects() { cat "$1"/*.eml 2>/dev/null | tr -d '\r' | sed -n 's/^Subject: //p' | sort; }

start_smtpd P "$T/srv" || finish
Q=$T/queue

# --- --queue stores, sends nothing ---
for i in $(seq 1 20); do
	echo "message $i" | $NT mail-send --queue "$Q" -f me@example.com -s "q$i" "to$i@example.org" || fail "queue $i"
done
printf 'mixed\n' | $NT mail-send --queue "$Q" -f me@example.com -s mixed ok@example.org reject-x@example.org later-x@example.org
f=$(ls "$Q/new" | head -1)
[ "$(ls "$Q/new" | wc -l)" = 21 ] && [ -z "$(ls -A "$Q/tmp")" ] && [ "$(count "$T/srv")" = 0 ] &&
	pass "--queue: 21 files in new/, tmp/ empty, nothing sent" || fail "--queue files"
[ "$(stat -c %a "$Q/new/$f")" = 600 ] && head -c 60 "$Q/new/$f" | grep -q '^X-Nettool-Envelope: <me@example.com>' &&
	pass "queue file: mode 600, envelope field first" || fail "queue file format" "$(head -2 "$Q/new/$f")"
mixed=$(grep -l 'later-x' "$Q"/new/*)
mixed=${mixed##*/}

# --- flush over one connection ---
$NT mail-send --flush "$Q" -S smtp://127.0.0.1:$P --json >"$T/json" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && [ "$(count "$T/srv")" = 21 ] && pass "--flush: 21 messages delivered, exit 1 (one refusal, one deferral)" ||
	fail "--flush" "rc=$rc $(cat "$T/err")"
conns=$(cat "$T/srv"/*.json | $PY -c 'import sys,json; print(len({json.loads(l)["conn"] for l in sys.stdin.read().replace("}{","}\n{").splitlines()}))')
[ "$conns" = 1 ] && pass "--flush: one connection for all messages" || fail "one connection" "$conns connections"
[ "$(subjects "$T/srv" | tr '\n' ' ')" = "$(printf '%s\n' mixed $(seq -f 'q%g' 1 20) | sort | tr '\n' ' ')" ] &&
	pass "--flush: every message once" || fail "every message once"
[ "$(ls "$Q/new")" = "$mixed" ] && [ "$(sed -n '1,2p' "$Q/new/$mixed" | tr -d '\r')" = $'X-Nettool-Envelope: <me@example.com>\n <later-x@example.org>' ] &&
	pass "4xx recipient: the message stays queued for it alone" || fail "deferred rewrite" "$(ls "$Q/new")"
[ -f "$Q/failed/$mixed" ] && grep -q '^reject-x@example.org: 550 5.1.1' "$Q/failed/$mixed.reply" &&
	[ "$(sed -n '2p' "$Q/failed/$mixed" | tr -d '\r')" = ' <reject-x@example.org>' ] &&
	pass "5xx recipient: moved to failed/ with the server's reply" || fail "failed/"
[ "$(grep -c '"status":"accepted"' "$T/json")" = 21 ] && grep -q "\"file\":\"$mixed\",\"rcpt\":\"later-x@example.org\",\"status\":\"deferred\",\"code\":451" "$T/json" &&
	pass "--flush --json: one object per recipient with its file" || fail "--flush --json" "$(head -3 "$T/json")"

# --- a second flush: still deferred, nothing sent again ---
cp "$Q/new/$mixed" "$T/before"
$NT mail-send --flush "$Q" -S smtp://127.0.0.1:$P -q
rc=$?
[ $rc -eq 1 ] && [ "$(count "$T/srv")" = 21 ] && cmp -s "$T/before" "$Q/new/$mixed" &&
	pass "second flush: 451 again, file unchanged, nothing resent" || fail "second flush" "rc=$rc"

# --- the deferred recipient is refused on a later flush: the first failure record stays ---
cp "$Q/failed/$mixed" "$T/fail1" && cp "$Q/failed/$mixed.reply" "$T/fail1.reply"
start_smtpd PR "$T/refuse-later" --also-reject later || finish
$NT mail-send --flush "$Q" -S smtp://127.0.0.1:$PR 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && [ -z "$(ls "$Q/new")" ] && cmp -s "$T/fail1" "$Q/failed/$mixed" && cmp -s "$T/fail1.reply" "$Q/failed/$mixed.reply" &&
	grep -q '^later-x@example.org: 550 5.1.1' "$Q/failed/$mixed.2.reply" &&
	[ "$(sed -n '2p' "$Q/failed/$mixed.2" | tr -d '\r')" = ' <later-x@example.org>' ] && [ "$(count "$T/refuse-later")" = 0 ] &&
	[ -z "$(ls -A "$Q/tmp")" ] &&
	pass "second 5xx for the same queue file: failed/NAME kept, the new one is failed/NAME.2 with its reply" ||
	fail "failed/ overwritten" "rc=$rc $(ls "$Q/failed") $(cat "$Q/failed/$mixed.reply")"
expect_exit "flush of an empty queue: exit 0" 0 $NT mail-send --flush "$Q" -S smtp://127.0.0.1:$P

# --- a malformed queue file goes to failed/ ---
printf 'Subject: no envelope\r\n\r\nx\r\n' >"$Q/new/123.bad"
$NT mail-send --flush "$Q" -S smtp://127.0.0.1:$P 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && [ ! -e "$Q/new/123.bad" ] && grep -q malformed "$Q/failed/123.bad.reply" && pass "malformed queue file: moved to failed/" ||
	fail "malformed queue file" "rc=$rc"

# --- files that cannot be sent go to failed/ with the reason; the queue goes on ---
truncate -s 102M "$Q/new/222.huge"
truncate -s $((100 * 1048576 + 512 * 1024)) "$Q/new/223.big"
ln -s /proc/self/mem "$Q/new/224.unreadable"
mkdir "$Q/new/225.dir"
echo x | $NT mail-send --queue "$Q" -f me@example.com -s after-bad to@example.org
n0=$(count "$T/srv")
$NT mail-send --flush "$Q" -S smtp://127.0.0.1:$P 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && [ "$(count "$T/srv")" = $((n0 + 1)) ] && grep -q '^Subject: after-bad' "$(ls "$T"/srv/*.eml | tail -1)" && [ -z "$(ls "$Q/new")" ] &&
	pass "bad files in new/ (huge, 100.5 MiB, unreadable, a folder): the message after them is sent, exit 1" ||
	fail "bad files block the queue" "rc=$rc $(ls "$Q/new") $(cat "$T/err")"
grep -q 'larger than' "$Q/failed/222.huge.reply" && [ -e "$Q/failed/222.huge" ] &&
	grep -q 'malformed' "$Q/failed/223.big.reply" && [ "$(stat -c %s "$Q/failed/223.big")" = $((100 * 1048576 + 512 * 1024)) ] &&
	grep -q 'cannot read the queue file' "$Q/failed/224.unreadable.reply" && [ -L "$Q/failed/224.unreadable" ] &&
	grep -q 'not a regular file' "$Q/failed/225.dir.reply" && [ -d "$Q/failed/225.dir" ] &&
	pass "each bad file is in failed/ with its reason" || fail "bad files in failed/" "$(head -n 1 "$Q"/failed/22*.reply)"
rm -rf "$Q"/failed/22*
# --- what a killed flush left in cur/ (sent, not yet deleted) is deleted, never resent ---
n0=$(count "$T/srv")
printf 'X-Nettool-Envelope: <me@example.com>\r\n <sent@example.org>\r\nSubject: already sent\r\n\r\nx\r\n' >"$Q/cur/111.sent"
echo x | $NT mail-send --queue "$Q" -f me@example.com -s fresh to@example.org
$NT mail-send --flush "$Q" -S smtp://127.0.0.1:$P
rc=$?
[ $rc -eq 0 ] && [ ! -e "$Q/cur/111.sent" ] && [ "$(count "$T/srv")" = $((n0 + 1)) ] && ! grep -q 'already sent' "$T"/srv/*.eml &&
	pass "cur/ left by a killed flush: deleted, not sent again" || fail "cur/ purge" "rc=$rc"

# --- each "sent" mark is durable before the next message: new/ is synced after every rename ---
if command -v strace >/dev/null; then
	Q3=$T/queue3
	for i in 1 2 3; do echo "d $i" | $NT mail-send --queue "$Q3" -f me@example.com -s "durable$i" to@example.org; done
	# (LeakSanitizer cannot run under ptrace: off for an ASan build.)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -y -qq -o "$T/strace" -e trace=rename,renameat,renameat2,fsync $NT mail-send --flush "$Q3" -S smtp://127.0.0.1:$P
	rc=$?
	# R: a sent file renamed new/ -> cur/; S, E: an fsync of new/ starts, ends (any thread).
	seq=$($PY - "$T/strace" <<'PYEOF'
import re, sys
out, pending = "", set()
for l in open(sys.argv[1]):
    pid = l.split()[0]
    if re.search(r'rename\w*\(.*/new/[^"]*", .*/cur/', l):
        out += "R"
    elif re.search(r'fsync\(\d+</[^>]*/new>', l):
        out += "S"
        if "unfinished" in l:
            pending.add(pid)
        else:
            out += "E"
    elif "<... fsync resumed>" in l and pid in pending:
        pending.discard(pid)
        out += "E"
print(out)
PYEOF
)
	# Each mark is durable (S E) before the next message is accepted and renamed (R);
	# no sync of new/ is left over at the end (the committer has none to do).
	[ $rc -eq 0 ] && [ "$seq" = RSERSERSE ] &&
		pass "--flush: new/ fsynced after each rename into cur/, before the next message is accepted" ||
		fail "durable sent marks" "rc=$rc seq=$seq"
else
	skip "durable sent marks" "strace is not installed (scripts/deps.sh test)"
fi

# --- the flush lock ---
echo x | $NT mail-send --queue "$Q" -f me@example.com -s locked to@example.org
flock -o "$Q/.flush.lock" sh -c 'touch "$0"; exec sleep 30' "$T/locked" &
lpid=$!
cleanup "kill $lpid"
for _ in $(seq 100); do [ -e "$T/locked" ] && break; sleep 0.05; done
$NT mail-send --flush "$Q" -S smtp://127.0.0.1:$P 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && grep -q 'another flush' "$T/err" && [ "$(ls "$Q/new" | wc -l)" = 1 ] && pass "a second flush at once is refused" ||
	fail "flush lock" "rc=$rc $(cat "$T/err")"
kill $lpid 2>/dev/null
wait $lpid 2>/dev/null
$NT mail-send --flush "$Q" -S smtp://127.0.0.1:$P && [ -z "$(ls "$Q/new")" ] && pass "after the lock: flushed" || fail "flush after lock"

# --- the server goes away mid-flush ---
Q2=$T/queue2
for i in $(seq 1 10); do
	echo "m $i" | $NT mail-send --queue "$Q2" -f me@example.com -s "away$i" "to$i@example.org"
done
start_smtpd PD "$T/dying" --die-after 4 || finish
$NT mail-send --flush "$Q2" -S smtp://127.0.0.1:$PD --timeout 5 2>"$T/err"
rc=$?
[ $rc -eq 3 ] && [ "$(count "$T/dying")" = 4 ] && [ "$(ls "$Q2/new" | wc -l)" = 6 ] &&
	pass "server gone after 4 accepted: exit 3, 4 delivered, 6 still queued" || fail "mid-flush" "rc=$rc $(count "$T/dying") $(cat "$T/err")"
start_smtpd PN "$T/again" || finish
$NT mail-send --flush "$Q2" -S smtp://127.0.0.1:$PN
rc=$?
all=$( (subjects "$T/dying"; subjects "$T/again") | sort)
[ $rc -eq 0 ] && [ "$(count "$T/again")" = 6 ] && [ "$all" = "$(seq -f 'away%g' 1 10 | sort)" ] && [ -z "$(ls "$Q2/new")" ] &&
	pass "next flush: the 6 left, none of the 4 accepted again, nothing lost" || fail "after mid-flush" "rc=$rc $(echo $all)"

# --- a flush killed with -9 while it waits for the server: nothing lost, nothing accepted sent twice ---
Q4=$T/queue4
for i in $(seq 1 8); do echo "k $i" | $NT mail-send --queue "$Q4" -f me@example.com -s "killed$i" "to$i@example.org"; done
start_smtpd PH "$T/hang" --hang-at-rcpt 4 || finish
$NT mail-send --flush "$Q4" -S smtp://127.0.0.1:$PH --timeout 60 2>/dev/null &
fpid=$!
cleanup "kill -9 $fpid"
for _ in $(seq 200); do [ -e "$T/hang/hanging" ] && break; sleep 0.05; done
kill -9 $fpid
wait $fpid 2>/dev/null
n_hang=$(count "$T/hang")
left=$(ls "$Q4/new" | wc -l)
start_smtpd PK "$T/after-kill" || finish
$NT mail-send --flush "$Q4" -S smtp://127.0.0.1:$PK
rc=$?
all=$( (subjects "$T/hang"; subjects "$T/after-kill") | sort)
[ -e "$T/hang/hanging" ] && [ "$n_hang" = 3 ] && [ "$left" = 5 ] && [ $rc -eq 0 ] && [ "$(count "$T/after-kill")" = 5 ] &&
	[ "$all" = "$(seq -f 'killed%g' 1 8 | sort)" ] && [ -z "$(ls "$Q4/new")" ] && [ -z "$(ls "$Q4/cur")" ] &&
	pass "flush killed -9 at message 4: 3 delivered, next flush sends the other 5, each message exactly once" ||
	fail "kill -9 mid-flush" "rc=$rc hang=$n_hang left=$left $(echo $all)"

# --- a refused sender: the whole message goes to failed/ ---
echo x | $NT mail-send --queue "$Q2" -f me@example.com -s refused reject-a@example.org reject-b@example.org
$NT mail-send --flush "$Q2" -S smtp://127.0.0.1:$PN 2>/dev/null
rc=$?
[ $rc -eq 1 ] && [ -z "$(ls "$Q2/new")" ] && [ "$(grep -c 550 "$Q2"/failed/*.reply)" = 2 ] && [ "$(count "$T/again")" = 6 ] &&
	pass "all recipients 5xx: message in failed/ with both replies" || fail "all 5xx" "rc=$rc"
expect_exit "--flush with a recipient operand: exit 2" 2 $NT mail-send --flush "$Q2" to@example.org

# --- a server that wants AUTH first: the queue stays as it is ---
start_smtpd PA "$T/authreq" --user alice --password s3cret --auth-required --auth-plain-ok || finish
echo x | $NT mail-send --queue "$Q2" -f me@example.com -s needs-auth to@example.org
before=$(ls "$Q2/new")
$NT mail-send --flush "$Q2" -S smtp://127.0.0.1:$PA 2>"$T/err"
rc=$?
[ $rc -eq 4 ] && grep -q 530 "$T/err" && [ "$(ls "$Q2/new")" = "$before" ] && [ "$(grep -l needs-auth "$Q2"/failed/* 2>/dev/null | wc -l)" = 0 ] &&
	pass "530 to MAIL (no -u): exit 4, the message stays queued" || fail "530 flush" "rc=$rc"
printf 's3cret\n' >"$T/pw"
$NT mail-send --flush "$Q2" -S smtp://127.0.0.1:$PA -u alice --password-file "$T/pw" && [ -z "$(ls "$Q2/new")" ] &&
	[ "$(count "$T/authreq")" = 1 ] && pass "then with -u: flushed" || fail "flush with -u"

finish
