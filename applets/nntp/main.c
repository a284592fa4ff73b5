/* SPDX-License-Identifier: MIT */
/* nntp - a scriptable NNTP client (RFC 3977) over our own sockets and OpenSSL:
 * caps, list, group, over, hdr, article/head/body/stat, post, pipelined fetch, read, shell.
 *
 * Man page: man/nettool-nntp.1    Tests: tests/integration/nntp*.sh, tests/unit/check_nntp.c
 * Files: conn.c (session), proto.c/over.c (parsers), zstream.c (COMPRESS DEFLATE),
 * fetch.c (pipelined download), interactive.c (read, shell).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "addr.h"
#include "json.h"
#include "log.h"
#include "nntp.h"
#include "nt_err.h"
#include "opt.h"
#include "out.h"
#include "over.h"
#include "proto.h"

struct nntp_cli nntp_cf;
struct afile *nntp_partial;

enum {
	O_JSON = OPT_LONG,
	O_COMPRESS,
	O_LAST,
	O_MBOX,
	O_STATE,
	O_WINDOW,
	O_PROGRESS,
};

static const struct opt opts[] = {
	{'s', "server", OPT_STR, "SERVER", "host[:port], nntp://host[:port] or nntps://host[:port]"},
	CONN_ROWS_IP,
	CONN_ROWS_VQ("show every protocol line (passwords masked)", "no progress or informational messages"),
	CONN_ROW_TIMEOUT("network timeout (default 30)"),
	{O_JSON, "json", OPT_FLAG, NULL, "one JSON object per line (caps, list, group, over, hdr, stat, post, fetch, date, newgroups, newnews, descriptions, xpat, ihave)"},
	CONN_ROWS_TLS,
	CONN_ROWS_AUTH("AUTHINFO USER/PASS as USER (password from file, netrc, env or tty)"),
	CONN_ROWS_PROXY,
	{O_COMPRESS, "compress", OPT_FLAG, NULL, "COMPRESS DEFLATE (RFC 8054) when the server offers it"},
	{O_LAST, "last", OPT_UINT, "N", "over, hdr: the last N articles; read: show N subjects (default 10)", 1, 1000000000},
	{'O', "output-dir", OPT_DIR, "DIR", "fetch: one file per article in DIR, named by number"},
	{O_MBOX, "mbox", OPT_FILE, "FILE", "fetch: append the articles to the mbox FILE"},
	{'o', "output", OPT_FILE, "FILE", "article, head, body: write to FILE (whole or not at all)"},
	{O_STATE, "state", OPT_FILE, "FILE", "fetch: high-water mark file (default DIR/.nntp-state)"},
	{O_WINDOW, "window", OPT_UINT, "N", "fetch: commands in flight (default 64)", 1, 1000},
	{O_PROGRESS, "progress", OPT_CHOICE, "MODE", "fetch: the progress meter (default: auto, a bar on a tty)", .values = "bar plain none auto"},
	{0},
};

/* NNTP has no bearer login (AUTHINFO USER/PASS, no SASL here): the OAuth2 options are
 * refused, not unknown. */
static const struct opt refused[] = {
	CONN_REFUSED_OAUTH2("NNTP servers have no OAuth2 login; it is for mail-send and mail-fetch"),
	{0},
};

static const struct opt_spec spec = {
	"[OPTIONS] COMMAND [ARGS]",
	opts,
	"Commands:\n"
	"  caps                                  the server's capabilities\n"
	"  list [active|newsgroups|overview.fmt] [WILDMAT]\n"
	"  group NAME                            print NAME COUNT FIRST LAST\n"
	"  over GROUP [RANGE] [--last N]         overview lines (tab-separated)\n"
	"  hdr HEADER GROUP [RANGE] [--last N]   one header of many articles (HDR, else XHDR)\n"
	"  article|head|body|stat GROUP NUMBER   or  article|head|body|stat <message-id>\n"
	"  post [FILE]                           post an article (stdin by default)\n"
	"  fetch GROUP [RANGE] -O DIR | --mbox FILE   download new articles, pipelined\n"
	"  read GROUP                            list subjects, ask which article to read\n"
	"  date                                  the server's time (UTC)\n"
	"  newgroups SINCE                       groups created since SINCE\n"
	"  newnews GROUPS SINCE                  message-ids of articles since SINCE (GROUPS: a wildmat)\n"
	"  descriptions [WILDMAT]                group descriptions (LIST NEWSGROUPS)\n"
	"  xpat HEADER GROUP RANGE PATTERN...    articles whose HEADER matches (XPAT, else HDR)\n"
	"  ihave [FILE]                          offer an article to a transit server (feeding)\n"
	"  shell                                 an interactive session with nntplib's verbs\n"
	"RANGE: N, N- or N-M. SINCE (UTC): YYYY-MM-DD[THH:MM[:SS]], YYYYMMDD[HHMMSS], or an age: 12h, 3d, 2w.\n"
	"SERVER: -s, else $NNTPSERVER, else localhost:119.\n",
	"caps list group over hdr article head body stat post fetch read shell date newgroups newnews descriptions xpat ihave",
	refused,
};

