/* SPDX-License-Identifier: MIT */
/* msg.c - assembling mail-send's messages: the header block of the input, the fields the
 * options add, the body and attachments, and the queue's envelope line. Addresses are
 * address.c's, encoders encode.c's; every parser here is bounded by its input length.
 *
 * Header: applets/mail_send/msg.h    Tests: tests/unit/check_mail_send.c,
 * tests/fuzz/fuzz_mail_send_headers.c    References: RFC 5322 (fields, address lists),
 * RFC 2045 (quoted-printable, base64), RFC 2046 (multipart), RFC 2047 (encoded words),
 * RFC 2231 (non-ASCII file names).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "nt_err.h"

/* ---- header block ---- */

void hblock_free(struct hblock *hb)
{
	free(hb->f);
	memset(hb, 0, sizeof *hb);
}

const struct hfield *hblock_get(const struct hblock *hb, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < hb->n; i++)
		if (hb->f[i].name_len == nl && !strncasecmp(hb->f[i].name, name, nl))
			return &hb->f[i];
	return NULL;
}

int msg_name_is(const struct hfield *f, const char *name)
{
	size_t nl = strlen(name);
	return f->name_len == nl && !strncasecmp(f->name, name, nl);
}

static const char *const known_fields[] = {
	"from", "to", "cc", "bcc", "subject", "date", "message-id", "reply-to", "sender",
	"mime-version", "content-type", "content-transfer-encoding", "in-reply-to", "references",
	"received", "return-path", "resent-from", "resent-to", "resent-date", "list-id",
	"user-agent", "precedence", "auto-submitted", "keywords", "comments", "organization", NULL,
};

static int known_name(const char *p, size_t n)
{
	if (n > 2 && (p[0] == 'x' || p[0] == 'X') && p[1] == '-')
		return 1;
	for (const char *const *k = known_fields; *k; k++)
		if (strlen(*k) == n && !strncasecmp(*k, p, n))
			return 1;
	return 0;
}

/* Length of the line at p (up to and including LF), or to the end. */
static size_t line_len(const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);
	return nl ? (size_t)(nl - p) + 1 : n;
}

/* Line content length without LF or CRLF. */
static size_t line_body(const char *p, size_t len)
{
	if (len && p[len - 1] == '\n')
		len--;
	if (len && p[len - 1] == '\r')
		len--;
	return len;
}

int msg_parse_headers(const char *p, size_t n, struct hblock *hb, size_t *body_off)
{
	memset(hb, 0, sizeof *hb);
	size_t off = 0, known = 0;
	/* An mbox "From " separator line (sendmail skips it too). */
	if (n >= 5 && !memcmp(p, "From ", 5))
		off = line_len(p, n);
	size_t start = off;
	while (off < n) {
		size_t ll = line_len(p + off, n - off);
		size_t lb = line_body(p + off, ll);
		const char *l = p + off;
		if (lb == 0) { /* the empty line ends the block */
			off += ll;
			break;
		}
		if (l[0] == ' ' || l[0] == '\t') {
			if (!hb->n)
				goto not_block;
			struct hfield *f = &hb->f[hb->n - 1];
			f->value_len = (size_t)(l + lb - f->value);
		} else {
			size_t k = 0;
			while (k < lb && l[k] != ':' && l[k] > 32 && l[k] < 127)
				k++;
			if (k == 0 || k >= lb || l[k] != ':')
				goto not_block;
			if (hb->n >= MSG_MAX_FIELDS)
				goto not_block;
			if (hb->n == hb->cap) {
				hb->cap = hb->cap ? hb->cap * 2 : 16;
				hb->f = xrealloc(hb->f, hb->cap * sizeof *hb->f);
			}
			struct hfield *f = &hb->f[hb->n++];
			f->name = l;
			f->name_len = k;
			f->value = l + k + 1;
			f->value_len = lb - k - 1;
			known += known_name(l, k);
		}
		off += ll;
	}
	if (!hb->n || !known || start == n)
		goto not_block;
	*body_off = off;
	return 1;
not_block:
	hblock_free(hb);
	*body_off = 0;
	return 0;
}

char *msg_unfold(const char *v, size_t n)
{
	char *s = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] != '\r' && v[i] != '\n')
			s[o++] = v[i];
	s[o] = 0;
	size_t a = 0;
	while (a < o && (s[a] == ' ' || s[a] == '\t'))
		a++;
	while (o > a && (s[o - 1] == ' ' || s[o - 1] == '\t'))
		o--;
	memmove(s, s + a, o - a);
	s[o - a] = 0;
	return s;
}

