/* SPDX-License-Identifier: MIT */
/* engine.c - the batch engine: N logged-in connections (libcurl multi; connections
 * are reused by every transfer, no login per file), jobs streamed from a source,
 * a durable journal so that a rerun skips what is done, shards, retries with backoff
 * for transient errors, a deadline, and the durable commit of downloaded files and
 * journal lines through core/commit (data synced, then renamed, then journaled; at most
 * one group not yet journaled). Without --journal or --fsync a download is renamed whole
 * and not synced. Where a get's data go (buffer, temporary, its end): getsink.c; the
 * copy between two servers is copy.c's (engine.h); the journal itself: journal.c.
 *
 * Header: applets/ftp/ftp.h    Man page: man/nettool-ftp.1    Tests: tests/integration/ftp_batch.sh
 * tests/integration/ftp_deadline.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "commit.h"
#include "engine.h"
#include "file.h"
#include "ftp.h"
#include "journal.h"
#include "log.h"
#include "nt_err.h"
#include "out.h"
#include "stopsig.h"

/* SIGINT, SIGTERM: the stop (transfers ended, temporaries deleted, the journal's lines
 * written) gets at most this long before the process ends by the signal anyway. */
#define STOP_CLEANUP_SECS 5
/* --deadline: a put's libcurl timeout this much after it (add) */
#define PUT_STOP_FIRST_MS 250

/* Before a done or failed line of the journal: the run line, once. */
static void journal_item(struct engine *e)
{
	if (e->run_line) {
		commit_record(e->com, e->run_line);
		e->run_line = NULL;
	}
}

static void fail_job(struct engine *e, struct slot *s, int code, const char *msg);
/* The bytes a job moved, for --json; -1 (null) for a job that moves none (rm, mkdir). */
static long long job_bytes(const struct slot *s)
{
	enum job_kind k = s->job.kind;
	return k == JOB_GET || k == JOB_PUT || k == JOB_COPY ? (long long)(s->bytes + (uint64_t)s->job.out_at) : -1;
}

/* Done: the download af (renamed into place) or the data appended on fd made durable,
 * then the journal line (core/commit). */
static void mark_done_why(struct engine *e, struct slot *s, struct afile *af, int fd, const char *why)
{
	char perr[600];
	if (af && afile_place_check(af, perr, sizeof perr) < 0) { /* that item's failure alone (file.h) */
		afile_abort(af);
		fail_job(e, s, NT_EXIT_FAIL, perr);
		return;
	}
	if ((af || fd >= 0) && e->jfd < 0 && !ftp_cf.fsync && !ftp_cf.move) {
		/* No journal, no --fsync, no --move (which deletes the source once the copy here
		 * is durable): renamed into place whole, not synced (like rsync). */
		char err[600];
		int r = 0;
		if (af) {
			commit_names_lock(e->com);
			r = afile_commit_nosync(af, err, sizeof err);
			commit_names_unlock(e->com);
		}
		if (r < 0) {
			fail_job(e, s, NT_EXIT_IO, err);
			return;
		}
		e->r.done++, s->worked = 1;
		e->prog.items_done++;
		ftp_result(eng_kind_name(s->job.kind), s->job.src, s->job.dst, FTP_R_DONE, job_bytes(s),
			   (ftp_now_ms() - s->t0_ms) / 1000.0, why);
		return;
	}
	if (e->jfd >= 0)
		journal_item(e);
	char *k = e->jfd >= 0 ? ftp_job_key(&s->job) : NULL;
	char *rec = k ? xasprintf("done\t%s\n", k) : NULL;
	free(k);
	/* Nothing to make durable (a copy, rm, stdout without --journal): no wake-up. */
	int r = af ? commit_file_report(e->com, af, rec, ftp_dur_late(s))
		: fd >= 0 ? commit_fd(e->com, fd, rec) : rec ? commit_record(e->com, rec) : 0;
	if (r < 0) { /* a sync, a rename or the journal failed: nothing after it is recorded */
		char err[600];
		commit_wait(e->com, err, sizeof err);
		die(NT_EXIT_IO, "%s", err);
	}
	e->r.done++, s->worked = 1;
	e->prog.items_done++;
	ftp_result(eng_kind_name(s->job.kind), s->job.src, s->job.dst, FTP_R_DONE, job_bytes(s),
		   (ftp_now_ms() - s->t0_ms) / 1000.0, why);
}

static void mark_done(struct engine *e, struct slot *s, struct afile *af, int fd)
{
	mark_done_why(e, s, af, fd, NULL);
}

/* ---- callbacks ---- */
/* ---- starting jobs ---- */

/* A job's name for a message: server text (a listing's names) made safe (core/out.c: C0,
 * DEL, C1 such as U+009B, an 8-bit CSI, and bytes that are not UTF-8 become '?'). */
