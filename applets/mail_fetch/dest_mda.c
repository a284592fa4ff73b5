/* SPDX-License-Identifier: MIT */
/* dest_mda.c - --mda CMD: each message of the batch is piped to CMD (sh -c, see
 * mf_run_cmd: only fds 0-2, no password in its environment); a message counts as
 * delivered when CMD exits 0, and only those are recorded (and deleted with --delete).
 *
 * Header: deliver.h    Tests: tests/integration/mail_fetch.sh, tests/integration/mail_fetch_mbox.sh
 */
#include <stdlib.h>
#include <string.h>

#include "deliver.h"
#include "nt_err.h"

static int mda_open(struct dest *d, char *err, size_t errlen)
{
	const char *tmpdir = getenv("TMPDIR");
	return mf_spool_open(d, tmpdir && *tmpdir ? tmpdir : "/tmp", err, errlen);
}

static void mda_msg_begin(struct dest *d)
{
	mf_spool_msg_begin(d, 0);
}

static int mda_commit(struct dest *d, struct mf_state *st, size_t *nk, char *err, size_t errlen)
{
	for (size_t i = 0; i < d->n; i++) {
		int rc = mf_run_cmd(d->mda, d->spool_fd, d->m[i].off, d->m[i].len, NULL);
		if (rc != 0) {
			nt_warn("--mda command exited %d for message %s: not delivered", rc, d->m[i].key);
			continue;
		}
		mf_state_add(st, d->m[i].key, d->m[i].msgid);
		d->keys[(*nk)++] = d->m[i].key;
	}
	return *nk ? mf_state_save(st, err, errlen) : 0;
}

static char *mda_file(struct dest *d, const struct dmsg *m)
{
	(void)d, (void)m;
	return xstrdup("");
}

const struct dest_ops mf_mda_ops = {
	.open = mda_open,
	.close = mf_spool_close,
	.msg_begin = mda_msg_begin,
	.msg_end = mf_spool_msg_end,
	.msg_abort = mf_spool_msg_abort,
	.commit = mda_commit,
	.clear = mf_spool_clear,
	.file = mda_file,
};
