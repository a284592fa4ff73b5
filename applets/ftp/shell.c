/* SPDX-License-Identifier: MIT */
/* shell.c - `ftp shell [TARGET]` and `ftp HOST`: a logged-in session with the classic
 * ftp verbs (open, user, cd, lcd, pwd, ls, dir, get, mget, put, mput, mkdir, rmdir,
 * delete, rename, size, binary, ascii, passive, quote, bye...), on the same sites,
 * connection cache and batch engine as the one-shot commands (sess.c, engine.c): no
 * second FTP implementation. A prompt on a terminal (plain line input), commands from
 * standard input otherwise, so `ftp host <<EOF` scripts work; lines are split as the
 * classic client splits them (shparse.c). The exit status is the worst of the
 * commands' (0 when all succeeded); a refused login or a lost connection ends the
 * session at once (exit 4 or 3), as the one-shot commands do.
 *
 * Paths are the server's: the shell keeps its remote folder as the path the user went
 * to from the login folder (cd), and the verbs that send one command (mkdir, delete,
 * rename, quote...) send it after libcurl's CWD into that folder, with the names as
 * typed, so servers whose paths are not Unix paths work too.
 *
 * Header: applets/ftp/ftp.h    Man page: man/nettool-ftp.1 (THE SHELL)
 * Tests: tests/integration/ftp_shell.sh
 */
#include <errno.h>
#include <stdarg.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "ftp.h"
#include "log.h"
#include "nt_err.h"
#include "out.h"
#include "shparse.h"

struct sh {
	struct ftp_site *s;      /* logged in; NULL: not */
	struct ftp_where w;      /* the server of the last open */
	int have_where;
	char *cwd;               /* remote folder from the login folder ("": the login folder) */
	int worst;               /* worst exit status so far */
	int tty;
	int quit;
};