static const char *job_name(const struct job *j, char *buf, size_t n)
{
	const char *p = j->src ? j->src : j->dst;
	out_clean(buf, n, p, strlen(p), 0);
	return buf;
}

static void fail_job(struct engine *e, struct slot *s, int code, const char *msg)
{
	char nb[4096];
	if (ftp_busy_requeue(e, s, msg)) /* a connection the server would not take: the item is not failed */
		return;
	nt_warn("%s %s: %s", eng_kind_name(s->job.kind), job_name(&s->job, nb, sizeof nb), msg);
	ftp_result(eng_kind_name(s->job.kind), s->job.src, s->job.dst, FTP_R_FAILED, job_bytes(s),
		   (ftp_now_ms() - s->t0_ms) / 1000.0, msg);
	e->r.failed++;
	if (code > e->r.worst)
		e->r.worst = code;
	if (e->jfd >= 0) {
		journal_item(e);
		ftp_dur_journal_failed(e->com, &s->job, msg);
	}
}

static void add(struct engine *e, CURL *h, struct slot *s)
{
	curl_easy_setopt(h, CURLOPT_PRIVATE, s);
	if (e->deadline) {
		/* libcurl waits for a transfer's 226 inside its own end (ftp_done), where the
		 * loop cannot look: its whole transfer bounded by the time left, which bounds
		 * that wait too (CURLE_OPERATION_TIMEDOUT at the deadline: deadline_cut). */
		long long left = e->deadline - ftp_now_ms();
		/* An upload a little later: the stop at the deadline resets its data connection
		 * first (libcurl's own timeout closes it: the server then writes all our kernel
		 * held too, 2.8 MB at 1 MB/s); only its wait for the 226 can take that longer. */
		if (s->job.kind == JOB_PUT && !s->phase)
			left += PUT_STOP_FIRST_MS;
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(left > 1 ? left : 1));
	}
	curl_multi_add_handle(e->m, h);
}

void eng_quote(struct engine *e, struct slot *s, struct ftp_site *site, CURL *h, struct ftp_hdr *hdr, char *err,
	       const char *verb, const char *path)
{
	ftp_prep(site, h, hdr, err);
	s->url = ftp_url(site, "", 1);
	char *ap = ftp_qpath(site, path);
	char *c = xasprintf("%s %s", verb, ap);
	s->q = curl_slist_append(NULL, c);
	free(c);
	free(ap);
	curl_easy_setopt(h, CURLOPT_URL, s->url);
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_PREQUOTE, s->q); /* after the CWD to the login folder (sess.c) */
	s->run1 = 1;
	add(e, h, s);
}

/* Start s->job; 0 when running, -1 when it has ended already (failed before anything
 * was sent, or a copy done by FXP). */
