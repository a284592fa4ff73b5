/* SPDX-License-Identifier: MIT */
/* check_inetsvc.c - RFC 868 time values (the 1900 epoch, the 2036 wrap read as RFC 4330
 * section 3 says) and the RFC 864 chargen pattern. */
#include <check.h>
#include <string.h>

#include "inetsvc.h"

START_TEST(time_1900_epoch)
{
	/* RFC 868's own examples: 2,208,988,800 is 1970-01-01; 2,398,291,200 is 1976-01-01. */
	ck_assert_uint_eq(rfc868_value(0), 2208988800u);
	ck_assert_uint_eq(rfc868_value(189302400), 2398291200u);
	unsigned char b[4];
	rfc868_bytes(0, b);
	ck_assert_int_eq(b[0], 0x83);
	ck_assert_int_eq(b[1], 0xaa);
	ck_assert_int_eq(b[2], 0x7e);
	ck_assert_int_eq(b[3], 0x80);
	ck_assert_int_eq(rfc868_unix(2208988800u), 0);
	ck_assert_int_eq(rfc868_unix(2398291200u), 189302400);
}
END_TEST

START_TEST(time_2036_wrap)
{
	/* 2036-02-07 06:28:16 UTC is 2^32 seconds after 1900: the value wraps to 0 there. */
	long long wrap = 4294967296LL - 2208988800LL;
	ck_assert_int_eq(wrap, 2085978496LL);
	ck_assert_uint_eq(rfc868_value(wrap - 1), 0xffffffffu);
	ck_assert_uint_eq(rfc868_value(wrap), 0);
	ck_assert_uint_eq(rfc868_value(wrap + 1), 1);
	/* Read back as RFC 4330 section 3 says: top bit clear = the 2036-2104 era. */
	ck_assert_int_eq(rfc868_unix(0xffffffffu), wrap - 1);
	ck_assert_int_eq(rfc868_unix(0), wrap);
	ck_assert_int_eq(rfc868_unix(1), wrap + 1);
	/* 2100-01-01 00:00:00 UTC and 1968-01-20 03:14:08 UTC (the top bit's edge). */
	ck_assert_int_eq(rfc868_unix(rfc868_value(4102444800LL)), 4102444800LL);
	ck_assert_int_eq(rfc868_unix(0x80000000u), 2147483648LL - 2208988800LL);
	ck_assert_int_eq(rfc868_unix(rfc868_value(1764900000LL)), 1764900000LL);
}
END_TEST

START_TEST(chargen_pattern)
{
	size_t n;
	const char *p = chargen_at(0, &n);
	ck_assert_uint_ge(n, CHARGEN_CYCLE);
	/* RFC 864's sample: the first line starts with '!', the second with '"'. */
	ck_assert_int_eq(memcmp(p, "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n", 74), 0);
	ck_assert_int_eq(memcmp(p + 74, "\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghi\r\n", 74), 0);
	/* The ring wraps: line 93 starts with '~' then the space, line 94 with the space. */
	const char *l93 = p + 93 * 74;
	ck_assert_int_eq(l93[0], '~');
	ck_assert_int_eq(l93[1], ' ');
	ck_assert_int_eq(p[94 * 74], ' ');
	/* The cycle repeats, from any position. */
	ck_assert_int_eq(memcmp(chargen_at(CHARGEN_CYCLE + 5, &n), p + 5, 100), 0);
	ck_assert_int_eq(chargen_like(p, 74), 1);
	ck_assert_int_eq(chargen_like(p + 70, 40), 1);
	ck_assert_int_eq(chargen_like("hello world, this is text", 25), 0);
	ck_assert_int_eq(chargen_like(p, 10), 0);
	ck_assert_int_eq(chargen_like("", 0), 0);
}
END_TEST

/* The shared rows: each names its service, and inetsvc_opt maps each key to it once. */
START_TEST(option_rows)
{
	static const struct opt rows[] = {INETSVC_ROWS, {0}};
	static const char *const name[] = {[INETSVC_ECHO] = "echo", [INETSVC_DAYTIME] = "daytime",
					   [INETSVC_DISCARD] = "discard", [INETSVC_CHARGEN] = "chargen",
					   [INETSVC_TIME] = "time"};
	unsigned seen = 0;
	int n = 0;
	for (const struct opt *o = rows; o->key; o++, n++) {
		enum inetsvc s = inetsvc_opt(o->key);
		ck_assert_int_ne(s, INETSVC_NONE);
		ck_assert_str_eq(o->name, name[s]);
		ck_assert_int_eq(o->type, OPT_FLAG);
		ck_assert(!(seen & 1u << s));
		seen |= 1u << s;
	}
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(inetsvc_opt('p'), INETSVC_NONE);
	ck_assert_int_eq(inetsvc_opt(OPT_LONG), INETSVC_NONE);
}
END_TEST

Suite *suite_inetsvc(void)
{
	Suite *s = suite_create("inetsvc");
	TCase *t = tcase_create("inetsvc");
	tcase_add_test(t, time_1900_epoch);
	tcase_add_test(t, time_2036_wrap);
	tcase_add_test(t, chargen_pattern);
	tcase_add_test(t, option_rows);
	suite_add_tcase(s, t);
	return s;
}
