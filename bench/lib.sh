# SPDX-License-Identifier: MIT
# lib.sh - what the benchmark scripts share (sourced after tests/integration/lib.sh):
#   calc EXPR          awk arithmetic, three decimals (a comparison prints 1.000 or 0.000)
#   median [N...]      the middle value of its arguments, or of standard input without
#                      any (the mean of the two middle ones for an even count)
#   timed OUT CMD...   runs CMD (output to /dev/null, stderr to $T/bench.err); writes
#                      "wall cpu maxrss_kb" (cpu = user + system seconds) to OUT; CMD's status
#   small_files DIR N  N files of 1 KiB (the same random block) named fI.dat in DIR
# Used by bench/ftp.sh, bench/ftp_copy.sh, bench/ftp_journal.sh.
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
median() {
	{ if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cat; fi; } | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
timed() {
	local out=$1 rc
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$T/time.raw" "$@" >/dev/null 2>"$T/bench.err"
	rc=$?
	awk '{ printf "%s %.3f %s\n", $1, $2 + $3, $4 }' "$T/time.raw" | tail -1 >"$out"
	return $rc
}
small_files() {
	mkdir -p "$1"
	/usr/bin/python3 -c '
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
b = os.urandom(1024)
for i in range(n):
    with open(f"{d}/f{i}.dat", "wb") as f: f.write(b)
' "$1" "$2"
}
