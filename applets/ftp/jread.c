/* SPDX-License-Identifier: MIT */
/* jread.c - reading journals back for ftp status (format: jread.h).
 *
 * Header: applets/ftp/jread.h    Tests: tests/unit/check_ftp.c, tests/fuzz/fuzz_ftp_journal.c,
 * tests/integration/ftp_shard.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "jread.h"
#include "nt_err.h"

static int kind_ok(const char *p, size_t n)
{
	static const char *const k[] = {"get", "put", "rm", "copy", "rmdir", "mkdir"};
	for (size_t i = 0; i < sizeof k / sizeof *k; i++)
		if (strlen(k[i]) == n && !memcmp(k[i], p, n))
			return 1;
	return 0;
}

static size_t count_tabs(const char *p, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += p[i] == '\t';
	return c;
}

enum jl_type ftp_jline_parse(const char *line, size_t len, struct jline *j)
{
	memset(j, 0, sizeof *j);
	const char *tab = memchr(line, '\t', len);
	if (!tab)
		return j->type = JL_OTHER;
	size_t tl = (size_t)(tab - line);
	const char *rest = tab + 1;
	size_t rl = len - tl - 1;
	const char *t2 = memchr(rest, '\t', rl);
	size_t kl = t2 ? (size_t)(t2 - rest) : rl;
	if (tl == 4 && !memcmp(line, "done", 4)) {
		/* KIND, SRC, DST: SRC or DST may hold a TAB of their own (names are the user's). */
		if (count_tabs(rest, rl) < 2 || !kind_ok(rest, kl))
			return j->type = JL_BAD;
		j->key = rest, j->keylen = rl;
		return j->type = JL_DONE;
	}
	if (tl == 6 && !memcmp(line, "failed", 6)) {
		if (count_tabs(rest, rl) < 3 || !kind_ok(rest, kl))
			return j->type = JL_BAD;
		const char *last = rest + rl;
		while (last[-1] != '\t')
			last--;
		j->key = rest, j->keylen = (size_t)(last - 1 - rest);
		j->reason = last, j->reasonlen = (size_t)(rest + rl - last);
		return j->type = JL_FAILED;
	}
	if (tl == 3 && !memcmp(line, "run", 3)) {
		if (count_tabs(rest, rl) != 2 || !kind_ok(rest, kl))
			return j->type = JL_BAD;
		j->run = rest, j->runlen = rl;
		return j->type = JL_RUN;
	}
	if (tl == 4 && !memcmp(line, "site", 4)) {
		if (!rl || count_tabs(rest, rl) > 1)
			return j->type = JL_BAD;
		j->run = rest, j->runlen = rl;
		return j->type = JL_SITE;
	}
	if (tl == 4 && !memcmp(line, "opts", 4)) {
		if (count_tabs(rest, rl))
			return j->type = JL_BAD;
		j->run = rest, j->runlen = rl;
		return j->type = JL_OPTS;
	}
	return j->type = JL_OTHER;
}

static void add_key(struct jset *s, const char *k, size_t n)
{
	jset_add(s, jset_key_n(k, n));
}

/* A run or site line: the first value kept, a later other one noted. */
static void keep_first(char **first, int *differ, const char *v, size_t n)
{
	if (!*first)
		*first = xstrndup(v, n);
	else if (strlen(*first) != n || memcmp(*first, v, n))
		*differ = 1;
}

static void one_line(const char *p, size_t n, struct jsummary *js)
{
	struct jline j;
	js->lines++;
	switch (ftp_jline_parse(p, n, &j)) {
	case JL_DONE:
		add_key(&js->done, j.key, j.keylen);
		break;
	case JL_FAILED:
		add_key(&js->failed, j.key, j.keylen);
		break;
	case JL_RUN:
		keep_first(&js->run, &js->runs_differ, j.run, j.runlen);
		break;
	case JL_SITE:
		keep_first(&js->site, &js->sites_differ, j.run, j.runlen);
		break;
	case JL_BAD:
		js->bad++;
		break;
	case JL_OPTS: /* the engine's check (journal.c); status counts shards' journals together */
	case JL_OTHER:
		break;
	}
}

void ftp_journal_feed(const char *p, size_t n, struct jsummary *js)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		if (!nl) {
			js->cut++; /* cut by a crash: means nothing */
			return;
		}
		one_line(p, (size_t)(nl - p), js);
		n -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
}

int ftp_journal_read(const char *path, struct jsummary *js)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct lread r;
	lread_init(&r, fd);
	const char *l;
	size_t n;
	int rc;
	while ((rc = lread_line(&r, &l, &n)) > 0) {
		if (r.cut) {
			js->cut++; /* cut by a crash: means nothing */
			break;
		}
		one_line(l, n, js);
	}
	int e = errno;
	lread_free(&r);
	close(fd);
	if (rc < 0 && r.toolong)
		die(NT_EXIT_IO, "journal %s: line %lu is longer than %u bytes: not a journal", path, r.lineno + 1,
		    LREAD_LINE_MAX);
	if (rc < 0) {
		errno = e;
		return -1;
	}
	return 0;
}

void ftp_jsummary_free(struct jsummary *js)
{
	jset_free(&js->done);
	jset_free(&js->failed);
	free(js->run);
	free(js->site);
	memset(js, 0, sizeof *js);
}
