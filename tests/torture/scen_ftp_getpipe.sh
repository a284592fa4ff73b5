# SPDX-License-Identifier: MIT
# scen_ftp_getpipe.sh - torture scenario: an ftp batch get of 16 files from vsftpd over plain
# FTP (--no-tls: the own connections of applets/ftp/getpipe.c, not libcurl) with
# --parallel 2 and --journal. Invariant after a faulty run: every local file is absent or
# whole under its final name (the server's bytes), never a partial one, and an exit 0 means all of them; a clean rerun
# completes the set. Partial batches may exit 1 (some items failed) besides the fault's
# own code. Sourced by run.sh.
SCEN_ALLOW=1
scen_setup() {
	ftp_available || return 1
	ftpd_start TP >/dev/null 2>&1 || { SCEN_WHY="vsftpd did not start"; return 1; }
	export NETTOOL_PASSWORD=$FTP_PASS
	ftp_files "$FTPD_HOME_TP/data" "$T/gplist"
	chown -R "$FTP_USER" "$FTPD_HOME_TP/data" 2>/dev/null
	return 0
}
scen_teardown() { :; }
scen_reset() { rm -rf "$T/gpo" "$T/gpj"; }
scen_run() {
	timeout "$TORTURE_TIMEOUT" "$TB" ftp -q --no-tls -u "$FTP_USER" -P "$FTPD_PORT_TP" --timeout "${TORTURE_NET_TIMEOUT:-10}" --parallel 2 \
		--journal "$T/gpj" get --from-file "$T/gplist" 127.0.0.1:data -O "$T/gpo"
}
scen_check() {
	ftp_whole_or_absent "$T/gpo" "$FTPD_HOME_TP/data" || return 1
	[ "$1" != 0 ] || ftp_all_whole "$T/gplist" "$T/gpo" "$FTPD_HOME_TP/data" || { echo "(exit 0)"; return 1; }
}
scen_done() { ftp_all_whole "$T/gplist" "$T/gpo" "$FTPD_HOME_TP/data" || { echo "(after the rerun)"; return 1; }; }
