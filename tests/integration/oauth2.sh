#!/bin/bash
# SPDX-License-Identifier: MIT
# oauth2.sh - OAuth2 logins (--oauth2-token-cmd, --oauth2-token-file, --oauth2-mech; SASL
# XOAUTH2 and OAUTHBEARER) against servers that check the token themselves: Dovecot with
# its oauth2 passdb asking a token-introspection endpoint on loopback
# (fixtures/oauth2_introspect.py) for mail-fetch over IMAP and POP3, and aiosmtpd with
# XOAUTH2/OAUTHBEARER handlers (fixtures/smtpd.py --oauth2-tokens) for mail-send. An
# expired token refused then replaced by the command's second run, a wrong token exit 4
# in the server's words, a token with CR refused, the token never in -v traces nor in a
# child's environment, ftp and nntp refusing the options, and README's "Gmail / Microsoft
# 365 with OAuth2" commands run as they are written, the test servers standing in for the
# providers and a stand-in `oama` for the helper.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/fixtures/dovecot.sh"
. "$here/fixtures/smtpd.sh"
top=$(cd "$here/../.." && pwd)

# --- options refused before anything happens (no server needed) ---
printf 'tok\n' >"$T/tokf" && chmod 600 "$T/tokf"
expect_exit "ftp refuses --oauth2-token-cmd (exit 2)" 2 $NT ftp --oauth2-token-cmd 'echo x' ls ftp://127.0.0.1:1/
grep -q 'oauth2-token-cmd: FTP servers have no OAuth2 login' "$T/check.out" && pass "ftp says why" ||
	fail "ftp says why" "$(head -2 "$T/check.out")"
expect_exit "nntp refuses --oauth2-token-file (exit 2)" 2 $NT nntp --oauth2-token-file "$T/tokf" -s 127.0.0.1:1 caps
grep -q 'oauth2-token-file: NNTP servers have no OAuth2 login' "$T/check.out" && pass "nntp says why" ||
	fail "nntp says why" "$(head -2 "$T/check.out")"
expect_exit "--oauth2-mech takes XOAUTH2 or OAUTHBEARER" 2 $NT mail-fetch --oauth2-mech PLAIN --oauth2-token-file "$T/tokf" \
	-u test --stdout imap://127.0.0.1:1/
expect_exit "--oauth2-mech needs a token source" 2 $NT mail-fetch --oauth2-mech XOAUTH2 -u test --stdout imap://127.0.0.1:1/
expect_exit "--oauth2-token-cmd and --oauth2-token-file exclude each other" 2 $NT mail-send --oauth2-token-cmd 'echo x' \
	--oauth2-token-file "$T/tokf" -S smtp://127.0.0.1:1 -f a@b.example c@d.example </dev/null
expect_exit "an OAuth2 login needs a user name (exit 2)" 2 $NT mail-send --oauth2-token-file "$T/tokf" -S smtp://127.0.0.1:1 \
	-f a@b.example -s x c@d.example </dev/null
# A token is a credential: to a remote host only inside TLS (refused before connecting).
expect_exit "a token is not sent in clear text to a remote host (--no-tls: exit 4)" 4 $NT mail-send --no-tls --timeout 2 \
	--oauth2-token-file "$T/tokf" -u me -S smtp://192.0.2.1 -f a@b.example -s x c@d.example </dev/null
grep -q 'an OAuth2 token counts as one' "$T/check.out" && pass "... saying the token counts as a password" ||
	fail "... the token counts as a password" "$(head -2 "$T/check.out")"
# The token command runs under the applet's --timeout.
t0=$(date +%s%N)
expect_exit "a token command past --timeout is killed (exit 4)" 4 $NT mail-fetch --timeout 1 --oauth2-token-cmd 'sleep 30' -u test \
	--stdout imap://127.0.0.1:1/
[ $((($(date +%s%N) - t0) / 1000000)) -lt 10000 ] && grep -q 'oauth2-token-cmd: .*timeout' "$T/check.out" &&
	pass "... within the timeout, naming the option" || fail "... within the timeout" "$(head -2 "$T/check.out")"
cp "$T/tokf" "$T/tokf-shared" && chmod 640 "$T/tokf-shared"
expect_exit "a token file others can read is refused (exit 4)" 4 $NT mail-fetch --oauth2-token-file "$T/tokf-shared" -u test \
	--stdout imap://127.0.0.1:1/
