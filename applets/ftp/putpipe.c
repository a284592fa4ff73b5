/* SPDX-License-Identifier: MIT */
/* putpipe.c - the put of a local regular file over plain FTP on our own control connection
 * (ctl.c), one per engine slot, kept from file to file and stepped without waiting (its
 * descriptors are in the engine's wait set, as getpipe.c's). Per file: CWD when the folder
 * changes, EPSV (PASV where the server refuses EPSV, IPv4 only), a non-blocking data
 * connection (data.c), STOR; after the 1xx the file goes into the data connection with
 * sendfile(2), as much as the socket takes each time (libcurl copies 64 KiB blocks through
 * a read callback, and waits for the 226 and each POSTQUOTE reply inside ftp_done, blocking
 * every other transfer of the multi). Then the data connection's end, the 226 read when it
 * comes; with --atomic, STOR went to a temporary (".NAME.part-PID", as on libcurl's path),
 * renamed with RNFR/RNTO only after a 2xx final reply, when exactly the size the file had
 * at the start went out (libcurl's size check) and the server's SIZE of what it stored says
 * the same (sent with the RNFR; RNTO waits for it). A final reply before the last byte went
 * out, or a SIZE that differs, fails the file (in place too, where libcurl's path would
 * take the 226): a short file never gets the final name.
 * Failures are libcurl's results (rc, the server's reply in hdr) as its path gives them, so
 * that engine.c's messages, retries and exit codes are the same. A reply awaited, or a
 * data phase slower than the low-speed rule, longer than --timeout fails the file.
 *
 * Used where it covers everything (ftp_putfast_start decides per file, before anything is
 * sent): plain FTP, no proxy, a local regular file (not standard input); libcurl's path for
 * TLS, --resume (APPE), --create-dirs, --limit-rate, --active, --ascii and -v. When the own
 * login fails, the file and the rest of the run go through libcurl's path (its messages).
 *
 * Header: applets/ftp/engine.h    Tests: tests/integration/ftp_putpipe.sh
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "ctl.h"
#include "engine.h"
#include "log.h"
#include "nt_err.h"
#include "stream.h"

enum { P_IDLE, P_CWD, P_PASV, P_STOR, P_SEND, P_FIN, P_SIZE, P_RNFR, P_RNTO };
/* sendfile's share of one step: other slots get their turn between. */
#define STEP_MAX (8 << 20)

struct pput {
	struct fxc *c;
	struct pput *next;  /* every connection of the run (ftp_pp_free) */
	char *cwd;          /* the folder the connection is in ("": the login folder) */
	char *want;         /* the folder of the file under way */
	char *name;         /* STOR's argument: the file's name or its temporary */
	char *final;        /* --atomic: RNTO's argument (NULL: stored in place) */
	int st, pasv;       /* P_*, the passive command sent was PASV */
	int dfd;            /* the data connection (-1: none) */
	int infd;           /* the local file (the slot's) */
	off_t size, sent;   /* its size at the start, the bytes gone into the data connection */
	int eof;            /* the local file ended before size */
	long long stall_at; /* a reply awaited must come by then (--timeout); 0: no limit */
	struct xfer_stall win;
};

static struct pput *all;
static int off;          /* an own login failed: libcurl's path for the rest of the run */
static int no_epsv;      /* the server refused EPSV: PASV from then on (IPv4) */

static void stall_arm(struct pput *p)
{
	p->stall_at = ftp_cf.co.timeout_ms > 0 ? ftp_now_ms() + ftp_cf.co.timeout_ms : 0;
}

static void data_close(struct pput *p)
{
	if (p->dfd >= 0)
		close(p->dfd);
	p->dfd = -1;
}

static void conn_drop(struct pput *p)
{
	data_close(p);
	ctl_close(&p->c);
	free(p->cwd);
	p->cwd = NULL;
}

static void file_end(struct pput *p)
{
	data_close(p);
	free(p->want), free(p->name), free(p->final);
	p->want = p->name = p->final = NULL;
	p->st = P_IDLE;
	p->stall_at = 0;
}

void ftp_pp_free(void)
{
	while (all) {
		struct pput *p = all;
		all = p->next;
		conn_drop(p);
		file_end(p);
		free(p);
	}
	off = 0;
}

