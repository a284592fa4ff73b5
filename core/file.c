/* SPDX-License-Identifier: MIT */
/* file.c - whole-or-nothing files (temporary name, fsync, rename, fsync the folder),
 * the check that keeps server-supplied names inside the target folder, and the folder
 * rule (file.h): below the user's folder no symlink is followed.
 *
 * Header: include/file.h    Tests: tests/unit/check_misc.c, tests/unit/check_ftp.c,
 * tests/integration/ftp_tree.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "nt_err.h"

int file_safe_name(const char *name, size_t len, char *err, size_t errlen)
{
	return file_safe_name_from(name, len, "from the server", err, errlen);
}

int file_safe_name_from(const char *name, size_t len, const char *from, char *err, size_t errlen)
{
	char shown[80]; /* made only for a message: this runs for every name of a batch */
	if (!len) {
		snprintf(err, errlen, "empty name %s: refused", from);
		return -1;
	}
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) {
		snprintf(err, errlen, "name '%.*s' %s: refused", (int)len, name, from);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '/') {
			nt_clean_text(shown, sizeof shown, name, len);
			snprintf(err, errlen, "name '%s' %s contains '/': refused", shown, from);
			return -1;
		}
		/* C0, DEL, and the C1 controls as UTF-8 (C2 80..C2 9F; U+009B is an 8-bit CSI), as
		 * out.c shows them unsafe. Other UTF-8 (A-grave is C3 80) and bytes that are not
		 * UTF-8 (a Latin-1 or CP1252 server's names) pass. */
		if (c == 0 || c < 0x20 || c == 0x7f ||
		    (c == 0xc2 && i + 1 < len && (unsigned char)name[i + 1] >= 0x80 && (unsigned char)name[i + 1] <= 0x9f)) {
			nt_clean_text(shown, sizeof shown, name, len);
			snprintf(err, errlen, "name '%s...' %s contains a control character or NUL: refused", shown, from);
			return -1;
		}
	}
	return 0;
}

int file_safe_relpath(const char *path, char *err, size_t errlen)
{
	if (path[0] == '/') {
		snprintf(err, errlen, "absolute path '%.80s' from the server: refused", path);
		return -1;
	}
	const char *p = path;
	for (;;) {
		const char *s = strchr(p, '/');
		size_t n = s ? (size_t)(s - p) : strlen(p);
		if (file_safe_name(p, n, err, errlen) < 0) {
			if (n == 2 && p[0] == '.' && p[1] == '.')
				snprintf(err, errlen, "path '%.80s' from the server climbs out with '..': refused", path);
			return -1;
		}
		if (!s)
			return 0;
		p = s + 1;
	}
}

int file_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int file_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

int file_lock_run(int fd)
{
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return 1;
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int file_mkdirs(const char *path, mode_t mode)
{
	if (!*path) {
		errno = ENOENT;
		return -1;
	}
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			int e = errno;
			free(p);
			errno = e;
			return -1;
		}
		*s = '/';
	}
	int r = mkdir(p, mode);
	int e = errno;
	free(p);
	if (r < 0 && e != EEXIST) {
		errno = e;
		return -1;
	}
	return 0;
}

int file_plain_name(const char *name)
{
	char e[160];
	return name[0] && name[0] != '.' && file_safe_name(name, strlen(name), e, sizeof e) == 0;
}

/* One level down from dfd: name opened as a folder, never through a symlink. */
static int open_level(int dfd, const char *name, mode_t mkmode)
{
	if (mkmode && mkdirat(dfd, name, mkmode) < 0 && errno != EEXIST)
		return -1;
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static void below_err(char *err, size_t errlen, const char *base, const char *rel, size_t upto, int e)
{
	if (e == ELOOP || e == ENOTDIR)
		snprintf(err, errlen, "%s/%.*s is a symbolic link or not a folder: refused (not followed below %s)",
			 base, (int)upto, rel, base);
	else
		snprintf(err, errlen, "%s/%.*s: %s", base, (int)upto, rel, strerror(e));
}

int file_open_below(const char *base, const char *rel, mode_t mkmode, char *err, size_t errlen)
{
	if (!base)
		base = ".";
	int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", base, strerror(errno));
		return -1;
	}
	if (!rel)
		return fd;
	const char *p = rel;
	while (*p) {
		const char *s = strchr(p, '/');
		size_t n = s ? (size_t)(s - p) : strlen(p);
		if (n && !(n == 1 && p[0] == '.')) {
			char comp[NAME_MAX + 1];
			if (n > NAME_MAX || (n == 2 && p[0] == '.' && p[1] == '.')) {
				close(fd);
				below_err(err, errlen, base, rel, (size_t)(p - rel) + n, n > NAME_MAX ? ENAMETOOLONG : EACCES);
				return -1;
			}
			memcpy(comp, p, n);
			comp[n] = 0;
			int nfd = open_level(fd, comp, mkmode);
			int e = errno;
			close(fd);
			if (nfd < 0) {
				below_err(err, errlen, base, rel, (size_t)(p - rel) + n, e);
				errno = e;
				return -1;
			}
			fd = nfd;
		}
		if (!s)
			break;
		p = s + 1;
	}
	return fd;
}

