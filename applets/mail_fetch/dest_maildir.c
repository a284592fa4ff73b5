/* SPDX-License-Identifier: MIT */
/* dest_maildir.c - -o DIR: Maildir delivery in durable batches.
 *
 * Header: deliver.h    Tests: tests/integration/mail_fetch.sh, tests/integration/mail_fetch_crash.sh
 *
 * Each message is created as tmp/NAME (in memory until it ends, or written as it arrives
 * when it is large). At the end of a batch the destination's committer (core/commit.c,
 * its thread) makes the batch durable with one sync of the file system for the whole
 * batch (commit_fd on tmp/: with the committer's syncfs policy that covers the batch's
 * files and their names in tmp/), then the state records the batch with "pending NAME KEY"
 * lines, then tmp/NAME is renamed to new/NAME and the committer syncs new/ while the next
 * batch downloads; the next batch's sync (or mf_dest_settle) waits for it and drops the
 * pending lines. A crash after the state save is finished by the recovery (rename what is
 * still in tmp/); a crash before it leaves only tmp/ files and the messages are fetched
 * again. A pending name that is gone from tmp/ and is in neither new/ nor cur/ (another
 * program removed it: tmp/ belongs to every writer of the Maildir) was never delivered:
 * the recovery drops its KEY from the state and the message (still on the server: only
 * what was delivered is deleted) is fetched again. Our clean-up of tmp/ removes only
 * what the Maildir convention lets anyone remove: files untouched for 36 hours (and of
 * ours, of this host, their writer dead). Nothing here syncs or starts a thread itself. tmp/ new/ cur/ are opened once,
 * never through a symlink (file.h), and every create, rename and removal goes through
 * those descriptors; the recovery renames only names of our own shape.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "commit.h"
#include "deliver.h"
#include "file.h"
#include "log.h"
#include "nt_err.h"

#define MEM_SWITCH (1u << 20) /* a message larger than this is written as it arrives */

static int maildir_open(struct dest *d, char *err, size_t errlen)
{
	d->pid = getpid(); /* one getpid per run, not per message name */
	if (gethostname(d->host, sizeof d->host - 1) < 0 || !d->host[0])
		snprintf(d->host, sizeof d->host, "localhost");
	for (char *c = d->host; *c; c++)
		if (*c == '/' || *c == ':' || *c == '\\' || (unsigned char)*c < 0x21)
			*c = '_';
	if (file_mkdirs(d->path, 0700) < 0) {
		snprintf(err, errlen, "%s: %s", d->path, strerror(errno));
		return -1;
	}
	/* d->path is the user's; tmp/ new/ cur/ must be real folders (file.h, the folder
	 * rule): a symlink planted there is refused, and every file operation below goes
	 * through these descriptors. */
	d->tmp_fd = file_open_below(d->path, "tmp", 0700, err, errlen);
	if (d->tmp_fd < 0)
		return -1;
	d->new_fd = file_open_below(d->path, "new", 0700, err, errlen);
	if (d->new_fd < 0)
		return -1;
	int cur = file_open_below(d->path, "cur", 0700, err, errlen);
	if (cur < 0)
		return -1;
	close(cur);
	return 0;
}

static void maildir_close(struct dest *d)
{
	if (d->tmp_fd >= 0)
		close(d->tmp_fd);
	if (d->new_fd >= 0)
		close(d->new_fd);
	d->tmp_fd = d->new_fd = -1;
}

static void maildir_clear(struct dest *d, int remove_files)
{
	if (!remove_files)
		return;
	for (size_t i = 0; i < d->n; i++) {
		if (d->m[i].name)
			unlinkat(d->tmp_fd, d->m[i].name, 0);
	}
}

static void maildir_msg_begin(struct dest *d)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	d->cur_name = xasprintf("%lld.M%ldP%dQ%lu.%s", (long long)tv.tv_sec, (long)tv.tv_usec, (int)d->pid, ++d->seq,
				d->host);
	/* Kept in memory and written at its end (or, when large, as it comes). */
	d->cur_fd = -1;
	mbox_writer_init(&d->w, -1, MBOX_W_CRLF | MBOX_W_HEADER, 0);
}

