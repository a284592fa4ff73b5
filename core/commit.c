/* SPDX-License-Identifier: MIT */
/* commit.c - durable commit in groups, on a thread of its own: temporary file -> data
 * durable (one syncfs per file system and group) -> rename into place -> folders
 * fsynced -> records made durable -> waiters woken -> removals handed to a second
 * thread. The policy, its figures
 * and the API are in the header.
 *
 * Header: include/commit.h    Tests: tests/unit/check_commit.c, tests/integration/ftp_batch.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "commit.h"
#include "knobs.h"
#include "nt_err.h"

#define QUEUE_MAX 256
#define DIRS_MAX 16
#define DEVS_MAX 8

enum kind { K_FILE, K_WRITE, K_FD, K_DIR, K_RECORD, K_UNLINK };

struct item {
	enum kind kind;
	struct afile af;     /* K_FILE, K_WRITE (af.fd -1 until created) */
	int fd;              /* K_FD: our dup */
	char *path;          /* K_DIR, K_UNLINK */
	char *data;          /* K_WRITE */
	size_t len;
	int created;         /* K_WRITE: the committer created af.tmp (only then is it removed) */
	char *rec;
	void *arg;           /* commit_file_report: the caller's, back through commit_take_dropped */
};

struct commit {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t work, space, done_cv;
	pthread_mutex_t names;
	struct item *q;
	size_t n;
	unsigned long pushed, done; /* items pushed, items finished (in push order) */
	int stop, hurry, eager;
	size_t max_pending;         /* pushed - done at most this (0: QUEUE_MAX queued) */
	int jfd;
	commit_record_fn *record;
	void *arg;
	int failed;
	char err[600];
	struct commit_dropped *dropped; /* reported items dropped alone, not yet taken */
	size_t ndropped;
	const char *race;               /* test build: NETTOOL_COMMIT_RACE (see place) */
	/* Removals (commit_unlink), done by a second thread in batches, after their group. */
	pthread_t rm_th;
	pthread_cond_t rm_cv;
	char **rm;
	size_t rm_n, rm_cap;
	int rm_started, rm_idle;
};

#define RM_BATCH 32

static void fail(struct commit *c, const char *what, const char *path, int e)
{
	pthread_mutex_lock(&c->mu);
	if (!c->failed)
		snprintf(c->err, sizeof c->err, "%s %s: %s", what, path ? path : "", strerror(e));
	c->failed = 1;
	pthread_mutex_unlock(&c->mu);
}

static void fail_msg(struct commit *c, const char *msg)
{
	pthread_mutex_lock(&c->mu);
	if (!c->failed)
		snprintf(c->err, sizeof c->err, "%s", msg);
	c->failed = 1;
	pthread_mutex_unlock(&c->mu);
}

static int has_file(const struct item *it)
{
	return it->kind == K_FILE || it->kind == K_WRITE;
}

/* Drop an item that will not be committed: its temporary file goes. */
static void item_drop(struct item *it)
{
	if (it->kind == K_WRITE && !it->created) {
		free(it->af.tmp); /* never created by us: not ours to remove */
		it->af.tmp = NULL;
	}
	if (has_file(it))
		afile_abort(&it->af);
	if (it->kind == K_FD && it->fd >= 0)
		close(it->fd);
	free(it->path);
	free(it->data);
	free(it->rec);
	free(it->arg);
	memset(it, 0, sizeof *it);
	it->fd = it->af.fd = -1;
}

/* 1. commit_write items: create and write. */
static int create_files(struct commit *c, struct item *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct item *it = &v[i];
		if (it->kind != K_WRITE)
			continue;
		it->af.fd = open(it->af.tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (it->af.fd < 0) {
			fail(c, "create", it->af.tmp, errno);
			return -1;
		}
		it->created = 1;
		if (file_write_all(it->af.fd, it->data, it->len) < 0) {
			fail(c, "write", it->af.tmp, errno);
			return -1;
		}
		free(it->data);
		it->data = NULL;
	}
	return 0;
}

