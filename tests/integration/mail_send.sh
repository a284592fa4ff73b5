#!/bin/bash
# SPDX-License-Identifier: MIT
# mail_send.sh - mail-send and sendmail against aiosmtpd on loopback (fixtures/smtpd.py):
# exact bytes received, envelopes, TLS, AUTH, refusals, partial failures, --dry-run.
# The queue and --flush are in mail_send_queue.sh.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/fixtures/smtpd.sh"
export SOURCE_DATE_EPOCH=1700000000 TZ=UTC

if ! smtpd_available; then
	skip "mail-send" "python3-aiosmtpd is not installed (scripts/deps.sh test)"
	finish
fi
make_certs "$T/certs" || { fail "make_certs"; finish; }

C="--cacert $T/certs/ca.crt"
start_smtpd P "$T/main" --cert "$T/certs/server.crt" --key "$T/certs/server.key" --user alice --password s3cret || finish
start_smtpd PP "$T/plain" || finish
start_smtpd PS "$T/smtps" --smtps --cert "$T/certs/server.crt" --key "$T/certs/server.key" || finish
start_smtpd PA "$T/authreq" --cert "$T/certs/server.crt" --key "$T/certs/server.key" --user alice --password s3cret --auth-required || finish
S="-S smtp://127.0.0.1:$P $C"
printf 's3cret\n' >"$T/pw"

meta() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "${1%.eml}.json" "$2"; }

# --- headers built from the options, exact bytes ---
printf 'Hello\nsecond line\n' | $NT mail-send $S -f me@example.com -F 'Ann Example' -s 'Status report' \
	-c cc@example.org -b hidden@example.org --header 'X-Ticket: 42' to1@example.org to2@example.org
rc=$?
got=$(last "$T/main")
want=$'From: Ann Example <me@example.com>\r\nTo: to1@example.org, to2@example.org\r\nCc: cc@example.org\r\nSubject: Status report\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <ID>\r\nX-Ticket: 42\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello\r\nsecond line\r\n'
have=$(sed 's/^Message-ID: <[0-9]\{14\}\.[0-9a-f]\{16\}@example\.com>\r$/Message-ID: <ID>\r/' "$got"; echo x)
[ $rc -eq 0 ] && [ "${have%x}" == "$want" ] && pass "built headers: exact bytes (CRLF, Date, Message-ID form)" ||
	{ fail "built headers: exact bytes" "rc=$rc"; diff <(printf '%s' "$want") <(printf '%s' "${have%x}") | head; }
[ "$(meta "$got" 'd["from"]+" "+" ".join(d["rcpt"])')" = "me@example.com to1@example.org to2@example.org cc@example.org hidden@example.org" ] &&
	pass "envelope: To, Cc and Bcc recipients, -f sender" || fail "envelope" "$(cat "${got%.eml}.json")"
grep -qi 'hidden@example.org\|^bcc' "$got" && fail "Bcc not in the message" || pass "Bcc not in the message"
[ "$(meta "$got" 'd["tls"]')" = True ] && pass "STARTTLS used when offered (verified with --cacert)" || fail "STARTTLS used"

# --- dot-stuffing and line ends: the server unstuffs, so it must see exactly our lines ---
printf '.\n..two\n.x\nlast\r\nbare-lf\n' | $NT mail-send $S -f me@example.com -s dots to@example.org
got=$(last "$T/main")
body=$(sed -n '/^\r$/,$p' "$got" | tail -n +2 | od -An -c | tr -s ' ')
[ "$(sed -n '/^\r$/,$p' "$got" | tail -n +2)" = $'.\r\n..two\r\n.x\r\nlast\r\nbare-lf\r' ] && pass "dot lines arrive intact (libcurl dot-stuffs)" ||
	fail "dot lines" "$body"
$PY - "$got" <<'EOF' && pass "every line ends in CRLF" || fail "every line ends in CRLF"
import sys
d = open(sys.argv[1], "rb").read()
sys.exit(0 if d.endswith(b"\r\n") and d.count(b"\n") == d.count(b"\r\n") and d.count(b"\r") == d.count(b"\r\n") else 1)
EOF

