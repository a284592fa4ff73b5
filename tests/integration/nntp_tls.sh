#!/bin/bash
# SPDX-License-Identifier: MIT
# nntp_tls.sh - nettool nntp's TLS (nntps:// and STARTTLS, verified with --cacert, refused
# without), AUTHINFO USER/PASS (and the clear-text refusal to a non-loopback host),
# COMPRESS DEFLATE, and the masked -v trace, against a private INN on loopback.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/inn/inn.sh"
FIX=$INN_FIX

if ! inn_start test.tls; then
	skip "nntp_tls" "$INN_WHY"
	finish
fi
CA=$INN_DIR/certs/ca.crt
PW=$T/pw
echo secret >"$PW"
echo wrong >"$T/badpw"
/usr/bin/python3 "$FIX/gen.py" "$T/arts" test.tls 30 1500 tls
inn_feed "$T/arts" >/dev/null || fail "feed" "INN refused the articles"
sleep 0.3

# --- implicit TLS (nntps://) ---
testing "nntps:// with --cacert" "\$NT nntp -s nntps://127.0.0.1:$INN_TLS --cacert $CA group test.tls" \
	"test.tls 30 1 30\n" "" ""
testing "nntps://localhost (name check against DNS:localhost)" \
	"\$NT nntp -4 -s nntps://localhost:$INN_TLS --cacert $CA group test.tls" "test.tls 30 1 30\n" "" ""
expect_exit "nntps:// without the CA: exit 4" 4 $NT nntp -s "nntps://127.0.0.1:$INN_TLS" group test.tls
grep -q "certificate verification failed" "$T/check.out" && pass "the verification failure is named" ||
	fail "verify message" "$(cat "$T/check.out")"
$NT nntp -s "nntps://127.0.0.1:$INN_TLS" --insecure group test.tls >"$T/o" 2>"$T/e"
[ "$(cat "$T/o")" = "test.tls 30 1 30" ] && grep -q "not verified" "$T/e" &&
	pass "--insecure works and warns" || fail "--insecure" "$(cat "$T/o" "$T/e")"
expect_exit "--no-tls with nntps:// is a usage error" 2 $NT nntp -s "nntps://127.0.0.1:$INN_TLS" --no-tls group test.tls

# a server whose certificate names another host
OP=$(free_port)
openssl s_server -quiet -cert "$INN_DIR/certs/other.crt" -key "$INN_DIR/certs/other.key" -accept "$OP" \
	-naccept 5 </dev/null >/dev/null 2>&1 &
p=$!; cleanup "kill $p"
if wait_port "$OP"; then
	expect_exit "certificate for another name: exit 4" 4 $NT nntp -s "nntps://127.0.0.1:$OP" --cacert "$CA" --timeout 5 group test.tls
	grep -q "mismatch" "$T/check.out" && pass "host name mismatch named" ||
		fail "mismatch message" "$(cat "$T/check.out")"
else
	fail "openssl s_server" "did not start"
fi

# --- STARTTLS (used when offered, verified) ---
$NT nntp -v -s "127.0.0.1:$INN_READ" --cacert "$CA" group test.tls >"$T/o" 2>"$T/trace"
[ "$(cat "$T/o")" = "test.tls 30 1 30" ] && grep -qx '> STARTTLS' "$T/trace" && grep -q '^< 382 ' "$T/trace" &&
	pass "STARTTLS used when offered" || fail "STARTTLS" "$(cat "$T/o" "$T/trace" | head)"
expect_exit "STARTTLS without the CA: exit 4" 4 $NT nntp -s "127.0.0.1:$INN_READ" group test.tls
$NT nntp -v -s "127.0.0.1:$INN_READ" --no-tls group test.tls >/dev/null 2>"$T/trace"
grep -q '^< 211 ' "$T/trace" && ! grep -qx '> STARTTLS' "$T/trace" &&
	pass "--no-tls: no STARTTLS" || fail "--no-tls" "$(head "$T/trace")"
FP=$(free_port)
/usr/bin/python3 "$FIX/fake.py" 127.0.0.1 "$FP" auth "$T/fake-notls.log" &
p=$!; cleanup "kill $p"
wait_port "$FP" || fail "fake server" "did not start"
expect_exit "--tls with a server without STARTTLS: exit 4" 4 $NT nntp -s "127.0.0.1:$FP" --tls group test.tls
grep -q "does not offer STARTTLS" "$T/check.out" && ! grep -q GROUP "$T/fake-notls.log" &&
	pass "--tls: nothing sent after CAPABILITIES" || fail "--tls refusal" "$(cat "$T/check.out" "$T/fake-notls.log")"

