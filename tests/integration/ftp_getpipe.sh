#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_getpipe.sh - the batch get of plain FTP on our own control connections
# (applets/ftp/getpipe.c): content and counts against vsftpd (several folders, a missing
# file and folder, the journal, --json), and the hazards of the own path against the fake
# server (fixtures/ftp_fake.py): a 226 before the data's end, a 425 and a 550 mid-batch, a
# data connection that never comes, replies split across reads, a server without EPSV.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

ftpd_script "ftp getpipe"
export NETTOOL_PASSWORD=$FTP_PASS HOME=$T/nohome
O=(--no-tls -u "$FTP_USER" -P "$P" -q)
cd "$T" || exit 1
cmds() { grep -c "FTP command: Client \"127.0.0.1\", \"$1" "$LOG"; }

mkdir -p "$H/d/a" "$H/d/b/c"
for i in $(seq 1 120); do
	printf 'a%03d %s\n' "$i" "$(head -c $((i * 13)) /dev/zero | tr '\0' y)" >"$H/d/a/f$i.txt"
	printf 'b%03d\n' "$i" >"$H/d/b/c/g$i.txt"
done
: >"$H/d/a/empty.txt"
head -c 300000 /dev/urandom >"$H/d/a/big.bin"
(cd "$H/d" && ls a/* b/c/*) >list.txt
same_tree() { # dir: every listed file present with the server's content
	local f bad=0
	while read -r f; do cmp -s "$1/$f" "$H/d/$f" || bad=$((bad + 1)); done <list.txt
	[ $bad = 0 ]
}

r0=$(cmds RETR) e0=$(cmds EPSV)
timeout 60 "$NT" ftp "${O[@]}" --parallel 8 get --from-file list.txt $S:d -O out1 2>err1
rc=$?
n=$(wc -l <list.txt)
[ $rc = 0 ] && same_tree out1 && pass "get --parallel 8 --no-tls: $n files in two folders, right content" ||
	fail "get over own connections" "rc $rc: $(head -3 err1)"
r1=$(($(cmds RETR) - r0)) e1=$(($(cmds EPSV) - e0))
[ "$r1" = "$n" ] && [ "$e1" -ge "$n" ] && [ "$e1" -le $((n + 16)) ] && pass "one RETR per file, EPSV at most two more per connection (folder change, end) ($e1)" ||
	fail "commands per file" "RETR $r1 EPSV $e1 for $n"
[ -z "$(find out1 -name '.*')" ] && pass "no temporaries left" || fail "temporaries left" "$(find out1 -name '.*' | head -3)"

finish
