#!/bin/bash
# SPDX-License-Identifier: MIT
# mail_send_hdr.sh - mail-send against aiosmtpd (fixtures/smtpd.py): what the server records
# for kept header blocks (no envelope recipients leak into To), non-ASCII header text (always
# RFC 2047, lines <= 998), kept 8bit bodies (sent quoted-printable), oversized messages, a
# certificate for another host name, and error messages that never echo a password.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/fixtures/smtpd.sh"
export SOURCE_DATE_EPOCH=1700000000 TZ=UTC

if ! smtpd_available; then
	skip "mail-send headers" "python3-aiosmtpd is not installed (scripts/deps.sh test)"
	finish
fi

# The recorded message with its Message-ID replaced by <ID>, then "x" (keeps trailing newlines).
norm() { sed 's/^Message-ID: <[0-9]\{14\}\.[0-9a-f]\{16\}@[a-z.]*>\r$/Message-ID: <ID>\r/' "$1"; echo x; }

start_smtpd P "$T/srv" || finish
S="-S smtp://127.0.0.1:$P"

# --- 1. a kept header block without To or Cc: the envelope recipients stay private ---
printf 'From: news@example.com\nSubject: newsletter\n\nhello\n' |
	$NT sendmail -i $S alice@example.org bob@example.org carol@example.org
rc=$?
got=$(last "$T/srv")
want=$'From: news@example.com\r\nSubject: newsletter\r\nTo: undisclosed-recipients:;\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <ID>\r\nMIME-Version: 1.0\r\n\r\nhello\r\n'
have=$(norm "$got")
[ $rc -eq 0 ] && [ "${have%x}" == "$want" ] &&
	pass "kept block without To/Cc: 'To: undisclosed-recipients:;', no recipient in the message (exact bytes)" ||
	{ fail "kept block without To/Cc" "rc=$rc"; diff <(printf '%s' "$want") <(printf '%s' "${have%x}") | head; }
printf 'From: news@example.com\nCc: list@example.org\nSubject: cc only\n\nhello\n' |
	$NT mail-send $S -f news@example.com alice@example.org bob@example.org
got=$(last "$T/srv")
! grep -q -e alice -e bob -e '^To:' "$got" && grep -q $'^Cc: list@example.org\r$' "$got" &&
	pass "kept block with Cc only: no To added, operands not shown" || fail "kept block with Cc only" "$(head -3 "$got")"
printf 'just a body\n' | $NT mail-send $S -f me@example.com alice@example.org bob@example.org
grep -q $'^To: alice@example.org, bob@example.org\r$' "$(last "$T/srv")" &&
	pass "no header block: To built from the operands (unchanged)" || fail "built To"

# --- 2. a message that base64 makes larger than 100 MiB is refused before it is queued or sent ---
head -c $((76 * 1048576)) /dev/zero >"$T/big.bin"
n0=$(count "$T/srv")
echo body | $NT mail-send --queue "$T/q" -f me@example.com -s big -a "$T/big.bin" to@example.org 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -q 'more than 100 MiB' "$T/err" && [ -z "$(ls "$T/q/new" 2>/dev/null)" ] &&
	pass "--queue of a message over 100 MiB after base64: exit 2, nothing queued" || fail "oversize --queue" "rc=$rc $(cat "$T/err")"
echo body | $NT mail-send $S -f me@example.com -s big -a "$T/big.bin" to@example.org 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && [ "$(count "$T/srv")" = "$n0" ] && pass "sending it: exit 2, nothing sent" || fail "oversize send" "rc=$rc"
rm -f "$T/big.bin"

# --- 5. non-ASCII in --header values and in kept unstructured fields: RFC 2047, never raw 8-bit ---
printf 'body\n' | $NT mail-send $S -f me@example.com --header 'Subject: Grüße' --header 'X-Note: Köln ist schön' to@example.org
printf 'From: me@example.com\nTo: to@example.org\nSubject: kept\nKeywords: Käse, Brot\nX-Mailer: Schreibmaschine 3000 – “deluxe”\nComments: naïve\n\nbody\n' |
	$NT mail-send $S -f me@example.com to@example.org
