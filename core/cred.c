/* SPDX-License-Identifier: MIT */
/* cred.c - passwords from --password-file, --password-cmd, the account, ~/.netrc,
 * $NETTOOL_PASSWORD or a no-echo prompt on the terminal; never from the command line.
 *
 * Header: include/cred.h    Tests: tests/unit/check_misc.c, tests/fuzz/fuzz_core_addr.c,
 * tests/integration/accounts.sh
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "connpol.h"
#include "cred.h"
#include "nt_err.h"
#include "secret.h"

#define NETRC_MAX (1 << 20)

int cred_host_is_loopback(const char *host)
{
	if (!strcasecmp(host, "localhost") || !strcasecmp(host, "localhost.localdomain") ||
	    !strcasecmp(host, "ip6-localhost") || !strcasecmp(host, "ip6-loopback"))
		return 1;
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

char *cred_netrc_path(void)
{
	const char *e = getenv("NETRC");
	if (e && *e)
		return xstrdup(e);
	const char *home = getenv("HOME");
	if (!home || !*home)
		return NULL;
	return xasprintf("%s/.netrc", home);
}

/* Next whitespace-separated token (quotes allowed, as curl accepts). */
static const char *token(const char **pp, char *out, size_t n)
{
	const char *p = *pp;
	while (*p && isspace((unsigned char)*p))
		p++;
	if (!*p)
		return NULL;
	size_t o = 0;
	if (*p == '"') {
		p++;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			if (o + 1 < n)
				out[o++] = *p;
			p++;
		}
		if (*p == '"')
			p++;
	} else {
		while (*p && !isspace((unsigned char)*p)) {
			if (o + 1 < n)
				out[o++] = *p;
			p++;
		}
	}
	out[o] = 0;
	*pp = p;
	return out;
}

static int netrc_lookup(const char *path, const char *host, int use_default, char **user, char **password, char *err,
			size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *data = xmalloc(NETRC_MAX + 1);
	size_t len = 0;
	ssize_t r;
	while (len < NETRC_MAX && (r = read(fd, data + len, NETRC_MAX - len)) > 0)
		len += (size_t)r;
	close(fd);
	data[len] = 0;

	const char *p = data;
	char tok[512], m_login[512] = "", m_pass[512] = "";
	int in_machine = 0, matched = 0, found = 0, have_login = 0, have_pass = 0;
	/* Commit the entry we were reading if it matches. */
#define FINISH()                                                                                   \
	do {                                                                                       \
		if (in_machine && matched && !found && have_pass &&                                \
		    (!*user || (have_login && !strcmp(*user, m_login)))) {                        \
			if (!*user && have_login)                                                  \
				*user = xstrdup(m_login);                                          \
			*password = xstrdup(m_pass);                                               \
			found = 1;                                                                 \
		}                                                                                  \
	} while (0)
	while (!found && token(&p, tok, sizeof tok)) {
		if (!strcmp(tok, "machine") || !strcmp(tok, "default")) {
			FINISH();
			int isdef = tok[0] == 'd';
			in_machine = 1;
			have_login = have_pass = 0;
			m_login[0] = m_pass[0] = 0;
			if (isdef)
				matched = use_default;
			else
				matched = token(&p, tok, sizeof tok) && !strcasecmp(tok, host);
		} else if (!strcmp(tok, "login")) {
			if (token(&p, tok, sizeof tok))
				snprintf(m_login, sizeof m_login, "%s", tok), have_login = 1;
		} else if (!strcmp(tok, "password")) {
			if (token(&p, tok, sizeof tok))
				snprintf(m_pass, sizeof m_pass, "%s", tok), have_pass = 1;
		} else if (!strcmp(tok, "account")) {
			token(&p, tok, sizeof tok);
		} else if (!strcmp(tok, "macdef")) {
			/* Skip to the next empty line. */
			const char *e = strstr(p, "\n\n");
			p = e ? e + 2 : p + strlen(p);
		}
	}
	FINISH();
#undef FINISH
	explicit_bzero(data, len);
	explicit_bzero(m_pass, sizeof m_pass);
	free(data);
	return found;
}

int cred_netrc_lookup(const char *path, const char *host, char **user, char **password, char *err, size_t errlen)
{
	return netrc_lookup(path, host, 1, user, password, err, errlen);
}

