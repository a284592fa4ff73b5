#!/bin/bash
# SPDX-License-Identifier: MIT
# hostile.sh - every reply parser against a spoiled dialogue: a real server (INN, Dovecot's
# POP3 and IMAP, aiosmtpd) behind fixtures/cutter.py, which closes the connection after
# each line in turn, truncates a line in the middle, puts a NUL and an escape sequence in
# one, replaces a status code, sends 2 MiB without a line end, or (TLS) cuts after a byte
# count inside a record. For every run: no crash and no sanitizer report, a non-zero exit
# with a "nettool APPLET:" message unless the dialogue was already complete, and nothing
# lost: articles whole and the high-water mark not ahead of them; mail on the server or
# delivered exactly once (--delete).
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/fixtures/inn/inn.sh"
. "$here/fixtures/dovecot.sh"
CUT=$here/fixtures/cutter.py

# spoil NAME SPEC: start the cutter in front of $UP for one connection; sets CP.
spoil() {
	CP=$(free_port)
	rm -f "$T/cut.ready"
	CUTTER_READY=$T/cut.ready /usr/bin/python3 "$CUT" "$CP" "$UP" "$1" "$T/cut.log" >/dev/null 2>&1 &
	CUT_PID=$!
	local i
	for ((i = 0; i < 200; i++)); do [ -e "$T/cut.ready" ] && return 0; sleep 0.05; done
	return 1
}
unspoil() { # let it finish (its log is written at the end), then make sure
	local i
	for ((i = 0; i < 100; i++)); do kill -0 "$CUT_PID" 2>/dev/null || break; sleep 0.05; done
	kill "$CUT_PID" 2>/dev/null
	wait "$CUT_PID" 2>/dev/null
}

# The specs for a dialogue of L server lines: the first 12 lines (the greeting, login and
# first commands), then a spread of 6; HOSTILE_FULL=1: every line. The kinds of spoiling
# on a rotation; "long" twice.
specs() {
	local L=$1 k i=0 head=12 spread=$((L / 6 + 1))
	# under ASan (asan-check) a shorter spread: the same kinds, fewer points
	[ "${SANITIZED:-}" = 1 ] && head=6 spread=$((L / 3 + 1))
	[ -n "${HOSTILE_FULL:-}" ] && head=$L
	for k in $(seq 0 $((L - 1))); do
		if [ "$k" -lt $head ] || [ $((k % spread)) = 0 ]; then
			case $((i % 4)) in 0) echo "line:$k" ;; 1) echo "mid:$k" ;; 2) echo "nul:$k" ;; 3) echo "code:$k" ;; esac
			i=$((i + 1))
		fi
	done
	echo "long:1"
	echo "long:$((L / 2))"
}

RUNS=0 BAD=0
judge() { # CASE SPEC RC ERRFILE INVARIANT-OUTPUT
	local what="$1 $2" rc=$3 err=$4 inv=$5 why=
	RUNS=$((RUNS + 1))
	if grep -q 'ERROR: AddressSanitizer\|runtime error\|LeakSanitizer' "$err" || [ "$rc" -ge 124 ]; then
		why="crash or hang (rc $rc): $(grep -m1 'ERROR\|runtime error' "$err")"
	elif [ "$rc" != 0 ] && ! grep -q '^nettool [a-z-]*: ' "$err"; then
		why="exit $rc without a message: $(head -c 200 "$err")"
	elif [ -n "$inv" ]; then
		why=$inv
	fi
	if [ -n "$why" ]; then
		BAD=$((BAD + 1))
		fail "hostile $what" "$why"
	fi
}

# --- NNTP: fetch of a group from INN ---
if inn_start host.news; then
	mkdir -p "$T/arts"
	for i in $(seq 1 6); do
		printf 'Path: not-for-mail\nFrom: H <h@example.com>\nNewsgroups: host.news\nSubject: s%s\nDate: Thu, 26 Nov 2026 12:00:00 +0000\nMessage-ID: <host.%s@nettool.test>\n\n%s\n..dot\n' \
			"$i" "$i" "$(head -c $((i * 100)) /dev/zero | tr '\0' z)" >"$T/arts/a$i"
	done
	inn_feed "$T/arts" >/dev/null
	sleep 0.3
	UP=$INN_READ
	"$NT" nntp -q --no-tls -s "127.0.0.1:$UP" fetch host.news -O "$T/nref" 2>/dev/null
	spoil count
	"$NT" nntp -q --no-tls -s "127.0.0.1:$CP" fetch host.news -O "$T/ncount" >/dev/null 2>&1
	unspoil
	L=$(cut -d' ' -f1 "$T/cut.log")
	n0=$RUNS
	for spec in $(specs "$L"); do
		rm -rf "$T/n"
		spoil "$spec"
		timeout 60 "$NT" nntp -q --no-tls --timeout 3 -s "127.0.0.1:$CP" fetch host.news -O "$T/n" >/dev/null 2>"$T/err"
		rc=$?
		unspoil
		inv=
		for f in "$T/n"/[0-9]*; do
			[ -f "$f" ] || continue
			# the right article under each name, always; the server's bytes, unless this
			# run put a NUL or a status into them on the way
			other=$(grep -ao '^Message-ID: <host\.[0-9]*@nettool.test>' "$f" | grep -v "<host.${f##*/}@" | head -1)
			[ -z "$other" ] || inv="$inv file ${f##*/} holds another article ($other);"
			case $spec in nul:* | code:*) ;; *) grep -aq "^Message-ID: <host.${f##*/}@nettool.test>" "$f" || inv="$inv file ${f##*/} has no Message-ID of its own;" ;; esac
			case $spec in nul:* | code:*) ;; *) cmp -s "$f" "$T/nref/${f##*/}" || inv="$inv article ${f##*/} not whole;" ;; esac
		done
		h=$(awk '$2 == "host.news" {h = $3} END {print h}' "$T/n/.nntp-state" 2>/dev/null)
		[ -n "$h" ] && for a in $(seq 1 "$h"); do [ -f "$T/n/$a" ] || inv="$inv high-water mark $h but no article $a;"; done
		judge nntp "$spec" $rc "$T/err" "$inv"
	done
	pass "hostile nntp fetch: $((RUNS - n0)) spoiled dialogues of $L server lines (INN behind the cutter)"
	: # INN stays up until the cleanup at exit
