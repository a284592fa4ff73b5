/* SPDX-License-Identifier: MIT */
/* putpipe.c - the put of a local regular file over plain FTP on our own control connection
 * (ctl.c), one per engine slot, kept from file to file and stepped without waiting (its
 * descriptors are in the engine's wait set, as getpipe.c's). Per file: CWD when the folder
 * changes, EPSV (PASV where the server refuses EPSV, IPv4 only), a non-blocking data
 * connection (data.c), STOR; after the 1xx the file goes into the data connection, read
 * and written in 256 KiB blocks, as much as the socket takes each time (libcurl copies 64
 * KiB blocks through a read callback, and waits for the 226 and each POSTQUOTE reply inside
 * ftp_done, blocking every other transfer of the multi), little of it waiting unsent in
 * our kernel. Not sendfile(2): on loopback the server's process (the slower side) then
 * copies the file's pages straight from memory, where our copy leaves them in the shared
 * cache for it (PUT_CHUNK, PUT_UNSENT). Then the data connection's end, the 226 read
 * when it comes; with --atomic, STOR went to a temporary (durable.c's ".NAME.nettool-TAG.part", as on
 * libcurl's path and a copy's: a rerun of the journal stores to the one a killed run left),
 * renamed with RNFR/RNTO only after a 2xx final reply, when exactly the size the file had
 * at the start went out (libcurl's size check) and the server's SIZE of what it stored says
 * the same (sent with the RNFR; RNTO waits for it): a short file never gets the final name.
 * A final reply before the last byte went out fails the file, in place too (where libcurl's
 * path took it for success); in place the 226 is taken once all went out, as libcurl does
 * (no SIZE: it would wait for the server's close, which may flush the whole file).
 * Failures are libcurl's results (rc, the server's reply in hdr) as its path gives them, so
 * that engine.c's messages, retries and exit codes are the same. A reply awaited, or a
 * data phase slower than the low-speed rule, longer than --timeout fails the file.
 *
 * The streamed copy's upload too (ftp_pp_copy_start, copy.c): the data from the slot's pipe
 * (copy.c fills it from libcurl's download and pauses that while it is full), CWD and EPSV
 * sent when the job starts, the STOR only once copy.c says the source's data came (or its
 * good end: dst_go). The data connection is kept, shut for writing, until the 226: a reset
 * of it by then fails the file (the server closed with our data unread); otherwise SIZE
 * with the RNFR as for a put, always (a clean end only says the server shut its side, not
 * that it read all: one that half-closes after part of the file and answers 226 is caught
 * by the SIZE). The end handed to ftp_copy_finished as libcurl's upload handle's, so
 * that --move, the clean-up DELE of a failed temporary, the journal and the messages stay
 * copy.c's.
 *
 * Used where it covers everything (decided per file, before anything is sent): plain FTP,
 * no proxy, a local regular file (not standard input), a copy's atomic default; libcurl's
 * path for TLS, --resume (APPE), --create-dirs, --limit-rate, --active, --ascii, -v and a
 * copy's --no-atomic. When the own login fails, the file and the rest of the run go through
 * libcurl's path (its messages).
 *
 * Header: applets/ftp/engine.h    Man page: man/nettool-ftp.1
 * Tests: tests/integration/ftp_putpipe.sh tests/integration/ftp_copypipe.sh tests/integration/ftp_copysafe.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "engine.h"
#include "log.h"
#include "nt_err.h"
#include "stream.h"

enum { P_IDLE, P_CWD, P_PASV, P_READY, P_STOR, P_SEND, P_FIN, P_SIZE, P_RNFR, P_RNTO };
/* A step's share of the file: other slots get their turn between. */
#define STEP_MAX (8 << 20)
/* One read of the file, then written to the data connection. A copy through our buffer
 * and not sendfile(2): with sendfile, on loopback, the server's read copies the file's
 * pages out of memory (cold), on the server's CPU, the slower side of the transfer (it
 * also writes the file); our write puts the bytes in the CPU cache it shares. 1 GiB to
 * vsftpd, 5 interleaved rounds, load 2.6-3.4: sendfile 1.29-2.16 s, this 0.90-1.70
 * s (64 KiB and 1 MiB blocks the same), curl 0.98-1.46 s. */
