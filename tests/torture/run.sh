#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh - `make torture`: the fault injector (inject.c, in build-torture/nettool-torture)
# over the integration scenarios (scen_*.sh beside this file; what they share: lib.sh).
#
#   NETTOOL_TORTURE=BINARY tests/torture/run.sh [SCENARIO...]
#
# For each scenario: a clean run counts our call sites (family, site, calls); then the
# scenario runs once per (site, occurrence) chosen, with that one call failing, and each
# run is checked: no crash and no sanitizer report (ASan, UBSan, LSan); when it fails, a
# one-line error on stderr and the documented exit code for the fault's family (alloc and
# file: 6, net: 3; a scenario may allow 1 for a partial batch); the scenario's invariant
# against the real server (scen_check); then a clean rerun completes the job (scen_done).
# Choice of runs: TORTURE_FULL=1 every site at least once (its first call), plus its last
# call and a seeded middle one where it has more; default: a seeded sample of
# TORTURE_RUNS (default 16) runs per scenario; TORTURE_SEED (default 1). TORTURE_PLAN=1:
# only the clean runs, and how many runs the full sweep and the chosen spread would make.
# TORTURE_TIMEOUT (default 60): seconds before a scenario's run counts as hung;
# TORTURE_NET_TIMEOUT (default 10): the runs' --timeout (a starved process, nice 19 on a
# loaded machine, can take longer than 10 s over a TLS handshake).
# TORTURE_JOBS (default 2): scenarios run side by side, each in a run.sh of its own.
# TORTURE_FAMILY="file net": only the runs of these families (default: all four).
# regress.txt's faults run every time; a line of it that names no site of the clean run
# fails (counted with the violations). Its names are those of the ASan build (-O1) that
# make torture uses; an optimised build inlines otherwise (buf_reserve into its caller):
# TORTURE_STALE_OK=1 makes such a line a note (make check's optimised part).
# The last line: "torture: S scenarios, N injected faults, C crashes, L leaks, V invariant
# violations"; the exit status is 1 unless C, L and V are all 0.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${NETTOOL_TORTURE:?set NETTOOL_TORTURE (make torture builds it)}"
export NETTOOL="$NETTOOL_TORTURE"
. "$here/../integration/lib.sh"
. "$here/lib.sh"
TB=$NETTOOL_TORTURE
SEED=${TORTURE_SEED:-1}
RUNS=${TORTURE_RUNS:-16}
FULL=${TORTURE_FULL:-}
# a scenario's run is killed after this many seconds (a hang; a very loaded machine needs more)
export TORTURE_TIMEOUT=${TORTURE_TIMEOUT:-60}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=98}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0}
S=0 N=0 C=0 L=0 V=0 UNREACHED=0

where() { # SITE -> "func file:line <- func file:line"
	local s=$1 a b
	a=$(printf '0x%x' $((0x$s >> 28)))
	b=$(printf '0x%x' $((0x$s & 0xfffffff)))
	addr2line -f -s -e "$TB" "$a" "$b" 2>/dev/null | sed 's/ (discriminator [0-9]*)//' | paste -sd' ' |
		awk '{print $1" "$2" <- "$3" "$4}'
}

# The runs to make, "FAMILY SITE N HOW" per line, from a count file "FAMILY SITE CALLS", in
# one awk (a shell per run chosen took minutes on a loaded machine). h() is a deterministic
# pseudo-random number from the seed and words; how() rotates a family's ways to fail per
# site, so every errno of the family is used.
CHOOSE_AWK='
BEGIN { for (i = 32; i < 127; i++) ord[sprintf("%c", i)] = i }
function h(s,   i, x) { s = seed " " s; x = 5381; for (i = 1; i <= length(s); i++) x = (x * 33 + ord[substr(s, i, 1)]) % 2147483647; return x }
function how(fam, key,   r, a) {
	r = h("how " key)
	if (fam == "alloc") return "ENOMEM"
	if (fam == "clock") return "jump"
	if (fam == "file") { split("EIO ENOSPC EDQUOT EACCES short", a, " "); return a[r % 5 + 1] }
	split("ECONNRESET EPIPE ETIMEDOUT short", a, " "); return a[r % 4 + 1]
}'
choose() {
	local cnt=$1
	awk -v seed="$SEED" "$CHOOSE_AWK"'
	$3 > 0 {
		print $1, $2, 1, how($1, $2)
		if ($3 > 1) print $1, $2, $3, how($1, $2 ".last")
		if ($3 > 2) print $1, $2, 2 + h("mid " $2) % ($3 - 2), how($1, $2 ".mid")
	}' "$cnt" | sort -u | awk -v fams=" ${TORTURE_FAMILY:-alloc file net clock} " 'index(fams, " " $1 " ")' >"$T/all.runs"
	if [ -n "$FULL" ]; then
		cat "$T/all.runs"
	else
		# a seeded sample, but every family present at least once
		awk -v seed="$SEED" "$CHOOSE_AWK"'{ print h($0), $0 }' "$T/all.runs" | sort -n | cut -d' ' -f2- |
			awk -v max="$RUNS" '!seen[$1]++ {print; n++; next} {rest[++r] = $0} END {for (i = 1; n < max && i <= r; i++) {print rest[i]; n++}}'
	fi
}

