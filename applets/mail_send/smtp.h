/* SPDX-License-Identifier: MIT */
/* smtp.h - one libcurl SMTP session that sends message after message over one connection
 * and records the server's reply to MAIL, to each RCPT and to the end of DATA. */
#ifndef MAIL_SEND_SMTP_H
#define MAIL_SEND_SMTP_H

#include <curl/curl.h>
#include <stddef.h>

#include "msg.h"
#include "oauth2.h"
#include "xfer.h"

#define SMTP_REPLY_MAX 512

struct smtp_reply {
	int code;                   /* 0: no reply (not reached, or the connection failed) */
	char text[SMTP_REPLY_MAX];  /* the last line, cleaned of control characters */
};

struct smtp_result {
	struct smtp_reply mail;
	struct smtp_reply *rcpt;    /* one per recipient, in order */
	size_t nrcpt;
	struct smtp_reply data;     /* the reply to DATA (354 when the message went) */
	struct smtp_reply final;    /* the reply after the message (250: accepted) */
	struct smtp_reply other;    /* the last reply to anything else (EHLO, AUTH...) */
	CURLcode rc;
	char errbuf[CURL_ERROR_SIZE];
	int no_login;               /* stopped before the message: a user was given, no login happened */
};

struct smtp_sess {
	CURL *h;
	struct curl_slist *rcpts;
	struct smtp_result *res;    /* being filled */
	int stage;                  /* what the next reply answers */
	size_t rcpt_i;
	const char *data;           /* the message being uploaded */
	size_t len, off;
	int verbose;
	long connects;              /* connections opened so far */
	/* Called once per message before its last bytes go out (so before the server can
	 * accept it); -1 aborts the transfer. NULL: none. */
	int (*before_end)(void *arg);
	void *before_end_arg;
	int end_called;
	/* An OAuth2 login (NULL: none): a token the server refuses is replaced once per
	 * message by a new run of the token command; the login is read off the trace into
	 * watch (xo->watch). */
	struct oauth2 *oauth;
	struct sasl_watch *watch;
	int need_login;             /* a user was given: no message goes out before a login */
	int sess_login;             /* this connection has logged in (reset at each EHLO) */
};

/* Prepare a session for url ("smtp://host:port/ehlo-name" or smtps://). host is the URL's
 * host (for the connection policy: proxy, plain-text password). 0, or -1 with err, or
 * -(exit code) with err when the connection policy refuses (xfer_setup). */
int smtp_open(struct smtp_sess *s, const char *url, const char *host, const struct xfer_opts *xo, char *err,
	      size_t errlen);
/* Send one message (CRLF text, not dot-stuffed) to rcpts; every recipient is tried. res is
 * filled (res->rcpt allocated; free with smtp_result_free). Returns res->rc. */
CURLcode smtp_send(struct smtp_sess *s, const char *from, const struct strv *rcpts, const char *msg, size_t len,
		   struct smtp_result *res);
void smtp_result_free(struct smtp_result *res);
/* QUIT and free. */
void smtp_close(struct smtp_sess *s);

/* The protocol trace libcurl hands to the session (also the fuzz harness's entry): data is
 * what went out (out: commands, which say what the next reply answers) or came in (the
 * server's reply lines, recorded into s->res by their last line), in any chunking that
 * ends lines where the peer did. s->res must be set. */
void smtp_trace_feed(struct smtp_sess *s, int out, const char *data, size_t size);

/* Parse one reply line "250 text" / "250-text": the code (100-599) or 0; *last says
 * whether it is the last line of the reply. */
int smtp_reply_code(const char *line, size_t n, int *last);

#endif
