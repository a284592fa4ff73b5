/* SPDX-License-Identifier: MIT */
/* account.h - the accounts file (nettool-accounts(5)): named sections of server URL,
 * user, sender and secret sources, so that cron jobs, sendmail callers and a bare
 * `nettool mail-fetch --account work` need nothing on the command line.
 *
 * The file: --config FILE, else $XDG_CONFIG_HOME/nettool/accounts (~/.config/...), else
 * /etc/nettool/accounts. An account fills only what the command line left unset (the
 * order of every credential and CA source is in cred.h).
 */
#ifndef NT_ACCOUNT_H
#define NT_ACCOUNT_H

#include <stddef.h>

struct conn_opts;

enum acc_key {
	ACC_URL, ACC_USER, ACC_FROM, ACC_PASSWORD_CMD, ACC_OAUTH2_TOKEN_CMD, ACC_OAUTH2_TOKEN_FILE,
	ACC_PASSWORD, ACC_CACERT, ACC_CERT, ACC_KEY, ACC_PIN, ACC_TLS, ACC_NKEYS
};

#define ACC_LINE_MAX 4096      /* bytes of a line */
#define ACC_SECTIONS_MAX 256   /* sections of a file */
#define ACC_FILE_MAX (1 << 20) /* bytes of a file */
#define ACC_NAME_MAX 64        /* bytes of a section name */

struct account {
	char name[ACC_NAME_MAX + 1];
	char *v[ACC_NKEYS];    /* NULL: not set */
	int line;              /* of the [NAME] line */
};

struct accounts {
	char *path;
	struct account *a;
	int n;
	int has_password;      /* some section holds password = */
};

/* The key's name in the file ("password-cmd"...). */
const char *account_key_name(enum acc_key k);
/* Parse text (len bytes; path for messages). Strict: a line over ACC_LINE_MAX, a control
 * character, more than ACC_SECTIONS_MAX sections, a key outside a section, an unknown or
 * repeated key, a repeated section, an empty value, a bad tls value: -1 with
 * "PATH:LINE: why" in err. 0 on success (free with accounts_free, also after -1). */
int accounts_parse(struct accounts *f, const char *path, const char *text, size_t len, char *err, size_t errlen);
/* Read and parse path, refusing a file others can write (it names commands we run) and one
 * others can read when it holds a password. Returns 1 when loaded, 0 when the file does
 * not exist, or minus an exit code (6: unreadable; 2: malformed; 4: permissions). */
int accounts_load(struct accounts *f, const char *path, char *err, size_t errlen);
/* The file to read when --config is not given: the user's when it exists, else the
 * system one. Malloc'd. */
char *accounts_default_path(void);
const struct account *accounts_find(const struct accounts *f, const char *name);
/* The account whose from is addr (case-insensitive), among those with a URL whose scheme
 * is one of schemes (space-separated), NULL when none. */
const struct account *accounts_by_from(const struct accounts *f, const char *addr, const char *schemes);
void accounts_free(struct accounts *f);

/* For the applets that log in (dies on errors, as conn_opts_finish does): load the file
 * (o->config, else the default path), choose the account -- o->account, else the one
 * whose from is from (when from is not NULL), else [default] -- and fill what the command
 * line left unset in o: user, the secret sources (password-cmd, oauth2-token-cmd/-file,
 * password; none when the command line gave one), tls, cacert, cert, key, pinnedpubkey.
 * schemes: the URL schemes of this applet ("imap imaps pop3 pop3s"); an account chosen
 * implicitly (not by --account) is used only when it has a URL of one of these schemes
 * and, when the command line names a server (target_host, else NULL), that server's
 * host. Returns the account or NULL; it and the strings put in o stay valid until the
 * next call (applets make one). */
const struct account *conn_account(struct conn_opts *o, const char *schemes, const char *target_host,
				   const char *from);

#endif
