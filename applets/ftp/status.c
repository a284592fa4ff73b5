/* SPDX-License-Identifier: MIT */
/* status.c - ftp status --from-file LIST --journal J...: how far a batch is, over one or
 * many journals (the shards of a job), without a server. Each list line becomes the item
 * the run made of it (the journal's run line says how: tree.c's jobsrc_lines), and is
 * done when any journal has it done, failed when its last attempt failed and no
 * journal has it done, else remaining (failed ones included). A journal written by another
 * command, or against another server (its site line), than the first one counted is named
 * and not counted. A tree run (get -r, mirror, copy -r) writes the run line of a list of
 * the tree's relative paths: such a list counts it.
 *
 * Header: applets/ftp/ftp.h    Man page: man/nettool-ftp.1 (status)
 * Tests: tests/integration/ftp_shard.sh, tests/integration/ftp_ux.sh, tests/unit/check_ftp.c
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftp.h"
#include "journal.h"
#include "jread.h"
#include "json.h"
#include "nt_err.h"
#include "opt.h"
#include "out.h"
#include "parse.h"
#include "tree.h"

static enum job_kind kind_of(const char *s, size_t n)
{
	static const char *const k[] = {"get", "put", "rm", "copy", "rmdir", "mkdir"};
	for (size_t i = 0; i < sizeof k / sizeof *k; i++)
		if (strlen(k[i]) == n && !memcmp(k[i], s, n))
			return (enum job_kind)i;
	return JOB_GET;
}

static void jset_merge(struct jset *to, const struct jset *from)
{
	for (size_t i = 0; i < from->cap; i++)
		if (from->v[i].a && !jset_has(to, from->v[i]))
			jset_add(to, from->v[i]);
}

/* Why the done items of a journal are not the list's, as far as the list shows it: lines
 * that begin with the name of the run's folder (base, or put's local other) itself, as
 * find DIR writes them, where the run took paths relative to DIR. */
