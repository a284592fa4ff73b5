#!/bin/bash
# SPDX-License-Identifier: MIT
# accounts.sh - credentials for every applet that logs in: --password-cmd (and what it
# refuses: a failing, silent or hanging command, a line with CR/LF), the accounts file
# (nettool-accounts(5)) with password-cmd in it, netrc for nntp, mail-send and mail-fetch,
# sendmail -t from cron with nothing but an accounts file, the envelope sender's
# defaults, the permission checks, and names resolved before any secret is asked for.
# Real servers: aiosmtpd, Dovecot, vsftpd, INN (each part skips when its server is missing).
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/fixtures/smtpd.sh"
. "$here/fixtures/dovecot.sh"
. "$here/fixtures/ftp_server.sh"
. "$here/fixtures/inn/inn.sh"
export SOURCE_DATE_EPOCH=1700000000 TZ=UTC
# A user of our own: no netrc, no accounts file, no password in the environment.
export HOME=$T/home XDG_CONFIG_HOME=$T/xdg
unset NETTOOL_PASSWORD NETRC EMAIL SMTP_SERVER NNTPSERVER
mkdir -p "$HOME" "$XDG_CONFIG_HOME/nettool" "$T/bin"
ACC=$XDG_CONFIG_HOME/nettool/accounts
# No controlling terminal (setsid): nothing can be asked for on a tty; a bound on each run.
run() { timeout 30 setsid -w "$NT" "$@"; }
msg() { printf 'From: %s\nTo: bob@example.org\nSubject: cron\n\nnightly report\n' "$1"; }
make_certs "$T/certs" || { fail "make_certs"; finish; }
CAF=$T/certs/ca.crt