/* ---- the message ---- */

/* Fields that may appear once: --header cannot add a second one. */
static int single_field(const char *name, size_t n)
{
	static const char *const one[] = {"from", "sender", "reply-to", "to", "cc", "bcc", "message-id",
					   "in-reply-to", "references", "subject", "date", "mime-version",
					   "content-type", "content-transfer-encoding", NULL};
	for (const char *const *k = one; *k; k++)
		if (strlen(*k) == n && !strncasecmp(*k, name, n))
			return 1;
	return 0;
}

static int is_content_field(const struct hfield *f)
{
	return f->name_len > 8 && !strncasecmp(f->name, "content-", 8);
}

static int name_in(const struct hfield *f, const char *const *list)
{
	for (; *list; list++)
		if (msg_name_is(f, *list))
			return 1;
	return 0;
}

/* Fields whose value is an address list. */
static int is_addr_field(const struct hfield *f)
{
	static const char *const a[] = {"from", "sender", "reply-to", "to", "cc", "bcc", "resent-from", "resent-sender",
					"resent-to", "resent-cc", "resent-bcc", NULL};
	return name_in(f, a);
}

/* Structured fields (RFC 5322 3.6, RFC 2045, ...): RFC 2047 words cannot replace their
 * whole value. Every other field (Subject, Comments, X-..., ...) is unstructured text. */
static int is_structured(const struct hfield *f)
{
	static const char *const st[] = {"message-id", "in-reply-to", "references", "date", "resent-date",
					 "resent-message-id", "received", "return-path", "mime-version",
					 "dkim-signature", "authentication-results", NULL};
	return is_addr_field(f) || is_content_field(f) || name_in(f, st) ||
	       (f->name_len > 5 && !strncasecmp(f->name, "list-", 5)) ||
	       (f->name_len > 4 && !strncasecmp(f->name, "arc-", 4));
}

/* A structured value with 8-bit text: each run between white space and the delimiters
 * " ( ) ; < > , = that holds a byte >= 0x80 becomes RFC 2047 words (the header stays
 * ASCII, quotes stay balanced: filename="Bericht =?UTF-8?B?...?=", as mail readers
 * decode it); the rest is kept. */
static void put_tokens_8bit(struct buf *out, const char *s)
{
	static const char delim[] = " \t\"();<>,=";
	size_t n = strlen(s), i = 0;
	while (i < n) {
		size_t w = i;
		int eight = 0;
		while (w < n && !strchr(delim, s[w]))
			eight |= (unsigned char)s[w++] >= 0x80;
		if (eight) {
			char *t = xstrndup(s + i, w - i);
			msg_put_words(out, t, 1);
			free(t);
		} else {
			msg_put(out, s + i, w - i);
		}
		while (w < n && strchr(delim, s[w]))
			msg_put(out, &s[w++], 1);
		i = w;
	}
}

/* Copy a field with CRLF line ends; a value with 8-bit text is encoded instead (display
 * names and unstructured text as RFC 2047 words). add_space: a value that does not start
 * with white space gets one after the colon (--header "Name:value"). */
static void put_field(struct buf *out, const struct hfield *f, int add_space)
{
	msg_put(out, f->name, f->name_len);
	msg_put(out, ":", 1);
	size_t col = f->name_len + 2;
	int eight = 0;
	for (size_t i = 0; i < f->value_len; i++)
		if ((unsigned char)f->value[i] >= 0x80)
			eight = 1;
	if (eight) {
		char *s = msg_unfold(f->value, f->value_len);
		msg_put(out, " ", 1);
		if (is_addr_field(f))
			msg_put_addr_phrases(out, s, col); /* display names in UTF-8 become RFC 2047 words */
		else if (!is_structured(f))
			msg_put_text(out, s, col);
		else
			put_tokens_8bit(out, s);
		free(s);
		msg_puts(out, "\r\n");
		return;
	}
	/* Line ends become CRLF (the parser made sure a continuation follows each); a bare
	 * CR or a NUL becomes a space, so that it cannot start a field of its own. */
	const char *v = f->value;
	size_t n = f->value_len;
	if (add_space && n && v[0] != ' ' && v[0] != '\t')
		msg_put(out, " ", 1);
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\r' && i + 1 < n && v[i + 1] == '\n')
			continue;
		if (v[i] == '\n')
			msg_puts(out, "\r\n");
		else if (v[i] == '\r' || v[i] == 0)
			msg_puts(out, " ");
		else
			msg_put(out, &v[i], 1);
	}
	msg_puts(out, "\r\n");
}

