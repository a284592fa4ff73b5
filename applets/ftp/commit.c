/* commit.c - group commit of finished downloads and journal lines in a thread.
 *
 * One group: start writeback of every file (sync_file_range), fdatasync each (the
 * first waits for the file system's commit, the others find it done), close and
 * rename them into place, fsync each folder once, then append the journal lines
 * and fdatasync the journal. Only this file's data is synced (no syncfs), so the
 * cost is the disk's cost for our bytes.
 *
 * Header: applets/ftp/commit.h    Tests: tests/integration/ftp_batch.sh (kill -9 and rerun)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "commit.h"
#include "nt_err.h"

#define QUEUE_MAX 256
/* A woken committer waits for this many items, or GATHER_MS after the first, so that
 * a group's folder fsync, journal write and wake-ups serve many files, not one or two. */
#define GATHER 64
#define GATHER_MS 20
#define DIRS_MAX 16

struct item {
	struct afile af;
	int has_file;
	char *key;
};

struct committer {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t work, space;
	/* Held around each rename here and each file creation in the engine: both take
	 * the folder's lock in the kernel, which spins (burning the second core) while a
	 * slow inode allocation holds it; a futex sleeps instead. */
	pthread_mutex_t names;
	struct item *q;
	size_t n;
	int stop, busy;
	int jfd;
	char err[600];
	int failed;
};

static void set_err(struct committer *c, const char *what, const char *path)
{
	pthread_mutex_lock(&c->mu);
	if (!c->failed)
		snprintf(c->err, sizeof c->err, "%s %s: %s", what, path ? path : "", strerror(errno));
	c->failed = 1;
	pthread_mutex_unlock(&c->mu);
}

static void drop_file(struct afile *af)
{
	free(af->tmp), free(af->final), free(af->dir);
	af->tmp = af->final = af->dir = NULL;
}

static void group(struct committer *c, struct item *v, size_t n)
{
	int bad = c->failed;
	for (size_t i = 0; i < n && !bad; i++)
		if (v[i].has_file)
			sync_file_range(v[i].af.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	for (size_t i = 0; i < n && !bad; i++)
		if (v[i].has_file && fdatasync(v[i].af.fd) < 0) {
			set_err(c, "fsync", v[i].af.tmp);
			bad = 1;
		}
	const char *dirs[DIRS_MAX];
	size_t nd = 0;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].has_file)
			continue;
		if (bad) {
			afile_abort(&v[i].af);
			continue;
		}
		if (close(v[i].af.fd) < 0) {
			set_err(c, "close", v[i].af.tmp);
			bad = 1;
			v[i].af.fd = -1;
			afile_abort(&v[i].af);
			continue;
		}
		v[i].af.fd = -1;
		pthread_mutex_lock(&c->names);
		int rr = rename(v[i].af.tmp, v[i].af.final);
		pthread_mutex_unlock(&c->names);
		if (rr < 0) {
			set_err(c, "rename to", v[i].af.final);
			bad = 1;
			afile_abort(&v[i].af);
			continue;
		}
		size_t k = 0;
		while (k < nd && strcmp(dirs[k], v[i].af.dir))
			k++;
		if (k == nd) {
			if (nd == DIRS_MAX) {
				/* Many folders in one group: sync the ones seen so far now. */
				for (size_t j = 0; j < nd; j++)
					if (file_sync_dir(dirs[j]) < 0 && !bad)
						set_err(c, "fsync", dirs[j]), bad = 1;
				nd = 0;
			}
			dirs[nd++] = v[i].af.dir;
		}
	}
	for (size_t j = 0; j < nd && !bad; j++)
		if (file_sync_dir(dirs[j]) < 0)
			set_err(c, "fsync", dirs[j]), bad = 1;
	if (!bad && c->jfd >= 0) {
		struct buf b;
		buf_init(&b, 0);
		for (size_t i = 0; i < n; i++)
			if (v[i].key)
				buf_appendf(&b, "done\t%s\n", v[i].key);
		if (buf_pending(&b) &&
		    (file_write_all(c->jfd, buf_head(&b), buf_pending(&b)) < 0 || fdatasync(c->jfd) < 0))
			set_err(c, "write", "journal");
		buf_free(&b);
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].has_file)
			drop_file(&v[i].af);
		free(v[i].key);
	}
}

static void *run(void *arg)
{
	struct committer *c = arg;
	struct item *mine = xcalloc(QUEUE_MAX, sizeof *mine);
	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (!c->n && !c->stop)
			pthread_cond_wait(&c->work, &c->mu);
		if (c->n < GATHER && !c->stop) {
			struct timespec dl;
			clock_gettime(CLOCK_MONOTONIC, &dl);
			dl.tv_nsec += GATHER_MS * 1000000L;
			if (dl.tv_nsec >= 1000000000L)
				dl.tv_sec++, dl.tv_nsec -= 1000000000L;
			while (c->n < GATHER && !c->stop)
				if (pthread_cond_timedwait(&c->work, &c->mu, &dl) == ETIMEDOUT)
					break;
		}
		if (!c->n && c->stop) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		size_t n = c->n;
		memcpy(mine, c->q, n * sizeof *mine);
		c->n = 0;
		c->busy = 1;
		pthread_cond_broadcast(&c->space);
		pthread_mutex_unlock(&c->mu);
		group(c, mine, n);
		pthread_mutex_lock(&c->mu);
		c->busy = 0;
		pthread_cond_broadcast(&c->space);
		pthread_mutex_unlock(&c->mu);
	}
	free(mine);
	return NULL;
}

struct committer *committer_start(int jfd)
{
	struct committer *c = xcalloc(1, sizeof *c);
	c->jfd = jfd;
	c->q = xcalloc(QUEUE_MAX, sizeof *c->q);
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->names, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->work, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&c->space, NULL);
	if (pthread_create(&c->th, NULL, run, c) != 0)
		die(NT_EXIT_IO, "cannot start the commit thread");
	return c;
}

void committer_push(struct committer *c, struct afile *af, char *key)
{
	pthread_mutex_lock(&c->mu);
	while (c->n == QUEUE_MAX && !c->failed)
		pthread_cond_wait(&c->space, &c->mu);
	if (c->failed) {
		char m[sizeof c->err];
		memcpy(m, c->err, sizeof m);
		pthread_mutex_unlock(&c->mu);
		die(NT_EXIT_IO, "%s", m);
	}
	struct item *it = &c->q[c->n++];
	memset(it, 0, sizeof *it);
	if (af) {
		it->af = *af;
		it->has_file = 1;
		memset(af, 0, sizeof *af);
		af->fd = -1;
	}
	it->key = key;
	/* The committer waits for the first item, then for GATHER of them. */
	if (c->n == 1 || c->n == GATHER)
		pthread_cond_signal(&c->work);
	pthread_mutex_unlock(&c->mu);
}

void committer_names_lock(struct committer *c)
{
	pthread_mutex_lock(&c->names);
}

void committer_names_unlock(struct committer *c)
{
	pthread_mutex_unlock(&c->names);
}

void committer_finish(struct committer *c)
{
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->work);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->th, NULL);
	int failed = c->failed;
	char m[sizeof c->err];
	memcpy(m, c->err, sizeof m);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->names);
	pthread_cond_destroy(&c->work);
	pthread_cond_destroy(&c->space);
	free(c->q);
	free(c);
	if (failed)
		die(NT_EXIT_IO, "%s", m);
}