# --- the command's refusals (no server is reached: the secret is asked for first) ---
U=(mail-fetch -u test list imap://127.0.0.1:9/INBOX)
expect_exit "--password-cmd that fails: exit 4" 4 run "${U[@]}" --password-cmd 'echo hunter2; exit 7'
grep -q -- "--password-cmd: the command failed (exit status 7)" "$T/check.out" && ! grep -q hunter2 "$T/check.out" &&
	pass "the failure is named, the output never shown" || fail "failure message" "$(cat "$T/check.out")"
expect_exit "--password-cmd that prints nothing: exit 4" 4 run "${U[@]}" --password-cmd 'true'
grep -q "printed nothing" "$T/check.out" && pass "'printed nothing' said" || fail "empty message" "$(cat "$T/check.out")"
expect_exit "--password-cmd that prints CR LF: exit 4" 4 run "${U[@]}" --password-cmd "printf 'hunter2\r\n'"
grep -q "control character" "$T/check.out" && ! grep -q hunter2 "$T/check.out" && pass "a CR in the password refused" ||
	fail "CR message" "$(cat "$T/check.out")"
start=$(date +%s)
expect_exit "--password-cmd that hangs: killed at --timeout, exit 4" 4 run "${U[@]}" --timeout 1 --password-cmd 'sleep 59.71 | cat'
[ $(($(date +%s) - start)) -lt 10 ] && grep -q "ran longer than the timeout (1.000 s): killed" "$T/check.out" &&
	pass "the timeout is named and kept" || fail "timeout" "$(cat "$T/check.out")"
sleep 0.2
! pgrep -f 'sleep 59[.]71' >/dev/null && pass "the hung command is gone (killed with its group)" || fail "sleep 59.71 still runs"
# The command never reads our standard input (mail-send's message is there).
printf 'from-stdin\n' | run "${U[@]}" --password-cmd 'cat' >/dev/null 2>"$T/e"
grep -q "printed nothing" "$T/e" && pass "the command's stdin is not ours" || fail "stdin" "$(cat "$T/e")"
expect_exit "--password-file and --password-cmd: exit 2" 2 run "${U[@]}" --password-cmd 'echo x' --password-file /dev/null

# --- names first: an unknown host is 3, never a missing password (4), with no tty ---
for a in "mail-fetch -u me list imap://nonexistent.invalid/" "mail-send -u me -S smtp://nonexistent.invalid -f a@example.org b@example.org" \
	"ftp -u me ls ftp://nonexistent.invalid/" "nntp -u me -s nonexistent.invalid group x"; do
	expect_exit "unknown host, no password, no tty: ${a%% *} exits 3" 3 eval "msg a@example.org | timeout 30 setsid -w \$NT $a"
done

# --- the accounts file: strict, and refused when others can read a password ---
printf '[a]\nurl = imap://127.0.0.1:9\nusr = me\n' >"$ACC"
expect_exit "an unknown key: exit 2" 2 run mail-fetch --account a list
grep -q "$ACC:3: unknown key 'usr'" "$T/check.out" && pass "the unknown key is named with file:line" ||
	fail "unknown key message" "$(cat "$T/check.out")"
printf '[a]\nurl = imap://127.0.0.1:9\nuser = me\npassword = hunter2\n' >"$ACC"
chmod 644 "$ACC"
expect_exit "a password in a file others can read: exit 4" 4 run mail-fetch --account a list
grep -q "$ACC holds a password and its group or others can read it" "$T/check.out" && pass "the file and the reason named" ||
	fail "world-readable message" "$(cat "$T/check.out")"
chmod 666 "$ACC"
expect_exit "a file others can write (it names commands): exit 4" 4 run mail-fetch --account a list
chmod 600 "$ACC"
expect_exit "--account with no such section: exit 2" 2 run mail-fetch --config "$ACC" --account nope list
printf '[work]\n[default]\n[home.imap]\n' >"$ACC"
comp=$(bash -c ". $here/../../completions/nettool.bash; COMP_WORDS=(mail-fetch --account ''); COMP_CWORD=2; NETTOOL_BIN=$NT _nettool; printf '%s\n' \"\${COMPREPLY[@]}\"" | sort | tr '\n' ' ')
[ "$comp" = "default home.imap work " ] && pass "completion of --account from the file's sections" || fail "--account completion" "$comp"
rm -f "$ACC"

# --- aiosmtpd: --password-cmd, netrc, sendmail -t with an accounts file ---
if smtpd_available; then
	start_smtpd P "$T/smtp" --cert "$T/certs/server.crt" --key "$T/certs/server.key" --user alice --password s3cret --auth-required || finish
	start_smtpd PP "$T/plain" || finish
	meta() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "${1%.eml}.json" "$2"; }
	msg me@example.org | run mail-send -S "smtp://127.0.0.1:$P" --cacert "$CAF" -u alice --password-cmd 'echo s3cret' -t >/dev/null 2>"$T/e"
	[ $? = 0 ] && [ "$(count "$T/smtp")" = 1 ] && pass "mail-send --password-cmd: AUTH with the command's line" ||
		fail "mail-send --password-cmd" "$(cat "$T/e")"
	printf 'machine 127.0.0.1 login alice password s3cret\n' >"$HOME/.netrc"
	msg me@example.org | run mail-send -S "smtp://127.0.0.1:$P" --cacert "$CAF" -t >/dev/null 2>"$T/e"
	[ $? = 0 ] && [ "$(count "$T/smtp")" = 2 ] && pass "mail-send: login and password from netrc (no -u)" ||
		fail "mail-send netrc" "$(cat "$T/e")"
	rm -f "$HOME/.netrc"
	# sendmail -t from cron: nothing on the command line, an accounts file in the config folder.
	ln -s "$NT" "$T/bin/sendmail"
	cat >"$ACC" <<ACCOUNTS
# the provider
[default]
url = smtp://127.0.0.1:$P
user = alice
from = alice@example.org
password-cmd = exit 1
cacert = $CAF
tls = on

