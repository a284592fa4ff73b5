/* SPDX-License-Identifier: MIT */
/* copy.c - the copy job of the batch engine: a file from server a to server b, straight
 * between them (FXP, fxp.c) when both allow it, else streamed through a pipe in the slot
 * (RETR on one handle, STOR on the other, or either on the slot's own connections over
 * plain FTP: getpipe.c, putpipe.c; the STOR only once the RETR's first data byte
 * has come, or the download has ended well (an empty file): never on a reply code, which
 * may be another command's (SIZE, REST, EPSV come before the RETR and a hostile source may
 * answer them 150). A missing source never truncates the destination's file of that
 * name, whose deletion as a failed partial file would then lose it, with --no-atomic).
 * Stored under a temporary name (durable.c)
 * and renamed when complete and the destination's SIZE of it is the size sent (sess.c's
 * check, on every path: libcurl's upload asks it after its STOR, then renames in phase 6),
 * never a partial file under the final name; a failed copy's
 * partial file is deleted before the failure is reported or retried (--no-atomic: only
 * when the SIZE before the STOR found no file there, copy_hdr2; else it is kept, said); --move deletes the
 * source only once the destination reports the size sent. A --move whose source is gone
 * (the server's 550 for its SIZE or RETR) while the destination is there under its final
 * name is done: a run that ended between the DELE and the journal's done line (with the
 * atomic store only a whole, size-checked copy ever has that name). A copy onto itself is
 * refused before any transfer (ftp_copy_same_check: one server when the ports are equal
 * and the host names resolve to a common address or both to this machine's; the paths
 * compared once normalised by their text, "." and ".." too: ftp_path_lexnorm, made
 * absolute when the logins differ).
 *
 * Header: applets/ftp/engine.h    Man page: man/nettool-ftp.1
 * Tests: tests/integration/ftp_tree.sh tests/integration/ftp_fxp.sh tests/integration/ftp_durable.sh
 *        tests/integration/ftp_copysafe.sh tests/unit/check_ftpcopy.c tests/integration/ftp_copypipe.sh
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "addr.h"
#include "engine.h"
#include "log.h"
#include "nt_err.h"

#define PIPE_CAP (2u << 20)

#define MOVED_BEFORE "moved before: source gone, destination present"

/* copy --no-atomic, streamed: what the SIZE sent before the STOR (PREQUOTE, the last
 * command before it) said of the final name; fixed once the STOR is accepted (1xx). A
 * failed copy deletes the file only when it was not there (DST_GONE): one that was there
 * the STOR overwrote in place, and it is kept, its loss said (as fxp.c does). */
enum { DST_UNKNOWN = 0, DST_GONE, DST_THERE, DST_FIXED = 4 };

static size_t copy_hdr2(char *d, size_t sz, size_t nm, void *u)
{
	struct slot *s = u;
	size_t n = sz * nm;
	int code;
	if (!ftp_reply_line(d, n, &code, s->hdr2.last, sizeof s->hdr2.last))
		return n;
	s->hdr2.code = code;
	if (s->dst_pre & DST_FIXED || (n > 3 && d[3] == '-'))
		return n;
	if (code < 200)
		s->dst_pre |= DST_FIXED;
	else if (code == 213)
		s->dst_pre = DST_THERE;
	else if (code == 550 && s->dst_pre != DST_THERE)
		s->dst_pre = DST_GONE;
	return n;
}

/* The failed copy's in-place file is not to be deleted: it was there before. Said. */
static int kept_in_place(struct engine *e, const struct slot *s)
{
	if (ftp_cf.atomic >= 0 || (s->dst_pre & ~DST_FIXED) == DST_GONE)
		return 0;
	char hp[300], nm[300];
	addr_format(hp, sizeof hp, e->b->host, e->b->port);
	nt_clean_text(nm, sizeof nm, s->job.dst, strlen(s->job.dst));
	nt_warn("copy %s: %s on %s, there before the copy, was overwritten in place (--no-atomic) and is kept as the "
		"failure left it: its earlier content is lost",
		s->job.src, nm, hp);
	return 1;
}

/* A failed copy as it was when the clean-up DELE started. */
struct copyfail {
	CURLcode rc1, rc2;
	char err[CURL_ERROR_SIZE], err2[CURL_ERROR_SIZE];
	struct ftp_hdr hdr, hdr2;
	int dst_done;
};

/* n bytes of the download into the slot's pipe (room checked by the caller), counted. */
static void pipe_put(struct slot *s, const char *d, size_t n)
{
	if (s->ph + s->pl + n > PIPE_CAP) {
		memmove(s->pipe, s->pipe + s->ph, s->pl);
		s->ph = 0;
	}
	memcpy(s->pipe + s->ph + s->pl, d, n);
	s->pl += n;
	s->src_got += n;
	s->e->prog.bytes_done += n;
}