/* What fd is open on, for a message. */
static const char *fd_name(int fd, char *b, size_t bl)
{
	char l[64];
	snprintf(l, sizeof l, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(l, b, bl - 1);
	if (n < 0)
		snprintf(b, bl, "descriptor %d", fd);
	else
		b[n] = 0;
	return b;
}

static int sync_fs(struct commit *c, int fd)
{
	if (syncfs(fd) == 0)
		return 0;
	int e = errno;
	char b[512];
	fail(c, "sync of the file system holding", fd_name(fd, b, sizeof b), e);
	return -1;
}

/* 2. One syncfs per file system that holds data of the group. */
static int sync_data(struct commit *c, struct item *v, size_t n)
{
	dev_t devs[DEVS_MAX];
	int fds[DEVS_MAX];
	size_t nd = 0, nfiles = 0;
	int one = -1, one_reg = 0;
	for (size_t i = 0; i < n; i++) {
		int fd = has_file(&v[i]) ? v[i].af.fd : v[i].kind == K_FD ? v[i].fd : -1;
		if (fd < 0)
			continue;
		struct stat st;
		if (fstat(fd, &st) < 0) {
			int e = errno;
			char b[512];
			fail(c, "stat", fd_name(fd, b, sizeof b), e);
			return -1;
		}
		if (nfiles++ == 0)
			one = fd, one_reg = S_ISREG(st.st_mode);
		size_t k = 0;
		while (k < nd && devs[k] != st.st_dev)
			k++;
		if (k < nd)
			continue;
		if (nd == DEVS_MAX) { /* many file systems in one group: sync these now */
			for (size_t j = 0; j < nd; j++)
				if (sync_fs(c, fds[j]) < 0)
					return -1;
			nd = 0;
		}
		devs[nd] = st.st_dev;
		fds[nd++] = fd;
	}
	if (nfiles == 1 && one_reg) {
		/* A group whose only data is one regular file (an mbox, an appended download, a
		 * lone message): its fdatasync is the exact sync, and cheaper than syncfs, which
		 * would also write every other program's dirty data on that file system. A folder
		 * given to commit_fd (mail-fetch's tmp/ barrier) always gets the syncfs. */
		if (fdatasync(one) == 0)
			return 0;
		int e = errno;
		char b[512];
		fail(c, "fdatasync", fd_name(one, b, sizeof b), e);
		return -1;
	}
	for (size_t j = 0; j < nd; j++)
		if (sync_fs(c, fds[j]) < 0)
			return -1;
	return 0;
}

static int sync_dirs(struct commit *c, const char **dirs, size_t nd)
{
	for (size_t j = 0; j < nd; j++)
		if (file_sync_dir(dirs[j]) < 0) {
			fail(c, "fsync", dirs[j], errno);
			return -1;
		}
	return 0;
}

/* An item dropped alone in place(): its arg handed back (commit_take_dropped), else warned. */
static void dropped(struct commit *c, struct item *it, const char *why)
{
	if (!it->arg) {
		nt_warn("cannot save as %s: %s", it->af.final, why);
		return;
	}
	pthread_mutex_lock(&c->mu);
	c->dropped = xrealloc(c->dropped, (c->ndropped + 1) * sizeof *c->dropped);
	struct commit_dropped *d = &c->dropped[c->ndropped++];
	d->arg = it->arg;
	snprintf(d->why, sizeof d->why, "cannot save as %s: %s", it->af.final, why);
	pthread_mutex_unlock(&c->mu);
	it->arg = NULL;
}

/* 3 and 4. Rename the files into place, then fsync each folder once. */
static int place(struct commit *c, struct item *v, size_t n)
{
	const char *dirs[DIRS_MAX];
	size_t nd = 0;
	for (size_t i = 0; i < n; i++) {
		struct item *it = &v[i];
		const char *d;
		if (has_file(it)) {
			int r = close(it->af.fd);
			it->af.fd = -1;
			if (r < 0) {
				fail(c, "close", it->af.tmp, errno);
				return -1;
			}
			pthread_mutex_lock(&c->names);
			if (c->race && strlen(it->af.final) >= strlen(c->race) &&
			    !strcmp(it->af.final + strlen(it->af.final) - strlen(c->race), c->race))
				mkdir(it->af.final, 0755); /* the test build's race: a folder appears here now */
			r = afile_place(&it->af); /* relative to its folder's descriptor when it has one */
			int e = errno;
			pthread_mutex_unlock(&c->names);
			if (r < 0 && afile_place_why(e)) {
				/* A reason of this file alone (file.h's rule; the caller's check before
				 * it queued the file missed it, a race): not recorded, its temporary
				 * removed; the rest of the group goes on. Reported back when the caller
				 * asked (commit_file_report), else a warning. */
				dropped(c, it, afile_place_why(e));
				free(it->rec);
				it->rec = NULL;
				afile_abort(&it->af);
				continue;
			}
			if (r < 0) {
				fail(c, "rename to", it->af.final, e);
				return -1;
			}
			free(it->af.tmp);
			it->af.tmp = NULL; /* renamed: nothing to remove any more */
			d = it->af.dir;
		} else if (it->kind == K_DIR) {
			d = it->path;
		} else {
			continue;
		}
		size_t k = 0;
		while (k < nd && strcmp(dirs[k], d))
			k++;
		if (k < nd)
			continue;
		if (nd == DIRS_MAX) { /* many folders in one group: sync the ones seen so far */
			if (sync_dirs(c, dirs, nd) < 0)
				return -1;
			nd = 0;
		}
		dirs[nd++] = d;
	}
	return sync_dirs(c, dirs, nd);
}

/* 5. The records, durable. */
static int record(struct commit *c, struct item *v, size_t n)
{
	char *recs[COMMIT_GROUP_MAX];
	size_t nr = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].rec)
			recs[nr++] = v[i].rec;
	if (!nr)
		return 0;
	if (c->jfd >= 0) {
		struct buf b;
		buf_init(&b, 0);
		int r = 0, e = 0;
		for (size_t i = 0; i < nr && r == 0; i++)
			if (buf_append(&b, recs[i], strlen(recs[i])) < 0)
				r = -1, e = ENOMEM;
		if (r == 0) {
			r = file_write_all(c->jfd, buf_head(&b), buf_pending(&b)) < 0 || fdatasync(c->jfd) < 0 ? -1 : 0;
			e = errno;
		}
		buf_free(&b);
		if (r < 0)
			fail(c, "write", "journal", e);
		return r;
	}
	if (c->record) {
		char err[512] = "";
		if (c->record(c->arg, recs, nr, err, sizeof err) < 0) {
			fail_msg(c, err[0] ? err : "saving the record failed");
			return -1;
		}
	}
	return 0;
}