# --- RFC 2047 subject and display name, quoted-printable body ---
long=$(head -c 1200 /dev/zero | tr '\0' 'a')
printf 'Grüße aus Köln\n%s\ntrailing space \n' "$long" | $NT mail-send $S -f me@example.com -F 'Jörg Müller' \
	-s 'Ärger über € — ein langer Betreff, der über mehrere Zeilen gefaltet werden muss, damit er passt' to@example.org
got=$(last "$T/main")
$PY - "$got" "$long" <<'EOF' && pass "RFC 2047 words decode to the subject and name; QP body decodes; lines <= 78" || fail "RFC 2047 / QP"
import sys, email, email.policy
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.default)
ok = str(m["Subject"]) == "Ärger über € — ein langer Betreff, der über mehrere Zeilen gefaltet werden muss, damit er passt"
ok &= m["From"].addresses[0].display_name == "Jörg Müller" and m["From"].addresses[0].addr_spec == "me@example.com"
ok &= m["Content-Transfer-Encoding"] == "quoted-printable" and m.get_content_charset() == "utf-8"
body = m.get_payload(decode=True).decode("utf-8")
ok &= body == "Grüße aus Köln\r\n" + sys.argv[2] + "\r\ntrailing space \r\n"
ok &= all(len(l) <= 78 for l in raw.split(b"\r\n")) and all(b < 128 for b in raw)
if not ok: print(repr(m["Subject"]), repr(body[:60]), file=sys.stderr)
sys.exit(0 if ok else 1)
EOF

# --- --header Content-Type applies to the text; --body-file ---
printf '<p>Grüße</p>\n' >"$T/body.html"
$NT mail-send $S -f me@example.com -s html --header 'Content-Type: text/html; charset=utf-8' --body-file "$T/body.html" to@example.org </dev/null
$PY - "$(last "$T/main")" <<'EOF' && pass "--header Content-Type and --body-file: an HTML body, quoted-printable" || fail "--header Content-Type"
import sys, email, email.policy
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
ok = m.get_content_type() == "text/html" and m["Content-Transfer-Encoding"] == "quoted-printable"
ok &= len(m.get_all("Content-Type")) == 1 and m.get_content() == "<p>Grüße</p>\r\n"
sys.exit(0 if ok else 1)
EOF

# --- a header block on stdin is kept; -t takes To/Cc/Bcc; Bcc is removed ---
printf 'From: Boss <boss@example.com>\nTo: a@example.org, "Last, First" <b@example.org>\nCc: team: c@example.org, d@example.org;\nBcc: secret@example.org\nSubject: kept\nX-Custom: yes\n\nbody\n' |
	$NT mail-send $S -t -f boss@example.com
got=$(last "$T/main")
[ "$(meta "$got" '" ".join(d["rcpt"])')" = "a@example.org b@example.org c@example.org d@example.org secret@example.org" ] &&
	pass "-t: recipients from To, Cc (group) and Bcc" || fail "-t recipients" "$(cat "${got%.eml}.json")"
want=$'From: Boss <boss@example.com>\r\nTo: a@example.org, "Last, First" <b@example.org>\r\nCc: team: c@example.org, d@example.org;\r\nSubject: kept\r\nX-Custom: yes\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <ID>\r\nMIME-Version: 1.0\r\n\r\nbody\r\n'
have=$(sed 's/^Message-ID: <.*>\r$/Message-ID: <ID>\r/' "$got"; echo x)
[ "${have%x}" == "$want" ] && pass "kept header block: only Date, Message-ID, MIME-Version added, Bcc gone" ||
	{ fail "kept header block"; diff <(printf '%s' "$want") <(printf '%s' "${have%x}") | head; }

# --- UTF-8 display names in a kept block become RFC 2047 words ---
printf 'From: Jörg Müller <boss@example.com>\nTo: "Zoë, the intern" <z@example.org>, plain@example.org\nSubject: Grüße\n\nbody\n' |
	$NT mail-send $S -t -f boss@example.com