static size_t copy_write(char *d, size_t sz, size_t nm, void *u)
{
	struct slot *s = u;
	size_t n = sz * nm;
	if (s->src_failed || s->dst_done)
		return 0; /* nobody reads any more */
	if (n)
		s->src_data = 1; /* the RETR's data: the evidence that starts the upload */
	if (PIPE_CAP - s->pl < n) {
		s->src_paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (eng_rate_pause(s, n))
		return CURL_WRITEFUNC_PAUSE; /* --limit-rate: the engine resumes it */
	pipe_put(s, d, n);
	if (s->dst_paused)
		s->unpause_dst = 1;
	return n;
}

static size_t copy_read(char *d, size_t sz, size_t nm, void *u)
{
	struct slot *s = u;
	size_t n = sz * nm;
	if (s->src_failed)
		return CURL_READFUNC_ABORT;
	if (!s->pl) {
		if (s->src_done)
			return 0;
		s->dst_paused = 1;
		return CURL_READFUNC_PAUSE;
	}
	if (n > s->pl)
		n = s->pl;
	memcpy(d, s->pipe + s->ph, n);
	s->ph += n;
	s->pl -= n;
	if (!s->pl)
		s->ph = 0;
	s->bytes += n;
	if (s->src_paused)
		s->unpause_src = 1;
	return n;
}

/* The sink of the download on the slot's own connection (getpipe.c): copy_write's part
 * for it. The connection is paused (not read) while the pipe has no room for another
 * read; the upload's side resumes it once it has drained the pipe (unpause_src). */
static int own_sink(void *arg, const char *d, size_t n)
{
	struct slot *s = arg;
	if (s->src_failed || s->dst_done || PIPE_CAP - s->pl < n)
		return -1; /* nobody reads any more: libcurl's write error, as copy_write's 0 */
	if (!n)
		return 0;
	s->src_data = 1; /* the RETR's data: the evidence that starts the upload */
	pipe_put(s, d, n);
	if (PIPE_CAP - s->pl < GP_READ_MAX) {
		s->src_paused = 1;
		ftp_gp_pause(s->gp, 1);
	}
	return 0;
}

/* The download of s->job on the slot's own connection to e->a (getpipe.c): 1, or 0 for
 * libcurl's handle. Only beside the own upload (both sides plain FTP, the atomic
 * default) and with the size known from the listing (without it libcurl asks SIZE and
 * fails a short download itself). A connection not to be had: libcurl's downloads for the
 * rest of the run, which say what they meet. */
static int own_src_start(struct engine *e, struct slot *s)
{
	int rc = 0;
	char m[600];
	if (!e->gp_src || s->job.size < 0)
		return 0;
	s->err[0] = 0;
	s->hdr.code = 0;
	s->hdr.last[0] = 0;
	if (ftp_gp_start(&s->gp, e->a, s->job.src, &rc, &s->hdr, m, sizeof m) == GP_RUNNING)
		return 1;
	char why[700];
	snprintf(why, sizeof why, "own connection to %s: %s", e->a->host, m);
	return eng_own_off(e, NULL, &e->gp_src, why);
}

/* The own download stepped (copy.c's side of libcurl's end of h): 1 while the job goes
 * on, 0 once it has ended. GP_CURL (its login refused again and again, or the login
 * folder not known), before anything came: this file and the rest on libcurl's handle. */
static int own_src_step(struct engine *e, struct slot *s)
{
	int rc = 0;
	int r = ftp_gp_step(s->gp, e->a, own_sink, s, &rc, &s->hdr, s->err);
	if (r == GP_RUNNING)
		return 1;
	if (r == GP_CURL) {
		eng_own_off(e, s, &e->gp_src, NULL);
		return 1;
	}
	s->run1 = 0;
	s->rc1 = r == GP_DONE ? CURLE_OK : (CURLcode)rc;
	return ftp_copy_finished(e, s, s->h, s->rc1);
}

/* Stream s->job through the slot's pipe: RETR on h, STOR on h2. */
static int stream_start(struct engine *e, struct slot *s)
{
	struct job *j = &s->job;
	s->phase = 0;
	if (!s->pipe)
		s->pipe = xmalloc(PIPE_CAP);
	s->ph = s->pl = 0;
	s->src_got = 0;
	s->src_done = s->src_failed = s->src_paused = s->dst_paused = s->dst_done = s->src_data = 0;
	s->unpause_src = s->unpause_dst = 0;
	ftp_prep(e->a, s->h, &s->hdr, s->err);
	s->url = ftp_url(e->a, j->src, 0);
	curl_easy_setopt(s->h, CURLOPT_URL, s->url);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, copy_write);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
	/* libcurl told a size (its own SIZE's, else the 150's) ends the download at that count
	 * and calls it success: a SIZE of "213 10" for 200,000 bytes (a file that grew after
	 * its SIZE) stored 10 bytes, exit 0 (--from-file). Told to ignore sizes it reads to
	 * the data connection's end, and the upload is told none: a file that grew is copied
	 * whole; one short of the size known fails (src_short). Known from the listing (copy
	 * -r, a pattern) or the one SIZE up front (a single file): no SIZE before each RETR
	 * (one round trip less per file). Unknown (--from-file): SIZE asked where libcurl
	 * asked it, as a single get's (getsink.c). */
	curl_easy_setopt(s->h, CURLOPT_IGNORE_CONTENT_LENGTH, 1L);
	curl_slist_free_all(s->q);
	s->q = NULL;
	if (j->size < 0 && !ftp_cf.ascii && (s->q = ftp_size_prequote(NULL, &s->hdr, j->src)))
		curl_easy_setopt(s->h, CURLOPT_PREQUOTE, s->q);
	/* Plain FTP on the destination, the atomic default: the upload on the slot's own
	 * connection (putpipe.c; its CWD and EPSV go now, the STOR as dst_go says). */
	s->own_dst = s->own_src = 0;
	if (ftp_cf.atomic >= 0 && (s->ctmp = ftp_dur_remote_tmp(j->dst)) && ftp_pp_copy_start(e, s) == GP_RUNNING) {
		s->own_dst = 1;
		s->dst_started = 0;
		s->run1 = s->run2 = 1;
		/* The download on an own connection too where it can (own_src_start). */
		s->own_src = own_src_start(e, s);
		if (!s->own_src)
			eng_add(e, s->h, s);
		return 0;
	}
	free(s->ctmp);
	s->ctmp = NULL;
	ftp_prep(e->b, s->h2, &s->hdr2, s->err2);
	if (ftp_cf.atomic >= 0) {
		/* Stored under a temporary name, its SIZE asked after the STOR, renamed (phase
		 * 6) once both sides ended well and that SIZE is the size sent: never a partial
		 * file under the final name. */
		s->ctmp = ftp_dur_remote_tmp(j->dst);
		s->q2 = ftp_tmp_size_quote(s->h2, j->dst);
	} else {
		s->ctmp = xstrdup(j->dst);
		/* Is the file there already? (copy_hdr2; the reply is the one before the STOR's) */
		char *c = xasprintf("*SIZE %s", ftp_basename(j->dst));
		s->q2 = curl_slist_append(NULL, c);
		free(c);
		curl_easy_setopt(s->h2, CURLOPT_PREQUOTE, s->q2);
		curl_easy_setopt(s->h2, CURLOPT_HEADERFUNCTION, copy_hdr2);
		curl_easy_setopt(s->h2, CURLOPT_HEADERDATA, s);
		s->dst_pre = DST_UNKNOWN;
	}
	s->url2 = ftp_url(e->b, s->ctmp, 0);
	curl_easy_setopt(s->h2, CURLOPT_URL, s->url2);
	curl_easy_setopt(s->h2, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(s->h2, CURLOPT_READFUNCTION, copy_read);
	curl_easy_setopt(s->h2, CURLOPT_READDATA, s);
	if (ftp_cf.create_dirs)
		curl_easy_setopt(s->h2, CURLOPT_FTP_CREATE_MISSING_DIRS, (long)CURLFTP_CREATE_DIR_RETRY);
	/* The download alone: the upload waits for the source's acceptance (src_accepted). */
	s->dst_started = 0;
	s->run1 = 1;
	s->run2 = 0;
	eng_add(e, s->h, s);
	return 0;
}

/* The source is sending the RETR's file: a byte of it has come (the data connection of
 * this transfer carries nothing else). Not s->hdr.code: it is the last reply on the
 * handle, whatever command it answered (a SIZE answered "150" is no RETR accepted). Until
 * then nothing is sent to the destination; an empty file starts the upload when the
 * download ends well (ftp_copy_finished). */
static int src_accepted(const struct slot *s)
{
	return s->src_data;
}

/* The download ended well but short of the size known (the 150's, else SIZE's or the
 * listing's): a partial file (err set: "the size differs from the announced one", exit
 * 3, as FXP's), never stored under its final name (the upload aborted, its temporary
 * deleted). More than the sizes said (a file that grew, a SIZE that says less) is
 * copied whole: neither the download nor the upload is told a size (stream_start). */
static int src_short(struct slot *s)
{
	long long want = s->hdr.announced >= 0 ? s->hdr.announced : s->job.size;
	if (want < 0 || (long long)s->src_got >= want)
		return 0;
	snprintf(s->err, sizeof s->err, "Received short file (%lld out of %lld bytes)", (long long)s->src_got, want);
	return 1;
}

/* The upload begins (STOR on h2, set up by stream_start). */
static void dst_go(struct engine *e, struct slot *s)
{
	s->dst_started = 1;
	s->run2 = 1;
	if (s->own_dst)
		ftp_pp_go(s);
	else
		eng_add(e, s->h2, s);
}

/* An FXP copy failed: a source missing by its 550 that is the run's one file and a folder
 * is said to be one, as the streamed copy says (engine.c); retried as eng_retry decides. */
static void fxp_failed(struct engine *e, struct slot *s, int code, char *m, size_t ml)
{
	if (ftp_fxp_src_missing(s->fx))
		eng_src_folder(e, s, m, ml);
	eng_retry(e, s, code, m);
}

/* --fxp and a pair that refuses FXP: the file that met the refusal has failed (its one
 * error line); no later file of the job is begun (nor journaled: a rerun takes them), the
 * source of jobs is closed. Those files count as failed, not started, in the summary (as
 * --deadline counts what it stopped), with no line each: the numbers add up to the list. */
static int fxp_halt(struct engine *e)
{
	if (!ftp_fxp_refused())
		return 0;
	eng_src_rest(e, 1); /* every list read to its end: the numbers add up to it */
	return 1;
}

/* Start the copy s->job: FXP when both servers allow it (phase 4: fxp.c drives it, see
 * ftp_copy_pump), else streamed. */
int ftp_copy_start(struct engine *e, struct slot *s)
{
	if (ftp_cf.fxp >= 0) {
		int code;
		char m[600];
		int r = ftp_fxp_start(&s->fx, e->a, e->b, &s->job, &code, m, sizeof m);
		if (r == FXP_RUNNING) {
			s->phase = 4;
			return 0;
		}
		if (r == FXP_DROPPED) {
			e->r.failed++; /* not begun, not journaled: counted (fxp_halt) */
			fxp_halt(e);
			return -1; /* the slot is cleared */
		}
		if (r == FXP_FAILED) {
			fxp_failed(e, s, code, m, sizeof m);
			fxp_halt(e);
			return -1; /* ended: the slot is cleared */
		}
	}
	return stream_start(e, s);
}

/* A copy failed (phase 0): report or retry it. */
static void copy_failed(struct engine *e, struct slot *s, CURLcode rc1, const char *err1, const struct ftp_hdr *h1,
			CURLcode rc2, const char *err2, const struct ftp_hdr *h2, int dst_done)
{
	if (rc1 == CURLE_WRITE_ERROR && dst_done && rc2 == CURLE_OK)
		eng_fail(e, s, NT_EXIT_FAIL, "the source is longer than the size it announced: the copy is short");
	else if (rc1 != CURLE_OK && rc1 != CURLE_ABORTED_BY_CALLBACK)
		eng_failed(e, s, rc1, err1, h1, 0);
	else {
		s->fail_dst = 1; /* its message names the destination's server (engine.c) */
		eng_failed(e, s, rc2, err2, h2, 0);
	}
}

/* --move, atomic stores: the source is not there (the server's 550 for its SIZE or RETR).
 * Moved before if the destination answers SIZE under its final name (ftp_copy_finished,
 * phase 5). */
static int src_gone(CURLcode rc, const struct ftp_hdr *h)
{
	return ftp_cf.move && ftp_cf.atomic >= 0 && rc == CURLE_REMOTE_FILE_NOT_FOUND && h->code == 550;
}

static void moved_before(struct engine *e, struct slot *s)
{
	log_info("copy %s: %s", s->job.src, MOVED_BEFORE);
	eng_done_why(e, s, MOVED_BEFORE);
}

/* The failure of phase 0 kept (s->cf) while the clean-up or the check of phase 5 runs. */
static void keep_failure(struct slot *s)
{
	struct copyfail *f = s->cf = xcalloc(1, sizeof *f);
	f->rc1 = s->rc1, f->rc2 = s->rc2, f->dst_done = s->dst_done;
	memcpy(f->err, s->err, sizeof f->err);
	memcpy(f->err2, s->err2, sizeof f->err2);
	f->hdr = s->hdr, f->hdr2 = s->hdr2;
}

/* Phase 5: the source is gone; is the destination there under its final name? */
static void check_moved(struct engine *e, struct slot *s)
{
	s->phase = 5;
	ftp_prep(e->b, s->h2, &s->hdr2, s->err2);
	free(s->url2);
	s->url2 = ftp_url(e->b, s->job.dst, 0);
	curl_easy_setopt(s->h2, CURLOPT_URL, s->url2);
	curl_easy_setopt(s->h2, CURLOPT_NOBODY, 1L);
	s->run2 = 1;
	eng_add(e, s->h2, s);
}

/* Phase 0, both sides ended (rc1, rc2), or the rename of phase 6 (rc2): the copy failed
 * (the partial file deleted first), renamed (libcurl's upload, atomic: phase 6, once the
 * SIZE asked after its STOR is the size sent; the own upload renamed already), --move's
 * check, or done. 1 while the job goes on. */
static int sides_ended(struct engine *e, struct slot *s)
{
	struct job *j = &s->job;
	if ((s->rc1 != CURLE_OK || s->rc2 != CURLE_OK) && !s->dst_started && src_gone(s->rc1, &s->hdr)) {
		keep_failure(s); /* nothing was stored: no clean-up */
		check_moved(e, s);
		return 1;
	}
	if ((s->rc1 != CURLE_OK || s->rc2 != CURLE_OK) && s->ctmp && s->dst_started && !kept_in_place(e, s)) {
		/* The partial file goes (the temporary, or the file itself with --no-atomic)
		 * before the failure is reported or retried. Only a STOR that was sent
		 * (after the source's data) can have left one. */
		keep_failure(s);
		s->phase = 3;
		ftp_prep(e->b, s->h2, &s->hdr2, s->err2);
		free(s->url2);
		s->url2 = ftp_url(e->b, "", 1);
		curl_slist_free_all(s->q2);
		char *ap = ftp_qpath(e->b, s->ctmp);
		char *c = xasprintf("*DELE %s", ap);
		s->q2 = curl_slist_append(NULL, c);
		free(c), free(ap);
		curl_easy_setopt(s->h2, CURLOPT_URL, s->url2);
		curl_easy_setopt(s->h2, CURLOPT_NOBODY, 1L);
		curl_easy_setopt(s->h2, CURLOPT_PREQUOTE, s->q2); /* after the CWD to the login folder (ftp_qpath) */
		s->run2 = 1;
		eng_add(e, s->h2, s);
		return 1;
	}
	if (s->rc1 != CURLE_OK || s->rc2 != CURLE_OK) {
		copy_failed(e, s, s->rc1, s->err, &s->hdr, s->rc2, s->err2, &s->hdr2, s->dst_done);
	} else if (s->phase == 0 && ftp_cf.atomic >= 0 && !s->own_dst) {
		/* libcurl's upload of the temporary: renamed now, on its handle (sess.c), only
		 * when the server's SIZE of it (asked after the STOR) is what we sent. */
		s->phase = 6;
		if (ftp_tmp_rename_step(e->b, s->h2, &s->hdr2, s->err2, j->dst, (long long)s->bytes, &s->q2, &s->url2) < 0) {
			s->rc2 = CURLE_PARTIAL_FILE; /* a 226 for part of it: the temporary deleted, failed */
			return sides_ended(e, s);
		}
		s->run2 = 1;
		eng_add(e, s->h2, s);
		return 1;
	} else if (ftp_cf.move) {
		/* Delete the source only when the destination reports the size we sent. */
		s->phase = 1;
		free(s->url2);
		ftp_prep(e->b, s->h2, &s->hdr2, s->err2);
		s->url2 = ftp_url(e->b, j->dst, 0);
		curl_easy_setopt(s->h2, CURLOPT_URL, s->url2);
		curl_easy_setopt(s->h2, CURLOPT_NOBODY, 1L);
		s->run2 = 1;
		eng_add(e, s->h2, s);
		return 1;
	} else {
		eng_done(e, s);
	}
	return 0;
}

/* A handle of the copy in s ended with rc: 1 while the job goes on (the other side, the
 * rename of libcurl's upload, the SIZE check of --move, the DELE of the source or of a
 * partial file, the SIZE of a moved destination), 0 once it has ended. */
int ftp_copy_finished(struct engine *e, struct slot *s, CURL *h, CURLcode rc)
{
	struct job *j = &s->job;
	if (s->phase == 0) {
		if (h == s->h) {
			if (rc == CURLE_OK && src_short(s))
				s->rc1 = rc = CURLE_PARTIAL_FILE;
			s->src_done = 1;
			if (rc != CURLE_OK)
				s->src_failed = 1;
			if (s->run2)
				s->unpause_dst = 1;
			if (rc == CURLE_OK && !s->dst_started) {
				dst_go(e, s); /* all of it came before the upload began (or nothing: 0 bytes) */
				return 1;
			}
		} else {
			/* The upload ended first: normal when it knew the size (the download's
			 * 226 comes later). A failed upload stops the download. */
			s->dst_done = 1;
			if (s->src_paused)
				s->unpause_src = 1; /* let it find out that nobody reads */
			if (rc != CURLE_OK && s->run1) {
				if (s->own_src)
					ftp_gp_stop(s->gp); /* its connection closed (a RETR under way) */
				else
					curl_multi_remove_handle(e->m, s->h);
				s->run1 = 0;
				s->rc1 = CURLE_ABORTED_BY_CALLBACK;
			}
		}
		if (s->run1 || s->run2)
			return 1;
		return sides_ended(e, s);
	} else if (s->phase == 6) {
		s->rc2 = rc; /* the rename: its failure is the upload's (err2, hdr2), the temporary deleted */
		return sides_ended(e, s);
	} else if (s->phase == 1) {
		curl_off_t sz = -1;
		if (rc == CURLE_OK)
			curl_easy_getinfo(s->h2, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &sz);
		if (rc != CURLE_OK) {
			eng_failed(e, s, rc, s->err2, &s->hdr2, 0);
		} else if (sz != (curl_off_t)s->bytes) {
			char m[200];
			snprintf(m, sizeof m, "destination reports %lld bytes, %llu sent: source kept",
				 (long long)sz, (unsigned long long)s->bytes);
			eng_fail(e, s, NT_EXIT_FAIL, m);
		} else {
			s->phase = 2;
			curl_slist_free_all(s->q);
			free(s->url);
			s->q = NULL;
			s->url = NULL;
			eng_quote(e, s, e->a, s->h, &s->hdr, s->err, "DELE", j->src);
			return 1;
		}
	} else if (s->phase == 3 && src_gone(s->cf->rc1, &s->cf->hdr)) {
		check_moved(e, s); /* the temporary is gone */
		return 1;
	} else if (s->phase == 3 || s->phase == 5) {
		struct copyfail *f = s->cf;
		if (s->phase == 5 && rc == CURLE_OK)
			moved_before(e, s);
		else
			copy_failed(e, s, f->rc1, f->err, &f->hdr, f->rc2, f->err2, &f->hdr2, f->dst_done);
	} else {
		if (rc != CURLE_OK)
			eng_failed(e, s, rc, s->err, &s->hdr, 0);
		else
			eng_done(e, s);
	}
	return 0;
}

/* FXP, two files on a pair: the slot's job (whose rename was unanswered when the next
 * began) has ended, code 0 done (n bytes) or failed (m); the next job becomes the slot's. */
static void fxp_tail(struct engine *e, struct slot *s, long long n, int code, const char *m)
{
	s->bytes = n > 0 ? (uint64_t)n : 0;
	if (!code) {
		e->prog.bytes_done += s->bytes;
		eng_done(e, s);
	} else {
		eng_retry(e, s, code, m);
	}
	free(s->job.src), free(s->job.dst);
	s->job = s->next;
	memset(&s->next, 0, sizeof s->next);
	s->has_next = 0;
	s->bytes = 0;
	s->t0_ms = ftp_now_ms();
	ftp_fxp_rebind(s->fx, &s->job);
}

/* After each wait: a step for an FXP copy (1: it has ended, the slot is to be cleared);
 * a paused side of a streamed copy resumed. */
int ftp_copy_pump(struct engine *e, struct slot *s)
{
	if (!s->busy || s->job.kind != JOB_COPY)
		return 0;
	if (s->phase == 4) {
		long long n;
		int code;
		char m[600];
		int r = ftp_fxp_step(s->fx, e->a, e->b, &n, &code, m, sizeof m);
		while (r == FXP_NEXT || r == FXP_TAIL) {
			if (r == FXP_NEXT) {
				/* The job's rename is out: the pair takes the next job (s->next) now. */
				if (!s->has_next && !e->stopped && eng_next_job(e, &s->next))
					s->has_next = 1;
				r = ftp_fxp_chain(s->fx, e->a, e->b, s->has_next ? &s->next : NULL, &code, m, sizeof m);
				if (r == FXP_RUNNING)
					r = ftp_fxp_step(s->fx, e->a, e->b, &n, &code, m, sizeof m);
				continue;
			}
			fxp_tail(e, s, n, code, m);
			r = ftp_fxp_step(s->fx, e->a, e->b, &n, &code, m, sizeof m);
		}
		if (r == FXP_AGAIN)
			return ftp_copy_start(e, s) < 0;
		if (r == FXP_RUNNING)
			return 0;
		if (r == FXP_STREAM)
			return stream_start(e, s) < 0;
		if (r == FXP_DROPPED) {
			e->r.failed++; /* not begun, not journaled: counted (fxp_halt) */
			return fxp_halt(e); /* the slot is cleared */
		}
		s->bytes = n > 0 ? (uint64_t)n : 0;
		if (r == FXP_MOVED) {
			moved_before(e, s);
		} else if (r == FXP_DONE) {
			e->prog.bytes_done += s->bytes;
			eng_done(e, s);
		} else {
			fxp_failed(e, s, code, m, sizeof m);
			fxp_halt(e);
		}
		return 1;
	}
	if (s->phase == 0 && s->own_src && s->run1 && ftp_gp_due(s->gp) && !own_src_step(e, s))
		return 1;
	if (s->phase == 0 && s->run1 && !s->dst_started && src_accepted(s))
		dst_go(e, s);
	if (s->phase == 0 && s->own_dst && s->run2 && ftp_putfast_step(e, s))
		return 1;
	/* (The own download only once a whole read fits, or nobody reads any more: its sink
	 * cannot take part of one.) */
	if (s->unpause_src && s->run1 && (!s->own_src || s->dst_done || PIPE_CAP - s->pl >= GP_READ_MAX)) {
		s->unpause_src = s->src_paused = 0;
		if (s->own_src)
			ftp_gp_pause(s->gp, 0); /* its data connection waited on and read again */
		else
			curl_easy_pause(s->h, CURLPAUSE_CONT);
	}
	if (s->unpause_dst && s->run2 && !s->own_dst) {
		s->unpause_dst = s->dst_paused = 0;
		curl_easy_pause(s->h2, CURLPAUSE_CONT);
	}
	return 0;
}

/* The descriptors the FXP copies wait on (into e->wfd): how many. */
int ftp_copy_waitfds(struct engine *e)
{
	int n = 0;
	for (int i = 0; i < e->n; i++) {
		struct slot *s = &e->slots[i];
		if (!s->busy || s->job.kind != JOB_COPY)
			continue;
		if (s->phase == 4)
			n += ftp_fxp_fds(s->fx, e->wfd + n);
		if (s->phase == 0 && s->own_dst && s->run2)
			n += ftp_putfast_fds(s, e->wfd + n);
		if (s->phase == 0 && s->own_src && s->run1)
			n += ftp_gp_fds(s->gp, e->wfd, n);
	}
	return n;
}

/* A copy stopped (--deadline): nothing of it stays on the destination. FXP: its
 * connections closed, the temporary deleted; streamed (the handles are out of the multi
 * already): the temporary (or, --no-atomic, the partial file) deleted on the site's own
 * connection. Both wait at most --timeout; a rename under way (phase 6): the DELE of the
 * temporary finds nothing if it was renamed. Once renamed (the --move checks) nothing is
 * deleted. */
void ftp_copy_stop(struct engine *e, struct slot *s)
{
	if (s->phase == 4) {
		ftp_fxp_stop(s->fx, e->b);
		return;
	}
	if (s->own_dst)
		ftp_pp_stop(s->pp); /* its connection closed: the DELE goes on the site's own */
	if (s->own_src)
		ftp_gp_stop(s->gp);
	if ((s->phase != 0 && s->phase != 6) || !s->ctmp || !s->dst_started || kept_in_place(e, s))
		return; /* no STOR sent: nothing stored, and with --no-atomic ctmp is a file we did not touch */
	ftp_tmp_dele(e->b, s->ctmp);
}

char *ftp_path_lexnorm(const char *in)
{
	size_t len = strlen(in);
	char *out = xmalloc(len + 2);
	size_t n = 0, keep = 0; /* keep: the leading "/" or the unresolved "../" of a relative path */
	if (in[0] == '/')
		out[n++] = '/', keep = 1;
	for (const char *c = in; *c;) {
		size_t l = strcspn(c, "/");
		if (l == 2 && c[0] == '.' && c[1] == '.') {
			if (n > keep) { /* the last name goes */
				while (n > keep && out[n - 1] != '/')
					n--;
				if (n > keep)
					n--; /* its "/" */
			} else if (!(keep && out[0] == '/')) { /* relative, nothing left to take away */
				if (n)
					out[n++] = '/';
				memcpy(out + n, "..", 2);
				n += 2;
				keep = n;
			}
		} else if (l && !(l == 1 && c[0] == '.')) {
			if (n && out[n - 1] != '/')
				out[n++] = '/';
			memcpy(out + n, c, l);
			n += l;
		}
		c += l;
		c += strspn(c, "/");
	}
	out[n] = 0;
	return out;
}

/* path normalised (ftp_path_lexnorm); relative to the login folder made absolute when
 * the other path of the comparison is absolute. */
static char *norm_path(struct ftp_site *s, const char *path, int absolute)
{
	char *ent = NULL;
	if (absolute && path[0] != '/') {
		if (ftp_entry_path(s, &ent) != CURLE_OK)
			ent = NULL;
	}
	char *in = ent ? ftp_join(ent, path) : xstrdup(path);
	free(ent);
	char *out = ftp_path_lexnorm(in);
	free(in);
	return out;
}

/* A normalised relative path that goes above its folder ("..", "../x"). */
static int up_out(const char *p)
{
	return p[0] == '.' && p[1] == '.' && (!p[2] || p[2] == '/');
}

/* The IPv4 address of sa, a v4-mapped IPv6 one too (::ffff:127.0.0.1 is 127.0.0.1): 1. */
static int v4_of(const struct sockaddr *sa, struct in_addr *out)
{
	if (sa->sa_family == AF_INET) {
		*out = ((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		return 1;
	}
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(a6)) {
		memcpy(out, a6->s6_addr + 12, 4);
		return 1;
	}
	return 0;
}

/* One address of the socket addresses a and b (port ignored). */
static int same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	struct in_addr x, y;
	if (v4_of(a, &x) && v4_of(b, &y))
		return x.s_addr == y.s_addr;
	if (a->sa_family == AF_INET6 && b->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, sizeof(struct in6_addr));
	return 0;
}

/* An address of this machine: loopback (127/8, ::1) or an interface's. A server here
 * listening on every address answers on each of them. */
static int addr_local(const struct sockaddr *sa, const struct ifaddrs *ifs)
{
	struct in_addr v4;
	if (v4_of(sa, &v4) && (ntohl(v4.s_addr) >> 24) == 127)
		return 1;
	if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr))
		return 1;
	for (const struct ifaddrs *i = ifs; i; i = i->ifa_next)
		if (i->ifa_addr && same_addr(sa, i->ifa_addr))
			return 1;
	return 0;
}

