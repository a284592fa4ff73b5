#!/bin/bash
# SPDX-License-Identifier: MIT
# consistency.sh - --help, man pages and completion agree on applets and options;
# nettool.1 documents every applet and the exit codes of include/nt_err.h; --json and JSON
# keys follow nettool.1's CONVENTIONS; mandoc -Tlint is clean.
# The Tests: pointers in file headers exist; HACKING.md's exit codes match include/nt_err.h.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
: "${NETTOOL:?set NETTOOL}"
NT=$NETTOOL
fails=0
pass() { echo "PASS: docs $1"; }
fail() { echo "FAIL: docs $1${2:+: $2}"; fails=$((fails + 1)); }
cd "$here" || exit 1

applets=$("$NT" --list)
T_CHOICE=$(mktemp)
T_DOCS=$(mktemp)
T_LINKS=$(mktemp -d)
trap 'rm -rf "$T_DOCS" "$T_CHOICE" "$T_LINKS"' EXIT
[ -n "$applets" ] && pass "applet list" || fail "applet list" "nettool --list printed nothing"

# An alias (ALIAS in include/applets.def, e.g. sendmail) is documented in its applet's page.
alias_of() { # the applet NAME stands for, or nothing
	local c
	c=$(sed -n "s/^ALIAS(\"$1\", *\([a-z0-9_]*\)).*/\1/p" include/applets.def)
	[ -n "$c" ] && sed -n "s/^APPLET(\"\([^\"]*\)\", *$c,.*/\1/p" include/applets.def
}
page_of() { echo "man/nettool-${2:-$1}.1"; }
# Names the completion script registers in a shell where no nettool is on PATH yet (as
# bash-completion loads it): sourcing must run nothing and still register every name.
completed=$(env -u NETTOOL_BIN PATH=/usr/bin:/bin bash -c '. completions/nettool.bash && complete -p' 2>&1 | awk '$1 == "complete" {print $NF}')
extra=$(for c in $completed; do [ "$c" = nettool ] || echo "$applets" | tr ' ' '\n' | grep -qx -- "$c" || echo "$c"; done)
[ -z "$extra" ] && pass "completion registers no name that is not an applet" ||
	fail "completion registers no name that is not an applet" "$extra"

