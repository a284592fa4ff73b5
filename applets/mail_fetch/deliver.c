/* deliver.c - Maildir, mbox, standard output and --mda delivery, in durable batches, and
 * the recovery of a batch that a crash interrupted.
 *
 * Header: deliver.h    Tests: tests/unit/check_mail_fetch.c, tests/integration/mail_fetch*.sh
 *
 * Maildir: each message is created as tmp/NAME and written by helper threads (overlapping
 * the download); at the end of a batch the helpers are drained, one syncfs makes the batch's
 * files and their names in tmp/ durable (with -DSYNC_SYNCFS=0: each file is fsynced by a
 * pool of threads and tmp/ is fsynced), the state records the batch with "pending NAME"
 * lines, then tmp/NAME is renamed to new/NAME and new/ is fsynced. A crash after the state
 * save is finished by mf_dest_recover (rename what is still in tmp/); a crash before it
 * leaves only tmp/ files and the messages are fetched again. mbox: the batch is formatted into a spool file; under the locks the state
 * records "append of LEN bytes at OFFSET with hash H", then the spool is appended and the
 * mbox fsynced. mf_dest_recover verifies such an append by its hash, or cuts a partial one.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "file.h"
#include "log.h"
#include "nt_err.h"
#include "parse.h"

#define OBUF 65536

static int sync_submit(int fd);
static int write_submit(char *path, char *buf, size_t len, int sync);
static int sync_wait(void);
#define MEM_SWITCH (1u << 20) /* a Maildir message larger than this is written as it arrives */

/* Tests only: NETTOOL_MAIL_CRASH=POINT kills the process there (the crash test's worst
 * moments, made deterministic): after-state, mid-append, after-append. */
static void crash_point(const char *name)
{
	const char *e = getenv("NETTOOL_MAIL_CRASH");
	if (e && !strcmp(e, name))
		raise(SIGKILL);
}

/* --- the writer --- */

static void mf_mw_flush(struct mwriter *w)
{
	if (w->mem)
		return;
	if (w->olen && !w->err && file_write_all(w->fd, w->obuf, w->olen) < 0)
		w->err = errno ? errno : EIO;
	w->olen = 0;
}

static inline void emit(struct mwriter *w, char c)
{
	if (w->olen == w->ocap) {
		if (w->mem) {
			w->ocap *= 2;
			w->obuf = xrealloc(w->obuf, w->ocap);
		} else {
			mf_mw_flush(w);
		}
	}
	w->obuf[w->olen++] = c;
	w->bytes++;
	w->hash = (w->hash ^ (unsigned char)c) * 0x100000001b3ULL;
	w->last_nl = c == '\n';
}

void mf_mw_init(struct mwriter *w, int fd, int mbox)
{
	uint64_t h = w->hash ? w->hash : STATE_FNV_INIT;
	memset(w, 0, sizeof *w);
	w->hash = h;
	w->fd = fd;
	w->mbox = mbox;
	w->obuf = xmalloc(OBUF);
	w->ocap = OBUF;
	w->mem = fd < 0;
	w->hdr = xmalloc(DEST_HDR_MAX);
	w->bol = 1;
	w->last_nl = 1;
	if (mbox) {
		time_t now = time(NULL);
		struct tm tm;
		char date[64];
		gmtime_r(&now, &tm);
		strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm);
		char line[128];
		int n = snprintf(line, sizeof line, "From MAILER-DAEMON %s\n", date);
		for (int i = 0; i < n; i++)
			emit(w, line[i]);
	}
}

void mf_mw_free(struct mwriter *w)
{
	free(w->obuf);
	free(w->hdr);
	w->obuf = w->hdr = NULL;
}

/* One byte after CR handling. */
static void mf_mw_byte(struct mwriter *w, char c)
{
	static const char from[] = "From ";
	if (!w->hdr_done) {
		if (w->hlen < DEST_HDR_MAX)
			w->hdr[w->hlen++] = c;
		if (c == '\n' && (w->hlen == 1 || (w->hlen >= 2 && w->hdr[w->hlen - 2] == '\n')))
			w->hdr_done = 1;
		if (w->hlen >= DEST_HDR_MAX)
			w->hdr_done = 1;
	}
	if (!w->mbox) {
		emit(w, c);
		return;
	}
	if (w->bol) {
		if (w->npre == 0 && c == '>') {
			emit(w, c);
			return;
		}
		w->pre[w->npre++] = c;
		if (c == from[w->npre - 1]) {
			if (w->npre == 5) {
				emit(w, '>');
				for (int i = 0; i < 5; i++)
					emit(w, w->pre[i]);
				w->npre = 0;
				w->bol = 0;
			}
			return;
		}
		for (int i = 0; i < w->npre; i++)
			emit(w, w->pre[i]);
		w->npre = 0;
		w->bol = c == '\n';
		return;
	}
	emit(w, c);
	if (c == '\n')
		w->bol = 1;
}