$PY - "$T/srv" <<'PYEOF' && pass "--header and kept X-/Keywords/Comments fields: all ASCII on the wire, decode to the UTF-8 text" ||
import sys, os, email, email.policy
d = sys.argv[1]
files = sorted(f for f in os.listdir(d) if f.endswith(".eml"))[-2:]
raws = [open(os.path.join(d, f), "rb").read() for f in files]
ok = all(b < 128 for raw in raws for b in raw.split(b"\r\n\r\n", 1)[0])
m1, m2 = [email.message_from_bytes(r, policy=email.policy.default) for r in raws]
ok &= str(m1["Subject"]) == "Grüße" and str(m1["X-Note"]) == "Köln ist schön"
ok &= str(m2["Keywords"]) == "Käse, Brot" and str(m2["X-Mailer"]) == "Schreibmaschine 3000 – “deluxe”" and str(m2["Comments"]) == "naïve"
if not ok: print([r.split(b"\r\n\r\n", 1)[0] for r in raws], file=sys.stderr)
sys.exit(0 if ok else 1)
PYEOF
	fail "8-bit header text"

# --- 6. long non-ASCII address lists are folded; text after an unterminated quote or comment is kept ---
to=$(for i in $(seq 1 60); do printf '%sJörg Müller %d <j%d@example.org>' "${i#1}" "$i" "$i"; done | sed 's/>[0-9]*J/>, J/g')
printf 'From: me@example.com\nTo: %s\nSubject: many\n\nbody\n' "$to" | $NT mail-send $S -f me@example.com to@example.org
$PY - "$(last "$T/srv")" <<'PYEOF' && pass "To with 60 UTF-8 display names: folded (lines <= 78), ASCII, all 60 decode back" ||
import sys, email, email.policy
raw = open(sys.argv[1], "rb").read()
head = raw.split(b"\r\n\r\n", 1)[0]
m = email.message_from_bytes(raw, policy=email.policy.default)
to = m["To"].addresses
ok = all(b < 128 for b in head) and all(len(l) <= 78 for l in head.split(b"\r\n"))
ok &= [(a.display_name, a.addr_spec) for a in to] == [("Jörg Müller %d" % i, "j%d@example.org" % i) for i in range(1, 61)]
if not ok: print(max(len(l) for l in head.split(b"\r\n")), len(to), file=sys.stderr)
sys.exit(0 if ok else 1)
PYEOF
	fail "long UTF-8 To"
printf 'From: me@example.com\nTo: "Jörg <a@b.c>\nCc: x@y.z (Jörg\nSubject: unterminated\n\nbody\n' | $NT mail-send $S -f me@example.com to@example.org
$PY - "$(last "$T/srv")" <<'PYEOF' && pass "unterminated quote / comment in To and Cc: the text is kept (RFC 2047), not an empty field" ||
import sys, email.header
raw = open(sys.argv[1], "rb").read()
head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
f = {l.split(":", 1)[0]: l.split(":", 1)[1].strip() for l in head.split("\r\n")}
dec = lambda v: str(email.header.make_header(email.header.decode_header(v)))
ok = dec(f["To"]) == "Jörg <a@b.c>" and f["Cc"].startswith("x@y.z ") and dec(f["Cc"]) == "x@y.z (Jörg"
if not ok: print(f, file=sys.stderr)
sys.exit(0 if ok else 1)
PYEOF
	fail "unterminated quote / comment"
long=$(head -c 2500 /dev/zero | tr '\0' 'a')
printf 'From: me@example.com\nTo: to@example.org\nSubject: a %s\nReferences: <%s@x> <b@x>\n\nbody\n' "$long" "$long" |
	$NT mail-send $S -f me@example.com to@example.org
$PY - "$(last "$T/srv")" <<'PYEOF' && pass "kept fields with a 2500-byte token: every header line <= 998, nothing lost" ||
import sys, re
raw = open(sys.argv[1], "rb").read()
head = raw.split(b"\r\n\r\n", 1)[0]
ok = all(len(l) <= 998 for l in head.split(b"\r\n")) and all(b < 128 for b in head)
ok &= head.count(b"a") >= 5000 and b"<b@x>" in head
if not ok: print([len(l) for l in head.split(b"\r\n")], file=sys.stderr)
sys.exit(0 if ok else 1)
PYEOF
	fail "over-long header lines"