static void usage(const char *fmt, const char *a) __attribute__((noreturn));
static void usage(const char *fmt, const char *a)
{
	opt_usage_error(fmt, a);
}

void nntp_range(const char *arg, long long first, long long last, long long *lo, long long *hi)
{
	if (arg) {
		if (nntp_parse_range(arg, lo, hi) < 0)
			opt_usage_error("bad range '%s' (N, N- or N-M)", arg);
		if (*hi < 0)
			*hi = last;
		return;
	}
	*hi = last;
	*lo = first;
	if (nntp_cf.last && last - nntp_cf.last + 1 > first)
		*lo = last - nntp_cf.last + 1;
}

/* Print a multi-line reply with the same bound as fetch: as it came (an article to a file
 * or a pipe), or made safe for a terminal (out.h) when safe is set. */
void nntp_print_block(struct nntp *c, FILE *f, int safe)
{
	const char *p;
	size_t n;
	long long total = 0;
	while (nntp_line(c, &p, &n)) {
		total += (long long)n + 1;
		if (total > NNTP_MAX_ARTICLE)
			die(NT_EXIT_PROTO, "article from %s over %lld bytes: refused", c->host, NNTP_MAX_ARTICLE);
		if (safe) {
			out_line(f, p, n, OUT_KEEP_TAB);
			continue;
		}
		fwrite(p, 1, n, f);
		putc('\n', f);
	}
}

/* --- caps, list, group --- */
static int cmd_caps(struct nntp *c, int argc, char **argv)
{
	if (argc != 1)
		usage("caps takes no arguments%s", "");
	if (nntp_cmd(c, "CAPABILITIES") != 101)
		nntp_fail(c, "CAPABILITIES");
	const char *p;
	size_t n;
	while (nntp_line(c, &p, &n)) {
		if (!nntp_cf.json) {
			out_line(stdout, p, n, OUT_KEEP_TAB);
			continue;
		}
		size_t w = 0;
		while (w < n && p[w] != ' ')
			w++;
		size_t a = w;
		while (a < n && p[a] == ' ')
			a++;
		json_begin(stdout);
		json_kv_strn(stdout, "capability", p, w);
		json_kv_strn(stdout, "args", p + a, n - a);
		json_end(stdout);
	}
	return 0;
}

void nntp_print_list(struct nntp *c, int kind)
{
	const char *p;
	size_t n;
	while (nntp_line(c, &p, &n)) {
		if (!nntp_cf.json) {
			out_line(stdout, p, n, OUT_KEEP_TAB);
			continue;
		}
		json_begin(stdout);
		if (kind == 'o') {
			json_kv_strn(stdout, "field", p, n);
		} else if (kind == 'n') {
			/* The line is not NUL-terminated: scan within its n bytes. */
			size_t w = 0;
			while (w < n && p[w] != ' ' && p[w] != '\t')
				w++;
			size_t a = w;
			while (a < n && (p[a] == ' ' || p[a] == '\t'))
				a++;
			json_kv_strn(stdout, "group", p, w);
			json_kv_strn(stdout, "description", p + a, n - a);
		} else {
			/* "group last first status" */
			const char *f[4];
			size_t fl[4];
			int k = 0;
			size_t i = 0;
			while (k < 4 && i < n) {
				while (i < n && p[i] == ' ')
					i++;
				if (i >= n)
					break;
				f[k] = p + i;
				while (i < n && p[i] != ' ')
					i++;
				fl[k] = (size_t)(p + i - f[k]);
				k++;
			}
			long long hi = 0, lo = 0;
			if (k < 4 || nntp_parse_number(f[1], fl[1], &hi) < 0 || nntp_parse_number(f[2], fl[2], &lo) < 0)
				die(NT_EXIT_PROTO, "malformed LIST ACTIVE line from %s", c->host);
			json_kv_strn(stdout, "group", f[0], fl[0]);
			json_kv_int(stdout, "last", hi);
			json_kv_int(stdout, "first", lo);
			json_kv_strn(stdout, "status", f[3], fl[3]);
		}
		json_end(stdout);
	}
}

