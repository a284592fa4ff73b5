/* SPDX-License-Identifier: MIT */
/* check_mail_send.c - mail-send's message builder (applets/mail_send/msg.c) and its
 * SMTP reply-line parser (applets/mail_send/smtp.c), and the recipients' outcome read off
 * the replies (smtp_trace_feed, ms_rcpt_status). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../applets/mail_send/msg.h"
#include "../../applets/mail_send/mail_send.h"
#include "../../applets/mail_send/smtp.h"

static char *out_str(struct buf *b)
{
	char *s = malloc(buf_pending(b) + 1);
	memcpy(s, buf_head(b), buf_pending(b));
	s[buf_pending(b)] = 0;
	return s;
}

START_TEST(addresses)
{
	char err[200];
	ck_assert_int_eq(msg_check_addr("a@b.c", err, sizeof err), 0);
	ck_assert_int_eq(msg_check_addr("first.last+tag@sub.example.org", err, sizeof err), 0);
	ck_assert_int_eq(msg_check_addr("x@[192.0.2.1]", err, sizeof err), 0);
	ck_assert_int_eq(msg_check_addr("nobody", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no '@'"));
	ck_assert_int_eq(msg_check_addr("a b@c.d", err, sizeof err), -1);
	ck_assert_int_eq(msg_check_addr("a@b.c\r\nRCPT TO:<x@y>", err, sizeof err), -1);
	ck_assert_int_eq(msg_check_addr("@b.c", err, sizeof err), -1);
	ck_assert_int_eq(msg_check_addr("a@", err, sizeof err), -1);
	ck_assert_int_eq(msg_check_addr("a@b..c", err, sizeof err), -1);
	ck_assert_int_eq(msg_check_addr("<a@b.c>", err, sizeof err), -1);
	ck_assert_int_eq(msg_check_addr("a,b@c.d", err, sizeof err), -1);
	ck_assert_int_eq(msg_check_addr("j\xc3\xb6rg@b.c", err, sizeof err), -1);
	char big[300];
	memset(big, 'a', sizeof big);
	strcpy(big + 290, "@b.c");
	ck_assert_int_eq(msg_check_addr(big, err, sizeof err), -1);
}
END_TEST

START_TEST(address_lists)
{
	char err[200];
	struct strv v = {0};
	const char *l = " Ann <a@x.org>, \"Last, First\" <b@x.org> (work), c@x.org (Carl (the) Boss),"
			" team: d@x.org, <e@x.org>;, undisclosed-recipients:;, a@x.org";
	ck_assert_int_eq(msg_addr_list(l, strlen(l), &v, err, sizeof err), 5);
	ck_assert_str_eq(v.v[0], "a@x.org");
	ck_assert_str_eq(v.v[1], "b@x.org");
	ck_assert_str_eq(v.v[2], "c@x.org");
	ck_assert_str_eq(v.v[3], "d@x.org");
	ck_assert_str_eq(v.v[4], "e@x.org");
	strv_free(&v);
	const char *folded = "a@x.org,\r\n\tb@x.org";
	ck_assert_int_eq(msg_addr_list(folded, strlen(folded), &v, err, sizeof err), 2);
	strv_free(&v);
	const char *bad = "a@x.org, not an address";
	ck_assert_int_eq(msg_addr_list(bad, strlen(bad), &v, err, sizeof err), -1);
	strv_free(&v);
	const char *open = "Ann <a@x.org";
	ck_assert_int_eq(msg_addr_list(open, strlen(open), &v, err, sizeof err), -1);
	strv_free(&v);
	const char *route = "<@relay.example:a@x.org>";
	ck_assert_int_eq(msg_addr_list(route, strlen(route), &v, err, sizeof err), 1);
	ck_assert_str_eq(v.v[0], "a@x.org");
	strv_free(&v);
}
END_TEST

START_TEST(header_blocks)
{
	struct hblock hb;
	size_t off;
	const char *m = "From user Thu Nov 26 10:00:00 2026\nSubject: hi\n  there\nTo: a@b.c\n\nbody\n";
	ck_assert_int_eq(msg_parse_headers(m, strlen(m), &hb, &off), 1);
	ck_assert_uint_eq(hb.n, 2);
	ck_assert_str_eq(m + off, "body\n");
	const struct hfield *s = hblock_get(&hb, "SUBJECT");
	ck_assert_ptr_nonnull(s);
	char *v = msg_unfold(s->value, s->value_len);
	ck_assert_str_eq(v, "hi  there");
	free(v);
	hblock_free(&hb);
	/* Not a block: a body line with a colon but no known field; a line without a colon. */
	const char *b1 = "Note: call me\n\nthanks\n";
	ck_assert_int_eq(msg_parse_headers(b1, strlen(b1), &hb, &off), 0);
	ck_assert_uint_eq(off, 0);
	const char *b2 = "Subject: x\nthis is text\n";
	ck_assert_int_eq(msg_parse_headers(b2, strlen(b2), &hb, &off), 0);
	const char *b3 = " leading continuation\n";
	ck_assert_int_eq(msg_parse_headers(b3, strlen(b3), &hb, &off), 0);
	/* A block that ends at the end of the input. */
	const char *b4 = "Subject: only\r\n";
	ck_assert_int_eq(msg_parse_headers(b4, strlen(b4), &hb, &off), 1);
	ck_assert_uint_eq(off, strlen(b4));
	hblock_free(&hb);
	ck_assert_int_eq(msg_parse_headers("", 0, &hb, &off), 0);
}
END_TEST