# The faults that found defects, kept as runs by name (regress.txt: "SCENARIO FAMILY
# FUNC<-CALLER N HOW"), since a site's number changes with every build: the count file's
# sites are named with addr2line and the lines of this scenario matched.
regressions() { # SCEN COUNTFILE
	local scen=$1 cnt=$2
	grep -q "^$scen " "$here/regress.txt" 2>/dev/null || return 0
	local addrs
	addrs=$(while read -r _ site _; do printf '0x%x 0x%x\n' $((0x$site >> 28)) $((0x$site & 0xfffffff)); done <"$cnt")
	# shellcheck disable=SC2086
	addr2line -f -s -e "$TB" $addrs 2>/dev/null | awk 'NR % 2 == 1' | paste -d' ' - - |
		paste -d' ' "$cnt" - | awk '{print $1, $2, $4 "<-" $5}' >"$T/named"
	local s fam name n how site
	while read -r s fam name n how; do
		[ -n "$how" ] || continue
		[ "$s" = "$scen" ] || continue
		# NAME@K: the K-th site of that name, in the order of its code address (two calls
		# of one family in one function: a later line has the higher address)
		local k=1
		case $name in *@*) k=${name##*@} name=${name%@*} ;; esac
		site=$(awk -v f="$fam" -v nm="$name" '$1 == f && $3 == nm {print $2}' "$T/named" |
			while read -r x; do echo "$((0x$x >> 28)) $x"; done | sort -n | awk -v k="$k" 'NR == k {print $2}')
		if [ -n "$site" ]; then echo "$fam $site $n $how"; else echo "regress.txt's $fam $name is no site of the clean run" >&2; fi
	done < <(grep -v '^#' "$here/regress.txt")
}

verdict() { # SCEN FAM SITE N HOW RC ERRFILE ALLOWED_CODES: prints problems, returns 1 if any
	local scen=$1 fam=$2 site=$3 n=$4 how=$5 rc=$6 err=$7 allowed=$8 bad=0
	if grep -q 'LeakSanitizer' "$err"; then
		bad=1; echo "  LEAK: $(grep -m1 -A12 'Direct leak\|Indirect leak' "$err" | grep ' in ' | grep -v 'interceptor\| xmalloc \| xcalloc \| xstrdup ' | head -2 | sed 's/^ *//;s/ (.*//' | paste -sd' ')"
	fi
	if grep -q 'ERROR: AddressSanitizer\|runtime error' "$err" || [ "$rc" -ge 128 ] || [ "$rc" = 98 ]; then
		bad=1; echo "  CRASH (rc $rc): $(grep -m1 'ERROR: AddressSanitizer\|runtime error' "$err")"
	fi
	if [ "$rc" != 0 ] && [ "$rc" -lt 98 ]; then # 98, 99: UBSan's and ASan/LSan's own codes
		local want
		case $fam in alloc | file) want=6 ;; net | clock) want=3 ;; esac # clock: a timeout
		case " $want $allowed " in
		*" $rc "*) ;;
		*) bad=1; echo "  EXIT $rc (want $want${allowed:+ or $allowed}): $(grep -v '^ *$' "$err" | head -2 | paste -sd'|')" ;;
		esac
		if ! grep -q '^nettool [a-z-]*: ' "$err"; then
			bad=1; echo "  NO MESSAGE: stderr has no 'nettool APPLET: ...' line: $(head -c 200 "$err")"
		fi
	fi
	return $bad
}

