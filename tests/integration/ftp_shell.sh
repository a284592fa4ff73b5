#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_shell.sh - what ftp users type first, against vsftpd on loopback: the shell
# (`ftp HOST <<EOF` scripts, -n then user, user anonymous without a password, a failed verb sets the exit status, quote with
# a CR refused), put from a pipe compared byte for byte, -c, get -r, globs in folder
# parts (get, rm, ls), get --move, and --json results parsed by python3's json module.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

ftpd_script "ftp shell"
export NETTOOL_PASSWORD=$FTP_PASS HOME=$T/nohome
unset NETRC
ftp() { timeout 60 "$NT" ftp "$@"; }
O=(--cacert "$CA" -u "$FTP_USER" -P "$P")
sent() { grep -c "FTP command: Client \"127.0.0.1\", \"$1\"" "$LOG"; }

mkdir -p "$H/d" "$H/logs/a" "$H/logs/b" "$H/logs/c" "$H/tree/sub"
printf 'x\n' >"$H/d/x.gz"
printf 'yy\n' >"$H/d/y.gz"
printf 'app a\n' >"$H/logs/a/app.log"
printf 'app b\n' >"$H/logs/b/app.log"
printf 'other\n' >"$H/logs/c/other.log"
printf 't1\n' >"$H/tree/t1.txt"
printf 't2\n' >"$H/tree/sub/t2.txt"
cd "$T" || exit 1
mkdir -p w && cd w || exit 1
printf 'uploaded\n' >up.txt

# --- a here-document session: the classic verbs, in a folder, names as typed
ftp "${O[@]}" shell $S <<EOF >s1.out 2>s1.err
cd d
pwd
ls
get x.gz
get "y.gz" "local y.gz"
put up.txt
mkdir newdir
rename up.txt newdir/up2.txt
size x.gz
quote SYST
delete y.gz
cd ..
rmdir empty-not-there
bye
EOF
rc=$?
[ $rc = 1 ] && cmp -s x.gz "$H/d/x.gz" && cmp -s "local y.gz" <(printf 'yy\n') && cmp -s up.txt "$H/d/newdir/up2.txt" &&
	[ ! -e "$H/d/y.gz" ] && grep -qx "/d" s1.out && grep -qx 'x.gz' s1.out && grep -qx '2' s1.out &&
	grep -q '^215 ' s1.out && grep -q 'rmdir empty-not-there' s1.err &&
	[ "$(sent "MKD newdir")" -ge 1 ] && [ "$(sent "DELE y.gz")" -ge 1 ] &&
	pass "shell here-document: cd, pwd, ls, get, put, mkdir, rename, size, quote, delete; a failed rmdir is exit 1" ||
	fail "shell here-document" "rc $rc: $(cat s1.out s1.err)"

# --- ftp HOST with no command is the shell; every verb fine: exit 0
printf 'ls d\nbye\n' | ftp --cacert "$CA" -u "$FTP_USER" $S "$P" >s2.out 2>s2.err
rc=$?
[ $rc = 0 ] && grep -qx 'x.gz' s2.out && pass "ftp HOST PORT with no command: the shell, exit 0" ||
	fail "ftp HOST" "rc $rc: $(cat s2.out s2.err)"

# --- a lone target (URL or HOST:PATH) with no command is the shell too, in that folder
printf 'ls\nbye\n' | ftp --cacert "$CA" -u "$FTP_USER" "ftp://$S:$P/logs" >s3.out 2>s3.err
rc=$?
[ $rc = 0 ] && grep -qx 'a' s3.out && grep -qx 'c' s3.out && pass "ftp URL with no command: the shell in the URL's folder" ||
	fail "ftp URL with no command" "rc $rc: $(cat s3.out s3.err)"
printf 'pwd\nls\nbye\n' | ftp "${O[@]}" "$S:logs/a" >s3.out 2>s3.err
rc=$?
[ $rc = 0 ] && grep -qx 'app.log' s3.out && pass "ftp HOST:PATH with no command: the shell in that folder" ||
	fail "ftp HOST:PATH with no command" "rc $rc: $(cat s3.out s3.err)"
expect_exit "a URL then a word is no command: exit 2" 2 ftp "${O[@]}" "ftp://$S:$P/logs" ls