char *cred_netrc_login(const char *host)
{
	char *path = cred_netrc_path(), *user = NULL, *pw = NULL, err[300];
	if (!path)
		return NULL;
	if (netrc_lookup(path, host, 0, &user, &pw, err, sizeof err) <= 0) {
		free(user);
		user = NULL;
	}
	free(path);
	if (pw) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	return user;
}

static char *read_secret_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "--password-file %s: %s", path, strerror(errno));
		return NULL;
	}
	char buf[1024];
	if (!fgets(buf, sizeof buf, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\r\n")] = 0;
	char *r = xstrdup(buf);
	explicit_bzero(buf, sizeof buf);
	return r;
}

static char *prompt_tty(const char *user, const char *host, char *err, size_t errlen)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "a password is needed for %s@%s: none from the command line, an account, ~/.netrc or NETTOOL_PASSWORD, and no terminal to ask on",
			 user ? user : "", host);
		return NULL;
	}
	struct termios old, t;
	int have = tcgetattr(fd, &old) == 0;
	/* Echo off before the prompt is shown: a password typed as soon as the prompt
	 * appears is neither echoed nor thrown away (TCSAFLUSH here drops only what was
	 * typed before the prompt). */
	if (have) {
		t = old;
		t.c_lflag &= (tcflag_t)~ECHO;
		tcsetattr(fd, TCSAFLUSH, &t);
	}
	char msg[600];
	int n = snprintf(msg, sizeof msg, "Password for %s@%s: ", user ? user : "", host);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof msg)
		n = (int)sizeof msg - 1;
	if (write(fd, msg, (size_t)n) < 0) {
		/* the prompt is a courtesy */
	}
	char buf[1024];
	size_t len = 0;
	char c;
	while (len + 1 < sizeof buf && read(fd, &c, 1) == 1 && c != '\n' && c != '\r')
		buf[len++] = c;
	buf[len] = 0;
	if (have)
		tcsetattr(fd, TCSADRAIN, &old);
	if (write(fd, "\n", 1) < 0) {
	}
	close(fd);
	char *r = xstrdup(buf);
	explicit_bzero(buf, sizeof buf);
	return r;
}

static int cred_find(struct cred *c, const char *host, const struct conn_opts *o, int need, char *err, size_t errlen)
{
	if (c->password)
		return 0;
	if (c->user && o && o->password_file) {
		if (!(c->password = read_secret_file(o->password_file, err, errlen)))
			return -NT_EXIT_IO; /* a local file that can not be read: 6, as everywhere */
		c->source = "password-file";
		return 0;
	}
	if (c->user && o && o->password_cmd) {
		int r = secret_cmd(o->password_cmd, o->password_cmd_what ? o->password_cmd_what : "--password-cmd",
				   o->timeout_ms, &c->password, err, errlen);
		if (r < 0)
			return r;
		c->source = "password-cmd";
		return 0;
	}
	if (c->user && o && o->account_password) {
		c->password = xstrdup(o->account_password);
		c->source = "account";
		return 0;
	}
	char *path = cred_netrc_path();
	if (path) {
		int r = cred_netrc_lookup(path, host, &c->user, &c->password, err, errlen);
		free(path);
		if (r < 0)
			return -NT_EXIT_IO;
		if (r > 0) {
			c->source = "netrc";
			return 0;
		}
	}
	const char *env = getenv("NETTOOL_PASSWORD");
	if (!c->user)
		return 0; /* only netrc gives a login */
	if (env) {
		c->password = xstrdup(env);
		c->source = "env";
		return 0;
	}
	if (!need)
		return 0;
	if (!(c->password = prompt_tty(c->user, host, err, errlen)))
		return -NT_EXIT_TLS;
	c->source = "tty";
	return 0;
}

/* A secret goes onto a protocol line (PASS, AUTHINFO PASS, AUTH PLAIN): a CR or LF in it
 * would run commands of its own. Refused wherever it comes from. */
int cred_get(struct cred *c, const char *host, const struct conn_opts *o, int need, char *err, size_t errlen)
{
	int r = cred_find(c, host, o, need, err, errlen);
	if (r < 0)
		return r;
	const char *bad = c->password && nt_has_ctl(c->password) ? "password" : c->user && nt_has_ctl(c->user) ? "user name" : NULL;
	if (bad) {
		snprintf(err, errlen, "the %s from %s holds a control character (CR, LF...): refused", bad,
			 c->source ? c->source : "the command line");
		return -NT_EXIT_USAGE; /* bad local input: nothing was sent */
	}
	return 0;
}

void cred_free(struct cred *c)
{
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	free(c->user);
	c->user = c->password = NULL;
}
