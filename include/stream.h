/* SPDX-License-Identifier: MIT */
/* stream.h - one byte-stream interface with three backends (a plain socket, an OpenSSL
 * session from tls.h, a libcurl CONNECT_ONLY session), and on top of it a buffered,
 * bounded line-and-literal reader and an output queue for pipelining. NNTP, IMAP and
 * POP3 share this reader instead of writing four.
 *
 * All calls block up to s->timeout_ms waiting on the descriptor (the backends are
 * non-blocking underneath); stream_read_line also gives the whole line no more than
 * s->timeout_ms, so a peer sending a byte now and then cannot hold a reply open. Results: >= 0 success, STREAM_EOF, STREAM_ERR (message in
 * s->err), STREAM_TIMEOUT, STREAM_LONG (a line over the limit). The exit code for a
 * result is decided in one place: conn_stream_exit() (connpol.h).
 */
#ifndef NT_STREAM_H
#define NT_STREAM_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>
#include "buf.h"

enum { STREAM_EOF = -1, STREAM_ERR = -2, STREAM_TIMEOUT = -3, STREAM_LONG = -4 };
/* stream_try_line: no whole line yet (not an error). */
enum { STREAM_AGAIN = 1 };

struct stream_ops {
	/* > 0 bytes, 0 end of stream, -1 with errno (EAGAIN: would block). */
	ssize_t (*read)(void *ctx, void *p, size_t n);
	ssize_t (*write)(void *ctx, const void *p, size_t n);
	int (*fd)(void *ctx);
	/* After EAGAIN: POLLIN or POLLOUT, what the last call waits for (TLS may need the other). */
	short (*wants)(void *ctx, short dflt);
	void (*close)(void *ctx);
	const char *name; /* "tcp", "tls", "curl" */
	/* Optional: end our sending side, the peer may go on sending (TCP shutdown(SHUT_WR),
	 * a TLS close_notify). 0 or -1 with errno. NULL: not possible on this backend. */
	int (*shutdown_wr)(void *ctx);
	/* Optional: close without the orderly end (no TLS close_notify). NULL: close. */
	void (*abort)(void *ctx);
};

struct stream {
	const struct stream_ops *ops;
	void *ctx;
	int timeout_ms;          /* per wait; <= 0: no limit */
	struct buf in;           /* read-ahead, bounded by the line limit plus one read */
	struct buf out;          /* queued output (pipelining) */
	size_t max_line;
	int eof;
	int desync;              /* an over-long line had no end in sight: every read_line fails */
	char err[256];
	int errnum;              /* errno of the last read/write failure (EPROTO: TLS, EBADMSG: corrupt data) */
	void (*trace)(char dir, const char *p, size_t n); /* optional: called per line in and out */
};

/* A stream over a connected socket (made non-blocking). Owns fd. */
struct stream *stream_socket(int fd, size_t max_line, int timeout_ms);
/* A stream over a live libcurl CONNECT_ONLY easy handle (not owned: caller cleans up). */
struct stream *stream_curl(void *curl_easy, size_t max_line, int timeout_ms);
/* A stream from any backend (used by tls.c). */
struct stream *stream_new(const struct stream_ops *ops, void *ctx, size_t max_line, int timeout_ms);
void stream_close(struct stream *s);
/* Close as a failure the peer can see: no close_notify, and a TCP reset (SO_LINGER 0)
 * instead of a FIN, so that a peer still sending or waiting gets ECONNRESET rather than
 * a clean end of the stream. */
void stream_abort(struct stream *s);
/* The half-close of our side (ops->shutdown_wr): 0, or -1 with errno (ENOTSUP: the
 * backend has none). */
int stream_shutdown_wr(struct stream *s);

/* One line: *line points into the read-ahead buffer (valid until the next call),
 * *len without the CRLF/LF. Returns 0, STREAM_EOF (nothing more), STREAM_LONG (the
 * line is over max_line; it is consumed up to and including its LF if that comes
 * within max_line more bytes, else the stream is out of step and every later call
 * returns STREAM_LONG at once), STREAM_TIMEOUT (no whole line within timeout_ms),
 * or an error. */
int stream_read_line(struct stream *s, char **line, size_t *len);
/* As stream_read_line, but never waits: 0 with a line, STREAM_AGAIN when no whole line
 * has arrived yet (what has is kept), or an error. For callers that poll the descriptor
 * themselves (several connections at once). */
int stream_try_line(struct stream *s, char **line, size_t *len);
/* 1 when stream_try_line would answer from what is buffered already (a whole line, or
 * its error), without reading: a caller polling the descriptor reads the socket only when
 * the poll said so. (A TLS stream may hold records in its layer: poll-driven callers of
 * such streams read anyway.) */
int stream_has_line(const struct stream *s);
/* Exactly n bytes, delivered to sink in pieces (sink returns 0, or -1 to fail).
 * Returns 0, STREAM_EOF if the stream ends first, or an error. */
int stream_read_n(struct stream *s, size_t n, int (*sink)(void *arg, const char *p, size_t n), void *arg);
/* Wait until input is available (buffered or on the wire): 1 yes, 0 timeout, <0 error. */
int stream_wait_input(struct stream *s, int timeout_ms);

/* Queue bytes (or a formatted line) for sending; stream_flush sends the queue, reading
 * ahead meanwhile so a pipelined server never deadlocks against us. */
int stream_queue(struct stream *s, const void *p, size_t n);
int stream_queuef(struct stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int stream_flush(struct stream *s);
/* stream_queue + stream_flush. */
int stream_write(struct stream *s, const void *p, size_t n);
/* Send one command line: refuses CR/LF/NUL inside (STREAM_ERR), appends CRLF, flushes. */
int stream_cmdf(struct stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same line queued, not flushed (pipelined commands: stream_flush sends the group). */
int stream_vcmdq(struct stream *s, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
