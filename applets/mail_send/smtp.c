/* SPDX-License-Identifier: MIT */
/* smtp.c - mail-send's SMTP session over libcurl: one easy handle (so one connection,
 * reused between messages), every recipient tried (MAIL_RCPT_ALLOWFAILS), and the replies
 * to MAIL, RCPT and the end of DATA read off libcurl's protocol trace, because libcurl
 * reports only the transfer's overall result.
 *
 * Header: applets/mail_send/smtp.h    Tests: tests/integration/mail_send*.sh,
 * tests/fuzz/fuzz_mail_send_reply.c (smtp_trace_feed)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "nt_err.h"
#include "smtp.h"

/* libcurl before 8.2.0 spells the option with three L (see the libcurl 7.88 notes). */
#if LIBCURL_VERSION_NUM < 0x080200
#define NT_MAIL_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#else
#define NT_MAIL_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#endif

enum { ST_OTHER, ST_MAIL, ST_RCPT, ST_DATA, ST_EOD };

int smtp_reply_code(const char *line, size_t n, int *last)
{
	*last = 0;
	if (n < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' ||
	    line[2] > '9')
		return 0;
	if (n == 3 || line[3] == ' ' || line[3] == '\r' || line[3] == '\n')
		*last = 1;
	else if (line[3] != '-')
		return 0;
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

static void record(struct smtp_sess *s, const char *line, size_t n)
{
	int last;
	int code = smtp_reply_code(line, n, &last);
	if (!code || !last)
		return;
	struct smtp_result *r = s->res;
	struct smtp_reply *rp;
	switch (s->stage) {
	case ST_MAIL: rp = &r->mail; break;
	case ST_RCPT: rp = s->rcpt_i < r->nrcpt ? &r->rcpt[s->rcpt_i++] : &r->other; break;
	case ST_DATA:
		rp = &r->data;
		if (code == 354)
			s->stage = ST_EOD;
		break;
	case ST_EOD: rp = &r->final; s->stage = ST_OTHER; break;
	default: rp = &r->other; break;
	}
	rp->code = code;
	nt_clean_text(rp->text, sizeof rp->text, line, n);
}

void smtp_trace_feed(struct smtp_sess *s, int out, const char *data, size_t size)
{
	while (size) {
		const char *nl = memchr(data, '\n', size);
		size_t n = nl ? (size_t)(nl - data) + 1 : size;
		if (out) {
			if (n >= 10 && !strncasecmp(data, "MAIL FROM:", 10))
				s->stage = ST_MAIL;
			else if (n >= 8 && !strncasecmp(data, "RCPT TO:", 8))
				s->stage = ST_RCPT;
			else if (n >= 4 && !strncasecmp(data, "DATA", 4) && (n == 4 || data[4] == '\r' || data[4] == '\n'))
				s->stage = ST_DATA;
			else if (data[0] != '.' && data[0] != '\r')
				s->stage = ST_OTHER;
		} else {
			record(s, data, n);
		}
		data += n;
		size -= n;
	}
}

static int trace(CURL *h, curl_infotype type, char *data, size_t size, void *userp)
{
	struct smtp_sess *s = userp;
	if (type == CURLINFO_HEADER_OUT && size >= 5 && (!strncasecmp(data, "EHLO ", 5) || !strncasecmp(data, "HELO ", 5)))
		s->sess_login = 0; /* a new session (a new connection, or after STARTTLS) */
	if (s->verbose || s->watch)
		xfer_debug_cb(h, type, data, size, s->watch); /* prints with -v only */
	if (s->watch && s->watch->login_sent)
		s->sess_login = 1;
	if (s->res && (type == CURLINFO_HEADER_OUT || type == CURLINFO_HEADER_IN))
		smtp_trace_feed(s, type == CURLINFO_HEADER_OUT, data, size);
	return 0;
}

static size_t upload(char *buf, size_t size, size_t nitems, void *userp)
{
	struct smtp_sess *s = userp;
	if (s->need_login && !s->sess_login) {
		s->res->no_login = 1; /* DATA without the final dot: the server delivers nothing */
		return CURL_READFUNC_ABORT;
	}
	size_t want = size * nitems, left = s->len - s->off;
	if (want > left)
		want = left;
	if (want == left && s->before_end && !s->end_called) {
		s->end_called = 1;
		if (s->before_end(s->before_end_arg) < 0)
			return CURL_READFUNC_ABORT;
	}
	memcpy(buf, s->data + s->off, want);
	s->off += want;
	return want;
}

int smtp_open(struct smtp_sess *s, const char *url, const char *host, const struct xfer_opts *xo, char *err,
	      size_t errlen)
{
	memset(s, 0, sizeof *s);
	xfer_global_init();
	if (!(s->h = curl_easy_init())) {
		snprintf(err, errlen, "libcurl: cannot make a handle");
		return -1;
	}
	int r = xfer_setup(s->h, xo, host, NULL, err, errlen);
	if (r < 0) {
		curl_easy_cleanup(s->h);
		s->h = NULL;
		return r;
	}
	s->verbose = xo->verbose;
	s->watch = xo->watch;
	curl_easy_setopt(s->h, CURLOPT_URL, url);
	curl_easy_setopt(s->h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(s->h, CURLOPT_READFUNCTION, upload);
	curl_easy_setopt(s->h, CURLOPT_READDATA, s);
	curl_easy_setopt(s->h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(s->h, CURLOPT_DEBUGFUNCTION, trace);
	curl_easy_setopt(s->h, CURLOPT_DEBUGDATA, s);
	curl_easy_setopt(s->h, NT_MAIL_RCPT_ALLOWFAILS, 1L);
	return 0;
}

void smtp_result_free(struct smtp_result *res)
{
	free(res->rcpt);
	res->rcpt = NULL;
}

static CURLcode perform(struct smtp_sess *s, struct smtp_result *res, size_t nrcpt, long *newconns)
{
	struct smtp_reply *keep = res->rcpt;
	memset(res, 0, sizeof *res);
	res->rcpt = keep;
	memset(res->rcpt, 0, nrcpt * sizeof *res->rcpt);
	res->nrcpt = nrcpt;
	s->res = res;
	s->stage = ST_OTHER;
	s->rcpt_i = 0;
	s->off = 0;
	s->end_called = 0;
	if (s->watch)
		memset(s->watch, 0, sizeof *s->watch);
	curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, res->errbuf);
	res->rc = curl_easy_perform(s->h);
	curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, NULL);
	s->res = NULL;
	long n = 0;
	curl_easy_getinfo(s->h, CURLINFO_NUM_CONNECTS, &n);
	*newconns = n;
	s->connects += n;
	return res->rc;
}

CURLcode smtp_send(struct smtp_sess *s, const char *from, const struct strv *rcpts, const char *msg, size_t len,
		   struct smtp_result *res)
{
	char *mf = xasprintf("<%s>", from);
	curl_slist_free_all(s->rcpts);
	s->rcpts = NULL;
	for (size_t i = 0; i < rcpts->n; i++) {
		char *r = xasprintf("<%s>", rcpts->v[i]);
		s->rcpts = curl_slist_append(s->rcpts, r);
		free(r);
	}
	curl_easy_setopt(s->h, CURLOPT_MAIL_FROM, mf);
	curl_easy_setopt(s->h, CURLOPT_MAIL_RCPT, s->rcpts);
	curl_easy_setopt(s->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	s->data = msg;
	s->len = len;
	res->rcpt = xcalloc(rcpts->n ? rcpts->n : 1, sizeof *res->rcpt);
	long fresh;
	perform(s, res, rcpts->n, &fresh);
	/* A reused connection the server had closed: nothing was said yet, try once anew. */
	if (res->rc != CURLE_OK && !fresh && !res->mail.code && s->connects > 0) {
		curl_easy_setopt(s->h, CURLOPT_FRESH_CONNECT, 1L);
		perform(s, res, rcpts->n, &fresh);
		curl_easy_setopt(s->h, CURLOPT_FRESH_CONNECT, 0L);
	}
	/* The OAuth2 token refused (expired, as a rule): one new run of the command, one new
	 * login. Nothing was sent before the login. */
	if (res->rc == CURLE_LOGIN_DENIED && s->oauth && oauth2_token_refused(s->watch)) {
		char err[512];
		int fr = oauth2_refresh(s->oauth, err, sizeof err);
		if (fr < 0)
			die(-fr, "%s", err);
		if (fr == 1) {
			log_trace("the server refused the OAuth2 token; --oauth2-token-cmd ran again for a new one");
			curl_easy_setopt(s->h, CURLOPT_XOAUTH2_BEARER, s->oauth->token);
			perform(s, res, rcpts->n, &fresh);
		}
	}
	free(mf);
	return res->rc;
}

void smtp_close(struct smtp_sess *s)
{
	if (s->h)
		curl_easy_cleanup(s->h);
	curl_slist_free_all(s->rcpts);
	memset(s, 0, sizeof *s);
}
