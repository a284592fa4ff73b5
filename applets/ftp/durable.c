/* SPDX-License-Identifier: MIT */
/* durable.c - what the ftp applet's temporaries are called and how a rerun finds its
 * own: the tag (.NAME.nettool-TAG-XXXXXX locally, .NAME.nettool-TAG.part remotely). With
 * --journal TAG is 16 random hex digits recorded in the journal ("tag\tnettool-TAG", made
 * durable before the first temporary is created, so every temporary a run of this
 * journal made is named with a tag the journal holds) and read back by its reruns: a
 * server cannot guess it, so a file it names cannot look like ours. Without a journal
 * (no sweep), TAG is 8 hex digits of the process id. The sweep of a resumed run's local
 * leftovers (each folder once, only names with our tag, only regular files, never
 * through a symlink: file.h's folder rule), the journal's failed lines, and the downloads
 * the committer dropped at their rename (counted failed: ftp_dur_late, ftp_dur_dropped).
 *
 * Header: applets/ftp/ftp.h    Man page: man/nettool-ftp.1 (DURABILITY)
 * Tests: tests/integration/ftp_durable.sh, tests/unit/check_ftp.c
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commit.h"
#include "engine.h"
#include "file.h"
#include "ftp.h"
#include "jset.h"
#include "log.h"
#include "nt_err.h"
#include "out.h"

static char tag[32];
static int resumed;
static int unrecorded; /* a journal's fresh tag, not yet in it (ftp_dur_record) */
static struct jset swept;

int ftp_dur_tag_ok(const char *t, size_t n)
{
	if (n != 8 + 16 || memcmp(t, "nettool-", 8))
		return 0;
	for (size_t i = 8; i < n; i++)
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
			return 0;
	return 1;
}

void ftp_dur_init(const char *journal, int resume, const char *jtag)
{
	unrecorded = 0;
	if (jtag) {
		snprintf(tag, sizeof tag, "%s", jtag);
	} else if (journal) {
		uint64_t r;
		if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
			die_sys(NT_EXIT_IO, "getrandom");
		snprintf(tag, sizeof tag, "nettool-%016llx", (unsigned long long)r);
		unrecorded = 1;
	} else {
		snprintf(tag, sizeof tag, "nettool-%08x", (unsigned)getpid());
	}
	/* A journal without a tag line (new, or written by a version that named its
	 * temporaries after the journal's path) has no temporaries of this tag to sweep;
	 * the path-named ones of such a version are left alone: a server could have named a
	 * file like them. */
	resumed = journal && resume && jtag;
}

void ftp_dur_record(struct commit *c)
{
	if (!unrecorded)
		return;
	/* The tag is in the journal, durable, before a temporary bears it. */
	char err[600];
	if (commit_record(c, xasprintf("tag\t%s\n", tag)) < 0 || commit_wait(c, err, sizeof err) < 0) {
		commit_wait(c, err, sizeof err);
		die(NT_EXIT_IO, "%s", err);
	}
	unrecorded = 0;
}

const char *ftp_dur_tag(void)
{
	if (!tag[0])
		ftp_dur_init(NULL, 0, NULL);
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
	/* A name over 200 bytes is cut, and what was cut is stood for by its FNV-1a hash:
	 * two long names that share their first 200 bytes (put, copy with --parallel) must
	 * not store to one temporary. */
	char *tn;
	size_t bl = strlen(bn);
	if (bl <= 200) {
		tn = xasprintf(".%s.%s.part", bn, ftp_dur_tag());
	} else {
		uint64_t h = 0xcbf29ce484222325ULL;
		for (size_t i = 0; i < bl; i++)
			h = (h ^ (unsigned char)bn[i]) * 0x100000001b3ULL;
		tn = xasprintf(".%.183s~%016llx.%s.part", bn, (unsigned long long)h, ftp_dur_tag());
	}
	char *t = ftp_join(dir, tn);
	free(dir), free(tn);
	return t;
}

void ftp_dur_put_clean(struct ftp_site *s, const char *dst)
{
	/* The journal holds the tag, so the name is ours: a killed --atomic run's
	 * temporary, which a rerun without --atomic would never store to or rename. */
	if (!resumed || ftp_cf.atomic > 0)
		return;
	char *tmp = ftp_dur_remote_tmp(dst);
	if (ftp_tmp_dele(s, tmp) == CURLE_OK) {
		char name[300];
		out_clean(name, sizeof name, tmp, strlen(tmp), 0);
		log_info("%s on %s: removed, the temporary of an earlier --atomic run of this journal", name,
			 ftp_site_name(s));
	}
	free(tmp);
}

/* What a dropped download needs to be reported (one allocation: free() frees it). */
struct late {
	enum job_kind kind;
	uint64_t bytes;
	long long t0_ms;
	char *src, *dst;
};

void *ftp_dur_late(const struct slot *s)
{
	size_t sl = strlen(s->job.src) + 1, dl = s->job.dst ? strlen(s->job.dst) + 1 : 0;
	struct late *l = xmalloc(sizeof *l + sl + dl);
	l->kind = s->job.kind;
	l->bytes = s->bytes;
	l->t0_ms = s->t0_ms;
	l->src = memcpy((char *)(l + 1), s->job.src, sl);
	l->dst = dl ? memcpy(l->src + sl, s->job.dst, dl) : NULL;
	return l;
}

void ftp_dur_dropped(struct engine *e)
{
	static const char *const kn[] = {"get", "put", "rm", "copy", "rmdir", "mkdir"};
	char err[600], nb[4096];
	if (commit_wait(e->com, err, sizeof err) < 0)
		return; /* a group failed: commit_finish says so (exit 6) */
	struct commit_dropped *v;
	size_t n = commit_take_dropped(e->com, &v);
	for (size_t i = 0; i < n; i++) {
		struct late *l = v[i].arg;
		out_clean(nb, sizeof nb, l->src, strlen(l->src), 0);
		nt_warn("%s %s: %s", kn[l->kind], nb, v[i].why);
		ftp_result(kn[l->kind], l->src, l->dst, FTP_R_FAILED, (long long)l->bytes, (ftp_now_ms() - l->t0_ms) / 1000.0,
			   v[i].why);
		ftp_moves_forget(l->src);
		e->r.done--, e->prog.items_done--, e->r.failed++;
		if (e->r.worst < NT_EXIT_FAIL)
			e->r.worst = NT_EXIT_FAIL;
		if (e->jfd >= 0) {
			struct job j = {.kind = l->kind, .src = l->src, .dst = l->dst};
			ftp_dur_journal_failed(e->com, &j, v[i].why);
		}
		free(l);
	}
	free(v);
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