static void put_from(struct buf *out, const struct msg_in *in)
{
	msg_puts(out, "From: ");
	if (in->from_name && *in->from_name) {
		msg_put_phrase(out, in->from_name, 6);
		xbuf_appendf(out, " <%s>\r\n", in->from);
	} else {
		xbuf_appendf(out, "%s\r\n", in->from);
	}
}

/* The fields of a message: those of the input's header block, then those of --header. */
struct fields {
	struct hblock in;   /* from the input */
	struct hblock opt;  /* from --header */
};

static const struct hfield *fields_get(const struct fields *fs, const char *name)
{
	const struct hfield *f = hblock_get(&fs->in, name);
	return f ? f : hblock_get(&fs->opt, name);
}

static int ct_is_multipart(const struct hfield *ct)
{
	if (!ct)
		return 0;
	char *v = msg_unfold(ct->value, ct->value_len);
	int r = !strncasecmp(v, "multipart/", 10);
	free(v);
	return r;
}

/* Is the type message/... (its encoding can only be 7bit, 8bit or binary)? */
static int ct_is_message(const struct hfield *ct)
{
	if (!ct)
		return 0;
	char *v = msg_unfold(ct->value, ct->value_len);
	int r = !strncasecmp(v, "message/", 8);
	free(v);
	return r;
}

/* A body declared 7bit, 8bit or binary that cannot go as 7bit (libcurl does not announce
 * 8BITMIME): it is re-encoded as quoted-printable and its encoding field replaced. */
static int recode_qp(const struct hfield *cte, const struct hfield *ct, const char *body, size_t blen)
{
	if (!cte || ct_is_multipart(ct) || ct_is_message(ct))
		return 0;
	char *v = msg_unfold(cte->value, cte->value_len);
	size_t k = strcspn(v, " \t(;");
	int id = (k == 4 && !strncasecmp(v, "7bit", 4)) || (k == 4 && !strncasecmp(v, "8bit", 4)) ||
		 (k == 6 && !strncasecmp(v, "binary", 6));
	free(v);
	return id && msg_needs_qp(body, blen);
}

/* The content fields and the body. built: the message's fields were made here (a text
 * part always says its type and encoding); else a 7-bit body of a kept block gets nothing. */
static void put_content(struct buf *out, const struct fields *fs, int built, const char *body, size_t blen)
{
	const struct hfield *cte = fields_get(fs, "content-transfer-encoding");
	const struct hfield *ct = fields_get(fs, "content-type");
	int recode = recode_qp(cte, ct, body, blen);
	const struct hblock *bl[2] = {&fs->in, &fs->opt};
	for (int b = 0; b < 2; b++)
		for (size_t i = 0; i < bl[b]->n; i++)
			if (is_content_field(&bl[b]->f[i]) && !(recode && msg_name_is(&bl[b]->f[i], "content-transfer-encoding")))
				put_field(out, &bl[b]->f[i], 1);
	if (!recode && (cte || ct_is_multipart(ct))) { /* the writer chose the encoding: the body is theirs */
		msg_puts(out, "\r\n");
		msg_put_crlf(out, body, blen);
		return;
	}
	int qp = msg_needs_qp(body, blen);
	if (!ct && (qp || built))
		xbuf_appendf(out, "Content-Type: text/plain; charset=%s\r\n", qp ? "UTF-8" : "us-ascii");
	if (qp || built)
		xbuf_appendf(out, "Content-Transfer-Encoding: %s\r\n", qp ? "quoted-printable" : "7bit");
	msg_puts(out, "\r\n");
	if (qp)
		msg_put_qp(out, body, blen);
	else
		msg_put_crlf(out, body, blen);
}

static int add_rcpts(struct strv *rcpts, const struct strv *list, char *err, size_t errlen)
{
	for (size_t i = 0; i < list->n; i++) {
		if (msg_check_addr(list->v[i], err, errlen) < 0)
			return -1;
		if (strv_find(rcpts, list->v[i]) < 0)
			strv_push(rcpts, list->v[i]);
	}
	return 0;
}