int mf_mw_write(struct mwriter *w, const char *p, size_t n)
{
	w->in_bytes += n;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (w->cr) {
			w->cr = 0;
			if (c != '\n')
				mf_mw_byte(w, '\r');
		}
		if (c == '\r') {
			w->cr = 1;
			continue;
		}
		mf_mw_byte(w, c);
	}
	return w->err ? -1 : 0;
}

int mf_mw_finish(struct mwriter *w)
{
	if (w->cr) {
		w->cr = 0;
		mf_mw_byte(w, '\r');
	}
	for (int i = 0; i < w->npre; i++)
		emit(w, w->pre[i]);
	w->npre = 0;
	if (w->mbox) {
		if (!w->last_nl)
			emit(w, '\n');
		emit(w, '\n');
	}
	mf_mw_flush(w);
	return w->err ? -1 : 0;
}

/* --- destinations --- */

int mf_dest_open(struct dest *d, enum dest_kind kind, const char *path, const char *mda, char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	d->kind = kind;
	d->spool_fd = d->cur_fd = d->tmp_fd = -1;
	d->mda = mda;
	d->hash = STATE_FNV_INIT;
	d->no_sync = getenv("NETTOOL_MAIL_NOSYNC") != NULL;
	d->pid = getpid(); /* one getpid per run, not per message name */
	static int warned;
	if (d->no_sync && !warned++)
		nt_warn("WARNING: NETTOOL_MAIL_NOSYNC is set: nothing is fsynced, a crash can lose messages "
		     "(--delete included); it is for tests only");
	if (gethostname(d->host, sizeof d->host - 1) < 0 || !d->host[0])
		snprintf(d->host, sizeof d->host, "localhost");
	for (char *c = d->host; *c; c++)
		if (*c == '/' || *c == ':' || *c == '\\' || (unsigned char)*c < 0x21)
			*c = '_';
	if (kind == DEST_MAILDIR) {
		d->path = xstrdup(path);
		const char *sub[] = {"tmp", "new", "cur"};
		if (file_mkdirs(path, 0700) < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		for (int i = 0; i < 3; i++) {
			char *p = xasprintf("%s/%s", path, sub[i]);
			if (mkdir(p, 0700) < 0 && errno != EEXIST) {
				snprintf(err, errlen, "%s: %s", p, strerror(errno));
				free(p);
				return -1;
			}
			free(p);
		}
		char *p = xasprintf("%s/tmp", path);
		d->tmp_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d->tmp_fd < 0) {
			snprintf(err, errlen, "%s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		free(p);
		return 0;
	}
	if (kind == DEST_MBOX)
		d->path = xstrdup(path);
	/* The spool lives next to the mbox (same file system), else in $TMPDIR. */
	const char *tmpdir = getenv("TMPDIR");
	char *dir;
	if (kind == DEST_MBOX) {
		char *c = xstrdup(path);
		char *sl = strrchr(c, '/');
		if (sl)
			*sl = 0;
		dir = sl ? c : (free(c), xstrdup("."));
		if (!*dir) {
			free(dir);
			dir = xstrdup("/");
		}
		if (file_mkdirs(dir, 0700) < 0) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			free(dir);
			return -1;
		}
	} else {
		dir = xstrdup(tmpdir && *tmpdir ? tmpdir : "/tmp");
	}
	d->spool = xasprintf("%s/.nettool-mail-spool.XXXXXX", dir);
	free(dir);
	d->spool_fd = mkostemp(d->spool, O_CLOEXEC);
	if (d->spool_fd < 0) {
		snprintf(err, errlen, "%s: %s", d->spool, strerror(errno));
		return -1;
	}
	unlink(d->spool); /* nobody else needs to see it; the fd keeps it */
	return 0;
}

static void batch_clear(struct dest *d, int remove_files)
{
	if (remove_files && d->kind == DEST_MAILDIR)
		sync_wait(); /* no worker may create a file after we removed it */
	for (size_t i = 0; i < d->n; i++) {
		if (remove_files && d->kind == DEST_MAILDIR && d->m[i].name) {
			char *p = xasprintf("%s/tmp/%s", d->path, d->m[i].name);
			unlink(p);
			free(p);
		}
		free(d->m[i].key);
		free(d->m[i].name);
	}
	d->n = 0;
	if (d->spool_fd >= 0) {
		if (ftruncate(d->spool_fd, 0) < 0) {
			/* the next batch overwrites from 0 anyway */
		}
		lseek(d->spool_fd, 0, SEEK_SET);
	}
	d->spool_len = 0;
	d->hash = STATE_FNV_INIT;
}

void mf_dest_close(struct dest *d)
{
	if (d->writing)
		mf_dest_msg_abort(d);
	batch_clear(d, 1);
	free(d->m);
	if (d->spool_fd >= 0)
		close(d->spool_fd);
	if (d->tmp_fd >= 0)
		close(d->tmp_fd);
	free(d->spool);
	free(d->path);
	memset(d, 0, sizeof *d);
	d->spool_fd = d->cur_fd = d->tmp_fd = -1;
}

size_t mf_dest_batch_count(const struct dest *d)
{
	return d->n;
}

uint64_t mf_dest_batch_bytes(const struct dest *d)
{
	uint64_t b = 0;
	for (size_t i = 0; i < d->n; i++)
		b += d->m[i].in_size;
	return b;
}

int mf_dest_msg_begin(struct dest *d, char *err, size_t errlen)
{
	int fd;
	if (d->kind == DEST_MAILDIR) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		d->cur_name = xasprintf("%lld.M%ldP%dQ%lu.%s", (long long)tv.tv_sec, (long)tv.tv_usec, (int)d->pid,
					++d->seq, d->host);
		/* Kept in memory and written by the pool at the end (or, when large, as it comes). */
		(void)err, (void)errlen;
		fd = -1;
		d->cur_fd = -1;
		d->w.hash = 0;
	} else {
		fd = d->spool_fd;
		d->w.hash = d->hash;
	}
	mf_mw_init(&d->w, fd, d->kind == DEST_MBOX || d->kind == DEST_STDOUT);
	d->writing = 1;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->m = xrealloc(d->m, d->cap * sizeof *d->m);
	}
	memset(&d->m[d->n], 0, sizeof d->m[d->n]);
	d->m[d->n].off = d->spool_len;
	return 0;
}

