#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp.sh - nettool ftp against vsftpd on loopback: every single-file verb, target forms,
# password sources, TLS policy, active mode, refusals, a missing folder (pyftpdlib's 550).
# What the server received is
# read from vsftpd's protocol log.
# Batches: ftp_batch.sh. Trees, copy, pyftpdlib listings: ftp_tree.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

ftpd_script "ftp"
export NETTOOL_PASSWORD=$FTP_PASS HOME=$T/nohome
unset NETRC
# A bound on every client run: a hung transfer must fail the test, not hang it.
ftp() { timeout 30 "$NT" ftp "$@"; }
O=(--cacert "$CA" -u "$FTP_USER" -P "$P")
cmds() { grep -c "FTP command: Client \"127.0.0.1\", \"$1" "$LOG"; }

printf 'hello\n' >"$H/f.txt"
mkdir -p "$H/d" "$H/empty"
printf 'x\n' >"$H/d/x.gz"
printf 'yy\n' >"$H/d/y.gz"
printf 'z\n' >"$H/d/z.txt"
printf 'old\n' >"$H/old.txt"
touch -d '2020-01-02 03:04:05 UTC' "$H/old.txt"
printf 'anonymous data\n' >"$FTPD_ANON_A/pub.txt"
cd "$T" || exit 1
mkdir -p w && cd w || exit 1

# --- ls
testing "ls names" "timeout 30 \$NT ftp ${O[*]} ls $S:d | sort" "x.gz\ny.gz\nz.txt" "" ""
out=$(ftp "${O[@]}" ls -l $S: 2>&1)
echo "$out" | grep -Eq '^-rw-r--r-- +1 .* 6 [A-Z][a-z]{2} .* f\.txt$' && pass "ls -l (LIST line for f.txt)" || fail "ls -l" "$out"
testing "ls --json from LIST (vsftpd has no MLSD)" \
	"timeout 30 \$NT ftp ${O[*]} ls --json $S: | grep old.txt" \
	'{"name":"old.txt","type":"file","size":4,"mtime":1577923200,"perm":"rw-r--r--"}' "" ""
testing "ls --json folder entry" "timeout 30 \$NT ftp ${O[*]} ls --json $S: | grep '\"d\"' | sed 's/\"mtime\":[0-9]*/M/'" \
	'{"name":"d","type":"dir","size":4096,M,"perm":"rwxr-xr-x"}' "" ""

# --- get
check "get saves ./basename" ftp "${O[@]}" get $S:f.txt
cmp -s f.txt "$H/f.txt" && pass "get content" || fail "get content"
[ -z "$(ls -A | grep -v '^f.txt$')" ] && pass "get leaves no temporary file" || fail "get leaves files" "$(ls -A)"
testing "get -o - to stdout" "timeout 30 \$NT ftp ${O[*]} get $S:d/y.gz -o -" "yy" "" ""
check "get -o FILE" ftp "${O[@]}" get $S:d/x.gz -o renamed
cmp -s renamed "$H/d/x.gz" && pass "get -o content" || fail "get -o content"
expect_exit "get of a missing file: exit 1" 1 ftp "${O[@]}" get $S:nosuch.txt
[ ! -e nosuch.txt ] && [ -z "$(ls -A | grep nosuch)" ] && pass "failed get writes nothing" || fail "failed get wrote" "$(ls -A)"
check "get several to -O DIR" ftp "${O[@]}" get $S:f.txt $S:d/z.txt -O many
cmp -s many/f.txt "$H/f.txt" && cmp -s many/z.txt "$H/d/z.txt" && pass "get -O content" || fail "get -O content"
check "glob get" ftp "${O[@]}" get "$S:d/*.gz" -O glob
[ "$(ls glob | tr '\n' ' ')" = "x.gz y.gz " ] && cmp -s glob/y.gz "$H/d/y.gz" && pass "glob get fetched the matches only" ||
	fail "glob get" "$(ls glob)"
# --resume: a local partial file is continued with REST.
head -c 100000 /dev/urandom >"$H/big.bin"
head -c 30000 "$H/big.bin" >big.bin
n0=$(cmds "REST 30000")
check "get --resume" ftp "${O[@]}" get --resume $S:big.bin
cmp -s big.bin "$H/big.bin" && [ "$(cmds "REST 30000")" -gt "$n0" ] && pass "get --resume sent REST 30000 and completed the file" ||
	fail "get --resume" "$(cmds "REST 30000")"
