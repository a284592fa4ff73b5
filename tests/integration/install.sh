#!/bin/bash
# SPDX-License-Identifier: MIT
# install.sh - `make install PREFIX DESTDIR`: the binary, a link per applet, man pages,
# bash completion for nettool and every applet name.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(dirname "$NT")
build=${build#"$top"/}
if make -s -C "$top" install BUILD="$build" PREFIX=/usr/local DESTDIR="$T/root" >"$T/install.log" 2>&1; then
	pass "make install"
else
	fail "make install" "$(tail -5 "$T/install.log")"
fi
r=$T/root/usr/local
[ -x "$r/bin/nettool" ] && pass "binary installed" || fail "binary installed"
bad=
for a in $("$NT" --list); do
	[ "$(readlink "$r/bin/$a")" = nettool ] && [ -e "$r/share/bash-completion/completions/$a" ] || bad="$bad $a"
done
[ -z "$bad" ] && pass "a link and a completion per applet" || fail "links and completions" "missing for:$bad"
"$r/bin/tcp-serve" --help | grep -q '^Usage: tcp-serve' && pass "an installed link runs its applet" || fail "installed link"
n=$(ls "$r/share/man/man1" | wc -l)
[ "$n" -eq "$(ls "$top"/man/*.1 | wc -l)" ] && pass "every man page installed ($n)" || fail "man pages" "$n installed"
MANPATH=$r/share/man man -w nettool-tcp-serve >/dev/null 2>&1 || mandoc -Tlint "$r/share/man/man1/nettool-tcp-serve.1" >/dev/null 2>&1 \
	&& pass "man pages readable" || fail "man page unreadable"
finish
