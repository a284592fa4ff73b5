/* SPDX-License-Identifier: MIT */
/* proto.c - NNTP reply and argument parsers: pure, bounded, no I/O.
 *
 * Header: applets/nntp/proto.h    Tests: tests/unit/check_nntp.c, tests/fuzz/fuzz_nntp_reply.c
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proto.h"

int nntp_parse_status(const char *line, size_t len, int *code, size_t *text)
{
	if (len < 3)
		return -1;
	for (int i = 0; i < 3; i++)
		if (line[i] < '0' || line[i] > '9')
			return -1;
	if (line[0] < '1' || line[0] > '5')
		return -1;
	if (len > 3 && line[3] != ' ')
		return -1;
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	*text = len > 3 ? 4 : 3;
	return 0;
}

int nntp_parse_number(const char *s, size_t len, long long *out)
{
	if (len == 0 || len > 18)
		return -1;
	long long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Next space-separated word of p[0..len) from *i; 0 when there is none. */
static int word(const char *p, size_t len, size_t *i, const char **w, size_t *wn)
{
	while (*i < len && p[*i] == ' ')
		(*i)++;
	if (*i >= len)
		return 0;
	*w = p + *i;
	while (*i < len && p[*i] != ' ')
		(*i)++;
	*wn = (size_t)(p + *i - *w);
	return 1;
}

int nntp_parse_group(const char *text, size_t len, long long *count, long long *first, long long *last,
		     char *name, size_t namelen)
{
	const char *w;
	size_t wn, i = 0;
	long long *nums[3] = {count, first, last};
	for (int k = 0; k < 3; k++)
		if (!word(text, len, &i, &w, &wn) || nntp_parse_number(w, wn, nums[k]) < 0)
			return -1;
	if (!word(text, len, &i, &w, &wn))
		return -1;
	if (namelen) {
		size_t n = wn < namelen - 1 ? wn : namelen - 1;
		memcpy(name, w, n);
		name[n] = 0;
	}
	return 0;
}

int nntp_block_line(const char *line, size_t len, const char **out, size_t *outlen)
{
	if (len >= 1 && line[0] == '.') {
		if (len == 1)
			return 1;
		*out = line + 1;
		*outlen = len - 1;
		return 0;
	}
	*out = line;
	*outlen = len;
	return 0;
}

int nntp_check_arg(int kind, const char *s, char *err, size_t errlen)
{
	static const char *what[] = {['g' - 'a'] = "group name", ['m' - 'a'] = "message-id",
				     ['h' - 'a'] = "header name", ['a' - 'a'] = "argument"};
	const char *k = (kind >= 'a' && kind <= 'm' && what[kind - 'a']) ? what[kind - 'a'] : "argument";
	size_t n = strlen(s);
	if (n == 0) {
		snprintf(err, errlen, "empty %s", k);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' || c == '\n') {
			snprintf(err, errlen, "%s contains CR or LF: refused", k);
			return -1;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(err, errlen, "%s contains a control character: refused", k);
			return -1;
		}
		if (c == ' ') {
			snprintf(err, errlen, "%s contains a space: refused", k);
			return -1;
		}
	}
	if (n > (kind == 'm' ? NNTP_MAX_MSGID : NNTP_MAX_ARG)) {
		snprintf(err, errlen, "%s is too long (%zu bytes)", k, n);
		return -1;
	}
	if (kind == 'm' && (n < 3 || s[0] != '<' || s[n - 1] != '>' || memchr(s + 1, '>', n - 2))) {
		snprintf(err, errlen, "a message-id looks like <local@domain>");
		return -1;
	}
	if (kind == 'h' && strchr(s, ':') && s[0] != ':') {
		snprintf(err, errlen, "header name with ':' inside: refused");
		return -1;
	}
	return 0;
}

int nntp_parse_range(const char *s, long long *lo, long long *hi)
{
	const char *dash = strchr(s, '-');
	if (!dash)
		return nntp_parse_number(s, strlen(s), lo) < 0 ? -1 : (*hi = *lo, 0);
	if (nntp_parse_number(s, (size_t)(dash - s), lo) < 0)
		return -1;
	if (!dash[1]) {
		*hi = -1;
		return 0;
	}
	if (nntp_parse_number(dash + 1, strlen(dash + 1), hi) < 0 || *hi < *lo)
		return -1;
	return 0;
}

static int word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp(w, s, n) == 0;
}

void nntp_cap_line(const char *line, size_t len, unsigned *caps)
{
	const char *w;
	size_t wn, i = 0;
	if (!word(line, len, &i, &w, &wn))
		return;
	if (word_is(w, wn, "READER"))
		*caps |= CAP_READER;
	else if (word_is(w, wn, "MODE-READER"))
		*caps |= CAP_MODE_READER;
	else if (word_is(w, wn, "OVER"))
		*caps |= CAP_OVER;
	else if (word_is(w, wn, "HDR"))
		*caps |= CAP_HDR;
	else if (word_is(w, wn, "STARTTLS"))
		*caps |= CAP_STARTTLS;
	else if (word_is(w, wn, "POST"))
		*caps |= CAP_POST;
	else if (word_is(w, wn, "LIST"))
		*caps |= CAP_LIST;
	else if (word_is(w, wn, "VERSION")) {
		while (word(line, len, &i, &w, &wn))
			if (word_is(w, wn, "2"))
				*caps |= CAP_VERSION2;
	} else if (word_is(w, wn, "AUTHINFO")) {
		*caps |= CAP_AUTHINFO;
		while (word(line, len, &i, &w, &wn))
			if (word_is(w, wn, "USER"))
				*caps |= CAP_AUTHINFO_USER;
	} else if (word_is(w, wn, "COMPRESS")) {
		while (word(line, len, &i, &w, &wn))
			if (word_is(w, wn, "DEFLATE"))
				*caps |= CAP_COMPRESS_DEFLATE;
	}
}

