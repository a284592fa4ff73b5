/* SPDX-License-Identifier: MIT */
/* check_addr.c - address, URL and host:path parsing, including malformed input, and the
 * nc-style operands of tcp-send (addr_parse_args). */
#include <check.h>
#include <string.h>

#include "addr.h"

START_TEST(host_port_forms)
{
	struct addr a;
	char err[ADDR_ERRLEN];
	ck_assert_int_eq(addr_parse("example.org", 8888, &a, err), 0);
	ck_assert_str_eq(a.host, "example.org");
	ck_assert_int_eq(a.port, 8888);
	ck_assert_int_eq(addr_parse("127.0.0.1:9000", 8888, &a, err), 0);
	ck_assert_str_eq(a.host, "127.0.0.1");
	ck_assert_int_eq(a.port, 9000);
	ck_assert_int_eq(addr_parse("[::1]:5000", 8888, &a, err), 0);
	ck_assert_str_eq(a.host, "::1");
	ck_assert_int_eq(a.port, 5000);
	ck_assert_int_eq(addr_parse("[fe80::1]", 7, &a, err), 0);
	ck_assert_str_eq(a.host, "fe80::1");
	ck_assert_int_eq(a.port, 7);
	ck_assert_int_eq(addr_parse("::1", 7, &a, err), 0);
	ck_assert_str_eq(a.host, "::1");
	ck_assert_int_eq(addr_parse("unix:/tmp/s.sock", 0, &a, err), 0);
	ck_assert_int_eq(a.is_unix, 1);
	ck_assert_str_eq(a.path, "/tmp/s.sock");
	ck_assert_int_eq(addr_parse("h:65535", 0, &a, err), 0);
	ck_assert_int_eq(a.port, 65535);
}
END_TEST

