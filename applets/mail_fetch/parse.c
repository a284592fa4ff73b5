/* SPDX-License-Identifier: MIT */
/* parse.c - bounded IMAP and POP3 response parsers and small mail helpers (no I/O).
 *
 * Header: parse.h    Tests: tests/unit/check_mail_fetch.c,
 * tests/fuzz/fuzz_mail_fetch_imap.c, tests/fuzz/fuzz_mail_fetch_pop3.c
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "out.h"
#include "parse.h"

static int is_atom_char(unsigned char c)
{
	/* RFC 3501 ATOM-CHAR minus the specials we split on. */
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' && c != '"' && c != '%' && c != '*' &&
	       c != ']';
}

/* Parse a decimal number of at most 20 digits at p[*i]; -1 when there is none or it overflows. */
static int num_at(const char *p, size_t n, size_t *i, uint64_t *out)
{
	size_t k = *i;
	uint64_t v = 0;
	if (k >= n || !isdigit((unsigned char)p[k]))
		return -1;
	while (k < n && isdigit((unsigned char)p[k])) {
		unsigned d = (unsigned)(p[k] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		k++;
	}
	*i = k;
	*out = v;
	return 0;
}

int imap_literal_at_end(const char *p, size_t n, uint64_t *len)
{
	if (n < 3 || p[n - 1] != '}')
		return 0;
	size_t e = n - 1;
	if (e > 0 && p[e - 1] == '+') /* LITERAL+ form, never from a server, accepted anyway */
		e--;
	size_t s = e;
	while (s > 0 && isdigit((unsigned char)p[s - 1]))
		s--;
	if (s == e || s == 0 || p[s - 1] != '{' || e - s > 19)
		return 0;
	size_t i = s;
	uint64_t v;
	if (num_at(p, e, &i, &v) < 0)
		return 0;
	*len = v;
	return 1;
}

/* --- FETCH --- */

static void set_key(struct imap_fetch *f, const char *p, size_t n)
{
	size_t k = n < sizeof f->key - 1 ? n : sizeof f->key - 1;
	for (size_t i = 0; i < k; i++)
		f->key[i] = (char)toupper((unsigned char)p[i]);
	f->key[k] = 0;
}

static int key_kind(const struct imap_fetch *f)
{
	if (!strcmp(f->key, "BODY[]") || !strcmp(f->key, "RFC822") || !strcmp(f->key, "BINARY[]"))
		return IMAP_LIT_BODY;
	if (!strncmp(f->key, "BODY[HEADER", 11) || !strcmp(f->key, "RFC822.HEADER"))
		return IMAP_LIT_HEADER;
	return IMAP_LIT_OTHER;
}

/* A value at depth 0 is complete: remember what we need. */
static int take_atom(struct imap_fetch *f, const char *a, size_t n)
{
	if (f->depth > 0) {
		if (!strcmp(f->key, "FLAGS") && n == 5 && !strncasecmp(a, "\\Seen", 5))
			f->seen = 1;
		return 0;
	}
	if (!strcmp(f->key, "UID") || !strcmp(f->key, "RFC822.SIZE")) {
		size_t i = 0;
		uint64_t v;
		if (num_at(a, n, &i, &v) < 0 || i != n)
			return -1;
		if (f->key[0] == 'U') {
			if (v == 0 || v > UINT32_MAX)
				return -1;
			f->uid = (uint32_t)v;
			f->have_uid = 1;
		} else {
			f->size = v;
			f->have_size = 1;
		}
	}
	f->expect_val = 0;
	return 0;
}

int imap_fetch_feed(struct imap_fetch *f, const char *p, size_t n)
{
	size_t i = 0;
	f->lit = 0;
	if (f->closed)
		return IMAP_F_BAD;
	for (;;) {
		while (i < n && p[i] == ' ')
			i++;
		if (i >= n)
			return IMAP_F_BAD; /* the response must close or announce a literal */
		unsigned char c = (unsigned char)p[i];
		if (!f->expect_val && f->depth == 0) {
			if (c == ')') {
				f->closed = 1;
				i++;
				while (i < n && p[i] == ' ')
					i++;
				return i == n ? IMAP_F_DONE : IMAP_F_BAD;
			}
			/* A key: atom, optionally [section] and <partial>. */
			size_t s = i;
			while (i < n && is_atom_char((unsigned char)p[i]) && p[i] != '[')
				i++;
			if (i == s)
				return IMAP_F_BAD;
			if (i < n && p[i] == '[') {
				size_t lim = s + 200;
				while (i < n && p[i] != ']' && i < lim)
					i++;
				if (i >= n || p[i] != ']')
					return IMAP_F_BAD;
				i++;
				if (i < n && p[i] == '<') {
					while (i < n && p[i] != '>' && i < lim)
						i++;
					if (i >= n)
						return IMAP_F_BAD;
					i++;
				}
			}
			set_key(f, p + s, i - s);
			f->expect_val = 1;
			if (i >= n || p[i] != ' ')
				return IMAP_F_BAD;
			continue;
		}
		/* A value, or an element inside a list value. */
		if (c == '(') {
			if (++f->depth > IMAP_MAX_DEPTH)
				return IMAP_F_BAD;
			i++;
			continue;
		}
		if (c == ')') {
			if (f->depth == 0)
				return IMAP_F_BAD;
			i++;
			if (--f->depth == 0)
				f->expect_val = 0;
			continue;
		}
		if (c == '"') {
			size_t o = 0;
			int kind = f->depth == 0 ? key_kind(f) : IMAP_LIT_OTHER;
			i++;
			for (;;) {
				if (i >= n)
					return IMAP_F_BAD;
				char ch = p[i++];
				if (ch == '"')
					break;
				if (ch == '\\') {
					if (i >= n)
						return IMAP_F_BAD;
					ch = p[i++];
				}
				if (kind != IMAP_LIT_OTHER || !strcmp(f->key, "INTERNALDATE")) {
					if (kind != IMAP_LIT_OTHER) {
						if (o >= sizeof f->inl)
							return IMAP_F_BAD;
						f->inl[o++] = ch;
					} else if (o + 1 < sizeof f->internaldate) {
						f->internaldate[o++] = ch;
						f->internaldate[o] = 0;
					}
				}
			}
			if (kind != IMAP_LIT_OTHER) {
				f->inl_len = o;
				f->inl_kind = kind;
			}
			if (f->depth == 0)
				f->expect_val = 0;
			continue;
		}
		if (c == '{' || (c == '~' && i + 1 < n && p[i + 1] == '{')) {
			uint64_t len;
			if (!imap_literal_at_end(p + i, n - i, &len))
				return IMAP_F_BAD;
			f->lit = len;
			f->lit_kind = f->depth == 0 ? key_kind(f) : IMAP_LIT_OTHER;
			if (f->depth == 0)
				f->expect_val = 0;
			return IMAP_F_LITERAL;
		}
		/* atom, number, NIL, \Flag */
		size_t s = i;
		while (i < n && p[i] != ' ' && p[i] != '(' && p[i] != ')' && p[i] != '"' && p[i] != '{')
			i++;
		if (i == s)
			return IMAP_F_BAD;
		if (take_atom(f, p + s, i - s) < 0)
			return IMAP_F_BAD;
	}
}

int imap_fetch_begin(struct imap_fetch *f, const char *line, size_t n, int *res)
{
	size_t i = 2;
	uint64_t seq;
	if (n < 2 || line[0] != '*' || line[1] != ' ')
		return 0;
	if (num_at(line, n, &i, &seq) < 0)
		return 0;
	if (n - i < 8 || strncasecmp(line + i, " FETCH (", 8))
		return 0;
	memset(f, 0, sizeof *f);
	f->seq = seq > UINT32_MAX ? 0 : (uint32_t)seq;
	*res = imap_fetch_feed(f, line + i + 8, n - i - 8);
	return 1;
}

int imap_tagged(const char *line, size_t n, const char *tag)
{
	size_t t = strlen(tag);
	if (n < t + 3 || memcmp(line, tag, t) || line[t] != ' ')
		return IMAP_ST_NONE;
	const char *r = line + t + 1;
	size_t m = n - t - 1;
	if (m >= 2 && !strncasecmp(r, "OK", 2) && (m == 2 || r[2] == ' '))
		return IMAP_ST_OK;
	if (m >= 2 && !strncasecmp(r, "NO", 2) && (m == 2 || r[2] == ' '))
		return IMAP_ST_NO;
	if (m >= 3 && !strncasecmp(r, "BAD", 3) && (m == 3 || r[3] == ' '))
		return IMAP_ST_BAD;
	return IMAP_ST_BAD; /* our tag with an unknown status: treat as BAD */
}

int imap_untagged_num(const char *line, size_t n, uint32_t *num, char *word, size_t wlen)
{
	size_t i = 2;
	uint64_t v;
	if (n < 4 || line[0] != '*' || line[1] != ' ' || num_at(line, n, &i, &v) < 0 || v > UINT32_MAX)
		return 0;
	if (i >= n || line[i] != ' ')
		return 0;
	i++;
	size_t s = i;
	while (i < n && isalpha((unsigned char)line[i]))
		i++;
	if (i == s || i - s >= wlen)
		return 0;
	for (size_t k = s; k < i; k++)
		word[k - s] = (char)toupper((unsigned char)line[k]);
	word[i - s] = 0;
	*num = (uint32_t)v;
	return 1;
}

int imap_resp_code_num(const char *line, size_t n, const char *code, uint64_t *val)
{
	size_t c = strlen(code);
	for (size_t i = 0; i + c + 2 < n; i++) {
		if (line[i] == '[' && !strncasecmp(line + i + 1, code, c) && line[i + 1 + c] == ' ') {
			size_t k = i + c + 2;
			uint64_t v;
			if (num_at(line, n, &k, &v) < 0 || k >= n || line[k] != ']')
				return 0;
			*val = v;
			return 1;
		}
	}
	return 0;
}

int imap_has_cap(const char *line, size_t n, const char *cap)
{
	size_t c = strlen(cap);
	const char *s = NULL;
	for (size_t i = 0; i + 10 <= n; i++)
		if (!strncasecmp(line + i, "CAPABILITY", 10)) {
			s = line + i + 10;
			break;
		}
	if (!s)
		return 0;
	const char *e = line + n;
	while (s < e) {
		while (s < e && *s == ' ')
			s++;
		const char *w = s;
		while (s < e && *s != ' ' && *s != ']')
			s++;
		if ((size_t)(s - w) == c && !strncasecmp(w, cap, c))
			return 1;
		if (s < e && *s == ']')
			break;
	}
	return 0;
}

int imap_search(const char *line, size_t n, uint32_t **v, size_t *count, size_t *cap, size_t max)
{
	if (n < 8 || strncasecmp(line, "* SEARCH", 8) || (n > 8 && line[8] != ' '))
		return 0;
	size_t i = 8;
	for (;;) {
		while (i < n && line[i] == ' ')
			i++;
		if (i >= n)
			return 1;
		uint64_t x;
		if (num_at(line, n, &i, &x) < 0 || x == 0 || x > UINT32_MAX) {
			/* "(MODSEQ n)" from CONDSTORE: ignore the rest */
			if (i < n && line[i] == '(')
				return 1;
			return -1;
		}
		if (*count >= max)
			return -1;
		if (*count == *cap) {
			size_t nc = *cap ? *cap * 2 : 1024;
			uint32_t *nv = realloc(*v, nc * sizeof *nv);
			if (!nv)
				return -2;
			*v = nv;
			*cap = nc;
		}
		(*v)[(*count)++] = (uint32_t)x;
	}
}

/* One string token for LIST: quoted, atom, NIL or an inline literal "{n}\r\n<n bytes>". */
static int astring(const char *p, size_t n, size_t *i, char *out, size_t outlen)
{
	size_t o = 0, k = *i;
	if (k >= n)
		return -1;
	if (p[k] == '"') {
		k++;
		for (;;) {
			if (k >= n)
				return -1;
			char c = p[k++];
			if (c == '"')
				break;
			if (c == '\\') {
				if (k >= n)
					return -1;
				c = p[k++];
			}
			if (o + 1 >= outlen)
				return -1;
			out[o++] = c;
		}
	} else if (p[k] == '{') {
		k++;
		uint64_t len;
		if (num_at(p, n, &k, &len) < 0)
			return -1;
		if (k < n && p[k] == '+')
			k++;
		if (k + 3 > n || p[k] != '}' || p[k + 1] != '\r' || p[k + 2] != '\n')
			return -1;
		k += 3;
		if (len > n - k || len + 1 > outlen || memchr(p + k, 0, len))
			return -1;
		memcpy(out, p + k, len);
		o = len;
		k += len;
	} else {
		size_t s = k;
		while (k < n && p[k] != ' ' && p[k] != '(' && p[k] != ')' && p[k] != '"' && (unsigned char)p[k] > 0x20)
			k++;
		if (k == s || k - s + 1 > outlen)
			return -1;
		memcpy(out, p + s, k - s);
		o = k - s;
	}
	out[o] = 0;
	*i = k;
	return 0;
}

int imap_gather_line(struct imap_gather *g, const char *line, size_t n, uint64_t *lit)
{
	if (n + 2 > g->cap - g->len)
		return -1;
	memcpy(g->b + g->len, line, n);
	g->len += n;
	if (!imap_literal_at_end(line, n, lit))
		return 0;
	memcpy(g->b + g->len, "\r\n", 2);
	g->len += 2;
	return *lit > g->cap - g->len ? -1 : 1;
}

int imap_gather_bytes(void *a, const char *p, size_t n)
{
	struct imap_gather *g = a;
	if (n > g->cap - g->len)
		return -1;
	memcpy(g->b + g->len, p, n);
	g->len += n;
	return 0;
}

int imap_list(const char *resp, size_t n, char *flags, size_t flagslen, char *delim, char *name, size_t namelen)
{
	if (n < 7 || strncasecmp(resp, "* LIST ", 7))
		return 0;
	size_t i = 7;
	if (i >= n || resp[i] != '(')
		return -1;
	size_t s = ++i;
	while (i < n && resp[i] != ')' && (unsigned char)resp[i] >= 0x20)
		i++;
	if (i >= n || resp[i] != ')')
		return -1;
	size_t fl = i - s < flagslen - 1 ? i - s : flagslen - 1;
	memcpy(flags, resp + s, fl);
	flags[fl] = 0;
	i++;
	if (i >= n || resp[i] != ' ')
		return -1;
	i++;
	char d[8];
	if (astring(resp, n, &i, d, sizeof d) < 0)
		return -1;
	*delim = strcasecmp(d, "NIL") ? d[0] : 0;
	if (i >= n || resp[i] != ' ')
		return -1;
	i++;
	if (astring(resp, n, &i, name, namelen) < 0)
		return -1;
	return 1;
}

int imap_quote(char *out, size_t outlen, const char *s)
{
	size_t o = 0;
	if (outlen < 3)
		return -1;
	out[o++] = '"';
	for (; *s; s++) {
		if (*s == '\r' || *s == '\n')
			return -1;
		if (o + 4 >= outlen)
			return -1;
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = 0;
	return 0;
}

size_t imap_uid_set(char *out, size_t outlen, const uint32_t *v, size_t n)
{
	size_t o = 0, i = 0;
	if (outlen)
		out[0] = 0;
	while (i < n) {
		size_t j = i;
		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		char piece[32];
		int l = j > i ? snprintf(piece, sizeof piece, "%s%u:%u", o ? "," : "", v[i], v[j])
			      : snprintf(piece, sizeof piece, "%s%u", o ? "," : "", v[i]);
		if (o + (size_t)l + 1 > outlen)
			break;
		memcpy(out + o, piece, (size_t)l + 1);
		o += (size_t)l;
		i = j + 1;
	}
	return i;
}

/* --- POP3 --- */

int pop3_status(const char *line, size_t n)
{
	if (n >= 3 && !memcmp(line, "+OK", 3) && (n == 3 || line[3] == ' '))
		return 1;
	if (n >= 4 && !memcmp(line, "-ERR", 4) && (n == 4 || line[4] == ' '))
		return 0;
	return -1;
}

static int listing_num(const char *line, size_t n, size_t *i, uint32_t *num)
{
	uint64_t v;
	if (num_at(line, n, i, &v) < 0 || v == 0 || v > UINT32_MAX)
		return -1;
	if (*i >= n || line[*i] != ' ')
		return -1;
	while (*i < n && line[*i] == ' ')
		(*i)++;
	*num = (uint32_t)v;
	return 0;
}

int pop3_uidl_line(const char *line, size_t n, uint32_t *num, char *uidl, size_t uidlen)
{
	if (n == 1 && line[0] == '.')
		return 0;
	size_t i = 0;
	if (listing_num(line, n, &i, num) < 0)
		return -1;
	size_t s = i;
	while (i < n && (unsigned char)line[i] >= 0x21 && (unsigned char)line[i] <= 0x7e)
		i++;
	size_t l = i - s;
	while (i < n && line[i] == ' ')
		i++;
	if (l == 0 || l > 70 || i != n || l + 1 > uidlen)
		return -1;
	memcpy(uidl, line + s, l);
	uidl[l] = 0;
	return 1;
}

uint64_t pop3_retr_bound(uint64_t announced, long long max_size, uint64_t cap)
{
	uint64_t bound = announced + announced / 8 + 65536;
	if (bound < announced) /* wrapped */
		bound = UINT64_MAX;
	if (max_size > 0 && bound > (uint64_t)max_size + 65536)
		bound = (uint64_t)max_size + 65536;
	return bound > cap ? cap : bound;
}

int pop3_list_line(const char *line, size_t n, uint32_t *num, uint64_t *size)
{
	if (n == 1 && line[0] == '.')
		return 0;
	size_t i = 0;
	if (listing_num(line, n, &i, num) < 0)
		return -1;
	if (num_at(line, n, &i, size) < 0)
		return -1;
	/* RFC 1939 allows nothing else, but some servers add text after a space. */
	if (i < n && line[i] != ' ')
		return -1;
	return 1;
}

int pop3_capa_is(const char *line, size_t n, const char *cap)
{
	size_t c = strlen(cap);
	return n >= c && !strncasecmp(line, cap, c) && (n == c || line[c] == ' ');
}

/* --- messages --- */

int mf_mail_header(const char *hdr, size_t n, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name), i = 0;
	while (i < n) {
		/* at the start of a line */
		if (hdr[i] == '\n' || (hdr[i] == '\r' && i + 1 < n && hdr[i + 1] == '\n'))
			return 0; /* end of the header */
		if (n - i > nl && !strncasecmp(hdr + i, name, nl) && hdr[i + nl] == ':') {
			size_t k = i + nl + 1, o = 0;
			int sp = 0;
			while (k < n) {
				char c = hdr[k];
				if (c == '\r') {
					k++;
					continue;
				}
				if (c == '\n') {
					if (k + 1 < n && (hdr[k + 1] == ' ' || hdr[k + 1] == '\t')) {
						k++;
						sp = 1;
						continue;
					}
					break;
				}
				if (c == ' ' || c == '\t') {
					sp = 1;
					k++;
					continue;
				}
				if (sp && o && o + 1 < outlen)
					out[o++] = ' ';
				sp = 0;
				/* One character, made safe for a terminal by the rule of out.h. */
				int bad;
				size_t l = out_char(hdr + k, n - k, 0, &bad);
				if (o < outlen)
					o += out_clean(out + o, outlen - o, hdr + k, l, 0);
				k += l;
			}
			if (outlen)
				out[o < outlen ? o : outlen - 1] = 0;
			return 1;
		}
		const char *e = memchr(hdr + i, '\n', n - i);
		if (!e)
			return 0;
		i = (size_t)(e - hdr) + 1;
	}
	return 0;
}

int imap_date(const char *in, char *out, size_t outlen)
{
	static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int y, m, d;
	char ms[4], tail;
	if (sscanf(in, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && strlen(in) == 10) {
		if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1900)
			return -1;
		snprintf(out, outlen, "%d-%s-%d", d, mon[m - 1], y);
		return 0;
	}
	if (sscanf(in, "%2d-%3[A-Za-z]-%4d%c", &d, ms, &y, &tail) == 3) {
		for (int k = 0; k < 12; k++)
			if (!strcasecmp(ms, mon[k]) && d >= 1 && d <= 31 && y >= 1900) {
				snprintf(out, outlen, "%d-%s-%d", d, mon[k], y);
				return 0;
			}
	}
	return -1;
}
