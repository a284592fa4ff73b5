/* SPDX-License-Identifier: MIT */
/* out.c - the one function that makes server text safe for a terminal (ftp ls, nntp
 * caps/list/over/hdr/read/shell, mail-fetch list, and nt_clean_text for messages).
 *
 * Header: include/out.h    Tests: tests/unit/check_out.c, tests/integration/nntp_hostile.sh
 */
#include <string.h>

#include "out.h"

size_t out_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], cp, min;
	size_t len;
	if ((c & 0xe0) == 0xc0)
		len = 2, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		len = 3, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		len = 4, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	cp = c & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	return cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : len;
}

size_t out_char(const char *s, size_t n, unsigned flags, int *unsafe)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c = p[0];
	if (c < 0x80) {
		*unsafe = (c < 0x20 && !(c == '\t' && (flags & OUT_KEEP_TAB))) || c == 0x7f;
		return 1;
	}
	size_t l = out_utf8_len(p, n);
	if (l) {
		*unsafe = c == 0xc2 && p[1] <= 0x9f; /* U+0080..U+009F: C1 controls */
		return l;
	}
	*unsafe = c <= 0x9f; /* a raw C1 byte: CSI (0x9b) to a terminal in an 8-bit mode */
	return 1;
}

void out_text(FILE *f, const char *s, size_t n, unsigned flags)
{
	size_t i = 0, from = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f) { /* the common case, without a call */
			i++;
			continue;
		}
		int bad;
		size_t l = out_char(s + i, n - i, flags, &bad);
		if (bad) {
			fwrite(s + from, 1, i - from, f);
			putc('?', f);
			from = i + l;
		}
		i += l;
	}
	fwrite(s + from, 1, n - from, f);
}

void out_line(FILE *f, const char *s, size_t n, unsigned flags)
{
	out_text(f, s, n, flags);
	putc('\n', f);
}

size_t out_lines(FILE *f, const char *s, size_t n, unsigned flags)
{
	size_t done = 0;
	const char *nl;
	while ((nl = memchr(s + done, '\n', n - done))) {
		size_t len = (size_t)(nl - (s + done));
		out_line(f, s + done, len && nl[-1] == '\r' ? len - 1 : len, flags);
		done += len + 1;
	}
	return done;
}

size_t out_clean(char *dst, size_t dstn, const char *s, size_t n, unsigned flags)
{
	size_t o = 0;
	if (!dstn)
		return 0;
	for (size_t i = 0; i < n;) {
		int bad;
		size_t l = out_char(s + i, n - i, flags, &bad);
		size_t w = bad ? 1 : l;
		if (o + w >= dstn)
			break; /* never half a character */
		if (bad)
			dst[o] = '?';
		else
			memcpy(dst + o, s + i, l);
		o += w;
		i += l;
	}
	dst[o] = 0;
	return o;
}
