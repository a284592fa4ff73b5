/* SPDX-License-Identifier: MIT */
/* interactive.c - nntp read (the textbook's program: the last N subjects, "Which article
 * do you want to read?", the body, then n/p/NUMBER/q) and nntp shell (nntplib's verbs
 * typed one per line, replies printed as they come). Both read their input line by line
 * from stdin, so a script can drive them.
 *
 * Header: applets/nntp/nntp.h    Tests: tests/integration/nntp.sh (read, shell)
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "nntp.h"
#include "nt_err.h"
#include "opt.h"
#include "out.h"
#include "over.h"
#include "proto.h"

/* One line from stdin without its newline (bounded); NULL at end of input. */
static char *input(const char *prompt, char *line, size_t n)
{
	if (prompt) {
		fputs(prompt, stdout);
		fflush(stdout);
	}
	if (!fgets(line, (int)n, stdin))
		return NULL;
	size_t l = strlen(line);
	if (l && line[l - 1] != '\n' && !feof(stdin)) {
		int ch;
		while ((ch = getchar()) != EOF && ch != '\n')
			; /* an over-long line is cut */
	}
	while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
		line[--l] = 0;
	char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* BODY of the current or a given article; 0 when the server has no such article. */
static int show_body(struct nntp *c, const char *ref)
{
	int r = ref ? nntp_cmd(c, "BODY %s", ref) : nntp_cmd(c, "BODY");
	if (r == 222) {
		nntp_print_block(c, stdout, 1);
		fflush(stdout);
		return 1;
	}
	if (r == 423 || r == 420 || r == 430) {
		printf("No such article%s%s.\n", ref ? " " : "", ref ? ref : "");
		return 0;
	}
	nntp_fail(c, "BODY");
}

/* No HDR or XHDR: the subjects from the overview (its first field after the number), as
 * "NUMBER SUBJECT" lines, the form HDR gives. */
static void subjects_from_over(struct nntp *c, long long lo, long long hi)
{
	int hdr_code = c->code;
	char hdr_text[120];
	snprintf(hdr_text, sizeof hdr_text, "%s", c->text);
	int r = 500;
	if ((c->caps & CAP_OVER) || !c->caps)
		r = nntp_cmd(c, "OVER %lld-%lld", lo, hi);
	if (r == 500)
		r = nntp_cmd(c, "XOVER %lld-%lld", lo, hi);
	if (r == 423)
		return;
	if (r != 224) {
		c->code = hdr_code;
		snprintf(c->text, sizeof c->text, "%s", hdr_text);
		nntp_fail(c, "HDR (and OVER)");
	}
	const char *p;
	size_t n;
	struct over_field f[3];
	while (nntp_line(c, &p, &n)) {
		long long num;
		int k = over_split(p, n, f, 3, &num);
		if (k < 2)
			die(NT_EXIT_PROTO, "malformed overview line from %s", c->host);
		printf("%lld ", num);
		out_line(stdout, f[1].p, f[1].n, 0);
	}
}

int nntp_cmd_read(struct nntp *c, int argc, char **argv)
{
	if (argc != 2)
		opt_usage_error("read takes one GROUP");
	const char *group = argv[1];
	long long count, first, last;
	nntp_group(c, group, &count, &first, &last);
	printf("Group %s has %lld articles, range %lld to %lld\n", group, count, first, last);
	if (count == 0)
		return 0;
	long long n = nntp_cf.last ? nntp_cf.last : 10;
	long long lo = last - n + 1 > first ? last - n + 1 : first;
	int h = nntp_try_hdr(c, "Subject", lo, last);
	if (h > 0)
		nntp_print_block(c, stdout, 1);
	else if (h < 0)
		subjects_from_over(c, lo, last);
	char buf[256];
	char *l = input("Which article do you want to read? ", buf, sizeof buf);
	if (!l) {
		putchar('\n');
		return 0;
	}
	for (;;) {
		long long num;
		if (!*l || !strcasecmp(l, "q") || !strcasecmp(l, "quit")) {
			if (*l)
				break;
		} else if (!strcasecmp(l, "n") || !strcasecmp(l, "next") || !strcasecmp(l, "p") ||
			   !strcasecmp(l, "prev") || !strcasecmp(l, "previous")) {
			int next = tolower((unsigned char)l[0]) == 'n';
			int r = nntp_cmd(c, next ? "NEXT" : "LAST");
			if (r == 223)
				show_body(c, NULL);
			else if (r == 421 || r == 422)
				printf("No %s article.\n", next ? "next" : "previous");
			else if (r == 420)
				printf("No current article: give a number first.\n");
			else
				nntp_fail(c, next ? "NEXT" : "LAST");
		} else if (nntp_parse_number(l, strlen(l), &num) == 0) {
			show_body(c, l);
		} else {
			printf("Type n (next), p (previous), an article number, or q (quit).\n");
		}
		l = input("[n]ext, [p]revious, number or [q]uit? ", buf, sizeof buf);
		if (!l) {
			putchar('\n');
			break;
		}
	}
	return 0;
}

/* --- shell --- */
static void print_status(struct nntp *c)
{
	printf("%d %s\n", c->code, c->text);
}

static void post_from_stdin(struct nntp *c)
{
	int r = nntp_cmd(c, "POST");
	print_status(c);
	if (r != 340)
		return;
	printf("(type the article; a line with a single '.' ends it)\n");
	fflush(stdout);
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	struct stream *s = c->s;
	int ok = 0;
	long long total = 0;
	/* Whole lines of any length (a long line split in two could end the article early). */
	while (ok == 0 && (got = getline(&line, &cap, stdin)) >= 0) {
		size_t l = (size_t)got;
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = 0;
		total += (long long)l + 2;
		if (total > NNTP_MAX_ARTICLE)
			die(NT_EXIT_USAGE, "the article is over %lld bytes", NNTP_MAX_ARTICLE);
		if (!strcmp(line, "."))
			break;
		if (line[0] == '.')
			ok = stream_queue(s, ".", 1);
		if (ok == 0)
			ok = stream_queue(s, line, l);
		if (ok == 0)
			ok = stream_queue(s, "\r\n", 2);
	}
	free(line);
	if (ok == 0)
		ok = stream_queue(s, ".\r\n", 3);
	if (ok == 0)
		ok = stream_flush(s);
	if (ok < 0)
		die(NT_EXIT_NET, "sending the article: %s", s->err);
	nntp_status(c);
	print_status(c);
}

int nntp_cmd_shell(struct nntp *c, int argc, char **argv)
{
	if (argc != 1)
		opt_usage_error("shell takes no arguments");
	int tty = isatty(0);
	char buf[1024];
	printf("Connected to %s (%s). Verbs: group next last stat head body article over xhdr xpat list descriptions "
	       "newgroups newnews date post quit\n",
	       c->host, c->encrypted ? "TLS" : "no TLS");
	for (;;) {
		char *l = input(tty ? "nntp> " : NULL, buf, sizeof buf);
		if (!l)
			break;
		if (!*l || *l == '#')
			continue;
		char *w[8] = {0};
		int n = 0;
		for (char *t = strtok(l, " \t"); t && n < 8; t = strtok(NULL, " \t"))
			w[n++] = t;
		if (strtok(NULL, " \t")) {
			printf("too many arguments\n");
			continue;
		}
		int bad = 0;
		for (int i = 1; i < n; i++) {
			char err[200];
			if (nntp_check_arg(w[i][0] == '<' ? 'm' : 'a', w[i], err, sizeof err) < 0) {
				printf("%s\n", err);
				bad = 1;
				break;
			}
		}
		if (bad)
			continue;
		const char *v = w[0];
		const char *a1 = n > 1 ? w[1] : NULL, *a2 = n > 2 ? w[2] : NULL, *a3 = n > 3 ? w[3] : NULL;
		char since[32];
		int multi = 0, r;
		if (!strcasecmp(v, "quit") || !strcasecmp(v, "exit")) {
			break;
		} else if (!strcasecmp(v, "help") || !strcmp(v, "?")) {
			printf("group NAME | next | last | stat|head|body|article [NUMBER|<id>] | over [RANGE] |\n"
			       "xhdr HEADER [RANGE] | xpat HEADER RANGE|<id> PATTERN... | list [KEYWORD [WILDMAT]] |\n"
			       "descriptions [WILDMAT] | newgroups SINCE | newnews WILDMAT SINCE | date | post | quit\n"
			       "SINCE (UTC): YYYY-MM-DD[THH:MM[:SS]], YYYYMMDD[HHMMSS], or an age: 12h, 3d, 2w\n");
			continue;
		} else if (!strcasecmp(v, "date") && !a1) {
			r = nntp_cmd(c, "DATE");
		} else if ((!strcasecmp(v, "newgroups") && a1 && !a2) || (!strcasecmp(v, "newnews") && a2 && !a3)) {
			long long t;
			int groups = !strcasecmp(v, "newgroups");
			if (nntp_parse_since(groups ? a1 : a2, (long long)time(NULL), &t) < 0) {
				printf("bad time '%s' (YYYY-MM-DD[THH:MM[:SS]], YYYYMMDD[HHMMSS], 12h, 3d, 2w)\n", groups ? a1 : a2);
				continue;
			}
			nntp_format_since(t, since, sizeof since);
			r = groups ? nntp_cmd(c, "NEWGROUPS %s GMT", since) : nntp_cmd(c, "NEWNEWS %s %s GMT", a1, since);
			multi = r == 231 || r == 230;
		} else if (!strcasecmp(v, "descriptions") && !a2) {
			r = a1 ? nntp_cmd(c, "LIST NEWSGROUPS %s", a1) : nntp_cmd(c, "LIST NEWSGROUPS");
			multi = r == 215;
		} else if (!strcasecmp(v, "xpat") && a3) {
			char line[600];
			size_t k = (size_t)snprintf(line, sizeof line, "XPAT");
			for (int i = 1; i < n && k < sizeof line; i++)
				k += (size_t)snprintf(line + k, sizeof line - k, " %s", w[i]);
			if (k >= 512) {
				printf("the command is over 512 bytes\n");
				continue;
			}
			r = nntp_cmd(c, "%s", line);
			multi = r == 221;
		} else if (!strcasecmp(v, "group") && a1 && !a2) {
			r = nntp_cmd(c, "GROUP %s", a1);
		} else if ((!strcasecmp(v, "next") || !strcasecmp(v, "last")) && !a1) {
			r = nntp_cmd(c, "%s", !strcasecmp(v, "next") ? "NEXT" : "LAST");
		} else if ((!strcasecmp(v, "stat") || !strcasecmp(v, "head") || !strcasecmp(v, "body") ||
			    !strcasecmp(v, "article")) && !a2) {
			char V[8];
			size_t k = 0;
			for (; v[k] && k < 7; k++)
				V[k] = (char)toupper((unsigned char)v[k]);
			V[k] = 0;
			r = a1 ? nntp_cmd(c, "%s %s", V, a1) : nntp_cmd(c, "%s", V);
			multi = (r == 220 && V[0] == 'A') || (r == 221 && V[0] == 'H') || (r == 222 && V[0] == 'B');
		} else if (!strcasecmp(v, "over") && !a2) {
			const char *verb = (c->caps & CAP_OVER) || !c->caps ? "OVER" : "XOVER";
			r = a1 ? nntp_cmd(c, "%s %s", verb, a1) : nntp_cmd(c, "%s", verb);
			multi = r == 224;
		} else if ((!strcasecmp(v, "xhdr") || !strcasecmp(v, "hdr")) && a1) {
			const char *verb = (c->caps & CAP_HDR) || !c->caps ? "HDR" : "XHDR";
			r = a2 ? nntp_cmd(c, "%s %s %s", verb, a1, a2) : nntp_cmd(c, "%s %s", verb, a1);
			multi = r == 225 || r == 221;
		} else if (!strcasecmp(v, "list")) {
			if (a2)
				r = nntp_cmd(c, "LIST %s %s", a1, a2);
			else if (a1)
				r = nntp_cmd(c, "LIST %s", a1);
			else
				r = nntp_cmd(c, "LIST");
			multi = r == 215;
		} else if (!strcasecmp(v, "post") && !a1) {
			post_from_stdin(c);
			continue;
		} else {
			printf("unknown verb or wrong arguments: %s (try help)\n", v);
			continue;
		}
		print_status(c);
		if (multi)
			nntp_print_block(c, stdout, 1);
		fflush(stdout);
	}
	return 0;
}
