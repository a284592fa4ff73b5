/* SPDX-License-Identifier: MIT */
/* busy.c - a server that allows fewer connections than --parallel (vsftpd's max_clients,
 * max_per_ip): a slot whose connection was refused at the greeting or the login with 421
 * (or closed at the greeting) while another slot is left gives its item back to the queue
 * untouched (not failed, no retry counted) and is retired for the run; the run goes on
 * with the connections the server allows. The last slot left fails its items as before
 * (exit 3, the 421 named). Every path ends a job through engine.c's fail_job or
 * retry_later, which ask ftp_busy_requeue first: libcurl's, the own get and put, the copy
 * (either server) and FXP. Also the words of a copy's libcurl failure, which name the
 * server they came from (ftp_busy_errmsg).
 *
 * Header: applets/ftp/engine.h    Man page: man/nettool-ftp.1    Tests: tests/integration/ftp_busy.sh
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "log.h"
#include "nt_err.h"

/* 1 when msg is a refusal of the connection itself: libcurl's words for a 421
 * (sess.c: ftp_errmsg) or our own connections' for a greeting other than 220 that is not
 * the server's own 5xx error (ctl.c). */
static int busy_msg(const char *msg)
{
	if (!msg)
		return 0;
	if (strstr(msg, "the server refused or closed the connection (421"))
		return 1;
	const char *g = strstr(msg, " greeted with: ");
	return g && g[15] != '5';
}

static void requeue(struct engine *e, struct job *j, long long wait_ms)
{
	struct job *r = xmalloc(sizeof *r);
	*r = *j;
	r->ready_ms = ftp_now_ms() + wait_ms;
	r->next = e->retry;
	e->retry = r;
	j->src = j->dst = NULL;
}

int ftp_busy_requeue(struct engine *e, struct slot *s, const char *msg)
{
	if (e->stopped || !busy_msg(msg))
		return 0;
	int left = 0;
	for (int i = 0; i < e->n; i++)
		left += &e->slots[i] != s && !e->slots[i].retired;
	if (!left || s->worked) {
		/* The last connection, or one of a slot that has done a job: when the server
		 * took this run's connections before (a file done), its refusal may be a session
		 * just closed still counted (vsftpd's process takes a few ms to exit; the own
		 * get's connections closed for libcurl's path): given back after 50 ms doubling,
		 * 5 times at most (1.55 s), no retry counted, the slot kept. After that the
		 * last connection fails the item as before; a slot that worked while others are
		 * left is retired as below (on a loaded machine vsftpd's sessions took longer
		 * than 1.55 s to go, and the item failed although the run had connections). */
		if (e->r.done && s->job.busy_tries < 5) {
			long long w = 50LL << s->job.busy_tries++;
			log_trace("%s: a connection refused (%s): again in %lld ms", s->job.src ? s->job.src : "?", msg, w);
			requeue(e, &s->job, w);
			return 1;
		}
		if (!left)
			return 0;
	}
	s->retired = 1;
	e->retired++;
	log_trace("%s: a connection refused (%s): the item goes back to the queue; going on with %d connections",
		 s->job.src ? s->job.src : s->job.dst ? s->job.dst : "?", msg, left);
	requeue(e, &s->job, 0);
	if (s->has_next) { /* taken early, never begun */
		requeue(e, &s->next, 0);
		s->has_next = 0;
	}
	return 1;
}

void ftp_busy_report(const struct engine *e)
{
	if (e->retired && e->r.done)
		nt_warn("the server refused %d of %d connections (421): went on with %d", e->retired, e->n, e->n - e->retired);
}

void ftp_busy_errmsg(const struct engine *e, const struct slot *s, int dst_side, CURLcode rc, const char *errbuf,
		     const struct ftp_hdr *hdr, char *m, size_t ml)
{
	ftp_errmsg(rc, errbuf, hdr, m, ml);
	/* Only the refused connection: the other words are the own path's too (a test
	 * compares them), and a folder not entered is named by engine.c. */
	if (s->job.kind != JOB_COPY || !e->b || !busy_msg(m))
		return;
	const char *site = ftp_site_name(dst_side ? e->b : e->a);
	if (strstr(m, site))
		return;
	char *w = xasprintf("%s (%s): %s", site, dst_side ? "destination" : "source", m);
	snprintf(m, ml, "%s", w);
	free(w);
}
