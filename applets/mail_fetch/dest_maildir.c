/* dest_maildir.c - -o DIR: Maildir delivery in durable batches.
 *
 * Header: deliver.h    Tests: tests/integration/mail_fetch.sh, tests/integration/mail_fetch_crash.sh
 *
 * Each message is created as tmp/NAME and written by helper threads (overlapping the
 * download); at the end of a batch the helpers are drained, one syncfs makes the batch's
 * files and their names in tmp/ durable (with -DSYNC_SYNCFS=0: each file is fsynced by a
 * pool of threads and tmp/ is fsynced), the state records the batch with "pending NAME"
 * lines, then tmp/NAME is renamed to new/NAME and new/ is synced. A crash after the state
 * save is finished by the recovery (rename what is still in tmp/); a crash before it
 * leaves only tmp/ files and the messages are fetched again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "deliver.h"
#include "file.h"
#include "log.h"
#include "nt_err.h"

#define MEM_SWITCH (1u << 20) /* a message larger than this is written as it arrives */

/* --- the write pool: files are created and written by CREATE_THREADS threads (two by
 * default: creating files in one folder from many threads mostly spins on the folder's
 * lock) and, with per-file syncs, fsynced and closed by SYNC_THREADS others, so that the
 * syncs of a batch overlap each other (the file system commits them together) and the
 * download of the next messages. With SYNC_SYNCFS the files are only created and written,
 * and the batch commit makes them durable with one syncfs (see sync_batch). The batch
 * commit waits for every job. One pool per destination, stopped when it closes. */
#ifndef SYNC_THREADS
#define SYNC_THREADS 16 /* -DSYNC_THREADS=n to experiment */
#endif
#ifndef CREATE_THREADS
#define CREATE_THREADS 2 /* two overlap one's syscall entry, write and close with the other's create under the tmp/ lock */
#endif
#ifndef SYNC_SYNCFS
#define SYNC_SYNCFS 1 /* -DSYNC_SYNCFS=0: fsync each file in the pool instead */
#endif
#define SYNC_QUEUE 1024

struct job {
	int fd;
	char *path, *buf; /* path set: create it and write buf (rename: rename path to buf) */
	size_t len;
	int sync;
	int rename;
};
struct ring {
	struct job q[SYNC_QUEUE];
	unsigned head, tail;
	pthread_cond_t more;
};
struct md_pool {
	pthread_mutex_t mu;
	pthread_cond_t done;
	struct ring cq, sq;       /* files to create; fds to fsync */
	size_t inflight;          /* bytes of queued buffers */
	unsigned long submitted, finished;
	int err;                  /* first error (errno) */
	int started;              /* 0 not yet, 1 threads, -1 none (jobs done by the caller) */
	int quit;
	pthread_t t[CREATE_THREADS + SYNC_THREADS];
	int nt;
};

static struct md_pool *pool_new(void)
{
	struct md_pool *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->done, NULL);
	pthread_cond_init(&p->cq.more, NULL);
	pthread_cond_init(&p->sq.more, NULL);
	return p;
}

/* Called with p->mu held. */
static void ring_put(struct md_pool *p, struct ring *r, struct job j)
{
	while (r->tail - r->head >= SYNC_QUEUE)
		pthread_cond_wait(&p->done, &p->mu);
	r->q[r->tail++ % SYNC_QUEUE] = j;
	pthread_cond_signal(&r->more);
}

/* 0 and a job, or -1 when the pool stops. */
static int ring_get(struct md_pool *p, struct ring *r, struct job *j)
{
	while (r->head == r->tail && !p->quit)
		pthread_cond_wait(&r->more, &p->mu);
	if (r->head == r->tail)
		return -1;
	*j = r->q[r->head++ % SYNC_QUEUE];
	pthread_cond_broadcast(&p->done); /* room in the queue */
	return 0;
}

/* A job is over (called with p->mu held). */
static void job_finish(struct md_pool *p, struct job *j, int e)
{
	p->inflight -= j->len;
	if (e && !p->err)
		p->err = e;
	p->finished++;
	pthread_cond_broadcast(&p->done);
}