$PY - "$(last "$T/main")" <<'EOF' && pass "kept block: UTF-8 display names and Subject encoded, decodable, all ASCII" || fail "kept UTF-8 names"
import sys, email, email.policy
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.default)
ok = all(b < 128 for b in raw) and str(m["Subject"]) == "Grüße"
ok &= m["From"].addresses[0].display_name == "Jörg Müller" and m["From"].addresses[0].addr_spec == "boss@example.com"
to = m["To"].addresses
ok &= [(a.display_name, a.addr_spec) for a in to] == [("Zoë, the intern", "z@example.org"), ("", "plain@example.org")]
sys.exit(0 if ok else 1)
EOF

# --- sendmail personality (symlink and 'nettool sendmail') ---
mkdir -p "$T/bin" && ln -s "$NT" "$T/bin/sendmail"
n0=$(count "$T/plain")
printf 'To: x@example.org\nBcc: y@example.org\nSubject: from cron\n\nline 1\n.\nnot sent\n' |
	SMTP_SERVER=smtp://127.0.0.1:$PP "$T/bin/sendmail" -t -oem -odi -B8BITMIME -F CronDaemon -f cron@example.com
rc=$?
got=$(last "$T/plain")
[ $rc -eq 0 ] && [ "$(count "$T/plain")" = $((n0 + 1)) ] &&
	[ "$(meta "$got" 'd["from"]+" "+" ".join(d["rcpt"])')" = "cron@example.com x@example.org y@example.org" ] &&
	pass "sendmail -t -oem -odi -B8BITMIME -F: envelope from the headers, \$SMTP_SERVER" || fail "sendmail -t" "rc=$rc"
grep -q 'not sent' "$got" && fail "sendmail without -i: a lone dot ends the message" ||
	pass "sendmail without -i: a lone dot ends the message"
grep -q '^From: CronDaemon <cron@example.com>' "$got" && ! grep -qi '^bcc' "$got" &&
	pass "sendmail: From built from -F and -f; Bcc removed" || fail "sendmail From/Bcc" "$(head -3 "$got")"
# sendmail -t on a resent message (issue 10): with Resent- fields the recipients are
# Resent-To/Cc/Bcc only (as sendmail does), and neither Bcc nor Resent-Bcc is sent.
n0=$(count "$T/plain")
printf 'From: a@example.com\nTo: orig@example.org\nBcc: origbcc@example.org\nSubject: fwd\nResent-From: me@example.com\nResent-To: Friend <rt@example.org>\nResent-Cc: rc@example.org\nResent-Bcc: secret@example.org\n\nbody\n' |
	SMTP_SERVER=smtp://127.0.0.1:$PP "$T/bin/sendmail" -t -oi -f me@example.com
rc=$?
got=$(last "$T/plain")
[ $rc -eq 0 ] && [ "$(count "$T/plain")" = $((n0 + 1)) ] &&
	[ "$(meta "$got" '" ".join(d["rcpt"])')" = "rt@example.org rc@example.org secret@example.org" ] &&
	pass "sendmail -t with Resent- fields: recipients from Resent-To/Cc/Bcc only" ||
	fail "sendmail -t Resent- recipients" "rc=$rc $(meta "$got" '" ".join(d["rcpt"])' 2>&1)"
! grep -qi -e '^bcc:' -e '^resent-bcc:' -e secret@ -e origbcc@ "$got" && grep -q $'^Resent-To: Friend <rt@example.org>\r$' "$got" &&
	pass "sendmail -t: Bcc and Resent-Bcc removed from the message, Resent-To kept" ||
	fail "Resent-Bcc removed" "$(grep -i bcc "$got")"
printf 'To: x@example.org\nResent-Bcc: hidden@example.org\nSubject: s\n\nbody\n' |
	$NT mail-send -S smtp://127.0.0.1:$PP -f me@example.com y@example.org
got=$(last "$T/plain")
[ "$(meta "$got" '" ".join(d["rcpt"])')" = y@example.org ] && ! grep -qi -e '^resent-bcc:' -e hidden@ "$got" &&
	pass "without -t: a Resent-Bcc field is removed too, and is no recipient" || fail "Resent-Bcc without -t" "$(grep -i bcc "$got")"
