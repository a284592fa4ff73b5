#!/bin/bash
# SPDX-License-Identifier: MIT
# torture.sh - the part of `make torture` that runs in make check: a small fixed spread of
# injected faults (tests/torture/run.sh, seed 1) over two scenarios, POP3 into a Maildir and
# a mail-send queue flush: no crash, the documented exit code and a message, nothing lost
# or sent twice, and a clean rerun completes the job. Under asan-check the torture binary
# is the ASan/UBSan one, so leaks count too. make torture runs the bigger sample.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
TB=${NETTOOL_TORTURE:-$(dirname "$NETTOOL")/nettool-torture}
if [ ! -x "$TB" ]; then
	skip "torture" "no torture build at $TB (make build/nettool-torture)"
	finish
fi
# regress.txt names the sites of the ASan build: in the optimised one some are inlined away.
stale_ok=1
[ "${SANITIZED:-}" = 1 ] && stale_ok=
TORTURE_STALE_OK=$stale_ok NETTOOL_TORTURE=$TB TORTURE_RUNS=${TORTURE_RUNS:-6} TORTURE_SEED=1 timeout 600 "$here/../torture/run.sh" pop3_maildir mail_send_queue >"$T/out" 2>&1
rc=$?
sum=$(grep '^torture: ' "$T/out")
if [ $rc = 0 ] && [ -n "$sum" ] && ! grep -q '^FAIL' "$T/out" && ! echo "$sum" | grep -q ' 0 injected faults'; then
	pass "torture spread: $sum"
else
	fail "torture spread (rc $rc)" "$(grep -A3 '^FAIL\|^SKIP\|^torture' "$T/out" | head -20)"
fi
finish
