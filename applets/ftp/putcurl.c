/* SPDX-License-Identifier: MIT */
/* putcurl.c - a put on libcurl's path: TLS, proxies, stdin, --resume, --create-dirs,
 * --limit-rate, --active, --ascii, -v (putpipe.c's own connections take plain FTP's
 * regular files). With --atomic the file goes to durable.c's temporary name, its SIZE
 * asked after the STOR, and the rename follows only when that is the size sent (sess.c
 * ftp_tmp_size_check; the engine's finished runs it).
 *
 * Header: applets/ftp/engine.h    Man page: man/nettool-ftp.1    Tests: tests/integration/ftp_putpipe.sh
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "ftp.h"
#include "nt_err.h"
#include "out.h"
#include "stopsig.h"

static size_t put_read(char *d, size_t sz, size_t nm, void *u)
{
	struct slot *s = u;
	ssize_t r;
	size_t want = sz * nm;
	if (ftp_cf.limit_rate > 0 && want > 16384)
		want = 16384;
	if (eng_rate_pause(s, want))
		return CURL_READFUNC_PAUSE;
	r = stopsig_io(s->infd, d, want, 0); /* a producer that stalls: given up at a stop */
	if (r < 0 && stopsig_due()) {
		s->werr = WERR_STOP; /* the stop's (engine.c deadline_cut): it says it, cleans up */
		return CURL_READFUNC_ABORT;
	}
	if (r < 0) {
		nt_warn_sys("read %s", s->job.src);
		return CURL_READFUNC_ABORT;
	}
	if (!r)
		s->put_eof = 1;
	s->bytes += (size_t)r;
	s->e->prog.bytes_done += (size_t)r;
	return (size_t)r;
}

/* A signal while libcurl waits for the 226 of a put whose data are all out: that wait
 * is inside libcurl (its transfer's end), where the engine's loop cannot stop it (Ctrl-C
 * waited for the 5 s bound, said nothing of the file); libcurl asks this between its
 * polls (the stop's timer interrupts them): the put handed to the stop (engine.c
 * deadline_cut, WERR_STOP), which waits for the server's size to settle. During the
 * data the loop's stop resets the connection first: not aborted here. */
static int put_progress(void *u, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct slot *s = u;
	(void)dt, (void)dn;
	if (ut > 0 && un >= ut) /* a size known (a file): libcurl reads no end of file, it stops at it */
		s->put_eof = 1;
	if (s->put_eof && stopsig_got()) {
		s->werr = WERR_STOP;
		return 1;
	}
	return 0;
}

static int put_seek(void *u, curl_off_t off, int origin)
{
	struct slot *s = u;
	return lseek(s->infd, (off_t)off, origin) < 0 ? CURL_SEEKFUNC_CANTSEEK : CURL_SEEKFUNC_OK;
}

static int put_sockopt(void *u, curl_socket_t fd, curlsocktype purpose)
{
	(void)purpose;
	((struct slot *)u)->curl_sock = fd;
	return CURL_SOCKOPT_OK;
}

/* libcurl's trace, for the STOR (APPE) going out: a put stopped before it was never begun
 * (engine.c's stop says "not started", nothing of it on the server). -v's trace goes on. */
static int put_debug(CURL *h, curl_infotype type, char *data, size_t size, void *u)
{
	struct slot *s = u;
	if (type == CURLINFO_HEADER_OUT && size >= 5 && (!memcmp(data, "STOR ", 5) || !memcmp(data, "APPE ", 5)))
		s->stor_sent = 1;
	const struct xfer_opts *x = &s->e->a->x;
	return x->verbose || x->watch ? xfer_debug_cb(h, type, data, size, x->watch) : 0;
}