static void sh_fail(struct sh *sh, int code, const char *fmt, ...) NT_PRINTF(3, 4);
static void sh_fail(struct sh *sh, int code, const char *fmt, ...)
{
	char m[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	nt_warn("%s", m);
	if (code > sh->worst)
		sh->worst = code;
}

static void sh_fail_curl(struct sh *sh, CURLcode rc, const char *what)
{
	char m[600];
	ftp_errmsg(rc, sh->s->errbuf, &sh->s->hdr, m, sizeof m);
	int code = xfer_exit_code(rc);
	/* The connection is gone or the login refused: nothing after this can work. */
	if (code == NT_EXIT_NET || code == NT_EXIT_TLS)
		die(code, "%s: %s", what, m);
	sh_fail(sh, code ? code : NT_EXIT_FAIL, "%s: %s", what, m);
}

static void sh_close(struct sh *sh)
{
	ftp_sites_free();
	ftp_share_free();
	sh->s = NULL;
	free(sh->cwd);
	sh->cwd = xstrdup("");
}

/* The folder the user means by arg from the shell's folder: "." and ".." resolved
 * textually where they can be (a ".." above the login folder is kept and sent). */
static char *sh_resolve(const char *cwd, const char *arg)
{
	char *out = xstrdup(arg[0] == '/' ? "/" : cwd);
	char *a = xstrdup(arg), *save = NULL;
	for (char *p = strtok_r(a, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (!strcmp(p, "."))
			continue;
		size_t l = strlen(out);
		const char *last = strrchr(out, '/');
		last = last ? last + 1 : out;
		if (!strcmp(p, "..") && l && strcmp(last, "..") && strcmp(out, "/")) {
			if (last == out)
				out[0] = 0;
			else
				out[last - out - 1 == 0 ? 1 : last - out - 1] = 0; /* "/a" -> "/" */
			continue;
		}
		char *n = ftp_join(out, p);
		free(out);
		out = n;
	}
	free(a);
	return out;
}

/* A remote file path from the shell's folder (as given when absolute). */
static char *sh_path(struct sh *sh, const char *arg)
{
	return arg[0] == '/' ? xstrdup(arg) : ftp_join(sh->cwd, arg);
}

/* Commands sent after libcurl's CWD into the shell's folder, names as typed. With
 * reply: the lines of the last reply are printed (made safe). */
static CURLcode sh_quote(struct sh *sh, const char *const *cmds, int n, int reply)
{
	struct ftp_site *s = sh->s;
	struct curl_slist *l = NULL;
	for (int i = 0; i < n; i++)
		l = curl_slist_append(l, cmds[i]);
	char *url = ftp_url(s, sh->cwd, 1);
	struct buf cap;
	buf_init(&cap, 1 << 20);
	ftp_prep(s, s->h, &s->hdr, s->errbuf);
	if (reply)
		s->hdr.cap = &cap;
	curl_easy_setopt(s->h, CURLOPT_URL, url);
	curl_easy_setopt(s->h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(s->h, CURLOPT_PREQUOTE, l);
	CURLcode rc = curl_easy_perform(s->h);
	curl_easy_setopt(s->h, CURLOPT_PREQUOTE, NULL);
	s->hdr.cap = NULL;
	if (reply && rc == CURLE_OK) {
		/* The last complete reply of the capture is ours (nothing follows PREQUOTE). */
		const char *p = buf_head(&cap), *cur = p, *ls = NULL, *le = NULL;
		size_t left = buf_pending(&cap), adv;
		struct ftp_reply r = {0};
		while (left) {
			size_t ll = ftp_next_line(p, left, &adv);
			if (!r.multi)
				cur = p;
			if (ftp_reply_feed(&r, p, ll) == 1)
				ls = cur, le = p + adv;
			p += adv, left -= adv;
		}
		for (p = ls, left = ls ? (size_t)(le - ls) : 0; left; p += adv, left -= adv) {
			size_t ll = ftp_next_line(p, left, &adv);
			if (ll)
				out_line(stdout, p, ll, 0);
		}
	}
	buf_free(&cap);
	curl_slist_free_all(l);
	free(url);
	return rc;
}

static int need_login(struct sh *sh)
{
	if (sh->s)
		return 1;
	sh_fail(sh, NT_EXIT_USAGE, sh->have_where ? "not logged in (user NAME [PASSWORD])" : "not connected (open HOST)");
	return 0;
}

/* ---- the verbs ---- */

static void v_open(struct sh *sh, int argc, char **argv)
{
	if (sh->s || sh->have_where)
		sh_close(sh);
	sh->have_where = 0;
	char *arg = ftp_is_remote(argv[1]) ? xstrdup(argv[1]) : xasprintf("%s:", argv[1]);
	if (argc > 2) {
		char *end;
		long port = strtol(argv[2], &end, 10);
		if (*end || port < 1 || port > 65535) {
			free(arg);
			sh_fail(sh, NT_EXIT_USAGE, "open: '%s' is not a port", argv[2]);
			return;
		}
		ftp_cf.port_opt = (int)port;
	}
	char *path;
	ftp_target_parse(arg, &sh->w, &path);
	free(arg);
	sh->have_where = 1;
	free(sh->cwd);
	sh->cwd = path;
	if (ftp_cf.no_login) {
		if (sh->tty)
			printf("Connected to %s; not logged in (user NAME).\n", sh->w.host);
		return;
	}
	sh->s = ftp_site_open(&sh->w, sh->w.has_user ? sh->w.user : ftp_cf.user_opt, NULL);
	if (sh->cwd[0] && ftp_isdir(sh->s, sh->cwd) != 1) {
		sh_fail(sh, NT_EXIT_FAIL, "cd %s: no such folder", sh->cwd);
		free(sh->cwd);
		sh->cwd = xstrdup("");
	}
}

static void v_user(struct sh *sh, int argc, char **argv)
{
	if (!sh->have_where) {
		sh_fail(sh, NT_EXIT_USAGE, "user: not connected (open HOST)");
		return;
	}
	if (sh->s) {
		ftp_sites_free();
		ftp_share_free();
		sh->s = NULL;
	}
	/* ftp(1)'s anonymous names without a password: the anonymous login, never a prompt. */
	if (argc == 2 && (!strcmp(argv[1], "anonymous") || !strcmp(argv[1], "ftp")))
		sh->s = ftp_site_open_anonymous(&sh->w);
	else
		sh->s = ftp_site_open(&sh->w, argv[1], argc > 2 ? argv[2] : NULL);
	if (argc > 2)
		explicit_bzero(argv[2], strlen(argv[2]));
	if (sh->tty)
		printf("Logged in as %s.\n", argv[1]);
}

static void v_close(struct sh *sh, int argc, char **argv)
{
	(void)argc, (void)argv;
	sh_close(sh);
	sh->have_where = 0;
}

static void v_cd(struct sh *sh, int argc, char **argv)
{
	if (!need_login(sh))
		return;
	char *to = sh_resolve(sh->cwd, argc > 1 ? argv[1] : "..");
	if (ftp_isdir(sh->s, to) != 1) {
		sh_fail(sh, NT_EXIT_FAIL, "cd %s: no such folder (server: %s)", argc > 1 ? argv[1] : "..", sh->s->hdr.last);
		free(to);
		return;
	}
	free(sh->cwd);
	sh->cwd = to;
}

static void v_lcd(struct sh *sh, int argc, char **argv)
{
	const char *to = argc > 1 ? argv[1] : getenv("HOME");
	if (!to || chdir(to) < 0) {
		sh_fail(sh, NT_EXIT_IO, "lcd %s: %s", to ? to : "(no HOME)", strerror(errno));
		return;
	}
	if (sh->tty) {
		char *d = getcwd(NULL, 0);
		printf("Local folder now %s\n", d ? d : to);
		free(d);
	}
}

static void v_pwd(struct sh *sh, int argc, char **argv)
{
	(void)argc, (void)argv;
	if (!need_login(sh))
		return;
	struct buf cap;
	buf_init(&cap, 1 << 16);
	const char *cmd[] = {"PWD"};
	char *url = ftp_url(sh->s, sh->cwd, 1);
	ftp_prep(sh->s, sh->s->h, &sh->s->hdr, sh->s->errbuf);
	sh->s->hdr.cap = &cap;
	struct curl_slist *l = curl_slist_append(NULL, cmd[0]);
	curl_easy_setopt(sh->s->h, CURLOPT_URL, url);
	curl_easy_setopt(sh->s->h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(sh->s->h, CURLOPT_PREQUOTE, l);
	CURLcode rc = curl_easy_perform(sh->s->h);
	curl_easy_setopt(sh->s->h, CURLOPT_PREQUOTE, NULL);
	sh->s->hdr.cap = NULL;
	curl_slist_free_all(l);
	free(url);
	if (rc != CURLE_OK) {
		buf_free(&cap);
		sh_fail_curl(sh, rc, "pwd");
		return;
	}
	char dir[4096] = "";
	const char *q = buf_head(&cap);
	size_t left = buf_pending(&cap), adv;
	while (left) {
		size_t ll = ftp_next_line(q, left, &adv);
		ftp_parse_pwd(q, ll, dir, sizeof dir); /* the last 257 wins */
		q += adv, left -= adv;
	}
	buf_free(&cap);
	out_line(stdout, dir, strlen(dir), 0);
}

static void v_ls(struct sh *sh, int argc, char **argv)
{
	if (!need_login(sh))
		return;
	int lng = !strcasecmp(argv[0], "dir");
	char *p = argc > 1 ? sh_path(sh, argv[1]) : xstrdup(sh->cwd);
	if (ftp_has_glob(p)) {
		struct ftp_match *m;
		int n = ftp_glob(sh->s, p, &m);
		if (n < 0)
			sh_fail(sh, -n, "%s %s: the listing failed", argv[0], argv[1]);
		else if (!n)
			sh_fail(sh, NT_EXIT_FAIL, "%s %s: no match", argv[0], argv[1]);
		for (int i = 0; i < n; i++)
			out_line(stdout, m[i].path, strlen(m[i].path), 0);
		if (n >= 0)
			ftp_matches_free(m, n);
		free(p);
		return;
	}
	struct buf b;
	buf_init(&b, 256u << 20);
	CURLcode rc = ftp_listing(sh->s, p, lng ? 'l' : 'n', &b);
	if (rc != CURLE_OK) {
		char what[600];
		snprintf(what, sizeof what, "%s %s", argv[0], argc > 1 ? argv[1] : ".");
		sh_fail_curl(sh, rc, what);
	} else {
		const char *q = buf_head(&b);
		size_t left = buf_pending(&b), adv;
		while (left) {
			size_t l = ftp_next_line(q, left, &adv);
			if (l)
				out_line(stdout, q, l, 0);
			q += adv, left -= adv;
		}
	}
	fflush(stdout);
	buf_free(&b);
	free(p);
}

/* The transfers one verb hands the engine: added one by one (jobs_add), run at once
 * (sh_engine). */
struct jobs {
	struct job *v;
	size_t n, cap;
};

/* A transfer of src to dst (the list takes both); size: the source's, or -1. */
static void jobs_add(struct jobs *l, enum job_kind kind, char *src, char *dst, int64_t size)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = (struct job){.kind = kind, .src = src, .dst = dst, .size = size, .mtime = -1};
}

static void sh_engine(struct sh *sh, struct jobs *l)
{
	if (!l->n) {
		free(l->v);
		return;
	}
	fflush(stdout);
	int rc = engine_run(sh->s, NULL, jobsrc_array(l->v, l->n), l->n > 1);
	if (rc > sh->worst)
		sh->worst = rc;
}

static void v_get(struct sh *sh, int argc, char **argv)
{
	if (!need_login(sh))
		return;
	const char *bn = argc > 2 ? argv[2] : ftp_basename(argv[1]);
	char err[256];
	if (argc < 3 && file_safe_name_from(bn, strlen(bn), "in the command", err, sizeof err) < 0) {
		sh_fail(sh, NT_EXIT_USAGE, "get %s: no file name to save as (%s)", argv[1], err);
		return;
	}
	struct jobs l = {0};
	jobs_add(&l, JOB_GET, sh_path(sh, argv[1]), xstrdup(bn), -1);
	sh_engine(sh, &l);
}

static void v_mget(struct sh *sh, int argc, char **argv)
{
	if (!need_login(sh))
		return;
	struct jobs l = {0};
	char err[256];
	for (int i = 1; i < argc; i++) {
		char *p = sh_path(sh, argv[i]);
		struct ftp_match *m;
		int k = ftp_glob(sh->s, p, &m);
		free(p);
		if (k < 0) {
			sh_fail(sh, -k, "mget %s: the listing failed", argv[i]);
			continue;
		}
		int got = 0;
		for (int x = 0; x < k; x++) {
			const char *bn = ftp_basename(m[x].path);
			if ((m[x].type != FTP_T_FILE && m[x].type != FTP_T_UNKNOWN) ||
			    file_safe_name(bn, strlen(bn), err, sizeof err) < 0)
				continue;
			jobs_add(&l, JOB_GET, xstrdup(m[x].path), xstrdup(bn), m[x].size);
			got++;
		}
		if (!got)
			sh_fail(sh, NT_EXIT_FAIL, "mget %s: no file matches", argv[i]);
		ftp_matches_free(m, k);
	}
	sh_engine(sh, &l);
}

static void v_put(struct sh *sh, int argc, char **argv)
{
	if (!need_login(sh))
		return;
	if (!strcmp(argv[1], "-")) {
		sh_fail(sh, NT_EXIT_USAGE, "put -: standard input holds the shell's commands (use ftp put - HOST:PATH)");
		return;
	}
	struct jobs l = {0};
	jobs_add(&l, JOB_PUT, xstrdup(argv[1]), sh_path(sh, argc > 2 ? argv[2] : ftp_basename(argv[1])), -1);
	sh_engine(sh, &l);
}

static void v_mput(struct sh *sh, int argc, char **argv)
{
	if (!need_login(sh))
		return;
	struct jobs l = {0};
	for (int i = 1; i < argc; i++) {
		glob_t g;
		if (glob(argv[i], 0, NULL, &g) != 0) {
			sh_fail(sh, NT_EXIT_FAIL, "mput %s: no file matches", argv[i]);
			continue;
		}
		for (size_t k = 0; k < g.gl_pathc; k++) {
			struct stat st;
			if (stat(g.gl_pathv[k], &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			jobs_add(&l, JOB_PUT, xstrdup(g.gl_pathv[k]), sh_path(sh, ftp_basename(g.gl_pathv[k])), -1);
		}
		globfree(&g);
	}
	sh_engine(sh, &l);
}

/* mkdir, rmdir, delete, rename, quote: commands sent in the shell's folder. */
static void v_cmd(struct sh *sh, int argc, char **argv)
{
	if (!need_login(sh))
		return;
	char *c[2] = {NULL, NULL};
	int n = 1, reply = 0;
	const char *v = argv[0];
	if (!strcasecmp(v, "mkdir"))
		c[0] = xasprintf("MKD %s", argv[1]);
	else if (!strcasecmp(v, "rmdir"))
		c[0] = xasprintf("RMD %s", argv[1]);
	else if (!strcasecmp(v, "delete"))
		c[0] = xasprintf("DELE %s", argv[1]);
	else if (!strcasecmp(v, "rename")) {
		c[0] = xasprintf("RNFR %s", argv[1]);
		c[1] = xasprintf("RNTO %s", argv[2]);
		n = 2;
	} else { /* quote, literal: the words joined by one space */
		struct buf b;
		buf_init(&b, 0);
		for (int i = 1; i < argc; i++)
			xbuf_appendf(&b, "%s%s", i > 1 ? " " : "", argv[i]);
		xbuf_append(&b, "", 1);
		c[0] = b.data;
		reply = 1;
		if (nt_has_ctl(c[0])) { /* the splitter refuses them already: twice sure */
			free(c[0]);
			sh_fail(sh, NT_EXIT_USAGE, "quote: control character (CR, LF...) in the command: refused");
			return;
		}
	}
	CURLcode rc = sh_quote(sh, (const char *const *)c, n, reply);
	if (rc != CURLE_OK) {
		char what[600];
		snprintf(what, sizeof what, "%s %s", v, argv[1]);
		sh_fail_curl(sh, rc, what);
	}
	free(c[0]);
	free(c[1]);
}

static void v_size(struct sh *sh, int argc, char **argv)
{
	(void)argc;
	if (!need_login(sh))
		return;
	char *p = sh_path(sh, argv[1]);
	int64_t size = -1;
	CURLcode rc = ftp_stat(sh->s, p, &size, NULL);
	free(p);
	if (rc != CURLE_OK) {
		char what[600];
		snprintf(what, sizeof what, "size %s", argv[1]);
		sh_fail_curl(sh, rc, what);
	} else if (size < 0) {
		sh_fail(sh, NT_EXIT_FAIL, "size %s: the server did not report a size (a folder?)", argv[1]);
	} else {
		printf("%lld\n", (long long)size);
	}
}

static void v_type(struct sh *sh, int argc, char **argv)
{
	const char *v = argv[0];
	if (!strcasecmp(v, "type")) {
		if (argc < 2) {
			printf("Using %s mode to transfer files.\n", ftp_cf.ascii ? "ascii" : "binary");
			return;
		}
		v = argv[1];
	}
	if (!strcasecmp(v, "ascii") || !strcasecmp(v, "a"))
		ftp_cf.ascii = 1;
	else if (!strcasecmp(v, "binary") || !strcasecmp(v, "image") || !strcasecmp(v, "i"))
		ftp_cf.ascii = 0;
	else
		sh_fail(sh, NT_EXIT_USAGE, "type: '%s' is not ascii or binary", v);
}

static void v_passive(struct sh *sh, int argc, char **argv)
{
	int active = argc > 1 ? !strcasecmp(argv[1], "off") : !ftp_cf.active;
	if (argc > 1 && strcasecmp(argv[1], "on") && strcasecmp(argv[1], "off")) {
		sh_fail(sh, NT_EXIT_USAGE, "passive: '%s' is not on or off", argv[1]);
		return;
	}
	if (active && ftp_cf.x.tls != XFER_TLS_NEVER) {
		sh_fail(sh, NT_EXIT_USAGE, "passive off: active mode needs --no-tls (libcurl hangs on active FTPS)");
		return;
	}
	ftp_cf.active = active;
	if (sh->tty)
		printf("Passive mode %s.\n", active ? "off" : "on");
}

static void v_bye(struct sh *sh, int argc, char **argv)
{
	(void)argc, (void)argv;
	sh->quit = 1;
}

static void v_help(struct sh *sh, int argc, char **argv);

static const struct verb {
	const char *name, *args, *help;
	int min, max; /* words after the verb */
	void (*fn)(struct sh *sh, int argc, char **argv);
} verbs[] = {
	{"open", "HOST [PORT]", "connect (and log in, unless -n)", 1, 2, v_open},
	{"user", "NAME [PASSWORD]", "log in as NAME (no PASSWORD: the usual sources, last a prompt; anonymous, ftp: none)", 1, 2, v_user},
	{"close", "", "log out", 0, 0, v_close},
	{"cd", "FOLDER", "change the remote folder", 1, 1, v_cd},
	{"cdup", "", "the remote folder above", 0, 0, v_cd},
	{"lcd", "[FOLDER]", "change the local folder", 0, 1, v_lcd},
	{"pwd", "", "the remote folder, as the server names it", 0, 0, v_pwd},
	{"ls", "[PATH]", "names in a folder (a glob: the matching paths)", 0, 1, v_ls},
	{"dir", "[PATH]", "long listing (LIST)", 0, 1, v_ls},
	{"get", "REMOTE [LOCAL]", "download one file", 1, 2, v_get},
	{"mget", "GLOB...", "download the matching files", 1, -1, v_mget},
	{"put", "LOCAL [REMOTE]", "upload one file", 1, 2, v_put},
	{"mput", "GLOB...", "upload the matching local files", 1, -1, v_mput},
	{"mkdir", "FOLDER", "create a remote folder", 1, 1, v_cmd},
	{"rmdir", "FOLDER", "remove an empty remote folder", 1, 1, v_cmd},
	{"delete", "FILE", "delete a remote file", 1, 1, v_cmd},
	{"rename", "FROM TO", "rename on the server", 2, 2, v_cmd},
	{"size", "FILE", "size in bytes", 1, 1, v_size},
	{"binary", "", "binary transfers (TYPE I, the default)", 0, 0, v_type},
	{"ascii", "", "ASCII transfers (TYPE A)", 0, 0, v_type},
	{"type", "[ascii|binary]", "show or set the transfer type", 0, 1, v_type},
	{"passive", "[on|off]", "passive data connections (toggle without a word)", 0, 1, v_passive},
	{"quote", "COMMAND...", "send a raw command, print the reply", 1, -1, v_cmd},
	{"literal", "COMMAND...", "same as quote", 1, -1, v_cmd},
	{"bye", "", "end the session", 0, 0, v_bye},
	{"quit", "", "end the session", 0, 0, v_bye},
	{"exit", "", "end the session", 0, 0, v_bye},
	{"help", "[VERB]", "this list (also ?)", 0, 1, v_help},
	{"?", "[VERB]", "this list", 0, 1, v_help},
};
#define NVERBS (sizeof verbs / sizeof *verbs)

static void v_help(struct sh *sh, int argc, char **argv)
{
	for (size_t i = 0; i < NVERBS; i++) {
		if (argc > 1 && strcasecmp(argv[1], verbs[i].name))
			continue;
		char left[64];
		snprintf(left, sizeof left, "%s %s", verbs[i].name, verbs[i].args);
		printf("  %-26s %s\n", left, verbs[i].help);
		if (argc > 1)
			return;
	}
	if (argc > 1)
		sh_fail(sh, NT_EXIT_USAGE, "help: no verb '%s'", argv[1]);
}

const char *ftp_shell_words(void)
{
	static char words[512];
	size_t w = 0;
	for (size_t i = 0; i < NVERBS && w < sizeof words; i++)
		if (strcmp(verbs[i].name, "?"))
			w += (size_t)snprintf(words + w, sizeof words - w, "%s%s", w ? " " : "", verbs[i].name);
	return words;
}

static void run_line(struct sh *sh, const char *line, size_t len)
{
	char buf[FTP_SH_LINE_MAX + 1];
	char *argv[FTP_SH_MAXARGS];
	const char *err;
	if (len > FTP_SH_LINE_MAX) {
		sh_fail(sh, NT_EXIT_USAGE, "a line of more than %d bytes: refused", FTP_SH_LINE_MAX);
		return;
	}
	int argc = ftp_sh_split(line, len, buf, sizeof buf, argv, FTP_SH_MAXARGS, &err);
	if (argc < 0) {
		sh_fail(sh, NT_EXIT_USAGE, "%s: the line is refused", err);
		return;
	}
	if (!argc)
		return;
	if (argv[0][0] == '!') {
		sh_fail(sh, NT_EXIT_USAGE, "%s: shell escapes are not supported", argv[0]);
		return;
	}
	const struct verb *v = NULL;
	for (size_t i = 0; i < NVERBS && !v; i++)
		if (!strcasecmp(argv[0], verbs[i].name))
			v = &verbs[i];
	if (!v) {
		sh_fail(sh, NT_EXIT_USAGE, "%s: no such verb (help lists them)", argv[0]);
		return;
	}
	if (argc - 1 < v->min || (v->max >= 0 && argc - 1 > v->max)) {
		sh_fail(sh, NT_EXIT_USAGE, "usage: %s %s", v->name, v->args);
		return;
	}
	ftp_cf.cmd_t0 = ftp_now_ms(); /* a summary's time: this line's */
	v->fn(sh, argc, argv);
	fflush(stdout);
}

int ftp_shell(const char *target)
{
	struct sh sh = {.cwd = xstrdup(""), .tty = isatty(0)};
	if (target) {
		char *one[] = {"open", (char *)target};
		v_open(&sh, 2, one);
	}
	char *line = NULL;
	size_t cap = 0;
	while (!sh.quit) {
		if (sh.tty) {
			fputs("ftp> ", stdout);
			fflush(stdout);
		}
		ssize_t n = getline(&line, &cap, stdin);
		if (n < 0)
			break;
		if (n && line[n - 1] == '\n')
			line[--n] = 0;
		if (n && line[n - 1] == '\r') /* a script written with CRLF */
			line[--n] = 0;
		run_line(&sh, line, (size_t)n);
	}
	if (sh.tty && !sh.quit)
		putchar('\n');
	free(line);
	free(sh.cwd);
	return sh.worst;
}