grep -q 'others can read or write it' "$T/check.out" && pass "... saying why" || fail "... saying why" "$(head -2 "$T/check.out")"
printf 'tok\rX\n' >"$T/tokf-cr" && chmod 600 "$T/tokf-cr"
expect_exit "a token file with CR in its line is refused (exit 4)" 4 $NT mail-fetch --oauth2-token-file "$T/tokf-cr" -u test \
	--stdout imap://127.0.0.1:1/
expect_exit "a missing token file: exit 6" 6 $NT mail-fetch --oauth2-token-file "$T/nope" -u test --stdout imap://127.0.0.1:1/

# --- the token introspection endpoint and Dovecot's oauth2 passdb ---
have_dove=1
command -v dovecot >/dev/null || { have_dove=0; skip "mail-fetch OAuth2" "dovecot is not installed (make deps)"; }
TOKENS=$T/tokens # TOKEN USER [expired], read by the endpoint and by smtpd.py at each login
cat >"$TOKENS" <<'EOF'
tok-good-1 test
tok-old test expired
tok-new test
tok-other other
tok-readme test@example.org
EOF
IPORT=$(free_port)
/usr/bin/python3 "$here/fixtures/oauth2_introspect.py" --port "$IPORT" --tokens "$TOKENS" --log "$T/introspect.log" \
	>"$T/introspect.out" 2>&1 &
IPID=$!
cleanup "kill $IPID; wait $IPID"
wait_port "$IPORT" || { fail "start the introspection endpoint" "$(tail -3 "$T/introspect.out")"; have_dove=0; }
if [ $have_dove = 1 ]; then
	cat >"$T/dovecot-oauth2.conf.ext" <<EOF
introspection_mode = post
introspection_url = http://127.0.0.1:$IPORT/introspect
username_attribute = username
active_attribute = active
active_value = true
force_introspection = yes
EOF
	# No TLS on this instance: README's commands run unchanged, without --cacert (a
	# token goes in clear text only to loopback); TLS with tokens is the SMTP part's.
	DOVE_SSL=no
	DOVE_MECHS="plain login xoauth2 oauthbearer"
	DOVE_PASSDB_FIRST="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $T/dovecot-oauth2.conf.ext
}"
	# Failed logins are the point here: no delay, and no growing penalty (up to 15 s a
	# login) for the repeated failures of one address: its anvil socket is closed.
	DOVE_CONF_EXTRA="auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}"
	dove_start || { skip "mail-fetch OAuth2" "dovecot did not start: $(tail -3 "$T/dove/dovecot.log" 2>/dev/null)"; have_dove=0; }
fi

mcount() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }
# The mechanism and user of Dovecot's last login.
lastlogin() { grep -o 'Login: user=<[^>]*>, method=[A-Z0-9]*' "$T/dove/dovecot.log" | tail -1; }
logins() { grep -c 'Login: user=' "$T/dove/dovecot.log"; }

