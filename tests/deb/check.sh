#!/bin/bash
# SPDX-License-Identifier: MIT
# check.sh - the Debian packages as a user gets them (`make deb-check`, run by .ci/run after
# make check): lintian (any E: or W: fails; an override needs a comment saying why), then
# in a throwaway Debian 12 root: install, run every applet from its installed path, the ftp
# alternative and the MTA package, purge with nothing left behind; then beside an ftp client.
#
# Usage: tests/deb/check.sh OUTDIR   (OUTDIR: where scripts/deb.sh built, e.g. build-deb)
# The root is `debootstrap --variant=minbase bookworm`, cached as OUTDIR/debroot.tar and
# reused while it exists (delete it to make a new one); the mirror is the one this
# machine's apt sources name for bookworm, read here at run time. Needs root.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: check.sh OUTDIR}
case $out in /*) ;; *) out=$top/$out ;; esac
fails=0 passes=0
pass() { echo "PASS: deb $1"; passes=$((passes + 1)); }
fail() { echo "FAIL: deb $1${2:+: $2}"; fails=$((fails + 1)); }
die() { echo "FAIL: deb $*"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"

version=$(cd "$top" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
deb=$out/nettool_${version}_$arch.deb
mta=$out/nettool-mta_${version}_all.deb
changes=$out/nettool_${version}_$arch.changes
[ -f "$deb" ] && [ -f "$mta" ] && [ -f "$changes" ] || die "no packages in ${out#"$top"/} (make deb)"

# --- lintian --------------------------------------------------------------------------
lint=$(lintian --fail-on error,warning "$changes" 2>&1)
rc=$?
lint=$(echo "$lint" | grep -v 'running with root privileges')
if [ "$rc" = 0 ] && ! echo "$lint" | grep -q '^[EW]: '; then
	pass "lintian: no error or warning${lint:+ ($(echo "$lint" | grep -c '^[IPX]:') notes)}"
else
	fail "lintian" "exit $rc"
	echo "$lint" | sed 's/^/  | /'
fi
bad=
for f in "$top"/debian/*lintian-overrides "$top"/debian/source/lintian-overrides; do
	[ -f "$f" ] || continue
	# every override line follows a comment line (its reason)
	bad="$bad$(awk -v f="${f#"$top"/}" '!/^#/ && NF && prev !~ /^#/ {print " " f ":" NR} {prev = $0}' "$f")"
done
[ -z "$bad" ] && pass "every lintian override says why" || fail "lintian overrides without a reason" "$bad"

# --- the throwaway root ---------------------------------------------------------------
mirror() { # the first deb URI this machine's apt sources give for bookworm
	local f
	{
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] && sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\)[[:space:]]\+bookworm[[:space:]].*/\2/p' "$f"
		done
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] && awk '
				function flush() { if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ && enabled != "no") print uris; types = suites = uris = enabled = "" }
				/^[[:space:]]*$/ { flush(); next }
				/^#/ { next }
				{ k = tolower($1); $1 = ""; sub(/^ /, "") }
				k == "types:" { types = $0 } k == "suites:" { suites = $0 } k == "enabled:" { enabled = tolower($0) }
				k == "uris:" { split($0, u, " "); uris = u[1] }
				END { flush() }' "$f"
		done
	} | grep -E '^(https?|ftp|file)://' | head -1
}
cache=$out/debroot.tar
if [ ! -f "$cache" ]; then
	m=$(mirror)
	[ -n "$m" ] || die "no bookworm mirror in this machine's apt sources"
	echo "deb: making the throwaway root: debootstrap --variant=minbase bookworm ($m), cached as ${cache#"$top"/}"
	mk=$(mktemp -d "${TMPDIR:-/tmp}/nettool-debootstrap.XXXXXX")
	if debootstrap --variant=minbase bookworm "$mk/root" "$m" >"$mk/log" 2>&1 &&
		tar -C "$mk/root" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"; then
		rm -rf --one-file-system "$mk"
	else
		tail -5 "$mk/log"
		rm -rf --one-file-system "$mk" "$cache.tmp"
		die "debootstrap failed"
	fi
