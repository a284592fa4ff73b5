/* SPDX-License-Identifier: MIT */
/* check_secret.c - the `*-cmd` runner: the first line, and every refusal (a failing
 * command, no output, a control character, a timeout) with the option named and exit 4. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nt_err.h"
#include "secret.h"

static int run(const char *cmd, int ms, char **out, char *err)
{
	return secret_cmd(cmd, "--password-cmd", ms, out, err, 512);
}

START_TEST(first_line)
{
	char *s, err[512];
	ck_assert_int_eq(run("printf 'hunter2\\nsecond\\n'", 5000, &s, err), 0);
	ck_assert_str_eq(s, "hunter2");
	secret_free(s);
	ck_assert_int_eq(run("printf 'no newline'", 5000, &s, err), 0);
	ck_assert_str_eq(s, "no newline");
	secret_free(s);
	/* A helper that prints a lot after the first line is read to its end, not killed. */
	ck_assert_int_eq(run("echo tok; head -c 300000 /dev/zero", 5000, &s, err), 0);
	ck_assert_str_eq(s, "tok");
	secret_free(s);
}
END_TEST

START_TEST(refusals)
{
	char *s = NULL, err[512];
	ck_assert_int_eq(run("echo secret; exit 3", 5000, &s, err), -NT_EXIT_TLS);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "--password-cmd: the command failed (exit status 3)");
	ck_assert_int_eq(run("true", 5000, &s, err), -NT_EXIT_TLS);
	ck_assert_str_eq(err, "--password-cmd: the command printed nothing");
	ck_assert_int_eq(run("echo", 5000, &s, err), -NT_EXIT_TLS);
	ck_assert_str_eq(err, "--password-cmd: the command printed nothing");
	ck_assert_int_eq(run("printf 'hunter2\\r\\n'", 5000, &s, err), -NT_EXIT_TLS);
	ck_assert_ptr_nonnull(strstr(err, "control character"));
	ck_assert_ptr_null(strstr(err, "hunter2")); /* the output is never in the message */
	ck_assert_int_eq(run("printf 'a\\tb\\n'", 5000, &s, err), -NT_EXIT_TLS);
	ck_assert_int_eq(run("printf 'a\\000b\\n'", 5000, &s, err), -NT_EXIT_TLS);
	ck_assert_int_eq(run("head -c 20000 /dev/zero | tr '\\0' x", 5000, &s, err), -NT_EXIT_TLS);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
	ck_assert_int_eq(run("kill -9 $$", 5000, &s, err), -NT_EXIT_TLS);
	ck_assert_ptr_nonnull(strstr(err, "signal 9"));
	ck_assert_int_eq(run("/nonexistent/helper", 5000, &s, err), -NT_EXIT_TLS);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(timeout_kills)
{
	char *s = NULL, err[512];
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	/* A pipeline: something besides the shell holds the pipe. */
	ck_assert_int_eq(run("sleep 30 | cat; echo late", 300, &s, err), -NT_EXIT_TLS);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "--password-cmd: the command ran longer than the timeout (0.300 s): killed");
	ck_assert_int_lt((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000, 5000);
}
END_TEST

START_TEST(child_sees_no_secret)
{
	char *s, err[512];
	setenv("NETTOOL_PASSWORD", "hunter2", 1);
	ck_assert_int_eq(run("echo \"${NETTOOL_PASSWORD-unset}\"", 5000, &s, err), 0);
	ck_assert_str_eq(s, "unset");
	secret_free(s);
	unsetenv("NETTOOL_PASSWORD");
	ck_assert_int_eq(secret_check("ok"), 0);
	ck_assert_int_eq(secret_check(""), -1);
	ck_assert_int_eq(secret_check("a\nb"), -1);
}
END_TEST

/* Only 0, 1 and 2 reach the command: a descriptor of ours without close-on-exec (as
 * libcurl's sockets are) is not inherited by a helper that may stay in the background. */
START_TEST(child_gets_no_descriptors)
{
	int fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC, on purpose */
	ck_assert_int_ge(fd, 3);
	char cmd[128], *s, err[512];
	snprintf(cmd, sizeof cmd, "[ -e /proc/$$/fd/%d ] && echo leaked || echo clean", fd);
	ck_assert_int_eq(run(cmd, 5000, &s, err), 0);
	ck_assert_str_eq(s, "clean");
	secret_free(s);
	close(fd);
}
END_TEST

Suite *suite_secret(void)
{
	Suite *s = suite_create("secret");
	TCase *t = tcase_create("secret");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, first_line);
	tcase_add_test(t, refusals);
	tcase_add_test(t, timeout_kills);
	tcase_add_test(t, child_sees_no_secret);
	tcase_add_test(t, child_gets_no_descriptors);
	suite_add_tcase(s, t);
	return s;
}
