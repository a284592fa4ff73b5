# SPDX-License-Identifier: MIT
# scen_ftp_copypipe.sh - torture scenario: the streamed copy on our own control
# connections (applets/ftp/copy.c relaying getpipe.c's download into putpipe.c's upload):
# copy -r --move of a folder of 16 files from one vsftpd to another over plain FTP
# (--no-tls, --no-fxp, the atomic default; -r, not --from-file: the sizes from the listing
# are what the own download needs), --parallel 2 and --journal. Invariant after a faulty run, checked in both servers'
# folders: every destination file is absent or whole under its final name (temporaries
# have hidden names); a source is gone only when its destination is whole; a source still
# there is whole; an exit 0 means the whole job was done. A clean rerun with the same
# journal completes it: every file whole at the destination, every source gone, no
# temporary left. Partial batches may exit 1. Sourced by run.sh.
SCEN_ALLOW=1
scen_setup() {
	ftp_available || return 1
	ftpd_start PA >/dev/null 2>&1 && ftpd_start PB >/dev/null 2>&1 || { SCEN_WHY="vsftpd did not start"; return 1; }
	export NETTOOL_PASSWORD=$FTP_PASS
	ftp_files "$T/cp.ref" "$T/cp.list"
}
scen_teardown() { :; }
scen_reset() {
	rm -rf "$FTPD_HOME_PA/data" "$FTPD_HOME_PB/dst" "$T/cp.j"
	cp -a "$T/cp.ref" "$FTPD_HOME_PA/data"
	chown -R "$FTP_USER" "$FTPD_HOME_PA/data" 2>/dev/null
}
scen_run() {
	timeout "$TORTURE_TIMEOUT" "$TB" ftp -q --no-tls --no-fxp -u "$FTP_USER" --timeout "${TORTURE_NET_TIMEOUT:-10}" \
		--parallel 2 --journal "$T/cp.j" copy -r --move \
		"ftp://$FTP_USER@127.0.0.1:$FTPD_PORT_PA/data" "ftp://$FTP_USER@127.0.0.1:$FTPD_PORT_PB/dst"
}
scen_check() {
	ftp_whole_or_absent "$FTPD_HOME_PB/dst" "$T/cp.ref" || return 1
	ftp_whole_or_absent "$FTPD_HOME_PA/data" "$T/cp.ref" || { echo "(a source changed)"; return 1; }
	local f gone=
	while IFS= read -r f; do
		[ -e "$FTPD_HOME_PA/data/$f" ] || cmp -s "$FTPD_HOME_PB/dst/$f" "$T/cp.ref/$f" || gone="$gone $f"
	done <"$T/cp.list"
	[ -z "$gone" ] || { echo "source deleted without a whole destination:$gone"; return 1; }
	[ "$1" != 0 ] || scen_done || { echo "(exit 0)"; return 1; }
}
scen_done() {
	ftp_all_whole "$T/cp.list" "$FTPD_HOME_PB/dst" "$T/cp.ref" || { echo "(at the destination)"; return 1; }
	local left
	left=$(find "$FTPD_HOME_PA/data" -type f 2>/dev/null | sed "s|^$FTPD_HOME_PA/data/||")
	[ -z "$left" ] || { echo "sources not moved: $(echo "$left" | paste -sd' ')"; return 1; }
	left=$(find "$FTPD_HOME_PB/dst" -type f -name '.*' 2>/dev/null | sed "s|^$FTPD_HOME_PB/dst/||")
	[ -z "$left" ] || { echo "temporaries left at the destination: $(echo "$left" | paste -sd' ')"; return 1; }
}
