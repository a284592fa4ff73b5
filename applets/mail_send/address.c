/* SPDX-License-Identifier: MIT */
/* address.c - mail-send's lists of strings and addresses: checking one address, parsing
 * an RFC 5322 address list (display names, quoted strings, comments, groups), and
 * writing address fields and their display names (non-ASCII as RFC 2047 words).
 *
 * Header: applets/mail_send/msg.h    Tests: tests/unit/check_mail_send.c,
 * tests/fuzz/fuzz_mail_send_headers.c    References: RFC 5322 3.4, RFC 2047 5.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "nt_err.h"

/* ---- string lists ---- */

void strv_pushn(struct strv *s, const char *str, size_t n)
{
	if (s->n + 1 >= s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = xstrndup(str, n);
	s->v[s->n] = NULL;
}

void strv_push(struct strv *s, const char *str)
{
	strv_pushn(s, str, strlen(str));
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

long strv_find(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcasecmp(s->v[i], str))
			return (long)i;
	return -1;
}

/* ---- addresses ---- */

static int special(unsigned char c)
{
	return strchr("()<>[]:;@\\,\"", c) != NULL;
}

int msg_check_addr(const char *a, char *err, size_t errlen)
{
	char shown[80];
	size_t n = strlen(a);
	nt_clean_text(shown, sizeof shown, a, n);
	if (!n) {
		snprintf(err, errlen, "empty address");
		return -1;
	}
	if (n > MSG_MAX_ADDR) {
		snprintf(err, errlen, "address '%s...' is longer than %d bytes", shown, MSG_MAX_ADDR);
		return -1;
	}
	const char *at = strrchr(a, '@');
	if (!at) {
		snprintf(err, errlen, "address '%s' has no '@'", shown);
		return -1;
	}
	for (const char *s = a; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 32 || c >= 127) {
			snprintf(err, errlen, "address '%s' contains a space, a control or a non-ASCII character", shown);
			return -1;
		}
		if (s != at && special(c) && !(c == '[' || c == ']' || c == ':'))
			goto bad;
	}
	if (at == a || !at[1] || at - a > 64)
		goto bad;
	const char *d = at + 1;
	if (d[0] == '[') { /* domain literal [192.0.2.1] or [IPv6:...] */
		if (a[n - 1] != ']' || n - (size_t)(d - a) < 3)
			goto bad;
		for (const char *s = d + 1; s < a + n - 1; s++)
			if (*s == '[' || *s == ']')
				goto bad;
	} else {
		if (d[0] == '.' || d[0] == '-' || a[n - 1] == '.')
			goto bad;
		for (const char *s = d; *s; s++)
			if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-')
				goto bad;
		if (strstr(d, ".."))
			goto bad;
	}
	for (const char *s = a; s < at; s++)
		if (*s == '[' || *s == ']' || *s == ':')
			goto bad;
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not a valid address (local@domain)", shown);
	return -1;
}

/* Finish one element of an address list: the angle address if there was one, else the
 * bare text; comments are gone already. */
static int addr_done(struct buf *text, struct buf *angle, int had_angle, struct strv *out, char *err, size_t errlen)
{
	struct buf *src = had_angle ? angle : text;
	char *s = msg_unfold(buf_head(src), buf_pending(src));
	int r = 0;
	/* An obsolete source route "@a,@b:user@host" inside the angle brackets. */
	char *a = s;
	if (had_angle && a[0] == '@') {
		char *c = strchr(a, ':');
		a = c ? c + 1 : a;
	}
	if (*a) {
		if (msg_check_addr(a, err, errlen) < 0)
			r = -1;
		else if (strv_find(out, a) < 0)
			strv_push(out, a), r = 1;
	} else if (had_angle) {
		snprintf(err, errlen, "empty address '<>'");
		r = -1;
	}
	free(s);
	buf_reset(text);
	buf_reset(angle);
	return r;
}

int msg_addr_list(const char *v, size_t n, struct strv *out, char *err, size_t errlen)
{
	struct buf text, angle;
	buf_init(&text, 0);
	buf_init(&angle, 0);
	int count = 0, in_angle = 0, had_angle = 0, r = 0;
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)v[i];
		struct buf *dst = in_angle ? &angle : &text;
		if (c == '"') { /* quoted string: kept (it may be a local part), escapes removed */
			msg_put(dst, "\"", 1);
			for (i++; i < n && v[i] != '"'; i++) {
				if (v[i] == '\\' && i + 1 < n)
					i++;
				msg_put(dst, &v[i], 1);
			}
			msg_put(dst, "\"", 1);
			i++;
			continue;
		}
		if (c == '(') { /* comment, nested, dropped */
			int depth = 0;
			for (; i < n; i++) {
				if (v[i] == '\\' && i + 1 < n) {
					i++;
					continue;
				}
				if (v[i] == '(')
					depth++;
				else if (v[i] == ')' && --depth == 0)
					break;
			}
			i++;
			msg_put(dst, " ", 1);
			continue;
		}
		if (!in_angle && c == '<') {
			in_angle = had_angle = 1;
			buf_reset(&angle);
			i++;
			continue;
		}
		if (in_angle && c == '>') {
			in_angle = 0;
			i++;
			continue;
		}
		if (!in_angle && c == ':') { /* group "name: a, b;": the name is a display name */
			buf_reset(&text);
			i++;
			continue;
		}
		if (!in_angle && (c == ',' || c == ';')) {
			if ((r = addr_done(&text, &angle, had_angle, out, err, errlen)) < 0)
				goto out;
			count += r;
			had_angle = 0;
			i++;
			continue;
		}
		if (had_angle && !in_angle) { /* text after <addr>: ignored like a comment */
			i++;
			continue;
		}
		msg_put(dst, &v[i], 1);
		i++;
	}
	if (in_angle) {
		snprintf(err, errlen, "unbalanced '<' in an address list");
		r = -1;
		goto out;
	}
	if ((r = addr_done(&text, &angle, had_angle, out, err, errlen)) < 0)
		goto out;
	count += r;
	r = count;
