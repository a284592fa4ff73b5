/* SPDX-License-Identifier: MIT */
/* stamp.h - the timestamp of the textbook's servers: ctime() text by default,
 * or a strftime format (--time-format), local time or UTC (--utc). */
#ifndef NT_STAMP_H
#define NT_STAMP_H

#include <stddef.h>
#include <time.h>

struct stamp {
	const char *fmt;   /* NULL: ctime style "Thu Sep  1 15:35:45 2016" */
	int utc;
	time_t cached_t;   /* cache: the stamp is formatted once per second */
	char cached[128];
	size_t cached_len;
};

void stamp_init(struct stamp *s, const char *fmt, int utc);
/* The stamp for time t (cached while t is unchanged); length in *len. */
const char *stamp_at(struct stamp *s, time_t t, size_t *len);
const char *stamp_now(struct stamp *s, size_t *len);
/* Check a --time-format: 0, or -1 when it expands to nothing or too much. */
int stamp_check_format(const char *fmt);

#endif
