# SPDX-License-Identifier: MIT
# scen_ftp_copy_move.sh - torture scenario: an ftp batch copy --move of 16 files from one
# vsftpd to another, --create-dirs, --parallel 2 and --journal (TLS on both: streamed, not
# FXP). Invariant after a faulty run, checked in both servers' folders: every destination
# file is absent or whole under its final name (never a partial one: the temporaries have
# hidden names); a source is gone only when its destination is whole; a source still there
# is whole; an exit 0 means the whole job was done. A clean rerun with the same journal completes the job: every file whole once at
# the destination, every source gone. Partial batches may exit 1. Sourced by run.sh.
SCEN_ALLOW=1
scen_setup() {
	ftp_available || return 1
	ftpd_start CA >/dev/null 2>&1 && ftpd_start CB >/dev/null 2>&1 || { SCEN_WHY="vsftpd did not start"; return 1; }
	export NETTOOL_PASSWORD=$FTP_PASS
	ftp_files "$T/cm.ref" "$T/cm.list"
}
scen_teardown() { :; }
scen_reset() {
	rm -rf "$FTPD_HOME_CA/data" "$FTPD_HOME_CB/dst" "$T/cm.j"
	cp -a "$T/cm.ref" "$FTPD_HOME_CA/data"
}
scen_run() {
	timeout "$TORTURE_TIMEOUT" "$TB" ftp -q --cacert "$T/certs/ca.crt" --timeout "${TORTURE_NET_TIMEOUT:-10}" --parallel 2 --journal "$T/cm.j" \
		--create-dirs copy --move --from-file "$T/cm.list" "ftp://$FTP_USER@127.0.0.1:$FTPD_PORT_CA/data" "ftp://$FTP_USER@127.0.0.1:$FTPD_PORT_CB/dst"
}
scen_check() {
	ftp_whole_or_absent "$FTPD_HOME_CB/dst" "$T/cm.ref" || return 1
	ftp_whole_or_absent "$FTPD_HOME_CA/data" "$T/cm.ref" || { echo "(a source changed)"; return 1; }
	local f gone=
	while IFS= read -r f; do
		[ -e "$FTPD_HOME_CA/data/$f" ] || cmp -s "$FTPD_HOME_CB/dst/$f" "$T/cm.ref/$f" || gone="$gone $f"
	done <"$T/cm.list"
	[ -z "$gone" ] || { echo "source deleted without a whole destination:$gone"; return 1; }
	[ "$1" != 0 ] || scen_done || { echo "(exit 0)"; return 1; }
}
scen_done() {
	ftp_all_whole "$T/cm.list" "$FTPD_HOME_CB/dst" "$T/cm.ref" || { echo "(at the destination)"; return 1; }
	local left
	left=$(find "$FTPD_HOME_CA/data" -type f 2>/dev/null | sed "s|^$FTPD_HOME_CA/data/||")
	[ -z "$left" ] || { echo "sources not moved: $(echo "$left" | paste -sd' ')"; return 1; }
	left=$(find "$FTPD_HOME_CB/dst" -type f -name '.*' 2>/dev/null | sed "s|^$FTPD_HOME_CB/dst/||")
	[ -z "$left" ] || { echo "temporaries left at the destination: $(echo "$left" | paste -sd' ')"; return 1; }
}