/* --header "Name: value" into fs->opt; the strings stay in in->headers. */
static int add_header_opts(const struct msg_in *in, struct fields *fs, char *err, size_t errlen)
{
	for (size_t i = 0; i < in->headers.n; i++) {
		const char *h = in->headers.v[i];
		size_t k = 0;
		while (h[k] && h[k] != ':' && (unsigned char)h[k] > 32 && (unsigned char)h[k] < 127)
			k++;
		if (!k || h[k] != ':') {
			snprintf(err, errlen, "--header '%.100s': not of the form 'Name: value'", h);
			return -1;
		}
		if ((k == 3 && !strncasecmp(h, "bcc", 3)) || (k == 10 && !strncasecmp(h, "resent-bcc", 10))) {
			snprintf(err, errlen, "--header %.*s: use -b (Bcc never goes into the message)", (int)k, h);
			return -1;
		}
		if (single_field(h, k)) {
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(k < 63 ? k : 63), h);
			if (fields_get(fs, name)) {
				snprintf(err, errlen, "--header %s: the message already has a %s field", name, name);
				return -1;
			}
		}
		if (fs->opt.n == fs->opt.cap) {
			fs->opt.cap = fs->opt.cap ? fs->opt.cap * 2 : 8;
			fs->opt.f = xrealloc(fs->opt.f, fs->opt.cap * sizeof *fs->opt.f);
		}
		struct hfield *f = &fs->opt.f[fs->opt.n++];
		f->name = h;
		f->name_len = k;
		f->value = h + k + 1;
		f->value_len = strlen(h + k + 1);
	}
	return 0;
}

/* Last line of defence for the top-level header section (out from start up to the empty
 * line): a line over 998 bytes is folded before white space (or, when a token is longer
 * than that, split with CRLF SP); a byte >= 0x80 left in an address or another structured
 * token becomes '?', a NUL a space. Every earlier step aims to make this a no-op. */
static void fix_header_lines(struct buf *out, size_t start)
{
	const char *p = buf_head(out) + start;
	size_t n = buf_pending(out) - start;
	const char *end = memmem(p, n, "\r\n\r\n", 4);
	size_t hend = end ? (size_t)(end - p) + 2 : n;
	int need = 0;
	for (size_t i = 0, line = 0; i < hend && !need; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x80 || c == 0)
			need = 1;
		else if (c == '\n')
			line = 0;
		else if (c != '\r' && ++line > 998)
			need = 1;
	}
	if (!need)
		return;
	struct buf nb;
	buf_init(&nb, 0);
	msg_put(&nb, buf_head(out), start);
	size_t i = 0;
	while (i < hend) {
		const char *nl = memmem(p + i, hend - i, "\r\n", 2);
		size_t e = nl ? (size_t)(nl - p) : hend; /* line content [i, e) */
		size_t used = 0; /* bytes already on the physical line */
		while (i < e) {
			size_t k = e - i, room = 998 - used;
			if (k > room) {
				k = room;
				while (k > 1 && p[i + k] != ' ' && p[i + k] != '\t')
					k--;
				if (k <= 1)
					k = room - 1;
			}
			for (size_t j = i; j < i + k; j++) {
				unsigned char c = (unsigned char)p[j];
				char o = c >= 0x80 ? '?' : c == 0 ? ' ' : (char)c;
				msg_put(&nb, &o, 1);
			}
			i += k;
			used = 0;
			if (i < e) {
				msg_puts(&nb, "\r\n");
				if (p[i] != ' ' && p[i] != '\t') {
					msg_put(&nb, " ", 1); /* a token split: the continuation needs its WSP */
					used = 1;
				}
			}
		}
		if (nl)
			msg_puts(&nb, "\r\n");
		i = e + (nl ? 2 : 0);
	}
	msg_put(&nb, p + hend, n - hend);
	buf_reset(out);
	msg_put(out, buf_head(&nb), buf_pending(&nb));
	buf_free(&nb);
}

