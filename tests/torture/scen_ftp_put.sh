# SPDX-License-Identifier: MIT
# scen_ftp_put.sh - torture scenario: an ftp batch put of 16 files to vsftpd with
# --atomic, --create-dirs, --parallel 2 and --journal. Invariant after a faulty run,
# checked in the server's folder: every file is absent or whole under its final name,
# never a partial one (the temporaries have hidden names), and an exit 0 means all of
# them; a clean rerun with the same journal completes the set. Partial batches may
# exit 1. Sourced by run.sh.
SCEN_ALLOW=1
scen_setup() {
	ftp_available || return 1
	ftpd_start PU >/dev/null 2>&1 || { SCEN_WHY="vsftpd did not start"; return 1; }
	export NETTOOL_PASSWORD=$FTP_PASS
	ftp_files "$T/pu.src" "$T/pu.list"
}
scen_teardown() { :; }
scen_reset() { rm -rf "$FTPD_HOME_PU/up" "$T/pu.j"; }
scen_run() {
	(cd "$T/pu.src" && timeout "$TORTURE_TIMEOUT" "$TB" ftp -q --cacert "$T/certs/ca.crt" -u "$FTP_USER" -P "$FTPD_PORT_PU" --timeout "${TORTURE_NET_TIMEOUT:-10}" \
		--parallel 2 --journal "$T/pu.j" --atomic --create-dirs put --from-file "$T/pu.list" 127.0.0.1:up)
}
scen_check() {
	ftp_whole_or_absent "$FTPD_HOME_PU/up" "$T/pu.src" || return 1
	[ "$1" != 0 ] || ftp_all_whole "$T/pu.list" "$FTPD_HOME_PU/up" "$T/pu.src" || { echo "(exit 0)"; return 1; }
}
scen_done() { ftp_all_whole "$T/pu.list" "$FTPD_HOME_PU/up" "$T/pu.src" || { echo "(after the rerun)"; return 1; }; }
