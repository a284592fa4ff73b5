/* SPDX-License-Identifier: MIT */
/* buf.c - bounded growable buffers and the line splitter.
 *
 * Header: include/buf.h    Tests: tests/unit/check_buf.c
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

void buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
	b->off = b->len = 0;
}

char *buf_reserve(struct buf *b, size_t n)
{
	size_t pend = b->len - b->off;
	if (b->max && pend + n > b->max)
		return NULL;
	if (b->cap - b->len >= n)
		return b->data + b->len;
	/* Compact first when that makes room. */
	if (b->off && b->cap - pend >= n) {
		memmove(b->data, b->data + b->off, pend);
		b->off = 0;
		b->len = pend;
		return b->data + b->len;
	}
	size_t cap = b->cap ? b->cap : 256;
	while (cap - pend < n)
		cap *= 2;
	if (b->max && cap > b->max && b->max >= pend + n)
		cap = b->max;
	char *d = malloc(cap);
	if (!d)
		return NULL;
	if (pend)
		memcpy(d, b->data + b->off, pend);
	free(b->data);
	b->data = d;
	b->cap = cap;
	b->off = 0;
	b->len = pend;
	return b->data + b->len;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (!n)
		return 0;
	char *t = buf_reserve(b, n);
	if (!t)
		return -1;
	memcpy(t, p, n);
	b->len += n;
	return 0;
}

int buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	char *t = buf_reserve(b, (size_t)n + 1);
	if (!t)
		return -1;
	va_start(ap, fmt);
	vsnprintf(t, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void buf_commit(struct buf *b, size_t n)
{
	b->len += n;
}

void buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

ssize_t buf_read_fd(struct buf *b, int fd, size_t want)
{
	size_t n = want ? want : 16384;
	if (b->max && n > b->max - (b->len - b->off))
		n = b->max - (b->len - b->off);
	if (!n) {
		errno = ENOBUFS;
		return -1;
	}
	char *t = buf_reserve(b, n);
	if (!t) {
		errno = ENOBUFS;
		return -1;
	}
	if (!want)
		n = b->cap - b->len; /* take whatever fits */
	if (b->max && n > b->max - (b->len - b->off))
		n = b->max - (b->len - b->off);
	ssize_t r = read(fd, t, n);
	if (r > 0)
		b->len += (size_t)r;
	return r;
}

ssize_t buf_write_fd(struct buf *b, int fd)
{
	size_t n = b->len - b->off;
	if (!n)
		return 0;
	ssize_t w = write(fd, b->data + b->off, n);
	if (w > 0)
		buf_consume(b, (size_t)w);
	return w;
}

enum line_result line_find(const char *p, size_t n, size_t max, size_t *len)
{
	size_t lim = max && n > max ? max : n;
	const char *nl = lim ? memchr(p, '\n', lim) : NULL;
	if (nl) {
		*len = (size_t)(nl - p) + 1;
		return LINE_OK;
	}
	if (max && n >= max) {
		*len = max;
		return LINE_LONG;
	}
	*len = 0;
	return LINE_NONE;
}

size_t line_strip(const char *p, size_t len)
{
	if (len && p[len - 1] == '\n')
		len--;
	if (len && p[len - 1] == '\r')
		len--;
	return len;
}