static int cmd_list(struct nntp *c, int argc, char **argv)
{
	const char *kw = argc > 1 ? argv[1] : "active";
	const char *wild = argc > 2 ? argv[2] : NULL;
	if (argc > 3)
		usage("list: too many arguments%s", "");
	int kind;
	if (!strcasecmp(kw, "active"))
		kind = 'a';
	else if (!strcasecmp(kw, "newsgroups"))
		kind = 'n';
	else if (!strcasecmp(kw, "overview.fmt"))
		kind = 'o';
	else
		usage("list: unknown list '%s' (active, newsgroups, overview.fmt)", kw);
	if (wild)
		nntp_need_arg('a', wild);
	/* An RFC 977 server (CAPABILITIES refused) knows only a bare LIST, which is LIST ACTIVE:
	 * send that, and fall back to it when LIST ACTIVE is refused as unknown (500, 501). */
	const char *sent = "LIST";
	int r;
	if (kind == 'a' && !wild && c->caps_refused)
		r = nntp_cmd(c, "LIST");
	else if (kind == 'o')
		r = nntp_cmd(c, "%s", sent = "LIST OVERVIEW.FMT");
	else if (wild)
		r = nntp_cmd(c, "LIST %s %s", sent = kind == 'a' ? "ACTIVE" : "NEWSGROUPS", wild);
	else
		r = nntp_cmd(c, "%s", sent = kind == 'a' ? "LIST ACTIVE" : "LIST NEWSGROUPS");
	if ((r == 500 || r == 501) && kind == 'a' && !wild && strcmp(sent, "LIST")) {
		log_info("%s refused LIST ACTIVE (%d): trying LIST", c->host, r);
		r = nntp_cmd(c, "%s", sent = "LIST");
	}
	if (r != 215)
		nntp_fail(c, sent);
	nntp_print_list(c, kind);
	return 0;
}

static int cmd_group(struct nntp *c, int argc, char **argv)
{
	if (argc != 2)
		usage("group takes one group name%s", "");
	long long count, first, last;
	nntp_group(c, argv[1], &count, &first, &last);
	if (nntp_cf.json) {
		json_begin(stdout);
		json_kv_str(stdout, "group", argv[1]);
		json_kv_int(stdout, "count", count);
		json_kv_int(stdout, "first", first);
		json_kv_int(stdout, "last", last);
		json_end(stdout);
	} else {
		printf("%s %lld %lld %lld\n", argv[1], count, first, last);
	}
	return 0;
}

