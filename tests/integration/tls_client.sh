#!/bin/bash
# SPDX-License-Identifier: MIT
# tls_client.sh - the TLS client options every applet that connects shares (connpol.h,
# core/tls.c, core/tls_trust.c, core/xfer.c), against real servers on loopback: the CA variables
# (CURL_CA_BUNDLE, SSL_CERT_FILE, SSL_CERT_DIR) below --cacert for ftp (vsftpd), nntp
# (INN), mail-send (aiosmtpd) and mail-fetch (Dovecot); a client certificate that vsftpd,
# Dovecot and aiosmtpd require; public-key pins (libcurl and our own sockets, with
# --insecure too); the one line a refused certificate gets (subject, issuer, pin, and
# options that accept it, which do).
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/fixtures/ftp_server.sh"
. "$here/fixtures/dovecot.sh"
. "$here/fixtures/smtpd.sh"
. "$here/fixtures/inn/inn.sh"

# The machine's own CA variables must not decide for the tests.
unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR NETRC
export HOME=$T/nohome
C=$T/certs
make_certs "$C" || { fail "make_certs"; finish; }

# A client certificate from the test CA, one from a CA nobody trusts, and that CA.
(
	cd "$C" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=rogue CA" -keyout rogue-ca.key \
		-out rogue-ca.crt >/dev/null 2>&1 || exit 1
	for n in client:ca rogue:rogue-ca; do
		c=${n%%:*} a=${n#*:}
		openssl req -newkey rsa:2048 -nodes -subj "/CN=nettool $c" -keyout $c.key -out $c.csr >/dev/null 2>&1 &&
			printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >$c.ext &&
			openssl x509 -req -in $c.csr -CA $a.crt -CAkey $a.key -CAcreateserial -days 2 -extfile $c.ext \
				-out $c.crt >/dev/null 2>&1 || exit 1
		cat $c.crt $c.key >$c.pem
		chmod 600 $c.key $c.pem
	done
) || { fail "client certificates"; finish; }

# pin FILE: the sha256// pin of a certificate's public key, computed by openssl.
pin() { echo "sha256//$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER |
	openssl dgst -sha256 -binary | base64)"; }
PIN=$(pin "$C/server.crt")
OTHER_PIN=$(pin "$C/other.crt")
openssl x509 -in "$C/server.crt" -pubkey -noout >"$C/server.pub"

# A TLS handshake that times out (a server that accepts TCP and never answers the
# ClientHello, fixtures/tls_silent.py) is a network failure, exit 3, in every applet, as
# tcp-send says it (nettool(1)); nntp and ftp's own connections said 4 (TLS). The rule
# is core/tls.c's tls_client_exit; libcurl's applets say 3 for its timeout too.
silent() { # NAME COMMAND...: exit 3 within the timeout, and the timeout said
	local name=$1 t0 ms
	shift
	t0=$(date +%s%N)
	expect_exit "$name: exit 3" 3 timeout 20 "$@"
	ms=$((($(date +%s%N) - t0) / 1000000))
	grep -q 'timed out' "$T/check.out" && [ $ms -lt 10000 ] && pass "$name: 'timed out' said ($ms ms)" ||
		fail "$name: the timeout not said" "$ms ms: $(head -2 "$T/check.out")"
}
if tls_silent SIL raw && tls_silent SILF ftp && tls_silent SILN nntp; then
	silent "ftps://, a server silent after the TCP connect" "$NT" ftp --timeout 1 ls "ftps://127.0.0.1:$SIL/"
	silent "ftp --tls, AUTH TLS accepted, the ClientHello never answered" \
		"$NT" ftp --tls --timeout 1 ls "ftp://127.0.0.1:$SILF/"
	silent "nntps://, a server silent after the TCP connect" "$NT" nntp --timeout 1 -s "nntps://127.0.0.1:$SIL" group x
	silent "nntp STARTTLS accepted, the ClientHello never answered" \
		"$NT" nntp --tls --timeout 1 -s "nntp://127.0.0.1:$SILN" group x
	silent "mail-fetch pop3s://, a server silent after the TCP connect" \
		"$NT" mail-fetch --timeout 1 -u x --password-file "$C/ca.crt" --stdout "pop3s://127.0.0.1:$SIL"
	silent "tcp-send --tls, a server silent after the TCP connect" "$NT" tcp-send --tls --timeout 1 "127.0.0.1:$SIL" hi
else
	fail "tls_silent.py" "did not start"
fi

# --- the servers ---
have_ftp=1 have_inn=1 have_dove=1 have_smtp=1
if ! command -v vsftpd >/dev/null || ! command -v unshare >/dev/null ||
	! ftpd_start A; then
	skip "ftp" "vsftpd did not start (make deps)"
	have_ftp=0
fi
# The same vsftpd wanting a client certificate from the test CA.
if [ $have_ftp = 1 ] && ! ftpd_start K "require_cert=YES" "validate_cert=YES" "ca_certs_file=$C/ca.crt"; then
	fail "vsftpd with require_cert" "did not start: $(head -3 "$T/K/stderr")"
fi
if ! inn_start test.tls; then
	skip "nntp" "$INN_WHY"
	have_inn=0
fi
DOVE_EXTRA="ssl_ca = <$C/ca.crt
ssl_verify_client_cert = yes
ssl_require_crl = no
auth_ssl_require_client_cert = yes" 
if ! command -v dovecot >/dev/null || ! dove_start; then
	skip "mail-fetch" "dovecot did not start"
	have_dove=0
fi
if ! smtpd_available; then
	skip "mail-send" "python3-aiosmtpd is not installed"
	have_smtp=0
else
	start_smtpd SP "$T/smtp" --cert "$C/server.crt" --key "$C/server.key" || have_smtp=0
	start_smtpd SK "$T/smtpk" --cert "$C/server.crt" --key "$C/server.key" --client-ca "$C/ca.crt" || have_smtp=0
fi

# Both test CAs (INN makes its own) in one bundle, and in a c_rehash'd folder.
cat "$C/ca.crt" >"$T/bundle.crt"
[ $have_inn = 1 ] && cat "$INN_DIR/certs/ca.crt" >>"$T/bundle.crt"
mkdir -p "$T/cadir"
cp "$C/ca.crt" "$T/cadir/test-ca.pem"
[ $have_inn = 1 ] && cp "$INN_DIR/certs/ca.crt" "$T/cadir/inn-ca.pem"
c_rehash "$T/cadir" >/dev/null 2>&1 || openssl rehash "$T/cadir"
cp "$C/rogue-ca.crt" "$T/rogue-bundle.crt"

export NETTOOL_PASSWORD
run_ftp() { NETTOOL_PASSWORD=$FTP_PASS timeout 30 "$NT" ftp --tls -u "$FTP_USER" -P "$FTPD_PORT_A" "$@" ls 127.0.0.1:; }
run_nntp() { timeout 30 "$NT" nntp -s "nntps://127.0.0.1:$INN_TLS" "$@" group test.tls; }
run_send() { printf 'hi\n' | timeout 30 "$NT" mail-send -S "smtp://127.0.0.1:$SP" --tls -f me@example.com -s t "$@" to@example.org; }
# Dovecot wants the client certificate from every mail-fetch.
run_fetch() { NETTOOL_PASSWORD=$DOVE_PASS timeout 30 "$NT" mail-fetch --cert "$C/client.pem" "$@" list \
	"imaps://$DOVE_USER@127.0.0.1:$DOVE_IMAPS/INBOX"; }
# in_env VAR=VALUE... CMD...: CMD (a function too) with those variables exported.
in_env() { (while [[ $1 == *=* ]]; do export "${1?}"; shift; done; "$@"); }
applets=()
[ $have_ftp = 1 ] && applets+=(ftp)
[ $have_inn = 1 ] && applets+=(nntp)
[ $have_smtp = 1 ] && applets+=(send)
[ $have_dove = 1 ] && applets+=(fetch)

# --- the CA source: --cacert, CURL_CA_BUNDLE, SSL_CERT_FILE / SSL_CERT_DIR, the system store ---
for a in "${applets[@]}"; do
	expect_exit "$a: no CA given, the system store: refused (exit 4)" 4 run_$a
	expect_exit "$a: SSL_CERT_FILE" 0 in_env SSL_CERT_FILE="$T/bundle.crt" run_$a
	expect_exit "$a: SSL_CERT_DIR (c_rehash'd)" 0 in_env SSL_CERT_DIR="$T/cadir" run_$a
	expect_exit "$a: CURL_CA_BUNDLE" 0 in_env CURL_CA_BUNDLE="$T/bundle.crt" run_$a
	expect_exit "$a: CURL_CA_BUNDLE comes before SSL_CERT_FILE" 4 in_env CURL_CA_BUNDLE="$T/rogue-bundle.crt" \
		SSL_CERT_FILE="$T/bundle.crt" run_$a
	grep -q "rogue-bundle.crt (CURL_CA_BUNDLE)" "$T/check.out" && pass "$a: the refusal names the CA source" ||
		fail "$a: CA source named" "$(cat "$T/check.out")"
	expect_exit "$a: --cacert comes before the variables" 0 in_env SSL_CERT_FILE="$T/rogue-bundle.crt" \
		run_$a --cacert $T/bundle.crt
	expect_exit "$a: an empty variable counts as unset" 0 in_env CURL_CA_BUNDLE= SSL_CERT_FILE="$T/bundle.crt" \
		run_$a
done

# --- client certificates: vsftpd (require_cert), Dovecot (ssl_verify_client_cert), aiosmtpd ---
run_ftpk() { NETTOOL_PASSWORD=$FTP_PASS timeout 30 "$NT" ftp --tls --cacert "$C/ca.crt" -u "$FTP_USER" \
	-P "$FTPD_PORT_K" "$@"; }
if [ -n "${FTPD_PORT_K:-}" ]; then
	printf 'certified\n' >"$FTPD_HOME_K/f.txt"
	expect_exit "ftp: --cert (certificate and key in one file) to vsftpd require_cert" 0 \
		run_ftpk --cert "$C/client.pem" get 127.0.0.1:f.txt -o "$T/f.txt"
	[ "$(cat "$T/f.txt" 2>/dev/null)" = certified ] &&
		pass "ftp: a download over a TLS data connection with the client certificate" ||
		fail "ftp: download with --cert" "$(cat "$T/check.out")"
	expect_exit "ftp: --cert FILE --key FILE" 0 run_ftpk --cert "$C/client.crt" --key "$C/client.key" ls 127.0.0.1:
	expect_exit "ftp: no client certificate: refused (exit 4)" 4 run_ftpk ls 127.0.0.1:
	grep -q "client certificate" "$T/check.out" && pass "ftp: the refusal points at --cert" ||
		fail "ftp: refusal without --cert" "$(cat "$T/check.out")"
	expect_exit "ftp: a certificate from another CA: refused (exit 4)" 4 run_ftpk --cert "$C/rogue.pem" ls 127.0.0.1:
fi
if [ $have_dove = 1 ]; then
	expect_exit "mail-fetch: --cert to Dovecot ssl_verify_client_cert" 0 run_fetch --cacert "$C/ca.crt"
	expect_exit "mail-fetch: --cert --key" 0 run_fetch --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key"
	expect_exit "mail-fetch: no client certificate: refused (exit 4)" 4 env NETTOOL_PASSWORD=$DOVE_PASS timeout 30 \
		"$NT" mail-fetch --cacert "$C/ca.crt" list "imaps://$DOVE_USER@127.0.0.1:$DOVE_IMAPS/INBOX"
	grep -q "asked for a client certificate and none was given: --cert FILE" "$T/check.out" &&
		pass "mail-fetch: the refused login points at --cert" || fail "mail-fetch: login hint" "$(cat "$T/check.out")"
	expect_exit "mail-fetch: a certificate from another CA: refused (exit 4)" 4 env NETTOOL_PASSWORD=$DOVE_PASS \
		timeout 30 "$NT" mail-fetch --cacert "$C/ca.crt" --cert "$C/rogue.pem" list \
		"imaps://$DOVE_USER@127.0.0.1:$DOVE_IMAPS/INBOX"
fi
if [ $have_smtp = 1 ]; then
	printf 'hi\n' | timeout 30 "$NT" mail-send -S "smtp://127.0.0.1:$SK" --cacert "$C/ca.crt" --cert "$C/client.pem" \
		-f me@example.com -s t to@example.org >"$T/o" 2>&1
	got=$(last "$T/smtpk")
	[ -n "$got" ] && grep -q '"client_cert": "nettool client"' "${got%.eml}.json" &&
		pass "mail-send: STARTTLS with the client certificate" || fail "mail-send --cert" "$(cat "$T/o")"
	printf 'hi\n' | timeout 30 "$NT" mail-send -S "smtp://127.0.0.1:$SK" --cacert "$C/ca.crt" \
		-f me@example.com -s t to@example.org >"$T/o" 2>&1
	rc=$?
	[ $rc = 4 ] && [ "$(count "$T/smtpk")" = 1 ] && pass "mail-send: no client certificate: refused (exit 4)" ||
		fail "mail-send without --cert" "rc=$rc $(cat "$T/o")"
	grep -q "asked for a client certificate and none was given (--cert FILE)" "$T/o" &&
		pass "mail-send: a server that hangs up after asking for a certificate: said" ||
		fail "mail-send: hang-up message" "$(cat "$T/o")"
fi

# The key file: refused when others can read it (as ssh), or encrypted; --key needs --cert.
cp "$C/client.pem" "$T/open.pem"
chmod 644 "$T/open.pem"
for a in "${applets[@]}"; do
	[ $a = fetch ] && continue
	expect_exit "$a: a key file others can read: refused (exit 4)" 4 run_$a --cacert "$T/bundle.crt" --cert "$T/open.pem"
	grep -q "others can read it (mode 0644)" "$T/check.out" && pass "$a: the refusal says why" ||
		fail "$a: readable key message" "$(cat "$T/check.out")"
done
chmod 640 "$T/open.pem"
[ $have_ftp = 1 ] && expect_exit "ftp: a group-readable key is used (Debian's ssl-cert group)" 0 \
	run_ftpk --cert "$T/open.pem" ls 127.0.0.1:
openssl pkey -in "$C/client.key" -aes256 -passout pass:x -out "$T/enc.key" 2>/dev/null
chmod 600 "$T/enc.key"
[ $have_ftp = 1 ] && expect_exit "ftp: an encrypted key: refused (exit 4), no prompt" 4 \
	run_ftpk --cert "$C/client.crt" --key "$T/enc.key" ls 127.0.0.1: </dev/null
grep -q "encrypted" "$T/check.out" && pass "encrypted key: said" || fail "encrypted key message" "$(cat "$T/check.out")"
[ $have_inn = 1 ] && expect_exit "nntp: an encrypted key: refused (exit 4)" 4 run_nntp --cacert "$T/bundle.crt" \
	--cert "$C/client.crt" --key "$T/enc.key"
expect_exit "--key without --cert: exit 2" 2 "$NT" nntp -s "nntps://127.0.0.1:9" --key "$C/client.key" group x
expect_exit "--key without --cert (ftp): exit 2" 2 "$NT" ftp --key "$C/client.key" ls 127.0.0.1:
grep -q -- "--key needs --cert" "$T/check.out" && pass "--key without --cert: said" || fail "--key message" "$(cat "$T/check.out")"
[ $have_inn = 1 ] && expect_exit "nntp: a key of another certificate: exit 4" 4 run_nntp --cacert "$T/bundle.crt" \
	--cert "$C/client.crt" --key "$C/rogue.key"
grep -q "does not belong" "$T/check.out" && pass "nntp: key mismatch said" || fail "key mismatch" "$(cat "$T/check.out")"

# --- pins: libcurl's CURLOPT_PINNEDPUBLICKEY (ftp, mail-send) and our own check (nntp) ---
INN_PIN=
[ $have_inn = 1 ] && INN_PIN=$(pin "$INN_DIR/certs/server.crt")
for a in "${applets[@]}"; do
	[ $a = fetch ] && continue
	p=$PIN
	[ $a = nntp ] && p=$INN_PIN
	expect_exit "$a: a pin that matches" 0 run_$a --cacert "$T/bundle.crt" --pinnedpubkey "$p"
	expect_exit "$a: a pin that does not match: exit 4" 4 run_$a --cacert "$T/bundle.crt" --pinnedpubkey "$OTHER_PIN"
	grep -q "not one of --pinnedpubkey.*pin $p; to accept it: add $p" "$T/check.out" &&
		pass "$a: the pin mismatch names the key seen" || fail "$a: pin mismatch message" "$(cat "$T/check.out")"
	expect_exit "$a: several pins, one matches" 0 run_$a --cacert "$T/bundle.crt" --pinnedpubkey "$OTHER_PIN;$p"
	expect_exit "$a: --insecure with a matching pin" 0 run_$a --insecure --pinnedpubkey "$p"
	expect_exit "$a: --insecure still checks the pin: exit 4" 4 run_$a --insecure --pinnedpubkey "$OTHER_PIN"
	expect_exit "$a: a pin without a trusted CA: the chain is still checked (exit 4)" 4 run_$a --pinnedpubkey "$p"
	expect_exit "$a: a malformed pin: exit 2" 2 run_$a --insecure --pinnedpubkey "sha256//tooshort="
	grep -q "'sha256//tooshort=': a pin is sha256// and the 44 base64 characters" "$T/check.out" &&
		pass "$a: the malformed pin is named" || fail "$a: malformed pin message" "$(cat "$T/check.out")"
done
if [ $have_ftp = 1 ]; then
	expect_exit "ftp: a PEM public key file as the pin" 0 run_ftp --cacert "$C/ca.crt" --pinnedpubkey "$C/server.pub"
	openssl pkey -pubin -in "$C/server.pub" -outform DER -out "$C/server.der" 2>/dev/null
	expect_exit "ftp: a DER public key file as the pin" 0 run_ftp --cacert "$C/ca.crt" --pinnedpubkey "$C/server.der"
	openssl x509 -in "$C/other.crt" -pubkey -noout >"$C/other.pub"
	expect_exit "ftp: a key file that does not match: exit 4" 4 run_ftp --cacert "$C/ca.crt" --pinnedpubkey "$C/other.pub"
	expect_exit "ftp: a certificate is not a public key file: exit 2" 2 run_ftp --cacert "$C/ca.crt" \
		--pinnedpubkey "$C/server.crt"
	grep -q "openssl x509 -pubkey" "$T/check.out" && pass "ftp: the refusal says how to take the key" ||
		fail "ftp: pin file message" "$(cat "$T/check.out")"
fi
if [ $have_inn = 1 ]; then
	openssl x509 -in "$INN_DIR/certs/server.crt" -pubkey -noout >"$T/inn.pub"
	expect_exit "nntp: a public key file as the pin" 0 run_nntp --cacert "$T/bundle.crt" --pinnedpubkey "$T/inn.pub"
	expect_exit "nntp: STARTTLS checks the pin too: exit 4" 4 timeout 30 "$NT" nntp -s "127.0.0.1:$INN_READ" \
		--cacert "$T/bundle.crt" --pinnedpubkey "$OTHER_PIN" group test.tls
fi
[ $have_dove = 1 ] && expect_exit "mail-fetch: a pin that does not match: exit 4" 4 run_fetch --cacert "$C/ca.crt" \
	--pinnedpubkey "$OTHER_PIN"

# --- the line a refused certificate gets, and the options it names ---
# want_line APPLET PIN: the last output names subject, issuer and the pin, and the options.
want_line() {
	local o
	o=$(cat "$T/check.out")
	[ "$(grep -c . "$T/check.out")" = 1 ] && [[ $o == *"certificate verification failed"* ]] &&
		[[ $o == *"subject CN=server, issuer CN=nettool test CA, pin $2;"* ]] && [[ $o == *"--cacert FILE"* ]] &&
		[[ $o == *"--pinnedpubkey $2 --insecure"* ]] && [[ $o == *"or --insecure"* ]] &&
		pass "$1: one line: subject, issuer, pin, and --cacert / --pinnedpubkey / --insecure" ||
		fail "$1: the refusal line" "$o"
}
for a in "${applets[@]}"; do
	p=$PIN
	[ $a = nntp ] && p=$INN_PIN
	expect_exit "$a: untrusted: exit 4" 4 run_$a
	want_line $a "$p"
	printed=$(sed -n 's/.*--pinnedpubkey \(sha256\/\/[A-Za-z0-9+\/=]*\) --insecure.*/\1/p' "$T/check.out")
	expect_exit "$a: the printed pin, given back with --insecure, is accepted" 0 run_$a --insecure --pinnedpubkey "$printed"
	expect_exit "$a: the printed pin with the CA" 0 run_$a --cacert "$T/bundle.crt" --pinnedpubkey "$printed"
done

# Host name mismatch: the names the certificate carries. openssl s_server stands in (the
# handshake is all that is tested).
OP=$(free_port)
openssl s_server -quiet -cert "$C/other.crt" -key "$C/other.key" -accept "$OP" -naccept 4 </dev/null >/dev/null 2>&1 &
op=$!
cleanup "kill $op"
if wait_port "$OP"; then
	for u in "nntp -s nntps://127.0.0.1:$OP group x" "ftp ls ftps://127.0.0.1:$OP/"; do
		expect_exit "${u%% *}: a certificate for another name: exit 4" 4 timeout 30 $NT ${u%% *} --timeout 10 \
			--cacert "$C/ca.crt" ${u#* }
		grep -q "host name mismatch.*it is for DNS:wrong.example, not 127.0.0.1: subject CN=other, issuer CN=nettool test CA, pin $OTHER_PIN; to accept it: connect by one of its names, --pinnedpubkey $OTHER_PIN --insecure" "$T/check.out" &&
			pass "${u%% *}: the mismatch names the certificate's names and pin" ||
			fail "${u%% *}: mismatch line" "$(cat "$T/check.out")"
	done
else
	fail "openssl s_server" "did not start"
fi

# Session reuse on the data connection (vsftpd's default) with the verify callback installed.
if [ $have_ftp = 1 ] && ftpd_start R "require_ssl_reuse=YES"; then
	mkdir -p "$FTPD_HOME_R/d"
	printf 'resumed\n' >"$FTPD_HOME_R/r.txt"
	expect_exit "ftp: ls where the data connection must reuse the TLS session" 0 \
		env NETTOOL_PASSWORD=$FTP_PASS timeout 30 "$NT" ftp --tls --cacert "$C/ca.crt" -u "$FTP_USER" -P "$FTPD_PORT_R" ls 127.0.0.1:d
	expect_exit "ftp: get where the data connection must reuse the TLS session" 0 \
		env NETTOOL_PASSWORD=$FTP_PASS timeout 30 "$NT" ftp --tls --cacert "$C/ca.crt" -u "$FTP_USER" -P "$FTPD_PORT_R" \
		get 127.0.0.1:r.txt -o "$T/r.txt"
	[ "$(cat "$T/r.txt" 2>/dev/null)" = resumed ] && pass "ftp: the resumed-session download is whole" ||
		fail "ftp get with require_ssl_reuse" "$(cat "$T/check.out")"
fi

# The account's TLS settings (nettool-accounts(5)): its cacert comes after --cacert and
# before the variables; its cert, key and pin are used as the options are.
if [ $have_dove = 1 ]; then
	acc() {
		printf '[tls]\nurl = imaps://127.0.0.1:%s/INBOX\nuser = %s\npassword-cmd = echo %s\n' \
			"$DOVE_IMAPS" "$DOVE_USER" "$DOVE_PASS"
		printf '%s\n' "$@"
	}
	acc "cacert = $C/ca.crt" "cert = $C/client.pem" "pin = $PIN" >"$T/acc-ok"
	acc "cacert = $C/ca.crt" "cert = $C/client.pem" "pin = $OTHER_PIN" >"$T/acc-pin"
	acc "cacert = $C/ca.crt" >"$T/acc-nocert"
	acc "cacert = $C/ca.crt" "cert = $T/open.pem" >"$T/acc-open"
	chmod 644 "$T/open.pem"
	chmod 600 "$T"/acc-*
	fa() { timeout 30 "$NT" mail-fetch --config "$T/$1" --account tls "${@:2}" list; }
	expect_exit "account: cacert, cert and pin" 0 in_env SSL_CERT_FILE="$T/rogue-bundle.crt" fa acc-ok
	expect_exit "account: --cacert comes first" 4 fa acc-ok --cacert "$T/rogue-bundle.crt"
	expect_exit "account: its pin is checked: exit 4" 4 fa acc-pin
	grep -q "not one of --pinnedpubkey" "$T/check.out" && pass "account: the pin refusal said" ||
		fail "account pin" "$(cat "$T/check.out")"
	expect_exit "account: --pinnedpubkey comes first" 0 fa acc-pin --pinnedpubkey "$PIN"
	expect_exit "account: --cert on the command line" 0 fa acc-nocert --cert "$C/client.pem"
	expect_exit "account: its key file others can read: exit 4" 4 fa acc-open
	grep -q "others can read it" "$T/check.out" && pass "account: the key file refusal said" ||
		fail "account key file" "$(cat "$T/check.out")"
fi
finish