int mf_dest_msg_write(void *arg, const char *p, size_t n)
{
	struct dest *d = arg;
	if (mf_mw_write(&d->w, p, n) < 0)
		return -1;
	if (d->w.mem && d->w.olen > MEM_SWITCH) {
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
		mf_mw_flush(&d->w);
		if (d->w.err)
			return -1;
	}
	return 0;
}

const char *mf_dest_msg_header(struct dest *d, size_t *len)
{
	*len = d->w.hlen;
	return d->w.hdr;
}

void mf_dest_msg_abort(struct dest *d)
{
	if (!d->writing)
		return;
	d->writing = 0;
	if (d->kind == DEST_MAILDIR) {
		if (d->cur_fd >= 0)
			close(d->cur_fd);
		char *p = xasprintf("%s/tmp/%s", d->path, d->cur_name);
		unlink(p);
		free(p);
		free(d->cur_name);
		d->cur_name = NULL;
		d->cur_fd = -1;
	} else {
		if (ftruncate(d->spool_fd, (off_t)d->spool_len) < 0) {
			/* the batch then carries garbage: make the commit fail */
			d->spool_len = UINT64_MAX;
		}
		lseek(d->spool_fd, (off_t)d->spool_len, SEEK_SET);
	}
	mf_mw_free(&d->w);
}

int mf_dest_msg_end(struct dest *d, const char *key, char *err, size_t errlen)
{
	struct dmsg *m = &d->m[d->n];
	int r = mf_mw_finish(&d->w);
	if (r < 0) {
		snprintf(err, errlen, "writing %s: %s", d->kind == DEST_MAILDIR ? d->cur_name : "the spool",
			 strerror(d->w.err));
		mf_dest_msg_abort(d);
		return -1;
	}
	char mid[1024];
	if (mf_mail_header(d->w.hdr, d->w.hlen, "Message-ID", mid, sizeof mid))
		mf_state_clean_msgid(m->msgid, sizeof m->msgid, mid);
	m->in_size = d->w.in_bytes;
	m->key = xstrdup(key);
	if (d->kind == DEST_MAILDIR && d->w.mem) {
		char *path = xasprintf("%s/tmp/%s", d->path, d->cur_name);
		write_submit(path, d->w.obuf, d->w.olen, !d->no_sync); /* the pool owns path and obuf */
		d->w.obuf = NULL;
		m->name = d->cur_name;
		d->cur_name = NULL;
	} else if (d->kind == DEST_MAILDIR) {
		int fd = d->cur_fd;
		d->cur_fd = -1;
		if ((d->no_sync ? close(fd) : sync_submit(fd)) < 0) {
			snprintf(err, errlen, "close %s: %s", d->cur_name, strerror(errno));
			free(m->key);
			mf_dest_msg_abort(d);
			return -1;
		}
		m->name = d->cur_name;
		d->cur_name = NULL;
	} else {
		m->len = d->w.bytes;
		d->spool_len += m->len;
		d->hash = d->w.hash;
	}
	mf_mw_free(&d->w);
	d->writing = 0;
	d->n++;
	return 0;
}

