# SPDX-License-Identifier: MIT
# scen_nntp_fetch.sh - torture scenario: nntp fetch of a group from INN into a folder, with
# the high-water mark. Invariant after a faulty run: every article file is whole (the
# server's bytes) and the high-water mark is never ahead of what is on disk; a clean rerun
# completes the folder. Sourced by run.sh.
. "$here/../integration/fixtures/inn/inn.sh"
scen_setup() {
	inn_start tort.news || { SCEN_WHY=$INN_WHY; return 1; }
	mkdir -p "$T/arts"
	local i
	for i in $(seq 1 15); do
		printf 'Path: not-for-mail\nFrom: T <t@example.com>\nNewsgroups: tort.news\nSubject: article %s\nDate: Thu, 26 Nov 2026 12:00:00 +0000\nMessage-ID: <tort.%s@nettool.test>\n\n%s\n.leading dot %s\n' \
			"$i" "$i" "$(head -c $((i * 300)) /dev/zero | tr '\0' y)" "$i" >"$T/arts/a$i"
	done
	inn_feed "$T/arts" >/dev/null || { SCEN_WHY="INN refused the articles"; return 1; }
	sleep 0.3
	# the reference: each article as the server gives it (a plain build is not needed:
	# the torture binary without NT_TORTURE is an ordinary one)
	timeout "$TORTURE_TIMEOUT" "$TB" nntp -q --no-tls -s "127.0.0.1:$INN_READ" fetch tort.news -O "$T/ref" >/dev/null 2>&1
	[ "$(ls "$T/ref" | grep -c '^[0-9]*$')" = 15 ] || { SCEN_WHY="reference fetch failed"; return 1; }
}
scen_teardown() { inn_stop; }
scen_reset() { rm -rf "$T/nf"; }
scen_run() { timeout "$TORTURE_TIMEOUT" "$TB" nntp -q --no-tls --timeout "${TORTURE_NET_TIMEOUT:-10}" -s "127.0.0.1:$INN_READ" fetch tort.news -O "$T/nf"; }
hwm() { awk '$2 == "tort.news" {h = $3} END {print h}' "$T/nf/.nntp-state" 2>/dev/null; }
scen_check() {
	local f n bad=
	for f in "$T/nf"/*; do
		[ -f "$f" ] || continue
		n=${f##*/}
		case $n in *[!0-9]*) continue ;; esac
		cmp -s "$f" "$T/ref/$n" || bad="$bad $n"
	done
	[ -z "$bad" ] || { echo "article files not whole:$bad"; return 1; }
	local h
	h=$(hwm)
	if [ -n "$h" ]; then
		for n in $(seq 1 "$h"); do
			[ -f "$T/nf/$n" ] || { echo "high-water mark $h but article $n is not on disk"; return 1; }
		done
	fi
	return 0
}
scen_done() {
	local n
	for n in $(seq 1 15); do cmp -s "$T/nf/$n" "$T/ref/$n" || { echo "article $n missing or differs after the rerun"; return 1; }; done
}
