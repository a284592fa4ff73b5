/* SPDX-License-Identifier: MIT */
/* mbox.c - the mboxrd writer and the mbox lock (dot-lock by link() plus fcntl).
 *
 * Header: include/mbox.h    Tests: tests/integration/mail_fetch_mbox.sh,
 * tests/integration/nntp.sh, tests/unit/check_mail_fetch.c
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "mbox.h"
#include "nt_err.h"

#define OBUF 65536

/* --- the writer --- */

static void flush_out(struct mbox_writer *w)
{
	if (w->mem)
		return;
	if (w->olen && !w->err && file_write_all(w->fd, w->obuf, w->olen) < 0)
		w->err = errno ? errno : EIO;
	w->olen = 0;
}

static inline void emit(struct mbox_writer *w, char c)
{
	if (w->olen == w->ocap) {
		if (w->mem) {
			w->ocap *= 2;
			w->obuf = xrealloc(w->obuf, w->ocap);
		} else {
			flush_out(w);
		}
	}
	w->obuf[w->olen++] = c;
	w->bytes++;
	w->hash = (w->hash ^ (unsigned char)c) * 0x100000001b3ULL;
	w->last_nl = c == '\n';
}

void mbox_writer_init(struct mbox_writer *w, int fd, unsigned flags, uint64_t hash)
{
	memset(w, 0, sizeof *w);
	w->hash = hash;
	w->fd = fd;
	w->flags = flags;
	w->obuf = xmalloc(OBUF);
	w->ocap = OBUF;
	w->mem = fd < 0;
	if (flags & MBOX_W_HEADER)
		w->hdr = xmalloc(MBOX_HDR_MAX);
	else
		w->hdr_done = 1;
	w->bol = 1;
	w->last_nl = 1;
}

void mbox_writer_from(struct mbox_writer *w, const char *sender, time_t when)
{
	struct tm tm;
	char date[64], line[512];
	gmtime_r(&when, &tm);
	strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm);
	int n = snprintf(line, sizeof line, "From %s %s\n", sender, date);
	if (n >= (int)sizeof line)
		n = (int)sizeof line - 1;
	for (int i = 0; i < n; i++)
		emit(w, line[i]);
}

void mbox_writer_free(struct mbox_writer *w)
{
	free(w->obuf);
	free(w->hdr);
	w->obuf = w->hdr = NULL;
}

