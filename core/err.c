/* SPDX-License-Identifier: MIT */
/* err.c - messages prefixed with the applet name, exit codes, x-functions.
 *
 * Header: include/nt_err.h    Tests: tests/unit/check_opt.c, tests/integration/dispatch.sh
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "nt_err.h"
#include "out.h"

const char *nt_applet = "nettool";

void nt_vwarn(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", nt_applet);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void nt_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nt_vwarn(fmt, ap);
	va_end(ap);
}

static void vwarn_sys(const char *fmt, va_list ap)
{
	int e = errno;
	fflush(stdout);
	fprintf(stderr, "%s: ", nt_applet);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(e));
}

void nt_warn_sys(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn_sys(fmt, ap);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nt_vwarn(fmt, ap);
	va_end(ap);
	nt_exit(code);
}

void die_sys(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn_sys(fmt, ap);
	va_end(ap);
	nt_exit(code);
}

void nt_exit(int code)
{
	errno = 0;
	int bad = fflush(stdout) != 0 || ferror(stdout);
	/* Quiet in a pipeline that closed early (EPIPE), as toybox does; an error flag left by
	 * an earlier write whose errno is gone is taken as that case too. */
	if (bad && errno && errno != EPIPE && code == 0) {
		fprintf(stderr, "%s: write to standard output: %s\n", nt_applet, strerror(errno));
		code = NT_EXIT_IO;
	}
	exit(code);
}

static void *oom(void)
{
	die(NT_EXIT_IO, "out of memory");
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	return p ? p : oom();
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	return p ? p : oom();
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	return p ? p : oom();
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	return p ? p : oom();
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	return p ? p : oom();
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	va_start(ap, fmt);
	int r = vasprintf(&p, fmt, ap);
	va_end(ap);
	return r < 0 ? oom() : p;
}

void nt_clean_text(char *dst, size_t n, const char *src, size_t len)
{
	/* The rule of out.h; a message is one line, so it ends at the first unsafe character. */
	size_t i = 0;
	int bad = 0;
	while (i < len) {
		size_t l = out_char(src + i, len - i, 0, &bad);
		if (bad)
			break;
		i += l;
	}
	out_clean(dst, n, src, i, 0);
}

int nt_has_ctl(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			return 1;
	}
	return 0;
}

void nt_check_line_arg(const char *what, const char *s)
{
	if (nt_has_ctl(s))
		die(NT_EXIT_USAGE, "%s contains a control character (CR, LF or other): refused", what);
}

void xbuf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) < 0)
		die(NT_EXIT_IO, "out of memory");
}

void xbuf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	/* With its NUL after the bytes, as buf_appendf leaves it (callers read the text). */
	if (n < 0 || buf_append(b, s, (size_t)n + 1) < 0)
		die(NT_EXIT_IO, "out of memory");
	b->len--;
	free(s);
}