[work]
url = smtp://127.0.0.1:$P
user = alice
from = work@example.com
password-cmd = printf '%s\n' s3cret
cacert = $CAF
ACCOUNTS
	chmod 600 "$ACC"
	msg work@example.com | timeout 30 setsid -w "$T/bin/sendmail" -t >"$T/o" 2>"$T/e"
	rc=$?
	got=$(last "$T/smtp")
	[ $rc = 0 ] && [ "$(meta "$got" 'd["from"]')" = work@example.com ] &&
		pass "sendmail -t: the account whose from is the From: field, envelope sender from it" ||
		fail "sendmail -t by From:" "rc=$rc $(cat "$T/e")"
	expect_exit "sendmail -t falls back to [default] (its password-cmd fails here): exit 4" 4 \
		eval "msg nobody@example.net | timeout 30 setsid -w $T/bin/sendmail -t"
	grep -q "account default: password-cmd: the command failed" "$T/check.out" &&
		pass "the account's key is named" || fail "account key message" "$(cat "$T/check.out")"
	sed -i 's/^password-cmd = exit 1$/password-cmd = echo s3cret/' "$ACC"
	printf 'To: bob@example.org\nSubject: cron\n\nno From\n' | timeout 30 setsid -w "$T/bin/sendmail" -t >/dev/null 2>"$T/e"
	rc=$?
	got=$(last "$T/smtp")
	[ $rc = 0 ] && [ "$(meta "$got" 'd["from"]')" = alice@example.org ] && grep -q '^From: alice@example.org' "$got" &&
		pass "sendmail -t with no From: [default], envelope sender and From: from the account" ||
		fail "sendmail -t [default]" "rc=$rc $(cat "$T/e")"
	# The README's cron line, as it is there.
	echo "Backup done." | timeout 30 setsid -w "$NT" mail-send -s backup admin@example.org >/dev/null 2>"$T/e"
	rc=$?
	got=$(last "$T/smtp")
	[ $rc = 0 ] && [ "$(meta "$got" 'd["from"]+" "+" ".join(d["rcpt"])')" = "alice@example.org admin@example.org" ] &&
		pass "mail-send -s with no option but the subject: all from [default]" || fail "mail-send [default]" "rc=$rc $(cat "$T/e")"
	rm -f "$ACC"
	# The envelope sender when nothing gives one: $EMAIL, then the user at /etc/mailname.
	printf 'hi\n' | EMAIL='Ann Example <ann@example.org>' run mail-send -S "smtp://127.0.0.1:$PP" b@example.org 2>"$T/e"
	[ "$(meta "$(last "$T/plain")" 'd["from"]')" = ann@example.org ] && pass "the envelope sender from \$EMAIL" ||
		fail "EMAIL" "$(cat "$T/e")"
	if have_test_build "sender from mailname"; then
		echo mail.example.net >"$T/mailname"
		printf 'hi\n' | NETTOOL_MAILNAME=$T/mailname timeout 30 "$NT_TEST" mail-send -S "smtp://127.0.0.1:$PP" b@example.org 2>"$T/e"
		[ "$(meta "$(last "$T/plain")" 'd["from"]')" = "$(id -un)@mail.example.net" ] &&
			pass "the envelope sender: the user at the mail name" || fail "mailname" "$(cat "$T/e")"
	fi
else
	skip "accounts: mail-send" "python3-aiosmtpd is not installed (scripts/deps.sh test)"
fi

# --- Dovecot: mail-fetch with --password-cmd, an account, netrc ---
if command -v dovecot >/dev/null && dove_start; then
	dove_fill 2 >/dev/null
	IMAP="imap://127.0.0.1:$DOVE_IMAP/INBOX"
	n=$(run mail-fetch --cacert "$DOVE_CA" -u test --password-cmd "echo $DOVE_PASS" list "$IMAP" 2>"$T/e" | wc -l)
	[ "$n" = 2 ] && pass "mail-fetch --password-cmd (Dovecot)" || fail "mail-fetch --password-cmd" "$n $(cat "$T/e")"
	printf '[mail]\nurl = pop3://test@127.0.0.1:%s\npassword-cmd = echo %s\ncacert = %s\n' "$DOVE_POP3" "$DOVE_PASS" "$DOVE_CA" >"$ACC"
	n=$(run mail-fetch --account mail list 2>"$T/e" | wc -l)
	[ "$n" = 2 ] && pass "mail-fetch --account NAME: no URL, no option besides" || fail "mail-fetch --account" "$n $(cat "$T/e")"
	run mail-fetch --account mail -q -o "$T/Mail" 2>"$T/e"
	[ "$(ls "$T/Mail/new" | wc -l)" = 2 ] && pass "mail-fetch --account NAME -o DIR (the README's line)" ||
		fail "mail-fetch --account -o" "$(cat "$T/e")"
	cp "$ACC" "$T/elsewhere"
	rm -f "$ACC"
	n=$(run mail-fetch --config "$T/elsewhere" --account mail list 2>"$T/e" | wc -l)
	[ "$n" = 2 ] && pass "--config FILE" || fail "--config" "$n $(cat "$T/e")"
	printf 'machine 127.0.0.1 login test password %s\n' "$DOVE_PASS" >"$HOME/.netrc"
	n=$(run mail-fetch --cacert "$DOVE_CA" list "$IMAP" 2>"$T/e" | wc -l)
	[ "$n" = 2 ] && pass "mail-fetch: login and password from netrc (no user anywhere else)" || fail "mail-fetch netrc" "$n $(cat "$T/e")"
	rm -f "$HOME/.netrc"
