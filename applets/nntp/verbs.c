/* SPDX-License-Identifier: MIT */
/* verbs.c - the rest of nntplib's verbs: date (DATE), newgroups (NEWGROUPS), newnews
 * (NEWNEWS), descriptions (LIST NEWSGROUPS, else XGTITLE), ihave (IHAVE, for feeding a
 * server) and xpat (XPAT, else HDR matched here with the same wildmat). Each prints text
 * or, with --json, one object per line.
 *
 * Header: applets/nntp/nntp.h    Man page: man/nettool-nntp.1
 * Tests: tests/integration/nntp_verbs.sh, tests/unit/check_nntp.c
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "log.h"
#include "nntp.h"
#include "nt_err.h"
#include "opt.h"
#include "out.h"
#include "proto.h"

/* SINCE from the command line, as "yyyymmdd hhmmss" (the NEWNEWS / NEWGROUPS form). */
static void since_arg(const char *s, char *out, size_t n)
{
	long long t;
	if (nntp_parse_since(s, (long long)time(NULL), &t) < 0)
		opt_usage_error("bad time '%s' (YYYY-MM-DD[THH:MM[:SS]], YYYYMMDD[HHMMSS] or an age: 12h, 3d, 2w; UTC)", s);
	nntp_format_since(t, out, n);
}

int nntp_cmd_date(struct nntp *c, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		opt_usage_error("date takes no arguments");
	if (nntp_cmd(c, "DATE") != 111)
		nntp_fail(c, "DATE");
	long long t;
	if (nntp_parse_date(c->text, strlen(c->text), &t) < 0)
		die(NT_EXIT_PROTO, "malformed DATE reply from %s: '111 %.40s'", c->host, c->text);
	char iso[32];
	nntp_format_iso(t, iso, sizeof iso);
	if (nntp_cf.json) {
		json_begin(stdout);
		json_kv_str(stdout, "date", iso);
		json_kv_int(stdout, "epoch", t);
		json_end(stdout);
	} else {
		printf("%s\n", iso);
	}
	return 0;
}

int nntp_cmd_newgroups(struct nntp *c, int argc, char **argv)
{
	if (argc != 2)
		opt_usage_error("newgroups takes SINCE");
	char since[32];
	since_arg(argv[1], since, sizeof since);
	if (nntp_cmd(c, "NEWGROUPS %s GMT", since) != 231)
		nntp_fail(c, "NEWGROUPS");
	nntp_print_list(c, 'a'); /* the lines of LIST ACTIVE */
	return 0;
}

int nntp_cmd_newnews(struct nntp *c, int argc, char **argv)
{
	if (argc != 3)
		opt_usage_error("newnews takes GROUPS (a wildmat) and SINCE");
	nntp_need_arg('a', argv[1]);
	char since[32];
	since_arg(argv[2], since, sizeof since);
	if (nntp_cmd(c, "NEWNEWS %s %s GMT", argv[1], since) != 230)
		nntp_fail(c, "NEWNEWS");
	const char *p;
	size_t n;
	while (nntp_line(c, &p, &n)) {
		if (!nntp_cf.json) {
			out_line(stdout, p, n, 0);
			continue;
		}
		json_begin(stdout);
		json_kv_strn(stdout, "message_id", p, n);
		json_end(stdout);
	}
	return 0;
}

int nntp_cmd_descriptions(struct nntp *c, int argc, char **argv)
{
	if (argc > 2)
		opt_usage_error("descriptions takes at most one WILDMAT");
	const char *wild = argc > 1 ? argv[1] : NULL;
	if (wild)
		nntp_need_arg('a', wild);
	int r = wild ? nntp_cmd(c, "LIST NEWSGROUPS %s", wild) : nntp_cmd(c, "LIST NEWSGROUPS");
	if (r == 500 || r == 501) { /* before RFC 3977: XGTITLE (RFC 2980), as nntplib does */
		log_info("%s refused LIST NEWSGROUPS (%d): trying XGTITLE", c->host, r);
		r = nntp_cmd(c, "XGTITLE %s", wild ? wild : "*");
		if (r == 282)
			r = 215;
	}
	if (r != 215)
		nntp_fail(c, "LIST NEWSGROUPS");
	nntp_print_list(c, 'n');
	return 0;
}

/* IHAVE: 335 send it, then 235 transferred; 435 not wanted, 437 rejected (exit 1); 436
 * try again later (exit 3: as a network failure, to be retried). */
