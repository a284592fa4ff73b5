/* SPDX-License-Identifier: MIT */
/* engine.h - the batch engine's insides, shared by engine.c (the loop, get, put, rm,
 * the journal), copy.c (copy between two servers: streamed through us, or FXP) and
 * getfast.c (the get on our own connections).
 * Not for the rest of the applet: ftp.h has the engine's interface.
 *
 * Tests: tests/integration/ftp_batch.sh tests/integration/ftp_fxp.sh tests/integration/ftp_durable.sh
 * tests/integration/ftp_getpipe.sh
 */
#ifndef NT_FTP_ENGINE_H
#define NT_FTP_ENGINE_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "commit.h"
#include "file.h"
#include "ftp.h"
#include "jset.h"

enum sink { SINK_FILE, SINK_STDOUT, SINK_APPEND, SINK_DEV }; /* SINK_DEV: the user's -o names a device or a FIFO */

struct slot {
	int busy, phase;
	struct job job;
	CURL *h, *h2;
	struct ftp_hdr hdr, hdr2;
	char err[CURL_ERROR_SIZE], err2[CURL_ERROR_SIZE];
	int run1, run2;          /* handles in the multi */
	CURLcode rc1, rc2;
	struct curl_slist *q, *q2;
	char *url, *url2;
	/* get */
	enum sink sink;
	struct afile af;
	int fd, opened, werr;
	off_t resume_at;         /* --resume: the size of the local file appended to */
	char *dst_dir;           /* the local folder (for messages and the made_dir cache) */
	char *dst_base, *dst_rel; /* the user's folder and the path below it (file.h) */
	char *wb;                /* write coalescing: libcurl hands over 16 KiB at a time */
	size_t wl;
	uint64_t out_n;          /* get to a stream: the bytes this attempt wrote to it (eng_out_write) */
	/* put */
	int infd;
	int curl_sock;           /* put on libcurl's path: the last socket it opened (eng_put_curl_reset) */
	int stor_sent;           /* put on libcurl's path: its STOR (APPE) has gone out (putcurl.c) */
	int put_eof;             /* put on libcurl's path: all its data given to libcurl (putcurl.c) */
	long long held;          /* put stopped: the server's size settled (ftp_put_left's held) */
	/* copy */
	char *pipe;
	size_t ph, pl;
	int src_done, src_failed, src_paused, dst_paused, unpause_src, unpause_dst, dst_done;
	int dst_started;         /* copy: the upload (STOR) begun, once the RETR's data came (or its end) */
	int src_data;            /* copy: a byte of the RETR's data has come (copy_write) */
	uint64_t src_got;        /* copy: the bytes the download brought (copy.c pipe_put) */
	int own_dst;             /* copy: the upload goes over the slot's own connection (putpipe.c) */
	int own_src;             /* copy: the download goes over the slot's own connection (gp, getpipe.c) */
	int dst_pre;             /* copy --no-atomic: the destination's SIZE before the STOR (copy.c: DST_*) */
	uint64_t bytes;
	char *ctmp;              /* copy: the remote temporary (atomic) or the file itself (--no-atomic) */
	struct copyfail *cf;     /* copy: a failure waiting for the DELE of ctmp */
	int fail_dst;            /* copy: the failure reported next is the destination's */
	struct fxp *fx;          /* copy: the slot's FXP connections (fxp.c); phase 4 while FXP runs */
	struct gpipe *gp;        /* get: the slot's own control connection (getpipe.c), kept between files */
	int fast;                /* get: this file goes over gp, not libcurl */
	int spl[2], spliced;     /* get: a single file's pipe for splice(2) (getfast.c), when spliced */
	struct job next;         /* get: the slot's next job, taken early: its RETR sent behind the 226 */
	int has_next;
	struct pput *pp;         /* put: the slot's own control connection (putpipe.c), kept between files */
	long long t0_ms;         /* when the job started (--json's seconds) */
	uint64_t rate_n;         /* --limit-rate: bytes this transfer has moved */
	long long rate_until;    /* --limit-rate: s->h paused until then (ms; 0: not paused) */
	int retired;             /* its connection refused (421) while others worked: no job more (busy.c) */
	int worked;              /* a job of it done: its connections were taken (busy.c) */
	struct engine *e;
};