/* A dotlock whose writer (pid inside) is gone: a crash left it. A lock without a pid is
 * never judged here: mbox_lock removes it only when it is over 300 s old. */
static int lock_is_dead(const char *lock)
{
	char b[32] = "";
	int fd = open(lock, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t r = read(fd, b, sizeof b - 1);
	close(fd);
	if (r <= 0)
		return 0; /* no pid (another program's lock, or one being written): only the age rule */
	b[r] = 0;
	long pid = strtol(b, NULL, 10);
	return pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* --- mbox locking: a dotlock (FILE.lock) and an fcntl write lock --- */
static int mbox_lock(const char *path, int fd, char *err, size_t errlen)
{
	char *lock = xasprintf("%s.lock", path);
	/* The lock is made by linking a file that already holds our pid, so that a kill can
	 * never leave an empty lock (which only the 300 s rule removes); where link() is not
	 * supported, it is created in place. */
	char *mine = xasprintf("%s.lock.%d", path, (int)getpid());
	char pid[32];
	int npid = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
	int mf = open(mine, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int use_link = mf >= 0 && write(mf, pid, (size_t)npid) == npid;
	if (mf >= 0)
		close(mf);
	for (int tries = 0;; tries++) {
		if (use_link) {
			if (link(mine, lock) == 0)
				break;
			if (errno != EEXIST)
				use_link = 0, errno = EEXIST; /* try in place (below, at once) */
			else
				goto held;
		}
		int lf = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (lf >= 0) {
			if (write(lf, pid, (size_t)npid) < 0) {
				/* the content is a courtesy */
			}
			close(lf);
			break;
		}
	held:
		if (errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", lock, strerror(errno));
			unlink(mine);
			free(mine);
			free(lock);
			return -1;
		}
		struct stat st;
		if (stat(lock, &st) == 0 && (time(NULL) - st.st_mtime > 300 || lock_is_dead(lock))) {
			nt_warn("removing a stale lock %s", lock);
			unlink(lock);
			continue;
		}
		if (tries > 300) {
			snprintf(err, errlen, "%s: locked by another program for 30 s", path);
			unlink(mine);
			free(mine);
			free(lock);
			return -1;
		}
		usleep(100000);
	}
	unlink(mine);
	free(mine);
	free(lock);
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	while (fcntl(fd, F_SETLKW, &fl) < 0) {
		if (errno == EINTR)
			continue;
		snprintf(err, errlen, "lock %s: %s", path, strerror(errno));
		char *l = xasprintf("%s.lock", path);
		unlink(l);
		free(l);
		return -1;
	}
	return 0;
}

static void mbox_unlock(const char *path, int fd)
{
	struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
	fcntl(fd, F_SETLK, &fl);
	char *l = xasprintf("%s.lock", path);
	unlink(l);
	free(l);
}

static int copy_range(int from, uint64_t off, uint64_t len, int to, char *err, size_t errlen)
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

static int run_with_input(const char *cmd, int spool, uint64_t off, uint64_t len, char *const envp_add[])
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]), close(p[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(p[0], 0);
		/* Only 0-2: not the server connection (libcurl's sockets are not close-on-exec),
		 * the pipe's other end, or anything our caller left open. */
		close_range(3, ~0U, 0);
		for (int i = 0; envp_add && envp_add[i]; i++)
			putenv(envp_add[i]);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	char e[64];
	if (spool >= 0)
		copy_range(spool, off, len, p[1], e, sizeof e); /* a command that stops reading is its business */
	close(p[1]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* --- the write pool: Maildir files are created and written by CREATE_THREADS threads (two
 * by default: creating files in one folder from many threads mostly spins on the folder's
 * lock) and, with per-file syncs, fsynced and closed by SYNC_THREADS others, so that the
 * syncs of a batch overlap each other (the file system commits them together) and the
 * download of the next messages. With SYNC_SYNCFS the files are only created and written,
 * and the batch commit makes them durable with one syncfs (see sync_batch). The batch
 * commit waits for every job. */
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
static struct {
	pthread_mutex_t mu;
	pthread_cond_t done;
	struct ring cq, sq;       /* files to create; fds to fsync */
	size_t inflight;          /* bytes of queued buffers */
	unsigned long submitted, finished;
	int err;                  /* first error (errno) */
	int started;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER,
	  .done = PTHREAD_COND_INITIALIZER,
	  .cq = {.more = PTHREAD_COND_INITIALIZER},
	  .sq = {.more = PTHREAD_COND_INITIALIZER}};

/* Called with pool.mu held. */
static void ring_put(struct ring *r, struct job j)
{
	while (r->tail - r->head >= SYNC_QUEUE)
		pthread_cond_wait(&pool.done, &pool.mu);
	r->q[r->tail++ % SYNC_QUEUE] = j;
	pthread_cond_signal(&r->more);
}

static struct job ring_get(struct ring *r)
{
	while (r->head == r->tail)
		pthread_cond_wait(&r->more, &pool.mu);
	struct job j = r->q[r->head++ % SYNC_QUEUE];
	pthread_cond_broadcast(&pool.done); /* room in the queue */
	return j;
}

/* A job is over (called with pool.mu held). */
static void job_finish(struct job *j, int e)
{
	pool.inflight -= j->len;
	if (e && !pool.err)
		pool.err = e;
	pool.finished++;
	pthread_cond_broadcast(&pool.done);
}

static void *create_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		struct job j = ring_get(&pool.cq);
		pthread_mutex_unlock(&pool.mu);
		int e = 0;
		if (j.rename) {
			if (rename(j.path, j.buf) < 0)
				e = errno;
			free(j.path);
			free(j.buf);
			pthread_mutex_lock(&pool.mu);
			job_finish(&j, e);
			continue;
		}
		int fd = open(j.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || file_write_all(fd, j.buf, j.len) < 0)
			e = errno ? errno : EIO;
		free(j.path);
		free(j.buf);
		j.path = j.buf = NULL;
		if (!e && j.sync && !SYNC_SYNCFS) {
			pthread_mutex_lock(&pool.mu);
			j.fd = fd;
			ring_put(&pool.sq, j); /* the sync worker finishes the job */
			continue;
		}
		if (fd >= 0 && close(fd) < 0 && !e)
			e = errno;
		pthread_mutex_lock(&pool.mu);
		job_finish(&j, e);
	}
	return NULL;
}

static void *sync_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		struct job j = ring_get(&pool.sq);
		pthread_mutex_unlock(&pool.mu);
		int e = 0;
		if (j.sync && fsync(j.fd) < 0)
			e = errno;
		if (close(j.fd) < 0 && !e)
			e = errno;
		pthread_mutex_lock(&pool.mu);
		job_finish(&j, e);
	}
	return NULL;
}

