/* SPDX-License-Identifier: MIT */
/* tls.c - OpenSSL client sessions on our own sockets, as a stream backend (stream.h).
 *
 * The peer's certificate chain and host name (or IP address) are verified by default
 * against the system store or --cacert; --insecure turns verification off and says so.
 * tls_upgrade() is STARTTLS: a plain socket stream becomes a TLS stream on the same fd.
 * tls_server_ctx() is the server side's context (tcp-serve --tls): the sessions and the
 * non-blocking handshakes live in the server's event loop.
 *
 * Header: include/tls.h    Tests: tests/unit/check_tls.c, tests/integration/nntp_tls.sh,
 * tests/integration/tcp_tls.sh
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "loop.h"
#include "nt_err.h"
#include "sock.h"
#include "tls.h"

struct tls_ctx {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	short want; /* POLLIN or POLLOUT: what the last call that would block waits for */
};

/* The first OpenSSL error on the queue (or what the errno says), then clear the queue. */
static void ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	if (e) {
		char b[200];
		ERR_error_string_n(e, b, sizeof b);
		snprintf(err, errlen, "%s: %s", what, b);
	} else if (errno) {
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
	} else {
		snprintf(err, errlen, "%s: connection closed by the peer", what);
	}
	ERR_clear_error();
}

/* Map an SSL_read/SSL_write result to the stream backend contract. */
static ssize_t io_result(struct tls_ctx *c, int r)
{
	if (r > 0)
		return r;
	int e = SSL_get_error(c->ssl, r);
	switch (e) {
	case SSL_ERROR_WANT_READ:
		c->want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		c->want = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0 || errno == EAGAIN)
			return 0; /* EOF without close_notify */
		return -1;
	default:
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

static ssize_t t_read(void *ctx, void *p, size_t n)
{
	struct tls_ctx *c = ctx;
	ERR_clear_error();
	errno = 0;
	if (n > 0x40000000)
		n = 0x40000000;
	return io_result(c, SSL_read(c->ssl, p, (int)n));
}

static ssize_t t_write(void *ctx, const void *p, size_t n)
{
	struct tls_ctx *c = ctx;
	ERR_clear_error();
	errno = 0;
	if (n == 0)
		return 0;
	if (n > 0x40000000)
		n = 0x40000000;
	return io_result(c, SSL_write(c->ssl, p, (int)n));
}

static int t_fd(void *ctx)
{
	return ((struct tls_ctx *)ctx)->fd;
}

static short t_wants(void *ctx, short dflt)
{
	struct tls_ctx *c = ctx;
	short w = c->want ? c->want : dflt;
	c->want = 0;
	return w;
}

static void ctx_free(struct tls_ctx *c)
{
	if (!c)
		return;
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->ctx)
		SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void t_close(void *ctx)
{
	struct tls_ctx *c = ctx;
	/* Best effort close_notify: the socket is non-blocking, we do not wait for the answer. */
	if (c->ssl && SSL_is_init_finished(c->ssl)) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	ctx_free(c);
}

static const struct stream_ops tls_ops = {t_read, t_write, t_fd, t_wants, t_close, "tls"};

static int is_ip_literal(const char *host)
{
	unsigned char b[16];
	return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
}

static int warned_insecure;

/* Make the SSL_CTX and SSL for fd with the verification policy of o. */
static struct tls_ctx *ctx_new(int fd, const char *host, const struct tls_opts *o, char *err, size_t errlen)
{
	struct tls_ctx *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	c->fd = fd;
	ERR_clear_error();
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		ssl_err(err, errlen, "TLS context");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* A peer that closes without close_notify ends the stream; the protocol layer decides
	 * whether that was in the middle of something. */
	SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	if (o && o->insecure) {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
		if (!warned_insecure++)
			nt_warn("warning: --insecure: the server's certificate and name are not verified");
	} else {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
		int ok = o && o->cacert ? SSL_CTX_load_verify_locations(c->ctx, o->cacert, NULL)
					: SSL_CTX_set_default_verify_paths(c->ctx);
		if (ok != 1) {
			char what[300];
			snprintf(what, sizeof what, "cannot load CA certificates%s%s", o && o->cacert ? " from " : "",
				 o && o->cacert ? o->cacert : "");
			ssl_err(err, errlen, what);
			goto fail;
		}
	}
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
		ssl_err(err, errlen, "TLS session");
		goto fail;
	}
	if (host && *host) {
		int ip = is_ip_literal(host);
		if (!ip)
			SSL_set_tlsext_host_name(c->ssl, host); /* SNI is for names only */
		if (!(o && o->insecure)) {
			X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
			int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) : SSL_set1_host(c->ssl, host);
			if (ok != 1) {
				ssl_err(err, errlen, "TLS host name check");
				goto fail;
			}
		}
	}
	return c;
fail:
	ctx_free(c);
	return NULL;
}

