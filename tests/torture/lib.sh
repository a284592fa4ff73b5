# SPDX-License-Identifier: MIT
# lib.sh - what the torture scenarios (scen_*.sh) share, sourced by run.sh once before
# them: the set arithmetic of "exactly once" invariants, the mail-fetch --delete scenarios'
# setup, check and rerun check (Dovecot, POP3 or IMAP, Maildir or mbox), and the ftp
# scenarios' "whole or absent under its final name" check. A scenario defines scen_setup,
# scen_teardown, scen_reset, scen_run, scen_check RC and scen_done, calling these (or has
# them defined: ftp_get_scenario).

# --- sets: text of one name per line ---
# The names that occur more than once.
nt_dups() { printf '%s\n' "$1" | grep -v '^$' | sort | uniq -d; }
# nt_lost WANT HAVE...: the names of WANT in none of HAVE.
nt_lost() {
	local w=$1
	shift
	comm -23 <(printf '%s\n' "$w" | grep -v '^$' | sort -u) <(printf '%s\n' "$@" | grep -v '^$' | sort -u)
}

# --- mail-fetch --delete from Dovecot: M messages with Message-ID <MF_PREFIX-i@nettool.test> ---
# The scenario sets M and MF_PREFIX and defines mf_delivered (the Message-IDs it finds in
# its destination, sorted, one per delivery) and MF_LOCAL (the destination and state files
# a reset removes).
. "$here/../integration/fixtures/dovecot.sh"
mf_setup() {
	command -v dovecot >/dev/null || { SCEN_WHY="dovecot is not installed"; return 1; }
	dove_start || { SCEN_WHY="dovecot did not start"; return 1; }
	export NETTOOL_PASSWORD=$DOVE_PASS
}
mf_teardown() { dove_stop; }
mf_reset() {
	if [ ! -d "$T/$MF_PREFIX.template" ]; then
		dove_reset
		dove_fill "$M" 3000 "$MF_PREFIX" >/dev/null
		cp -a "$DOVE_MAILDIR" "$T/$MF_PREFIX.template"
	fi
	rm -rf "$DOVE_MAILDIR" "${MF_LOCAL[@]}"
	cp -a "$T/$MF_PREFIX.template" "$DOVE_MAILDIR"
}
mf_want() { seq 0 $((M - 1)) | sed "s/.*/<$MF_PREFIX-&@nettool.test>/" | sort; }
# The Message-IDs of the messages of a Maildir.
mf_ids_in() { grep -h -m1 '^Message-ID: ' "$1"/new/* "$1"/cur/* 2>/dev/null | cut -c13- | sort; }
# What Dovecot still has: the files of its Maildir (POP3 expunges at QUIT, IMAP when the
# session that expunged them ends).
mf_on_server() { mf_ids_in "$DOVE_MAILDIR"; }
# After a faulty run (exit status RC): none delivered twice, none lost (neither delivered
# nor on the server), and an exit 0 means everything was delivered.
mf_check() {
	local d s dup lost
	d=$(mf_delivered)
	s=$(mf_on_server)
	dup=$(nt_dups "$d")
	lost=$(nt_lost "$(mf_want)" "$d" "$s")
	[ -z "$dup" ] || { echo "delivered twice: $dup"; return 1; }
	[ -z "$lost" ] || { echo "lost (neither delivered nor on the server): $lost"; return 1; }
	if [ "$1" = 0 ] && [ "$d" != "$(mf_want)" ]; then echo "exit 0 but not everything delivered"; return 1; fi
	return 0
}
# After the clean rerun: each message delivered exactly once, the server empty.
mf_done() {
	local d
	d=$(mf_delivered)
	[ "$d" = "$(mf_want)" ] || { echo "after the rerun: $(echo "$d" | grep -c .) delivered ($(nt_dups "$d" | grep -c .) twice), want $M"; return 1; }
	[ -z "$(mf_on_server)" ] || { echo "after the rerun: $(mf_on_server | grep -c .) still on the server"; return 1; }
}

# --- ftp batches against vsftpd (tests/integration/fixtures/ftp_server.sh) ---
. "$here/../integration/fixtures/ftp_server.sh"
ftp_available() { command -v vsftpd >/dev/null && command -v unshare >/dev/null || { SCEN_WHY="vsftpd or unshare missing"; return 1; }; }
# ftp_files DIR LIST: 16 files of random bytes DIR/sub/fI.bin (997*I bytes), their paths
# relative to DIR in LIST.
ftp_files() {
	local i
	mkdir -p "$1/sub"
	: >"$2"
	for i in $(seq 1 16); do
		head -c $((i * 997)) /dev/urandom >"$1/sub/f$i.bin"
		echo "sub/f$i.bin" >>"$2"
	done
}
# ftp_whole_or_absent DIR REF: every file under DIR that is not one of our temporaries (a
# hidden name) is whole: the bytes of REF/same path. Prints the others.
ftp_whole_or_absent() {
	local f rel bad=
	while IFS= read -r f; do
		rel=${f#"$1/"}
		case ${rel##*/} in .*) continue ;; esac
		cmp -s "$f" "$2/$rel" || bad="$bad $rel"
	done < <(find "$1" -type f 2>/dev/null)
	[ -z "$bad" ] || { echo "partial or wrong files under final names:$bad"; return 1; }
}
# ftp_all_whole LIST DIR REF: every path of LIST is whole under DIR.
ftp_all_whole() {
	local f
	while IFS= read -r f; do
		cmp -s "$2/$f" "$3/$f" || { echo "$f missing or not whole"; return 1; }
	done <"$1"
}
# ftp_get_scenario NAME TAG CONN...: the batch get scenarios (scen_ftp_get.sh, over libcurl
# and TLS; scen_ftp_getpipe.sh, plain FTP over the own connections): defines scen_setup ..
# scen_done for a journaled --parallel 2 get of ftp_files' 16 files from vsftpd instance
# NAME with the connection options CONN, list $T/TAGlist, journal $T/TAGj, into $T/TAGo.
ftp_get_scenario() {
	FTPG_NAME=$1 FTPG_TAG=$2
	shift 2
	FTPG_CONN=("$@")
	scen_setup() {
		ftp_available || return 1
		ftpd_start "$FTPG_NAME" >/dev/null 2>&1 || { SCEN_WHY="vsftpd did not start"; return 1; }
		export NETTOOL_PASSWORD=$FTP_PASS
		eval "FTPG_HOME=\$FTPD_HOME_$FTPG_NAME FTPG_PORT=\$FTPD_PORT_$FTPG_NAME"
		ftp_files "$FTPG_HOME/data" "$T/${FTPG_TAG}list"
		chown -R "$FTP_USER" "$FTPG_HOME/data" 2>/dev/null
		return 0
	}
	scen_teardown() { :; }
	scen_reset() { rm -rf "$T/${FTPG_TAG}o" "$T/${FTPG_TAG}j"; }
	scen_run() {
		timeout "$TORTURE_TIMEOUT" "$TB" ftp -q "${FTPG_CONN[@]}" -u "$FTP_USER" -P "$FTPG_PORT" \
			--timeout "${TORTURE_NET_TIMEOUT:-10}" --parallel 2 --journal "$T/${FTPG_TAG}j" \
			get --from-file "$T/${FTPG_TAG}list" 127.0.0.1:data -O "$T/${FTPG_TAG}o"
	}
	scen_check() {
		ftp_whole_or_absent "$T/${FTPG_TAG}o" "$FTPG_HOME/data" || return 1
		[ "$1" != 0 ] || ftp_all_whole "$T/${FTPG_TAG}list" "$T/${FTPG_TAG}o" "$FTPG_HOME/data" || { echo "(exit 0)"; return 1; }
	}
	scen_done() {
		ftp_all_whole "$T/${FTPG_TAG}list" "$T/${FTPG_TAG}o" "$FTPG_HOME/data" || { echo "(after the rerun)"; return 1; }
	}
}
