#!/bin/bash
# SPDX-License-Identifier: MIT
# commit.sh - the measurement behind core/commit's one sync policy (include/commit.h):
# 2,000 files of 4 KiB made durable in groups of 64 with one syncfs per group (nettool)
# against one fdatasync per file, interleaved, ROUNDS rounds (default 5), each in a fresh
# folder under TMPDIR (point it at a fresh folder on the disk that matters).
# Prints "bench NAME nettool=X peer=Y ratio=Z" (seconds, medians; ratio > 1: nettool is better).
set -u
: "${BENCHBIN:?set BENCHBIN to the built bench programs}"
ROUNDS=${ROUNDS:-5}
N=${COMMIT_FILES:-2000}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ours= peer=
for r in $(seq "$ROUNDS"); do
	for p in syncfs fdatasync; do
		s=$("$BENCHBIN/commitpolicy" "$p" "$T/$p.$r" "$N" 4096) || { echo "bench commit: $p failed"; exit 0; }
		rm -rf "${T:?}/$p.$r"
		s=${s#secs=}
		if [ "$p" = syncfs ]; then ours="$ours $s"; else peer="$peer $s"; fi
	done
done
median() { printf '%s\n' $1 | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
o=$(median "$ours") p=$(median "$peer")
echo "commit: syncfs per group:$ours s; fdatasync per file:$peer s"
echo "bench commit-${N}x4k-syncfs-per-group-vs-fdatasync-per-file nettool=${o}s peer=${p}s ratio=$(awk "BEGIN { printf \"%.2f\", $p / $o }")"