int file_mkdirs_below(const char *base, const char *rel, mode_t mode, char *err, size_t errlen)
{
	if (base && file_mkdirs(base, mode) < 0) {
		snprintf(err, errlen, "mkdir %s: %s", base, strerror(errno));
		return -1;
	}
	int fd = file_open_below(base, rel, mode, err, errlen);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Split rel into its folder part (a copy, or NULL) and its last component. */
static const char *split_rel(const char *rel, char **folder)
{
	const char *sl = strrchr(rel, '/');
	*folder = sl ? xasprintf("%.*s", (int)(sl - rel), rel) : NULL;
	return sl ? sl + 1 : rel;
}

int file_openat_below(const char *base, const char *rel, int flags, mode_t mode, char *err, size_t errlen)
{
	char *folder;
	const char *last = split_rel(rel, &folder);
	int dfd = file_open_below(base, folder, 0, err, errlen);
	free(folder);
	if (dfd < 0)
		return -1;
	int fd = openat(dfd, last, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	int e = errno;
	close(dfd);
	if (fd < 0) {
		snprintf(err, errlen, "%s/%s: %s", base ? base : ".", rel, e == ELOOP ? "a symbolic link: refused" : strerror(e));
		errno = e;
	}
	return fd;
}

/* mkostemp relative to a folder descriptor: .NAME.XXXXXX created O_EXCL|O_NOFOLLOW, with
 * mode as open(2) applies it (the umask, or the folder's default ACL): no umask() round
 * trip, which another thread's file could be created during, and no fchmod per file. */
static int temp_at(int dfd, const char *name, const char *tag, mode_t mode, char **tname)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	for (int i = 0; i < 100; i++) {
		unsigned char r[6];
		if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			for (int k = 0; k < 6; k++)
				r[k] = (unsigned char)((unsigned long)ts.tv_nsec >> (k * 5)) ^ (unsigned char)(i * 37 + k);
		}
		char sfx[7];
		for (int k = 0; k < 6; k++)
			sfx[k] = al[r[k] % (sizeof al - 1)];
		sfx[6] = 0;
		/* At most 200 bytes of the name, so that the temporary name fits NAME_MAX too. */
		char *t = tag ? xasprintf(".%.200s.%.24s-%s", name, tag, sfx) : xasprintf(".%.200s.%s", name, sfx);
		int fd = openat(dfd, t, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0) {
			*tname = t;
			return fd;
		}
		int e = errno;
		free(t);
		if (e != EEXIST) {
			errno = e;
			return -1;
		}
	}
	errno = EEXIST;
	return -1;
}

static void afile_free(struct afile *af)
{
	if (af->has_dfd)
		close(af->dfd);
	free(af->tmp), free(af->final), free(af->dir), free(af->tname), free(af->fname);
	af->tmp = af->final = af->dir = af->tname = af->fname = NULL;
	af->has_dfd = 0;
	af->dfd = -1;
	af->direct = 0;
}

int afile_open(struct afile *af, const char *dir, const char *name, mode_t mode, char *err, size_t errlen)
{
	return afile_open_tag(af, dir, name, mode, NULL, err, errlen);
}

