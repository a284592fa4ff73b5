#!/bin/bash
# ftp_fake.sh - listings vsftpd cannot produce, from a scripted server
# (fixtures/ftp_fake.py over pyftpdlib): a line that is not MLSD (mirror --delete must
# not delete), a million-entry listing (memory, entry cap), a folder tree without end
# (walk depth), a line over 8192 bytes (cut, not parsed as whole).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

if ! /usr/bin/python3 -c 'import pyftpdlib' 2>/dev/null; then
	skip "ftp fake server" "python3-pyftpdlib not installed (make deps)"
	finish
fi
ftp() { timeout 60 "$NT" ftp --no-tls "$@"; }
S=127.0.0.1
cd "$T" || exit 1

# --- a listing line that cannot be parsed: mirror --delete does nothing, says so
mkdir -p junk mj
printf 'one\n' >junk/f1.txt
printf 'old\n' >mj/old.txt
if fakeftpd_start J "$T/junk" junk; then
	P=$FAKEFTPD_PORT_J
	ftp -P "$P" mirror --delete $S: mj 2>junk.err
	rc=$?
	[ $rc = 1 ] && [ -f mj/old.txt ] && cmp -s mj/f1.txt junk/f1.txt && grep -q "cannot parse" junk.err &&
		grep -q -- "--delete not done" junk.err &&
		pass "mirror --delete with an unparsable listing line: fetches, deletes nothing, exit 1" ||
		fail "mirror --delete unparsable" "rc $rc: $(cat junk.err)"
else
	fail "fake ftp server (junk)" "did not start: $(cat "$T/fakeftpd-J.log")"
fi
finish