for a in $applets; do
	target=$(alias_of "$a")
	page=$(page_of "$a" "$target")
	if [ ! -f "$page" ]; then
		fail "$a man page" "missing $page"
		continue
	fi
	grep -q -- "$a" man/nettool.1 && pass "$a in nettool.1" || fail "$a in nettool.1" "not mentioned"
	echo "$completed" | grep -qx -- "$a" && pass "$a in completion" || fail "$a in completion" "not registered by completions/nettool.bash"
	if "$NT" "$a" --help >/dev/null 2>&1; then pass "$a --help"; else fail "$a --help" "exit $?"; fi
	# nettool(1): every applet answers --version as nettool does; an unknown option is
	# named, exit 2, in a message prefixed as CONVENTIONS (Output) says, by either name.
	v=$("$NT" "$a" --version 2>&1) && [ "$v" = "$("$NT" --version)" ] && pass "$a --version" ||
		fail "$a --version" "not nettool --version's text: $(echo "$v" | head -1)"
	"$NT" "$a" --no-such-option </dev/null >/dev/null 2>"$T_DOCS"
	rc=$?
	{ [ $rc = 2 ] && head -1 "$T_DOCS" | grep -q "^nettool $a: .*'--no-such-option'" &&
		grep -q "^Try 'nettool $a --help'" "$T_DOCS"; } && pass "$a: an unknown option is named (nettool $a: ..., exit 2)" ||
		fail "$a unknown option" "exit $rc: $(head -2 "$T_DOCS" | tr '\n' ' ')"
	ln -sf "$NT" "$T_LINKS/$a"
	"$T_LINKS/$a" --no-such-option </dev/null >/dev/null 2>"$T_DOCS"
	head -1 "$T_DOCS" | grep -q "^$a: .*'--no-such-option'" && grep -q "^Try '$a --help'" "$T_DOCS" &&
		pass "$a: through a link, messages are prefixed '$a:'" || fail "$a message prefix through a link" "$(head -2 "$T_DOCS" | tr '\n' ' ')"
	[ -n "$target" ] && continue
	# Every option of the table is in the page, and every option the page names is in the table
	# (--help and --version are every applet's, documented once in nettool.1).
	words=$("$NT" "$a" --complete-words)
	opts=$(echo "$words" | awk '$2 != "command" {print $1}' | grep -vx -e --help -e --version)
	missing=
	for o in $opts; do
		case $o in
		--*) pat="Fl \\\\-${o#--}" ;;
		-*) pat="Fl ${o#-}" ;;
		esac
		grep -Eq -- "$pat([^a-zA-Z0-9-]|\$)" "$page" || missing="$missing $o"
	done
	[ -z "$missing" ] && pass "$a options documented" || fail "$a options documented" "not in $page:$missing"
	extra=
	for o in $(grep -o 'Fl \\-[a-z0-9-]*' "$page" | sed 's/Fl \\-/--/' | sort -u); do
		echo "$opts" | grep -qx -- "$o" || [ "$o" = --help ] || [ "$o" = --version ] || extra="$extra $o"
	done
	[ -z "$extra" ] && pass "$a page options exist" || fail "$a page options exist" "in $page but not in the option table:$extra"
	# Every command (ftp get, nntp over...) has its entry in the page.
	missing=
	for c in $(echo "$words" | awk '$2 == "command" {print $1}'); do
		grep -Eq "^\.It (.* )?Cm ([a-z-]+ [|,] )*$c([^a-zA-Z0-9-]|\$)" "$page" || missing="$missing $c"
	done
	[ -z "$missing" ] && pass "$a commands documented" || fail "$a commands documented" "in no .It line of $page:$missing"
	# An option with a fixed set of values (OPT_CHOICE): every value in --help (rendered
	# from the same row) and in the option's entry in the page.
	echo "$words" | awk '$2 == "choice"' | while read -r o _ vals; do
		case $o in --*) pat="^\.It Fl \\\\${o#-}( |$)" ;; *) pat="^\.It Fl ${o#-}( |$)" ;; esac
		entry=$(pat=$pat awk '$0 ~ ENVIRON["pat"] {on = 1; print; next} on && /^\.(It|El|Sh|Ss)( |$)/ {exit} on' "$page")
		hl=$("$NT" "$a" --help | grep -E -- "(^| )$o ")
		bad=
		for v in $vals; do
			echo "$entry" | grep -Eq "^\.(Cm|Li) (.* )?$v( |$)" || bad="$bad $v(page)"
			echo "$hl" | grep -Eq "[ ,]$v(,|$)" || bad="$bad $v(help)"
		done
		[ -n "$entry" ] && [ -z "$bad" ] && echo "PASS: docs $a $o: the values of its table in --help and the page" ||
			echo "FAIL: docs $a $o values: $([ -n "$entry" ] && echo "not in the entry or --help:" || echo "no .It entry in $page")$bad"
	done >"$T_CHOICE"
	cat "$T_CHOICE"
	fails=$((fails + $(grep -c '^FAIL' "$T_CHOICE")))
done