static void *remover(void *arg)
{
	struct commit *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->rm_n && !c->stop) {
			c->rm_idle = 1;
			pthread_cond_wait(&c->rm_cv, &c->mu);
			c->rm_idle = 0;
		}
		if (!c->rm_n)
			break;
		char **v = c->rm;
		size_t n = c->rm_n;
		c->rm = NULL;
		c->rm_n = c->rm_cap = 0;
		pthread_mutex_unlock(&c->mu);
		for (size_t i = 0; i < n; i++) {
			unlink(v[i]); /* not a promise: whoever needs it checks the folder later */
			free(v[i]);
		}
		free(v);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* Hand a group's removals to the remover (started on first use; without it, done here). */
static void hand_removals(struct commit *c, struct item *v, size_t n)
{
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < n; i++) {
		if (v[i].kind != K_UNLINK)
			continue;
		if (c->rm_n == c->rm_cap) {
			c->rm_cap = c->rm_cap ? c->rm_cap * 2 : 64;
			c->rm = xrealloc(c->rm, c->rm_cap * sizeof *c->rm);
		}
		c->rm[c->rm_n++] = v[i].path;
		v[i].path = NULL;
	}
	if (c->rm_n && !c->rm_started)
		c->rm_started = pthread_create(&c->rm_th, NULL, remover, c) == 0 ? 1 : -1;
	/* A wake-up per batch, not per file: a wake-up per message was a context switch per message. */
	if (c->rm_started == 1 && c->rm_idle && (c->rm_n >= RM_BATCH || c->stop))
		pthread_cond_signal(&c->rm_cv);
	char **left = NULL;
	size_t nl = 0;
	if (c->rm_started < 0) {
		left = c->rm, nl = c->rm_n;
		c->rm = NULL, c->rm_n = c->rm_cap = 0;
	}
	pthread_mutex_unlock(&c->mu);
	for (size_t i = 0; i < nl; i++)
		unlink(left[i]), free(left[i]);
	free(left);
}