printf 'Subject: git\n\nA\n.\nB\n' | SMTP_SERVER=smtp://127.0.0.1:$PP $NT sendmail -oi -f dev@example.com list@example.org
got=$(last "$T/plain")
grep -q '^B' "$got" && grep -q '^\.' "$got" && [ "$(meta "$got" '" ".join(d["rcpt"])')" = list@example.org ] &&
	pass "nettool sendmail -oi RCPT: the dot line is data" || fail "nettool sendmail -oi"

# --- attachments: python's email package parses them back ---
printf 'plain text file\n' >"$T/notes.txt"
head -c 3000 /dev/urandom >"$T/pic.png"
printf 'report\n' >"$T/Bericht über.pdf"
printf 'see attached\n' | $NT mail-send $S -f me@example.com -s files -a "$T/notes.txt" -a "$T/pic.png" -a "$T/Bericht über.pdf" to@example.org
got=$(last "$T/main")
$PY - "$got" "$T" <<'EOF' && pass "attachments: multipart/mixed, types from names, bytes decode back" || fail "attachments"
import sys, email, email.policy
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
T = sys.argv[2]
parts = list(m.iter_parts())
ok = m.get_content_type() == "multipart/mixed" and len(parts) == 4
ok &= parts[0].get_content_type() == "text/plain" and parts[0].get_content() == "see attached\r\n"
want = [("notes.txt", "text/plain"), ("pic.png", "image/png"), ("Bericht über.pdf", "application/pdf")]
for p, (name, ctype) in zip(parts[1:], want):
    ok &= p.get_filename() == name and p.get_content_type() == ctype and p.get_content_disposition() == "attachment"
    ok &= p.get_payload(decode=True) == open(T + "/" + name, "rb").read()
if not ok: print([(p.get_content_type(), p.get_filename()) for p in parts], file=sys.stderr)
sys.exit(0 if ok else 1)
EOF

# --- partial recipient failure, --json ---
n0=$(count "$T/main")
echo hi | $NT mail-send $S -f me@example.com --json ok@example.org reject-me@example.org later-1@example.org >"$T/json" 2>"$T/err"
rc=$?
want='{"rcpt":"ok@example.org","status":"accepted","code":250,"reply":"250 2.1.5 OK"}
{"rcpt":"reject-me@example.org","status":"refused","code":550,"reply":"550 5.1.1 <reject-me@example.org>: recipient rejected"}
{"rcpt":"later-1@example.org","status":"deferred","code":451,"reply":"451 4.3.0 <later-1@example.org>: try again later"}'
[ $rc -eq 1 ] && [ "$(cat "$T/json")" = "$want" ] && pass "--json: one object per recipient, exit 1 on a refusal" ||
	fail "--json partial" "rc=$rc $(cat "$T/json")"
[ "$(count "$T/main")" = $((n0 + 1)) ] && [ "$(meta "$(last "$T/main")" '" ".join(d["rcpt"])')" = ok@example.org ] &&
	pass "partial failure: delivered to the accepted recipient only" || fail "partial failure delivery"
echo hi | $NT mail-send $S -f me@example.com ok@example.org reject-me@example.org 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && grep -q 'reject-me@example.org refused: 550 5.1.1 <reject-me@example.org>: recipient rejected' "$T/err" &&
	pass "refused recipient named with the server's reply" || fail "refusal message" "rc=$rc $(cat "$T/err")"
n0=$(count "$T/main")
echo hi | $NT mail-send $S -f me@example.com reject1@example.org reject2@example.org 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && [ "$(count "$T/main")" = "$n0" ] && [ "$(grep -c refused "$T/err")" = 2 ] &&
	pass "every recipient refused: exit 1, both named, nothing delivered" || fail "all refused" "rc=$rc $(cat "$T/err")"

# --- TLS ---
n0=$(count "$T/main")
echo hi | $NT mail-send -S smtp://127.0.0.1:$P -f me@example.com to@example.org 2>"$T/err"
rc=$?
[ $rc -eq 4 ] && [ "$(count "$T/main")" = "$n0" ] && pass "STARTTLS with an unknown CA: exit 4, nothing sent" ||
	fail "unverified STARTTLS" "rc=$rc $(cat "$T/err")"
