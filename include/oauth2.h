/* SPDX-License-Identifier: MIT */
/* oauth2.h - OAuth2 bearer tokens for the mail applets' logins (SASL XOAUTH2 and
 * OAUTHBEARER, RFC 7628, done by libcurl for SMTP, IMAP and POP3).
 *
 * Where a token comes from (connpol.h's shared rows):
 *   --oauth2-token-cmd CMD   the first line CMD prints (the secret runner, secret.h: sh -c,
 *                            --timeout, CR/LF refused, exit 4 when it fails); when the server
 *                            refuses the token (expired), CMD runs once more and the login
 *                            is tried again with what it prints then.
 *   --oauth2-token-file FILE the first line of FILE, a credential file: ours, a regular
 *                            file, readable and writable by nobody else (else exit 4).
 * The mechanism: --oauth2-mech XOAUTH2|OAUTHBEARER, else the one the server offers
 * (OAUTHBEARER first, then XOAUTH2: libcurl's order among the two we allow).
 * The token never goes on an argv or into an environment, and the -v trace masks the
 * lines that carry it (xfer.c, log.c).
 */
#ifndef NT_OAUTH2_H
#define NT_OAUTH2_H

#include <stddef.h>

#include "sasl.h"

struct conn_opts;

struct oauth2 {
	const char *cmd;   /* --oauth2-token-cmd */
	const char *file;  /* --oauth2-token-file */
	const char *mech;  /* --oauth2-mech (canonical upper case), NULL: the server's offer */
	int timeout_ms;    /* the applet's --timeout, for cmd */
	const char *what;  /* the source in messages (NULL: "--oauth2-token-cmd" or "-file") */
	char *token;       /* the current token (wiped on free) */
	int runs;          /* how many times cmd ran (the message of a refusal says so) */
};

/* From the shared options: 1 when an OAuth2 option was given (o filled), else 0. */
int oauth2_from(struct oauth2 *o, const struct conn_opts *c);
/* The first token. 0, or minus the exit code with a message in err (4: the command
 * failed or the file is not a safe credential file; 6: the file can not be read). */
int oauth2_get(struct oauth2 *o, char *err, size_t errlen);
/* After the server refused o->token: a new one from the command. 1 (new token), 0 (no
 * second chance: a file), or minus the exit code with a message in err. Callers ask once
 * per login (a long-running session may log in again hours later, with a new need). */
int oauth2_refresh(struct oauth2 *o, char *err, size_t errlen);
/* libcurl's CURLOPT_LOGIN_OPTIONS for the mechanisms allowed ("AUTH=OAUTHBEARER;AUTH=XOAUTH2"). */
const char *oauth2_login_options(const struct oauth2 *o);
/* The message for a login that failed with an OAuth2 token (w: what the trace showed):
 * the server offers no OAuth2 mechanism (or not the one forced), or it refused the token
 * (its words, made safe). Into err; returns the exit code (4). */
int oauth2_refused(const struct oauth2 *o, const struct sasl_watch *w, const char *host, char *err, size_t errlen);
/* 1 when the trace shows the server refusing the token itself (a login was tried), so
 * that another token may help; 0 when the failure was something else. */
int oauth2_token_refused(const struct sasl_watch *w);
void oauth2_free(struct oauth2 *o);

#endif