static void group(struct commit *c, struct item *v, size_t n)
{
	pthread_mutex_lock(&c->mu);
	int ok = !c->failed;
	pthread_mutex_unlock(&c->mu);
	if (ok)
		ok = create_files(c, v, n) == 0 && sync_data(c, v, n) == 0 && place(c, v, n) == 0 && record(c, v, n) == 0;
	pthread_mutex_lock(&c->mu);
	c->done += n;
	pthread_cond_broadcast(&c->done_cv);
	if (c->max_pending)
		pthread_cond_broadcast(&c->space);
	pthread_mutex_unlock(&c->mu);
	if (ok)
		hand_removals(c, v, n);
	for (size_t i = 0; i < n; i++)
		item_drop(&v[i]);
}

static void *run(void *arg)
{
	struct commit *c = arg;
	struct item mine[COMMIT_GROUP_MAX];
	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (!c->n && !c->stop)
			pthread_cond_wait(&c->work, &c->mu);
		if (c->n < COMMIT_GROUP_MAX && !c->stop && !c->hurry && !c->eager) {
			struct timespec dl;
			clock_gettime(CLOCK_MONOTONIC, &dl);
			dl.tv_nsec += COMMIT_GATHER_MS * 1000000L;
			if (dl.tv_nsec >= 1000000000L)
				dl.tv_sec++, dl.tv_nsec -= 1000000000L;
			while (c->n < COMMIT_GROUP_MAX && !c->stop && !c->hurry)
				if (pthread_cond_timedwait(&c->work, &c->mu, &dl) == ETIMEDOUT)
					break;
		}
		if (!c->n && c->stop) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		size_t n = c->n < COMMIT_GROUP_MAX ? c->n : COMMIT_GROUP_MAX;
		memcpy(mine, c->q, n * sizeof *mine);
		memmove(c->q, c->q + n, (c->n - n) * sizeof *c->q);
		c->n -= n;
		pthread_cond_broadcast(&c->space);
		pthread_mutex_unlock(&c->mu);
		group(c, mine, n);
	}
	return NULL;
}

/* The committer's locks and memory, once its threads are gone (or never started). */
static void commit_free(struct commit *c)
{
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->names);
	pthread_cond_destroy(&c->work);
	pthread_cond_destroy(&c->space);
	pthread_cond_destroy(&c->done_cv);
	pthread_cond_destroy(&c->rm_cv);
	for (size_t i = 0; i < c->ndropped; i++)
		free(c->dropped[i].arg);
	free(c->dropped);
	free(c->q);
	free(c);
}

struct commit *commit_start(const struct commit_conf *conf, char *err, size_t errlen)
{
	struct commit *c = xcalloc(1, sizeof *c);
	c->jfd = conf->journal_fd;
	c->record = conf->record;
	c->arg = conf->arg;
	c->eager = !!(conf->flags & COMMIT_EAGER);
	c->max_pending = conf->max_pending > QUEUE_MAX ? QUEUE_MAX : conf->max_pending;
	c->q = xcalloc(QUEUE_MAX, sizeof *c->q);
	c->race = nt_test_knob("NETTOOL_COMMIT_RACE");
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->names, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->work, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&c->space, NULL);
	pthread_cond_init(&c->done_cv, NULL);
	pthread_cond_init(&c->rm_cv, NULL);
	int e = pthread_create(&c->th, NULL, run, c);
	if (e) {
		snprintf(err, errlen, "cannot start the commit thread: %s", strerror(e));
		commit_free(c);
		return NULL;
	}
	return c;
}

