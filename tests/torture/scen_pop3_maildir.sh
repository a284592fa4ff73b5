# SPDX-License-Identifier: MIT
# scen_pop3_maildir.sh - torture scenario: mail-fetch --delete from Dovecot's POP3 into a
# Maildir, 12 messages. Invariant after a faulty run: every message is still on the server
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
	if [ ! -d "$T/tp.template" ]; then
		dove_reset
		dove_fill $M 3000 tp >/dev/null
		cp -a "$DOVE_MAILDIR" "$T/tp.template"
	fi
	rm -rf "$DOVE_MAILDIR" "$T/md" "$T/md.state"
	cp -a "$T/tp.template" "$DOVE_MAILDIR"
}
scen_run() {
	timeout 60 "$TB" mail-fetch -q --cacert "$DOVE_CA" --timeout 10 --delete --state "$T/md.state" -o "$T/md" \
		"pop3://test@127.0.0.1:$DOVE_POP3"
}
want() { seq 0 $((M - 1)) | sed 's/.*/<tp-&@nettool.test>/' | sort; }
ids_in() { grep -h -m1 '^Message-ID: ' "$1"/new/* "$1"/cur/* 2>/dev/null | cut -c13- | sort; }
delivered() { ids_in "$T/md"; }
# What Dovecot still has: the files of its Maildir (a POP3 session expunges at QUIT).
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