# Exit codes: the table in nettool.1 matches include/nt_err.h.
codes_h=$(sed -n 's/.*NT_EXIT_[A-Z]* = \([0-9]\),.*/\1/p' include/nt_err.h | sort -n | tr '\n' ' ')
codes_m=$(sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' man/nettool.1 | sed -n 's/^\.It \([0-9]\)$/\1/p' | sort -n | tr '\n' ' ')
[ "$codes_h" = "$codes_m" ] && pass "exit codes" || fail "exit codes" "nt_err.h: $codes_h nettool.1: $codes_m"

# nettool(1) Common options: each is spelled, and takes the same argument, in every applet
# that has it (--timeout SEC everywhere, never --timeout MS here and SECS there), and
# every applet states --help and --version as nettool.1 says.
common=$(sed -n '/^\.Ss Common options/,/^\.S[sh] /p' man/nettool.1 | grep -o 'Fl [^.]*' |
	grep -oE '\\-[a-z][a-z0-9-]*|(^| )[46vqu]( |,|$)' | sed 's/^\\-/--/; s/[ ,]//g; s/^\([46vqu]\)$/-\1/' | sort -u)
[ "$(echo "$common" | wc -w)" -gt 10 ] || fail "nettool.1 Common options" "read: $common"
bad=
for o in $common; do
	args=$(for a in $applets; do
		"$NT" "$a" --help | grep -E -- "^ +(-., )?$o( |,|$)" | head -1 |
			sed -E "s/^ +(-., )?(--[a-z0-9-]+)?//; s/^ ([A-Z][A-Z_]*|\[=[A-Z]+\]).*/\1/; s/^ .*//; s/^$/(none)/"
	done | sort -u)
	[ "$(echo "$args" | grep -c .)" -le 1 ] || bad="$bad $o:$(echo "$args" | tr '\n' '/')"
done
[ -z "$bad" ] && pass "common options take the same argument in every applet ($(echo "$common" | wc -w) options)" ||
	fail "common options" "different arguments:$bad"
sed -n '/^Every applet answers$/,/^on standard output/p' man/nettool.1 | grep -q 'Fl \\-version' &&
	pass "nettool.1: every applet answers --help and --version" || fail "nettool.1" "does not say every applet answers --version"

# debian/copyright carries LICENSE's text (the package's licence is the project's).
lic=$(awk 'f; /^License: MIT$/ {n++; if (n == 2) f = 1}' debian/copyright | sed 's/^ //; s/^\.$//')
[ -n "$lic" ] && [ "$lic" = "$(sed -n '/^Permission is hereby granted/,$p' LICENSE)" ] &&
	grep -qx 'Copyright: [0-9]* *the nettool authors' debian/copyright &&
	pass "debian/copyright: the MIT licence of LICENSE, the nettool authors" || fail "debian/copyright" "not LICENSE's text and holder"

# Conventions (nettool(1) CONVENTIONS): --json is accepted where the help says, and the
# same commands are listed in nettool.1; every other command refuses it with exit 2 (never
# ignores it); JSON keys are snake_case in the code and in the pages.
conv=$(sed -n '/^\.Sh CONVENTIONS/,/^\.Sh /p' man/nettool.1)
echo "$conv" | grep -q 'snake_case' && echo "$conv" | grep -q 'NDJSON' && pass "nettool.1 CONVENTIONS: NDJSON and key spelling" ||
	fail "nettool.1 CONVENTIONS" "no CONVENTIONS section naming NDJSON and snake_case"
for a in $applets; do
	words=$("$NT" "$a" --complete-words)
	if ! echo "$words" | grep -q '^--json '; then
		"$NT" "$a" --json </dev/null >/dev/null 2>&1
		rc=$?
		[ $rc = 2 ] && pass "$a refuses --json (exit 2)" || fail "$a --json" "exit $rc, expected 2 (not ignored)"
		continue
	fi
	cmds=$(echo "$words" | awk '$2 == "command" {print $1}')
	[ -z "$cmds" ] && continue
	help=$("$NT" "$a" --help | grep -E '^ +--json ' | tr ',:;()' '     ')
	takes= refuses=
	for c in $cmds; do
		if echo " $help " | grep -q " $c "; then takes="$takes $c"; else refuses="$refuses $c"; fi
	done
	inman=$(echo "$conv" | sed -n "s/^\.Cm $a \(.*\)/\1/p" | tr -d ',;' | tr -s ' ' '\n' | grep -v '^$' | sort | tr '\n' ' ')
	want=$(printf '%s\n' $takes | sort | tr '\n' ' ')
	[ "$inman" = "$want" ] && pass "$a --json commands: help and nettool.1 agree ($want)" ||
		fail "$a --json commands" "help: $want nettool.1: $inman"
	case $a in
	ftp) dummy="-P 9 CMD 127.0.0.1:x 127.0.0.1:y" ;;
	nntp) dummy="-s 127.0.0.1:9 CMD g 1" ;;
	mail-fetch) dummy="CMD imap://u@127.0.0.1:9/ --stdout" ;;
	*) dummy="CMD" ;;
	esac
	bad=
	for c in $refuses; do
		# shellcheck disable=SC2086
		timeout 10 "$NT" "$a" --json ${dummy/CMD/$c} </dev/null >/dev/null 2>"$T_DOCS"
		rc=$?
		{ [ $rc = 2 ] && grep -q -- '--json' "$T_DOCS"; } || bad="$bad $c(exit $rc)"
	done
	[ -z "$bad" ] && pass "$a refuses --json where it has no results:$refuses" || fail "$a --json ignored" "$bad"