/* Queue *it (taken over): 0, or -1 (dropped) after a failure. */
static int push(struct commit *c, struct item *it)
{
	pthread_mutex_lock(&c->mu);
	while ((c->n == QUEUE_MAX || (c->max_pending && c->pushed - c->done >= c->max_pending)) && !c->failed)
		pthread_cond_wait(&c->space, &c->mu);
	if (c->failed) {
		pthread_mutex_unlock(&c->mu);
		item_drop(it);
		return -1;
	}
	c->q[c->n++] = *it;
	c->pushed++;
	/* The thread waits for the first item, then for a full group (or at once). */
	if (c->n == 1 || c->n == COMMIT_GROUP_MAX || c->eager)
		pthread_cond_signal(&c->work);
	pthread_mutex_unlock(&c->mu);
	return 0;
}

int commit_file(struct commit *c, struct afile *af, char *rec)
{
	struct item it = {.kind = K_FILE, .af = *af, .fd = -1, .rec = rec};
	memset(af, 0, sizeof *af);
	af->fd = -1;
	return push(c, &it);
}

int commit_file_report(struct commit *c, struct afile *af, char *rec, void *arg)
{
	struct item it = {.kind = K_FILE, .af = *af, .fd = -1, .rec = rec, .arg = arg};
	memset(af, 0, sizeof *af);
	af->fd = -1;
	return push(c, &it);
}

size_t commit_take_dropped(struct commit *c, struct commit_dropped **v)
{
	pthread_mutex_lock(&c->mu);
	size_t n = c->ndropped;
	*v = c->dropped;
	c->dropped = NULL;
	c->ndropped = 0;
	pthread_mutex_unlock(&c->mu);
	return n;
}

int commit_write(struct commit *c, char *tmp, char *final, char *data, size_t len, char *rec)
{
	char *copy = xstrdup(final);
	struct item it = {.kind = K_WRITE, .fd = -1, .data = data, .len = len, .rec = rec};
	it.af.fd = -1;
	it.af.tmp = tmp;
	it.af.final = final;
	it.af.dir = xstrdup(dirname(copy));
	free(copy);
	return push(c, &it);
}

int commit_fd(struct commit *c, int fd, char *rec)
{
	struct item it = {.kind = K_FD, .fd = fcntl(fd, F_DUPFD_CLOEXEC, 0), .rec = rec};
	it.af.fd = -1;
	if (it.fd < 0) {
		fail(c, "dup", "(descriptor)", errno);
		item_drop(&it);
		return -1;
	}
	return push(c, &it);
}

int commit_dir(struct commit *c, char *dir, char *rec)
{
	struct item it = {.kind = K_DIR, .fd = -1, .path = dir, .rec = rec};
	it.af.fd = -1;
	return push(c, &it);
}

int commit_record(struct commit *c, char *rec)
{
	struct item it = {.kind = K_RECORD, .fd = -1, .rec = rec};
	it.af.fd = -1;
	return push(c, &it);
}

int commit_unlink(struct commit *c, char *path)
{
	struct item it = {.kind = K_UNLINK, .fd = -1, .path = path};
	it.af.fd = -1;
	return push(c, &it);
}

int commit_wait(struct commit *c, char *err, size_t errlen)
{
	pthread_mutex_lock(&c->mu);
	unsigned long want = c->pushed;
	if (c->done < want && !c->failed) {
		c->hurry++;
		pthread_cond_signal(&c->work);
		while (c->done < want && !c->failed)
			pthread_cond_wait(&c->done_cv, &c->mu);
		c->hurry--;
	}
	int r = c->failed ? -1 : 0;
	if (r < 0)
		snprintf(err, errlen, "%s", c->err);
	pthread_mutex_unlock(&c->mu);
	return r;
}

int commit_finish(struct commit *c, char *err, size_t errlen)
{
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->work);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->th, NULL);
	if (c->rm_started == 1) {
		pthread_mutex_lock(&c->mu);
		pthread_cond_signal(&c->rm_cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->rm_th, NULL);
	}
	for (size_t i = 0; i < c->rm_n; i++) /* left by a failure, or never started */
		unlink(c->rm[i]), free(c->rm[i]);
	free(c->rm);
	int r = c->failed ? -1 : 0;
	if (r < 0)
		snprintf(err, errlen, "%s", c->err);
	commit_free(c);
	return r;
}

void commit_names_lock(struct commit *c)
{
	pthread_mutex_lock(&c->names);
}

void commit_names_unlock(struct commit *c)
{
	pthread_mutex_unlock(&c->names);
}
