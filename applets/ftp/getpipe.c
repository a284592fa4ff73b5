/* SPDX-License-Identifier: MIT */
/* getpipe.c - the batch get of plain FTP on our own control connections (ctl.c), one per
 * engine slot, logged in together and kept from file to file, stepped without waiting
 * (its descriptors are in the engine's wait set). libcurl 7.88 waits for each 226 inside
 * ftp_done, blocking the whole multi (poll(fd, 1, 1000)): while one transfer waits there
 * no other moves. Here nothing waits, and after a wake-up only the descriptors the wait
 * found readable are read (ftp_gp_events), once (a data connection to its end when the
 * wait saw the end come too): per file CWD when the folder changes, EPSV (PASV
 * where the server refuses EPSV, IPv4 only), a non-blocking data connection (data.c),
 * RETR; the data go to the engine's sink as they come (the same temporaries, --fsync,
 * journal and results as libcurl's path: engine.c), and the 226 is read when it comes.
 * Pipelined where it is safe: the next file's EPSV goes out as soon as the data has
 * ended, before the 226 (replies are read in order, one per command). A file is done
 * when both its data's end and a 2xx final reply have come, in either order.
 * Failures are libcurl's results (rc, the server's last reply in hdr), so that the
 * engine's messages, retries and exit codes are the same as on its path. A reply or data
 * awaited longer than --timeout fails the file (timed out); a data connection that fails
 * or breaks, or a control connection that does, closes the connection (a later file
 * opens another).
 *
 * Used only where it covers everything (engine.c decides per run: plain FTP, no proxy,
 * files written to the local disk); elsewhere libcurl's path. The streamed copy's download
 * too (copy.c: its sink is the slot's pipe, which pauses the data connection while it is
 * full, ftp_gp_pause).
 *
 * Header: applets/ftp/ftp.h    Tests: tests/integration/ftp_getpipe.sh tests/integration/ftp_copypipe.sh
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "ftp.h"
#include "log.h"
#include "nt_err.h"
#include "stream.h"

enum { Q_CWD = 1, Q_EPSV, Q_PASV, Q_RETR, Q_SIZE };
#define QMAX 4
enum { P_IDLE, P_LOGIN, P_CWD, P_PASV, P_XFER };
/* A passive port answered ahead is used for the next file only while this fresh (vsftpd
 * gives up on an unused one after accept_timeout, 60 s). */
#define SPARE_MS 10000

struct gpipe {
	struct ownconn o;    /* control and data connections, folder (as the jobs name it), reply deadline (data.c) */
	struct gpipe *next;  /* every connection of the run (ftp_gp_free) */
	char *want;          /* the folder of the file under way */
	const char *name;    /* the file's name within it (RETR's argument) */
	int q[QMAX], nq;     /* commands sent whose replies are awaited, in order */
	unsigned spare;      /* a passive port answered ahead (0: none) */
	long long spare_at;
	int st;
	int data;            /* bytes have come on it */
	int deof;            /* its end has come */
	int prelim;          /* RETR: the 1xx came */
	int fin;             /* RETR: the final reply's code (0: not yet) */
	struct xfer_stall win; /* the data phase: --timeout's low-speed rule (xfer.h) */
	unsigned long long nbytes; /* the file's bytes received */
	long long said;      /* the size the RETR's 1xx named, -1: none (the bound of a stream) */
	const char *path;    /* the file's path (the job's) */
	int reused;          /* the connection served an earlier file */
	int busy_tries;      /* greetings refused with a 4xx (too many connections), asked again */
	int replies;         /* replies read for this file */
	char *chain;         /* the next file's RETR sent ahead (ftp_gp_chain): its path */
	int chained;         /* the file under way is that one: its RETR is out already */
	int wc, wd;          /* where ftp_gp_fds put the control and data descriptors (-1: not) */
	int cready, dready;  /* the last wait found them readable (or we do not know: 1) */
	int dhup;            /* ... and the data connection's end there too (POLLRDHUP) */
	int fresh;           /* a file just begun: stepped once whatever the wait found */
	int paused;          /* the sink is full (a copy's pipe): the data connection is not read */
	int sized;           /* a single file: SIZE to be asked before its RETR (ftp_gp_single) */
	int splice_to;       /* its data spliced into this pipe, not read (-1: read; ftp_gp_single) */
};