/* --- over, hdr --- */
static int cmd_over(struct nntp *c, int argc, char **argv)
{
	if (argc < 2 || argc > 3)
		usage("over takes GROUP [RANGE]%s", "");
	nntp_need_arg('g', argv[1]);
	if (argc > 2)
		nntp_need_arg('a', argv[2]);
	struct over_fmt fmt;
	if (nntp_cf.json) {
		over_fmt_default(&fmt);
		if (nntp_cmd(c, "LIST OVERVIEW.FMT") == 215) {
			fmt.n = 0;
			const char *p;
			size_t n;
			while (nntp_line(c, &p, &n))
				over_fmt_add(&fmt, p, n);
		}
	}
	long long count, first, last, lo, hi;
	nntp_group(c, argv[1], &count, &first, &last);
	nntp_range(argc > 2 ? argv[2] : NULL, first, last, &lo, &hi);
	if (count == 0 || hi < lo)
		return 0;
	const char *verb = (c->caps & CAP_OVER) || !c->caps ? "OVER" : "XOVER";
	int r = nntp_cmd(c, "%s %lld-%lld", verb, lo, hi);
	if (r == 500 && !strcmp(verb, "OVER"))
		r = nntp_cmd(c, "XOVER %lld-%lld", lo, hi);
	if (r == 423)
		return 0; /* no articles in that range */
	if (r != 224)
		nntp_fail(c, "OVER");
	const char *p;
	size_t n;
	struct over_field f[OVER_MAX_FIELDS + 1];
	while (nntp_line(c, &p, &n)) {
		if (!nntp_cf.json) {
			out_line(stdout, p, n, OUT_KEEP_TAB);
			continue;
		}
		long long num;
		int k = over_split(p, n, f, OVER_MAX_FIELDS + 1, &num);
		if (k < 0)
			die(NT_EXIT_PROTO, "malformed overview line from %s", c->host);
		json_begin(stdout);
		json_kv_int(stdout, "number", num);
		for (int i = 1; i < k && i <= fmt.n; i++) {
			struct over_field v = over_value(&fmt, i, f[i]);
			/* JSON keys are snake_case in every applet (nettool(1)): Message-ID is message_id. */
			char key[OVER_MAX_NAME];
			size_t j = 0;
			for (; fmt.name[i - 1][j]; j++) {
				unsigned char ch = (unsigned char)fmt.name[i - 1][j];
				key[j] = isalnum(ch) ? (char)tolower(ch) : '_';
			}
			key[j] = 0;
			long long num2;
			if ((!strcmp(key, "bytes") || !strcmp(key, "lines")) && nntp_parse_number(v.p, v.n, &num2) == 0)
				json_kv_int(stdout, key, num2);
			else
				json_kv_strn(stdout, key, v.p, v.n);
		}
		json_end(stdout);
	}
	return 0;
}

int nntp_send_hdr(struct nntp *c, const char *header, long long lo, long long hi)
{
	int r = nntp_try_hdr(c, header, lo, hi);
	if (r < 0)
		nntp_fail(c, "HDR");
	return r;
}

int nntp_try_hdr(struct nntp *c, const char *header, long long lo, long long hi)
{
	int r = 500;
	if ((c->caps & CAP_HDR) || !c->caps)
		r = nntp_cmd(c, "HDR %s %lld-%lld", header, lo, hi);
	if (r == 500)
		r = nntp_cmd(c, "XHDR %s %lld-%lld", header, lo, hi);
	if (r == 423)
		return 0;
	if (r != 225 && r != 221)
		return -1;
	return 1;
}

static int cmd_hdr(struct nntp *c, int argc, char **argv)
{
	if (argc < 3 || argc > 4)
		usage("hdr takes HEADER GROUP [RANGE]%s", "");
	nntp_need_arg('h', argv[1]);
	nntp_need_arg('g', argv[2]);
	if (argc > 3)
		nntp_need_arg('a', argv[3]);
	long long count, first, last, lo, hi;
	nntp_group(c, argv[2], &count, &first, &last);
	nntp_range(argc > 3 ? argv[3] : NULL, first, last, &lo, &hi);
	if (count == 0 || hi < lo || !nntp_send_hdr(c, argv[1], lo, hi))
		return 0;
	const char *p;
	size_t n;
	while (nntp_line(c, &p, &n)) {
		if (!nntp_cf.json) {
			out_line(stdout, p, n, OUT_KEEP_TAB);
			continue;
		}
		size_t w = 0;
		while (w < n && p[w] != ' ')
			w++;
		long long num;
		if (nntp_parse_number(p, w, &num) < 0)
			die(NT_EXIT_PROTO, "malformed HDR line from %s", c->host);
		size_t a = w < n ? w + 1 : n;
		json_begin(stdout);
		json_kv_int(stdout, "number", num);
		json_kv_strn(stdout, "value", p + a, n - a);
		json_end(stdout);
	}
	return 0;
}

/* --- article, head, body, stat --- */
static void at_exit_partial(void)
{
	if (nntp_partial) {
		afile_abort(nntp_partial);
		nntp_partial = NULL;
	}
}

