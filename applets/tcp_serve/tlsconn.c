/* SPDX-License-Identifier: MIT */
/* tcp_serve/tlsconn.c - TLS for tcp-serve: the current server context (loaded at
 * start-up, reloaded on SIGHUP), the sessions of the event loop, and the TLS steps of a
 * loop connection: its session at accept, its handshake step by step, then serving.
 *
 * The context comes from core/tls_server.c (tls_server_ctx: TLS 1.2+, OpenSSL's defaults,
 * released buffers, optional client certificates). Each session holds a reference to
 * the context it was made from (SSL_new), so SIGHUP makes a new context for new
 * connections and drops ours on the old one, which lives until its last connection
 * ends. Reads and writes map OpenSSL's WANT_READ/WANT_WRITE onto the loop's events:
 * a read can wait for the socket to be writable and a write for it to be readable.
 *
 * A session's records go out through a write side of our own (wside): straight to the
 * socket, as through OpenSSL's socket BIO, except while the loop holds it
 * (tlsconn_hold, during the reads of one wake-up): then each reply is encrypted as its
 * request is read and the records wait in a buffer, sent by one write at the end of
 * the pass (tlsconn_flush) or whenever OpenSSL flushes (its alerts, the handshake).
 * So the replies to good records read before a bad one leave before the alert, in
 * order, and a pipelining client's replies still cost one system call.
 *
 * Header: tlsconn.h    Man page: man/nettool-tcp-serve.1
 * Tests: tests/integration/tcp_tls.sh
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "buf.h"
#include "log.h"
#include "loop.h"
#include "nt_err.h"
#include "serve.h"
#include "tls.h"
#include "tlsconn.h"

static struct {
	struct tls_server_conf conf;
	SSL_CTX *ctx; /* for new connections */
	BIO_METHOD *wmeth; /* the write side of every session (wside) */
} T;

/* ------------------------------------------------------------ the write side */

/* Held records above this refuse more (the write waits, as on a full socket): the
 * loop's own bound on replies (OUT_HIGH) then holds back the reading. */
#define WSIDE_MAX (64 * 1024)

struct wside {
	int fd;
	int hold;     /* tlsconn_hold: records wait in q */
	struct buf q; /* records not yet sent, in order; freed when empty */
};