/* tmp/NAME, created exclusively (never through a symlink). The fd, or -1 (errno). */
static int create_tmp(struct dest *d, const char *name)
{
	return openat(d->tmp_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static int maildir_msg_wrote(struct dest *d)
{
	if (!d->w.mem || d->w.olen <= MEM_SWITCH)
		return 0;
	/* A large message: create its file now and stream the rest. */
	int fd = create_tmp(d, d->cur_name);
	if (fd < 0) {
		d->w.err = errno;
		return -1;
	}
	d->cur_fd = d->w.fd = fd;
	d->w.mem = 0;
	if (file_write_all(fd, d->w.obuf, d->w.olen) < 0) {
		d->w.err = errno ? errno : EIO;
		return -1;
	}
	d->w.olen = 0;
	return 0;
}

static void maildir_msg_abort(struct dest *d)
{
	if (d->cur_fd >= 0)
		close(d->cur_fd);
	if (d->cur_name)
		unlinkat(d->tmp_fd, d->cur_name, 0);
	free(d->cur_name);
	d->cur_name = NULL;
	d->cur_fd = -1;
}

/* The message's file is written and closed here; the batch commit makes it durable. */
static int maildir_msg_end(struct dest *d, struct dmsg *m, char *err, size_t errlen)
{
	if (d->w.mem) {
		d->cur_fd = create_tmp(d, d->cur_name);
		if (d->cur_fd < 0 || file_write_all(d->cur_fd, d->w.obuf, d->w.olen) < 0) {
			snprintf(err, errlen, "writing %s/tmp/%s: %s", d->path, d->cur_name, strerror(errno ? errno : EIO));
			return -1;
		}
	}
	int r = close(d->cur_fd);
	d->cur_fd = -1;
	if (r < 0) {
		snprintf(err, errlen, "writing %s/tmp/%s: %s", d->path, d->cur_name, strerror(errno));
		return -1;
	}
	m->name = d->cur_name;
	d->cur_name = NULL;
	return 0;
}

/* The batch's files and their names in tmp/ made durable by the committer: one sync of
 * the file system (its policy) for the whole batch. It also waits for the new/ sync the
 * previous batch queued. */
static int sync_batch(struct dest *d, char *err, size_t errlen)
{
	char e[600];
	if (!d->no_sync)
		commit_fd(d->commit, d->tmp_fd, NULL); /* a failure shows in commit_wait */
	if (commit_wait(d->commit, e, sizeof e) < 0) {
		snprintf(err, errlen, "making the batch in %s/tmp durable: %s", d->path, e);
		return -1;
	}
	return 0;
}

/* Queue the sync of new/ after renames into it (the committer does it while we go on). */
static int queue_new_sync(struct dest *d, char *err, size_t errlen)
{
	char e[600];
	if (d->no_sync || commit_dir(d->commit, xasprintf("%s/new", d->path), NULL) == 0)
		return 0;
	commit_wait(d->commit, e, sizeof e);
	snprintf(err, errlen, "syncing %s/new: %s", d->path, e);
	return -1;
}

/* Wait for the queued sync of new/; the state's pending lines are then done with, and
 * the next save drops them. */
static int new_durable(struct dest *d, struct mf_state *st, char *err, size_t errlen)
{
	char e[600];
	d->renames_queued = 0;
	if (commit_wait(d->commit, e, sizeof e) < 0) {
		snprintf(err, errlen, "syncing %s/new: %s", d->path, e);
		return -1;
	}
	mf_state_drop_pending(st);
	return 0;
}

/* From the state's save on, the batch's tmp/ files belong to the recovery (the state may
 * name them pending even when its save said it failed: the rename came before the sync
 * that failed): a commit that fails from there leaves them in tmp/ (the batch forgets
 * their names, so that its clean-up removes nothing). A rerun's recovery renames them
 * into new/, or, when the state was not saved, clean_tmp removes them and the messages
 * are fetched again. */
static int keep_batch(struct dest *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->m[i].name);
		d->m[i].name = NULL;
	}
	return -1;
}

