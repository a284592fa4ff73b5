/* SPDX-License-Identifier: MIT */
/* tls_server.h - the server side of TLS (core/tls_server.c): a context for tcp-serve
 * --tls (--cert, --key, client certificates) and the server session of one connection
 * as a stream (stream.h).
 *
 * Tests: tests/integration/tcp_tls.sh
 */
#ifndef NT_TLS_SERVER_H
#define NT_TLS_SERVER_H

#include <stddef.h>

#include "stream.h"

/* A server context (tcp-serve --tls): the certificate chain of cert and its key, TLS
 * 1.2 or later with OpenSSL's default ciphers and groups, small idle sessions
 * (SSL_MODE_RELEASE_BUFFERS), partial writes from a moving buffer (event loops retry a
 * write from their output queue). With verify_client, every client must show a
 * certificate that verifies against cacert (NULL: the system's CA store). A key with a
 * passphrase is refused rather than prompted for. Sessions made from the context hold
 * a reference to it (SSL_new), so a reload makes a new context and drops the old one
 * with SSL_CTX_free: live connections keep theirs until they end. */
struct tls_server_conf {
	const char *cert, *key;
	const char *cacert;
	int verify_client;
};
struct ssl_ctx_st;
/* The new context, or NULL with a message in err naming the file that failed. */
struct ssl_ctx_st *tls_server_ctx(const struct tls_server_conf *c, char *err, size_t errlen);

/* Why the server handshake of s failed, into err ("TLS handshake: ..."): the client's
 * certificate refused, a client that does not speak TLS, OpenSSL's reason, the socket's
 * errno, or the client's close, in the words of core/tls.c. The error queue is cleared. */
void tls_server_handshake_err(struct ssl_st *s, char *err, size_t errlen);

/* The server side of one connection as a stream (tcp-serve --tls --stream): a session
 * from ctx on fd (made non-blocking, owned by the stream), its handshake run within
 * timeout_ms (<= 0: no limit). NULL with a message in err on failure (fd is then
 * reset, never closed as a clean end: a sender must not take it for a delivery). The stream's shutdown_wr sends close_notify. */
struct stream *tls_server(int fd, struct ssl_ctx_st *ctx, int timeout_ms, char *err, size_t errlen);

#endif
