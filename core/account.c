/* SPDX-License-Identifier: MIT */
/* account.c - the accounts file: a bounded, strict parser of [NAME] sections and
 * key = value lines, its permission checks, and the one place an account fills the
 * shared client options.
 *
 * Header: include/account.h    Man page: man/nettool-accounts.5
 * Tests: tests/unit/check_account.c, tests/fuzz/fuzz_core_account.c
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "addr.h"
#include "connpol.h"
#include "file.h"
#include "log.h"
#include "nt_err.h"
#include "opt.h"

static const char *const key_names[ACC_NKEYS] = {
	[ACC_URL] = "url",
	[ACC_USER] = "user",
	[ACC_FROM] = "from",
	[ACC_PASSWORD_CMD] = "password-cmd",
	[ACC_OAUTH2_TOKEN_CMD] = "oauth2-token-cmd",
	[ACC_OAUTH2_TOKEN_FILE] = "oauth2-token-file",
	[ACC_PASSWORD] = "password",
	[ACC_CACERT] = "cacert",
	[ACC_CERT] = "cert",
	[ACC_KEY] = "key",
	[ACC_PIN] = "pin",
	[ACC_TLS] = "tls",
};

const char *account_key_name(enum acc_key k)
{
	return k < ACC_NKEYS ? key_names[k] : "?";
}

void accounts_free(struct accounts *f)
{
	for (int i = 0; i < f->n; i++)
		for (int k = 0; k < ACC_NKEYS; k++)
			if (f->a[i].v[k]) {
				explicit_bzero(f->a[i].v[k], strlen(f->a[i].v[k]));
				free(f->a[i].v[k]);
			}
	free(f->a);
	free(f->path);
	memset(f, 0, sizeof *f);
}

static int name_ok(const char *s, size_t n)
{
	if (!n || n > ACC_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("._@+-", c)))
			return 0;
	}
	return 1;
}

#define FAIL(...)                                                                                          \
	do {                                                                                               \
		int w_ = snprintf(err, errlen, "%s:%d: ", path, lineno);                                   \
		if (w_ >= 0 && (size_t)w_ < errlen)                                                        \
			snprintf(err + w_, errlen - (size_t)w_, __VA_ARGS__);                              \
		return -1;                                                                                 \
	} while (0)

int accounts_parse(struct accounts *f, const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	f->path = strdup(path);
	if (!f->path) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	int lineno = 0;
	struct account *cur = NULL;
	size_t pos = 0;
	while (pos < len) {
		lineno++;
		const char *l = text + pos;
		const char *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;
		pos += n + (nl != NULL);
		if (n > ACC_LINE_MAX)
			FAIL("a line longer than %d bytes", ACC_LINE_MAX);
		if (n && l[n - 1] == '\r')
			n--; /* a file written on another system */
		for (size_t i = 0; i < n; i++)
			if (((unsigned char)l[i] < 0x20 && l[i] != '\t') || l[i] == 0x7f)
				FAIL("a control character");
		while (n && (*l == ' ' || *l == '\t'))
			l++, n--;
		while (n && (l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		if (!n || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			if (l[n - 1] != ']')
				FAIL("a section line is [NAME]");
			const char *s = l + 1;
			size_t sn = n - 2;
			if (!name_ok(s, sn))
				FAIL("a section name has 1 to %d letters, digits or ._@+-", ACC_NAME_MAX);
			for (int i = 0; i < f->n; i++)
				if (strlen(f->a[i].name) == sn && !memcmp(f->a[i].name, s, sn))
					FAIL("[%.*s] again (first at line %d)", (int)sn, s, f->a[i].line);
			if (f->n >= ACC_SECTIONS_MAX)
				FAIL("more than %d sections", ACC_SECTIONS_MAX);
			struct account *na = realloc(f->a, (size_t)(f->n + 1) * sizeof *na);
			if (!na)
				FAIL("out of memory");
			f->a = na;
			cur = &f->a[f->n++];
			memset(cur, 0, sizeof *cur);
			memcpy(cur->name, s, sn);
			cur->line = lineno;
			continue;
		}
		const char *eq = memchr(l, '=', n);
		if (!eq)
			FAIL("not a [NAME] line nor key = value");
		size_t kn = (size_t)(eq - l);
		while (kn && (l[kn - 1] == ' ' || l[kn - 1] == '\t'))
			kn--;
		const char *v = eq + 1;
		size_t vn = n - (size_t)(v - l);
		while (vn && (*v == ' ' || *v == '\t'))
			v++, vn--;
		int k = -1;
		for (int i = 0; i < ACC_NKEYS; i++)
			if (strlen(key_names[i]) == kn && !strncasecmp(key_names[i], l, kn))
				k = i;
		if (k < 0)
			FAIL("unknown key '%.*s' (url, user, from, password-cmd, oauth2-token-cmd, oauth2-token-file, "
			     "password, cacert, cert, key, pin, tls)", kn > 40 ? 40 : (int)kn, l);
		if (!cur)
			FAIL("'%s' before the first [NAME] line", key_names[k]);
		if (cur->v[k])
			FAIL("'%s' again in [%s]", key_names[k], cur->name);
		if (!vn)
			FAIL("'%s' has no value", key_names[k]);
		if (k == ACC_TLS && !((vn == 2 && !strncasecmp(v, "on", 2)) || (vn == 3 && !strncasecmp(v, "off", 3)) ||
				      (vn == 4 && !strncasecmp(v, "auto", 4))))
			FAIL("tls is on, off or auto");
		if (!(cur->v[k] = strndup(v, vn)))
			FAIL("out of memory");
		if (k == ACC_PASSWORD)
			f->has_password = 1;
	}
	return 0;
}
#undef FAIL