static int start(struct engine *e, struct slot *s)
{
	struct job *j = &s->job;
	s->phase = 0;
	s->bytes = 0;
	s->t0_ms = ftp_now_ms();
	s->werr = s->opened = 0;
	s->wl = 0;
	s->out_n = 0;
	s->fd = s->infd = -1;
	s->run1 = s->run2 = 0;
	s->rc1 = s->rc2 = CURLE_OK;
	s->rate_n = 0;
	s->rate_until = 0;
	s->held = PUT_HELD_SENT;
	if (j->reject) {
		fail_job(e, s, NT_EXIT_FAIL, j->reject); /* an item of the batch failed (1), not a usage error */
		return -1;
	}
	if ((j->src && nt_has_ctl(j->src)) || (j->dst && nt_has_ctl(j->dst))) {
		fail_job(e, s, NT_EXIT_FAIL, "control character (CR, LF...) in the path: refused");
		return -1;
	}
	switch (j->kind) {
	case JOB_GET: {
		off_t resume = -1;
		if (!strcmp(j->dst, "-")) {
			s->sink = SINK_STDOUT;
			s->fd = 1;
		} else if (e->src->total == 1 && !j->has_root && file_is_special(j->dst)) {
			/* The user's own -o is a device or a FIFO (-o /dev/null): written in place,
			 * as curl does (a rename would replace the device with a file). */
			errno = EINTR; /* a FIFO's open waits for its reader: until a stop (its timer) */
			while (!stopsig_due() && (s->fd = open(j->dst, O_WRONLY | O_CLOEXEC | O_NOCTTY)) < 0 && errno == EINTR)
				;
			if (s->fd < 0 && errno == EINTR) { /* nothing written: the stop counts it not started */
				s->next = *j;
				s->has_next = 1;
				memset(j, 0, sizeof *j);
				return -1;
			}
			if (s->fd < 0) {
				char m[600];
				snprintf(m, sizeof m, "%s: %s", j->dst, strerror(errno));
				fail_job(e, s, NT_EXIT_IO, m);
				return -1;
			}
			s->sink = SINK_DEV;
		} else {
			char m[600];
			if (ftp_local_prepare(j, &e->made_dir, &s->dst_dir, &s->dst_base, &s->dst_rel, m, sizeof m) < 0) {
				/* A symlink below the target refused: the item's failure (1), not I/O. */
				fail_job(e, s, ftp_local_fail_code(s->dst_base, errno), m);
				return -1;
			}
			s->sink = SINK_FILE;
			ftp_dur_sweep(s->dst_base, s->dst_rel);
			if (ftp_cf.resume) {
				int r = ftp_local_resume(s->dst_base, s->dst_rel, &s->fd, &s->resume_at, s->err, sizeof s->err);
				if (r < 0) {
					fail_job(e, s, ftp_local_fail_code(s->dst_base, errno), s->err);
					return -1;
				}
				if (r) { /* in place, from its end (0: no REST); a stop leaves it (eng_get_left) */
					s->sink = SINK_APPEND;
					resume = s->resume_at > 0 ? s->resume_at : -1;
				}
			}
		}
		if (j->out_at > 0) /* a retry into a stream that has the first bytes: REST there (libcurl's path) */
			resume = j->out_at;
		else if (e->fast && (s->sink == SINK_FILE || e->src->total == 1) && !(j->mtime < 0 && ftp_cf.keep_mtime)) {
			int r = ftp_getfast_start(e, s);
			if (r != GP_CURL)
				return r == GP_RUNNING ? 0 : -1;
		}
		return eng_get_curl(e, s, resume);
	}
	case JOB_PUT: {
		struct stat st;
		int code;
		char m[600];
		if ((s->infd = ftp_put_open(j->src, &st, &code, m, sizeof m)) < 0) { /* putpipe.c */
			fail_job(e, s, code, m);
			return -1;
		}
		ftp_dur_put_clean(e->a, j->dst); /* a rerun of a journal: a killed --atomic run's temporary */
		int own = S_ISREG(st.st_mode) ? ftp_putfast_start(e, s, st.st_size) : GP_CURL; /* putpipe.c */
		if (own != GP_CURL)
			return own == GP_RUNNING ? 0 : -1;
		return eng_put_curl(e, s, &st);
	}
	case JOB_RM:
		eng_quote(e, s, e->a, s->h, &s->hdr, s->err, "DELE", j->src);
		return 0;
	case JOB_RMDIR:
		eng_quote(e, s, e->a, s->h, &s->hdr, s->err, "RMD", j->src);
		return 0;
	case JOB_MKDIR:
		eng_quote(e, s, e->a, s->h, &s->hdr, s->err, "*MKD", j->dst);
		return 0;
	case JOB_COPY:
		return ftp_copy_start(e, s);
	}
	return -1;
}

static void slot_clear(struct slot *s)
{
	curl_slist_free_all(s->q);
	curl_slist_free_all(s->q2);
	s->q = s->q2 = NULL;
	free(s->url), free(s->url2);
	s->url = s->url2 = NULL;
	free(s->ctmp);
	s->ctmp = NULL;
	free(s->cf);
	s->cf = NULL;
	free(s->dst_dir), free(s->dst_base), free(s->dst_rel);
	s->dst_dir = s->dst_base = s->dst_rel = NULL;
	if (s->infd >= 0)
		close(s->infd);
	s->infd = -1;
	if ((s->sink == SINK_APPEND || s->sink == SINK_DEV) && s->fd >= 0)
		close(s->fd);
	if (s->opened && s->af.tmp)
		afile_abort(&s->af);
	s->opened = 0;
	s->fd = -1;
	eng_job_free(&s->job);
	if (s->spliced)
		close(s->spl[0]), close(s->spl[1]);
	s->spliced = 0;
	s->fast = 0;
	s->busy = 0;
}

/* The slot's job again after a back-off (one attempt more); the slot is free after. */
static void retry_later(struct engine *e, struct slot *s, const char *why)
{
	/* A stream (stdout, a device) cannot be rewound: what it has is kept (the bytes
	 * buffered too, all of them the file's) and the next attempt continues after it. */
	if (s->job.kind == JOB_GET && (s->sink == SINK_STDOUT || s->sink == SINK_DEV)) {
		if (s->werr || eng_wflush(s) < 0) { /* the stream's count unknown: not retried */
			fail_job(e, s, NT_EXIT_IO, why);
			return;
		}
		s->job.out_at += (int64_t)s->bytes;
		s->bytes = 0;
	}
	if (ftp_busy_requeue(e, s, why))
		return;
	struct job *r = xmalloc(sizeof *r);
	*r = s->job;
	r->attempts++;
	long long back = ftp_backoff_ms(r->attempts);
	r->ready_ms = ftp_now_ms() + back;
	r->next = e->retry;
	e->retry = r;
	char nb[4096];
	log_info("%s %s: %s: retry %d of %d in %.1f s", eng_kind_name(s->job.kind), job_name(&s->job, nb, sizeof nb), why, r->attempts, ftp_cf.retry,
		 back / 1000.0);
	s->job.src = s->job.dst = NULL;
}