/* One byte after CR handling. */
static void put_byte(struct mbox_writer *w, char c)
{
	static const char from[] = "From ";
	if (!w->hdr_done) {
		if (w->hlen < MBOX_HDR_MAX)
			w->hdr[w->hlen++] = c;
		if (c == '\n' && (w->hlen == 1 || (w->hlen >= 2 && w->hdr[w->hlen - 2] == '\n')))
			w->hdr_done = 1;
		if (w->hlen >= MBOX_HDR_MAX)
			w->hdr_done = 1;
	}
	if (!(w->flags & MBOX_W_MBOXRD)) {
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

int mbox_write(struct mbox_writer *w, const char *p, size_t n)
{
	w->in_bytes += n;
	if (!(w->flags & MBOX_W_CRLF)) {
		for (size_t i = 0; i < n; i++)
			put_byte(w, p[i]);
		return w->err ? -1 : 0;
	}
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (w->cr) {
			w->cr = 0;
			if (c != '\n')
				put_byte(w, '\r');
		}
		if (c == '\r') {
			w->cr = 1;
			continue;
		}
		put_byte(w, c);
	}
	return w->err ? -1 : 0;
}

int mbox_writer_finish(struct mbox_writer *w)
{
	if (w->cr) {
		w->cr = 0;
		put_byte(w, '\r');
	}
	for (int i = 0; i < w->npre; i++)
		emit(w, w->pre[i]);
	w->npre = 0;
	if (w->flags & MBOX_W_MBOXRD) {
		if (!w->last_nl)
			emit(w, '\n');
		emit(w, '\n');
	}
	flush_out(w);
	return w->err ? -1 : 0;
}

/* --- the file --- */

int mbox_open(const char *path, char *err, size_t errlen)
{
	/* O_NOFOLLOW: a planted symlink (even a dangling one) is never written through;
	 * O_NONBLOCK: a planted FIFO does not hang the open (cleared below). */
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == ELOOP)
			snprintf(err, errlen, "%s is a symbolic link: refused (an mbox is never written through one)", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	const char *why = file_own_why(fd, FILE_OWN_ONE_LINK);
	if (!why && fcntl(fd, F_SETFL, O_RDWR | O_APPEND) < 0)
		why = strerror(errno);
	if (why) {
		snprintf(err, errlen, "%s: %s", path, why);
		close(fd);
		return -1;
	}
	return fd;
}

int mbox_prepare_append(int fd, off_t *end, int *added)
{
	*added = 0;
	off_t e = lseek(fd, 0, SEEK_END);
	if (e < 0)
		return -1;
	char last = '\n';
	if (e > 0 && pread(fd, &last, 1, e - 1) == 1 && last != '\n') {
		if (file_write_all(fd, "\n", 1) < 0)
			return -1;
		*added = 1;
		e++;
	}
	*end = e;
	return 0;
}

/* --- the lock --- */

/* Our uniquely named file next to the mbox, holding our pid: PATH.lock.PID.RANDOM, made
 * with O_EXCL|O_NOFOLLOW (a planted file or symlink of that name is never opened: another
 * name is drawn). Its name in *out, its inode in *st. */
static int make_unique(const char *path, char **out, struct stat *st)
{
	char pid[32];
	int np = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
	for (int i = 0; i < 64; i++) {
		uint32_t r;
		if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			r = (uint32_t)ts.tv_nsec ^ ((uint32_t)i << 24);
		}
		char *p = xasprintf("%s.lock.%d.%08x", path, (int)getpid(), (unsigned)r);
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			int e = 0;
			if (file_write_all(fd, pid, (size_t)np) < 0 || fstat(fd, st) < 0)
				e = errno ? errno : EIO;
			close(fd);
			if (e) {
				unlink(p);
				free(p);
				errno = e;
				return -1;
			}
			*out = p;
			return 0;
		}
		int e = errno;
		free(p);
		if (e != EEXIST) {
			errno = e;
			return -1;
		}
	}
	errno = EEXIST;
	return -1;
}

/* A dot-lock is stale when it is older than MBOX_LOCK_STALE, or when it is a regular file
 * holding the pid of a process that is gone. It is read without following a symlink, and
 * only if it is the file lstat saw. */
