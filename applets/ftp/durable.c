/* SPDX-License-Identifier: MIT */
/* durable.c - what the ftp applet's temporaries are called and how a rerun finds its
 * own: the tag (.NAME.nettool-TAG-XXXXXX locally, .NAME.nettool-TAG.part remotely; TAG
 * is 8 hex digits of the journal's absolute path, or of the process id without one), the
 * sweep of a resumed run's local leftovers (each folder once, only names with our tag,
 * only regular files, never through a symlink: file.h's folder rule), and the journal's
 * failed and run lines.
 *
 * Header: applets/ftp/ftp.h    Man page: man/nettool-ftp.1 (DURABILITY)
 * Tests: tests/integration/ftp_durable.sh
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commit.h"
#include "file.h"
#include "ftp.h"
#include "jset.h"
#include "log.h"
#include "nt_err.h"

static char tag[32];
static int resumed;
static struct jset swept;

void ftp_dur_init(const char *journal, int resume)
{
	uint32_t h = 2166136261u;
	char *abs = NULL;
	if (journal) {
		char *rp = realpath(journal, NULL);
		abs = rp ? rp : xstrdup(journal);
		for (const unsigned char *p = (const unsigned char *)abs; *p; p++)
			h = (h ^ *p) * 16777619u;
	} else {
		h = (uint32_t)getpid();
	}
	free(abs);
	snprintf(tag, sizeof tag, "nettool-%08x", (unsigned)h);
	resumed = journal && resume;
}

const char *ftp_dur_tag(void)
{
	if (!tag[0])
		ftp_dur_init(NULL, 0);
	return tag;
}

/* 1 when name is .X.TAG-XXXXXX for our tag. */
int ftp_dur_is_ours(const char *name, const char *t)
{
	size_t n = strlen(name), tl = strlen(t);
	if (name[0] != '.' || n < 1 + 1 + 1 + tl + 1 + 6)
		return 0;
	const char *sfx = name + n - 6 - 1 - tl - 1;
	if (sfx[0] != '.' || strncmp(sfx + 1, t, tl) || sfx[1 + tl] != '-')
		return 0;
	for (const char *p = sfx + 2 + tl; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return 0;
	return 1;
}

void ftp_dur_sweep(const char *base, const char *rel)
{
	if (!resumed)
		return;
	const char *sl = rel ? strrchr(rel, '/') : NULL;
	char *folder = sl ? xstrndup(rel, (size_t)(sl - rel)) : xstrdup("");
	char *key = xasprintf("%s\t%s", base ? base : ".", folder);
	struct jkey k = jset_key(key);
	free(key);
	if (jset_has(&swept, k)) {
		free(folder);
		return;
	}
	jset_add(&swept, k);
	char err[512];
	int dfd = file_open_below(base, folder, 0, err, sizeof err);
	free(folder);
	if (dfd < 0)
		return; /* not there yet: nothing of ours in it */
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *de;
	unsigned long n = 0;
	while ((de = readdir(d))) {
		struct stat st;
		if (!ftp_dur_is_ours(de->d_name, tag) || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_uid != geteuid())
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	if (n)
		log_info("%s%s%s: removed %lu temporary file%s of an earlier run", base ? base : ".", rel && sl ? "/" : "",
			 rel && sl ? "..." : "", n, n == 1 ? "" : "s");
}

char *ftp_dur_remote_tmp(const char *dst)
{
	const char *bn = ftp_basename(dst);
	char *dir = xstrndup(dst, (size_t)(bn - dst));
	char *tn = xasprintf(".%.200s.%s.part", bn, ftp_dur_tag());
	char *t = ftp_join(dir, tn);
	free(dir), free(tn);
	return t;
}

void ftp_dur_journal_failed(struct commit *c, const struct job *j, const char *why)
{
	char *k = ftp_job_key(j);
	char clean[300];
	nt_clean_text(clean, sizeof clean, why, strlen(why));
	for (char *p = clean; *p; p++)
		if (*p == '\t')
			*p = ' ';
	commit_record(c, xasprintf("failed\t%s\t%s\n", k, clean));
	free(k);
}
