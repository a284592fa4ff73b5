/* SPDX-License-Identifier: MIT */
/* over.c - overview format and OVER lines (RFC 3977 8.3, 8.4), bounded.
 *
 * Header: applets/nntp/over.h    Tests: tests/unit/check_nntp.c, tests/fuzz/fuzz_nntp_over.c
 */
#include <string.h>
#include <strings.h>

#include "over.h"
#include "proto.h"

void over_fmt_default(struct over_fmt *f)
{
	static const char *d[] = {"Subject:", "From:", "Date:", "Message-ID:", "References:", ":bytes", ":lines"};
	f->n = 0;
	for (size_t i = 0; i < sizeof d / sizeof *d; i++)
		over_fmt_add(f, d[i], strlen(d[i]));
}

int over_fmt_add(struct over_fmt *f, const char *line, size_t len)
{
	if (f->n >= OVER_MAX_FIELDS)
		return -1;
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	const char *colon = memchr(line, ':', len);
	if (!colon || len < 2)
		return -1;
	const char *name;
	size_t nn;
	int full = 0;
	if (colon == line) { /* ":bytes" metadata */
		name = line + 1;
		nn = len - 1;
	} else {
		name = line;
		nn = (size_t)(colon - line);
		size_t rest = len - nn - 1;
		if (rest == 4 && strncasecmp(colon + 1, "full", 4) == 0)
			full = 1;
		else if (rest != 0)
			return -1;
	}
	if (nn == 0 || nn >= OVER_MAX_NAME)
		return -1;
	for (size_t i = 0; i < nn; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == ':' || name[i] == 0x7f)
			return -1;
	memcpy(f->name[f->n], name, nn);
	f->name[f->n][nn] = 0;
	f->full[f->n] = (unsigned char)full;
	f->n++;
	return 0;
}

int over_split(const char *line, size_t len, struct over_field *fields, int max, long long *num)
{
	int n = 0;
	size_t i = 0;
	for (;;) {
		const char *t = memchr(line + i, '\t', len - i);
		size_t e = t ? (size_t)(t - line) : len;
		if (n < max) {
			fields[n].p = line + i;
			fields[n].n = e - i;
			n++;
		}
		if (!t)
			break;
		i = e + 1;
	}
	if (n < 1 || nntp_parse_number(fields[0].p, fields[0].n, num) < 0)
		return -1;
	return n;
}

struct over_field over_value(const struct over_fmt *f, int i, struct over_field v)
{
	if (i >= 1 && i <= f->n && f->full[i - 1]) {
		size_t nl = strlen(f->name[i - 1]);
		if (v.n >= nl + 1 && strncasecmp(v.p, f->name[i - 1], nl) == 0 && v.p[nl] == ':') {
			v.p += nl + 1;
			v.n -= nl + 1;
			while (v.n && *v.p == ' ') {
				v.p++;
				v.n--;
			}
		}
	}
	return v;
}
