#!/bin/bash
# SPDX-License-Identifier: MIT
# mail_fetch_broken.sh - servers that fail on purpose (fixtures/dovecot_broken.py): a
# connection dropped in the middle of a message leaves nothing delivered and nothing in the
# state (exit 3); malformed or oversized responses are exit 5, never a crash or a
# half-written message; a good run afterwards delivers everything; watch's stop with a
# server that never ends the IDLE (a second signal ends it at once).
. "$(dirname "$0")/lib.sh"
export NETTOOL_PASSWORD=secret

start() { # proto mode -> PORT
	rm -f "$T/port"
	/usr/bin/python3 "$(dirname "$0")/fixtures/dovecot_broken.py" "$1" "$2" "$T/port" &
	SPID=$!
	cleanup "kill $SPID"
	for i in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
	PORT=$(cat "$T/port" 2>/dev/null)
	[ -n "$PORT" ] || { skip "broken $1 $2" "fake server did not start"; return 1; }
}
stop() { kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; }
nothing_delivered() { # name dir
	local n
	n=$(find "$2/new" "$2/cur" "$2/tmp" -type f 2>/dev/null | wc -l)
	[ "$n" = 0 ] && ! grep -qs '^u ' "$2"/.nettool-fetch-state.* && pass "$1: nothing delivered, nothing in the state" ||
		fail "$1: $n files left" "$(ls -R "$2")"
}

for proto in imap pop3; do
	start $proto drop || continue
	expect_exit "$proto drop mid-message: exit 3" 3 $NT mail-fetch -q --timeout 10 -o "$T/$proto-drop" "$proto://u@127.0.0.1:$PORT/"
	nothing_delivered "$proto drop mid-message" "$T/$proto-drop"
	stop
done