/* One file named that is a folder (no -r): say so, not the 550 of its SIZE or RETR. */
int eng_src_folder(struct engine *e, struct slot *s, char *m, size_t ml)
{
	if (e->src->total != 1 || !s->job.src || ftp_isdir(e->a, s->job.src) != 1)
		return 0;
	snprintf(m, ml, "it is a folder: %s",
		 s->job.kind == JOB_GET ? "get -r (or mirror) fetches a whole tree" : "copy -r copies a whole tree");
	return 1;
}

int eng_own_off(struct engine *e, struct slot *s, int *on, const char *why)
{
	log_trace("%s: %s%slibcurl's downloads from here on", e->b ? "copy" : "get", why ? why : "", why ? ": " : "");
	*on = 0;
	ftp_gp_close_idle();
	if (!s)
		return 0;
	if (s->job.kind == JOB_COPY) {
		s->own_src = 0;
		eng_add(e, s->h, s);
		return 0;
	}
	s->fast = 0;
	return eng_get_curl(e, s, -1);
}

/* A job failed: retry it later when the error is transient and attempts are left. */
static void failed(struct engine *e, struct slot *s, CURLcode rc, const char *errbuf, const struct ftp_hdr *hdr, int code)
{
	char m[600];
	int dst_side = s->job.kind == JOB_PUT || (s->job.kind == JOB_COPY && s->fail_dst);
	s->fail_dst = 0;
	if (rc != CURLE_OK) {
		ftp_busy_errmsg(e, s, dst_side, rc, errbuf, hdr, m, sizeof m); /* a copy's: the server named */
		enum job_kind k = s->job.kind;
		if (rc == CURLE_REMOTE_ACCESS_DENIED && (k == JOB_GET || k == JOB_PUT || k == JOB_COPY)) {
			/* libcurl's CWD to the file's folder failed: name that folder and the
			 * server (a copy has two), and for an upload what makes the folder. Many
			 * servers (vsftpd) say the same for a missing folder and a refused one. */
			struct ftp_site *site = dst_side && k == JOB_COPY ? e->b : e->a;
			const char *path = dst_side ? s->job.dst : s->job.src;
			if (!eng_folder_again(e, site, path, m, sizeof m)) { /* once a folder, at length */
				/* Words that are the refusal replace libcurl's ("no such folder or
				 * access denied" said again), the server's reply kept in them. */
				char w[600];
				const char *r = hdr && hdr->code >= 400 && hdr->last[0] ? hdr->last : NULL;
				if (ftp_folder_why(w, sizeof w, site, path, ftp_no_such_folder(rc, hdr), dst_side, r))
					snprintf(m, sizeof m, "%s", w);
				else
					snprintf(m + strlen(m), sizeof m - strlen(m), ": %s", w);
			}
		}
		if (rc == CURLE_REMOTE_FILE_NOT_FOUND && (k == JOB_GET || k == JOB_COPY) && !dst_side)
			eng_src_folder(e, s, m, sizeof m);
	} else
		snprintf(m, sizeof m, "local write failed");
	if (rc != CURLE_OK && s->job.attempts < ftp_cf.retry && ftp_transient(rc, hdr) && !e->stopped) {
		retry_later(e, s, m);
		return;
	}
	if (rc != CURLE_BAD_DOWNLOAD_RESUME && rc != CURLE_FTP_COULDNT_USE_REST)
		eng_get_left(s, m, sizeof m); /* -c: the partial file it leaves, said */
	if (s->job.kind == JOB_GET && s->job.out_at > 0) { /* a stream resumed (retry_later): what it holds */
		size_t l = strlen(m);
		snprintf(m + l, sizeof m - l, " (%s has only the first %lld bytes)", s->sink == SINK_STDOUT ? "standard output" : s->job.dst,
			 (long long)(s->job.out_at + (int64_t)s->bytes));
	}
	if (rc != CURLE_OK && s->job.kind == JOB_PUT) {
		ftp_put_left(m, sizeof m, e->a, s->job.dst, rc, (long long)s->bytes, PUT_HELD_SENT);
		ftp_put_tmp_left(m, sizeof m, e->a, s->job.dst, rc); /* --atomic: as a failed copy's */
	}
	fail_job(e, s, code ? code : xfer_exit_code(rc) ? xfer_exit_code(rc) : NT_EXIT_FAIL, m);
}

/* For copy.c (engine.h). */
void eng_add(struct engine *e, CURL *h, struct slot *s)
{
	add(e, h, s);
}

void eng_done_file(struct engine *e, struct slot *s, struct afile *af, int fd)
{
	mark_done(e, s, af, fd);
}

