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

#include "addr.h"
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

/* A line a run writes (durable.c's tag, the run's run/site/opts lines, done, failed). */
static int is_journal_line(const char *p, size_t n)
{
	static const char *const k[] = {"tag\t", "run\t", "site\t", "opts\t", "done\t", "failed\t"};
	for (size_t i = 0; i < sizeof k / sizeof *k; i++)
		if (n >= strlen(k[i]) && !memcmp(p, k[i], strlen(k[i])))
			return 1;
	return 0;
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

/* A journal of another job (its run line's command, its site line's servers or its opts
 * line's options, not this run's) is refused before anything connects: its done items are
 * not this run's, and this run's lines would make it a journal of two jobs. Journals of
 * older versions have no site or opts line: what they have is checked. The folders of a
 * tree run (w->tree): its run line found (c->same 1), or only another one (-1, c->other
 * says which): pass() decides once every line is read (a get -r of two folders writes two
 * run lines). c->cur: the done lines that follow are this run's (after its own run line,
 * or before any run line: an older version's). */
struct jcheck {
	int same, cur;
	char other[1300];
};
static void refuse_other(const char *path, const char *what, const char *h, size_t hl, const char *w)
{
	char have[600], want[600];
	words(have, sizeof have, h, hl);
	words(want, sizeof want, w, strlen(w));
	die(NT_EXIT_USAGE, "--journal %s: a journal of a run %s %s, not %s: give this run a journal of its own", path,
	    what, have[0] ? have : "(none)", want[0] ? want : "(none)");
}
static void check_job(const char *path, const char *l, size_t n, const struct jwant *w, struct jcheck *c)
{
	struct jline j;
	enum jl_type t = ftp_jline_parse(l, n, &j);
	char have[600], want[600];
	if (t == JL_RUN && w->run) {
		size_t kl = strcspn(j.run, "\t"), wl = strcspn(w->run, "\t");
		if (kl != wl || memcmp(j.run, w->run, kl)) {
			out_clean(have, sizeof have, j.run, kl, 0);
			out_clean(want, sizeof want, w->run, wl, 0);
			die(NT_EXIT_USAGE, "--journal %s: a journal of %s, not of %s: give this run a journal of its own", path,
			    have, want);
		}
		c->cur = j.runlen == strlen(w->run) && !memcmp(j.run, w->run, j.runlen);
		if (w->tree && c->cur) {
			c->same = 1;
		} else if (w->tree && !c->same) {
			words(have, sizeof have, j.run, j.runlen);
			words(want, sizeof want, w->run, strlen(w->run));
			c->same = -1; /* another tree's, unless a later line is this one's */
			snprintf(c->other, sizeof c->other, "%s, not %s", have, want);
		}
	} else if (t == JL_SITE && w->site && (j.runlen != strlen(w->site) || memcmp(j.run, w->site, j.runlen))) {
		refuse_other(path, "against", j.run, j.runlen, w->site);
	} else if (t == JL_OPTS && w->opts && (j.runlen != strlen(w->opts) || memcmp(j.run, w->opts, j.runlen))) {
		refuse_other(path, "with options", j.run, j.runlen, w->opts);
	}
}

/* A pass over the journal: done lines counted (into *count, those of this run into *mine)
 * or added to done; the tag line's value kept (tag, taglen); run, site and opts lines
 * checked against w (the counting pass). Returns 1 when the last line had no LF. Dies on
 * a read error. */
static int pass(int fd, const char *path, size_t *count, size_t *mine, struct jset *done, char *tag, size_t taglen,
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
	struct jcheck jc = {.cur = 1};
	int first = 1;
	while ((rc = lread_line(&r, &l, &n)) > 0) {
		if (r.cut) {
			cut = 1; /* cut by a crash: not done */
			break;
		}
		/* A file that is no journal (a script, a mailbox: a mistyped name, or a link a
		 * local user planted) is not appended to: its first line must be one we write. */
		if (first && count && n && !is_journal_line(l, n))
			die(NT_EXIT_USAGE, "--journal %s: not a journal (its first line is none a run writes): name a new file, or one a run wrote",
			    path);
		first = first && !n;
		if (is_done(l, n)) {
			if (count) {
				++*count;
				*mine += jc.cur;
				continue;
			}
			kb[nk] = jset_key_n(l + 5, n - 5);
			jset_prefetch(done, kb[nk]);
			if (++nk == BATCH) {
				for (int i = 0; i < nk; i++)
					jset_add(done, kb[i]);
				nk = 0;
			}
		} else if (w && ((n > 4 && !memcmp(l, "run\t", 4)) || (n > 5 && !memcmp(l, "site\t", 5)) ||
				 (n >= 5 && !memcmp(l, "opts\t", 5)))) {
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

void ftp_jwant_init(struct jwant *w, const char *run, const char *a, const char *b, int tree)
{
	w->run = run ? xstrdup(run) : NULL;
	w->site = xasprintf("%s%s%s", a, b ? "\t" : "", b ? b : "");
	char sh[64] = "";
	if (ftp_cf.shard_n)
		snprintf(sh, sizeof sh, "--shard %d/%d", ftp_cf.shard_k, ftp_cf.shard_n);
	/* copy --move: its done items are moved (the source deleted before the line), a plain
	 * copy's are not, and a done item is skipped: a journal of the one is not the other's.
	 * get --move deletes the sources of the items its journal has done: either is its. */
	int mv = ftp_cf.move && run && !strncmp(run, "copy", 4) && (!run[4] || run[4] == '\t');
	w->opts = xasprintf("%s%s%s", mv ? "--move" : "", mv && sh[0] ? " " : "", sh);
	w->tree = tree;
}

void ftp_jwant_free(struct jwant *w)
{
	free(w->run), free(w->site), free(w->opts);
	memset(w, 0, sizeof *w);
}

char *ftp_jwant_lines(const struct jwant *w)
{
	return xasprintf("run\t%s\nsite\t%s\nopts\t%s\n", w->run, w->site, w->opts);
}

static void check_names(const char *run, const char *a, const char *b, int tree)
{
	const char *path = ftp_cf.journal;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return; /* a new journal: nothing to check */
	if (fd < 0)
		die_sys(NT_EXIT_IO, "--journal %s", path);
	struct jwant w;
	ftp_jwant_init(&w, run, a, b, tree);
	size_t count = 0, mine = 0;
	pass(fd, path, &count, &mine, NULL, NULL, 0, &w);
	ftp_jwant_free(&w);
	close(fd);
}

void ftp_journal_check(const char *run, const struct ftp_site *a, const struct ftp_site *b, int tree)
{
	if (ftp_cf.journal)
		check_names(run, ftp_site_name(a), b ? ftp_site_name(b) : NULL, tree);
}

/* A target's host:port as ftp_site_name has it, from the command line alone; "" for an
 * argument that is not a target (cli_remote says so). */
static void target_name(const char *arg, char *out, size_t n)
{
	out[0] = 0;
	if (!arg || !ftp_is_remote(arg))
		return;
	struct ftp_where w;
	char *path = NULL;
	ftp_target_parse(arg, &w, &path);
	free(path);
	addr_format(out, n, w.host, w.port);
}

void ftp_journal_check_targets(const char *kind, const char *ta, const char *tb)
{
	if (!ftp_cf.journal)
		return;
	char na[300], nb[300];
	target_name(ta, na, sizeof na);
	target_name(tb, nb, sizeof nb);
	if (na[0] && (!tb || nb[0]))
		check_names(kind, na, tb ? nb : NULL, 0);
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
	size_t count = 0, mine = 0;
	if (!fresh) {
		/* Counted first, then read again into a set of that size: no table copied
		 * while it grows, none bigger than needed. */
		pass(fd, path, &count, &mine, NULL, NULL, 0, w);
		jset_reserve(done, count);
		if (pass(fd, path, NULL, NULL, done, tag, sizeof tag, NULL) && write(fd, "\n", 1) != 1)
			die_sys(NT_EXIT_IO, "--journal %s", path);
	}
	/* an existing journal: a rerun, which sweeps the leftovers of its tag */
	ftp_dur_init(path, !fresh, tag[0] ? tag : NULL);
	/* Said for the items of this run's folders; those of other runs are only counted.
	 * Items named on the command line have no folder: the engine says which of them are
	 * done (jobs.c). */
	if (w && w->named)
		return fd;
	if (mine)
		log_info("journal %s: %zu item%s done before%s", path, mine, mine == 1 ? "" : "s",
			 count > mine ? " (and more by runs over other folders)" : "");
	else if (count)
		log_info("journal %s: %zu item%s done before by runs over other folders, none by this run's", path,
			 count, count == 1 ? "" : "s");
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
