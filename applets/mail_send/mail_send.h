/* SPDX-License-Identifier: MIT */
/* mail_send.h - what mail-send's files share: the options (main.c), the SMTP session and
 * the recipients' dispositions (session.c), the queue and its flush (queue.c).
 * Message building is msg.h's, the SMTP dialogue smtp.h's. */
#ifndef MAIL_SEND_H
#define MAIL_SEND_H

#include <stddef.h>

#include "addr.h"
#include "buf.h"
#include "connpol.h"
#include "cred.h"
#include "msg.h"
#include "smtp.h"
#include "xfer.h"

/* The options, set by main.c. */
struct mail_send_conf {
	const char *server;
	const char *from;
	const char *from_name;
	const char *subject;
	struct strv cc, bcc, headers, attach;
	int extract, dry, json, dot_ends, sendmail;
	const char *body_file, *queue, *flush;
	struct xfer_opts xo;
	struct conn_opts co;       /* the shared options, the account applied (secret sources) */
	const char *user;          /* -u */
	const char *acc_user;      /* the account's user (below the -S URL's user@) */
};
extern struct mail_send_conf mail_send_cf;

/* The largest queue file a flush reads: a message (at most MSG_MAX) and its envelope. */
#define QFILE_MAX (MSG_MAX + (1u << 20))

/* main.c: append fd's contents to b up to max bytes: 0, -1 (errno) or -2 (more than max). */
int ms_read_bounded(int fd, struct buf *b, size_t max);
/* main.c: 64 random bits; this host's name (a plain DNS name, else "localhost"). */
unsigned long long ms_random64(void);
void ms_host_name(char *out, size_t n);

/* session.c */
struct server {
	char *url;     /* for libcurl, with the EHLO name as path */
	char host[ADDR_HOSTMAX + 1];
	char user[256];
};
/* Open the SMTP session (-S, $SMTP_SERVER or smtp://localhost:25) with credentials; dies
 * on failure. */
void ms_open_session(struct smtp_sess *s, struct server *sv, struct cred *c);
enum rstat { R_ACCEPTED, R_DEFERRED, R_REFUSED };
extern const char *const ms_rstat_name[];
/* Did the server answer with a refusal (as opposed to a network or TLS failure)? */
int ms_server_decided(const struct smtp_result *r);
/* The outcome of recipient i, and the reply that decided it. */
enum rstat ms_rcpt_status(const struct smtp_result *r, size_t i, const struct smtp_reply **why);
void ms_json_rcpt(const char *rcpt, enum rstat st, const struct smtp_reply *why, const char *file);
/* A failure that is not the server's answer: warns, returns the exit code. */
int ms_transfer_error(const struct smtp_result *r, const char *what);
/* 530 to MAIL (authentication or STARTTLS wanted first): warns, returns 1. */
int ms_auth_wanted(const struct smtp_result *r);
/* Send one message now; the exit code. */
int ms_send_one(const char *from, const struct strv *rcpts, const char *msg, size_t len);

/* queue.c: store a message in the queue (--queue), durable before it returns; exit code. */
int ms_queue(const char *from, const struct strv *rcpts, const char *msg, size_t len);
/* --flush DIR: send every queued message over one connection; the exit code. */
int ms_flush(const char *dir);

#endif
