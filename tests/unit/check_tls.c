/* SPDX-License-Identifier: MIT */
/* check_tls.c - core/tls.c and core/tls_trust.c without a network: a missing CA file
 * and a peer that is not TLS both fail with a message and no leak; the version text is
 * there; the pin syntax (curl's --pinnedpubkey), the CA source order, the key file check. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nt_err.h"
#include "tls.h"

/* The pin of a 32-byte value 0x00 0x01 ... 0x1f, and of 32 x 0xff. */
#define PIN_SEQ "sha256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define PIN_FF "sha256////////////////////////////////////////////8="

START_TEST(version)
{
	ck_assert_ptr_nonnull(strstr(tls_version(), "OpenSSL"));
}
END_TEST

START_TEST(missing_ca)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct tls_opts o = {.cacert = "/nonexistent/ca.crt"};
	char err[256] = "";
	errno = ETIMEDOUT; /* left from before: never taken for a timeout */
	struct stream *s = tls_client(sv[0], "localhost", &o, 1024, 2000, err, sizeof err);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(tls_client_exit(errno), NT_EXIT_TLS);
	ck_assert_ptr_nonnull(strstr(err, "CA certificates"));
	close(sv[1]);
}
END_TEST

START_TEST(not_tls_peer)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* The peer answers the ClientHello with a plain-text greeting and hangs up. */
	ck_assert_int_eq(write(sv[1], "200 hello\r\n", 11), 11);
	close(sv[1]);
	signal(SIGPIPE, SIG_IGN); /* as core/main.c does for the whole program */
	struct tls_opts o = {0};
	char err[256] = "";
	struct stream *s = tls_client(sv[0], "localhost", &o, 1024, 2000, err, sizeof err);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(tls_client_exit(errno), NT_EXIT_TLS);
	ck_assert_ptr_nonnull(strstr(err, "TLS handshake with localhost"));
}
END_TEST

START_TEST(timeout)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct tls_opts o = {0};
	char err[256] = "";
	struct stream *s = tls_client(sv[0], "127.0.0.1", &o, 1024, 200, err, sizeof err);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(tls_client_exit(errno), NT_EXIT_NET); /* a timeout is the network's: 3 */
	ck_assert_ptr_nonnull(strstr(err, "timed out"));
	close(sv[1]);
}
END_TEST

START_TEST(pins_list)
{
	struct tls_pins p;
	char err[300] = "";
	ck_assert_int_eq(tls_pins_parse_list(PIN_SEQ, &p, err, sizeof err), 0);
	ck_assert_int_eq(p.n, 1);
	for (int i = 0; i < 32; i++)
		ck_assert_int_eq(p.sha256[0][i], i);
	ck_assert_int_eq(tls_pins_parse_list(PIN_SEQ ";" PIN_FF, &p, err, sizeof err), 0);
	ck_assert_int_eq(p.n, 2);
	ck_assert_int_eq(p.sha256[1][31], 0xff);
	unsigned char ff[32];
	memset(ff, 0xff, sizeof ff);
	ck_assert(tls_pins_match(&p, ff));
	ff[0] = 0;
	ck_assert(!tls_pins_match(&p, ff));
	char t[TLS_PIN_TEXT];
	tls_pin_text(p.sha256[0], t);
	ck_assert_str_eq(t, PIN_SEQ);
	char *c = tls_pins_curl(&p);
	ck_assert_str_eq(c, PIN_SEQ ";" PIN_FF);
	free(c);
}
END_TEST

