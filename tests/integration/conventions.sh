#!/bin/bash
# SPDX-License-Identifier: MIT
# conventions.sh - one exit code per kind of failure in every applet (nettool(1)): a local
# file that can not be read is 6 whichever applet reads it (--password-file, put, post,
# an attachment). Servers: pyftpdlib (ftp put) and fixtures/nntp_fake.py (nntp); the mail
# applets refuse before they connect (nothing listens on their port).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"
here=$(cd "$(dirname "$0")" && pwd)
cd "$T" || exit 1
missing=$T/no-such-file
dead=$(free_port)

nport=$(free_port)
/usr/bin/python3 "$here/fixtures/nntp_fake.py" "$nport" >nntp.log 2>&1 &
npid=$!
cleanup "kill $npid; wait $npid 2>/dev/null"
wait_port "$nport" 127.0.0.1 10 || fail "fake nntp server" "did not start: $(cat nntp.log)"

six() { # NAME COMMAND...: exit 6 and the file named on stderr
	local name=$1 rc
	shift
	timeout 30 "$@" </dev/null >out 2>err
	rc=$?
	[ $rc = 6 ] && grep -q 'no-such-file' err && pass "$name: exit 6 naming the file" || fail "$name" "exit $rc: $(head -2 err)"
}
six "ftp --password-file unreadable" env -u NETTOOL_PASSWORD "$NT" ftp --no-tls -P "$dead" -u u --password-file "$missing" ls 127.0.0.1:
six "nntp --password-file unreadable" env -u NETTOOL_PASSWORD "$NT" nntp --no-tls -s "127.0.0.1:$nport" -u u --password-file "$missing" caps
six "mail-fetch --password-file unreadable" env -u NETTOOL_PASSWORD "$NT" mail-fetch --no-tls --password-file "$missing" list "imap://u@127.0.0.1:$dead/"
six "mail-send --password-file unreadable" env -u NETTOOL_PASSWORD "$NT" mail-send -S "smtp://127.0.0.1:$dead" -u u --password-file "$missing" -f a@example.org b@example.org
six "mail-send -a unreadable" "$NT" mail-send -S "smtp://127.0.0.1:$dead" -a "$missing" -f a@example.org b@example.org
six "nntp post of an unreadable file" "$NT" nntp --no-tls -s "127.0.0.1:$nport" post "$missing"
# A value or an option named in a usage error is not echoed with its control characters
# (an escape sequence typed or pasted would reach the terminal).
for a in "--max-clients 1\033]0;x\007" "--port 9\033[2J" "--idle-timeout 1\033[2J" "--max-partial 1\033[2J" "--x\033[2J"; do
	# shellcheck disable=SC2086 # the option and its value are two words
	set -- $(printf '%b' "$a")
	"$NT" tcp-serve "$@" >out 2>err; rc=$?
	[ $rc = 2 ] && ! grep -q "$(printf '\033')" err && pass "usage error for '${a%% *}' with a control character: exit 2, not echoed" ||
		fail "control character echoed (${a%% *})" "exit $rc: $(od -c err | head -3)"
done
mkdir -p pub
if pyftpd_start P "$T/pub"; then
	six "ftp put of an unreadable file" "$NT" ftp --no-tls -P "$PYFTPD_PORT_P" put "$missing" 127.0.0.1:x
else
	fail "pyftpdlib server" "did not start: $(cat "$T/pyftpd-P.log")"
fi
finish
