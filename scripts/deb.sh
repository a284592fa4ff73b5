#!/bin/bash
# SPDX-License-Identifier: MIT
# deb.sh - build the Debian packages (debian/) from a copy of this tree: `make deb`.
#
# Usage: scripts/deb.sh OUTDIR
# The tracked and untracked-but-not-ignored files are copied to OUTDIR/nettool-VERSION
# (so dpkg-buildpackage, which cleans its source and writes next to it, never touches
# the working tree or its build/), built with `dpkg-buildpackage -us -uc -b`, and the
# .deb files are copied to the top of the tree. DEB_BUILD_OPTIONS gets nocheck (the
# suite needs servers; debian/rules runs no tests anyway).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: deb.sh OUTDIR}
cd "$top"
case $out in /*) ;; *) out=$top/$out ;; esac
version=$(dpkg-parsechangelog -S Version)
mkversion=$(sed -n 's/^VERSION *= *//p' Makefile)
if [ "${version%%-*}" != "$mkversion" ]; then
	echo "deb.sh: debian/changelog says $version, the Makefile's VERSION is $mkversion" >&2
	exit 1
fi
src=$out/nettool-$version
rm -rf --one-file-system "$src"
mkdir -p "$src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -C "$src" -xf -
else
	tar --exclude='./build*' --exclude=./nettool --exclude='./*.deb' -cf - . | tar -C "$src" -xf -
fi
rm -f "$out"/nettool_"$version"_* "$out"/nettool-mta_"$version"_* "$out"/nettool-dbgsym_"$version"_*
(cd "$src" && DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b)
debs=$(ls "$out"/nettool_"$version"_*.deb "$out"/nettool-mta_"$version"_*.deb)
cp $debs "$top"/
echo "deb.sh: built$(for d in $debs; do printf ' %s' "${d##*/}"; done) (copied here; changes: ${out#"$top"/}/$(cd "$out" && ls nettool_"$version"_*.changes))"