/* The header line "Name: ..." in the header part (up to the first empty line): its start,
 * and in *t its length without CR; NULL when there is none. */
static const char *find_header(const char *art, size_t len, const char *name, size_t *t)
{
	size_t nl = strlen(name);
	size_t i = 0;
	while (i < len) {
		const char *e = memchr(art + i, '\n', len - i);
		size_t l = e ? (size_t)(e - (art + i)) : len - i;
		*t = l && art[i + l - 1] == '\r' ? l - 1 : l;
		if (*t == 0)
			return NULL; /* end of headers */
		if (*t > nl && art[i + nl] == ':' && strncasecmp(art + i, name, nl) == 0)
			return art + i;
		if (!e)
			break;
		i += l + 1;
	}
	return NULL;
}

int nntp_has_header(const char *art, size_t len, const char *name)
{
	size_t t;
	return find_header(art, len, name, &t) != NULL;
}

int nntp_header_value(const char *art, size_t len, const char *name, char *out, size_t n)
{
	size_t t;
	const char *h = find_header(art, len, name, &t);
	if (!h)
		return -1;
	const char *v = h + strlen(name) + 1, *end = h + t;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	size_t vl = (size_t)(end - v);
	if (vl == 0 || vl >= n)
		return -1;
	memcpy(out, v, vl);
	out[vl] = 0;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int mdays(long long y, unsigned m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 ? 28 + leap : dm[m - 1];
}

/* digits s[0..k) as a number; -1 when one is not a digit */
static long long digits(const char *s, size_t k)
{
	long long v = 0;
	for (size_t i = 0; i < k; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int civil(long long y, long long mo, long long d, long long h, long long mi, long long se, long long *out)
{
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays(y, (unsigned)mo) || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

int nntp_parse_since(const char *s, long long now, long long *out)
{
	size_t n = strlen(s);
	if (n >= 2 && n <= 12 && strchr("smhdw", s[n - 1])) {
		long long v = digits(s, n - 1);
		static const long long unit[] = {1, 60, 3600, 86400, 604800};
		long long u = unit[strchr("smhdw", s[n - 1]) - "smhdw"];
		if (v < 0 || v > 100LL * 366 * 86400 / u || v * u > now)
			return -1;
		*out = now - v * u;
		return 0;
	}
	if (n == 8 || n == 14) { /* YYYYMMDD[HHMMSS] */
		if (digits(s, n) < 0)
			return -1;
		return civil(digits(s, 4), digits(s + 4, 2), digits(s + 6, 2), n == 14 ? digits(s + 8, 2) : 0,
			     n == 14 ? digits(s + 10, 2) : 0, n == 14 ? digits(s + 12, 2) : 0, out);
	}
	/* YYYY-MM-DD[(T| )HH:MM[:SS]][Z] */
	if (n < 10 || s[4] != '-' || s[7] != '-')
		return -1;
	long long y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = 0, mi = 0, se = 0;
	if (y < 0 || mo < 0 || d < 0)
		return -1;
	const char *p = s + 10;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (strlen(p) < 5 || p[2] != ':' || (h = digits(p, 2)) < 0 || (mi = digits(p + 3, 2)) < 0)
			return -1;
		p += 5;
		if (*p == ':') {
			if (strlen(p) < 3 || (se = digits(p + 1, 2)) < 0)
				return -1;
			p += 3;
		}
		if (*p == 'Z')
			p++;
	}
	if (*p)
		return -1;
	return civil(y, mo, d, h, mi, se, out);
}

int nntp_parse_date(const char *text, size_t len, long long *out)
{
	if (len < 14 || (len > 14 && text[14] != ' ') || digits(text, 14) < 0)
		return -1;
	return civil(digits(text, 4), digits(text + 4, 2), digits(text + 6, 2), digits(text + 8, 2),
		     digits(text + 10, 2), digits(text + 12, 2), out);
}

static void split_time(long long t, long long *y, unsigned *mo, unsigned *d, unsigned *h, unsigned *mi, unsigned *se)
{
	long long z = t / 86400, r = t % 86400;
	if (r < 0)
		r += 86400, z--;
	*h = (unsigned)(r / 3600), *mi = (unsigned)(r / 60 % 60), *se = (unsigned)(r % 60);
	/* civil_from_days */
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*mo = mp < 10 ? mp + 3 : mp - 9;
	*y = (long long)yoe + era * 400 + (*mo <= 2);
}

void nntp_format_since(long long t, char *out, size_t n)
{
	long long y;
	unsigned mo, d, h, mi, se;
	split_time(t, &y, &mo, &d, &h, &mi, &se);
	snprintf(out, n, "%04lld%02u%02u %02u%02u%02u", y, mo, d, h, mi, se);
}

void nntp_format_iso(long long t, char *out, size_t n)
{
	long long y;
	unsigned mo, d, h, mi, se;
	split_time(t, &y, &mo, &d, &h, &mi, &se);
	snprintf(out, n, "%04lld-%02u-%02uT%02u:%02u:%02uZ", y, mo, d, h, mi, se);
}