done
# A shell's verbs (--complete-words "verb" lines, from the shell's own table) each have an
# entry in the applet's man page (.It Ic VERB).
for a in $applets; do
	verbs=$("$NT" "$a" --complete-words | awk '$2 == "verb" {print $1}')
	[ -z "$verbs" ] && continue
	page=man/nettool-$a.1
	missing=
	for v in $verbs; do
		grep -qE "^\.It (.* )?Ic $v( |$)" "$page" || grep -qE "^\.It .*, Ic $v( |$)" "$page" || missing="$missing $v"
	done
	[ -z "$missing" ] && pass "$a shell verbs documented in $page" || fail "$a shell verbs" "not in $page:$missing"
done
keys=$(grep -rhoE 'json_kv_[a-z]+\([a-z]+, "[^"]*"' core applets | sed 's/.*"\(.*\)"/\1/' | sort -u)
badkeys=$(echo "$keys" | grep -v '^[a-z0-9_]*$')
[ -n "$keys" ] && [ -z "$badkeys" ] && pass "JSON keys in the code are snake_case" || fail "JSON keys in the code" "not snake_case: $badkeys"
badkeys=$(grep -hoE '"[A-Za-z0-9_-]+":' man/*.[1-8] | tr -d '":' | grep -v '^[a-z0-9_]*$' | sort -u)
[ -z "$badkeys" ] && pass "JSON keys in the man pages are snake_case" || fail "JSON keys in the man pages" "$badkeys"

if command -v mandoc >/dev/null; then
	lint=$(mandoc -Tlint -W warning man/*.[1-8] 2>&1) # the file formats (section 5) too
	[ -z "$lint" ] && pass "mandoc -Tlint" || { fail "mandoc -Tlint"; echo "$lint" | head -20; }
	# A command name after a flag macro (".Cm get Fl r , copy") renders as a flag ("-copy"),
	# and a closing parenthesis on a line of its own with a colon as ") :": lint says neither.
	bad=$(for m in man/*.[1-8]; do mandoc -Tutf8 "$m" | col -b | grep -nE -- '(^|[ ,])-(copy|shell|get|put|mirror|rm|mkdir)\b|\) :' | sed "s|^|$m:|"; done)
	[ -z "$bad" ] && pass "man pages render no command as a flag, no ') :'" || fail "man page rendering" "$(echo "$bad" | head -5)"
else
	echo "SKIP: docs mandoc -Tlint: mandoc not installed"
fi

# The completion script loads and completes applet names and options.
comp=$(bash -c ". completions/nettool.bash; COMP_WORDS=(nettool tcp-se); COMP_CWORD=1; NETTOOL_BIN=$NT _nettool; printf '%s\n' \"\${COMPREPLY[@]}\"" 2>&1)
echo "$comp" | grep -qx tcp-serve && pass "completion of applet names" || fail "completion of applet names" "$comp"
comp=$(bash -c ". completions/nettool.bash; COMP_WORDS=(tcp-serve --idle); COMP_CWORD=1; NETTOOL_BIN=$NT _nettool; printf '%s\n' \"\${COMPREPLY[@]}\"" 2>&1)
echo "$comp" | grep -qx -- --idle-timeout && pass "completion of options" || fail "completion of options" "$comp"

# --- HACKING.md: Tests: pointers, exit codes -------------------------------------------
# The header comment of every file under core/, applets/ and include/ names the tests that
# exercise it. Every path in its "Tests:" field (up to the next "Label:", a blank comment
# line or the end of the comment; remarks in parentheses skipped; shell globs allowed), and
# every tests/... path the header mentions elsewhere, must exist relative to the repo root;
# a "Tests:" field that names no path fails too.
header_test_paths() { # prints "FILE<TAB>PATH" per path, "FILE<TAB>" for an empty Tests: field
	find core applets include -type f \( -name '*.c' -o -name '*.h' -o -name '*.def' \) | sort |
		xargs awk '
		FNR == 1 && /SPDX-License-Identifier/ { spdx = 1; next }
		FNR == 1 || (FNR == 2 && spdx) { inhdr = ($0 ~ /^\/\*/); intests = 0; spdx = 0 }
		!inhdr { next }
		{
			line = $0
			last = index(line, "*/") > 0
			sub(/\*\/.*/, "", line); sub(/^\/\*/, "", line); sub(/^[ \t]*\*/, "", line)
			rest = line
			while (match(rest, /tests\/[A-Za-z0-9_.*\/-]*/)) {
				p = substr(rest, RSTART, RLENGTH); sub(/\.+$/, "", p)
				print FILENAME "\t" p
				rest = substr(rest, RSTART + RLENGTH)
			}
			if (line ~ /^[ \t]*$/) intests = 0
			if (k = index(line, "Tests:")) { line = substr(line, k + 6); intests = 1; named[FILENAME] = 0 }
			if (intests) {
				if (match(line, /(^|[ \t])[A-Z][a-z]+( [a-z]+)?:/)) { line = substr(line, 1, RSTART - 1); intests = 0 }
				gsub(/\([^)]*\)/, "", line)
				n = split(line, w, /[ \t,;]+/)
				for (i = 1; i <= n; i++)
					if (w[i] ~ /\// || w[i] ~ /\.(c|h|sh|py)$/) { print FILENAME "\t" w[i]; named[FILENAME]++ }
			}
			if (last) { inhdr = 0; if (FILENAME in named && named[FILENAME] == 0) print FILENAME "\t" }
		}'
}
check_tests_pointers() {
	local file path bad=0 n=0
	while IFS=$'\t' read -r file path; do
		n=$((n + 1))
		if [ -z "$path" ]; then
			fail "Tests: pointer in $file" "names no test file"
		elif [ "${path#/}" != "$path" ] || [ "${path#*..}" != "$path" ]; then
			fail "Tests: pointer in $file" "$path is not relative to the repo root"
		elif ! compgen -G "$path" >/dev/null; then
			fail "Tests: pointer in $file" "$path does not exist"
		else
			continue
		fi
		bad=$((bad + 1))
	done < <(header_test_paths | sort -u)
	[ "$n" -gt 0 ] || fail "Tests: pointers" "none found in core/, applets/, include/"
	[ "$bad" -eq 0 ] && [ "$n" -gt 0 ] && pass "Tests: pointers in file headers exist ($n)"
}
check_tests_pointers
check_hacking_exit_codes() { # the table in HACKING.md matches include/nt_err.h
	local h k
	h=$(sed -n 's/.*NT_EXIT_[A-Z]* = \([0-9]\),.*/\1/p' include/nt_err.h | sort -n | tr '\n' ' ')
	k=$(sed -n 's/^| \([0-9]\) |.*/\1/p' HACKING.md | sort -n | tr '\n' ' ')
	[ -n "$h" ] && [ "$h" = "$k" ] && pass "exit codes in HACKING.md" || fail "exit codes in HACKING.md" "nt_err.h: $h HACKING.md: $k"
}
check_hacking_exit_codes
# --- end of HACKING.md checks -----------------------------------------------------------