START_TEST(pins_refused)
{
	static const char *bad[] = {
		"",                                                         /* nothing */
		"sha256//",                                                 /* no hash */
		"sha1//AAECAwQFBgcICQoLDA0ODxAREhM=",                       /* another hash */
		"SHA256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",     /* curl's prefix is lower case */
		"sha256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",      /* no padding */
		"sha256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==",    /* too long */
		"sha256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=",     /* non-canonical last bits */
		"sha256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-=",     /* base64url */
		"sha256// AECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",     /* a space */
		PIN_SEQ ";",                                                /* an empty pin at the end */
		PIN_SEQ ";;" PIN_FF,                                        /* an empty pin inside */
		";" PIN_SEQ,                                                /* ... at the start */
		PIN_SEQ " ;" PIN_FF,                                        /* spaces are not separators */
		PIN_SEQ ";pin",                                             /* a second one that is no pin */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct tls_pins p;
		char err[300] = "";
		ck_assert_msg(tls_pins_parse_list(bad[i], &p, err, sizeof err) == -1, "accepted: '%s'", bad[i]);
		ck_assert_msg(err[0], "no message for '%s'", bad[i]);
	}
	/* TLS_PINS_MAX pins are fine, one more is not. */
	char many[(TLS_PIN_TEXT + 1) * (TLS_PINS_MAX + 1)] = "";
	for (int i = 0; i < TLS_PINS_MAX; i++)
		strcat(strcat(many, i ? ";" : ""), PIN_SEQ);
	struct tls_pins p;
	char err[300];
	ck_assert_int_eq(tls_pins_parse_list(many, &p, err, sizeof err), 0);
	ck_assert_int_eq(p.n, TLS_PINS_MAX);
	strcat(strcat(many, ";"), PIN_FF);
	ck_assert_int_eq(tls_pins_parse_list(many, &p, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than"));
	/* A control character from an accounts file never reaches a message. */
	ck_assert_int_eq(tls_pins_parse_list("sha256//ab\ncd\x1b[2J", &p, err, sizeof err), -1);
	ck_assert_int_eq(tls_pins_parse_list("sha256//ab\ncd", &p, err, sizeof err), -1);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_ptr_null(strchr(err, '\x1b'));
}
END_TEST

START_TEST(pins_file)
{
	struct tls_pins p;
	char err[300] = "";
	/* Not sha256//: a file, and a missing one is named. */
	ck_assert_int_eq(tls_pins_parse("/nonexistent/key.pem", &p, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/key.pem"));
	char path[] = "/tmp/check-pin-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "not a key\n", 10), 10);
	close(fd);
	ck_assert_int_eq(tls_pins_parse(path, &p, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "holds no public key"));
	unlink(path);
}
END_TEST

START_TEST(ca_order)
{
	struct tls_ca ca;
	char n[300];
	unsetenv("CURL_CA_BUNDLE");
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	tls_ca_pick(NULL, &ca);
	ck_assert_ptr_null(ca.file);
	ck_assert_ptr_null(ca.dir);
	ck_assert_str_eq(tls_ca_name(&ca, n, sizeof n), "the system store");
	setenv("SSL_CERT_DIR", "/d", 1);
	tls_ca_pick(NULL, &ca);
	ck_assert_str_eq(ca.dir, "/d");
	ck_assert_ptr_null(ca.file);
	ck_assert_str_eq(tls_ca_name(&ca, n, sizeof n), "/d (SSL_CERT_DIR)");
	setenv("SSL_CERT_FILE", "/f", 1);
	tls_ca_pick(NULL, &ca);
	ck_assert_str_eq(ca.file, "/f");
	ck_assert_str_eq(ca.dir, "/d");
	ck_assert_str_eq(ca.from, "SSL_CERT_FILE and SSL_CERT_DIR");
	setenv("CURL_CA_BUNDLE", "", 1); /* empty: unset */
	tls_ca_pick(NULL, &ca);
	ck_assert_str_eq(ca.file, "/f");
	setenv("CURL_CA_BUNDLE", "/b", 1);
	tls_ca_pick(NULL, &ca);
	ck_assert_str_eq(ca.file, "/b");
	ck_assert_ptr_null(ca.dir);
	ck_assert_str_eq(tls_ca_name(&ca, n, sizeof n), "/b (CURL_CA_BUNDLE)");
	tls_ca_pick("/c", &ca);
	ck_assert_str_eq(ca.file, "/c");
	ck_assert_ptr_null(ca.dir);
	ck_assert_str_eq(tls_ca_name(&ca, n, sizeof n), "/c");
	unsetenv("CURL_CA_BUNDLE");
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
}
END_TEST

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
}

START_TEST(key_file)
{
	char dir[] = "/tmp/check-key-XXXXXX", f[300], err[500];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(f, sizeof f, "%s/k.pem", dir);
	write_file(f, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0600);
	ck_assert_int_eq(tls_key_check(f, NULL, err, sizeof err), 0);
	chmod(f, 0640); /* the ssl-cert group may read it */
	ck_assert_int_eq(tls_key_check(f, NULL, err, sizeof err), 0);
	chmod(f, 0604);
	ck_assert_int_eq(tls_key_check("/unused", f, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "others can read it (mode 0604)"));
	write_file(f, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n", 0600);
	ck_assert_int_eq(tls_key_check(f, NULL, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "encrypted"));
	write_file(f, "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n", 0600);
	ck_assert_int_eq(tls_key_check(f, NULL, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "encrypted"));
	write_file(f, "-----BEGIN CERTIFICATE-----\nAAAA\n", 0644);
	ck_assert_int_eq(tls_key_check(f, NULL, err, sizeof err), -1); /* others can read: said first */
	chmod(f, 0600);
	ck_assert_int_eq(tls_key_check(f, NULL, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "--key FILE"));
	unlink(f);
	rmdir(dir);
}
END_TEST

Suite *suite_tls(void)
{
	Suite *s = suite_create("tls");
	TCase *t = tcase_create("client");
	tcase_add_test(t, version);
	tcase_add_test(t, missing_ca);
	tcase_add_test(t, not_tls_peer);
	tcase_add_test(t, timeout);
	suite_add_tcase(s, t);
	TCase *p = tcase_create("policy");
	tcase_add_test(p, pins_list);
	tcase_add_test(p, pins_refused);
	tcase_add_test(p, pins_file);
	tcase_add_test(p, ca_order);
	tcase_add_test(p, key_file);
	suite_add_tcase(s, p);
	return s;
}
