# SPDX-License-Identifier: MIT
# scen_imap_mbox.sh - torture scenario: mail-fetch --delete from Dovecot's IMAP into an
# mbox, 12 messages. Invariant after a faulty run: every message is still on the server
# or delivered, none is in both places twice over, none is lost; a clean rerun delivers the
# rest exactly once and empties the server (lib.sh's mf_check, mf_done). Sourced by run.sh.
M=12 MF_PREFIX=ti
MF_LOCAL=("$T/mb" "$T/mb.state" "$T/mb.lock")
scen_setup() { mf_setup; }
scen_teardown() { mf_teardown; }
scen_reset() { mf_reset; }
scen_run() {
	timeout "$TORTURE_TIMEOUT" "$TB" mail-fetch -q --cacert "$DOVE_CA" --timeout "${TORTURE_NET_TIMEOUT:-10}" --delete --state "$T/mb.state" --mbox "$T/mb" \
		"imap://test@127.0.0.1:$DOVE_IMAP/INBOX"
}
mf_delivered() { grep -h '^Message-ID: ' "$T/mb" 2>/dev/null | cut -c13- | sort; }
scen_check() { mf_check "$@"; }
scen_done() { mf_done; }