# --- AUTHINFO USER/PASS ---
printf 'From: T <t@example.com>\nNewsgroups: test.tls\nSubject: over tls\n\nsecret body\n' >"$T/post.txt"
id=$($NT nntp -s "127.0.0.1:$INN_READ" --cacert "$CA" -u test --password-file "$PW" post "$T/post.txt" 2>"$T/e")
[ -n "$id" ] && [ "$($NT nntp -s "nntps://127.0.0.1:$INN_TLS" --cacert "$CA" body "$id")" = "secret body" ] &&
	pass "AUTHINFO over STARTTLS, post, read back over nntps://" || fail "auth post" "$id $(cat "$T/e")"
expect_exit "wrong password: exit 4" 4 $NT nntp -s "127.0.0.1:$INN_READ" --cacert "$CA" -u test --password-file "$T/badpw" group test.tls
id=$(NETTOOL_PASSWORD=secret $NT nntp -s "nntp://test@127.0.0.1:$INN_READ" --cacert "$CA" post "$T/post.txt" 2>"$T/e")
[ -n "$id" ] && pass "user from the URL, password from NETTOOL_PASSWORD" || fail "url user" "$(cat "$T/e")"
NETTOOL_PASSWORD=secret $NT nntp -v -s "127.0.0.1:$INN_READ" --no-tls -u test group test.tls >/dev/null 2>"$T/trace"
grep -q '^> AUTHINFO PASS \*\*\*\*' "$T/trace" && ! grep -q secret "$T/trace" && grep -q '^< 281' "$T/trace" &&
	pass "-v masks the password (clear text allowed to loopback)" || fail "mask" "$(grep AUTHINFO "$T/trace")"

# clear text to a host that is not loopback: refused before the password leaves. The
# "remote" host is NETNS_ADDR inside a private network namespace (nothing leaves it).
export NT T FIX
if netns_run '
	/usr/bin/python3 "$FIX/fake.py" '"$NETNS_ADDR"' 1119 auth "$T/fake-ext.log" & p=$!
	for i in $(seq 100); do (exec 3<>/dev/tcp/'"$NETNS_ADDR"'/1119) 2>/dev/null && break; sleep 0.05; done
	NETTOOL_PASSWORD=secret "$NT" nntp -s '"$NETNS_ADDR"':1119 -u test group test.tls >"$T/ext1.out" 2>&1
	echo $? >"$T/ext1.rc"
	cp "$T/fake-ext.log" "$T/fake-ext1.log" 2>/dev/null || : >"$T/fake-ext1.log"
	NETTOOL_PASSWORD=secret "$NT" nntp -s '"$NETNS_ADDR"':1119 -u test --allow-plaintext-auth group test.tls >/dev/null 2>&1
	kill $p' 2>"$T/netns.err"; then
	[ "$(cat "$T/ext1.rc")" = 4 ] && pass "AUTHINFO in clear text to $NETNS_ADDR: refused, exit 4" || fail "clear text refusal" "rc $(cat "$T/ext1.rc"): $(cat "$T/ext1.out")"
	grep -q CAPABILITIES "$T/fake-ext1.log" && ! grep -q AUTHINFO "$T/fake-ext1.log" &&
		pass "no AUTHINFO reached the server" || fail "leak" "$(cat "$T/fake-ext1.log")"
	grep -q '^AUTHINFO PASS secret' "$T/fake-ext.log" && pass "--allow-plaintext-auth sends it" ||
		fail "allow plaintext" "$(cat "$T/fake-ext.log")"
else
	skip "clear-text refusal" "no private network namespace: $(head -2 "$T/netns.err")"
fi

# STARTTLS to a server whose certificate names another host: refused too.
SP=$(free_port)
FAKE_CERT="$INN_DIR/certs/other.crt" FAKE_KEY="$INN_DIR/certs/other.key" \
	/usr/bin/python3 "$FIX/fake.py" 127.0.0.1 "$SP" starttls "$T/fake-st.log" &
p=$!; cleanup "kill $p"
if wait_port "$SP"; then
	expect_exit "STARTTLS with a certificate for another name: exit 4" 4 $NT nntp -s "127.0.0.1:$SP" --cacert "$CA" --timeout 5 group test.tls
	grep -q "mismatch" "$T/check.out" && pass "STARTTLS: host name mismatch named" ||
		fail "STARTTLS mismatch message" "$(cat "$T/check.out")"
	! grep -q '^GROUP' "$T/fake-st.log" && pass "nothing sent after the refused handshake" || fail "sent after refusal"
else
	fail "fake STARTTLS server" "did not start"
fi

# --- COMPRESS DEFLATE ---
$NT nntp -s "127.0.0.1:$INN_READ" --no-tls over test.tls >"$T/plain.over"
$NT nntp -v -s "127.0.0.1:$INN_READ" --no-tls --compress over test.tls >"$T/z.over" 2>"$T/trace"
grep -q '^< 206 ' "$T/trace" && cmp -s "$T/plain.over" "$T/z.over" && [ -s "$T/z.over" ] &&
	pass "--compress: COMPRESS DEFLATE, same overview" || fail "compress" "$(grep -i compress "$T/trace")"
$NT nntp -v -s "127.0.0.1:$INN_READ" --cacert "$CA" --compress fetch test.tls -O "$T/zf" 2>"$T/ztrace"
grep -q '^< 206 ' "$T/ztrace" && pass "--compress over TLS: the server agreed (206)" || fail "compress over TLS not used" "$(grep -i compress "$T/ztrace" | head -3)"
[ "$(ls "$T/zf" | wc -l)" = 32 ] && sed '1,/^$/d' "$T/zf/7" | cmp -s - <(sed '1,/^$/d' "$T/arts/a000007") &&
	pass "--compress over TLS: pipelined fetch of 32, byte-exact" || fail "compress fetch" "$(ls "$T/zf" | wc -l)"

# --- IPv6 ---
if [ -n "$INN_READ6" ]; then
	testing "-6 to [::1]: group" "\$NT nntp -6 -s '[::1]:$INN_READ6' --no-tls group test.tls" "test.tls 32 1 32\n" "" ""
	testing "nntp://[::1]: hdr" "\$NT nntp -s 'nntp://[::1]:$INN_READ6' --cacert $CA hdr subject test.tls 3" "3 tls article 3\n" "" ""
else
	skip "IPv6" "this machine has no ::1"
fi
testing "-6 to a port where nothing listens on ::1: exit 3" \
	"\$NT nntp -6 -s '[::1]:$INN_READ' --no-tls group test.tls; echo \$?" "3\n" "" ""
finish