/* Send what q holds: 1 all of it, 0 the socket took no more (EAGAIN), -1 failed (errno). */
static int wside_flush(struct wside *w)
{
	while (buf_pending(&w->q)) {
		ssize_t n = send(w->fd, buf_head(&w->q), buf_pending(&w->q), MSG_NOSIGNAL);
		if (n > 0) {
			buf_consume(&w->q, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
	}
	buf_free(&w->q);
	return 1;
}

static int wside_write(BIO *b, const char *p, size_t n, size_t *done)
{
	struct wside *w = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	if (w->hold) {
		if (buf_pending(&w->q) >= WSIDE_MAX || buf_append(&w->q, p, n) < 0) {
			BIO_set_retry_write(b); /* as a full socket: the loop waits for it to drain */
			return 0;
		}
		*done = n;
		return 1;
	}
	/* Not held: a socket BIO, after what was held (order kept). */
	int f = wside_flush(w);
	if (f == 0)
		BIO_set_retry_write(b);
	if (f <= 0)
		return 0;
	ssize_t r = send(w->fd, p, n, MSG_NOSIGNAL);
	if (r > 0) {
		*done = (size_t)r;
		return 1;
	}
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_write(b);
	return 0;
}

static long wside_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	(void)ptr;
	struct wside *w = BIO_get_data(b);
	switch (cmd) {
	case BIO_CTRL_FLUSH: { /* OpenSSL's, after an alert or handshake messages: sent now */
		BIO_clear_retry_flags(b);
		int f = wside_flush(w);
		if (f == 0)
			BIO_set_retry_write(b);
		return f;
	}
	case BIO_CTRL_WPENDING:
		return (long)buf_pending(&w->q);
	case BIO_CTRL_DUP:
		return 1;
	default:
		return 0;
	}
}

static int wside_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static int wside_destroy(BIO *b)
{
	struct wside *w = BIO_get_data(b);
	if (w) {
		buf_free(&w->q);
		free(w);
		BIO_set_data(b, NULL);
	}
	return 1;
}

static struct wside *wside_of(SSL *s)
{
	return BIO_get_data(SSL_get_wbio(s));
}

void tlsconn_hold(struct ssl_st *s, int on)
{
	wside_of(s)->hold = on;
}

size_t tlsconn_unsent(struct ssl_st *s)
{
	return buf_pending(&wside_of(s)->q);
}

int tlsconn_flush(struct ssl_st *s)
{
	return wside_flush(wside_of(s));
}

const void *tlsconn_held(struct ssl_st *s, int *fd, size_t *n)
{
	struct wside *w = wside_of(s);
	*fd = w->fd;
	*n = buf_pending(&w->q);
	return buf_head(&w->q);
}

void tlsconn_sent(struct ssl_st *s, size_t n)
{
	struct wside *w = wside_of(s);
	buf_consume(&w->q, n);
	if (!buf_pending(&w->q))
		buf_free(&w->q);
}

void tlsconn_start(const struct tls_server_conf *c)
{
	/* Loaded before the port is bound: a bad file is exit 4 with nothing listening.
	 * SIGHUP is blocked from here on; each worker reads it from its signalfd (with
	 * --workers the supervisor passes it on). */
	char err[600];
	T.conf = *c;
	T.ctx = tls_server_ctx(c, err, sizeof err);
	if (!T.ctx)
		die(NT_EXIT_TLS, "%s", err);
	T.wmeth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tcp-serve write side");
	if (!T.wmeth || !BIO_meth_set_write_ex(T.wmeth, wside_write) || !BIO_meth_set_ctrl(T.wmeth, wside_ctrl) ||
	    !BIO_meth_set_create(T.wmeth, wside_create) || !BIO_meth_set_destroy(T.wmeth, wside_destroy))
		die(NT_EXIT_TLS, "TLS: out of memory");
	sigset_t hup;
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	sigprocmask(SIG_BLOCK, &hup, NULL);
}

int tlsconn_reload(char *err, size_t errlen)
{
	SSL_CTX *n = tls_server_ctx(&T.conf, err, errlen);
	if (!n)
		return -1;
	SSL_CTX_free(T.ctx); /* our reference only: sessions made from it keep theirs */
	T.ctx = n;
	return 0;
}

void tlsconn_sighup(void)
{
	/* New connections get the new certificate; live ones keep theirs. */
	char err[600];
	if (tlsconn_reload(err, sizeof err) < 0)
		nt_warn("SIGHUP: %s: still serving the certificate loaded before", err);
	else
		log_info("SIGHUP: certificate and key reloaded for new connections");
}

void tlsconn_cleanup(void)
{
	SSL_CTX_free(T.ctx);
	T.ctx = NULL;
	BIO_meth_free(T.wmeth);
	T.wmeth = NULL;
}

struct ssl_ctx_st *tlsconn_ctx(void)
{
	return T.ctx;
}

/* What the socket reads inside one SSL_read gave (sock_cb): SOCK_NONE when it read
 * nothing from the socket (whole records were buffered), SOCK_SHORT when its last read
 * took less than it asked for or would block (the socket is drained), SOCK_FULL. */
enum { SOCK_NONE, SOCK_SHORT, SOCK_FULL };
static int sock_read;

static long sock_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
		    size_t *processed)
{
	(void)b;
	(void)argp;
	(void)argi;
	(void)argl;
	if (oper == (BIO_CB_READ | BIO_CB_RETURN))
		sock_read = ret > 0 && processed && *processed >= len ? SOCK_FULL : SOCK_SHORT;
	return ret;
}

struct ssl_st *tlsconn_new(int fd)
{
	SSL *s = SSL_new(T.ctx);
	if (!s)
		return NULL;
	BIO *rb = BIO_new_socket(fd, BIO_NOCLOSE), *wb = BIO_new(T.wmeth);
	struct wside *w = calloc(1, sizeof *w);
	if (!rb || !wb || !w) {
		BIO_free(rb);
		BIO_free(wb);
		free(w);
		SSL_free(s);
		return NULL;
	}
	w->fd = fd;
	buf_init(&w->q, 0);
	BIO_set_data(wb, w);
	SSL_set_bio(s, rb, wb); /* the session owns both */
	SSL_set_accept_state(s);
	/* A record (or several) in one read(2) instead of a header and then a body: one
	 * system call less per request. The buffer is still released whenever it is empty. */
	SSL_set_read_ahead(s, 1);
	/* Told of every socket read, so that a read that emptied the socket and OpenSSL's
	 * buffer is known as the last (tlsconn_read's *drained): no read(2) that says EAGAIN
	 * per request. */
	BIO_set_callback_ex(SSL_get_rbio(s), sock_cb);
	return s;
}

/* OpenSSL's error for a session, as the loop sees it: the event to wait for (errno
 * EAGAIN), the end of the stream (0), or a failure (-1, errno set). */