#define PUT_CHUNK (256 << 10)
/* What our kernel may hold of it unsent (TCP_NOTSENT_LOWAT): the data connection takes more
 * only below that, so each block is written just before it goes out, still in the cache
 * when the server reads it (without: up to the 4 MiB send buffer waits, written long
 * before). 1 GiB to vsftpd, 6 interleaved rounds, load 2.2-2.9: 128 KiB 0.69-1.23 s, curl
 * 1.12-1.91 s, every round 1.2x curl or better; 5 rounds, load 2.2-2.9: 256 KiB 0.68-1.05
 * s, 64 KiB 0.65-1.02 s, none 0.67-1.41 s, curl 1.01-1.84 s. The vsftpd session's CPU
 * for the GiB: 0.49-0.72 s, none 0.62-1.32 s. Not less: at 10 Gbit/s 128 KiB is 100 us
 * of data left when we are woken. */
#define PUT_UNSENT (128 << 10)

struct pput {
	struct ownconn o;   /* control and data connections, folder, reply deadline (data.c) */
	struct pput *next;  /* every connection of the run (ftp_pp_free) */
	char *want;         /* the folder of the file under way */
	char *name;         /* STOR's argument: the file's name or its temporary */
	char *final;        /* --atomic: RNTO's argument (NULL: stored in place) */
	int st, pasv;       /* P_*, the passive command sent was PASV */
	int infd;           /* the local file (the slot's) */
	off_t size, sent;   /* its size at the start (copy: -1 unknown), the bytes gone out */
	int eof;            /* the local file ended before size */
	int pipe;           /* copy: the data come from the slot's pipe (copy.c fills it) */
	int go;             /* copy: STOR may go (the source's data came, or its good end) */
	unsigned port;      /* copy: the passive port answered before go (P_READY) */
	struct ftp_hdr *hdr; /* where a failure's reply goes (put: s->hdr; copy: s->hdr2) */
	char *err;
	struct xfer_stall win;
	int outq;           /* P_FIN: bytes of the data our kernel still held at the last look */
	int reset;          /* copy: the data connection was reset before our end of the data */
	char *buf;          /* the file's bytes read, not yet all taken by the data connection */
	size_t bh, bl;      /* where they start in buf, how many */
};

static struct pput *all;
static int off;          /* an own login failed: libcurl's path for the rest of the run */
static int no_epsv;      /* the server refused EPSV: PASV from then on (IPv4) */

static void file_end(struct pput *p)
{
	own_data_close(&p->o);
	free(p->want), free(p->name), free(p->final);
	p->want = p->name = p->final = NULL;
	p->st = P_IDLE;
	p->reset = 0;
	p->o.stall_at = 0;
}

void ftp_pp_free(void)
{
	while (all) {
		struct pput *p = all;
		all = p->next;
		own_conn_drop(&p->o);
		file_end(p);
		free(p->buf);
		free(p);
	}
	off = 0;
}

/* A stopped file's final reply awaited, at most STOP_WAIT_MS: vsftpd answers 426 once its
 * session has read the reset, after it wrote what it had read before. */
#define STOP_WAIT_MS 1000
static void stop_wait(struct fxc *c)
{
	long long until = ftp_now_ms() + STOP_WAIT_MS;
	for (;;) {
		int r = ctl_try_reply(c);
		if (r < 0 || r >= 200)
			return;
		long long left = until - ftp_now_ms();
		if (left <= 0 || stream_wait_input(c->s, (int)left) <= 0)
			return;
	}
}

void ftp_pp_stop(struct pput *p)
{
	if (!p || p->st == P_IDLE)
		return;
	/* Stopped (a signal, --deadline): the data connection reset, ABOR sent and the
	 * file's final reply awaited (bounded), so the server has stopped writing the file
	 * when we exit, not seconds later with what the socket buffers held (a --resume
	 * then read a stale SIZE and appended to a file still growing). */
	int sending = p->o.c && p->st >= P_STOR && p->st <= P_FIN;
	own_data_reset(&p->o);
	if (sending && !ctl_send(p->o.c, "ABOR") && !stream_flush(p->o.c->s))
		stop_wait(p->o.c);
	own_conn_drop(&p->o);
	file_end(p);
}

int ftp_pp_begun(const struct pput *p)
{
	return p && p->st >= P_STOR;
}

