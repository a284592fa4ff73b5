/* SPDX-License-Identifier: MIT */
/* getfast.c - the engine's side of the batch get on our own connections (getpipe.c): the
 * decision per run (ftp_getfast_ok: which gets it covers; elsewhere libcurl's path), a
 * file begun and stepped on the slot's connection, the data into engine.c's sink and the
 * end through its eng_finish_get (the same temporaries, durability, journal, results and
 * messages as libcurl's path), the next job taken early so that its RETR goes out behind
 * the 226, and the wait on the descriptors when no libcurl transfer runs.
 *
 * Header: applets/ftp/engine.h    Tests: tests/integration/ftp_getpipe.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "engine.h"
#include "file.h"
#include "nt_err.h"
#include "stopsig.h"

/* An output that refuses splice after all (a file system without it): the n bytes in
 * the pipe read and written. 0, or -1 (errno). */
static int pipe_copy(struct slot *s, size_t n)
{
	char b[16384];
	while (n) {
		ssize_t r = read(s->spl[0], b, n < sizeof b ? n : sizeof b);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || eng_out_write(s, b, (size_t)r) < 0)
			return -1;
		n -= (size_t)r;
	}
	return 0;
}

/* n bytes spliced into the slot's pipe (getpipe.c) moved on to the output, without a
 * copy through user space: 0, or -1 (s->werr set, message printed). */
static int splice_out(struct slot *s, size_t n)
{
	while (n) {
		if (stopsig_due()) { /* as eng_out_write: the deadline's timer fired */
			s->werr = WERR_STOP;
			return -1;
		}
		ssize_t m = splice(s->spl[0], NULL, s->fd, NULL, n, SPLICE_F_MOVE);
		if (m > 0) {
			n -= (size_t)m;
			s->out_n += (uint64_t)m;
			continue;
		}
		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0 && errno == EAGAIN) { /* an output left non-blocking by whoever gave it */
			struct pollfd p = {.fd = s->fd, .events = POLLOUT};
			poll(&p, 1, 1000);
			continue;
		}
		if (m < 0 && errno == EINVAL && pipe_copy(s, n) == 0)
			return 0;
		if (s->werr == WERR_STOP)
			return -1;
		if (!m)
			errno = EPIPE;
		eng_werr(s);
		s->werr = 1;
		return -1;
	}
	return 0;
}

/* The sink of the own path: the data as libcurl's callback takes them (engine.c's
 * get_write); p NULL: n bytes wait in the slot's pipe (a single file, spliced). A single
 * file's meter has its total from the SIZE or the 150 (as libcurl's path: xferinfo). */
static int fast_sink(void *arg, const char *p, size_t n)
{
	struct slot *s = arg;
	if (s->e->src->total == 1 && s->hdr.announced > 0)
		s->e->prog.bytes_total = (uint64_t)s->hdr.announced;
	if (p)
		return eng_get_write(s, p, n);
	if (splice_out(s, n) < 0)
		return -1;
	s->bytes += n;
	s->e->prog.bytes_done += n;
	return 0;
}

/* A single file to standard output or the user's -o device: spliced (socket -> our pipe
 * -> output, no copy through user space) where the output takes it: a pipe, a file,
 * /dev/null; read and written otherwise (a terminal). The pipe's write end, or -1. */
static int splice_pipe(struct slot *s)
{
	struct stat st;
	if (s->sink != SINK_STDOUT && s->sink != SINK_DEV)
		return -1;
	int fl = fcntl(s->fd, F_GETFL);
	if (fl < 0 || (fl & O_APPEND)) /* splice(2) refuses an O_APPEND output (>>) */
		return -1;
	if (fstat(s->fd, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode) ||
				       (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))))
		return -1;
	if (!s->spliced) {
		if (pipe2(s->spl, O_CLOEXEC) < 0)
			return -1;
		fcntl(s->spl[1], F_SETPIPE_SZ, GP_SPLICE_MAX); /* (a smaller one where refused) */
		s->spliced = 1;
	}
	return s->spl[1];
}

/* A get over the slot's own connection (getpipe.c): GP_RUNNING, GP_CURL (libcurl's path
 * for this file and the rest of the run), or GP_FAILED (the job has ended). */
int ftp_getfast_start(struct engine *e, struct slot *s)
{
	int rc = 0;
	char m[600];
	s->err[0] = 0;
	if (!e->dropped) {
		e->dropped = 1;
		ftp_share_drop(); /* libcurl's idle login: no more connections than --parallel */
	}
	int r = ftp_gp_start(&s->gp, e->a, s->job.src, &rc, &s->hdr, m, sizeof m);
	if (r == GP_RUNNING) {
		s->fast = 1;
		if (e->src->total == 1)
			ftp_gp_single(s->gp, splice_pipe(s));
		return r;
	}
	if (r == GP_CURL) {
		eng_own_off(e, NULL, &e->fast, m);
		return r;
	}
	eng_failed(e, s, (CURLcode)rc, s->err, &s->hdr, 0);
	return r;
}


/* getpipe.c covers the get of plain FTP into local files, and a single file to standard
 * output or -o's device too (its meter's total from SIZE, as libcurl's). Kept on libcurl's
 * path: TLS (the data connections would need it too), --resume (REST), --limit-rate,
 * --active, --ascii, and -v (libcurl's trace); a proxy is found when the first own
 * connection is planned (then libcurl for the run). */
