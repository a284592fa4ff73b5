# SPDX-License-Identifier: MIT
# scen_mail_send_queue.sh - torture scenario: mail-send --flush of a queue of 8 messages to
# aiosmtpd. Invariant after a faulty run: every message is still queued or was accepted by
# the server (none lost) or set aside in failed/, and none was accepted twice; a clean rerun (a second flush)
# sends each queued one at most once more and empties the queue. A flush whose messages
# failed one by one may exit 1. Sourced by run.sh.
. "$here/../integration/fixtures/smtpd.sh"
SCEN_ALLOW=1
NQ=8
scen_setup() {
	smtpd_available || { SCEN_WHY="python3-aiosmtpd is not installed"; return 1; }
	mkdir -p "$T/srv"
	start_smtpd SP "$T/srv" >/dev/null || { SCEN_WHY="aiosmtpd did not start"; return 1; }
	# the queue, made once with the plain binary behaviour (no fault)
	local i
	for i in $(seq 1 $NQ); do
		printf 'message %s\n' "$i" | "$TB" mail-send --queue "$T/q.template" -f me@example.com \
			-s "tq$i" "to$i@example.org" || { SCEN_WHY="--queue failed"; return 1; }
	done
}
scen_teardown() { :; }
scen_reset() {
	rm -rf "$T/q" "$T/srv"/*.eml "$T/srv"/*.json "$T/both"
	cp -a "$T/q.template" "$T/q"
}
scen_run() { timeout "$TORTURE_TIMEOUT" "$TB" mail-send --flush "$T/q" -S "smtp://127.0.0.1:$SP" -q --timeout "${TORTURE_NET_TIMEOUT:-10}"; }
accepted() { grep -h -m1 '^Subject: ' "$T/srv"/*.eml 2>/dev/null | tr -d '\r' | cut -c10- | sort; }
queued() { grep -h -m1 '^Subject: ' "$T/q"/new/* "$T/q"/cur/* 2>/dev/null | tr -d '\r' | cut -c10- | sort; }
# Set aside in failed/ with the reason (a file that could not be read): kept, not lost,
# and not sent by a rerun (the queue's rule: a bad file must not block the others).
failed() { grep -h -m1 '^Subject: ' "$T/q"/failed/* 2>/dev/null | tr -d '\r' | cut -c10- | sort; }
want() { seq 1 $NQ | sed 's/^/tq/' | sort; }
scen_check() {
	local a q dup lost
	a=$(accepted)
	q=$(queued)
	dup=$(nt_dups "$a")
	lost=$(nt_lost "$(want)" "$a" "$q" "$(failed)")
	[ -z "$dup" ] || { echo "accepted twice: $dup"; return 1; }
	[ -z "$lost" ] || { echo "lost (neither queued nor accepted): $lost"; return 1; }
	[ "$1" != 0 ] || [ -z "$q" ] || { echo "exit 0 with messages still queued: $q"; return 1; }
	# accepted and still queued (the fault came between the server's 250 and the queue's
	# update): the rerun may send these once more, and no others
	comm -12 <(echo "$a") <(echo "$q") | grep -v '^$' >"$T/both"
	return 0
}
scen_done() {
	local a twice
	a=$(accepted)
	[ -z "$(nt_lost "$(want)" "$a" "$(failed)")" ] ||
		{ echo "after the rerun: not every message accepted or set aside: $(echo "$a" | uniq | paste -sd' ')"; return 1; }
	twice=$(nt_dups "$a")
	[ -z "$twice" ] || [ "$(echo "$twice" | sort)" = "$(sort "$T/both" 2>/dev/null)" ] || [ -z "$(comm -23 <(echo "$twice") <(sort "$T/both" 2>/dev/null))" ] ||
		{ echo "after the rerun: accepted twice without having been both accepted and queued: $(comm -23 <(echo "$twice") <(sort "$T/both")| paste -sd' ')"; return 1; }
	[ -z "$(echo "$a" | uniq -c | awk '$1 > 2')" ] || { echo "after the rerun: accepted three times"; return 1; }
	[ -z "$(queued)" ] || { echo "after the rerun: still queued: $(queued | paste -sd' ')"; return 1; }
}
