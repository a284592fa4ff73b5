#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh - `make fuzz`: link each tests/fuzz/fuzz_*.c with the objects in BUILD (compiled
# with clang -fsanitize=address,fuzzer-no-link) and run it for FUZZ_SECS seconds on its
# seed corpus (tests/fuzz/corpus/NAME/, copied to a scratch folder).
# A harness that crashes (any non-zero exit) makes the run fail, naming the harness, the
# crash file and the sanitizer's verdict; crash and other artifact files land in
# BUILD/artifacts/NAME/, never in the source tree. FUZZ_ONLY=NAME runs one harness (e.g.
# to check this script).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build-fuzz}
secs=${FUZZ_SECS:-60}
cd "$top"
objs=$(find "$build/core" "$build/applets" -name '*.o' ! -path "$build/core/main.o")
libs=$(pkg-config --libs libcurl openssl zlib)
status=0
for h in tests/fuzz/fuzz_*.c; do
	[ -e "$h" ] || continue
	name=$(basename "$h" .c)
	[ -n "${FUZZ_ONLY:-}" ] && [ "$name" != "$FUZZ_ONLY" ] && continue
	bin=$build/$name
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address -Iinclude -Iapplets $(pkg-config --cflags libcurl) \
		-o "$bin" "$h" $objs $libs -lpthread -lm
	corpus=$(mktemp -d)
	art=$build/artifacts/$name
	mkdir -p "$art"
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$corpus/"
	echo "=== $name for ${secs}s"
	log=$build/$name.log
	rc=0
	"$bin" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" \
		"$corpus" >"$log" 2>&1 || rc=$?
	tail -n 12 "$log"
	if [ "$rc" -ne 0 ]; then
		status=1
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		# the sanitizer's or libFuzzer's verdict (the tail above may show only the input)
		grep -m 2 -E '^==[0-9]+== ?ERROR: |^SUMMARY: ' "$log" || true
		echo "FAIL: $name exited with status $rc; crash file: ${crash:-none written} (log: $log)"
	fi
	rm -rf "$corpus"
done
exit $status
