#!/bin/bash
# SPDX-License-Identifier: MIT
# proxy.sh - the connection policy (README "Proxies", nettool(1) PROXIES): curl's proxy
# variables and --proxy/--noproxy on every TCP applet; a proxy hop is never loopback, so
# no password crosses one in clear text; ftp always tunnels (CONNECT) and never lets an
# HTTP proxy translate ftp:// (which put ftp://user:PASSWORD@host on the wire); a proxy
# error is exit 3; udp-send refuses --proxy (exit 2).
# The policy cases run a recording proxy (fixtures/proxy.py: every byte it is sent is
# logged) on a TEST-NET address inside the private network namespace (netns_run), with
# small fake FTP and IMAP targets there that offer no TLS; the working cases run nntp
# against INN and tcp-send against tcp-serve on loopback through python proxies.
. "$(dirname "$0")/lib.sh"
FIX=$(cd "$(dirname "$0")/fixtures" && pwd)
unset all_proxy ALL_PROXY ftp_proxy FTP_PROXY ftps_proxy FTPS_PROXY imap_proxy IMAP_PROXY nntp_proxy NNTP_PROXY \
	tcp_proxy TCP_PROXY no_proxy NO_PROXY NETTOOL_PASSWORD
export HOME=$T NT FIX T NETNS_ADDR
echo 'SeCrEt-77' >"$T/pw"
SECRET=SeCrEt-77
# base64 of "\0u\0SeCrEt-77" and "\0alice\0SeCrEt-77" (AUTHENTICATE PLAIN), to look for them too
B64U=$(printf '\0u\0%s' $SECRET | base64)

# px MODE NAME [ADDR]: start fixtures/proxy.py; sets NAME_PORT, logs to $T/NAME.log
cat >"$T/px.sh" <<'EOF'
px() {
	/usr/bin/python3 "$FIX/proxy.py" "$1" "$T/$2.port" "$T/$2.log" "${3:-127.0.0.1}" &
	echo $! >>"$T/pids"
	for _ in $(seq 100); do [ -s "$T/$2.port" ] && break; sleep 0.05; done
	eval "${2}_PORT=$(cat "$T/$2.port")"
}
EOF
. "$T/px.sh"
cleanup 'for p in $(cat "$T/pids" 2>/dev/null); do kill $p; done'
if ! netns_run 'exit 0' 2>/dev/null; then
	skip "proxy policy cases" "no private network namespace (unshare --net needs root)"
	NONS=1
fi