/* One server, as far as can be told without connecting: the same port, and host names
 * that resolve to a common address ("localhost" and "127.0.0.1"), or to addresses of this
 * machine both (127.0.0.1 and 127.0.0.2, or the machine's own address: one server
 * listening on all of them). The users do not matter here (ftp_copy_same_check). A name
 * that does not resolve here is compared by its text alone. */
static int same_server(const struct ftp_site *a, const struct ftp_site *b)
{
	if (a == b)
		return 1;
	if (a->port != b->port)
		return 0;
	if (!strcasecmp(a->host, b->host))
		return 1;
	struct addrinfo hints = {0}, *ra = NULL, *rb = NULL;
	hints.ai_socktype = SOCK_STREAM;
	int same = 0;
	if (getaddrinfo(a->host, NULL, &hints, &ra) == 0 && getaddrinfo(b->host, NULL, &hints, &rb) == 0) {
		for (const struct addrinfo *x = ra; x && !same; x = x->ai_next)
			for (const struct addrinfo *y = rb; y && !same; y = y->ai_next)
				same = same_addr(x->ai_addr, y->ai_addr);
		struct ifaddrs *ifs = NULL;
		if (!same && getifaddrs(&ifs) == 0) {
			int la = 0, lb = 0;
			for (const struct addrinfo *x = ra; x && !la; x = x->ai_next)
				la = addr_local(x->ai_addr, ifs);
			for (const struct addrinfo *y = rb; y && !lb; y = y->ai_next)
				lb = addr_local(y->ai_addr, ifs);
			same = la && lb;
			freeifaddrs(ifs);
		}
	}
	if (ra)
		freeaddrinfo(ra);
	if (rb)
		freeaddrinfo(rb);
	return same;
}

