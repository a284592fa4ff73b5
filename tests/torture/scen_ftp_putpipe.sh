# SPDX-License-Identifier: MIT
# scen_ftp_putpipe.sh - torture scenario: an ftp batch put of 16 files to vsftpd over plain
# FTP (--no-tls, no --create-dirs: the own connections of applets/ftp/putpipe.c, not
# libcurl; the folders are made beforehand) with --atomic, --parallel 2 and --journal.
# Invariant after a faulty run, checked in the server's folder: every file is absent or
# whole under its final name, never a partial one (the temporaries have hidden names), and
# an exit 0 means all of them; a clean rerun with the same journal completes the set and
# leaves no temporary. Partial batches may exit 1. Sourced by run.sh.
SCEN_ALLOW=1
scen_setup() {
	ftp_available || return 1
	ftpd_start PP >/dev/null 2>&1 || { SCEN_WHY="vsftpd did not start"; return 1; }
	export NETTOOL_PASSWORD=$FTP_PASS
	ftp_files "$T/pp.src" "$T/pp.list"
}
scen_teardown() { :; }
scen_reset() {
	rm -rf "$FTPD_HOME_PP/up" "$T/pp.j"
	mkdir -p "$FTPD_HOME_PP/up/sub"
	chown -R "$FTP_USER" "$FTPD_HOME_PP/up" 2>/dev/null
}
scen_run() {
	(cd "$T/pp.src" && timeout "$TORTURE_TIMEOUT" "$TB" ftp -q --no-tls -u "$FTP_USER" -P "$FTPD_PORT_PP" \
		--timeout "${TORTURE_NET_TIMEOUT:-10}" --parallel 2 --journal "$T/pp.j" --atomic \
		put --from-file "$T/pp.list" 127.0.0.1:up)
}
scen_check() {
	ftp_whole_or_absent "$FTPD_HOME_PP/up" "$T/pp.src" || return 1
	[ "$1" != 0 ] || ftp_all_whole "$T/pp.list" "$FTPD_HOME_PP/up" "$T/pp.src" || { echo "(exit 0)"; return 1; }
}
scen_done() {
	ftp_all_whole "$T/pp.list" "$FTPD_HOME_PP/up" "$T/pp.src" || { echo "(after the rerun)"; return 1; }
	local left
	left=$(find "$FTPD_HOME_PP/up" -type f -name '.*' 2>/dev/null | sed "s|^$FTPD_HOME_PP/up/||")
	[ -z "$left" ] || { echo "temporaries left: $(echo "$left" | paste -sd' ')"; return 1; }
}