# --- -n: no login until user; user NAME PASSWORD on the line, and user NAME alone
# (the password from NETTOOL_PASSWORD); a verb before user fails.
printf 'ls d\nuser %s %s\nls d\n' "$FTP_USER" "$FTP_PASS" | NETTOOL_PASSWORD= ftp --cacert "$CA" -n -P "$P" shell $S >n1.out 2>n1.err
rc=$?
[ $rc = 2 ] && grep -q 'not logged in' n1.err && grep -qx 'x.gz' n1.out &&
	pass "-n: verbs before user fail (exit 2), user NAME PASSWORD logs in" || fail "-n with user NAME PASS" "rc $rc: $(cat n1.out n1.err)"
printf 'user %s\nls d\n' "$FTP_USER" | ftp --cacert "$CA" -n -P "$P" shell $S >n2.out 2>n2.err
rc=$?
[ $rc = 0 ] && grep -qx 'x.gz' n2.out && ! grep -q "$FTP_PASS" n2.out n2.err &&
	pass "-n then user NAME: the password from the usual sources" || fail "-n with user NAME" "rc $rc: $(cat n2.out n2.err)"
printf 'user %s wrong-password\nls\n' "$FTP_USER" | NETTOOL_PASSWORD= ftp --cacert "$CA" -n -P "$P" shell $S >n3.out 2>n3.err
rc=$?
[ $rc = 4 ] && pass "a refused login in the shell ends it with exit 4" || fail "shell bad login" "rc $rc: $(cat n3.err)"

# --- quote refuses CR/LF inside a line: nothing is sent
printf 'x\n' >"$H/keep.txt"
n0=$(grep -c 'DELE keep' "$LOG")
printf 'quote NOOP\rDELE keep.txt\n' | ftp "${O[@]}" shell $S >q.out 2>q.err
rc=$?
[ $rc = 2 ] && [ -f "$H/keep.txt" ] && [ "$(grep -c 'DELE keep' "$LOG")" = "$n0" ] && grep -q 'control character' q.err &&
	pass "shell: a CR inside a line is refused, nothing sent" || fail "shell CR" "rc $rc: $(cat q.err)"

# --- FTPS uploads over TLS 1.3 arrive whole: the server's session tickets, unread on the
# data connection, made the close a reset that dropped the upload's end (vsftpd: 426 for
# 6-14 of these 24 files of 200-320 KB before); core/xfer.c closes data connections lingering
mkdir tls13
for i in $(seq 24); do head -c $((200000 + i * 5000)) /dev/urandom >tls13/f$i.bin; done
ftp "${O[@]}" --parallel 4 --create-dirs put tls13/* $S:tls13/ 2>tls13.err
rc=$? bad=0
for i in $(seq 24); do cmp -s tls13/f$i.bin "$H/tls13/f$i.bin" || bad=$((bad + 1)); done
[ $rc = 0 ] && [ $bad = 0 ] && pass "put over TLS 1.3: 24 files of 200-320 KB, 4 at a time, all whole" ||
	fail "FTPS uploads lost their end" "rc $rc, $bad of 24 not whole: $(head -2 tls13.err)"
rm -rf "$H/tls13"

# --- -o names a FIFO (or a device: -o /dev/null): written in place, never replaced by a
# file (a rename onto it, as root, replaced /dev/null with a regular file)
head -c 70000 /dev/urandom >"$H/tofifo.bin"
mkfifo out.fifo
timeout 20 cat out.fifo >fifo.got &
reader=$!
ftp "${O[@]}" get $S:tofifo.bin -o out.fifo 2>fifo.err
rc=$?
wait $reader
[ $rc = 0 ] && [ -p out.fifo ] && cmp -s "$H/tofifo.bin" fifo.got && pass "get -o FIFO: written through the FIFO, the FIFO kept" ||
	fail "get -o FIFO" "rc $rc, fifo kept: $([ -p out.fifo ] && echo yes || echo no): $(cat fifo.err)"

# --- put from standard input, byte for byte; -o - back
head -c 1000000 /dev/urandom >piped.src
ftp "${O[@]}" put - $S:piped.bin <piped.src 2>put.err
rc=$?
[ $rc = 0 ] && cmp -s piped.src "$H/piped.bin" && pass "put - host:path: a pipe uploaded byte for byte" ||
	fail "put from stdin" "rc $rc: $(cat put.err)"
cat piped.src | ftp "${O[@]}" put --atomic - $S:piped2.bin 2>put2.err
cmp -s piped.src "$H/piped2.bin" && pass "put --atomic - from a pipe" || fail "put --atomic -" "$(cat put2.err)"
expect_exit "put - into a folder: exit 2" 2 ftp "${O[@]}" put - $S:d/

# --- -c is --resume
head -c 100000 /dev/urandom >"$H/big.bin"
head -c 30000 "$H/big.bin" >big.bin
ftp "${O[@]}" get -c $S:big.bin 2>c.err
rc=$?
[ $rc = 0 ] && cmp -s big.bin "$H/big.bin" && [ "$(sent "REST 30000")" -ge 1 ] && pass "get -c continues with REST" ||
	fail "get -c" "rc $rc: $(cat c.err)"

# --- globs in folder parts: get keeps the path below the literal part; ls shows the paths
ftp "${O[@]}" get "$S:logs/*/app.log" -O g1 2>g1.err
rc=$?
[ $rc = 0 ] && cmp -s g1/a/app.log "$H/logs/a/app.log" && cmp -s g1/b/app.log "$H/logs/b/app.log" && [ ! -e g1/c ] &&
	pass "get host:logs/*/app.log: both files, in a/ and b/" || fail "glob in a folder part" "rc $rc: $(find g1) $(cat g1.err)"