START_TEST(malformed)
{
	struct addr a;
	char err[ADDR_ERRLEN];
	ck_assert_int_eq(addr_parse("[::1", 1, &a, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "]"));
	ck_assert_int_eq(addr_parse("host:0", 1, &a, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "port 0"));
	ck_assert_int_eq(addr_parse("host:65536", 1, &a, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "out of range"));
	ck_assert_int_eq(addr_parse("host:abc", 1, &a, err), -1);
	ck_assert_int_eq(addr_parse("host:", 1, &a, err), -1);
	ck_assert_int_eq(addr_parse(":80", 1, &a, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "empty host"));
	ck_assert_int_eq(addr_parse("", 1, &a, err), -1);
	ck_assert_int_eq(addr_parse("unix:", 1, &a, err), -1);
	ck_assert_int_eq(addr_parse("[127.0.0.1]:80", 1, &a, err), -1);
	ck_assert_int_eq(addr_parse("[::1]x", 1, &a, err), -1);
	ck_assert_int_eq(addr_parse("ho st:80", 1, &a, err), -1);
	ck_assert_int_eq(addr_parse("ho\r\nst", 1, &a, err), -1);
	char long_host[400];
	memset(long_host, 'a', sizeof long_host - 1);
	long_host[sizeof long_host - 1] = 0;
	ck_assert_int_eq(addr_parse(long_host, 1, &a, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer"));
	char long_path[300] = "unix:/";
	memset(long_path + 6, 'p', 250);
	long_path[256] = 0;
	ck_assert_int_eq(addr_parse(long_path, 1, &a, err), -1);
}
END_TEST

START_TEST(urls)
{
	struct url u;
	char err[ADDR_ERRLEN];
	ck_assert_int_eq(url_parse("ftp://bob@files.example:2121/pub/a%20b.txt", &u, err), 0);
	ck_assert_str_eq(u.scheme, "ftp");
	ck_assert_str_eq(u.user, "bob");
	ck_assert_str_eq(u.host, "files.example");
	ck_assert_int_eq(u.port, 2121);
	ck_assert_str_eq(u.path, "pub/a b.txt");
	ck_assert_int_eq(url_parse("IMAPS://[::1]/INBOX", &u, err), 0);
	ck_assert_str_eq(u.scheme, "imaps");
	ck_assert_str_eq(u.host, "::1");
	ck_assert_int_eq(u.port, 0);
	ck_assert_str_eq(u.path, "INBOX");
	ck_assert_int_eq(url_parse("nntp://news.example", &u, err), 0);
	ck_assert_str_eq(u.path, "");
	ck_assert_int_eq(url_parse("ftp://bob:secret@h/", &u, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "password"));
	ck_assert_int_eq(url_parse("ftp://h/a%0d%0aDELE x", &u, err), -1);
	ck_assert_int_eq(url_parse("ftp://h/%zz", &u, err), -1);
	ck_assert_int_eq(url_parse("ftp://h/%4", &u, err), -1);
	ck_assert_int_eq(url_parse("host:path", &u, err), -1);
	ck_assert_int_eq(url_is("pop3s://x"), 1);
	ck_assert_int_eq(url_is("x:/y"), 0);
}
END_TEST

START_TEST(hostpath)
{
	struct url u;
	char err[ADDR_ERRLEN];
	ck_assert_int_eq(addr_parse_hostpath("alice@srv:dir/file.txt", &u, err), 0);
	ck_assert_str_eq(u.user, "alice");
	ck_assert_str_eq(u.host, "srv");
	ck_assert_str_eq(u.path, "dir/file.txt");
	ck_assert_int_eq(addr_parse_hostpath("srv:/abs/x", &u, err), 0);
	ck_assert_str_eq(u.path, "/abs/x");
	ck_assert_int_eq(addr_parse_hostpath("[::1]:pub", &u, err), 0);
	ck_assert_str_eq(u.host, "::1");
	ck_assert_str_eq(u.path, "pub");
	ck_assert_int_eq(addr_parse_hostpath("srv:", &u, err), 0);
	ck_assert_str_eq(u.path, "");
	ck_assert_int_eq(addr_parse_hostpath("nocolon", &u, err), -1);
	ck_assert_int_eq(addr_parse_hostpath("srv:a\nDELE b", &u, err), -1);
	ck_assert_int_eq(addr_parse_hostpath("@srv:x", &u, err), -1);
	/* The first colon ends the host, as in scp: "a:b@c:x" is host a, path b@c:x. */
	ck_assert_int_eq(addr_parse_hostpath("a:b@c:x", &u, err), 0);
	ck_assert_str_eq(u.host, "a");
}
END_TEST

START_TEST(nc_operands)
{
	struct addr a;
	char err[ADDR_ERRLEN];
	char *hp[] = {"127.0.0.1", "9000", "hello"};
	ck_assert_int_eq(addr_parse_args(hp, 3, 8888, &a, err), 2);
	ck_assert_str_eq(a.host, "127.0.0.1");
	ck_assert_int_eq(a.port, 9000);
	char *withport[] = {"127.0.0.1:7000", "7007"}; /* a port given: the number is a message */
	ck_assert_int_eq(addr_parse_args(withport, 2, 8888, &a, err), 1);
	ck_assert_int_eq(a.port, 7000);
	char *word[] = {"::1", "six"};
	ck_assert_int_eq(addr_parse_args(word, 2, 8888, &a, err), 1);
	ck_assert_str_eq(a.host, "::1");
	ck_assert_int_eq(a.port, 8888);
	char *unixp[] = {"unix:/tmp/s", "1"};
	ck_assert_int_eq(addr_parse_args(unixp, 2, 8888, &a, err), 1);
	ck_assert_int_eq(a.is_unix, 1);
	char *big[] = {"h", "65536"};
	ck_assert_int_eq(addr_parse_args(big, 2, 8888, &a, err), -1);
	ck_assert_int_eq(addr_parse_args(NULL, 0, 8888, &a, err), 0);
	ck_assert_str_eq(a.host, "127.0.0.1");
	ck_assert_int_eq(a.port, 8888);
}
END_TEST

START_TEST(format)
{
	char b[64];
	addr_format(b, sizeof b, "::1", 80);
	ck_assert_str_eq(b, "[::1]:80");
	addr_format(b, sizeof b, "h", 8);
	ck_assert_str_eq(b, "h:8");
}
END_TEST

START_TEST(operands)
{
	struct addr a;
	char err[ADDR_ERRLEN];
	char *hp[] = {"127.0.0.1", "18888", "x"};
	ck_assert_int_eq(addr_parse_args(hp, 3, 8888, &a, err), 2);
	ck_assert_str_eq(a.host, "127.0.0.1");
	ck_assert_int_eq(a.port, 18888);
	char *colon[] = {"h:7007", "9", "x"};
	ck_assert_int_eq(addr_parse_args(colon, 3, 8888, &a, err), 1); /* 9 is a message */
	ck_assert_int_eq(a.port, 7007);
	char *word[] = {"h", "9x"};
	ck_assert_int_eq(addr_parse_args(word, 2, 8888, &a, err), 1);
	ck_assert_int_eq(a.port, 8888);
	char *alone[] = {"::1"};
	ck_assert_int_eq(addr_parse_args(alone, 1, 8888, &a, err), 1);
	ck_assert_str_eq(a.host, "::1");
	ck_assert_int_eq(a.port, 8888);
	char *v6[] = {"::1", "53"};
	ck_assert_int_eq(addr_parse_args(v6, 2, 8888, &a, err), 2);
	ck_assert_int_eq(a.port, 53);
	char *big[] = {"h", "70000"};
	ck_assert_int_eq(addr_parse_args(big, 2, 8888, &a, err), -1);
	char *empty[] = {"h", ""};
	ck_assert_int_eq(addr_parse_args(empty, 2, 8888, &a, err), 1);
}
END_TEST

Suite *suite_addr(void)
{
	Suite *s = suite_create("addr");
	TCase *t = tcase_create("parse");
	tcase_add_test(t, host_port_forms);
	tcase_add_test(t, malformed);
	tcase_add_test(t, urls);
	tcase_add_test(t, hostpath);
	tcase_add_test(t, format);
	tcase_add_test(t, nc_operands);
	tcase_add_test(t, operands);
	suite_add_tcase(s, t);
	return s;
}