static struct gpipe *all;
static int no_epsv;          /* the server refused EPSV: PASV from then on (IPv4) */
static char rbuf[GP_READ_MAX];
/* Full reads of the data connection a wake-up (1 MiB), and how far past the size its 150
 * announced a file may grow: twice that size plus GP_PAST_MAX (a file that grows while it
 * is sent is taken; a server that sends without end is a protocol error, 5). */
#define GP_READS_WAKE 16
#define GP_PAST_MAX (64LL << 20)

/* The connection closed (broken, or left mid-transfer): a later file opens another. */
static void conn_drop(struct gpipe *g)
{
	own_conn_drop(&g->o);
	g->nq = 0;
	g->spare = 0;
	free(g->chain);
	g->chain = NULL;
}

static void file_end(struct gpipe *g)
{
	own_data_close(&g->o);
	free(g->want);
	g->want = NULL;
	g->name = NULL;
	g->st = P_IDLE;
	g->o.stall_at = 0;
	g->paused = 0;
	g->sized = 0;
	g->splice_to = -1;
}

void ftp_gp_free(void)
{
	while (all) {
		struct gpipe *g = all;
		all = g->next;
		conn_drop(g);
		file_end(g);
		free(g);
	}
}

static int queued(const struct gpipe *g, int what)
{
	for (int i = 0; i < g->nq; i++)
		if (g->q[i] == what)
			return 1;
	return 0;
}

/* A failure as libcurl would have reported it: its result, the server's last reply (when
 * one is the cause) as the header callback keeps it. */
static int gfail(struct gpipe *g, int rc, int *prc, struct ftp_hdr *hdr, int with_reply, int drop)
{
	*prc = rc;
	if (queued(g, Q_RETR))
		drop = 1; /* a RETR's replies still to come would be taken for another file's */
	hdr->code = 0;
	hdr->last[0] = 0;
	if (with_reply && g->o.c && g->o.c->code > 0)
		ftp_reply_line(g->o.c->text, strlen(g->o.c->text), &hdr->code, hdr->last, sizeof hdr->last);
	if (drop)
		conn_drop(g);
	file_end(g);
	return GP_FAILED;
}

static int push(struct gpipe *g, int what)
{
	if (g->nq == QMAX)
		return -1;
	g->q[g->nq++] = what;
	return 0;
}

static void pop(struct gpipe *g)
{
	memmove(g->q, g->q + 1, (size_t)(--g->nq) * sizeof g->q[0]);
}


static int send_passive(struct gpipe *g)
{
	int pasv = no_epsv && g->o.c->family == AF_INET;
	if (ctl_send(g->o.c, pasv ? "PASV" : "EPSV") < 0)
		return -1;
	return push(g, pasv ? Q_PASV : Q_EPSV);
}

/* The file's folder reached: its data connection (a port answered ahead, or EPSV now). */
static int to_pasv(struct gpipe *g)
{
	g->st = P_PASV;
	if (g->sized) { /* before the EPSV, in the same flush: no round trip more */
		g->sized = 0;
		if (ctl_send(g->o.c, "SIZE %s", g->name) < 0 || push(g, Q_SIZE) < 0)
			return -1;
	}
	if (g->spare || queued(g, Q_EPSV) || queued(g, Q_PASV))
		return 0;
	return send_passive(g);
}

/* A port for the file under way: connect, RETR. 0, or -1 (errno: the connection). */
static int to_xfer(struct gpipe *g, unsigned port)
{
	g->o.dfd = ftp_data_connect(g->o.c, port);
	if (g->o.dfd < 0)
		return -1;
	g->data = g->deof = g->prelim = g->fin = 0;
	g->nbytes = 0;
	g->said = -1;
	xfer_stall_start(&g->win, ftp_now_ms(), 0);
	g->st = P_XFER;
	if (g->chained)
		return 0; /* its RETR went out with the last file's end */
	if (ctl_send(g->o.c, "RETR %s", g->name) < 0 || push(g, Q_RETR) < 0)
		return -1;
	return 0;
}

