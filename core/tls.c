/* SPDX-License-Identifier: MIT */
/* tls.c - OpenSSL client sessions on our own sockets, as a stream backend (stream.h),
 * and the TLS client policy libcurl's connections share (core/xfer.c).
 *
 * The peer's certificate chain and host name (or IP address) are verified by default
 * against the CA source tls_ca_pick() decides (tls_trust.c); --insecure turns
 * verification off and says so; --pinnedpubkey is checked even then (as curl does).
 * Without a host name (tcp-send --unix) the pins are the whole check: the chain proves
 * nothing there that the key does not, and a self-signed server is what one pins.
 * --cert/--key present a client certificate. The verify callback of tls_trust.c records
 * the certificate seen (tls_peer), so that a refusal names its subject, issuer and pin
 * and the options that would accept it. tls_upgrade() is STARTTLS: a plain socket
 * stream becomes a TLS stream on the same fd. The server side (tcp-serve --tls) is
 * tls_server.c, on the stream backend here.
 *
 * Header: include/tls.h, include/tls_impl.h    Tests: tests/unit/check_tls.c,
 * tests/integration/nntp_tls.sh, tests/integration/tls_client.sh,
 * tests/integration/tcp_tls.sh
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "connpol.h"
#include "loop.h"
#include "nt_err.h"
#include "sock.h"
#include "tls.h"
#include "tls_impl.h"

/* OpenSSL's reasons said in our words (README: no library error codes reach users);
 * NULL where none is written, and the library's reason text follows "OpenSSL:". */
static const char *words_for(unsigned long e, const char *peer, char *b, size_t n)
{
	int lib = ERR_GET_LIB(e), reason = ERR_GET_REASON(e);
	if ((lib == ERR_LIB_X509 && reason == X509_R_KEY_VALUES_MISMATCH))
		return "the private key does not belong to the certificate";
	if (lib != ERR_LIB_SSL)
		return NULL;
	if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		return "the client sent no certificate (--verify-client asks for one)";
	if (reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA) {
		snprintf(b, n, "the %s does not trust our certificate (its alert: unknown CA)", peer);
		return b;
	}
	if (reason > SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
		/* A fatal alert the peer sent: 1000 + its number. */
		int d = reason - SSL_AD_REASON_OFFSET;
		snprintf(b, n, "the %s ended the handshake (its alert: %s)", peer,
			 tls_alert_desc(d));
		return b;
	}
	return NULL;
}

static void ssl_err_as(char *err, size_t errlen, const char *what, const char *peer)
{
	unsigned long e = ERR_get_error();
	char w[200];
	const char *words = e ? words_for(e, peer, w, sizeof w) : NULL;
	if (e && ERR_GET_LIB(e) == ERR_LIB_SYS) {
		/* OpenSSL's "error:80000002:system library::..." is an errno: say it as one. */
		snprintf(err, errlen, "%s: %s", what, strerror(ERR_GET_REASON(e)));
	} else if (words) {
		snprintf(err, errlen, "%s: %s", what, words);
	} else if (e) {
		const char *why = ERR_reason_error_string(e);
		snprintf(err, errlen, "%s: OpenSSL: %s", what, why ? why : "an error without a name");
	} else if (errno) {
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
	} else {
		snprintf(err, errlen, "%s: connection closed by the peer", what);
	}
	ERR_clear_error();
}

void tls_ssl_err(char *err, size_t errlen, const char *what)
{
	ssl_err_as(err, errlen, what, "peer");
}

/* A first record that is no TLS record: the peer speaks plain text (or HTTP) where TLS
 * was expected, which OpenSSL says as "wrong version number". Words by role, for both
 * ends of a mismatch; NULL for any other error. */
static const char *not_tls(unsigned long e, int server)
{
	if (ERR_GET_LIB(e) != ERR_LIB_SSL)
		return NULL;
	switch (ERR_GET_REASON(e)) {
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_UNKNOWN_PROTOCOL:
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
		return server ? "the client did not speak TLS (a plain-text client?)"
			      : "the server did not answer in TLS (a plain-text service?)";
	default:
		return NULL;
	}
}

void tls_handshake_err(struct ssl_st *s, char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_peek_error();
	int server = SSL_is_server(s);
	const char *words = e ? not_tls(e, server) : NULL;
	if (words) {
		const char *why = ERR_reason_error_string(e);
		snprintf(err, errlen, "%s: %s; OpenSSL: %s", what, words, why ? why : "?");
		ERR_clear_error();
	} else if (server && !e && (!errno || errno == EAGAIN)) {
		snprintf(err, errlen, "%s: the client closed the connection", what);
	} else {
		ssl_err_as(err, errlen, what, server ? "client" : "server");
	}
}

