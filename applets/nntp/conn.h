/* SPDX-License-Identifier: MIT */
/* conn.h - one NNTP session over core's sockets, streams and TLS: greeting, CAPABILITIES,
 * MODE READER, STARTTLS (RFC 4642), AUTHINFO USER/PASS (RFC 4643), commands and
 * multi-line blocks. CLI-side code: these functions die (nt_err.h) on network errors
 * (exit 3), malformed replies (exit 5) and TLS/authentication failures (exit 4). */
#ifndef NT_NNTP_CONN_H
#define NT_NNTP_CONN_H

#include <stddef.h>
#include "connpol.h"
#include "stream.h"
#include "tls.h"

struct nntp_opts {
	const char *server;        /* -s, else $NNTPSERVER, else localhost:119 */
	struct conn_opts c;        /* -4/-6, TLS, -u, secret sources, proxy, timeout; the account applied */
	const char *acc_user;      /* the account's user (below the URL's user@) */
	int compress;              /* --compress: COMPRESS DEFLATE when offered */
	int transit;               /* feeding (ihave): no MODE READER, stay with the transit server */
};

struct nntp {
	struct stream *s;
	char host[256];
	int port;
	int implicit_tls;
	int encrypted;
	int compressed;
	struct conn_plan plan;     /* proxy and clear-text decision (connpol.h) */
	unsigned caps;
	int caps_refused;          /* CAPABILITIES refused: an RFC 977 server */
	int posting_ok;            /* greeting 200 */
	int code;                  /* last status */
	char text[512];            /* its text, cut at control characters */
};

void nntp_open(struct nntp *c, const struct nntp_opts *o);
/* Send a command (CR/LF refused) and read its status. Returns the code. */
int nntp_cmd(struct nntp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Queue a command without sending (pipelining); nntp_flush sends the queue. */
void nntp_queue(struct nntp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nntp_flush(struct nntp *c);
/* Read one status line. Returns the code. */
int nntp_status(struct nntp *c);
/* One line of a multi-line block, dot-unstuffed: 1 (line in *p, *n), 0 at the end. */
int nntp_line(struct nntp *c, const char **p, size_t *n);
/* Skip the rest of a multi-line block. */
void nntp_skip_block(struct nntp *c);
/* die() for an unexpected status: exit 4 for 48x (authentication), else 1, with the
 * server's text; what names the command ("GROUP misc.test"). */
void nntp_fail(struct nntp *c, const char *what) __attribute__((noreturn));
/* Select a group (211) or die. */
void nntp_group(struct nntp *c, const char *name, long long *count, long long *first, long long *last);
void nntp_quit(struct nntp *c);
/* The name of the server for state files: "host:port". */
void nntp_server_name(const struct nntp *c, char *out, size_t n);
/* Die with exit 2 when arg fails nntp_check_arg (nothing is sent). */
void nntp_need_arg(int kind, const char *s);

#endif