static int cmd_article(struct nntp *c, int argc, char **argv)
{
	const char *verb = !strcmp(argv[0], "article") ? "ARTICLE"
			 : !strcmp(argv[0], "head") ? "HEAD"
			 : !strcmp(argv[0], "body") ? "BODY" : "STAT";
	int want = !strcmp(verb, "ARTICLE") ? 220 : !strcmp(verb, "HEAD") ? 221 : !strcmp(verb, "BODY") ? 222 : 223;
	const char *ref;
	if (argc == 2 && argv[1][0] == '<') {
		nntp_need_arg('m', argv[1]);
		ref = argv[1];
	} else if (argc == 3) {
		nntp_need_arg('g', argv[1]);
		long long num;
		if (nntp_parse_number(argv[2], strlen(argv[2]), &num) < 0)
			usage("bad article number '%s'", argv[2]);
		ref = argv[2];
	} else {
		usage("%s takes GROUP NUMBER or <message-id>", argv[0]);
	}
	struct afile af;
	FILE *out = stdout;
	if (nntp_cf.output && want != 223) {
		char err[512];
		if (afile_open(&af, NULL, nntp_cf.output, 0644, err, sizeof err) < 0)
			die(NT_EXIT_IO, "%s", err);
		nntp_partial = &af;
		out = fdopen(dup(af.fd), "w");
		if (!out)
			die_sys(NT_EXIT_IO, "%s", nntp_cf.output);
	}
	if (argc == 3)
		nntp_group(c, argv[1], NULL, NULL, NULL);
	int r = nntp_cmd(c, "%s %s", verb, ref);
	if (r != want) {
		char w[600];
		snprintf(w, sizeof w, "%s %s", verb, ref);
		nntp_fail(c, w);
	}
	if (want == 223) {
		/* "223 n <message-id>" */
		if (nntp_cf.json) {
			long long num = 0;
			size_t w = strcspn(c->text, " ");
			nntp_parse_number(c->text, w, &num);
			const char *id = c->text[w] ? c->text + w + 1 : "";
			json_begin(stdout);
			json_kv_int(stdout, "number", num);
			json_kv_strn(stdout, "message_id", id, strcspn(id, " "));
			json_end(stdout);
		} else {
			size_t w = strcspn(c->text, " ");
			const char *id = c->text[w] ? c->text + w + 1 : "";
			printf("%.*s %.*s\n", (int)w, c->text, (int)strcspn(id, " "), id);
		}
		return 0;
	}
	/* The article's bytes as they came, except to a terminal (out.h). */
	nntp_print_block(c, out, out == stdout && isatty(1));
	if (out != stdout) {
		char err[512];
		if (fclose(out) != 0)
			die_sys(NT_EXIT_IO, "%s", nntp_cf.output);
		if (afile_commit(&af, err, sizeof err) < 0)
			die(NT_EXIT_IO, "%s", err);
		nntp_partial = NULL;
	}
	return 0;
}

/* --- post --- */
char *nntp_read_article(const char *path, size_t *len)
{
	FILE *f = path && strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f)
		die_sys(NT_EXIT_IO, "%s", path);
	size_t cap = 65536, n = 0;
	char *b = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			if ((long long)cap >= NNTP_MAX_ARTICLE)
				die(NT_EXIT_USAGE, "article over %lld bytes: refused", NNTP_MAX_ARTICLE);
			cap *= 2;
			b = xrealloc(b, cap);
		}
		size_t r = fread(b + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	if (ferror(f))
		die_sys(NT_EXIT_IO, "%s", path ? path : "stdin");
	if (f != stdin)
		fclose(f);
	*len = n;
	return b;
}

/* The domain of the From address, for a Message-ID. */
static void from_domain(const char *art, size_t len, char *out, size_t n)
{
	snprintf(out, n, "nettool.invalid");
	size_t i = 0;
	while (i < len) {
		const char *e = memchr(art + i, '\n', len - i);
		size_t l = e ? (size_t)(e - (art + i)) : len - i;
		if (l == 0 || (l == 1 && art[i] == '\r'))
			return;
		if (l > 5 && !strncasecmp(art + i, "From:", 5)) {
			const char *at = memchr(art + i, '@', l);
			if (!at)
				return;
			size_t k = 0;
			at++;
			while (at + k < art + i + l && (isalnum((unsigned char)at[k]) || at[k] == '.' || at[k] == '-') &&
			       k + 1 < n)
				k++;
			if (k > 0)
				snprintf(out, n, "%.*s", (int)k, at);
			return;
		}
		if (!e)
			return;
		i += l + 1;
	}
}

