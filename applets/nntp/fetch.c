/* SPDX-License-Identifier: MIT */
/* fetch.c - nntp fetch: download a group's new articles, pipelined (RFC 3977 3.5: a
 * client may send several commands before reading the replies), into one file per
 * article (written whole or not at all) or an mbox (core/mbox.c: the mboxrd writer, and
 * its lock held for the whole fetch), and keep a high-water mark per server and group so
 * the next run fetches only what is new. What is written is made durable by core/commit
 * (in groups, on its thread) before the mark records it.
 *
 * Header: applets/nntp/nntp.h    Tests: tests/integration/nntp.sh (fetch),
 * tests/fuzz/fuzz_nntp_mark.c (nntp_mark_read)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "commit.h"
#include "json.h"
#include "knobs.h"
#include "log.h"
#include "loop.h"
#include "mbox.h"
#include "nntp.h"
#include "nt_err.h"
#include "opt.h"
#include "proto.h"

/* --- the high-water mark: lines "SERVER GROUP NUMBER" --- */
long long nntp_mark_read(FILE *f, const char *server, const char *group, struct buf *rest)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long long hwm = 0;
	/* getline, not fgets: a line is kept whole, NUL bytes and all, however long. */
	while ((len = getline(&line, &cap, f)) > 0) {
		char s[300], g[600];
		long long n;
		if (sscanf(line, "%299s %599s %lld", s, g, &n) == 3 && !strcmp(s, server) && !strcmp(g, group)) {
			hwm = n;
			continue;
		}
		if (rest) {
			xbuf_append(rest, line, (size_t)len);
			/* A last line without its line end (an edited file): give it one, or the
			 * mark written after it would join it and be lost. */
			if (line[len - 1] != '\n')
				xbuf_append(rest, "\n", 1);
		}
	}
	free(line);
	return hwm;
}

static long long state_get(const char *path, const char *server, const char *group)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno != ENOENT)
			die_sys(NT_EXIT_IO, "%s", path);
		return 0;
	}
	long long hwm = nntp_mark_read(f, server, group, NULL);
	fclose(f);
	return hwm;
}

static int state_put(const char *path, const char *server, const char *group, long long hwm, char *err,
		     size_t errlen)
{
	struct buf b;
	buf_init(&b, 0);
	FILE *f = fopen(path, "r");
	if (f) {
		nntp_mark_read(f, server, group, &b);
		fclose(f);
	}
	xbuf_appendf(&b, "%s %s %lld\n", server, group, hwm);
	struct afile af;
	int r = -1;
	if (afile_open(&af, NULL, path, 0644, err, errlen) < 0)
		goto out;
	if (file_write_all(af.fd, buf_head(&b), buf_pending(&b)) < 0) {
		snprintf(err, errlen, "%s: %s", af.tmp, strerror(errno));
		afile_abort(&af);
		goto out;
	}
	r = afile_commit(&af, err, errlen);
out:
	buf_free(&b);
	return r;
}

/* The committer's record: the mark, once the articles up to it are durable. Each record
 * is a number; a group's last is its highest (the numbers go up). */
struct mark {
	const char *path, *server, *group;
};

static int save_mark(void *arg, char *const *recs, size_t n, char *err, size_t errlen)
{
	const struct mark *m = arg;
	return state_put(m->path, m->server, m->group, strtoll(recs[n - 1], NULL, 10), err, errlen);
}

/* A fetch that dies (a lost connection) still records what was made whole before. */
static struct commit *fetch_commit;
static int exit_hook_set;

static void at_exit_commit(void)
{
	char err[600];
	if (fetch_commit)
		commit_finish(fetch_commit, err, sizeof err);
	fetch_commit = NULL;
}

static void commit_failed(void)
{
	char err[600];
	commit_wait(fetch_commit, err, sizeof err);
	die(NT_EXIT_IO, "%s", err);
}

/* --- output --- */
struct out {
	struct buf b;      /* a write-behind buffer (dir) */
	struct mbox_writer w; /* the article being received (mbox) */
	struct afile af;
	int mbox_fd;
	long long bytes;
};