out=$(ftp "${O[@]}" ls "$S:logs/*/*.log" 2>&1 | tr '\n' ' ')
[ "$out" = "logs/a/app.log logs/b/app.log logs/c/other.log " ] && pass "ls with globs in folder parts" || fail "ls glob" "$out"
cp "$H/d/x.gz" "$H/logs/a/del.tmp"
cp "$H/d/x.gz" "$H/logs/b/del.tmp"
ftp "${O[@]}" rm "$S:logs/*/*.tmp" 2>rm.err
rc=$?
[ $rc = 0 ] && [ ! -e "$H/logs/a/del.tmp" ] && [ ! -e "$H/logs/b/del.tmp" ] && [ -f "$H/logs/a/app.log" ] &&
	[ "$(sent "DELE \*.tmp")" = 0 ] && pass "rm with a glob deletes the matches (the pattern never sent as a name)" ||
	fail "rm glob" "rc $rc: $(cat rm.err)"
expect_exit "rm of a glob that matches nothing: exit 1" 1 ftp "${O[@]}" rm "$S:logs/*/nothing.*"

# --- get -r: a tree on the mirror engine; a folder without -r says what to use
ftp "${O[@]}" get -r $S:tree -O r1 2>r1.err
rc=$?
[ $rc = 0 ] && cmp -s r1/tree/t1.txt "$H/tree/t1.txt" && cmp -s r1/tree/sub/t2.txt "$H/tree/sub/t2.txt" &&
	pass "get -r host:tree" || fail "get -r" "rc $rc: $(cat r1.err)"
ftp "${O[@]}" get $S:tree 2>r2.err
rc=$?
[ $rc = 1 ] && grep -q 'is a folder: get -r' r2.err && pass "get of a folder without -r: exit 1, names get -r" ||
	fail "get folder hint" "rc $rc: $(cat r2.err)"

# --- get --move: the source goes once the local copy is safe; refused to standard output
printf 'move me\n' >"$H/mv1.txt"
printf 'move me too\n' >"$H/mv2.txt"
ftp "${O[@]}" get --move $S:mv1.txt $S:mv2.txt -O mv 2>mv.err
rc=$?
[ $rc = 0 ] && [ "$(cat mv/mv1.txt)" = "move me" ] && [ -f mv/mv2.txt ] && [ ! -e "$H/mv1.txt" ] && [ ! -e "$H/mv2.txt" ] &&
	pass "get --move: copied, then the sources deleted" || fail "get --move" "rc $rc: $(cat mv.err)"
printf 'stay\n' >"$H/stay.txt"
ftp "${O[@]}" get --move $S:stay.txt -o - >/dev/null 2>mv2.err
rc=$?
[ $rc = 2 ] && [ -f "$H/stay.txt" ] && grep -q 'standard output' mv2.err && pass "get --move -o -: refused, source kept" ||
	fail "get --move to stdout" "rc $rc: $(cat mv2.err)"
expect_exit "--move with ls: exit 2" 2 ftp "${O[@]}" --move ls $S:
# A rerun after a crash between the copy and the deletion: the journal vouches for the
# copy, so the source goes; a file skipped by --only-newer is never deleted.
printf 'journaled\n' >"$H/mv3.txt"
ftp "${O[@]}" --journal mv.j get $S:mv3.txt -O mvj 2>/dev/null
ftp "${O[@]}" --journal mv.j get --move $S:mv3.txt -O mvj 2>mv3.err
rc=$?
[ $rc = 0 ] && [ ! -e "$H/mv3.txt" ] && [ -f mvj/mv3.txt ] && pass "get --move: a source done before (journal) is deleted on the rerun" ||
	fail "get --move with the journal" "rc $rc: $(cat mv3.err)"