void ftp_pp_stop(struct pput *p)
{
	if (!p || p->st == P_IDLE)
		return;
	conn_drop(p);
	file_end(p);
}

/* The file failed with libcurl's result rc (with_reply: the server's last reply is the
 * cause); drop: the connection goes (a reply or data of this file may still come). */
static int pfail(struct engine *e, struct slot *s, int rc, int with_reply, int drop)
{
	struct pput *p = s->pp;
	s->hdr.code = 0;
	s->hdr.last[0] = 0;
	if (with_reply && p->c && p->c->code > 0)
		ftp_reply_line(p->c->text, strlen(p->c->text), &s->hdr.code, s->hdr.last, sizeof s->hdr.last);
	if (drop)
		conn_drop(p);
	file_end(p);
	eng_failed(e, s, (CURLcode)rc, s->err, &s->hdr, 0);
	return 1;
}

static int send_passive(struct pput *p)
{
	p->pasv = no_epsv && p->c->family == AF_INET;
	p->st = P_PASV;
	return ctl_send(p->c, p->pasv ? "PASV" : "EPSV");
}

/* CWD's argument to reach folder dir ("" the login folder; NULL: the login folder is not known). */
static char *cwd_arg(const struct ftp_site *a, const char *dir)
{
	if (dir[0] == '/')
		return xstrdup(dir);
	if (!dir[0])
		return a->entry ? xstrdup(a->entry) : NULL;
	return a->entry ? ftp_join(a->entry, dir) : NULL;
}

/* A connection that is not idle any more: the server closed it, or said something
 * (vsftpd's 421 timeout), while it waited for the next file. */
static int stale(struct pput *p)
{
	struct pollfd pf = {.fd = p->c->s->ops->fd(p->c->s->ctx), .events = POLLIN};
	return poll(&pf, 1, 0) != 0;
}

int ftp_putfast_start(struct engine *e, struct slot *s, off_t size)
{
	struct ftp_site *a = e->a;
	const struct job *j = &s->job;
	if (off || e->b || !strcmp(j->src, "-") || a->implicit_tls || a->x.tls != XFER_TLS_NEVER || ftp_cf.active ||
	    ftp_cf.ascii || ftp_cf.limit_rate > 0 || ftp_cf.resume || ftp_cf.create_dirs || a->x.verbose || a->x.watch)
		return GP_CURL;
	const char *bn = ftp_basename(j->dst);
	size_t dl = (size_t)(bn - j->dst);
	char *want = xstrndup(j->dst, dl > 1 && j->dst[dl - 1] == '/' ? dl - 1 : dl);
	if (!*bn || (want[0] && want[0] != '/' && !a->entry)) {
		free(want);
		return GP_CURL; /* the login folder is not known (no PWD answer): libcurl's path */
	}
	struct pput *p = s->pp;
	if (!p) {
		p = s->pp = xcalloc(1, sizeof *p);
		p->dfd = -1;
		p->next = all;
		all = p;
	}
	if (!e->dropped) {
		e->dropped = 1;
		ftp_share_drop(); /* libcurl's idle login: no more connections than --parallel */
	}
	if (p->c && stale(p))
		conn_drop(p);
	if (!p->c) {
		int code = 0;
		char m[600];
		p->c = ctl_open(a, 0, &code, m, sizeof m);
		if (!p->c) {
			/* A proxy, a refused greeting (vsftpd's max_per_ip), a login refused: libcurl's
			 * path for this file and the rest, which says what it meets as before. */
			log_trace("put: own connection to %s: %s: libcurl's path from here on", a->host, m);
			free(want);
			off = 1;
			return GP_CURL;
		}
		p->cwd = xstrdup("");
	}
	p->want = want;
	p->final = ftp_cf.atomic > 0 ? xstrdup(bn) : NULL;
	p->name = p->final ? xasprintf(".%s.part-%ld", bn, (long)getpid()) : xstrdup(bn);
	p->infd = s->infd;
	p->size = size;
	p->sent = 0;
	p->eof = 0;
	s->hdr.announced = -1;
	s->fast = 1;
	if (e->src->total == 1)
		e->prog.bytes_total = (uint64_t)size;
	stall_arm(p);
	int r;
	if (strcmp(p->cwd, p->want)) {
		char *cw = cwd_arg(a, p->want);
		r = ctl_send(p->c, "CWD %s", cw);
		free(cw);
		p->st = P_CWD;
	} else {
		r = send_passive(p);
	}
	if (r < 0 || stream_flush(p->c->s) < 0) {
		pfail(e, s, CURLE_SEND_ERROR, 0, 1);
		return GP_FAILED;
	}
	return GP_RUNNING;
}