/* The mbox lock (core/mbox.c), held from the first article to the end of the fetch and
 * released at exit when the run dies. */
static struct mbox_lock mbox_held;
static int mbox_unlock_registered;

static void at_exit_unlock(void)
{
	mbox_unlock(&mbox_held);
}

static void mbox_begin(struct out *o)
{
	char err[512];
	o->mbox_fd = mbox_open(nntp_cf.mbox, err, sizeof err);
	if (o->mbox_fd < 0)
		die(NT_EXIT_IO, "%s", err);
	if (mbox_lock(&mbox_held, nntp_cf.mbox, o->mbox_fd, MBOX_LOCK_WAIT, err, sizeof err) < 0)
		die(NT_EXIT_IO, "%s", err);
	if (!mbox_unlock_registered++)
		atexit(at_exit_unlock);
	off_t end;
	int added; /* made durable with the first articles */
	if (mbox_prepare_append(o->mbox_fd, &end, &added) < 0)
		die_sys(NT_EXIT_IO, "%s", nntp_cf.mbox);
}

static void out_flush_dir(struct out *o)
{
	if (buf_pending(&o->b) && file_write_all(o->af.fd, buf_head(&o->b), buf_pending(&o->b)) < 0)
		die_sys(NT_EXIT_IO, "%s", o->af.tmp);
	buf_reset(&o->b);
}

