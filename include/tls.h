/* SPDX-License-Identifier: MIT */
/* tls.h - OpenSSL on our own sockets: a client that verifies the peer's certificate
 * and host name by default (--cacert, --insecure), and a server context (--cert, --key).
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
/* The OpenSSL version text for --version. */
const char *tls_version(void);

#endif
