/* SPDX-License-Identifier: MIT */
/* fuzz_mail_send_reply.c - libFuzzer harness for mail-send's reading of the SMTP replies
 * as libcurl hands them over its protocol trace (smtp_trace_feed: which reply answers MAIL,
 * each RCPT, DATA and the end of the data; multi-line replies recorded by their last line)
 * and the queue's bookkeeping on top of it (ms_rcpt_status, ms_server_decided: which
 * recipient counts as accepted, deferred or refused, so what leaves the queue).
 * The input is a transcript, one line each: "C: COMMAND" went out, "S: REPLY" (or any
 * other line) came in; the number of recipients is the number of "C: RCPT" lines.
 * Checks: the same result whether the server's lines come one by one or in one piece;
 * every recorded code is 0 or 200-599 with text that is one line of printable text; and a
 * recipient counts as accepted only when the server gave a 2xx to the end of the data
 * (anything else would take from the queue a message the server never took).
 * Seeds: tests/fuzz/corpus/fuzz_mail_send_reply/ (aiosmtpd transcripts from mail-send -v). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail_send/mail_send.h"
#include "mail_send/smtp.h"

#define MAX_RCPT 64

static void check_reply(const struct smtp_reply *r)
{
	if (r->code && (r->code < 200 || r->code > 599))
		abort();
	size_t n = strnlen(r->text, sizeof r->text);
	if (n == sizeof r->text)
		abort(); /* not terminated */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)r->text[i] < 0x20 || r->text[i] == 0x7f)
			abort();
	if (!r->code && n)
		abort();
}

static void feed_copy(struct smtp_sess *s, int out, const char *p, size_t n)
{
	/* an exact-size copy, so that ASan sees any overread */
	char *c = malloc(n ? n : 1);
	memcpy(c, p, n);
	smtp_trace_feed(s, out, c, n);
	free(c);
}

/* Run the transcript; whole: the server's consecutive lines handed over in one piece. */
static void run(const uint8_t *data, size_t size, size_t nrcpt, int whole, struct smtp_result *res)
{
	struct smtp_sess s;
	memset(&s, 0, sizeof s);
	memset(res, 0, sizeof *res);
	res->rcpt = calloc(nrcpt ? nrcpt : 1, sizeof *res->rcpt);
	res->nrcpt = nrcpt;
	s.res = res;
	char *in = malloc(size ? size : 1); /* the server lines not yet handed over */
	size_t nin = 0;
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		int out = next - p >= 3 && !memcmp(p, "C: ", 3);
		const char *body = out || (next - p >= 3 && !memcmp(p, "S: ", 3)) ? p + 3 : p;
		if (out || !whole) {
			if (nin)
				feed_copy(&s, 0, in, nin);
			nin = 0;
		}
		if (out) {
			feed_copy(&s, 1, body, (size_t)(next - body));
		} else {
			memcpy(in + nin, body, (size_t)(next - body));
			nin += (size_t)(next - body);
		}
		p = next;
	}
	if (nin)
		feed_copy(&s, 0, in, nin);
	free(in);
}

static int same(const struct smtp_reply *a, const struct smtp_reply *b)
{
	return a->code == b->code && !strcmp(a->text, b->text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nrcpt = 0;
	for (size_t i = 0; i + 10 < size; i++)
		if ((i == 0 || data[i - 1] == '\n') && !strncasecmp((const char *)data + i, "C: RCPT TO:", 11))
			nrcpt++;
	if (nrcpt > MAX_RCPT)
		return 0;
	struct smtp_result a, b;
	run(data, size, nrcpt, 0, &a);
	run(data, size, nrcpt, 1, &b);
	check_reply(&a.mail), check_reply(&a.data), check_reply(&a.final), check_reply(&a.other);
	if (!same(&a.mail, &b.mail) || !same(&a.data, &b.data) || !same(&a.final, &b.final))
		abort();
	(void)ms_server_decided(&a);
	for (size_t i = 0; i < nrcpt; i++) {
		check_reply(&a.rcpt[i]);
		if (!same(&a.rcpt[i], &b.rcpt[i]))
			abort();
		const struct smtp_reply *why = NULL;
		enum rstat st = ms_rcpt_status(&a, i, &why);
		if (!why || (st != R_ACCEPTED && st != R_DEFERRED && st != R_REFUSED))
			abort();
		if (st == R_ACCEPTED && (a.final.code < 200 || a.final.code > 299))
			abort(); /* taken out of the queue though the server did not take the message */
		if (st == R_REFUSED && why->code < 500)
			abort(); /* refused for good only on a 5xx */
	}
	smtp_result_free(&a);
	smtp_result_free(&b);
	return 0;
}