/* The file's end (rc: libcurl's result, CURLE_OK: done): put, reported to the engine;
 * copy, handed to copy.c as the end of its upload handle. 1: the job has ended. */
static int pend(struct engine *e, struct slot *s, int rc)
{
	if (s->job.kind == JOB_COPY) {
		s->run2 = 0;
		s->rc2 = (CURLcode)rc;
		return !ftp_copy_finished(e, s, s->h2, (CURLcode)rc);
	}
	if (rc == CURLE_OK)
		eng_done(e, s);
	else
		eng_failed(e, s, (CURLcode)rc, s->err, &s->hdr, 0);
	return 1;
}

/* The file failed with libcurl's result rc (with_reply: the server's last reply is the
 * cause); drop: the connection goes (a reply or data of this file may still come). */
static int pfail(struct engine *e, struct slot *s, int rc, int with_reply, int drop)
{
	struct pput *p = s->pp;
	p->hdr->code = 0;
	p->hdr->last[0] = 0;
	if (with_reply && p->o.c && p->o.c->code > 0)
		ftp_reply_line(p->o.c->text, strlen(p->o.c->text), &p->hdr->code, p->hdr->last, sizeof p->hdr->last);
	if (p->st == P_SEND || p->st == P_FIN)
		own_data_reset(&p->o); /* what was not delivered is dropped, not written after the failure */
	if (drop)
		own_conn_drop(&p->o);
	file_end(p);
	return pend(e, s, rc);
}

static int send_passive(struct pput *p)
{
	p->pasv = no_epsv && p->o.c->family == AF_INET;
	p->st = P_PASV;
	return ctl_send(p->o.c, p->pasv ? "PASV" : "EPSV");
}

/* A connection that is not idle any more: the server closed it, or said something
 * (vsftpd's 421 timeout), while it waited for the next file. */
static int stale(struct pput *p)
{
	struct pollfd pf = {.fd = p->o.c->s->ops->fd(p->o.c->s->ctx), .events = POLLIN};
	return poll(&pf, 1, 0) != 0;
}

/* The slot's connection to site, logged in (opened now, waiting, when there is none): 0,
 * or -1 (off set: libcurl's path from here on). */
static int conn_get(struct engine *e, struct slot *s, struct ftp_site *site)
{
	struct pput *p = s->pp;
	if (!p) {
		p = s->pp = xcalloc(1, sizeof *p);
		p->o.dfd = -1;
		p->next = all;
		all = p;
	}
	if (!e->dropped && s->job.kind == JOB_PUT) {
		/* libcurl's idle login: no more connections than --parallel. Not in a copy,
		 * whose downloads hold the share (their handles are libcurl's). */
		e->dropped = 1;
		ftp_share_drop();
	}
	if (p->o.c && stale(p))
		own_conn_drop(&p->o);
	if (!p->o.c) {
		int code = 0;
		char m[600];
		p->o.c = ctl_open(site, 0, &code, m, sizeof m);
		if (!p->o.c) {
			/* A proxy, a refused greeting (vsftpd's max_per_ip), a login refused: libcurl's
			 * path for this file and the rest, which says what it meets as before. */
			log_trace("own connection to %s: %s: libcurl's path from here on", site->host, m);
			off = 1;
			return -1;
		}
		p->o.cwd = xstrdup("");
	}
	return 0;
}

/* What the own path does not cover (libcurl's path for it). */
static int not_here(const struct ftp_site *a)
{
	return off || a->implicit_tls || a->x.tls != XFER_TLS_NEVER || ftp_cf.active || ftp_cf.ascii ||
	       ftp_cf.limit_rate > 0 || ftp_cf.resume || ftp_cf.create_dirs || a->x.verbose || a->x.watch;
}

/* The folder of path dst (NULL: not reachable here: no name, or the login folder unknown). */
static char *folder_of(const struct ftp_site *a, const char *dst)
{
	const char *bn = ftp_basename(dst);
	size_t dl = (size_t)(bn - dst);
	char *want = xstrndup(dst, dl > 1 && dst[dl - 1] == '/' ? dl - 1 : dl);
	if (!*bn || (want[0] && want[0] != '/' && !own_entry_ok(a))) {
		free(want);
		return NULL; /* the login folder not known, or no Unix path (data.c): libcurl's path */
	}
	return want;
}

