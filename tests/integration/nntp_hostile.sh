#!/bin/bash
# SPDX-License-Identifier: MIT
# nntp_hostile.sh - a hostile NNTP server (fixtures/nntp_fake.py): its terminal escape
# sequences never reach our standard output raw (caps, list, over, hdr: shown as '?';
# --json escapes them), and a LISTGROUP without end, after a GROUP that claims 1..10^18-1,
# stops at NNTP_MAX_NUMBERS with exit 5 instead of growing without limit; so does one that
# lists only numbers outside the group's range; an ARTICLE reply of bytes without end and
# without a line end stops at the line bound, exit 5, well within --timeout.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
cd "$T" || exit 1
port=$(free_port)
/usr/bin/python3 "$here/fixtures/nntp_fake.py" "$port" >fake.log 2>&1 &
pid=$!
cleanup "kill $pid; wait $pid 2>/dev/null"
if ! wait_port "$port" 127.0.0.1 10; then
	fail "fake nntp server" "did not start: $(cat fake.log)"
	finish
fi
nn() { timeout 60 "$NT" nntp -q --no-tls -s "127.0.0.1:$port" "$@"; }

# No ESC (0x1b), BEL, DEL or C1 (raw 0x9b or UTF-8 c2 9b) in what we print.
raw_ctl() { LC_ALL=C grep -q $'[\x1b\x07\x7f\x9b]' "$1"; }
for cmd in "caps" "list" "over evil.group 1" "hdr Subject evil.group 1"; do
	# shellcheck disable=SC2086
	nn $cmd >out 2>err
	rc=$?
	if [ $rc = 0 ] && ! raw_ctl out && grep -q 'cleared' out; then
		pass "nntp $cmd: the server's escape sequences are shown as '?'"
	else
		fail "nntp $cmd: escape sequences" "rc $rc: $(od -c out | head -3)"
	fi
done
nn over evil.group 1 >out 2>err
[ "$(tr -cd '\t' <out | wc -c)" = 7 ] && pass "nntp over: TABs between fields are kept" || fail "nntp over TABs" "$(od -c out | head)"
nn --json hdr Subject evil.group 1 >out 2>err
grep -q '"value":"\\u001b\]0;pwned\\u0007' out && ! raw_ctl out && pass "nntp --json hdr: escape sequences escaped, not replaced" ||
	fail "nntp --json hdr escaping" "$(cat out)"

# An article is the user's data: byte for byte to a pipe, made safe to a terminal.
nn body evil.group 1 >out 2>err
[ "$(cat out)" = "$(printf 'body \033]0;pwned\007\033[2Jcleared\302\23331mred\177')" ] &&
	pass "nntp body to a pipe: the article's bytes as they came" || fail "nntp body to a pipe" "$(od -c out | head -3)"
script -qec "timeout 30 $NT nntp -q --no-tls -s 127.0.0.1:$port body evil.group 1" /dev/null >out 2>err
tr -d '\r' <out >out.lf
! raw_ctl out.lf && grep -q 'body ?\]0;pwned??\[2Jcleared?31mred?' out.lf &&
	pass "nntp body to a terminal: escape sequences shown as '?'" || fail "nntp body to a terminal" "$(od -c out | head -3)"
expect_exit "nntp --json body: refused, exit 2 (never ignored)" 2 nn --json body evil.group 1

# JSON keys are snake_case in every applet (nettool(1)): over's Message-ID is message_id.
nn --json over evil.group 1 >out 2>err
grep -q '"message_id":"<id@x>"' out && ! grep -q '"message-id"' out && pass "nntp --json over: the key is message_id" ||
	fail "nntp --json over key spelling" "$(cat out err)"

# LISTGROUP without end: a bound of ours, exit 5, quickly and in bounded memory.
mkdir -p spool
# An address-space cap keeps a binary without the bound from taking the machine's memory
# (not under ASan, which reserves terabytes of address space).
lim=
[ -z "${SANITIZED:-}" ] && lim="prlimit --as=2000000000"
/usr/bin/time -f %M -o rss timeout 60 $lim "$NT" nntp -q --no-tls -s "127.0.0.1:$port" fetch evil.group -O spool >out 2>err
rc=$?
kb=$(tail -1 rss)
[ $rc = 5 ] && grep -q 'LISTGROUP .* more than 4000000 numbers' err &&
	pass "LISTGROUP without end after GROUP 1..10^18-1: refused at 4,000,000 numbers, exit 5" ||
	fail "LISTGROUP bound" "rc $rc: $(head -3 err)"
[ "${kb:-999999999}" -lt 100000 ] && pass "LISTGROUP without end: peak RSS ${kb} kB (< 100 MB)" ||
	fail "LISTGROUP memory" "peak RSS ${kb} kB"

# LISTGROUP without end whose numbers are all outside the range: every line counts.
mkdir -p spool2
timeout 60 $lim "$NT" nntp -q --no-tls --timeout 5 -s "127.0.0.1:$port" fetch outside.group -O spool2 >out 2>err
rc=$?
[ $rc = 5 ] && grep -q 'LISTGROUP .* more than 4000000 numbers' err &&
	pass "LISTGROUP without end, all outside the range: refused at 4,000,000 lines, exit 5" ||
	fail "LISTGROUP outside the range" "rc $rc: $(head -3 err)"

# ARTICLE answered by bytes without end and without LF: the line bound stops it, at once.
mkdir -p spool3
t0=$(date +%s)
timeout 20 "$NT" nntp -q --no-tls --timeout 5 -s "127.0.0.1:$port" fetch endless.group -O spool3 >out 2>err
rc=$?
el=$(($(date +%s) - t0))
[ $rc = 5 ] && grep -q 'longer than' err && [ "$el" -lt 5 ] &&
	pass "ARTICLE of endless bytes without a line end: exit 5 after ${el} s ($(head -1 err))" ||
	fail "ARTICLE without end" "rc $rc after ${el} s: $(head -3 err)"
finish
