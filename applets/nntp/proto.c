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

int nntp_has_header(const char *art, size_t len, const char *name)
{
	size_t nl = strlen(name);
	size_t i = 0;
	while (i < len) {
		const char *e = memchr(art + i, '\n', len - i);
		size_t l = e ? (size_t)(e - (art + i)) : len - i;
		size_t t = l;
		if (t && art[i + t - 1] == '\r')
			t--;
		if (t == 0)
			return 0; /* end of headers */
		if (t > nl && art[i + nl] == ':' && strncasecmp(art + i, name, nl) == 0)
			return 1;
		if (!e)
			break;
		i += l + 1;
	}
	return 0;
}