/* Send an article after a 340 or 335: extra (our header lines, CRLF-ended) first, then
 * the article with CRLF line ends and dot-stuffing, then the final dot. */
void nntp_send_article(struct nntp *c, const char *extra, const char *art, size_t len)
{
	/* Our headers first, then the article: CRLF line ends and dot-stuffing done here. */
	struct stream *s = c->s;
	int ok = stream_queue(s, extra, strlen(extra));
	size_t i = 0;
	while (ok == 0 && i < len) {
		const char *e = memchr(art + i, '\n', len - i);
		size_t l = e ? (size_t)(e - (art + i)) : len - i;
		size_t t = l && art[i + l - 1] == '\r' ? l - 1 : l;
		if (t && art[i] == '.')
			ok = stream_queue(s, ".", 1);
		if (ok == 0)
			ok = stream_queue(s, art + i, t);
		if (ok == 0)
			ok = stream_queue(s, "\r\n", 2);
		i += l + (e ? 1 : 0);
		if (ok == 0 && buf_pending(&s->out) > 65536)
			ok = stream_flush(s);
	}
	if (ok == 0)
		ok = stream_queue(s, ".\r\n", 3);
	if (ok == 0)
		ok = stream_flush(s);
	if (ok < 0)
		die(NT_EXIT_NET, "sending the article to %s: %s", c->host, s->err);
	if (s->trace)
		s->trace('>', "(article sent)", 14);
}

static int cmd_post(struct nntp *c, int argc, char **argv)
{
	if (argc > 2)
		usage("post takes at most one FILE%s", "");
	size_t len;
	char *art = nntp_read_article(argc > 1 ? argv[1] : NULL, &len);
	if (memchr(art, 0, len))
		die(NT_EXIT_USAGE, "the article contains a NUL byte: refused");
	static const char *need[] = {"Newsgroups", "From", "Subject"};
	for (int i = 0; i < 3; i++)
		if (!nntp_has_header(art, len, need[i]))
			die(NT_EXIT_USAGE, "the article has no %s header", need[i]);
	char extra[512] = "";
	char msgid[300] = "";
	if (!nntp_has_header(art, len, "Date")) {
		char d[64];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		static const char *wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
		static const char *mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
		snprintf(d, sizeof d, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon],
			 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
		snprintf(extra, sizeof extra, "Date: %s\r\n", d);
	}
	if (!nntp_has_header(art, len, "Message-ID")) {
		char dom[256];
		from_domain(art, len, dom, sizeof dom);
		unsigned rnd = 0;
		FILE *u = fopen("/dev/urandom", "rb");
		if (u) {
			if (fread(&rnd, sizeof rnd, 1, u) != 1)
				rnd = (unsigned)getpid();
			fclose(u);
		}
		snprintf(msgid, sizeof msgid, "<nettool.%lld.%d.%08x@%s>", (long long)time(NULL), (int)getpid(), rnd, dom);
		size_t el = strlen(extra);
		snprintf(extra + el, sizeof extra - el, "Message-ID: %s\r\n", msgid);
	}
	int r = nntp_cmd(c, "POST");
	if (r != 340)
		nntp_fail(c, "POST");
	nntp_send_article(c, extra, art, len);
	free(art);
	r = nntp_status(c);
	if (r != 240)
		die(NT_EXIT_FAIL, "%s refused the article: %d %s", c->host, r, c->text);
	/* Ours, else what the server names ("240 Article received <id>"), if anything. */
	const char *id = msgid;
	size_t idlen = strlen(msgid);
	const char *lt = strchr(c->text, '<');
	if (!idlen && lt && strchr(lt, '>'))
		id = lt, idlen = (size_t)(strchr(lt, '>') - lt + 1);
	if (nntp_cf.json) {
		json_begin(stdout);
		json_kv_int(stdout, "code", r);
		if (idlen)
			json_kv_strn(stdout, "message_id", id, idlen);
		else
			json_kv_str(stdout, "message_id", NULL);
		json_end(stdout);
	} else if (idlen) {
		printf("%.*s\n", (int)idlen, id);
	}
	log_info("posted: %d %s", r, c->text);
	return 0;
}

