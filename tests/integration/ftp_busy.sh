#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_busy.sh - a server that allows fewer connections than --parallel (vsftpd's
# max_per_ip): the connections it refuses (421 at the greeting) give their items back to
# the queue and the run goes on with the ones it allows (applets/ftp/busy.c): get, put,
# the streamed copy and FXP, 300 files with --parallel 4 against servers allowing 2, all
# done, exit 0, the bytes compared; a server that refuses every connection still fails the
# items (exit 3, the 421 named); a copy whose own download is refused goes on with
# libcurl's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

ftpd_pair_script "ftp busy"
LIM=(max_per_ip=2)
ftpd_at A 127.0.0.2 "${LIM[@]}" && ftpd_at B 127.0.0.3 "${LIM[@]}" &&
	ftpd_at C 127.0.0.2 "${LIM[@]}" "${FTPD_PROMISCUOUS[@]}" && ftpd_at D 127.0.0.3 "${LIM[@]}" "${FTPD_PROMISCUOUS[@]}" &&
	ftpd_at E 127.0.0.2 max_per_ip=1 ||
	{ fail "ftp fixture" "vsftpd did not start"; finish; }
export NETTOOL_PASSWORD=$FTP_PASS HOME=$T/nohome
cd "$T" || exit 1
O=(-u "$FTP_USER" --no-tls --progress none)
U="ftp://$FTP_USER@"
A=${U}127.0.0.2:$FTPD_PORT_A B=${U}127.0.0.3:$FTPD_PORT_B C=${U}127.0.0.2:$FTPD_PORT_C D=${U}127.0.0.3:$FTPD_PORT_D

mkdir -p "$FTPD_HOME_A/m1" "$FTPD_HOME_C/m1" up/m1
for i in $(seq 1 300); do
	printf 'f%03d %s\n' "$i" "$(head -c $((i * 7)) /dev/zero | tr '\0' z)" >"up/m1/f$i.dat"
	echo "f$i.dat"
done >glist.txt
cp up/m1/* "$FTPD_HOME_A/m1/"
cp up/m1/* "$FTPD_HOME_C/m1/"
same() { # dir: the 300 files, the bytes of up/m1
	local f bad=0
	while read -r f; do cmp -s "$1/$f" "up/m1/$f" || bad=$((bad + 1)); done <glist.txt
	[ $bad = 0 ]
}
ok() { # name rc err dir: exit 0, 300 done, the bytes, the warning at most once (none when the
	# timing let no connection meet the limit: seen under ASan, the greeting asked again in time)
	[ "$2" = 0 ] && grep -q ": 300 done, 0 failed" "$3" && same "$4" && [ "$(grep -c 'went on with [1-3]$' "$3")" -le 1 ] &&
		! grep -v "went on with" "$3" | grep -q 421 && pass "$1: 300 files through the 2 connections the server allows, exit 0" ||
		fail "$1" "rc $2: $(grep -v "went on with" "$3" | tail -4) $(grep -c 421 "$3") 421s"
}

timeout 120 "$NT" ftp "${O[@]}" --parallel 4 get --from-file glist.txt "$A/m1" -O dget 2>get.err
ok "get --parallel 4, max_per_ip=2" $? get.err dget
# libcurl's path (--limit-rate: the own connections do not pace).
timeout 120 "$NT" ftp "${O[@]}" --parallel 4 --limit-rate 100M get --from-file glist.txt "$A/m1" -O dgetc 2>getc.err
ok "get on libcurl's path --parallel 4, max_per_ip=2" $? getc.err dgetc

(cd up/m1 && timeout 120 "$NT" ftp "${O[@]}" --parallel 4 --create-dirs put --from-file ../../glist.txt "$B/p1" 2>../../put.err)
ok "put --parallel 4, max_per_ip=2" $? put.err "$FTPD_HOME_B/p1"

timeout 120 "$NT" ftp "${O[@]}" --parallel 4 --create-dirs copy --from-file glist.txt "$A/m1" "$B/c1" 2>copy.err
ok "copy (streamed) --parallel 4, both servers max_per_ip=2" $? copy.err "$FTPD_HOME_B/c1"

timeout 120 "$NT" ftp "${O[@]}" --parallel 4 --create-dirs --fxp copy --from-file glist.txt "$C/m1" "$D/x1" 2>fxp.err
ok "copy --fxp --parallel 4, both servers max_per_ip=2" $? fxp.err "$FTPD_HOME_D/x1"

# Every connection refused: the items fail as before (exit 3, the 421 named, no warning).
mkdir -p fk
printf 'x\n' >fk/f1.bin
printf 'y\n' >fk/f2.bin
fakeftpd_start ALL "$T/fk" "raw:busy=all" || fail "fake server busy=all" "did not start"
printf '%s\n' f1.bin f2.bin >flist.txt
timeout 60 "$NT" ftp --no-tls --progress none -P "$FAKEFTPD_PORT_ALL" --timeout 5 --parallel 3 get --from-file flist.txt 127.0.0.1: \
	-O dall 2>all.err
rc=$?
[ $rc = 3 ] && grep -q "the server refused or closed the connection (421" all.err && ! grep -q "went on" all.err &&
	[ ! -e dall/f1.bin ] && pass "every connection refused: exit 3, the 421 named" || fail "every connection refused" "rc $rc: $(cat all.err)"

# A copy whose source allows one connection (libcurl's, which walked the tree): the own
# download's connection (copy.c own_src_start) is refused, asked again, then libcurl's
# downloads carry the run (engine.c eng_own_off): every file whole, exit 0.
mkdir -p "$FTPD_HOME_E/t" && for i in 1 2 3; do head -c 200000 /dev/urandom >"$FTPD_HOME_E/t/f$i"; done
timeout 60 "$NT" ftp "${O[@]}" --parallel 1 copy -r "${U}127.0.0.2:$FTPD_PORT_E/t" "$B/e1" 2>e1.err
rc=$?
n=$(grep -c 'too many sessions for this address' "$FTPD_LOG_E")
bad=0
for i in 1 2 3; do cmp -s "$FTPD_HOME_E/t/f$i" "$FTPD_HOME_B/e1/f$i" || bad=$((bad + 1)); done
[ $rc = 0 ] && [ $bad = 0 ] && [ "$n" -ge 1 ] &&
	pass "copy from a source allowing one connection: the own download refused ($n), libcurl's carries the files, exit 0" ||
	fail "copy, own download refused" "rc $rc, $bad files differ, $n refusals: $(tail -3 e1.err)"

finish