# A local copy longer than the file on the server cannot be resumed: exit 1, said in words
# (was "transfer failed (libcurl code 36)" on libcurl's path), the local copy untouched;
# both paths (TLS: libcurl's; --no-tls: the own connection).
head -c 120000 /dev/urandom >long.ref
for how in tls no-tls; do
	cp long.ref big.bin
	[ $how = tls ] && x=() || x=(--no-tls)
	ftp "${O[@]}" "${x[@]}" get --resume $S:big.bin 2>long.err
	rc=$?
	[ $rc = 1 ] && cmp -s big.bin long.ref && grep -q "longer than the file on the server" long.err &&
		pass "get --resume of a local copy longer than the remote ($how): exit 1, said, untouched" ||
		fail "get --resume longer local ($how)" "rc $rc: $(cat long.err)"
done
# A failed fsync at the end of --resume is a failure (exit 6), never journaled as done
# (review finding 5). The shim makes fsync fail on files named *FAILSYNC*.
if cc -shared -fPIC -o "$T/failsync.so" "$FTP_FIXTURES/failsync.c" -ldl 2>/dev/null; then
	head -c 30000 "$H/big.bin" >FAILSYNC.bin
	LD_PRELOAD=$T/failsync.so ASAN_OPTIONS=verify_asan_link_order=0 timeout 30 "$NT" ftp "${O[@]}" \
		--journal fs.journal get --resume $S:big.bin -o FAILSYNC.bin 2>fs.err
	rc=$?
	[ $rc = 6 ] && grep -q 'sync.*FAILSYNC.*Input/output error' fs.err && ! grep -q '^done' fs.journal &&
		pass "get --resume: failed fsync is exit 6, not journaled" || fail "get --resume fsync failure" "rc $rc: $(cat fs.err; cat fs.journal)"
	rm -f FAILSYNC.bin fs.journal
	# A journal the run creates has its folder synced (review finding 14).
	mkdir -p jdir
	LD_PRELOAD=$T/failsync.so ASAN_OPTIONS=verify_asan_link_order=0 FSYNC_LOG=$T/fsync.log timeout 30 "$NT" ftp "${O[@]}" \
		-q --journal jdir/new.journal get $S:f.txt -o jf.txt
	rc=$?
	[ $rc = 0 ] && grep -qx "$(cd jdir && pwd -P)" "$T/fsync.log" && pass "a new --journal file: its folder was fsynced" ||
		fail "journal folder fsync" "rc $rc: $(cat "$T/fsync.log")"
else
	fail "fsync shim" "cc could not build fixtures/failsync.c"
fi

# --- target forms
check "URL form ftp://user@host:port/path" ftp --cacert "$CA" get "ftp://$FTP_USER@$S:$P/d/z.txt" -o url1
cmp -s url1 "$H/d/z.txt" && pass "URL get content" || fail "URL get content"
check "URL with absolute path (//)" ftp --cacert "$CA" get "ftp://$FTP_USER@$S:$P//d/x.gz" -o url2
cmp -s url2 "$H/d/x.gz" && pass "absolute URL content" || fail "absolute URL content"
check "scp form user@host:path" ftp --cacert "$CA" -P "$P" get "$FTP_USER@$S:f.txt" -o scp1
cmp -s scp1 "$H/f.txt" && pass "scp form content" || fail "scp form content"
check "scp form host:/abs" ftp "${O[@]}" get "$S:/d/z.txt" -o scp2
cmp -s scp2 "$H/d/z.txt" && pass "host:/abs content" || fail "host:/abs content"

# --- put
printf 'uploaded\n' >up.txt
check "put FILE host:path" ftp "${O[@]}" put up.txt $S:up-renamed.txt
cmp -s up.txt "$H/up-renamed.txt" && pass "put content" || fail "put content"
check "put into a folder" ftp "${O[@]}" put up.txt $S:d
cmp -s up.txt "$H/d/up.txt" && pass "put into folder content" || fail "put into folder"
check "put --create-dirs" ftp "${O[@]}" put --create-dirs up.txt $S:new/deep/er/up.txt
cmp -s up.txt "$H/new/deep/er/up.txt" && pass "put --create-dirs content" || fail "put --create-dirs"
expect_exit "put without --create-dirs into a missing folder: exit 1" 1 ftp "${O[@]}" put up.txt $S:nope/up.txt
check "put --atomic" ftp "${O[@]}" put --atomic up.txt $S:atomic.txt
cmp -s up.txt "$H/atomic.txt" && grep -q 'STOR \.atomic\.txt\.nettool-[0-9a-f]*\.part"' "$LOG" && grep -q 'RNTO atomic.txt' "$LOG" &&
	[ -z "$(ls -A "$H" | grep part)" ] && pass "put --atomic: STOR to a temporary name, RNFR/RNTO, nothing left" ||
	fail "put --atomic" "$(grep -E 'STOR|RNFR|RNTO' "$LOG" | tail -3)"