else
	skip "accounts: mail-fetch" "dovecot is missing or did not start"
fi

# --- vsftpd: ftp with --password-cmd and an account ---
if command -v vsftpd >/dev/null && command -v unshare >/dev/null && ftpd_start A; then
	printf 'hello\n' >"$FTPD_HOME_A/f.txt"
	out=$(run ftp --cacert "$CAF" -u "$FTP_USER" --password-cmd "echo $FTP_PASS" -P "$FTPD_PORT_A" get 127.0.0.1:f.txt -o - 2>"$T/e")
	[ "$out" = hello ] && pass "ftp --password-cmd (vsftpd)" || fail "ftp --password-cmd" "$(cat "$T/e")"
	printf '[ftp]\nuser = %s\npassword-cmd = echo %s\ncacert = %s\n' "$FTP_USER" "$FTP_PASS" "$CAF" >"$ACC"
	out=$(run ftp --account ftp -P "$FTPD_PORT_A" get 127.0.0.1:f.txt -o - 2>"$T/e")
	[ "$out" = hello ] && pass "ftp --account NAME (user and password-cmd from it)" || fail "ftp --account" "$(cat "$T/e")"
	rm -f "$ACC"
else
	skip "accounts: ftp" "vsftpd or unshare is missing, or vsftpd did not start"
fi

# --- INN: nntp with --password-cmd, an account, netrc ---
if inn_start test.acc; then
	ICA=$INN_DIR/certs/ca.crt
	post() { printf 'From: T <t@example.com>\nNewsgroups: test.acc\nSubject: %s\n\nbody\n' "$1"; }
	id=$(post cmd | run nntp -s "127.0.0.1:$INN_READ" --cacert "$ICA" -u test --password-cmd 'echo secret' post 2>"$T/e")
	[ -n "$id" ] && pass "nntp --password-cmd (INN, AUTHINFO)" || fail "nntp --password-cmd" "$(cat "$T/e")"
	printf '[news]\nurl = nntp://127.0.0.1:%s\nuser = test\npassword-cmd = echo secret\ncacert = %s\n' "$INN_READ" "$ICA" >"$ACC"
	id=$(post acc | run nntp --account news post 2>"$T/e")
	[ -n "$id" ] && pass "nntp --account NAME (server, user, password-cmd)" || fail "nntp --account" "$(cat "$T/e")"
	rm -f "$ACC"
	printf 'machine 127.0.0.1 login test password secret\n' >"$HOME/.netrc"
	id=$(post netrc | run nntp -s "127.0.0.1:$INN_READ" --cacert "$ICA" post 2>"$T/e")
	[ -n "$id" ] && pass "nntp: login and password from netrc (no -u)" || fail "nntp netrc" "$(cat "$T/e")"
	rm -f "$HOME/.netrc"
else
	skip "accounts: nntp" "$INN_WHY"
fi
# A root-only /etc/nettool/accounts (passwords for cron and daemons) is no file for
# another user who named no account: not "Permission denied", exit 6, for every command.
# (A private mount namespace with a copy of /etc; nothing on the machine changes.)
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v setpriv >/dev/null; then
	mkdir -p "$T/etc.copy" && cp -a /etc/. "$T/etc.copy/" 2>/dev/null
	mkdir -p "$T/etc.copy/nettool"
	printf '[default]\nurl = smtp://127.0.0.1:1\npassword = rootonly\n' >"$T/etc.copy/nettool/accounts"
	chmod 600 "$T/etc.copy/nettool/accounts"
	chmod 755 "$T"
	unshare -m sh -c "mount --bind '$T/etc.copy' /etc && HOME=/nonexistent XDG_CONFIG_HOME= setpriv --reuid=65534 --regid=65534 --clear-groups \
		'$NT' nntp -q -s 127.0.0.1:1 --timeout 2 list" >/dev/null 2>"$T/eacces.err"
	rc=$?
	[ $rc = 3 ] && ! grep -q 'Permission denied' "$T/eacces.err" &&
		pass "a root-only /etc/nettool/accounts is no file for another user: the command goes on (exit 3: nothing listens)" ||
		fail "system accounts file not readable" "rc $rc: $(cat "$T/eacces.err")"
else
	skip "accounts: root-only system file" "needs root, unshare and setpriv"
fi
finish