int ftp_gp_start(struct gpipe **pg, struct ftp_site *a, const char *path, int *rc, struct ftp_hdr *hdr, char *err,
		 size_t errlen)
{
	struct gpipe *g = *pg;
	if (!g) {
		g = *pg = xcalloc(1, sizeof *g);
		g->o.dfd = -1;
		g->splice_to = -1;
		g->next = all;
		all = g;
	}
	g->chained = 0;
	/* Stepped at once: its commands go out, and a reply read with the last file's 226 is
	 * buffered already (stream_has_line); the socket is read when the wait says so. */
	g->fresh = 1;
	if (g->chain && strcmp(g->chain, path))
		conn_drop(g); /* the server waits for the data connection of another file */
	if (g->chain) {
		g->chained = 1;
		free(g->chain);
		g->chain = NULL;
	}
	const char *bn = ftp_basename(path);
	size_t dl = (size_t)(bn - path);
	g->want = xstrndup(path, dl > 1 && path[dl - 1] == '/' ? dl - 1 : dl);
	g->name = bn;
	g->path = path;
	g->replies = 0;
	g->reused = g->o.c != NULL;
	g->data = g->deof = g->prelim = g->fin = 0;
	hdr->announced = -1;
	own_stall_arm(&g->o);
	if (!g->o.c) {
		int code = 0;
		g->o.c = ctl_open(a, 1, &code, err, errlen);
		if (!g->o.c) {
			file_end(g);
			if (!code)
				return GP_CURL; /* a proxy: libcurl's path */
			*rc = code == NT_EXIT_NET ? CURLE_COULDNT_CONNECT : CURLE_LOGIN_DENIED;
			hdr->code = 0;
			hdr->last[0] = 0;
			return GP_FAILED;
		}
		g->o.cwd = xstrdup("");
		g->nq = 0;
		g->spare = 0;
	}
	g->st = P_LOGIN;
	return GP_RUNNING;
}

int ftp_gp_fds(struct gpipe *g, struct curl_waitfd *w, int at)
{
	int n = 0;
	if (!g)
		return 0;
	g->wc = g->wd = -1;
	if (g->st == P_IDLE)
		return 0;
	w += at;
	if (g->o.c && g->o.c->s) {
		g->wc = at + n;
		w[n].fd = g->o.c->s->ops->fd(g->o.c->s->ctx);
		w[n].events = CURL_WAIT_POLLIN;
		w[n].revents = 0;
		n++;
	}
	if (g->o.dfd >= 0 && !g->paused) {
		g->wd = at + n;
		w[n].fd = g->o.dfd;
		w[n].events = CURL_WAIT_POLLIN;
		w[n].revents = 0;
		n++;
	}
	return n;
}

void ftp_gp_events(struct gpipe *g, const struct curl_waitfd *w, int every)
{
	if (!g)
		return;
	if (every) {
		g->cready = g->dready = 1;
		return;
	}
	if (g->wc >= 0 && w[g->wc].revents)
		g->cready = 1;
	if (g->wd >= 0 && w[g->wd].revents) {
		g->dready = 1;
		g->dhup = (w[g->wd].revents & GP_WAIT_HUP) != 0;
	}
}

int ftp_gp_due(const struct gpipe *g)
{
	return g && (g->cready || g->dready || g->fresh);
}

/* The file's reply to a passive command (code r, its port parsed): 0 going on, 1 failed
 * (*res set). */
static int on_passive(struct gpipe *g, int what, int r, int *res, int *rc, struct ftp_hdr *hdr)
{
	unsigned port = 0;
	int ok = ftp_data_port(g->o.c, r, &port) == 0;
	int waiting = g->st == P_PASV;
	if (ok && !waiting) {
		g->spare = port;
		g->spare_at = ftp_now_ms();
		return 0;
	}
	if (ok) {
		if (to_xfer(g, port) < 0) {
			*res = gfail(g, CURLE_FTP_CANT_GET_HOST, rc, hdr, 0, 1);
			return 1;
		}
		return 0;
	}
	if (what == Q_EPSV && r >= 500 && g->o.c->family == AF_INET) {
		/* As libcurl: a server without EPSV gets PASV (from now on). */
		no_epsv = 1;
		if (waiting && send_passive(g) < 0) {
			*res = gfail(g, CURLE_SEND_ERROR, rc, hdr, 0, 1);
			return 1;
		}
		return 0;
	}
	if (!waiting)
		return 0; /* answered ahead and unusable: the file asks again */
	*res = gfail(g, CURLE_FTP_WEIRD_PASV_REPLY, rc, hdr, 1, 0);
	return 1;
}