/* Operands checked before anything is sent (CR, LF, spaces, bad ranges: exit 2). */
static void precheck(int argc, char **argv)
{
	const char *cmd = argv[0];
	char err[200];
	int kinds[4] = {0};
	if (!strcmp(cmd, "group") || !strcmp(cmd, "read"))
		kinds[1] = 'g';
	else if (!strcmp(cmd, "over") || !strcmp(cmd, "fetch"))
		kinds[1] = 'g', kinds[2] = 'r';
	else if (!strcmp(cmd, "hdr"))
		kinds[1] = 'h', kinds[2] = 'g', kinds[3] = 'r';
	else if (!strcmp(cmd, "article") || !strcmp(cmd, "head") || !strcmp(cmd, "body") || !strcmp(cmd, "stat"))
		kinds[1] = argc == 2 ? 'm' : 'g', kinds[2] = 'n';
	else if (!strcmp(cmd, "list"))
		kinds[2] = 'a';
	else if (!strcmp(cmd, "newnews") || !strcmp(cmd, "descriptions"))
		kinds[1] = 'a';
	else if (!strcmp(cmd, "xpat"))
		kinds[1] = 'h', kinds[2] = argc > 2 && argv[2][0] == '<' ? 'm' : 'g', kinds[3] = kinds[2] == 'm' ? 'a' : 'r';
	for (int i = 1; i < argc && i < 4; i++) {
		long long a, b;
		if (!kinds[i])
			continue;
		if (kinds[i] == 'r' || kinds[i] == 'n') {
			int bad = kinds[i] == 'r' ? nntp_parse_range(argv[i], &a, &b) < 0
						  : nntp_parse_number(argv[i], strlen(argv[i]), &a) < 0;
			if (bad)
				die(NT_EXIT_USAGE, "bad %s '%s'", kinds[i] == 'r' ? "range (N, N- or N-M)" : "article number",
				    argv[i]);
		} else if (nntp_check_arg(kinds[i], argv[i], err, sizeof err) < 0) {
			die(NT_EXIT_USAGE, "%s", err);
		}
	}
	/* xpat's patterns past the first three operands; newnews' and newgroups' SINCE. */
	if (!strcmp(cmd, "xpat"))
		for (int i = 4; i < argc; i++)
			if (nntp_check_arg('a', argv[i], err, sizeof err) < 0)
				die(NT_EXIT_USAGE, "%s", err);
	const char *since = !strcmp(cmd, "newgroups") && argc == 2 ? argv[1]
			  : !strcmp(cmd, "newnews") && argc == 3 ? argv[2] : NULL;
	long long t;
	if (since && nntp_parse_since(since, (long long)time(NULL), &t) < 0)
		die(NT_EXIT_USAGE, "bad time '%s' (YYYY-MM-DD[THH:MM[:SS]], YYYYMMDD[HHMMSS] or an age: 12h, 3d, 2w; UTC)",
		    since);
}

/* The account (account.h): --account, else [default] when it names this server (-s) or
 * none was given; its url comes before $NNTPSERVER. */
static void use_account(struct nntp_opts *o)
{
	const char *target = NULL, *srv = o->server;
	struct url u;
	struct addr a;
	char err[ADDR_ERRLEN];
	if (srv && *srv && url_is(srv) && url_parse(srv, &u, err) == 0)
		target = u.host;
	else if (srv && *srv && !url_is(srv) && addr_parse(srv, 119, &a, err) == 0)
		target = a.host;
	const char *cli_user = o->c.user;
	const struct account *acc = conn_account(&o->c, "nntp nntps news snews", target, NULL);
	if (acc && !(srv && *srv) && acc->v[ACC_URL])
		o->server = acc->v[ACC_URL];
	if (o->c.user != cli_user)
		o->acc_user = o->c.user, o->c.user = cli_user;
}