static int lock_is_stale(const char *lock, const struct stat *ls)
{
	if (time(NULL) - ls->st_mtime > MBOX_LOCK_STALE)
		return 1;
	if (!S_ISREG(ls->st_mode))
		return 0;
	int fd = open(lock, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat fs;
	char b[32];
	ssize_t r = -1;
	if (fstat(fd, &fs) == 0 && fs.st_dev == ls->st_dev && fs.st_ino == ls->st_ino)
		r = read(fd, b, sizeof b - 1);
	close(fd);
	if (r <= 0)
		return 0; /* no pid (another program's lock, or one being written): only the age rule */
	b[r] = 0;
	char *end;
	long pid = strtol(b, &end, 10);
	if (end == b || pid <= 0 || (*end && *end != '\n'))
		return 0;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* The same inode is still there: remove it. A race with another remover can still take
 * a fresh lock away; the fcntl lock is the guard that stays. */
static int remove_if_same(const char *lock, const struct stat *was)
{
	struct stat now;
	if (lstat(lock, &now) == 0 && now.st_dev == was->st_dev && now.st_ino == was->st_ino)
		return unlink(lock);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int dot_lock(struct mbox_lock *l, const char *path, long long deadline, int wait_s, char *err, size_t errlen)
{
	char *mine = NULL;
	struct stat ms;
	int use_link = 1, warned = 0;
	if (make_unique(path, &mine, &ms) < 0) {
		snprintf(err, errlen, "%s.lock.%d.*: %s", path, (int)getpid(), strerror(errno));
		return -1;
	}
	int rc = -1;
	for (;;) {
		if (use_link) {
			if (link(mine, l->lock) == 0) {
				l->dev = ms.st_dev, l->ino = ms.st_ino;
				rc = 0;
				break;
			}
			int e = errno;
			struct stat now;
			/* NFS: the link may have been made although the reply was lost. Only the
			 * lock path itself being our file says so: a link count of 2 on our file
			 * could be anyone's hard link to it. */
			if (lstat(l->lock, &now) == 0 && now.st_dev == ms.st_dev && now.st_ino == ms.st_ino) {
				l->dev = now.st_dev, l->ino = now.st_ino;
				rc = 0;
				break;
			}
			if (e == EPERM || e == ENOSYS || e == EOPNOTSUPP || e == EMLINK)
				use_link = 0; /* no hard links here: create the lock in place (below) */
			else if (e != EEXIST) {
				snprintf(err, errlen, "%s: %s", l->lock, strerror(e));
				break;
			}
		}
		if (!use_link) {
			int fd = open(l->lock, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (fd >= 0) {
				struct stat fs;
				char pid[32];
				int np = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
				int ok = file_write_all(fd, pid, (size_t)np) == 0 && fstat(fd, &fs) == 0;
				close(fd);
				if (ok) {
					l->dev = fs.st_dev, l->ino = fs.st_ino;
					rc = 0;
					break;
				}
				unlink(l->lock);
				snprintf(err, errlen, "%s: %s", l->lock, strerror(errno));
				break;
			}
			if (errno != EEXIST) {
				snprintf(err, errlen, "%s: %s", l->lock, strerror(errno));
				break;
			}
		}
		/* Held. */
		struct stat ls;
		if (lstat(l->lock, &ls) < 0)
			continue; /* gone meanwhile: try again at once */
		if (lock_is_stale(l->lock, &ls)) {
			if (!warned++)
				nt_warn("removing a stale lock %s", l->lock);
			if (remove_if_same(l->lock, &ls) == 0)
				continue;
			if (warned == 1)
				nt_warn_sys("%s", l->lock); /* then it is waited for like a live one */
		}
		if (now_ms() >= deadline) {
			snprintf(err, errlen, "%s: locked by another program (%s) for %d s", path, l->lock, wait_s);
			break;
		}
		usleep(100000);
	}
	unlink(mine);
	free(mine);
	l->have_dot = rc == 0;
	return rc;
}

int mbox_lock(struct mbox_lock *l, const char *path, int fd, int wait_s, char *err, size_t errlen)
{
	memset(l, 0, sizeof *l);
	l->fd = -1;
	l->lock = xasprintf("%s.lock", path);
	long long deadline = now_ms() + (long long)wait_s * 1000;
	if (dot_lock(l, path, deadline, wait_s, err, errlen) < 0) {
		free(l->lock);
		l->lock = NULL;
		return -1;
	}
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	while (fcntl(fd, F_SETLK, &fl) < 0) {
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EACCES) && now_ms() < deadline) {
			usleep(100000);
			continue;
		}
		if (errno == EAGAIN || errno == EACCES)
			snprintf(err, errlen, "%s: locked by another program (fcntl) for %d s", path, wait_s);
		else
			snprintf(err, errlen, "lock %s: %s", path, strerror(errno));
		mbox_unlock(l);
		return -1;
	}
	l->fd = fd;
	return 0;
}

void mbox_unlock(struct mbox_lock *l)
{
	if (l->fd >= 0) {
		struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
		fcntl(l->fd, F_SETLK, &fl);
		l->fd = -1;
	}
	if (l->have_dot) {
		struct stat was = {.st_dev = l->dev, .st_ino = l->ino};
		remove_if_same(l->lock, &was);
		l->have_dot = 0;
	}
	free(l->lock);
	l->lock = NULL;
}
