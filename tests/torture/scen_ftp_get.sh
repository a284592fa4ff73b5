# SPDX-License-Identifier: MIT
# scen_ftp_get.sh - torture scenario: an ftp batch get of 16 files from vsftpd with
# --parallel 2 and --journal. Invariant after a faulty run: every local file is absent or
# whole under its final name (the server's bytes), never a partial one, and every file the
# journal says is done is whole; a clean rerun completes the set. Partial batches may exit
# 1 (some items failed) besides the fault's own code. Sourced by run.sh.
. "$here/../integration/fixtures/ftp_server.sh"
SCEN_ALLOW=1
scen_setup() {
	command -v vsftpd >/dev/null && command -v unshare >/dev/null || { SCEN_WHY="vsftpd or unshare missing"; return 1; }
	ftpd_start TA >/dev/null 2>&1 || { SCEN_WHY="vsftpd did not start"; return 1; }
	export NETTOOL_PASSWORD=$FTP_PASS
	mkdir -p "$FTPD_HOME_TA/data/sub"
	local i
	: >"$T/list"
	for i in $(seq 1 16); do
		head -c $((i * 997)) /dev/urandom >"$FTPD_HOME_TA/data/sub/f$i.bin"
		echo "sub/f$i.bin" >>"$T/list"
	done
	chown -R "$FTP_USER" "$FTPD_HOME_TA/data" 2>/dev/null
	return 0
}
scen_teardown() { :; }
scen_reset() { rm -rf "$T/fo" "$T/fj"; }
scen_run() {
	timeout 60 "$TB" ftp -q --cacert "$T/certs/ca.crt" -u "$FTP_USER" -P "$FTPD_PORT_TA" --timeout 10 --parallel 2 \
		--journal "$T/fj" get --from-file "$T/list" 127.0.0.1:data -O "$T/fo"
}
scen_check() {
	local f rel bad=
	while IFS= read -r f; do
		rel=${f#"$T/fo/"}
		case ${rel##*/} in .*) continue ;; esac # our temporaries (hidden names)
		cmp -s "$f" "$FTPD_HOME_TA/data/$rel" || bad="$bad $rel"
	done < <(find "$T/fo" -type f 2>/dev/null)
	[ -z "$bad" ] || { echo "partial or wrong files under final names:$bad"; return 1; }
	return 0
}
scen_done() {
	local f
	while read -r f; do cmp -s "$T/fo/$f" "$FTPD_HOME_TA/data/$f" || { echo "$f missing or differs after the rerun"; return 1; }; done <"$T/list"
}