static void list_cause(char *out, size_t n, const char *base, const char *other)
{
	snprintf(out, n, "a journal of another list, or the list's paths relative to another folder?");
	FILE *f = fopen(ftp_cf.from_file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t l = f ? getline(&line, &cap, f) : -1;
	if (f)
		fclose(f);
	if (l > 0) {
		line[strcspn(line, "\r\n")] = 0;
		ftp_list_line_norm(line, strlen(line));
		char *sl = strchr(line, '/');
		const char *dirs[] = {base, other};
		for (int i = 0; sl && i < 2; i++) {
			const char *d = dirs[i];
			size_t dl = strlen(d);
			while (dl > 1 && d[dl - 1] == '/')
				dl--;
			const char *bn = d + dl;
			while (bn > d && bn[-1] != '/')
				bn--;
			if ((size_t)(sl - line) == (size_t)(d + dl - bn) && !memcmp(line, bn, (size_t)(sl - line))) {
				char c[300];
				out_clean(c, sizeof c, d, dl, 0);
				snprintf(out, n, "its paths begin with '%.*s/', the run's folder %s itself: a list's paths are "
					 "relative to that folder (find . -type f in it)", (int)(sl - line), line, c);
				break;
			}
		}
	}
	free(line);
}

/* Some done items of group k's journals are not items of the list: name each journal
 * that has such items (a second pass over the list and those journals, only then).
 * Returns the number of warnings printed. */
static unsigned long foreign_warn(int k, int nj, const char *const *journals, const int *jg, enum job_kind kind,
				  const char *base, const char *other)
{
	struct jset items = {0};
	struct jobsrc *src = jobsrc_lines(ftp_cf.from_file, kind, base, other);
	struct job j;
	for (;;) {
		memset(&j, 0, sizeof j);
		if (!src->next(src, &j))
			break;
		jset_add(&items, ftp_job_jkey(&j));
		if (!src->borrowed)
			free(j.src), free(j.dst);
	}
	src->release(src);
	unsigned long n = 0;
	for (int i = 0; i < nj; i++) {
		struct jsummary js = {0};
		if (jg[i] != k || ftp_journal_read(journals[i], &js) < 0)
			continue;
		size_t out = 0;
		for (size_t x = 0; x < js.done.cap; x++)
			if (js.done.v[x].a && !jset_has(&items, js.done.v[x]))
				out++;
		if (out) {
			char why[700];
			list_cause(why, sizeof why, base, other);
			nt_warn("status: journal %s: %zu of its %zu done items are not in %s (%s): "
				"%s not counted", journals[i], out, js.done.n, ftp_cf.from_file, why,
				out == 1 ? "that item is" : "those items are");
			n++;
		}
		ftp_jsummary_free(&js);
	}
	jset_free(&items);
	return n;
}

/* The first journal counted: the command (its run line's KIND) and the servers (its site
 * line: none in a journal of an older version) every other journal must share. */
struct ref {
	const char *journal;
	size_t kindlen;
	char kind[8];
	char *site;
};

/* A site line's value for a message: "A" or "A to B" (copy), made safe (core/out.c). */
static void site_words(char *out, size_t n, const char *site)
{
	size_t t = strcspn(site, "\t");
	size_t o = out_clean(out, n, site, t, 0);
	if (site[t] && o + 5 < n) {
		memcpy(out + o, " to ", 5);
		out_clean(out + o + 4, n - o - 4, site + t + 1, strlen(site + t + 1), 0);
	}
}

/* 1 when journal i (js, with a run line) may be counted with the ones before it; else a
 * warning names both journals and what differs (another command or another server: a
 * journal of another job, whose items would count as this one's) and 0. */
static int other_run(const char *const *journals, int i, const struct jsummary *js, struct ref *ref,
		     unsigned long *warnings)
{
	size_t kl = strcspn(js->run, "\t");
	if (!ref->journal) {
		ref->journal = journals[i];
		ref->kindlen = kl < sizeof ref->kind ? kl : sizeof ref->kind - 1;
		memcpy(ref->kind, js->run, ref->kindlen);
		ref->site = js->site ? xstrdup(js->site) : NULL;
		return 1;
	}
	if (kl != ref->kindlen || memcmp(js->run, ref->kind, kl)) {
		nt_warn("status: journal %s was written by %.*s, journal %s by %s: a journal of another command, not counted",
			journals[i], (int)kl, js->run, ref->journal, ref->kind);
		++*warnings;
		return 0;
	}
	if (js->site && ref->site && strcmp(js->site, ref->site)) {
		char a[300], b[300];
		site_words(a, sizeof a, js->site);
		site_words(b, sizeof b, ref->site);
		nt_warn("status: journal %s is of a run against %s, journal %s against %s: a journal of another server, "
			"not counted", journals[i], a, ref->journal, b);
		++*warnings;
		return 0;
	}
	if (js->site && !ref->site)
		ref->site = xstrdup(js->site);
	return 1;
}

/* Journals with the same run line: one pass over the list for them all. */
struct group {
	struct jsummary js;
};

int ftp_status(int nj, const char *const *journals)
{
	if (!ftp_cf.from_file)
		opt_usage_error("status: --from-file LIST is needed (the list the batch was given)");
	if (!nj)
		opt_usage_error("status: at least one journal is needed (--journal J...)");
	if (!strcmp(ftp_cf.from_file, "-"))
		opt_usage_error("status: --from-file - cannot be read more than once: give the list's file");
	struct group *g = xcalloc((size_t)nj, sizeof *g);
	int *jg = xcalloc((size_t)nj, sizeof *jg); /* each journal's group, -1: not counted */
	int ng = 0;
	unsigned long bad = 0, warnings = 0;
	struct ref ref = {0};
	for (int i = 0; i < nj; i++) {
		struct jsummary js = {0};
		jg[i] = -1;
		if (ftp_journal_read(journals[i], &js) < 0) {
			if (errno != ENOENT)
				die_sys(NT_EXIT_IO, "status: journal %s", journals[i]);
			/* A shard not started yet (or a mistyped name): its items count as not done. */
			nt_warn("status: journal %s does not exist (a shard not started?): nothing counted from it", journals[i]);
			warnings++;
			continue;
		}
		bad += js.bad;
		if (js.runs_differ) {
			nt_warn("status: journal %s holds runs over different folders: counted against its first", journals[i]);
			warnings++;
		}
		if (!js.run) {
			nt_warn("status: journal %s has no run line (a run of an older version, or one that "
				"recorded nothing): not counted", journals[i]);
			warnings++;
			ftp_jsummary_free(&js);
			continue;
		}
		if (js.sites_differ) {
			nt_warn("status: journal %s holds runs against different servers: counted against its first", journals[i]);
			warnings++;
		}
		if (!other_run(journals, i, &js, &ref, &warnings)) {
			ftp_jsummary_free(&js);
			continue;
		}
		int k = 0;
		while (k < ng && strcmp(g[k].js.run, js.run))
			k++;
		jg[i] = k;
		if (k == ng) {
			g[ng++].js = js;
			continue;
		}
		jset_merge(&g[k].js.done, &js.done);
		jset_merge(&g[k].js.failed, &js.failed);
		ftp_jsummary_free(&js);
	}
	if (bad) {
		nt_warn("status: %lu journal line%s not understood (ignored)", bad, bad == 1 ? "" : "s");
		warnings++;
	}
	/* Two bits an item: done in some journal, failed in some journal. */
	unsigned char *bits = NULL;
	size_t cap = 0;
	unsigned long long total = 0;
	if (!ng) {
		/* No journal counted (none exists yet: shards not started; none has a run line:
		 * killed before its first item, or an older version's; each named above): every item
		 * of the list remains; one item a line, whatever the run makes of it. */
		struct jobsrc *src = jobsrc_lines(ftp_cf.from_file, JOB_GET, "", "");
		struct job j;
		for (;; total++) {
			memset(&j, 0, sizeof j);
			if (!src->next(src, &j))
				break;
			if (!src->borrowed)
				free(j.src), free(j.dst);
		}
		src->release(src);
	}
	for (int k = 0; k < ng; k++) {
		/* KIND\tBASE\tOTHER */
		char *run = g[k].js.run;
		char *t1 = strchr(run, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t2)
			die(NT_EXIT_FAIL, "status: bad run line");
		*t2 = 0;
		enum job_kind kind = kind_of(run, (size_t)(t1 - run));
		struct jobsrc *src = jobsrc_lines(ftp_cf.from_file, kind, t1 + 1, t2 + 1);
		size_t i = 0, matched = 0;
		struct job j;
		for (;; i++) {
			memset(&j, 0, sizeof j);
			if (!src->next(src, &j))
				break;
			if (i / 4 >= cap) {
				size_t nc = cap ? cap * 2 : 4096;
				bits = xrealloc(bits, nc);
				memset(bits + cap, 0, nc - cap);
				cap = nc;
			}
			struct jkey h = ftp_job_jkey(&j);
			if (jset_has(&g[k].js.done, h))
				bits[i / 4] |= (unsigned char)(1u << (i % 4 * 2)), matched++;
			else if (jset_has(&g[k].js.failed, h))
				bits[i / 4] |= (unsigned char)(2u << (i % 4 * 2));
			if (!src->borrowed)
				free(j.src), free(j.dst);
		}
		src->release(src);
		total = i;
		/* Done items that are not the list's: a journal of another list (or base). */
		if (matched < g[k].js.done.n)
			warnings += foreign_warn(k, nj, journals, jg, kind, t1 + 1, t2 + 1);
		ftp_jsummary_free(&g[k].js);
	}
	int counted = 0; /* the journals counted (--json's "journals"): not those named above */
	for (int i = 0; i < nj; i++)
		counted += jg[i] >= 0;
	free(jg);
	free(g);
	free(ref.site);
	unsigned long long done = 0, failed = 0;
	for (size_t i = 0; bits && i < total; i++) { /* no bits: no journal, nothing done */
		unsigned b = bits[i / 4] >> (i % 4 * 2) & 3u;
		done += b & 1u;
		failed += b == 2u;
	}
	free(bits);
	if (ftp_cf.json) {
		json_begin(stdout);
		json_kv_int(stdout, "total", (long long)total);
		json_kv_int(stdout, "done", (long long)done);
		json_kv_int(stdout, "remaining", (long long)(total - done));
		json_kv_int(stdout, "failed", (long long)failed);
		json_kv_int(stdout, "journals", counted);
		json_kv_int(stdout, "journals_given", nj);
		json_kv_int(stdout, "warnings", (long long)warnings);
		json_end(stdout);
	} else {
		printf("total     %llu\ndone      %llu\nremaining %llu\nfailed    %llu (of the remaining: last attempt failed)\n",
		       total, done, total - done, failed);
	}
	return total == done ? 0 : NT_EXIT_FAIL;
}