# ... but not when its local copy is gone since (deleted by hand between the runs): the
# source is kept and the warning says why.
printf 'journaled too\n' >"$H/mv4.txt"
ftp "${O[@]}" --journal mv4.j get $S:mv4.txt -O mvj 2>/dev/null
rm -f mvj/mv4.txt
ftp "${O[@]}" --journal mv4.j get --move $S:mv4.txt -O mvj 2>mv4.err
[ -f "$H/mv4.txt" ] && grep -q "get --move: mv4.txt kept on the server: its local copy mvj/mv4.txt, done by an earlier run of the journal, is not there any more" mv4.err &&
	pass "get --move: a source done before whose local copy is gone is kept, said" ||
	fail "get --move, local copy gone" "$(cat mv4.err); $(ls "$H")"
printf 'newer\n' >"$H/tree/t1.txt"
mkdir -p on/tree && cp "$H/tree/t1.txt" on/tree/t1.txt && touch -d '2099-01-01' on/tree/t1.txt
ftp "${O[@]}" --json --only-newer get -r --move $S:tree -O on >on.out 2>on.err
[ -f "$H/tree/t1.txt" ] && [ ! -e "$H/tree/sub/t2.txt" ] &&
	python3 -c 'import json,sys; o={x["source"]: x for x in map(json.loads, open(sys.argv[1])) if x["command"] == "get"}; assert o["tree/t1.txt"]["status"] == "skipped" and o["tree/sub/t2.txt"]["status"] == "done", o' on.out &&
	pass "get -r --move --only-newer: the skipped file stays, the fetched one goes; --json says skipped" ||
	fail "get -r --move --only-newer" "$(cat on.out on.err)"
mkdir -p "$H/tree/sub" && printf 't2\n' >"$H/tree/sub/t2.txt"

# --- --json: one object per file, parsed by python3's json module
ftp "${O[@]}" --json get $S:d/x.gz $S:nosuch.txt -O j >j.out 2>j.err
rc=$?
python3 - j.out <<'PY' && pass "get --json: one object per file, done and failed, snake_case" || fail "get --json" "rc $rc: $(cat j.out j.err)"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
by = {o["source"]: o for o in objs}
ok = by["d/x.gz"]
bad = by["nosuch.txt"]
assert len(objs) == 2, objs
assert ok["status"] == "done" and ok["bytes"] == 2 and ok["reason"] is None and ok["command"] == "get", ok
assert isinstance(ok["seconds"], float) and ok["seconds"] >= 0, ok
assert ok["destination"] == "j/x.gz", ok
assert bad["status"] == "failed" and "550" in bad["reason"], bad
for o in objs:
    assert set(o) == {"command", "source", "destination", "status", "bytes", "seconds", "reason"}, o
PY
[ $rc = 1 ] && pass "get --json with a failure: exit 1" || fail "get --json exit" "rc $rc"
{ ftp "${O[@]}" --json mkdir $S:jdir; ftp "${O[@]}" --json put up.txt $S:jdir/; ftp "${O[@]}" --json mv $S:jdir/up.txt $S:jdir/up3.txt
  ftp "${O[@]}" --json rm $S:jdir/up3.txt; ftp "${O[@]}" --json rmdir $S:jdir; } >j2.out 2>j2.err
python3 - j2.out <<'PY' && pass "--json on mkdir, put, mv, rm, rmdir: one done object each" || fail "--json commands" "$(cat j2.out j2.err)"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert [o["command"] for o in objs] == ["mkdir", "put", "mv", "rm", "rmdir"], objs
assert all(o["status"] == "done" for o in objs), objs
assert objs[1]["bytes"] == 9 and objs[3]["bytes"] is None, objs
PY
ftp "${O[@]}" --json --journal jj.journal get $S:d/x.gz -O jj >/dev/null 2>&1
ftp "${O[@]}" --json --journal jj.journal get $S:d/x.gz -O jj >j3.out 2>j3.err
python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).read()); assert o["status"]=="skipped" and "journal" in o["reason"], o' j3.out &&
	pass "--json: an item done before (journal) is skipped" || fail "--json skipped" "$(cat j3.out j3.err)"