# A token command that prints tok-old on its first run, tok-new on the next (a helper
# whose cached token expired and which refreshes it when asked again). $T/runs counts.
cat >"$T/refresh.sh" <<EOF
#!/bin/sh
n=\$(cat "$T/runs" 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >"$T/runs"
[ \$n = 1 ] && echo tok-old || echo tok-new
EOF
chmod +x "$T/refresh.sh"

if [ $have_dove = 1 ]; then
	dove_fill 3 2048 oa
	IMAP="imap://127.0.0.1:$DOVE_IMAP/INBOX"
	POP3="pop3://127.0.0.1:$DOVE_POP3"
	printf 'tok-good-1\n' >"$T/good" && chmod 600 "$T/good"
	printf 'tok-wrong\n' >"$T/wrong" && chmod 600 "$T/wrong"
	for proto in imap pop3; do
		url=$IMAP
		[ $proto = pop3 ] && url=$POP3
		for mech in XOAUTH2 OAUTHBEARER; do
			rm -rf "$T/md"
			n0=$(logins)
			$NT mail-fetch -q -u test --oauth2-token-file "$T/good" --oauth2-mech $mech -o "$T/md" --all "$url" 2>"$T/err"
			rc=$?
			[ $rc -eq 0 ] && [ "$(mcount "$T/md")" = 3 ] && [ "$(logins)" = $((n0 + 1)) ] &&
				[ "$(lastlogin)" = "Login: user=<test>, method=$mech" ] &&
				pass "$proto fetch with $mech, the token checked by Dovecot's oauth2 passdb" ||
				fail "$proto fetch with $mech" "rc=$rc $(lastlogin) $(head -2 "$T/err")"
		done
		# No --oauth2-mech: what the server offers (both: OAUTHBEARER, RFC 7628's).
		rm -rf "$T/md"
		$NT mail-fetch -q -u test --oauth2-token-cmd 'echo tok-good-1' -o "$T/md" --all "$url" 2>"$T/err"
		rc=$?
		[ $rc -eq 0 ] && [ "$(mcount "$T/md")" = 3 ] && [ "$(lastlogin)" = "Login: user=<test>, method=OAUTHBEARER" ] &&
			pass "$proto: --oauth2-token-cmd, the mechanism chosen from the server's offer" ||
			fail "$proto: --oauth2-token-cmd, mechanism from the offer" "rc=$rc $(lastlogin) $(head -2 "$T/err")"
		# An expired token: refused by the server, the command runs again, its new token
		# works. With XOAUTH2 the refusal is the server's error challenge alone (libcurl
		# does not answer it); with OAUTHBEARER a final NO/-ERR follows.
		for mech in XOAUTH2 OAUTHBEARER; do
			rm -rf "$T/md" "$T/runs"
			: >"$T/introspect.log"
			$NT mail-fetch -q -u test --oauth2-token-cmd "$T/refresh.sh" --oauth2-mech $mech -o "$T/md" --all "$url" 2>"$T/err"
			rc=$?
			[ $rc -eq 0 ] && [ "$(cat "$T/runs")" = 2 ] && [ "$(mcount "$T/md")" = 3 ] &&
				[ "$(tr '\n' ' ' <"$T/introspect.log")" = "POST inactive POST active " ] &&
				[ "$(lastlogin)" = "Login: user=<test>, method=$mech" ] &&
				pass "$proto $mech: an expired token refused, the command run again, its new token taken" ||
				fail "$proto $mech: expired token refreshed" "rc=$rc runs=$(cat "$T/runs" 2>/dev/null) $(tr '\n' ' ' <"$T/introspect.log") $(head -2 "$T/err")"
		done
		# XOAUTH2's refusal in the server's words too.
		$NT mail-fetch -q -u test --oauth2-token-file "$T/wrong" --oauth2-mech XOAUTH2 --stdout "$url" >/dev/null 2>"$T/err"
		rc=$?
		[ $rc -eq 4 ] && grep -q "(XOAUTH2): its error challenge: status 401" "$T/err" &&
			pass "$proto XOAUTH2: a wrong token: exit 4 with the status of the server's error challenge" ||
			fail "$proto XOAUTH2: a wrong token" "rc=$rc $(head -2 "$T/err")"
		# A wrong token from a file: exit 4 in the server's words, nothing fetched.
		rm -rf "$T/md"
		$NT mail-fetch -q -u test --oauth2-token-file "$T/wrong" -o "$T/md" --all "$url" 2>"$T/err"
		rc=$?
		[ $rc -eq 4 ] && [ "$(mcount "$T/md")" = 0 ] && grep -q "refused the OAuth2 token from --oauth2-token-file (OAUTHBEARER)" "$T/err" &&
			grep -q 'Authentication failed.*(status invalid_token)' "$T/err" &&
			pass "$proto: a wrong token: exit 4, the server's reply and RFC 7628 status" ||
			fail "$proto: a wrong token" "rc=$rc $(head -2 "$T/err")"
		# A command whose tokens are all refused: run twice, then exit 4.
		rm -f "$T/runs"
		$NT mail-fetch -q -u test --oauth2-token-cmd "n=\$(cat $T/runs 2>/dev/null || echo 0); echo \$((n+1)) >$T/runs; echo tok-wrong" \
			--stdout "$url" >/dev/null 2>"$T/err"
		rc=$?
		[ $rc -eq 4 ] && [ "$(cat "$T/runs")" = 2 ] && grep -q 'also the one of its next run' "$T/err" &&
			pass "$proto: a refused token is asked for once more, then exit 4" ||
			fail "$proto: refused twice" "rc=$rc runs=$(cat "$T/runs" 2>/dev/null) $(head -2 "$T/err")"
		# A token for another user: Dovecot compares the introspected user with the login's.
		$NT mail-fetch -q -u test --oauth2-token-cmd 'echo tok-other' --stdout "$url" >/dev/null 2>"$T/err"
		rc=$?
		[ $rc -eq 4 ] && pass "$proto: another user's token: exit 4" || fail "$proto: another user's token" "rc=$rc $(head -2 "$T/err")"
	done
	# -v: the trace shows the login, never the token (raw or in its base64 SASL forms).
	for mech in XOAUTH2 OAUTHBEARER; do
		rm -f "$T/runs"
		$NT mail-fetch -v -u test --oauth2-token-cmd "$T/refresh.sh" --oauth2-mech $mech list "$IMAP" >/dev/null 2>"$T/trace"
		rc=$?
		leak=
		for t in tok-old tok-new; do
			grep -q "$t" "$T/trace" && leak="$leak $t"
			for blob in "user=test"$'\1'"auth=Bearer $t"$'\1\1' "n,a=test,"$'\1'"host=127.0.0.1"$'\1'"port=$DOVE_IMAP"$'\1'"auth=Bearer $t"$'\1\1'; do
				b=$(printf '%s' "$blob" | base64 -w0)
				grep -qF "${b:0:24}" "$T/trace" && leak="$leak base64($t)"
			done
		done
		[ $rc -eq 0 ] && [ -z "$leak" ] && grep -q "AUTHENTICATE $mech \*\*\*\*" "$T/trace" &&
			pass "-v ($mech, two logins): the token is masked" || fail "-v ($mech): token masked" "rc=$rc leak:$leak"
	done
	# The token is in no child's environment (the --mda command's here).
	rm -f "$T/env.*"
	$NT mail-fetch -q -u test --oauth2-token-cmd 'echo tok-good-1' --all --mda "env >$T/env.\$\$" "$IMAP" 2>"$T/err"
	rc=$?
	[ $rc -eq 0 ] && ls "$T"/env.* >/dev/null 2>&1 && ! grep -q tok-good-1 "$T"/env.* &&
		pass "the token is in no child's environment (--mda)" || fail "token not in --mda's environment" "rc=$rc"
	# A server that offers no OAuth2 mechanism: said so, with what it offers.
fi

# --- SMTP: aiosmtpd with XOAUTH2 and OAUTHBEARER handlers, STARTTLS verified ---
if ! smtpd_available; then
	skip "mail-send OAuth2" "python3-aiosmtpd is not installed (make deps)"
else
	make_certs "$T/certs" >/dev/null 2>&1 || [ -f "$T/certs/ca.crt" ] || fail "make_certs"
	TLSARGS=(--cert "$T/certs/server.crt" --key "$T/certs/server.key")
	start_smtpd SP "$T/smtp" "${TLSARGS[@]}" --oauth2-tokens "$TOKENS" --auth-required
	start_smtpd SX "$T/smtpx" "${TLSARGS[@]}" --oauth2-tokens "$TOKENS" --auth-exclude OAUTHBEARER
	start_smtpd SN "$T/smtpn" "${TLSARGS[@]}" --user test --password pw
	CA=(--cacert "$T/certs/ca.crt")
	send() { # PORT ARGS...: one message to rcpt@example.org
		local p=$1
		shift
		echo "hello" | $NT mail-send -S "smtp://127.0.0.1:$p" "${CA[@]}" -u test -f test@example.org -s oauth "$@" rcpt@example.org
	}
	authlog() { tail -n "${2:-1}" "$1/auth.log" 2>/dev/null | tr '\n' ' '; }
	send "$SP" --oauth2-token-cmd 'echo tok-good-1' 2>"$T/err"
	rc=$?
	got=$(last "$T/smtp")
	[ $rc -eq 0 ] && [ -n "$got" ] && [ "$(authlog "$T/smtp")" = "OAUTHBEARER test ok " ] &&
		grep -q '"auth": "test"' "${got%.eml}.json" && grep -q '"tls": true' "${got%.eml}.json" &&
		pass "mail-send --oauth2-token-cmd: OAUTHBEARER after STARTTLS, the message sent" ||
		fail "mail-send --oauth2-token-cmd" "rc=$rc $(authlog "$T/smtp") $(head -2 "$T/err")"
	n0=$(count "$T/smtp")
	send "$SP" --oauth2-token-file "$T/good" --oauth2-mech XOAUTH2 2>"$T/err"
	rc=$?
	[ $rc -eq 0 ] && [ "$(authlog "$T/smtp")" = "XOAUTH2 test ok " ] && [ "$(count "$T/smtp")" = $((n0 + 1)) ] &&
		pass "mail-send --oauth2-token-file --oauth2-mech XOAUTH2" ||
		fail "mail-send --oauth2-token-file XOAUTH2" "rc=$rc $(authlog "$T/smtp") $(head -2 "$T/err")"
	send "$SX" --oauth2-token-file "$T/good" 2>"$T/err"
	rc=$?
	[ $rc -eq 0 ] && [ "$(authlog "$T/smtpx")" = "XOAUTH2 test ok " ] &&
		pass "mail-send: XOAUTH2 when the server offers no OAUTHBEARER" ||
		fail "mail-send: XOAUTH2 from the offer" "rc=$rc $(authlog "$T/smtpx") $(head -2 "$T/err")"
	for mech in XOAUTH2 OAUTHBEARER; do
		rm -f "$T/runs"
		n0=$(count "$T/smtp")
		send "$SP" --oauth2-token-cmd "$T/refresh.sh" --oauth2-mech $mech 2>"$T/err"
		rc=$?
		[ $rc -eq 0 ] && [ "$(cat "$T/runs")" = 2 ] && [ "$(authlog "$T/smtp" 2)" = "$mech test refused $mech test ok " ] &&
			[ "$(count "$T/smtp")" = $((n0 + 1)) ] &&
			pass "mail-send $mech: an expired token refused, the command run again, the message sent once" ||
			fail "mail-send $mech: expired token refreshed" "rc=$rc runs=$(cat "$T/runs" 2>/dev/null) $(authlog "$T/smtp" 2) $(head -2 "$T/err")"
	done
	n0=$(count "$T/smtp")
	send "$SP" --oauth2-token-file "$T/wrong" 2>"$T/err"
	rc=$?
	[ $rc -eq 4 ] && [ "$(count "$T/smtp")" = "$n0" ] && grep -q 'refused the OAuth2 token from --oauth2-token-file (OAUTHBEARER): 535 ' "$T/err" &&
		grep -q '(status invalid_token, scope mail)' "$T/err" &&
		pass "mail-send: a wrong token: exit 4, the server's 535 and RFC 7628 status" ||
		fail "mail-send: a wrong token" "rc=$rc $(head -2 "$T/err")"
	send "$SP" --oauth2-token-cmd "printf 'tok-good-1\\r\\nRSET\\n'" 2>"$T/err"
	rc=$?
	[ $rc -eq 4 ] && [ "$(count "$T/smtp")" = "$n0" ] && grep -q 'oauth2-token-cmd' "$T/err" &&
		pass "mail-send: a token with CR/LF refused (exit 4), nothing sent" || fail "mail-send: CR/LF token" "rc=$rc $(head -2 "$T/err")"
	send "$SN" --oauth2-token-file "$T/good" 2>"$T/err"
	rc=$?
	[ $rc -eq 4 ] && grep -q 'offers no OAuth2 (SASL XOAUTH2 or OAUTHBEARER) login (it offers: LOGIN PLAIN)' "$T/err" &&
		pass "mail-send: a server without OAuth2: exit 4, naming what it offers" ||
		fail "mail-send: no OAuth2 offered" "rc=$rc $(head -2 "$T/err")"
	rm -f "$T/runs"
	send "$SP" -v --oauth2-token-cmd "$T/refresh.sh" 2>"$T/trace"
	rc=$?
	leak=
	for t in tok-old tok-new; do
		grep -q "$t" "$T/trace" && leak="$leak $t"
		b=$(printf 'n,a=test,\001host=127.0.0.1\001port=%s\001auth=Bearer %s\001\001' "$SP" "$t" | base64 -w0)
		grep -qF "${b:0:24}" "$T/trace" && leak="$leak base64($t)"
	done
	[ $rc -eq 0 ] && [ -z "$leak" ] && [ "$(grep -c '^> \*\*\*\*' "$T/trace")" -ge 2 ] &&
		pass "mail-send -v: the tokens of both logins are masked" || fail "mail-send -v: tokens masked" "rc=$rc leak:$leak"
	# An account with an oauth2-token-cmd: sendmail -t picks it by the From: address and
	# logs in with its token; a refusal names the account's key, not an option.
	mkdir -p "$T/xdg/nettool"
	cat >"$T/xdg/nettool/accounts" <<EOF
[gmail]
url = smtp://127.0.0.1:$SP
user = test
from = test@example.org
cacert = $T/certs/ca.crt
oauth2-token-cmd = echo tok-good-1

[wrong]
url = smtp://127.0.0.1:$SP
user = test
from = wrong@example.org
cacert = $T/certs/ca.crt
oauth2-token-cmd = echo tok-wrong
EOF
	mkdir -p "$T/sbin" && $NT --install "$T/sbin" >/dev/null
	n0=$(count "$T/smtp")
	printf 'From: test@example.org\nTo: rcpt@example.org\nSubject: cron\n\nfrom cron\n' |
		XDG_CONFIG_HOME=$T/xdg "$T/sbin/sendmail" -t 2>"$T/err"
	rc=$?
	got=$(last "$T/smtp")
	[ $rc -eq 0 ] && [ "$(count "$T/smtp")" = $((n0 + 1)) ] && [ "$(authlog "$T/smtp")" = "OAUTHBEARER test ok " ] &&
		grep -q '"from": "test@example.org"' "${got%.eml}.json" &&
		pass "sendmail -t through an account's oauth2-token-cmd (chosen by From:)" ||
		fail "sendmail -t with an account's oauth2-token-cmd" "rc=$rc $(authlog "$T/smtp") $(head -2 "$T/err")"
	printf 'From: wrong@example.org\nTo: rcpt@example.org\nSubject: cron\n\nx\n' |
		XDG_CONFIG_HOME=$T/xdg "$T/sbin/sendmail" -t 2>"$T/err"
	rc=$?
	[ $rc -eq 4 ] && grep -q 'refused the OAuth2 token from account wrong: oauth2-token-cmd, also the one of its next run' "$T/err" &&
		pass "an account's refused token: exit 4 naming the account's key" ||
		fail "an account's refused token" "rc=$rc $(head -2 "$T/err")"
	# --flush logs in the same way.
	echo "queued" | $NT mail-send --queue "$T/q" -f test@example.org -s q rcpt@example.org
	n0=$(count "$T/smtp")
	$NT mail-send --flush "$T/q" -S "smtp://127.0.0.1:$SP" "${CA[@]}" -u test --oauth2-token-cmd 'echo tok-good-1' 2>"$T/err"
	rc=$?
	[ $rc -eq 0 ] && [ "$(count "$T/smtp")" = $((n0 + 1)) ] && [ "$(authlog "$T/smtp")" = "OAUTHBEARER test ok " ] &&
		pass "mail-send --flush with --oauth2-token-cmd" ||
		fail "--flush with OAuth2" "rc=$rc $(head -2 "$T/err")"
fi

# --- README's "Gmail / Microsoft 365 with OAuth2": its commands, as written ---
# The account lines (the first block) are the user's; the test's servers stand in for the
# providers and a stand-in `oama` prints the token. The second block runs unchanged.
block=$(awk '/^### Gmail \/ Microsoft 365 with OAuth2/{s=1; next} s && /^###? /{exit} s' "$top/README.md" |
	awk 'BEGIN{b=0} /^    /{if(!inb){b++; inb=1} if(b==2) print substr($0,5); next} {inb=0}')
if [ -z "$block" ]; then
	fail "README OAuth2 tour" "no second command block under '### Gmail / Microsoft 365 with OAuth2'"
elif [ $have_dove = 1 ] && smtpd_available; then
	mkdir -p "$T/home" "$T/bin" "$T/readme"
	$NT --install "$T/bin" >/dev/null
	# oama's command line: "oama access ACCOUNT" prints a fresh access token.
	printf '#!/bin/sh\n[ "$1 $2" = "access test@example.org" ] && echo tok-readme\n' >"$T/bin/oama"
	chmod +x "$T/bin/oama"
	start_smtpd RP "$T/readme" --oauth2-tokens "$TOKENS" --auth-plain-ok
	dove_reset && dove_fill 2 1024 rd
	# Dovecot's user "test" logs in as test@example.org too (username_format=%n), and the
	# endpoint and smtpd.py know the token of test@example.org.
	(
		export HOME=$T/home PATH="$T/bin:$PATH" SMTP_SERVER="smtp://127.0.0.1:$RP"
		ME=test@example.org IMAP="imap://127.0.0.1:$DOVE_IMAP/INBOX"
		set -e
		eval "$block"
	) >"$T/readme.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && [ "$(mcount "$T/home/Maildir")" = 2 ] && [ "$(count "$T/readme")" -ge 1 ] &&
		pass "README OAuth2 tour: its commands work unchanged against the stand-in servers" ||
		fail "README OAuth2 tour" "rc=$rc $(tail -3 "$T/readme.out")"
fi
finish
