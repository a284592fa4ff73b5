/* SPDX-License-Identifier: MIT */
/* jobs.c - the batch engine's jobs: the next one to start (a retry whose time has come
 * first, then the source's next item: other shards' items and those the journal says
 * are done are passed over, the skips counted and reported), and a job's names freed.
 * The engine itself (slots, transfers, results) is engine.c's.
 *
 * Header: applets/ftp/engine.h    Man page: man/nettool-ftp.1    Tests: tests/integration/ftp_batch.sh
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "ftp.h"
#include "journal.h"
#include "log.h"

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
		if (ftp_cf.shard_n && i % (uint64_t)ftp_cf.shard_n != (uint64_t)(ftp_cf.shard_k - 1)) {
			if (!lent)
				eng_job_free(j);
			continue;
		}
		if (ftp_journal_has(&e->done, j)) {
			e->r.skipped++;
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
		ftp_site_ready(e->a); /* a resumed run logs in for its first item to do, if any */
		if (e->b)
			ftp_site_ready(e->b);
		return 1;
	}
	return 0;
}
