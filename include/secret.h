/* SPDX-License-Identifier: MIT */
/* secret.h - secrets from a command (--password-cmd, --oauth2-token-cmd, an account's
 * password-cmd): the one runner of every `*-cmd` option.
 *
 *	char *s; char err[512];
 *	int r = secret_cmd(o->password_cmd, "--password-cmd", o->timeout_ms, &s, err, sizeof err);
 *	if (r < 0) die(-r, "%s", err);   // -NT_EXIT_TLS (4): the command failed; -NT_EXIT_IO: fork
 *	...; secret_free(s);
 *
 * The command runs as /bin/sh -c CMD. Its standard input is the terminal (/dev/tty) when
 * there is one, else /dev/null (never ours: mail-send reads the message there); its
 * standard output is a pipe, of which the first line is the secret (the newline removed);
 * standard error is ours. The secret never goes on an argv nor into an environment: the
 * child's environment is ours without NETTOOL_PASSWORD. A command that exits non-zero or
 * is killed, prints nothing, prints a first line holding a CR or another control
 * character, or a line over SECRET_MAX bytes, or runs past timeout_ms (then it is killed,
 * with its process group when it has no terminal, and reaped) is refused with one line
 * naming `what` (the option or the account key) and never the output.
 */
#ifndef NT_SECRET_H
#define NT_SECRET_H

#include <stddef.h>

#define SECRET_MAX 16384 /* bytes of a first line: an OAuth2 token (a JWT) fits */

/* Run cmd, put the first line of its output (malloc'd) in *out. what: "--password-cmd",
 * "account work: password-cmd"... for the message. timeout_ms <= 0: no limit.
 * Returns 0, or minus the exit code (nt_err.h) with a message in err. */
int secret_cmd(const char *cmd, const char *what, int timeout_ms, char **out, char *err, size_t errlen);
/* Check a secret from anywhere (a command, a file): 0, or -1 when it is empty or holds a
 * control character (it goes on a protocol line). */
int secret_check(const char *s);
/* Wipe and free (NULL is fine). */
void secret_free(char *s);

#endif
