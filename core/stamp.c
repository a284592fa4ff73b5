/* SPDX-License-Identifier: MIT */
/* stamp.c - ctime()-style or strftime timestamps, local or UTC, cached per second.
 *
 * Header: include/stamp.h    Tests: tests/unit/check_misc.c
 */
#include <string.h>
#include <time.h>

#include "stamp.h"

void stamp_init(struct stamp *s, const char *fmt, int utc)
{
	memset(s, 0, sizeof *s);
	s->fmt = fmt;
	s->utc = utc;
	s->cached_t = (time_t)-1;
}

const char *stamp_at(struct stamp *s, time_t t, size_t *len)
{
	if (t != s->cached_t) {
		struct tm tm;
		if (s->utc)
			gmtime_r(&t, &tm);
		else
			localtime_r(&t, &tm);
		size_t n;
		if (s->fmt)
			n = strftime(s->cached, sizeof s->cached, s->fmt, &tm);
		else
			/* ctime(): "Thu Sep  1 15:35:45 2016" without its newline */
			n = strftime(s->cached, sizeof s->cached, "%a %b %e %H:%M:%S %Y", &tm);
		s->cached[n] = 0;
		s->cached_len = n;
		s->cached_t = t;
	}
	if (len)
		*len = s->cached_len;
	return s->cached;
}

const char *stamp_now(struct stamp *s, size_t *len)
{
	return stamp_at(s, time(NULL), len);
}

int stamp_check_format(const char *fmt)
{
	char out[128];
	struct tm tm;
	time_t t = 1472744145; /* any time: the format must expand to 1..127 bytes */
	gmtime_r(&t, &tm);
	if (!*fmt)
		return -1;
	for (const char *p = fmt; *p; p++)
		if ((unsigned char)*p < 0x20)
			return -1;
	size_t n = strftime(out, sizeof out, fmt, &tm);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			return -1; /* %n, %t: a stamp is one line */
	return n ? 0 : -1;
}