/* The connection failed (rc). One kept from an earlier file that fails before anything of
 * this one came (the server closed it while idle) is opened again for this file, as libcurl
 * does with a dead cached connection; else the file fails. */
static int lost(struct gpipe *g, struct ftp_site *a, int e, int *rc, struct ftp_hdr *hdr)
{
	if (!g->reused || g->replies || g->data)
		return gfail(g, e, rc, hdr, 0, 1);
	log_trace("get %s: the kept connection to %s is gone: a new one", g->path, a->host);
	const char *path = g->path;
	conn_drop(g);
	file_end(g);
	char err[600];
	int r = ftp_gp_start(&g, a, path, rc, hdr, err, sizeof err);
	g->reused = 0;
	return r;
}

int ftp_gp_step(struct gpipe *g, struct ftp_site *a, int (*sink)(void *arg, const char *p, size_t n), void *arg,
		int *rc, struct ftp_hdr *hdr, char *errbuf)
{
	int res;
	if (!g || g->st == P_IDLE)
		return GP_FAILED;
	struct fxc *c = g->o.c;
	/* What the wait found: only those descriptors are read (no read that can only say
	 * EAGAIN), and a data connection made in this step is not. */
	int cr = g->cready, dr = g->dready && g->o.dfd >= 0, hup = g->dhup;
	g->cready = g->dready = g->dhup = g->fresh = 0;
	if (g->st == P_LOGIN) {
		if (c->lst) {
			int code = 0;
			char err[600];
			int l = ctl_login_step(c, &code, err, sizeof err);
			if (l < 0 && c->lst == 1 && c->code >= 400 && c->code < 500) {
				/* Refused at the greeting (vsftpd's max_per_ip: "421 too many
				 * connections"): the login libcurl closed just before (ftp_share_drop)
				 * still counts on the server's side until its session process has
				 * exited, a few ms (a clean-clone CI run met it: 421, then libcurl's
				 * path met it too and the file failed). Asked again up to 5 times,
				 * 20 ms doubling (0.6 s in all, the engine waiting: only here); then
				 * libcurl's path, as before. */
				log_trace("get: own connection to %s: %s", a->host, err);
				const char *path = g->path;
				conn_drop(g);
				file_end(g);
				if (g->busy_tries < 5) {
					usleep(20000u << g->busy_tries++);
					return ftp_gp_start(&g, a, path, rc, hdr, err, sizeof err);
				}
				return GP_CURL;
			}
			if (l < 0) {
				/* As libcurl says them: a greeting, a login or TYPE refused, or the
				 * connection lost. */
				int r = code == NT_EXIT_TLS ? CURLE_LOGIN_DENIED
					: code == NT_EXIT_NET ? CURLE_RECV_ERROR
					: c->lst == 1 ? CURLE_WEIRD_SERVER_REPLY : CURLE_FTP_COULDNT_SET_TYPE;
				if (code == NT_EXIT_PROTO && c->lst > 1 && c->lst < 4)
					r = CURLE_LOGIN_DENIED;
				log_trace("get: own connection to %s: %s", a->host, err);
				return gfail(g, r, rc, hdr, 1, 1);
			}
			if (!l)
				goto wait;
			own_stall_arm(&g->o);
		}
		if (strcmp(g->o.cwd, g->want)) {
			char *cw = own_cwd_arg(a, g->want);
			if (!cw) {
				/* The login folder not known (no PWD answer), or a folder below
				 * one that is no Unix path (data.c own_cwd_arg): libcurl's path. */
				conn_drop(g);
				file_end(g);
				return GP_CURL;
			}
			g->spare = 0; /* asked again in the new folder */
			int s = ctl_send(c, "CWD %s", cw);
			free(cw);
			if (s < 0 || push(g, Q_CWD) < 0)
				return gfail(g, CURLE_SEND_ERROR, rc, hdr, 0, 1);
			g->st = P_CWD;
		} else if (to_pasv(g) < 0) {
			return gfail(g, CURLE_SEND_ERROR, rc, hdr, 0, 1);
		}
	}
	/* The spare port of the last file's EPSV, if fresh. */
	if (g->st == P_PASV && g->spare) {
		unsigned port = g->spare;
		/* (A RETR sent ahead has the server waiting on that port: no other.) */
		int fresh = g->chained || ftp_now_ms() - g->spare_at < SPARE_MS;
		g->spare = 0;
		if (!fresh) {
			if (send_passive(g) < 0)
				return gfail(g, CURLE_SEND_ERROR, rc, hdr, 0, 1);
		} else if (to_xfer(g, port) < 0) {
			return gfail(g, CURLE_FTP_CANT_GET_HOST, rc, hdr, 0, 1);
		}
	}
	int progress = 0;
	/* The data, as they come: at most GP_READS_WAKE full reads a wake-up (the other slots,
	 * the clock and --deadline run between), and never far past an announced size. */
	for (int k = 0; g->o.dfd >= 0 && dr && k < GP_READS_WAKE && !g->paused; k++) {
		size_t want = g->splice_to >= 0 ? GP_SPLICE_MAX : sizeof rbuf;
		ssize_t n = g->splice_to >= 0 ? splice(g->o.dfd, NULL, g->splice_to, NULL, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
					      : read(g->o.dfd, rbuf, sizeof rbuf);
		if (n > 0) {
			/* Counted by the low-speed rule below, not by the reply timer. */
			g->data = 1;
			g->nbytes += (unsigned long long)n;
			/* (The 150's size, the one the transfer announced: never SIZE's, which may be
			 * stale or say less, and never cuts a file: libcurl's path neither.) */
			if (g->said >= 0 && g->said < GP_PAST_MAX && g->nbytes > 2 * (unsigned long long)g->said + GP_PAST_MAX) {
				snprintf(errbuf, CURL_ERROR_SIZE, "protocol: over %llu bytes sent for a file announced as %lld",
					 g->nbytes - (unsigned long long)n, g->said);
				return gfail(g, CURLE_WEIRD_SERVER_REPLY, rc, hdr, 0, 1);
			}
			if (sink(arg, g->splice_to >= 0 ? NULL : rbuf, (size_t)n) < 0)
				return gfail(g, CURLE_WRITE_ERROR, rc, hdr, 0, 1);
			/* Drained for now (most likely); when the wait saw the end come too, it is
			 * read now: the next file is asked for in this wake-up, not the next. */
			if ((size_t)n < want && !hup)
				break;
			continue;
		}
		if (n == 0) {
			progress = 1;
			g->deof = 1;
			own_data_close(&g->o);
			break; /* the engine may chain the next file now (ftp_gp_wants_next) */
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		/* Refused or broken: the server's RETR may wait for us (accept_timeout): the
		 * connection goes with it. */
		log_trace("get %s: data connection to %s: %s", g->name, a->host, strerror(errno));
		if (g->data) /* xfer_strerror's words for it: the data connection, not a reply */
			snprintf(errbuf, CURL_ERROR_SIZE, "data connection: %s", strerror(errno));
		return gfail(g, g->data ? CURLE_RECV_ERROR : CURLE_FTP_CANT_GET_HOST, rc, hdr, 0, 1);
	}
	/* The replies, in the order of the commands. */
	/* Not past the file's own final reply: what follows belongs to the next file. */
	while (g->nq && !(g->st == P_XFER && g->fin)) {
		if (!stream_has_line(c->s)) {
			if (!cr)
				break; /* nothing buffered, and the wait found nothing to read */
			cr = 0;    /* one read per wake-up: a second could only say EAGAIN */
		}
		int r = ctl_try_reply(c);
		if (!r)
			break;
		if (r < 0) { /* noisy: a flood of lines that are no reply (ctl.h), a protocol error */
			if (!c->noisy)
				return lost(g, a, CURLE_RECV_ERROR, rc, hdr);
			snprintf(errbuf, CURL_ERROR_SIZE, "protocol: %s", c->text);
			return gfail(g, CURLE_WEIRD_SERVER_REPLY, rc, hdr, 0, 1);
		}
		if (r >= 200)
			progress = 1; /* as libcurl: a 1xx does not reset the reply timeout */
		g->replies++;
		int what = g->q[0];
		if (what == Q_RETR && r < 200) {
			long long sz;
			if (ftp_parse_150_size(c->text, strlen(c->text), &sz) == 0)
				hdr->announced = g->said = sz; /* checked where the get ends (engine.c) */
			g->prelim = 1; /* the final reply is still to come */
			continue;
		}
		pop(g);
		switch (what) {
		case Q_SIZE: /* as libcurl: a refused SIZE is no failure (RETR says); the 150's size wins */
			if (r == 213 && hdr->announced < 0)
				hdr->announced = ftp_parse_213_size(c->text, strlen(c->text));
			break;
		case Q_CWD:
			if (r != 250)
				return gfail(g, CURLE_REMOTE_ACCESS_DENIED, rc, hdr, 1, 0);
			free(g->o.cwd);
			g->o.cwd = xstrdup(g->want);
			if (to_pasv(g) < 0)
				return gfail(g, CURLE_SEND_ERROR, rc, hdr, 0, 1);
			if (g->spare) {
				unsigned port = g->spare;
				g->spare = 0;
				if (to_xfer(g, port) < 0)
					return gfail(g, CURLE_FTP_CANT_GET_HOST, rc, hdr, 0, 1);
			}
			break;
		case Q_EPSV:
		case Q_PASV:
			if (on_passive(g, what, r, &res, rc, hdr))
				return res;
			break;
		case Q_RETR:
			g->fin = r;
			if (r != 226 && r != 250) {
				/* Refused before any data (550: no such file), or cut short after the 150. */
				int e = g->prelim ? CURLE_PARTIAL_FILE : r == 550 ? CURLE_REMOTE_FILE_NOT_FOUND : CURLE_FTP_COULDNT_RETR_FILE;
				/* Data may still be in flight on a transfer cut short: the connection goes. */
				return gfail(g, e, rc, hdr, 1, g->data && !g->deof);
			}
			break;
		}
	}
	if (g->st == P_XFER && g->deof && g->fin) {
		file_end(g);
		return GP_DONE;
	}
	if (progress)
		own_stall_arm(&g->o);
wait:
	if (g->o.c && stream_flush(g->o.c->s) < 0)
		return lost(g, a, CURLE_SEND_ERROR, rc, hdr);
	long long now = ftp_now_ms();
	if (g->paused) /* waiting for the sink's reader is no stall of the server's */
		xfer_stall_start(&g->win, now, g->nbytes);
	/* The data phase (connected, the data's end not come): fewer than the low-speed
	 * limit over --timeout fails, as libcurl's CURLOPT_LOW_SPEED_*; else a reply awaited
	 * longer than --timeout (CURLOPT_SERVER_RESPONSE_TIMEOUT). */
	if (g->st == P_XFER && !g->deof ? xfer_stalled(&g->win, now, g->nbytes, ftp_cf.co.timeout_ms)
					 : g->o.stall_at && now > g->o.stall_at)
		return gfail(g, CURLE_OPERATION_TIMEDOUT, rc, hdr, 0, 1);
	return GP_RUNNING;
}

int ftp_gp_wants_next(const struct gpipe *g)
{
	return g && g->o.c && g->st == P_XFER && g->deof && !g->fin && !g->chain && !g->spare && !queued(g, Q_EPSV) &&
	       !queued(g, Q_PASV) && g->nq < QMAX - 1;
}

void ftp_gp_chain(struct gpipe *g, const char *path)
{
	const char *bn = path ? ftp_basename(path) : NULL;
	size_t dl = bn ? (size_t)(bn - path) : 0;
	if (dl > 1 && path[dl - 1] == '/')
		dl--;
	if (send_passive(g) < 0)
		return; /* the next step finds the connection's failure */
	/* The RETR too when the file is in the folder the connection is in (no CWD between). */
	if (path && *bn && g->o.cwd && strlen(g->o.cwd) == dl && !strncmp(g->o.cwd, path, dl) &&
	    ctl_send(g->o.c, "RETR %s", bn) == 0 && push(g, Q_RETR) == 0)
		g->chain = xstrdup(path);
	stream_flush(g->o.c->s);
}

void ftp_gp_single(struct gpipe *g, int splice_to)
{
	g->sized = 1;
	g->splice_to = splice_to;
}

void ftp_gp_pause(struct gpipe *g, int on)
{
	if (g)
		g->paused = on;
}

void ftp_gp_close_idle(void)
{
	for (struct gpipe *g = all; g; g = g->next)
		if (g->st == P_IDLE)
			conn_drop(g);
}

void ftp_gp_stop(struct gpipe *g)
{
	if (!g || g->st == P_IDLE)
		return;
	conn_drop(g);
	file_end(g);
}
