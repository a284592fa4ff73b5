#!/bin/bash
# SPDX-License-Identifier: MIT
# mail.sh - mail-fetch against its peers on one private Dovecot (tests/integration/fixtures/
# dovecot.sh), 5,000 messages of about 4 KiB, plain IMAP/POP3 on loopback, interleaved
# rounds (the order of the tools rotates), median wall time of each tool. Our time includes
# durable delivery (each batch of files and tmp/ synced with one syncfs, state saved,
# renamed into new/, new/ fsynced); mbsync fsyncs too; the python peers write one file per
# message into a fresh folder like ours but sync nothing.
#   IMAP into a Maildir: mbsync (isync), python imaplib with one UID FETCH 1:*
#   POP3 into a Maildir: mpop; fetchmail into one file (--bsmtp); python poplib; and
#   our POP3 into one mbox file (synced) against fetchmail's one file
#   an incremental run with nothing new (target: under 0.2 s)
# Prints "bench mail-... nettool=Xs peer=Ys ratio=Z" (ratio > 1: nettool is faster).
# On a shared journal-less ext4 every tool that creates files in a block group where many
# files were deleted minutes ago (this script's own cleanup deletes ~40,000) pays a scan
# per file; for figures about the tools rather than that, run with TMPDIR set to a fresh
# top-level folder (mkdir /x && chmod 755 /x): ext4 spreads those over other groups.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
: "${NETTOOL:?set NETTOOL}"
. "$here/tests/integration/lib.sh"
. "$here/tests/integration/fixtures/dovecot.sh"
ROUNDS=${MAIL_BENCH_ROUNDS:-3}
N=${MAIL_BENCH_N:-5000}

command -v dovecot >/dev/null || { echo "bench mail: dovecot is not installed (scripts/deps.sh bench)"; exit 0; }
dove_start || { echo "bench mail: dovecot did not start"; exit 0; }
dove_fill "$N" 4096 b
doveadm -c "$DOVE_CONF" search -u test mailbox INBOX all >/dev/null # build the index once
export NETTOOL_PASSWORD=$DOVE_PASS
IMAP="imap://test@127.0.0.1:$DOVE_IMAP/INBOX"
POP3="pop3://test@127.0.0.1:$DOVE_POP3"

now() { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; } # a / b
# timed NAME COMMAND...: run once, append the wall time to $T/times.NAME; failures noted.
timed() {
	local name=$1 t0 t1
	shift
	t0=$(now)
	if ! "$@" >"$T/out.$name" 2>&1; then
		echo "bench mail: $name failed: $(tail -2 "$T/out.$name")" >&2
		echo fail >>"$T/times.$name"
		return
	fi
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f\n", b - a}' >>"$T/times.$name"
}
median() { grep -v fail "$T/times.$1" 2>/dev/null | sort -g | awk '{a[NR]=$1} END {if (NR) printf "%.3f", a[int((NR+1)/2)]}'; }
range() { grep -v fail "$T/times.$1" 2>/dev/null | sort -g | awk '{a[NR]=$1} END {if (NR) printf "%.3f-%.3f", a[1], a[NR]}'; }
line() { # label ours peer-name
	local a b
	a=$(median "$2")
	b=$(median "$3")
	if [ -z "$b" ]; then
		echo "bench $1 nettool=${a:-n/a}s peer=n/a ratio=n/a ($3 did not run)"
	elif [ -z "$a" ]; then
		echo "bench $1 nettool=n/a peer=${b}s ratio=n/a"
	else
		echo "bench $1 nettool=${a}s peer=${b}s ratio=$(ratio "$b" "$a") (ranges: nettool $(range "$2") s, $3 $(range "$3") s)"
	fi
}

have() { command -v "$1" >/dev/null; }

# --- peer configurations
cat >"$T/mbsyncrc" <<EOF
IMAPAccount bench
Host 127.0.0.1
Port $DOVE_IMAP
User test
Pass $DOVE_PASS
SSLType None
AuthMechs LOGIN PLAIN

IMAPStore remote
Account bench

MaildirStore local
Path $T/cur/mbsync/
Inbox $T/cur/mbsync/INBOX

Channel bench
Far :remote:
Near :local:
Patterns INBOX
Sync Pull
Create Near
SyncState *
EOF
cat >"$T/mpoprc" <<EOF
account bench
host 127.0.0.1
port $DOVE_POP3
user test
password $DOVE_PASS
tls off
auth user
keep on
only_new off
delivery maildir $T/cur/mpop
uidls_file $T/cur/mpop.uidls
EOF
cat >"$T/fetchmailrc" <<EOF
set no syslog
poll 127.0.0.1 protocol pop3 port $DOVE_POP3 user test password $DOVE_PASS sslproto ''
EOF
chmod 600 "$T/fetchmailrc" "$T/mpoprc" "$T/mbsyncrc"
cat >"$T/bench_imap.py" <<'EOF'
import imaplib, sys
port, out = int(sys.argv[1]), sys.argv[2]
M = imaplib.IMAP4("127.0.0.1", port)
M.login("test", "secret")
M.select("INBOX", readonly=True)
typ, data = M.uid("FETCH", "1:*", "(BODY.PEEK[])")
n = 0
for item in data:
    if isinstance(item, tuple):
        with open("%s/%d" % (out, n), "wb") as f:
            f.write(item[1])
        n += 1