out:
	buf_free(&text);
	buf_free(&angle);
	return r;
}

void msg_put_phrase(struct buf *out, const char *s, size_t col)
{
	if (!msg_plain_text(s) || strstr(s, "=?")) {
		msg_put_words(out, s, col);
		return;
	}
	int need_quote = 0;
	for (const char *p = s; *p; p++)
		if (special((unsigned char)*p) || *p == '.')
			need_quote = 1;
	if (!need_quote && *s) {
		msg_puts(out, s);
		return;
	}
	msg_put(out, "\"", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			msg_put(out, "\\", 1);
		msg_put(out, p, 1);
	}
	msg_put(out, "\"", 1);
}

/* "Name: a, b, c" folded before an address that would pass column 78. */
void msg_put_addr_field(struct buf *out, const char *name, const struct strv *list)
{
	size_t col = strlen(name) + 2;
	xbuf_appendf(out, "%s: ", name);
	for (size_t i = 0; i < list->n; i++) {
		size_t l = strlen(list->v[i]);
		if (i) {
			if (col + 2 + l > 78) {
				msg_puts(out, ",\r\n ");
				col = 1;
			} else {
				msg_puts(out, ", ");
				col += 2;
			}
		}
		msg_puts(out, list->v[i]);
		col += l;
	}
	msg_puts(out, "\r\n");
}

/* One display phrase of an address list, as it appeared (quotes and escapes in it). */
static void put_phrase_seg(struct buf *out, const char *p, size_t n)
{
	int eight = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			eight = 1;
	if (!eight) {
		msg_put(out, p, n);
		return;
	}
	size_t a = 0, b = n;
	while (a < b && (p[a] == ' ' || p[a] == '\t'))
		a++;
	while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t'))
		b--;
	msg_put(out, p, a);
	char *d = xmalloc(b - a + 1);
	size_t o = 0;
	for (size_t i = a; i < b; i++) {
		if (p[i] == '"')
			continue;
		if (p[i] == '\\' && i + 1 < b)
			i++;
		d[o++] = p[i];
	}
	d[o] = 0;
	msg_put_phrase(out, d, 1);
	free(d);
	msg_put(out, p + b, n - b);
}

/* Append one element of an address list (its comma included) to out, folding before it
 * when it would pass column 78; *col is the column, start the column where the list began. */
static void put_elem(struct buf *out, struct buf *el, size_t *col, size_t start)
{
	const char *e = buf_head(el);
	size_t len = buf_pending(el);
	if (!len)
		return;
	const char *crlf = memmem(e, len, "\r\n", 2);
	size_t first = crlf ? (size_t)(crlf - e) : len;
	if (*col > start && *col + first > 78) {
		msg_puts(out, "\r\n");
		*col = 0;
		if (e[0] != ' ' && e[0] != '\t') {
			msg_put(out, " ", 1);
			*col = 1;
		}
	}
	msg_put(out, e, len);
	const char *last = NULL;
	for (const char *q = e; (q = memmem(q, len - (size_t)(q - e), "\r\n", 2)); q += 2)
		last = q + 2;
	*col = last ? len - (size_t)(last - e) : *col + len;
	buf_reset(el);
}

void msg_put_addr_phrases(struct buf *out, const char *s, size_t col)
{
	size_t n = strlen(s), i = 0, seg = 0, start = col, open = 0;
	struct buf el; /* the element being built */
	buf_init(&el, 0);
	while (i <= n) {
		char c = i < n ? s[i] : 0;
		if (c == '"') { /* quoted string */
			open = i;
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\' && i + 1 < n)
					i++;
			i++;
			continue;
		}
		if (c == '(') { /* comment, nested */
			int depth = 0;
			open = i;
			for (; i < n; i++) {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				else if (s[i] == '(')
					depth++;
				else if (s[i] == ')' && --depth == 0)
					break;
			}
			i++;
			continue;
		}
		if (c == '<' || c == ':') { /* what came before is a display name */
			put_phrase_seg(&el, s + seg, i - seg);
			size_t e = i + 1;
			if (c == '<')
				while (e < n && s[e - 1] != '>')
					e++;
			msg_put(&el, s + i, e - i);
			i = seg = e;
			continue;
		}
		if (c == ',' || c == ';' || c == 0) { /* a bare address: as it is */
			msg_put(&el, s + seg, (i < n ? i + 1 : n) - seg);
			put_elem(out, &el, &col, start);
			seg = ++i;
			continue;
		}
		i++;
	}
	/* An unterminated quoted string or comment ran to the end: its text is kept
	 * (encoded when it holds 8-bit text), never dropped. */
	if (seg < n) {
		if (open < seg)
			open = seg;
		put_phrase_seg(&el, s + seg, open - seg);
		put_phrase_seg(&el, s + open, n - open);
	}
	put_elem(out, &el, &col, start);
	buf_free(&el);
}
