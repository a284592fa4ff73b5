/* SPDX-License-Identifier: MIT */
/* tls_server.c - the server side of TLS (tcp-serve --tls): the context made from the
 * server's certificate and key (made again on SIGHUP), and the one server session of a
 * receiver (tcp-serve --tls --stream), a stream on the backend of tls.c as a client's.
 * The sessions of the event loop (tcp-serve's other modes) and their non-blocking
 * handshakes live in the applet (applets/tcp_serve/tlsconn.c), made from this context.
 *
 * Header: include/tls_server.h    Tests: tests/integration/tcp_tls.sh
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "loop.h"
#include "sock.h"
#include "tls.h"
#include "tls_impl.h"
#include "tls_server.h"

void tls_server_handshake_err(struct ssl_st *s, char *err, size_t errlen)
{
	long v = SSL_get_verify_result(s);
	if (v != X509_V_OK) {
		snprintf(err, errlen, "TLS handshake: client certificate: %s", X509_verify_cert_error_string(v));
		ERR_clear_error();
	} else {
		tls_handshake_err(s, err, errlen, "TLS handshake");
	}
}

struct stream *tls_server(int fd, struct ssl_ctx_st *ctx, int timeout_ms, char *err, size_t errlen)
{
	struct tls_ctx *c = calloc(1, sizeof *c);
	if (!c || sock_set_nonblock(fd, 1) < 0) {
		snprintf(err, errlen, "TLS: %s", c ? strerror(errno) : "out of memory");
		free(c);
		close(fd);
		return NULL;
	}
	c->fd = fd; /* c->ctx stays NULL: the context is the caller's, the session holds a reference */
	ERR_clear_error();
	c->ssl = SSL_new(ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
		tls_ssl_err(err, errlen, "TLS session");
		tls_ctx_free(c);
		return NULL;
	}
	long long end = timeout_ms > 0 ? loop_now_ms() + timeout_ms : 0;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		int r = SSL_accept(c->ssl);
		if (r == 1)
			break;
		int e = SSL_get_error(c->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			tls_server_handshake_err(c->ssl, err, errlen);
			sock_reset(fd); /* a failed handshake is no clean end, whatever the cause */
			tls_ctx_free(c);
			return NULL;
		}
		int left = -1;
		if (end) {
			long long l = end - loop_now_ms();
			left = l > 0 ? (int)l : 0;
		}
		int w = left == 0 ? 0 : sock_wait(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, left);
		if (w <= 0) {
			snprintf(err, errlen, "TLS handshake: %s", w == 0 ? "timed out" : strerror(errno));
			sock_reset(fd);
			tls_ctx_free(c);
			return NULL;
		}
	}
	struct stream *s = stream_new(&tls_stream_ops, c, 0, 0);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		tls_ctx_close(c);
	}
	return s;
}

struct ssl_ctx_st *tls_server_ctx(const struct tls_server_conf *c, char *err, size_t errlen)
{
	char what[600];
	/* The key file as a client's: not readable by others, not encrypted (a server must
	 * not stop at a passphrase prompt, least of all at SIGHUP). */
	if (tls_load_check("certificate", c->cert, err, errlen) < 0 || tls_key_check(c->cert, c->key, err, errlen) < 0 ||
	    (c->verify_client && c->cacert && tls_load_check("CA certificates", c->cacert, err, errlen) < 0))
		return NULL;
	ERR_clear_error();
	errno = 0;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		tls_ssl_err(err, errlen, "TLS server context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* No SSL_OP_IGNORE_UNEXPECTED_EOF: an end without close_notify must stay known
	 * (tls_end_clean(), tls_eof_unexpected()). */
	/* Resumption by tickets (stateless) only: no per-session memory on the server. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
	if (SSL_CTX_use_certificate_chain_file(ctx, c->cert) != 1) {
		snprintf(what, sizeof what, "cannot load the certificate from %s", c->cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, c->key, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
			goto mismatch;
		snprintf(what, sizeof what, "cannot load the private key from %s (PEM, no passphrase)", c->key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1)
		goto mismatch;
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
	tls_ssl_err(err, errlen, what);
	SSL_CTX_free(ctx);
	return NULL;
mismatch: /* said whole: OpenSSL's "key values mismatch" adds nothing */
	snprintf(err, errlen, "the key in %s does not belong to the certificate in %s", c->key, c->cert);
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}