static void pool_start(void)
{
	pool.started = 1;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* workers take no signals */
	int nc = 0, ns = 0;
	for (int i = 0; i < CREATE_THREADS; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, create_worker, NULL) == 0)
			pthread_detach(t), nc++;
	}
	for (int i = 0; i < (SYNC_SYNCFS ? 0 : SYNC_THREADS); i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, sync_worker, NULL) == 0)
			pthread_detach(t), ns++;
	}
	/* Without threads of either kind the jobs are done here, in the caller. */
	if (!nc || (!SYNC_SYNCFS && !ns))
		pool.started = -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Queue a job (called with pool.mu held); bounded in count and in bytes. */
static void pool_put(struct ring *r, struct job j)
{
	while (pool.inflight > (64u << 20) && pool.submitted != pool.finished)
		pthread_cond_wait(&pool.done, &pool.mu);
	pool.inflight += j.len;
	pool.submitted++;
	ring_put(r, j);
}

/* Hand fd to the pool, which fsyncs (unless a syncfs per batch does) and closes it.
 * Without threads: here. */
static int sync_submit(int fd)
{
	pthread_mutex_lock(&pool.mu);
	if (!pool.started)
		pool_start();
	if (pool.started < 0 || SYNC_SYNCFS) {
		pthread_mutex_unlock(&pool.mu);
		int e = !SYNC_SYNCFS && fsync(fd) < 0 ? errno : 0;
		if (close(fd) < 0 && !e)
			e = errno;
		if (e) {
			errno = e;
			return -1;
		}
		return 0;
	}
	pool_put(&pool.sq, (struct job){fd, NULL, NULL, 0, 1, 0});
	pthread_mutex_unlock(&pool.mu);
	return 0;
}