struct engine {
	struct ftp_site *a, *b;
	CURLM *m;
	struct slot *slots;
	int n;
	struct jobsrc *src;
	int summary; /* engine_run's: a batch's summary said at the end (0: one item alone) */
	const char *stop_why; /* stop_all's words ("deadline reached"), for an item alone never begun */
	int src_end;
	struct job *retry;
	uint64_t index;
	int jfd;
	struct jset done;
	struct commit *com;
	struct engine_result r;
	struct progress prog;
	long long deadline;
	int stopped;
	char *made_dir;          /* the last local folder made (most jobs share it) */
	char *run_line;          /* the journal's run line, until the first item is recorded */
	struct curl_waitfd *wfd; /* FXP copies' and own gets' descriptors for curl_multi_poll (copy.c) */
	int fast;                /* gets of this run go over getpipe.c (engine.c: fast_ok) */
	int dropped;             /* libcurl's idle connections closed for them (ftp_share_drop) */
	int gp_src;              /* copy: downloads over own connections (getpipe.c); 0 once one was
				  * not to be had: libcurl's (eng_own_off) */
	struct pollfd *pfd;      /* the same descriptors when no libcurl transfer runs (own poll) */
	int retired;             /* slots retired (busy.c) */
	struct jset said;        /* folders whose failure was said (eng_folder_again) */
};

/* engine.c, for copy.c: a handle of s into the multi; the job done (journaled), failed
 * for good (code, msg), failed with a libcurl result (retried when transient); a single
 * command (verb path) on site over h. */
void eng_add(struct engine *e, CURL *h, struct slot *s);
/* --limit-rate, per transfer: 1 when n more bytes on s->h now would go over the rate (the
 * callback then pauses s->h; the engine resumes it when the rate allows), else 0 and the
 * bytes are counted. */
int eng_rate_pause(struct slot *s, size_t n);
void eng_done(struct engine *e, struct slot *s);
/* getsink.c: a download done, af renamed into place or fd (appended to) made durable first */
void eng_done_file(struct engine *e, struct slot *s, struct afile *af, int fd);
void eng_done_why(struct engine *e, struct slot *s, const char *why); /* done, --json's reason */
void eng_fail(struct engine *e, struct slot *s, int code, const char *msg);
void eng_failed(struct engine *e, struct slot *s, CURLcode rc, const char *errbuf, const struct ftp_hdr *hdr, int code);
/* Failed with exit code code (msg): retried later, as a transient libcurl error is, when it is a
 * network failure (NT_EXIT_NET) and --retry attempts are left; else failed for good. */
void eng_retry(struct engine *e, struct slot *s, int code, const char *msg);
/* The source of s, missing by its server's 550, is the run's one file and a folder (no -r):
 * m says so instead (1), as every path of get and copy does; else 0, m kept. */
int eng_src_folder(struct engine *e, struct slot *s, char *m, size_t ml);
void eng_quote(struct engine *e, struct slot *s, struct ftp_site *site, CURL *h, struct ftp_hdr *hdr, char *err,
	       const char *verb, const char *path);

/* getsink.c and engine.c, for getfast.c: the get's sink (0, or -1: the file fails), the next job of
 * the run (1, or 0: none), a get begun on libcurl's path (resume >= 0: appended from
 * there), the end of a get (rc1 its result). */
int eng_get_write(struct slot *s, const char *p, size_t n);
void eng_werr(const struct slot *s); /* a failed write of the download (errno) said */
int eng_wflush(struct slot *s);      /* what the slot buffers written: 0, or -1 (said, s->werr) */
/* n bytes of the get written to s->fd: 0, or -1 (errno). To a stream (standard output, a
 * device) none once a stop is due (stopsig_io: --deadline's timer fired, or a signal's), and
 * one it interrupts (a reader that stopped reading) given up: -1, s->werr WERR_STOP,
 * nothing said (the stop says it). A put's read of a pipe the same (putcurl.c). */
