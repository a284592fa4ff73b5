#!/bin/bash
# SPDX-License-Identifier: MIT
# install.sh - `make install PREFIX DESTDIR`: the binary, a link per applet, man pages
# (a link NAME.1 per applet, sendmail(8) for the alias), bash completion for nettool and
# every applet name; the pages render with mandoc and, where man is installed, `man`
# finds them. `nettool --install DIR` makes DIR and links nettool itself there too.
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
n=$(find "$r/share/man/man1" -type f | wc -l)
[ "$n" -eq "$(ls "$top"/man/*.1 | wc -l)" ] && pass "every man page installed ($n)" || fail "man pages" "$n installed"
# Every page and alias renders (mandoc is a test dependency; man-db may be absent, as on a
# minimal system): errors or warnings fail, style notes (long lines...) do not.
render() { (cd "$r/share/man" && mandoc -Tascii "$1") | sed 's/.\x08//g'; } # overstrike removed
bad=
for p in "$r"/share/man/man1/*.1 "$r"/share/man/man8/*.8; do
	# an alias link (sendmail.8 -> ../man1/nettool-mail-send.1) is the page of another
	# section: mandoc notes the mismatch, man-db does not care (msmtp-mta ships the same)
	out=$(cd "$r/share/man" && mandoc -W warning -Tascii "$p" 2>&1 >/dev/null |
		{ if [ -L "$p" ]; then grep -v -e 'filename/section mismatch' -e 'see above the output'; else cat; fi; })
	[ -z "$out" ] &&
		render "$p" | grep -q '^NAME' || bad="$bad ${p#"$r"/share/man/}"
done
[ -z "$bad" ] && pass "man pages render" || fail "man page unreadable" "$bad"
bad=
for a in $("$NT" --list); do
	case $a in sendmail) page=$r/share/man/man8/sendmail.8 ;; *) page=$r/share/man/man1/$a.1 ;; esac
	[ -e "$page" ] && render "$page" | grep -A2 '^NAME' | grep -qw -- "$a" || bad="$bad $a"
done
[ -z "$bad" ] && pass "a man page under every applet name (sendmail in section 8)" || fail "man page per name" "missing:$bad"
if command -v man >/dev/null; then
	got=$(MANPATH=$r/share/man man -w 8 sendmail 2>&1)
	[ "$(readlink -f "$got")" = "$(readlink -f "$r/share/man/man1/nettool-mail-send.1")" ] &&
		pass "man finds sendmail(8): the mail-send page" || fail "man sendmail" "$got"
	MANPATH=$r/share/man man -w tcp-serve >/dev/null 2>&1 && pass "man finds tcp-serve" || fail "man tcp-serve"
else
	echo "PASS: man is not installed: the pages were checked with mandoc alone"
fi

# --install DIR: DIR made as `install -d` would, saying so; nettool linked there too, so
# that `nettool --list` works with only those links on PATH.
mkdir -p "$T/src"
cp "$NT" "$T/src/nettool"
"$T/src/nettool" --install "$T/home/bin" >"$T/inst.out" 2>&1
rc=$?
[ $rc = 0 ] && [ -d "$T/home/bin" ] && pass "--install makes a missing folder and its parents" ||
	fail "--install DIR (missing)" "exit $rc: $(cat "$T/inst.out")"
grep -q "created the folder '$T/home'" "$T/inst.out" && grep -q "created the folder '$T/home/bin'" "$T/inst.out" &&
	pass "--install names each folder it made" || fail "--install message" "$(cat "$T/inst.out")"
[ "$(readlink "$T/home/bin/nettool")" = "$T/src/nettool" ] && pass "--install links nettool itself" ||
	fail "--install nettool link" "$(ls -l "$T/home/bin")"
got=$(env PATH="$T/home/bin" nettool --list 2>&1 | sort | tr '\n' ' ')
want=$("$NT" --list | sort | tr '\n' ' ')
[ "$got" = "$want" ] && pass "nettool --list with only the installed links on PATH" || fail "--list through the links" "$got"
env PATH="$T/home/bin" tcp-serve --help 2>&1 | grep -q '^Usage: tcp-serve' && pass "an applet through the installed links" ||
	fail "applet through the installed links"
check "--install again leaves everything alone" "$T/src/nettool" --install "$T/home/bin"
[ ! -s "$T/check.out" ] && pass "--install again says nothing" || fail "--install again" "$(cat "$T/check.out")"
# The binary's own folder: it is nettool already (not a foreign file named nettool).
check "--install into the binary's own folder" "$T/src/nettool" --install "$T/src"
[ -f "$T/src/nettool" ] && [ ! -L "$T/src/nettool" ] && [ "$(readlink "$T/src/ftp")" = nettool ] &&
	pass "the binary itself is left alone, the links name it" || fail "--install own folder" "$(ls -l "$T/src")"
: >"$T/file"
expect_exit "--install below a file is exit 6" 6 "$T/src/nettool" --install "$T/file/bin"
grep -q "'$T/file' is not a folder" "$T/check.out" && pass "the file in the way is named" || fail "--install file message" "$(cat "$T/check.out")"
finish
