/* SPDX-License-Identifier: MIT */
/* zstream.c - COMPRESS DEFLATE (RFC 8054) as a stream backend over another backend.
 *
 * Reading inflates what the inner backend gives; writing deflates each chunk with
 * Z_SYNC_FLUSH (RFC 8054 2.2.2: the client flushes after each command) and pushes all of
 * it to the inner backend before returning (commands are small; replies are read meanwhile
 * by stream_flush only between chunks).
 *
 * Header: applets/nntp/zstream.h    Tests: tests/integration/nntp_tls.sh (--compress)
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "nt_err.h"
#include "sock.h"
#include "zstream.h"

struct zctx {
	const struct stream_ops *ops; /* inner backend */
	void *ctx;
	int timeout_ms;
	z_stream in, out;
	unsigned char ibuf[65536];
	int more_out;         /* the last inflate filled the caller's buffer */
	int ieof;
};

static ssize_t z_read(void *ctx, void *p, size_t n)
{
	struct zctx *z = ctx;
	for (;;) {
		if (z->in.avail_in || z->more_out) {
			z->in.next_out = p;
			z->in.avail_out = (uInt)(n > 0x10000000 ? 0x10000000 : n);
			int r = inflate(&z->in, Z_SYNC_FLUSH);
			size_t got = (size_t)((unsigned char *)z->in.next_out - (unsigned char *)p);
			/* A full output buffer may leave more inside zlib for the next call. */
			z->more_out = z->in.avail_out == 0;
			if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END) {
				errno = EBADMSG; /* corrupt compressed data: a protocol error, exit 5 */
				return -1;
			}
			if (got)
				return (ssize_t)got;
			if (r == Z_STREAM_END)
				return 0;
			if (z->in.avail_in) {
				/* Input left but no progress: a corrupt stream. */
				errno = EBADMSG;
				return -1;
			}
		}
		if (z->ieof)
			return 0;
		ssize_t r = z->ops->read(z->ctx, z->ibuf, sizeof z->ibuf);
		if (r == 0) {
			z->ieof = 1;
			return 0;
		}
		if (r < 0)
			return -1;
		z->in.next_in = z->ibuf;
		z->in.avail_in = (uInt)r;
	}
}

/* Push all of p[0..n) to the inner backend, waiting as needed. */
static int push(struct zctx *z, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = z->ops->write(z->ctx, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (sock_wait(z->ops->fd(z->ctx), z->ops->wants(z->ctx, POLLOUT), z->timeout_ms) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

static ssize_t z_write(void *ctx, const void *p, size_t n)
{
	struct zctx *z = ctx;
	unsigned char obuf[16384];
	z->out.next_in = (unsigned char *)p;
	z->out.avail_in = (uInt)(n > 0x100000 ? 0x100000 : n);
	size_t took = z->out.avail_in;
	do {
		z->out.next_out = obuf;
		z->out.avail_out = sizeof obuf;
		if (deflate(&z->out, Z_SYNC_FLUSH) == Z_STREAM_ERROR) {
			errno = EPROTO;
			return -1;
		}
		if (push(z, obuf, sizeof obuf - z->out.avail_out) < 0)
			return -1;
	} while (z->out.avail_out == 0 || z->out.avail_in);
	return (ssize_t)took;
}

static int z_fd(void *ctx)
{
	struct zctx *z = ctx;
	return z->ops->fd(z->ctx);
}

static short z_wants(void *ctx, short dflt)
{
	struct zctx *z = ctx;
	return z->ops->wants(z->ctx, dflt);
}

static void z_close(void *ctx)
{
	struct zctx *z = ctx;
	inflateEnd(&z->in);
	deflateEnd(&z->out);
	z->ops->close(z->ctx);
	free(z);
}

static const struct stream_ops zops = {z_read, z_write, z_fd, z_wants, z_close, "deflate"};

struct stream *zstream_wrap(struct stream *s)
{
	struct zctx *z = xcalloc(1, sizeof *z);
	z->ops = s->ops;
	z->ctx = s->ctx;
	z->timeout_ms = s->timeout_ms;
	if (inflateInit2(&z->in, -15) != Z_OK || deflateInit2(&z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
								 Z_DEFAULT_STRATEGY) != Z_OK)
		die(NT_EXIT_IO, "zlib: cannot start COMPRESS DEFLATE");
	size_t pend = buf_pending(&s->in);
	if (pend > sizeof z->ibuf)
		die(NT_EXIT_PROTO, "too much data before COMPRESS DEFLATE took effect");
	memcpy(z->ibuf, buf_head(&s->in), pend);
	z->in.next_in = z->ibuf;
	z->in.avail_in = (uInt)pend;
	struct stream *n = stream_new(&zops, z, s->max_line, s->timeout_ms);
	if (!n)
		die(NT_EXIT_IO, "out of memory");
	n->trace = s->trace;
	/* Free the old stream's buffers without closing its backend (now ours). */
	buf_free(&s->in);
	buf_free(&s->out);
	free(s);
	return n;
}