head -c 40000 "$H/big.bin" >"$H/partial.bin"
cp "$H/big.bin" full.bin
check "put --resume" ftp "${O[@]}" put --resume full.bin $S:partial.bin
cmp -s full.bin "$H/partial.bin" && grep -q '"APPE partial.bin"' "$LOG" && pass "put --resume appended (APPE) the rest" ||
	fail "put --resume" "$(cmp full.bin "$H/partial.bin")"
check "put several into a folder" ftp "${O[@]}" put up.txt full.bin $S:empty
cmp -s full.bin "$H/empty/full.bin" && cmp -s up.txt "$H/empty/up.txt" && pass "put several content" || fail "put several"

# Names with spaces, '%', '#', '?' and UTF-8 travel as they are.
printf 'odd\n' >odd.txt
check "put a name with space, %, #, ? and UTF-8" ftp "${O[@]}" put odd.txt "$S:dir with space/é 100%#?.txt" --create-dirs
[ "$(cat "$H/dir with space/é 100%#?.txt" 2>/dev/null)" = odd ] && pass "odd name stored as given" || fail "odd name" "$(ls "$H")"
testing "get it back" "timeout 30 \$NT ftp ${O[*]} get '$S:dir with space/é 100%#?.txt' -o -" "odd" "" ""

# --- the other verbs
check "mkdir" ftp "${O[@]}" mkdir $S:made
[ -d "$H/made" ] && pass "mkdir made it" || fail "mkdir made it"
expect_exit "mkdir of an existing folder: exit 1" 1 ftp "${O[@]}" mkdir $S:made
check "mkdir -p" ftp "${O[@]}" mkdir -p $S:made/a/b/c
[ -d "$H/made/a/b/c" ] && pass "mkdir -p made the chain" || fail "mkdir -p"
check "mkdir -p of an existing folder" ftp "${O[@]}" mkdir -p $S:made/a
check "rmdir" ftp "${O[@]}" rmdir $S:made/a/b/c
[ ! -e "$H/made/a/b/c" ] && [ -d "$H/made/a/b" ] && pass "rmdir removed it" || fail "rmdir"
expect_exit "rmdir of a non-empty folder: exit 1" 1 ftp "${O[@]}" rmdir $S:made
printf 'm\n' >"$H/tomove.txt"
check "mv" ftp "${O[@]}" mv $S:tomove.txt made/moved.txt
[ ! -e "$H/tomove.txt" ] && [ "$(cat "$H/made/moved.txt")" = m ] && pass "mv renamed it" || fail "mv"
check "rm" ftp "${O[@]}" rm $S:made/moved.txt
[ ! -e "$H/made/moved.txt" ] && pass "rm deleted it" || fail "rm"
expect_exit "rm of a missing file: exit 1" 1 ftp "${O[@]}" rm $S:made/moved.txt
testing "pwd" "timeout 30 \$NT ftp ${O[*]} pwd $S:" "/" "" ""
testing "size" "timeout 30 \$NT ftp ${O[*]} size $S:big.bin" "100000" "" ""
testing "mtime" "timeout 30 \$NT ftp ${O[*]} mtime $S:old.txt" "2020-01-02T03:04:05Z" "" ""
testing "size --json" "timeout 30 \$NT ftp ${O[*]} size --json $S:f.txt" '{"path":"f.txt","size":6}' "" ""
expect_exit "size of a folder: exit 1" 1 ftp "${O[@]}" size $S:d

# --- anonymous
testing "anonymous get (no user)" "timeout 30 \$NT ftp --cacert $CA -P $P get $S:pub.txt -o -" "anonymous data" "" ""
grep -q '"USER anonymous"' "$LOG" && pass "anonymous login sent USER anonymous" || fail "USER anonymous"
expect_exit "anonymous put refused (read-only): exit 1" 1 ftp --cacert "$CA" -P "$P" put up.txt $S:up.txt

# --- password sources
mkdir -p "$T/nrc"
printf 'machine 127.0.0.1 login %s password %s\n' "$FTP_USER" "$FTP_PASS" >"$T/nrc/.netrc"
chmod 600 "$T/nrc/.netrc"
testing "netrc gives user and password" \
	"HOME=$T/nrc NETTOOL_PASSWORD= timeout 30 \$NT ftp --cacert $CA -P $P get $S:f.txt -o -" "hello" "" ""
printf '%s\n' "$FTP_PASS" >"$T/pw"
testing "--password-file" "env -u NETTOOL_PASSWORD timeout 30 \$NT ftp --cacert $CA -u $FTP_USER --password-file $T/pw -P $P size $S:f.txt" "6" "" ""
expect_exit "wrong password: exit 4" 4 env NETTOOL_PASSWORD=wrong timeout 30 "$NT" ftp "${O[@]}" ls $S:
expect_exit "no password source and no terminal: exit 4" 4 env -u NETTOOL_PASSWORD setsid timeout 30 "$NT" ftp "${O[@]}" ls $S:

# --- TLS policy
n0=$(cmds "AUTH ")
expect_exit "TLS offered, CA unknown: refused with exit 4" 4 ftp -u "$FTP_USER" -P "$P" ls $S:
expect_exit "TLS verified with --cacert" 0 ftp "${O[@]}" ls $S:
[ "$(cmds "AUTH ")" -ge $((n0 + 2)) ] && grep -q '"PROT P"' "$LOG" && pass "default sends AUTH and PROT P" ||
	fail "AUTH TLS in log"
ftp -u "$FTP_USER" -P "$P" --insecure ls $S: >/dev/null 2>"$T/insecure.err"
[ $? = 0 ] && grep -q 'not verified' "$T/insecure.err" && pass "--insecure works and warns" || fail "--insecure" "$(cat "$T/insecure.err")"
expect_exit "--tls with --cacert" 0 ftp --tls "${O[@]}" size $S:f.txt
n0=$(cmds "AUTH")
expect_exit "--no-tls" 0 ftp --no-tls -u "$FTP_USER" -P "$P" size $S:f.txt
[ "$(cmds "AUTH")" = "$n0" ] && pass "--no-tls sends no AUTH" || fail "--no-tls sent AUTH"
expect_exit "--tls --no-tls: exit 2" 2 ftp --tls --no-tls -P "$P" ls $S:
if ftpd_start W "rsa_cert_file=$T/certs/other.crt" "rsa_private_key_file=$T/certs/other.key"; then
	expect_exit "certificate for another name refused: exit 4" 4 ftp --cacert "$CA" -u "$FTP_USER" -P "$FTPD_PORT_W" ls $S:
else
	fail "second vsftpd (other certificate)" "did not start"
fi
expect_exit "password in clear text to a non-loopback host refused" 4 ftp --no-tls -u "$FTP_USER" -P 9 ls 192.0.2.1: --timeout 2

# --- data connections
n0=$(cmds "EPRT")
testing "--active --no-tls" "timeout 30 \$NT ftp --active --no-tls -u $FTP_USER -P $P get $S:f.txt -o -" "hello" "" ""
[ "$(cmds "EPRT")" -gt "$n0" ] || [ "$(cmds "PORT")" -gt 0 ] && pass "--active used EPRT/PORT" || fail "--active used EPRT/PORT"
t0=$(date +%s)
expect_exit "--active with TLS refused at once (libcurl hangs there)" 2 ftp --active "${O[@]}" get $S:f.txt -o -
[ $(($(date +%s) - t0)) -lt 5 ] && pass "--active refusal is immediate" || fail "--active refusal took long"
testing "--passive (EPSV)" "timeout 30 \$NT ftp --passive ${O[*]} get $S:f.txt -o -" "hello" "" ""
# --ascii: count TYPE A around plain gets only (libcurl sends TYPE A for every listing;
# review finding 6: the old count over the whole log could not fail).
n0=$(cmds "TYPE A")
ftp "${O[@]}" get $S:f.txt -o bin.txt
n1=$(cmds "TYPE A")
ftp --ascii "${O[@]}" get $S:f.txt -o asc.txt
n2=$(cmds "TYPE A")
[ "$n1" = "$n0" ] && [ "$n2" -gt "$n1" ] && cmp -s asc.txt "$H/f.txt" && pass "--ascii get sends TYPE A, a plain get does not" ||
	fail "--ascii" "TYPE A counts $n0 $n1 $n2"

# --- implicit TLS (ftps://) and IPv6
if ftpd_start I "implicit_ssl=YES"; then
	printf 'implicit\n' >"$FTPD_HOME_I/i.txt"
	testing "ftps:// get" "timeout 30 \$NT ftp --cacert $CA get ftps://$FTP_USER@$S:$FTPD_PORT_I/i.txt -o -" "implicit" "" ""
	expect_exit "ftps:// without the CA: exit 4" 4 ftp get "ftps://$FTP_USER@$S:$FTPD_PORT_I/i.txt" -o -
else
	fail "implicit-TLS vsftpd" "did not start"
fi
if (exec 3<>/dev/tcp/::1/1) 2>/dev/null || ip -6 addr show lo 2>/dev/null | grep -q '::1'; then
	if FTPD_WAIT_HOST=::1 ftpd_start V6 listen=NO listen_ipv6=YES listen_address6=::1; then
		printf 'six\n' >"$FTPD_HOME_V6/six.txt"
		testing "IPv6: [::1]:path" "timeout 30 \$NT ftp --cacert $CA -u $FTP_USER -P $FTPD_PORT_V6 get '[::1]:six.txt' -o -" "six" "" ""
		testing "IPv6: ftp://[::1]:port/ URL, -6" "timeout 30 \$NT ftp -6 --cacert $CA get 'ftp://$FTP_USER@[::1]:$FTPD_PORT_V6/six.txt' -o -" "six" "" ""
		grep -q 'CONNECT: Client "::1"' "$FTPD_LOG_V6" && pass "IPv6 client address in the server log" || fail "IPv6 log"
	else
		fail "IPv6 vsftpd" "did not start on ::1"
	fi
else
	skip "IPv6" "no ::1 on this machine"
fi

# --- refusals and the trace
n0=$(grep -c CONNECT "$LOG")
expect_exit "CR/LF in a path: exit 2" 2 "$NT" ftp "${O[@]}" get "$S:f.txt
DELE f.txt"
expect_exit "CR in a path: exit 2" 2 "$NT" ftp "${O[@]}" rm "$S:f.txt$(printf '\r')"
[ "$(grep -c CONNECT "$LOG")" = "$n0" ] && [ -f "$H/f.txt" ] && pass "nothing was sent for a CR/LF path" || fail "CR/LF path reached the server"
expect_exit "get host:dir/ (no file name): exit 2" 2 ftp "${O[@]}" get "$S:d/"
expect_exit "get host:.. : exit 2" 2 ftp "${O[@]}" get "$S:.."
ftp -v "${O[@]}" size $S:f.txt >/dev/null 2>"$T/trace"
grep -q '^> PASS \*\*\*\*' "$T/trace" && ! grep -q "$FTP_PASS" "$T/trace" && grep -q '^> SIZE f.txt' "$T/trace" &&
	pass "-v traces the dialogue with the password masked" || fail "-v trace" "$(head -20 "$T/trace")"
expect_exit "unknown command: exit 2" 2 "$NT" ftp frobnicate $S:
expect_exit "no command: exit 2" 2 "$NT" ftp
expect_exit "connection refused: exit 3" 3 ftp --no-tls -P "$(free_port)" ls $S:
# --- a 550 "No such file or directory" on CWD (libcurl: access denied) is a missing folder
# (pyftpdlib says so; vsftpd's "Failed to change directory" does not tell): exit 1 as before
if /usr/bin/python3 -c 'import pyftpdlib' 2>/dev/null && mkdir -p "$T/py" && pyftpd_start PY "$T/py"; then
	printf 'data\n' | ftp --no-tls -P "$PYFTPD_PORT_PY" put - $S:up/site.tar >/dev/null 2>"$T/nsf.err"
	rc=$?
	[ $rc = 1 ] && grep -q 'put -: no such folder on the server (server: 550 No such file' "$T/nsf.err" &&
		grep -q -- '--create-dirs' "$T/nsf.err" && ! grep -q 'access denied' "$T/nsf.err" &&
		pass "put into a missing folder: no such folder on the server, hint --create-dirs, exit 1" ||
		fail "put into a missing folder" "rc $rc: $(cat "$T/nsf.err")"
	ftp --no-tls -P "$PYFTPD_PORT_PY" rm "$S:missing/*" >/dev/null 2>"$T/nsf.err"
	rc=$?
	[ $rc = 1 ] && grep -q 'no such folder on the server' "$T/nsf.err" && ! grep -q 'access denied\|create-dirs' "$T/nsf.err" &&
		pass "rm 'host:missing/*': no such folder on the server, exit 1" ||
		fail "rm in a missing folder" "rc $rc: $(cat "$T/nsf.err")"
else
	fail "pyftpdlib fixture" "did not start (python3-pyftpdlib missing?)"
fi
check "--help" "$NT" ftp --help
finish