/* The file begun on the slot's connection (name: STOR's argument, final: RNTO's or NULL):
 * CWD when the folder differs, the passive command. 0, or -1 (the connection broke: it is
 * closed, the file not begun). */
static int begin(struct slot *s, struct ftp_site *site, char *want, char *name, char *final)
{
	struct pput *p = s->pp;
	p->want = want;
	p->name = name;
	p->final = final;
	p->sent = 0;
	p->bh = p->bl = 0;
	p->eof = 0;
	p->port = 0;
	own_stall_arm(&p->o);
	int r;
	if (strcmp(p->o.cwd, p->want)) {
		char *cw = own_cwd_arg(site, p->want);
		r = ctl_send(p->o.c, "CWD %s", cw);
		free(cw);
		p->st = P_CWD;
	} else {
		r = send_passive(p);
	}
	if (r < 0 || stream_flush(p->o.c->s) < 0) {
		own_conn_drop(&p->o);
		file_end(p);
		return -1;
	}
	return 0;
}

int ftp_putfast_start(struct engine *e, struct slot *s, off_t size)
{
	struct ftp_site *a = e->a;
	const struct job *j = &s->job;
	if (e->b || !strcmp(j->src, "-") || not_here(a))
		return GP_CURL;
	char *want = folder_of(a, j->dst);
	if (!want || conn_get(e, s, a) < 0) {
		free(want);
		return GP_CURL;
	}
	struct pput *p = s->pp;
	const char *bn = ftp_basename(j->dst);
	p->pipe = 0;
	p->go = 1;
	p->hdr = &s->hdr;
	p->err = s->err;
	p->infd = s->infd;
	p->size = size;
	s->hdr.announced = -1;
	s->fast = 1;
	if (e->src->total == 1)
		e->prog.bytes_total = (uint64_t)size;
	char *tmp = ftp_cf.atomic > 0 ? ftp_dur_remote_tmp(j->dst) : NULL; /* durable.c's name, as libcurl's path */
	char *stor = tmp ? xstrdup(ftp_basename(tmp)) : xstrdup(bn);
	free(tmp);
	if (begin(s, a, want, stor, ftp_cf.atomic > 0 ? xstrdup(bn) : NULL) < 0) {
		eng_failed(e, s, CURLE_SEND_ERROR, s->err, &s->hdr, 0);
		return GP_FAILED;
	}
	return GP_RUNNING;
}

int ftp_pp_copy_start(struct engine *e, struct slot *s)
{
	struct ftp_site *b = e->b;
	const struct job *j = &s->job;
	if (not_here(b) || !s->ctmp)
		return GP_CURL;
	char *want = folder_of(b, j->dst);
	if (!want || conn_get(e, s, b) < 0) {
		free(want);
		return GP_CURL;
	}
	struct pput *p = s->pp;
	p->pipe = 1;
	p->go = 0;
	p->hdr = &s->hdr2;
	p->err = s->err2;
	p->size = j->size;
	s->hdr2.code = 0;
	s->hdr2.last[0] = 0;
	s->err2[0] = 0;
	return begin(s, b, want, xstrdup(ftp_basename(s->ctmp)), xstrdup(ftp_basename(j->dst))) < 0 ? GP_CURL : GP_RUNNING;
}

int ftp_putfast_fds(const struct slot *s, struct curl_waitfd *w)
{
	const struct pput *p = s->pp;
	int n = 0;
	if (!p || p->st == P_IDLE || !p->o.c)
		return 0;
	w[n].fd = p->o.c->s->ops->fd(p->o.c->s->ctx);
	w[n].events = CURL_WAIT_POLLIN;
	w[n].revents = 0;
	n++;
	if (p->o.dfd >= 0 && p->st == P_SEND && (!p->pipe || s->pl)) {
		w[n].fd = p->o.dfd;
		w[n].events = CURL_WAIT_POLLOUT;
		w[n].revents = 0;
		n++;
	}
	return n;
}

/* A broken data connection (errno): 1, the file failed. */
static int send_broke(struct engine *e, struct slot *s)
{
	log_trace("%s: data connection: %s", s->job.dst, strerror(errno));
	return pfail(e, s, CURLE_SEND_ERROR, 0, 1);
}

