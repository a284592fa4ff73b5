/* SPDX-License-Identifier: MIT */
/* getsink.c - where a get's data go, on either path (libcurl's write callback, getfast.c
 * through eng_get_write): the download's temporary opened at its first byte (core/file
 * afile; -c: the file itself, appended to or made in place, what a stop leaves said by
 * eng_get_left), a 256 KiB buffer, --limit-rate's pacing, and the end of a get (short files
 * failed, the time set, the file handed to the engine's commit). The engine's loop and
 * the other jobs: engine.c.
 *
 * Header: applets/ftp/engine.h    Man page: man/nettool-ftp.1    Tests: tests/integration/ftp_batch.sh
 * tests/integration/ftp_deadline.sh tests/integration/ftp_fake.sh tests/integration/ftp_durable.sh
 * tests/integration/ftp_getpipe.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "file.h"
#include "ftp.h"
#include "log.h"
#include "nt_err.h"
#include "stopsig.h"

static int sink_open(struct slot *s)
{
	char err[512];
	if (s->opened)
		return 0;
	commit_names_lock(s->e->com);
	int r = afile_open_tag(&s->af, s->dst_base, s->dst_rel, 0644, ftp_dur_tag(), err, sizeof err);
	commit_names_unlock(s->e->com);
	if (r < 0) {
		nt_warn("%s", err);
		s->werr = 1;
		return -1;
	}
	s->fd = s->af.fd;
	s->opened = 1;
	return 0;
}

/* -c with no local file yet: made in place at the first byte (not before: a get that
 * fails before its data leaves nothing), appended to as an existing partial one, so that
 * a stop or a failure leaves what came under the final name for a rerun with -c to go
 * on (as curl -C -, wget -c, lftp's get -c). O_EXCL: a file made meanwhile by another is
 * not appended to from the wrong offset. */
static int append_open(struct slot *s)
{
	char err[512];
	s->fd = file_openat_below(s->dst_base, s->dst_rel, O_WRONLY | O_APPEND | O_CREAT | O_EXCL, 0644, err, sizeof err);
	if (s->fd < 0) {
		nt_warn("%s", err);
		s->werr = 1;
		return -1;
	}
	return 0;
}

#define WBUF (256u << 10)

/* A failed write of the download (errno): named by what was being written, the temporary
 * (as afile_commit's fsync and close errors), with the final name it was for. */
void eng_werr(const struct slot *s)
{
	if (s->sink == SINK_STDOUT)
		nt_warn_sys("write stdout");
	else if (s->opened && s->af.tmp && s->af.final && strcmp(s->af.tmp, s->af.final))
		nt_warn_sys("write %s (the temporary of %s)", s->af.tmp, s->job.dst);
	else
		nt_warn_sys("write %s", s->job.dst);
}