check_spdx() { # every file we wrote says its licence (the corpus and LICENSE itself excepted)
	local f missing=""
	for f in $(git -C "$here" ls-files 2>/dev/null || (cd "$here" && find . -type f ! -path './.git/*' ! -path './build*' | sed 's|^\./||')); do
		case $f in LICENSE|.gitignore|tests/fuzz/corpus/*|tests/textbook/README|debian/changelog|debian/compat|debian/*.links|debian/*.install|debian/*.manpages|debian/*.docs|debian/source/format|debian/*.lintian-overrides|debian/*.alternatives) continue ;; esac
		[ -f "$here/$f" ] || continue
		head -n 3 "$here/$f" | grep -q 'SPDX-License-Identifier: MIT' || missing="$missing $f"
	done
	if [ -z "$missing" ]; then pass "every source file has an SPDX line"; else fail "no SPDX line in:$missing"; fi
}
check_spdx

# Every page a man page refers to as nettool-NAME(N) exists as man/nettool-NAME.N (the file
# formats of section 5 are installed beside the applet pages).
xrefs=$(grep -ho '^\.Xr nettool[a-z-]* [1-8]' man/*.[1-8] | sort -u | awk '{print "man/" $2 "." $3}')
missing=
for x in $xrefs; do [ -f "$x" ] || missing="$missing $x"; done
[ -n "$xrefs" ] && [ -z "$missing" ] && pass "every nettool page named in .Xr exists" || fail "man page cross references" "missing:$missing"

[ $fails -eq 0 ]
