# SPDX-License-Identifier: MIT
# scen_pop3_maildir.sh - torture scenario: mail-fetch --delete from Dovecot's POP3 into a
# Maildir, 12 messages. Invariant after a faulty run: every message is still on the server
# or delivered, none is in both places twice over, none is lost; a clean rerun delivers the
# rest exactly once and empties the server (lib.sh's mf_check, mf_done). Sourced by run.sh.
M=12 MF_PREFIX=tp
MF_LOCAL=("$T/md" "$T/md.state")
scen_setup() { mf_setup; }
scen_teardown() { mf_teardown; }
scen_reset() { mf_reset; }
scen_run() {
	timeout "$TORTURE_TIMEOUT" "$TB" mail-fetch -q --cacert "$DOVE_CA" --timeout "${TORTURE_NET_TIMEOUT:-10}" --delete --state "$T/md.state" -o "$T/md" \
		"pop3://test@127.0.0.1:$DOVE_POP3"
}
mf_delivered() { mf_ids_in "$T/md"; }
scen_check() { mf_check "$@"; }
scen_done() { mf_done; }
