#!/bin/bash
# SPDX-License-Identifier: MIT
# completion.sh - the bash completion asks only nettool: TAB after an applet name whose
# program on PATH is another one (an `ftp` client, exim's `sendmail`, or a link to some
# other file named nettool) runs nothing and offers nothing; through a symlink or a hard
# link to the nettool on PATH it completes as usual. After an option it offers the
# option's values (--progress), folders (mail-fetch -o) or files, as its table says.
. "$(dirname "$0")/lib.sh"
comp=$(cd "$(dirname "$0")/../../completions" && pwd)/nettool.bash

# Fake programs that record being run.
mkdir -p "$T/foreign" "$T/ours"
for p in ftp sendmail nntp; do
	printf '#!/bin/sh\necho "$0 $*" >>%s/ran\necho --json\n' "$T" >"$T/foreign/$p"
	chmod +x "$T/foreign/$p"
done
ln -s "$NT" "$T/ours/nettool"

# complete WORD... : what _nettool offers for the last word (through bash's own
# `complete -p` machinery: the function registered for the command name).
complete_words() {
	local path=$1
	shift
	env -u NETTOOL_BIN PATH="$path:/usr/bin:/bin" bash -c '
		. "$1"; shift
		f=$(complete -p "$1" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		"$f" "$1" "${@: -1}" "${@: -2:1}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@" 2>&1
}

for p in ftp sendmail; do
	rm -f "$T/ran"
	got=$(complete_words "$T/foreign:$T/ours" "$p" --)
	if [ -e "$T/ran" ]; then
		fail "completion after a foreign $p" "it ran: $(cat "$T/ran")"
	elif [ -n "$got" ]; then
		fail "completion after a foreign $p" "offered: $got"
	else
		pass "completion after a foreign $p runs nothing, offers nothing"
	fi
done

# A symlink to nettool (the one on PATH) named like the applet completes its options.
mkdir -p "$T/links"
ln -s "$NT" "$T/links/ftp"
rm -f "$T/ran"
got=$(complete_words "$T/links:$T/ours:$T/foreign" ftp --jso)
[ "$got" = --json ] && [ ! -e "$T/ran" ] && pass "completion through a symlink to nettool" ||
	fail "completion through a symlink to nettool" "got: $got"

# An applet name not on PATH at all: nettool (on PATH) answers.
got=$(complete_words "$T/ours" udp-serve --ech)
[ "$got" = --echo ] && pass "completion of an applet name not on PATH asks nettool" ||
	fail "completion of an applet name not on PATH" "got: $got"

# A foreign `ftp` that links to another file named nettool (not the nettool on PATH):
# the name is no proof, so it is not run; nor is anything else.
mkdir -p "$T/evil" "$T/evilpath"
printf '#!/bin/sh\necho "$0 $*" >>%s/ran\necho --json\n' "$T" >"$T/evil/nettool"
chmod +x "$T/evil/nettool"
ln -s "$T/evil/nettool" "$T/evilpath/ftp"
rm -f "$T/ran"
got=$(complete_words "$T/evilpath:$T/ours" ftp --jso)
if [ -e "$T/ran" ]; then
	fail "completion after an ftp linking to another nettool" "it ran: $(cat "$T/ran")"
elif [ -n "$got" ]; then
	fail "completion after an ftp linking to another nettool" "offered: $got"
else
	pass "completion after an ftp linking to another file named nettool runs nothing"
fi
# A hard link to our nettool (the same file under another name) is ours.
if ln "$(readlink -f "$NT")" "$T/links/nntp" 2>/dev/null; then
	rm -f "$T/ran"
	got=$(complete_words "$T/links:$T/ours:$T/foreign" nntp --jso)
	[ "$got" = --json ] && [ ! -e "$T/ran" ] && pass "completion through a hard link to nettool" ||
		fail "completion through a hard link to nettool" "got: $got"
else
	skip "completion through a hard link to nettool" "cannot hard-link the binary into $T"
fi

# The TLS client's files: --cert, --key and --pinnedpubkey complete file names.
mkdir -p "$T/pki"
touch "$T/pki/client.pem" "$T/pki/client.key"
for o in --cert --key --pinnedpubkey; do
	got=$(complete_words "$T/ours" nettool mail-fetch "$o" "$T/pki/client.p" | tr '\n' ' ')
	[ "$got" = "$T/pki/client.pem " ] && pass "completion: $o completes file names" ||
		fail "completion: $o" "got: $got"
done
# Values and folders: after an option with a fixed set of values (OPT_CHOICE) the values
# of its table row; after an option that wants a folder (OPT_DIR) folders only.
mkdir -p "$T/cwd/maildir-a" "$T/cwd/mdir-b"
: >"$T/cwd/mfile"
got=$(cd "$T/cwd" && complete_words "$T/ours" nntp --progress "" | sort | tr '\n' ' ')
[ "$got" = "auto bar none plain " ] && pass "completion offers --progress's values" || fail "completion of --progress" "got: $got"
got=$(cd "$T/cwd" && complete_words "$T/ours" ftp --progress p)
[ "$got" = plain ] && pass "completion of a started value" || fail "completion of --progress p" "got: $got"
want=$("$NT" ftp --help | sed -n 's/.*--progress MODE .*; MODE: //p')
[ "$want" = "bar, plain, none, auto" ] && pass "--help lists the same values" || fail "--progress in --help" "$want"
for w in "mail-fetch -o" "mail-fetch --maildir" "ftp -O" "nntp --output-dir" "mail-send --queue" "mail-send --flush"; do
	# shellcheck disable=SC2086
	got=$(cd "$T/cwd" && complete_words "$T/ours" $w m | sort | tr '\n' ' ')
	[ "$got" = "maildir-a mdir-b " ] && pass "completion offers folders after $w" || fail "completion after $w" "got: $got"
done
got=$(cd "$T/cwd" && complete_words "$T/ours" mail-fetch --mbox m | sort | tr '\n' ' ')
[ "$got" = "maildir-a mdir-b mfile " ] && pass "completion offers files after mail-fetch --mbox" || fail "completion after --mbox" "got: $got"
got=$(cd "$T/cwd" && complete_words "$T/ours" nettool --install m | sort | tr '\n' ' ')
[ "$got" = "maildir-a mdir-b " ] && pass "completion offers folders after nettool --install" || fail "completion after --install" "got: $got"

finish