fi
R=$(mktemp -d "${TMPDIR:-/tmp}/nettool-debroot.XXXXXX")
cleanup() {
	umount "$R/proc" 2>/dev/null
	if grep -q " $R[/ ]" /proc/mounts; then
		echo "deb: $R still has mounts: left in place" >&2
	else
		rm -rf --one-file-system "$R"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
tar -C "$R" -xf "$cache" || die "cannot unpack ${cache#"$top"/}"
cp /etc/resolv.conf "$R/etc/resolv.conf"
mount -t proc proc "$R/proc" || die "cannot mount /proc in the root"
cp "$deb" "$mta" "$R/tmp/"
inroot() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
log=$R/tmp/steps.log
step() { # NAME COMMAND...: run in the root, fail naming the step and its last lines
	local name=$1
	shift
	inroot "$@" >"$log" 2>&1
	local rc=$?
	[ $rc = 0 ] && return 0
	fail "$name" "exit $rc"
	tail -8 "$log" | sed 's/^/  | /'
	return 1
}
step "apt-get update in the root" apt-get update -q || die "the root has no package lists"

# What the root holds, but for the package system's own state and caches: compared after
# the purge. Alternatives (/etc/alternatives, /var/lib/dpkg/alternatives) are compared.
snapshot() {
	(cd "$R" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp -o -path ./run \
		-o -path ./var/cache -o -path ./var/log -o -path ./var/lib/apt \
		-o \( -path './var/lib/dpkg/*' ! -path './var/lib/dpkg/alternatives' ! -path './var/lib/dpkg/alternatives/*' \) \
		-o -path ./etc/ld.so.cache -o -path ./root/.bash_history \) -prune -o -print | sort)
}
before=$(snapshot)
install_nettool() { # dpkg -i fails on missing dependencies: apt-get -f install fetches them
	inroot dpkg -i /tmp/"${deb##*/}" >"$log" 2>&1
	step "dpkg -i nettool, then apt-get -f install" apt-get -f install -y -q --no-install-recommends &&
		[ "$(inroot dpkg-query -W -f '${db:Status-Status}' nettool)" = installed ]
}

# 1. Alone: nettool installs, and nothing makes it an MTA.
install_nettool && pass "nettool installs (dpkg -i, apt-get -f install)"
! inroot test -e /usr/sbin/sendmail && [ -z "$(dpkg-deb -f "$deb" Provides)" ] &&
	pass "nettool alone neither provides an MTA nor makes /usr/sbin/sendmail" || fail "nettool and sendmail"

# 2. Every applet from its installed path: /usr/bin/NAME, but for the two names that go
# through Debian's mechanisms (ftp: 3, sendmail: 4), run as `nettool NAME` here.
names=$(inroot /usr/bin/nettool --list)
[ -n "$names" ] || fail "nettool --list in the root"
bad= nb=0
for a in $names; do
	case $a in ftp | sendmail) p="/usr/bin/nettool $a" ;; *) p=/usr/bin/$a ;; esac
	# shellcheck disable=SC2086
	inroot $p --help >"$log" 2>&1 && grep -q "^Usage: " "$log" || bad="$bad $a"
	# shellcheck disable=SC2086
	inroot $p --version >"$log" 2>&1 && grep -q "^nettool $version" "$log" || bad="$bad $a(--version)"
	nb=$((nb + 1))
	case $a in ftp | sendmail) continue ;; esac
	inroot test -e "/usr/share/man/man1/$a.1.gz" || bad="$bad $a(man page)"
	inroot test -e "/usr/share/bash-completion/completions/$a" || bad="$bad $a(completion)"
done
[ "$nb" -gt 4 ] && [ -z "$bad" ] && pass "every applet answers --help and --version from its installed path ($nb), with a man page and a completion" ||
	fail "installed applets" "$bad"

# 3. With no other ftp client, ftp is nettool's: the alternative, its page and completion.
q=$(inroot update-alternatives --query ftp)
echo "$q" | grep -A1 -x 'Alternative: /usr/bin/nettool' | grep -qx 'Priority: 50' &&
	pass "ftp is an alternative of nettool at priority 50" || fail "ftp alternative" "$(echo "$q" | tr '\n' ' ')"