# nsrun NAME SNIPPET: run SNIPPET in the namespace with a recording proxy (rec, http),
# a 500 proxy (bad), fake ftp and imap servers, on NETNS_ADDR; "rc=N" on stdout.
nsrun() {
	rm -f "$T"/*.port "$T"/*.log
	netns_run ". \"$T/px.sh\"
px http rec $NETNS_ADDR; px http500 bad $NETNS_ADDR; px ftp ftp 0.0.0.0; px imap imap 0.0.0.0
$2
echo rc=\$?
for p in \$(cat \"$T/pids\"); do kill \$p; done; rm -f \"$T/pids\"" 2>"$T/$1.err"
}
leaked() { # file: 0 when the password (plain or AUTHENTICATE PLAIN) is in it
	grep -aqe "$SECRET" -e "$B64U" "$1" 2>/dev/null
}

if [ -z "${NONS:-}" ]; then
	# (the proxies log both directions: a server's capability list names AUTHINFO USER too,
	# so the client's command is looked for with its argument)
	# (a) ftp_proxy / ALL_PROXY at a remote HTTP proxy: a CONNECT tunnel, and the password
	# only under TLS; the fake server offers no AUTH TLS, so the login is refused (exit 4).
	for v in ftp_proxy ALL_PROXY; do
		for tgt in '$NETNS_ADDR' 127.0.0.1; do
			out=$(nsrun ftp "$v=http://\$NETNS_ADDR:\$rec_PORT \$NT ftp -q --timeout 10 -u alice --password-file \"\$T/pw\" ls ftp://$tgt:\$ftp_PORT/")
			name="ftp $v=remote proxy, target ${tgt//\$/}"
			if leaked "$T/rec.log" || leaked "$T/ftp.log"; then
				fail "$name: the password went through the proxy in clear text" "$(head -c 300 "$T/rec.log")"
			elif [ "$out" != rc=4 ]; then
				fail "$name: exit 4 expected" "$out $(cat "$T/ftp.err")"
			elif ! grep -aq '^CONNECT ' "$T/rec.log"; then
				fail "$name: no CONNECT tunnel" "$(head -c 300 "$T/rec.log")"
			else
				pass "$name: CONNECT tunnel, no password in clear text, exit 4"
			fi
		done
	done
	out=$(nsrun ftp "ftp_proxy=http://\$NETNS_ADDR:\$rec_PORT \$NT ftp -q --tls --timeout 10 -u alice --password-file \"\$T/pw\" ls ftp://\$NETNS_ADDR:\$ftp_PORT/")
	! leaked "$T/rec.log" && ! grep -aq '^GET ftp:' "$T/rec.log" && [ "$out" = rc=4 ] &&
		pass "ftp --tls with ftp_proxy: never translated into HTTP, exit 4 without TLS" ||
		fail "ftp --tls with ftp_proxy" "$out $(head -c 300 "$T/rec.log")"
	out=$(nsrun ftp "\$NT ftp -q --no-tls --timeout 10 --proxy http://\$NETNS_ADDR:\$rec_PORT -u alice --password-file \"\$T/pw\" ls ftp://127.0.0.1:\$ftp_PORT/")
	! leaked "$T/rec.log" && [ "$out" = rc=4 ] && [ ! -s "$T/rec.log" ] && grep -q 'through the proxy' "$T/ftp.err" &&
		pass "ftp --no-tls --proxy to a loopback target: refused before connecting (exit 4)" ||
		fail "ftp --no-tls --proxy" "$out $(cat "$T/ftp.err")"

	# (b) mail-fetch to a loopback IMAP server through a remote CONNECT proxy: no LOGIN or
	# AUTHENTICATE without TLS (the fake offers no STARTTLS): exit 4.
	out=$(nsrun mf "ALL_PROXY=http://\$NETNS_ADDR:\$rec_PORT \$NT mail-fetch -q --timeout 10 --password-file \"\$T/pw\" -o \"\$T/md\" imap://u@127.0.0.1:\$imap_PORT/")
	if grep -aqiE 'AUTHENTICATE|LOGIN ' "$T/rec.log" || leaked "$T/rec.log"; then
		fail "mail-fetch ALL_PROXY to loopback IMAP: credentials went through the proxy without TLS" "$(head -c 300 "$T/rec.log")"
	elif [ "$out" != rc=4 ] || ! grep -aq '^CONNECT 127.0.0.1:' "$T/rec.log"; then
		fail "mail-fetch ALL_PROXY to loopback IMAP: exit 4 through the tunnel expected" "$out $(cat "$T/mf.err")"
	else
		pass "mail-fetch ALL_PROXY to loopback IMAP: tunnel, no LOGIN without TLS, exit 4"
	fi
	out=$(nsrun mf "\$NT mail-fetch -q --timeout 10 --allow-plaintext-auth --proxy http://\$NETNS_ADDR:\$rec_PORT --password-file \"\$T/pw\" -o \"\$T/md\" imap://u@127.0.0.1:\$imap_PORT/")
	grep -aqiE 'AUTHENTICATE|LOGIN ' "$T/rec.log" && [ "$out" = rc=4 ] &&
		pass "mail-fetch --proxy --allow-plaintext-auth: the login goes through (and is refused by the server)" ||
		fail "mail-fetch --proxy --allow-plaintext-auth" "$out $(cat "$T/mf.err")"

	# mail-send to a loopback aiosmtpd that offers AUTH without TLS, through smtp_proxy:
	# no AUTH through the proxy without --allow-plaintext-auth (exit 4); with it, sent.
	SMTPD="$FIX/smtpd.py"
	export SMTPD
	mkdir -p "$T/sm"
	ms() { # extra options; sets out
		out=$(nsrun ms "/usr/bin/python3 \"\$SMTPD\" --port 2525 --dir \"\$T/sm\" --user alice --password \"$SECRET\" --auth-plain-ok >/dev/null 2>&1 & sp=\$!
for i in \$(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/2525) 2>/dev/null && break; sleep 0.05; done
echo hi | smtp_proxy=http://\$NETNS_ADDR:\$rec_PORT \$NT mail-send --timeout 10 -S smtp://127.0.0.1:2525 -u alice --password-file \"\$T/pw\" -f me@example.com to@example.org $1
r=\$?; kill \$sp; (exit \$r)")
	}
	ms ""
	if grep -aq '^AUTH ' "$T/rec.log" || leaked "$T/rec.log"; then
		fail "mail-send smtp_proxy to loopback SMTP: AUTH went through the proxy without TLS" "$(head -c 300 "$T/rec.log")"
	elif [ "$out" != rc=4 ] || ! grep -aq '^CONNECT 127.0.0.1:2525 ' "$T/rec.log"; then
		fail "mail-send smtp_proxy to loopback SMTP: exit 4 through the tunnel expected" "$out $(cat "$T/ms.err")"
	else
		pass "mail-send smtp_proxy to loopback SMTP: tunnel, no AUTH without TLS, exit 4"
	fi
	ms --allow-plaintext-auth
	[ "$out" = rc=0 ] && grep -aq '^AUTH ' "$T/rec.log" && [ "$(ls "$T/sm" | grep -c '\.eml$')" = 1 ] &&
		pass "mail-send smtp_proxy --allow-plaintext-auth: AUTH through the tunnel, sent" ||
		fail "mail-send smtp_proxy --allow-plaintext-auth" "$out $(cat "$T/ms.err")"

	# (c) a proxy that answers 500: a network error (exit 3), never 0. The targets listen
	# (the fake IMAP server), so a client that ignored the proxy would not exit 3.
	for a in "ftp -q --timeout 10 ls ftp://\$NETNS_ADDR:\$ftp_PORT/" "mail-fetch -q --timeout 10 --no-tls --allow-plaintext-auth --password-file \$T/pw -o \$T/md imap://u@\$NETNS_ADDR:\$imap_PORT/" \
		"nntp --timeout 10 -s \$NETNS_ADDR:\$imap_PORT caps" "tcp-send --timeout 10 \$NETNS_ADDR:\$imap_PORT hello" \
		"mail-send --timeout 10 -S smtp://\$NETNS_ADDR:\$imap_PORT -f me@example.com to@example.org </dev/null"; do
		out=$(nsrun bad "ALL_PROXY=http://\$NETNS_ADDR:\$bad_PORT \$NT $a")
		[ "$out" = rc=3 ] && pass "${a%% *} through a proxy answering 500: exit 3" ||
			fail "${a%% *} through a proxy answering 500: exit 3 expected" "$out $(cat "$T/bad.err")"
	done
fi

# (d) --proxy http:// and socks5h:// (and ALL_PROXY) for tcp-send and nntp on loopback.
rm -f "$T"/*.port "$T"/*.log
px http h
px socks5 s
TP=$(free_port)
# Every address: socks5:// resolves "localhost" here and sends the proxy its first address,
# ::1 where /etc/hosts says so (Debian's netbase does), 127.0.0.1 elsewhere.
$NT tcp-serve -q --echo -p "$TP" &
echo $! >>"$T/pids"
wait_port "$TP"
for p in "http://127.0.0.1:$h_PORT" "socks5h://127.0.0.1:$s_PORT" "socks5://127.0.0.1:$s_PORT"; do
	: >"$T/h.log"
	: >"$T/s.log"
	got=$($NT tcp-send --timeout 10 --proxy "$p" "localhost:$TP" hello there 2>"$T/e")
	[ "$got" = "$(printf 'hello\nthere')" ] && grep -aq "localhost:$TP\|CONNECT localhost $TP\|CONNECT 127.0.0.1 $TP\|CONNECT ::1 $TP" "$T/h.log" "$T/s.log" &&
		pass "tcp-send --proxy ${p%%:*}://: replies through the proxy" ||
		fail "tcp-send --proxy $p" "$got $(cat "$T/e")"
done
: >"$T/h.log"
got=$(printf 'stream data\n' | ALL_PROXY="127.0.0.1:$h_PORT" $NT tcp-send --stream --timeout 10 "127.0.0.1:$TP" 2>"$T/e")
[ "$got" = "stream data" ] && grep -aq "^CONNECT 127.0.0.1:$TP " "$T/h.log" &&
	pass "tcp-send --stream with ALL_PROXY (no scheme: http): through the proxy" || fail "tcp-send --stream ALL_PROXY" "$got $(cat "$T/e")"

# A hostile proxy: a CONNECT reply header that never ends, a SOCKS reply that is not
# SOCKS5: our bounds (16 KiB of header), exit 3, nothing of it passed on as a reply.
px flood f
px socksbad sb
for p in "http://127.0.0.1:$f_PORT" "socks5h://127.0.0.1:$sb_PORT"; do
	for a in "tcp-send --timeout 10 --proxy $p 127.0.0.1:$TP x" "nntp --timeout 10 --proxy $p -s 127.0.0.1:$TP caps"; do
		got=$($NT $a 2>"$T/e")
		rc=$?
		[ $rc = 3 ] && [ -z "$got" ] && grep -q -e 'longer than 16384' -e 'not a SOCKS5 proxy' "$T/e" &&
			pass "${a%% *} through a hostile ${p%%:*}:// proxy: bounded, exit 3" ||
			fail "${a%% *} through a hostile $p" "rc=$rc '$got' $(cat "$T/e")"
	done
done

# Credentials in the variable's URL (percent-encoded) on our own sockets: Basic
# Proxy-Authorization for CONNECT, RFC 1929 for SOCKS5. The proxies check what they get
# (wrong or none: 407 / refusal, so exit 3); -v never shows the password or its base64.
PX_AUTH='pu:pa@ss w' px http ha
PX_AUTH='pu:pa@ss w' px socks5 sa
PB64=$(printf 'pu:pa@ss w' | base64)
for p in "http://pu:pa%40ss%20w@127.0.0.1:$ha_PORT" "socks5h://pu:pa%40ss%20w@127.0.0.1:$sa_PORT"; do
	got=$(ALL_PROXY=$p $NT tcp-send -v --timeout 10 "127.0.0.1:$TP" c1 2>"$T/e")
	rc=$?
	[ $rc = 0 ] && [ "$got" = c1 ] && grep -aq 'AUTH OK pu' "$T/ha.log" "$T/sa.log" && ! grep -q -e 'pa@ss' -e "$PB64" "$T/e" &&
		pass "tcp-send ALL_PROXY=${p%%:*}://user:password@: the proxy got the credentials, -v masks them" ||
		fail "tcp-send ALL_PROXY=${p%%:*}://user:password@" "rc=$rc '$got' $(cat "$T/e")"
	got=$(ALL_PROXY=${p/pa%40ss/wrong} $NT tcp-send --timeout 10 "127.0.0.1:$TP" c1 2>"$T/e")
	rc=$?
	[ $rc = 3 ] && [ -z "$got" ] && pass "tcp-send ${p%%:*}:// proxy with a wrong password: exit 3" ||
		fail "tcp-send ${p%%:*}:// wrong password" "rc=$rc '$got' $(cat "$T/e")"
done
# libcurl sends them too (ftp to a fake server without TLS: exit 4 after the tunnel);
# its -v trace shows the header masked.
px ftp fq
ALL_PROXY="http://pu:pa%40ss%20w@127.0.0.1:$ha_PORT" $NT ftp -v --timeout 5 ls "ftp://127.0.0.1:$fq_PORT/" >/dev/null 2>"$T/e"
grep -aq 'AUTH OK pu' "$T/ha.log" && grep -q 'Proxy-Authorization: Basic \*\*\*\*' "$T/e" && ! grep -q -e 'pa@ss' -e "$PB64" "$T/e" &&
	pass "ftp -v through an HTTP proxy with user:password@: sent, masked in the trace" ||
	fail "ftp -v proxy credentials" "$(grep -i -e proxy-auth -e 'AUTH ' "$T/e" "$T/ha.log" | head -5)"
. "$(dirname "$0")/fixtures/inn/inn.sh"
if inn_start test.proxy; then
	INN_OK=1
	want=$($NT nntp -s "127.0.0.1:$INN_READ" --timeout 10 --no-tls group test.proxy 2>&1)
	: >"$T/sa.log"
	got=$(nntp_proxy="socks5://pu:pa%40ss%20w@127.0.0.1:$sa_PORT" $NT nntp -s "127.0.0.1:$INN_READ" --timeout 10 --no-tls group test.proxy 2>"$T/e")
	[ -n "$want" ] && [ "$got" = "$want" ] && grep -aq 'AUTH OK pu' "$T/sa.log" &&
		pass "nntp through a socks5:// proxy with user:password@ (RFC 1929)" || fail "nntp socks5 credentials" "'$got' $(cat "$T/e")"
fi

# A password that could only go in clear text through a proxy is refused before anything
# is sent (nntp as ftp and mail-send): exit 4, nothing reaches the proxy.
for a in "nntp -s 127.0.0.1:$TP -u alice caps" \
	"mail-send -S smtp://127.0.0.1:$TP -u alice -f me@example.com to@example.org </dev/null"; do
	: >"$T/h.log"
	eval "ALL_PROXY=http://127.0.0.1:$h_PORT $NT ${a%% *} --no-tls --timeout 3 --password-file \"\$T/pw\" ${a#* }" >/dev/null 2>"$T/e"
	rc=$?
	[ $rc = 4 ] && [ ! -s "$T/h.log" ] && grep -q "through the proxy 127.0.0.1:$h_PORT (ALL_PROXY)" "$T/e" &&
		pass "${a%% *} --no-tls -u through a proxy: refused before connecting, exit 4" ||
		fail "${a%% *} --no-tls -u through a proxy" "rc=$rc $(head -c 300 "$T/h.log") $(cat "$T/e")"
done

# A CONNECT reply that is garbage (escape sequences, no status line) is shown made safe.
px garbage g
$NT tcp-send --timeout 10 --proxy "http://127.0.0.1:$g_PORT" "127.0.0.1:$TP" x >/dev/null 2>"$T/e"
rc=$?
[ $rc = 3 ] && grep -q 'not an HTTP reply to CONNECT: ?\]0;owned??\[2J junk' "$T/e" && ! grep -q "$(printf '\033')" "$T/e" &&
	pass "a garbage CONNECT reply: shown with '?' for control characters, exit 3" || fail "garbage CONNECT reply" "rc=$rc $(cat -v "$T/e")"

dead="http://127.0.0.1:$(free_port)"
# The libcurl applets through a loopback proxy. A server without TLS, when a password
# made TLS a requirement: the message points at --allow-plaintext-auth (--no-tls would
# be refused), names the proxy, exit 4. A proxy that is down or silent: named with its
# port and the setting it came from, exit 3.
px imap im
px ftp fp
px silent sil
SP=$(free_port)
mkdir -p "$T/sm2"
/usr/bin/python3 "$FIX/smtpd.py" --port "$SP" --dir "$T/sm2" --user alice --password "$SECRET" >/dev/null 2>&1 &
echo $! >>"$T/pids"
wait_port "$SP"
lc() { # NAME PROXYURL: run the libcurl applet NAME through the proxy; sets rc
	case $1 in
	ftp) ALL_PROXY=$2 $NT ftp -q --timeout 3 -u alice --password-file "$T/pw" ls "ftp://127.0.0.1:$fp_PORT/" ;;
	mail-fetch) ALL_PROXY=$2 $NT mail-fetch -q --timeout 3 --password-file "$T/pw" -o "$T/md" "imap://u@127.0.0.1:$im_PORT/" ;;
	mail-send) echo hi | ALL_PROXY=$2 $NT mail-send -q --timeout 3 -S "smtp://127.0.0.1:$SP" -u alice \
		--password-file "$T/pw" -f me@example.com to@example.org ;;
	esac >/dev/null 2>"$T/e"
	rc=$?
}
for a in ftp mail-fetch mail-send; do
	lc $a "http://127.0.0.1:$h_PORT"
	[ $rc = 4 ] && grep -q "through the proxy 127.0.0.1:$h_PORT (ALL_PROXY).*--allow-plaintext-auth" "$T/e" &&
		! grep -q 'no-tls goes without' "$T/e" &&
		pass "$a through a proxy to a server without TLS: points at --allow-plaintext-auth, exit 4" ||
		fail "$a through a proxy to a server without TLS" "rc=$rc $(cat "$T/e")"
	lc $a "$dead"
	[ $rc = 3 ] && grep -q "proxy ${dead#http://} (ALL_PROXY)" "$T/e" && pass "$a through a dead proxy: named, exit 3" ||
		fail "$a through a dead proxy" "rc=$rc $(cat "$T/e")"
	lc $a "socks5h://127.0.0.1:$sil_PORT"
	[ $rc = 3 ] && grep -q "proxy 127.0.0.1:$sil_PORT (ALL_PROXY)" "$T/e" && pass "$a through a silent proxy: named, exit 3" ||
		fail "$a through a silent proxy" "rc=$rc $(cat "$T/e")"
done

# (e) NO_PROXY and --noproxy bypass the proxy; --noproxy replaces NO_PROXY.
got=$(ALL_PROXY=$dead NO_PROXY=example.org,127.0.0.0/8 $NT tcp-send --timeout 10 "127.0.0.1:$TP" direct 2>"$T/e")
[ "$got" = direct ] && pass "NO_PROXY (a CIDR entry) bypasses ALL_PROXY" || fail "NO_PROXY bypass" "$got $(cat "$T/e")"
got=$(ALL_PROXY=$dead $NT tcp-send --timeout 10 --noproxy localhost "localhost:$TP" direct 2>"$T/e")
[ "$got" = direct ] && pass "--noproxy NAME bypasses ALL_PROXY" || fail "--noproxy bypass" "$got $(cat "$T/e")"
: >"$T/h.log"
got=$(NO_PROXY='*' $NT tcp-send --timeout 10 --noproxy '' --proxy "127.0.0.1:$h_PORT" "127.0.0.1:$TP" via 2>"$T/e")
[ "$got" = via ] && grep -aq "^CONNECT 127.0.0.1:$TP " "$T/h.log" && pass "--noproxy '' replaces NO_PROXY='*'" ||
	fail "--noproxy '' over NO_PROXY" "$got $(cat "$T/e")"
got=$(ALL_PROXY=$dead $NT tcp-send --timeout 10 "127.0.0.1:$TP" x 2>"$T/e")
rc=$?
[ $rc = 3 ] && grep -q "proxy ${dead#http://} (ALL_PROXY)" "$T/e" && pass "tcp-send honours ALL_PROXY (a dead proxy, named with its port: exit 3)" ||
	fail "tcp-send ALL_PROXY" "rc=$rc $got $(cat "$T/e")"
$NT tcp-send --proxy ftp://127.0.0.1:1 "127.0.0.1:$TP" x >/dev/null 2>"$T/e"
rc=$?
[ $rc = 2 ] && grep -q 'not a proxy scheme' "$T/e" && pass "--proxy ftp:// is not a proxy: exit 2" || fail "--proxy ftp://" "rc=$rc $(cat "$T/e")"

# nntp against INN through the proxies.
if [ -n "${INN_OK:-}" ]; then
	S="-s 127.0.0.1:$INN_READ --timeout 10"
	want=$($NT nntp $S --no-tls group test.proxy 2>&1)
	for p in "http://127.0.0.1:$h_PORT" "socks5h://127.0.0.1:$s_PORT"; do
		: >"$T/h.log"
		: >"$T/s.log"
		got=$($NT nntp $S --no-tls --proxy "$p" group test.proxy 2>"$T/e")
		[ -n "$want" ] && [ "$got" = "$want" ] && grep -aq "GROUP test.proxy" "$T/h.log" "$T/s.log" &&
			pass "nntp --proxy ${p%%:*}:// against INN" || fail "nntp --proxy $p" "want '$want' got '$got' $(cat "$T/e")"
	done
	: >"$T/h.log"
	echo secret >"$T/pwinn"
	nntp_proxy="http://127.0.0.1:$h_PORT" $NT nntp $S -u test --password-file "$T/pwinn" --no-tls group test.proxy >/dev/null 2>"$T/e"
	rc=$?
	[ $rc = 4 ] && [ ! -s "$T/h.log" ] &&
		pass "nntp_proxy --no-tls -u to loopback INN: refused before connecting to the proxy (exit 4)" ||
		fail "nntp_proxy clear-text password" "rc=$rc $(cat "$T/e")"
	: >"$T/s.log"
	got=$(nntp_proxy="socks5h://127.0.0.1:$s_PORT" $NT nntp $S --tls --cacert "$INN_DIR/certs/ca.crt" -u test --password-file "$T/pwinn" group test.proxy 2>"$T/e")
	rc=$?
	[ $rc = 0 ] && [ "$got" = "$want" ] && ! grep -aq -e secret -e 'AUTHINFO USER test' "$T/s.log" && grep -aq "SOCKS5 CONNECT 127.0.0.1 $INN_READ" "$T/s.log" &&
		pass "nntp --tls -u through nntp_proxy (socks5h): STARTTLS in the tunnel, logged in" ||
		fail "nntp --tls through socks5h" "rc=$rc $got $(cat "$T/e")"
else
	skip "nntp through proxies" "$INN_WHY"
fi

# ftp against vsftpd through the CONNECT proxy: the login and the files go, the
# password only inside TLS (AUTH TLS in the tunnel, data connections tunnelled too).
. "$(dirname "$0")/fixtures/ftp_server.sh"
if ftpd_start px; then
	echo "$FTP_PASS" >"$T/ftppw"
	printf 'through the tunnel\n' >"$FTPD_HOME_px/t.txt"
	: >"$T/h.log"
	got=$(ftp_proxy="http://127.0.0.1:$h_PORT" $NT ftp -q --timeout 20 --cacert "$T/certs/ca.crt" -u "$FTP_USER" \
		--password-file "$T/ftppw" get "ftp://127.0.0.1:$FTPD_PORT_px/t.txt" -o - 2>"$T/e")
	rc=$?
	[ $rc = 0 ] && [ "$got" = "through the tunnel" ] && grep -aq "^CONNECT 127.0.0.1:$FTPD_PORT_px " "$T/h.log" &&
		! grep -aq -e "$FTP_PASS" -e "USER $FTP_USER" "$T/h.log" &&
		pass "ftp get through ftp_proxy to vsftpd: tunnelled, password only under TLS" ||
		fail "ftp through the proxy to vsftpd" "rc=$rc '$got' $(cat "$T/e")"
else
	skip "ftp through a proxy to vsftpd" "vsftpd did not start"
fi

# (f) udp-send: datagrams never go through a proxy.
$NT udp-send --proxy "http://127.0.0.1:$h_PORT" 127.0.0.1:9 x >/dev/null 2>"$T/e"
rc=$?
[ $rc = 2 ] && grep -q 'datagrams' "$T/e" && pass "udp-send --proxy: exit 2, said why" || fail "udp-send --proxy" "rc=$rc $(cat "$T/e")"

finish