start_smtpd PW "$T/wrongname" --cert "$T/certs/other.crt" --key "$T/certs/other.key" || finish
echo hi | $NT mail-send -S smtp://127.0.0.1:$PW $C -f me@example.com to@example.org 2>"$T/err"
rc=$?
[ $rc -eq 4 ] && [ "$(count "$T/wrongname")" = 0 ] && [ -s "$T/err" ] &&
	pass "STARTTLS, trusted CA but a certificate for wrong.example: exit 4, nothing sent" || fail "host name mismatch" "rc=$rc $(cat "$T/err")"
echo hi | $NT mail-send -S smtp://localhost:$P $C -f me@example.com to@example.org && pass "--cacert verifies the name localhost" ||
	fail "--cacert localhost"
echo hi | $NT mail-send -S smtp://127.0.0.1:$P --insecure -f me@example.com to@example.org 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && grep -q 'not verified' "$T/err" && pass "--insecure sends and warns" || fail "--insecure" "rc=$rc"
n0=$(count "$T/plain")
echo hi | $NT mail-send -S smtp://127.0.0.1:$PP --tls -f me@example.com to@example.org 2>"$T/err"
rc=$?
[ $rc -eq 4 ] && [ "$(count "$T/plain")" = "$n0" ] && pass "--tls against a server without STARTTLS: exit 4" ||
	fail "--tls required" "rc=$rc $(cat "$T/err")"
echo hi | $NT mail-send $S --no-tls -f me@example.com to@example.org && [ "$(meta "$(last "$T/main")" 'd["tls"]')" = False ] &&
	pass "--no-tls: no STARTTLS" || fail "--no-tls"
echo hi | $NT mail-send -S smtps://127.0.0.1:$PS $C -f me@example.com to@example.org && [ "$(count "$T/smtps")" = 1 ] &&
	pass "smtps:// implicit TLS, verified" || fail "smtps://"
expect_exit "smtps:// without the CA: exit 4" 4 sh -c "echo hi | $NT mail-send -S smtps://127.0.0.1:$PS -f me@example.com to@example.org"

# --- AUTH ---
echo hi | $NT mail-send $S -u alice --password-file "$T/pw" -v -f me@example.com to@example.org 2>"$T/trace"
rc=$?
[ $rc -eq 0 ] && [ "$(meta "$(last "$T/main")" 'd["auth"]')" = alice ] && pass "-u with --password-file: AUTH as alice" ||
	fail "AUTH" "rc=$rc"
b64=$(printf '\0alice\0s3cret' | base64)
grep -q 'AUTH' "$T/trace" && ! grep -q -e s3cret -e "$b64" -e "$(printf s3cret | base64)" "$T/trace" &&
	pass "-v trace shows AUTH but never the password" || fail "password masked in -v"
echo hi | NETTOOL_PASSWORD=wrong $NT mail-send $S -u alice -f me@example.com to@example.org 2>"$T/err"
rc=$?
[ $rc -eq 4 ] && grep -q 535 "$T/err" && pass "wrong password: exit 4 with the server's 535" || fail "wrong password" "rc=$rc $(cat "$T/err")"
echo hi | $NT mail-send -S smtp://127.0.0.1:$PA $C -f me@example.com to@example.org 2>"$T/err"
rc=$?
[ $rc -eq 4 ] && grep -q 530 "$T/err" && [ "$(count "$T/authreq")" = 0 ] && pass "server requires AUTH, none given: exit 4 with its 530" ||
	fail "auth required" "rc=$rc $(cat "$T/err")"
echo hi | NETTOOL_PASSWORD=s3cret $NT mail-send -S smtp://alice@127.0.0.1:$PA $C -f me@example.com to@example.org &&
	[ "$(count "$T/authreq")" = 1 ] && pass "user in the URL, password from \$NETTOOL_PASSWORD" || fail "URL user"