int tls_load_check(const char *what, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot load the %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int tls_eof_unexpected(void)
{
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
	return ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
#else
	return 0;
#endif
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
		if (errno == 0 || errno == EAGAIN) {
			c->cut = 1;
			return 0; /* EOF without close_notify: tls_end_clean() tells it apart */
		}
		return -1;
	default:
		if (tls_eof_unexpected()) { /* the same, from OpenSSL 3 */
			ERR_clear_error();
			c->cut = 1;
			errno = 0;
			return 0;
		}
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
	ssize_t r = io_result(c, SSL_write(c->ssl, p, (int)n));
	if (r == 0) {
		/* The peer's close_notify came (SSL_ERROR_ZERO_RETURN) or the socket ended:
		 * end of file is a read's answer. A write that returns 0 was retried for
		 * ever by every caller (tcp-send spun after a --time server's close): say
		 * it as send(2) would. */
		errno = EPIPE;
		return -1;
	}
	return r;
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

void tls_ctx_free(struct tls_ctx *c)
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

void tls_ctx_close(void *ctx)
{
	struct tls_ctx *c = ctx;
	/* Best effort close_notify: the socket is non-blocking, we do not wait for the answer. */
	if (c->ssl && SSL_is_init_finished(c->ssl)) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	tls_ctx_free(c);
}

/* The TLS half-close: close_notify (the peer may go on sending, and we on reading),
 * waiting a few seconds at most for the socket to take it. */
static int t_shutdown_wr(void *ctx)
{
	struct tls_ctx *c = ctx;
	for (;;) {
		ERR_clear_error();
		int r = SSL_shutdown(c->ssl);
		if (r >= 0)
			return 0; /* sent (1: theirs had come too) */
		int e = SSL_get_error(c->ssl, r);
		ERR_clear_error();
		if (e != SSL_ERROR_WANT_WRITE) {
			errno = e == SSL_ERROR_WANT_READ ? 0 : EPROTO;
			return e == SSL_ERROR_WANT_READ ? 0 : -1;
		}
		if (sock_wait(c->fd, POLLOUT, 5000) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
}

/* stream_abort: no close_notify, the peer must not take the end for a clean one. */
static void t_abort(void *ctx)
{
	tls_ctx_free(ctx);
}

const struct stream_ops tls_stream_ops = {t_read, t_write, t_fd, t_wants, tls_ctx_close, "tls", t_shutdown_wr, t_abort};

int tls_end_clean(const struct stream *s)
{
	if (!s || s->ops != &tls_stream_ops)
		return 1; /* no TLS: a TCP FIN is the only end there is */
	const struct tls_ctx *c = s->ctx;
	return !c->cut;
}

void tls_opts_from(struct tls_opts *t, const struct conn_opts *c)
{
	memset(t, 0, sizeof *t);
	t->cacert = c->cacert;
	t->insecure = c->insecure;
	t->cert = c->cert;
	t->key = c->key;
	t->pinnedpubkey = c->pinnedpubkey;
}

int tls_opts_check(const struct tls_opts *t, char *err, size_t errlen)
{
	struct tls_pins pins;
	char e[600];
	if (t->pinnedpubkey && tls_pins_parse(t->pinnedpubkey, &pins, e, sizeof e) < 0) {
		snprintf(err, errlen, "pinnedpubkey: %s", e);
		return NT_EXIT_USAGE;
	}
	if (t->cert && tls_key_check(t->cert, t->key, err, errlen) < 0)
		return NT_EXIT_TLS;
	return 0;
}

/* ---------------------------------------------------------------- the client certificate */

int tls_key_check(const char *cert, const char *key, char *err, size_t errlen)
{
	const char *f = key ? key : cert;
	int fd = open(f, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot load the %s %s: %s", key ? "private key" : "certificate", f, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode) && (st.st_mode & S_IROTH)) {
		snprintf(err, errlen, "%s holds a private key and others can read it (mode %04o): refused, as ssh "
				      "refuses such keys (chmod o-r %s)", f, (unsigned)(st.st_mode & 07777), f);
		close(fd);
		return -1;
	}
	/* Enough of the file to see its PEM labels (a key with its chain is a few KiB). */
	static char b[1 << 16];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof b - 1 && (r = read(fd, b + n, sizeof b - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	b[n] = 0;
	/* PKCS#8 "BEGIN ENCRYPTED PRIVATE KEY", or the old "Proc-Type: 4,ENCRYPTED" header. */
	if (memmem(b, n, "ENCRYPTED PRIVATE KEY-----", 26) || memmem(b, n, "Proc-Type: 4,ENCRYPTED", 22)) {
		snprintf(err, errlen, "the private key in %s is encrypted: nettool asks for no passphrase (openssl pkey "
				      "-in %s -out NEW writes it unencrypted; keep NEW mode 600)", f, f);
		return -1;
	}
	if (!memmem(b, n, "PRIVATE KEY-----", 16)) {
		snprintf(err, errlen, "%s holds no private key in PEM%s", f, key ? "" : " (give it with --key FILE)");
		return -1;
	}
	return 0;
}

int tls_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return 0;
}

static int use_client_cert(SSL_CTX *ctx, const char *cert, const char *key, char *err, size_t errlen)
{
	if (tls_load_check("certificate", cert, err, errlen) < 0)
		return -1;
	if (tls_key_check(cert, key, err, errlen) < 0)
		return -1;
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
	char what[600];
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(what, sizeof what, "cannot use the client certificate %s", cert);
		tls_ssl_err(err, errlen, what);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key ? key : cert, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
			snprintf(err, errlen, "the key in %s does not belong to the certificate in %s", key ? key : cert,
				 cert);
			ERR_clear_error();
			return -1;
		}
		snprintf(what, sizeof what, "cannot use the private key in %s", key ? key : cert);
		tls_ssl_err(err, errlen, what);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "the key in %s does not belong to the certificate in %s", key ? key : cert, cert);
		ERR_clear_error();
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- sessions on our sockets */

static int warned_insecure;

const char *tls_insecure_warning(int pinned)
{
	return pinned ? "warning: --insecure: the server's certificate chain and name are not checked; it is "
			"accepted by its public key alone (--pinnedpubkey)"
		      : "warning: --insecure: the server's certificate and name are not verified";
}

/* Make the SSL_CTX and SSL for fd with the verification policy of o. */
static struct tls_ctx *ctx_new(int fd, const char *host, const struct tls_opts *o, char *err, size_t errlen)
{
	static const struct tls_opts none;
	if (!o)
		o = &none;
	struct tls_ctx *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	c->fd = fd;
	/* No host name to check (a unix socket): pinned keys alone, said nowhere, as asked. */
	int pin_only = !(host && *host) && o->pinnedpubkey;
	c->insecure = o->insecure || pin_only;
	snprintf(c->peer.host, sizeof c->peer.host, "%s", host ? host : "");
	if (o->pinnedpubkey) {
		if (tls_pins_parse(o->pinnedpubkey, &c->pins, err, errlen) < 0)
			goto fail;
		c->peer.pins = &c->pins;
	}
	ERR_clear_error();
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		tls_ssl_err(err, errlen, "TLS context");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* A peer that closes without close_notify ends the stream (io_result), marked so
	 * that tls_end_clean() can tell it from a close_notify: not SSL_OP_IGNORE_UNEXPECTED_EOF,
	 * which makes the two alike. The protocol layer decides what the end means. */
	tls_ca_pick(o->cacert, &c->ca);
	if (c->insecure) {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
		if (o->insecure && !warned_insecure++)
			nt_warn("%s", tls_insecure_warning(o->pinnedpubkey != NULL));
	} else {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
		if (tls_ca_load(c->ctx, &c->ca, err, errlen) < 0)
			goto fail;
	}
	if (o->cert && use_client_cert(c->ctx, o->cert, o->key, err, errlen) < 0)
		goto fail;
	c->peer.have_cert = o->cert != NULL;
	if (tls_peer_watch(c->ctx, &c->peer) < 0) {
		tls_ssl_err(err, errlen, "TLS context");
		goto fail;
	}
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
		tls_ssl_err(err, errlen, "TLS session");
		goto fail;
	}
	if (host && *host) {
		int ip = tls_is_ip_literal(host);
		if (!ip)
			SSL_set_tlsext_host_name(c->ssl, host); /* SNI is for names only */
		if (!o->insecure) {
			X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
			int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) : SSL_set1_host(c->ssl, host);
			if (ok != 1) {
				tls_ssl_err(err, errlen, "TLS host name check");
				goto fail;
			}
		}
	}
	return c;
fail:
	tls_ctx_free(c);
	return NULL;
}

/* Why the handshake failed, in one line after "TLS handshake with HOST: ". */
static void handshake_failed(struct tls_ctx *c, const char *host, char *err, size_t errlen)
{
	char what[300], line[1500];
	snprintf(what, sizeof what, "TLS handshake with %s", host);
	long v = SSL_get_verify_result(c->ssl);
	if (v != X509_V_OK && !c->insecure) {
		if (!c->peer.verify_err)
			c->peer.verify_err = (int)v;
		int name = v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH;
		snprintf(err, errlen, "%s: %s", what,
			 tls_peer_explain(&c->peer, name ? TLS_REFUSED_NAME : TLS_REFUSED_CHAIN, &c->ca, line, sizeof line));
		ERR_clear_error();
	} else if (c->peer.sent_garbage && !c->peer.alert[0]) {
		snprintf(err, errlen, "%s: the server's answer was not TLS (we ended the handshake with the alert: %s)",
			 what, c->peer.sent_alert);
		ERR_clear_error();
	} else if (tls_peer_refused_session(&c->peer)) {
		snprintf(err, errlen, "%s: %s", what,
			 tls_peer_explain(&c->peer, TLS_REFUSED_SESSION, &c->ca, line, sizeof line));
		ERR_clear_error();
	} else {
		tls_handshake_err(c->ssl, err, errlen, what);
	}
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
			break;
		int e = SSL_get_error(c->ssl, r);
		short ev;
		if (e == SSL_ERROR_WANT_READ)
			ev = POLLIN;
		else if (e == SSL_ERROR_WANT_WRITE)
			ev = POLLOUT;
		else {
			handshake_failed(c, host, err, errlen);
			return -1;
		}
		int left = -1;
		if (timeout_ms > 0) {
			long long l = end - loop_now_ms();
			if (l <= 0) {
				snprintf(err, errlen, "TLS handshake with %s: timed out after %d ms (the server did not answer)", host, timeout_ms);
				errno = ETIMEDOUT;
				return -1;
			}
			left = (int)l;
		}
		int w = sock_wait(c->fd, ev, left);
		if (w == 0) {
			snprintf(err, errlen, "TLS handshake with %s: timed out after %d ms (the server did not answer)", host, timeout_ms);
			errno = ETIMEDOUT;
			return -1;
		}
		if (w < 0) {
			snprintf(err, errlen, "TLS handshake with %s: %s", host, strerror(errno));
			return -1;
		}
	}
	/* The pins, with --insecure too (as curl): on the certificate the handshake used. */
	if (c->pins.n) {
		X509 *leaf = SSL_get1_peer_certificate(c->ssl);
		if (leaf && !c->peer.seen)
			tls_peer_record(&c->peer, leaf); /* a resumed session runs no verify callback */
		X509_free(leaf);
		if (!leaf || c->peer.pin_bad) {
			char line[1500];
			snprintf(err, errlen, "TLS handshake with %s: %s", host,
				 tls_peer_explain(&c->peer, TLS_REFUSED_PIN, &c->ca, line, sizeof line));
			return -1;
		}
	}
	return 0;
}

struct stream *tls_client(int fd, const char *host, const struct tls_opts *o, size_t max_line,
			  int timeout_ms, char *err, size_t errlen)
{
	if (sock_set_nonblock(fd, 1) < 0) {
		snprintf(err, errlen, "TLS: %s", strerror(errno));
		close(fd);
		errno = EPROTO;
		return NULL;
	}
	struct tls_ctx *c = ctx_new(fd, host, o, err, errlen);
	if (!c) {
		errno = EPROTO; /* our certificate, key or CA files: never a timeout */
		return NULL;
	}
	const char *who = host && *host ? host : o && o->peer ? o->peer : "server";
	if (handshake(c, who, timeout_ms, err, errlen) < 0) {
		int e = errno == ETIMEDOUT ? ETIMEDOUT : EPROTO;
		tls_ctx_free(c);
		errno = e;
		return NULL;
	}
	struct stream *s = stream_new(&tls_stream_ops, c, max_line, timeout_ms);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		tls_ctx_close(c);
		errno = EPROTO;
	}
	return s;
}

int tls_client_exit(int errnum)
{
	return errnum == ETIMEDOUT ? NT_EXIT_NET : NT_EXIT_TLS;
}

struct stream *tls_upgrade(struct stream *plain, const char *host, const struct tls_opts *o,
			   char *err, size_t errlen)
{
	if (buf_pending(&plain->in) || buf_pending(&plain->out)) {
		snprintf(err, errlen, "STARTTLS: unexpected data before the TLS handshake");
		stream_close(plain);
		errno = EPROTO;
		return NULL;
	}
	int fd = dup(plain->ops->fd(plain->ctx));
	if (fd < 0) {
		snprintf(err, errlen, "STARTTLS: %s", strerror(errno));
		stream_close(plain);
		errno = EPROTO;
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

const char *tls_stream_refused(struct stream *s, char *out, size_t n)
{
	if (!s || s->ops != &tls_stream_ops)
		return NULL;
	struct tls_ctx *c = s->ctx;
	if (!tls_peer_refused_session(&c->peer))
		return NULL;
	return tls_peer_explain(&c->peer, TLS_REFUSED_SESSION, &c->ca, out, n);
}

const char *tls_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}