M.logout()
assert n > 0
EOF
cat >"$T/bench_pop.py" <<'EOF'
import poplib, sys
port, out = int(sys.argv[1]), sys.argv[2]
P = poplib.POP3("127.0.0.1", port)
P.user("test")
P.pass_("secret")
count, _ = P.stat()
for i in range(1, count + 1):
    resp, lines, octets = P.retr(i)
    with open("%s/%d" % (out, i), "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
P.quit()
EOF

# Each round writes into new folders (nothing is deleted while timing). The order of the
# tools rotates from round to round: ext4 without a journal skips inodes deleted in the
# last minutes when it allocates one, scanning the whole block group, so whichever tool
# creates files first after a mass deletion (another test's cleanup) pays seconds of
# system time and the tools after it do not; a fixed order charged that to nettool.
fresh() { mkdir -p "$T/cur/$1"; }
step() {
	case $1 in
	nt-imap) fresh nt-imap; timed nt-imap $NETTOOL mail-fetch -q --no-tls -o "$T/cur/nt-imap" "$IMAP" ;;
	mbsync) have mbsync && { fresh mbsync; timed mbsync mbsync -c "$T/mbsyncrc" -q bench; } ;;
	imaplib) fresh imaplib; timed imaplib /usr/bin/python3 "$T/bench_imap.py" "$DOVE_IMAP" "$T/cur/imaplib" ;;
	nt-pop3) fresh nt-pop3; timed nt-pop3 $NETTOOL mail-fetch -q --no-tls -o "$T/cur/nt-pop3" "$POP3" ;;
	nt-pop3-mbox)
		rm -f "$T/cur/nt.mbox" "$T"/cur/.nt.mbox.nettool-fetch-state.*
		timed nt-pop3-mbox $NETTOOL mail-fetch -q --no-tls --mbox "$T/cur/nt.mbox" "$POP3" ;;
	mpop)
		have mpop || return 0
		fresh mpop
		mkdir -p "$T/cur/mpop/tmp" "$T/cur/mpop/new" "$T/cur/mpop/cur"
		rm -f "$T/cur/mpop.uidls"
		timed mpop mpop -C "$T/mpoprc" -q bench ;;
	fetchmail)
		have fetchmail || return 0
		rm -f "$T/cur/fetchmail.bsmtp" "$T/cur/fetchids"
		timed fetchmail env HOME="$T" fetchmail -f "$T/fetchmailrc" -i "$T/cur/fetchids" -k -a -s --bsmtp "$T/cur/fetchmail.bsmtp" ;;
	poplib) fresh poplib; timed poplib /usr/bin/python3 "$T/bench_pop.py" "$DOVE_POP3" "$T/cur/poplib" ;;
	esac
}
rotated() { # r STEP...: the steps, starting at the r-th
	local r=$1 i n
	shift
	n=$#
	local a=("$@")
	for ((i = 0; i < n; i++)); do
		step "${a[(i + r) % n]}"
	done
}
for ((r = 1; r <= ROUNDS; r++)); do
	mkdir -p "$T/r$r"
	ln -sfn "$T/r$r" "$T/cur"
	# IMAP
	rotated $r nt-imap mbsync imaplib
	# incremental: nothing new
	timed nt-incr $NETTOOL mail-fetch -q --no-tls -o "$T/cur/nt-imap" "$IMAP"
	have mbsync && timed mbsync-incr mbsync -c "$T/mbsyncrc" -q bench
	# POP3
	rotated $r nt-pop3 nt-pop3-mbox mpop fetchmail poplib
	timed nt-pop3-incr $NETTOOL mail-fetch -q --no-tls -o "$T/cur/nt-pop3" "$POP3"
done

# Sanity: every tool got every message.
if [ -f "$T/cur/nt.mbox" ]; then
	n=$(grep -c '^From ' "$T/cur/nt.mbox")
	[ "$n" -ge "$N" ] || echo "bench mail: the nettool mbox has $n of $N messages" >&2
fi
if [ -f "$T/cur/fetchmail.bsmtp" ]; then
	n=$(grep -c '^MAIL FROM' "$T/cur/fetchmail.bsmtp")
	[ "$n" -ge "$N" ] || echo "bench mail: fetchmail wrote $n of $N messages" >&2
fi
for d in nt-imap mbsync/INBOX imaplib nt-pop3 mpop poplib; do
	[ -d "$T/cur/$d" ] || continue
	n=$(find "$T/cur/$d" -type f ! -name '.*' | wc -l)
	[ "$n" -ge "$N" ] || echo "bench mail: $d has $n of $N messages" >&2
done

echo "bench mail: $N messages of 4 KiB, $ROUNDS rounds, medians (IMAP and POP3 without TLS on loopback)"
line mail-imap-vs-mbsync nt-imap mbsync
line mail-imap-vs-imaplib nt-imap imaplib
f=$( (median mbsync; echo; median imaplib) | grep . | sort -g | head -1)
[ -n "$f" ] && echo "bench mail-imap-vs-fastest nettool=$(median nt-imap)s peer=${f}s ratio=$(ratio "$f" "$(median nt-imap)") (target 1.5)"
line mail-pop3-vs-mpop nt-pop3 mpop
line mail-pop3-vs-fetchmail-onefile nt-pop3 fetchmail
line mail-pop3-vs-poplib nt-pop3 poplib
line mail-pop3-mbox-vs-fetchmail-onefile nt-pop3-mbox fetchmail
line mail-imap-incremental-vs-mbsync nt-incr mbsync-incr
i=$(median nt-incr)
echo "bench mail-imap-incremental nettool=${i}s peer=0.200s ratio=$(ratio 0.2 "$i") (target: under 0.2 s)"
echo "bench mail-pop3-incremental nettool=$(median nt-pop3-incr)s peer=0.200s ratio=$(ratio 0.2 "$(median nt-pop3-incr)") (target: under 0.2 s)"
