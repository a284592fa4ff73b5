/* SPDX-License-Identifier: MIT */
/* local.c - the local side of a download: the user's folder, taken as given, and the
 * path below it from the server, walked without following a symlink (file.h, the
 * folder rule).
 *
 * Header: applets/ftp/ftp.h    Tests: tests/integration/ftp_tree.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "ftp.h"
#include "nt_err.h"

static void split(const struct job *j, char **base, char **rel)
{
	if (j->has_root && j->droot < strlen(j->dst)) {
		const char *r = j->dst + j->droot;
		while (*r == '/')
			r++;
		*base = j->droot ? xasprintf("%.*s", (int)j->droot, j->dst) : xstrdup(".");
		*rel = xstrdup(r);
		return;
	}
	char *c1 = xstrdup(j->dst), *c2 = xstrdup(j->dst);
	*base = xstrdup(dirname(c1));
	*rel = xstrdup(basename(c2));
	free(c1), free(c2);
}

int ftp_local_prepare(const struct job *j, char **made_dir, char **dir, char **base, char **rel, char *err,
		      size_t errlen)
{
	char *c1 = xstrdup(j->dst);
	*dir = xstrdup(dirname(c1));
	free(c1);
	split(j, base, rel);
	if (*made_dir && !strcmp(*made_dir, *dir))
		return 0; /* most jobs share their folder: made once (afile_open still walks it) */
	const char *sl = strrchr(*rel, '/');
	char *below = sl ? xasprintf("%.*s", (int)(sl - *rel), *rel) : NULL;
	int r = file_mkdirs_below(*base, below, 0755, err, errlen);
	int e = errno;
	free(below);
	if (r < 0) {
		errno = e; /* the caller's exit status: ftp_local_fail_code */
		return -1;
	}
	free(*made_dir);
	*made_dir = xstrdup(*dir);
	return 0;
}

int ftp_local_resume(const char *base, const char *rel, int *fd, off_t *size, char *err, size_t errlen)
{
	int f = file_openat_below(base, rel, O_WRONLY | O_APPEND | O_NONBLOCK, 0, err, errlen);
	if (f < 0 && errno == ENOENT) { /* none yet: written in place from byte 0, made at the first byte */
		*fd = -1;
		*size = 0;
		return 1;
	}
	if (f < 0)
		return errno == ENXIO ? 0 : -1; /* ENXIO: a FIFO, replaced */
	struct stat st;
	if (fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(f);
		return 0;
	}
	fcntl(f, F_SETFL, O_WRONLY | O_APPEND);
	*fd = f;
	*size = st.st_size;
	return 1;
}

int ftp_local_fail_code(const char *base, int e)
{
	struct stat st;
	if ((e == ELOOP || e == ENOTDIR) && stat(base ? base : ".", &st) == 0 && S_ISDIR(st.st_mode))
		return NT_EXIT_FAIL;
	return NT_EXIT_IO;
}
