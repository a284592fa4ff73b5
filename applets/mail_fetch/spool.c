/* SPDX-License-Identifier: MIT */
/* spool.c - the spool file of the mbox, stdout and --mda destinations: the batch's
 * messages, already in mboxrd form, one after the other, with their ranges in the batch;
 * the commit copies it into the mbox, to standard output, or range by range into each
 * command. An unlinked file next to the mbox (same file system) or in $TMPDIR.
 *
 * Header: deliver.h    Tests: tests/integration/mail_fetch.sh, tests/integration/mail_fetch_crash.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "file.h"
#include "nt_err.h"

int mf_spool_open(struct dest *d, const char *dir, char *err, size_t errlen)
{
	d->spool = xasprintf("%s/.nettool-mail-spool.XXXXXX", dir);
	d->spool_fd = mkostemp(d->spool, O_CLOEXEC);
	if (d->spool_fd < 0) {
		snprintf(err, errlen, "%s: %s", d->spool, strerror(errno));
		return -1;
	}
	unlink(d->spool); /* nobody else needs to see it; the fd keeps it */
	return 0;
}

void mf_spool_close(struct dest *d)
{
	if (d->spool_fd >= 0)
		close(d->spool_fd);
	d->spool_fd = -1;
	free(d->spool);
	d->spool = NULL;
}

void mf_spool_msg_begin(struct dest *d, int mboxrd)
{
	mbox_writer_init(&d->w, d->spool_fd, (mboxrd ? MBOX_W_MBOXRD : 0) | MBOX_W_CRLF | MBOX_W_HEADER, d->hash);
	if (mboxrd)
		mbox_writer_from(&d->w, "MAILER-DAEMON", time(NULL));
}

int mf_spool_msg_end(struct dest *d, struct dmsg *m, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	m->off = d->spool_len;
	m->len = d->w.bytes;
	d->spool_len += m->len;
	d->hash = d->w.hash;
	return 0;
}

void mf_spool_msg_abort(struct dest *d)
{
	if (ftruncate(d->spool_fd, (off_t)d->spool_len) < 0) {
		/* the batch then carries garbage: make the commit fail */
		d->spool_len = UINT64_MAX;
	}
	lseek(d->spool_fd, (off_t)d->spool_len, SEEK_SET);
}

void mf_spool_clear(struct dest *d, int remove_files)
{
	(void)remove_files;
	if (d->spool_fd >= 0) {
		if (ftruncate(d->spool_fd, 0) < 0) {
			/* the next batch overwrites from 0 anyway */
		}
		lseek(d->spool_fd, 0, SEEK_SET);
	}
	d->spool_len = 0;
	d->hash = MBOX_FNV_INIT;
}

int mf_copy_range(int from, uint64_t off, uint64_t len, int to, char *err, size_t errlen)
{
	char *buf = xmalloc(1 << 16);
	int rc = 0;
	while (len) {
		size_t k = len < (1 << 16) ? (size_t)len : (1 << 16);
		ssize_t r = pread(from, buf, k, (off_t)off);
		if (r <= 0) {
			snprintf(err, errlen, "reading the spool: %s", r < 0 ? strerror(errno) : "short file");
			rc = -1;
			break;
		}
		if (file_write_all(to, buf, (size_t)r) < 0) {
			rc = -2;
			snprintf(err, errlen, "%s", strerror(errno));
			break;
		}
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	free(buf);
	return rc;
}
