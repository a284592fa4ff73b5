#!/bin/bash
# SPDX-License-Identifier: MIT
# dispatch.sh - the multi-call binary: --list, --install, --help, --version (of nettool and
# of every applet), symlinked names, a link whose name is no applet.
. "$(dirname "$0")/lib.sh"

list=$("$NT" --list)
# The names and aliases of include/applets.def, the one list: nothing to keep here.
def=$(sed -n 's/^\(APPLET\|ALIAS\)("\([^"]*\)".*/\2/p' "$(dirname "$0")/../../include/applets.def" | sort)
[ "$(echo "$def" | wc -l)" -gt 4 ] || fail "applets.def read" "$def"
[ "$(echo "$list" | sort)" = "$def" ] && pass "--list names every applet of applets.def, and only those" \
	|| fail "--list" "$(diff <(echo "$def") <(echo "$list" | sort) | grep '^[<>]' | tr '\n' ' ')"
testing "--version names libcurl and OpenSSL" "\$NT --version | grep -c -e libcurl -e OpenSSL" "2" "" ""
"$NT" --help | grep -q 'tcp-serve' && pass "--help lists the applets" || fail "--help"
expect_exit "an unknown applet is exit 2" 2 "$NT" frobnicate
grep -q "unknown applet 'frobnicate'" "$T/check.out" && pass "the unknown applet is named" || fail "unknown applet message" "$(cat "$T/check.out")"
expect_exit "an unknown option is exit 2" 2 "$NT" --frob
expect_exit "an unknown applet option is exit 2" 2 "$NT" tcp-send --frob
grep -q -- "--frob" "$T/check.out" && pass "the unknown option is named" || fail "unknown option message"
bad=
for a in $list; do
	"$NT" "$a" --help >"$T/help" 2>&1 && grep -q '^Usage:' "$T/help" || bad="$bad $a"
done
[ -z "$bad" ] && pass "every applet answers --help with exit 0" || fail "--help" "failed for:$bad"

mkdir -p "$T/bin"
cp "$NT" "$T/bin/nettool"
check "--install makes the links" "$T/bin/nettool" --install "$T/bin"
[ "$(readlink "$T/bin/tcp-serve")" = nettool ] && pass "links point at the binary by name" || fail "link target" "$(readlink "$T/bin/tcp-serve")"
"$T/bin/tcp-send" --help | grep -q '^Usage: tcp-send' && pass "a symlinked name runs its applet" || fail "symlinked applet"
"$T/bin/sendmail" --help >/dev/null 2>&1 && pass "the sendmail alias runs" || fail "sendmail alias"
check "--install again leaves correct links alone" "$T/bin/nettool" --install "$T/bin"
rm "$T/bin/ftp"
echo "precious" >"$T/bin/ftp"
expect_exit "--install refuses to clobber a file that is not our link" 1 "$T/bin/nettool" --install "$T/bin"
grep -q "$T/bin/ftp" "$T/check.out" && [ "$(cat "$T/bin/ftp")" = precious ] && pass "the file is named and left alone" || fail "clobber message" "$(cat "$T/check.out")"
"$NT" "$T/bin/tcp-serve" --help | grep -q '^Usage: nettool tcp-serve' && pass "a path as first argument (#! wrappers)" || fail "path dispatch"

# A link whose name is no applet is named, not taken for nettool (nor its usage printed).
ln -s nettool "$T/bin/frob-serve"
expect_exit "a link with an unknown name is exit 2" 2 "$T/bin/frob-serve" --list
grep -q "'frob-serve' is not an applet (the link's name); nettool --list shows them" "$T/check.out" &&
	! grep -q '^Usage' "$T/check.out" && pass "the link's name is in the error" || fail "unknown link message" "$(cat "$T/check.out")"
ln -s nettool "$T/bin/$(printf 'x\033[2Jy')"
"$T/bin/$(printf 'x\033[2Jy')" >"$T/esc.out" 2>&1
grep -q "'x?\[2Jy' is not an applet" "$T/esc.out" && pass "a link's name is made safe for a terminal" || fail "escape in a link name" "$(od -c "$T/esc.out" | head -3)"
# nettool under its own file name, whatever that is (a copy called nt), is nettool.
cp "$NT" "$T/bin/nt"
"$T/bin/nt" --list | grep -qx tcp-serve && pass "a copy under another name is nettool" || fail "copy named nt"

# --version: every applet answers it as nettool does (core/opt.c), by either name.
want=$("$NT" --version)
bad=
for a in $list; do
	[ "$("$NT" "$a" --version 2>&1)" = "$want" ] && [ "$("$T/bin/nettool" "$a" --version 2>&1)" = "$want" ] || bad="$bad $a"
	[ -L "$T/bin/$a" ] && { [ "$("$T/bin/$a" --version 2>&1)" = "$want" ] || bad="$bad $a(link)"; }
done
[ -z "$bad" ] && pass "every applet answers --version like nettool --version" || fail "applet --version" "$bad"
finish
