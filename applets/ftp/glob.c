/* SPDX-License-Identifier: MIT */
/* glob.c - remote globs in any part of a path (host:logs/ * /app.log, host:d/[ab]*.gz):
 * the part before the first glob is taken as given, every part from there on is
 * matched against the folder's listing (fnmatch, a leading dot only by a dot), so what
 * comes back exists, with its type and size. Bounded: at most FTP_LIST_MAX_ITEMS
 * matches in all. Names a server sends with a '/' or a NUL never match.
 *
 * Header: applets/ftp/ftp.h    Tests: tests/integration/ftp_shell.sh, tests/integration/ftp.sh
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "ftp.h"
#include "nt_err.h"

int ftp_has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static void add(struct ftp_match **v, size_t *n, size_t *cap, char *path, enum ftp_etype t, int64_t size,
		int64_t mtime)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xrealloc(*v, *cap * sizeof **v);
	}
	(*v)[(*n)++] = (struct ftp_match){path, t, size, mtime};
}

static int cmp_match(const void *a, const void *b)
{
	return strcmp(((const struct ftp_match *)a)->path, ((const struct ftp_match *)b)->path);
}

void ftp_matches_free(struct ftp_match *v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

int ftp_glob(struct ftp_site *s, const char *pattern, struct ftp_match **out)
{
	/* The literal prefix: every part before the first one with a glob character. */
	const char *g = strpbrk(pattern, "*?[");
	size_t pre = 0;
	if (g) {
		const char *sl = g;
		while (sl > pattern && sl[-1] != '/')
			sl--;
		pre = (size_t)(sl - pattern);
	}
	struct ftp_match *cur = NULL;
	size_t ncur = 0, capcur = 0;
	char *base = xstrndup(pattern, pre);
	size_t bl = strlen(base);
	if (bl > 1 && base[bl - 1] == '/')
		base[bl - 1] = 0; /* "logs/" -> "logs"; "/" stays */
	add(&cur, &ncur, &capcur, base, FTP_T_DIR, -1, -1);
	if (!g) {
		*out = cur;
		cur[0].type = FTP_T_UNKNOWN;
		return 1;
	}
	char *rest = xstrdup(pattern + pre);
	char *save = NULL;
	int rc = 0;
	for (char *part = strtok_r(rest, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		int last = save == NULL || strspn(save, "/") == strlen(save);
		struct ftp_match *next = NULL;
		size_t nnext = 0, capnext = 0;
		for (size_t i = 0; i < ncur; i++) {
			if (cur[i].type != FTP_T_DIR && cur[i].type != FTP_T_LINK)
				continue;
			struct ftp_item *v;
			int n = ftp_list_entries(s, cur[i].path, &v, NULL);
			if (n < 0) {
				if (i == 0 && ncur == 1) { /* the folder named as given: an error */
					rc = -n;
					break;
				}
				continue; /* a matched name that is not a folder after all (a link) */
			}
			for (int k = 0; k < n; k++) {
				if (strlen(v[k].name) != v[k].namelen || strchr(v[k].name, '/') ||
				    fnmatch(part, v[k].name, FNM_PERIOD) != 0)
					continue;
				if (!last && v[k].type != FTP_T_DIR && v[k].type != FTP_T_LINK)
					continue;
				if (nnext >= FTP_LIST_MAX_ITEMS) {
					nt_warn("%s: more than %d matches: refused", pattern, FTP_LIST_MAX_ITEMS);
					rc = NT_EXIT_PROTO;
					break;
				}
				add(&next, &nnext, &capnext, ftp_join(cur[i].path, v[k].name), v[k].type, v[k].size,
				    v[k].mtime);
			}
			ftp_items_free(v, n);
			if (rc)
				break;
		}
		ftp_matches_free(cur, (int)ncur);
		cur = next, ncur = nnext, capcur = capnext;
		if (rc || !ncur)
			break;
	}
	free(rest);
	if (rc) {
		ftp_matches_free(cur, (int)ncur);
		return -rc;
	}
	if (ncur > 1)
		qsort(cur, ncur, sizeof *cur, cmp_match);
	*out = cur;
	return (int)ncur;
}
