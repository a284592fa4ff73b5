/* SPDX-License-Identifier: MIT */
/* check_nntp.c - the nntp applet's parsers: status lines, GROUP replies, dot-unstuffing,
 * argument refusals, ranges, capabilities, post headers, OVERVIEW.FMT and OVER lines. */
#include <check.h>
#include <string.h>

#include "../../applets/nntp/over.h"
#include "../../applets/nntp/proto.h"

#define S(x) x, strlen(x)

START_TEST(status_ok)
{
	int code;
	size_t off;
	ck_assert_int_eq(nntp_parse_status(S("211 3 1 3 g"), &code, &off), 0);
	ck_assert_int_eq(code, 211);
	ck_assert_uint_eq(off, 4);
	ck_assert_int_eq(nntp_parse_status(S("205"), &code, &off), 0);
	ck_assert_int_eq(code, 205);
	ck_assert_uint_eq(off, 3);
}
END_TEST

START_TEST(status_bad)
{
	int code;
	size_t off;
	const char *bad[] = {"", "20", "2OO x", "600 x", "099 x", "2000", "211x", " 211", "-11 x", "21\0 x"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(nntp_parse_status(bad[i], i == 9 ? 5 : strlen(bad[i]), &code, &off) < 0, "%s", bad[i]);
}
END_TEST

START_TEST(group_reply)
{
	long long c, f, l;
	char name[16];
	ck_assert_int_eq(nntp_parse_group(S("1234 5 1238 comp.lang.python"), &c, &f, &l, name, sizeof name), 0);
	ck_assert_int_eq(c, 1234);
	ck_assert_int_eq(f, 5);
	ck_assert_int_eq(l, 1238);
	ck_assert_str_eq(name, "comp.lang.pytho"); /* cut at namelen - 1 */
	ck_assert_int_lt(nntp_parse_group(S("1 2 x g"), &c, &f, &l, name, sizeof name), 0);
	ck_assert_int_lt(nntp_parse_group(S("1 2 3"), &c, &f, &l, name, sizeof name), 0);
	ck_assert_int_lt(nntp_parse_group(S("-1 2 3 g"), &c, &f, &l, name, sizeof name), 0);
	ck_assert_int_lt(nntp_parse_group(S("99999999999999999999 2 3 g"), &c, &f, &l, name, sizeof name), 0);
}
END_TEST

START_TEST(unstuff)
{
	const char *o;
	size_t n;
	ck_assert_int_eq(nntp_block_line(S("."), &o, &n), 1);
	ck_assert_int_eq(nntp_block_line(S(".."), &o, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(o[0], '.');
	ck_assert_int_eq(nntp_block_line(S("..x"), &o, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(memcmp(o, ".x", 2), 0);
	ck_assert_int_eq(nntp_block_line(S("abc"), &o, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(nntp_block_line("", 0, &o, &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(args)
{
	char err[128];
	ck_assert_int_eq(nntp_check_arg('g', "comp.lang.python", err, sizeof err), 0);
	ck_assert_int_lt(nntp_check_arg('g', "a\r\nQUIT", err, sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(err, "CR or LF"));
	ck_assert_int_lt(nntp_check_arg('g', "a b", err, sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(err, "space"));
	ck_assert_int_lt(nntp_check_arg('g', "a\tb", err, sizeof err), 0);
	ck_assert_int_lt(nntp_check_arg('g', "", err, sizeof err), 0);
	ck_assert_int_eq(nntp_check_arg('m', "<a@b>", err, sizeof err), 0);
	ck_assert_int_lt(nntp_check_arg('m', "a@b", err, sizeof err), 0);
	ck_assert_int_lt(nntp_check_arg('m', "<a>b>", err, sizeof err), 0);
	ck_assert_int_lt(nntp_check_arg('m', "<>", err, sizeof err), 0);
	ck_assert_int_eq(nntp_check_arg('h', "Subject", err, sizeof err), 0);
	ck_assert_int_eq(nntp_check_arg('h', ":bytes", err, sizeof err), 0);
	ck_assert_int_lt(nntp_check_arg('h', "Subject:x", err, sizeof err), 0);
	char longg[600];
	memset(longg, 'a', sizeof longg - 1);
	longg[sizeof longg - 1] = 0;
	ck_assert_int_lt(nntp_check_arg('g', longg, err, sizeof err), 0);
}
END_TEST

START_TEST(ranges)
{
	long long lo, hi;
	ck_assert_int_eq(nntp_parse_range("5", &lo, &hi), 0);
	ck_assert(lo == 5 && hi == 5);
	ck_assert_int_eq(nntp_parse_range("5-", &lo, &hi), 0);
	ck_assert(lo == 5 && hi == -1);
	ck_assert_int_eq(nntp_parse_range("5-9", &lo, &hi), 0);
	ck_assert(lo == 5 && hi == 9);
	ck_assert_int_lt(nntp_parse_range("9-5", &lo, &hi), 0);
	ck_assert_int_lt(nntp_parse_range("-5", &lo, &hi), 0);
	ck_assert_int_lt(nntp_parse_range("x", &lo, &hi), 0);
	ck_assert_int_lt(nntp_parse_range("1-2-3", &lo, &hi), 0);
	ck_assert_int_lt(nntp_parse_range("", &lo, &hi), 0);
}
END_TEST

START_TEST(caps)
{
	unsigned c = 0;
	nntp_cap_line(S("VERSION 2"), &c);
	nntp_cap_line(S("READER"), &c);
	nntp_cap_line(S("OVER MSGID"), &c);
	nntp_cap_line(S("AUTHINFO USER SASL"), &c);
	nntp_cap_line(S("COMPRESS DEFLATE"), &c);
	nntp_cap_line(S("STARTTLS"), &c);
	nntp_cap_line(S("XSOMETHING HDR"), &c);
	ck_assert_uint_eq(c, CAP_VERSION2 | CAP_READER | CAP_OVER | CAP_AUTHINFO | CAP_AUTHINFO_USER |
				     CAP_COMPRESS_DEFLATE | CAP_STARTTLS);
	c = 0;
	nntp_cap_line(S("AUTHINFO SASL"), &c);
	nntp_cap_line(S("MODE-READER"), &c);
	ck_assert_uint_eq(c, CAP_AUTHINFO | CAP_MODE_READER);
}
END_TEST

START_TEST(post_headers)
{
	const char *a = "From: x\r\nsubject: y\r\n\r\nNewsgroups: in the body\n";
	ck_assert_int_eq(nntp_has_header(S(a), "From"), 1);
	ck_assert_int_eq(nntp_has_header(S(a), "Subject"), 1);
	ck_assert_int_eq(nntp_has_header(S(a), "Newsgroups"), 0);
	ck_assert_int_eq(nntp_has_header(S("Fromage: x\n"), "From"), 0);
}
END_TEST

START_TEST(header_value)
{
	char v[32];
	ck_assert_int_eq(nntp_header_value(S("From: x\r\nMessage-ID:  <a@b>  \r\n\r\n"), "message-id", v, sizeof v), 0);
	ck_assert_str_eq(v, "<a@b>");
	ck_assert_int_eq(nntp_header_value(S("From: x\n\nMessage-ID: <a@b>\n"), "Message-ID", v, sizeof v), -1);
	ck_assert_int_eq(nntp_header_value(S("Message-ID: \n"), "Message-ID", v, sizeof v), -1);
	ck_assert_int_eq(nntp_header_value(S("Message-ID: <0123456789012345678901234567890123456789>\n"), "Message-ID", v,
					   sizeof v), -1);
}
END_TEST

START_TEST(times)
{
	long long t;
	char b[32];
	ck_assert_int_eq(nntp_parse_since("2026-12-05", 0, &t), 0);
	nntp_format_since(t, b, sizeof b);
	ck_assert_str_eq(b, "20261205 000000");
	ck_assert_int_eq(nntp_parse_since("2024-02-29T23:59:58Z", 0, &t), 0);
	nntp_format_iso(t, b, sizeof b);
	ck_assert_str_eq(b, "2024-02-29T23:59:58Z");
	ck_assert_int_eq(nntp_parse_since("2024-02-29 23:59", 0, &t), 0);
	nntp_format_since(t, b, sizeof b);
	ck_assert_str_eq(b, "20240229 235900");
	ck_assert_int_eq(nntp_parse_since("19991231235959", 0, &t), 0);
	ck_assert_int_eq(t, 946684799);
	ck_assert_int_eq(nntp_parse_since("3d", 1000000, &t), 0);
	ck_assert_int_eq(t, 1000000 - 3 * 86400);
	ck_assert_int_eq(nntp_parse_since("2w", 2000000, &t), 0);
	ck_assert_int_eq(t, 2000000 - 14 * 86400);
	/* not dates: Feb 30, 2023-02-29, hour 24, letters, an age before 1970, junk after */
	ck_assert_int_eq(nntp_parse_since("2026-02-30", 0, &t), -1);
	ck_assert_int_eq(nntp_parse_since("2023-02-29", 0, &t), -1);
	ck_assert_int_eq(nntp_parse_since("2026-01-01T24:00", 0, &t), -1);
	ck_assert_int_eq(nntp_parse_since("yesterday", 0, &t), -1);
	ck_assert_int_eq(nntp_parse_since("5d", 1000, &t), -1);
	ck_assert_int_eq(nntp_parse_since("2026-01-01x", 0, &t), -1);
	ck_assert_int_eq(nntp_parse_since("d", 0, &t), -1);
	/* DATE's reply */
	ck_assert_int_eq(nntp_parse_date(S("20261205093000"), &t), 0);
	nntp_format_iso(t, b, sizeof b);
	ck_assert_str_eq(b, "2026-12-05T09:30:00Z");
	ck_assert_int_eq(nntp_parse_date(S("20261205093000 extra"), &t), 0);
	ck_assert_int_eq(nntp_parse_date(S("2026120509300"), &t), -1);
	ck_assert_int_eq(nntp_parse_date(S("20261305093000"), &t), -1);
	ck_assert_int_eq(nntp_parse_date(S("2026120509300x"), &t), -1);
}
END_TEST

START_TEST(overview_fmt)
{
	struct over_fmt f;
	over_fmt_default(&f);
	ck_assert_int_eq(f.n, 7);
	ck_assert_str_eq(f.name[0], "Subject");
	ck_assert_str_eq(f.name[5], "bytes");
	ck_assert_int_eq(over_fmt_add(&f, S("Xref:full")), 0);
	ck_assert_int_eq(f.full[7], 1);
	ck_assert_int_lt(over_fmt_add(&f, S("nocolon")), 0);
	ck_assert_int_lt(over_fmt_add(&f, S("A:b")), 0);
	ck_assert_int_lt(over_fmt_add(&f, S(":")), 0);
	ck_assert_int_lt(over_fmt_add(&f, S("Sp ace:")), 0);
	for (int i = 0; i < 100; i++)
		over_fmt_add(&f, S("X:"));
	ck_assert_int_eq(f.n, OVER_MAX_FIELDS);
}
END_TEST

START_TEST(overview_line)
{
	struct over_fmt f;
	over_fmt_default(&f);
	over_fmt_add(&f, S("Xref:full"));
	struct over_field v[10];
	long long num;
	const char *l = "42\tsubj\tfrom\tdate\t<id>\t\t100\t3\tXref: host g:42";
	int n = over_split(S(l), v, 10, &num);
	ck_assert_int_eq(n, 9);
	ck_assert_int_eq(num, 42);
	ck_assert_uint_eq(v[5].n, 0);
	struct over_field x = over_value(&f, 8, v[8]);
	ck_assert_uint_eq(x.n, 9);
	ck_assert_int_eq(memcmp(x.p, "host g:42", 9), 0);
	ck_assert_int_eq(over_split(S(l), v, 3, &num), 3); /* bounded */
	ck_assert_int_lt(over_split(S("x\ty"), v, 10, &num), 0);
	ck_assert_int_lt(over_split("", 0, v, 10, &num), 0);
}
END_TEST

Suite *suite_nntp(void)
{
	Suite *s = suite_create("nntp");
	TCase *t = tcase_create("parsers");
	tcase_add_test(t, status_ok);
	tcase_add_test(t, status_bad);
	tcase_add_test(t, group_reply);
	tcase_add_test(t, unstuff);
	tcase_add_test(t, args);
	tcase_add_test(t, ranges);
	tcase_add_test(t, caps);
	tcase_add_test(t, post_headers);
	tcase_add_test(t, header_value);
	tcase_add_test(t, times);
	tcase_add_test(t, overview_fmt);
	tcase_add_test(t, overview_line);
	suite_add_tcase(s, t);
	return s;
}