int msg_build(const struct msg_in *in, const char *input, size_t inlen, struct buf *out, struct strv *rcpts,
	      char *err, size_t errlen)
{
	size_t start = buf_pending(out);
	struct fields fs;
	memset(&fs, 0, sizeof fs);
	size_t boff = 0;
	int block = in->keep_block && msg_parse_headers(input, inlen, &fs.in, &boff);
	const char *body = input + boff;
	size_t blen = inlen - boff;
	int r = -1;

	if (msg_check_addr(in->from, err, errlen) < 0)
		goto out;
	if (add_header_opts(in, &fs, err, errlen) < 0)
		goto out;
	/* Envelope recipients. */
	if (add_rcpts(rcpts, &in->to, err, errlen) < 0 || add_rcpts(rcpts, &in->cc, err, errlen) < 0 ||
	    add_rcpts(rcpts, &in->bcc, err, errlen) < 0)
		goto out;
	if (in->extract) {
		if (!block && !fs.opt.n) {
			snprintf(err, errlen, "-t: the message has no header block to read recipients from");
			goto out;
		}
		/* As sendmail does: when the message has Resent- fields (it is being resent),
		 * the recipients are those of Resent-To, Resent-Cc and Resent-Bcc only. */
		const struct hblock *bl[2] = {&fs.in, &fs.opt};
		int resent = 0;
		for (int b = 0; b < 2; b++)
			for (size_t i = 0; i < bl[b]->n; i++)
				if (bl[b]->f[i].name_len > 7 && !strncasecmp(bl[b]->f[i].name, "resent-", 7))
					resent = 1;
		for (int b = 0; b < 2; b++)
			for (size_t i = 0; i < bl[b]->n; i++) {
				const struct hfield *f = &bl[b]->f[i];
				if (resent ? !msg_name_is(f, "resent-to") && !msg_name_is(f, "resent-cc") && !msg_name_is(f, "resent-bcc")
					   : !msg_name_is(f, "to") && !msg_name_is(f, "cc") && !msg_name_is(f, "bcc"))
					continue;
				char e2[200];
				if (msg_addr_list(f->value, f->value_len, rcpts, e2, sizeof e2) < 0) {
					snprintf(err, errlen, "-t: %.*s: %s", (int)f->name_len, f->name, e2);
					goto out;
				}
			}
	}
	if (!rcpts->n) {
		snprintf(err, errlen, "no recipients (give RECIPIENT operands%s)",
			 in->extract ? ", or To, Cc or Bcc fields (Resent-To, -Cc, -Bcc when resent)" : ", or -t");
		goto out;
	}
	if (in->subject && fields_get(&fs, "subject")) {
		snprintf(err, errlen, "-s: the message already has a Subject field");
		goto out;
	}
	if (in->cc.n && fields_get(&fs, "cc")) {
		snprintf(err, errlen, "-c: the message already has a Cc field");
		goto out;
	}

	/* A kept 7bit/8bit/binary body that is not 7-bit goes as quoted-printable. */
	int recode = block && !in->natt &&
		     recode_qp(fields_get(&fs, "content-transfer-encoding"), fields_get(&fs, "content-type"), body, blen);
	/* Top-level fields: the input's, then the missing ones, then --header's. */
	for (size_t i = 0; i < fs.in.n; i++) {
		const struct hfield *f = &fs.in.f[i];
		if (msg_name_is(f, "bcc") || msg_name_is(f, "resent-bcc") || (is_content_field(f) && (in->natt || !block)) ||
		    msg_name_is(f, "mime-version"))
			continue;
		if (recode && msg_name_is(f, "content-transfer-encoding"))
			continue;
		put_field(out, f, 0);
	}
	if (!fields_get(&fs, "from"))
		put_from(out, in);
	/* To from the operands only when the fields are built: a kept block (or --header)
	 * without To or Cc must not show the envelope recipients to one another. */
	if (!fields_get(&fs, "to") && !fields_get(&fs, "cc")) {
		if (in->to.n && !block)
			msg_put_addr_field(out, "To", &in->to);
		else if (!in->cc.n)
			msg_puts(out, "To: undisclosed-recipients:;\r\n");
	}
	if (in->cc.n)
		msg_put_addr_field(out, "Cc", &in->cc);
	if (in->subject) {
		msg_puts(out, "Subject: ");
		msg_put_text(out, in->subject, 9);
		msg_puts(out, "\r\n");
	}
	if (!fields_get(&fs, "date"))
		xbuf_appendf(out, "Date: %s\r\n", in->date);
	if (!fields_get(&fs, "message-id"))
		xbuf_appendf(out, "Message-ID: %s\r\n", in->msgid);
	for (size_t i = 0; i < fs.opt.n; i++) {
		const struct hfield *f = &fs.opt.f[i];
		if (is_content_field(f) || msg_name_is(f, "mime-version"))
			continue;
		put_field(out, f, 1); /* 8-bit text encoded like the input's */
	}
	const struct hfield *mv = fields_get(&fs, "mime-version");
	if (mv && !in->natt)
		put_field(out, mv, 0);
	else
		msg_puts(out, "MIME-Version: 1.0\r\n");

	if (!in->natt) {
		if (block) {
			/* The input's content fields were copied in place; add --header's and the body. */
			const struct hfield *cte = fields_get(&fs, "content-transfer-encoding");
			const struct hfield *ct = fields_get(&fs, "content-type");
			int keep = !recode && (cte || ct_is_multipart(ct) || !msg_needs_qp(body, blen));
			for (size_t i = 0; i < fs.opt.n; i++)
				if (is_content_field(&fs.opt.f[i]) &&
				    !(recode && msg_name_is(&fs.opt.f[i], "content-transfer-encoding")))
					put_field(out, &fs.opt.f[i], 1);
			if (keep) {
				msg_puts(out, "\r\n");
				msg_put_crlf(out, body, blen);
			} else {
				if (!ct)
					msg_puts(out, "Content-Type: text/plain; charset=UTF-8\r\n");
				msg_puts(out, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
				msg_put_qp(out, body, blen);
			}
		} else {
			put_content(out, &fs, 1, body, blen);
		}
	} else {
		xbuf_appendf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", in->boundary);
		msg_puts(out, "This is a message in MIME format.\r\n");
		if (blen) {
			xbuf_appendf(out, "\r\n--%s\r\n", in->boundary);
			put_content(out, &fs, 1, body, blen);
		}
		for (size_t i = 0; i < in->natt; i++) {
			const struct attach *a = &in->att[i];
			xbuf_appendf(out, "\r\n--%s\r\nContent-Type: %s; ", in->boundary, msg_mime_type(a->name));
			msg_put_param(out, "name", a->name);
			msg_puts(out, "\r\nContent-Disposition: attachment; ");
			msg_put_param(out, "filename", a->name);
			msg_puts(out, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
			msg_put_base64(out, a->data, a->len);
		}
		xbuf_appendf(out, "\r\n--%s--\r\n", in->boundary);
	}
	fix_header_lines(out, start);
	r = 0;
out:
	hblock_free(&fs.in);
	free(fs.opt.f);
	return r;
}

/* ---- the queue's envelope ---- */

void msg_put_envelope(struct buf *out, const char *from, const struct strv *rcpts)
{
	xbuf_appendf(out, "X-Nettool-Envelope: <%s>\r\n", from);
	for (size_t i = 0; i < rcpts->n; i++)
		xbuf_appendf(out, " <%s>\r\n", rcpts->v[i]);
}

int msg_parse_envelope(const char *p, size_t n, char **from, struct strv *rcpts, size_t *msg_off, char *err,
		       size_t errlen)
{
	static const char tag[] = "X-Nettool-Envelope: ";
	*from = NULL;
	if (n < sizeof tag - 1 || memcmp(p, tag, sizeof tag - 1)) {
		snprintf(err, errlen, "no X-Nettool-Envelope field at the start");
		return -1;
	}
	size_t off = sizeof tag - 1;
	int first = 1;
	for (;;) {
		size_t ll = line_len(p + off, n - off);
		size_t lb = line_body(p + off, ll);
		const char *l = p + off;
		if (!first) {
			if (!lb || l[0] != ' ')
				break;
			l++, lb--;
		}
		if (lb < 2 || l[0] != '<' || l[lb - 1] != '>' || ll == lb) {
			snprintf(err, errlen, "malformed X-Nettool-Envelope line");
			goto bad;
		}
		char *a = xstrndup(l + 1, lb - 2);
		if (msg_check_addr(a, err, errlen) < 0) {
			free(a);
			goto bad;
		}
		if (first)
			*from = a;
		else {
			strv_push(rcpts, a);
			free(a);
		}
		first = 0;
		off += ll;
		if (off >= n)
			break;
	}
	if (!rcpts->n) {
		snprintf(err, errlen, "X-Nettool-Envelope without recipients");
		goto bad;
	}
	*msg_off = off;
	return 0;
bad:
	free(*from);
	*from = NULL;
	strv_free(rcpts);
	return -1;
}