#define WERR_STOP 2
int eng_out_write(struct slot *s, const void *p, size_t n);
int eng_next_job(struct engine *e, struct job *j);
/* A job kind's word (get, put, ...) and a job's names freed (jobs.c). */
const char *eng_kind_name(enum job_kind k);
void eng_job_free(struct job *j);
/* The source's next item of this run into j (1), or 0 at its end: other shards' items and
 * those the journal says are done passed over (jobs.c), no retry, no login. */
int eng_src_take(struct engine *e, struct job *j);
/* A batch of files named on the command line, a journal open: how many of this run's
 * (this shard's) files it has done, the first few named as a file alone is when skipped
 * ("get F: done before (journal J): skipped"), or none of them (and what it holds). */
void eng_named_done(struct engine *e);
/* A job the run took but never began: failed, "not started" (--json's reason), freed. */
void eng_not_started(struct engine *e, struct job *j);
/* A run that stops before its end (a signal, --deadline, --fxp refused): the items of the
 * source it never took count as failed, not started. A source that knows its total (a
 * tree, the command line's names: in memory) is read to its end (other shards' items
 * and the journal's done ones passed over as always); a list read as it goes (--from-file)
 * only when read_all, else not read further: the summary says "(N and) the rest of the
 * list not started". */
void eng_src_rest(struct engine *e, int read_all);
/* A file's folder (path's) on site could not be entered: 0 the first time in the run (the
 * caller says why, at length: ftp_folder_why), 1 and a short m ("its folder 'sub': as
 * said above") for each later file of that folder. */
int eng_folder_again(struct engine *e, struct ftp_site *site, const char *path, char *m, size_t ml);
int eng_get_curl(struct engine *e, struct slot *s, off_t resume);
/* A get with -c (SINK_APPEND) stopped or failed: what it buffered written (not after a
 * write error), and ": FILE is left partial (N bytes; -c continues it)" appended to m
 * when the file in place holds any byte. Nothing for other jobs and sinks. */
void eng_get_left(struct slot *s, char *m, size_t ml);
/* putcurl.c: a put begun on libcurl's path (0; the engine ends it as any transfer). */
struct stat;
int eng_put_curl(struct engine *e, struct slot *s, const struct stat *st);
/* A put on libcurl's path stopped (a signal, --deadline): its data connection, if open, set
 * to be reset when libcurl closes it (SO_LINGER {1, 0}), as putpipe.c resets its own. */
void eng_put_curl_reset(struct slot *s);
/* Those puts (n, in place on libcurl's path) stopped and reset: the server may still write
 * what its kernel had received (seconds on a slow one). Their sizes asked together (SIZE,
 * sess.c ftp_stat) until two readings of each agree, at most PUT_SETTLE_MS: each one's
 * held is that size, or PUT_HELD_UNSURE (still growing, or not told). */
#define PUT_SETTLE_MS 3000
void eng_put_curl_settle(struct engine *e, struct slot **v, int n);
/* The own downloads (getpipe.c) not to be had, or given up (GP_CURL): libcurl's for the
 * rest of the run. Said with -v (why, or NULL), *on cleared (the run's flag: e->fast for
 * get, e->gp_src for copy), the idle own connections closed; slot s, when given, has its
 * job handed to libcurl's handle (a copy's download added as it was set up, a get's set
 * up: eng_get_curl's -1, the job has ended). */
int eng_own_off(struct engine *e, struct slot *s, int *on, const char *why);
void eng_finish_get(struct engine *e, struct slot *s);

/* getfast.c: 1 when this run's gets go over our own connections (getpipe.c); a get begun
 * there (GP_RUNNING, GP_CURL: libcurl's path for it and the rest of the run, GP_FAILED:
 * ended); a slot's get stepped after a wait (1: the job has ended, the slot is to be
 * cleared); its descriptors into e->wfd after the first n (their number); the wait on
 * e->wfd's first nfd when no libcurl transfer runs (its revents set as curl_multi_poll
 * sets them; 0 when the wait failed). */
int ftp_getfast_ok(const struct engine *e);
int ftp_getfast_start(struct engine *e, struct slot *s);
int ftp_getfast_step(struct engine *e, struct slot *s);
/* An own transfer given up (--deadline, a stop): its connection closed, put or get. */
void ftp_getfast_stop(struct slot *s);
int ftp_getfast_waitfds(struct engine *e, int n);
int ftp_getfast_poll(struct engine *e, unsigned nfd);
/* After a wait (known: e->wfd's revents are its results): which own gets to step. */
void ftp_getfast_events(struct engine *e, int known);