/* Bytes written to socket fd that the kernel has not sent yet (0: none, or not known). */
static int unsent(int fd)
{
	int q = 0;
#ifdef TIOCOUTQ
	if (fd >= 0 && ioctl(fd, TIOCOUTQ, &q) < 0)
		q = 0;
#endif
	return q;
}

/* The data's end: the server's 226 follows, once it has read all. While our kernel still
 * holds some of the data (megabytes, for a reader slower than us) the connection is only
 * shut for writing and kept: the reply is not due before that has gone out, and the wait
 * for it counts from the last progress (ftp_putfast_step), not from our end. */
static void data_end(struct pput *p)
{
	p->st = P_FIN;
	own_stall_arm(&p->o);
	p->outq = unsent(p->o.dfd);
	/* (copy: kept, shut for writing, until the 226: server_end looks at its end; a
	 * connection the server has already reset cannot be shut: not all of it was taken) */
	if (p->outq > 0 || p->pipe) {
		if (shutdown(p->o.dfd, SHUT_WR) == 0)
			return;
		p->reset = p->pipe && errno == ENOTCONN;
	}
	own_data_close(&p->o);
}

/* copy, at the 226: how the server ended the data connection, looked at without waiting.
 * 1: its clean end (it shut its side: that says nothing of what it read, the SIZE after
 * the 226 does); -1: reset (it closed with our data unread: it did not take all); 0: not
 * known yet (the data connection already closed, or its end not come). Where SIZE is
 * answered a reset also shows as a short SIZE; a server without SIZE has only this (its
 * 226 is trusted otherwise): ftp_copypipe.sh's *rstlate* fails without it. */
static int server_end(struct pput *p)
{
	if (p->o.dfd < 0)
		return 0;
	char b[512];
	ssize_t n;
	do
		n = read(p->o.dfd, b, sizeof b);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		own_data_close(&p->o);
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	own_data_close(&p->o);
	return -1; /* reset, or data where none belongs */
}

/* copy: what the slot's pipe holds into the data connection (copy.c's copy_read, for
 * libcurl's upload handle); the end once the source has ended well and all of it went. A
 * source that failed aborts the upload (no 226 of ours can make it whole). 0 going on,
 * 1 the file failed. */
static int pump_pipe(struct engine *e, struct slot *s)
{
	struct pput *p = s->pp;
	if (s->src_failed)
		return pfail(e, s, CURLE_ABORTED_BY_CALLBACK, 0, 1);
	while (s->pl) {
		ssize_t n = write(p->o.dfd, s->pipe + s->ph, s->pl);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return send_broke(e, s);
		s->ph += (size_t)n;
		s->pl -= (size_t)n;
		if (!s->pl)
			s->ph = 0;
		s->bytes += (uint64_t)n;
		p->sent += n;
		if (s->src_paused)
			s->unpause_src = 1; /* room again: copy.c resumes the download */
	}
	if (s->src_done)
		data_end(p);
	else /* waiting for the source is no stall of ours (libcurl's paused upload neither) */
		xfer_stall_start(&p->win, ftp_now_ms(), (unsigned long long)p->sent);
	return 0;
}

/* The file's bytes into the data connection, as many as it takes now: 0 going on (or the
 * data's end reached: P_FIN), 1 the file failed. */
static int pump(struct engine *e, struct slot *s)
{
	struct pput *p = s->pp;
	size_t moved = 0;
	if (p->pipe)
		return pump_pipe(e, s);
	if (!p->buf)
		p->buf = xmalloc(PUT_CHUNK);
	while ((p->bl || p->sent < p->size) && moved < STEP_MAX) {
		if (!p->bl) {
			size_t want = (size_t)(p->size - p->sent);
			ssize_t r = pread(p->infd, p->buf, want < PUT_CHUNK ? want : PUT_CHUNK, p->sent);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				nt_warn_sys("read %s", s->job.src);
				return pfail(e, s, CURLE_READ_ERROR, 0, 1);
			}
			if (r == 0) {
				p->eof = 1; /* the file shrank: the size check after the 226 fails it */
				break;
			}
			p->bh = 0;
			p->bl = (size_t)r;
		}
		ssize_t n = write(p->o.dfd, p->buf + p->bh, p->bl);
		if (n > 0) {
			p->bh += (size_t)n;
			p->bl -= (size_t)n;
			p->sent += n;
			moved += (size_t)n;
			s->bytes += (uint64_t)n;
			e->prog.bytes_done += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return send_broke(e, s);
	}
	if (p->sent < p->size && !p->eof)
		return 0;
	data_end(p);
	return 0;
}