void eng_done(struct engine *e, struct slot *s)
{
	mark_done(e, s, NULL, -1);
}

void eng_done_why(struct engine *e, struct slot *s, const char *why)
{
	mark_done_why(e, s, NULL, -1, why);
}

void eng_fail(struct engine *e, struct slot *s, int code, const char *msg)
{
	fail_job(e, s, code, msg);
}

void eng_failed(struct engine *e, struct slot *s, CURLcode rc, const char *errbuf, const struct ftp_hdr *hdr, int code)
{
	failed(e, s, rc, errbuf, hdr, code);
}

void eng_retry(struct engine *e, struct slot *s, int code, const char *msg)
{
	if (code == NT_EXIT_NET && s->job.attempts < ftp_cf.retry && !e->stopped) {
		retry_later(e, s, msg);
		return;
	}
	fail_job(e, s, code ? code : NT_EXIT_FAIL, msg);
}

/* A handle of slot s finished. */
static void finished(struct engine *e, struct slot *s, CURL *h, CURLcode rc)
{
	curl_multi_remove_handle(e->m, h);
	if (h == s->h)
		s->run1 = 0, s->rc1 = rc;
	else
		s->run2 = 0, s->rc2 = rc;
	struct job *j = &s->job;
	if (j->kind == JOB_COPY) {
		if (ftp_copy_finished(e, s, h, rc))
			return;
	} else if (j->kind == JOB_GET) {
		eng_finish_get(e, s);
	} else if (j->kind == JOB_PUT && rc == CURLE_OK && ftp_cf.atomic > 0 && !s->phase) {
		/* --atomic: the temporary renamed (phase 1) only when the server's SIZE of it is
		 * what went out (a 226 for part of it: failed, the temporary deleted). Resumed:
		 * the local file's whole size (putcurl.c). */
		long long sent = ftp_cf.resume ? (long long)s->resume_at : (long long)s->bytes;
		if (!ftp_tmp_rename_step(e->a, s->h, &s->hdr, s->err, j->dst, sent, &s->q, &s->url)) {
			s->phase = 1;
			s->run1 = 1;
			add(e, s->h, s);
			return;
		}
		failed(e, s, CURLE_PARTIAL_FILE, s->err, &s->hdr, 0);
	} else if (j->kind == JOB_PUT && rc == CURLE_OK && ftp_cf.resume &&
		   ftp_tmp_size_check(s->hdr.code, s->hdr.last, (long long)s->resume_at, s->err, sizeof s->err) < 0) {
		/* --resume in place: the server's SIZE after the APPE is the local file's, or
		 * the file is not what ours is (exit 3): what that means for it said. */
		if (s->hdr.code == 213) {
			char m[900], name[300];
			out_clean(name, sizeof name, j->dst, strlen(j->dst), 0);
			snprintf(m, sizeof m, "%s on %s has %lld bytes, not the %lld of the local file: it is damaged (another "
				 "writer, or an upload still being written?); delete it and put again", name, ftp_site_name(e->a),
				 strtoll(s->hdr.last + 4, NULL, 10), (long long)s->resume_at);
			fail_job(e, s, xfer_exit_code(CURLE_PARTIAL_FILE), m);
		} else {
			s->hdr.code = 0;
			s->hdr.last[0] = 0;
			failed(e, s, CURLE_PARTIAL_FILE, s->err, &s->hdr, 0);
		}
	} else if (rc != CURLE_OK) {
		failed(e, s, rc, s->err, &s->hdr, 0);
	} else {
		mark_done(e, s, NULL, -1);
	}
	slot_clear(s);
}

/* A put stopped before its STOR went out (putpipe.c's, or libcurl's as its trace showed):
 * never begun, nothing of it on the server. */
static int put_unbegun(const struct slot *s)
{
	if (s->job.kind != JOB_PUT || s->phase)
		return 0;
	return s->fast ? !ftp_pp_begun(s->pp) : !s->stor_sent;
}

/* The puts in place on libcurl's path under way: reset and removed, then their sizes
 * settled together (putcurl.c), not one after another. */
static void stop_curl_puts(struct engine *e)
{
	struct slot **v = xcalloc((size_t)e->n, sizeof *v);
	int n = 0;
	for (int i = 0; i < e->n; i++) {
		struct slot *s = &e->slots[i];
		if (!s->busy || !s->run1 || s->job.kind != JOB_PUT || s->fast || s->phase || put_unbegun(s))
			continue;
		eng_put_curl_reset(s);
		curl_multi_remove_handle(e->m, s->h);
		s->run1 = 0;
		if (ftp_cf.atomic <= 0) /* --atomic: its temporary deleted, what the server still writes unlinked */
			v[n++] = s;
	}
	if (n)
		eng_put_curl_settle(e, v, n);
	free(v);
}

