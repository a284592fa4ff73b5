/* SPDX-License-Identifier: MIT */
/* dest_mbox.c - --mbox FILE: the batch is formatted (mboxrd) into the spool; under the
 * mbox lock (core/mbox.c: dot-lock and fcntl) the state records "append of LEN bytes at
 * OFFSET with hash H", then the spool is appended and the mbox made durable by the
 * destination's committer (core/commit.c). A crash in between is settled by the recovery:
 * the append is verified by its hash, or a partial one cut. The mbox is opened by
 * mbox_open (never through a symlink, a plain file of ours), and a recorded append that
 * does not fit the file is refused, never cut.
 *
 * Header: deliver.h    Tests: tests/integration/mail_fetch.sh, tests/integration/mail_fetch_mbox.sh,
 * tests/integration/mail_fetch_crash.sh
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commit.h"
#include "deliver.h"
#include "file.h"
#include "log.h"
#include "nt_err.h"

static int mbox_dest_open(struct dest *d, char *err, size_t errlen)
{
	/* The spool lives next to the mbox (same file system). */
	char *dir = xstrdup(d->path);
	char *sl = strrchr(dir, '/');
	if (!sl) {
		free(dir);
		dir = xstrdup(".");
	} else if (sl == dir) {
		dir[1] = 0;
	} else {
		*sl = 0;
	}
	if (file_mkdirs(dir, 0700) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	int r = mf_spool_open(d, dir, err, errlen);
	free(dir);
	return r;
}

static void mbox_msg_begin(struct dest *d)
{
	mf_spool_msg_begin(d, 1);
}

