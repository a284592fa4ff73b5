/* SPDX-License-Identifier: MIT */
/* tls.h - OpenSSL on our own sockets: a client that verifies the peer's certificate
 * and host name by default (--cacert, --insecure), and a server context (--cert, --key,
 * client certificates) for tcp-serve --tls.
 * The session is a stream (stream.h). */
#ifndef NT_TLS_H
#define NT_TLS_H

#include <stddef.h>
#include "stream.h"

struct tls_opts {
	const char *cacert;  /* NULL: the system's CA store */
	int insecure;        /* no verification at all (said on stderr once) */
};

/* Wrap a connected socket in a TLS client session and run the handshake, checking the
 * certificate against host (a name or an IP literal). On failure returns NULL with a
 * message in err (fd is then closed). */
struct stream *tls_client(int fd, const char *host, const struct tls_opts *o, size_t max_line,
			  int timeout_ms, char *err, size_t errlen);
/* Upgrade an existing plain socket stream (STARTTLS): the read-ahead buffer must be
 * empty. Returns the new stream or NULL; the plain stream is closed either way (its
 * descriptor lives on in the new stream). */
struct stream *tls_upgrade(struct stream *plain, const char *host, const struct tls_opts *o,
			   char *err, size_t errlen);
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

/* Send close_notify on a TLS stream (the TLS half-close: the peer may still send, and
 * we still read), waiting up to the stream's timeout for the socket to take it. 0 or
 * -1; a plain socket stream is shut down for writing instead. */
int tls_close_notify(struct stream *s);

/* The OpenSSL version text for --version. */
const char *tls_version(void);

#endif
