#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_walk.sh - walks that end (issue 13): a server whose folders repeat (links back up,
# a folder inside itself) is walked once per folder when MLSD gives the unique fact
# (RFC 3659 7.5.2), by mirror and copy -r; --deadline bounds the walk of a tree without
# end, not only the transfers (fixtures/ftp_fake.py, modes loop and wide).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

if ! /usr/bin/python3 -c 'import pyftpdlib' 2>/dev/null; then
	skip "ftp walks" "python3-pyftpdlib not installed (make deps)"
	finish
fi
ftp() { timeout 60 "$NT" ftp --no-tls "$@"; }
S=127.0.0.1
cd "$T" || exit 1

mkdir -p loop/a
printf 'f1\n' >loop/f.txt
printf 'g1\n' >loop/a/g.txt
if fakeftpd_start LOOP "$T/loop" loop; then
	P=$FAKEFTPD_PORT_LOOP
	t0=$(date +%s%N)
	ftp -P "$P" -v mirror $S: ml 2>ml.err
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	nl=$(grep -c '^> MLSD\|MLSD' ml.err)
	[ $rc = 0 ] && cmp -s ml/f.txt loop/f.txt && cmp -s ml/a/g.txt loop/a/g.txt && [ ! -e ml/a/up ] &&
		[ ! -e ml/a/again ] && [ "$(find ml -type d | wc -l)" = 2 ] &&
		pass "mirror of folders that repeat: each folder walked once (unique fact), both files fetched (${ms} ms)" ||
		fail "mirror loop" "rc $rc: $(find ml | head -5) $(grep -v '^[<>*]' ml.err | tail -3)"
	grep -q 'a/up: a folder walked already' ml.err && pass "the repeated folder is named in the log" ||
		fail "repeat message" "$(grep -i walked ml.err | head -2)"
	if ftpd_start B 2>/dev/null; then
		export NETTOOL_PASSWORD=$FTP_PASS HOME=$T/nohome
		timeout 60 "$NT" ftp --no-tls -q copy -r "ftp://$S:$P/" "ftp://$FTP_USER@$S:$FTPD_PORT_B/lc" 2>lc.err
		rc=$?
		[ $rc = 0 ] && cmp -s "$FTPD_HOME_B/lc/a/g.txt" loop/a/g.txt && [ ! -e "$FTPD_HOME_B/lc/a/up" ] &&
			pass "copy -r of folders that repeat: ends, copies each file once" || fail "copy -r loop" "rc $rc: $(cat lc.err)"
	else
		fail "vsftpd B" "did not start"
	fi
else
	fail "fake ftp server (loop)" "did not start: $(cat "$T/fakeftpd-LOOP.log")"
fi

# --- --deadline bounds the walk of a tree without end (200 folders in every folder);
# checked between listings: a listing under way ends first (bounded by --timeout)
mkdir -p wide
if fakeftpd_start WIDE "$T/wide" wide; then
	P=$FAKEFTPD_PORT_WIDE
	t0=$(date +%s)
	ftp -P "$P" --deadline 2 mirror $S: mw 2>mw.err
	rc=$?
	t=$(($(date +%s) - t0))
	[ $rc = 1 ] && [ $t -le 10 ] && grep -q "deadline reached while walking" mw.err &&
		pass "--deadline 2 stops the walk of an endless tree (${t}s, exit 1)" || fail "walk deadline" "rc $rc ${t}s: $(cat mw.err)"
else
	fail "fake ftp server (wide)" "did not start: $(cat "$T/fakeftpd-WIDE.log")"
fi
finish