[ "$(inroot readlink -f /usr/bin/ftp)" = /usr/bin/nettool ] && inroot /usr/bin/ftp --help 2>&1 | grep -q '^Usage: ftp ' &&
	[ "$(inroot readlink -f /usr/share/man/man1/ftp.1.gz)" = /usr/share/man/man1/nettool-ftp.1.gz ] &&
	inroot test -e /usr/share/bash-completion/completions/ftp &&
	pass "with no other ftp client, /usr/bin/ftp is nettool's, with ftp(1) and its completion" ||
	fail "ftp alternative in use" "$(ls -l "$R/etc/alternatives/" | grep ftp | tr '\n' ' ')"

# 4. nettool-mta: sendmail, its section 8 page, an MTA as msmtp-mta is.
step "dpkg -i nettool-mta" dpkg -i /tmp/"${mta##*/}" &&
	inroot /usr/sbin/sendmail --help 2>&1 | grep -q '^Usage: sendmail ' && pass "nettool-mta: /usr/sbin/sendmail runs mail-send" ||
	fail "/usr/sbin/sendmail"
[ "$(inroot readlink -f /usr/share/man/man8/sendmail.8.gz)" = /usr/share/man/man1/nettool-mail-send.1.gz ] &&
	inroot sh -c 'zcat /usr/share/man/man8/sendmail.8.gz | grep -q "^\.Nm sendmail"' &&
	inroot test -e /usr/share/bash-completion/completions/sendmail &&
	pass "sendmail(8) is the mail-send page; sendmail has its completion" || fail "sendmail(8)" "$(ls -l "$R/usr/share/man/man8/" 2>&1)"
for f in Provides Conflicts Replaces; do
	[ "$(dpkg-deb -f "$mta" "$f")" = mail-transport-agent ] || fail "nettool-mta $f" "$(dpkg-deb -f "$mta" "$f")"
done
# Another MTA replaces it, as msmtp-mta would (a simulation: nothing is downloaded).
inroot apt-get install -s -q --no-install-recommends msmtp-mta >"$log" 2>&1
grep -q '^Remv nettool-mta' "$log" && pass "nettool-mta: installing another MTA removes it (Provides, Conflicts, Replaces mail-transport-agent)" ||
	fail "nettool-mta against another MTA" "$(grep -E '^(Inst|Remv|E:)' "$log" | head -3 | tr '\n' ' ')"

# 5. Remove, purge, and nothing left: the root's files as before the install.
step "remove nettool-mta and nettool" apt-get remove -y -q nettool-mta nettool &&
	! inroot test -e /usr/bin/nettool && ! inroot test -L /etc/alternatives/ftp && ! inroot test -L /usr/bin/ftp &&
	! inroot test -L /usr/sbin/sendmail && pass "remove: the files, sendmail and the ftp alternative are gone"
# dpkg: packages installed from files are unknown to apt-get once removed
step "purge" dpkg --purge nettool-mta nettool &&
	step "autoremove --purge (the dependencies apt-get -f brought)" apt-get autoremove --purge -y -q
left=$(inroot dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' 2>/dev/null | grep -E '^nettool')
after=$(snapshot)
diff=$(diff <(echo "$before") <(echo "$after"))
[ -z "$left" ] && [ -z "$diff" ] && pass "purged: nothing left (the root's files as before the install: $(echo "$after" | wc -l) paths)" ||
	fail "purge left something" "$left $(echo "$diff" | head -20 | tr '\n' ' ')"

# 6. Beside an ftp client of Debian's (inetutils-ftp, priority 100): installing nettool
# changes nothing about what `ftp` runs.
if step "install inetutils-ftp" apt-get install -y -q --no-install-recommends inetutils-ftp; then
	was=$(inroot readlink -f /usr/bin/ftp)
	install_nettool || fail "nettool beside inetutils-ftp" "not installed"
	now=$(inroot readlink -f /usr/bin/ftp)
	[ "$was" = /usr/bin/inetutils-ftp ] && [ "$now" = "$was" ] &&
		[ "$(inroot readlink -f /usr/share/man/man1/ftp.1.gz)" = /usr/share/man/man1/inetutils-ftp.1.gz ] &&
		pass "an installed ftp client stays what ftp runs, and its page ftp(1) ($now)" || fail "ftp after installing nettool" "was $was, now $now"
fi

echo "$passes passed, $fails failed, 0 skipped"
[ $fails -eq 0 ]