/* Run the handshake on the non-blocking socket within timeout_ms. 0 or -1 (err). */
static int handshake(struct tls_ctx *c, const char *host, int timeout_ms, char *err, size_t errlen)
{
	long long end = timeout_ms > 0 ? loop_now_ms() + timeout_ms : 0;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		int r = SSL_connect(c->ssl);
		if (r == 1)
			return 0;
		int e = SSL_get_error(c->ssl, r);
		short ev;
		if (e == SSL_ERROR_WANT_READ)
			ev = POLLIN;
		else if (e == SSL_ERROR_WANT_WRITE)
			ev = POLLOUT;
		else {
			long v = SSL_get_verify_result(c->ssl);
			if (v != X509_V_OK) {
				snprintf(err, errlen, "TLS handshake with %s: certificate verification failed: %s", host,
					 X509_verify_cert_error_string(v));
				ERR_clear_error();
			} else {
				char what[300];
				snprintf(what, sizeof what, "TLS handshake with %s", host);
				ssl_err(err, errlen, what);
			}
			return -1;
		}
		int left = -1;
		if (timeout_ms > 0) {
			long long l = end - loop_now_ms();
			if (l <= 0) {
				snprintf(err, errlen, "TLS handshake with %s: timed out", host);
				return -1;
			}
			left = (int)l;
		}
		int w = sock_wait(c->fd, ev, left);
		if (w == 0) {
			snprintf(err, errlen, "TLS handshake with %s: timed out", host);
			return -1;
		}
		if (w < 0) {
			snprintf(err, errlen, "TLS handshake with %s: %s", host, strerror(errno));
			return -1;
		}
	}
}

struct stream *tls_client(int fd, const char *host, const struct tls_opts *o, size_t max_line,
			  int timeout_ms, char *err, size_t errlen)
{
	if (sock_set_nonblock(fd, 1) < 0) {
		snprintf(err, errlen, "TLS: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	struct tls_ctx *c = ctx_new(fd, host, o, err, errlen);
	if (!c)
		return NULL;
	if (handshake(c, host ? host : "server", timeout_ms, err, errlen) < 0) {
		ctx_free(c);
		return NULL;
	}
	struct stream *s = stream_new(&tls_ops, c, max_line, timeout_ms);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		t_close(c);
	}
	return s;
}

struct stream *tls_upgrade(struct stream *plain, const char *host, const struct tls_opts *o,
			   char *err, size_t errlen)
{
	if (buf_pending(&plain->in) || buf_pending(&plain->out)) {
		snprintf(err, errlen, "STARTTLS: unexpected data before the TLS handshake");
		stream_close(plain);
		return NULL;
	}
	int fd = dup(plain->ops->fd(plain->ctx));
	if (fd < 0) {
		snprintf(err, errlen, "STARTTLS: %s", strerror(errno));
		stream_close(plain);
		return NULL;
	}
	size_t max_line = plain->max_line;
	int timeout_ms = plain->timeout_ms;
	void (*trace)(char, const char *, size_t) = plain->trace;
	stream_close(plain);
	struct stream *s = tls_client(fd, host, o, max_line, timeout_ms, err, errlen);
	if (s)
		s->trace = trace;
	return s;
}

int tls_close_notify(struct stream *s)
{
	if (s->ops != &tls_ops)
		return shutdown(s->ops->fd(s->ctx), SHUT_WR);
	struct tls_ctx *c = s->ctx;
	for (;;) {
		ERR_clear_error();
		int r = SSL_shutdown(c->ssl);
		if (r >= 0)
			return 0; /* sent (1: theirs had come too) */
		int e = SSL_get_error(c->ssl, r);
		ERR_clear_error();
		if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ)
			return -1;
		if (sock_wait(c->fd, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, s->timeout_ms) <= 0)
			return -1;
	}
}

/* Keys with a passphrase are refused: a server must not stop on a prompt (at SIGHUP). */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

struct ssl_ctx_st *tls_server_ctx(const struct tls_server_conf *c, char *err, size_t errlen)
{
	char what[600];
	ERR_clear_error();
	errno = 0;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ssl_err(err, errlen, "TLS server context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	/* Resumption by tickets (stateless) only: no per-session memory on the server. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	if (SSL_CTX_use_certificate_chain_file(ctx, c->cert) != 1) {
		snprintf(what, sizeof what, "cannot load the certificate from %s", c->cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, c->key, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
			snprintf(what, sizeof what, "the key in %s does not match the certificate in %s", c->key, c->cert);
		else
			snprintf(what, sizeof what, "cannot load the private key from %s (PEM, no passphrase)", c->key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(what, sizeof what, "the key in %s does not match the certificate in %s", c->key, c->cert);
		goto fail;
	}
	if (c->verify_client) {
		int ok = c->cacert ? SSL_CTX_load_verify_locations(ctx, c->cacert, NULL)
				   : SSL_CTX_set_default_verify_paths(ctx);
		if (ok != 1) {
			snprintf(what, sizeof what, "cannot load CA certificates%s%s", c->cacert ? " from " : "",
				 c->cacert ? c->cacert : "");
			goto fail;
		}
		if (c->cacert) {
			/* The CAs a client may pick its certificate from (CertificateRequest). */
			STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(c->cacert);
			if (names)
				SSL_CTX_set_client_CA_list(ctx, names);
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		static const unsigned char sid[] = "nettool tcp-serve";
		SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
	}
	return ctx;
fail:
	ssl_err(err, errlen, what);
	SSL_CTX_free(ctx);
	return NULL;
}

const char *tls_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}
