/* SPDX-License-Identifier: MIT */
/* stream.c - one byte-stream interface (socket, TLS, libcurl CONNECT_ONLY) with a
 * bounded line-and-literal reader and a pipelining output queue on top.
 *
 * Header: include/stream.h    Tests: tests/unit/check_net.c, tests/fuzz/fuzz_core_stream.c
 */
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"
#include "sock.h"
#include "stream.h"

/* --- plain socket backend --- */
struct sock_ctx {
	int fd;
};

static ssize_t s_read(void *ctx, void *p, size_t n)
{
	return read(((struct sock_ctx *)ctx)->fd, p, n);
}

static ssize_t s_write(void *ctx, const void *p, size_t n)
{
	return send(((struct sock_ctx *)ctx)->fd, p, n, MSG_NOSIGNAL);
}

static int s_fd(void *ctx)
{
	return ((struct sock_ctx *)ctx)->fd;
}

static short s_wants(void *ctx, short dflt)
{
	(void)ctx;
	return dflt;
}

static void s_close(void *ctx)
{
	struct sock_ctx *c = ctx;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static int s_shutdown_wr(void *ctx)
{
	return shutdown(((struct sock_ctx *)ctx)->fd, SHUT_WR);
}

static const struct stream_ops sock_ops = {s_read, s_write, s_fd, s_wants, s_close, "tcp", s_shutdown_wr};

struct stream *stream_socket(int fd, size_t max_line, int timeout_ms)
{
	struct sock_ctx *c = malloc(sizeof *c);
	if (!c)
		return NULL;
	c->fd = fd;
	sock_set_nonblock(fd, 1);
	struct stream *s = stream_new(&sock_ops, c, max_line, timeout_ms);
	if (!s)
		free(c);
	return s;
}

/* --- libcurl CONNECT_ONLY backend --- */
static ssize_t c_read(void *ctx, void *p, size_t n)
{
	size_t got = 0;
	CURLcode rc = curl_easy_recv(ctx, p, n, &got);
	if (rc == CURLE_AGAIN) {
		errno = EAGAIN;
		return -1;
	}
	if (rc != CURLE_OK) {
		errno = ECONNRESET;
		return -1;
	}
	return (ssize_t)got;
}

static ssize_t c_write(void *ctx, const void *p, size_t n)
{
	size_t sent = 0;
	CURLcode rc = curl_easy_send(ctx, p, n, &sent);
	if (rc == CURLE_AGAIN) {
		errno = EAGAIN;
		return -1;
	}
	if (rc != CURLE_OK) {
		errno = EPIPE;
		return -1;
	}
	return (ssize_t)sent;
}

static int c_fd(void *ctx)
{
	curl_socket_t sk = CURL_SOCKET_BAD;
	if (curl_easy_getinfo(ctx, CURLINFO_ACTIVESOCKET, &sk) != CURLE_OK)
		return -1;
	return (int)sk;
}

static void c_close(void *ctx)
{
	(void)ctx; /* the caller owns the easy handle */
}

static const struct stream_ops curl_ops = {c_read, c_write, c_fd, s_wants, c_close, "curl"};

struct stream *stream_curl(void *easy, size_t max_line, int timeout_ms)
{
	return stream_new(&curl_ops, easy, max_line, timeout_ms);
}

/* --- the stream --- */
struct stream *stream_new(const struct stream_ops *ops, void *ctx, size_t max_line, int timeout_ms)
{
	struct stream *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->ops = ops;
	s->ctx = ctx;
	s->max_line = max_line ? max_line : 65536;
	s->timeout_ms = timeout_ms;
	/* Read-ahead holds a line at most, plus what one read brings, plus pipelined replies. */
	buf_init(&s->in, 0);
	buf_init(&s->out, 0);
	return s;
}

void stream_close(struct stream *s)
{
	if (!s)
		return;
	s->ops->close(s->ctx);
	buf_free(&s->in);
	buf_free(&s->out);
	free(s);
}

void stream_abort(struct stream *s)
{
	if (!s)
		return;
	int fd = s->ops->fd(s->ctx);
	if (fd >= 0)
		sock_reset(fd);
	(s->ops->abort ? s->ops->abort : s->ops->close)(s->ctx);
	buf_free(&s->in);
	buf_free(&s->out);
	free(s);
}

int stream_shutdown_wr(struct stream *s)
{
	if (!s->ops->shutdown_wr) {
		errno = ENOTSUP;
		return -1;
	}
	return s->ops->shutdown_wr(s->ctx);
}

static int wait_fd(struct stream *s, short ev, int timeout_ms)
{
	int fd = s->ops->fd(s->ctx);
	if (fd < 0) {
		snprintf(s->err, sizeof s->err, "connection closed");
		return STREAM_ERR;
	}
	int r = sock_wait(fd, s->ops->wants(s->ctx, ev), timeout_ms);
	if (r == 0) {
		snprintf(s->err, sizeof s->err, "timed out after %d ms", timeout_ms);
		return STREAM_TIMEOUT;
	}
	if (r < 0) {
		snprintf(s->err, sizeof s->err, "poll: %s", strerror(errno));
		return STREAM_ERR;
	}
	return 0;
}

/* How long the next wait may take: the per-wait timeout, cut to what is left before the
 * deadline (0: none). Returns 0 when the deadline has passed. */
static int wait_budget(const struct stream *s, long long deadline)
{
	if (!deadline)
		return s->timeout_ms;
	long long left = deadline - loop_now_ms();
	if (left <= 0)
		return 0;
	return left < s->timeout_ms ? (int)left : s->timeout_ms;
}

/* One read into the read-ahead buffer: > 0 bytes, STREAM_EOF, or an error.
 * With wait 0 it returns 0 at once when nothing is there; deadline (loop_now_ms()
 * time, 0: none) bounds all the waits of this call together. */
static int fill(struct stream *s, int wait, long long deadline)
{
	if (s->eof)
		return STREAM_EOF;
	for (;;) {
		char *t = buf_reserve(&s->in, 65536);
		if (!t) {
			snprintf(s->err, sizeof s->err, "out of memory");
			s->errnum = ENOMEM;
			return STREAM_ERR;
		}
		ssize_t r = s->ops->read(s->ctx, t, 65536);
		if (r > 0) {
			buf_commit(&s->in, (size_t)r);
			return (int)r;
		}
		if (r == 0) {
			s->eof = 1;
			return STREAM_EOF;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			s->errnum = errno;
			snprintf(s->err, sizeof s->err, "read: %s", strerror(errno));
			return STREAM_ERR;
		}
		if (!wait)
			return 0;
		int budget = wait_budget(s, deadline);
		if (deadline && budget == 0) {
			snprintf(s->err, sizeof s->err, "no complete line within %d ms", s->timeout_ms);
			return STREAM_TIMEOUT;
		}
		int w = wait_fd(s, POLLIN, budget);
		if (w == STREAM_TIMEOUT && budget < s->timeout_ms)
			snprintf(s->err, sizeof s->err, "no complete line within %d ms", s->timeout_ms);
		if (w < 0)
			return w;
	}
}

int stream_wait_input(struct stream *s, int timeout_ms)
{
	if (buf_pending(&s->in))
		return 1;
	int r = fill(s, 0, 0);
	if (r > 0)
		return 1;
	if (r < 0)
		return r;
	int w = wait_fd(s, POLLIN, timeout_ms);
	if (w == STREAM_TIMEOUT)
		return 0;
	if (w < 0)
		return w;
	r = fill(s, 0, 0);
	return r > 0 ? 1 : r;
}

/* An over-long line: skip to its LF, but only up to max_line more bytes (a line without
 * an end must not keep us reading forever). Past that the stream is out of step for
 * good: this and every later read_line return STREAM_LONG. */
static int skip_long_line(struct stream *s, long long deadline)
{
	size_t skipped = buf_pending(&s->in);
	buf_reset(&s->in);
	while (skipped <= 2 * s->max_line) {
		int r = fill(s, 1, deadline);
		if (r == STREAM_EOF)
			break;
		if (r < 0)
			return r;
		char *e = memchr(buf_head(&s->in), '\n', buf_pending(&s->in));
		if (e) {
			buf_consume(&s->in, (size_t)(e - buf_head(&s->in)) + 1);
			return STREAM_LONG;
		}
		skipped += buf_pending(&s->in);
		buf_reset(&s->in);
	}
	s->desync = 1;
	return STREAM_LONG;
}

int stream_read_line(struct stream *s, char **line, size_t *len)
{
	if (s->desync) {
		snprintf(s->err, sizeof s->err, "a line over %zu bytes without an end", s->max_line);
		return STREAM_LONG;
	}
	/* The whole line must arrive within one timeout, not just each piece of it. */
	long long deadline = s->timeout_ms > 0 ? loop_now_ms() + s->timeout_ms : 0;
	size_t scanned = 0;
	for (;;) {
		char *h = buf_head(&s->in);
		size_t n = buf_pending(&s->in);
		char *nl = n > scanned ? memchr(h + scanned, '\n', n - scanned) : NULL;
		if (nl) {
			size_t l = (size_t)(nl - h) + 1;
			if (l - 1 > s->max_line) {
				buf_consume(&s->in, l);
				snprintf(s->err, sizeof s->err, "a line over %zu bytes", s->max_line);
				return STREAM_LONG;
			}
			*line = h;
			*len = line_strip(h, l);
			if (s->trace)
				s->trace('<', h, *len);
			buf_consume(&s->in, l);
			/* The caller may keep the line until its next call: the bytes stay in place
			 * because buf_consume only moves offsets. */
			return 0;
		}
		scanned = n;
		if (n > s->max_line + 1) {
			snprintf(s->err, sizeof s->err, "a line over %zu bytes", s->max_line);
			return skip_long_line(s, deadline);
		}
		int r = fill(s, 1, deadline);
		if (r == STREAM_EOF && buf_pending(&s->in)) {
			snprintf(s->err, sizeof s->err, "connection closed in the middle of a line");
			return STREAM_ERR;
		}
		if (r < 0)
			return r;
	}
}

int stream_has_line(const struct stream *s)
{
	size_t n = buf_pending(&s->in);
	return s->desync || (n && memchr(buf_head(&s->in), '\n', n)) || n > s->max_line + 1;
}

int stream_try_line(struct stream *s, char **line, size_t *len)
{
	for (;;) {
		if (stream_has_line(s))
			return stream_read_line(s, line, len); /* a whole line, or its error: no wait */
		int r = fill(s, 0, 0);
		if (r == 0)
			return STREAM_AGAIN;
		if (r == STREAM_EOF && buf_pending(&s->in)) {
			snprintf(s->err, sizeof s->err, "connection closed in the middle of a line");
			return STREAM_ERR;
		}
		if (r < 0)
			return r;
	}
}

int stream_read_n(struct stream *s, size_t n, int (*sink)(void *arg, const char *p, size_t n), void *arg)
{
	while (n) {
		size_t have = buf_pending(&s->in);
		if (have) {
			size_t k = have < n ? have : n;
			if (sink && sink(arg, buf_head(&s->in), k) < 0) {
				snprintf(s->err, sizeof s->err, "could not store the data");
				return STREAM_ERR;
			}
			buf_consume(&s->in, k);
			n -= k;
			continue;
		}
		int r = fill(s, 1, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

int stream_queue(struct stream *s, const void *p, size_t n)
{
	if (buf_append(&s->out, p, n) < 0) {
		snprintf(s->err, sizeof s->err, "out of memory");
		s->errnum = ENOMEM;
		return STREAM_ERR;
	}
	return 0;
}

int stream_queuef(struct stream *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p;
	int n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0) {
		snprintf(s->err, sizeof s->err, "out of memory");
		s->errnum = ENOMEM;
		return STREAM_ERR;
	}
	int r = stream_queue(s, p, (size_t)n);
	free(p);
	return r;
}

/* Read-ahead kept while a pipelined flush is blocked: beyond this we only wait to write. */
#define READAHEAD_MAX (64u << 20)

int stream_flush(struct stream *s)
{
	long long deadline = s->timeout_ms > 0 ? loop_now_ms() + s->timeout_ms : 0;
	while (buf_pending(&s->out)) {
		ssize_t w = s->ops->write(s->ctx, buf_head(&s->out), buf_pending(&s->out));
		if (w > 0) {
			buf_consume(&s->out, (size_t)w);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			s->errnum = errno;
			snprintf(s->err, sizeof s->err, "write: %s", strerror(errno));
			return STREAM_ERR;
		}
		/* Blocked: read replies ahead meanwhile so the server is never stuck writing to us
		 * (not after the end of its stream, and not beyond READAHEAD_MAX). */
		int fd = s->ops->fd(s->ctx);
		int readahead = !s->eof && buf_pending(&s->in) < READAHEAD_MAX;
		struct pollfd pf = {.fd = fd, .events = (short)(s->ops->wants(s->ctx, POLLOUT) | (readahead ? POLLIN : 0))};
		int wait = -1;
		if (deadline) {
			long long left = deadline - loop_now_ms();
			wait = left > 0 ? (int)left : 0;
		}
		int r = poll(&pf, 1, wait);
		if (r == 0) {
			snprintf(s->err, sizeof s->err, "timed out sending");
			return STREAM_TIMEOUT;
		}
		if (r < 0 && errno != EINTR) {
			snprintf(s->err, sizeof s->err, "poll: %s", strerror(errno));
			return STREAM_ERR;
		}
		if (r > 0 && readahead && (pf.revents & POLLIN)) {
			int f = fill(s, 0, 0);
			if (f < 0 && f != STREAM_EOF)
				return f;
		}
		if (r > 0 && (pf.revents & (POLLERR | POLLHUP)) && !(pf.revents & POLLOUT)) {
			snprintf(s->err, sizeof s->err, "connection closed while sending");
			return STREAM_ERR;
		}
	}
	return 0;
}

int stream_write(struct stream *s, const void *p, size_t n)
{
	int r = stream_queue(s, p, n);
	return r < 0 ? r : stream_flush(s);
}

int stream_vcmdq(struct stream *s, const char *fmt, va_list ap)
{
	char *p;
	int n = vasprintf(&p, fmt, ap);
	if (n < 0) {
		snprintf(s->err, sizeof s->err, "out of memory");
		s->errnum = ENOMEM;
		return STREAM_ERR;
	}
	for (int i = 0; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n' || p[i] == 0) {
			snprintf(s->err, sizeof s->err, "refusing to send a command with CR or LF inside");
			free(p);
			return STREAM_ERR;
		}
	}
	if (s->trace)
		s->trace('>', p, (size_t)n);
	int r = stream_queue(s, p, (size_t)n);
	free(p);
	if (r == 0)
		r = stream_queue(s, "\r\n", 2);
	return r;
}

int stream_cmdf(struct stream *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = stream_vcmdq(s, fmt, ap);
	va_end(ap);
	return r < 0 ? r : stream_flush(s);
}
