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
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "ftp.h"
#include "nt_err.h"

static size_t put_read(char *d, size_t sz, size_t nm, void *u)
{
	struct slot *s = u;
	ssize_t r;
	size_t want = sz * nm;
	if (ftp_cf.limit_rate > 0 && want > 16384)
		want = 16384;
	if (eng_rate_pause(s, want))
		return CURL_READFUNC_PAUSE;
	do
		r = read(s->infd, d, want);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		nt_warn_sys("read %s", s->job.src);
		return CURL_READFUNC_ABORT;
	}
	s->bytes += (size_t)r;
	s->e->prog.bytes_done += (size_t)r;
	return (size_t)r;
}

static int put_seek(void *u, curl_off_t off, int origin)
{
	struct slot *s = u;
	return lseek(s->infd, (off_t)off, origin) < 0 ? CURL_SEEKFUNC_CANTSEEK : CURL_SEEKFUNC_OK;
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
	if (ftp_cf.create_dirs)
		curl_easy_setopt(s->h, CURLOPT_FTP_CREATE_MISSING_DIRS, (long)CURLFTP_CREATE_DIR_RETRY);
	if (ftp_cf.resume)
		curl_easy_setopt(s->h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)-1);
	s->run1 = 1;
	eng_add(e, s->h, s);
	return 0;
}