# --- plain-text AUTH to a host that is not loopback ---
# The "remote" host is NETNS_ADDR inside a private network namespace (lib.sh netns_run):
# the server and the client both run there, and nothing can leave it.
mkdir -p "$T/ext"
export NT T PY SMTPD
if netns_run '
	$PY "$SMTPD" --host '"$NETNS_ADDR"' --port 2525 --dir "$T/ext" --user alice --password s3cret --auth-plain-ok >"$T/ext.log" 2>&1 & p=$!
	for i in $(seq 200); do (exec 3<>/dev/tcp/'"$NETNS_ADDR"'/2525) 2>/dev/null && break; sleep 0.05; done
	echo hi | "$NT" mail-send -S smtp://'"$NETNS_ADDR"':2525 -u alice --password-file "$T/pw" -f me@example.com to@example.org 2>"$T/err1"
	echo $? >"$T/rc1"
	ls "$T/ext" | grep -c "\.eml$" >"$T/n1"
	echo hi | "$NT" mail-send -S smtp://'"$NETNS_ADDR"':2525 --no-tls -u alice --password-file "$T/pw" -f me@example.com to@example.org 2>"$T/err2"
	echo $? >"$T/rc2"
	echo hi | "$NT" mail-send -S smtp://'"$NETNS_ADDR"':2525 -u alice --password-file "$T/pw" --allow-plaintext-auth -f me@example.com to@example.org 2>"$T/err3"
	echo $? >"$T/rc3"
	kill $p' 2>"$T/netns.err"; then
	[ "$(cat "$T/rc1")" = 4 ] && [ "$(cat "$T/n1")" = 0 ] && pass "no TLS offered by $NETNS_ADDR: the password is not sent (exit 4)" ||
		fail "plaintext refused" "rc=$(cat "$T/rc1") $(cat "$T/err1")"
	[ "$(cat "$T/rc2")" = 4 ] && pass "--no-tls with -u to $NETNS_ADDR: refused before connecting (exit 4, as in every applet)" ||
		fail "--no-tls refusal" "rc=$(cat "$T/rc2") $(cat "$T/err2")"
	[ "$(cat "$T/rc3")" = 0 ] && [ "$(meta "$(last "$T/ext")" 'd["auth"]')" = alice ] && pass "--allow-plaintext-auth: AUTH in clear text to $NETNS_ADDR" ||
		fail "--allow-plaintext-auth" "rc=$(cat "$T/rc3") $(cat "$T/err3")"
else
	skip "plain-text AUTH policy" "no private network namespace: $(head -2 "$T/netns.err")"
fi

# --- bad input: exit 2, nothing sent ---
n0=$(count "$T/main")
expect_exit "CR/LF in -s: exit 2" 2 sh -c "echo hi | $NT mail-send $S -f me@example.com -s \"\$(printf 'a\r\nBcc: x@y.z')\" to@example.org"
expect_exit "LF in a recipient: exit 2" 2 sh -c "echo hi | $NT mail-send $S -f me@example.com \"\$(printf 'to@example.org\nx')\""
expect_exit "address without @: exit 2" 2 sh -c "echo hi | $NT mail-send $S -f me@example.com nobody"
expect_exit "address with a space: exit 2" 2 sh -c "echo hi | $NT mail-send $S -f 'me @example.com' to@example.org"
expect_exit "CR/LF in --header: exit 2" 2 sh -c "echo hi | $NT mail-send $S -f me@example.com --header \"\$(printf 'X-A: 1\nBcc: x@y.z')\" to@example.org"
expect_exit "--header without a colon: exit 2" 2 sh -c "echo hi | $NT mail-send $S -f me@example.com --header 'NoColon' to@example.org"
echo hi | $NT mail-send $S -f me@example.com -a "$T/missing.bin" to@example.org 2>"$T/err"
rc=$?
# A local file that can not be read is exit 6 in every applet (nettool(1)), as for put and post.
[ $rc -eq 6 ] && grep -q 'missing.bin' "$T/err" && pass "unreadable attachment: exit 6 naming it" || fail "unreadable attachment" "rc=$rc"
expect_exit "-t with a bad address in To: exit 2" 2 sh -c "printf 'To: a@b.c, not an address\n\nx\n' | $NT mail-send $S -t -f me@example.com"
expect_exit "no recipients: exit 2" 2 sh -c "echo hi | $NT mail-send $S -f me@example.com"
[ "$(count "$T/main")" = "$n0" ] && pass "bad input: nothing reached the server" || fail "bad input sent something"

