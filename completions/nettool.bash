# SPDX-License-Identifier: MIT
# bash completion for nettool and its applet names (symlinks).
# The words come from the binary itself (`nettool --complete-words`, `nettool APPLET
# --complete-words`), rendered from the same option tables as --help: nothing to regenerate.
# Each line is "NAME KIND [VALUES...]": flag, arg, file, dir, choice VALUES..., command.

# The path of the nettool to ask for NAME: the program NAME runs must be the same file
# (device and inode, `-ef`, symlinks followed) as the nettool the completion serves,
# NETTOOL_BIN or else `nettool` on PATH; fails, running nothing, when NAME is another
# program, whatever its file is called (an `ftp` linking to some other file named
# nettool is not ours). A name not on PATH falls back to nettool itself (the
# completion is registered for every applet name). Nothing is run to decide.
_nettool_resolve()
{
	local p ours
	ours=$(type -P -- "${NETTOOL_BIN:-nettool}") || return 1
	p=$(type -P -- "$1") || { printf '%s\n' "$ours"; return; }
	[ "$p" -ef "$ours" ] || return 1
	printf '%s\n' "$ours"
}

_nettool()
{
	local cur prev cmd bin applet words i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]:-}
	cmd=${COMP_WORDS[0]##*/}
	bin=${NETTOOL_BIN:-nettool}
	COMPREPLY=()

	if [ "$cmd" = nettool ]; then
		if [ "$COMP_CWORD" -eq 1 ]; then
			COMPREPLY=($(compgen -W "$("$bin" --complete-words 2>/dev/null)" -- "$cur"))
			return
		fi
		applet=${COMP_WORDS[1]}
		case $applet in --install) COMPREPLY=($(compgen -d -- "$cur")); return ;; -*) return ;; esac
	else
		applet=$cmd
		if [ -z "${NETTOOL_BIN:-}" ]; then
			# Ask only a program that is nettool: `ftp` or `sendmail` first on PATH may be
			# another program, which must not be run (nor asked anything) on TAB.
			bin=$(_nettool_resolve "$applet") || return
		fi
	fi

	words=$("$bin" "$applet" --complete-words 2>/dev/null)
	# --account NAME: the section names of the accounts file (read, nothing run).
	if [ "$prev" = --account ] && [[ $words == *--account* ]]; then
		local f=${XDG_CONFIG_HOME:-$HOME/.config}/nettool/accounts
		[ -r "$f" ] || f=/etc/nettool/accounts
		COMPREPLY=($(compgen -W "$(sed -n 's/^[[:space:]]*\[\([A-Za-z0-9._@+-]*\)\][[:space:]]*$/\1/p' "$f" 2>/dev/null)" -- "$cur"))
		return
	fi
	# After an option that takes an argument: its values (a choice: --progress bar...),
	# folders (a dir), file names (a file), or nothing (another argument).
	local kind vals
	read -r kind vals < <(printf '%s\n' "$words" | awk -v p="$prev" '$1 == p && p ~ /^-/ {$1 = ""; print; exit}')
	case $kind in
	choice) COMPREPLY=($(compgen -W "$vals" -- "$cur")); return ;;
	dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	arg) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(printf '%s\n' "$words" | awk '{print $1}')" -- "$cur"))
		return
	fi
	# Commands of applets that have them (ftp get, nntp over...), then files.
	local cmds
	cmds=$(printf '%s\n' "$words" | awk '$2 == "command" {print $1}')
	if [ -n "$cmds" ]; then
		local n=0
		for ((i = 1; i < COMP_CWORD; i++)); do [[ ${COMP_WORDS[i]} != -* ]] && [ "${COMP_WORDS[i]}" != "$applet" ] && n=$((n + 1)); done
		if [ $n -eq 0 ]; then COMPREPLY=($(compgen -W "$cmds" -- "$cur")); return; fi
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
}

# Every applet name and alias, written out so that sourcing this file runs nothing and
# works before nettool is on PATH; tests/docs/consistency.sh checks it against --list.
complete -F _nettool nettool ftp mail-fetch mail-send nntp sendmail tcp-send tcp-serve udp-send udp-serve