int eng_out_write(struct slot *s, const void *p, size_t n)
{
	if (s->sink != SINK_STDOUT && s->sink != SINK_DEV)
		return file_write_all(s->fd, p, n);
	const char *c = p;
	while (n) {
		ssize_t w = stopsig_io(s->fd, (void *)c, n, 1);
		if (w < 0 && stopsig_due()) { /* cut by the stop (blocked, or begun after it) */
			if (!s->werr)
				s->werr = WERR_STOP;
			return -1;
		}
		if (w < 0)
			return -1;
		s->out_n += (uint64_t)w;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A write of the slot's failed: said (not when the deadline cut it: the stop says it). */
static void out_failed(struct slot *s)
{
	if (!s->werr)
		eng_werr(s);
	if (!s->werr)
		s->werr = 1;
}

/* Write what the slot holds; 0 or -1 (s->werr set, message printed). */
int eng_wflush(struct slot *s)
{
	if (s->wl && eng_out_write(s, s->wb, s->wl) < 0)
		out_failed(s);
	s->wl = 0;
	return s->werr ? -1 : 0;
}

/* libcurl's own limit (ftp_prep) lets a transfer whose data is already buffered go by
 * at full speed (a batch's files, -r): the callbacks pace each transfer themselves. A
 * burst of an eighth of a second is allowed. */
int eng_rate_pause(struct slot *s, size_t n)
{
	long long r = ftp_cf.limit_rate;
	if (r <= 0)
		return 0;
	long long burst = r / 8 > 16384 ? r / 8 : 16384;
	long long need = (long long)(s->rate_n + n) - burst;
	long long at = need > 0 ? s->t0_ms + (long long)((double)need * 1000.0 / (double)r) : 0;
	if (at > ftp_now_ms()) {
		s->rate_until = at;
		return 1;
	}
	s->rate_n += n;
	return 0;
}

static size_t get_write(char *d, size_t sz, size_t nm, void *u)
{
	struct slot *s = u;
	size_t n = sz * nm;
	if (eng_rate_pause(s, n))
		return CURL_WRITEFUNC_PAUSE;
	if (s->sink == SINK_FILE && !s->opened && sink_open(s) < 0)
		return 0;
	if (s->sink == SINK_APPEND && s->fd < 0 && append_open(s) < 0)
		return 0;
	if (!s->wb)
		s->wb = xmalloc(WBUF);
	if (s->wl + n > WBUF && eng_wflush(s) < 0)
		return 0;
	if (n >= WBUF) {
		if (eng_out_write(s, d, n) < 0) {
			out_failed(s);
			return 0;
		}
	} else {
		memcpy(s->wb + s->wl, d, n);
		s->wl += n;
	}
	s->bytes += n;
	s->e->prog.bytes_done += n;
	return n;
}

/* Where a get's data start in the file: a resumed file's (-c) or a stream's retry's REST
 * offset, else 0. */
static long long get_offset(const struct slot *s)
{
	return s->sink == SINK_APPEND ? (long long)s->resume_at : s->job.out_at > 0 ? (long long)s->job.out_at : 0;
}

/* The meter's total for a single download: the 150's size, else SIZE's (libcurl is told
 * no size: eng_get_curl). From an offset (REST) SIZE's less the offset (servers differ in
 * what their 150 counts there). */
static int xferinfo(void *u, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct slot *s = u;
	long long off = get_offset(s), t = off ? s->hdr.sized - off : s->hdr.announced;
	if (t > 0)
		s->e->prog.bytes_total = (uint64_t)t;
	return 0;
}

/* A get on libcurl's path (the sink chosen; resume >= 0: appended from there). */
int eng_get_curl(struct engine *e, struct slot *s, off_t resume)
{
	struct job *j = &s->job;
	ftp_prep(e->a, s->h, &s->hdr, s->err);
	s->url = ftp_url(e->a, j->src, 0);
	curl_easy_setopt(s->h, CURLOPT_URL, s->url);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, get_write);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
	/* libcurl told a size (its own SIZE's, else the 150's) ends the download at that count
	 * and calls it success: a SIZE of "213 10" for 200,000 bytes, or a file that grew after
	 * its SIZE, gave 10 bytes and exit 0 ("213 -1": 1 byte). Told to ignore sizes it sends
	 * no SIZE and reads to the data connection's end, as the own path (getpipe.c). Where
	 * libcurl asked SIZE (a single download: the meter's total, the short check; a resumed
	 * one) we ask it, at the very place of libcurl's own (the PREQUOTE comes last before
	 * REST and RETR: the same commands and round trips), a refusal ignored ('*'), its answer
	 * kept by the header callback (sess.c) and checked in eng_finish_get. No SIZE in
	 * batches (one round trip less per file). SIZE in batches was measured again (libcurl
	 * then ends a download on its last byte instead of the data connection's end of file,
	 * one wake-up less): 1.2-1.4x in three interleaved rounds of 2,000 files, but 0.93x in
	 * bench/ftp.sh's 5,000 (load 12-26 on 2 cores): not taken. Both ways libcurl waits for
	 * each 226 inside its ftp_done, blocking every other transfer of the multi meanwhile:
	 * getpipe.c's path (getfast.c) does not. ASCII: no SIZE, as libcurl (servers do not
	 * count the converted size). An offset (REST) is ours too, the PREQUOTE's last: told
	 * to ignore sizes, libcurl 7.88.1 sends RETR straight after the PREQUOTE, without the
	 * REST of CURLOPT_RESUME_FROM (ftp.c ftp_state_quote); its refusal is eng_finish_get's. */
	curl_easy_setopt(s->h, CURLOPT_IGNORE_CONTENT_LENGTH, 1L);
	curl_slist_free_all(s->q); /* (none: a job's list is freed at its end, engine.c slot_clear) */
	s->q = NULL;
	if ((e->src->total == 1 || resume >= 0) && !ftp_cf.ascii)
		s->q = ftp_size_prequote(s->q, &s->hdr, j->src);
	if (resume >= 0) {
		char *c = xasprintf("REST %lld", (long long)resume);
		s->q = curl_slist_append(s->q, c);
		free(c);
	}
	if (s->q)
		curl_easy_setopt(s->h, CURLOPT_PREQUOTE, s->q);
	if (e->src->total == 1 && e->prog.mode != PROGRESS_NONE) {
		curl_easy_setopt(s->h, CURLOPT_XFERINFOFUNCTION, xferinfo);
		curl_easy_setopt(s->h, CURLOPT_XFERINFODATA, s);
		curl_easy_setopt(s->h, CURLOPT_NOPROGRESS, 0L);
	}
	if (j->mtime < 0 && ftp_cf.keep_mtime)
		curl_easy_setopt(s->h, CURLOPT_FILETIME, 1L);
	s->run1 = 1;
	eng_add(e, s->h, s);
	return 0;
}

/* For getfast.c (engine.h). */
int eng_get_write(struct slot *s, const char *p, size_t n)
{
	return get_write((char *)p, 1, n, s) == n ? 0 : -1;
}

/* After a REST of off bytes a server that honours it sends SIZE's count less off; one that
 * answers 350 and sends the file from its start anyway sends SIZE's whole count, and the
 * output would hold the file's first off bytes twice (exit 0, before: ATTACK3 finding 5).
 * Exactly SIZE's count after a REST is taken for that: the only honest transfer that looks
 * the same is a file that grew by exactly off bytes between its SIZE and the data's end.
 * More than SIZE's count (an ignored REST and a file that grew as well) cannot be told from
 * a file that grew, and is accepted as one (neither libcurl nor lftp checks even this: they
 * trust the 350). A resumed file (-c) is cut back to its local part, nothing lost; a
 * stream's bytes are gone: said. Exit status 5. */
static int rest_ignored(struct engine *e, struct slot *s, long long off)
{
	if (!off || s->hdr.sized <= 0 || (long long)s->bytes != s->hdr.sized)
		return 0;
	char m[1200];
	int n = snprintf(m, sizeof m,
			 "protocol: the server ignored REST %lld: it answered 350, then sent %lld bytes, "
			 "SIZE's whole count, from the file's start",
			 off, s->hdr.sized);
	size_t l = n > 0 && (size_t)n < sizeof m ? (size_t)n : 0;
	if (s->sink == SINK_APPEND && ftruncate(s->fd, (off_t)off) == 0)
		snprintf(m + l, sizeof m - l, "; %s is kept as it was (its %lld bytes: what came was cut off)",
			 s->job.dst, off);
	else if (s->sink == SINK_APPEND)
		snprintf(m + l, sizeof m - l, "; %s holds its %lld bytes and then the file again from its start "
			 "(cutting it back failed: %s)", s->job.dst, off, strerror(errno));
	else
		snprintf(m + l, sizeof m - l, "; %s holds the first %lld bytes and then the file again from its "
			 "start (%lld bytes in all): not the file", s->sink == SINK_STDOUT ? "standard output" : s->job.dst,
			 off, off + (long long)s->bytes);
	eng_fail(e, s, NT_EXIT_PROTO, m);
	return 1;
}

void eng_finish_get(struct engine *e, struct slot *s)
{
	int out = s->sink == SINK_STDOUT || s->sink == SINK_DEV;
	if ((s->rc1 == CURLE_OK || ((out || s->sink == SINK_APPEND) && !s->werr)) && s->fd >= 0)
		eng_wflush(s); /* a stream or -c's file keeps what came of a failed attempt: its retry goes on after it */
	s->wl = 0;
	if (s->rc1 == CURLE_QUOTE_ERROR && get_offset(s))
		s->rc1 = CURLE_FTP_COULDNT_USE_REST; /* our REST refused (eng_get_curl), as libcurl's */
	if (s->rc1 != CURLE_OK || s->werr) {
		eng_failed(e, s, s->werr ? CURLE_OK : s->rc1, s->err, &s->hdr, s->werr ? NT_EXIT_IO : 0);
		return;
	}
	/* Both paths end here. A file that ended short of its known size (what the 150 said,
	 * else SIZE's or the listing's; libcurl is told to ignore sizes: eng_get_curl) is
	 * partial: failed (retried as such), never put in place. More than the sizes said (a
	 * file that grew) is accepted, but for SIZE's exact count after a REST (rest_ignored).
	 * From an offset (a resumed file, a stream's retry): what was there plus what came,
	 * against SIZE's (else the listing's). To standard output or a device too. */
	long long off = get_offset(s);
	long long want = off ? (s->hdr.sized >= 0 ? s->hdr.sized : s->job.size) : s->hdr.announced >= 0 ? s->hdr.announced : s->job.size;
	long long got = (long long)s->bytes + off;
	if (off && !s->bytes && s->hdr.sized >= 0 && s->hdr.sized < off) {
		/* Nothing after a REST past SIZE's end: the local part is longer than the file
		 * (libcurl's check and words when it asked SIZE itself). Data that came after it
		 * say the file is longer than SIZE said (it grew): accepted, as from offset 0. */
		snprintf(s->err, sizeof s->err, "Offset (%lld) was beyond file size (%lld)", off, s->hdr.sized);
		eng_failed(e, s, CURLE_BAD_DOWNLOAD_RESUME, s->err, &s->hdr, 0);
		return;
	}
	if (rest_ignored(e, s, off))
		return;
	if (want >= 0 && got < want) {
		/* (A single file: libcurl's words for it, as its path says them.) */
		snprintf(s->err, sizeof s->err, e->src->total == 1 ? "" : "ended short: %lld of %lld bytes", got, want);
		eng_failed(e, s, CURLE_PARTIAL_FILE, s->err, &s->hdr, 0);
		return;
	}
	if (out) {
		eng_done(e, s);
		return;
	}
	curl_off_t ft = -1;
	if (s->job.mtime < 0 && !s->fast) /* the own path runs only where no time is asked of the server */
		curl_easy_getinfo(s->h, CURLINFO_FILETIME_T, &ft);
	else
		ft = s->job.mtime;
	if (s->sink != SINK_APPEND && !s->opened && sink_open(s) < 0) {
		eng_fail(e, s, NT_EXIT_IO, "cannot create the file");
		return;
	}
	if (s->sink == SINK_APPEND && s->fd < 0 && append_open(s) < 0) { /* -c, an empty file */
		eng_fail(e, s, NT_EXIT_IO, "cannot create the file");
		return;
	}
	if (ft >= 0) {
		struct timespec ts[2] = {{ft, 0}, {ft, 0}};
		futimens(s->fd, ts);
	}
	if (s->sink == SINK_APPEND) {
		/* Journaled only once durable (review 5): the committer syncs it first. */
		eng_done_file(e, s, NULL, s->fd);
		return;
	}
	s->opened = 0;
	eng_done_file(e, s, &s->af, -1);
}

void eng_get_left(struct slot *s, char *m, size_t ml)
{
	struct stat st;
	if (s->job.kind != JOB_GET || s->sink != SINK_APPEND || s->fd < 0)
		return;
	if (!s->werr)
		eng_wflush(s); /* the file's next bytes, in order: kept for the rerun */
	s->wl = 0;
	if (fstat(s->fd, &st) < 0 || st.st_size <= 0)
		return;
	const char *d = s->job.dst;
	if (!strncmp(d, "./", 2) && d[2]) /* (the folder of a get without -O: named as the user does) */
		d += 2;
	size_t l = strlen(m);
	snprintf(m + l, ml - l, ": %s is left partial (%lld bytes; -c continues it)", d, (long long)st.st_size);
}
