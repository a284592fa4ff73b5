#!/bin/bash
# mail_fetch_crash.sh - kill -9 mail-fetch --delete at random moments (at least 20 times
# while a 500-message mailbox drains), then run it to completion: every message must be in
# the destination exactly once (by Message-ID) and the server must be empty. For a Maildir
# over IMAP, an mbox over IMAP and a Maildir over POP3. Small batches (NETTOOL_MAIL_BATCH)
# put many batch boundaries, and so many different crash points, inside one run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/dovecot.sh"

if ! command -v dovecot >/dev/null; then
	skip "mail-fetch crash" "dovecot is not installed (scripts/deps.sh test)"
	finish
fi
if ! dove_start; then
	skip "mail-fetch crash" "dovecot did not start"
	finish
fi
export NETTOOL_PASSWORD=$DOVE_PASS NETTOOL_MAIL_BATCH=7
CA="--cacert $DOVE_CA"
M=500

# The Message-IDs the fixture generated, sorted.
want() { for ((i = 0; i < M; i++)); do echo "<$1-$i@nettool.test>"; done | sort; }

# crash_run NAME URL DEST-OPTION...: kill -9 until 20 kills landed mid-run, then finish.
# The delay before each kill is random below maxd ms; maxd shrinks when a run ended before
# its kill or drained too much of the mailbox, so that 20 kills fit in one 500-message run.
crash_run() {
	local name=$1 url=$2 kills=0 runs=0 pid maxd=$CRASH_MAXD c0 c1 inflight=0
	shift 2
	c0=$(dove_count)
	while [ $kills -lt 20 ] && [ $runs -lt 300 ]; do
		runs=$((runs + 1))
		$NT mail-fetch $CA -q --delete "$@" "$url" 2>>"$T/$name.err" &
		pid=$!
		sleep "$(printf '0.%03d' $((RANDOM % maxd + 2)))"
		if kill -0 $pid 2>/dev/null; then
			kill -9 $pid 2>/dev/null && kills=$((kills + 1))
		else
			maxd=$((maxd / 2 > 2 ? maxd / 2 : 2))
		fi
		wait $pid 2>/dev/null
		# A crash between the state save and the rename/append leaves work for recovery.
		grep -qs -e '^pending ' -e '^mbox ' "$T"/crash-state.* && inflight=$((inflight + 1))
		c1=$(dove_count)
		[ $((c0 - c1)) -gt 15 ] && maxd=$((maxd * 2 / 3 > 2 ? maxd * 2 / 3 : 2))
		c0=$c1
		if [ "$c1" = 0 ] && [ $kills -lt 20 ]; then
			echo "drained after $kills kills in $runs runs" >>"$T/$name.err"
			return 2
		fi
	done
	echo "$kills kills in $runs runs, $inflight left a delivery in flight" >>"$T/$name.err"
	$NT mail-fetch $CA -q --delete "$@" "$url" 2>>"$T/$name.err"
}