static int result(SSL *s, int r, int *want)
{
	switch (SSL_get_error(s, r)) {
	case SSL_ERROR_WANT_READ:
		*want = LOOP_READ;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want = LOOP_WRITE;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0)
			return 0; /* EOF without close_notify (SSL_OP_IGNORE_UNEXPECTED_EOF off) */
		return -1;
	default:
		if (tls_eof_unexpected()) { /* the same, from OpenSSL 3: a line client's end */
			ERR_clear_error();
			return 0;
		}
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

int tlsconn_handshake(struct ssl_st *s, int *want, char *err, size_t errlen)
{
	ERR_clear_error();
	errno = 0;
	int r = SSL_do_handshake(s);
	if (r == 1)
		return 1;
	int e = SSL_get_error(s, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		*want = e == SSL_ERROR_WANT_READ ? LOOP_READ : LOOP_WRITE;
		return 0;
	}
	tls_server_handshake_err(s, err, errlen); /* worded in core/tls*.c */
	return -1;
}

/* The session's app data marks a read that gave nothing (stalled, see tlsconn_pending),
 * or one that gave data after the socket was found drained (emptied): NULL is a read
 * that gave data with the socket perhaps holding more. */
static char stalled, emptied;

/* SSL_get_error needs an empty error queue before the call; clearing one that is empty
 * (it nearly always is: every failure here clears it) wrote all its 16 slots, twice a
 * request. */
static void err_empty(void)
{
	if (ERR_peek_error())
		ERR_clear_error();
}

ssize_t tlsconn_read(struct ssl_st *s, void *p, size_t n, int *want, int *drained)
{
	err_empty();
	errno = 0;
	sock_read = SOCK_NONE;
	int r = SSL_read(s, p, n > 0x40000000 ? 0x40000000 : (int)n);
	void *old = SSL_get_app_data(s), *mark = &stalled;
	if (r > 0) /* a read from records already buffered keeps what the last socket read said */
		mark = sock_read == SOCK_SHORT || (sock_read == SOCK_NONE && old == &emptied) ? &emptied : NULL;
	if (old != mark)
		SSL_set_app_data(s, mark);
	/* Drained: the socket had nothing more and OpenSSL holds nothing, so a further read
	 * would only say EAGAIN. Data that comes after it is for epoll to report. */
	*drained = r > 0 && mark == &emptied && !SSL_pending(s) && !SSL_has_pending(s);
	return r > 0 ? r : result(s, r, want);
}

ssize_t tlsconn_write(struct ssl_st *s, const void *p, size_t n, int *want)
{
	if (!n)
		return 0;
	err_empty();
	errno = 0;
	int r = SSL_write(s, p, n > 0x40000000 ? 0x40000000 : (int)n);
	if (r > 0)
		return r;
	r = result(s, r, want);
	if (r == 0) { /* the client's close_notify: nothing more can be sent */
		errno = EPIPE;
		return -1;
	}
	return r;
}

/* Input OpenSSL holds that epoll can not report: decrypted data of the current record
 * (SSL_pending), or, with read-ahead, records read off the socket and not yet opened
 * (SSL_has_pending). The latter also counts the first bytes of a record whose rest has
 * not come, and firing on those would spin until it does: so only when the last read
 * gave data. A read that gave nothing has taken every whole record there was, and the
 * rest of a partial one comes through the socket, which epoll reports. */
int tlsconn_pending(struct ssl_st *s)
{
	return SSL_pending(s) > 0 || (SSL_has_pending(s) && SSL_get_app_data(s) != &stalled);
}

void tlsconn_describe(struct ssl_st *s, char *out, size_t n)
{
	const char *cipher = SSL_get_cipher_name(s);
	int w = snprintf(out, n, "%s %s", SSL_get_version(s), cipher ? cipher : "?");
	X509 *peer = SSL_get_peer_certificate(s);
	if (peer && w > 0 && (size_t)w < n) {
		char subj[256];
		X509_NAME_oneline(X509_get_subject_name(peer), subj, sizeof subj);
		/* A client chose this text: only printable ASCII goes to the log. */
		for (char *q = subj; *q; q++)
			if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e)
				*q = '?';
		snprintf(out + w, n - (size_t)w, ", client certificate %s", subj);
	}
	X509_free(peer);
}

void tlsconn_free(struct ssl_st *s)
{
	if (!s)
		return;
	/* What was held goes first (best effort: the connection is ending). */
	wside_of(s)->hold = 0;
	wside_flush(wside_of(s));
	if (SSL_is_init_finished(s)) {
		ERR_clear_error();
		SSL_shutdown(s);
	}
	ERR_clear_error();
	SSL_free(s);
}

/* ---------------------------------------------------------------- loop connections */

void tlsconn_accepted(struct client *c)
{
	c->rd_want = LOOP_READ;
	c->wr_want = LOOP_WRITE;
	c->handshake = 1;
	c->ssl = tlsconn_new(c->fd);
	if (!c->ssl)
		serve_client_close(c, "TLS: out of memory");
}

void tlsconn_step(struct client *c)
{
	char err[300];
	int w = LOOP_READ;
	int r = tlsconn_handshake(c->ssl, &w, err, sizeof err);
	if (r < 0) {
		serve_client_close(c, err);
		return;
	}
	if (r == 0) {
		c->rd_want = (unsigned)w;
		serve_want(c);
		return;
	}
	c->handshake = 0;
	c->rd_want = LOOP_READ;
	c->last = loop_now_ms();
	if (log_level >= LOG_VERBOSE) {
		char d[400];
		tlsconn_describe(c->ssl, d, sizeof d);
		log_trace("%s: %s", c->addr, d);
	}
	serve_tls_ready(c);
}