static void stop_all(struct engine *e, const char *why)
{
	e->stopped = 1;
	e->stop_why = why; /* an item alone never begun: said (eng_not_started) */
	stopsig_deadline(-1); /* its clean-up not interrupted */
	stop_curl_puts(e);
	for (int i = 0; i < e->n; i++) {
		struct slot *s = &e->slots[i];
		if (s->has_next) { /* taken early (getfast.c) or by deadline_stops: never begun */
			eng_not_started(e, &s->next);
			s->has_next = 0;
		}
		if (!s->busy)
			continue;
		int unbegun = put_unbegun(s);
		if (s->run1 && s->job.kind == JOB_PUT && !s->fast && !s->phase)
			eng_put_curl_reset(s); /* its data connection reset by the removal's close */
		if (s->run1)
			curl_multi_remove_handle(e->m, s->h);
		if (s->run2)
			curl_multi_remove_handle(e->m, s->h2);
		s->run1 = s->run2 = 0;
		if (s->job.kind == JOB_COPY)
			ftp_copy_stop(e, s);
		if (s->fast)
			ftp_getfast_stop(s); /* its own connection closed: put or get */
		if (unbegun) { /* said as the items never taken are */
			eng_not_started(e, &s->job);
			slot_clear(s);
			continue;
		}
		char m[1200];
		snprintf(m, sizeof m, "%s", why);
		if (s->job.kind == JOB_GET && (s->sink == SINK_STDOUT || s->sink == SINK_DEV)) {
			/* a stream: what it has is kept, counted as written (a write cut by the deadline too) */
			snprintf(m, sizeof m, "%s (%s is left partial: it has the first %lld bytes)", why,
				 s->sink == SINK_STDOUT ? "standard output" : s->job.dst,
				 (long long)(s->job.out_at + (int64_t)s->out_n));
		}
		eng_get_left(s, m, sizeof m); /* -c: the file in place, what came flushed to it */
		if (s->job.kind == JOB_PUT) { /* in place: what it leaves; --atomic: its temporary deleted (sess.c) */
			ftp_put_left(m, sizeof m, e->a, s->job.dst, CURLE_ABORTED_BY_CALLBACK, (long long)s->bytes, s->held);
			ftp_put_tmp_left(m, sizeof m, e->a, s->job.dst, CURLE_ABORTED_BY_CALLBACK);
		}
		fail_job(e, s, NT_EXIT_FAIL, m);
		slot_clear(s);
	}
	while (e->retry) {
		struct job *r = e->retry;
		e->retry = r->next;
		e->r.failed++;
		eng_job_free(r);
		free(r);
	}
	eng_src_rest(e, 0); /* the items never begun: failed, so that the numbers add up */
}

/* The deadline has come: 1 when it stops something (a job under way or taken, a retry
 * waiting, an item of the source not yet taken: that one kept in a free slot's next, for
 * stop_all to count as not started); 0 when every item has ended: the run ends as it
 * would have, without "deadline reached". */
static int deadline_stops(struct engine *e)
{
	struct slot *free_slot = NULL;
	for (int i = 0; i < e->n; i++) {
		struct slot *s = &e->slots[i];
		if (s->busy || s->has_next)
			return 1;
		free_slot = s;
	}
	if (e->retry)
		return 1;
	if (!free_slot || !eng_src_take(e, &free_slot->next))
		return 0;
	free_slot->has_next = 1;
	return 1;
}

/* A libcurl transfer cut by the time left (add's CURLOPT_TIMEOUT_MS) at the deadline:
 * not its failure but the deadline's stop (stop_all says it, at the loop's top). */
static int deadline_cut(const struct engine *e, const struct slot *s, CURLcode rc)
{
	/* its output cut (eng_out_write), a put's read of its input (putcurl.c) */
	if ((rc == CURLE_WRITE_ERROR || rc == CURLE_ABORTED_BY_CALLBACK) && s->werr == WERR_STOP)
		return 1;
	return e->deadline && rc == CURLE_OPERATION_TIMEDOUT && ftp_now_ms() + 50 >= e->deadline;
}