/* putpipe.c: a put of the local regular file s->infd (size bytes) over the slot's own
 * connection: GP_RUNNING (s->fast set), GP_CURL (not covered here: libcurl's path), or
 * GP_FAILED (the job has ended); stepped after a wait (1: the job has ended, the slot is
 * to be cleared: getfast.c's ftp_getfast_step hands it over); its descriptors (their
 * number); the file given up (--deadline); every connection closed at the run's end. */
int ftp_putfast_start(struct engine *e, struct slot *s, off_t size);
int ftp_putfast_step(struct engine *e, struct slot *s);
int ftp_putfast_fds(const struct slot *s, struct curl_waitfd *w);
void ftp_pp_stop(struct pput *p);
int ftp_pp_begun(const struct pput *p); /* its file's STOR sent (0: nothing of it on the server) */
/* put's local file for the engine: "-" is standard input (a pipe: no size, no seek); any
 * other is opened without waiting (a FIFO's open waits for a writer) and only a regular one
 * is sent (a folder: a STOR would create, truncate, the remote file and fail). -1 with the
 * exit code and the reason when it can not be sent. */
int ftp_put_open(const char *src, struct stat *st, int *code, char *m, size_t mlen);
void ftp_pp_free(void);
/* putpipe.c, for copy.c: the streamed copy's upload (STOR of s->ctmp, renamed to s->job.dst)
 * on the slot's own connection to e->b: GP_RUNNING (its CWD and EPSV sent at once; s->run2
 * stands for it, stepped by ftp_putfast_step, its end handed to ftp_copy_finished as h2's)
 * or GP_CURL (libcurl's upload handle); the STOR allowed (the source's data came, or its
 * good end): sent at the next step. */
int ftp_pp_copy_start(struct engine *e, struct slot *s);
void ftp_pp_go(struct slot *s);

/* copy.c: start a copy job in s (0 running, -1 ended: failed before it began); a handle of
 * s ended (1: the job goes on, 0: it has ended, the slot is to be cleared); after each
 * wait, step an FXP copy or resume a paused side of a streamed one (1: the job has ended,
 * the slot is to be cleared); the FXP descriptors to wait on, into e->wfd (their number);
 * a copy stopped by --deadline: its temporary deleted. */
int ftp_copy_start(struct engine *e, struct slot *s);
int ftp_copy_finished(struct engine *e, struct slot *s, CURL *h, CURLcode rc);
int ftp_copy_pump(struct engine *e, struct slot *s);
int ftp_copy_waitfds(struct engine *e);
void ftp_copy_stop(struct engine *e, struct slot *s);

/* durable.c: a download the engine counts done when it hands it to the committer; were its
 * rename then dropped (a folder appeared at its name after the engine's check), what is
 * needed to count it failed: ftp_dur_late (for commit_file_report's arg), and
 * ftp_dur_dropped before the committer stops (the summary, --json, the exit status and the
 * journal's failed line then say failed, and get --move keeps its source). */
void *ftp_dur_late(const struct slot *s);
void ftp_dur_dropped(struct engine *e);

/* busy.c: a job that ended with msg: 1 when msg is the refusal of the slot's connection
 * (421 at the greeting or the login, or closed at the greeting) and another slot is left:
 * the job (and one taken early) back to the queue untouched, the slot retired for the run
 * (its job's names now the queue's: the slot is to be cleared); else 0. The run's single
 * warning about it, at its end. */
int ftp_busy_requeue(struct engine *e, struct slot *s, const char *msg);
void ftp_busy_report(const struct engine *e);
/* ftp_errmsg's words for a failure of s (rc); a copy's refused connection (421) prefixed
 * with the server it met ("HOST:PORT (source): ..." or "(destination)"). */
void ftp_busy_errmsg(const struct engine *e, const struct slot *s, int dst_side, CURLcode rc, const char *errbuf,
		     const struct ftp_hdr *hdr, char *m, size_t ml);

#endif
