/* SPDX-License-Identifier: MIT */
/* dest_stdout.c - --stdout: the batch, in mbox format, written to standard output. When
 * standard output is a regular file it is synced before the state records the batch, so
 * --delete is allowed there; into a pipe, a terminal or anything else nothing can be made
 * durable, and main.c refuses --stdout --delete (exit 2).
 *
 * Header: deliver.h    Tests: tests/integration/mail_fetch.sh, tests/integration/mail_fetch_mbox.sh
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commit.h"
#include "deliver.h"
#include "nt_err.h"

static int stdout_open(struct dest *d, char *err, size_t errlen)
{
	struct stat sb;
	d->out_regular = fstat(1, &sb) == 0 && S_ISREG(sb.st_mode);
	const char *tmpdir = getenv("TMPDIR");
	return mf_spool_open(d, tmpdir && *tmpdir ? tmpdir : "/tmp", err, errlen);
}

static void stdout_msg_begin(struct dest *d)
{
	mf_spool_msg_begin(d, 1);
}

static int stdout_commit(struct dest *d, struct mf_state *st, size_t *nk, char *err, size_t errlen)
{
	fflush(stdout);
	if (mf_copy_range(d->spool_fd, 0, d->spool_len, 1, err, errlen) < 0) {
		snprintf(err, errlen, "writing to standard output: %s", strerror(errno));
		return -1;
	}
	if (d->out_regular && !d->no_sync) {
		char e[600];
		commit_fd(d->commit, 1, NULL); /* a failure shows in commit_wait */
		if (commit_wait(d->commit, e, sizeof e) < 0) {
			snprintf(err, errlen, "syncing standard output: %s", e);
			return -1;
		}
	}
	for (size_t i = 0; i < d->n; i++) {
		mf_state_add(st, d->m[i].key, d->m[i].msgid);
		d->keys[(*nk)++] = d->m[i].key;
	}
	return mf_state_save(st, err, errlen);
}

static char *stdout_file(struct dest *d, const struct dmsg *m)
{
	(void)d, (void)m;
	return xstrdup("");
}

const struct dest_ops mf_stdout_ops = {
	.open = stdout_open,
	.close = mf_spool_close,
	.msg_begin = stdout_msg_begin,
	.msg_end = mf_spool_msg_end,
	.msg_abort = mf_spool_msg_abort,
	.commit = stdout_commit,
	.clear = mf_spool_clear,
	.file = stdout_file,
};
