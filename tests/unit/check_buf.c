/* SPDX-License-Identifier: MIT */
/* check_buf.c - bounded buffers and the line splitter. */
#include <check.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#include "buf.h"

START_TEST(bounded)
{
	struct buf b;
	buf_init(&b, 10);
	ck_assert_int_eq(buf_append(&b, "0123456789", 10), 0);
	ck_assert_int_eq(buf_append(&b, "x", 1), -1);
	buf_consume(&b, 4);
	ck_assert_uint_eq(buf_pending(&b), 6);
	ck_assert_int_eq(buf_append(&b, "abcd", 4), 0);
	ck_assert_int_eq(memcmp(buf_head(&b), "456789abcd", 10), 0);
	buf_consume(&b, 10);
	ck_assert_uint_eq(buf_pending(&b), 0);
	ck_assert_int_eq(buf_appendf(&b, "%d-%s", 42, "ok"), 0);
	ck_assert_int_eq(memcmp(buf_head(&b), "42-ok", 5), 0);
	buf_free(&b);
}
END_TEST

START_TEST(grows)
{
	struct buf b;
	buf_init(&b, 0);
	char chunk[1000];
	memset(chunk, 'z', sizeof chunk);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(buf_append(&b, chunk, sizeof chunk), 0);
	ck_assert_uint_eq(buf_pending(&b), 1000000);
	buf_free(&b);
}
END_TEST

START_TEST(read_fd_limit)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "hello world", 11), 11);
	struct buf b;
	buf_init(&b, 5);
	ck_assert_int_eq(buf_read_fd(&b, p[0], 0), 5);
	errno = 0;
	ck_assert_int_eq(buf_read_fd(&b, p[0], 0), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	buf_free(&b);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(lines)
{
	size_t len;
	ck_assert_int_eq(line_find("abc\ndef", 7, 0, &len), LINE_OK);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(line_find("abc", 3, 0, &len), LINE_NONE);
	ck_assert_int_eq(line_find("abcdef", 6, 4, &len), LINE_LONG);
	ck_assert_uint_eq(len, 4);
	/* A newline beyond the maximum does not count: the line is too long. */
	ck_assert_int_eq(line_find("abcdef\n", 7, 4, &len), LINE_LONG);
	ck_assert_int_eq(line_find("ab\r\n", 4, 4, &len), LINE_OK);
	ck_assert_uint_eq(line_strip("ab\r\n", 4), 2);
	ck_assert_uint_eq(line_strip("ab\n", 3), 2);
	ck_assert_uint_eq(line_strip("ab", 2), 2);
	ck_assert_int_eq(line_find("a\0b\n", 4, 0, &len), LINE_OK);
	ck_assert_uint_eq(len, 4);
}
END_TEST

Suite *suite_buf(void)
{
	Suite *s = suite_create("buf");
	TCase *t = tcase_create("buf");
	tcase_add_test(t, bounded);
	tcase_add_test(t, grows);
	tcase_add_test(t, read_fd_limit);
	tcase_add_test(t, lines);
	suite_add_tcase(s, t);
	return s;
}