int ftp_getfast_ok(const struct engine *e)
{
	const struct ftp_site *a = e->a;
	return !e->b && !a->implicit_tls && a->x.tls == XFER_TLS_NEVER && !ftp_cf.active &&
	       !ftp_cf.ascii && ftp_cf.limit_rate <= 0 && !ftp_cf.resume && !a->x.verbose && !a->x.watch;
}

/* A job that will go over the own path when started (start's checks, before any). */
static int fast_job(const struct engine *e, const struct job *j)
{
	return e->fast && j->kind == JOB_GET && !j->reject && !nt_has_ctl(j->src) && !nt_has_ctl(j->dst) &&
	       strcmp(j->dst, "-") && !(j->mtime < 0 && ftp_cf.keep_mtime);
}

void ftp_getfast_stop(struct slot *s)
{
	if (s->job.kind == JOB_PUT)
		ftp_pp_stop(s->pp);
	else
		ftp_gp_stop(s->gp);
}

/* An own get stepped after a wait: 1 when its job has ended (the slot is to be cleared). */
int ftp_getfast_step(struct engine *e, struct slot *s)
{
	if (s->job.kind == JOB_PUT)
		return ftp_putfast_step(e, s); /* putpipe.c */
	int rc = 0;
	if (s->job.kind == JOB_GET && !ftp_gp_due(s->gp))
		return 0; /* nothing came for it (ftp_getfast_events) */
	int r = ftp_gp_step(s->gp, e->a, fast_sink, s, &rc, &s->hdr, s->err);
	if (r == GP_RUNNING) {
		if (e->fast && !e->stopped && ftp_gp_wants_next(s->gp)) {
			/* The data have ended, the 226 is to come: the slot's next job taken now, so
			 * that its EPSV and RETR go out behind the 226 (the server goes on at once). */
			if (!s->has_next && eng_next_job(e, &s->next))
				s->has_next = 1;
			ftp_gp_chain(s->gp, s->has_next && fast_job(e, &s->next) ? s->next.src : NULL);
		}
		return 0;
	}
	if (r == GP_CURL)
		return eng_own_off(e, s, &e->fast, NULL) < 0;
	if (s->werr == WERR_STOP)
		return 0; /* its output cut by the deadline: the engine's stop says it */
	s->rc1 = r == GP_DONE ? CURLE_OK : (CURLcode)rc;
	eng_finish_get(e, s);
	if (!e->fast)
		ftp_gp_close_idle();
	return 1;
}

/* The own gets' descriptors, into e->wfd after the first n (copy.c's): how many. */
int ftp_getfast_waitfds(struct engine *e, int n)
{
	int k = 0;
	for (int i = 0; i < e->n; i++)
		if (e->slots[i].busy && e->slots[i].fast)
			k += e->slots[i].job.kind == JOB_PUT ? ftp_putfast_fds(&e->slots[i], e->wfd + n + k)
							     : ftp_gp_fds(e->slots[i].gp, e->wfd, n + k);
	return k;
}

/* After a wait: which own gets have something to read (only those are stepped). Every
 * 100 ms all of them, for their --timeout checks (and after a wait whose results are not
 * known). */
void ftp_getfast_events(struct engine *e, int known)
{
	static long long all_at;
	long long now = ftp_now_ms();
	int all = !known || now - all_at >= 100;
	if (all)
		all_at = now;
	for (int i = 0; i < e->n; i++) { /* (gets only: other own transfers are stepped after every wait) */
		const struct slot *s = &e->slots[i];
		if (s->busy && ((s->fast && s->job.kind == JOB_GET) ||
				(s->job.kind == JOB_COPY && s->own_src && s->phase == 0 && s->run1)))
			ftp_gp_events(s->gp, e->wfd, all); /* (a copy's download too: copy.c) */
	}
}

/* No libcurl transfer under way: our own poll on those descriptors (curl_multi_poll would
 * add its own wake-up descriptor and its bookkeeping per call). */
int ftp_getfast_poll(struct engine *e, unsigned nfd)
{
	for (unsigned i = 0; i < nfd; i++) {
		e->pfd[i].fd = e->wfd[i].fd;
		e->pfd[i].events = (short)((e->wfd[i].events & CURL_WAIT_POLLIN ? POLLIN | POLLRDHUP : 0) |
					   (e->wfd[i].events & CURL_WAIT_POLLOUT ? POLLOUT : 0));
		e->pfd[i].revents = 0;
	}
	int r = poll(e->pfd, nfd, 100);
	if (r < 0 && errno != EINTR)
		usleep(1000);
	/* As curl_multi_poll leaves them (an error or a hang-up reads as readable: the read
	 * says what), and the peer's end seen (GP_WAIT_HUP). */
	for (unsigned i = 0; i < nfd; i++) {
		short v = r > 0 ? e->pfd[i].revents : 0;
		e->wfd[i].revents = (short)((v & (POLLIN | POLLERR | POLLHUP | POLLRDHUP) ? CURL_WAIT_POLLIN : 0) |
					    (v & (POLLOUT | POLLERR | POLLHUP) ? CURL_WAIT_POLLOUT : 0) |
					    (v & (POLLRDHUP | POLLHUP) ? GP_WAIT_HUP : 0));
	}
	return r >= 0;
}