else
	skip "hostile nntp" "$INN_WHY"
fi

# --- POP3 and IMAP --delete from Dovecot ---
if command -v dovecot >/dev/null && dove_start; then
	export NETTOOL_PASSWORD=$DOVE_PASS
	dove_reset
	dove_fill 5 2000 hm >/dev/null
	cp -a "$DOVE_MAILDIR" "$T/hm.template"
	want=$(seq 0 4 | sed 's/.*/<hm-&@nettool.test>/' | sort)
	ids_in() { grep -a -h -m1 '^Message-ID: ' "$1"/new/* "$1"/cur/* 2>/dev/null | cut -c13- | sort; }
	for proto in pop3 imap; do
		[ $proto = pop3 ] && UP=$DOVE_POP3 || UP=$DOVE_IMAP
		url() { [ $proto = pop3 ] && echo "pop3://test@127.0.0.1:$1" || echo "imap://test@127.0.0.1:$1/INBOX"; }
		rm -rf "$DOVE_MAILDIR" "$T/m" "$T/m.st"
		cp -a "$T/hm.template" "$DOVE_MAILDIR"
		spoil count
		"$NT" mail-fetch -q --cacert "$DOVE_CA" --no-tls --delete --state "$T/m.st" -o "$T/m" "$(url "$CP")" >/dev/null 2>&1
		unspoil
		L=$(cut -d' ' -f1 "$T/cut.log")
		n0=$RUNS
		for spec in $(specs "$L"); do
			rm -rf "$DOVE_MAILDIR" "$T/m" "$T/m.st"
			cp -a "$T/hm.template" "$DOVE_MAILDIR"
			spoil "$spec"
			timeout 60 "$NT" mail-fetch -q --no-tls --timeout 3 --delete --state "$T/m.st" -o "$T/m" "$(url "$CP")" >/dev/null 2>"$T/err"
			rc=$?
			unspoil
			sleep 0.05 # the server's session ends (and expunges) after ours
			got=$(ids_in "$T/m")
			left=$(ids_in "$DOVE_MAILDIR")
			inv=
			[ -z "$(echo "$got" | uniq -d)" ] || inv="delivered twice: $(echo "$got" | uniq -d | paste -sd' ');"
			lost=$(comm -23 <(echo "$want") <(printf '%s\n%s\n' "$got" "$left" | grep -v '^$' | sort -u))
			[ -z "$lost" ] || inv="$inv lost: $(echo "$lost" | paste -sd' ')"
			# and a clean run afterwards delivers the rest exactly once
			"$NT" mail-fetch -q --no-tls --delete --state "$T/m.st" -o "$T/m" "$(url "$UP")" >/dev/null 2>"$T/err2" ||
				inv="$inv rerun failed: $(head -1 "$T/err2");"
			[ "$(ids_in "$T/m")" = "$want" ] || inv="$inv after a clean rerun: $(ids_in "$T/m" | grep -c .) delivered, want 5;"
			judge $proto "$spec" $rc "$T/err" "$inv"
		done
		pass "hostile $proto --delete: $((RUNS - n0)) spoiled dialogues of $L server lines (Dovecot behind the cutter)"
	done
	# TLS: POP3S cut inside records
	UP=$DOVE_POP3S
	rm -rf "$DOVE_MAILDIR" "$T/m" "$T/m.st"
	cp -a "$T/hm.template" "$DOVE_MAILDIR"
	spoil count
	"$NT" mail-fetch -q --cacert "$DOVE_CA" --state "$T/m.st" -o "$T/m" "pop3s://test@localhost:$CP" >/dev/null 2>&1
	unspoil
	B=$(cut -d' ' -f2 "$T/cut.log")
	n0=$RUNS
	for b in $(seq 1 $((B / 10 + 1)) "$B"); do
		rm -rf "$DOVE_MAILDIR" "$T/m" "$T/m.st"
		cp -a "$T/hm.template" "$DOVE_MAILDIR"
		spoil "byte:$b"
		timeout 60 "$NT" mail-fetch -q --cacert "$DOVE_CA" --timeout 3 --delete --state "$T/m.st" -o "$T/m" "pop3s://test@localhost:$CP" >/dev/null 2>"$T/err"
		rc=$?
		unspoil
		inv=
		lost=$(comm -23 <(echo "$want") <(printf '%s\n%s\n' "$(ids_in "$T/m")" "$(ids_in "$DOVE_MAILDIR")" | grep -v '^$' | sort -u))
		[ -z "$lost" ] || inv="lost: $(echo "$lost" | paste -sd' ')"
		[ $rc = 0 ] || [ $rc = 3 ] || [ $rc = 4 ] || [ $rc = 5 ] || inv="$inv exit $rc (want 3, 4 or 5)"
		judge pop3s "byte:$b" $rc "$T/err" "$inv"
	done
	pass "hostile pop3s: $((RUNS - n0)) TLS sessions cut inside records ($B bytes from the server)"
	: # Dovecot too
else
	skip "hostile pop3/imap" "dovecot did not start"
fi
[ $BAD = 0 ] && pass "hostile: $RUNS spoiled dialogues, none crashed, hung, went silent or lost anything"
finish
