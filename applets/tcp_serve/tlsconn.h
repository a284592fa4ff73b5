/* SPDX-License-Identifier: MIT */
/* tlsconn.h - tcp-serve --tls: the server context (made by core/tls_server.c, swapped on
 * SIGHUP) and one TLS session per connection, driven by the event loop: every call
 * returns at once; when it would block, *want says which loop event (LOOP_READ or
 * LOOP_WRITE) to wait for, which for TLS is not always the obvious one; and the TLS
 * steps of a loop connection (accept, handshake). Nothing here is visible outside
 * applets/tcp_serve/. */
#ifndef TCP_SERVE_TLSCONN_H
#define TCP_SERVE_TLSCONN_H

#include <stddef.h>
#include <sys/types.h>

#include "tls_server.h"

struct ssl_st;

struct client;

/* The first context, at start-up (exit 4 when it can not be made); SIGHUP is blocked
 * from then on, for the loop's signalfd (tlsconn_sighup) or recv_run to take. */
void tlsconn_start(const struct tls_server_conf *c);
/* SIGHUP came: tlsconn_reload, said in the log (a failure as a warning). */
void tlsconn_sighup(void);
/* SIGHUP: a new context from the same files for the connections accepted from now on;
 * live ones keep the context they started with (each session holds a reference). On
 * failure the old context stays and err says why. 0 or -1. */
int tlsconn_reload(char *err, size_t errlen);
void tlsconn_cleanup(void);
/* The current context (--stream makes each session from it with tls_server). */
struct ssl_ctx_st *tlsconn_ctx(void);

/* A server session on the connected, non-blocking fd; NULL when out of memory. */
struct ssl_st *tlsconn_new(int fd);
/* One step of the handshake: 1 done, 0 not yet (*want), -1 failed (why in err). */
int tlsconn_handshake(struct ssl_st *s, int *want, char *err, size_t errlen);
/* As read(2) and send(2): > 0 bytes, 0 end of stream (read), -1 with errno: EAGAIN
 * (*want: the event to wait for), EPROTO (a TLS error), or the socket's. A read sets
 * *drained when it emptied both the socket and the session's buffers (a further read
 * would say EAGAIN), as a short read(2) does on a plain socket. */
ssize_t tlsconn_read(struct ssl_st *s, void *p, size_t n, int *want, int *drained);
ssize_t tlsconn_write(struct ssl_st *s, const void *p, size_t n, int *want);
/* Hold the records the session makes (on) in its buffer until tlsconn_flush, or let
 * them go to the socket as they are made (off: what was held goes first). */
void tlsconn_hold(struct ssl_st *s, int on);
/* Bytes of records held and not yet sent. */
size_t tlsconn_unsent(struct ssl_st *s);
/* Send the held records: 1 all sent, 0 the socket takes no more now (wait for it to be
 * writable), -1 failed (errno). */
int tlsconn_flush(struct ssl_st *s);
/* The held records (*n bytes) and the socket, for a caller that sends them itself
 * (ring.c), then tlsconn_sent with what the socket took. */
const void *tlsconn_held(struct ssl_st *s, int *fd, size_t *n);
void tlsconn_sent(struct ssl_st *s, size_t n);
/* Decrypted input not yet read, which epoll will not report. */
int tlsconn_pending(struct ssl_st *s);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" and, for a client certificate, its subject. */
void tlsconn_describe(struct ssl_st *s, char *out, size_t n);
/* Send close_notify when the handshake was done (best effort, never waits), free. */
void tlsconn_free(struct ssl_st *s);

/* A loop connection (serve.h) was accepted: its session, the handshake to come with
 * the next read event (closed when out of memory). */
void tlsconn_accepted(struct client *c);
/* An event on a connection in its handshake: one step; once done, serve_tls_ready(c).
 * A failed handshake closes c with the reason. */
void tlsconn_step(struct client *c);

#endif