# --- 7. a kept body declared 8bit that is not 7-bit goes quoted-printable (no 8BITMIME) ---
printf 'From: Dev <dev@example.com>\nTo: list@example.org\nSubject: [PATCH] fix\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\nGrüße, Jörg\n.\n+ a line\n' |
	$NT sendmail -i $S -f dev@example.com list@example.org
got=$(last "$T/srv")
$PY - "$got" <<'PYEOF' && pass "kept CTE 8bit with UTF-8 text: sent quoted-printable, one CTE field, ASCII, body decodes" ||
import sys, email, email.policy
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.default)
ok = all(b < 128 for b in raw) and m.get_all("Content-Transfer-Encoding") == ["quoted-printable"]
ok &= m.get_content_type() == "text/plain" and len(m.get_all("Content-Type")) == 1
ok &= m.get_payload(decode=True).decode("utf-8") == "Grüße, Jörg\r\n.\r\n+ a line\r\n"
if not ok: print(raw[:600], file=sys.stderr)
sys.exit(0 if ok else 1)
PYEOF
	fail "kept 8bit body"
printf 'From: dev@example.com\nTo: list@example.org\nSubject: ascii\nContent-Transfer-Encoding: 8bit\n\nplain\n' |
	$NT sendmail -i $S -f dev@example.com list@example.org
grep -q $'^Content-Transfer-Encoding: 8bit\r$' "$(last "$T/srv")" && tail -c 9 "$(last "$T/srv")" | cmp -s - <(printf '\r\nplain\r\n') &&
	pass "kept CTE 8bit with a 7-bit body: kept as it is" || fail "kept 8bit, 7-bit body"

# --- 9. a password in -S is never printed back ---
for u in 'smtp://u:s3cretpw@127.0.0.1:1' 'imap://u:s3cretpw@127.0.0.1' 'smtp://u:s3cretpw@127.0.0.1/a/b' 'u:s3cretpw@127.0.0.1:99999'; do
	echo hi | $NT mail-send -S "$u" -f me@example.com to@example.org 2>"$T/err"
	rc=$?
	if [ $rc -eq 2 ] && [ -s "$T/err" ] && ! grep -q s3cretpw "$T/err" && grep -q '127.0.0.1' "$T/err"; then
		pass "-S $(echo "$u" | sed 's/s3cretpw/PW/'): exit 2, the password not in the message"
	else
		fail "-S with a password echoed" "rc=$rc $(cat "$T/err")"
	fi
done

# --- minor: sendmail -bm is the default mode; a missing --password-file is exit 6 (a local
# file that can not be read, as in every applet: nettool(1)) ---
n0=$(count "$T/srv")
printf 'To: bm@example.org\nSubject: bm\n\nx\n' | $NT sendmail -bm -t -i $S -f me@example.com
rc=$?
[ $rc -eq 0 ] && [ "$(count "$T/srv")" = $((n0 + 1)) ] && grep -q '"bm@example.org"' "$T/srv/$(ls "$T/srv" | grep json | tail -1)" &&
	pass "sendmail -bm -t: sent" || fail "sendmail -bm" "rc=$rc"
expect_exit "sendmail -bs: not supported, exit 2" 2 sh -c "echo x | $NT sendmail -bs $S -f me@example.com to@example.org"
expect_exit "mail-send -b still takes a Bcc address" 0 sh -c "echo x | $NT mail-send $S -f me@example.com -b b@example.org to@example.org"
echo hi | $NT mail-send $S -u alice --password-file "$T/no-such-file" -f me@example.com to@example.org 2>"$T/err"
rc=$?
[ $rc -eq 6 ] && grep -q 'no-such-file' "$T/err" && pass "--password-file missing: exit 6 naming it" || fail "--password-file missing" "rc=$rc $(cat "$T/err")"