int nntp_main(int argc, char **argv)
{
	memset(&nntp_cf, 0, sizeof nntp_cf);
	nntp_cf.o.c.timeout_ms = 30000;
	nntp_cf.window = 64;
	nntp_cf.progress = PROGRESS_AUTO;
	struct opt_state os;
	opt_init(&os, &spec, argc, argv);
	for (int k; (k = opt_next(&os)) != -1;) {
		if (conn_opt(&nntp_cf.o.c, k, &os))
			continue;
		switch (k) {
		case 's': nntp_cf.o.server = os.str; break;
		case O_JSON: nntp_cf.json = 1; break;
		case O_COMPRESS: nntp_cf.o.compress = 1; break;
		case O_LAST: nntp_cf.last = os.num; break;
		case 'O': nntp_cf.outdir = os.str; break;
		case O_MBOX: nntp_cf.mbox = os.str; break;
		case 'o': nntp_cf.output = os.str; break;
		case O_STATE: nntp_cf.state = os.str; break;
		case O_WINDOW: nntp_cf.window = (int)os.num; break;
		case O_PROGRESS:
			if (progress_parse_mode(os.str, &nntp_cf.progress) < 0)
				opt_usage_error("--progress: bar, plain, none or auto, not '%s'", os.str);
			break;
		}
	}
	conn_opts_finish(&nntp_cf.o.c, CONN_PROXY_OWN);
	use_account(&nntp_cf.o);
	argc -= os.ind;
	argv += os.ind;
	if (argc < 1)
		opt_usage_error("a command is needed (caps, list, group, over, hdr, article, post, fetch, read, shell, date, "
				"newgroups, newnews, descriptions, xpat, ihave)");
	static const struct {
		const char *name;
		int (*fn)(struct nntp *, int, char **);
	} cmds[] = {
		{"caps", cmd_caps},       {"list", cmd_list},       {"group", cmd_group},  {"over", cmd_over},
		{"hdr", cmd_hdr},         {"article", cmd_article}, {"head", cmd_article}, {"body", cmd_article},
		{"stat", cmd_article},    {"post", cmd_post},       {"fetch", nntp_cmd_fetch},
		{"read", nntp_cmd_read},  {"shell", nntp_cmd_shell},
		{"date", nntp_cmd_date},  {"newgroups", nntp_cmd_newgroups}, {"newnews", nntp_cmd_newnews},
		{"descriptions", nntp_cmd_descriptions}, {"ihave", nntp_cmd_ihave}, {"xpat", nntp_cmd_xpat},
	};
	int (*fn)(struct nntp *, int, char **) = NULL;
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (!strcmp(argv[0], cmds[i].name))
			fn = cmds[i].fn;
	if (!fn)
		opt_usage_error("unknown command '%s'", argv[0]);
	/* Per-command option checks, before anything is sent. */
	int is_fetch = fn == nntp_cmd_fetch;
	if ((nntp_cf.outdir || nntp_cf.mbox || nntp_cf.state) && !is_fetch)
		opt_usage_error("-O, --mbox and --state go with fetch");
	if (is_fetch && !!nntp_cf.outdir == !!nntp_cf.mbox)
		opt_usage_error("fetch needs exactly one of -O DIR and --mbox FILE");
	if (nntp_cf.output && (fn != cmd_article || !strcmp(argv[0], "stat")))
		opt_usage_error("-o goes with article, head and body");
	/* --json where a command has results to report, refused (never ignored) elsewhere:
	 * an article is printed as it is, read and shell are for a person. */
	if (nntp_cf.json && ((fn == cmd_article && strcmp(argv[0], "stat")) || fn == nntp_cmd_read || fn == nntp_cmd_shell))
		opt_usage_error("--json goes with every command but article, head, body, read and shell, not %s", argv[0]);
	if (nntp_cf.last && fn != cmd_over && fn != cmd_hdr && fn != nntp_cmd_read)
		opt_usage_error("--last goes with over, hdr and read");
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	if (fn == nntp_cmd_read || fn == nntp_cmd_shell)
		setvbuf(stdout, NULL, _IOLBF, 0);
	precheck(argc, argv);
	atexit(at_exit_partial);
	if (fn == nntp_cmd_ihave)
		nntp_cf.o.transit = 1; /* a transit server takes IHAVE; MODE READER would leave it */
	struct nntp c;
	nntp_open(&c, &nntp_cf.o);
	int rc = fn(&c, argc, argv);
	nntp_quit(&c);
	nt_exit(rc);
}