static int cmp_num(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

static long long receive(struct nntp *c, struct out *o, long long num)
{
	const char *p;
	size_t n;
	long long total = 0;
	int in_head = 1;
	if (nntp_cf.mbox) {
		char from[300];
		snprintf(from, sizeof from, "nntp@%s", c->host);
		mbox_writer_init(&o->w, -1, MBOX_W_MBOXRD, MBOX_FNV_INIT);
		mbox_writer_from(&o->w, from, time(NULL));
	}
	while (nntp_line(c, &p, &n)) {
		total += (long long)n + 1;
		if (total > NNTP_MAX_ARTICLE)
			die(NT_EXIT_PROTO, "article %lld is over %lld bytes", num, NNTP_MAX_ARTICLE);
		if (n == 0)
			in_head = 0;
		if (nntp_cf.mbox) {
			mbox_write(&o->w, p, n); /* in memory: can not fail */
			mbox_write(&o->w, "\n", 1);
			continue;
		}
		if (buf_append(&o->b, p, n) < 0 || buf_append(&o->b, "\n", 1) < 0)
			die(NT_EXIT_IO, "out of memory");
		if (!nntp_cf.mbox && buf_pending(&o->b) >= 1 << 16)
			out_flush_dir(o);
	}
	(void)in_head;
	if (nntp_cf.mbox)
		mbox_writer_finish(&o->w);
	return total;
}

int nntp_cmd_fetch(struct nntp *c, int argc, char **argv)
{
	if (argc < 2 || argc > 3)
		opt_usage_error("fetch takes GROUP [RANGE]");
	const char *group = argv[1];
	nntp_need_arg('g', group);
	char server[300];
	nntp_server_name(c, server, sizeof server);
	char *state = nntp_cf.state ? xstrdup(nntp_cf.state)
		    : nntp_cf.outdir ? xasprintf("%s/.nntp-state", nntp_cf.outdir) : xasprintf("%s.nntp-state", nntp_cf.mbox);
	if (nntp_cf.outdir && file_mkdirs(nntp_cf.outdir, 0755) < 0)
		die_sys(NT_EXIT_IO, "%s", nntp_cf.outdir);
	long long hwm = state_get(state, server, group);

	long long count, first, last, lo, hi;
	nntp_group(c, group, &count, &first, &last);
	if (argc > 2) {
		nntp_range(argv[2], first, last, &lo, &hi);
		if (hi > last)
			hi = last; /* the mark must never pass what the group has */
	} else {
		lo = hwm + 1 > first ? hwm + 1 : first;
		hi = last;
	}
	if (count == 0 || hi < lo) {
		log_info("%s: nothing new (high-water mark %lld, last %lld)", group, hwm, last);
		free(state);
		return 0;
	}
	/* The numbers that exist (LISTGROUP with a range, RFC 3977 6.1.2), else every number. */
	long long *nums = NULL;
	size_t nn = 0, cap = 0;
	int r = nntp_cmd(c, "LISTGROUP %s %lld-%lld", group, lo, hi);
	if (r == 211) {
		const char *p;
		size_t n;
		long long seen = 0;
		while (nntp_line(c, &p, &n)) {
			long long v;
			if (nntp_parse_number(p, n, &v) < 0)
				die(NT_EXIT_PROTO, "malformed LISTGROUP line from %s", c->host);
			/* Every line counts against the cap, kept or not: else numbers outside the
			 * range would keep us reading forever. */
			if (++seen > NNTP_MAX_NUMBERS)
				die(NT_EXIT_PROTO, "LISTGROUP from %s lists more than %lld numbers: refused (fetch a smaller RANGE)",
				    c->host, NNTP_MAX_NUMBERS);
			if (v < lo || v > hi)
				continue;
			/* Repeats are dropped below; a listing far longer than the range is malformed. */
			if (nn > 2 * (size_t)(hi - lo + 1) + 16)
				die(NT_EXIT_PROTO, "LISTGROUP from %s lists more numbers than %lld-%lld holds", c->host, lo, hi);
			if (nn == cap) {
				cap = cap ? cap * 2 : 1024;
				nums = xrealloc(nums, cap * sizeof *nums);
			}
			nums[nn++] = v;
		}
		/* In ascending order, once each: the mark moves over numbers in order. */
		qsort(nums, nn, sizeof *nums, cmp_num);
		size_t u = 0;
		for (size_t i = 0; i < nn; i++)
			if (!u || nums[i] != nums[u - 1])
				nums[u++] = nums[i];
		nn = u;
	} else {
		if (hi - lo >= NNTP_MAX_NUMBERS)
			die(NT_EXIT_FAIL, "range %lld-%lld too large without LISTGROUP", lo, hi);
		nums = xmalloc((size_t)(hi - lo + 1) * sizeof *nums);
		for (long long v = lo; v <= hi; v++)
			nums[nn++] = v;
	}

	struct out o = {.mbox_fd = -1};
	buf_init(&o.b, (size_t)NNTP_MAX_ARTICLE * 2 + 4096);
	if (nntp_cf.mbox)
		mbox_begin(&o);
	/* An explicit range moves the mark only when it joins what was fetched before. */
	int can_move = argc <= 2 || lo <= hwm + 1;
	long long ck_ms = loop_now_ms();
	size_t ck_done = 0, ck_every = 1000;
	long long marked = hwm; /* the mark on disk */
	const char *ck_env = nt_test_knob("NETTOOL_NNTP_CHECKPOINT"); /* the test build: articles per checkpoint */
	if (ck_env && atoi(ck_env) > 0)
		ck_every = (size_t)atoi(ck_env);
	struct mark mk = {state, server, group};
	char cerr[600];
	fetch_commit = commit_start(&(struct commit_conf){.journal_fd = -1, .record = save_mark, .arg = &mk}, cerr,
				    sizeof cerr);
	if (!fetch_commit)
		die(NT_EXIT_IO, "%s", cerr);
	if (!exit_hook_set++)
		atexit(at_exit_commit);
	struct progress pr;
	progress_init(&pr, log_level == LOG_QUIET ? PROGRESS_NONE : nntp_cf.progress, "fetch");
	pr.items_total = nn;
	long long t0 = loop_now_ms();
	size_t sent = 0, done = 0, missing = 0;
	size_t w = (size_t)nntp_cf.window;
	while (done < nn) {
		if (sent < nn && sent - done <= w / 2) {
			while (sent < nn && sent - done < w)
				nntp_queue(c, "ARTICLE %lld", nums[sent++]);
			nntp_flush(c);
		}
		long long num = nums[done];
		r = nntp_status(c);
		if (r == 423 || r == 430) {
			missing++;
			done++;
			continue;
		}
		if (r != 220) {
			char what[64];
			snprintf(what, sizeof what, "ARTICLE %lld", num);
			nntp_fail(c, what);
		}
		/* "220 n <message-id>": the number must be the one asked for, or the replies
		 * are out of step with our commands (a bad line end upstream) and every file
		 * from here on would hold another article under this name. */
		long long got;
		size_t nw = strcspn(c->text, " ");
		if (nntp_parse_number(c->text, nw, &got) < 0 || got != num)
			die(NT_EXIT_PROTO, "ARTICLE %lld: the reply is for article '%.*s' (the server's replies are out of step)",
			    num, (int)(nw < 20 ? nw : 20), c->text);
		char name[32];
		snprintf(name, sizeof name, "%lld", num);
		char err[512];
		if (nntp_cf.outdir) {
			if (afile_open(&o.af, nntp_cf.outdir, name, 0644, err, sizeof err) < 0)
				die(NT_EXIT_IO, "%s", err);
			nntp_partial = &o.af;
		}
		long long bytes = receive(c, &o, num);
		o.bytes += bytes;
		done++;
		/* Checkpoint: the mark moves once what is written is durable, so an interrupted
		 * fetch repeats at most the articles since the last checkpoint. */
		char *rec = NULL;
		if (can_move && num > marked && (done - ck_done >= ck_every || loop_now_ms() - ck_ms >= 5000)) {
			rec = xasprintf("%lld", num);
			marked = num;
			ck_done = done;
			ck_ms = loop_now_ms();
		}
		int cr;
		if (nntp_cf.outdir) {
			out_flush_dir(&o);
			nntp_partial = NULL;
			cr = commit_file(fetch_commit, &o.af, rec);
		} else {
			if (file_write_all(o.mbox_fd, o.w.obuf, o.w.olen) < 0)
				die_sys(NT_EXIT_IO, "%s", nntp_cf.mbox);
			mbox_writer_free(&o.w);
			cr = rec ? commit_fd(fetch_commit, o.mbox_fd, rec) : 0;
		}
		if (cr < 0)
			commit_failed();
		pr.items_done = done;
		pr.bytes_done = (uint64_t)o.bytes;
		progress_update(&pr);
		if (nntp_cf.json) {
			json_begin(stdout);
			json_kv_int(stdout, "number", num);
			if (nntp_cf.outdir) {
				char *path = xasprintf("%s/%s", nntp_cf.outdir, name);
				json_kv_str(stdout, "file", path);
				free(path);
			}
			json_kv_int(stdout, "bytes", bytes);
			json_end(stdout);
		}
	}
	progress_done(&pr);
	/* Everything durable, then the mark. */
	int move = hi > hwm && can_move;
	char *rec = move ? xasprintf("%lld", hi) : NULL;
	if ((nntp_cf.outdir ? commit_record(fetch_commit, rec) : commit_fd(fetch_commit, o.mbox_fd, rec)) < 0)
		commit_failed();
	struct commit *fc = fetch_commit;
	fetch_commit = NULL;
	if (commit_finish(fc, cerr, sizeof cerr) < 0)
		die(NT_EXIT_IO, "%s", cerr);
	if (!nntp_cf.outdir) {
		mbox_unlock(&mbox_held); /* after the articles are durable */
		if (close(o.mbox_fd) < 0)
			die_sys(NT_EXIT_IO, "%s", nntp_cf.mbox);
	}
	long long ms = loop_now_ms() - t0;
	log_info("%s: %zu articles (%lld bytes) in %.2f s%s%zu missing; high-water mark %lld", group, done - missing,
		 o.bytes, ms / 1000.0, ", ", missing, move ? hi : hwm);
	buf_free(&o.b);
	free(nums);
	free(state);
	return 0;
}
