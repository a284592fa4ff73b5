/* SPDX-License-Identifier: MIT */
/* check_ftpcopy.c - the ftp copy's path normaliser (ftp_path_lexnorm, applets/ftp/copy.c),
 * on which the copy-onto-itself check stands: "//", ".", ".." resolved by the text alone. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../applets/ftp/ftp.h"

static void norm_is(const char *in, const char *want)
{
	char *got = ftp_path_lexnorm(in);
	ck_assert_msg(strcmp(got, want) == 0, "\"%s\": \"%s\", not \"%s\"", in, got, want);
	free(got);
}

START_TEST(lexnorm_plain)
{
	norm_is("", "");
	norm_is("/", "/");
	norm_is("//", "/");
	norm_is("a", "a");
	norm_is("/a/f", "/a/f");
	norm_is("/a//f/", "/a/f");
	norm_is("./a/./f", "a/f");
	norm_is(".", "");
	norm_is("./", "");
	norm_is("/./", "/");
	norm_is("a/", "a");
	norm_is("...", "...");
	norm_is("/a/..b/.c", "/a/..b/.c");
}
END_TEST

START_TEST(lexnorm_dotdot)
{
	norm_is("/a/../a/f", "/a/f");
	norm_is("/a/b/../../a/f", "/a/f");
	norm_is("/a/b/..", "/a");
	norm_is("/a/..", "/");
	norm_is("/..", "/");
	norm_is("/../../a", "/a");
	norm_is("//a//..//b/.//", "/b");
	norm_is("a/../a/f", "a/f");
	norm_is("a/..", "");
	norm_is("a/b/../..", "");
	norm_is("..", "..");
	norm_is("../a", "../a");
	norm_is("a/../../b", "../b");
	norm_is("../..", "../..");
	norm_is("../a/..", "..");
	norm_is("./../x/./y/..", "../x");
	norm_is("a/.../..", "a");
}
END_TEST

Suite *suite_ftpcopy(void)
{
	Suite *s = suite_create("ftpcopy");
	TCase *t = tcase_create("lexnorm");
	tcase_add_test(t, lexnorm_plain);
	tcase_add_test(t, lexnorm_dotdot);
	suite_add_tcase(s, t);
	return s;
}
