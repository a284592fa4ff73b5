/* file.c - whole-or-nothing files (temporary name, fsync, rename, fsync the folder)
 * and the check that keeps server-supplied names inside the target folder.
 *
 * Header: include/file.h    Tests: tests/unit/check_misc.c, tests/unit/check_ftp.c
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "nt_err.h"

int file_safe_name(const char *name, size_t len, char *err, size_t errlen)
{
	char shown[80];
	nt_clean_text(shown, sizeof shown, name, len);
	if (!len) {
		snprintf(err, errlen, "empty name from the server: refused");
		return -1;
	}
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) {
		snprintf(err, errlen, "name '%.*s' from the server: refused", (int)len, name);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '/') {
			snprintf(err, errlen, "name '%s' from the server contains '/': refused", shown);
			return -1;
		}
		if (c == 0 || c < 0x20 || c == 0x7f) {
			snprintf(err, errlen, "name '%s...' from the server contains a control character or NUL: refused", shown);
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

int afile_open(struct afile *af, const char *dir, const char *name, mode_t mode, char *err, size_t errlen)
{
	memset(af, 0, sizeof *af);
	af->fd = -1;
	af->final = dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
	char *copy = xstrdup(af->final);
	char *copy2 = xstrdup(af->final);
	af->dir = xstrdup(dirname(copy));
	const char *b = basename(copy2);
	/* At most 200 bytes of the name, so that the temporary name fits NAME_MAX too. */
	af->tmp = xasprintf("%s/.%.200s.XXXXXX", af->dir, b);
	free(copy);
	free(copy2);
	af->fd = mkostemp(af->tmp, O_CLOEXEC);
	if (af->fd < 0) {
		snprintf(err, errlen, "%s: %s", af->tmp, strerror(errno));
		free(af->tmp), free(af->final), free(af->dir);
		af->tmp = af->final = af->dir = NULL;
		return -1;
	}
	mode_t um = umask(0);
	umask(um);
	fchmod(af->fd, mode & ~um);
	return 0;
}

static int commit(struct afile *af, int sync, char *err, size_t errlen)
{
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
	if (rename(af->tmp, af->final) < 0) {
		snprintf(err, errlen, "rename to %s: %s", af->final, strerror(errno));
		afile_abort(af);
		return -1;
	}
	if (sync && file_sync_dir(af->dir) < 0) {
		snprintf(err, errlen, "fsync %s: %s", af->dir, strerror(errno));
		free(af->tmp), free(af->final), free(af->dir);
		af->tmp = af->final = af->dir = NULL;
		return -1;
	}
	free(af->tmp), free(af->final), free(af->dir);
	af->tmp = af->final = af->dir = NULL;
	return 0;
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
	if (af->tmp)
		unlink(af->tmp);
	free(af->tmp), free(af->final), free(af->dir);
	af->tmp = af->final = af->dir = NULL;
	af->fd = -1;
}
