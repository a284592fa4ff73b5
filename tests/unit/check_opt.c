/* SPDX-License-Identifier: MIT */
/* check_opt.c - the option parser: types, ranges, choices, --help, --version, unknown
 * and refused options (exit 2). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nt_err.h"
#include "opt.h"

enum { O_SECS = OPT_LONG, O_SIZE, O_ACT, O_MODE, O_DIR, O_WORKERS };
static const struct opt opts[] = {
	{'p', "port", OPT_PORT, "PORT", "port"},
	{'n', "count", OPT_UINT, "N", "count", 1, 10},
	{'s', "subject", OPT_STR, "TEXT", "subject"},
	{'f', NULL, OPT_FLAG, NULL, "flag"},
	{O_SECS, "timeout", OPT_SECS, "SEC", "timeout"},
	{O_SIZE, "max", OPT_SIZE, "BYTES", "size"},
	{O_ACT, "active", OPT_OPTSTR, "ADDR", "active"},
	{O_MODE, "mode", OPT_CHOICE, "MODE", "the mode", .values = "bar plain none"},
	{O_DIR, "dir", OPT_DIR, "DIR", "a folder"},
	{O_WORKERS, "workers", OPT_UINT, "N", "a number or auto", 1, 256, .values = "auto"},
	{0},
};
static const struct opt_spec spec = {.usage = "[OPTIONS] ARGS", .opts = opts, .commands = "get put"};

/* An applet that knows of an option and refuses it (the OAuth2 rows in ftp and nntp). */
enum { O_TOKEN = OPT_LONG + 10 };
static const struct opt refused[] = {
	{O_TOKEN, "token-cmd", OPT_RAW, "CMD", "no bearer login here"},
	{0},
};
static const struct opt_spec spec_refusing = {.usage = "[OPTIONS]", .opts = opts, .refused = refused};
static const struct opt_spec *cur_spec = &spec;

static int run(int argc, char **argv, long long *num, const char **str)
{
	struct opt_state os;
	int last = 0;
	opt_init(&os, cur_spec, argc, argv);
	for (int k; (k = opt_next(&os)) != -1;) {
		last = k;
		*num = os.num;
		*str = os.str;
	}
	(void)last;
	return os.ind;
}

START_TEST(types)
{
	long long num = 0;
	const char *str = NULL;
	char *a1[] = {"x", "-p", "8080", "arg", NULL};
	ck_assert_int_eq(run(4, a1, &num, &str), 3);
	ck_assert_int_eq(num, 8080);
	char *a2[] = {"x", "--timeout=1.5", NULL};
	run(2, a2, &num, &str);
	ck_assert_int_eq(num, 1500);
	char *a3[] = {"x", "--max", "2k", NULL};
	run(3, a3, &num, &str);
	ck_assert_int_eq(num, 2048);
	char *a4[] = {"x", "--max=3M", NULL};
	run(2, a4, &num, &str);
	ck_assert_int_eq(num, 3 << 20);
	char *a5[] = {"x", "--active", NULL};
	run(2, a5, &num, &str);
	ck_assert_ptr_null(str);
	char *a6[] = {"x", "--active=1.2.3.4", NULL};
	run(2, a6, &num, &str);
	ck_assert_str_eq(str, "1.2.3.4");
	/* Options after operands are taken too (GNU permutation). */
	char *a7[] = {"x", "arg", "-n", "3", NULL};
	int ind = run(4, a7, &num, &str);
	ck_assert_int_eq(num, 3);
	ck_assert_str_eq(a7[ind], "arg");
	char *a8[] = {"x", "--mode", "plain", "--dir", "d", NULL};
	run(5, a8, &num, &str);
	ck_assert_str_eq(str, "d");
	char *a9[] = {"x", "--mode=none", NULL};
	run(2, a9, &num, &str);
	ck_assert_str_eq(str, "none");
}
END_TEST


START_TEST(numbers)
{
	long long v;
	double d;
	ck_assert_int_eq(opt_parse_uint("10", 1, 10, &v), 0);
	ck_assert_int_eq(opt_parse_uint("11", 1, 10, &v), -1);
	ck_assert_int_eq(opt_parse_uint("0", 1, 10, &v), -1);
	ck_assert_int_eq(opt_parse_uint("-1", 0, 0, &v), -1);
	ck_assert_int_eq(opt_parse_uint("1x", 0, 0, &v), -1);
	ck_assert_int_eq(opt_parse_uint("", 0, 0, &v), -1);
	ck_assert_int_eq(opt_parse_uint("99999999999999999999999", 0, 0, &v), -1);
	ck_assert_int_eq(opt_parse_secs("0.25", &d), 0);
	ck_assert(d == 0.25);
	ck_assert_int_eq(opt_parse_secs("nan", &d), -1);
	ck_assert_int_eq(opt_parse_secs("-1", &d), -1);
	ck_assert_int_eq(opt_parse_size("1G", &v), 0);
	ck_assert_int_eq(v, 1LL << 30);
	ck_assert_int_eq(opt_parse_size("5kB", &v), 0);
	ck_assert_int_eq(v, 5120);
	ck_assert_int_eq(opt_parse_size("5q", &v), -1);
}
END_TEST