# --- --dry-run prints exactly what is sent ---
n0=$(count "$T/main")
printf 'Dry\n.\n' | $NT mail-send $S --dry-run -f me@example.com -s 'dry run' --header 'Message-ID: <fixed@example.com>' -b b@example.org to@example.org >"$T/dry"
rc=$?
want=$'MAIL FROM:<me@example.com>\r\nRCPT TO:<to@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n'
[ $rc -eq 0 ] && head -c ${#want} "$T/dry" | cmp -s - <(printf '%s' "$want") && [ "$(count "$T/main")" = "$n0" ] &&
	pass "--dry-run: envelope printed, nothing sent" || fail "--dry-run" "rc=$rc"
printf 'Dry\n.\n' | $NT mail-send $S -f me@example.com -s 'dry run' --header 'Message-ID: <fixed@example.com>' -b b@example.org to@example.org
tail -c +$((${#want} + 1)) "$T/dry" | cmp -s - "$(last "$T/main")" && pass "--dry-run message is byte for byte what the server got" ||
	fail "--dry-run bytes"

# --- IPv6 ---
if start_smtpd P6 "$T/v6" --host ::1; then
	echo hi | $NT mail-send -6 -S "smtp://[::1]:$P6" -f me@example.com to@example.org && [ "$(count "$T/v6")" = 1 ] &&
		pass "IPv6: smtp://[::1]:port with -6" || fail "IPv6 [::1]"
fi

# --- SMTP_SERVER and the default sender ---
echo hi | SMTP_SERVER=127.0.0.1:$PP $NT mail-send to@example.org && f=$(meta "$(last "$T/plain")" 'd["from"]') &&
	[ "${f%@*}" = "$(id -un)" ] && pass "SMTP_SERVER host:port; default sender user@host ($f)" || fail "SMTP_SERVER default"
expect_exit "unreachable server: exit 3" 3 sh -c "echo hi | $NT mail-send -S smtp://127.0.0.1:$(free_port) --timeout 5 -f me@example.com to@example.org"
expect_exit "--help exits 0" 0 $NT mail-send --help
expect_exit "--tls with --no-tls: exit 2" 2 $NT mail-send --tls --no-tls to@example.org

# A user given to a server that offers no AUTH: nothing goes out unauthenticated (libcurl
# alone would send it and exit 0), exit 4, naming what was missing; the queue keeps it.
n0=$(count "$T/plain")
echo hi | $NT mail-send -S "smtp://127.0.0.1:$PP" -u me --password-cmd 'echo pw' -f me@example.com -s noauth a@example.org 2>"$T/noauth.err"
rc=$?
[ $rc = 4 ] && [ "$(count "$T/plain")" = "$n0" ] && grep -q 'offers no login' "$T/noauth.err" &&
	pass "a user and a server without AUTH: exit 4, nothing delivered" || fail "no AUTH offered" "rc $rc: $(cat "$T/noauth.err") $(count "$T/plain") vs $n0"
echo hi | $NT mail-send --queue "$T/noauth.q" -f me@example.com -s noauthq a@example.org
$NT mail-send --flush "$T/noauth.q" -S "smtp://127.0.0.1:$PP" -u me --password-cmd 'echo pw' 2>"$T/noauth2.err"
rc=$?
[ $rc = 4 ] && [ "$(count "$T/plain")" = "$n0" ] && [ "$(ls "$T/noauth.q/new" | wc -l)" = 1 ] &&
	pass "--flush with a user to a server without AUTH: exit 4, the message stays queued" || fail "flush no AUTH" "rc $rc: $(cat "$T/noauth2.err")"
# -t with no -f: the From field gives the envelope sender (as it gives the account).
printf 'From: Bob <bob@example.org>\nTo: t@example.org\nSubject: env\n\nx\n' |
	EMAIL=other@example.net $NT mail-send -t -S "smtp://127.0.0.1:$PP" 2>"$T/tenv.err"
rc=$?
envfrom=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["from"])' "$(last "$T/plain" | sed 's/\.eml$/.json/')" 2>/dev/null)
[ $rc = 0 ] && [ "$envfrom" = bob@example.org ] && pass "-t: the envelope sender is the From field's address" ||
	fail "-t envelope sender" "rc $rc, envelope '$envfrom': $(cat "$T/tenv.err")"
finish