void eng_put_curl_reset(struct slot *s)
{
	/* The last socket libcurl opened for this file, when it is not the control
	 * connection as libcurl tells it (CURLINFO_ACTIVESOCKET, -1 during a transfer
	 * here: then the check is only that a socket was opened): the data connection of
	 * a reused control connection, or of a new one after its control. A put that is
	 * stopped is still in its data phase or before it (libcurl waits for the 226
	 * inside one call), so that socket is open; when it is the control connection
	 * (stopped before the data connection), its reset does no harm: libcurl closes a
	 * connection whose transfer was removed unfinished. libcurl sends no ABOR for an
	 * upload and has no call for one. */
	curl_socket_t ctl = CURL_SOCKET_BAD;
	/* All its data handed to libcurl: libcurl ends the data connection itself (FIN)
	 * before it waits for the 226, and that socket's number may be another's by now:
	 * nothing reset (the stop's settle waits for the server as after a reset). */
	if (s->put_eof)
		return;
	if (s->curl_sock < 0 || curl_easy_getinfo(s->h, CURLINFO_ACTIVESOCKET, &ctl) != CURLE_OK || ctl == s->curl_sock)
		return;
	struct linger lg = {1, 0};
	setsockopt(s->curl_sock, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/* Readings of the sizes this far apart: vsftpd writes 64 KiB at a time, each 65 ms at
 * 1 MB/s (anon_max_rate), each 260 ms at 250 KB/s (a review: 150 ms apart, two readings
 * agreed while it still wrote). A server slower than some 160 KB/s can still pass for
 * done (the man page says so). */
#define SETTLE_GAP_MS 400

void eng_put_curl_settle(struct engine *e, struct slot **v, int n)
{
	/* Reset, the data connection drops what our kernel held, not what the server's had
	 * received: its session goes on writing that (vsftpd: up to 1.3 MB after exit at 1 MB/s;
	 * libcurl sends no ABOR, and closes the control connection without a reply awaited). A
	 * put -c at once then read a SIZE still growing and appended at the wrong offset. */
	long long until = ftp_now_ms() + PUT_SETTLE_MS;
	int64_t *last = xcalloc((size_t)n, sizeof *last);
	int left = n;
	for (int i = 0; i < n; i++)
		v[i]->held = PUT_HELD_UNSURE, last[i] = -1;
	e->a->stat_until = until; /* one SIZE that hangs: cut at the bound too */
	while (left) {
		for (int i = 0; i < n; i++) {
			int64_t sz = -1;
			if (v[i]->held != PUT_HELD_UNSURE || last[i] == -2)
				continue;
			if (ftp_stat(e->a, v[i]->job.dst, &sz, NULL) != CURLE_OK || sz < 0)
				sz = -2, left--; /* not told: asked no more, said unsure */
			else if (sz == last[i])
				v[i]->held = sz, left--;
			last[i] = sz;
		}
		long long now = ftp_now_ms();
		if (!left || now + SETTLE_GAP_MS > until)
			break;
		struct timespec ts = {0, SETTLE_GAP_MS * 1000000L};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	e->a->stat_until = 0;
	free(last);
}

/* The put of slot s (its file open in s->infd, st its stat) begun on libcurl's handle. */
int eng_put_curl(struct engine *e, struct slot *s, const struct stat *st)
{
	const struct job *j = &s->job;
	ftp_prep(e->a, s->h, &s->hdr, s->err);
	const char *dst = j->dst;
	char *tmp = NULL;
	if (ftp_cf.atomic > 0) {
		/* Upload to a hidden name in the same folder, its SIZE asked after the
		 * STOR; renamed (phase 1) only when that is the size sent (finished). The
		 * name is durable.c's (the journal's tag, as a copy's): a rerun stores to
		 * the temporary a killed run left and renames it. */
		tmp = ftp_dur_remote_tmp(dst);
		s->q = ftp_tmp_size_quote(s->h, j->dst);
		dst = tmp;
	}
	if (ftp_cf.resume && S_ISREG(st->st_mode)) {
		/* APPE appends what the server's SIZE says is missing: a file there larger than
		 * ours is another file (refused, nothing sent); after the 226 its SIZE must be
		 * ours (finished: ftp_tmp_size_check, as --atomic's), else a session still
		 * writing or another writer made something else of it. */
		int64_t have = -1;
		if (ftp_stat(e->a, dst, &have, NULL) == CURLE_OK && have > (int64_t)st->st_size) {
			char m[900], name[300];
			out_clean(name, sizeof name, dst, strlen(dst), 0);
			snprintf(m, sizeof m,
				 "--resume: %s on %s holds %lld bytes, more than the local file's %lld: it does not match "
				 "(another file, or more than this one): nothing sent",
				 name, ftp_site_name(e->a), (long long)have, (long long)st->st_size);
			free(tmp);
			eng_fail(e, s, NT_EXIT_FAIL, m);
			return -1;
		}
		s->resume_at = st->st_size;
		if (!s->q)
			s->q = ftp_size_quote(s->h, dst);
	}
	s->url = ftp_url(e->a, dst, 0);
	free(tmp);
	curl_easy_setopt(s->h, CURLOPT_URL, s->url);
	curl_easy_setopt(s->h, CURLOPT_UPLOAD, 1L);
	if (S_ISREG(st->st_mode))
		curl_easy_setopt(s->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st->st_size);
	if (e->src->total == 1 && S_ISREG(st->st_mode))
		e->prog.bytes_total = (uint64_t)st->st_size;
	curl_easy_setopt(s->h, CURLOPT_READFUNCTION, put_read);
	curl_easy_setopt(s->h, CURLOPT_READDATA, s);
	curl_easy_setopt(s->h, CURLOPT_SEEKFUNCTION, put_seek);
	curl_easy_setopt(s->h, CURLOPT_SEEKDATA, s);
	s->curl_sock = -1;
	s->stor_sent = 0;
	s->put_eof = 0;
	curl_easy_setopt(s->h, CURLOPT_XFERINFOFUNCTION, put_progress);
	curl_easy_setopt(s->h, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(s->h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s->h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(s->h, CURLOPT_DEBUGFUNCTION, put_debug);
	curl_easy_setopt(s->h, CURLOPT_DEBUGDATA, s);
	curl_easy_setopt(s->h, CURLOPT_SOCKOPTFUNCTION, put_sockopt);
	curl_easy_setopt(s->h, CURLOPT_SOCKOPTDATA, s);
	if (ftp_cf.create_dirs)
		curl_easy_setopt(s->h, CURLOPT_FTP_CREATE_MISSING_DIRS, (long)CURLFTP_CREATE_DIR_RETRY);
	if (ftp_cf.resume)
		curl_easy_setopt(s->h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)-1);
	s->run1 = 1;
	eng_add(e, s->h, s);
	return 0;
}
