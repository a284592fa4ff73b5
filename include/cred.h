/* SPDX-License-Identifier: MIT */
/* cred.h - user names and passwords without the command line.
 *
 * The order, the same for every applet that logs in (nettool(1), CREDENTIALS):
 *   1. the command line: -u (or user@ in the URL), --password-file FILE or
 *      --password-cmd CMD (and the OAuth2 options);
 *   2. the account (--account NAME, or the one chosen for the server; account.h): its
 *      user, and its secret sources when the command line gave none;
 *   3. ~/.netrc (or $NETRC): the login and password of the host's machine entry (the
 *      default entry gives a password to a known user, never a login);
 *   4. $NETTOOL_PASSWORD;
 *   5. a no-echo prompt on /dev/tty when there is one.
 * The CA follows the same order: --cacert, the account's cacert, the environment
 * variables, the system store. The server's name is resolved before any secret is asked
 * for (conn_resolve_first, connpol.h). Plaintext policy: a password is never sent in
 * clear text to a host that is not loopback unless the user allows it.
 */
#ifndef NT_CRED_H
#define NT_CRED_H

#include <stddef.h>

struct conn_opts;

struct cred {
	char *user;           /* may be NULL (anonymous) */
	char *password;       /* may be NULL */
	const char *source;   /* "password-file", "password-cmd", "account", "netrc", "env", "tty", or NULL */
};

/* Look host up in a netrc file: fills user (when *user is NULL or matches) and password.
 * Returns 1 when found, 0 when not, -1 when the file is unreadable or malformed (err). */
int cred_netrc_lookup(const char *path, const char *host, char **user, char **password, char *err, size_t errlen);
/* The netrc path: $NETRC, else $HOME/.netrc. Caller frees. */
char *cred_netrc_path(void);
/* The login of host's machine entry in netrc (not the default entry), malloc'd, or NULL. */
char *cred_netrc_login(const char *host);

/* Fill c->password for c->user@host from the sources above: o's password_file,
 * password_cmd (secret.h, with o->timeout_ms) and account_password (o may be NULL), then
 * netrc, the environment, the terminal. With c->user NULL only netrc is asked (it may
 * give both). need: 1 when a password is required (prompt if nothing else has one).
 * Returns 0, or minus the exit code (nt_err.h) with a message in err: -NT_EXIT_IO when the
 * password file or netrc can not be read, -NT_EXIT_USAGE for a control character in the
 * user or password, -NT_EXIT_TLS when no password can be had or the command failed.
 * Callers: die(-r, ...). */
int cred_get(struct cred *c, const char *host, const struct conn_opts *o, int need, char *err, size_t errlen);
void cred_free(struct cred *c);

/* 1 when host is a loopback name or address (localhost, 127.0.0.0/8, ::1). */
int cred_host_is_loopback(const char *host);

#endif