ftp "${O[@]}" --json mirror $S:tree jm >j4.out 2>j4.err
[ "$(python3 -c 'import json,sys; print(sorted(json.loads(l)["source"] for l in open(sys.argv[1])))' j4.out)" = "['tree/sub/t2.txt', 'tree/t1.txt']" ] &&
	pass "mirror --json: one object per file" || fail "mirror --json" "$(cat j4.out j4.err)"
expect_exit "shell --json: exit 2" 2 ftp "${O[@]}" --json shell $S

# --- -n, then `user anonymous` / `user ftp` with no password: the anonymous login, no
# prompt (a script has no terminal; setsid makes sure of it) and no NETTOOL_PASSWORD
printf 'anon file\n' >"$FTPD_ANON_A/anon.txt"
for who in anonymous ftp; do
	before=$(sent "USER anonymous")
	env -u NETTOOL_PASSWORD setsid timeout 60 "$NT" ftp --cacert "$CA" -n -P "$P" $S <<EOF >an.out 2>an.err
user $who
ls
bye
EOF
	rc=$?
	[ $rc = 0 ] && grep -qx 'anon.txt' an.out && [ "$(sent "USER anonymous")" -gt "$before" ] &&
		pass "-n script, user $who without a password: anonymous login, never asked" ||
		fail "user $who without a password" "rc $rc: $(cat an.out an.err)"
done

# --- on a terminal (a pseudo-terminal driven by python3): the prompt, then the verbs
python3 - "$NT" --cacert "$CA" -u "$FTP_USER" -P "$P" shell $S >tty.out 2>&1 <<'PY'
import os, pty, select, subprocess, sys
m, s = pty.openpty()
p = subprocess.Popen(sys.argv[1:2] + ["ftp"] + sys.argv[2:], stdin=s, stdout=s, stderr=s, close_fds=True)
os.close(s)
seen = b""
def until(text):
    global seen
    while text not in seen:
        r, _, _ = select.select([m], [], [], 30)
        if not r:
            raise SystemExit("timeout waiting for %r, got %r" % (text, seen))
        seen += os.read(m, 4096)
until(b"ftp> ")
os.write(m, b"pwd\n")
until(b"/\r\nftp> ")
os.write(m, b"bye\n")
sys.exit(p.wait(30))
PY
rc=$?
[ $rc = 0 ] && pass "shell on a terminal: the ftp> prompt, pwd, bye" || fail "shell on a terminal" "rc $rc: $(cat -v tty.out)"
# -n, then user NAME on a terminal: the password is asked on it and not echoed.
env -u NETTOOL_PASSWORD FTP_PASS="$FTP_PASS" python3 - "$NT" --cacert "$CA" -n -P "$P" shell $S "$FTP_USER" >tty2.out 2>&1 <<'PY'
import os, pty, select, signal, sys, time
pid, m = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "ftp"] + sys.argv[2:-1])
seen, pos = b"", 0
def until(text):
    """Wait for text in what came after the last match (the prompt flushes typed-ahead input)."""
    global seen, pos
    while text not in seen[pos:]:
        r, _, _ = select.select([m], [], [], 30)
        if not r:
            os.kill(pid, signal.SIGKILL)
            raise SystemExit("timeout waiting for %r, got %r" % (text, seen))
        try:
            seen += os.read(m, 4096)
        except OSError:
            raise SystemExit("the shell ended waiting for %r, got %r" % (text, seen))
    pos = seen.index(text, pos) + len(text)
until(b"ftp> ")
os.write(m, b"user " + sys.argv[-1].encode() + b"\n")
until(b"Password for ")
until(b": ")
os.write(m, os.environ["FTP_PASS"].encode() + b"\n")
until(b"ftp> ")
os.write(m, b"ls d\n")
until(b"ftp> ")
os.write(m, b"bye\n")
for _ in range(300):
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.1)
else:
    os.kill(pid, signal.SIGKILL)
    raise SystemExit("the shell did not end after bye")
sys.stdout.write(seen.decode("utf-8", "replace"))
if os.environ["FTP_PASS"].encode() in seen:
    raise SystemExit("the password was echoed")
sys.exit(os.waitstatus_to_exitcode(st))
PY
rc=$?
[ $rc = 0 ] && grep -q 'x.gz' tty2.out && pass "-n then user NAME on a terminal: the password asked without echo" ||
	fail "password prompt in the shell" "rc $rc: $(tail -4 tty2.out | cat -v | tr "\n" " ")"
finish