int accounts_load(struct accounts *f, const char *path, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		errno = e; /* the caller tells EACCES apart */
		return -NT_EXIT_IO;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -NT_EXIT_IO;
	}
	/* The file names commands we run: only we (or root, for the system file) may write it. */
	if ((st.st_uid != geteuid() && st.st_uid != 0) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen, "%s: %s: the file names commands nettool runs; refused (chmod go-w)", path,
			 st.st_uid != geteuid() && st.st_uid != 0 ? "owned by another user" : "writable by others");
		close(fd);
		return -NT_EXIT_TLS;
	}
	if (st.st_size > ACC_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, ACC_FILE_MAX);
		close(fd);
		return -NT_EXIT_USAGE;
	}
	char *data = malloc((size_t)st.st_size + 1);
	size_t len = 0;
	ssize_t r = 0;
	while (data && len < (size_t)st.st_size && (r = read(fd, data + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)r;
	close(fd);
	if (!data || r < 0) {
		snprintf(err, errlen, "%s: %s", path, data ? strerror(errno) : "out of memory");
		free(data);
		return -NT_EXIT_IO;
	}
	int pr = accounts_parse(f, path, data, len, err, errlen);
	explicit_bzero(data, len);
	free(data);
	if (pr < 0) {
		accounts_free(f);
		return -NT_EXIT_USAGE;
	}
	/* As netrc users expect: a password in a file others can read is refused. */
	if (f->has_password && (st.st_mode & (S_IRGRP | S_IROTH))) {
		snprintf(err, errlen, "%s holds a password and its group or others can read it: refused (chmod 600 %s, or use "
				      "password-cmd)", path, path);
		accounts_free(f);
		return -NT_EXIT_TLS;
	}
	return 1;
}

char *accounts_default_path(void)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *p = NULL;
	if (x && *x == '/')
		p = xasprintf("%s/nettool/accounts", x);
	else if (home && *home)
		p = xasprintf("%s/.config/nettool/accounts", home);
	if (p && access(p, F_OK) == 0)
		return p;
	free(p);
	return xstrdup("/etc/nettool/accounts");
}

const struct account *accounts_find(const struct accounts *f, const char *name)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->a[i].name, name))
			return &f->a[i];
	return NULL;
}

/* 1 when the account's URL has one of schemes (space-separated). */
static int scheme_fits(const struct account *a, const char *schemes)
{
	const char *u = a->v[ACC_URL];
	if (!u)
		return 1; /* no URL: the account gives credentials only */
	const char *e = strstr(u, "://");
	if (!e)
		return 0;
	size_t n = (size_t)(e - u);
	for (const char *p = schemes; *p;) {
		size_t m = strcspn(p, " ");
		if (m == n && !strncasecmp(p, u, n))
			return 1;
		p += m;
		while (*p == ' ')
			p++;
	}
	return 0;
}

const struct account *accounts_by_from(const struct accounts *f, const char *addr, const char *schemes)
{
	for (int i = 0; i < f->n; i++)
		if (f->a[i].v[ACC_FROM] && !strcasecmp(f->a[i].v[ACC_FROM], addr) && f->a[i].v[ACC_URL] &&
		    scheme_fits(&f->a[i], schemes))
			return &f->a[i];
	return NULL;
}

/* What conn_account hands out lives until its next call (applets call it once). */
static struct accounts cur_file;
static char *expanded[4];
static int nexpanded;

/* ~/x -> $HOME/x for the file keys. */
static const char *path_value(const char *v)
{
	const char *home = getenv("HOME");
	if (v[0] == '~' && v[1] == '/' && home && *home && nexpanded < (int)(sizeof expanded / sizeof *expanded))
		return expanded[nexpanded++] = xasprintf("%s%s", home, v + 1);
	return v;
}

