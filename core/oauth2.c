/* SPDX-License-Identifier: MIT */
/* oauth2.c - OAuth2 bearer tokens: from a command (the secret runner, run again once when
 * the server refuses the token) or a credential file; the SASL mechanisms libcurl may use;
 * the words of a refused login.
 *
 * Header: include/oauth2.h    Tests: tests/integration/oauth2.sh, tests/unit/check_sasl.c
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connpol.h"
#include "file.h"
#include "nt_err.h"
#include "oauth2.h"
#include "secret.h"

int oauth2_from(struct oauth2 *o, const struct conn_opts *c)
{
	memset(o, 0, sizeof *o);
	if (!c->oauth2_token_cmd && !c->oauth2_token_file)
		return 0;
	o->cmd = c->oauth2_token_cmd;
	o->file = c->oauth2_token_file;
	o->mech = c->oauth2_mech;
	o->timeout_ms = c->timeout_ms;
	o->what = c->oauth2_what;
	return 1;
}

/* The source's name for messages: the option, or what the caller set (an account). */
static const char *what(const struct oauth2 *o)
{
	return o->what ? o->what : o->cmd ? "--oauth2-token-cmd" : "--oauth2-token-file";
}

/* The first line of a credential file: ours, regular, nobody else may read or write it. */
static int read_token_file(const char *what, const char *path, char **out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -NT_EXIT_IO;
	}
	struct stat st;
	const char *why = file_own_why(fd, 0);
	if (!why && fstat(fd, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH | S_IWGRP | S_IWOTH)))
		why = "others can read or write it: refused (chmod 600 it)";
	if (why) {
		snprintf(err, errlen, "%s %s: %s", what, path, why);
		close(fd);
		return -NT_EXIT_TLS; /* a credential we may not trust: as an unsafe accounts file */
	}
	char buf[SECRET_MAX + 2];
	size_t len = 0;
	ssize_t r;
	while (len < sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
			close(fd);
			explicit_bzero(buf, sizeof buf);
			return -NT_EXIT_IO;
		}
		len += (size_t)r;
		if (memchr(buf, '\n', len))
			break;
	}
	close(fd);
	buf[len] = 0;
	char *nl = memchr(buf, '\n', len);
	if (nl)
		*nl = 0;
	else if (len > SECRET_MAX) {
		explicit_bzero(buf, sizeof buf);
		snprintf(err, errlen, "%s %s: the first line is longer than %d bytes: refused", what, path,
			 SECRET_MAX);
		return -NT_EXIT_TLS;
	}
	if (secret_check(buf) < 0) {
		int empty = !buf[0];
		explicit_bzero(buf, sizeof buf);
		snprintf(err, errlen, "%s %s: the first line %s: refused", what, path,
			 empty ? "is empty" : "holds a control character (CR...)");
		return -NT_EXIT_TLS;
	}
	*out = xstrdup(buf);
	explicit_bzero(buf, sizeof buf);
	return 0;
}

static int run_cmd(struct oauth2 *o, char *err, size_t errlen)
{
	char *t = NULL;
	int r = secret_cmd(o->cmd, what(o), o->timeout_ms, &t, err, errlen);
	o->runs++;
	if (r < 0)
		return r;
	secret_free(o->token);
	o->token = t;
	return 0;
}

int oauth2_get(struct oauth2 *o, char *err, size_t errlen)
{
	if (o->token)
		return 0;
	if (o->cmd)
		return run_cmd(o, err, errlen);
	return read_token_file(what(o), o->file, &o->token, err, errlen);
}

int oauth2_refresh(struct oauth2 *o, char *err, size_t errlen)
{
	if (!o->cmd)
		return 0;
	int r = run_cmd(o, err, errlen);
	return r < 0 ? r : 1;
}

const char *oauth2_login_options(const struct oauth2 *o)
{
	if (o->mech && !strcmp(o->mech, "XOAUTH2"))
		return "AUTH=XOAUTH2";
	if (o->mech && !strcmp(o->mech, "OAUTHBEARER"))
		return "AUTH=OAUTHBEARER";
	/* Both allowed: libcurl takes OAUTHBEARER when the server offers it, else XOAUTH2,
	 * and never falls back to a password mechanism (there is no password). */
	return "AUTH=OAUTHBEARER;AUTH=XOAUTH2";
}

int oauth2_token_refused(const struct sasl_watch *w)
{
	return w->tried && !w->ok;
}

int oauth2_refused(const struct oauth2 *o, const struct sasl_watch *w, const char *host, char *err, size_t errlen)
{
	unsigned want = o->mech ? sasl_mech_bit(o->mech, strlen(o->mech)) : SASL_XOAUTH2 | SASL_OAUTHBEARER;
	const char *from = what(o);
	if (!w->tried && w->offer_seen && !(w->offered & want)) {
		snprintf(err, errlen, "%s offers no %s login%s (it offers: %s)", host,
			 o->mech ? o->mech : "OAuth2 (SASL XOAUTH2 or OAUTHBEARER)", o->mech ? " (--oauth2-mech)" : "",
			 w->offer_text[0] ? w->offer_text : "no SASL mechanism");
	} else if (!w->tried) {
		snprintf(err, errlen, "%s: the OAuth2 login did not happen (the server named no SASL mechanism, "
				      "or the connection ended first)", host);
	} else {
		char why[450];
		snprintf(err, errlen, "%s refused the OAuth2 token from %s%s (%s): %s", host, from,
			 o->cmd && o->runs > 1 ? ", also the one of its next run" : "", w->mech,
			 sasl_watch_why(w, why, sizeof why));
	}
	return NT_EXIT_TLS;
}

void oauth2_free(struct oauth2 *o)
{
	secret_free(o->token);
	o->token = NULL;
}