int file_is_special(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

int afile_open_tag(struct afile *af, const char *dir, const char *name, mode_t mode, const char *tag, char *err,
		   size_t errlen)
{
	memset(af, 0, sizeof *af);
	af->fd = af->dfd = -1;
	if (!dir && file_is_special(name)) {
		af->fd = open(name, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (af->fd < 0) {
			snprintf(err, errlen, "%s: %s", name, strerror(errno));
			return -1;
		}
		af->direct = 1;
		af->final = xstrdup(name);
		return 0;
	}
	char *base, *folder;
	const char *last;
	if (dir) {
		base = xstrdup(dir);
		last = split_rel(name, &folder);
	} else {
		/* A full path from the user: its folder is the user's choice. */
		const char *sl = strrchr(name, '/');
		base = !sl ? xstrdup(".") : sl == name ? xstrdup("/") : xasprintf("%.*s", (int)(sl - name), name);
		folder = NULL;
		last = sl ? sl + 1 : name;
	}
	size_t dl = dir ? strlen(dir) : 0;
	af->final = dir ? xasprintf("%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name) : xstrdup(name);
	af->fname = xstrdup(last);
	af->dir = folder ? xasprintf("%s/%s", base, folder) : xstrdup(base);
	af->dfd = file_open_below(base, folder, 0, err, errlen);
	free(base), free(folder);
	if (af->dfd < 0) {
		afile_free(af);
		return -1;
	}
	af->has_dfd = 1;
	af->fd = temp_at(af->dfd, af->fname, tag, mode, &af->tname);
	if (af->fd < 0) {
		snprintf(err, errlen, "%s/.%.200s.XXXXXX: %s", af->dir, af->fname, strerror(errno));
		afile_free(af);
		return -1;
	}
	af->tmp = xasprintf("%s/%s", af->dir, af->tname);
	return 0;
}

const char *file_own_why(int fd, unsigned flags)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file: refused";
	if (st.st_uid != geteuid())
		return "not owned by us: refused";
	if ((flags & FILE_OWN_ONE_LINK) && st.st_nlink != 1)
		return "has other hard links: refused";
	if ((flags & FILE_OWN_NOT_SHARED) && (st.st_mode & (S_IWGRP | S_IWOTH)))
		return "writable by others: refused";
	return NULL;
}

char *file_user_target(const char *path)
{
	char *p = xstrdup(path);
	if (!strcmp(path, "-") || file_is_special(path))
		return p; /* written in place, through its links (afile_open) */
	for (int hops = 0; hops < 40; hops++) {
		struct stat st;
		if (lstat(p, &st) < 0 || !S_ISLNK(st.st_mode))
			break;
		char t[PATH_MAX];
		ssize_t n = readlink(p, t, sizeof t - 1);
		if (n <= 0)
			break;
		t[n] = 0;
		char *np;
		const char *sl = strrchr(p, '/');
		if (t[0] == '/' || !sl)
			np = xstrdup(t);
		else
			np = xasprintf("%.*s/%s", (int)(sl - p), p, t);
		free(p);
		p = np;
	}
	return p;
}

const char *afile_place_why(int e)
{
	switch (e) {
	case EISDIR:
	case ENOTEMPTY:
	case EEXIST:
		return "a folder is in the way";
	case ENOTDIR:
		return "a file is in the way of its folder";
	case EACCES:
	case EPERM:
		return "not allowed to replace the file there";
	case ENAMETOOLONG:
		return "the name is too long";
	case ELOOP:
		return "too many symbolic links in the path";
	}
	return NULL;
}

int afile_place_check(const struct afile *af, char *err, size_t errlen)
{
	struct stat st;
	if (af->direct)
		return 0;
	int r = af->has_dfd ? fstatat(af->dfd, af->fname, &st, AT_SYMLINK_NOFOLLOW) : lstat(af->final, &st);
	if (r < 0 || !S_ISDIR(st.st_mode))
		return 0; /* nothing there, or a file the rename replaces */
	snprintf(err, errlen, "cannot save as %s: %s", af->final, afile_place_why(EISDIR));
	return -1;
}

int afile_place(struct afile *af)
{
	if (af->direct)
		return 0;
	return af->has_dfd ? renameat(af->dfd, af->tname, af->dfd, af->fname) : rename(af->tmp, af->final);
}

static int commit(struct afile *af, int sync, char *err, size_t errlen)
{
	if (af->direct) {
		int r = close(af->fd);
		if (r < 0)
			snprintf(err, errlen, "close %s: %s", af->final, strerror(errno));
		af->fd = -1;
		afile_free(af);
		return r;
	}
	if (sync && fsync(af->fd) < 0) {
		snprintf(err, errlen, "fsync %s: %s", af->tmp, strerror(errno));
		afile_abort(af);
		return -1;
	}
	if (close(af->fd) < 0) {
		af->fd = -1;
		snprintf(err, errlen, "close %s: %s", af->tmp, strerror(errno));
		afile_abort(af);
		return -1;
	}
	af->fd = -1;
	int r = afile_place(af);
	if (r < 0) {
		int e = errno;
		const char *why = afile_place_why(e);
		if (why)
			snprintf(err, errlen, "cannot save as %s: %s", af->final, why);
		else
			snprintf(err, errlen, "rename to %s: %s", af->final, strerror(e));
		afile_abort(af);
		return -1;
	}
	r = !sync ? 0 : af->has_dfd ? fsync(af->dfd) : file_sync_dir(af->dir);
	if (r < 0)
		snprintf(err, errlen, "fsync %s: %s", af->dir, strerror(errno));
	afile_free(af);
	return r;
}

int afile_commit(struct afile *af, char *err, size_t errlen)
{
	return commit(af, 1, err, errlen);
}

int afile_commit_nosync(struct afile *af, char *err, size_t errlen)
{
	return commit(af, 0, err, errlen);
}

void afile_abort(struct afile *af)
{
	if (af->fd >= 0)
		close(af->fd);
	/* tmp NULL: renamed already, or not ours (core/commit.c says so this way). */
	if (af->tmp && af->has_dfd && af->tname)
		unlinkat(af->dfd, af->tname, 0);
	else if (af->tmp)
		unlink(af->tmp);
	afile_free(af);
	af->fd = -1;
}