START_TEST(encoded_words)
{
	struct buf b;
	buf_init(&b, 0);
	msg_put_text(&b, "plain subject", 9);
	char *s = out_str(&b);
	ck_assert_str_eq(s, "plain subject");
	free(s);
	buf_reset(&b);
	msg_put_text(&b, "Gr\xc3\xbc\xc3\x9f" "e", 9);
	s = out_str(&b);
	ck_assert_str_eq(s, "=?UTF-8?B?R3LDvMOfZQ==?=");
	free(s);
	buf_reset(&b);
	/* Long text: several words, each at most 75 characters, no UTF-8 sequence split. */
	char lng[400] = "";
	for (int i = 0; i < 40; i++)
		strcat(lng, "\xc3\xa4\xc3\xb6x");
	msg_put_text(&b, lng, 9);
	s = out_str(&b);
	int words = 0;
	for (char *w = strtok(s, "\r\n "); w; w = strtok(NULL, "\r\n ")) {
		ck_assert_uint_le(strlen(w), 75);
		ck_assert(!strncmp(w, "=?UTF-8?B?", 10));
		words++;
	}
	ck_assert_int_gt(words, 1);
	free(s);
	buf_reset(&b);
	msg_put_addr_phrases(&b, "J\xc3\xb6rg M\xc3\xbcller <j@x.org>, \"Doe, Jane\" <d@x.org>, plain@x.org (c),"
				 " Team \xc3\x84: a@x.org;", 4);
	s = out_str(&b);
	ck_assert_str_eq(s, "=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <j@x.org>, \"Doe, Jane\" <d@x.org>,\r\n plain@x.org (c),"
			    " =?UTF-8?B?VGVhbSDDhA==?=: a@x.org;");
	free(s);
	buf_reset(&b);
	msg_put_addr_phrases(&b, "\"R\xc3\xa9my \\\"R\\\"\" <r@x.org>", 4);
	s = out_str(&b);
	ck_assert_str_eq(s, "=?UTF-8?B?UsOpbXkgIlIi?= <r@x.org>");
	free(s);
	/* An unterminated quote or comment: the text is kept, encoded (it was dropped). */
	buf_reset(&b);
	msg_put_addr_phrases(&b, "\"J\xc3\xb6rg <a@b.c>", 4);
	s = out_str(&b);
	ck_assert_str_eq(s, "=?UTF-8?B?SsO2cmcgPGFAYi5jPg==?=");
	free(s);
	buf_reset(&b);
	msg_put_addr_phrases(&b, "x@y.z (J\xc3\xb6rg", 4);
	s = out_str(&b);
	ck_assert_str_eq(s, "x@y.z =?UTF-8?B?KErDtnJn?=");
	free(s);
	buf_reset(&b);
	msg_put_phrase(&b, "Doe, John", 6);
	s = out_str(&b);
	ck_assert_str_eq(s, "\"Doe, John\"");
	free(s);
	buf_reset(&b);
	msg_put_phrase(&b, "Ann", 6);
	s = out_str(&b);
	ck_assert_str_eq(s, "Ann");
	free(s);
	buf_free(&b);
}
END_TEST