int ftp_putfast_fds(const struct slot *s, struct curl_waitfd *w)
{
	const struct pput *p = s->pp;
	int n = 0;
	if (!p || p->st == P_IDLE || !p->c)
		return 0;
	w[n].fd = p->c->s->ops->fd(p->c->s->ctx);
	w[n].events = CURL_WAIT_POLLIN;
	w[n].revents = 0;
	n++;
	if (p->dfd >= 0 && p->st == P_SEND) {
		w[n].fd = p->dfd;
		w[n].events = CURL_WAIT_POLLOUT;
		w[n].revents = 0;
		n++;
	}
	return n;
}

/* The file's bytes into the data connection, as many as it takes now: 0 going on (or the
 * data's end reached: P_FIN), 1 the file failed. */
static int pump(struct engine *e, struct slot *s)
{
	struct pput *p = s->pp;
	size_t moved = 0;
	while (p->sent < p->size && moved < STEP_MAX) {
		off_t at = p->sent;
		size_t want = (size_t)(p->size - p->sent);
		ssize_t n = sendfile(p->dfd, p->infd, &at, want < STEP_MAX ? want : STEP_MAX);
		if (n > 0) {
			p->sent += n;
			moved += (size_t)n;
			s->bytes += (uint64_t)n;
			e->prog.bytes_done += (uint64_t)n;
			continue;
		}
		if (n == 0) {
			p->eof = 1; /* the file shrank: the size check after the 226 fails it */
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == EPIPE || errno == ECONNRESET || errno == ECONNREFUSED || errno == ENOTCONN ||
		    errno == ETIMEDOUT || errno == EHOSTUNREACH || errno == ENETUNREACH) {
			log_trace("put %s: data connection to %s: %s", s->job.dst, e->a->host, strerror(errno));
			return pfail(e, s, CURLE_SEND_ERROR, 0, 1);
		}
		nt_warn_sys("read %s", s->job.src);
		return pfail(e, s, CURLE_READ_ERROR, 0, 1);
	}
	if (p->sent < p->size && !p->eof)
		return 0;
	data_close(p); /* the end of the data: the server's 226 follows */
	p->st = P_FIN;
	stall_arm(p);
	return 0;
}

/* libcurl's size check after the 226 (ftp_done): its words, kept by xfer_strerror. */
static int short_file(struct engine *e, struct slot *s)
{
	struct pput *p = s->pp;
	snprintf(s->err, sizeof s->err, "Uploaded unaligned file size (%lld out of %lld bytes)", (long long)p->sent,
		 (long long)p->size);
	return pfail(e, s, CURLE_PARTIAL_FILE, 0, 1);
}

