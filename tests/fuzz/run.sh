#!/bin/bash
# run.sh - `make fuzz`: link each tests/fuzz/fuzz_*.c with the objects in BUILD (compiled
# with clang -fsanitize=address,fuzzer-no-link) and run it for FUZZ_SECS seconds on its
# seed corpus (tests/fuzz/corpus/NAME/, copied to a scratch folder).
set -eu
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
	bin=$build/$name
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address -Iinclude -Iapplets $(pkg-config --cflags libcurl) \
		-o "$bin" "$h" $objs $libs -lpthread -lm
	corpus=$(mktemp -d)
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$corpus/"
	echo "=== $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 "$corpus" 2>&1 | tail -n 12; then
		status=1
		echo "FAIL: $name found a crash (see the artifact above)"
	fi
	rm -rf "$corpus"
done
exit $status
