/* SPDX-License-Identifier: MIT */
/* secret.c - the runner of every `*-cmd` secret source: /bin/sh -c with a timeout, the
 * first line of its output, the child killed and reaped when it hangs.
 *
 * Header: include/secret.h    Tests: tests/unit/check_secret.c, tests/integration/accounts.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nt_err.h"
#include "secret.h"

extern char **environ;

int secret_check(const char *s)
{
	return !s || !*s || nt_has_ctl(s) ? -1 : 0;
}

void secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Our environment without NETTOOL_PASSWORD (a secret of ours is not the child's). */
static char **child_env(void)
{
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **e = calloc(n + 1, sizeof *e);
	if (!e)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "NETTOOL_PASSWORD=", 17))
			e[o++] = environ[i];
	e[o] = NULL;
	return e;
}

int secret_cmd(const char *cmd, const char *what, int timeout_ms, char **out, char *err, size_t errlen)
{
	*out = NULL;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "%s: pipe: %s", what, strerror(errno));
		return -NT_EXIT_IO;
	}
	/* The terminal, for helpers that ask (gpg's pinentry), else /dev/null: never our own
	 * standard input, which may be the message mail-send reads. */
	int in = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int tty = in >= 0;
	if (in < 0)
		in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char **env = child_env();
	if (in < 0 || !env) {
		snprintf(err, errlen, "%s: %s", what, in < 0 ? "/dev/null can not be opened" : "out of memory");
		close(p[0]), close(p[1]);
		if (in >= 0)
			close(in);
		free(env);
		return -NT_EXIT_IO;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "%s: fork: %s", what, strerror(errno));
		close(p[0]), close(p[1]), close(in);
		free(env);
		return -NT_EXIT_IO;
	}
	if (pid == 0) {
		/* Without a terminal the command gets a process group of its own, so that a
		 * timeout kills what it started too; with one it stays in ours, in the
		 * foreground, where it may read the terminal. */
		if (!tty)
			setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(in, 0) < 0 || dup2(p[1], 1) < 0)
			_exit(127);
		/* Only 0, 1 and 2: libcurl's sockets are not close-on-exec, and a helper that
		 * stays in the background must not keep a logged-in session of ours. */
		close_range(3, ~0U, 0);
		char *argv[] = {"sh", "-c", (char *)cmd, NULL};
		execve("/bin/sh", argv, env);
		_exit(127);
	}
	if (!tty)
		setpgid(pid, pid); /* also here: no race with the kill below */
	close(p[1]);
	close(in);
	free(env);

	char *buf = malloc(SECRET_MAX + 2);
	size_t len = 0;
	int timed_out = 0;
	long long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	for (;;) {
		int wait = -1;
		if (deadline) {
			long long left = deadline - now_ms();
			if (left <= 0) {
				timed_out = 1;
				break;
			}
			wait = left > 1000000000 ? 1000000000 : (int)left;
		}
		struct pollfd pfd = {p[0], POLLIN, 0};
		int r = poll(&pfd, 1, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue; /* the deadline is checked above */
		char tmp[4096];
		ssize_t n = r < 0 ? -1 : read(p[0], tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* Keep the first SECRET_MAX+1 bytes; read the rest to the end (a helper that
		 * prints more must not die of SIGPIPE), and drop it. */
		size_t keep = buf && len <= SECRET_MAX ? SECRET_MAX + 1 - len : 0;
		if (keep > (size_t)n)
			keep = (size_t)n;
		if (keep)
			memcpy(buf + len, tmp, keep), len += keep;
		explicit_bzero(tmp, sizeof tmp);
	}
	close(p[0]);
	if (timed_out)
		kill(tty ? pid : -pid, SIGKILL);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;

	const char *why = NULL;
	char whybuf[80];
	if (!buf)
		why = "out of memory";
	else if (timed_out)
		snprintf(whybuf, sizeof whybuf, "the command ran longer than the timeout (%d.%03d s): killed",
			 timeout_ms / 1000, timeout_ms % 1000), why = whybuf;
	else if (WIFSIGNALED(st))
		snprintf(whybuf, sizeof whybuf, "the command was killed by signal %d", WTERMSIG(st)), why = whybuf;
	else if (WIFEXITED(st) && WEXITSTATUS(st))
		snprintf(whybuf, sizeof whybuf, "the command failed (exit status %d)", WEXITSTATUS(st)), why = whybuf;
	if (!why) {
		buf[len] = 0;
		char *nl = memchr(buf, '\n', len);
		size_t line = nl ? (size_t)(nl - buf) : len;
		if (line > SECRET_MAX)
			snprintf(whybuf, sizeof whybuf, "the command's first line is longer than %d bytes", SECRET_MAX),
				why = whybuf;
		else {
			buf[line] = 0;
			if (memchr(buf, 0, line) || nt_has_ctl(buf))
				why = "the command's first line holds a control character (CR, NUL...): refused";
			else if (!line)
				why = "the command printed nothing";
		}
	}
	if (why) {
		snprintf(err, errlen, "%s: %s", what, why);
		if (buf)
			explicit_bzero(buf, len);
		free(buf);
		return why[0] == 'o' ? -NT_EXIT_IO : -NT_EXIT_TLS;
	}
	char *s = strdup(buf);
	explicit_bzero(buf, len);
	free(buf);
	if (!s) {
		snprintf(err, errlen, "%s: out of memory", what);
		return -NT_EXIT_IO;
	}
	*out = s;
	return 0;
}