/* Hand a whole message to the pool: it creates path, writes buf, fsyncs (sync), closes;
 * it frees path and buf. Errors show in sync_wait. */
static int write_submit(char *path, char *buf, size_t len, int sync)
{
	pthread_mutex_lock(&pool.mu);
	if (!pool.started)
		pool_start();
	if (pool.started < 0) {
		pthread_mutex_unlock(&pool.mu);
		int e = 0, fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || file_write_all(fd, buf, len) < 0 || (sync && !SYNC_SYNCFS && fsync(fd) < 0))
			e = errno ? errno : EIO;
		if (fd >= 0 && close(fd) < 0 && !e)
			e = errno;
		free(path);
		free(buf);
		if (e) {
			pthread_mutex_lock(&pool.mu);
			if (!pool.err)
				pool.err = e;
			pthread_mutex_unlock(&pool.mu);
		}
		return e ? -1 : 0;
	}
	pool_put(&pool.cq, (struct job){-1, path, buf, len, sync, 0});
	pthread_mutex_unlock(&pool.mu);
	return 0;
}

/* Queue the rename of from to to (after the jobs queued before it); the pool frees both.
 * Returns -1 when there is no pool: the caller renames. */
static int rename_submit(char *from, char *to)
{
	pthread_mutex_lock(&pool.mu);
	if (!pool.started)
		pool_start();
	if (pool.started < 0) {
		pthread_mutex_unlock(&pool.mu);
		return -1;
	}
	pool_put(&pool.cq, (struct job){-1, from, to, 0, 0, 1});
	pthread_mutex_unlock(&pool.mu);
	return 0;
}