run_scenario() {
	local scen=$1 line fam site n how rc ran=0
	S=$((S + 1))
	# nothing of the scenario before carries over (an exit code it allowed, a function)
	unset SCEN_ALLOW SCEN_WHY
	unset -f scen_setup scen_teardown scen_reset scen_run scen_check scen_done
	# shellcheck disable=SC1090
	. "$here/scen_$scen.sh"
	if ! scen_setup; then
		echo "SKIP: torture $scen: ${SCEN_WHY:-setup failed}"
		return
	fi
	scen_reset
	rm -f "$T/cnt"
	NT_TORTURE="count:$T/cnt" scen_run >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc != 0 ] || ! scen_done; then
		echo "FAIL: torture $scen: the clean run failed (rc $rc): $(head -3 "$T/err")"
		V=$((V + 1))
		return
	fi
	local sites
	sites=$(wc -l <"$T/cnt")
	choose "$T/cnt" >"$T/runs"
	regressions "$scen" "$T/cnt" >>"$T/runs" 2>"$T/stale"
	if [ -s "$T/stale" ] && [ "${TORTURE_STALE_OK:-}" = 1 ]; then
		echo "note: torture $scen: $(paste -sd' ' "$T/stale") (this build inlines otherwise)"
	elif [ -s "$T/stale" ]; then
		# a kept fault that no longer names a site would silently stop being tested
		echo "FAIL: torture $scen: $(paste -sd' ' "$T/stale") (rename it in regress.txt)"
		V=$((V + 1))
	fi
	echo "--- torture $scen: $sites call sites ($(awk '{c[$1]++} END {for (f in c) printf "%s %d ", f, c[f]}' "$T/cnt")), $(wc -l <"$T/runs") runs"
	if [ -n "${TORTURE_PLAN:-}" ]; then
		# the plan only: how many runs the full sweep and this spread make (the full one
		# is all.runs, every site's first, last and a middle call), and the calls counted
		echo "--- torture $scen: plan: $(wc -l <"$T/all.runs") runs in the full sweep, $(wc -l <"$T/runs") in this one; $(awk '{n += $3} END {print n}' "$T/cnt") calls in the clean run (${SECONDS}s so far)"
		scen_teardown 2>/dev/null
		return
	fi
	local t0
	while read -r fam site n how; do
		t0=$SECONDS
		scen_reset
		rm -f "$T/hit"
		NT_TORTURE="fail:$fam:$site:$n:$how" NT_TORTURE_HIT="$T/hit" scen_run >"$T/out" 2>"$T/err"
		rc=$?
		if [ ! -s "$T/hit" ]; then
			UNREACHED=$((UNREACHED + 1))
			continue
		fi
		N=$((N + 1))
		ran=$((ran + 1))
		local msgs
		msgs=$(verdict "$scen" "$fam" "$site" "$n" "$how" "$rc" "$T/err" "${SCEN_ALLOW:-}")
		case $msgs in *"  LEAK"*) L=$((L + 1)) ;; esac
		case $msgs in *"  CRASH"*) C=$((C + 1)) ;; esac
		case $msgs in *"  EXIT"* | *"  NO MESSAGE"*) V=$((V + 1)) ;; esac
		local inv
		inv=$(scen_check "$rc" 2>&1) || { V=$((V + 1)); msgs="${msgs:+$msgs
}  INVARIANT: $(echo "$inv" | paste -sd' ')"; }
		# the clean rerun completes the job
		scen_run >"$T/out2" 2>"$T/err2"
		local rc2=$?
		if [ $rc2 != 0 ] || ! inv=$(scen_done 2>&1); then
			V=$((V + 1))
			msgs="${msgs:+$msgs
}  RERUN (rc $rc2): $(echo "${inv:-}" | paste -sd' ') $(head -2 "$T/err2" | paste -sd'|')"
		fi
		if [ -n "$msgs" ]; then
			echo "FAIL: torture $scen: $fam $how at call $n of $(where "$site") [site $site] (rc $rc)"
			echo "$msgs"
		elif [ -n "${TORTURE_VERBOSE:-}" ]; then
			echo "ok: torture $scen: $fam $how at call $n of $(where "$site") (rc $rc: $(head -1 "$T/err")) $((SECONDS - t0)) s"
		fi
	done <"$T/runs"
	scen_teardown 2>/dev/null
	echo "--- torture $scen: $ran faults injected"
}

scens=("$@")
if [ ${#scens[@]} = 0 ]; then
	for f in "$here"/scen_*.sh; do
		f=${f##*/scen_}
		scens+=("${f%.sh}")
	done
fi
JOBS=${TORTURE_JOBS:-2}
if [ "$JOBS" -gt 1 ] && [ ${#scens[@]} -gt 1 ]; then
	# The scenarios side by side, JOBS at a time (a run mostly waits on its servers, on
	# timeouts and on the sanitizer's start): each in a run.sh of its own, its output
	# printed whole when it ends, the totals summed.
	i=0
	for s in "${scens[@]}"; do
		while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
		i=$((i + 1))
		TORTURE_JOBS=1 "$here/run.sh" "$s" >"$T/job.$i" 2>&1 &
	done
	wait
	for j in $(seq 1 $i); do
		grep -v '^torture: \|^([0-9]* chosen faults' "$T/job.$j"
		read -r s n c l v < <(sed -n 's/^torture: \([0-9]*\) scenarios, \([0-9]*\) injected faults, \([0-9]*\) crashes, \([0-9]*\) leaks, \([0-9]*\) invariant violations$/\1 \2 \3 \4 \5/p' "$T/job.$j")
		if [ -z "${v:-}" ]; then
			echo "FAIL: torture: the run of ${scens[$((j - 1))]} ended without its totals: $(tail -3 "$T/job.$j" | paste -sd'|')"
			S=$((S + 1)) V=$((V + 1))
			continue
		fi
		S=$((S + s)) N=$((N + n)) C=$((C + c)) L=$((L + l)) V=$((V + v))
		UNREACHED=$((UNREACHED + $(sed -n 's/^(\([0-9]*\) chosen faults.*/\1/p' "$T/job.$j" | head -1 | grep . || echo 0)))
	done
else
	for s in "${scens[@]}"; do
		run_scenario "$s"
	done
fi
[ "$UNREACHED" -gt 0 ] && echo "($UNREACHED chosen faults were not reached in their run: the call counts differ between runs there)"
echo "torture: $S scenarios, $N injected faults, $C crashes, $L leaks, $V invariant violations"
[ $C = 0 ] && [ $L = 0 ] && [ $V = 0 ]