/* One reply of the file under way (code r): 0 going on, 1 the job has ended. */
static int on_reply(struct engine *e, struct slot *s, int r)
{
	struct pput *p = s->pp;
	unsigned port;
	switch (p->st) {
	case P_CWD:
		if (r != 250)
			return pfail(e, s, CURLE_REMOTE_ACCESS_DENIED, 1, 0);
		free(p->cwd);
		p->cwd = xstrdup(p->want);
		return send_passive(p) < 0 ? pfail(e, s, CURLE_SEND_ERROR, 0, 1) : 0;
	case P_PASV:
		if (ftp_data_port(p->c, r, &port) == 0) {
			p->dfd = ftp_data_connect(p->c, port);
			if (p->dfd < 0)
				return pfail(e, s, CURLE_FTP_CANT_GET_HOST, 0, 1);
			p->st = P_STOR;
			return ctl_send(p->c, "STOR %s", p->name) < 0 ? pfail(e, s, CURLE_SEND_ERROR, 0, 1) : 0;
		}
		if (!p->pasv && r >= 500 && p->c->family == AF_INET) {
			no_epsv = 1; /* as libcurl: a server without EPSV gets PASV (from now on) */
			return send_passive(p) < 0 ? pfail(e, s, CURLE_SEND_ERROR, 0, 1) : 0;
		}
		return pfail(e, s, CURLE_FTP_WEIRD_PASV_REPLY, 1, 0);
	case P_STOR:
		if (r >= 400) /* refused (553: cannot create; 425: no data connection) */
			return pfail(e, s, CURLE_UPLOAD_FAILED, 1, 0);
		if (r >= 200) /* a final reply before any data: not an FTP server we understand */
			return pfail(e, s, CURLE_WEIRD_SERVER_REPLY, 1, 1);
		p->st = P_SEND;
		xfer_stall_start(&p->win, ftp_now_ms(), 0);
		p->stall_at = 0;
		return pump(e, s);
	case P_SEND:
		if (r < 200)
			return 0;
		/* The final reply before the last byte went out: the server has stopped taking
		 * it (a 4xx/5xx), or says it has the whole file when it has not (a 226). */
		if (r >= 400)
			return pfail(e, s, CURLE_PARTIAL_FILE, 1, 1);
		return short_file(e, s);
	case P_FIN:
		if (r < 200)
			return 0;
		if (r != 226 && r != 250) /* libcurl: "server did not report OK" */
			return pfail(e, s, CURLE_PARTIAL_FILE, 1, 0);
		if (p->sent != p->size)
			return short_file(e, s);
		/* SIZE of what was stored (and RNFR of the temporary in the same write): a
		 * server that answered 226 for less fails the file; RNTO waits for it. */
		p->st = P_SIZE;
		stall_arm(p);
		if (ctl_send(p->c, "SIZE %s", p->name) < 0 || (p->final && ctl_send(p->c, "RNFR %s", p->name) < 0))
			return pfail(e, s, CURLE_SEND_ERROR, 0, 1);
		return 0;
	case P_SIZE:
		if (r == 213 && strtoll(p->c->text + 4, NULL, 10) != (long long)p->size) {
			snprintf(s->err, sizeof s->err, "Uploaded unaligned file size (%lld out of %lld bytes)",
				 strtoll(p->c->text + 4, NULL, 10), (long long)p->size);
			return pfail(e, s, CURLE_PARTIAL_FILE, 0, 1); /* (the RNFR's reply with it) */
		}
		/* (A server without SIZE: its 226 is taken for it, as libcurl does.) */
		if (p->final) {
			p->st = P_RNFR;
			return 0;
		}
		break;
	case P_RNFR:
		if (r != 350)
			return pfail(e, s, CURLE_QUOTE_ERROR, 1, 0);
		p->st = P_RNTO;
		stall_arm(p);
		return ctl_send(p->c, "RNTO %s", p->final) < 0 ? pfail(e, s, CURLE_SEND_ERROR, 0, 1) : 0;
	case P_RNTO:
		if (r < 200 || r >= 300)
			return pfail(e, s, CURLE_QUOTE_ERROR, 1, 0);
		break;
	default:
		return pfail(e, s, CURLE_WEIRD_SERVER_REPLY, 1, 1);
	}
	file_end(p);
	eng_done(e, s);
	return 1;
}

int ftp_putfast_step(struct engine *e, struct slot *s)
{
	struct pput *p = s->pp;
	if (!p || p->st == P_IDLE)
		return 1;
	if (p->st == P_SEND && pump(e, s))
		return 1;
	for (;;) {
		int r = ctl_try_reply(p->c);
		if (!r)
			break;
		if (r < 0) {
			/* The connection broke (a kept one the server closed while idle is found
			 * by stale() before the file begins; libcurl reconnects then too). */
			if (p->st == P_SEND || p->st == P_FIN)
				return pfail(e, s, CURLE_SEND_ERROR, 0, 1);
			return pfail(e, s, CURLE_RECV_ERROR, 0, 1);
		}
		if (r >= 200)
			stall_arm(p); /* as libcurl: a 1xx does not reset the reply timeout */
		if (on_reply(e, s, r))
			return 1;
		if (p->st == P_IDLE)
			return 1;
	}
	if (stream_flush(p->c->s) < 0)
		return pfail(e, s, CURLE_SEND_ERROR, 0, 1);
	long long now = ftp_now_ms();
	if (p->st == P_SEND ? xfer_stalled(&p->win, now, (unsigned long long)p->sent, ftp_cf.co.timeout_ms)
			    : p->stall_at && now > p->stall_at)
		return pfail(e, s, CURLE_OPERATION_TIMEDOUT, 0, 1);
	return 0;
}