/* Open and lock the mbox; the fd, or -1 (err). */
static int open_locked(struct dest *d, struct mbox_lock *l, char *err, size_t errlen)
{
	int fd = mbox_open(d->path, err, errlen);
	if (fd < 0)
		return -1;
	if (mbox_lock(l, d->path, fd, MBOX_LOCK_WAIT, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* What was written to fd made durable by the committer. 0 or -1 (err). */
static int make_durable(struct dest *d, int fd, char *err, size_t errlen)
{
	char e[600];
	if (d->no_sync)
		return 0;
	commit_fd(d->commit, fd, NULL); /* a failure shows in commit_wait */
	if (commit_wait(d->commit, e, sizeof e) == 0)
		return 0;
	snprintf(err, errlen, "syncing %s: %s", d->path, e);
	return -1;
}

static void forget_append(struct mf_state *st, int fetched)
{
	for (size_t i = 0; i < st->mn; i++) {
		if (fetched)
			mf_state_add(st, st->me[i].key, st->me[i].msgid);
		free(st->me[i].key), free(st->me[i].msgid);
	}
	st->mn = 0;
	st->mbox_pending = 0;
}

/* Under the lock: record the append, append, sync. 0 or -1 (err; the append undone). */
static int append(struct dest *d, struct mf_state *st, int fd, char *err, size_t errlen)
{
	off_t end;
	int added;
	if (mbox_prepare_append(fd, &end, &added) < 0) {
		snprintf(err, errlen, "writing %s: %s", d->path, strerror(errno));
		return -1;
	}
	/* The line end added is durable before the state records the offset after it. */
	if (added && make_durable(d, fd, err, errlen) < 0)
		return -1;
	forget_append(st, 0);
	st->mbox_pending = 1;
	st->mbox_off = (uint64_t)end;
	st->mbox_len = d->spool_len;
	st->mbox_hash = d->hash;
	for (size_t i = 0; i < d->n; i++) {
		if (st->mn == st->mcap)
			st->mcap = st->mcap ? st->mcap * 2 : 64, st->me = xrealloc(st->me, st->mcap * sizeof *st->me);
		st->me[st->mn].key = xstrdup(d->m[i].key);
		st->me[st->mn].msgid = d->m[i].msgid[0] ? xstrdup(d->m[i].msgid) : NULL;
		st->mn++;
	}
	if (mf_state_save(st, err, errlen) < 0)
		return -1;
	mf_crash_point("after-state");
	if (mf_crash_at("mid-append")) {
		mf_copy_range(d->spool_fd, 0, d->spool_len / 2, fd, err, errlen);
		mf_crash_point("mid-append");
	}
	int c = mf_copy_range(d->spool_fd, 0, d->spool_len, fd, err, errlen);
	if (c == 0)
		mf_crash_point("after-append");
	if (c == -2)
		snprintf(err, errlen, "writing %s: %s", d->path, strerror(errno));
	if (c == 0 && make_durable(d, fd, err, errlen) == 0)
		return 0;
	/* Undo the partial append while we still hold the lock. The state keeps calling it
	 * pending: should the cut not reach the disk, the next run's recovery cuts again. */
	if (ftruncate(fd, end) < 0) {
		/* the recovery cuts it */
	}
	return -1;
}

static int mbox_commit(struct dest *d, struct mf_state *st, size_t *nk, char *err, size_t errlen)
{
	struct mbox_lock l;
	int fd = open_locked(d, &l, err, errlen);
	if (fd < 0)
		return -1;
	int rc = append(d, st, fd, err, errlen);
	mbox_unlock(&l);
	close(fd);
	if (rc < 0)
		return -1;
	/* Verified by construction: the messages count as fetched. */
	forget_append(st, 1);
	for (size_t i = 0; i < d->n; i++)
		d->keys[(*nk)++] = d->m[i].key;
	return 0;
}

/* 1 when fd holds len bytes at off with the FNV-1a hash h. */
static int append_is_whole(int fd, uint64_t off, uint64_t len, uint64_t want)
{
	uint64_t h = MBOX_FNV_INIT, k = 0;
	char *buf = xmalloc(1 << 16);
	while (k < len) {
		size_t n = len - k < (1 << 16) ? (size_t)(len - k) : (1 << 16);
		ssize_t r = pread(fd, buf, n, (off_t)(off + k));
		if (r <= 0)
			break;
		h = mf_state_fnv(h, buf, (size_t)r);
		k += (uint64_t)r;
	}
	free(buf);
	return k == len && h == want;
}

/* An append this program could have recorded: it starts within the file, is not empty,
 * is not absurdly long (MBOX_APPEND_MAX; no overflow of off + len), and, for a partial
 * one (the only case that cuts), what stands at off is the start of our append: "From "
 * at the start of a line (mbox_prepare_append saw to the line end before it). */
#define MBOX_APPEND_MAX (1ULL << 40)
static int append_plausible(int fd, uint64_t off, uint64_t len, uint64_t size)
{
	if (off > size || !len || len > MBOX_APPEND_MAX || off > INT64_MAX - len)
		return 0;
	if (size == off || size >= off + len)
		return 1; /* nothing of it to cut (a whole one is verified by its hash) */
	char b[6];
	size_t want = size - off < 5 ? (size_t)(size - off) : 5;
	if (off && (pread(fd, b, 1, (off_t)off - 1) != 1 || b[0] != '\n'))
		return 0;
	return pread(fd, b, want, (off_t)off) == (ssize_t)want && !memcmp(b, "From ", want);
}

static int mbox_recover(struct dest *d, struct mf_state *st, int *changed, char *err, size_t errlen)
{
	if (!st->mbox_pending)
		return 0;
	struct mbox_lock l;
	int fd = open_locked(d, &l, err, errlen);
	if (fd < 0)
		return -1;
	struct stat sb;
	int ok = 0, rc = 0;
	uint64_t off = st->mbox_off, len = st->mbox_len;
	if (fstat(fd, &sb) < 0) {
		snprintf(err, errlen, "%s: %s", d->path, strerror(errno));
		rc = -1;
	} else if (!append_plausible(fd, off, len, (uint64_t)sb.st_size)) {
		/* Not an append of ours: nothing is cut on the word of such a record. */
		snprintf(err, errlen,
			 "state %s: its interrupted append (%llu bytes at offset %llu) does not fit %s (%llu bytes): "
			 "refused, nothing cut (check the mbox, then remove the state file or use --rebuild-state)",
			 st->path, (unsigned long long)len, (unsigned long long)off, d->path, (unsigned long long)sb.st_size);
		rc = -1;
	} else if ((uint64_t)sb.st_size >= off + len) {
		ok = append_is_whole(fd, off, len, st->mbox_hash);
		if (!ok)
			nt_warn("%s: an interrupted append could not be verified; its %zu messages will be fetched again",
				d->path, st->mn);
	} else if ((uint64_t)sb.st_size > off) {
		/* A partial append: cut it. */
		if (ftruncate(fd, (off_t)off) < 0) {
			snprintf(err, errlen, "truncate %s: %s", d->path, strerror(errno));
			rc = -1;
		} else if (make_durable(d, fd, err, errlen) < 0) {
			rc = -1;
		} else {
			log_trace("cut a partial append of %llu bytes from %s", (unsigned long long)(sb.st_size - off),
				  d->path);
		}
	}
	mbox_unlock(&l);
	close(fd);
	if (rc < 0)
		return -1;
	forget_append(st, ok);
	*changed = 1;
	return 0;
}

static char *mbox_file(struct dest *d, const struct dmsg *m)
{
	(void)m;
	return xstrdup(d->path);
}

const struct dest_ops mf_mbox_ops = {
	.open = mbox_dest_open,
	.close = mf_spool_close,
	.msg_begin = mbox_msg_begin,
	.msg_end = mf_spool_msg_end,
	.msg_abort = mf_spool_msg_abort,
	.commit = mbox_commit,
	.clear = mf_spool_clear,
	.recover = mbox_recover,
	.file = mbox_file,
};