check_maildir() { # name dir prefix
	local got
	got=$(for f in "$2"/new/* "$2"/cur/*; do [ -f "$f" ] && sed -n 's/^Message-ID: //p;/^$/q' "$f"; done | sort)
	if [ "$got" = "$(want "$3")" ]; then
		pass "$1: all $M messages exactly once"
	else
		fail "$1: messages" "$(echo "$got" | uniq -d | wc -l) duplicated, $(comm -13 <(echo "$got" | sort -u) <(want "$3") | wc -l) missing"
	fi
	[ -z "$(ls -A "$2/tmp")" ] || echo "  (note: $(ls "$2/tmp" | wc -l) crash leftovers in tmp/, never delivered)"
}

run_case() { # name url prefix dest-option...
	local name=$1 url=$2 prefix=$3 rc
	shift 3
	dove_reset
	dove_fill $M 1500 "$prefix"
	crash_run "$name" "$url" --state "$T/crash-state.$prefix" "$@"
	rc=$?
	if [ $rc = 2 ]; then
		fail "$name: the mailbox drained before 20 kills" "$(tail -3 "$T/$name.err")"
		return 1
	fi
	[ $rc = 0 ] && pass "$name: final run exit 0 ($(grep -o '[0-9]* kills in [0-9]* runs, [0-9]* left a delivery in flight' "$T/$name.err"))" ||
		fail "$name: final run exit $rc" "$(tail -8 "$T/$name.err")"
	[ "$(dove_count)" = 0 ] && pass "$name: server empty" || fail "$name: server still has $(dove_count)"
}

IMAP="imap://test@127.0.0.1:$DOVE_IMAP/INBOX"
POP3="pop3://test@127.0.0.1:$DOVE_POP3"

CRASH_MAXD=40
run_case "crash imap maildir" "$IMAP" ca -o "$T/md" && check_maildir "crash imap maildir" "$T/md" ca

run_case "crash imap mbox" "$IMAP" cb --mbox "$T/mbox" && {
	got=$(grep '^Message-ID: ' "$T/mbox" | sed 's/^Message-ID: //' | sort)
	[ "$got" = "$(want cb)" ] && pass "crash imap mbox: all $M messages exactly once" ||
		fail "crash imap mbox: messages" "$(echo "$got" | uniq -d | wc -l) duplicated, $(comm -13 <(echo "$got" | sort -u) <(want cb) | wc -l) missing"
	n=$(/usr/bin/python3 -c 'import mailbox,sys; print(len(mailbox.mbox(sys.argv[1])))' "$T/mbox")
	[ "$n" = $M ] && pass "crash imap mbox: the mbox parses into $M messages (no torn append)" || fail "crash imap mbox: parse" "$n"
}

CRASH_MAXD=15
run_case "crash pop3 maildir" "$POP3" cc -o "$T/pmd" && check_maildir "crash pop3 maildir" "$T/pmd" cc

# The worst moments, made deterministic (NETTOOL_MAIL_CRASH kills the process there): the
# batch is recorded in the state but not yet renamed into new/ or appended to the mbox; the
# mbox append is half done; the append is whole but the state still calls it pending.
M=30
det() { # name point prefix dest-option... ; then checks
	local name=$1 point=$2 prefix=$3 rc
	shift 3
	dove_reset
	dove_fill $M 1500 "$prefix"
	NETTOOL_MAIL_BATCH=10 NETTOOL_MAIL_CRASH=$point $NT mail-fetch $CA -q --delete --state "$T/det.$prefix" "$@" "$IMAP" 2>/dev/null &
	{ wait $!; } 2>/dev/null
	rc=$?
	[ $rc = 137 ] && [ "$(dove_count)" = $M ] && grep -q -e '^pending ' -e '^mbox ' "$T/det.$prefix" &&
		pass "$name: killed at $point, nothing deleted, the state shows the batch in flight" ||
		fail "$name: kill at $point" "exit $rc, server $(dove_count), $(grep -c -e '^pending ' -e '^mbox ' "$T/det.$prefix") in flight"
	$NT mail-fetch $CA -q --delete --state "$T/det.$prefix" "$@" "$IMAP" 2>"$T/det.err"
	rc=$?
	[ $rc = 0 ] && [ "$(dove_count)" = 0 ] && pass "$name: the next run completes, server empty" || fail "$name: next run exit $rc"
}
det "recover maildir" after-state da -o "$T/dmd"
check_maildir "recover maildir" "$T/dmd" da
[ -z "$(ls -A "$T/dmd/tmp")" ] && pass "recover maildir: tmp/ empty" || fail "recover maildir: tmp/ not empty"
for point in after-state mid-append after-append; do
	p=d${point//-/}
	det "recover mbox $point" $point "$p" --mbox "$T/d$point.mbox"
	got=$(grep '^Message-ID: ' "$T/d$point.mbox" | sed 's/^Message-ID: //' | sort)
	[ "$got" = "$(want "$p")" ] && pass "recover mbox $point: all $M messages exactly once" ||
		fail "recover mbox $point" "$(echo "$got" | uniq -d | wc -l) duplicated, $(comm -13 <(echo "$got" | sort -u) <(want "$p") | wc -l) missing"
	n=$(/usr/bin/python3 -c 'import mailbox,sys; print(len(mailbox.mbox(sys.argv[1])))' "$T/d$point.mbox")
	[ "$n" = $M ] && pass "recover mbox $point: parses into $M messages" || fail "recover mbox $point: parse" "$n"
done
finish