static void *create_worker(void *arg)
{
	struct md_pool *p = arg;
	struct job j;
	pthread_mutex_lock(&p->mu);
	while (ring_get(p, &p->cq, &j) == 0) {
		pthread_mutex_unlock(&p->mu);
		int e = 0;
		if (j.rename) {
			if (rename(j.path, j.buf) < 0)
				e = errno;
			free(j.path);
			free(j.buf);
			pthread_mutex_lock(&p->mu);
			job_finish(p, &j, e);
			continue;
		}
		int fd = open(j.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || file_write_all(fd, j.buf, j.len) < 0)
			e = errno ? errno : EIO;
		free(j.path);
		free(j.buf);
		j.path = j.buf = NULL;
		if (!e && j.sync && !SYNC_SYNCFS) {
			pthread_mutex_lock(&p->mu);
			j.fd = fd;
			ring_put(p, &p->sq, j); /* the sync worker finishes the job */
			continue;
		}
		if (fd >= 0 && close(fd) < 0 && !e)
			e = errno;
		pthread_mutex_lock(&p->mu);
		job_finish(p, &j, e);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void *sync_worker(void *arg)
{
	struct md_pool *p = arg;
	struct job j;
	pthread_mutex_lock(&p->mu);
	while (ring_get(p, &p->sq, &j) == 0) {
		pthread_mutex_unlock(&p->mu);
		int e = 0;
		if (j.sync && fsync(j.fd) < 0)
			e = errno;
		if (close(j.fd) < 0 && !e)
			e = errno;
		pthread_mutex_lock(&p->mu);
		job_finish(p, &j, e);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Called with p->mu held. */
static void pool_start(struct md_pool *p)
{
	p->started = 1;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* workers take no signals */
	int nc = 0, ns = 0;
	for (int i = 0; i < CREATE_THREADS; i++)
		if (pthread_create(&p->t[p->nt], NULL, create_worker, p) == 0)
			p->nt++, nc++;
	for (int i = 0; i < (SYNC_SYNCFS ? 0 : SYNC_THREADS); i++)
		if (pthread_create(&p->t[p->nt], NULL, sync_worker, p) == 0)
			p->nt++, ns++;
	/* Without threads of either kind the jobs are done here, in the caller. */
	if (!nc || (!SYNC_SYNCFS && !ns))
		p->started = -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Stop the threads (after the jobs queued) and free the pool. */
static void pool_free(struct md_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->cq.more);
	pthread_cond_broadcast(&p->sq.more);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nt; i++)
		pthread_join(p->t[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->cq.more);
	pthread_cond_destroy(&p->sq.more);
	free(p);
}

/* Queue a job (called with p->mu held); bounded in count and in bytes. */
static void pool_put(struct md_pool *p, struct ring *r, struct job j)
{
	while (p->inflight > (64u << 20) && p->submitted != p->finished)
		pthread_cond_wait(&p->done, &p->mu);
	p->inflight += j.len;
	p->submitted++;
	ring_put(p, r, j);
}

/* 1 when the pool has threads (started on first use). Called with p->mu held. */
static int pool_up(struct md_pool *p)
{
	if (!p->started)
		pool_start(p);
	return p->started > 0;
}

/* Hand fd to the pool, which fsyncs (unless a syncfs per batch does) and closes it.
 * Without threads: here. */
static int sync_submit(struct md_pool *p, int fd)
{
	pthread_mutex_lock(&p->mu);
	if (!pool_up(p) || SYNC_SYNCFS) {
		pthread_mutex_unlock(&p->mu);
		int e = !SYNC_SYNCFS && fsync(fd) < 0 ? errno : 0;
		if (close(fd) < 0 && !e)
			e = errno;
		if (e) {
			errno = e;
			return -1;
		}
		return 0;
	}
	pool_put(p, &p->sq, (struct job){fd, NULL, NULL, 0, 1, 0});
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Hand a whole message to the pool: it creates path, writes buf, fsyncs (sync), closes;
 * it frees path and buf. Errors show in sync_wait. */
static int write_submit(struct md_pool *p, char *path, char *buf, size_t len, int sync)
{
	pthread_mutex_lock(&p->mu);
	if (!pool_up(p)) {
		pthread_mutex_unlock(&p->mu);
		int e = 0, fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || file_write_all(fd, buf, len) < 0 || (sync && !SYNC_SYNCFS && fsync(fd) < 0))
			e = errno ? errno : EIO;
		if (fd >= 0 && close(fd) < 0 && !e)
			e = errno;
		free(path);
		free(buf);
		if (e) {
			pthread_mutex_lock(&p->mu);
			if (!p->err)
				p->err = e;
			pthread_mutex_unlock(&p->mu);
		}
		return e ? -1 : 0;
	}
	pool_put(p, &p->cq, (struct job){-1, path, buf, len, sync, 0});
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Queue the rename of from to to (after the jobs queued before it); the pool frees both.
 * Returns -1 when there is no pool: the caller renames. */
static int rename_submit(struct md_pool *p, char *from, char *to)
{
	pthread_mutex_lock(&p->mu);
	if (!pool_up(p)) {
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	pool_put(p, &p->cq, (struct job){-1, from, to, 0, 0, 1});
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Wait until every submitted job is over; 0, or -1 with the first error in errno. */
static int sync_wait(struct md_pool *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->finished < p->submitted)
		pthread_cond_wait(&p->done, &p->mu);
	int e = p->err;
	p->err = 0;
	pthread_mutex_unlock(&p->mu);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

/* --- the destination --- */

static int maildir_open(struct dest *d, char *err, size_t errlen)
{
	d->pid = getpid(); /* one getpid per run, not per message name */
	if (gethostname(d->host, sizeof d->host - 1) < 0 || !d->host[0])
		snprintf(d->host, sizeof d->host, "localhost");
	for (char *c = d->host; *c; c++)
		if (*c == '/' || *c == ':' || *c == '\\' || (unsigned char)*c < 0x21)
			*c = '_';
	const char *sub[] = {"tmp", "new", "cur"};
	if (file_mkdirs(d->path, 0700) < 0) {
		snprintf(err, errlen, "%s: %s", d->path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		char *p = xasprintf("%s/%s", d->path, sub[i]);
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		free(p);
	}
	char *p = xasprintf("%s/tmp", d->path);
	d->tmp_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->tmp_fd < 0) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	d->pool = pool_new();
	return 0;
}

static void maildir_close(struct dest *d)
{
	if (d->pool)
		sync_wait(d->pool); /* the renames a commit left */
	pool_free(d->pool);
	d->pool = NULL;
	if (d->tmp_fd >= 0)
		close(d->tmp_fd);
	d->tmp_fd = -1;
}

static void maildir_clear(struct dest *d, int remove_files)
{
	if (!remove_files)
		return;
	sync_wait(d->pool); /* no worker may create a file after we removed it */
	for (size_t i = 0; i < d->n; i++) {
		if (d->m[i].name) {
			char *p = xasprintf("%s/tmp/%s", d->path, d->m[i].name);
			unlink(p);
			free(p);
		}
	}
}

static void maildir_msg_begin(struct dest *d)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	d->cur_name = xasprintf("%lld.M%ldP%dQ%lu.%s", (long long)tv.tv_sec, (long)tv.tv_usec, (int)d->pid, ++d->seq,
				d->host);
	/* Kept in memory and written by the pool at the end (or, when large, as it comes). */
	d->cur_fd = -1;
	mbox_writer_init(&d->w, -1, MBOX_W_CRLF | MBOX_W_HEADER, 0);
}

static int maildir_msg_wrote(struct dest *d)
{
	if (!d->w.mem || d->w.olen <= MEM_SWITCH)
		return 0;
	/* A large message: create its file now and stream the rest. */
	char *path = xasprintf("%s/tmp/%s", d->path, d->cur_name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	free(path);
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
	char *p = xasprintf("%s/tmp/%s", d->path, d->cur_name);
	unlink(p);
	free(p);
	free(d->cur_name);
	d->cur_name = NULL;
	d->cur_fd = -1;
}

static int maildir_msg_end(struct dest *d, struct dmsg *m, char *err, size_t errlen)
{
	if (d->w.mem) {
		char *path = xasprintf("%s/tmp/%s", d->path, d->cur_name);
		write_submit(d->pool, path, d->w.obuf, d->w.olen, !d->no_sync); /* the pool owns path and obuf */
		d->w.obuf = NULL;
	} else {
		int fd = d->cur_fd;
		d->cur_fd = -1;
		if ((d->no_sync ? close(fd) : sync_submit(d->pool, fd)) < 0) {
			snprintf(err, errlen, "close %s: %s", d->cur_name, strerror(errno));
			return -1;
		}
	}
	m->name = d->cur_name;
	d->cur_name = NULL;
	return 0;
}

static int sync_batch(struct dest *d, char *err, size_t errlen)
{
	if (sync_wait(d->pool) < 0) {
		snprintf(err, errlen, "writing in %s/tmp: %s", d->path, strerror(errno));
		return -1;
	}
	if (d->no_sync)
		return 0;
	char *p = xasprintf("%s/tmp", d->path);
	int r;
	if (SYNC_SYNCFS) {
		/* The batch's files and their names in tmp/, with one sync of the file system;
		 * its writeback errors since d->tmp_fd was opened are reported here. */
		r = syncfs(d->tmp_fd);
		if (r < 0)
			snprintf(err, errlen, "syncfs %s: %s", p, strerror(errno));
	} else {
		/* The names in tmp/ must survive too: recovery renames them from there. */
		r = file_sync_dir(p);
		if (r < 0)
			snprintf(err, errlen, "fsync %s: %s", p, strerror(errno));
	}
	free(p);
	return r;
}

static void drop_pending(struct mf_state *st)
{
	for (size_t i = 0; i < st->npend; i++)
		free(st->pend[i]);
	st->npend = 0;
}

/* Make the renames into new/ durable (sync new/); the state's pending lines are then done
 * with, and the next save drops them. */
static int new_durable(struct dest *d, struct mf_state *st, char *err, size_t errlen)
{
	char *nd = xasprintf("%s/new", d->path);
	int r = d->no_sync ? 0 : file_sync_dir(nd);
	int e = errno;
	free(nd);
	if (r < 0) {
		snprintf(err, errlen, "fsync %s/new: %s", d->path, strerror(e));
		return -1;
	}
	drop_pending(st);
	return 0;
}

static int maildir_commit(struct dest *d, struct mf_state *st, size_t *nk, char *err, size_t errlen)
{
	if (sync_batch(d, err, errlen) < 0)
		return -1;
	if (d->renames_queued) {
		/* The previous batch's renames are done (sync_batch waited) and durable (the
		 * syncfs covered new/): its pending lines go. */
		drop_pending(st);
		d->renames_queued = 0;
	}
	for (size_t i = 0; i < d->n; i++) {
		if (st->npend == st->pcap)
			st->pcap = st->pcap ? st->pcap * 2 : 64, st->pend = xrealloc(st->pend, st->pcap * sizeof *st->pend);
		st->pend[st->npend++] = xstrdup(d->m[i].name);
		mf_state_add(st, d->m[i].key, d->m[i].msgid);
	}
	if (mf_state_save(st, err, errlen) < 0)
		return -1;
	mf_crash_point("after-state");
	/* The batch is safe from here (synced in tmp/, pending in the state: recovery renames
	 * it). With syncfs the renames go to the helper threads, overlapping the next batch's
	 * download; the next commit's syncfs (or mf_dest_settle) makes them durable and drops
	 * the pending lines. --exec wants the files in new/ now. */
	size_t i0 = 0;
	if (SYNC_SYNCFS && !d->exec) {
		for (; i0 < d->n; i0++) {
			char *a = xasprintf("%s/tmp/%s", d->path, d->m[i0].name);
			char *b = xasprintf("%s/new/%s", d->path, d->m[i0].name);
			if (rename_submit(d->pool, a, b) < 0) { /* no threads: renamed below */
				free(a), free(b);
				break;
			}
		}
		if (i0 == d->n) {
			d->renames_queued = 1;
			for (size_t i = 0; i < d->n; i++)
				d->keys[(*nk)++] = d->m[i].key;
			return 0;
		}
	}
	for (size_t i = i0; i < d->n; i++) {
		char *a = xasprintf("%s/tmp/%s", d->path, d->m[i].name);
		char *b = xasprintf("%s/new/%s", d->path, d->m[i].name);
		int r = rename(a, b);
		int e = errno;
		free(a), free(b);
		if (r < 0) {
			snprintf(err, errlen, "rename into %s/new: %s", d->path, strerror(e));
			return -1;
		}
	}
	if (i0 && sync_wait(d->pool) < 0) {
		snprintf(err, errlen, "rename into %s/new: %s", d->path, strerror(errno));
		return -1;
	}
	if (new_durable(d, st, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < d->n; i++)
		d->keys[(*nk)++] = d->m[i].key;
	return 0;
}

static int maildir_settle(struct dest *d, struct mf_state *st, char *err, size_t errlen)
{
	if (!d->renames_queued)
		return 0;
	d->renames_queued = 0;
	if (sync_wait(d->pool) < 0) {
		snprintf(err, errlen, "rename into %s/new: %s", d->path, strerror(errno));
		return -1;
	}
	return new_durable(d, st, err, errlen);
}

/* tmp/ files that a killed mail-fetch of this host left: their writer is gone. */
static void clean_tmp(struct dest *d)
{
	char *p = xasprintf("%s/tmp", d->path);
	DIR *dir = opendir(p);
	if (!dir) {
		free(p);
		return;
	}
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
		unlinkat(dirfd(dir), e->d_name, 0);
	}
	closedir(dir);
	free(p);
}

static int maildir_recover(struct dest *d, struct mf_state *st, int *changed, char *err, size_t errlen)
{
	if (st->npend) {
		for (size_t i = 0; i < st->npend; i++) {
			char *a = xasprintf("%s/tmp/%s", d->path, st->pend[i]);
			char *b = xasprintf("%s/new/%s", d->path, st->pend[i]);
			if (access(a, F_OK) == 0) {
				if (rename(a, b) < 0) {
					snprintf(err, errlen, "rename %s: %s", a, strerror(errno));
					free(a), free(b);
					return -1;
				}
				log_trace("recovered %s into new/", st->pend[i]);
			}
			free(a), free(b);
		}
		char *nd = xasprintf("%s/new", d->path);
		int r = file_sync_dir(nd);
		free(nd);
		if (r < 0) {
			snprintf(err, errlen, "fsync %s/new: %s", d->path, strerror(errno));
			return -1;
		}
		drop_pending(st);
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