static void parse_exit(char **argv, int argc)
{
	long long num;
	const char *str;
	nt_applet = "test";
	freopen("/dev/null", "w", stdout);
	freopen("/dev/null", "w", stderr);
	run(argc, argv, &num, &str);
	exit(0);
}

START_TEST(unknown_option_exits_2)
{
	char *a[] = {"x", "--bogus", NULL};
	parse_exit(a, 2);
}
END_TEST

/* A number option with a word beside its numbers (--workers auto): the word is -1. */
START_TEST(uint_word)
{
	long long num = 0;
	const char *str = NULL;
	char *a1[] = {"x", "--workers", "auto", NULL};
	run(3, a1, &num, &str);
	ck_assert_int_eq(num, -1);
	char *a2[] = {"x", "--workers", "3", NULL};
	run(3, a2, &num, &str);
	ck_assert_int_eq(num, 3);
}
END_TEST

START_TEST(uint_other_word_exits_2)
{
	char *a[] = {"x", "--workers", "many", NULL};
	parse_exit(a, 3);
}
END_TEST

START_TEST(bad_port_exits_2)
{
	char *a[] = {"x", "-p", "65536", NULL};
	parse_exit(a, 3);
}
END_TEST

START_TEST(missing_arg_exits_2)
{
	char *a[] = {"x", "-p", NULL};
	parse_exit(a, 2);
}
END_TEST

START_TEST(crlf_in_string_exits_2)
{
	char *a[] = {"x", "-s", "hi\r\nRCPT TO:<x>", NULL};
	parse_exit(a, 3);
}
END_TEST

START_TEST(refused_option_exits_2)
{
	char *a[] = {"x", "-p", "21", "--token-cmd", "echo t", NULL};
	cur_spec = &spec_refusing;
	parse_exit(a, 5);
}
END_TEST

START_TEST(refused_rows_hidden_from_help)
{
	/* a refusing spec still parses its own options, and --help does not offer the
	 * refused ones */
	char *a[] = {"x", "-p", "21", NULL};
	long long num = 0;
	const char *str;
	cur_spec = &spec_refusing;
	ck_assert_int_eq(run(3, a, &num, &str), 3);
	ck_assert_int_eq(num, 21);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	opt_help(f, &spec_refusing);
	fclose(f);
	ck_assert_ptr_null(strstr(text, "token-cmd")); /* not offered in --help */
	free(text);
	cur_spec = &spec;
}
END_TEST

START_TEST(help_exits_0)
{
	char *a[] = {"x", "--help", NULL};
	parse_exit(a, 2);
}
END_TEST

START_TEST(help_text)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	nt_applet = "nettool demo";
	opt_help(f, &spec);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "Usage: nettool demo [OPTIONS] ARGS"));
	ck_assert_ptr_nonnull(strstr(text, "-p, --port PORT"));
	ck_assert_ptr_nonnull(strstr(text, "--active[=ADDR]"));
	ck_assert_ptr_nonnull(strstr(text, "-h, --help"));
	ck_assert_ptr_nonnull(strstr(text, "--version"));
	ck_assert_ptr_nonnull(strstr(text, "the mode; MODE: bar, plain, none\n"));
	free(text);
}
END_TEST

START_TEST(choice_not_listed_exits_2)
{
	char *a[] = {"x", "--mode", "pla", NULL}; /* a prefix of a value is not the value */
	parse_exit(a, 3);
}
END_TEST

START_TEST(choice_empty_exits_2)
{
	char *a[] = {"x", "--mode=", NULL};
	parse_exit(a, 2);
}
END_TEST

START_TEST(version_exits_0)
{
	char *a[] = {"x", "--version", NULL};
	parse_exit(a, 2);
}
END_TEST

Suite *suite_opt(void)
{
	Suite *s = suite_create("opt");
	TCase *t = tcase_create("opt");
	tcase_add_test(t, types);
	tcase_add_test(t, numbers);
	tcase_add_test(t, help_text);
	tcase_add_exit_test(t, unknown_option_exits_2, 2);
	tcase_add_exit_test(t, refused_option_exits_2, 2);
	tcase_add_test(t, refused_rows_hidden_from_help);
	tcase_add_exit_test(t, bad_port_exits_2, 2);
	tcase_add_test(t, uint_word);
	tcase_add_exit_test(t, uint_other_word_exits_2, 2);
	tcase_add_exit_test(t, missing_arg_exits_2, 2);
	tcase_add_exit_test(t, crlf_in_string_exits_2, 2);
	tcase_add_exit_test(t, help_exits_0, 0);
	tcase_add_exit_test(t, choice_not_listed_exits_2, 2);
	tcase_add_exit_test(t, choice_empty_exits_2, 2);
	tcase_add_exit_test(t, version_exits_0, 0);
	suite_add_tcase(s, t);
	return s;
}
