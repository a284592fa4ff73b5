/* SPDX-License-Identifier: MIT */
/* progress.h - a tty-aware progress meter on stderr (after curl's tool_progress):
 * callbacks record numbers, drawing happens at most every 500 ms; pure formatters
 * are unit-tested. Not a tty: plain lines every 5 s (PROGRESS_PLAIN) or nothing. */
#ifndef NT_PROGRESS_H
#define NT_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

enum progress_mode { PROGRESS_NONE = 0, PROGRESS_BAR, PROGRESS_PLAIN, PROGRESS_AUTO };

struct progress {
	enum progress_mode mode;
	const char *label;       /* "get", "fetch" */
	uint64_t bytes_done, bytes_total;  /* total 0: unknown */
	uint64_t items_done, items_total;  /* items_total 0: no item count */
	long long start_ms, last_draw_ms;
	int drawn;
};

/* mode AUTO becomes BAR on a tty stderr, else NONE. "bar|plain|none|auto" parse: 0 or -1. */
int progress_parse_mode(const char *s, enum progress_mode *m);
void progress_init(struct progress *p, enum progress_mode mode, const char *label);
/* Redraw if 500 ms (bar) or 5 s (plain) passed. */
void progress_update(struct progress *p);
/* Final draw (bar and plain alike: a plain run shorter than 5 s prints this line only). */
void progress_done(struct progress *p);

/* Formatters: write into out (at least 8 bytes) and return out. */
char *progress_fmt_bytes(char *out, size_t n, uint64_t bytes);   /* "1.5M", "999", "12.0G" */
char *progress_fmt_secs(char *out, size_t n, long long secs);     /* "0:07", "1:02:03", "--:--" */
/* The whole meter line for the numbers in p at time now_ms, width columns. */
char *progress_fmt_line(char *out, size_t n, const struct progress *p, long long now_ms, int width);

#endif
