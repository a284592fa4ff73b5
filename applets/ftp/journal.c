/* SPDX-License-Identifier: MIT */
/* journal.c - the batch engine's --journal: opening it, loading its done lines (read in
 * 1 MiB blocks, counted first so that the set is allocated once: 24 bytes an item), the
 * lookup of an item (its key built in one reused buffer: nothing allocated per item), and
 * the block line reader that jread.c (ftp status) and --from-file (tree.c) use too.
 *
 * Header: applets/ftp/journal.h    Man page: man/nettool-ftp.1 (--journal)
 * Tests: tests/unit/check_ftp.c, tests/integration/ftp_batch.sh, tests/integration/ftp_durable.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "ftp.h"
#include "journal.h"
#include "jread.h"
#include "log.h"
#include "nt_err.h"
#include "out.h"

#define LREAD_BLOCK (1u << 20)

void lread_init(struct lread *r, int fd)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
}

int lread_line(struct lread *r, const char **line, size_t *len)
{
	for (;;) {
		size_t avail = r->end - r->beg, l;
		enum line_result lr = r->buf ? line_find(r->buf + r->beg, avail, LREAD_LINE_MAX + 1, &l) : LINE_NONE;
		if (lr == LINE_OK) {
			*line = r->buf + r->beg;
			*len = l - 1;
			r->beg += l;
			r->cut = 0;
			r->lineno++;
			return 1;
		}
		if (lr == LINE_LONG) {
			r->toolong = 1;
			errno = EOVERFLOW;
			return -1;
		}
		if (r->eof) {
			if (!avail)
				return 0;
			*line = r->buf + r->beg;
			*len = avail;
			r->beg = r->end;
			r->cut = 1;
			r->lineno++;
			return 1;
		}
		if (r->beg) { /* the start of a line to the front */
			memmove(r->buf, r->buf + r->beg, avail);
			r->end = avail;
			r->beg = 0;
		}
		if (!r->buf) /* one block: a line (LREAD_LINE_MAX and its LF) always fits */
			r->buf = xmalloc(r->cap = LREAD_BLOCK);
		ssize_t n;
		do
			n = read(r->fd, r->buf + r->end, r->cap - r->end);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -1;
		if (!n)
			r->eof = 1;
		r->end += (size_t)n;
	}
}

void lread_free(struct lread *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->beg = r->end = 0;
}

static int is_done(const char *p, size_t n)
{
	return n > 5 && !memcmp(p, "done\t", 5);
}

/* A journal value for a message: its TAB-separated fields made safe (core/out.c), a space
 * between them. */
static void words(char *out, size_t n, const char *v, size_t len)
{
	size_t o = 0;
	for (;;) {
		const char *t = memchr(v, '\t', len);
		size_t f = t ? (size_t)(t - v) : len;
		o += out_clean(out + o, n - o, v, f, 0);
		if (!t || o + 2 > n)
			break;
		out[o++] = ' ';
		out[o] = 0;
		len -= f + 1, v = t + 1;
	}
}

/* A journal of another job (its run line's command, or its site line's servers, not this
 * run's) is refused before anything connects: its done items are not this run's, and this
 * run's lines would make it a journal of two jobs. Journals of older versions have no
 * site line: the command alone is checked then. The folders of a tree run (w->run): its
 * run line found (c->same 1), or only another one (-1, c->other says which): pass()
 * decides once every line is read (a get -r of two folders writes two run lines). */
struct jcheck {
	int same;
	char other[1300];
};
static void check_job(const char *path, const char *l, size_t n, const struct jwant *w, struct jcheck *c)
{
	struct jline j;
	enum jl_type t = ftp_jline_parse(l, n, &j);
	char have[600], want[600];
	if (t == JL_RUN && w->kind) {
		size_t kl = strcspn(j.run, "\t"), wl = strlen(w->kind);
		if (kl != wl || memcmp(j.run, w->kind, kl)) {
			out_clean(have, sizeof have, j.run, kl, 0);
			die(NT_EXIT_USAGE, "--journal %s: a journal of %s, not of %s: give this run a journal of its own", path,
			    have, w->kind);
		}
		if (w->run && j.runlen == strlen(w->run) && !memcmp(j.run, w->run, j.runlen)) {
			c->same = 1;
		} else if (w->run && !c->same) {
			words(have, sizeof have, j.run, j.runlen);
			words(want, sizeof want, w->run, strlen(w->run));
			c->same = -1; /* another tree's, unless a later line is this one's */
			snprintf(c->other, sizeof c->other, "%s, not %s", have, want);
		}
	} else if (t == JL_SITE && w->site && (j.runlen != strlen(w->site) || memcmp(j.run, w->site, j.runlen))) {
		words(have, sizeof have, j.run, j.runlen);
		words(want, sizeof want, w->site, strlen(w->site));
		die(NT_EXIT_USAGE, "--journal %s: a journal of a run against %s, not %s: give this run a journal of its own",
		    path, have, want);
	}
}

/* A pass over the journal: done lines counted (into *count) or added to done; the tag
 * line's value kept (tag, taglen); run and site lines checked against w (the counting
 * pass). Returns 1 when the last line had no LF. Dies on a read error. */