int engine_run(struct ftp_site *a, struct ftp_site *b, struct jobsrc *src, int summary)
{
	struct engine *e = xcalloc(1, sizeof *e);
	e->a = a;
	e->b = b;
	e->src = src;
	e->summary = summary;
	e->jfd = -1;
	struct jwant jw = {0};
	if (ftp_cf.journal) {
		/* Before anything connects: a journal of another command, server, options or tree refused. */
		ftp_jwant_init(&jw, src->run, ftp_site_name(a), b ? ftp_site_name(b) : NULL, src->tree);
		jw.named = src->named;
		e->jfd = ftp_journal_open(ftp_cf.journal, &e->done, &jw);
		if (src->named && summary)
			eng_named_done(e); /* one item alone: said where it is skipped (jobs.c) */
		if (e->done.n) {
			src->ahead = ftp_journal_ahead;
			src->ahead_arg = &e->done;
		}
	}
	char cerr[600];
	/* Journaled: at most one group of finished items not yet journaled (a kill costs the
	 * transfers in flight and that group, no more). */
	e->com = commit_start(&(struct commit_conf){.journal_fd = e->jfd,
						    .max_pending = e->jfd >= 0 ? COMMIT_GROUP_MAX : 0},
			      cerr, sizeof cerr);
	if (!e->com)
		die(NT_EXIT_IO, "%s", cerr);
	if (e->jfd >= 0)
		ftp_dur_record(e->com); /* a new journal's tag, before any temporary has it */
	/* The run line goes in before the first item this run records (journal_item): a
	 * rerun that only skips writes nothing, and syncs nothing. */
	e->run_line = e->jfd >= 0 && src->run ? ftp_jwant_lines(&jw) : NULL;
	ftp_jwant_free(&jw);
	e->n = ftp_cf.parallel > 0 ? ftp_cf.parallel : 1;
	if (src->total && src->total < (uint64_t)e->n)
		e->n = (int)src->total;
	e->slots = xcalloc((size_t)e->n, sizeof *e->slots);
	e->fast = ftp_getfast_ok(e);
	e->gp_src = 1;
	e->wfd = xcalloc(4 * (size_t)e->n, sizeof *e->wfd);
	e->pfd = xcalloc(4 * (size_t)e->n, sizeof *e->pfd);
	e->m = curl_multi_init();
	if (!e->m)
		die(NT_EXIT_IO, "libcurl: out of memory");
	curl_multi_setopt(e->m, CURLMOPT_MAXCONNECTS, (long)(2 * e->n + 2));
	for (int i = 0; i < e->n; i++) {
		struct slot *s = &e->slots[i];
		s->e = e;
		s->fd = s->infd = -1;
		s->h = curl_easy_init();
		s->h2 = curl_easy_init();
		if (!s->h || !s->h2)
			die(NT_EXIT_IO, "libcurl: out of memory");
	}
	progress_init(&e->prog, ftp_cf.progress, "ftp");
	e->prog.items_total = src->total;
	long long t0 = ftp_cf.cmd_t0 ? ftp_cf.cmd_t0 : ftp_now_ms(); /* the summary's time: the command's, as --deadline's */
	e->deadline = ftp_cf.deadline_at ? ftp_cf.deadline_at : ftp_cf.deadline_ms ? t0 + ftp_cf.deadline_ms : 0;
	stopsig_arm(); /* SIGINT, SIGTERM: stopped as a deadline stops the run, then the end by it */
	stopsig_bound(STOP_CLEANUP_SECS); /* counted from the signal */
	stopsig_deadline(e->deadline); /* a read or write blocked on a pipe: cut at the deadline or a signal */
	char sigwhy[64] = "";
	for (;;) {
		if (stopsig_got()) {
			snprintf(sigwhy, sizeof sigwhy, "interrupted (%s)", stopsig_got() == SIGINT ? "SIGINT" : "SIGTERM");
			stop_all(e, sigwhy);
			break;
		}
		/* No job starts once the deadline has come (it would be reported as begun): the
		 * check below, after what came in is taken, stops the run or finds it ended. */
		int due = (e->deadline && ftp_now_ms() >= e->deadline) || stopsig_due();
		int busy = 0;
		for (int i = 0; i < e->n; i++) {
			struct slot *s = &e->slots[i];
			while (!s->busy && !e->stopped && !s->retired && !due && !stopsig_due()) {
				if (s->has_next) {
					s->job = s->next; /* taken early (getfast.c) */
					s->has_next = 0;
				} else if (!eng_next_job(e, &s->job)) {
					break;
				}
				s->busy = 1;
				if (start(e, s) < 0)
					slot_clear(s);
			}
			busy += s->busy;
		}
		if (stopsig_got())
			continue; /* (its stop at the top) */
		due |= stopsig_due(); /* (come during a start: a FIFO's open) */
		if (!busy && due) {
			if (deadline_stops(e))
				stop_all(e, "deadline reached");
			break;
		}
		if (!busy) {
			if (!e->retry || e->stopped)
				break;
			long long wait = e->retry->ready_ms - ftp_now_ms();
			for (struct job *r = e->retry; r; r = r->next)
				if (r->ready_ms - ftp_now_ms() < wait)
					wait = r->ready_ms - ftp_now_ms();
			if (e->deadline && ftp_now_ms() + wait > e->deadline) {
				stop_all(e, "deadline reached");
				break;
			}
			if (wait > 0)
				usleep((useconds_t)(wait * 1000));
			continue;
		}
		/* A run of own gets drives libcurl only while a transfer of its is under way. */
		int running, ended = 0, curl_busy = !e->fast;
		for (int i = 0; !curl_busy && i < e->n; i++)
			curl_busy |= e->slots[i].run1 | e->slots[i].run2;
		if (curl_busy)
			curl_multi_perform(e->m, &running);
		CURLMsg *msg;
		int left;
		for (int i = 0; i < e->n; i++) /* (e->fast may have ended with own gets under way) */
			if (e->slots[i].busy && e->slots[i].fast && ftp_getfast_step(e, &e->slots[i])) {
				slot_clear(&e->slots[i]);
				ended++;
			}
		while (curl_busy && (msg = curl_multi_info_read(e->m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			ended++;
			struct slot *s = NULL;
			CURL *h = msg->easy_handle;
			CURLcode rc = msg->data.result;
			curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&s);
			if (s && s->busy && !deadline_cut(e, s, rc))
				finished(e, s, h, rc);
		}
		for (int i = 0; i < e->n; i++)
			if (ftp_copy_pump(e, &e->slots[i])) {
				slot_clear(&e->slots[i]);
				ended++;
			}
		long long now = ftp_now_ms();
		for (int i = 0; i < e->n; i++) {
			struct slot *s = &e->slots[i];
			if (s->busy && s->rate_until && now >= s->rate_until) {
				s->rate_until = 0;
				curl_easy_pause(s->h, CURLPAUSE_CONT);
			}
		}
		if (e->deadline && ftp_now_ms() >= e->deadline && deadline_stops(e)) {
			stop_all(e, "deadline reached");
			break;
		}
		progress_update(&e->prog);
		/* A slot came free: fill it at once rather than after the next wake-up. */
		if (!ended) {
			unsigned nfd = (unsigned)ftp_copy_waitfds(e);
			nfd += (unsigned)ftp_getfast_waitfds(e, (int)nfd);
			long long dl = e->deadline ? e->deadline - ftp_now_ms() : 100;
			int ms = dl < 0 ? 0 : dl < 100 ? (int)dl : 100; /* woken for the deadline */
			int known = curl_busy ? curl_multi_poll(e->m, e->wfd, nfd, ms, NULL) == CURLM_OK
					      : ftp_getfast_poll(e, nfd);
			ftp_getfast_events(e, known);
		}
	}
	ftp_busy_report(e);
	ftp_dur_dropped(e); /* renames the committer dropped: failed, not done */
	if (commit_finish(e->com, cerr, sizeof cerr) < 0)
		die(NT_EXIT_IO, "%s", cerr);
	progress_done(&e->prog);
	e->r.skipped += src->skipped;
	e->r.failed += (uint64_t)src->failed;
	for (int i = 0; i < e->n; i++) {
		curl_easy_cleanup(e->slots[i].h), curl_easy_cleanup(e->slots[i].h2);
		free(e->slots[i].pipe);
		free(e->slots[i].wb);
	}
	curl_multi_cleanup(e->m);
	ftp_fxp_free();
	ftp_gp_free();
	ftp_pp_free();
	free(e->wfd), free(e->pfd);
	char ns[80] = ""; /* of the failed, those never begun (a stopped run, --fxp refused) */
	if (e->r.unstarted)
		snprintf(ns, sizeof ns, " (%llu%s not started)", (unsigned long long)e->r.unstarted,
			 e->r.rest_unknown ? " and the rest of the list" : "");
	else if (e->r.rest_unknown)
		snprintf(ns, sizeof ns, " (the rest of the list not started)");
	if (summary && log_level > LOG_QUIET)
		fprintf(stderr, "%s: %s%s%llu done, %llu failed%s, %llu skipped%s%s (%.2f s)\n", nt_applet,
			ftp_cf.summary_label ? ftp_cf.summary_label : "", ftp_cf.summary_label ? ": " : "",
			(unsigned long long)e->r.done, (unsigned long long)e->r.failed, ns, (unsigned long long)e->r.skipped,
			sigwhy[0] ? "; " : e->stopped ? "; deadline reached" : "", sigwhy, (ftp_now_ms() - t0) / 1000.0);
	/* Any failure: 1; nothing done at all: the class of the failures (4 for a refused login). */
	int rcode = e->r.failed ? (e->r.worst > NT_EXIT_FAIL && (!summary || !e->r.done) ? e->r.worst : NT_EXIT_FAIL) : 0;
	if (e->stopped && !rcode)
		rcode = NT_EXIT_FAIL;
	if (src->release)
		src->release(src);
	else
		free(src);
	if (e->jfd >= 0)
		close(e->jfd);
	jset_free(&e->done);
	jset_free(&e->said);
	free(e->made_dir);
	free(e->run_line);
	free(e->slots);
	free(e);
	stopsig_disarm(); /* interrupted: the end by that signal (130, 143 in a shell) */
	return rcode;
}
