/* SPDX-License-Identifier: MIT */
/* progress.c - progress meter on stderr: numbers are recorded by callers, drawing
 * happens at most every 500 ms (bar) or 5 s (plain lines, and always a final one);
 * pure formatters.
 *
 * Header: include/progress.h    Tests: tests/unit/check_misc.c
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "progress.h"

int progress_parse_mode(const char *s, enum progress_mode *m)
{
	if (!strcmp(s, "bar"))
		*m = PROGRESS_BAR;
	else if (!strcmp(s, "plain"))
		*m = PROGRESS_PLAIN;
	else if (!strcmp(s, "none"))
		*m = PROGRESS_NONE;
	else if (!strcmp(s, "auto"))
		*m = PROGRESS_AUTO;
	else
		return -1;
	return 0;
}

void progress_init(struct progress *p, enum progress_mode mode, const char *label)
{
	memset(p, 0, sizeof *p);
	if (mode == PROGRESS_AUTO)
		mode = isatty(2) ? PROGRESS_BAR : PROGRESS_NONE;
	p->mode = mode;
	p->label = label;
	p->start_ms = p->last_draw_ms = loop_now_ms();
}

char *progress_fmt_bytes(char *out, size_t n, uint64_t b)
{
	static const char units[] = "kMGTPE";
	if (b < 1000) {
		snprintf(out, n, "%llu", (unsigned long long)b);
		return out;
	}
	double v = (double)b;
	int u = -1;
	while (v >= 1000 && u < 5) {
		v /= 1024;
		u++;
	}
	if (v < 10)
		snprintf(out, n, "%.1f%c", v, units[u]);
	else
		snprintf(out, n, "%.0f%c", v, units[u]);
	return out;
}

char *progress_fmt_secs(char *out, size_t n, long long s)
{
	if (s < 0 || s > 99 * 3600)
		snprintf(out, n, "--:--");
	else if (s >= 3600)
		snprintf(out, n, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(out, n, "%lld:%02lld", s / 60, s % 60);
	return out;
}

char *progress_fmt_line(char *out, size_t n, const struct progress *p, long long now_ms, int width)
{
	char done[16], total[16], rate[16], eta[16], items[48] = "";
	long long el = now_ms - p->start_ms;
	uint64_t bps = el > 0 ? p->bytes_done * 1000 / (uint64_t)el : 0;
	long long left = -1;
	if (p->bytes_total && bps && p->bytes_total >= p->bytes_done)
		left = (long long)((p->bytes_total - p->bytes_done) / bps);
	progress_fmt_bytes(done, sizeof done, p->bytes_done);
	progress_fmt_bytes(rate, sizeof rate, bps);
	progress_fmt_secs(eta, sizeof eta, left);
	if (p->items_total)
		snprintf(items, sizeof items, " %llu/%llu files", (unsigned long long)p->items_done,
			 (unsigned long long)p->items_total);
	else if (p->items_done)
		snprintf(items, sizeof items, " %llu done", (unsigned long long)p->items_done);
	if (p->bytes_total) {
		progress_fmt_bytes(total, sizeof total, p->bytes_total);
		int pct = (int)(p->bytes_total ? p->bytes_done * 100 / p->bytes_total : 0);
		if (pct > 100)
			pct = 100;
		char head[160];
		snprintf(head, sizeof head, "%s %3d%% %s/%s %s/s ETA %s%s", p->label ? p->label : "", pct, done,
			 total, rate, eta, items);
		int bar = width - (int)strlen(head) - 3;
		if (bar > 40)
			bar = 40;
		if (bar >= 10) {
			char b[48];
			int fill = bar * pct / 100;
			memset(b, '#', (size_t)fill);
			memset(b + fill, '-', (size_t)(bar - fill));
			b[bar] = 0;
			snprintf(out, n, "[%s] %s", b, head);
		} else {
			snprintf(out, n, "%s", head);
		}
	} else {
		snprintf(out, n, "%s %s %s/s%s", p->label ? p->label : "", done, rate, items);
	}
	return out;
}

static void draw(struct progress *p, long long now, int final)
{
	char line[256];
	progress_fmt_line(line, sizeof line, p, now, 79);
	if (p->mode == PROGRESS_BAR)
		fprintf(stderr, "\r%-79s%s", line, final ? "\n" : "");
	else
		fprintf(stderr, "%s\n", line);
	p->drawn = 1;
	p->last_draw_ms = now;
}

void progress_update(struct progress *p)
{
	if (p->mode == PROGRESS_NONE || p->mode == PROGRESS_AUTO)
		return;
	long long now = loop_now_ms();
	long long every = p->mode == PROGRESS_BAR ? 500 : 5000;
	if (now - p->last_draw_ms >= every)
		draw(p, now, 0);
}

void progress_done(struct progress *p)
{
	if (p->mode == PROGRESS_NONE || p->mode == PROGRESS_AUTO)
		return;
	/* Plain: the final line always, so that a transfer shorter than the 5 s between
	 * lines still says what it moved (the bar, drawn or not, ends its line too). */
	draw(p, loop_now_ms(), 1);
}
