/* SPDX-License-Identifier: MIT */
/* jobs.c - the batch engine's jobs: the next one to start (a retry whose time has come
 * first, then the source's next item: other shards' items and those the journal says
 * are done are passed over, the skips counted and reported; a batch of named files: how
 * many of them the journal has done, said before it starts), a job's names freed, and
 * the items a stopped run never began (counted failed: the summary adds up to the job),
 * and a folder's failure said once a run.
 * The engine itself (slots, transfers, results) is engine.c's.
 *
 * Header: applets/ftp/engine.h    Man page: man/nettool-ftp.1
 * Tests: tests/integration/ftp_batch.sh, tests/integration/ftp_durable.sh
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "ftp.h"
#include "journal.h"
#include "log.h"
#include "nt_err.h"
#include "out.h"

const char *eng_kind_name(enum job_kind k)
{
	static const char *const n[] = {"get", "put", "rm", "copy", "rmdir", "mkdir"};
	return n[k];
}

void eng_job_free(struct job *j)
{
	free(j->src);
	free(j->dst);
	j->src = j->dst = NULL;
}

/* The first few files done before named one by one, the rest counted (engine.h). */
#define NAMED_SAID 3
static int this_shard(uint64_t i)
{
	return !ftp_cf.shard_n || i % (uint64_t)ftp_cf.shard_n == (uint64_t)(ftp_cf.shard_k - 1);
}

void eng_named_done(struct engine *e)
{
	const struct job *v;
	size_t n = jobsrc_array_items(e->src, &v), mine = 0, hits = 0, said = 0;
	const char *jp = ftp_cf.journal;
	for (size_t i = 0; i < n; i++)
		if (this_shard(i)) {
			mine++;
			hits += (size_t)ftp_journal_has(&e->done, &v[i]);
		}
	if (!hits) {
		if (e->done.n && mine > 1) /* (one file alone: as without a journal) */
			log_info("journal %s: none of these %zu files done before (it holds %zu other item%s)", jp,
				 mine, e->done.n, e->done.n == 1 ? "" : "s");
		return;
	}
	if (mine > 1)
		log_info("journal %s: %zu of these %zu files done before: skipped", jp, hits, mine);
	for (size_t i = 0; i < n && said < NAMED_SAID; i++)
		if (this_shard(i) && ftp_journal_has(&e->done, &v[i])) {
			said++;
			log_info("%s %s: done before (journal %s): skipped", eng_kind_name(v[i].kind),
				 v[i].src ? v[i].src : v[i].dst, jp);
		}
	if (hits > said)
		log_info("journal %s: and %zu more of these files done before: skipped", jp, hits - said);
}

/* The skips counted and reported (engine.h). */
int eng_src_take(struct engine *e, struct job *j)
{
	while (!e->src_end) {
		memset(j, 0, sizeof *j);
		j->mtime = -1;
		j->size = -1;
		if (!e->src->next(e->src, j)) {
			e->src_end = 1;
			break;
		}
		uint64_t i = e->index++;
		int lent = e->src->borrowed; /* j's names are the source's: nothing to free */
		if (!this_shard(i)) {
			if (!lent)
				eng_job_free(j);
			continue;
		}
		if (ftp_journal_has(&e->done, j)) {
			e->r.skipped++;
			if (e->src->named && !e->summary) /* one item alone: what happened to it */
				log_info("%s %s: done before (journal %s): skipped", eng_kind_name(j->kind),
					 j->src ? j->src : j->dst, ftp_cf.journal);
			else
				log_trace("%s %s: done before (journal)", eng_kind_name(j->kind), j->src ? j->src : j->dst);
			ftp_result(eng_kind_name(j->kind), j->src, j->dst, FTP_R_SKIPPED, -1, -1, FTP_REASON_JOURNAL);
			if (!lent)
				eng_job_free(j);
			continue;
		}
		if (lent) {
			j->src = j->src ? xstrdup(j->src) : NULL;
			j->dst = j->dst ? xstrdup(j->dst) : NULL;
		}
		return 1;
	}
	return 0;
}

int eng_next_job(struct engine *e, struct job *j)
{
	long long now = ftp_now_ms();
	for (struct job **pp = &e->retry; *pp; pp = &(*pp)->next) {
		if ((*pp)->ready_ms <= now) {
			struct job *r = *pp;
			*pp = r->next;
			*j = *r;
			j->next = NULL;
			free(r);
			return 1;
		}
	}
	if (!eng_src_take(e, j))
		return 0;
	ftp_site_ready(e->a); /* a resumed run logs in for its first item to do, if any */
	if (e->b)
		ftp_site_ready(e->b);
	return 1;
}

void eng_not_started(struct engine *e, struct job *j)
{
	e->r.failed++;
	e->r.unstarted++;
	if (!e->summary && e->stop_why) { /* an item alone: no summary says it */
		char nb[4096];
		const char *p = j->src ? j->src : j->dst;
		out_clean(nb, sizeof nb, p, strlen(p), 0);
		nt_warn("%s %s: %s: not started", eng_kind_name(j->kind), nb, e->stop_why);
	}
	ftp_result(eng_kind_name(j->kind), j->src, j->dst, FTP_R_FAILED, -1, -1, FTP_REASON_UNSTARTED);
	eng_job_free(j);
}

void eng_src_rest(struct engine *e, int read_all)
{
	if (e->src_end)
		return;
	if (!read_all && !e->src->total) { /* a list read as it goes: not read further */
		e->r.rest_unknown = 1;
		return;
	}
	struct job j;
	while (eng_src_take(e, &j))
		eng_not_started(e, &j);
}

int eng_folder_again(struct engine *e, struct ftp_site *site, const char *path, char *m, size_t ml)
{
	const char *bn = strrchr(path, '/');
	size_t dl = bn ? (size_t)(bn - path) : 0;
	char *k = xasprintf("%s\t%.*s", ftp_site_name(site), (int)dl, path);
	struct jkey key = jset_key(k);
	free(k);
	if (!jset_has(&e->said, key)) {
		jset_add(&e->said, key);
		return 0;
	}
	char d[300];
	out_clean(d, sizeof d, path, dl, 0);
	snprintf(m, ml, "%s%s%s: as said above", dl ? "its folder '" : "the login folder", d, dl ? "'" : "");
	return 1;
}
