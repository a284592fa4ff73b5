/* SPDX-License-Identifier: MIT */
/* check_out.c - what we print: server text made safe for a terminal (core/out.c: C0 but
 * TAB on request, DEL, C1 raw and UTF-8 encoded become '?', valid UTF-8 passes whole;
 * nt_clean_text cuts at the first such character; JSON escapes C1 as it does C0), and
 * errors in our words (xfer_strerror never passes libcurl's text on). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "nt_err.h"
#include "out.h"
#include "xfer.h"

static char *through_text(const char *s, size_t n, unsigned flags)
{
	char *p = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&p, &len);
	out_text(f, s, n, flags);
	fclose(f);
	return p;
}

START_TEST(escapes_become_question_marks)
{
	const char in[] = "a\x1b]0;t\x07" "b\x1b[2J\x7f" "c\xc2\x9b" "31m\x9b" "d\r\n";
	char *got = through_text(in, sizeof in - 1, 0);
	ck_assert_str_eq(got, "a?]0;t?b?[2J?c?31m?d??");
	free(got);
	char buf[64];
	ck_assert_uint_eq(out_clean(buf, sizeof buf, in, sizeof in - 1, 0), strlen("a?]0;t?b?[2J?c?31m?d??"));
	ck_assert_str_eq(buf, "a?]0;t?b?[2J?c?31m?d??");
}
END_TEST

START_TEST(tabs_on_request)
{
	char *got = through_text("1\tsubject\t2", 11, OUT_KEEP_TAB);
	ck_assert_str_eq(got, "1\tsubject\t2");
	free(got);
	got = through_text("1\tx", 3, 0);
	ck_assert_str_eq(got, "1?x");
	free(got);
}
END_TEST

START_TEST(utf8_passes_whole)
{
	/* "ő" is c5 91 and "é" c3 a9: continuation bytes in 0x80-0x9f are not C1. */
	const char in[] = "f\xc5\x91" "o \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
	char *got = through_text(in, sizeof in - 1, 0);
	ck_assert_str_eq(got, in);
	free(got);
	char buf[8];
	/* never half a character: "ab" + 2 bytes of the 4-byte emoji would not fit in 7 */
	out_clean(buf, 6, "ab\xf0\x9f\x98\x80", 6, 0);
	ck_assert_str_eq(buf, "ab");
}
END_TEST

START_TEST(messages_cut_at_the_first)
{
	char buf[64];
	nt_clean_text(buf, sizeof buf, "550 no\r\nDELE x", 14);
	ck_assert_str_eq(buf, "550 no");
	nt_clean_text(buf, sizeof buf, "caf\xc3\xa9\xc2\x9b" "x", 8);
	ck_assert_str_eq(buf, "caf\xc3\xa9");
	nt_clean_text(buf, 4, "abcdef", 6);
	ck_assert_str_eq(buf, "abc");
}
END_TEST

START_TEST(json_escapes_c1)
{
	char *p = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&p, &len);
	json_str(f, "a\xc2\x9b" "b\x1b" "c\xc3\xa9", 8);
	fclose(f);
	ck_assert_str_eq(p, "\"a\\u009bb\\u001bc\xc3\xa9\"");
	free(p);
}
END_TEST

START_TEST(errors_in_our_words)
{
	const char *theirs = "QUOT command failed with 550";
	for (int rc = 1; rc < CURL_LAST; rc++) {
		const char *w = xfer_strerror((CURLcode)rc, theirs);
		ck_assert_ptr_null(strstr(w, "QUOT"));
		ck_assert_str_ne(w, curl_easy_strerror((CURLcode)rc));
		ck_assert_ptr_null(strstr(w, "errno"));
	}
	ck_assert_str_eq(xfer_strerror(CURLE_PEER_FAILED_VERIFICATION, "SSL certificate problem: self-signed certificate"),
			 "the server's certificate is not trusted (self-signed certificate)");
	ck_assert_str_eq(xfer_strerror(CURLE_PARTIAL_FILE, "Uploaded unaligned file size (5 out of 1 bytes)"),
			 "the size differs from the announced one (5 out of 1 bytes)");
}
END_TEST

Suite *suite_out(void)
{
	Suite *s = suite_create("out");
	TCase *t = tcase_create("out");
	tcase_add_test(t, escapes_become_question_marks);
	tcase_add_test(t, tabs_on_request);
	tcase_add_test(t, utf8_passes_whole);
	tcase_add_test(t, messages_cut_at_the_first);
	tcase_add_test(t, json_escapes_c1);
	tcase_add_test(t, errors_in_our_words);
	suite_add_tcase(s, t);
	return s;
}