/* Wait until every submitted job is over; 0, or -1 with the first error in errno. */
static int sync_wait(void)
{
	pthread_mutex_lock(&pool.mu);
	while (pool.finished < pool.submitted)
		pthread_cond_wait(&pool.done, &pool.mu);
	int e = pool.err;
	pool.err = 0;
	pthread_mutex_unlock(&pool.mu);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

static int sync_batch(struct dest *d, char *err, size_t errlen)
{
	if (sync_wait() < 0) {
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

static void run_exec(struct dest *d, struct dmsg *m)
{
	char *env[4] = {NULL};
	env[0] = xasprintf("NETTOOL_MAILBOX=%s", d->mailbox ? d->mailbox : "");
	env[1] = xasprintf("NETTOOL_MESSAGE_ID=%s", m->msgid);
	env[2] = d->kind == DEST_MAILDIR ? xasprintf("NETTOOL_FILE=%s/new/%s", d->path, m->name)
					 : xasprintf("NETTOOL_FILE=%s", d->path ? d->path : "");
	int rc = run_with_input(d->exec, -1, 0, 0, env);
	if (rc != 0)
		nt_warn("--exec command exited %d", rc);
	/* putenv in the child only: the parent keeps ownership */
	free(env[0]), free(env[1]), free(env[2]);
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
	for (size_t i = 0; i < st->npend; i++)
		free(st->pend[i]);
	st->npend = 0;
	return 0;
}

int mf_dest_commit(struct dest *d, struct mf_state *st, char ***delivered, char *err, size_t errlen)
{
	static char **keys;
	static size_t kcap;
	size_t nk = 0;
	if (kcap < d->n + 1) {
		kcap = d->n + 1;
		keys = xrealloc(keys, kcap * sizeof *keys);
	}
	if (delivered)
		*delivered = keys;
	if (!d->n)
		return 0;
	if (d->spool_len == UINT64_MAX) {
		snprintf(err, errlen, "the spool file could not be cut back after a failed message");
		return -1;
	}
	switch (d->kind) {
	case DEST_MAILDIR: {
		if (sync_batch(d, err, errlen) < 0)
			return -1;
		if (d->renames_queued) {
			/* The previous batch's renames are done (sync_batch waited) and durable (the
			 * syncfs covered new/): its pending lines go. */
			for (size_t i = 0; i < st->npend; i++)
				free(st->pend[i]);
			st->npend = 0;
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
		crash_point("after-state");
		/* The batch is safe from here (synced in tmp/, pending in the state: recovery
		 * renames it). With syncfs the renames go to the helper threads, overlapping the
		 * next batch's download; the next commit's syncfs (or mf_dest_settle) makes them
		 * durable and drops the pending lines. --exec wants the files in new/ now. */
		size_t i0 = 0;
		if (SYNC_SYNCFS && !d->exec) {
			for (; i0 < d->n; i0++) {
				char *a = xasprintf("%s/tmp/%s", d->path, d->m[i0].name);
				char *b = xasprintf("%s/new/%s", d->path, d->m[i0].name);
				if (rename_submit(a, b) < 0) { /* no threads: renamed below */
					free(a), free(b);
					break;
				}
			}
			if (i0 == d->n) {
				d->renames_queued = 1;
				for (size_t i = 0; i < d->n; i++)
					keys[nk++] = d->m[i].key;
				break;
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
		if (i0 && sync_wait() < 0) {
			snprintf(err, errlen, "rename into %s/new: %s", d->path, strerror(errno));
			return -1;
		}
		if (new_durable(d, st, err, errlen) < 0)
			return -1;
		for (size_t i = 0; i < d->n; i++)
			keys[nk++] = d->m[i].key;
		break;
	}
	case DEST_MBOX: {
		int fd = open(d->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", d->path, strerror(errno));
			return -1;
		}
		if (mbox_lock(d->path, fd, err, errlen) < 0) {
			close(fd);
			return -1;
		}
		off_t end = lseek(fd, 0, SEEK_END);
		/* A file that does not end in a line end (written by something else) would glue our
		 * "From " line to its last line: end that line first (durably, before the state
		 * records the append; a crash after it leaves only a harmless line end). */
		char last = '\n';
		if (end > 0 && pread(fd, &last, 1, end - 1) == 1 && last != '\n') {
			if (file_write_all(fd, "\n", 1) < 0 || (!d->no_sync && fsync(fd) < 0)) {
				snprintf(err, errlen, "writing %s: %s", d->path, strerror(errno));
				mbox_unlock(d->path, fd);
				close(fd);
				return -1;
			}
			end++;
		}
		st->mbox_pending = 1;
		st->mbox_off = (uint64_t)end;
		st->mbox_len = d->spool_len;
		st->mbox_hash = d->hash;
		for (size_t i = 0; i < st->mn; i++)
			free(st->me[i].key), free(st->me[i].msgid);
		st->mn = 0;
		for (size_t i = 0; i < d->n; i++) {
			if (st->mn == st->mcap)
				st->mcap = st->mcap ? st->mcap * 2 : 64, st->me = xrealloc(st->me, st->mcap * sizeof *st->me);
			st->me[st->mn].key = xstrdup(d->m[i].key);
			st->me[st->mn].msgid = d->m[i].msgid[0] ? xstrdup(d->m[i].msgid) : NULL;
			st->mn++;
		}
		int rc = mf_state_save(st, err, errlen);
		if (rc == 0) {
			crash_point("after-state");
			if (getenv("NETTOOL_MAIL_CRASH") && !strcmp(getenv("NETTOOL_MAIL_CRASH"), "mid-append")) {
				copy_range(d->spool_fd, 0, d->spool_len / 2, fd, err, errlen);
				crash_point("mid-append");
			}
			int c = copy_range(d->spool_fd, 0, d->spool_len, fd, err, errlen);
			if (c == 0)
				crash_point("after-append");
			if (c < 0 || (!d->no_sync && fsync(fd) < 0)) {
				if (c == -2 || c == 0)
					snprintf(err, errlen, "writing %s: %s", d->path, strerror(errno));
				/* Undo the partial append while we still hold the lock. */
				if (ftruncate(fd, end) == 0) {
					st->mbox_pending = 0;
					if (fsync(fd) == 0) {
						char e2[256];
						mf_state_save(st, e2, sizeof e2);
					}
				}
				rc = -1;
			}
		}
		mbox_unlock(d->path, fd);
		close(fd);
		if (rc < 0)
			return -1;
		/* Verified by construction: the messages count as fetched. */
		st->mbox_pending = 0;
		for (size_t i = 0; i < st->mn; i++) {
			mf_state_add(st, st->me[i].key, st->me[i].msgid);
			free(st->me[i].key), free(st->me[i].msgid);
		}
		st->mn = 0;
		for (size_t i = 0; i < d->n; i++)
			keys[nk++] = d->m[i].key;
		break;
	}
	case DEST_STDOUT: {
		fflush(stdout);
		if (copy_range(d->spool_fd, 0, d->spool_len, 1, err, errlen) < 0) {
			snprintf(err, errlen, "writing to standard output: %s", strerror(errno));
			return -1;
		}
		for (size_t i = 0; i < d->n; i++) {
			mf_state_add(st, d->m[i].key, d->m[i].msgid);
			keys[nk++] = d->m[i].key;
		}
		if (mf_state_save(st, err, errlen) < 0)
			return -1;
		break;
	}
	case DEST_MDA: {
		for (size_t i = 0; i < d->n; i++) {
			int rc = run_with_input(d->mda, d->spool_fd, d->m[i].off, d->m[i].len, NULL);
			if (rc != 0) {
				nt_warn("--mda command exited %d for message %s: not delivered", rc, d->m[i].key);
				continue;
			}
			mf_state_add(st, d->m[i].key, d->m[i].msgid);
			keys[nk++] = d->m[i].key;
		}
		if (nk && mf_state_save(st, err, errlen) < 0)
			return -1;
		break;
	}
	}
	for (size_t i = 0; i < d->n; i++)
		d->delivered_bytes += d->m[i].in_size;
	if (d->exec)
		for (size_t i = 0; i < d->n; i++)
			run_exec(d, &d->m[i]);
	/* keys point into the batch: keep them until the next begin by moving the batch out */
	static struct dmsg *held;
	static size_t nheld;
	for (size_t i = 0; i < nheld; i++)
		free(held[i].key), free(held[i].name);
	free(held);
	held = d->m;
	nheld = d->n;
	d->m = NULL;
	d->n = d->cap = 0;
	batch_clear(d, 0);
	return (int)nk;
}

int mf_dest_settle(struct dest *d, struct mf_state *st, char *err, size_t errlen)
{
	if (!d->renames_queued)
		return 0;
	d->renames_queued = 0;
	if (sync_wait() < 0) {
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

int mf_dest_recover(struct dest *d, struct mf_state *st, char *err, size_t errlen)
{
	int changed = 0;
	if (st->npend && d->kind == DEST_MAILDIR) {
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
			free(st->pend[i]);
		}
		st->npend = 0;
		char *nd = xasprintf("%s/new", d->path);
		int r = file_sync_dir(nd);
		free(nd);
		if (r < 0) {
			snprintf(err, errlen, "fsync %s/new: %s", d->path, strerror(errno));
			return -1;
		}
		changed = 1;
	}
	if (d->kind == DEST_MAILDIR)
		clean_tmp(d);
	if (st->mbox_pending && d->kind == DEST_MBOX) {
		int fd = open(d->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", d->path, strerror(errno));
			return -1;
		}
		if (mbox_lock(d->path, fd, err, errlen) < 0) {
			close(fd);
			return -1;
		}
		struct stat sb;
		fstat(fd, &sb);
		uint64_t size = (uint64_t)sb.st_size, off = st->mbox_off, len = st->mbox_len;
		int ok = 0;
		if (size >= off + len) {
			uint64_t h = STATE_FNV_INIT, k = 0;
			char *buf = xmalloc(1 << 16);
			while (k < len) {
				size_t want = len - k < (1 << 16) ? (size_t)(len - k) : (1 << 16);
				ssize_t r = pread(fd, buf, want, (off_t)(off + k));
				if (r <= 0)
					break;
				h = mf_state_fnv(h, buf, (size_t)r);
				k += (uint64_t)r;
			}
			free(buf);
			ok = k == len && h == st->mbox_hash;
			if (!ok)
				nt_warn("%s: an interrupted append could not be verified; its %zu messages will be fetched again",
				     d->path, st->mn);
		} else if (size > off) {
			/* A partial append: cut it. */
			if (ftruncate(fd, (off_t)off) < 0 || fsync(fd) < 0) {
				snprintf(err, errlen, "truncate %s: %s", d->path, strerror(errno));
				mbox_unlock(d->path, fd);
				close(fd);
				return -1;
			}
			log_trace("cut a partial append of %llu bytes from %s", (unsigned long long)(size - off), d->path);
		}
		mbox_unlock(d->path, fd);
		close(fd);
		for (size_t i = 0; i < st->mn; i++) {
			if (ok)
				mf_state_add(st, st->me[i].key, st->me[i].msgid);
			free(st->me[i].key), free(st->me[i].msgid);
		}
		st->mn = 0;
		st->mbox_pending = 0;
		changed = 1;
	}
	if (changed)
		return mf_state_save(st, err, errlen);
	return 0;
}
