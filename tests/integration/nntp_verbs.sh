#!/bin/bash
# SPDX-License-Identifier: MIT
# nntp_verbs.sh - the verbs nntplib has beside the basic ones, against a private INN:
# date, newgroups, newnews, descriptions (LIST NEWSGROUPS), xpat, ihave (to innd's transit
# port, with 235 and 435 mapped to exit codes), each with --json and in the shell; and older
# servers (fixtures/nntp_fake.py): an RFC 977 server's LIST falls back to a bare LIST and a
# refused command is never exit 0; read takes subjects from OVER when HDR and XHDR are
# refused; xpat matches HDR's values here when XPAT is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/inn/inn.sh"
FIX=$INN_FIX
here=$(cd "$(dirname "$0")" && pwd)

if ! inn_start test.verbs test.other; then
	skip "nntp verbs" "$INN_WHY"
	finish
fi
S="-s 127.0.0.1:$INN_READ --no-tls"
NN="$NT nntp $S"
json_ok() { /usr/bin/python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$1"; }

A=$T/arts
mkdir -p "$A"
for i in 1 2 3; do
	printf 'Path: not-for-mail\nFrom: Verb <v@example.com>\nNewsgroups: test.verbs\nSubject: %s\nDate: %s\nMessage-ID: <verb.%s@nettool.test>\n\nbody %s\n' \
		"$([ $i = 2 ] && echo 'needle in a haystack' || echo "plain subject $i")" "$(date -u '+%a, %d %b %Y %H:%M:%S +0000')" $i $i >"$A/v$i"
done
out=$(inn_feed "$A") || { fail "feed articles" "$out"; finish; }
sleep 0.3

# --- date ---
d=$($NN date 2>"$T/err")
now=$(date -u +%s)
dt=$(date -u -d "$d" +%s 2>/dev/null || echo 0)
[[ $d =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] && [ $((now - dt)) -lt 60 ] && [ $((dt - now)) -lt 60 ] &&
	pass "date: the server's time, ISO 8601 UTC ($d)" || fail "date" "'$d' $(cat "$T/err")"
$NN --json date >"$T/j" 2>"$T/err" && json_ok "$T/j" && grep -q '"date":"20[0-9-]*T[0-9:]*Z","epoch":[0-9]*}' "$T/j" &&
	pass "date --json" || fail "date --json" "$(cat "$T/j" "$T/err")"

# --- newgroups: INN's active.times says the test groups were made now ---
$NN newgroups 1d >"$T/ng" 2>"$T/err"
grep -q '^test.verbs ' "$T/ng" && grep -q '^test.other ' "$T/ng" && ! grep -q '^junk ' "$T/ng" &&
	pass "newgroups 1d: the groups made today, not the others" || fail "newgroups 1d" "$(cat "$T/ng" "$T/err")"
$NN newgroups "$(date -u -d tomorrow +%Y-%m-%d)" >"$T/ng" 2>"$T/err" && [ ! -s "$T/ng" ] &&
	pass "newgroups since tomorrow: none" || fail "newgroups tomorrow" "$(cat "$T/ng" "$T/err")"
$NN --json newgroups 1w >"$T/j" 2>"$T/err" && json_ok "$T/j" && grep -q '"group":"test.verbs","last":[0-9]*,"first":[0-9]*,"status":"y"' "$T/j" &&
	pass "newgroups --json" || fail "newgroups --json" "$(cat "$T/j" "$T/err")"
expect_exit "newgroups with a bad time: exit 2" 2 $NN newgroups yesterday

# --- newnews ---
$NN newnews 'test.verbs' 1h >"$T/nn" 2>"$T/err"
[ "$(sort "$T/nn" | tr '\n' ' ')" = "<verb.1@nettool.test> <verb.2@nettool.test> <verb.3@nettool.test> " ] &&
	pass "newnews test.verbs 1h: the three message-ids" || fail "newnews" "$(cat "$T/nn" "$T/err")"
$NN newnews 'test.other' 1h >"$T/nn" 2>"$T/err" && [ ! -s "$T/nn" ] &&
	pass "newnews of an empty group: none" || fail "newnews empty" "$(cat "$T/nn" "$T/err")"
$NN --json newnews 'test.*' 2026-01-01 >"$T/j" 2>"$T/err" && json_ok "$T/j" && [ "$(grep -c '"message_id":"<verb' "$T/j")" = 3 ] &&
	pass "newnews --json, SINCE as a date" || fail "newnews --json" "$(cat "$T/j" "$T/err")"

# --- descriptions ---
testing "descriptions WILDMAT" "$NN descriptions 'test.v*'" "test.verbs\ttest group test.verbs\n" "" ""
$NN --json descriptions >"$T/j" 2>"$T/err" && json_ok "$T/j" && grep -q '"group":"test.other","description":"test group test.other"' "$T/j" &&
	pass "descriptions --json" || fail "descriptions --json" "$(cat "$T/j" "$T/err")"

# --- xpat ---
testing "xpat Subject GROUP RANGE PATTERN" "$NN xpat Subject test.verbs 1- '*needle*'" "2 needle in a haystack\n" "" ""
testing "xpat: the words of a pattern are joined by spaces, as the server does" \
	"$NN xpat Subject test.verbs 1-3 '*needle' 'in*'" "2 needle in a haystack\n" "" ""
$NN --json xpat Subject test.verbs 1- 'plain*' >"$T/j" 2>"$T/err" && json_ok "$T/j" &&
	[ "$(grep -c '"value":"plain subject' "$T/j")" = 2 ] && pass "xpat --json" || fail "xpat --json" "$(cat "$T/j" "$T/err")"
testing "xpat by message-id" "$NN xpat Subject '<verb.2@nettool.test>' '*needle*'" \
	"<verb.2@nettool.test> needle in a haystack\n" "" ""
expect_exit "xpat: a pattern with a CR refused before anything is sent, exit 2" 2 $NN xpat Subject test.verbs 1- $'a\rb'

# --- ihave, to innd's transit port (no MODE READER) ---
IH=$T/ih
printf 'Path: feeder!not-for-mail\nFrom: Feed <f@example.com>\nNewsgroups: test.other\nSubject: fed\nDate: %s\nMessage-ID: <fed.1@nettool.test>\n\n.leading dot\nbody\n' \
	"$(date -u '+%a, %d %b %Y %H:%M:%S +0000')" >"$IH"
F="$NT nntp -s 127.0.0.1:$INN_FEED --no-tls"
out=$($F ihave "$IH" 2>"$T/err")
rc=$?
[ $rc = 0 ] && [ "$out" = "<fed.1@nettool.test>" ] && pass "ihave FILE: 335 then 235, exit 0" || fail "ihave" "rc $rc: $out $(cat "$T/err")"
sleep 0.5
$NN body '<fed.1@nettool.test>' >"$T/body" 2>"$T/err" && [ "$(cat "$T/body")" = "$(printf '.leading dot\nbody')" ] &&
	pass "ihave: the article is on the server, dot-stuffing undone" || fail "ihave article" "$(cat "$T/body" "$T/err")"
$F --json ihave "$IH" >"$T/j" 2>"$T/err"
rc=$?
[ $rc = 1 ] && json_ok "$T/j" && grep -q '"message_id":"<fed.1@nettool.test>","code":435,"result":"not_wanted"' "$T/j" &&
	grep -q 'not wanted' "$T/err" && pass "ihave of an article the server has: 435, exit 1, --json says not_wanted" ||
	fail "ihave 435" "rc $rc: $(cat "$T/j" "$T/err")"
grep -v '^Message-ID' "$IH" >"$T/noid"
expect_exit "ihave of an article without Message-ID: exit 2" 2 $F ihave "$T/noid"

# --- the shell has them too ---
printf 'date\ndescriptions test.verbs\nnewgroups 1d\nnewnews test.verbs 1h\nxpat Subject <verb.2@nettool.test> *needle*\nquit\n' |
	$NN shell >"$T/sh" 2>"$T/err"
grep -q '^111 20' "$T/sh" && grep -q '^215' "$T/sh" && grep -q '^231' "$T/sh" && grep -q '^230' "$T/sh" &&
	grep -q '^<verb.3@nettool.test>$' "$T/sh" && grep -q '^<verb.2@nettool.test> needle in a haystack$' "$T/sh" &&
	pass "shell: date, descriptions, newgroups, newnews, xpat" || fail "shell verbs" "$(cat "$T/sh" "$T/err")"

# --- older servers ---
port=$(free_port)
/usr/bin/python3 "$here/fixtures/nntp_fake.py" "$port" rfc977 >"$T/fake.log" 2>&1 &
pid=$!
cleanup "kill $pid; wait $pid 2>/dev/null"
if wait_port "$port" 127.0.0.1 10; then
	O="$NT nntp -s 127.0.0.1:$port --no-tls"
	testing "list on an RFC 977 server (CAPABILITIES refused): a bare LIST" "$O list" "old.group 3 1 y\n" "" ""
	expect_exit "list newsgroups refused by the server: exit 1, never 0" 1 $O list newsgroups
	expect_exit "date refused by the server: exit 1, never 0" 1 $O date
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
else
	fail "fake rfc977 server" "did not start: $(cat "$T/fake.log")"
fi
port=$(free_port)
/usr/bin/python3 "$here/fixtures/nntp_fake.py" "$port" nohdr >"$T/fake2.log" 2>&1 &
pid2=$!
cleanup "kill $pid2; wait $pid2 2>/dev/null"
if wait_port "$port" 127.0.0.1 10; then
	O="$NT nntp -s 127.0.0.1:$port --no-tls"
	$O read any.group </dev/null >"$T/read" 2>"$T/err"
	rc=$?
	[ $rc = 0 ] && grep -q '^1 first subject$' "$T/read" && grep -q '^2 second subject$' "$T/read" &&
		pass "read: HDR and XHDR refused, the subjects come from OVER" || fail "read over fallback" "rc $rc: $(cat "$T/read" "$T/err")"
else
	fail "fake nohdr server" "did not start: $(cat "$T/fake2.log")"
fi
port=$(free_port)
/usr/bin/python3 "$here/fixtures/nntp_fake.py" "$port" >"$T/fake3.log" 2>&1 &
pid3=$!
cleanup "kill $pid3; wait $pid3 2>/dev/null"
if wait_port "$port" 127.0.0.1 10; then
	O="$NT nntp -s 127.0.0.1:$port --no-tls"
	$O xpat Subject evil.group 1 '*cleared*' >"$T/xp" 2>"$T/err"
	rc=$?
	[ $rc = 0 ] && grep -q '^1 ?\]0;pwned??\[2Jcleared' "$T/xp" && ! LC_ALL=C grep -q $'[\x1b\x07]' "$T/xp" &&
		pass "xpat without XPAT: HDR's values matched here (and made safe)" || fail "xpat fallback" "rc $rc: $(od -c "$T/xp" | head -3) $(cat "$T/err")"
	$O xpat Subject evil.group 1 'nomatch*' >"$T/xp" 2>"$T/err" && [ ! -s "$T/xp" ] &&
		pass "xpat without XPAT: a pattern that matches nothing prints nothing" || fail "xpat fallback no match" "$(cat "$T/xp" "$T/err")"
else
	fail "fake server" "did not start: $(cat "$T/fake3.log")"
fi
finish