START_TEST(bodies)
{
	struct buf b;
	buf_init(&b, 0);
	ck_assert_int_eq(msg_needs_qp("plain\nascii\r\n", 13), 0);
	ck_assert_int_eq(msg_needs_qp("caf\xc3\xa9\n", 6), 1);
	ck_assert_int_eq(msg_needs_qp("bare\rcr", 7), 1);
	ck_assert_int_eq(msg_needs_qp("nul\0x", 5), 1);
	char line[1000];
	memset(line, 'a', sizeof line);
	ck_assert_int_eq(msg_needs_qp(line, 998), 0);
	ck_assert_int_eq(msg_needs_qp(line, 999), 1);

	msg_put_crlf(&b, "a\nb\r\nc", 6);
	char *s = out_str(&b);
	ck_assert_str_eq(s, "a\r\nb\r\nc\r\n");
	free(s);
	buf_reset(&b);

	msg_put_qp(&b, "caf\xc3\xa9 = ok \nend\t", 16);
	s = out_str(&b);
	ck_assert_str_eq(s, "caf=C3=A9 =3D ok=20\r\nend=09\r\n");
	free(s);
	buf_reset(&b);
	msg_put_qp(&b, line, 200);
	s = out_str(&b);
	for (char *l = strtok(s, "\n"); l; l = strtok(NULL, "\n"))
		ck_assert_uint_le(strlen(l), 77); /* 76 + CR */
	free(s);
	buf_reset(&b);

	msg_put_base64(&b, (const unsigned char *)"hello", 5);
	s = out_str(&b);
	ck_assert_str_eq(s, "aGVsbG8=\r\n");
	free(s);
	buf_free(&b);
	ck_assert_str_eq(msg_mime_type("x.PDF"), "application/pdf");
	ck_assert_str_eq(msg_mime_type("noext"), "application/octet-stream");
}
END_TEST

static void in_init(struct msg_in *in)
{
	memset(in, 0, sizeof *in);
	in->from = "me@x.org";
	in->date = "Thu, 26 Nov 2026 10:00:00 +0000";
	in->msgid = "<id@x.org>";
	in->boundary = "=_b";
	in->keep_block = 1;
}

START_TEST(build_plain)
{
	struct msg_in in;
	in_init(&in);
	in.subject = "Hi";
	strv_push(&in.to, "a@x.org");
	strv_push(&in.bcc, "hidden@x.org");
	struct buf b;
	buf_init(&b, 0);
	struct strv r = {0};
	char err[200];
	ck_assert_int_eq(msg_build(&in, "body\n", 5, &b, &r, err, sizeof err), 0);
	char *s = out_str(&b);
	ck_assert_str_eq(s, "From: me@x.org\r\nTo: a@x.org\r\nSubject: Hi\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n"
			    "Message-ID: <id@x.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
			    "Content-Transfer-Encoding: 7bit\r\n\r\nbody\r\n");
	ck_assert_uint_eq(r.n, 2);
	ck_assert_str_eq(r.v[1], "hidden@x.org");
	free(s);
	buf_free(&b);
	strv_free(&r);
	strv_free(&in.to);
	strv_free(&in.bcc);
}
END_TEST