static int pass(int fd, const char *path, size_t *count, struct jset *done, char *tag, size_t taglen,
		const struct jwant *w)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		die_sys(NT_EXIT_IO, "--journal %s", path);
	struct lread r;
	lread_init(&r, fd);
	const char *l;
	size_t n;
	int rc, cut = 0;
	/* Keys go in BATCH at a time, their slots prefetched first: the table is far bigger
	 * than the caches, and a slot is anywhere in it. */
	enum { BATCH = 16 };
	struct jkey kb[BATCH];
	int nk = 0;
	struct jcheck jc = {0};
	while ((rc = lread_line(&r, &l, &n)) > 0) {
		if (r.cut) {
			cut = 1; /* cut by a crash: not done */
			break;
		}
		if (is_done(l, n)) {
			if (count) {
				++*count;
				continue;
			}
			kb[nk] = jset_key_n(l + 5, n - 5);
			jset_prefetch(done, kb[nk]);
			if (++nk == BATCH) {
				for (int i = 0; i < nk; i++)
					jset_add(done, kb[i]);
				nk = 0;
			}
		} else if (w && ((n > 4 && !memcmp(l, "run\t", 4)) || (n > 5 && !memcmp(l, "site\t", 5)))) {
			check_job(path, l, n, w, &jc);
		} else if (tag && !tag[0] && n > 4 && !memcmp(l, "tag\t", 4) && ftp_dur_tag_ok(l + 4, n - 4) &&
			   n - 4 < taglen) {
			memcpy(tag, l + 4, n - 4);
			tag[n - 4] = 0;
		}
	}
	int e = errno;
	for (int i = 0; i < nk; i++)
		jset_add(done, kb[i]);
	lread_free(&r);
	if (rc < 0 && r.toolong)
		die(NT_EXIT_IO, "--journal %s: line %lu is longer than %u bytes: not a journal", path, r.lineno + 1,
		    LREAD_LINE_MAX);
	if (rc < 0) {
		errno = e;
		die_sys(NT_EXIT_IO, "--journal %s", path);
	}
	if (jc.same < 0)
		die(NT_EXIT_USAGE, "--journal %s: a journal of %s: give this run a journal of its own", path, jc.other);
	return cut;
}

int ftp_journal_open(const char *path, struct jset *done, const struct jwant *w)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
	int fresh = fd >= 0;
	if (fd >= 0) {
		/* A new journal: its name in the folder must be durable too (review 14). */
		char *dir = xstrdup(path);
		char *sl = strrchr(dir, '/');
		if (!sl)
			strcpy(dir, ".");
		else
			sl[sl == dir] = 0;
		if (file_sync_dir(dir) < 0)
			die_sys(NT_EXIT_IO, "--journal %s: sync folder %s", path, dir);
		free(dir);
	} else if (errno == EEXIST) {
		fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	}
	if (fd < 0)
		die_sys(NT_EXIT_IO, "--journal %s", path);
	/* One run per journal: a second one would store to the same temporaries (durable.c's
	 * names come from the journal's tag) and sweep the first one's as leftovers. */
	int lk = file_lock_run(fd);
	if (lk > 0)
		die(NT_EXIT_USAGE, "--journal %s: another run is using this journal: wait for it to end, or give this run a journal of its own", path);
	if (lk < 0)
		die_sys(NT_EXIT_IO, "--journal %s: lock", path);
	char tag[64] = "";
	if (!fresh) {
		/* Counted first, then read again into a set of that size: no table copied
		 * while it grows, none bigger than needed. */
		size_t count = 0;
		pass(fd, path, &count, NULL, NULL, 0, w);
		jset_reserve(done, count);
		if (pass(fd, path, NULL, done, tag, sizeof tag, NULL) && write(fd, "\n", 1) != 1)
			die_sys(NT_EXIT_IO, "--journal %s", path);
	}
	/* an existing journal: a rerun, which sweeps the leftovers of its tag */
	ftp_dur_init(path, !fresh, tag[0] ? tag : NULL);
	if (done->n)
		log_info("journal %s: %zu items done before", path, done->n);
	return fd;
}

static const char *const kinds[] = {"get", "put", "rm", "copy", "rmdir", "mkdir"};

char *ftp_job_key(const struct job *j)
{
	return xasprintf("%s\t%s\t%s", kinds[j->kind], j->src ? j->src : "", j->dst ? j->dst : "");
}

struct jkey ftp_job_jkey(const struct job *j)
{
	static char *kb;
	static size_t kcap;
	const char *k = kinds[j->kind], *s = j->src ? j->src : "", *d = j->dst ? j->dst : "";
	size_t kl = strlen(k), sl = strlen(s), dl = strlen(d), n = kl + 1 + sl + 1 + dl;
	if (n > kcap) {
		kcap = n + 256;
		free(kb);
		kb = xmalloc(kcap);
	}
	memcpy(kb, k, kl);
	kb[kl] = '\t';
	memcpy(kb + kl + 1, s, sl);
	kb[kl + 1 + sl] = '\t';
	memcpy(kb + kl + 2 + sl, d, dl);
	return jset_key_n(kb, n);
}

void ftp_journal_ahead(void *done, const struct job *j)
{
	const struct jset *d = done;
	if (d->n)
		jset_prefetch(d, ftp_job_jkey(j));
}

int ftp_journal_has(const struct jset *done, const struct job *j)
{
	return done->n && jset_has(done, ftp_job_jkey(j));
}
