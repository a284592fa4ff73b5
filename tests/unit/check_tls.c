/* SPDX-License-Identifier: MIT */
/* check_tls.c - core/tls.c without a network: a missing CA file and a peer that is not
 * TLS both fail with a message and no leak; the version text is there. */
#include <check.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls.h"

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
	struct stream *s = tls_client(sv[0], "localhost", &o, 1024, 2000, err, sizeof err);
	ck_assert_ptr_null(s);
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
	ck_assert_ptr_nonnull(strstr(err, "timed out"));
	close(sv[1]);
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
	return s;
}
