# SPDX-License-Identifier: MIT
# scen_imap_mbox.sh - torture scenario: mail-fetch --delete from Dovecot's IMAP into an
# mbox, 12 messages. Invariant after a faulty run: every message is still on the server
# or delivered, none is in both places twice over, none is lost; a clean rerun delivers the
# rest exactly once and empties the server. Sourced by run.sh.
. "$here/../integration/fixtures/dovecot.sh"
M=12
scen_setup() {
	command -v dovecot >/dev/null || { SCEN_WHY="dovecot is not installed"; return 1; }
	dove_start || { SCEN_WHY="dovecot did not start"; return 1; }
	export NETTOOL_PASSWORD=$DOVE_PASS
}
scen_teardown() { dove_stop; }
scen_reset() {
	if [ ! -d "$T/ti.template" ]; then
		dove_reset
		dove_fill $M 3000 ti >/dev/null
		cp -a "$DOVE_MAILDIR" "$T/ti.template"
	fi
	rm -rf "$DOVE_MAILDIR" "$T/mb" "$T/mb.state" "$T/mb.lock"
	cp -a "$T/ti.template" "$DOVE_MAILDIR"
}
scen_run() {
	timeout 60 "$TB" mail-fetch -q --cacert "$DOVE_CA" --timeout 10 --delete --state "$T/mb.state" --mbox "$T/mb" \
		"imap://test@127.0.0.1:$DOVE_IMAP/INBOX"
}
want() { seq 0 $((M - 1)) | sed 's/.*/<ti-&@nettool.test>/' | sort; }
ids_in() { grep -h -m1 '^Message-ID: ' "$1"/new/* "$1"/cur/* 2>/dev/null | cut -c13- | sort; }
delivered() { grep -h '^Message-ID: ' "$T/mb" 2>/dev/null | cut -c13- | sort; }
# What Dovecot still has: the files of its Maildir (expunged ones are gone once the
# session that expunged them ends).
on_server() { ids_in "$DOVE_MAILDIR"; }
scen_check() {
	local d s dup lost
	d=$(delivered)
	s=$(on_server)
	dup=$(echo "$d" | grep -v '^$' | uniq -d)
	lost=$(comm -23 <(want) <(printf '%s\n%s\n' "$d" "$s" | grep -v '^$' | sort -u))
	[ -z "$dup" ] || { echo "delivered twice: $dup"; return 1; }
	[ -z "$lost" ] || { echo "lost (neither delivered nor on the server): $lost"; return 1; }
	# a message gone from the server must have been delivered
	if [ "$1" = 0 ] && [ "$d" != "$(want)" ]; then echo "exit 0 but not everything delivered"; return 1; fi
	return 0
}
scen_done() {
	local d
	d=$(delivered)
	[ "$d" = "$(want)" ] || { echo "after the rerun: $(echo "$d" | grep -c .) delivered ($(echo "$d" | uniq -d | grep -c .) twice), want $M"; return 1; }
	[ -z "$(on_server)" ] || { echo "after the rerun: $(on_server | grep -c .) still on the server"; return 1; }
}
