#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh - `make bench`: every bench/*.sh in turn (or those named), each printing
# "bench NAME nettool=X peer=Y ratio=Z" lines; a summary of those lines at the end.
# Environment: NETTOOL (binary), BENCHBIN (folder of the C load generators built from bench/*.c).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${NETTOOL:?set NETTOOL}"
export NETTOOL BENCHBIN=${BENCHBIN:-}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
list=("$@")
[ ${#list[@]} -eq 0 ] && list=("$here"/*.sh)
for b in "${list[@]}"; do
	[ "${b##*/}" = run.sh ] && continue
	# a part that another script runs (ftp.sh runs ftp_journal.sh) runs there only
	[ $# -eq 0 ] && grep -qs "bench/${b##*/}\"" "$here"/*.sh && continue
	case $b in */*) ;; *) b="$here/$b.sh" ;; esac
	echo "=== ${b##*/}"
	bash "$b" 2>&1 | tee -a "$out"
done
echo
echo "Summary:"
grep '^bench ' "$out" || echo "(no figures)"