/* One login: user names equal ignoring case (most servers tell case apart, some do not:
 * a false "same" only refuses a copy); no user, "anonymous" and "ftp" are one. */
static int same_user(const struct ftp_site *a, const struct ftp_site *b)
{
	const char *ua = a->user ? a->user : "anonymous", *ub = b->user ? b->user : "anonymous";
	if (!strcasecmp(ua, "ftp"))
		ua = "anonymous";
	if (!strcasecmp(ub, "ftp"))
		ub = "anonymous";
	return !strcasecmp(ua, ub);
}

/* copy onto itself: the same server (same_server) and the same path (the destination
 * inside the source for a tree) would delete or empty the only copy. Refused before any
 * transfer, exit 2. One login (same_user): relative paths compared as they are; two
 * logins may share folders (absolute paths, or one login folder): both paths made
 * absolute from each login's folder (PWD) first. */
void ftp_copy_same_check(struct ftp_site *a, const char *sp, struct ftp_site *b, const char *dp, int tree)
{
	if (!same_server(a, b))
		return;
	int absolute = sp[0] == '/' || dp[0] == '/' || !same_user(a, b);
	char *ns = norm_path(a, sp, absolute), *nd = norm_path(b, dp, absolute);
	if (!absolute && (up_out(ns) || up_out(nd))) {
		/* "../x": above the login folder, compared from the root (PWD once). */
		free(ns), free(nd);
		ns = norm_path(a, sp, 1), nd = norm_path(b, dp, 1);
	}
	size_t ls = strlen(ns);
	int same = strcmp(ns, nd) == 0;
	int inside = tree && !same &&
		     (ls == 0 ? nd[0] != '/' && !up_out(nd) : strncmp(ns, nd, ls) == 0 && (nd[ls] == '/' || ns[ls - 1] == '/'));
	char *m = same || inside ? xasprintf("%s: %s", same ? (tree ? "source and destination are the same folder"
								   : "source and destination are the same file")
							 : "the destination folder is inside the source folder",
					      nd[0] ? nd : ".")
				 : NULL;
	free(ns);
	free(nd);
	if (m) {
		char shown[600];
		nt_clean_text(shown, sizeof shown, m, strlen(m));
		free(m);
		die(NT_EXIT_USAGE, "copy: %s", shown);
	}
}