/* The passive port for the file: connect, STOR (only once go: copy waits for the source). */
static int to_stor(struct engine *e, struct slot *s, unsigned port)
{
	struct pput *p = s->pp;
	if (!p->go) {
		p->port = port;
		p->st = P_READY;
		p->o.stall_at = 0; /* waiting for the source, not for this server */
		return 0;
	}
	p->o.dfd = ftp_data_connect(p->o.c, port);
	if (p->o.dfd < 0)
		return pfail(e, s, CURLE_FTP_CANT_GET_HOST, 0, 1);
#ifdef TCP_NOTSENT_LOWAT
	if (!p->pipe) { /* (a kernel without it: the whole send buffer, as before) */
		int lowat = PUT_UNSENT;
		(void)setsockopt(p->o.dfd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
	}
#endif
	p->st = P_STOR;
	own_stall_arm(&p->o);
	if (ctl_send(p->o.c, "STOR %s", p->name) < 0 || stream_flush(p->o.c->s) < 0)
		return pfail(e, s, CURLE_SEND_ERROR, 0, 1);
	return 0;
}

void ftp_pp_go(struct slot *s)
{
	s->pp->go = 1; /* the STOR goes at the next step (ftp_putfast_step) */
}

/* libcurl's size check after the 226 (ftp_done): its words, kept by xfer_strerror. */
static int short_file(struct engine *e, struct slot *s)
{
	struct pput *p = s->pp;
	snprintf(p->err, CURL_ERROR_SIZE, "Uploaded unaligned file size (%lld out of %lld bytes)", (long long)p->sent,
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
		free(p->o.cwd);
		p->o.cwd = xstrdup(p->want);
		return send_passive(p) < 0 ? pfail(e, s, CURLE_SEND_ERROR, 0, 1) : 0;
	case P_PASV:
		if (ftp_data_port(p->o.c, r, &port) == 0)
			return to_stor(e, s, port);
		if (!p->pasv && r >= 500 && p->o.c->family == AF_INET) {
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
		p->o.stall_at = 0;
		return pump(e, s);
	case P_SEND:
		if (r < 200)
			return 0;
		if (p->pipe && s->src_failed)
			return pfail(e, s, CURLE_ABORTED_BY_CALLBACK, 0, 1);
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
		/* (copy: the pipe's end is the source's; copy.c checked it against the size
		 * known, a file that grew is sent whole) */
		if (p->size >= 0 && p->sent != p->size && !p->pipe)
			return short_file(e, s);
		/* In place: the 226 is taken, as on libcurl's path (a SIZE now waits for the
		 * server's close of the file, which may flush all of it to disk: measured 0.1 to
		 * several s for 512 MiB). Else SIZE of what was stored, and RNFR of the
		 * temporary in the same write: a server that answered 226 for less fails the
		 * file; RNTO waits for it. */
		if (!p->final)
			break;
		own_stall_arm(&p->o);
		if (p->pipe) {
			/* copy: the server's reset of the data connection at its 226 says it
			 * did not read all of our pipe's data: the file fails. Its clean end
			 * says nothing of that (a server may shut its side without reading
			 * the rest): SIZE as for a put, always. */
			if (p->reset || server_end(p) < 0) {
				snprintf(p->err, CURL_ERROR_SIZE, "data connection reset by the server: not all of the file was taken");
				return pfail(e, s, CURLE_PARTIAL_FILE, 0, 1);
			}
		}
		own_data_close(&p->o);
		p->st = P_SIZE;
		if (ctl_send(p->o.c, "SIZE %s", p->name) < 0 || ctl_send(p->o.c, "RNFR %s", p->name) < 0)
			return pfail(e, s, CURLE_SEND_ERROR, 0, 1);
		return 0;
	case P_SIZE:
		/* (sess.c: the check and its words, libcurl's path's too; a server without
		 * SIZE: its 226 is taken for it) */
		if (ftp_tmp_size_check(r, p->o.c->text, (long long)p->sent, p->err, CURL_ERROR_SIZE) < 0)
			return pfail(e, s, CURLE_PARTIAL_FILE, 0, 1); /* (the RNFR's reply with it) */
		p->st = P_RNFR;
		return 0;
	case P_RNFR:
		if (r != 350)
			return pfail(e, s, CURLE_QUOTE_ERROR, 1, 0);
		p->st = P_RNTO;
		own_stall_arm(&p->o);
		return ctl_send(p->o.c, "RNTO %s", p->final) < 0 ? pfail(e, s, CURLE_SEND_ERROR, 0, 1) : 0;
	case P_RNTO:
		if (r < 200 || r >= 300)
			return pfail(e, s, CURLE_QUOTE_ERROR, 1, 0);
		break;
	default:
		return pfail(e, s, CURLE_WEIRD_SERVER_REPLY, 1, 1);
	}
	file_end(p);
	return pend(e, s, CURLE_OK);
}

int ftp_putfast_step(struct engine *e, struct slot *s)
{
	struct pput *p = s->pp;
	int done;
	if (!p || p->st == P_IDLE)
		return 1;
	if (p->pipe && s->src_failed && p->st <= P_READY) {
		/* The source failed before STOR went: nothing stored. A connection with a
		 * reply still to come goes; one in P_READY stays (the next EPSV replaces it). */
		if (p->st == P_READY) {
			file_end(p);
			return pend(e, s, CURLE_ABORTED_BY_CALLBACK);
		}
		return pfail(e, s, CURLE_ABORTED_BY_CALLBACK, 0, 1);
	}
	if (p->go && p->st == P_READY && ((done = to_stor(e, s, p->port)) || p->st == P_IDLE))
		return done;
	if (p->st == P_SEND && ((done = pump(e, s)) || p->st == P_IDLE))
		return done;
	for (;;) {
		int r = ctl_try_reply(p->o.c);
		if (!r)
			break;
		if (r < 0) {
			/* The connection broke (a kept one the server closed while idle is found
			 * by stale() before the file begins; libcurl reconnects then too). */
			if (p->o.c->noisy) { /* a flood of lines that are no reply (ctl.h) */
				snprintf(s->err, sizeof s->err, "protocol: %s", p->o.c->text);
				return pfail(e, s, CURLE_WEIRD_SERVER_REPLY, 0, 1);
			}
			if (p->st == P_SEND || p->st == P_FIN)
				return pfail(e, s, CURLE_SEND_ERROR, 0, 1);
			return pfail(e, s, CURLE_RECV_ERROR, 0, 1);
		}
		if (r >= 200)
			own_stall_arm(&p->o); /* as libcurl: a 1xx does not reset the reply timeout */
		/* (copy: the job may go on when the upload has ended: --move's check, the
		 * source's end, a clean-up on libcurl's side: copy.c) */
		if ((done = on_reply(e, s, r)) || p->st == P_IDLE)
			return done;
	}
	if (stream_flush(p->o.c->s) < 0)
		return pfail(e, s, CURLE_SEND_ERROR, 0, 1);
	if (p->st == P_FIN && p->o.dfd >= 0) { /* (data_end) */
		int q = unsent(p->o.dfd);
		if (q < p->outq)
			own_stall_arm(&p->o); /* the server is still reading the data: no reply due yet */
		p->outq = q;
		if (!q && !p->pipe)
			own_data_close(&p->o);
	}
	long long now = ftp_now_ms();
	if (p->st == P_SEND ? xfer_stalled(&p->win, now, (unsigned long long)p->sent, ftp_cf.co.timeout_ms)
			    : p->o.stall_at && now > p->o.stall_at)
		return pfail(e, s, CURLE_OPERATION_TIMEDOUT, 0, 1);
	return 0;
}

int ftp_put_open(const char *src, struct stat *st, int *code, char *m, size_t mlen)
{
	int std = !strcmp(src, "-");
	int fd = std ? fcntl(0, F_DUPFD_CLOEXEC, 3) : open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, st) < 0) {
		*code = NT_EXIT_IO;
		snprintf(m, mlen, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	const char *why = S_ISDIR(st->st_mode) ? FTP_PUT_DIR_MSG
			  : !std && (!S_ISREG(st->st_mode) || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
				  ? FTP_PUT_NOTREG_MSG
				  : NULL;
	if (why) {
		close(fd);
		*code = NT_EXIT_FAIL;
		snprintf(m, mlen, "%s", why);
		return -1;
	}
	return fd;
}