start imap malformed && {
	expect_exit "imap malformed FETCH: exit 5" 5 $NT mail-fetch -q -o "$T/mal" "imap://u@127.0.0.1:$PORT/"
	nothing_delivered "imap malformed FETCH" "$T/mal"
	stop
}
start imap huge && {
	expect_exit "imap 100 GB literal over --max-size: exit 5" 5 $NT mail-fetch -q --max-size 1M -o "$T/huge" "imap://u@127.0.0.1:$PORT/"
	nothing_delivered "imap huge literal" "$T/huge"
	stop
}
start imap longline && {
	expect_exit "imap 20 MiB line: exit 5" 5 $NT mail-fetch -q -o "$T/long" "imap://u@127.0.0.1:$PORT/"
	stop
}
# A message line without end: the line bound stops it at once (exit 5), and a line that
# drips in a byte at a time must still arrive whole within --timeout (exit 3).
start pop3 endless && {
	t0=$(date +%s)
	expect_exit "pop3 RETR of bytes without a line end: exit 5" 5 timeout 30 $NT mail-fetch -q --timeout 5 -o "$T/endless" "pop3://u@127.0.0.1:$PORT/"
	el=$(($(date +%s) - t0))
	[ "$el" -lt 5 ] && grep -q 'line over' "$T/check.out" && pass "pop3 RETR without a line end: stopped after ${el} s, before --timeout" ||
		fail "pop3 RETR without a line end: ${el} s" "$(head -3 "$T/check.out")"
	nothing_delivered "pop3 RETR without a line end" "$T/endless"
	stop
}
start pop3 drip && {
	t0=$(date +%s)
	expect_exit "pop3 RETR dripping a byte every 0.2 s: exit 3" 3 timeout 30 $NT mail-fetch -q --timeout 2 -o "$T/drip" "pop3://u@127.0.0.1:$PORT/"
	el=$(($(date +%s) - t0))
	[ "$el" -lt 10 ] && grep -q 'timed out\|within' "$T/check.out" && pass "pop3 RETR dripping: --timeout 2 bounds the line (${el} s)" ||
		fail "pop3 RETR dripping: ${el} s" "$(head -3 "$T/check.out")"
	nothing_delivered "pop3 RETR dripping" "$T/drip"
	stop
}
start pop3 badlist && {
	expect_exit "pop3 malformed UIDL line: exit 5" 5 $NT mail-fetch -q -o "$T/bad" "pop3://u@127.0.0.1:$PORT/"
	nothing_delivered "pop3 malformed UIDL" "$T/bad"
	stop
}
start pop3 dupuidl && {
	expect_exit "pop3 repeated UIDL: exit 5" 5 $NT mail-fetch -q -o "$T/dup" "pop3://u@127.0.0.1:$PORT/"
	nothing_delivered "pop3 repeated UIDL" "$T/dup"
	stop
}
start imap twice && {
	$NT mail-fetch -o "$T/twice" "imap://u@127.0.0.1:$PORT/" 2>"$T/twice.err"
	[ "$(ls "$T/twice/new" | wc -l)" = 2 ] && grep -q 'sent it twice' "$T/twice.err" &&
		pass "imap message sent twice: delivered once" || fail "imap message sent twice" "$(ls "$T/twice/new" | wc -l) $(cat "$T/twice.err")"
	stop
}
# IMAP UIDVALIDITY change: UID 1 is now a different message carrying a Message-ID we
# have; it is not fetched again, and --delete must not remove it (never downloaded here).
start imap uvchange && {
	expect_exit "imap uvchange: run 1 exit 0" 0 $NT mail-fetch -q -o "$T/uv" "imap://u@127.0.0.1:$PORT/"
	: >"$T/port.log"
	$NT mail-fetch -q --delete -o "$T/uv" "imap://u@127.0.0.1:$PORT/" 2>"$T/uv.err"
	grep -q 'UID STORE 2 +FLAGS.SILENT (\\Deleted)' "$T/port.log" && ! grep -q 'STORE 1[ :,]' "$T/port.log" &&
		pass "imap uvchange --delete: only the downloaded UID 2 flagged \\Deleted, not the Message-ID match" ||
		fail "imap uvchange --delete" "$(grep -i store "$T/port.log")"
	st=$(ls "$T"/uv/.nettool-fetch-state.*)
	grep -q '^u 1 <one@broken> mid$' "$st" && pass "imap uvchange: the Message-ID match is marked in the state" ||
		fail "imap uvchange: state" "$(cat "$st")"
	: >"$T/port.log"
	$NT mail-fetch -q --delete -o "$T/uv" "imap://u@127.0.0.1:$PORT/" 2>/dev/null
	grep -q 'STORE 2 ' "$T/port.log" && ! grep -q 'STORE 1[ :,]' "$T/port.log" &&
		pass "imap uvchange: a later --delete run leaves the match alone too" ||
		fail "imap uvchange: later run" "$(grep -i store "$T/port.log")"
	[ "$(cat "$T"/uv/new/* | grep -c 'Message-ID: <one@broken>')" = 1 ] && pass "imap uvchange: the match was not fetched again" ||
		fail "imap uvchange: fetched again"
	stop
}
# A message the server does not send: exit 1, not 0.
start imap missing && {
	expect_exit "imap message not sent by the server: exit 1" 1 $NT mail-fetch -q -o "$T/miss" "imap://u@127.0.0.1:$PORT/"
	[ "$(ls "$T/miss/new" | wc -l)" = 1 ] && pass "imap missing: the message sent was delivered" || fail "imap missing: count"
	stop
}
# Without UIDPLUS a plain EXPUNGE removes every \Deleted message: not done when another
# client's message is flagged \Deleted (exit 1, ours stay flagged); done otherwise.
start imap nouidplus && {
	: >"$T/port.log"
	$NT mail-fetch -q --delete --limit 1 -o "$T/nouid" "imap://u@127.0.0.1:$PORT/" 2>"$T/nouid.err"
	rc=$?
	[ $rc = 1 ] && grep -q 'UID SEARCH DELETED' "$T/port.log" && ! grep -q ' EXPUNGE' "$T/port.log" &&
		grep -q 'not expunging' "$T/nouid.err" && [ "$(ls "$T/nouid/new" | wc -l)" = 1 ] &&
		pass "imap without UIDPLUS: no EXPUNGE while another client's message is \\Deleted (exit 1)" ||
		fail "imap without UIDPLUS, foreign \\Deleted: exit $rc" "$(cat "$T/nouid.err"; grep -v LOGIN "$T/port.log")"
	stop
}
start imap nouidplus-clean && {
	: >"$T/port.log"
	expect_exit "imap without UIDPLUS, nothing else \\Deleted: exit 0" 0 $NT mail-fetch -q --delete -o "$T/nouid2" "imap://u@127.0.0.1:$PORT/"
	grep -A1 'UID SEARCH DELETED' "$T/port.log" | grep -q '^A[0-9]* EXPUNGE$' && ! grep -q 'UID EXPUNGE' "$T/port.log" &&
		pass "imap without UIDPLUS: UID SEARCH DELETED, then one EXPUNGE" || fail "imap without UIDPLUS: commands" "$(cat "$T/port.log")"
	stop
}
# POP3 UIDL reuse (RFC 1939 allows it once a message is gone): a new message under the
# UIDL of one we fetched and deleted, or of one another client deleted, is fetched, never
# deleted unread.
start pop3 reuse && {
	expect_exit "pop3 reuse: run 1 --delete exit 0" 0 $NT mail-fetch -q --delete -o "$T/reuse" "pop3://u@127.0.0.1:$PORT/"
	grep -qs '^u aaa ' "$T/reuse"/.nettool-fetch-state.* && fail "pop3 reuse: a deleted UIDL stays in the state" ||
		pass "pop3 reuse: the UIDL deleted and committed by QUIT left the state"
	: >"$T/port.log"
	expect_exit "pop3 reuse: run 2 --delete exit 0" 0 $NT mail-fetch -q --delete -o "$T/reuse" "pop3://u@127.0.0.1:$PORT/"
	grep -qs '<two@broken>' "$T/reuse"/new/* && grep -qx RETR "$T/port.log" &&
		pass "pop3 reuse: the new message under the old UIDL was fetched before its DELE" ||
		fail "pop3 reuse: new message lost" "$(tr '\n' ' ' <"$T/port.log"); $(ls "$T/reuse/new")"
	stop
}
start pop3 gone && {
	expect_exit "pop3 gone: run 1 exit 0" 0 $NT mail-fetch -q -o "$T/gone" "pop3://u@127.0.0.1:$PORT/"
	expect_exit "pop3 gone: run 2 (empty mailbox) exit 0" 0 $NT mail-fetch -q -o "$T/gone" "pop3://u@127.0.0.1:$PORT/"
	grep -qs '^u aaa ' "$T/gone"/.nettool-fetch-state.* && fail "pop3 gone: an unlisted UIDL stays in the state" ||
		pass "pop3 gone: a UIDL the server no longer lists left the state"
	: >"$T/port.log"
	expect_exit "pop3 gone: run 3 --delete exit 0" 0 $NT mail-fetch -q --delete -o "$T/gone" "pop3://u@127.0.0.1:$PORT/"
	grep -qs '<two@broken>' "$T/gone"/new/* && grep -qx RETR "$T/port.log" &&
		pass "pop3 gone: a different message under a once-seen UIDL was fetched" ||
		fail "pop3 gone: message lost" "$(tr '\n' ' ' <"$T/port.log")"
	stop
}
# A clear-text password to a host that is not loopback: refused before it leaves (exit 2);
# --allow-plaintext-auth sends it. The "remote" host is NETNS_ADDR in a private network
# namespace (lib.sh netns_run): nothing leaves it.
export NT T NETNS_ADDR
FIXPY=$(cd "$(dirname "$0")" && pwd)/fixtures/dovecot_broken.py
export FIXPY
if netns_run '
	BROKEN_ADDR=$NETNS_ADDR /usr/bin/python3 "$FIXPY" pop3 good "$T/ns.port" & p=$!
	for i in $(seq 100); do [ -s "$T/ns.port" ] && break; sleep 0.05; done
	P=$(cat "$T/ns.port")
	"$NT" mail-fetch -q --no-tls -o "$T/ns1" "pop3://u@$NETNS_ADDR:$P/" >"$T/ns1.out" 2>&1
	echo $? >"$T/ns1.rc"
	cp "$T/ns.port.log" "$T/ns1.log" 2>/dev/null || : >"$T/ns1.log"
	"$NT" mail-fetch -q --no-tls --allow-plaintext-auth -o "$T/ns2" "pop3://u@$NETNS_ADDR:$P/" >"$T/ns2.out" 2>&1
	echo $? >"$T/ns2.rc"
	kill $p' 2>"$T/netns.err"; then
	[ "$(cat "$T/ns1.rc")" = 4 ] && grep -q 'clear text' "$T/ns1.out" && ! grep -q PASS "$T/ns1.log" &&
		pass "clear-text password to $NETNS_ADDR: refused before it is sent (exit 4, as in every applet)" ||
		fail "clear-text refusal: exit $(cat "$T/ns1.rc")" "$(cat "$T/ns1.out" "$T/ns1.log")"
	[ "$(cat "$T/ns2.rc")" = 0 ] && grep -qx PASS "$T/ns.port.log" && [ "$(ls "$T/ns2/new" | wc -l)" = 2 ] &&
		pass "--allow-plaintext-auth: the password is sent, messages fetched" ||
		fail "--allow-plaintext-auth: exit $(cat "$T/ns2.rc")" "$(cat "$T/ns2.out")"
else
	skip "clear-text refusal" "no private network namespace: $(head -2 "$T/netns.err")"
fi
for proto in imap pop3; do
	start $proto good || continue
	expect_exit "$proto good server: exit 0" 0 $NT mail-fetch -q -o "$T/$proto-drop" "$proto://u@127.0.0.1:$PORT/"
	[ "$(ls "$T/$proto-drop/new" | wc -l)" = 2 ] && grep -qs '<two@broken>' "$T/$proto-drop"/new/* &&
		pass "$proto after the drop: both messages delivered" || fail "$proto after the drop"
	stop
done
# watch stopped by SIGTERM while the server never answers the DONE that ends its IDLE:
# the stop waits for it (the first signal is a stop, not an end), and a second signal
# ends the process at once, by that signal (143), as ftp's stop does (core/stopsig.c)
if start imap idlehang; then
	rm -f "$T/port.idle" "$T/port.done"
	$NT mail-fetch -q --timeout 30 watch -o "$T/hang" "imap://u@127.0.0.1:$PORT/" 2>"$T/hang.err" &
	wpid=$!
	cleanup "kill -9 $wpid"
	for i in $(seq 200); do [ -e "$T/port.idle" ] && break; sleep 0.05; done
	kill -TERM $wpid
	for i in $(seq 200); do [ -e "$T/port.done" ] && break; sleep 0.05; done
	sleep 0.3
	kill -0 $wpid 2>/dev/null && waited=1 || waited=0
	kill -TERM $wpid
	for i in $(seq 40); do kill -0 $wpid 2>/dev/null || break; sleep 0.05; done
	if kill -0 $wpid 2>/dev/null; then
		kill -9 $wpid
		wait $wpid 2>/dev/null
		rc=still-running
	else
		wait $wpid
		rc=$?
	fi
	[ -e "$T/port.done" ] && [ $waited = 1 ] && [ "$rc" = 143 ] &&
		pass "watch: SIGTERM while DONE is unanswered waits for it; a second SIGTERM ends it at once (143)" ||
		fail "watch, second SIGTERM" "DONE sent: $([ -e "$T/port.done" ] && echo yes || echo no), waited $waited, exit $rc: $(cat "$T/hang.err")"
	# watch2 NAME: a watch of two mailboxes (a process each) started into $T/NAME, both in
	# IDLE: wpid the parent, kids its processes. alive_of PIDS: how many still run.
	watch2() {
		rm -f "$T/port.idle" "$T/port.done"
		$NT mail-fetch -q --timeout 30 watch --mailbox INBOX --mailbox Archive -o "$T/$1" "imap://u@127.0.0.1:$PORT/" 2>"$T/$1.err" &
		wpid=$!
		cleanup "kill -9 $wpid"
		for i in $(seq 200); do [ "$(wc -l 2>/dev/null <"$T/port.idle")" = 2 ] && break; sleep 0.05; done
		kids=$(pgrep -P $wpid | tr '\n' ' ')
		cleanup "kill -9 $kids"
	}
	alive_of() {
		local k n=0
		for k in "$@"; do kill -0 "$k" 2>/dev/null && n=$((n + 1)); done
		echo $n
	}
	# Two mailboxes, a process each: each stopped first by a signal of its own (as a
	# Ctrl-C or a service manager's SIGTERM to the group reaches it), then the parent's
	# SIGTERM, which it passes on: that is the same stop, not a second one (the
	# processes still wait for their DONE's reply instead of ending by the signal)
	watch2 hang2
	kill -TERM $kids
	for i in $(seq 200); do [ "$(wc -l 2>/dev/null <"$T/port.done")" = 2 ] && break; sleep 0.05; done
	kill -TERM $wpid
	sleep 0.5
	alive=$(alive_of $kids)
	[ -n "$kids" ] && [ "$(wc -l <"$T/port.done")" = 2 ] && [ $alive = 2 ] && kill -0 $wpid 2>/dev/null &&
		pass "watch x2: the parent's stop passed on to processes already stopping is not a second signal" ||
		fail "watch x2, stop passed on" "processes '$kids', $alive alive: $(cat "$T/hang2.err")"
	kill -9 $kids $wpid 2>/dev/null
	wait $wpid 2>/dev/null
	# A second SIGTERM to the parent (a script's `kill PID; kill PID`, a service manager
	# that signals the main PID only) ends the whole watch: the parent passes it on as a
	# second signal and reaps them, no process of the watch outlives its 143 (they would
	# wait for DONE's reply until --timeout, forever with a server that keeps talking)
	watch2 hang3
	kill -TERM $wpid
	for i in $(seq 200); do [ "$(wc -l 2>/dev/null <"$T/port.done")" = 2 ] && break; sleep 0.05; done
	kill -TERM $wpid
	for i in $(seq 60); do kill -0 $wpid 2>/dev/null || break; sleep 0.05; done
	sleep 0.2
	alive=$(alive_of $kids)
	if kill -0 $wpid 2>/dev/null; then
		rc=still-running
	else
		wait $wpid
		rc=$?
	fi
	[ -n "$kids" ] && [ "$(wc -l <"$T/port.done")" = 2 ] && [ "$rc" = 143 ] && [ $alive = 0 ] &&
		pass "watch x2: a second SIGTERM to the parent ends the processes of each mailbox too (143, none left)" ||
		fail "watch x2, second SIGTERM to the parent" "exit $rc, processes '$kids', $alive still alive: $(cat "$T/hang3.err")"
	kill -9 $kids $wpid 2>/dev/null
	wait $wpid 2>/dev/null
	# A second SIGTERM while an --mda command delivers waits for the delivery to be
	# recorded in the state file, then ends the watch (143): the next run delivers nothing
	# again (2 messages, 2 deliveries in all)
	rm -f "$T/mda.started" "$T/mda.out" "$T/mda.log" "$T/mda.state"
	MDA="touch '$T/mda.started'; sleep 1; cat >> '$T/mda.out'; echo delivered >> '$T/mda.log'"
	$NT mail-fetch -q --timeout 30 watch --state "$T/mda.state" --mda "$MDA" "imap://u@127.0.0.1:$PORT/" 2>"$T/mda.err" &
	wpid=$!
	cleanup "kill -9 $wpid"
	for i in $(seq 200); do [ -e "$T/mda.started" ] && break; sleep 0.05; done
	kill -TERM $wpid
	sleep 0.3
	kill -TERM $wpid
	for i in $(seq 200); do kill -0 $wpid 2>/dev/null || break; sleep 0.05; done
	if kill -0 $wpid 2>/dev/null; then
		kill -9 $wpid
		wait $wpid 2>/dev/null
		rc=still-running
	else
		wait $wpid
		rc=$?
	fi
	before=$(wc -l 2>/dev/null <"$T/mda.log")
	$NT mail-fetch -q --timeout 30 --state "$T/mda.state" --mda "$MDA" "imap://u@127.0.0.1:$PORT/" 2>>"$T/mda.err"
	frc=$?
	[ "$rc" = 143 ] && [ $frc = 0 ] && [ "$(wc -l <"$T/mda.log")" = 2 ] &&
		[ "$(grep -c '^Message-ID: <one@broken>' "$T/mda.out")" = 1 ] && [ "$(grep -c '^Message-ID: <two@broken>' "$T/mda.out")" = 1 ] &&
		pass "watch --mda: a second SIGTERM during a delivery waits for the state's save (143); each message delivered once" ||
		fail "watch --mda, second SIGTERM" "watch exit $rc after $before deliveries, fetch exit $frc, $(wc -l <"$T/mda.log") in all: $(grep -i '^Message-ID' "$T/mda.out" | tr '\n' ' ') $(cat "$T/mda.err")"
	stop
fi
# A POP3 server that offers no login we can use (no USER in CAPA, no SASL, no APOP
# timestamp): no login is attempted, and the message says what was offered, not "denied".
rm -f "$T/port.log"
if start pop3 nologin; then
	$NT mail-fetch -q --timeout 10 -o "$T/nologin" "pop3://u@127.0.0.1:$PORT/" 2>"$T/nologin.err"
	rc=$?
	[ $rc = 4 ] && grep -q 'no login was attempted' "$T/nologin.err" && grep -q 'no USER' "$T/nologin.err" &&
		grep -q 'no APOP timestamp' "$T/nologin.err" && ! grep -qi 'denied' "$T/nologin.err" &&
		! grep -q '^USER\|^PASS\|^AUTH\|^APOP' "$T/port.log" &&
		pass "pop3 with no usable login: exit 4, says what the server offered and that none was tried" ||
		fail "pop3 nologin" "rc $rc: $(cat "$T/nologin.err") $(cat "$T/port.log" 2>/dev/null | tr '\n' ' ')"
	stop
fi
finish
