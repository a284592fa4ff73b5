#!/bin/sh
# SPDX-License-Identifier: MIT
# deps.sh - install the Debian packages that nettool's build, tests and benchmarks use.
#
# Called by `make deps` (and by `make`/`make check` when something is missing).
# Usage: scripts/deps.sh [build|test|bench|deb|all]   (default: all; deb only when asked)
# As root it runs apt-get; otherwise it prints the one command to run.
set -eu

BUILD="gcc libc6-dev make pkg-config libcurl4-openssl-dev libssl-dev zlib1g-dev check"
TEST="python3 procps netbase iproute2 openssl ca-certificates mandoc curl util-linux \
vsftpd python3-pyftpdlib dovecot-imapd dovecot-pop3d inn2 python3-aiosmtpd valgrind strace socat"
BENCH="stunnel4 ncat ipsvd ucspi-tcp lftp fetchmail mpop isync suck msmtp swaks busybox clang libclang-rt-14-dev"
# make deb and deb-check only: package tools and the throwaway root of tests/deb/check.sh.
DEB="dpkg-dev debhelper fakeroot lintian debootstrap"

what=${1:-all}
case $what in
build) want=$BUILD ;;
test) want="$BUILD $TEST" ;;
bench) want="$BUILD $TEST $BENCH" ;;
deb) want="$BUILD $DEB" ;;
all) want="$BUILD $TEST $BENCH" ;;
*) echo "usage: $0 [build|test|bench|deb|all]" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" != 0 ]; then
	echo "nettool: missing packages:$missing" >&2
	echo "run as root: apt-get install -y$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Services the packages would start on standard ports: note which were absent so we can stop them.
fresh_daemons=
for d in vsftpd dovecot inn2; do
	case " $missing " in *" $d "* | *" $d-imapd "*) fresh_daemons="$fresh_daemons $d" ;; esac
done

apt-get update -qq || true
policy_rc=/usr/sbin/policy-rc.d
made_policy=
trap '[ -z "$made_policy" ] || rm -f "$policy_rc"' EXIT
if [ ! -e $policy_rc ]; then
	# Keep package scripts from starting system daemons on the standard ports.
	printf '#!/bin/sh\nexit 101\n' >$policy_rc && chmod 755 $policy_rc && made_policy=1
fi
apt-get install -y -qq --no-install-recommends $missing || {
	# inn2's configure step fails when the host name has no domain ("hostname does not
	# resolve or domain not set in inn.conf"): give inn.conf one and finish configuring.
	if [ -f /etc/news/inn.conf ] && ! grep -q '^domain:' /etc/news/inn.conf; then
		echo 'domain: localdomain' >>/etc/news/inn.conf
	fi
	dpkg --configure -a
	apt-get install -y -qq --no-install-recommends $missing
}
[ -z "$made_policy" ] || rm -f $policy_rc
made_policy=
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	for d in $fresh_daemons; do
		systemctl disable --now "$d" >/dev/null 2>&1 || true
	done
fi
exit 0
