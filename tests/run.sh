#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh - the test driver behind `make check`.
#
#   tests/run.sh --all            unit + every integration script + docs
#   tests/run.sh [SCRIPT...]      the named integration scripts (paths or names: ftp, tcp_serve)
#
# Environment: NETTOOL (binary under test), NETTOOL_TEST (its test build, which reads the
# test knobs; default: nettool-test next to NETTOOL), UNIT (the check runner, for --all).
# Each integration script prints "PASS: name", "FAIL: name" or "SKIP: name: reason" lines.
# The last line is the total, "N passed, N failed, N skipped". Under CI (CI=true) a skip
# counts as a failure: a missing fixture must not pass silently.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${NETTOOL:?set NETTOOL to the nettool binary}"
export NETTOOL

pass=0 fail=0 skip=0
failed_names=()
count() { # file with the output of one part
	local p f s
	p=$(grep -c '^PASS: ' "$1")
	f=$(grep -c '^FAIL: ' "$1")
	s=$(grep -c '^SKIP: ' "$1")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	while IFS= read -r l; do failed_names+=("$l"); done < <(grep -E '^(FAIL|SKIP): ' "$1")
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT

run_script() { # script; a script that dies without printing FAIL still counts as one failure
	local s=$1 rc t0 t1
	t0=$(date +%s)
	echo "=== ${s#"$here"/}"
	timeout -k 10 "${TEST_TIMEOUT:-600}" bash "$s" >"$out" 2>&1
	rc=$?
	t1=$(date +%s)
	cat "$out"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL: ' "$out"; then
		echo "FAIL: ${s##*/} exited $rc without naming a failure" | tee -a "$out"
	fi
	count "$out"
	echo "--- ${s##*/}: $((t1 - t0)) s"
}

scripts=()
all=0
for a in "$@"; do
	case $a in
	--all) all=1 ;;
	*.sh) scripts+=("$a") ;;
	*) scripts+=("$here/integration/$a.sh") ;;
	esac
done
if [ $all = 1 ]; then
	if [ -n "${UNIT:-}" ]; then
		echo "=== unit tests (check)"
		CK_VERBOSITY=${CK_VERBOSITY:-normal} "$UNIT" >"$out" 2>&1
		rc=$?
		cat "$out"
		# check's summary: "100%: Checks: 52, Failures: 0, Errors: 0"
		read -r n f e < <(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$out" | tail -1)
		n=${n:-0} f=${f:-0} e=${e:-0}
		pass=$((pass + n - f - e)) fail=$((fail + f + e))
		if [ $rc -ne 0 ] && [ $((f + e)) -eq 0 ]; then
			fail=$((fail + 1)); failed_names+=("FAIL: unit runner exited $rc")
		fi
		grep -E ':[EF]:' "$out" | while IFS= read -r l; do echo "FAIL: unit $l"; done
	fi
	for s in "$here"/integration/*.sh; do
		[ "${s##*/}" = lib.sh ] && continue
		scripts+=("$s")
	done
	scripts+=("$here/docs/consistency.sh")
fi
for s in "${scripts[@]}"; do
	run_script "$s"
done

echo
if [ ${#failed_names[@]} -gt 0 ]; then
	echo "Not passed:"
	printf '  %s\n' "${failed_names[@]}"
fi
if [ "${CI:-}" = true ] && [ $skip -gt 0 ]; then
	echo "CI: $skip skipped tests count as failures"
	fail=$((fail + skip))
fi
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