START_TEST(build_kept)
{
	struct msg_in in;
	in_init(&in);
	in.extract = 1;
	const char *m = "To: a@x.org\nBcc: b@x.org,\n c@x.org\nSubject: k\nDate: yesterday\n\nbody\n";
	struct buf b;
	buf_init(&b, 0);
	struct strv r = {0};
	char err[200];
	ck_assert_int_eq(msg_build(&in, m, strlen(m), &b, &r, err, sizeof err), 0);
	char *s = out_str(&b);
	ck_assert_str_eq(s, "To: a@x.org\r\nSubject: k\r\nDate: yesterday\r\nFrom: me@x.org\r\nMessage-ID: <id@x.org>\r\n"
			    "MIME-Version: 1.0\r\n\r\nbody\r\n");
	ck_assert_uint_eq(r.n, 3);
	free(s);
	buf_free(&b);
	strv_free(&r);

	/* -s conflicts with a Subject in the block; --header conflicts with a second Date. */
	in.subject = "again";
	buf_init(&b, 0);
	ck_assert_int_eq(msg_build(&in, m, strlen(m), &b, &r, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "Subject"));
	strv_free(&r);
	in.subject = NULL;
	strv_push(&in.headers, "Date: today");
	ck_assert_int_eq(msg_build(&in, m, strlen(m), &b, &r, err, sizeof err), -1);
	strv_free(&r);
	strv_free(&in.headers);
	strv_push(&in.headers, "Bcc: x@y.z");
	ck_assert_int_eq(msg_build(&in, m, strlen(m), &b, &r, err, sizeof err), -1);
	strv_free(&r);
	strv_free(&in.headers);
	/* A bare CR in a kept field cannot start a field of its own (found by the fuzzer). */
	const char *cr = "Subject: a\rBcc: x@y.z\nX-A: 1\r\n\tz\n\nb\n";
	buf_reset(&b);
	in.extract = 0;
	strv_push(&in.to, "t@x.org");
	ck_assert_int_eq(msg_build(&in, cr, strlen(cr), &b, &r, err, sizeof err), 0);
	s = out_str(&b);
	ck_assert_ptr_nonnull(strstr(s, "Subject: a Bcc: x@y.z\r\nX-A: 1\r\n\tz\r\n"));
	free(s);
	strv_free(&r);
	strv_free(&in.to);
	in.extract = 1;
	/* -t without a block. */
	ck_assert_int_eq(msg_build(&in, "just text\n", 10, &b, &r, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "-t"));
	strv_free(&r);
	buf_free(&b);
}
END_TEST

START_TEST(build_attach)
{
	struct msg_in in;
	in_init(&in);
	strv_push(&in.to, "a@x.org");
	struct attach a = {"r\xc3\xa9sum\xc3\xa9.txt", (const unsigned char *)"hi", 2};
	in.att = &a;
	in.natt = 1;
	struct buf b;
	buf_init(&b, 0);
	struct strv r = {0};
	char err[200];
	ck_assert_int_eq(msg_build(&in, "see\n", 4, &b, &r, err, sizeof err), 0);
	char *s = out_str(&b);
	ck_assert_ptr_nonnull(strstr(s, "Content-Type: multipart/mixed; boundary=\"=_b\"\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\n--=_b\r\nContent-Type: text/plain; charset=us-ascii\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.txt\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\n\r\naGk=\r\n\r\n--=_b--\r\n"));
	free(s);
	buf_free(&b);
	strv_free(&r);
	strv_free(&in.to);
}
END_TEST

START_TEST(envelope)
{
	struct buf b;
	buf_init(&b, 0);
	struct strv r = {0}, back = {0};
	strv_push(&r, "a@x.org");
	strv_push(&r, "b@x.org");
	msg_put_envelope(&b, "me@x.org", &r);
	ck_assert_int_eq(buf_append(&b, "Subject: s\r\n\r\nx\r\n", 17), 0);
	char *from, err[200];
	size_t off;
	ck_assert_int_eq(msg_parse_envelope(buf_head(&b), buf_pending(&b), &from, &back, &off, err, sizeof err), 0);
	ck_assert_str_eq(from, "me@x.org");
	ck_assert_uint_eq(back.n, 2);
	ck_assert_str_eq(back.v[1], "b@x.org");
	ck_assert_int_eq(memcmp(buf_head(&b) + off, "Subject: s", 10), 0);
	free(from);
	strv_free(&back);
	const char *bad[] = {"Subject: x\r\n", "X-Nettool-Envelope: <me@x.org>\r\n\r\n", "X-Nettool-Envelope: <me@x.org>\r\n <bad>\r\n",
			     "X-Nettool-Envelope: <me@x.org", NULL};
	for (int i = 0; bad[i]; i++) {
		ck_assert_int_eq(msg_parse_envelope(bad[i], strlen(bad[i]), &from, &back, &off, err, sizeof err), -1);
		ck_assert_ptr_null(from);
	}
	strv_free(&r);
	buf_free(&b);
}
END_TEST

