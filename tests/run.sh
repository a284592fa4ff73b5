#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh - the test driver behind `make check`.
#
#   tests/run.sh --all            unit + every integration script + docs
#   tests/run.sh [SCRIPT...]      the named integration scripts (paths or names: ftp, tcp_serve)
#
# Environment: NETTOOL (binary under test), NETTOOL_TEST (its test build, which reads the
# test knobs; default: nettool-test next to NETTOOL), UNIT (the check runner, for --all),
# TEST_JOBS (parts run at once; default: processors + 1), TEST_TIMEOUT (seconds a part may take).
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

# The parts run side by side, TEST_JOBS at a time (default: the number of processors plus
# one, as most parts wait on servers and timers); each part's output is kept whole and
# printed in the order of the list, with its time.
tmpd=$(mktemp -d "${TMPDIR:-/tmp}/nettool-run.XXXXXX")
trap 'rm -rf "$tmpd"' EXIT
export NETTOOL_PORTS=$tmpd/ports
mkdir "$NETTOOL_PORTS"
jobs_max=${TEST_JOBS:-$(($(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) + 1))}

names=() cmds=()
add_part() { names+=("$1"); cmds+=("$2"); }

start_part() { # index
	local i=$1
	(
		t0=$(date +%s)
		timeout -k 10 "${TEST_TIMEOUT:-600}" bash -c "${cmds[$i]}" >"$tmpd/$i.out" 2>&1
		rc=$?
		echo "$rc $(($(date +%s) - t0))" >"$tmpd/$i.rc.tmp"
		mv "$tmpd/$i.rc.tmp" "$tmpd/$i.rc"
	) &
}

report_part() { # index; a script that dies without printing FAIL still counts as one failure
	local i=$1 name=${names[$1]} out=$tmpd/$1.out rc secs n f e
	read -r rc secs <"$tmpd/$i.rc"
	echo "=== $name"
	cat "$out"
	if [ "$name" = "unit tests (check)" ]; then
		# check's summary: "100%: Checks: 52, Failures: 0, Errors: 0"
		read -r n f e < <(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$out" | tail -1)
		n=${n:-0} f=${f:-0} e=${e:-0}
		pass=$((pass + n - f - e)) fail=$((fail + f + e))
		if [ "$rc" -ne 0 ] && [ $((f + e)) -eq 0 ]; then
			fail=$((fail + 1)); failed_names+=("FAIL: unit runner exited $rc")
		fi
		while IFS= read -r l; do failed_names+=("FAIL: unit $l"); done < <(grep -E ':[EF]:' "$out")
	else
		if [ "$rc" -ne 0 ] && ! grep -q '^FAIL: ' "$out"; then
			echo "FAIL: ${name##*/} exited $rc without naming a failure" | tee -a "$out"
		fi
		count "$out"
	fi
	echo "--- ${name##*/}: $secs s"
}

scripts=()
all=0
for a in "$@"; do
	case $a in
	--all) all=1 ;;
	*.sh) scripts+=("$a") ;;
	*)
		s=$here/integration/${a//-/_}.sh # an applet's name (tcp-serve) names its script too
		if [ ! -f "$s" ]; then
			echo "run.sh: no test script $a (tests/integration: $(cd "$here/integration" && ls -- *.sh | grep -vx lib.sh | sed 's/\.sh$//' | tr '\n' ' '))" >&2
			exit 2
		fi
		scripts+=("$s")
		;;
	esac
done
if [ $all = 1 ]; then
	if [ -n "${UNIT:-}" ]; then
		add_part "unit tests (check)" "CK_VERBOSITY=\${CK_VERBOSITY:-normal} $(printf %q "$UNIT")"
	fi
	# the longest part first, so that it does not end the run alone
	scripts=("$here/docs/consistency.sh" "${scripts[@]}")
	for s in "$here"/integration/*.sh; do
		[ "${s##*/}" = lib.sh ] && continue
		scripts+=("$s")
	done
fi
for s in "${scripts[@]}"; do
	add_part "${s#"$here"/}" "$(printf 'bash %q' "$s")"
done

n=${#names[@]} started=0 next=0
while [ $next -lt "$n" ]; do
	while [ $started -lt "$n" ] && [ "$(jobs -rp | wc -l)" -lt "$jobs_max" ]; do
		start_part $started
		started=$((started + 1))
	done
	if [ -e "$tmpd/$next.rc" ]; then
		report_part $next
		next=$((next + 1))
		continue
	fi
	wait -n 2>/dev/null || sleep 0.1
done
wait

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