int nntp_cmd_ihave(struct nntp *c, int argc, char **argv)
{
	if (argc > 2)
		opt_usage_error("ihave takes at most one FILE");
	size_t len;
	char *art = nntp_read_article(argc > 1 ? argv[1] : NULL, &len);
	if (memchr(art, 0, len))
		die(NT_EXIT_USAGE, "the article contains a NUL byte: refused");
	char id[NNTP_MAX_MSGID + 2];
	if (nntp_header_value(art, len, "Message-ID", id, sizeof id) < 0)
		die(NT_EXIT_USAGE, "the article has no usable Message-ID header (IHAVE needs one)");
	nntp_need_arg('m', id);
	static const char *need[] = {"Newsgroups", "From", "Subject", "Date", "Path"};
	for (int i = 0; i < 5; i++)
		if (!nntp_has_header(art, len, need[i]))
			die(NT_EXIT_USAGE, "the article has no %s header (a feed carries whole articles)", need[i]);
	int r = nntp_cmd(c, "IHAVE %s", id);
	if (r == 335) {
		nntp_send_article(c, "", art, len);
		r = nntp_status(c);
	}
	free(art);
	const char *result = r == 235 ? "transferred"
			   : r == 435 ? "not_wanted" : r == 436 ? "deferred" : r == 437 ? "rejected" : NULL;
	if (!result)
		nntp_fail(c, "IHAVE");
	if (nntp_cf.json) {
		json_begin(stdout);
		json_kv_str(stdout, "message_id", id);
		json_kv_int(stdout, "code", r);
		json_kv_str(stdout, "result", result);
		json_end(stdout);
		fflush(stdout);
	} else if (r == 235) {
		printf("%s\n", id);
	}
	if (r == 235)
		return 0;
	char why[160];
	out_clean(why, sizeof why, c->text, strlen(c->text), 0);
	nt_warn("%s %s: %d %s", id,
		r == 435 ? "not wanted" : r == 436 ? "deferred, try again later" : "rejected", r, why);
	return r == 436 ? NT_EXIT_NET : NT_EXIT_FAIL;
}

/* The "number value" lines of a 221 block, those whose value matches pattern when match is
 * set (the server did not filter them). */
static void print_pat_block(struct nntp *c, const char *pattern, int match)
{
	const char *p;
	size_t n;
	char *val = NULL;
	size_t cap = 0;
	while (nntp_line(c, &p, &n)) {
		size_t w = 0;
		while (w < n && p[w] != ' ')
			w++;
		size_t a = w < n ? w + 1 : n;
		if (match) {
			if (n - a + 1 > cap) {
				cap = n - a + 1;
				val = xrealloc(val, cap);
			}
			memcpy(val, p + a, n - a);
			val[n - a] = 0;
			if (memchr(p + a, 0, n - a) || fnmatch(pattern, val, 0) != 0)
				continue;
		}
		if (!nntp_cf.json) {
			out_line(stdout, p, n, OUT_KEEP_TAB);
			continue;
		}
		long long num;
		json_begin(stdout);
		if (nntp_parse_number(p, w, &num) == 0)
			json_kv_int(stdout, "number", num);
		else if (w && p[0] == '<')
			json_kv_strn(stdout, "message_id", p, w);
		else
			die(NT_EXIT_PROTO, "malformed XPAT line from %s", c->host);
		json_kv_strn(stdout, "value", p + a, n - a);
		json_end(stdout);
	}
	free(val);
}

/* xpat HEADER GROUP RANGE PATTERN...  or  xpat HEADER <message-id> PATTERN... */
int nntp_cmd_xpat(struct nntp *c, int argc, char **argv)
{
	int byid = argc >= 4 && argv[2][0] == '<';
	if (argc < (byid ? 4 : 5))
		opt_usage_error("xpat takes HEADER GROUP RANGE PATTERN... or HEADER <message-id> PATTERN...");
	const char *header = argv[1], *ref = byid ? argv[2] : argv[3];
	nntp_need_arg('h', header);
	nntp_need_arg(byid ? 'm' : 'a', ref);
	/* The patterns as the server takes them: one wildmat, the words joined by spaces. */
	char pattern[NNTP_MAX_ARG + 1] = "";
	for (int i = byid ? 3 : 4; i < argc; i++) {
		nntp_need_arg('a', argv[i]);
		size_t l = strlen(pattern);
		if (snprintf(pattern + l, sizeof pattern - l, "%s%s", l ? " " : "", argv[i]) >= (int)(sizeof pattern - l))
			opt_usage_error("xpat: the patterns are over %d bytes", NNTP_MAX_ARG);
	}
	long long lo = 0, hi = 0;
	if (!byid) {
		long long count, first, last;
		nntp_group(c, argv[2], &count, &first, &last);
		nntp_range(ref, first, last, &lo, &hi);
		if (count == 0 || hi < lo)
			return 0;
	}
	int r = byid ? nntp_cmd(c, "XPAT %s %s %s", header, ref, pattern)
		     : nntp_cmd(c, "XPAT %s %lld-%lld %s", header, lo, hi, pattern);
	if (r == 221) {
		print_pat_block(c, pattern, 0);
		return 0;
	}
	if (r == 423 || r == 430)
		return 0; /* no such articles */
	if (r != 500 && r != 501)
		nntp_fail(c, "XPAT");
	/* No XPAT here: the headers with HDR (or XHDR), matched with the same wildmat. */
	log_info("%s has no XPAT (%d): matching HDR's values here", c->host, r);
	int h = byid ? 500 : 0;
	if (byid) {
		if ((c->caps & CAP_HDR) || !c->caps)
			h = nntp_cmd(c, "HDR %s %s", header, ref);
		if (h == 500)
			h = nntp_cmd(c, "XHDR %s %s", header, ref);
		if (h == 430)
			return 0;
		if (h != 225 && h != 221)
			nntp_fail(c, "HDR");
	} else if (!nntp_send_hdr(c, header, lo, hi)) {
		return 0;
	}
	print_pat_block(c, pattern, 1);
	return 0;
}