START_TEST(reply_codes)
{
	int last;
	ck_assert_int_eq(smtp_reply_code("250 OK\r\n", 8, &last), 250);
	ck_assert_int_eq(last, 1);
	ck_assert_int_eq(smtp_reply_code("250-8BITMIME\r\n", 14, &last), 250);
	ck_assert_int_eq(last, 0);
	ck_assert_int_eq(smtp_reply_code("354", 3, &last), 354);
	ck_assert_int_eq(last, 1);
	ck_assert_int_eq(smtp_reply_code("25", 2, &last), 0);
	ck_assert_int_eq(smtp_reply_code("650 x", 5, &last), 0);
	ck_assert_int_eq(smtp_reply_code("25x x", 5, &last), 0);
	ck_assert_int_eq(smtp_reply_code("250x", 4, &last), 0);
}
END_TEST

/* The replies of one message, fed as libcurl's trace hands them over. */
static void feed(struct smtp_sess *ss, struct smtp_result *r, const char *const *lines, size_t n)
{
	memset(ss, 0, sizeof *ss);
	memset(r, 0, sizeof *r);
	r->rcpt = calloc(1, sizeof *r->rcpt);
	r->nrcpt = 1;
	ss->res = r;
	for (size_t i = 0; i < n; i++)
		smtp_trace_feed(ss, lines[i][0] == '>', lines[i] + 1, strlen(lines[i] + 1));
}

START_TEST(rcpt_outcome)
{
	struct smtp_sess ss;
	struct smtp_result r;
	const struct smtp_reply *why;
	const char *ok[] = {">MAIL FROM:<a@b>\r\n", "<250 OK\r\n", ">RCPT TO:<c@d>\r\n", "<250-2.1.5 one\r\n",
			    "<250 2.1.5 OK\r\n", ">DATA\r\n", "<354 go\r\n", "<250 2.0.0 queued\r\n"};
	feed(&ss, &r, ok, 8);
	ck_assert_int_eq(r.rcpt[0].code, 250);
	ck_assert_int_eq(r.final.code, 250);
	ck_assert_int_eq(ms_rcpt_status(&r, 0, &why), R_ACCEPTED);
	smtp_result_free(&r);
	/* A second 354 after the data: the server did not take the message (it stays queued). */
	const char *again[] = {">MAIL FROM:<a@b>\r\n", "<250 OK\r\n", ">RCPT TO:<c@d>\r\n", "<250 OK\r\n",
			       ">DATA\r\n", "<354 go\r\n", "<354 again\r\n"};
	feed(&ss, &r, again, 7);
	ck_assert_int_eq(r.final.code, 354);
	ck_assert_int_eq(ms_rcpt_status(&r, 0, &why), R_DEFERRED);
	ck_assert_int_eq(why->code, 354);
	smtp_result_free(&r);
	const char *refused[] = {">MAIL FROM:<a@b>\r\n", "<250 OK\r\n", ">RCPT TO:<c@d>\r\n", "<250 OK\r\n",
				 ">DATA\r\n", "<354 go\r\n", "<554 5.6.0 no\r\n"};
	feed(&ss, &r, refused, 7);
	ck_assert_int_eq(ms_rcpt_status(&r, 0, &why), R_REFUSED);
	smtp_result_free(&r);
}
END_TEST

Suite *suite_mail_send(void)
{
	Suite *s = suite_create("mail_send");
	TCase *t = tcase_create("msg");
	tcase_add_test(t, addresses);
	tcase_add_test(t, address_lists);
	tcase_add_test(t, header_blocks);
	tcase_add_test(t, encoded_words);
	tcase_add_test(t, bodies);
	tcase_add_test(t, build_plain);
	tcase_add_test(t, build_kept);
	tcase_add_test(t, build_attach);
	tcase_add_test(t, envelope);
	tcase_add_test(t, reply_codes);
	tcase_add_test(t, rcpt_outcome);
	suite_add_tcase(s, t);
	return s;
}
