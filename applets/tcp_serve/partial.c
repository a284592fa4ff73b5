/* SPDX-License-Identifier: MIT */
/* tcp_serve/partial.c - --max-partial: the cap on the partial lines of all clients
 * of a worker together, and its log.
 *
 * Each client's c->in is bounded (--max-line plus one read), but not the sum over
 * 10,000 clients. The memory each c->in holds (its capacity) is counted in P.held;
 * over the cap, the client holding the most is closed, until the rest fits.
 * Closings are logged once per episode, -q or not: the first one in a line of its
 * own, the next ones counted and summed up at most once per PARTIAL_LOG_MS, so that
 * clients cannot flood the log. The episode ends when a window passes without a
 * closing.
 *
 * Man page: man/nettool-tcp-serve.1    Tests: tests/integration/tcp_serve.sh
 */
#include <stddef.h>

#include "log.h"
#include "loop.h"
#include "nt_err.h"
#include "serve.h"

#define PARTIAL_LOG_MS 5000

static struct {
	size_t max;             /* --max-partial */
	size_t held;            /* memory of every client's partial line (c->in) */
	long long timer;        /* the episode's summary timer */
	long long since;        /* start of the summary's window */
	unsigned long more;     /* closings not logged one by one in that window */
} P;

void partial_init(size_t max_partial)
{
	P.max = max_partial;
}

void partial_account(struct client *c)
{
	P.held = P.held - c->held + c->in.cap;
	c->held = c->in.cap;
}

void partial_forget(const struct client *c)
{
	P.held -= c->held;
}

void partial_summary(void)
{
	long long now = loop_now_ms();
	if (P.more)
		nt_warn("%lu more client%s closed for --max-partial in the last %lld s", P.more,
			P.more == 1 ? "" : "s", (now - P.since + 999) / 1000);
	P.more = 0;
	P.since = now;
}

static void window_end(struct loop *l, long long id, void *data)
{
	(void)id;
	(void)data;
	P.timer = 0;
	if (!P.more)
		return; /* a quiet window: the episode is over */
	partial_summary();
	P.timer = loop_timer_add(l, PARTIAL_LOG_MS, window_end, NULL);
}

static void closed_log(const struct client *big)
{
	if (P.timer) {
		P.more++;
		return;
	}
	nt_warn("closed %s: it held the most partial-line buffer, %zu bytes, when all clients held %zu bytes of "
		"buffer (--max-partial %zu)", big->addr, big->held, P.held, P.max);
	P.since = loop_now_ms();
	P.timer = loop_timer_add(serve_loop, PARTIAL_LOG_MS, window_end, NULL);
}

int partial_enforce(struct client *c, struct client *const *clients, int n)
{
	int closed_c = 0;
	while (P.held > P.max) {
		struct client *big = NULL;
		for (int fd = 0; fd < n; fd++) {
			struct client *x = clients[fd];
			if (x && (!big || x->held > big->held))
				big = x;
		}
		if (!big || !big->held)
			break;
		closed_log(big); /* said even with -q: a client was refused service */
		closed_c |= big == c;
		serve_client_close(big, "over --max-partial");
	}
	return closed_c;
}
