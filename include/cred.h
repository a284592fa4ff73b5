/* SPDX-License-Identifier: MIT */
/* cred.h - user names and passwords without the command line.
 *
 * Order (curl and lftp users expect netrc first): --password-file FILE, then
 * ~/.netrc (or $NETRC) for the host (and user), then $NETTOOL_PASSWORD, then a
 * no-echo prompt on /dev/tty when there is one. Plaintext policy: a password is
 * never sent in clear text to a host that is not loopback unless the user allows it.
 */
#ifndef NT_CRED_H
#define NT_CRED_H

#include <stddef.h>

struct cred {
	char *user;           /* may be NULL (anonymous) */
	char *password;       /* may be NULL */
	const char *source;   /* "password-file", "netrc", "env", "tty", or NULL */
};

/* Look host up in a netrc file: fills user (when *user is NULL or matches) and password.
 * Returns 1 when found, 0 when not, -1 when the file is unreadable or malformed (err). */
int cred_netrc_lookup(const char *path, const char *host, char **user, char **password, char *err, size_t errlen);
/* The netrc path: $NETRC, else $HOME/.netrc. Caller frees. */
char *cred_netrc_path(void);

/* Fill c->password for c->user@host from the sources above (password_file may be NULL).
 * need: 1 when a password is required (prompt if nothing else has one).
 * Returns 0, or minus the exit code (nt_err.h) with a message in err: -NT_EXIT_IO when the
 * password file or netrc can not be read, -NT_EXIT_USAGE for a control character in the
 * user or password, -NT_EXIT_TLS when no password can be had. Callers: die(-r, ...). */
int cred_get(struct cred *c, const char *host, const char *password_file, int need, char *err, size_t errlen);
void cred_free(struct cred *c);

/* 1 when host is a loopback name or address (localhost, 127.0.0.0/8, ::1). */
int cred_host_is_loopback(const char *host);

#endif