static int maildir_commit(struct dest *d, struct mf_state *st, size_t *nk, char *err, size_t errlen)
{
	if (sync_batch(d, err, errlen) < 0)
		return -1;
	if (d->renames_queued) {
		/* The previous batch's renames are durable (sync_batch waited for the sync of
		 * new/ it queued): its pending lines go. */
		mf_state_drop_pending(st);
		d->renames_queued = 0;
	}
	for (size_t i = 0; i < d->n; i++) {
		mf_state_add_pending(st, d->m[i].name, d->m[i].key);
		mf_state_add(st, d->m[i].key, d->m[i].msgid);
	}
	if (mf_state_save(st, err, errlen) < 0)
		return keep_batch(d);
	mf_crash_point("after-state");
	/* The batch is safe from here (durable in tmp/, pending in the state: recovery renames
	 * it). The sync of new/ overlaps the next batch's download; the next commit (or
	 * mf_dest_settle) waits for it and drops the pending lines. --exec wants the files in
	 * new/ and durable now. */
	for (size_t i = 0; i < d->n; i++) {
		if (renameat(d->tmp_fd, d->m[i].name, d->new_fd, d->m[i].name) < 0) {
			snprintf(err, errlen, "rename into %s/new: %s", d->path, strerror(errno));
			return keep_batch(d);
		}
	}
	if (queue_new_sync(d, err, errlen) < 0)
		return keep_batch(d);
	d->renames_queued = 1;
	if (d->exec && new_durable(d, st, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < d->n; i++)
		d->keys[(*nk)++] = d->m[i].key;
	return 0;
}

static int maildir_settle(struct dest *d, struct mf_state *st, char *err, size_t errlen)
{
	if (!d->renames_queued)
		return 0;
	return new_durable(d, st, err, errlen);
}

/* The Maildir convention: a tmp/ file untouched (read or written) for 36 hours may be
 * removed by anyone. */
#define TMP_STALE (36 * 3600)

/* tmp/ files that a killed mail-fetch of this host left, untouched for TMP_STALE: their
 * writer is gone. Not sooner: another account's run into this Maildir (its own state) may
 * have left a batch pending there that its recovery will rename into new/; the names do
 * not say whose they are. A crash before the state's save leaves files that nobody will
 * deliver: they wait out the 36 hours (their messages are fetched again meanwhile). */
static void clean_tmp(struct dest *d)
{
	time_t now = time(NULL);
	int fd = fcntl(d->tmp_fd, F_DUPFD_CLOEXEC, 0);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(dir);
	struct dirent *e;
	while ((e = readdir(dir))) {
		long long sec;
		long usec, pid;
		unsigned long q;
		int n = 0;
		if (sscanf(e->d_name, "%lld.M%ldP%ldQ%lu.%n", &sec, &usec, &pid, &q, &n) != 4 || !n)
			continue;
		if (strcmp(e->d_name + n, d->host) || pid <= 0 || pid == getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		struct stat sb;
		if (fstatat(dirfd(dir), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode) ||
		    now - sb.st_mtime < TMP_STALE || now - sb.st_atime < TMP_STALE)
			continue;
		unlinkat(dirfd(dir), e->d_name, 0);
	}
	closedir(dir);
}

/* A name maildir_msg_begin makes: SEC.MUSECpPIDqSEQ.HOST, one plain component. */
static int our_name(const char *n)
{
	long long sec;
	long usec, pid;
	unsigned long q;
	int k = 0;
	return file_plain_name(n) && sscanf(n, "%lld.M%ldP%ldQ%lu.%n", &sec, &usec, &pid, &q, &k) == 4 && k > 0 &&
	       n[k] && sec >= 0 && usec >= 0 && pid > 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Of the names miss[0..n) (sorted, unique), those found in cur/ as NAME or NAME:INFO
 * (where a reader moves a message out of new/) get found[i] set: one pass over cur/. */
static void found_in_cur(struct dest *d, char **miss, size_t n, char *found)
{
	char e[600];
	int fd = file_open_below(d->path, "cur", 0700, e, sizeof e);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *ent;
	while ((ent = readdir(dir))) {
		char buf[sizeof ent->d_name], *name = buf;
		snprintf(buf, sizeof buf, "%.*s", (int)strcspn(ent->d_name, ":"), ent->d_name);
		char **hit = bsearch(&name, miss, n, sizeof *miss, cmp_name);
		if (hit)
			found[hit - miss] = 1;
	}
	closedir(dir);
}

/* The pending names miss[0..n) in neither tmp/ nor new/: those not in cur/ either were
 * never delivered; their keys leave the state, so the fetch gets them again (they are
 * still on the server: only delivered messages are deleted). 0 or -1 (err): a name of an
 * older state file, which does not say which message it was. */
static int lost_again(struct dest *d, struct mf_state *st, char **miss, size_t n, char *err, size_t errlen)
{
	qsort(miss, n, sizeof *miss, cmp_name);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || strcmp(miss[u - 1], miss[i]))
			miss[u++] = miss[i];
	n = u;
	char *found = xcalloc(n, 1);
	found_in_cur(d, miss, n, found);
	char **keys = xmalloc(st->npend * sizeof *keys);
	size_t nk = 0;
	for (size_t i = 0; i < st->npend; i++) {
		const char *name = st->pend[i];
		char **hit = bsearch(&name, miss, n, sizeof *miss, cmp_name);
		if (!hit || found[hit - miss])
			continue;
		if (!st->pkey[i]) {
			snprintf(err, errlen, "state %s: 'pending %.80s' is in neither tmp/ nor new/ nor cur/ of %s, and "
				 "this older state file does not say which message it was: refused (nothing deleted; "
				 "remove that line to count it delivered)", st->path, name, d->path);
			free(keys), free(found);
			return -1;
		}
		keys[nk++] = st->pkey[i];
	}
	if (nk) {
		mf_state_filter(st, keys, nk, 0);
		nt_warn("%s: %zu message%s of an interrupted delivery vanished from tmp/ before reaching new/: "
			"fetched again", d->path, nk, nk == 1 ? "" : "s");
	}
	free(keys), free(found);
	return 0;
}

static int maildir_recover(struct dest *d, struct mf_state *st, int *changed, char *err, size_t errlen)
{
	if (st->npend) {
		/* Each pending name: still in tmp/ (rename it), in new/ (renamed before the crash),
		 * or missing: in cur/ (a reader moved it there), or removed from tmp/ by someone
		 * else before its rename: never delivered. */
		char **miss = xmalloc(st->npend * sizeof *miss);
		size_t nmiss = 0;
		for (size_t i = 0; i < st->npend; i++) {
			const char *n = st->pend[i];
			struct stat sb;
			if (!our_name(n)) {
				snprintf(err, errlen, "state %s: 'pending %.80s' is not a message name of ours: refused "
					 "(remove the state file or use --rebuild-state)", st->path, n);
				free(miss);
				return -1;
			}
			if (fstatat(d->tmp_fd, n, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
				if (fstatat(d->new_fd, n, &sb, AT_SYMLINK_NOFOLLOW) < 0)
					miss[nmiss++] = st->pend[i];
				continue;
			}
			if (!S_ISREG(sb.st_mode)) {
				snprintf(err, errlen, "%s/tmp/%s: not a regular file: refused", d->path, n);
				free(miss);
				return -1;
			}
			if (renameat(d->tmp_fd, n, d->new_fd, n) < 0) {
				snprintf(err, errlen, "rename %s/tmp/%s: %s", d->path, n, strerror(errno));
				free(miss);
				return -1;
			}
			log_trace("recovered %s into new/", n);
		}
		if (nmiss && lost_again(d, st, miss, nmiss, err, errlen) < 0) {
			free(miss);
			return -1;
		}
		free(miss);
		if (queue_new_sync(d, err, errlen) < 0 || new_durable(d, st, err, errlen) < 0)
			return -1;
		*changed = 1;
	}
	clean_tmp(d);
	return 0;
}

static char *maildir_file(struct dest *d, const struct dmsg *m)
{
	return xasprintf("%s/new/%s", d->path, m->name);
}

const struct dest_ops mf_maildir_ops = {
	.open = maildir_open,
	.close = maildir_close,
	.msg_begin = maildir_msg_begin,
	.msg_wrote = maildir_msg_wrote,
	.msg_end = maildir_msg_end,
	.msg_abort = maildir_msg_abort,
	.commit = maildir_commit,
	.settle = maildir_settle,
	.clear = maildir_clear,
	.recover = maildir_recover,
	.file = maildir_file,
};