const struct account *conn_account(struct conn_opts *o, const char *schemes, const char *target_host,
				   const char *from)
{
	accounts_free(&cur_file);
	while (nexpanded)
		free(expanded[--nexpanded]);
	char err[600];
	char *path = o->config ? xstrdup(o->config) : accounts_default_path();
	int r = accounts_load(&cur_file, path, err, sizeof err);
	/* The system file that this user may not read (a root-only file with passwords in
	 * it, for cron and daemons) is no file for a user who named no account. */
	if (r == -NT_EXIT_IO && errno == EACCES && !o->config && !o->account && !strcmp(path, "/etc/nettool/accounts")) {
		log_info("%s: %s: not used", path, strerror(EACCES));
		r = 0;
	}
	if (r < 0)
		die(-r, "%s", err);
	if (r == 0) {
		if (o->config)
			die(NT_EXIT_USAGE, "--config %s: no such file", o->config);
		if (o->account)
			die(NT_EXIT_USAGE, "--account %s: there is no accounts file (%s)", o->account, path);
		free(path);
		return NULL;
	}
	free(path);
	const struct account *a = NULL;
	if (o->account) {
		if (!(a = accounts_find(&cur_file, o->account)))
			die(NT_EXIT_USAGE, "--account %s: no [%s] in %s", o->account, o->account, cur_file.path);
		if (!scheme_fits(a, schemes))
			die(NT_EXIT_USAGE, "--account %s: its url %s is not for this applet (%s)", o->account,
			    a->v[ACC_URL], schemes);
		/* Asked for by name, it goes where the command line says; said once when that is
		 * not the server the account names. */
		struct url u;
		char e[ADDR_ERRLEN];
		if (target_host && a->v[ACC_URL] && url_parse(a->v[ACC_URL], &u, e) == 0 && strcasecmp(u.host, target_host))
			nt_warn("--account %s names %s; its credentials go to %s, as the command line says", o->account,
				u.host, target_host);
	} else {
		if (from)
			a = accounts_by_from(&cur_file, from, schemes);
		if (!a)
			a = accounts_find(&cur_file, "default");
		/* Chosen implicitly: only with a URL of this applet's, and only for the server
		 * it names (a secret never goes to a server the account does not name). */
		if (a && (!a->v[ACC_URL] || !scheme_fits(a, schemes)))
			a = NULL;
		if (a && target_host) {
			struct url u;
			char e[ADDR_ERRLEN];
			if (url_parse(a->v[ACC_URL], &u, e) < 0 || strcasecmp(u.host, target_host))
				a = NULL;
		}
	}
	if (!a)
		return NULL;
	if (a->v[ACC_URL]) {
		struct url u;
		char e[ADDR_ERRLEN];
		if (url_parse(a->v[ACC_URL], &u, e) < 0)
			die(NT_EXIT_USAGE, "%s: [%s] url: %s", cur_file.path, a->name, e);
	}
	o->account_name = a->name;
	if (!o->user)
		o->user = a->v[ACC_USER];
	/* The secret sources come as a set: none of the account's when the command line gave one. */
	if (!o->password_file && !o->password_cmd && !o->oauth2_token_cmd && !o->oauth2_token_file) {
		static char what[ACC_NAME_MAX + 40];
		snprintf(what, sizeof what, "account %s: password-cmd", a->name);
		if ((o->password_cmd = a->v[ACC_PASSWORD_CMD]))
			o->password_cmd_what = what;
		o->oauth2_token_cmd = a->v[ACC_OAUTH2_TOKEN_CMD];
		if (a->v[ACC_OAUTH2_TOKEN_FILE])
			o->oauth2_token_file = path_value(a->v[ACC_OAUTH2_TOKEN_FILE]);
		static char owhat[ACC_NAME_MAX + 40];
		snprintf(owhat, sizeof owhat, "account %s: oauth2-token-%s", a->name, o->oauth2_token_cmd ? "cmd" : "file");
		if (o->oauth2_token_cmd || o->oauth2_token_file)
			o->oauth2_what = owhat;
		o->account_password = a->v[ACC_PASSWORD];
	}
	if (a->v[ACC_TLS] && !o->seen_tls && !o->seen_notls)
		o->tls = !strcasecmp(a->v[ACC_TLS], "on") ? CONN_TLS_REQUIRE
			 : !strcasecmp(a->v[ACC_TLS], "off") ? CONN_TLS_NEVER
							    : CONN_TLS_TRY;
	/* The CA: --cacert, then the account's, then (tls: the environment variables, applied
	 * after this where o->cacert is still NULL), then the system store. */
	if (!o->cacert && !o->insecure && a->v[ACC_CACERT])
		o->cacert = path_value(a->v[ACC_CACERT]);
	if (!o->cert && a->v[ACC_CERT])
		o->cert = path_value(a->v[ACC_CERT]);
	if (!o->key && a->v[ACC_KEY])
		o->key = path_value(a->v[ACC_KEY]);
	if (!o->pinnedpubkey && a->v[ACC_PIN])
		o->pinnedpubkey = a->v[ACC_PIN];
	log_trace("account [%s] from %s", a->name, cur_file.path);
	return a;
}
