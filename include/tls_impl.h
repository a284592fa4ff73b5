/* SPDX-License-Identifier: MIT */
/* tls_impl.h - what the files of the TLS module share and nothing else includes:
 * core/tls.c (client sessions, the stream backend), core/tls_trust.c (CA source, pins,
 * the certificate seen) and core/tls_server.c (the server side). The public interface
 * is tls.h and tls_server.h.
 *
 * Tests: tests/unit/check_tls.c, tests/integration/tls_client.sh,
 * tests/integration/tcp_tls.sh
 */
#ifndef NT_TLS_IMPL_H
#define NT_TLS_IMPL_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "stream.h"
#include "tls.h"

/* One session on our socket: the stream backend's context (tls_stream_ops). */
struct tls_ctx {
	SSL_CTX *ctx;   /* ours (a client's), freed with the session; NULL: the caller's (a server's) */
	SSL *ssl;
	int fd;
	short want; /* POLLIN or POLLOUT: what the last call that would block waits for */
	int cut;    /* the peer's end came without close_notify (tls_end_clean) */
	int insecure;
	struct tls_ca ca;
	struct tls_pins pins;
	struct tls_peer peer;
};
/* The stream backend over a struct tls_ctx. */
extern const struct stream_ops tls_stream_ops;
/* Free the session, its context when ours, and close the socket. */
void tls_ctx_free(struct tls_ctx *c);
/* The backend's close: a best-effort close_notify (never waits), then tls_ctx_free. */
void tls_ctx_close(void *ctx);

/* The first OpenSSL error on the queue (or what the errno says) after "WHAT: ", into
 * err; then clear the queue. */
void tls_ssl_err(char *err, size_t errlen, const char *what);
/* Why the handshake of s failed, after "WHAT: ": as tls_ssl_err, but a peer that does not
 * speak TLS at all is said in words for the side we are ("the server did not answer in
 * TLS (a plain-text service?)", or of the client on a server), and on a server a close
 * without an error is the client's. The queue is cleared. */
void tls_handshake_err(struct ssl_st *s, char *err, size_t errlen, const char *what);
/* A file the user named (--cert, --key, --cacert) that can not be opened, said in our
 * words before OpenSSL says it in its own: "cannot load the WHAT PATH: strerror". 0 or
 * -1. */
int tls_load_check(const char *what, const char *path, char *err, size_t errlen);
/* The passphrase callback: no prompt from OpenSSL, ever (tls_key_check refused
 * encrypted keys already). */
int tls_no_passphrase(char *buf, int size, int rwflag, void *u);

/* 1 when host is an IPv4 or IPv6 literal (checked as an address, not a name). */
int tls_is_ip_literal(const char *host);
/* Load the CA source into ctx (tls_trust.c). 0, or -1 with err naming the source. */
int tls_ca_load(SSL_CTX *ctx, const struct tls_ca *ca, char *err, size_t errlen);
/* Record leaf in p as the verify callback does (for a resumed session, which runs
 * none): subject, issuer, names, pin, and the host and pin checks. */
void tls_peer_record(struct tls_peer *p, X509 *leaf);

#endif
